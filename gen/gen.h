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
/*
 * The same without fsync(): still never half a file (the rename is
 * atomic), for a run that writes thousands of build outputs, where a
 * sync each would cost more than the run.
 */
int gen_write_file_nosync(const char *path,
			  int (*write_fn)(FILE *fp, void *data), void *data);

/* A whole file into a NUL-terminated buffer (mf_free() it); 0 or -errno. */
int gen_read_file(const char *path, char **buf, size_t *len);

/* extract --tree (gen/tree.c): argv after the options. */
struct gen_extract_opts;
struct gen_tree_args {
	char **dirs;
	int n_dirs;
	const char *out_dir;
	char **patterns; /* fnmatch() globs on the file name; none: any .c */
	size_t n_patterns;
	int dialect; /* enum gen_dialect */
};
int gen_extract_tree(const struct gen_tree_args *args);

#endif
