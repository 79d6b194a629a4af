/* SPDX-License-Identifier: MIT */
/*
 * The module directory's cache of manifests (modcache.c), as moddir.c uses
 * it: what a file was, by its identity, and the text it held then.  Like
 * the rest of the loadable side, none of this is linked into an image built
 * without CONFIG_MODULES.
 */
#ifndef MANIFOLD_MODCACHE_H
#define MANIFOLD_MODCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/*
 * A file as it was when last read.  Which file (a file renamed into place
 * is another inode), its size and times to the nanosecond (a write moves
 * both), and what the safety checks judged: its type, mode and owner.
 * chmod and chown move the ctime too, so a manifest made group-writable or
 * given away is read, and refused, again.
 */
struct mf_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	mode_t mode;
	uid_t uid;
};

/* Module names as files may spell them: lower case, digits, '_', 1 to 63. */
static inline bool mf_file_name_ok(const char *name)
{
	const char *p;

	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return p > name && p - name <= 63;
}

/* One manifest as the cache holds it: <name>.manifest of the directory. */
struct mf_modcache_rec {
	const char *name;
	struct mf_file_id id;
	const char *text; /* id.size bytes, the file's whole content */
	/* what the text parsed into (manifest_image.h), or NULL; a loaded
	 * cache's passed mf_manifest_image_check() */
	const void *image;
	size_t image_len;
};

struct mf_modcache;

/*
 * Read the cache file @path, made for module directory @dir, if it may be
 * trusted as a module file is (a regular file, not a symbolic link, owned
 * by root or this process's user, not writable by group or others unless
 * MF_MODDIR_NO_PERM_CHECK is in @flags) and is well-formed, with no text of
 * @text_max bytes or more.  0 and *out; or -ENOENT (no cache yet), -ENOMEM,
 * or another negative errno with "PATH: reason" in @why: the cache cannot
 * be used and is to be rebuilt.
 */
int mf_modcache_load(const char *path, const char *dir, unsigned flags,
		     size_t text_max, struct mf_modcache **out, char *why,
		     size_t whylen);

/* The record of <@name>.manifest, or NULL. */
const struct mf_modcache_rec *mf_modcache_find(const struct mf_modcache *c,
					       const char *name);

/*
 * The same for names asked for in order, as a directory is read: the search
 * starts at record *@next (0 at first), and *@next is left after the record
 * found.  One comparison a name where bsearch() made ten.
 */
const struct mf_modcache_rec *mf_modcache_find_next(const struct mf_modcache *c,
						    const char *name, size_t *next);

/* How many records @c holds. */
size_t mf_modcache_count(const struct mf_modcache *c);

/* Its record @i, 0 to mf_modcache_count() - 1, in name order. */
const struct mf_modcache_rec *mf_modcache_rec(const struct mf_modcache *c, size_t i);

/*
 * The identity of the directory whose listing gave exactly @c's names as
 * its manifests, as the writer vouched for it; NULL when it did not.
 */
const struct mf_file_id *mf_modcache_listing(const struct mf_modcache *c);

/* Accepts NULL. */
void mf_modcache_free(struct mf_modcache *c);

/*
 * Replace the cache file @path, whole and at once, by @n records sorted by
 * name (strictly: no name twice), for module directory @dir, whose
 * identity @listing (or NULL) lists exactly their names as its manifests
 * (mf_modcache_listing()).  Needs no memory.  0, or a negative errno with
 * "PATH: reason" in @why; @path is then as it was.
 */
int mf_modcache_write(const char *path, const char *dir,
		      const struct mf_file_id *listing,
		      const struct mf_modcache_rec *recs, size_t n, char *why,
		      size_t whylen);

#endif
