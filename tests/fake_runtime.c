/* SPDX-License-Identifier: MIT */
/*
 * A small stand-in for the module-facing half of libmanifold, so the
 * in-tree modules can be unit-tested before (and independently of) the real
 * runtime.  It keeps the contract of module.h where the modules can observe
 * it: registrations belong to an instance and vanish when it stops, before
 * its unload callback; mf_api_find() holds the provider it returns until
 * mf_api_release(); a handle whose registration went away yields a NULL
 * interface.  It also counts open handles so tests can prove every find
 * was released.  Where module.h leaves a choice it takes the strict one:
 * a second registration of one type/name is -EEXIST (the real registry keeps
 * both, best priority first), so the modules' handling of -EEXIST is tested.
 *
 * Link it INSTEAD of the real runtime: it defines the same symbols.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifold.h>

struct fake_reg {
	struct mf_module *owner;
	char *type, *name;
	const void *iface;
};

struct mf_context {
	struct fake_reg *regs;
	size_t n_regs, cap_regs;
	struct mf_module **mods;
	size_t n_mods;
	int register_budget; /* mf_api_register calls left; < 0: unlimited */
	unsigned open_handles;
	unsigned n_logs;
	char last_log[512];
};

struct mf_module {
	struct mf_context *ctx;
	const struct manifold_module *desc;
	void *data;
	int running;
	unsigned holds;
};

struct mf_api {
	struct mf_module *provider;
	char *type, *name;
};

/* One lock for everything: the tests are small, only correctness matters. */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

int fake_context_new(struct mf_context **out)
{
	struct mf_context *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->register_budget = -1;
	*out = ctx;
	return 0;
}

/* Remove every registration of @owner; caller holds fake_lock. */
static void fake_drop_regs(struct mf_module *owner)
{
	struct mf_context *ctx = owner->ctx;
	size_t kept = 0;

	for (size_t i = 0; i < ctx->n_regs; i++) {
		if (ctx->regs[i].owner == owner) {
			free(ctx->regs[i].type);
			free(ctx->regs[i].name);
			continue;
		}
		ctx->regs[kept++] = ctx->regs[i];
	}
	ctx->n_regs = kept;
}

int fake_module_add(struct mf_context *ctx, const struct manifold_module *desc,
		    struct mf_module **out)
{
	struct mf_module **grown, *mod = calloc(1, sizeof(*mod));

	if (!mod)
		return -ENOMEM;
	grown = realloc(ctx->mods, (ctx->n_mods + 1) * sizeof(*grown));
	if (!grown) {
		free(mod);
		return -ENOMEM;
	}
	ctx->mods = grown;
	mod->ctx = ctx;
	mod->desc = desc;
	ctx->mods[ctx->n_mods++] = mod;
	*out = mod;
	return 0;
}

/* Run load; on failure roll back what it registered, as the loader does. */
int fake_module_start(struct mf_module *mod)
{
	int rc;

	if (mod->running)
		return -EALREADY;
	mod->running = 1;
	rc = mod->desc->load ? mod->desc->load(mod) : 0;
	if (rc < 0) {
		pthread_mutex_lock(&fake_lock);
		mod->running = 0;
		fake_drop_regs(mod);
		mod->data = NULL;
		pthread_mutex_unlock(&fake_lock);
	}
	return rc;
}

/* -EBUSY while held, unless @force (then held handles go stale). */
int fake_module_stop(struct mf_module *mod, int force)
{
	pthread_mutex_lock(&fake_lock);
	if (!mod->running || (mod->holds && !force)) {
		pthread_mutex_unlock(&fake_lock);
		return mod->running ? -EBUSY : -EALREADY;
	}
	mod->running = 0;
	fake_drop_regs(mod);
	pthread_mutex_unlock(&fake_lock);
	if (mod->desc->unload)
		mod->desc->unload(mod);
	mod->data = NULL;
	return 0;
}

void fake_canuse_notify(struct mf_module *mod, const char *module, bool running)
{
	if (mod->desc->canuse_changed)
		mod->desc->canuse_changed(mod, module, running);
}

void fake_set_register_budget(struct mf_context *ctx, int budget)
{
	ctx->register_budget = budget;
}

unsigned fake_open_handles(struct mf_context *ctx)
{
	return ctx->open_handles;
}

size_t fake_registrations(struct mf_context *ctx)
{
	return ctx->n_regs;
}

const char *fake_last_log(struct mf_context *ctx, unsigned *count)
{
	*count = ctx->n_logs;
	return ctx->last_log;
}

void fake_context_free(struct mf_context *ctx)
{
	for (size_t i = ctx->n_mods; i-- > 0;) {
		fake_module_stop(ctx->mods[i], 1);
		free(ctx->mods[i]);
	}
	free(ctx->mods);
	free(ctx->regs);
	free(ctx);
}

/* ---- the module-facing API --------------------------------------------- */

const char *mf_module_name(const struct mf_module *mod)
{
	return mod->desc->name;
}

struct mf_context *mf_module_context(const struct mf_module *mod)
{
	return mod->ctx;
}

void mf_module_set_data(struct mf_module *mod, void *data)
{
	mod->data = data;
}

void *mf_module_get_data(const struct mf_module *mod)
{
	return mod->data;
}

static struct fake_reg *fake_lookup(struct mf_context *ctx, const char *type,
				    const char *name)
{
	for (size_t i = 0; i < ctx->n_regs; i++)
		if (!strcmp(ctx->regs[i].type, type) &&
		    !strcmp(ctx->regs[i].name, name))
			return &ctx->regs[i];
	return NULL;
}

int mf_api_register(struct mf_module *owner, const char *type,
		    const char *name, const void *iface)
{
	struct mf_context *ctx = owner->ctx;
	struct fake_reg *grown, *r;
	int rc = 0;

	if (!type || !*type || !name || !*name || !iface)
		return -EINVAL;
	pthread_mutex_lock(&fake_lock);
	if (ctx->register_budget == 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (ctx->register_budget > 0)
		ctx->register_budget--;
	if (fake_lookup(ctx, type, name)) {
		rc = -EEXIST;
		goto out;
	}
	if (ctx->n_regs == ctx->cap_regs) {
		size_t cap = ctx->cap_regs ? ctx->cap_regs * 2 : 16;

		grown = realloc(ctx->regs, cap * sizeof(*grown));
		if (!grown) {
			rc = -ENOMEM;
			goto out;
		}
		ctx->regs = grown;
		ctx->cap_regs = cap;
	}
	r = &ctx->regs[ctx->n_regs];
	r->owner = owner;
	r->iface = iface;
	r->type = strdup(type);
	r->name = strdup(name);
	if (!r->type || !r->name) {
		free(r->type);
		free(r->name);
		rc = -ENOMEM;
		goto out;
	}
	ctx->n_regs++;
out:
	pthread_mutex_unlock(&fake_lock);
	return rc;
}

int mf_api_unregister(struct mf_module *owner, const char *type,
		      const char *name)
{
	struct mf_context *ctx = owner->ctx;
	struct fake_reg *r;
	int rc = -ENOENT;

	pthread_mutex_lock(&fake_lock);
	r = fake_lookup(ctx, type, name);
	if (r && r->owner == owner) {
		free(r->type);
		free(r->name);
		*r = ctx->regs[--ctx->n_regs];
		rc = 0;
	}
	pthread_mutex_unlock(&fake_lock);
	return rc;
}

int mf_api_find(struct mf_context *ctx, const char *type, const char *name,
		struct mf_api **out)
{
	struct mf_api *api = NULL;
	struct fake_reg *r;
	int rc = 0;

	pthread_mutex_lock(&fake_lock);
	r = fake_lookup(ctx, type, name);
	if (!r) {
		rc = -ENOENT;
		goto out;
	}
	api = calloc(1, sizeof(*api));
	if (!api || !(api->type = strdup(type)) || !(api->name = strdup(name))) {
		rc = -ENOMEM;
		goto out;
	}
	api->provider = r->owner;
	api->provider->holds++;
	ctx->open_handles++;
	*out = api;
	api = NULL;
out:
	pthread_mutex_unlock(&fake_lock);
	if (api) {
		free(api->type);
		free(api);
	}
	return rc;
}

/* Looked up each time: a forced stop of the provider makes the handle stale. */
const void *mf_api_iface(const struct mf_api *api)
{
	const void *iface = NULL;
	struct fake_reg *r;

	pthread_mutex_lock(&fake_lock);
	r = fake_lookup(api->provider->ctx, api->type, api->name);
	if (r && r->owner == api->provider)
		iface = r->iface;
	pthread_mutex_unlock(&fake_lock);
	return iface;
}

struct mf_module *mf_api_provider(const struct mf_api *api)
{
	return api->provider;
}

void mf_api_release(struct mf_api *api)
{
	if (!api)
		return;
	pthread_mutex_lock(&fake_lock);
	api->provider->holds--;
	api->provider->ctx->open_handles--;
	pthread_mutex_unlock(&fake_lock);
	free(api->type);
	free(api->name);
	free(api);
}

/* Registration order, not sorted: callers must sort for themselves. */
int mf_api_foreach(struct mf_context *ctx, const char *type,
		   void (*fn)(void *data, const char *name, const char *owner,
			      const void *iface),
		   void *data)
{
	pthread_mutex_lock(&fake_lock);
	for (size_t i = 0; i < ctx->n_regs; i++)
		if (!strcmp(ctx->regs[i].type, type))
			fn(data, ctx->regs[i].name,
			   ctx->regs[i].owner->desc->name, ctx->regs[i].iface);
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

void mf_log(struct mf_context *ctx, int priority, const char *file, int line,
	    const char *fn, const char *format, ...)
{
	va_list ap;
	int n;

	(void)priority;
	(void)fn;
	pthread_mutex_lock(&fake_lock);
	n = snprintf(ctx->last_log, sizeof(ctx->last_log), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(ctx->last_log))
		n = 0;
	va_start(ap, format);
	vsnprintf(ctx->last_log + n, sizeof(ctx->last_log) - (size_t)n, format, ap);
	va_end(ap);
	ctx->n_logs++;
	pthread_mutex_unlock(&fake_lock);
}

void mf_module_log_at(const struct mf_module *mod, int priority,
		      const char *file, int line, const char *fn,
		      const char *format, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, format);
	vsnprintf(text, sizeof(text), format, ap);
	va_end(ap);
	mf_log(mod->ctx, priority, file, line, fn, "%s: %s", mod->desc->name, text);
}

/* The real one's contract, written again: check_modules tests the modules,
 * not this. */
int mf_call_result(char *out, size_t outlen, int rc, const char *format, ...)
{
	va_list ap;

	if (outlen == 0)
		return rc;
	va_start(ap, format);
	vsnprintf(out, outlen, format, ap);
	va_end(ap);
	return rc;
}
