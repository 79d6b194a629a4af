/* SPDX-License-Identifier: MIT */
/*
 * The api registry: named interfaces (applications, functions, timing
 * sources, realtime drivers, channel technologies) registered by running
 * modules.
 *
 * Every registration belongs to its module's instance and is removed by the
 * loader when that instance stops, before the unload callback runs, so
 * modules do not unregister by hand.  Several modules may register the same
 * type/name (two timers, both loaded by autoload); a lookup returns the one
 * whose manifest gives it the highest priority for that type=name.
 *
 * A module registers only what its manifest's [provides] declares, so that
 * what runs is what the resolver can see and choose.
 *
 * A handle from mf_api_find() holds its provider running (a hot-path
 * reference) and keeps the registration object alive.  If a forced unload
 * removes the registration while the handle is held, mf_api_iface() returns
 * NULL: a stale handle is an error, never a pointer into stopped code.
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

struct mf_api {
	struct mf_module *owner;
	char *type;
	char *name;
	const void *iface;
	unsigned priority;
	atomic_bool dead;
	unsigned refcount; /* the registry's one plus one per handle */
	struct mf_api *next_owned;
};

struct mf_apikey {
	struct mf_api **items; /* best first */
	size_t n, cap;
};

static bool type_is_valid(const char *type)
{
	if (!*type || strlen(type) > 31)
		return false;
	for (const char *p = type; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9' && p != type) ||
		      *p == '_'))
			return false;
	return true;
}

static bool api_name_is_valid(const char *name)
{
	if (!*name || strlen(name) > 127)
		return false;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p == '=' || *p > '~')
			return false;
	return true;
}

/*
 * Whether @owner's manifest provides type=name, the only names it may
 * register: a registration nothing declares works at run time, yet nothing
 * can depend on it or choose its provider.  module=<its name> is implied.
 */
static bool manifest_provides(const struct mf_module *owner, const char *type,
			      const char *name)
{
	if (strcmp(type, "module") == 0 && strcmp(name, owner->name) == 0)
		return true;
	for (unsigned i = 0; i < owner->n_provides; i++)
		if (strcmp(owner->provides[i].type, type) == 0 &&
		    strcmp(owner->provides[i].name, name) == 0)
			return true;
	return false;
}

static void api_unref(struct mf_api *api)
{
	if (--api->refcount)
		return;
	mf_free(api->type);
	mf_free(api->name);
	mf_free(api);
}

int mf_api_register(struct mf_module *owner, const char *type,
		    const char *name, const void *iface)
{
	struct mf_context *ctx = owner->ctx;
	struct mf_apikey *key;
	struct mf_api *api;
	char k[192];
	size_t i;
	int err = -EINVAL;

	if (!type_is_valid(type) || !api_name_is_valid(name) || !iface ||
	    !mf_hash_key2(k, sizeof(k), type, name)) {
		MF_ERR(ctx, "%s: cannot register %s=%s: invalid type or name",
		       owner->name, type, name);
		return -EINVAL;
	}
	mf_lock(ctx);
	if (owner->state != MF_STATE_STARTING && owner->state != MF_STATE_RUNNING) {
		MF_ERR(ctx, "%s: cannot register %s=%s while %s", owner->name,
		       type, name, mf_state_name(owner->state));
		err = -ESHUTDOWN;
		goto out;
	}
	if (!manifest_provides(owner, type, name)) {
		MF_ERR(ctx, "%s: cannot register %s=%s: its manifest does not "
		       "provide it (no %s=%s in [provides])", owner->name, type,
		       name, type, name);
		err = -EPERM;
		goto out;
	}
	key = mf_hash_get(&ctx->apis, k);
	for (i = 0; key && i < key->n; i++) {
		if (key->items[i]->owner == owner) {
			MF_ERR(ctx, "%s: %s=%s is registered already", owner->name,
			       type, name);
			err = -EEXIST;
			goto out;
		}
	}
	err = -ENOMEM;
	if (!key) {
		key = mf_calloc(1, sizeof(*key));
		if (!key)
			goto out;
		if (mf_hash_put(&ctx->apis, k, key) < 0) {
			mf_free(key);
			goto out;
		}
	}
	if (key->n == key->cap) {
		size_t cap = key->cap ? key->cap * 2 : 2;
		void *p = mf_realloc(key->items, cap * sizeof(*key->items));

		if (!p)
			goto out;
		key->items = p;
		key->cap = cap;
	}
	api = mf_calloc(1, sizeof(*api));
	if (!api)
		goto out;
	api->type = mf_strdup(type);
	api->name = mf_strdup(name);
	if (!api->type || !api->name) {
		mf_free(api->type);
		mf_free(api->name);
		mf_free(api);
		goto out;
	}
	api->owner = owner;
	api->iface = iface;
	api->priority = mf_module_provides_priority(owner, type, name);
	api->refcount = 1;
	atomic_init(&api->dead, false);
	i = key->n;
	while (i > 0 && key->items[i - 1]->priority < api->priority) {
		key->items[i] = key->items[i - 1];
		i--;
	}
	key->items[i] = api;
	key->n++;
	api->next_owned = owner->apis;
	owner->apis = api;
	err = 0;
out:
	mf_unlock(ctx);
	return err;
}

/* Unlink from the index and the owner; the object lives on for its handles. */
static void api_remove(struct mf_context *ctx, struct mf_api *api)
{
	char k[192];
	struct mf_apikey *key;

	atomic_store(&api->dead, true);
	if (mf_hash_key2(k, sizeof(k), api->type, api->name) &&
	    (key = mf_hash_get(&ctx->apis, k))) {
		size_t j = 0;

		for (size_t i = 0; i < key->n; i++)
			if (key->items[i] != api)
				key->items[j++] = key->items[i];
		key->n = j;
	}
	api_unref(api);
}

int mf_api_unregister(struct mf_module *owner, const char *type,
		      const char *name)
{
	struct mf_context *ctx = owner->ctx;
	struct mf_api **pp;
	int err = -ENOENT;

	mf_lock(ctx);
	for (pp = &owner->apis; *pp; pp = &(*pp)->next_owned) {
		struct mf_api *api = *pp;

		if (strcmp(api->type, type) || strcmp(api->name, name))
			continue;
		*pp = api->next_owned;
		api_remove(ctx, api);
		err = 0;
		break;
	}
	mf_unlock(ctx);
	return err;
}

void mf_apireg_remove_owned(struct mf_module *owner)
{
	while (owner->apis) {
		struct mf_api *api = owner->apis;

		owner->apis = api->next_owned;
		api_remove(owner->ctx, api);
	}
}

int mf_api_find(struct mf_context *ctx, const char *type, const char *name,
		struct mf_api **out)
{
	struct mf_apikey *key;
	char k[192];
	int err = -ENOENT;

	if (!mf_hash_key2(k, sizeof(k), type, name))
		return -ENOENT;
	mf_lock(ctx);
	key = mf_hash_get(&ctx->apis, k);
	for (size_t i = 0; key && i < key->n; i++) {
		struct mf_api *api = key->items[i];

		if (mf_module_get(api->owner) < 0) {
			err = -ESHUTDOWN;
			continue;
		}
		api->refcount++;
		*out = api;
		err = 0;
		break;
	}
	mf_unlock(ctx);
	return err;
}

const void *mf_api_iface(const struct mf_api *api)
{
	if (atomic_load(&api->dead)) {
		errno = ESTALE;
		return NULL;
	}
	return api->iface;
}

struct mf_module *mf_api_provider(const struct mf_api *api)
{
	return api->owner;
}

void mf_api_release(struct mf_api *api)
{
	struct mf_module *owner;
	struct mf_context *ctx;

	if (!api)
		return;
	owner = api->owner;
	ctx = owner->ctx;
	mf_lock(ctx);
	api_unref(api);
	mf_unlock(ctx);
	mf_module_put(owner);
}

static int cmp_api_name(const void *a, const void *b)
{
	const struct mf_api *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

int mf_api_foreach(struct mf_context *ctx, const char *type,
		   void (*fn)(void *data, const char *name, const char *owner,
			      const void *iface),
		   void *data)
{
	size_t tlen = strlen(type), n = 0;
	struct mf_api **list;

	mf_lock(ctx);
	list = mf_malloc((ctx->apis.count + 1) * sizeof(*list));
	if (!list) {
		mf_unlock(ctx);
		return -ENOMEM;
	}
	for (size_t b = 0; b < ctx->apis.n_buckets; b++) {
		for (struct mf_hash_entry *e = ctx->apis.buckets[b]; e; e = e->next) {
			struct mf_apikey *key = e->value;

			if (key->n && strncmp(e->key, type, tlen) == 0 &&
			    e->key[tlen] == '=')
				list[n++] = key->items[0];
		}
	}
	/* In name order: consoles and tests read the same list every time. */
	qsort(list, n, sizeof(*list), cmp_api_name);
	for (size_t i = 0; i < n; i++)
		fn(data, list[i]->name, list[i]->owner->name, list[i]->iface);
	mf_unlock(ctx);
	mf_free(list);
	return 0;
}

static void apikey_free(void *value)
{
	struct mf_apikey *key = value;

	mf_free(key->items);
	mf_free(key);
}

void mf_apireg_free(struct mf_context *ctx)
{
	mf_hash_fini(&ctx->apis, apikey_free);
}
