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
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "loadable.h"

/* Far more than any manifest needs; a bigger file is not one. */
#define MANIFEST_MAX (1024 * 1024)

/* One *.manifest file of the directory, known by its base name. */
struct entry {
	struct mf_module *mod;	/* its catalog entry, once added */
	struct mf_loadable *ld; /* mod's backend data */
	char *said;		/* the last refusal reported for this file */
	char *unavailable;	/* why mod cannot start (mod->unavailable) */
	unsigned seen;		/* scan number that last found the file */
};

struct mf_moddir {
	char *dir;
	unsigned flags;
	unsigned scan;	   /* scans made so far */
	bool missing_said; /* "directory does not exist" reported */
	bool unsafe_said;  /* "directory refused" reported */
	char *no_such;	   /* mf_moddir_no_such_module() */
	struct mf_hash entries; /* base name -> struct entry */
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

/* Module names as files may spell them: lower case, digits, '_'. */
static bool file_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* ---- reading the directory ------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mf_free(names[i]);
	mf_free(names);
}

/* The base names of DIR/<base>.manifest, sorted: a deterministic order. */
static int list_manifests(const char *dir, char ***out, size_t *n_out)
{
	static const char suffix[] = ".manifest";
	const size_t slen = sizeof(suffix) - 1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dp;
	int err = 0;

	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((errno = 0, d = readdir(dp))) {
		size_t len = strlen(d->d_name);

		if (len <= slen || strcmp(d->d_name + len - slen, suffix) != 0)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 32;
			char **p = mf_realloc(names, c * sizeof(*names));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			names = p;
			cap = c;
		}
		names[n] = mf_strndup(d->d_name, len - slen);
		if (!names[n]) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	if (!err && errno)
		err = -errno;
	closedir(dp);
	if (err) {
		free_names(names, n);
		return err;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*n_out = n;
	return 0;
}

static struct entry *entry_get(struct mf_moddir *md, const char *base)
{
	struct entry *e = mf_hash_get(&md->entries, base);

	if (e)
		return e;
	e = mf_calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (mf_hash_put(&md->entries, base, e) < 0) {
		mf_free(e);
		return NULL;
	}
	return e;
}

static void entry_free(void *value)
{
	struct entry *e = value;

	mf_free(e->said);
	mf_free(e->unavailable);
	mf_free(e);
}

/*
 * Whoever may create, rename or remove files in the directory decides what
 * the image runs, whatever the files' own modes: the directory too must
 * belong to root or the image's user, and group and others may write it only
 * with the sticky bit (then they cannot touch files that are not theirs, and
 * theirs are refused by the file checks).  0, or -EPERM with the reason.
 */
static int dir_unsafe(const struct mf_moddir *md, char *why, size_t len)
{
	struct stat st;

	if (md->flags & MF_MODDIR_NO_PERM_CHECK || stat(md->dir, &st) < 0)
		return 0; /* a missing directory is reported when read */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, len, "%s: owned by uid %u, neither root nor this image's "
			 "user (uid %u); nothing in it is loaded (the image's -P turns "
			 "this check off)", md->dir, (unsigned)st.st_uid,
			 (unsigned)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(why, len, "%s: writable by group or others without the sticky "
			 "bit (mode %04o); nothing in it is loaded (the image's -P turns "
			 "this check off)", md->dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
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

static int add_entry(struct report *r, struct mf_moddir *md, struct entry *e,
		     struct mf_manifest *m)
{
	struct mf_loadable *ld = NULL;
	struct mf_module *other;
	char why[MF_ERR_MAX];
	int err;

	if (mf_module_find(r->ctx, m->name, &other) == 0) {
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
	err = mf_loadable_new(md->dir, m, md->flags, &ld);
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
	mf_module_find(r->ctx, m->name, &e->mod);
	mf_set_str(&e->said, NULL);
	if (md->scan > 1)
		say(r, MF_EVENT_NOTE, e->mod->name, "new in the module directory");
	return 1;
}

static int sync_one(struct report *r, struct mf_moddir *md, const char *base)
{
	struct entry *e = entry_get(md, base);
	char why[MF_ERR_MAX], *path = NULL, *buf = NULL;
	struct mf_manifest *m = NULL;
	size_t len;
	int err;

	if (!e)
		return -ENOMEM;
	e->seen = md->scan;
	path = mf_strdup_printf("%s/%s.manifest", md->dir, base);
	if (!path)
		return -ENOMEM;
	if (!file_name_ok(base)) {
		snprintf(why, sizeof(why),
			 "%s: '%s' is not a module name (a-z, 0-9 and _, at most "
			 "63): ignored", path, base);
		goto refused;
	}
	err = mf_modfile_read(path, md->flags, MANIFEST_MAX, &buf, &len, why, sizeof(why));
	if (err == 0) {
		err = mf_manifest_parse(path, buf, len, &m, why, sizeof(why));
		mf_free(buf);
	}
	if (err == -ENOMEM) {
		/* Lack of memory says nothing about the file: leave its
		 * module as it is, for the next refresh to read again. */
		mf_free(path);
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
	mf_free(path);
	if (e->mod) {
		err = update_entry(r, e, m);
		mf_manifest_free(m);
		mf_set_str(&e->said, NULL);
		return err;
	}
	return add_entry(r, md, e, m);

refused:
	refuse(r, e, base, why);
	mf_free(path);
	/* A module whose manifest went bad cannot be trusted to start. */
	if (e->mod)
		return make_unavailable(r, e,
			"its manifest is refused (see the module directory's messages)");
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct mf_hash_entry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* The files the last scan did not find, in name order. */
static int forget_gone(struct report *r, struct mf_moddir *md)
{
	struct mf_hash_entry **gone;
	size_t n = 0;

	gone = mf_malloc((md->entries.count + 1) * sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	for (size_t b = 0; b < md->entries.n_buckets; b++)
		for (struct mf_hash_entry *h = md->entries.buckets[b]; h; h = h->next)
			if (((struct entry *)h->value)->seen != md->scan)
				gone[n++] = h;
	if (n)
		qsort(gone, n, sizeof(*gone), cmp_key);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = gone[i]->value;

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
			entry_free(mf_hash_remove(&md->entries, gone[i]->key));
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
	md->no_such = mf_strdup_printf("no such module (neither in the image "
				       "nor in %s)", md->dir);
	if (!md->no_such)
		goto err_dir;
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
err_dir:
	mf_free(md->dir);
err_md:
	mf_free(md);
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
	char why_dir[MF_ERR_MAX];
	struct mf_moddir *md;
	char **names = NULL;
	size_t n = 0;
	int err;

	mf_lock(ctx);
	md = ctx->moddir;
	if (!md) {
		mf_unlock(ctx);
		return -ENOENT;
	}
	md->scan++;
	err = dir_unsafe(md, why_dir, sizeof(why_dir));
	if (err < 0) {
		/* Nothing is taken as removed from a directory not read. */
		if (!md->unsafe_said)
			say(&r, MF_EVENT_FAIL, "module directory", why_dir);
		md->unsafe_said = true;
		goto out;
	}
	md->unsafe_said = false;
	err = list_manifests(md->dir, &names, &n);
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
	/* Each file is applied whole or not at all; one that could not be
	 * for lack of memory does not keep the others from being applied,
	 * and the refresh then says -ENOMEM: the next one finishes the job. */
	for (size_t i = 0; i < n; i++) {
		int c = sync_one(&r, md, names[i]);

		if (c > 0)
			r.changes += c;
		else if (c < 0 && !err)
			err = c;
	}
	if (forget_gone(&r, md) < 0 && !err)
		err = -ENOMEM;
out:
	mf_unlock(ctx);
	free_names(names, n);
	return err < 0 ? err : r.changes;
}

/* ---- the runtime's hooks (internal.h) ---------------------------------------- */

void mf_moddir_before_load(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	if (ctx->moddir)
		mf_moddir_refresh(ctx, ev, data);
}

void mf_moddir_free(struct mf_context *ctx)
{
	struct mf_moddir *md = ctx->moddir;

	if (!md)
		return;
	mf_hash_fini(&md->entries, entry_free);
	mf_free(md->dir);
	mf_free(md->no_such);
	mf_free(md);
	ctx->moddir = NULL;
}
