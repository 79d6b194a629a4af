/* SPDX-License-Identifier: MIT */
/*
 * The shape of the registry tables that `manifold-gen registry` writes from a
 * set of manifests.  The tables are constant data linked into the image: the
 * catalog reads them at boot without parsing anything.
 *
 * modules[] is sorted by name.  providers[] holds every [provides] line of
 * every module plus the implied "module=<name>", sorted by (type, name,
 * priority descending, module name), so the runtime finds the providers of
 * one thing with a binary search and meets them best first.
 */
#ifndef MANIFOLD_TABLE_H
#define MANIFOLD_TABLE_H

#include <manifold/module.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when these structures change; the runtime refuses other versions. */
#define MF_TABLE_VERSION 2

struct mf_table_ref {
	const char *type;
	const char *name;
	unsigned priority; /* [provides] only */
};

struct mf_table_module {
	const char *name;
	const char *description; /* "" when the manifest has none */
	const char *checksum;	 /* "" when the manifest has none */
	unsigned char support_level; /* enum mf_support_level */
	unsigned char export_globals;
	unsigned short load_priority;
	const char *const *configs;
	unsigned n_configs;
	const struct mf_table_ref *uses;
	unsigned n_uses;
	const struct mf_table_ref *canuse;
	unsigned n_canuse;
	const struct mf_table_ref *provides;
	unsigned n_provides;
	/* The embedded descriptor; NULL for a module built loadable (m). */
	const struct manifold_module *descriptor;
};

struct mf_table_provider {
	const char *type;
	const char *name;
	unsigned priority;
	unsigned module; /* index into modules[] */
};

struct mf_table {
	unsigned version; /* MF_TABLE_VERSION */
	const struct mf_table_module *modules;
	unsigned n_modules;
	const struct mf_table_provider *providers;
	unsigned n_providers;
	/*
	 * The boot plan: what a boot with the default configuration (autoload,
	 * nothing else) starts, found at build time by `manifold-gen registry`
	 * running this runtime's own resolver over the table.  Indexes count
	 * the table's embedded modules only (those with a descriptor), in
	 * table order.  boot_order[k] is the k-th module to start;
	 * boot_choice holds, module after module in start order, the module
	 * chosen for each of its [uses] lines.  n_boot_order is 0 when the
	 * generator found a module that would not start: the runtime plans
	 * such a boot itself.  A boot whose catalog or configuration differs
	 * from the default one ignores the plan (runtime/bootplan.c).
	 */
	const unsigned *boot_order;
	unsigned n_boot_order;
	const unsigned *boot_choice;
	unsigned n_boot_choice;
};

#ifdef __cplusplus
}
#endif
#endif
