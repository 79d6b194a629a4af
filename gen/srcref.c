/* SPDX-License-Identifier: MIT */
/* From a manifest back to its module's source (gen/srcref.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "gen.h"
#include "srcref.h"

#define SOURCE_KEY "# source: "
#define DIALECT_KEY "# dialect: "

char *gen_srcref_head(const char *source, int dialect)
{
	if (dialect == GEN_DIALECT_ASTERISK)
		return mf_strdup_printf(SOURCE_KEY "%s\n" DIALECT_KEY
						   "asterisk\n",
					source);
	return mf_strdup_printf(SOURCE_KEY "%s\n", source);
}

/* The value of the comment line "KEY value" among the first lines. */
static char *comment_value(const char *text, const char *key)
{
	const char *p = text, *nl;

	for (; *p == '#'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			return NULL;
		if (strncmp(p, key, strlen(key)) == 0)
			return mf_strndup(p + strlen(key),
					  (size_t)(nl - p) - strlen(key));
	}
	return NULL;
}

int gen_srcref_open(const char *path, const struct gen_names *names,
		    struct gen_srcref *ref)
{
	struct gen_extract_opts opts = {.modules = *names};
	char *src = NULL, *dialect;
	size_t len;
	int r;

	memset(ref, 0, sizeof(*ref));
	r = gen_read_file(path, &ref->manifest, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	ref->source = comment_value(ref->manifest, SOURCE_KEY);
	if (!ref->source)
		return 0;
	dialect = comment_value(ref->manifest, DIALECT_KEY);
	if (dialect && strcmp(dialect, "asterisk") == 0)
		opts.dialect = GEN_DIALECT_ASTERISK;
	mf_free(dialect);
	r = gen_read_file(ref->source, &src, &len);
	if (r == 0)
		r = gen_moduleinfo_parse_opts(ref->source, src, len, &opts,
					      &ref->info);
	mf_free(src);
	if (r == -ENOMEM) {
		gen_srcref_close(ref);
		return r;
	}
	if (r < 0) {
		/* Changed since: the manifest alone is the reference. */
		mf_free(ref->source);
		ref->source = NULL;
		return 0;
	}
	ref->block = ref->info.lines.block;
	return 0;
}

unsigned gen_srcref_line(const struct gen_srcref *ref, unsigned mline)
{
	unsigned line = mline ? gen_extract_source_line(&ref->info,
							ref->manifest, mline)
			      : 0;

	return line ? line : ref->block;
}

void gen_srcref_close(struct gen_srcref *ref)
{
	if (ref->source)
		gen_moduleinfo_free(&ref->info);
	mf_free(ref->source);
	mf_free(ref->manifest);
	memset(ref, 0, sizeof(*ref));
}
