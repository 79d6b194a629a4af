/* SPDX-License-Identifier: MIT */
/*
 * The library context: the lock, the log callback, the catalog and the api
 * registry of one loader instance.  Several contexts may live in one process
 * (the tests use many); nothing is global.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static void log_stderr(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	fprintf(stderr, "manifold: %s", priority <= MF_LOG_ERR ? "ERROR: " : "");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

void mf_log(struct mf_context *ctx, int priority, const char *file, int line,
	    const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx->log_fn || priority > ctx->log_priority)
		return;
	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

int mf_context_new(struct mf_context **out)
{
	pthread_mutexattr_t attr;
	pthread_condattr_t cattr;
	struct mf_context *ctx;
	int err = -ENOMEM;

	ctx = mf_calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	if (pthread_mutexattr_init(&attr))
		goto err_free;
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	err = -pthread_mutex_init(&ctx->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (err)
		goto err_free;
	/* Forced unloads wait with a monotonic deadline: wall-clock jumps on
	 * a device setting its time must not cut the wait short. */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	err = -pthread_cond_init(&ctx->idle, &cattr);
	pthread_condattr_destroy(&cattr);
	if (err)
		goto err_mutex;

	atomic_init(&ctx->refcount, 1);
	ctx->log_fn = log_stderr;
	ctx->log_priority = MF_LOG_WARNING;
	ctx->cancel_timeout_ms = 2000;
	mf_hash_init(&ctx->by_name);
	mf_hash_init(&ctx->provkeys);
	/* Catalog entries never leave, nor do provider keys: their hash
	 * entries live as long as the context, in its slab. */
	mf_hash_use_slab(&ctx->by_name, &ctx->slab);
	mf_hash_use_slab(&ctx->provkeys, &ctx->slab);
	mf_hash_init(&ctx->apis);
	*out = ctx;
	return 0;

err_mutex:
	pthread_mutex_destroy(&ctx->lock);
err_free:
	mf_free(ctx);
	return err;
}

struct mf_context *mf_context_ref(struct mf_context *ctx)
{
	if (ctx)
		atomic_fetch_add(&ctx->refcount, 1);
	return ctx;
}

struct mf_context *mf_context_unref(struct mf_context *ctx)
{
	if (!ctx || atomic_fetch_sub(&ctx->refcount, 1) > 1)
		return ctx;
	mf_context_stop_all(ctx);
	mf_apireg_free(ctx);
	mf_catalog_free(ctx);
	mf_hooks_release(ctx);
	mf_free(ctx->pending.items);
	/* After everything whose blocks may be in it (moddir.c). */
	mf_slab_fini(&ctx->slab);
	pthread_cond_destroy(&ctx->idle);
	pthread_mutex_destroy(&ctx->lock);
	mf_free(ctx);
	return NULL;
}

void mf_context_set_log_fn(struct mf_context *ctx, mf_log_fn fn, void *data)
{
	mf_lock(ctx);
	ctx->log_fn = fn;
	ctx->log_data = data;
	mf_unlock(ctx);
}

void mf_context_set_log_priority(struct mf_context *ctx, int priority)
{
	mf_lock(ctx);
	ctx->log_priority = priority;
	mf_unlock(ctx);
}

void mf_context_set_cancel_timeout(struct mf_context *ctx, unsigned ms)
{
	mf_lock(ctx);
	ctx->cancel_timeout_ms = ms;
	mf_unlock(ctx);
}

void mf_lock(struct mf_context *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->lock_depth++;
}

void mf_unlock(struct mf_context *ctx)
{
	ctx->lock_depth--;
	pthread_mutex_unlock(&ctx->lock);
}

void mf_set_str(char **slot, char *value)
{
	mf_free(*slot);
	*slot = value;
}
