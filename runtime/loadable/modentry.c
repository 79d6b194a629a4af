/* SPDX-License-Identifier: MIT */
/*
 * The catalog's side of the module directory: each manifest file the
 * directory (moddir.c) found, from a scan or from its index, applied to the
 * catalog in place.  Catalog entries are never taken out (other modules'
 * plans, the console and API users may hold pointers to them):
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
 * Each refusal is reported once, however often the directory is read,
 * until the file changes its story.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "loadable/modentry.h"

void say(struct report *r, enum mf_event_kind kind, const char *module,
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

/* Say @why about @module unless it was the last thing said (*@said). */
void say_once(struct report *r, char **said, enum mf_event_kind kind,
		     const char *module, const char *why)
{
	if (*said && strcmp(*said, why) == 0)
		return;
	mf_set_str(said, mf_strdup(why));
	say(r, kind, module, why);
}

/* Report a refusal of @name's file unless it was the last thing said of it. */
static void refuse(struct report *r, struct entry *e, const char *name,
		   const char *why)
{
	say_once(r, &e->said, MF_EVENT_FAIL, name, why);
}


struct entry *entry_get(struct mf_moddir *md, const char *base)
{
	bool created;

	return mf_hash_intern(&md->entries, base, sizeof(struct entry), &created);
}

/* What @e holds; the entry itself goes with its hash entry. */
void entry_fini(void *value)
{
	struct entry *e = value;

	mf_free(e->said);
	mf_free(e->unavailable);
}

/* md->path becomes DIR/@base.manifest; the file name part is returned. */
const char *manifest_path(struct mf_moddir *md, const char *base)
{
	size_t blen = strlen(base);

	memcpy(md->path + md->dirlen + 1, base, blen);
	memcpy(md->path + md->dirlen + 1 + blen, ".manifest", sizeof(".manifest"));
	return md->path + md->dirlen + 1;
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
			return -ENOMEM; /* the old one stands */
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
	struct mf_module *other = NULL;
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
	err = mf_loadable_new(&r->ctx->slab, md->dir, m, md->flags, &ld);
	if (err == 0)
		err = mf_catalog_add_manifest(r->ctx, m, &mf_loadable_backend, ld);
	if (err < 0) {
		if (ld)
			mf_loadable_backend.release(ld);
		if (err != -ENOMEM) {
			snprintf(why, sizeof(why), "%s: cannot add it to the catalog: %s",
				 m->path, strerror(-err));
			refuse(r, e, m->name, why);
			err = 0;
		}
		mf_manifest_free(m);
		return err;
	}
	/* The catalog owns m now; its entry is found by name. */
	e->ld = ld;
	if (mf_module_find(r->ctx, m->name, &e->mod) < 0)
		return -ENOMEM;
	mf_set_str(&e->said, NULL);
	if (md->pass > 1)
		say(r, MF_EVENT_NOTE, e->mod->name, "new in the module directory");
	return 1;
}

/* @m, the manifest of @e's file, into the catalog: 0 or 1 change, -ENOMEM. */
int apply(struct report *r, struct mf_moddir *md, struct entry *e,
		 struct mf_manifest *m)
{
	int c;

	e->seen = md->pass;
	if (!e->mod)
		return add_entry(r, md, e, m); /* takes m */
	c = update_entry(r, e, m);
	mf_manifest_free(m);
	mf_set_str(&e->said, NULL);
	return c;
}

/* A file refused for @why: said once, and its module (if any) unavailable. */
int refused(struct report *r, struct entry *e, const char *name,
		   const char *why)
{
	refuse(r, e, name, why);
	/* A module whose manifest went bad cannot be trusted to start. */
	return e->mod ? make_unavailable(r, e, "its manifest is refused (see the "
					 "module directory's messages)") : 0;
}

/*
 * The modules the last pass did not find.  @all: a scan, which saw every
 * file, refused ones too; an index holds only accepted manifests, so after
 * it the refused files the last scan saw are still remembered.
 */
int forget_gone(struct report *r, struct mf_moddir *md, bool all)
{
	struct mf_hash_entry **gone;
	size_t n = 0;

	gone = mf_malloc((md->entries.count + 1) * sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	for (size_t b = 0; b < md->entries.n_buckets; b++)
		for (struct mf_hash_entry *h = md->entries.buckets[b]; h; h = h->next) {
			struct entry *e = h->value;

			if (e->seen != md->pass && (all || e->mod))
				gone[n++] = h;
		}
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
			entry_fini(e);
			mf_hash_remove(&md->entries, gone[i]->key);
		}
	}
	mf_free(gone);
	return 0;
}
