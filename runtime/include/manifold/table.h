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
#define MF_TABLE_VERSION 3

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
};

#ifdef __cplusplus
}
#endif
#endif
