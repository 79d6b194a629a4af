/* SPDX-License-Identifier: MIT */
/*
 * How a parsed manifest is laid out in memory: manifest.c builds it.
 * Private to that file.
 */
#ifndef MANIFOLD_MANIFEST_BLOCK_H
#define MANIFOLD_MANIFEST_BLOCK_H

#include <manifold/manifest.h>

/*
 * A parsed manifest's block: what mf_manifest_free() frees at once.  After
 * the refs (each list's contiguous, the lists in their sections' order in
 * the text): the configs' pointers, the text the strings point into with a
 * NUL after it, the path.
 */
struct block {
	struct mf_manifest m;
	struct mf_ref refs[];
};

/* parser_flags of a manifest (the parser's field of struct mf_manifest). */
enum {
	/* Strings and arrays are in the manifest's block (struct block). */
	PARSED_BLOCK = 1u << 0,
	/* ... but for a checksum set since, which is its own allocation. */
	PARSED_OWN_CHECKSUM = 1u << 1,
};

struct mf_slab;

/* mf_manifest_parse() with the manifest's block from @slab (NULL: the heap),
 * for a manifest that will nearly always be kept (the module directory's). */
int mf_manifest_parse_slab(struct mf_slab *slab, const char *path,
			   const char *buf, size_t len, struct mf_manifest **out,
			   char *err, size_t errlen);

#endif
