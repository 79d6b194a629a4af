/* SPDX-License-Identifier: MIT */
/*
 * From a manifest back to its module's source.  extract --tree opens each
 * manifest with comment lines the manifest parser skips:
 *
 *   # source: embedded/modules/app_dial.c
 *   # dialect: asterisk            (only when not the seed's)
 *
 * so that check can say "SOURCE:LINE: reason (manifest PATH:LINE)": the
 * source is re-read, and the manifest line mapped to the MODULEINFO
 * element that gave it (gen_extract_source_line()).
 */
#ifndef MANIFOLD_GEN_SRCREF_H
#define MANIFOLD_GEN_SRCREF_H

#include <stddef.h>

#include "moduleinfo.h"

/* The comment lines for a manifest of @source (mf_free() it), or NULL. */
char *gen_srcref_head(const char *source, int dialect);

struct gen_srcref {
	char *source;	/* NULL: the manifest names none, or it is unreadable */
	char *manifest; /* the manifest's text */
	struct gen_moduleinfo info;
	unsigned block; /* the MODULEINFO line */
};

/*
 * Open the manifest at @path and, when it names its source, read that
 * source with @names as the set's modules.  0 (ref->source NULL when
 * there is nothing to point at), or -ENOMEM.
 */
int gen_srcref_open(const char *path, const struct gen_names *names,
		    struct gen_srcref *ref);
/* The source line of manifest line @mline (0: the MODULEINFO line). */
unsigned gen_srcref_line(const struct gen_srcref *ref, unsigned mline);
void gen_srcref_close(struct gen_srcref *ref);

#endif
