/* SPDX-License-Identifier: MIT */
/*
 * An image built without CONFIG_MODULES has no loadable backend: it is one
 * static musl binary, and a static musl program cannot dlopen() at all.  The
 * Makefile links this file in place of moddir.c, modcache.c, modfile.c and
 * backend_loadable.c, so the rest of the runtime and the image call the same
 * functions either way and carry no #ifdef; here they only say why they
 * cannot help.
 */
#include "internal.h"

#include <manifold/moddir.h>

int mf_moddir_set(struct mf_context *ctx, const char *dir, unsigned flags)
{
	(void)ctx;
	(void)dir;
	(void)flags;
	return -EOPNOTSUPP;
}

int mf_moddir_set_cache(struct mf_context *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return -EOPNOTSUPP;
}

const char *mf_moddir_path(struct mf_context *ctx)
{
	(void)ctx;
	return NULL;
}

int mf_moddir_refresh(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	(void)ctx;
	(void)ev;
	(void)data;
	return -EOPNOTSUPP;
}

void mf_moddir_before_load(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	(void)ctx;
	(void)ev;
	(void)data;
}

void mf_moddir_before_boot(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	(void)ctx;
	(void)ev;
	(void)data;
}

/* A module the image does not have cannot come from anywhere else. */
const char *mf_moddir_no_such_module(struct mf_context *ctx)
{
	(void)ctx;
	return "no such module (" MF_MODDIR_UNSUPPORTED ")";
}

void mf_moddir_free(struct mf_context *ctx)
{
	(void)ctx;
}

unsigned mf_moddir_listings(struct mf_context *ctx)
{
	(void)ctx;
	return 0;
}
