/* SPDX-License-Identifier: MIT */
/*
 * The index of a module directory (modindex.c): one file, DIR/modules.index,
 * that holds the text of every accepted manifest of the directory, so that
 * a boot reads one file instead of listing the directory and reading each
 * manifest (kmod's depmod model).  Written by `manifold-gen index DIR` at
 * build or install time and by the image when it finds the directory
 * changed (moddir.c); the format is in docs/loadable.md.  Pure format: no
 * catalog, no checks of owners or modes (the caller's), so the generator
 * links it too.
 */
#ifndef MANIFOLD_MODINDEX_H
#define MANIFOLD_MODINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The index's file name inside its module directory. */
#define MF_MODINDEX_NAME "modules.index"
/* What its first line says; another version is refused, never guessed at. */
#define MF_MODINDEX_MAGIC "manifold-index"
#define MF_MODINDEX_VERSION 1
/* Far more than any manifest needs; a bigger one is not one. */
#define MF_MODINDEX_TEXT_MAX (1024 * 1024)

/* Module names as files may spell them: lower case, digits, '_', 1 to 63. */
static inline bool mf_file_name_ok(const char *name)
{
	const char *p;

	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return p > name && p - name <= 63;
}

/* One module of the index: the text of DIR/<name>.manifest. */
struct mf_modindex_rec {
	const char *name; /* NUL-terminated */
	const char *text; /* @len bytes, not NUL-terminated */
	size_t len;
	unsigned line; /* of its "module" line in the index, for messages */
};

struct mf_modindex {
	/* Which checks of owner and mode its manifests passed: "uid N" (owned
	 * by root or N, not writable by group or others) or "none".  A reader
	 * that would check otherwise reads the directory instead: the index
	 * holds exactly the manifests the writer's checks accepted. */
	const char *checks;
	/* The directory's mtime just after the index was put in place, or
	 * not known (dir_known false: a writer stopped half-way). */
	struct timespec dir_mtime;
	bool dir_known;
	struct mf_modindex_rec *recs; /* in name order, no name twice */
	size_t n;
};

/* The checks line of a writer with @flags (MF_MODDIR_NO_PERM_CHECK) and
 * effective uid @uid, into @buf (at least 32 bytes). */
const char *mf_modindex_checks(char *buf, size_t len, bool perm_checks, unsigned uid);

/*
 * Parse the @len bytes at @buf, the index file @path, in place (names are
 * NUL-terminated inside @buf, which must outlive @ix).  0, -ENOMEM, or
 * -EINVAL with "PATH:LINE: reason" in @why.  Each record's text is not
 * parsed here: the caller parses it as a manifest.
 */
int mf_modindex_parse(char *buf, size_t len, const char *path,
		      struct mf_modindex *ix, char *why, size_t whylen);
void mf_modindex_fini(struct mf_modindex *ix);

/*
 * Write @n records, sorted by name (strictly), accepted by @checks
 * (mf_modindex_checks()), as DIR/modules.index, whole and at once: a
 * temporary file in @dir, fsync(), rename() over the index, fsync() of the
 * directory.  Then the directory's mtime, which that rename set, is written
 * into the index in place (its fixed-width "directory-mtime" line: a write
 * into a file changes no directory), and fsync()ed again.  *@dir_st and
 * *@index_st (either may be NULL) are what stat() says of the directory and
 * of the index at the end: what the caller compares later to know both
 * unchanged.  0, or a negative errno with "PATH: reason" in @why; the old
 * index is then as it was.
 */
int mf_modindex_write(const char *dir, const char *checks,
		      const struct mf_modindex_rec *recs, size_t n, struct stat *dir_st, struct stat *index_st,
		      char *why, size_t whylen);

/*
 * Whether the index @ix may stand for the directory @dir_st describes:
 * nothing was created, removed or renamed in it since the index was put in
 * place, as the directory's mtime is still the one the index recorded then.
 * An equality of one file's own times, never an order between two files'
 * (a kernel may stamp two files with one time).  A copy that keeps times
 * (cp -a, tar) keeps the index current.
 */
static inline bool mf_modindex_current(const struct stat *dir_st,
				       const struct mf_modindex *ix)
{
	return ix->dir_known && dir_st->st_mtim.tv_sec == ix->dir_mtime.tv_sec &&
	       dir_st->st_mtim.tv_nsec == ix->dir_mtime.tv_nsec;
}

#endif
