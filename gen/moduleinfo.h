/* SPDX-License-Identifier: MIT */
/*
 * What a module source says about itself in its two comment blocks:
 *
 *   / *** MODULEINFO       <support_level>, <depend>, <use>, <canuse>,
 *         ... *** /         <provides>, <defaultenabled>, <conflict>, ...
 *   / *** DOCUMENTATION    <application name="X">, <function name="Y">, ...
 *         ... *** /
 *
 * gen/moduleinfo.c reads them, through the small XML-ish reader of
 * gen/xmlish.h (several elements per line, entities decoded, comments
 * skipped), into this structure; gen/extract.c turns it into manifest text
 * (gen_extract_manifest(), declared here for tests and fuzzers).  The
 * manifest part becomes the module's manifest; the build/menu part
 * (defaultenabled, conflicts, replacement, deprecated_in) never reaches the
 * manifest and is there for `manifold-gen kconfig`.
 */
#ifndef MANIFOLD_GEN_MODULEINFO_H
#define MANIFOLD_GEN_MODULEINFO_H

#include <stddef.h>

#include <manifold/manifest.h>

#include "names.h"

/*
 * How a tree's MODULEINFO is read (`--dialect`):
 *  - seed: the design note's meaning.  <use> is a hard run-time use and
 *    needs a type; support levels are lower case; a deprecated module is
 *    left out by default.
 *  - asterisk: the meaning that tree's own tools give.  <use> (untyped, or
 *    type="module") is optional: a [canuse] line; support levels in any
 *    case; a deprecated module stays in by default; description, load
 *    priority and export-globals come from the AST_MODULE_INFO macro when
 *    MODULEINFO lacks them.
 */
enum gen_dialect { GEN_DIALECT_SEED, GEN_DIALECT_ASTERISK };

struct gen_extract_opts {
	struct gen_names modules; /* every module of the set */
	enum gen_dialect dialect;
};

/* Source lines of the [module] values, to point messages at the source. */
struct gen_moduleinfo_lines {
	unsigned block;		/* the "/" "*** MODULEINFO" line */
	unsigned support_level; /* 0 when the element is absent */
	unsigned load_priority;
	unsigned export_globals;
	unsigned description;
	unsigned *configs; /* one per manifest.configs[] */
	unsigned macro; /* the registration macro, when values came from it */
};

struct gen_moduleinfo {
	/*
	 * The manifest MODULEINFO and DOCUMENTATION describe: everything but
	 * name and checksum, which stay NULL (extract sets name from --name).
	 * Each ref's .line is its line in the SOURCE file.  path is a copy of
	 * the source path.  This struct owns it: release it with
	 * gen_moduleinfo_free(), never with mf_manifest_free().
	 */
	struct mf_manifest manifest;
	struct gen_moduleinfo_lines lines;

	/*
	 * Build/menu metadata, also in the manifest's [menu] (default,
	 * conflict, replacement, deprecated_in, removed_in), each with its
	 * source line.
	 */
	int defaultenabled;  /* 1 "yes", 0 "no", -1 when absent */
	char **conflicts;    /* <conflict>, repeatable */
	size_t n_conflicts;
	char *replacement;   /* <replacement>; NULL when absent */
	char *deprecated_in; /* <deprecated_in>; NULL when absent */
	char *removed_in;    /* <removed_in>; NULL when absent */

	/* On failure: "SOURCE:LINE: reason" (line in the .c file). */
	char err[MF_ERR_MAX];
};

/*
 * Read the MODULEINFO block (required) and the DOCUMENTATION block (optional)
 * of the C source held in src[0..len).  @path names the source in messages.
 *
 * tree_modules[0..n_tree) are the names of every module in the tree: a
 * <depend> on one of them is a runtime dependency ([uses] module=X); one
 * that is a slip for one of them (case, one edit) is an error with "did
 * you mean"; any other is a library the build must offer ([requires]
 * library=X).
 *
 * Returns 0 and fills *out, or a negative errno (-EINVAL for malformed
 * input, -ENOMEM) with the reason in out->err and nothing else to release.
 * Call gen_moduleinfo_free() on success; it is also harmless after failure.
 */
int gen_moduleinfo_parse(const char *path, const char *src, size_t len,
			 const char *const *tree_modules, size_t n_tree,
			 struct gen_moduleinfo *out);

/*
 * Does the source hold a MODULEINFO block: 1, 0, or -EINVAL with
 * "SOURCE:LINE: reason" in err (a block without its closing stars, a
 * comment never closed, a second block).
 */
int gen_moduleinfo_find(const char *path, const char *src, size_t len,
			char *err, size_t errlen);

/* The same, with a dialect and a set of module names (names.h). */
int gen_moduleinfo_parse_opts(const char *path, const char *src, size_t len,
			      const struct gen_extract_opts *opts,
			      struct gen_moduleinfo *out);

void gen_moduleinfo_free(struct gen_moduleinfo *info);

/*
 * All of `manifold-gen extract` but the file I/O: the manifest text of module
 * @name (malloc'd, *text_len bytes, not NUL-terminated by contract), already
 * re-parsed with mf_manifest_parse() as a check.  Returns 0, or a negative
 * errno with "SOURCE:LINE: reason" in err; the manifest parser's complaints
 * are re-mapped to the source line of the element they concern.
 */
int gen_extract_manifest(const char *path, const char *src, size_t len,
			 const char *name, const char *const *tree_modules,
			 size_t n_tree, char **text, size_t *text_len,
			 char *err, size_t errlen);

int gen_extract_manifest_opts(const char *path, const char *src, size_t len,
			      const char *name,
			      const struct gen_extract_opts *opts, char **text,
			      size_t *text_len, char *err, size_t errlen);

/*
 * SOURCE:LINE of manifest line @mline of the manifest text @text extracted
 * from @info: the element that gave it, else the MODULEINFO line.
 */
unsigned gen_extract_source_line(const struct gen_moduleinfo *info,
				 const char *text, unsigned mline);

#endif
