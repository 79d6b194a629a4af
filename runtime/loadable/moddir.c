/* SPDX-License-Identifier: MIT */
/*
 * The module directory: every <name>.manifest in it becomes a catalog entry
 * whose code is <name>.so beside it (backend_loadable.c).  Reading it maps
 * nothing: a manifest says all the loader needs to plan.
 *
 * The directory is known through its index, DIR/modules.index (modindex.c,
 * kmod's depmod model): the text of every accepted manifest in one file,
 * written by `manifold-gen index DIR` at build or install time, and by the
 * image whenever it finds the directory changed.  Whether it changed is one
 * stat() of the directory and one of the index: a name comes or goes only
 * by a change of the directory's mtime, and the index records the mtime the
 * directory had once the index was in place (mf_modindex_current()).  So:
 *
 *   index current, read already    nothing is read: what a load costs;
 *   index current, not read yet    it is read, one file (a boot);
 *   directory changed, or no index the directory is listed, each manifest
 *                                  read and checked, the index rewritten.
 *
 * A file rewritten in place (not renamed) leaves the directory as it was:
 * it is seen once the directory next changes.  A module file that no longer
 * matches the checksum its manifest had is refused at its start anyway.
 *
 * What each manifest does to the catalog is modentry.c's.
 *
 * Names come from file names and are names, never paths: a file whose name
 * is not [a-z0-9_]+.manifest, or whose manifest names another module, is
 * refused.  A name that the image has built in is an error too, and the
 * embedded module is kept.  Each refusal is reported once, however often the
 * directory is read, until the file changes its story.
 *
 * The core never calls this file: it registers hooks (hooks.h) that bring
 * the catalog up to date before a load looks modules up, say where else a
 * missing module was looked for, and free the state at the context's end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hooks.h"
#include "loadable/modentry.h"
#include "loadable/modindex.h"

static const struct mf_hooks moddir_hooks;

static struct mf_moddir *moddir_of(struct mf_context *ctx)
{
	return mf_hooks_data(ctx, &moddir_hooks);
}

static struct file_id id_of(const struct stat *st)
{
	return (struct file_id){
		.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
		.mtim = st->st_mtim, .ctim = st->st_ctim, .valid = st->st_mode != 0,
	};
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_id(const struct file_id *id, const struct stat *st)
{
	return id->valid && id->dev == st->st_dev && id->ino == st->st_ino &&
	       id->size == st->st_size && same_time(&id->mtim, &st->st_mtim) &&
	       same_time(&id->ctim, &st->st_ctim);
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
			 "user (uid %u); nothing in it is loaded", md->dir,
			 (unsigned)st->st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		snprintf(why, len, "%s: writable by group or others without the sticky "
			 "bit (mode %04o); nothing in it is loaded", md->dir,
			 (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* ---- a pass over the index --------------------------------------------- */

/* What the index says of the checks its manifests passed, for this context. */
static const char *checks_of(const struct mf_moddir *md, char *buf, size_t len)
{
	return mf_modindex_checks(buf, len, !(md->flags & MF_MODDIR_NO_PERM_CHECK),
				  (unsigned)geteuid());
}

/*
 * The catalog from the index file, @st its lstat(): every record parsed
 * first, then applied, so that an index found damaged half-way changes
 * nothing.  0 (applied), -ENOMEM, or another negative errno with the reason
 * in @why: the index cannot be used, the directory is to be read instead.
 */
static int index_pass(struct report *r, struct mf_moddir *md,
		      const struct stat *dir_st, char *why, size_t whylen)
{
	struct mf_modindex ix = { 0 };
	struct mf_manifest **ms = NULL;
	struct stat st;
	char *buf = NULL, pwhy[MF_ERR_MAX], checks[32];
	size_t len, parsed = 0;
	int err;

	md->index_reads++;
	err = mf_modfile_readat(AT_FDCWD, md->index, md->index, md->flags,
				MF_MODINDEX_TEXT_MAX * 64, &buf, &len, &st, why, whylen);
	if (err < 0)
		return err;
	err = mf_modindex_parse(buf, len, md->index, &ix, why, whylen);
	if (err < 0)
		goto out;
	/* Written before the directory last changed, or under other checks
	 * (it may lack what these accept, or hold what they refuse): read
	 * the directory, quietly. */
	if (!mf_modindex_current(dir_st, &ix) ||
	    strcmp(ix.checks, checks_of(md, checks, sizeof(checks))) != 0) {
		why[0] = '\0';
		err = -ESTALE;
		goto out;
	}
	ms = mf_calloc(ix.n + 1, sizeof(*ms));
	if (!ms) {
		err = -ENOMEM;
		goto out;
	}
	for (; parsed < ix.n; parsed++) {
		const struct mf_modindex_rec *rec = &ix.recs[parsed];

		manifest_path(md, rec->name);
		err = mf_manifest_parse(md->path, rec->text, rec->len,
					&ms[parsed], pwhy, sizeof(pwhy));
		if (err == 0 && strcmp(ms[parsed]->name, rec->name) != 0) {
			snprintf(pwhy, sizeof(pwhy), "its manifest describes module '%s'",
				 ms[parsed]->name);
			mf_manifest_free(ms[parsed]);
			err = -EINVAL;
		}
		if (err < 0) {
			/* Cut short, it still names the index, line and module. */
			if (err != -ENOMEM &&
			    snprintf(why, whylen, "%s:%u: module %s: %s", md->index,
				     rec->line, rec->name, pwhy) >= (int)whylen)
				why[whylen - 1] = '\0';
			goto out;
		}
	}
	if (ix.n)
		(void)mf_hash_reserve(&md->entries, md->entries.count + ix.n);
	md->pass++;
	for (size_t i = 0; i < ix.n; i++) {
		struct entry *e = entry_get(md, ix.recs[i].name);
		int c;

		/* Out of memory for one: the others are applied, and the
		 * index is read again by the next pass. */
		c = e ? apply(r, md, e, ms[i]) : (mf_manifest_free(ms[i]), -ENOMEM);
		ms[i] = NULL;
		if (c > 0)
			r->changes += c;
		else if (c < 0)
			err = c;
	}
	if (forget_gone(r, md, false) < 0)
		err = -ENOMEM;
	if (err == 0) {
		md->dir_seen = id_of(dir_st);
		md->index_seen = id_of(&st);
	}
out:
	for (size_t i = 0; i < parsed; i++)
		if (ms[i])
			mf_manifest_free(ms[i]);
	mf_free(ms);
	mf_modindex_fini(&ix);
	mf_free(buf);
	return err;
}

/* ---- a scan of the directory -------------------------------------------- */

/* The accepted manifests of one scan, for the index it writes. */
struct scan {
	char **names; /* the base names listed, sorted */
	size_t n, cap;
	struct mf_modindex_rec *recs; /* the accepted ones, for the index */
	size_t n_recs;
	char **texts; /* their texts, owned */
	bool complete; /* every file read to its own conclusion */
};

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		mf_free(s->names[i]);
	for (size_t i = 0; i < s->n_recs; i++)
		mf_free(s->texts[i]);
	mf_free(s->names);
	mf_free(s->recs);
	mf_free(s->texts);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The base names of DIR's *.manifest files, sorted: what to report comes
 * in name order, and the index is the same whatever readdir()'s order. */
static int list_names(struct mf_moddir *md, int fd, struct scan *s)
{
	static const char suffix[] = ".manifest";
	const size_t slen = sizeof(suffix) - 1;
	struct dirent *d;
	DIR *dp;
	int err = 0;

	md->listings++;
	dp = fdopendir(dup(fd));
	if (!dp)
		return -errno;
	while ((errno = 0, d = readdir(dp))) {
		size_t len = strlen(d->d_name);

		if (len <= slen || len - slen > NAME_MAX - slen ||
		    strcmp(d->d_name + len - slen, suffix) != 0)
			continue;
		if (s->n == s->cap) {
			size_t c = s->cap ? s->cap * 2 : 64;
			char **p = mf_realloc(s->names, c * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			s->names = p;
			s->cap = c;
		}
		s->names[s->n] = mf_strndup(d->d_name, len - slen);
		if (!s->names[s->n]) {
			err = -ENOMEM;
			break;
		}
		s->n++;
	}
	if (!err && errno)
		err = -errno;
	closedir(dp);
	if (s->n > 1)
		qsort(s->names, s->n, sizeof(*s->names), cmp_name);
	return err;
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

/* DIR/@base.manifest, read from the directory open as @dirfd. */
static int scan_one(struct report *r, struct mf_moddir *md, struct scan *s,
		    int dirfd, const char *base)
{
	struct entry *e = entry_get(md, base);
	const char *file = manifest_path(md, base);
	char why[MF_ERR_MAX], *text = NULL;
	struct mf_manifest *m = NULL;
	size_t len = 0;
	int err, c;

	if (!e)
		return -ENOMEM;
	e->seen = md->pass;
	if (!mf_file_name_ok(base)) {
		/* Its name alone decides, whatever the file says. */
		snprintf(why, sizeof(why),
			 "%s: '%s' is not a module name (a-z, 0-9 and _, at most "
			 "63): ignored", md->path, base);
		return refused(r, e, base, why);
	}
	err = mf_modfile_readat(dirfd, file, md->path, md->flags,
				MF_MODINDEX_TEXT_MAX, &text, &len, NULL, why, sizeof(why));
	if (err == 0)
		err = mf_manifest_parse(md->path, text, len, &m, why, sizeof(why));
	if (err == -ENOMEM) {
		mf_free(text);
		return err;
	}
	if (err < 0) {
		/* Not the file's doing: read again by the next pass. */
		if (!file_says(err) && err != -EINVAL)
			s->complete = false;
		mf_free(text);
		return refused(r, e, base, why);
	}
	if (strcmp(m->name, base) != 0) {
		snprintf(why, sizeof(why),
			 "%s: describes module '%s'; a manifest is named after "
			 "its module (%s.manifest)", md->path, m->name, m->name);
		mf_manifest_free(m);
		mf_free(text);
		return refused(r, e, base, why);
	}
	c = apply(r, md, e, m);
	/* Kept for the index: the text as read, under the entry's name
	 * (the hash's key, as long as the entry). */
	s->recs[s->n_recs] = (struct mf_modindex_rec){
		.name = base, .text = text, .len = len,
	};
	s->texts[s->n_recs++] = text;
	return c;
}

/* Write the index of what the scan accepted; a failure is said once. */
static void write_index(struct report *r, struct mf_moddir *md, struct scan *s,
			const struct stat *dir_before)
{
	struct stat dir_st, index_st;
	char why[MF_ERR_MAX], checks[32];

	if (mf_modindex_write(md->dir, checks_of(md, checks, sizeof(checks)), s->recs, s->n_recs, &dir_st, &index_st, why,
			      sizeof(why)) == 0) {
		mf_set_str(&md->write_said, NULL);
		md->dir_seen = id_of(&dir_st);
		md->index_seen = id_of(&index_st);
		return;
	}
	strncat(why, " (the directory is read whenever it changes, until the "
		"index can be written)", sizeof(why) - strlen(why) - 1);
	say_once(r, &md->write_said, MF_EVENT_NOTE, "module index", why);
	md->dir_seen = id_of(dir_before);
	if (lstat(md->index, &index_st) < 0)
		index_st.st_mode = 0;
	md->index_seen = id_of(&index_st);
}

/*
 * List the directory and read each manifest; then the index, rewritten.
 * The directory's own checks are made on the one opened.  -EPERM with the
 * reason in @why for a directory refused, -ENOENT when there is none.
 */
static int scan_pass(struct report *r, struct mf_moddir *md, char *why,
		     size_t whylen)
{
	struct scan s = { .complete = true };
	struct stat st;
	int fd, err;

	fd = open(md->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fstat(fd, &st) < 0 ? -errno : dir_unsafe(md, &st, why, whylen);
	if (err == 0)
		err = list_names(md, fd, &s);
	if (err == 0 && s.n) {
		s.recs = mf_malloc(s.n * sizeof(*s.recs));
		s.texts = mf_malloc(s.n * sizeof(*s.texts));
		if (!s.recs || !s.texts)
			err = -ENOMEM;
		else
			(void)mf_hash_reserve(&md->entries, md->entries.count + s.n);
	}
	if (err)
		goto out;
	md->pass++;
	/* Each file is applied whole or not at all; one that could not be
	 * for lack of memory does not keep the others from being applied,
	 * and the pass then says -ENOMEM: the next one finishes the job. */
	for (size_t i = 0; i < s.n; i++) {
		int c = scan_one(r, md, &s, fd, s.names[i]);

		if (c > 0)
			r->changes += c;
		else if (c < 0 && !err)
			err = c;
	}
	if (forget_gone(r, md, true) < 0 && !err)
		err = -ENOMEM;
	md->dir_seen.valid = false;
	if (err == 0 && s.complete)
		write_index(r, md, &s, &st);
out:
	close(fd);
	scan_free(&s);
	return err;
}

/* ---- bringing the catalog up to date ------------------------------------- */

static void index_note(struct report *r, struct mf_moddir *md, const char *why)
{
	char *note = mf_strdup_printf("%s; the directory is read instead", why);

	say_once(r, &md->index_said, MF_EVENT_NOTE, "module index", note ? note : why);
	mf_free(note);
}

/*
 * One stat() of the directory and one of the index; the index read when
 * it is current and not applied yet; the directory read when it changed
 * since the index was written.  Returns the changes or a negative errno;
 * the context is locked.
 */
static int sync_dir(struct report *r, struct mf_moddir *md)
{
	char why[MF_ERR_MAX];
	struct stat dir_st, index_st;
	bool have_index;
	int err;

	if (stat(md->dir, &dir_st) < 0) {
		err = -errno;
		goto dir_error;
	}
	why[0] = '\0';
	err = dir_unsafe(md, &dir_st, why, sizeof(why));
	if (err < 0)
		goto dir_error;
	md->unsafe_said = false;
	md->missing_said = false;
	have_index = lstat(md->index, &index_st) == 0;
	if (same_id(&md->dir_seen, &dir_st) &&
	    (have_index ? same_id(&md->index_seen, &index_st) : !md->index_seen.valid))
		return r->changes;
	/* An index taken in already stands for the directory as it was
	 * then, which changed: only another index is worth reading. */
	if (have_index && !same_id(&md->index_seen, &index_st)) {
		err = index_pass(r, md, &dir_st, why, sizeof(why));
		if (err == 0 || err == -ENOMEM) {
			mf_set_str(&md->index_said, NULL);
			return err < 0 ? err : r->changes;
		}
		if (why[0])
			index_note(r, md, why);
	}
	why[0] = '\0';
	err = scan_pass(r, md, why, sizeof(why));
	if (err == 0 || err == -ENOMEM)
		return err < 0 ? err : r->changes;

dir_error:
	if (why[0] && err == -EPERM) {
		/* Nothing is taken as removed from a directory not read. */
		if (!md->unsafe_said)
			say(r, MF_EVENT_FAIL, "module directory", why);
		md->unsafe_said = true;
		return err;
	}
	if (err == -ENOENT) {
		/* Nothing installed yet is a directory with nothing in it. */
		if (!md->missing_said) {
			char *note = mf_strdup_printf("%s does not exist: no loadable "
						      "modules until it does", md->dir);

			say(r, MF_EVENT_NOTE, "module directory", note ? note : md->dir);
			mf_free(note);
			md->missing_said = true;
		}
		return 0;
	}
	{
		char *note = mf_strdup_printf("%s: %s", md->dir, strerror(-err));

		say(r, MF_EVENT_FAIL, "module directory", note ? note : md->dir);
		mf_free(note);
	}
	return err;
}

/* ---- the hooks (hooks.h) -------------------------------------------------- */

static void before_lookup(struct mf_context *ctx, mf_event_fn ev, void *ev_data,
			  void *data)
{
	struct report r = { ctx, ev, ev_data, 0 };

	mf_lock(ctx);
	(void)sync_dir(&r, data);
	mf_unlock(ctx);
}

static const char *not_found(struct mf_context *ctx, void *data)
{
	(void)ctx;
	return ((struct mf_moddir *)data)->no_such;
}

static void release(struct mf_context *ctx, void *data)
{
	struct mf_moddir *md = data;

	(void)ctx;
	mf_hash_fini(&md->entries, entry_fini);
	mf_free(md->dir);
	mf_free(md->index);
	mf_free(md->path);
	mf_free(md->no_such);
	mf_free(md->index_said);
	mf_free(md->write_said);
	mf_free(md);
}

static const struct mf_hooks moddir_hooks = {
	.before_lookup = before_lookup,
	.not_found = not_found,
	.release = release,
};

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
	mf_hash_init(&md->entries);
	len = strlen(dir);
	/* "dir/" and "dir" are one directory; messages show "dir/x.so". */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	md->dir = mf_strndup(dir, len);
	md->dirlen = len;
	md->path = mf_malloc(len + 1 + NAME_MAX + 1);
	md->index = mf_strdup_printf("%s/%s", md->dir ? md->dir : "",
				     MF_MODINDEX_NAME);
	md->no_such = mf_strdup_printf("no such module (neither in the image "
				       "nor in %s)", md->dir ? md->dir : "");
	if (!md->dir || !md->path || !md->index || !md->no_such)
		goto err_md;
	memcpy(md->path, md->dir, len);
	md->path[len] = '/';
	md->flags = flags;
	mf_lock(ctx);
	err = moddir_of(ctx) ? -EBUSY : mf_hooks_add(ctx, &moddir_hooks, md);
	mf_unlock(ctx);
	if (err == 0)
		return 0;
err_md:
	release(ctx, md);
	return err;
}

const char *mf_moddir_path(struct mf_context *ctx)
{
	struct mf_moddir *md = moddir_of(ctx);

	return md ? md->dir : NULL;
}

const char *mf_moddir_no_such_module(struct mf_context *ctx)
{
	struct mf_moddir *md = moddir_of(ctx);

	return md ? md->no_such : NULL;
}

int mf_moddir_refresh(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	struct report r = { ctx, ev, data, 0 };
	struct mf_moddir *md;
	int n;

	mf_lock(ctx);
	md = moddir_of(ctx);
	n = md ? sync_dir(&r, md) : -ENOENT;
	mf_unlock(ctx);
	return n;
}

void mf_moddir_counts(struct mf_context *ctx, unsigned *listings,
		      unsigned *index_reads)
{
	struct mf_moddir *md;

	mf_lock(ctx);
	md = moddir_of(ctx);
	*listings = md ? md->listings : 0;
	*index_reads = md ? md->index_reads : 0;
	mf_unlock(ctx);
}
