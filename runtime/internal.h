/* SPDX-License-Identifier: MIT */
/*
 * libmanifold internals shared by the runtime's files.  Nothing here is part
 * of the API; modules and the image use <manifold/manifold.h>.
 *
 * Locking: one recursive mutex per context (ctx->lock) guards the catalog,
 * every module's lifecycle fields and the api registry.  Module callbacks run
 * with it held, which is why it is recursive: a load callback registers
 * interfaces, a cancel callback removes its user.  The one exception is the
 * hot path, mf_module_get()/mf_module_put(), which only touches mod->refs
 * atomically and takes the lock only for the last put of a module that is
 * already on its way out.
 */
#ifndef MANIFOLD_INTERNAL_H
#define MANIFOLD_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <manifold/manifold.h>

#include "alloc.h"
#include "hash.h"
#include "hooks.h"

#define MF_LOG(ctx, prio, ...) mf_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define MF_ERR(ctx, ...) MF_LOG(ctx, MF_LOG_ERR, __VA_ARGS__)
#define MF_WARN(ctx, ...) MF_LOG(ctx, MF_LOG_WARNING, __VA_ARGS__)
#define MF_INFO(ctx, ...) MF_LOG(ctx, MF_LOG_INFO, __VA_ARGS__)
#define MF_DBG(ctx, ...) MF_LOG(ctx, MF_LOG_DEBUG, __VA_ARGS__)

/*
 * mod->refs: the low bits count hot-path holds; MF_REFS_CLOSED is set while
 * the module accepts none (stopped, starting, stopping).
 */
#define MF_REFS_CLOSED (1u << 30)

/* One module using another for one of its [uses] lines. */
struct mf_edge {
	struct mf_module *user;
	unsigned use; /* index into user->uses */
};

/* A provider of one type=name, as listed in the catalog's provider index. */
struct mf_provider {
	struct mf_module *mod;
	unsigned priority;
};

/* Everything the catalog knows about one type=name key. */
struct mf_provkey {
	struct mf_provider *providers; /* best first: priority desc, then name */
	size_t n_providers, cap_providers;
	/* Most keys have one provider (every module=<name>): it lives here,
	 * which saves the catalog an allocation per module. */
	struct mf_provider first;
	struct mf_module **watchers; /* modules with this key in [canuse] */
	size_t n_watchers, cap_watchers;
};

struct mf_user {
	struct mf_module *mod;
	char *label;
	mf_cancel_fn cancel;
	void *data;
	bool cancelled;
	struct mf_user *next;
};

struct mf_module {
	struct mf_context *ctx;

	/* catalog facts (constant once added) */
	const char *name;
	const char *description;
	const char *checksum;
	enum mf_support_level support_level;
	unsigned load_priority;
	bool export_globals;
	const char *const *configs;
	unsigned n_configs;
	const struct mf_table_ref *uses, *canuse, *provides;
	unsigned n_uses, n_canuse, n_provides;
	/* uses added by the administrator ([uses] of modules.conf, extconfig)
	 * follow the manifest's n_base_uses in uses_owned; use_why says where
	 * each came from (NULL for the manifest's own) */
	struct mf_table_ref *uses_owned;
	unsigned n_base_uses;
	char **use_why;
	struct mf_manifest *manifest;	 /* owned, for manifest entries */
	/* uses+canuse+provides of a manifest, in the record's allocation */
	struct mf_table_ref *owned_refs;
	const struct mf_backend_ops *backend;
	void *backend_data;
	/*
	 * The catalog's provider-index entries this module's lines name, so
	 * that planning and canuse notices never format and hash a key:
	 * keys[0] is module=<name>, keys[1 + i] provides[i] and
	 * keys[1 + n_provides + i] canuse[i], all set when the module enters
	 * the catalog; use_keys[i] is found on the first plan that needs it
	 * (NULL until then, or while nothing provides it).  Keys live as
	 * long as the catalog.
	 */
	struct mf_provkey **keys;
	struct mf_provkey **use_keys;
	/* chosen, plan_choice and use_keys share one block with room for
	 * cap_uses lines; uses_inline: that block is part of the module's
	 * own allocation (catalog.c) */
	unsigned cap_uses;
	bool uses_inline;
	bool in_table_block; /* the record lives in its table's block (catalog.c) */
	/* why it cannot start any more (its manifest left the module
	 * directory), or NULL; set by moddir.c, checked by the resolver */
	const char *unavailable;

	/* lib: the mapped code */
	unsigned lib_refs;
	const struct manifold_module *desc;
	bool unload_blocked;

	/* instance: the running state */
	enum mf_state state;
	atomic_uint refs;
	atomic_bool orphan; /* no users left, waiting for refs to drain */
	struct mf_module **chosen;   /* [n_uses] provider used for each line */
	struct mf_edge *dependents;  /* modules using this one */
	size_t n_dependents, cap_dependents;
	bool dependents_in_block; /* in a block of ctx->edge_blocks */
	struct mf_user *objects;
	unsigned n_objects;
	unsigned batch_holds; /* temporary holds of an operation in progress */
	char *admin_why;      /* non-NULL while the administrator holds it */
	char *start_why;
	char *last_error;
	unsigned long start_seq;
	void *data;
	struct mf_api *apis; /* registrations owned by the instance */

	/* scratch of the resolver and of operations (under ctx->lock) */
	unsigned plan_gen;
	int plan_state;
	int plan_err;
	unsigned plan_idx;
	struct mf_module **plan_choice; /* [n_uses] */
	const struct mf_module *plan_by; /* first planned module that needs it */
	unsigned plan_by_use;
	unsigned fail_gen; /* failed during operation fail_gen: not retried */
	bool force_stop;   /* a forced unload is waiting for its users */
	bool pending;	   /* queued in ctx->pending */
	/* ctx->pending is a leftist heap on start_seq, latest on top, kept in
	 * the modules themselves: queuing needs no memory, and a cascade of
	 * K stops costs K log K, not K^2 */
	struct mf_module *pending_left, *pending_right;
	unsigned pending_rank;
	const struct mf_request *op_req; /* mf_load: the request naming it */
};

struct mf_context {
	atomic_int refcount;
	pthread_mutex_t lock;
	pthread_cond_t idle; /* broadcast whenever a user or ref goes */
	mf_log_fn log_fn;
	void *log_data;
	int log_priority;
	unsigned cancel_timeout_ms;

	struct mf_module **modules; /* sorted by name */
	/* the table added first into an empty catalog: the one whose boot
	 * plan a boot may follow (bootplan.c) */
	const struct mf_table *first_table;
	size_t first_table_modules; /* the records it gave the catalog */
	/* The modules are not in by_name and provkeys yet, their keys[] are
	 * NULL: a table entered an empty catalog and nothing has looked a
	 * name or provider up since (catalog.c, mf_catalog_index()). */
	bool index_deferred;
	/* one block of module records per table added (catalog.c) */
	void **table_blocks;
	size_t n_table_blocks;
	/* dependents arrays of a planned boot, one block each (lifecycle.c) */
	void **edge_blocks;
	size_t n_edge_blocks;
	/* records of modules read from manifests: module record, manifest,
	 * backend data (alloc.h; freed with the context) */
	struct mf_slab slab;
	size_t n_modules, cap_modules;
	struct mf_hash by_name;	 /* name -> struct mf_module */
	struct mf_hash provkeys; /* "type=name" -> struct mf_provkey */
	struct mf_hash apis;	 /* "type=name" -> struct mf_apikey */
	struct mf_hash neverload; /* name -> "modules.conf:7" (char *) */
	struct mf_hash admin_uses; /* user name -> struct mf_admin_uses */
	/* the layers' hooks (hooks.h), in registration order */
	struct mf_hook_set *hooks;
	size_t n_hooks;

	unsigned long start_seq;
	unsigned plan_gen;
	unsigned op_gen;
	unsigned lock_depth; /* how deep this thread holds ctx->lock */

	/* the operation in progress: where its events go */
	mf_event_fn ev;
	void *ev_data;
	const char *stop_reason;
	/* modules that lost their last user during a cascade, stopped in
	 * reverse start order once the current stop returns */
	struct mf_module *pending; /* heap of modules (pending_left/right) */
	unsigned cascade_depth;

	/* Reasons many modules share (a boot's "modules.conf:3 autoload"):
	 * owned here until the context goes, so that a boot of N modules
	 * does not copy one string 2N times. */
	char **shared_whys;
	size_t n_shared_whys;
};

/* context.c */
void mf_lock(struct mf_context *ctx);
void mf_unlock(struct mf_context *ctx);
void mf_set_str(char **slot, char *value); /* frees the old value */
/* Keep @why (allocated) as a reason modules share; 0 or -ENOMEM (then
 * @why is still the caller's). */
int mf_why_share(struct mf_context *ctx, char *why);
bool mf_why_is_shared(const struct mf_context *ctx, const char *why);
/* A module's reason: a copy of @why, or @why itself when it is shared. */
char *mf_why_dup(struct mf_context *ctx, const char *why);
/* mf_set_str() for reasons that may be shared (never freed here). */
void mf_set_why(struct mf_context *ctx, char **slot, char *value);

/* catalog.c */
/*
 * Index the catalog if that was put off (ctx->index_deferred): by name and
 * by provider.  Whatever looks a module up by name or provider calls it
 * first.  0, or -ENOMEM with the catalog as it was (still unindexed).
 */
int mf_catalog_index(struct mf_context *ctx);
struct mf_provkey *mf_provkey_find(struct mf_context *ctx, const char *type,
				   const char *name);
void mf_catalog_free(struct mf_context *ctx);
bool mf_name_is_valid(const char *name);
/* Make room for @n [uses] lines in chosen, plan_choice and use_keys. */
int mf_module_reserve_uses(struct mf_module *mod, unsigned n);
unsigned mf_module_provides_priority(const struct mf_module *mod,
				     const char *type, const char *name);

/* resolver.c: choose providers and order a set of modules to start */
struct mf_plan {
	struct mf_context *ctx;
	unsigned gen;
	struct mf_module **list; /* modules to start, dependencies first */
	size_t n, cap;
	/* A load plans again before each module it starts, and most of those
	 * plans hold a module or two: they fit here, no allocation. */
	struct mf_module *small[8];
	char err[MF_ERR_MAX];
};
void mf_plan_init(struct mf_context *ctx, struct mf_plan *plan);
void mf_plan_fini(struct mf_plan *plan);
/*
 * Add @mod and whatever it needs that is not running.  0, or negative errno
 * with plan->err set; on failure the plan is as it was before the call.
 */
int mf_plan_add(struct mf_plan *plan, struct mf_module *mod);
/* Order plan->list: dependencies (and running canuse) first, then load_priority, then name. */
int mf_plan_sort(struct mf_plan *plan);

/* mf_load() flag of mf_boot(): the requests are the catalog's modules in
 * catalog order, and ctx->first_table's boot plan applies (bootplan.c). */
#define MF_OP_BOOT_PLAN (1u << 30)

/* manifest.c: mf_manifest_parse() with the manifest's block from @slab
 * (NULL: the heap), for a manifest that will nearly always be kept. */
int mf_manifest_parse_slab(struct mf_slab *slab, const char *path,
			   const char *buf, size_t len, struct mf_manifest **out,
			   char *err, size_t errlen);

/* bootplan.c */
/*
 * The table whose generated boot plan a boot with @cfg may follow instead
 * of planning: only when the catalog is that table's embedded modules and
 * nothing else, none has run, and the configuration is the default one.
 */
const struct mf_table *mf_boot_plan_applies(struct mf_context *ctx,
					    const struct mf_config *cfg);
/* The same, for what the context alone says (mf_load() checks again). */
const struct mf_table *mf_boot_plan_table(struct mf_context *ctx);
/*
 * Whether @table's plan names each catalog module once, every index in
 * range, and a provider for each [uses] line: checked once a boot, so that
 * mf_boot_plan_module() need not.
 */
bool mf_boot_plan_fits(struct mf_context *ctx, const struct mf_table *table);
/*
 * The k-th module of a plan that fits and, through *choice (advanced past
 * them), its providers, set as its plan_choice.
 */
struct mf_module *mf_boot_plan_module(struct mf_context *ctx,
				      const struct mf_table *table, size_t k,
				      size_t *choice);

/* lifecycle.c */
/*
 * mf_load() for a caller that has the modules some requests name already:
 * known[i] is the module reqs[i] names (the one looking its name up would
 * find), or NULL to look it up; @known may be NULL.
 */
int mf_load_known(struct mf_context *ctx, struct mf_request *reqs,
		  struct mf_module *const *known, size_t n, unsigned flags,
		  mf_event_fn ev, void *data);
unsigned mf_module_users_count(const struct mf_module *mod);
/* Called whenever a module may have lost its last user or reference. */
void mf_module_check_idle(struct mf_module *mod);
void mf_context_stop_all(struct mf_context *ctx);

/* admin.c */
/* Give a module entering the catalog the administrator's [uses] for it. */
int mf_admin_extend_module(struct mf_context *ctx, struct mf_module *mod);
const char *mf_admin_neverload(struct mf_context *ctx, const char *name);
void mf_admin_free(struct mf_context *ctx);
void mf_module_free_admin_uses(struct mf_module *mod);

/* registry.c */
void mf_registry_remove_owned(struct mf_module *owner);
void mf_registry_free(struct mf_context *ctx);

/* backend_embedded.c */
extern const struct mf_backend_ops mf_embedded_backend;

#endif
