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

/* The table's embedded modules: the catalog's records of it, in order. */
static unsigned embedded_count(const struct mf_table *table)
{
	unsigned n = 0;

	for (unsigned i = 0; i < table->n_modules; i++)
		n += table->modules[i].descriptor != NULL;
	return n;
}

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
	    embedded_count(table) != ctx->n_modules)
		return NULL;
	return table;
}

struct mf_module *mf_boot_plan_module(struct mf_context *ctx,
				      const struct mf_table *table, size_t k,
				      size_t *choice)
{
	struct mf_module *mod;
	unsigned idx;

	if (k >= table->n_boot_order)
		return NULL;
	idx = table->boot_order[k];
	if (idx >= ctx->n_modules)
		return NULL;
	mod = ctx->modules[idx];
	if (mod->manifest || mod->unavailable ||
	    *choice + mod->n_uses > table->n_boot_choice)
		return NULL;
	for (unsigned u = 0; u < mod->n_uses; u++) {
		unsigned p = table->boot_choice[*choice + u];

		if (p >= ctx->n_modules)
			return NULL;
		mod->plan_choice[u] = ctx->modules[p];
	}
	*choice += mod->n_uses;
	return mod;
}
