/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen: host tools that turn module sources and manifests into
 * manifests, registry tables, Kconfig menus and reports.  One program, one
 * subcommand per file.
 */
#ifndef MANIFOLD_GEN_H
#define MANIFOLD_GEN_H

#include <stddef.h>

#include <manifold/manifest.h>

/* Subcommands: each returns the process exit status (0 ok, 1 bad input, 2 usage). */
int gen_extract_main(int argc, char **argv);  /* gen/extract.c  */
int gen_registry_main(int argc, char **argv); /* gen/registry.c */
int gen_kconfig_main(int argc, char **argv);  /* gen/kconfig.c  */
int gen_check_main(int argc, char **argv);    /* gen/check.c    */
int gen_checksum_main(int argc, char **argv); /* gen/checksum.c */
int gen_index_main(int argc, char **argv);    /* gen/index.c    */

/*
 * A set of manifests read from files (gen/manifest_set.c): sorted by module
 * name whatever the order of the paths, so every output is byte-identical
 * for the same set of inputs.
 */
struct gen_manifest_set {
	struct mf_manifest **items;
	size_t count;
};

/*
 * Parse every path.  Each parse error is printed to stderr as
 * "FILE:LINE: reason"; returns 0 when all parsed, else -EINVAL after reading
 * them all (the good ones are still in the set).  Duplicate names are left in
 * the set for the caller to judge: registry refuses them, check reports them.
 */
int gen_set_load(struct gen_manifest_set *set, int npaths, char **paths);
void gen_set_free(struct gen_manifest_set *set);

/*
 * Write a file atomically: the content goes to PATH.tmp, is flushed and
 * checked, then renamed over PATH (as the kernel's kconfig does), so a failed
 * run never leaves half a file behind.  write_fn returns 0 or negative errno.
 */
int gen_write_file(const char *path, int (*write_fn)(FILE *fp, void *data),
		   void *data);

#endif
