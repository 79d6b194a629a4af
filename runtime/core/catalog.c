/* SPDX-License-Identifier: MIT */
/*
 * The catalog: every module the loader knows, whether its code is in the
 * image (the generated table) or in a file described by a manifest, and the
 * provider index that answers "who provides service=timer" best first.
 * Nothing here runs module code; the catalog is built from manifests alone.
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* The characters of a module name: [A-Za-z0-9_-]. */
static bool name_char(unsigned char c)
{
	static const unsigned long long bits[4] = {
		0x03ff200000000000ull, /* 0-9 and '-' */
		0x07fffffe87fffffeull, /* A-Z, '_', a-z */
	};

	return (bits[c >> 6] >> (c & 63)) & 1;
}

bool mf_name_is_valid(const char *name)
{
	size_t len = 0;

	if (name[0] == '.')
		return false;
	for (; name[len]; len++)
		if (len == 63 || !name_char((unsigned char)name[len]))
			return false;
	return len > 0;
}

static int cmp_provider(const struct mf_provider *a, const struct mf_provider *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return strcmp(a->mod->name, b->mod->name);
}

static struct mf_provkey *provkey_get(struct mf_context *ctx, const char *type,
				      const char *name)
{
	bool created;

	/* A key and its entry are one allocation (mf_hash_intern()). */
	return mf_hash_intern2(&ctx->provkeys, type, name, sizeof(struct mf_provkey),
			       &created);
}

struct mf_provkey *mf_provkey_find(struct mf_context *ctx, const char *type,
				   const char *name)
{
	return mf_hash_get2(&ctx->provkeys, type, name);
}

/*
 * A key's first few items come from the context's slab, as the key does:
 * nearly every key has one provider or two, and a malloc() for each key
 * was about 400 instructions a module at boot.  A key that outgrows them
 * moves to the heap (mf_realloc()).
 */
#define KEY_FIRST_ITEMS 2

static int key_first_room(struct mf_context *ctx, void **items, size_t *cap,
			  size_t size)
{
	if (*items)
		return 0;
	*items = mf_slab_alloc(&ctx->slab, KEY_FIRST_ITEMS * size);
	if (!*items)
		return -ENOMEM;
	*cap = KEY_FIRST_ITEMS;
	return 0;
}

/* Insert keeping best-first order. */
static int index_provider(struct mf_context *ctx, struct mf_module *mod,
			  const char *type, const char *name, unsigned priority)
{
	struct mf_provkey *pk = provkey_get(ctx, type, name);
	struct mf_provider p = { mod, priority };
	size_t i;

	if (!pk ||
	    key_first_room(ctx, (void **)&pk->providers.items, &pk->providers.cap,
			   sizeof(*pk->providers.items)) < 0 ||
	    mf_array_reserve(&pk->providers, pk->providers.n + 1) < 0)
		return -ENOMEM;
	i = pk->providers.n++;
	while (i > 0 && cmp_provider(&pk->providers.items[i - 1], &p) > 0) {
		pk->providers.items[i] = pk->providers.items[i - 1];
		i--;
	}
	pk->providers.items[i] = p;
	return 0;
}

static int index_watcher(struct mf_context *ctx, struct mf_module *mod,
			 const struct mf_table_ref *ref)
{
	struct mf_provkey *pk = provkey_get(ctx, ref->type, ref->name);

	if (!pk || key_first_room(ctx, (void **)&pk->watchers.items, &pk->watchers.cap,
				  sizeof(*pk->watchers.items)) < 0)
		return -ENOMEM;
	return mf_array_push(&pk->watchers, mod);
}

static void unindex_key(struct mf_context *ctx, struct mf_module *mod,
			const char *type, const char *name)
{
	struct mf_provkey *pk = mf_provkey_find(ctx, type, name);
	size_t j = 0;

	if (!pk)
		return;
	for (size_t i = 0; i < pk->providers.n; i++)
		if (pk->providers.items[i].mod != mod)
			pk->providers.items[j++] = pk->providers.items[i];
	pk->providers.n = j;
	j = 0;
	for (size_t i = 0; i < pk->watchers.n; i++)
		if (pk->watchers.items[i] != mod)
			pk->watchers.items[j++] = pk->watchers.items[i];
	pk->watchers.n = j;
}

/* Take @mod out of the keys it was indexed under (a failed insert). */
static void unindex(struct mf_context *ctx, struct mf_module *mod)
{
	unindex_key(ctx, mod, "module", mod->name);
	for (unsigned i = 0; i < mod->n_provides; i++)
		unindex_key(ctx, mod, mod->provides[i].type, mod->provides[i].name);
	for (unsigned i = 0; i < mod->n_canuse; i++)
		unindex_key(ctx, mod, mod->canuse[i].type, mod->canuse[i].name);
}

static int index_module(struct mf_context *ctx, struct mf_module *mod)
{
	int err = index_provider(ctx, mod, "module", mod->name, 0);

	for (unsigned i = 0; !err && i < mod->n_provides; i++)
		err = index_provider(ctx, mod, mod->provides[i].type,
				     mod->provides[i].name,
				     mod->provides[i].priority);
	for (unsigned i = 0; !err && i < mod->n_canuse; i++)
		err = index_watcher(ctx, mod, &mod->canuse[i]);
	if (err)
		unindex(ctx, mod);
	return err;
}

static void module_free(struct mf_module *mod)
{
	if (!mod)
		return;
	if (mod->backend && mod->backend->release)
		mod->backend->release(mod->backend_data);
	mf_free(mod->chosen);
	mf_free(mod->dependents.items);
	mf_free(mod->admin_why);
	mf_free(mod->start_why);
	mf_free(mod->last_error);
	/* The administrator's [uses] lines (admin.c), after the manifest's. */
	for (unsigned i = mod->n_base_uses; mod->uses_owned && i < mod->n_uses; i++) {
		mf_free((char *)mod->uses_owned[i].type);
		mf_free((char *)mod->uses_owned[i].name);
	}
	for (unsigned i = 0; mod->use_why && i < mod->n_uses; i++)
		mf_free(mod->use_why[i]);
	mf_free(mod->use_why);
	mf_free(mod->uses_owned);
	mf_manifest_free(mod->manifest);
	mf_free(mod->owned_refs);
	mf_free(mod);
}

int mf_module_reserve_uses(struct mf_module *mod, unsigned n)
{
	struct mf_module **chosen;

	if (n <= mod->n_uses)
		return 0;
	chosen = mf_realloc(mod->chosen, n * sizeof(*chosen));
	if (!chosen)
		return -ENOMEM;
	for (unsigned i = mod->n_uses; i < n; i++)
		chosen[i] = NULL;
	mod->chosen = chosen;
	return 0;
}

/*
 * A stopped module with room for the providers of its @n_uses lines.  A
 * table's records come from the context's slab (@slab), as they stay in
 * the catalog as long as the context; a manifest's from the heap (NULL),
 * as a refresh may drop them.
 */
static struct mf_module *module_new(struct mf_context *ctx, unsigned n_uses,
				    struct mf_slab *slab)
{
	struct mf_module *mod = slab ? mf_slab_alloc(slab, sizeof(*mod))
				     : mf_calloc(1, sizeof(*mod));

	if (!mod)
		return NULL;
	mod->ctx = ctx;
	mod->state = MF_STATE_STOPPED;
	atomic_init(&mod->refs, MF_REFS_CLOSED);
	atomic_init(&mod->orphan, false);
	mod->chosen = !n_uses ? NULL
		      : slab  ? mf_slab_alloc(slab, n_uses * sizeof(*mod->chosen))
			      : mf_calloc(n_uses, sizeof(*mod->chosen));
	if (n_uses && !mod->chosen) {
		mf_free(mod);
		return NULL;
	}
	return mod;
}

/*
 * Put a prepared module into the catalog, keeping it sorted by name.  On
 * failure nothing of it remains and the caller still owns (and frees) @mod.
 */
static int catalog_insert(struct mf_context *ctx, struct mf_module *mod)
{
	size_t i;
	int err;

	if (!mf_name_is_valid(mod->name)) {
		MF_ERR(ctx, "%s: invalid module name", mod->name);
		return -EINVAL;
	}
	err = mf_array_reserve(&ctx->modules, ctx->modules.n + 1);
	if (err)
		return err;
	err = mf_hash_put(&ctx->by_name, mod->name, mod);
	if (err == -EEXIST) {
		struct mf_module *old = mf_hash_get(&ctx->by_name, mod->name);

		MF_ERR(ctx, "%s: module defined twice (%s and %s); keeping the %s one",
		       mod->name, old->backend->name, mod->backend->name,
		       old->backend->name);
	}
	if (err)
		return err;
	/* The layers above add what they know of it (the administrator's
	 * [uses] lines) before it can be found by provider. */
	err = mf_hooks_module_added(ctx, mod);
	if (err == 0)
		err = index_module(ctx, mod);
	if (err) {
		mf_hash_remove(&ctx->by_name, mod->name);
		return err;
	}
	/* Tables come sorted: most inserts append. */
	i = ctx->modules.n++;
	while (i > 0 && strcmp(ctx->modules.items[i - 1]->name, mod->name) > 0) {
		ctx->modules.items[i] = ctx->modules.items[i - 1];
		i--;
	}
	ctx->modules.items[i] = mod;
	return 0;
}

int mf_catalog_add_table(struct mf_context *ctx, const struct mf_table *table)
{
	int err = 0;

	if (table->version != MF_TABLE_VERSION) {
		MF_ERR(ctx, "registry table version %u, this runtime reads %u",
		       table->version, MF_TABLE_VERSION);
		return -EPROTO;
	}
	mf_lock(ctx);
	/* Sized once: growing a hash of thousands means rehashing it ten
	 * times.  Reserving is only a hint; inserting copes without it. */
	mf_hash_reserve(&ctx->by_name, ctx->by_name.count + table->n_modules);
	mf_hash_reserve(&ctx->provkeys, ctx->provkeys.count + table->n_providers);
	mf_array_reserve(&ctx->modules, ctx->modules.n + table->n_modules);
	for (unsigned i = 0; i < table->n_modules; i++) {
		const struct mf_table_module *t = &table->modules[i];
		struct mf_module *mod;
		int r;

		/* Modules built as m are listed in the table for Kconfig and
		 * the validator, but their catalog entry comes from the
		 * manifest in the module directory. */
		if (!t->descriptor)
			continue;
		mod = module_new(ctx, t->n_uses, &ctx->slab);
		if (!mod) {
			err = err ? err : -ENOMEM;
			continue;
		}
		mod->name = t->name;
		mod->description = t->description;
		mod->checksum = t->checksum;
		mod->support_level = (enum mf_support_level)t->support_level;
		mod->load_priority = t->load_priority;
		mod->export_globals = t->export_globals;
		mod->configs = t->configs;
		mod->n_configs = t->n_configs;
		mod->uses = t->uses;
		mod->n_uses = t->n_uses;
		mod->canuse = t->canuse;
		mod->n_canuse = t->n_canuse;
		mod->provides = t->provides;
		mod->n_provides = t->n_provides;
		mod->backend = &mf_embedded_backend;
		mod->backend_data = (void *)t->descriptor;
		r = catalog_insert(ctx, mod);
		if (r < 0) {
			mod->backend = NULL;
			module_free(mod);
			if (!err)
				err = r;
		}
	}
	mf_unlock(ctx);
	return err;
}

static void copy_refs(struct mf_table_ref *dst, const struct mf_ref_list *src)
{
	for (size_t i = 0; i < src->count; i++) {
		dst[i].type = src->items[i].type;
		dst[i].name = src->items[i].name;
		dst[i].priority = src->items[i].priority;
	}
}

int mf_catalog_add_manifest(struct mf_context *ctx, struct mf_manifest *m,
			    const struct mf_backend_ops *ops, void *data)
{
	size_t n_refs = m->uses.count + m->canuse.count + m->provides.count;
	struct mf_module *mod = module_new(ctx, (unsigned)m->uses.count, NULL);
	int err;

	if (!mod)
		return -ENOMEM;
	mod->owned_refs = mf_calloc(n_refs ? n_refs : 1, sizeof(*mod->owned_refs));
	if (!mod->owned_refs) {
		module_free(mod);
		return -ENOMEM;
	}
	copy_refs(mod->owned_refs, &m->uses);
	copy_refs(mod->owned_refs + m->uses.count, &m->canuse);
	copy_refs(mod->owned_refs + m->uses.count + m->canuse.count, &m->provides);
	mod->name = m->name;
	mod->description = m->description ? m->description : "";
	mod->checksum = m->checksum ? m->checksum : "";
	mod->support_level = m->support_level;
	mod->load_priority = m->load_priority;
	mod->export_globals = m->export_globals;
	mod->configs = (const char *const *)m->configs;
	mod->n_configs = (unsigned)m->n_configs;
	mod->uses = mod->owned_refs;
	mod->n_uses = (unsigned)m->uses.count;
	mod->canuse = mod->owned_refs + m->uses.count;
	mod->n_canuse = (unsigned)m->canuse.count;
	mod->provides = mod->owned_refs + m->uses.count + m->canuse.count;
	mod->n_provides = (unsigned)m->provides.count;
	mod->backend = ops;

	mf_lock(ctx);
	err = catalog_insert(ctx, mod);
	if (err == 0) {
		mod->manifest = m;
		mod->backend_data = data;
	}
	mf_unlock(ctx);
	if (err) {
		mod->backend = NULL;
		module_free(mod);
	}
	return err;
}

static void provkey_free(void *value)
{
	struct mf_provkey *pk = value;

	mf_free(pk->providers.items);
	mf_free(pk->watchers.items);
	/* pk itself lives in its hash entry (mf_hash_intern()). */
}

void mf_catalog_free(struct mf_context *ctx)
{
	for (size_t i = 0; i < ctx->modules.n; i++)
		module_free(ctx->modules.items[i]);
	mf_free(ctx->modules.items);
	ctx->modules.items = NULL;
	ctx->modules.n = ctx->modules.cap = 0;
	mf_hash_fini(&ctx->by_name, NULL);
	mf_hash_fini(&ctx->provkeys, provkey_free);
}

int mf_module_find(struct mf_context *ctx, const char *name,
		   struct mf_module **out)
{
	char buf[72];
	size_t len = strlen(name);
	struct mf_module *mod;

	/* Users may say "func_cut.so"; everything inside works on names. */
	if (len > 3 && strcmp(name + len - 3, ".so") == 0) {
		if (len - 3 >= sizeof(buf))
			return -ENAMETOOLONG;
		memcpy(buf, name, len - 3);
		buf[len - 3] = '\0';
		name = buf;
	}
	if (strchr(name, '/') || name[0] == '.' || !mf_name_is_valid(name))
		return -EINVAL;
	mf_lock(ctx);
	mod = mf_hash_get(&ctx->by_name, name);
	mf_unlock(ctx);
	if (!mod)
		return -ENOENT;
	*out = mod;
	return 0;
}

int mf_module_foreach(struct mf_context *ctx,
		      int (*fn)(struct mf_module *mod, void *data), void *data)
{
	int r = 0;

	mf_lock(ctx);
	for (size_t i = 0; i < ctx->modules.n && r == 0; i++)
		r = fn(ctx->modules.items[i], data);
	mf_unlock(ctx);
	return r;
}

size_t mf_module_refs(struct mf_module *mod, const char *section,
		      const struct mf_table_ref **refs)
{
	if (strcmp(section, "uses") == 0) {
		*refs = mod->uses;
		return mod->n_uses;
	}
	if (strcmp(section, "canuse") == 0) {
		*refs = mod->canuse;
		return mod->n_canuse;
	}
	if (strcmp(section, "provides") == 0) {
		*refs = mod->provides;
		return mod->n_provides;
	}
	*refs = NULL;
	return 0;
}

unsigned mf_module_provides_priority(const struct mf_module *mod,
				     const char *type, const char *name)
{
	for (unsigned i = 0; i < mod->n_provides; i++)
		if (strcmp(mod->provides[i].type, type) == 0 &&
		    strcmp(mod->provides[i].name, name) == 0)
			return mod->provides[i].priority;
	return 0;
}

const char *mf_module_name(const struct mf_module *mod)
{
	return mod->name;
}

struct mf_context *mf_module_context(const struct mf_module *mod)
{
	return mod->ctx;
}
