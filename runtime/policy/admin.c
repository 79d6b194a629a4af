/* SPDX-License-Identifier: MIT */
/*
 * The administrator's configuration applied to a context, and boot.
 *
 * neverload is a ban by name, kept in the context and checked by the
 * resolver for every reason a module might start (a request, autoload, a
 * dependency), so a module installed later under a banned name is banned
 * too.  Only editing modules.conf and restarting lifts it: nothing here
 * removes a ban.
 *
 * modules.conf [uses] lines and extconfig.conf drivers become extra [uses]
 * lines of the modules they name, recorded with where they came from.  They
 * then take part in provider choice, ordering and unload protection exactly
 * like the manifest's own: "chan_sip=pbx_config" means pbx_config cannot stop
 * while chan_sip runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>

#include "core/internal.h"

struct mf_admin_use {
	char *type;
	char *name;
	char *why;
};

struct mf_admin_uses {
	struct mf_admin_use *items;
	size_t n, cap;
};

static void admin_uses_free(void *value)
{
	struct mf_admin_uses *list = value;

	for (size_t i = 0; i < list->n; i++) {
		mf_free(list->items[i].type);
		mf_free(list->items[i].name);
		mf_free(list->items[i].why);
	}
	mf_free(list->items);
	mf_free(list);
}

/* What the configuration keeps in a context (the hooks' data). */
struct admin {
	struct mf_hash neverload;  /* name -> "modules.conf:7" (char *) */
	struct mf_hash admin_uses; /* user name -> struct mf_admin_uses */
};

static int admin_module_added(struct mf_context *ctx, struct mf_module *mod,
			      void *data);
static const char *admin_refusal(struct mf_context *ctx,
				 const struct mf_module *mod, void *data);
static void admin_release(struct mf_context *ctx, void *data);

static const struct mf_hooks admin_hooks = {
	.module_added = admin_module_added,
	.refusal = admin_refusal,
	.release = admin_release,
};

/* The context's configuration state; made on first need when @create. */
static struct admin *admin_of(struct mf_context *ctx, bool create)
{
	struct admin *a = mf_hooks_data(ctx, &admin_hooks);

	if (a || !create)
		return a;
	a = mf_calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	mf_hash_init(&a->neverload);
	mf_hash_init(&a->admin_uses);
	if (mf_hooks_add(ctx, &admin_hooks, a) < 0) {
		mf_free(a);
		return NULL;
	}
	return a;
}

static void admin_release(struct mf_context *ctx, void *data)
{
	struct admin *a = data;

	(void)ctx;
	mf_hash_fini(&a->neverload, mf_free);
	mf_hash_fini(&a->admin_uses, admin_uses_free);
	mf_free(a);
}

/* Why a module of this name is banned ("modules.conf:7"), or NULL. */
static const char *neverload_of(struct mf_context *ctx, const char *name)
{
	struct admin *a = admin_of(ctx, false);

	return a ? mf_hash_get(&a->neverload, name) : NULL;
}

static const char *admin_refusal(struct mf_context *ctx,
				 const struct mf_module *mod, void *data)
{
	(void)ctx;
	return mf_hash_get(&((struct admin *)data)->neverload, mod->name);
}

/*
 * Append one use to a stopped module.  Its per-use arrays grow first (a
 * bigger array than n_uses needs is harmless), then the new line's strings
 * are made, and only then does anything the module shows change: on
 * -ENOMEM the module is as it was.
 */
static int module_add_use(struct mf_module *mod, const struct mf_admin_use *u)
{
	unsigned n = mod->n_uses + 1;
	struct mf_table_ref *refs;
	char **why, *type, *name, *w;

	for (unsigned i = 0; i < mod->n_uses; i++)
		if (strcmp(mod->uses[i].type, u->type) == 0 &&
		    strcmp(mod->uses[i].name, u->name) == 0)
			return 0; /* the manifest says so already */
	why = mf_realloc(mod->use_why, n * sizeof(*why));
	if (!why)
		return -ENOMEM;
	if (!mod->use_why) /* the manifest's own lines have no why */
		for (unsigned i = 0; i < n; i++)
			why[i] = NULL;
	mod->use_why = why;
	if (mf_module_reserve_uses(mod, n) < 0)
		return -ENOMEM;
	refs = mf_malloc(n * sizeof(*refs));
	type = mf_strdup(u->type);
	name = mf_strdup(u->name);
	w = mf_strdup(u->why);
	if (!refs || !type || !name || !w) {
		mf_free(refs);
		mf_free(type);
		mf_free(name);
		mf_free(w);
		return -ENOMEM;
	}
	/* A table leaves uses NULL for a module without [uses] lines. */
	if (n > 1)
		memcpy(refs, mod->uses, (n - 1) * sizeof(*refs));
	refs[n - 1] = (struct mf_table_ref){ .type = type, .name = name };
	why[n - 1] = w;
	if (!mod->uses_owned)
		mod->n_base_uses = mod->n_uses;
	mf_free(mod->uses_owned);
	mod->uses_owned = refs;
	mod->uses = refs;
	mod->n_uses = n;
	return 0;
}

/* Undo module_add_use() back to @n uses (mf_config_apply() failed). */
static void module_drop_uses(struct mf_module *mod, unsigned n)
{
	while (mod->n_uses > n) {
		unsigned i = --mod->n_uses;

		mf_free((char *)mod->uses_owned[i].type);
		mf_free((char *)mod->uses_owned[i].name);
		mf_free(mod->use_why[i]);
		mod->use_why[i] = NULL;
	}
}

/* Give a module the administrator's [uses] for it (entering the catalog,
 * or stopped when a configuration applies). */
static int extend_module(struct admin *a, struct mf_module *mod)
{
	struct mf_admin_uses *list = mf_hash_get(&a->admin_uses, mod->name);
	int err = 0;

	for (size_t i = 0; list && i < list->n && err == 0; i++)
		err = module_add_use(mod, &list->items[i]);
	return err;
}

static int admin_module_added(struct mf_context *ctx, struct mf_module *mod,
			      void *data)
{
	(void)ctx;
	return extend_module(data, mod);
}

/*
 * What mf_config_apply() changed so far, taken back if it fails: a
 * configuration applies whole or not at all (a ban half applied is worse
 * than none: the administrator would believe it holds).
 */
struct undo_use {
	const char *user;
	struct mf_admin_uses *list;
	size_t old_n;
	bool created;
};

struct apply_undo {
	struct admin *admin;
	const char **bans; /* names this call put into admin->neverload */
	size_t n_bans;
	struct undo_use *uses;
	size_t n_uses;
	unsigned *old_n_uses; /* [ctx->modules.n] */
};

static int admin_use_add(struct apply_undo *undo,
			 const char *user, const char *type, const char *name,
			 char *why)
{
	struct mf_admin_uses *list = mf_hash_get(&undo->admin->admin_uses, user);
	bool created = false;
	struct mf_admin_use *u;

	if (!why)
		return -ENOMEM;
	if (!list) {
		list = mf_calloc(1, sizeof(*list));
		if (!list || mf_hash_put(&undo->admin->admin_uses, user, list) < 0) {
			mf_free(list);
			mf_free(why);
			return -ENOMEM;
		}
		created = true;
	}
	undo->uses[undo->n_uses++] = (struct undo_use){ user, list, list->n, created };
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 4;
		void *p = mf_realloc(list->items, cap * sizeof(*list->items));

		if (!p) {
			mf_free(why);
			return -ENOMEM;
		}
		list->items = p;
		list->cap = cap;
	}
	u = &list->items[list->n];
	u->type = mf_strdup(type);
	u->name = mf_strdup(name);
	u->why = why;
	if (!u->type || !u->name) {
		mf_free(u->type);
		mf_free(u->name);
		mf_free(why);
		return -ENOMEM;
	}
	list->n++;
	return 0;
}

static void undo_apply(struct mf_context *ctx, struct apply_undo *undo)
{
	for (size_t k = 0; k < ctx->modules.n; k++)
		module_drop_uses(ctx->modules.items[k], undo->old_n_uses[k]);
	while (undo->n_uses) {
		struct undo_use *r = &undo->uses[--undo->n_uses];

		while (r->list->n > r->old_n) {
			struct mf_admin_use *u = &r->list->items[--r->list->n];

			mf_free(u->type);
			mf_free(u->name);
			mf_free(u->why);
		}
		if (r->created)
			admin_uses_free(mf_hash_remove(&undo->admin->admin_uses, r->user));
	}
	while (undo->n_bans)
		mf_free(mf_hash_remove(&undo->admin->neverload,
				       undo->bans[--undo->n_bans]));
}

static void note(struct mf_context *ctx, mf_event_fn ev, void *data,
		 enum mf_event_kind kind, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void note(struct mf_context *ctx, mf_event_fn ev, void *data,
		 enum mf_event_kind kind, const char *module, const char *fmt, ...)
{
	struct mf_event e = { .kind = kind, .module = module };
	char buf[MF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e.detail = buf;
	if (ev)
		ev(data, &e);
	else
		MF_LOG(ctx, kind == MF_EVENT_FAIL ? MF_LOG_ERR : MF_LOG_NOTICE,
		       "%s: %s", module, buf);
}

static bool has_config(const struct mf_module *mod, const char *file)
{
	for (unsigned i = 0; i < mod->n_configs; i++)
		if (strcmp(mod->configs[i], file) == 0)
			return true;
	return false;
}

int mf_config_apply(struct mf_context *ctx, const struct mf_config *cfg,
		    mf_event_fn ev, void *data)
{
	const char *path = cfg->path ? cfg->path : "modules.conf";
	const char *ext_path = cfg->ext_path ? cfg->ext_path : "extconfig.conf";
	struct apply_undo undo = { 0 };
	size_t n_uses = cfg->n_uses;
	int err = 0;

	mf_lock(ctx);
	/* Nothing to keep, nothing to make room for. */
	if (!cfg->n_neverload && !cfg->n_uses && !cfg->n_ext)
		goto out;
	undo.admin = admin_of(ctx, true);
	if (!undo.admin) {
		err = -ENOMEM;
		goto out;
	}
	/* Room to remember every change, before making any. */
	for (size_t i = 0; i < cfg->n_ext; i++)
		for (size_t k = 0; k < ctx->modules.n; k++)
			n_uses += has_config(ctx->modules.items[k], cfg->ext[i].file);
	undo.bans = mf_calloc(cfg->n_neverload + 1, sizeof(*undo.bans));
	undo.uses = mf_calloc(n_uses + 1, sizeof(*undo.uses));
	undo.old_n_uses = mf_calloc(ctx->modules.n + 1, sizeof(*undo.old_n_uses));
	if (!undo.bans || !undo.uses || !undo.old_n_uses) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < ctx->modules.n; k++)
		undo.old_n_uses[k] = ctx->modules.items[k]->n_uses;

	for (size_t i = 0; i < cfg->n_neverload && err == 0; i++) {
		const struct mf_config_item *it = &cfg->neverload[i];
		char *why = mf_strdup_printf("%s:%u", path, it->line);
		int r = why ? mf_hash_put(&undo.admin->neverload, it->name, why) : -ENOMEM;

		if (r == -ENOMEM) {
			mf_free(why);
			err = r;
			break;
		}
		if (r == -EEXIST)
			mf_free(why); /* banned twice: the first line stands */
		else
			undo.bans[undo.n_bans++] = it->name;
		if (!mf_hash_get(&ctx->by_name, it->name))
			note(ctx, ev, data, MF_EVENT_NOTE, it->name,
			     "%s:%u: neverload of a module this image does not have",
			     path, it->line);
	}
	for (size_t i = 0; i < cfg->n_uses && err == 0; i++) {
		const struct mf_config_use *u = &cfg->uses[i];

		err = admin_use_add(&undo, u->user, u->type, u->name,
				    mf_strdup_printf("%s:%u", path, u->line));
		if (err == 0 && !mf_hash_get(&ctx->by_name, u->user))
			note(ctx, ev, data, MF_EVENT_NOTE, u->user,
			     "%s:%u: [uses] for a module this image does not have",
			     path, u->line);
	}
	/* extconfig.conf: FILE => DRIVER makes every module reading FILE use
	 * the provider of realtime=DRIVER. */
	for (size_t i = 0; i < cfg->n_ext && err == 0; i++) {
		const struct mf_extconfig *x = &cfg->ext[i];
		bool any = false;

		for (size_t k = 0; k < ctx->modules.n && err == 0; k++) {
			struct mf_module *mod = ctx->modules.items[k];

			if (!has_config(mod, x->file))
				continue;
			any = true;
			err = admin_use_add(&undo, mod->name, "realtime", x->driver,
					    mf_strdup_printf("%s:%u", ext_path, x->line));
		}
		if (err == 0 && !any)
			note(ctx, ev, data, MF_EVENT_NOTE, x->file,
			     "%s:%u: no module reads %s", ext_path, x->line, x->file);
	}
	for (size_t k = 0; k < ctx->modules.n && err == 0; k++)
		if (ctx->modules.items[k]->state == MF_STATE_STOPPED)
			err = extend_module(undo.admin, ctx->modules.items[k]);
	if (err < 0)
		undo_apply(ctx, &undo);
out:
	mf_unlock(ctx);
	mf_free(undo.bans);
	mf_free(undo.uses);
	mf_free(undo.old_n_uses);
	return err;
}

/* ---- boot --------------------------------------------------------------- */

struct boot_req {
	struct mf_request req;
	char *why;
	bool required;
};

/*
 * For a boot that plans, the modules its requests name, so that mf_load()
 * need not look each up by name again: br[first..n) are autoload's, a
 * subsequence of the catalog named by the catalog's own strings; the
 * require= and load= lines before them are left to look up (NULL).  NULL
 * when there is nothing to find or no memory for it: then all are looked
 * up, which finds the same modules.
 */
static struct mf_module **autoload_modules(struct mf_context *ctx,
					   const struct boot_req *br,
					   size_t first, size_t n)
{
	struct mf_module **known;
	size_t k = 0;

	if (first == n || !(known = mf_malloc(n * sizeof(*known))))
		return NULL;
	for (size_t i = 0; i < first; i++)
		known[i] = NULL;
	for (size_t i = first; i < n; i++) {
		while (k < ctx->modules.n && ctx->modules.items[k]->name != br[i].req.name)
			k++;
		known[i] = k < ctx->modules.n ? ctx->modules.items[k++] : NULL;
	}
	return known;
}

int mf_boot(struct mf_context *ctx, const struct mf_config *cfg, mf_event_fn ev,
	    void *data)
{
	const char *path = cfg->path ? cfg->path : "modules.conf";
	bool require_failed = false, load_failed = false;
	struct mf_request *reqs = NULL;
	struct mf_module **known = NULL;
	struct boot_req *br = NULL;
	char *autoload_why = NULL;
	unsigned flags = 0;
	size_t cap, n = 0, n_explicit;
	int err = 0;

	/* Autoload sees the catalog as the layers above bring it up to
	 * date (a module directory that changed).  Then it is counted. */
	mf_hooks_before_lookup(ctx, ev, data);
	mf_lock(ctx);
	cap = cfg->n_require + cfg->n_load + ctx->modules.n + 1;
	br = mf_calloc(cap, sizeof(*br));
	reqs = mf_calloc(cap, sizeof(*reqs));
	if (!br || !reqs) {
		mf_unlock(ctx);
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cfg->n_require; i++) {
		const char *ban = neverload_of(ctx, cfg->require[i].name);

		if (ban) {
			note(ctx, ev, data, MF_EVENT_FAIL, cfg->require[i].name,
			     "%s:%u: required, but neverloaded at %s", path,
			     cfg->require[i].line, ban);
			require_failed = true;
			continue;
		}
		br[n].req.name = cfg->require[i].name;
		br[n].why = mf_strdup_printf("%s:%u require", path, cfg->require[i].line);
		br[n++].required = true;
	}
	for (size_t i = 0; i < cfg->n_load; i++) {
		const char *ban = neverload_of(ctx, cfg->load[i].name);

		if (ban) {
			note(ctx, ev, data, MF_EVENT_NOTE, cfg->load[i].name,
			     "%s:%u: load ignored, neverloaded at %s", path,
			     cfg->load[i].line, ban);
			continue;
		}
		br[n].req.name = cfg->load[i].name;
		br[n++].why = mf_strdup_printf("%s:%u load", path, cfg->load[i].line);
	}
	/* Only require= and load= lines can name a module twice. */
	n_explicit = n;
	if (cfg->autoload) {
		/* Every autoloaded module has the same reason: one string. */
		autoload_why = cfg->autoload_line ?
			mf_strdup_printf("%s:%u autoload", path, cfg->autoload_line) :
			mf_strdup("autoload");

		for (size_t k = 0; k < ctx->modules.n; k++) {
			const char *name = ctx->modules.items[k]->name;
			bool dup = false;

			if (neverload_of(ctx, name))
				continue;
			for (size_t i = 0; i < n_explicit && !dup; i++)
				dup = strcmp(br[i].req.name, name) == 0;
			if (dup)
				continue;
			br[n].req.name = name;
			br[n++].why = autoload_why;
		}
	}
	known = autoload_modules(ctx, br, n_explicit, n);
	mf_unlock(ctx);
	for (size_t i = 0; i < n; i++) {
		if (!br[i].why) {
			err = -ENOMEM;
			goto out;
		}
		reqs[i] = br[i].req;
		reqs[i].why = br[i].why;
	}
	if (!require_failed)
		mf_load_known(ctx, reqs, known, n, flags, ev, data);
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].result == 0)
			continue;
		if (br[i].required) {
			struct mf_module *mod;

			require_failed = true;
			note(ctx, ev, data, MF_EVENT_FAIL, reqs[i].name,
			     "%s: required module did not start%s%s", br[i].why,
			     mf_module_find(ctx, reqs[i].name, &mod) == 0 &&
			     mod->last_error ? ": " : "",
			     mf_module_find(ctx, reqs[i].name, &mod) == 0 &&
			     mod->last_error ? mod->last_error : "");
		} else {
			load_failed = true;
		}
	}
	if (require_failed) {
		/* A require= that cannot be met stops the whole boot. */
		mf_stop_all(ctx, ev, data);
		err = -ENOTRECOVERABLE;
	} else if (load_failed) {
		err = -EIO;
	}
out:
	for (size_t i = 0; br && i < n; i++)
		if (br[i].why != autoload_why)
			mf_free(br[i].why);
	mf_free(autoload_why);
	mf_free(br);
	mf_free(reqs);
	mf_free(known);
	return err;
}
