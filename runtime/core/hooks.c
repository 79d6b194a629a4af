// SPDX-License-Identifier: MIT
/*
 * The core's hooks for the layers above it (hooks.h).  A handful of sets at
 * most (configuration, module directory), so a plain array.
 */
#include "core/internal.h"

int mf_hooks_add(struct mf_context *ctx, const struct mf_hooks *hooks, void *data)
{
	struct mf_hook_set *sets;

	sets = mf_realloc(ctx->hooks, (ctx->n_hooks + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	sets[ctx->n_hooks].hooks = hooks;
	sets[ctx->n_hooks].data = data;
	ctx->hooks = sets;
	ctx->n_hooks++;
	return 0;
}

void *mf_hooks_data(struct mf_context *ctx, const struct mf_hooks *hooks)
{
	for (size_t i = 0; i < ctx->n_hooks; i++)
		if (ctx->hooks[i].hooks == hooks)
			return ctx->hooks[i].data;
	return NULL;
}

int mf_hooks_module_added(struct mf_context *ctx, struct mf_module *mod)
{
	for (size_t i = 0; i < ctx->n_hooks; i++) {
		const struct mf_hook_set *s = &ctx->hooks[i];
		int err = s->hooks->module_added ?
				  s->hooks->module_added(ctx, mod, s->data) : 0;

		if (err)
			return err;
	}
	return 0;
}

const char *mf_hooks_refusal(struct mf_context *ctx, const struct mf_module *mod)
{
	for (size_t i = 0; i < ctx->n_hooks; i++) {
		const struct mf_hook_set *s = &ctx->hooks[i];
		const char *why = s->hooks->refusal ?
					  s->hooks->refusal(ctx, mod, s->data) : NULL;

		if (why)
			return why;
	}
	return NULL;
}

void mf_hooks_before_lookup(struct mf_context *ctx, mf_event_fn ev, void *ev_data)
{
	for (size_t i = 0; i < ctx->n_hooks; i++)
		if (ctx->hooks[i].hooks->before_lookup)
			ctx->hooks[i].hooks->before_lookup(ctx, ev, ev_data,
							  ctx->hooks[i].data);
}

const char *mf_hooks_not_found(struct mf_context *ctx)
{
	for (size_t i = 0; i < ctx->n_hooks; i++) {
		const struct mf_hook_set *s = &ctx->hooks[i];
		const char *why = s->hooks->not_found ? s->hooks->not_found(ctx, s->data) :
							NULL;

		if (why)
			return why;
	}
	return NULL;
}

void mf_hooks_release(struct mf_context *ctx)
{
	/* Last registered first: a layer may lean on one below it. */
	for (size_t i = ctx->n_hooks; i-- > 0;)
		if (ctx->hooks[i].hooks->release)
			ctx->hooks[i].hooks->release(ctx, ctx->hooks[i].data);
	mf_free(ctx->hooks);
	ctx->hooks = NULL;
	ctx->n_hooks = 0;
}
