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

#include "util/alloc.h"
#include "util/array.h"
#include "util/hash.h"
#include "core/hooks.h"

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
	MF_ARRAY(struct mf_provider) providers; /* best first: priority desc, then name */
	MF_ARRAY(struct mf_module *) watchers;	/* modules with this key in [canuse] */
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

	/* what the module is: its manifest's view (constant once added) */
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
	struct mf_table_ref *owned_refs; /* uses+canuse+provides of a manifest */
	const struct mf_backend_ops *backend;
	void *backend_data;
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
	struct mf_module **chosen; /* [n_uses] provider used for each line */
	MF_ARRAY(struct mf_edge) dependents; /* modules using this one */
	struct mf_user *objects;
	unsigned n_objects;
	unsigned batch_holds; /* temporary holds of an operation in progress */
	char *admin_why;      /* non-NULL while the administrator holds it */
	char *start_why;
	char *last_error;
	unsigned long start_seq;
	void *data;
	struct mf_api *apis; /* registrations owned by the instance */

	/* where it stands in the operation under way (under ctx->lock) */
	unsigned fail_gen; /* failed during operation fail_gen: not retried */
	bool force_stop;   /* a forced unload is waiting for its users */
	bool pending;	   /* queued in ctx->pending */
};

struct mf_context {
	atomic_int refcount;
	pthread_mutex_t lock;
	pthread_cond_t idle; /* broadcast whenever a user or ref goes */
	mf_log_fn log_fn;
	void *log_data;
	int log_priority;
	unsigned cancel_timeout_ms;

	MF_ARRAY(struct mf_module *) modules; /* sorted by name */
	struct mf_hash by_name;	 /* name -> struct mf_module */
	struct mf_hash provkeys; /* "type=name" -> struct mf_provkey */
	struct mf_hash apis;	 /* "type=name" -> struct mf_apikey */
	/* the records of modules read from manifests (moddir.c, modentry.c) */
	struct mf_slab slab;
	/* the layers' hooks (hooks.h), in registration order */
	struct mf_hook_set *hooks;
	size_t n_hooks;

	unsigned long start_seq;
	unsigned op_gen;
	unsigned lock_depth; /* how deep this thread holds ctx->lock */

	/* the operation in progress: where its events go */
	mf_event_fn ev;
	void *ev_data;
	const char *stop_reason;
	/* modules that lost their last user during a cascade, stopped in
	 * reverse start order once the current stop returns */
	MF_ARRAY(struct mf_module *) pending;
	unsigned cascade_depth;
};

/* context.c */
void mf_lock(struct mf_context *ctx);
void mf_unlock(struct mf_context *ctx);
void mf_set_str(char **slot, char *value); /* frees the old value */

/* catalog.c */
struct mf_provkey *mf_provkey_find(struct mf_context *ctx, const char *type,
				   const char *name);
void mf_catalog_free(struct mf_context *ctx);
bool mf_name_is_valid(const char *name);
/* Make room for @n [uses] lines in mod->chosen (a stopped module). */
int mf_module_reserve_uses(struct mf_module *mod, unsigned n);
unsigned mf_module_provides_priority(const struct mf_module *mod,
				     const char *type, const char *name);

/* modmap.c: a map from module to a number, for sets and plans */
struct mf_modmap {
	struct mf_modmap_slot {
		const struct mf_module *mod;
		size_t value;
	} *slots;		/* open addressing; mod NULL is empty */
	size_t n, n_slots;	/* n_slots: 0 or a power of two, more than 2n */
};
/* The number @mod maps to, or NULL. */
size_t *mf_modmap_get(const struct mf_modmap *map, const struct mf_module *mod);
/* Room for @n modules without growing again: 0 or -ENOMEM. */
int mf_modmap_reserve(struct mf_modmap *map, size_t n);
/* Map @mod (not in the map yet) to @value: 0 or -ENOMEM. */
int mf_modmap_put(struct mf_modmap *map, const struct mf_module *mod, size_t value);
void mf_modmap_fini(struct mf_modmap *map);

/* resolver.c: choose providers and order a set of modules to start */
struct mf_plan_entry; /* resolver.c: what the plan decided for one module */
struct mf_plan {
	struct mf_context *ctx;
	MF_ARRAY(struct mf_module *) list; /* modules to start, dependencies first */
	MF_ARRAY(struct mf_plan_entry) entries; /* every module visited */
	MF_ARRAY(struct mf_module *) choices;	/* their providers, line by line */
	MF_ARRAY(struct mf_provkey *) keys;	/* each line's index entry, as choices */
	struct mf_modmap index;			/* module -> its entry */
	/* The walk's stack, kept from one mf_plan_add() to the next. */
	struct mf_module **stack;
	size_t stack_cap;
	char err[MF_ERR_MAX];
};
void mf_plan_init(struct mf_context *ctx, struct mf_plan *plan);
void mf_plan_fini(struct mf_plan *plan);
/* Room for a plan of @n modules, sized once (a boot plans the catalog). */
int mf_plan_reserve(struct mf_plan *plan, size_t n);
/*
 * Add @mod and whatever it needs that is not running.  0, or negative errno
 * with plan->err set; on failure the plan is as it was before the call.
 */
int mf_plan_add(struct mf_plan *plan, struct mf_module *mod);
/* Order plan->list: dependencies (and running canuse) first, then load_priority, then name. */
int mf_plan_sort(struct mf_plan *plan);
/* The provider the plan chose for each of @mod's [uses] lines ([n_uses]). */
struct mf_module *const *mf_plan_choice(const struct mf_plan *plan,
					const struct mf_module *mod);
/* The first planned module that needs @mod (and its line), or NULL. */
const struct mf_module *mf_plan_needed_by(const struct mf_plan *plan,
					  const struct mf_module *mod,
					  unsigned *use);
/*
 * The provider index's entry of each of @mod's [uses] lines ([n_uses]),
 * as the plan looked them up (NULL for a key nothing provides).  Entries
 * stay as long as the catalog, so they outlive the plan.
 */
struct mf_provkey *const *mf_plan_keys(const struct mf_plan *plan,
				       const struct mf_module *mod);
/*
 * What planning @mod alone gives when each of its lines has a running
 * provider and nothing is against starting it: those providers, best
 * first, into @choice ([n_uses]).  false: it needs a plan (mf_plan_add()).
 * @keys: its lines' index entries from a plan (mf_plan_keys()), or NULL to
 * look them up.
 */
bool mf_plan_running(struct mf_context *ctx, struct mf_module *mod,
		     struct mf_provkey *const *keys, struct mf_module **choice);



/* lifecycle.c, load.c, unload.c, users.c */
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

/* apireg.c: the api registry */
void mf_apireg_remove_owned(struct mf_module *owner);
void mf_apireg_free(struct mf_context *ctx);

/* backend_embedded.c */
extern const struct mf_backend_ops mf_embedded_backend;

#endif
