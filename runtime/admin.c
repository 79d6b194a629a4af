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

#include "internal.h"

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
		free(list->items[i].type);
		free(list->items[i].name);
		free(list->items[i].why);
	}
	free(list->items);
	free(list);
}

void mf_admin_free(struct mf_context *ctx)
{
	mf_hash_fini(&ctx->neverload, free);
	mf_hash_fini(&ctx->admin_uses, admin_uses_free);
}

const char *mf_admin_neverload(struct mf_context *ctx, const char *name)
{
	return mf_hash_get(&ctx->neverload, name);
}

void mf_module_free_admin_uses(struct mf_module *mod)
{
	for (unsigned i = mod->n_base_uses; mod->uses_owned && i < mod->n_uses; i++) {
		free((char *)mod->uses_owned[i].type);
		free((char *)mod->uses_owned[i].name);
	}
	for (unsigned i = 0; mod->use_why && i < mod->n_uses; i++)
		free(mod->use_why[i]);
	free(mod->use_why);
	free(mod->uses_owned);
}

/* Append one use to a stopped module; its arrays grow by one. */
static int module_add_use(struct mf_module *mod, const struct mf_admin_use *u)
{
	unsigned n = mod->n_uses + 1;
	struct mf_table_ref *refs;
	struct mf_module **chosen, **plan_choice;
	char **why;

	for (unsigned i = 0; i < mod->n_uses; i++)
		if (strcmp(mod->uses[i].type, u->type) == 0 &&
		    strcmp(mod->uses[i].name, u->name) == 0)
			return 0; /* the manifest says so already */
	refs = malloc(n * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	memcpy(refs, mod->uses, mod->n_uses * sizeof(*refs));
	refs[n - 1].type = strdup(u->type);
	refs[n - 1].name = strdup(u->name);
	refs[n - 1].priority = 0;
	why = realloc(mod->use_why, n * sizeof(*why));
	if (why)
		mod->use_why = why;
	chosen = realloc(mod->chosen, n * sizeof(*chosen));
	if (chosen)
		mod->chosen = chosen;
	plan_choice = realloc(mod->plan_choice, n * sizeof(*plan_choice));
	if (plan_choice)
		mod->plan_choice = plan_choice;
	if (!refs[n - 1].type || !refs[n - 1].name || !why || !chosen ||
	    !plan_choice || !(why[n - 1] = strdup(u->why))) {
		free((char *)refs[n - 1].type);
		free((char *)refs[n - 1].name);
		free(refs);
		return -ENOMEM;
	}
	if (!mod->uses_owned) {
		mod->n_base_uses = mod->n_uses;
		for (unsigned i = 0; i < n - 1; i++)
			why[i] = NULL;
	}
	chosen[n - 1] = NULL;
	plan_choice[n - 1] = NULL;
	free(mod->uses_owned);
	mod->uses_owned = refs;
	mod->uses = refs;
	mod->n_uses = n;
	return 0;
}

int mf_admin_extend_module(struct mf_context *ctx, struct mf_module *mod)
{
	struct mf_admin_uses *list = mf_hash_get(&ctx->admin_uses, mod->name);
	int err = 0;

	for (size_t i = 0; list && i < list->n && err == 0; i++)
		err = module_add_use(mod, &list->items[i]);
	return err;
}

static int admin_use_add(struct mf_context *ctx, const char *user,
			 const char *type, const char *name, char *why)
{
	struct mf_admin_uses *list = mf_hash_get(&ctx->admin_uses, user);
	struct mf_admin_use *u;

	if (!why)
		return -ENOMEM;
	if (!list) {
		list = calloc(1, sizeof(*list));
		if (!list || mf_hash_put(&ctx->admin_uses, user, list) < 0) {
			free(list);
			free(why);
			return -ENOMEM;
		}
	}
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 4;
		void *p = realloc(list->items, cap * sizeof(*list->items));

		if (!p) {
			free(why);
			return -ENOMEM;
		}
		list->items = p;
		list->cap = cap;
	}
	u = &list->items[list->n];
	u->type = strdup(type);
	u->name = strdup(name);
	u->why = why;
	if (!u->type || !u->name) {
		free(u->type);
		free(u->name);
		free(why);
		return -ENOMEM;
	}
	list->n++;
	return 0;
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
	int err = 0;

	mf_lock(ctx);
	for (size_t i = 0; i < cfg->n_neverload && err == 0; i++) {
		const struct mf_config_item *it = &cfg->neverload[i];
		char *why = mf_strdup_printf("%s:%u", path, it->line);

		if (!why) {
			err = -ENOMEM;
			break;
		}
		if (mf_hash_put(&ctx->neverload, it->name, why) < 0)
			free(why); /* banned twice: the first line stands */
		if (!mf_hash_get(&ctx->by_name, it->name))
			note(ctx, ev, data, MF_EVENT_NOTE, it->name,
			     "%s:%u: neverload of a module this image does not have",
			     path, it->line);
	}
	for (size_t i = 0; i < cfg->n_uses && err == 0; i++) {
		const struct mf_config_use *u = &cfg->uses[i];

		err = admin_use_add(ctx, u->user, u->type, u->name,
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

		for (size_t k = 0; k < ctx->n_modules && err == 0; k++) {
			struct mf_module *mod = ctx->modules[k];

			if (!has_config(mod, x->file))
				continue;
			any = true;
			err = admin_use_add(ctx, mod->name, "realtime", x->driver,
					    mf_strdup_printf("%s:%u", cfg->ext_path ?
							     cfg->ext_path : "extconfig.conf",
							     x->line));
		}
		if (err == 0 && !any)
			note(ctx, ev, data, MF_EVENT_NOTE, x->file,
			     "%s:%u: no module reads %s", cfg->ext_path ?
			     cfg->ext_path : "extconfig.conf", x->line, x->file);
	}
	for (size_t k = 0; k < ctx->n_modules && err == 0; k++)
		if (ctx->modules[k]->state == MF_STATE_STOPPED)
			err = mf_admin_extend_module(ctx, ctx->modules[k]);
	mf_unlock(ctx);
	return err;
}

/* ---- boot --------------------------------------------------------------- */

struct boot_req {
	struct mf_request req;
	char *why;
	bool required;
};

int mf_boot(struct mf_context *ctx, const struct mf_config *cfg, mf_event_fn ev,
	    void *data)
{
	const char *path = cfg->path ? cfg->path : "modules.conf";
	size_t cap = cfg->n_require + cfg->n_load + ctx->n_modules + 1, n = 0;
	struct boot_req *br = calloc(cap, sizeof(*br));
	struct mf_request *reqs = calloc(cap, sizeof(*reqs));
	bool require_failed = false, load_failed = false;
	int err = 0;

	if (!br || !reqs) {
		err = -ENOMEM;
		goto out;
	}
	mf_lock(ctx);
	for (size_t i = 0; i < cfg->n_require; i++) {
		const char *ban = mf_admin_neverload(ctx, cfg->require[i].name);

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
		const char *ban = mf_admin_neverload(ctx, cfg->load[i].name);

		if (ban) {
			note(ctx, ev, data, MF_EVENT_NOTE, cfg->load[i].name,
			     "%s:%u: load ignored, neverloaded at %s", path,
			     cfg->load[i].line, ban);
			continue;
		}
		br[n].req.name = cfg->load[i].name;
		br[n++].why = mf_strdup_printf("%s:%u load", path, cfg->load[i].line);
	}
	if (cfg->autoload) {
		for (size_t k = 0; k < ctx->n_modules; k++) {
			const char *name = ctx->modules[k]->name;
			bool dup = false;

			if (mf_admin_neverload(ctx, name))
				continue;
			for (size_t i = 0; i < n && !dup; i++)
				dup = strcmp(br[i].req.name, name) == 0;
			if (dup)
				continue;
			br[n].req.name = name;
			br[n++].why = cfg->autoload_line ?
				mf_strdup_printf("%s:%u autoload", path, cfg->autoload_line) :
				strdup("autoload");
		}
	}
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
		mf_load(ctx, reqs, n, 0, ev, data);
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
		free(br[i].why);
	free(br);
	free(reqs);
	return err;
}
