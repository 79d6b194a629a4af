/* SPDX-License-Identifier: MIT */
/*
 * A set of manifests read from files, kept sorted by module name (then by
 * path, so two files claiming one name sit side by side in a fixed order).
 * Every generator walks the set in this order, which is what makes their
 * output independent of the order of the command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "gen.h"

static int by_name_then_path(const void *a, const void *b)
{
	const struct mf_manifest *ma = *(struct mf_manifest *const *)a;
	const struct mf_manifest *mb = *(struct mf_manifest *const *)b;
	int c = strcmp(ma->name, mb->name);

	return c ? c : strcmp(ma->path, mb->path);
}

int gen_set_load(struct gen_manifest_set *set, int npaths, char **paths)
{
	char err[MF_ERR_MAX];
	int i, r, status = 0;

	set->items = NULL;
	set->count = 0;
	if (npaths <= 0)
		return 0;
	set->items = mf_calloc((size_t)npaths, sizeof(*set->items));
	if (!set->items)
		return -ENOMEM;
	/* Read them all, so one run reports every broken manifest. */
	for (i = 0; i < npaths; i++) {
		struct mf_manifest *m;

		r = mf_manifest_load(paths[i], &m, err, sizeof(err));
		if (r == -ENOMEM) {
			fprintf(stderr, "%s\n", err);
			return -ENOMEM;
		}
		if (r < 0) {
			fprintf(stderr, "%s\n", err);
			status = -EINVAL;
			continue;
		}
		set->items[set->count++] = m;
	}
	qsort(set->items, set->count, sizeof(*set->items), by_name_then_path);
	return status;
}

void gen_set_free(struct gen_manifest_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		mf_manifest_free(set->items[i]);
	mf_free(set->items);
	set->items = NULL;
	set->count = 0;
}
