/* SPDX-License-Identifier: MIT */
/*
 * The MODULEINFO and DOCUMENTATION comment blocks of a C source, found by
 * scanning it as C (gen/moduleinfo_blocks.c); private to gen/moduleinfo*.c.
 */
#ifndef MANIFOLD_GEN_MODULEINFO_BLOCKS_H
#define MANIFOLD_GEN_MODULEINFO_BLOCKS_H

#include <stddef.h>

#include "xmlish.h"

struct block {
	const char *text; /* between the keyword and the closing "***" "/" */
	size_t len;
	unsigned line;	/* line of text[0] */
	unsigned start; /* line of the opening "/" "***" */
};

/*
 * Both blocks of src[0..len) (a block absent leaves its .text NULL); 0, or
 * -EINVAL through @d ("no MODULEINFO block" among the reasons).
 */
int gen_find_blocks(const struct xdiag *d, const char *src, size_t len,
		    struct block *info, struct block *doc);

#endif
