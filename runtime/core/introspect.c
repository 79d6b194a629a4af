/* SPDX-License-Identifier: MIT */
/*
 * Introspection for the administrator: the facts `module why` and `module
 * graph` need that the lifecycle views do not give, read under the context
 * lock and changing nothing.
 *
 * mf_module_can_start() answers "why would this not start?" with the
 * resolver itself rather than a second copy of its rules, so the answer is
 * the one `module load` would give.  The resolver records a failure in the
 * modules it visits (last_error), which is what a real load must leave
 * behind but a question must not, so the trial saves every module's last
 * error first and puts it back afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

void mf_context_lock(struct mf_context *ctx)
{
	mf_lock(ctx);
}

void mf_context_unlock(struct mf_context *ctx)
{
	mf_unlock(ctx);
}

const char *mf_module_neverload(struct mf_module *mod)
{
	const char *ban;

	mf_lock(mod->ctx);
	ban = mf_hooks_refusal(mod->ctx, mod);
	mf_unlock(mod->ctx);
	return ban;
}

int mf_providers_foreach(struct mf_context *ctx, const char *type,
			 const char *name,
			 void (*fn)(void *data, struct mf_module *provider,
				    unsigned priority),
			 void *data)
{
	struct mf_provkey *pk;
	int err = -ENOENT;

	mf_lock(ctx);
	pk = mf_provkey_find(ctx, type, name);
	for (size_t i = 0; pk && i < pk->providers.n; i++) {
		fn(data, pk->providers.items[i].mod, pk->providers.items[i].priority);
		err = 0;
	}
	mf_unlock(ctx);
	return err;
}

int mf_module_can_start(struct mf_module *mod, char *buf, size_t len)
{
	struct mf_context *ctx = mod->ctx;
	struct mf_plan plan;
	char **saved;
	int err;

	if (len)
		buf[0] = '\0';
	mf_lock(ctx);
	saved = mf_calloc(ctx->modules.n + 1, sizeof(*saved));
	if (!saved) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ctx->modules.n; i++) {
		const char *e = ctx->modules.items[i]->last_error;

		if (e && !(saved[i] = mf_strdup(e))) {
			err = -ENOMEM;
			goto out_saved;
		}
	}
	/* A fresh operation number, as `module load` would take: a module
	 * that failed in the last operation is tried again, not skipped. */
	ctx->op_gen++;
	mf_plan_init(ctx, &plan);
	err = mf_plan_add(&plan, mod);
	if (err < 0 && len)
		snprintf(buf, len, "%s", plan.err);
	mf_plan_fini(&plan);
	for (size_t i = 0; i < ctx->modules.n; i++) {
		mf_set_str(&ctx->modules.items[i]->last_error, saved[i]);
		saved[i] = NULL;
	}
out_saved:
	for (size_t i = 0; i < ctx->modules.n; i++)
		mf_free(saved[i]);
	mf_free(saved);
out:
	mf_unlock(ctx);
	return err;
}
