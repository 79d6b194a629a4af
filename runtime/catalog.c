/* SPDX-License-Identifier: MIT */
/*
 * The catalog: every module the loader knows, whether its code is in the
 * image (the generated table) or in a file described by a manifest, and the
 * provider index that answers "who provides service=timer" best first.
 * Nothing here runs module code; the catalog is built from manifests alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
				      const char *name, bool create)
{
	bool created;

	if (!create)
		return mf_hash_get2(&ctx->provkeys, type, name);
	/* A key and its entry are one allocation, found or made with one
	 * hash of "type=name": every module adds one or two at boot. */
	return mf_hash_intern2(&ctx->provkeys, type, name, sizeof(struct mf_provkey),
			       &created);
}

struct mf_provkey *mf_provkey_find(struct mf_context *ctx, const char *type,
				   const char *name)
{
	return provkey_get(ctx, type, name, false);
}

static int grow_array(void **items, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 4;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = mf_realloc(*items, n * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = n;
	return 0;
}

/* Room for one more provider; the first one lives in the key itself. */
static int reserve_provider(struct mf_provkey *pk)
{
	if (pk->n_providers < pk->cap_providers)
		return 0;
	if (pk->cap_providers == 0) {
		pk->providers = &pk->first;
		pk->cap_providers = 1;
		return 0;
	}
	return mf_grow_inline((void **)&pk->providers, &pk->cap_providers,
			      &pk->first, sizeof(*pk->providers));
}

/* Insert keeping best-first order; generated tables arrive sorted already. */
static int index_provider(struct mf_context *ctx, struct mf_module *mod,
			  const char *type, const char *name, unsigned priority,
			  struct mf_provkey **out)
{
	struct mf_provkey *pk = provkey_get(ctx, type, name, true);
	struct mf_provider p = { mod, priority };
	size_t i;

	if (!pk || reserve_provider(pk) < 0)
		return -ENOMEM;
	i = pk->n_providers;
	while (i > 0 && cmp_provider(&pk->providers[i - 1], &p) > 0) {
		pk->providers[i] = pk->providers[i - 1];
		i--;
	}
	pk->providers[i] = p;
	pk->n_providers++;
	*out = pk;
	return 0;
}

static int index_watcher(struct mf_context *ctx, struct mf_module *mod,
			 const struct mf_table_ref *ref, struct mf_provkey **out)
{
	struct mf_provkey *pk = provkey_get(ctx, ref->type, ref->name, true);

	if (!pk || grow_array((void **)&pk->watchers, &pk->cap_watchers,
			      pk->n_watchers + 1, sizeof(mod)) < 0)
		return -ENOMEM;
	pk->watchers[pk->n_watchers++] = mod;
	*out = pk;
	return 0;
}

/* Take @mod out of the keys it was indexed under (a failed insert). */
static void unindex(struct mf_module *mod)
{
	for (unsigned k = 0; k < 1 + mod->n_provides + mod->n_canuse; k++) {
		struct mf_provkey *pk = mod->keys[k];
		size_t j = 0;

		if (!pk)
			continue;
		for (size_t i = 0; i < pk->n_providers; i++)
			if (pk->providers[i].mod != mod)
				pk->providers[j++] = pk->providers[i];
		pk->n_providers = j;
		j = 0;
		for (size_t i = 0; i < pk->n_watchers; i++)
			if (pk->watchers[i] != mod)
				pk->watchers[j++] = pk->watchers[i];
		pk->n_watchers = j;
		mod->keys[k] = NULL;
	}
}

static int index_module(struct mf_context *ctx, struct mf_module *mod)
{
	struct mf_provkey **keys = mod->keys;
	int err = index_provider(ctx, mod, "module", mod->name, 0, &keys[0]);

	for (unsigned i = 0; !err && i < mod->n_provides; i++)
		err = index_provider(ctx, mod, mod->provides[i].type,
				     mod->provides[i].name,
				     mod->provides[i].priority, &keys[1 + i]);
	for (unsigned i = 0; !err && i < mod->n_canuse; i++)
		err = index_watcher(ctx, mod, &mod->canuse[i],
				    &keys[1 + mod->n_provides + i]);
	if (err)
		unindex(mod);
	return err;
}

static void module_free(struct mf_module *mod)
{
	if (!mod)
		return;
	if (mod->backend && mod->backend->release)
		mod->backend->release(mod->backend_data);
	if (!mod->uses_inline)
		mf_free(mod->chosen);
	if (!mod->dependents_in_block)
		mf_free(mod->dependents);
	mf_set_why(mod->ctx, &mod->admin_why, NULL);
	mf_set_why(mod->ctx, &mod->start_why, NULL);
	mf_free(mod->last_error);
	mf_module_free_admin_uses(mod);
	mf_manifest_free(mod->manifest);
	if (!mod->in_table_block)
		mf_free(mod);
}

/* Point chosen, plan_choice and use_keys into @block, @cap lines each. */
static void set_use_block(struct mf_module *mod, void **block, unsigned cap)
{
	mod->chosen = (struct mf_module **)block;
	mod->plan_choice = (struct mf_module **)(block + cap);
	mod->use_keys = (struct mf_provkey **)(block + 2 * (size_t)cap);
	mod->cap_uses = cap;
}

int mf_module_reserve_uses(struct mf_module *mod, unsigned n)
{
	struct mf_module **chosen = mod->chosen, **plan_choice = mod->plan_choice;
	struct mf_provkey **use_keys = mod->use_keys;
	unsigned cap = mod->cap_uses ? mod->cap_uses : 1;
	void **block;

	if (n <= mod->cap_uses)
		return 0;
	while (cap < n)
		cap *= 2;
	block = mf_calloc(3 * (size_t)cap, sizeof(*block));
	if (!block)
		return -ENOMEM;
	set_use_block(mod, block, cap);
	memcpy(mod->chosen, chosen, mod->n_uses * sizeof(*chosen));
	memcpy(mod->plan_choice, plan_choice, mod->n_uses * sizeof(*plan_choice));
	memcpy(mod->use_keys, use_keys, mod->n_uses * sizeof(*use_keys));
	if (!mod->uses_inline)
		mf_free(chosen);
	mod->uses_inline = false;
	return 0;
}

/*
 * One allocation a module: the struct, its per-use block and its keys.  A
 * boot adds every module of the image at once, and the allocator was the
 * largest item of its profile.
 */
static size_t module_size(unsigned n_uses, unsigned n_provides, unsigned n_canuse)
{
	size_t n_ptrs = 3 * (size_t)n_uses + 1 + n_provides + n_canuse;
	size_t size = sizeof(struct mf_module) + n_ptrs * sizeof(void *);

	return (size + 15) & ~(size_t)15;
}

/* A module record at @mem (zeroed), with its per-use block and keys. */
static struct mf_module *module_init(struct mf_context *ctx, void *mem,
				     unsigned n_uses)
{
	struct mf_module *mod = mem;
	void **block = (void **)(mod + 1);

	mod->ctx = ctx;
	mod->state = MF_STATE_STOPPED;
	atomic_init(&mod->refs, MF_REFS_CLOSED);
	atomic_init(&mod->orphan, false);
	set_use_block(mod, block, n_uses);
	mod->uses_inline = true;
	mod->keys = (struct mf_provkey **)(block + 3 * (size_t)n_uses);
	return mod;
}

/* A module record of a manifest, with @n_refs lines after its keys
 * (owned_refs), from the context's slab: catalog entries never leave. */
static struct mf_module *module_new(struct mf_context *ctx, unsigned n_uses,
				    unsigned n_provides, unsigned n_canuse,
				    size_t n_refs)
{
	size_t size = module_size(n_uses, n_provides, n_canuse);
	struct mf_module *mod;
	void *mem;

	if (n_refs > (SIZE_MAX - size) / sizeof(struct mf_table_ref))
		return NULL;
	mem = mf_slab_alloc(&ctx->slab, size + n_refs * sizeof(struct mf_table_ref));
	if (!mem)
		return NULL;
	mod = module_init(ctx, mem, n_uses);
	mod->owned_refs = (struct mf_table_ref *)((char *)mem + size);
	return mod;
}

static int cmp_module_name(const void *a, const void *b)
{
	const struct mf_module *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/*
 * Put a prepared module into the catalog.  On failure nothing of it remains
 * and the caller still owns (and frees) @mod.
 */
static int catalog_insert(struct mf_context *ctx, struct mf_module *mod)
{
	int err;

	if (!mf_name_is_valid(mod->name)) {
		MF_ERR(ctx, "%s: invalid module name", mod->name);
		return -EINVAL;
	}
	err = mf_catalog_index(ctx);
	if (err)
		return err;
	err = grow_array((void **)&ctx->modules, &ctx->cap_modules,
			 ctx->n_modules + 1, sizeof(mod));
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
	err = mf_admin_extend_module(ctx, mod);
	if (err == 0)
		err = index_module(ctx, mod);
	if (err) {
		mf_hash_remove(&ctx->by_name, mod->name);
		return err;
	}
	ctx->modules[ctx->n_modules++] = mod;
	return 0;
}

/*
 * Whether a table entering the catalog may leave indexing for later.  A
 * boot of the image's own table looks nothing up by name or provider when
 * it follows the generated plan (bootplan.c): building both indexes was a
 * third of its work.  Only into an empty catalog with no configuration
 * yet, so that nothing indexed can refer to these modules, and only when
 * no module of the table would be told about its [canuse] lines (the one
 * thing a start finds through the index).  Names must be valid and sorted
 * without duplicates: what catalog_insert() would refuse is refused there.
 */
static bool can_defer_index(struct mf_context *ctx, const struct mf_table *table)
{
	const char *prev = NULL;

	if (ctx->n_modules || ctx->n_table_blocks || ctx->by_name.count ||
	    ctx->admin_uses.count || ctx->neverload.count)
		return false;
	for (unsigned i = 0; i < table->n_modules; i++) {
		const struct mf_table_module *t = &table->modules[i];

		if (!t->descriptor)
			continue;
		if (t->n_canuse && t->descriptor->canuse_changed)
			return false;
		if (!mf_name_is_valid(t->name) || (prev && strcmp(prev, t->name) >= 0))
			return false;
		prev = t->name;
	}
	return true;
}

/* The record of table entry @t, next in @block at *used. */
static struct mf_module *table_record(struct mf_context *ctx,
				      const struct mf_table_module *t,
				      char *block, size_t *used)
{
	struct mf_module *mod = module_init(ctx, block + *used, t->n_uses);

	mod->in_table_block = true;
	*used += module_size(t->n_uses, t->n_provides, t->n_canuse);
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
	return mod;
}

/* The table's records into an empty catalog, indexed later. */
static int add_unindexed(struct mf_context *ctx, const struct mf_table *table,
			 char *block)
{
	size_t used = 0, n = 0;

	for (unsigned i = 0; i < table->n_modules; i++)
		n += table->modules[i].descriptor != NULL;
	if (grow_array((void **)&ctx->modules, &ctx->cap_modules, n,
		       sizeof(*ctx->modules)) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < table->n_modules; i++)
		if (table->modules[i].descriptor)
			ctx->modules[ctx->n_modules++] =
				table_record(ctx, &table->modules[i], block, &used);
	ctx->index_deferred = ctx->n_modules > 0;
	return 0;
}

/* Take the first @n modules out of both indexes again. */
static void unindex_first(struct mf_context *ctx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unindex(ctx->modules[i]);
		mf_hash_remove(&ctx->by_name, ctx->modules[i]->name);
	}
}

/* Slab bytes of a by-name entry and of a provider key's (catalog names of
 * up to about 20 characters), for mf_catalog_index()'s reservation. */
#define INDEX_NAME_BYTES 64
#define INDEX_KEY_BYTES 160

int mf_catalog_index(struct mf_context *ctx)
{
	size_t n_keys = 0;
	int err = 0;
	size_t i;

	if (!ctx->index_deferred)
		return 0;
	for (i = 0; i < ctx->n_modules; i++)
		n_keys += 1 + ctx->modules[i]->n_provides + ctx->modules[i]->n_canuse;
	mf_hash_reserve(&ctx->by_name, ctx->n_modules);
	mf_hash_reserve(&ctx->provkeys, n_keys);
	/* Their entries in one chunk of the slab (a hint): a name's entry,
	 * a key's entry with its provider record. */
	if (ctx->n_modules < SIZE_MAX / 512 && n_keys < SIZE_MAX / 512)
		mf_slab_reserve(&ctx->slab, ctx->n_modules * INDEX_NAME_BYTES +
						   n_keys * INDEX_KEY_BYTES);
	for (i = 0; i < ctx->n_modules && err == 0; i++) {
		struct mf_module *mod = ctx->modules[i];

		/* No administrator's [uses] to add, unlike catalog_insert():
		 * a configuration with any indexes the catalog before it
		 * applies (mf_config_apply()). */
		err = mf_hash_put(&ctx->by_name, mod->name, mod);
		if (err)
			break;
		err = index_module(ctx, mod);
		if (err)
			mf_hash_remove(&ctx->by_name, mod->name);
	}
	if (err) {
		unindex_first(ctx, i);
		return err;
	}
	ctx->index_deferred = false;
	return 0;
}

int mf_catalog_add_table(struct mf_context *ctx, const struct mf_table *table)
{
	size_t total = 0, used = 0, cap_blocks = ctx->n_table_blocks;
	char *block;
	int err = 0;

	if (table->version != MF_TABLE_VERSION) {
		MF_ERR(ctx, "registry table version %u, this runtime reads %u",
		       table->version, MF_TABLE_VERSION);
		return -EPROTO;
	}
	for (unsigned i = 0; i < table->n_modules; i++) {
		const struct mf_table_module *t = &table->modules[i];

		if (t->descriptor)
			total += module_size(t->n_uses, t->n_provides, t->n_canuse);
	}
	if (grow_array((void **)&ctx->table_blocks, &cap_blocks,
		       ctx->n_table_blocks + 1, sizeof(void *)) < 0)
		return -ENOMEM;
	/*
	 * Every record of the table in one block, its pages faulted in by one
	 * call: a boot touches each record at once, and a page fault a record
	 * cost more than the rest of adding it.
	 */
	block = mf_calloc(1, total ? total : 1);
	if (!block)
		return -ENOMEM;
	mf_prefault(block, total);
	mf_lock(ctx);
	if (ctx->n_modules == 0 && ctx->n_table_blocks == 0)
		ctx->first_table = table;
	if (can_defer_index(ctx, table)) {
		err = add_unindexed(ctx, table, block);
		if (err == 0)
			ctx->table_blocks[ctx->n_table_blocks++] = block;
		else
			mf_free(block);
		if (ctx->first_table == table)
			ctx->first_table_modules = ctx->n_modules;
		mf_unlock(ctx);
		return err;
	}
	ctx->table_blocks[ctx->n_table_blocks++] = block;
	/* Sized once: growing a hash of thousands means rehashing it ten
	 * times.  Reserving is only a hint; inserting copes without it. */
	mf_hash_reserve(&ctx->by_name, ctx->by_name.count + table->n_modules);
	mf_hash_reserve(&ctx->provkeys, ctx->provkeys.count + table->n_providers);
	for (unsigned i = 0; i < table->n_modules; i++) {
		const struct mf_table_module *t = &table->modules[i];
		struct mf_module *mod;
		int r;

		/* Modules built as m are listed in the table for Kconfig and
		 * the validator, but their catalog entry comes from the
		 * manifest in the module directory. */
		if (!t->descriptor)
			continue;
		mod = table_record(ctx, t, block, &used);
		r = catalog_insert(ctx, mod);
		if (r < 0) {
			mod->backend = NULL;
			module_free(mod);
			if (!err)
				err = r;
		}
	}
	/* A table is sorted by name already: into an empty catalog it needs
	 * no sort, which would still compare every name. */
	for (size_t i = 1; i < ctx->n_modules; i++) {
		if (strcmp(ctx->modules[i - 1]->name, ctx->modules[i]->name) > 0) {
			qsort(ctx->modules, ctx->n_modules, sizeof(*ctx->modules),
			      cmp_module_name);
			break;
		}
	}
	if (ctx->first_table == table)
		ctx->first_table_modules = ctx->n_modules;
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
	struct mf_module *mod = module_new(ctx, (unsigned)m->uses.count,
					   (unsigned)m->provides.count,
					   (unsigned)m->canuse.count, n_refs);
	int err;

	if (!mod)
		return -ENOMEM;
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
		/* Keep the array sorted: one insertion, not a full sort. */
		size_t i = ctx->n_modules - 1;

		while (i > 0 && strcmp(ctx->modules[i - 1]->name, mod->name) > 0) {
			ctx->modules[i] = ctx->modules[i - 1];
			i--;
		}
		ctx->modules[i] = mod;
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

	if (pk->providers != &pk->first)
		mf_free(pk->providers);
	mf_free(pk->watchers);
	/* pk itself lives in its hash entry (mf_hash_intern()). */
}

void mf_catalog_free(struct mf_context *ctx)
{
	for (size_t i = 0; i < ctx->n_modules; i++)
		module_free(ctx->modules[i]);
	mf_free(ctx->modules);
	ctx->modules = NULL;
	for (size_t i = 0; i < ctx->n_table_blocks; i++)
		mf_free(ctx->table_blocks[i]);
	mf_free(ctx->table_blocks);
	ctx->table_blocks = NULL;
	ctx->n_table_blocks = 0;
	for (size_t i = 0; i < ctx->n_edge_blocks; i++)
		mf_free(ctx->edge_blocks[i]);
	mf_free(ctx->edge_blocks);
	ctx->edge_blocks = NULL;
	ctx->n_edge_blocks = 0;
	ctx->n_modules = ctx->cap_modules = 0;
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
	if (mf_catalog_index(ctx) < 0) {
		mf_unlock(ctx);
		return -ENOMEM;
	}
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
	for (size_t i = 0; i < ctx->n_modules && r == 0; i++)
		r = fn(ctx->modules[i], data);
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
