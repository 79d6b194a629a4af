/* SPDX-License-Identifier: MIT */
/*
 * An image built without CONFIG_MODULES has no loadable backend: it is one
 * static musl binary, and a static musl program cannot dlopen() at all.  The
 * Makefile links this file in place of moddir.c, modindex.c, modfile.c and
 * backend_loadable.c, so the rest of the runtime and the image call the same
 * functions either way and carry no #ifdef; here they only say why they
 * cannot help.
 */
#include "core/internal.h"

#include <manifold/moddir.h>

#define NO_SUCH "no such module (" MF_MODDIR_UNSUPPORTED ")"

/* A module the image does not have cannot come from anywhere else. */
static const char *not_found(struct mf_context *ctx, void *data)
{
	(void)ctx;
	(void)data;
	return NO_SUCH;
}

static const struct mf_hooks unsupported_hooks = { .not_found = not_found };

/*
 * Asked for a module directory, the context learns to say why it has
 * none when a module is not found (its data is only a mark that it is set).
 */
int mf_moddir_set(struct mf_context *ctx, const char *dir, unsigned flags)
{
	(void)dir;
	(void)flags;
	mf_lock(ctx);
	if (!mf_hooks_data(ctx, &unsupported_hooks))
		(void)mf_hooks_add(ctx, &unsupported_hooks, (void *)NO_SUCH);
	mf_unlock(ctx);
	return -EOPNOTSUPP;
}

const char *mf_moddir_path(struct mf_context *ctx)
{
	(void)ctx;
	return NULL;
}

void mf_moddir_counts(struct mf_context *ctx, unsigned *listings,
		      unsigned *index_reads)
{
	(void)ctx;
	*listings = 0;
	*index_reads = 0;
}

int mf_moddir_refresh(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	(void)ctx;
	(void)ev;
	(void)data;
	return -EOPNOTSUPP;
}

/* What a load says of a missing module: NO_SUCH once a directory was asked
 * for (the image always asks), else the core's own words. */
const char *mf_moddir_no_such_module(struct mf_context *ctx)
{
	return mf_hooks_data(ctx, &unsupported_hooks);
}
