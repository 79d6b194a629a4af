/* SPDX-License-Identifier: MIT */
/*
 * The module directory: every <name>.manifest in it becomes a catalog entry
 * whose code is <name>.so beside it (backend_loadable.c).  Reading it maps
 * nothing: a manifest says all the loader needs to plan.
 *
 * The directory is read at boot, by `module refresh`, and before every load,
 * so modules installed while the image runs can be loaded without a restart.
 * Catalog entries are never taken out (other modules' plans, the console and
 * API users may hold pointers to them), so a change is applied in place:
 *
 *   new manifest        a new catalog entry, loadable at once;
 *   manifest removed    the entry stays, marked unavailable: a running module
 *                       keeps running, a stopped one cannot be started again;
 *   manifest back       available again;
 *   new checksum        the next mapping is checked against it (a file that
 *                       changed after it was mapped is still refused: musl
 *                       cannot replace mapped code, see backend_loadable.c);
 *   other changes       (what it uses or provides, how it loads) unavailable
 *                       until a restart: the catalog planned with the old
 *                       ones and other modules may depend on them.
 *
 * Names come from file names and are names, never paths: a file whose name
 * is not [a-z0-9_]+.manifest, or whose manifest names another module, is
 * refused.  A name that the image has built in is an error too, and the
 * embedded module is kept.  Each refusal is reported once, however often the
 * directory is read, until the file changes its story.
 *
 * Reading the directory must cost little, as it happens before every load:
 * a file is read only when it is new or changed.  Each entry remembers what
 * its file was when last read (struct file_id) and a refresh compares that
 * with one fstatat() of the file, its name taken from the open directory:
 * no path is built and nothing is read or parsed for a file that is as it
 * was, and its entry keeps its state (in the catalog, unavailable, or
 * refused and reported).  What is remembered is only ever what the file
 * alone decided: a file that could not be read for lack of memory or
 * descriptors is read again by the next refresh.  Nor is the directory
 * listed again while it is as it was when last read whole (scan_dir()).
 *
 * A boot has remembered nothing yet.  With a cache (mf_moddir_set_cache(),
 * modcache.c) it knows the files of the last run: a manifest whose file has
 * the identity its copy was taken from, settled, costs one fstatat(), and
 * its copy goes through the same parser and refusals as the file would,
 * under the file's name; and a directory that is as the cache says it was
 * listed has the cache's names.  The cache is only ever a shortcut:
 * anything it cannot vouch for is read from its file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "loadable.h"
#include "manifest_image.h"
#include "modcache.h"

/* Far more than any manifest needs; a bigger file is not one. */
#define MANIFEST_MAX (1024 * 1024)

/*
 * A change within one tick of the file system's clock may keep a file's
 * size and times: clocks stamp files every few milliseconds, FAT every two
 * seconds.  A file younger than this when it was read is not remembered:
 * every refresh reads it again until it has been left alone that long.
 */
#define SETTLE_SEC 2

/* Slab bytes a module read from a manifest takes: its record with a few
 * lines, the manifest with its text, the loadable backend's data, its
 * by-name entry and two provider keys: 1.8 KB for the benchmark's
 * modules, with room for a longer one. */
#define SLAB_A_MODULE 2048

/* One *.manifest file of the directory, known by its base name. */
struct entry {
	struct mf_module *mod;	/* its catalog entry, once added */
	struct mf_loadable *ld; /* mod's backend data */
	char *said;		/* the last refusal reported for this file */
	char *unavailable;	/* why mod cannot start (mod->unavailable) */
	unsigned seen;		/* scan number that last found the file */
	bool known;		/* id is the file whose reading made this state */
	bool cached;		/* the cache file holds the text of id */
	struct mf_file_id id;	/* (modcache.h) */
};

struct mf_moddir {
	char *dir;
	/* "DIR/", with room after it for any file name of the directory: the
	 * path of the manifest being read, in messages and its manifest. */
	char *path;
	size_t dirlen;
	unsigned flags;
	unsigned scan;	   /* scans made so far */
	size_t n_seen;	   /* entries the current scan found */
	bool missing_said; /* "directory does not exist" reported */
	bool unsafe_said;  /* "directory refused" reported */
	char *no_such;	   /* mf_moddir_no_such_module() */
	struct mf_hash entries; /* base name -> struct entry */
	/* The directory as the last refresh found it, when that refresh read
	 * every name it gave (listed_ok) and the directory had been left
	 * alone (SETTLE_SEC): while it stays so, no name came or went, and
	 * the entries that refresh saw are its names (scan_dir()). */
	struct mf_file_id listed;
	bool listed_ok;
	unsigned listings; /* readings of the directory's names: tests */
	char *cache;	   /* mf_moddir_set_cache(), or NULL */
	bool cache_unread; /* the next refresh reads it first */
	char *cache_said;  /* the last note about reading it */
	char *write_said;  /* the last note about writing it */
};

struct report {
	struct mf_context *ctx;
	mf_event_fn ev;
	void *data;
	int changes;
};

static void say(struct report *r, enum mf_event_kind kind, const char *module,
		const char *detail)
{
	struct mf_event e = { .kind = kind, .module = module, .detail = detail };

	if (r->ev)
		r->ev(r->data, &e);
	else if (kind == MF_EVENT_FAIL)
		MF_ERR(r->ctx, "%s: %s", module, detail);
	else
		MF_INFO(r->ctx, "%s: %s", module, detail);
}

/* Report a refusal of @name's file unless it was the last thing said of it. */
static void refuse(struct report *r, struct entry *e, const char *name,
		   const char *why)
{
	if (e->said && strcmp(e->said, why) == 0)
		return;
	mf_set_str(&e->said, mf_strdup(why));
	say(r, MF_EVENT_FAIL, name, why);
}

/* ---- reading the directory ------------------------------------------------ */

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_file(const struct mf_file_id *id, const struct stat *st)
{
	return id->dev == st->st_dev && id->ino == st->st_ino &&
	       id->size == st->st_size && id->mode == st->st_mode &&
	       id->uid == st->st_uid && same_time(&id->mtime, &st->st_mtim) &&
	       same_time(&id->ctime, &st->st_ctim);
}

static bool same_id(const struct mf_file_id *a, const struct mf_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mode == b->mode && a->uid == b->uid &&
	       same_time(&a->mtime, &b->mtime) && same_time(&a->ctime, &b->ctime);
}

/* The same, where NULL is no identity: equal only to NULL. */
static bool same_id_or_none(const struct mf_file_id *a, const struct mf_file_id *b)
{
	return a && b ? same_id(a, b) : a == b;
}

static struct mf_file_id id_of(const struct stat *st)
{
	return (struct mf_file_id){
		.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
		.mtime = st->st_mtim, .ctime = st->st_ctim,
		.mode = st->st_mode, .uid = st->st_uid,
	};
}

/* @t is SETTLE_SEC seconds or more before @now. */
static bool settled(const struct timespec *t, const struct timespec *now)
{
	time_t limit = now->tv_sec - SETTLE_SEC;

	return t->tv_sec < limit || (t->tv_sec == limit && t->tv_nsec <= now->tv_nsec);
}

static void mark_seen(struct mf_moddir *md, struct entry *e)
{
	if (e->seen != md->scan) {
		e->seen = md->scan;
		md->n_seen++;
	}
}

/*
 * A name to read, with its first eight bytes as a number that orders as
 * the name does: names like bm_00042 differ there, and the sort compares
 * two numbers where strcmp() walked both strings.
 */
struct name {
	uint64_t key;
	union {
		size_t off;	  /* into todo.text, while it grows */
		const char *base; /* once it is complete */
	};
};

/* The files of one scan that must be read: new or changed since last time. */
struct todo {
	int fd;		  /* the directory, open until they are read; or -1 */
	DIR *dp;	  /* on fd, once it is listed (names_listed()) */
	char *text;	  /* their base names, one after the other */
	size_t used, cap; /* of text */
	/* cap_names of them, and as many more for the sort (sort_names()) */
	struct name *names;
	size_t n, cap_names;
};

static uint64_t name_key(const char *base, size_t len)
{
	uint64_t key = 0;

	for (size_t i = 0; i < 8; i++)
		key = key << 8 | (i < len ? (unsigned char)base[i] : 0);
	return key;
}

static int todo_add(struct todo *t, const char *base, size_t len)
{
	if (t->n == t->cap_names) {
		size_t c = t->cap_names ? t->cap_names * 2 : 64;
		struct name *p = c < SIZE_MAX / 2 / sizeof(*p) ?
				 mf_realloc(t->names, 2 * c * sizeof(*p)) : NULL;

		if (!p)
			return -ENOMEM;
		t->names = p;
		t->cap_names = c;
	}
	if (t->cap - t->used < len + 1) {
		size_t c = t->cap ? t->cap : 1024;
		char *p;

		while (c - t->used < len + 1)
			c *= 2;
		p = mf_realloc(t->text, c);
		if (!p)
			return -ENOMEM;
		t->text = p;
		t->cap = c;
	}
	memcpy(t->text + t->used, base, len);
	t->text[t->used + len] = '\0';
	t->names[t->n++] = (struct name){ .key = name_key(base, len), .off = t->used };
	t->used += len + 1;
	return 0;
}

static void todo_free(struct todo *t)
{
	if (t->dp)
		closedir(t->dp); /* and fd with it */
	else if (t->fd >= 0)
		close(t->fd);
	mf_free(t->text);
	mf_free(t->names);
}

/* strcmp(a->base, b->base) < 0 */
static bool before(const struct name *a, const struct name *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	/* The same first eight bytes: a NUL among them ends both names. */
	return (a->key & 0xff) && strcmp(a->base + 8, b->base + 8) < 0;
}

/*
 * Sort the names, in the room after them (todo.names): runs of eight by
 * insertion, then merged.  The C library's qsort() (musl's smoothsort)
 * took more instructions a module than all the rest of the scan.
 */
static void sort_names(struct todo *t)
{
	enum { RUN = 8 };
	struct name *src, *dst, *x;
	size_t n = t->n;

	if (n < 2)
		return;
	src = t->names;
	dst = t->names + t->cap_names;
	for (size_t lo = 0; lo < n; lo += RUN) {
		size_t hi = n - lo > RUN ? lo + RUN : n;

		for (size_t i = lo + 1; i < hi; i++) {
			struct name v = src[i];
			size_t j = i;

			for (; j > lo && before(&v, &src[j - 1]); j--)
				src[j] = src[j - 1];
			src[j] = v;
		}
	}
	for (size_t w = RUN; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = n - lo > w ? lo + w : n;
			size_t hi = n - mid > w ? mid + w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = before(&src[j], &src[i]) ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		x = src;
		src = dst;
		dst = x;
	}
	if (src != t->names)
		memcpy(t->names, src, n * sizeof(*src));
}

/* The cache, as a refresh uses it (below). */
struct cache_pass;
static void cache_read(struct report *r, struct mf_moddir *md,
		       struct cache_pass *cp);
static const struct mf_modcache *cache_old(const struct cache_pass *cp);

/*
 * DIR/<base>.manifest (@file, @len bytes of base), whose entry is @e (NULL:
 * looked up): a file that is still the one last read is marked seen and
 * left alone; the others go to @t.
 */
static int consider(struct mf_moddir *md, struct todo *t, int fd, struct entry *e,
		    const char *base, size_t len, const char *file)
{
	struct stat st;

	if (!e)
		e = mf_hash_get(&md->entries, base);
	if (e && e->known && fstatat(fd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    same_file(&e->id, &st)) {
		mark_seen(md, e);
		return 0;
	}
	return todo_add(t, base, len);
}

static const char suffix[] = ".manifest";

/* @base's file name, into @file (NAME_MAX + 1 bytes): false if too long. */
static bool file_of(char *file, const char *base, size_t len)
{
	if (len + sizeof(suffix) > NAME_MAX + 1)
		return false;
	memcpy(file, base, len);
	memcpy(file + len, suffix, sizeof(suffix));
	return true;
}

/* The names the directory itself gives: readdir(). */
static int names_listed(struct mf_moddir *md, struct todo *t, int fd)
{
	const size_t slen = sizeof(suffix) - 1;
	char base[NAME_MAX + 1];
	struct dirent *d;

	md->listings++;
	t->dp = fdopendir(fd);
	if (!t->dp)
		return -errno;
	while ((errno = 0, d = readdir(t->dp))) {
		size_t len = strlen(d->d_name);
		int err;

		if (len <= slen || len - slen >= sizeof(base) ||
		    strcmp(d->d_name + len - slen, suffix) != 0)
			continue;
		len -= slen;
		memcpy(base, d->d_name, len);
		base[len] = '\0';
		err = consider(md, t, fd, NULL, base, len, d->d_name);
		if (err)
			return err;
	}
	return -errno;
}

/* The names the last refresh saw, the directory being as it found it. */
static int names_remembered(struct mf_moddir *md, struct todo *t, int fd)
{
	char file[NAME_MAX + 1];

	for (size_t b = 0; b < md->entries.n_buckets; b++)
		for (struct mf_hash_entry *h = md->entries.buckets[b]; h; h = h->next) {
			struct entry *e = h->value;
			size_t len = h->len;
			int err;

			/* Not seen then: gone before, and still. */
			if (e->seen != md->scan - 1)
				continue;
			if (!file_of(file, h->key, len))
				return -ENAMETOOLONG;
			err = consider(md, t, fd, e, h->key, len, file);
			if (err)
				return err;
		}
	return 0;
}

/* The names of the cache's records, which the cache vouched for. */
static int names_cached(struct mf_moddir *md, struct todo *t, int fd,
			const struct mf_modcache *mc)
{
	char file[NAME_MAX + 1];

	for (size_t i = 0; i < mf_modcache_count(mc); i++) {
		const char *base = mf_modcache_rec(mc, i)->name;
		size_t len = strlen(base);
		int err;

		if (!file_of(file, base, len))
			return -ENAMETOOLONG;
		err = consider(md, t, fd, NULL, base, len, file);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Whoever may create, rename or remove files in the directory decides what
 * the image runs, whatever the files' own modes: the directory too must
 * belong to root or the image's user, and group and others may write it only
 * with the sticky bit (then they cannot touch files that are not theirs, and
 * theirs are refused by the file checks).  0, or -EPERM with the reason.
 */
static int dir_unsafe(const struct mf_moddir *md, const struct stat *st,
		      char *why, size_t len)
{
	if (md->flags & MF_MODDIR_NO_PERM_CHECK)
		return 0;
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, len, "%s: owned by uid %u, neither root nor this image's "
			 "user (uid %u); nothing in it is loaded (the image's -P turns "
			 "this check off)", md->dir, (unsigned)st->st_uid,
			 (unsigned)geteuid());
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		snprintf(why, len, "%s: writable by group or others without the sticky "
			 "bit (mode %04o); nothing in it is loaded (the image's -P turns "
			 "this check off)", md->dir, (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * Go through DIR/<base>.manifest: a file that is still the one last read
 * is marked seen and left alone; the others go to @t, sorted, so that what
 * their reading says comes in name order.  Nothing is sorted, allocated or
 * built per file that did not change.
 *
 * The names come from the directory's listing, unless the directory is
 * one whose names are known already: a name comes or goes only by a
 * change of the directory's mtime and ctime (and a rename into it is a new
 * inode for the file, which its own fstatat() sees).  So when the
 * directory has the very identity it had when a complete reading of it
 * was taken, and that was left alone for SETTLE_SEC (a change within a
 * tick of the clock may keep the times), its names are that reading's:
 * the last refresh's (md->listed), or, at the first refresh, the cache's
 * (mf_modcache_listing()).  The first refresh reads the cache for this
 * before anything else.  *@settled: the directory as found, settled, is
 * in md->listed, for the refresh to vouch for once it read every name.
 * A directory refused by dir_unsafe() (checked on the directory opened,
 * the one that is read) is -EPERM with the reason in @why, which is
 * otherwise left empty.
 */
static int scan_dir(struct report *r, struct mf_moddir *md, struct cache_pass *cp,
		    struct todo *t, const struct timespec *now, bool *settled_dir,
		    char *why, size_t whylen)
{
	const struct mf_file_id *was = md->listed_ok ? &md->listed : NULL;
	struct stat st;
	int fd, err = 0;

	*settled_dir = false;
	md->listed_ok = false;
	fd = t->fd = open(md->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	err = dir_unsafe(md, &st, why, whylen);
	if (err < 0)
		return err;
	if (settled(&st.st_mtim, now) && settled(&st.st_ctim, now)) {
		*settled_dir = true;
		if (!was || !same_file(was, &st))
			was = NULL;
		md->listed = id_of(&st);
	} else {
		was = NULL;
	}
	if (!was && md->cache_unread && *settled_dir) {
		md->cache_unread = false;
		cache_read(r, md, cp);
		if (same_id_or_none(mf_modcache_listing(cache_old(cp)), &md->listed))
			err = names_cached(md, t, fd, cache_old(cp));
		else
			err = names_listed(md, t, fd);
	} else if (was) {
		err = names_remembered(md, t, fd);
	} else {
		err = names_listed(md, t, fd);
	}
	if (err)
		return err;
	for (size_t i = 0; i < t->n; i++)
		t->names[i].base = t->text + t->names[i].off;
	sort_names(t);
	return 0;
}

/* A new entry is one block with its hash entry: mf_hash_intern(). */
static struct entry *entry_get(struct mf_moddir *md, const char *base)
{
	bool created;

	return mf_hash_intern(&md->entries, base, sizeof(struct entry), &created);
}

/* What @e holds; the entry itself goes with its hash entry. */
static void entry_fini(void *value)
{
	struct entry *e = value;

	mf_free(e->said);
	mf_free(e->unavailable);
}

/* ---- applying one manifest ----------------------------------------------- */

static bool same_refs(const struct mf_ref_list *a, const struct mf_ref_list *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i].type, b->items[i].type) != 0 ||
		    strcmp(a->items[i].name, b->items[i].name) != 0 ||
		    a->items[i].priority != b->items[i].priority)
			return false;
	return true;
}

/* Everything the catalog planned with: all but description and checksum. */
static bool same_plan(const struct mf_manifest *a, const struct mf_manifest *b)
{
	if (a->support_level != b->support_level ||
	    a->load_priority != b->load_priority ||
	    a->export_globals != b->export_globals || a->n_configs != b->n_configs)
		return false;
	for (size_t i = 0; i < a->n_configs; i++)
		if (strcmp(a->configs[i], b->configs[i]) != 0)
			return false;
	return same_refs(&a->uses, &b->uses) && same_refs(&a->canuse, &b->canuse) &&
	       same_refs(&a->provides, &b->provides);
}

/* Make @e's module unavailable for @why; 1 when that is news, or -ENOMEM. */
static int make_unavailable(struct report *r, struct entry *e, const char *why)
{
	char *text, *note;

	if (e->unavailable && strcmp(e->unavailable, why) == 0)
		return 0;
	text = mf_strdup(why);
	if (!text)
		return -ENOMEM;
	mf_set_str(&e->unavailable, text);
	e->mod->unavailable = e->unavailable;
	note = mf_strdup_printf(e->mod->state == MF_STATE_STOPPED ?
				"%s: it cannot be started again" :
				"%s: it keeps running, but cannot be started again once stopped",
				why);
	say(r, MF_EVENT_NOTE, e->mod->name, note ? note : why);
	mf_free(note);
	return 1;
}

/* A manifest for a module already in the catalog from this directory. */
static int update_entry(struct report *r, struct entry *e, struct mf_manifest *m)
{
	const char *now = mf_loadable_checksum(e->ld);
	int changes = 0;

	if (!same_plan(e->mod->manifest, m))
		return make_unavailable(r, e,
			"its manifest changed what it uses, provides or how it "
			"loads; restart the image to load the new version");
	if (e->unavailable) {
		mf_set_str(&e->unavailable, NULL);
		e->mod->unavailable = NULL;
		say(r, MF_EVENT_NOTE, e->mod->name, "back in the module directory");
		changes = 1;
	}
	if ((now == NULL) != (m->checksum == NULL) ||
	    (now && strcmp(now, m->checksum) != 0)) {
		if (mf_loadable_set_checksum(e->ld, m->checksum) < 0)
			return -ENOMEM; /* the old one stands: checked next time */
		say(r, MF_EVENT_NOTE, e->mod->name,
		    "new checksum in its manifest: the next start checks "
		    "the module file against it");
		changes = 1;
	}
	return changes;
}

/*
 * The catalog's module @name, or NULL.  The refresh holds the context's
 * lock and its names are module names (mf_file_name_ok()): the index is
 * asked directly, where mf_module_find(), made for what users type, locked
 * and checked the name again, twice a module.  An index that cannot be
 * built for lack of memory finds nothing, as mf_module_find() did: adding
 * the module builds it or says -ENOMEM.
 */
static struct mf_module *catalog_get(struct mf_context *ctx, const char *name)
{
	return mf_hash_get(&ctx->by_name, name);
}

static int add_entry(struct report *r, struct mf_moddir *md, struct entry *e,
		     struct mf_manifest *m)
{
	struct mf_loadable *ld = NULL;
	struct mf_module *other;
	char why[MF_ERR_MAX];
	int err;

	other = catalog_get(r->ctx, m->name);
	if (other) {
		snprintf(why, sizeof(why),
			 "%s: module %s is %s already (%s); keeping that one",
			 m->path, m->name,
			 other->backend == &mf_embedded_backend ? "built into the image" :
								   "in the catalog",
			 other->backend->name);
		refuse(r, e, m->name, why);
		mf_manifest_free(m);
		return 0;
	}
	err = mf_loadable_new(&r->ctx->slab, md->dir, m, md->flags, &ld);
	if (err == 0)
		err = mf_catalog_add_manifest(r->ctx, m, &mf_loadable_backend, ld);
	if (err == -ENOMEM) {
		/* Not the file's fault: it is added by the next refresh. */
		if (ld)
			mf_loadable_backend.release(ld);
		mf_manifest_free(m);
		return err;
	}
	if (err < 0) {
		snprintf(why, sizeof(why), "%s: cannot add it to the catalog: %s",
			 m->path, strerror(-err));
		refuse(r, e, m->name, why);
		mf_loadable_backend.release(ld);
		mf_manifest_free(m);
		return 0;
	}
	/* The catalog owns m now; its entry is found by name. */
	e->ld = ld;
	e->mod = catalog_get(r->ctx, m->name);
	mf_set_str(&e->said, NULL);
	if (md->scan > 1)
		say(r, MF_EVENT_NOTE, e->mod->name, "new in the module directory");
	return 1;
}

/*
 * Whether a failure to read a file is the file's own doing, which reading
 * it again would only repeat (see mf_modfile_openat()): a symbolic link,
 * not a regular file, unsafe mode or owner, too big, not readable.  Lack of
 * memory or descriptors, a file replaced while checked, I/O errors: not.
 */
static bool file_says(int err)
{
	return err == -ELOOP || err == -EINVAL || err == -EPERM || err == -EFBIG ||
	       err == -EACCES;
}

/* @e's state came from the file @st describes, and from nothing else. */
static void remember(struct entry *e, const struct stat *st,
		     const struct timespec *now)
{
	if (st->st_mode == 0 || !settled(&st->st_mtim, now) ||
	    !settled(&st->st_ctim, now))
		return;
	e->id = id_of(st);
	e->known = true;
}

/* ---- the cache (mf_moddir_set_cache(), modcache.c) --------------------------- */

/*
 * What one refresh does with the cache.  The first refresh reads it, and a
 * manifest whose file is still the one it copied, settled, is parsed from
 * there instead of being read.  A refresh that remembered a file it read
 * (new or changed), forgot one the cache holds, or found records for files
 * that are gone, writes the cache again: the texts it read itself, and for
 * the files it did not read, the cache's copies, checked against what their
 * entries remember.  Texts are held only within the refresh; between
 * refreshes an entry costs the cache one bool.
 */
struct cache_pass {
	struct mf_modcache *old; /* the cache file as this refresh read it */
	size_t next_old;	 /* mf_modcache_find_next() */
	bool read;		 /* old was read (or found unusable) */
	size_t served;		 /* manifests taken from old */
	struct mf_modcache_rec *fresh; /* texts read from files, kept */
	size_t n_fresh, cap_fresh;
	bool dirty; /* the cache file says other than the entries know */
};

static void cache_pass_free(struct cache_pass *cp)
{
	for (size_t i = 0; i < cp->n_fresh; i++) {
		mf_free((char *)cp->fresh[i].text);
		mf_free((void *)cp->fresh[i].image);
	}
	mf_free(cp->fresh);
	mf_modcache_free(cp->old);
}

/* Say @why about the cache unless it was the last thing said (*@said). */
static void cache_note(struct report *r, char **said, const char *why)
{
	if (*said && strcmp(*said, why) == 0)
		return;
	mf_set_str(said, mf_strdup(why));
	say(r, MF_EVENT_NOTE, "module cache", why);
}

static const struct mf_modcache *cache_old(const struct cache_pass *cp)
{
	return cp->old;
}

static void cache_read(struct report *r, struct mf_moddir *md,
		       struct cache_pass *cp)
{
	char why[MF_ERR_MAX];
	int err;

	cp->read = true;
	err = mf_modcache_load(md->cache, md->dir, md->flags, MANIFEST_MAX,
			       &cp->old, why, sizeof(why));
	/* Out of memory says nothing about the file: its manifests are read
	 * from their files, as without a cache. */
	if (err == -ENOMEM)
		return;
	if (err == 0 || err == -ENOENT)
		mf_set_str(&md->cache_said, NULL);
	else
		cache_note(r, &md->cache_said, why);
}

/*
 * The text of DIR/@file (@base.manifest).  When the file is the one the
 * cache copied, settled (SETTLE_SEC), the copy: 1, *@copy its record (with
 * the image of what the text parses into, if any) and *st the file's
 * fstatat(), or the refusal of the checks that fstatat() decides, as the
 * file's reading would say it (mf_modfile_judge(); the size limit held when
 * the copy was taken, and the size is the same).  Else the file's own text,
 * read and checked as ever (mf_modfile_readat()), into *owned: 0 or the
 * reading's error.
 */
static int manifest_text(struct cache_pass *cp, struct mf_moddir *md, int dirfd,
			 const char *base, const char *file, const char *path,
			 const struct timespec *now, const char **text, size_t *len,
			 char **owned, const struct mf_modcache_rec **copy,
			 struct stat *st, char *why, size_t whylen)
{
	const struct mf_modcache_rec *c = mf_modcache_find_next(cp->old, base,
								 &cp->next_old);
	int err;

	if (c && fstatat(dirfd, file, st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    same_file(&c->id, st) && settled(&st->st_mtim, now) &&
	    settled(&st->st_ctim, now)) {
		err = mf_modfile_judge(path, st, md->flags, why, whylen);
		if (err < 0)
			return err;
		*text = c->text;
		*len = (size_t)st->st_size;
		*copy = c;
		cp->served++;
		return 1;
	}
	err = mf_modfile_readat(dirfd, file, path, md->flags, MANIFEST_MAX, owned,
				len, st, why, whylen);
	*text = *owned;
	return err;
}

/*
 * @e's file was taken in: if @e remembers it now, what it was read from
 * goes into the next cache file, with the image of what it parsed into
 * (NULL: none).  Takes *owned and *image when it keeps them.
 */
static void cache_keep(struct mf_moddir *md, struct cache_pass *cp,
		       struct entry *e, const char *base, char **owned,
		       size_t len, void **image, size_t image_len, bool from_cache)
{
	if (!md->cache || !e->known)
		return;
	if (from_cache) {
		e->cached = true;
		return;
	}
	/* Not all of it, or changed while read: it is read again anyway. */
	if (!*owned || len != (size_t)e->id.size)
		return;
	if (cp->n_fresh == cp->cap_fresh) {
		size_t c = cp->cap_fresh ? cp->cap_fresh * 2 : 16;
		struct mf_modcache_rec *p = mf_realloc(cp->fresh, c * sizeof(*p));

		/* Left out of the cache: the next boot reads its file. */
		if (!p)
			return;
		cp->fresh = p;
		cp->cap_fresh = c;
	}
	cp->fresh[cp->n_fresh++] = (struct mf_modcache_rec){
		.name = base, .id = e->id, .text = *owned,
		.image = *image, .image_len = *image ? image_len : 0,
	};
	*owned = NULL;
	*image = NULL;
	cp->dirty = true;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct mf_modcache_rec *)a)->name,
		      ((const struct mf_modcache_rec *)b)->name);
}

/* The text of @name's file as @e remembers it, or NULL when none is known. */
static const struct mf_modcache_rec *cache_text(const struct cache_pass *cp,
						const char *name,
						const struct entry *e)
{
	struct mf_modcache_rec key = { .name = name };
	const struct mf_modcache_rec *c = NULL;

	if (cp->n_fresh)
		c = bsearch(&key, cp->fresh, cp->n_fresh, sizeof(key), cmp_rec);
	if (!c)
		c = mf_modcache_find(cp->old, name);
	return c && same_id(&c->id, &e->id) ? c : NULL;
}

/*
 * The cache file lives in the module directory itself: each writing of it
 * changes the directory, so it cannot vouch for what the directory lists
 * (and would be written again at every boot trying to).  So too when that
 * cannot be told.
 */
static bool cache_in_dir(const struct mf_moddir *md)
{
	const char *slash = strrchr(md->cache, '/');
	char parent[PATH_MAX];
	struct stat st;
	size_t len = !slash ? 0 : slash == md->cache ? 1 : (size_t)(slash - md->cache);

	if (len >= sizeof(parent))
		return true;
	memcpy(parent, len ? md->cache : ".", len ? len : 1);
	parent[len ? len : 1] = '\0';
	return stat(parent, &st) < 0 ||
	       (st.st_dev == md->listed.dev && st.st_ino == md->listed.ino);
}

/*
 * Write the cache again when it says other than the entries know.  Never
 * an error of the refresh: a failure is said (once) and costs only the
 * reading of the files, and the next refresh that changes something tries
 * again.  Out of memory, the old file stays as it is.
 */
static void cache_write(struct report *r, struct mf_moddir *md,
			struct cache_pass *cp, const struct mf_file_id *listing)
{
	struct mf_modcache_rec *recs;
	char why[MF_ERR_MAX];
	size_t n = 0;

	if (!md->cache)
		return;
	if (!cp->dirty) {
		/* The file's records are the entries' (a boot served them
		 * all; a later refresh, which did not read it, changed
		 * nothing): only what it says of the listing may be news,
		 * and only a refresh that read it knows what it says. */
		if (!cp->old)
			return;
		if (mf_modcache_count(cp->old) != md->n_seen)
			listing = NULL;
		if (same_id_or_none(listing, mf_modcache_listing(cp->old)) ||
		    cache_in_dir(md))
			return;
	} else if (listing && cache_in_dir(md)) {
		listing = NULL;
	}
	/* The copies of the files this refresh did not read. */
	if (!cp->read)
		cache_read(r, md, cp);
	recs = mf_malloc((md->entries.count + 1) * sizeof(*recs));
	if (!recs)
		return;
	if (cp->n_fresh > 1)
		qsort(cp->fresh, cp->n_fresh, sizeof(*cp->fresh), cmp_rec);
	for (size_t b = 0; b < md->entries.n_buckets; b++)
		for (struct mf_hash_entry *h = md->entries.buckets[b]; h; h = h->next) {
			struct entry *e = h->value;
			const struct mf_modcache_rec *c;

			if (!e->known || !(c = cache_text(cp, h->key, e)))
				continue;
			recs[n] = *c;
			recs[n++].name = h->key;
		}
	if (n > 1)
		qsort(recs, n, sizeof(*recs), cmp_rec);
	/* A name without a record (refused for its name, unreadable,
	 * changing) is one the cache cannot give: the directory is listed. */
	if (n != md->n_seen)
		listing = NULL;
	if (mf_modcache_write(md->cache, md->dir, listing, recs, n, why,
			      sizeof(why)) == 0) {
		mf_set_str(&md->write_said, NULL);
		for (size_t b = 0; b < md->entries.n_buckets; b++)
			for (struct mf_hash_entry *h = md->entries.buckets[b]; h; h = h->next)
				((struct entry *)h->value)->cached = false;
		for (size_t i = 0; i < n; i++)
			((struct entry *)mf_hash_get(&md->entries, recs[i].name))->cached = true;
	} else {
		cache_note(r, &md->write_said, why);
	}
	mf_free(recs);
}

/* ---- one manifest ------------------------------------------------------------ */

/*
 * What @text (@len bytes, DIR/@base.manifest) says: copied from the image
 * the cache keeps of it when its record @copy has one (the same manifest,
 * without the parse), else parsed.  A new module's manifest is kept by its
 * catalog entry: from the slab, as the entry.  A known one's is compared
 * and dropped (update_entry()).
 */
static int manifest_of(struct report *r, const struct entry *e, const char *path,
		       const char *text, size_t len,
		       const struct mf_modcache_rec *copy, struct mf_manifest **m,
		       char *why, size_t whylen)
{
	struct mf_slab *slab = e->mod ? NULL : &r->ctx->slab;

	if (copy && copy->image)
		return mf_manifest_from_image(slab, path, copy->image,
					      copy->image_len, m);
	return mf_manifest_parse_slab(slab, path, text, len, m, why, whylen);
}

static int sync_one(struct report *r, struct mf_moddir *md, struct cache_pass *cp,
		    int dirfd, const char *base, const struct timespec *now)
{
	struct entry *e = entry_get(md, base);
	char why[MF_ERR_MAX], *owned = NULL;
	const struct mf_modcache_rec *copy = NULL;
	void *image = NULL; /* of a text read from its file, for the cache */
	size_t image_len = 0;
	const char *path = md->path;
	const char *file = md->path + md->dirlen + 1; /* @base.manifest */
	size_t blen = strlen(base);
	struct mf_manifest *m = NULL;
	struct stat st = { 0 };
	bool keep = false; /* the outcome is the file's: remember it */
	bool from_cache = false;
	const char *text;
	size_t len = 0;
	int err, c;

	if (!e)
		return -ENOMEM;
	mark_seen(md, e);
	/* Until this reading is done, the file is as good as unknown. */
	e->known = false;
	e->cached = false;
	/* A name the directory gave, suffix and all: it fits (scan_dir()). */
	memcpy(md->path + md->dirlen + 1, base, blen);
	memcpy(md->path + md->dirlen + 1 + blen, ".manifest", sizeof(".manifest"));
	if (!mf_file_name_ok(base)) {
		/* Its name alone decides, whatever the file says. */
		keep = fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0;
		snprintf(why, sizeof(why),
			 "%s: '%s' is not a module name (a-z, 0-9 and _, at most "
			 "63): ignored", path, base);
		goto refused;
	}
	err = manifest_text(cp, md, dirfd, base, file, path, now, &text, &len,
			    &owned, &copy, &st, why, sizeof(why));
	from_cache = err == 1;
	if (from_cache)
		err = 0;
	keep = file_says(err);
	if (err == 0) {
		err = manifest_of(r, e, path, text, len, copy, &m, why,
				  sizeof(why));
		keep = err != -ENOMEM;
	}
	if (err == -ENOMEM) {
		/* Lack of memory says nothing about the file: leave its
		 * module as it is, for the next refresh to read again. */
		mf_free(owned);
		return err;
	}
	if (err < 0)
		goto refused;
	if (strcmp(m->name, base) != 0) {
		snprintf(why, sizeof(why),
			 "%s: describes module '%s'; a manifest is named after "
			 "its module (%s.manifest)", path, m->name, m->name);
		mf_manifest_free(m);
		goto refused;
	}
	/* Without it the next boot parses the text: no error of this one. */
	if (md->cache && owned)
		image = mf_manifest_image_new(m, &image_len);
	if (e->mod) {
		c = update_entry(r, e, m);
		mf_manifest_free(m);
		mf_set_str(&e->said, NULL);
	} else {
		/* A refusal here (a name the catalog has) stands as long
		 * as the file: catalog entries never leave. */
		c = add_entry(r, md, e, m);
	}
	if (c >= 0)
		remember(e, &st, now);
	cache_keep(md, cp, e, base, &owned, len, &image, image_len, from_cache);
	mf_free(image);
	mf_free(owned);
	return c;

refused:
	refuse(r, e, base, why);
	/* A module whose manifest went bad cannot be trusted to start. */
	c = e->mod ? make_unavailable(r, e, "its manifest is refused (see the "
				      "module directory's messages)") : 0;
	if (c >= 0 && keep)
		remember(e, &st, now);
	cache_keep(md, cp, e, base, &owned, len, &image, 0, from_cache);
	mf_free(owned);
	return c;
}

static int cmp_key(const void *a, const void *b)
{
	const struct mf_hash_entry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* The files the last scan did not find, in name order. */
static int forget_gone(struct report *r, struct mf_moddir *md,
		       struct cache_pass *cp)
{
	struct mf_hash_entry **gone;
	size_t n = 0;

	/* The usual case, and the one every load meets: nothing went. */
	if (md->n_seen == md->entries.count)
		return 0;
	gone = mf_malloc((md->entries.count - md->n_seen) * sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	for (size_t b = 0; b < md->entries.n_buckets; b++)
		for (struct mf_hash_entry *h = md->entries.buckets[b]; h; h = h->next)
			if (((struct entry *)h->value)->seen != md->scan)
				gone[n++] = h;
	if (n > 1)
		qsort(gone, n, sizeof(*gone), cmp_key);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = gone[i]->value;

		/* Should it come back, even as it was, it is read again. */
		e->known = false;
		/* The cache must not have it either. */
		if (e->cached)
			cp->dirty = true;
		e->cached = false;
		if (e->mod) {
			int c = make_unavailable(r, e,
				"its manifest was removed from the module directory");

			if (c < 0) {
				mf_free(gone);
				return c;
			}
			r->changes += c;
			mf_set_str(&e->said, NULL);
		} else {
			/* Forget a refused file that left: should it come
			 * back, it is reported again. */
			entry_fini(e);
			mf_hash_remove(&md->entries, gone[i]->key);
		}
	}
	mf_free(gone);
	return 0;
}

/* ---- the public side --------------------------------------------------------- */

int mf_moddir_set(struct mf_context *ctx, const char *dir, unsigned flags)
{
	struct mf_moddir *md;
	size_t len;
	int err = -ENOMEM;

	if (!dir || !dir[0])
		return -EINVAL;
	md = mf_calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	len = strlen(dir);
	/* "dir/" and "dir" are one directory; messages show "dir/x.so". */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	md->dir = mf_strndup(dir, len);
	if (!md->dir)
		goto err_md;
	md->dirlen = len;
	md->path = mf_malloc(len + 1 + NAME_MAX + 1);
	if (!md->path)
		goto err_dir;
	memcpy(md->path, md->dir, len);
	md->path[len] = '/';
	md->no_such = mf_strdup_printf("no such module (neither in the image "
				       "nor in %s)", md->dir);
	if (!md->no_such)
		goto err_path;
	md->flags = flags;
	mf_hash_init(&md->entries);
	mf_lock(ctx);
	if (ctx->moddir) {
		mf_unlock(ctx);
		err = -EBUSY;
		goto err_no_such;
	}
	ctx->moddir = md;
	mf_unlock(ctx);
	return 0;

err_no_such:
	mf_free(md->no_such);
err_path:
	mf_free(md->path);
err_dir:
	mf_free(md->dir);
err_md:
	mf_free(md);
	return err;
}

int mf_moddir_set_cache(struct mf_context *ctx, const char *path)
{
	char *copy;
	int err = 0;

	if (!path || !path[0])
		return -EINVAL;
	copy = mf_strdup(path);
	if (!copy)
		return -ENOMEM;
	mf_lock(ctx);
	if (!ctx->moddir) {
		err = -ENOENT;
	} else if (ctx->moddir->cache) {
		err = -EBUSY;
	} else {
		ctx->moddir->cache = copy;
		ctx->moddir->cache_unread = true;
		copy = NULL;
	}
	mf_unlock(ctx);
	mf_free(copy);
	return err;
}

const char *mf_moddir_path(struct mf_context *ctx)
{
	return ctx->moddir ? ctx->moddir->dir : NULL;
}

const char *mf_moddir_no_such_module(struct mf_context *ctx)
{
	return ctx->moddir ? ctx->moddir->no_such : NULL;
}

int mf_moddir_refresh(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	struct report r = { ctx, ev, data, 0 };
	struct cache_pass cp = { 0 };
	char why_dir[MF_ERR_MAX];
	struct todo todo = { .fd = -1 };
	struct mf_moddir *md;
	struct timespec now;
	bool settled_dir = false;
	int err;

	/* Taken before any file is looked at: see SETTLE_SEC. */
	clock_gettime(CLOCK_REALTIME, &now);
	mf_lock(ctx);
	md = ctx->moddir;
	if (!md) {
		mf_unlock(ctx);
		return -ENOENT;
	}
	md->scan++;
	md->n_seen = 0;
	why_dir[0] = '\0';
	err = scan_dir(&r, md, &cp, &todo, &now, &settled_dir, why_dir,
		       sizeof(why_dir));
	if (why_dir[0]) {
		/* Nothing is taken as removed from a directory not read. */
		if (!md->unsafe_said)
			say(&r, MF_EVENT_FAIL, "module directory", why_dir);
		md->unsafe_said = true;
		goto out;
	}
	md->unsafe_said = false;
	if (err == -ENOENT) {
		/* Nothing installed yet is a directory with nothing in it. */
		if (!md->missing_said) {
			char *why = mf_strdup_printf("%s does not exist: no loadable "
						     "modules until it does", md->dir);

			say(&r, MF_EVENT_NOTE, "module directory", why ? why : md->dir);
			mf_free(why);
			md->missing_said = true;
		}
		err = 0;
	} else if (err < 0) {
		char *why = mf_strdup_printf("%s: %s", md->dir, strerror(-err));

		/* Nothing is taken as removed from a directory not read. */
		say(&r, MF_EVENT_FAIL, "module directory", why ? why : md->dir);
		mf_free(why);
		goto out;
	} else {
		md->missing_said = false;
	}
	/* The cache stands for files not read yet: the first refresh that
	 * has files to read reads it, once. */
	if (md->cache_unread && todo.n > 0) {
		md->cache_unread = false;
		cache_read(&r, md, &cp);
	}
	/* One table for all of them, not one per doubling; without the
	 * memory, entry_get() grows it as it goes. */
	if (todo.n > 0)
		(void)mf_hash_reserve(&md->entries, md->entries.count + todo.n);
	/* The first reading adds every module: room for their records in
	 * one chunk of the slab (a hint; about what a module of a few lines
	 * takes). */
	if (md->scan == 1 && todo.n > 0 && todo.n < SIZE_MAX / SLAB_A_MODULE)
		mf_slab_reserve(&ctx->slab, todo.n * SLAB_A_MODULE);
	/* Each file is applied whole or not at all; one that could not be
	 * for lack of memory does not keep the others from being applied,
	 * and the refresh then says -ENOMEM: the next one finishes the job. */
	for (size_t i = 0; i < todo.n; i++) {
		int c = sync_one(&r, md, &cp, todo.fd, todo.names[i].base, &now);

		if (c > 0)
			r.changes += c;
		else if (c < 0 && !err)
			err = c;
	}
	if (forget_gone(&r, md, &cp) < 0 && !err)
		err = -ENOMEM;
	/* Records of files that are no more, or that changed. */
	if (cp.served < mf_modcache_count(cp.old))
		cp.dirty = true;
	/* Every name read (none left for want of memory): while the
	 * directory stays as found, they are all there is. */
	md->listed_ok = err == 0 && settled_dir;
	cache_write(&r, md, &cp, md->listed_ok ? &md->listed : NULL);
out:
	mf_unlock(ctx);
	cache_pass_free(&cp);
	todo_free(&todo);
	return err < 0 ? err : r.changes;
}

/* ---- the runtime's hooks (internal.h) ---------------------------------------- */

void mf_moddir_before_load(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	if (ctx->moddir)
		mf_moddir_refresh(ctx, ev, data);
}

void mf_moddir_before_boot(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	if (ctx->moddir && ctx->moddir->scan == 0)
		mf_moddir_refresh(ctx, ev, data);
}

unsigned mf_moddir_listings(struct mf_context *ctx)
{
	unsigned n;

	mf_lock(ctx);
	n = ctx->moddir ? ctx->moddir->listings : 0;
	mf_unlock(ctx);
	return n;
}

void mf_moddir_free(struct mf_context *ctx)
{
	struct mf_moddir *md = ctx->moddir;

	if (!md)
		return;
	mf_hash_fini(&md->entries, entry_fini);
	mf_free(md->dir);
	mf_free(md->path);
	mf_free(md->no_such);
	mf_free(md->cache);
	mf_free(md->cache_said);
	mf_free(md->write_said);
	mf_free(md);
	ctx->moddir = NULL;
}
