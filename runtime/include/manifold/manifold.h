/* SPDX-License-Identifier: MIT */
/*
 * libmanifold: the loader's public API.
 *
 * A context holds a catalog of modules (from the generated registry table and
 * from manifests), resolves their dependencies and providers, and runs one
 * lifecycle for all of them whatever backend holds their code.  Every call
 * returns 0 or a negative errno; the reason goes to the context's log
 * function.  The library never prints by itself.
 */
#ifndef MANIFOLD_H
#define MANIFOLD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <manifold/manifest.h>
#include <manifold/module.h>
#include <manifold/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The log priorities, enum mf_log_priority, are in <manifold/module.h>. */
typedef void (*mf_log_fn)(void *data, int priority, const char *file, int line,
			  const char *fn, const char *format, va_list args);

int mf_context_new(struct mf_context **out);
struct mf_context *mf_context_ref(struct mf_context *ctx);
/* The last unref stops every running module (reverse start order). */
struct mf_context *mf_context_unref(struct mf_context *ctx);
/* Default: write "manifold: message" to stderr for priority <= WARNING. */
void mf_context_set_log_fn(struct mf_context *ctx, mf_log_fn fn, void *data);
void mf_context_set_log_priority(struct mf_context *ctx, int priority);
/* How long a forced unload waits for users to go (default 2000 ms). */
void mf_context_set_cancel_timeout(struct mf_context *ctx, unsigned ms);

void mf_log(struct mf_context *ctx, int priority, const char *file, int line,
	    const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- catalog ----------------------------------------------------------- */

/*
 * Where a module's code comes from.  The lifecycle calls map() when the lib
 * is first needed and unmap() when its last reference goes; it never asks
 * which kind of backend it holds.
 */
struct mf_backend_ops {
	const char *name; /* "embedded", "loadable", ... shown by the console */
	int (*map)(struct mf_context *ctx, struct mf_module *mod, void *data,
		   const struct manifold_module **desc);
	void (*unmap)(struct mf_context *ctx, struct mf_module *mod, void *data);
	void (*release)(void *data); /* the catalog entry goes away */
};

/* Add every module of a generated table; embedded ones get the embedded backend. */
int mf_catalog_add_table(struct mf_context *ctx, const struct mf_table *table);
/*
 * Add one module described by a manifest.  On success the catalog owns @m.
 * -EEXIST when the name is taken (the first one stays).
 */
int mf_catalog_add_manifest(struct mf_context *ctx, struct mf_manifest *m,
			    const struct mf_backend_ops *ops, void *data);

/*
 * Find a module by name.  A trailing ".so" is accepted and ignored; a name
 * with '/' or a leading '.' is -EINVAL (names are never paths).
 */
int mf_module_find(struct mf_context *ctx, const char *name,
		   struct mf_module **out);
/* Call @fn for every module, sorted by name, until it returns non-zero. */
int mf_module_foreach(struct mf_context *ctx,
		      int (*fn)(struct mf_module *mod, void *data), void *data);

enum mf_state {
	MF_STATE_STOPPED,  /* in the catalog, not running */
	MF_STATE_STARTING, /* load callback running */
	MF_STATE_RUNNING,  /* has users, serving */
	MF_STATE_STOPPING, /* registrations gone; waiting for users to leave */
};
const char *mf_state_name(enum mf_state state);

/* A consistent snapshot of one module, for consoles and tests. */
struct mf_module_info {
	const char *name;
	const char *description;
	const char *backend;
	enum mf_support_level support_level;
	unsigned load_priority;
	enum mf_state state;
	unsigned users;	  /* admin + modules + objects */
	unsigned refs;	  /* hot-path holds (mf_module_get, api handles) */
	unsigned lib_refs;
	bool admin;	  /* held by the administrator */
	bool unload_blocked;
	const char *why;  /* why it started, when running */
	const char *last_error; /* why the last attempt to start it failed */
};
int mf_module_info(struct mf_module *mod, struct mf_module_info *info);

/* The manifest view: [uses], [canuse], [provides] and config= lines. */
size_t mf_module_refs(struct mf_module *mod, const char *section,
		      const struct mf_table_ref **refs);

/* ---- operations -------------------------------------------------------- */

enum mf_op_flags {
	MF_OP_DRY_RUN = 1 << 0, /* say what would happen; change nothing */
	MF_OP_FORCE = 1 << 1,	/* unload: make every user go */
};

enum mf_event_kind {
	MF_EVENT_START,	    /* module started; detail: why */
	MF_EVENT_STOP,	    /* module stopped; detail: why */
	MF_EVENT_WOULD_START,
	MF_EVENT_WOULD_STOP,
	MF_EVENT_FAIL,	    /* module failed or was refused; detail: reason */
	MF_EVENT_HELD,	    /* unload: still in use; detail: by whom */
	MF_EVENT_CANCEL,    /* forced unload asked a user to go */
	MF_EVENT_NOTE,	    /* anything else worth telling the admin */
};

struct mf_event {
	enum mf_event_kind kind;
	const char *module;
	const char *detail;
	enum mf_support_level support_level;
};
typedef void (*mf_event_fn)(void *data, const struct mf_event *ev);

/* One module the administrator asks for, and why (shown by `module why`). */
struct mf_request {
	const char *name;
	const char *why;
	int result; /* out: 0 or negative errno */
};

/*
 * Start the requested modules and everything they use, dependencies first,
 * then by load_priority, then by name; the administrator becomes a user of
 * each requested module.  Each request succeeds or fails on its own, and a
 * failed one leaves nothing of itself running.  Returns 0 when all requests
 * succeeded, else the first failure.
 */
int mf_load(struct mf_context *ctx, struct mf_request *reqs, size_t n,
	    unsigned flags, mf_event_fn ev, void *data);
/*
 * Drop the administrator's use of @name (MF_OP_FORCE: make every user go,
 * dependents first).  The module stops when its last user leaves, and so do
 * the modules it used that lose their last user.
 */
int mf_unload(struct mf_context *ctx, const char *name, unsigned flags,
	      mf_event_fn ev, void *data);

/* ---- administration ---------------------------------------------------- */

struct mf_config;

/*
 * Make the catalog follow the administrator's configuration (see
 * <manifold/config.h>): neverload bans, [uses] lines of modules.conf and the
 * drivers extconfig.conf asks for, for the modules there now and those added
 * later.  Call once, before mf_boot().  Lines naming modules the catalog does
 * not have are reported (MF_EVENT_NOTE) and otherwise harmless.
 */
int mf_config_apply(struct mf_context *ctx, const struct mf_config *cfg,
		    mf_event_fn ev, void *data);

/*
 * Start what the configuration asks for: require= and load= lines, and with
 * autoload=yes every other module that is not neverloaded.  Returns 0 when
 * all of it started; -EIO when some load= or autoloaded module failed (the
 * rest runs); -ENOTRECOVERABLE when a require= failed, in which case the
 * caller must not go on (nothing is left running).
 */
int mf_boot(struct mf_context *ctx, const struct mf_config *cfg, mf_event_fn ev,
	    void *data);

/* Stop every running module, latest started first, whatever holds it. */
void mf_stop_all(struct mf_context *ctx, mf_event_fn ev, void *data);

/* Who holds @mod: calls @fn once per user with kind "admin", "module" or "object". */
int mf_module_users(struct mf_module *mod,
		    void (*fn)(void *data, const char *kind, const char *who,
			       const char *detail),
		    void *data);
/*
 * What @mod uses: one call per [uses] line with the provider chosen (NULL when
 * not running) and its priority for that line.
 */
int mf_module_deps(struct mf_module *mod,
		   void (*fn)(void *data, const struct mf_table_ref *use,
			      const char *provider, unsigned priority),
		   void *data);

/* ---- introspection (runtime/introspect.c) ------------------------------- */

/*
 * Hold the context's lock across several calls, for one consistent view:
 * the strings of an mf_module_info stay valid and nothing starts or stops
 * meanwhile (the console's read-only commands run so).  Recursive; every
 * call of this header works inside, but a forced unload made inside does
 * not wait for its users to go.  Never hold it across a module call.
 */
void mf_context_lock(struct mf_context *ctx);
void mf_context_unlock(struct mf_context *ctx);

/*
 * Where @mod is banned ("modules.conf:7"), or NULL when it is not.  A ban
 * lasts as long as the context, so the string does too.
 */
const char *mf_module_neverload(struct mf_module *mod);

/*
 * Call @fn for every provider of @type=@name, best first (priority
 * descending, then name), with its priority for that line.  0, or -ENOENT
 * when nothing provides it.
 */
int mf_providers_foreach(struct mf_context *ctx, const char *type,
			 const char *name,
			 void (*fn)(void *data, struct mf_module *provider,
				    unsigned priority),
			 void *data);

/*
 * Could `module load` start @mod now?  Asks the resolver for a plan and
 * throws it away: nothing starts and no module's state or last error
 * changes.  0 when it could (or runs already); else the resolver's negative
 * errno (-EPERM neverloaded, -ENOENT missing provider, -ELOOP cycle, -EBUSY
 * stopping) with the resolver's reason in @buf.
 */
int mf_module_can_start(struct mf_module *mod, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
