/* SPDX-License-Identifier: MIT */
/*
 * Loadable modules inside the runtime: the checks every file of the module
 * directory passes (modfile.c) and the backend that maps module files
 * (backend_loadable.c).  moddir.c puts both together, with the directory's
 * index (modindex.h).  None of this is linked into an image built without
 * CONFIG_MODULES.
 */
#ifndef MANIFOLD_LOADABLE_H
#define MANIFOLD_LOADABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <manifold/moddir.h>

#include "util/sha256.h"

struct mf_backend_ops;
struct mf_manifest;
struct mf_slab;

/* ---- modfile.c ------------------------------------------------------------ */

/*
 * Open @path for reading when it is a regular file, not a symbolic link,
 * that neither group nor others may write (MF_MODDIR_NO_PERM_CHECK in @flags
 * skips that last check).  Returns the descriptor, or a negative errno with
 * "PATH: reason" in @err: -ELOOP (a symbolic link), -EINVAL (not a regular
 * file), -EPERM (writable by group or others), or the errno of lstat/open.
 */
int mf_modfile_open(const char *path, unsigned flags, char *err, size_t errlen);

/*
 * The same for @name in the directory open as @dirfd (AT_FDCWD: @name is a
 * path); @path names the file in messages only.  When @seen is not NULL it
 * gets what the checks saw, whatever they decided: the lstat() of @name
 * once that worked, then the fstat() of the descriptor once it is open;
 * seen->st_mode is 0 when they saw nothing.  The module directory keeps it
 * to know the file unchanged next time without reading it again.
 */
int mf_modfile_openat(int dirfd, const char *name, const char *path,
		      unsigned flags, struct stat *seen, char *err, size_t errlen);

/*
 * The whole of a checked file (see mf_modfile_openat()), NUL-terminated,
 * in one block of the size its descriptor says; the caller frees *buf.
 * -EFBIG when it holds @max bytes or more.
 */
int mf_modfile_readat(int dirfd, const char *name, const char *path,
		      unsigned flags, size_t max, char **buf, size_t *len,
		      struct stat *seen, char *err, size_t errlen);

/*
 * The checks above on what fstatat() (no symlink following) said of @path:
 * 0, or -ELOOP, -EINVAL, -EPERM with "PATH: reason" in @err.
 */
int mf_modfile_judge(const char *path, const struct stat *st, unsigned flags,
		     char *err, size_t errlen);
/*
 * fstatat(@dirfd, @name, AT_SYMLINK_NOFOLLOW) into *st, then
 * mf_modfile_judge(): the checks without opening the file, for a file that
 * is not read here (a module file mapped without a checksum, a manifest
 * served from elsewhere).  st->st_mode is 0 when fstatat failed.
 */
int mf_modfile_statat(int dirfd, const char *name, const char *path,
		      unsigned flags, struct stat *st, char *err, size_t errlen);
/* The checksum ("sha256:<hex>") of a checked file. */
int mf_modfile_checksum(const char *path, unsigned flags,
			char text[MF_SHA256_TEXT_SIZE], char *err, size_t errlen);

/* ---- backend_loadable.c --------------------------------------------------- */

extern const struct mf_backend_ops mf_loadable_backend;

struct mf_loadable;

/*
 * The backend data of module @m, whose file is DIR/<name>.so.  The catalog
 * entry owns it once mf_catalog_add_manifest() succeeded; before that the
 * caller frees it with mf_loadable_backend.release().  It uses @m's checksum
 * in place: @m must last as long as it does (the catalog entry keeps both).
 * Its block comes from @slab (alloc.h), as the catalog entry's.
 */
int mf_loadable_new(struct mf_slab *slab, const char *dir,
		    const struct mf_manifest *m, unsigned flags,
		    struct mf_loadable **out);

/* The checksum the next mapping is checked against (a refreshed manifest's,
 * copied). */
int mf_loadable_set_checksum(struct mf_loadable *ld, const char *checksum);
const char *mf_loadable_checksum(const struct mf_loadable *ld);

/* ---- moddir.c ------------------------------------------------------------- */

/*
 * How often the context's module directory was listed (readdir()) and its
 * index read since mf_moddir_set(): a load of an unchanged directory does
 * neither.  For tests.
 */
void mf_moddir_counts(struct mf_context *ctx, unsigned *listings,
		      unsigned *index_reads);

#endif
