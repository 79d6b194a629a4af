/* SPDX-License-Identifier: MIT */
/*
 * The generated boot plan.  `manifold-gen registry` runs this runtime's
 * resolver over the image's table at build time, for the configuration
 * nearly every boot of a device uses: autoload, nothing else.  It writes
 * down the start order and each [uses] line's provider, and a boot whose
 * catalog and configuration are that one follows the list instead of
 * planning again, as Zephyr's SYS_INIT levels or the kernel's initcalls
 * are ordered when the image is linked.  Everything else about a start is
 * the same code (lifecycle.c): references, users, reasons, events, canuse
 * notices and a failure's fallback to another provider.  Any difference
 * (a modules.conf line, a module from the module directory, a module that
 * ran before) and the boot plans as it always did.
 */
#include <manifold/config.h>

#include "internal.h"

const struct mf_table *mf_boot_plan_applies(struct mf_context *ctx,
					    const struct mf_config *cfg)
{
	/* The default configuration: the plan was made for it. */
	if (!cfg->autoload || cfg->n_require || cfg->n_load)
		return NULL;
	return mf_boot_plan_table(ctx);
}

const struct mf_table *mf_boot_plan_table(struct mf_context *ctx)
{
	const struct mf_table *table = ctx->first_table;

	if (!table || !table->n_boot_order || ctx->n_table_blocks != 1)
		return NULL;
	/* Nothing neverloaded, no administrator's [uses] or extconfig.conf
	 * driver: a provider choice of the plan could differ. */
	if (ctx->neverload.count || ctx->admin_uses.count)
		return NULL;
	/* Nothing ever started: every choice is made among stopped modules,
	 * as at build time. */
	if (ctx->start_seq)
		return NULL;
	/* The catalog is the table's embedded modules and nothing else (no
	 * module file in the module directory, none failed to enter). */
	if (table->n_boot_order != ctx->n_modules ||
	    ctx->first_table_modules != ctx->n_modules)
		return NULL;
	return table;
}

bool mf_boot_plan_fits(struct mf_context *ctx, const struct mf_table *table)
{
	size_t n = ctx->n_modules, c = 0;

	/* Every module once (plan_idx: the resolver's scratch, free here). */
	for (size_t i = 0; i < n; i++)
		ctx->modules[i]->plan_idx = 0;
	for (size_t k = 0; k < table->n_boot_order; k++) {
		struct mf_module *mod;

		if (table->boot_order[k] >= n)
			return false;
		mod = ctx->modules[table->boot_order[k]];
		if (mod->plan_idx || mod->unavailable ||
		    c + mod->n_uses > table->n_boot_choice)
			return false;
		mod->plan_idx = 1;
		for (unsigned u = 0; u < mod->n_uses; u++)
			if (table->boot_choice[c++] >= n)
				return false;
	}
	return c == table->n_boot_choice;
}

struct mf_module *mf_boot_plan_module(struct mf_context *ctx,
				      const struct mf_table *table, size_t k,
				      size_t *choice)
{
	struct mf_module *mod = ctx->modules[table->boot_order[k]];

	for (unsigned u = 0; u < mod->n_uses; u++)
		mod->plan_choice[u] = ctx->modules[table->boot_choice[*choice + u]];
	*choice += mod->n_uses;
	return mod;
}
