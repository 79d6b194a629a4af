/* SPDX-License-Identifier: MIT */
/*
 * The module author's view of manifold: the one header a module includes.
 *
 * A module source declares itself once with MANIFOLD_MODULE(), which takes
 * only its callbacks: its name comes from its file, which the build passes
 * as -DMF_MODULE_NAME=<name> (the manifest's name comes from the same file
 * name), so a source never spells its own name.  The same object file works
 * embedded (the generated registry table points at the descriptor) and
 * loadable (the loader finds the descriptor by its symbol name,
 * manifold_module_<name>, in the shared object), so the macro has a single
 * expansion and module sources carry no #ifdef.
 *
 * See docs/writing-modules.md for a complete example.
 */
#ifndef MANIFOLD_MODULE_H
#define MANIFOLD_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bumped whenever struct manifold_module or the module-facing API changes.
 * 2: mf_module_log(), mf_call_result(); mf_api_register() refuses a
 * type=name the module's manifest does not provide.
 */
#define MANIFOLD_ABI_VERSION 2

#define MF_STRINGIFY_(x) #x
#define MF_STRINGIFY(x) MF_STRINGIFY_(x)

/*
 * What must match between the image and a loadable module besides the ABI
 * version: pointer width, byte order and the compiler that built them.
 */
#define MANIFOLD_BUILD_SIGNATURE                                               \
	"abi" MF_STRINGIFY(MANIFOLD_ABI_VERSION) ";ptr" MF_STRINGIFY(          \
		__SIZEOF_POINTER__) ";bo" MF_STRINGIFY(__BYTE_ORDER__) ";cc " __VERSION__

struct mf_module;
struct mf_context;

struct manifold_module {
	unsigned abi_version;	     /* MANIFOLD_ABI_VERSION when built */
	const char *name;	     /* must equal the manifest's name */
	const char *build_signature; /* MANIFOLD_BUILD_SIGNATURE when built */
	/*
	 * Start the module.  Return 0, or a negative errno to refuse: the
	 * loader then rolls back everything the same load started.  Optional.
	 */
	int (*load)(struct mf_module *self);
	/*
	 * Stop the module.  Cannot fail: registrations made with
	 * mf_api_register() are already gone when it runs, so most modules
	 * need none.  A module whose code must stay mapped calls
	 * mf_module_block_unload().  Optional.
	 */
	void (*unload)(struct mf_module *self);
	/*
	 * A module named in this module's [canuse] started (running=true)
	 * or is stopping (running=false).  Optional.
	 */
	void (*canuse_changed)(struct mf_module *self, const char *module,
			       bool running);
};

#define MF_MODULE_SYMBOL_PREFIX "manifold_module_"

/*
 * MANIFOLD_MODULE(.load = cut_load);
 *
 * In embedded/modules/func_cut.c, built with -DMF_MODULE_NAME=func_cut,
 * defines the descriptor manifold_module_func_cut of module "func_cut".
 * Every callback is optional: MANIFOLD_MODULE() declares a module with none.
 */
#define MANIFOLD_MODULE(...)                                                   \
	MF_MODULE_DESCRIPTOR_(MF_MODULE_SYMBOL_(MF_MODULE_NAME),               \
			      MF_STRINGIFY(MF_MODULE_NAME), __VA_ARGS__)

#define MF_MODULE_SYMBOL__(name) manifold_module_##name
#define MF_MODULE_SYMBOL_(name) MF_MODULE_SYMBOL__(name)
#define MF_MODULE_DESCRIPTOR_(symbol, name_string, ...)                        \
	__attribute__((visibility("default"), used))                           \
	const struct manifold_module symbol = {                                \
		.abi_version = MANIFOLD_ABI_VERSION,                           \
		.name = name_string,                                           \
		.build_signature = MANIFOLD_BUILD_SIGNATURE,                   \
		__VA_ARGS__}

/*
 * Without the build's -DMF_MODULE_NAME, the descriptor's symbol would come
 * out as manifold_module_MF_MODULE_NAME: that name is this macro, which
 * stops the compilation with an error that says what is missing.
 */
#define manifold_module_MF_MODULE_NAME                                         \
	_Pragma("GCC error \"MANIFOLD_MODULE() takes the module's name from the build: compile the module with -DMF_MODULE_NAME=<its file name without .c>\"") \
		manifold_module_unnamed

/* syslog-style priorities, for mf_module_log() and the context's log. */
enum mf_log_priority {
	MF_LOG_ERR = 3,
	MF_LOG_WARNING = 4,
	MF_LOG_NOTICE = 5,
	MF_LOG_INFO = 6,
	MF_LOG_DEBUG = 7,
};

/* The module's own name and context. */
const char *mf_module_name(const struct mf_module *mod);
struct mf_context *mf_module_context(const struct mf_module *mod);

/*
 * Log through the context's log function (stderr, unless the program that
 * runs the loader set its own) as "<module name>: <message>", at a priority
 * of enum mf_log_priority; a line above the context's priority costs no
 * formatting:
 *
 *   mf_module_log(self, MF_LOG_NOTICE, "service timer is taken");
 */
#define mf_module_log(mod, priority, ...)                                      \
	mf_module_log_at(mod, priority, __FILE__, __LINE__, __func__,          \
			 __VA_ARGS__)
void mf_module_log_at(const struct mf_module *mod, int priority,
		      const char *file, int line, const char *fn,
		      const char *format, ...)
	__attribute__((format(printf, 6, 7)));

/* Per-instance private data, cleared when the instance stops. */
void mf_module_set_data(struct mf_module *mod, void *data);
void *mf_module_get_data(const struct mf_module *mod);

/*
 * Keep this module's code mapped after its instance stops (the instance still
 * stops; only the lib stays).  For code that leaves threads or callbacks behind.
 */
void mf_module_block_unload(struct mf_module *mod);

/*
 * Hot-path hold on a running module: no global lock.  mf_module_get() returns
 * 0, or -ESHUTDOWN when the module is not running or is stopping.  A held
 * module keeps running until mf_module_put().
 */
int mf_module_get(struct mf_module *mod);
void mf_module_put(struct mf_module *mod);

/* ---- api registry ------------------------------------------------------ */

/*
 * Named interfaces: applications, functions, timing sources, realtime
 * drivers, channel technologies...  A registration belongs to the module
 * instance that made it and is removed automatically when that instance
 * stops, before its unload callback runs.
 */
struct mf_api;

/* The interface shape used by type "function" and "application". */
struct mf_callable {
	/* Run with @args; write a result into out.  0 or negative errno. */
	int (*call)(struct mf_module *self, const char *args, char *out,
		    size_t outlen);
	const char *synopsis; /* one line, for the console's help */
};

/*
 * Write a call's result text into @out (cut to @outlen, always terminated
 * when @outlen > 0) and return @rc, so that a callable answers, and fails,
 * in one statement:
 *
 *   return mf_call_result(out, outlen, -EINVAL, "CUT: bad spec '%s'", spec);
 */
int mf_call_result(char *out, size_t outlen, int rc, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Register what the module's manifest provides: a type=name of its
 * [provides] (module=<its own name> is implied).  Several modules may
 * register one type/name (two timers loaded side by side); mf_api_find()
 * returns the one whose manifest gives it the highest priority for that
 * type=name.  -EEXIST when this module registered it already, -EINVAL for
 * bad names, -ESHUTDOWN when the module is not starting or running, -EPERM
 * when its manifest does not provide type=name (nothing could depend on it).
 */
int mf_api_register(struct mf_module *owner, const char *type,
		    const char *name, const void *iface);
/* Remove early; 0 or -ENOENT.  Normally unnecessary. */
int mf_api_unregister(struct mf_module *owner, const char *type,
		      const char *name);

/*
 * Find a registration and hold its provider running until mf_api_release().
 * 0, -ENOENT (nothing registered), -ESHUTDOWN (provider stopping).
 */
int mf_api_find(struct mf_context *ctx, const char *type, const char *name,
		struct mf_api **out);
/*
 * The interface, or NULL when the registration went away (its provider was
 * forced to stop while the handle was held): a stale handle is an error,
 * never a dangling pointer.
 */
const void *mf_api_iface(const struct mf_api *api);
struct mf_module *mf_api_provider(const struct mf_api *api);
void mf_api_release(struct mf_api *api);

/*
 * Call @fn for the best registration of every name of @type ("function",
 * "application", ...), in name order.  @fn runs under the registry's lock:
 * it may copy what it is given, and call nothing of the loader.
 */
int mf_api_foreach(struct mf_context *ctx, const char *type,
		   void (*fn)(void *data, const char *name, const char *owner,
			      const void *iface),
		   void *data);

/* ---- users ------------------------------------------------------------- */

/*
 * An object (a channel, a session, a timer) that uses a running module.  The
 * module keeps running while it has users.  On a forced unload the loader
 * calls @cancel, which must make the object go away and, soon, call
 * mf_user_remove(); it may be called from any thread.
 */
struct mf_user;
typedef void (*mf_cancel_fn)(struct mf_user *user, void *data);

/* 0, -ENOENT (no such module), -ESHUTDOWN (not running or stopping). */
int mf_user_add(struct mf_module *mod, const char *label, mf_cancel_fn cancel,
		void *data, struct mf_user **out);
void mf_user_remove(struct mf_user *user);

#ifdef __cplusplus
}
#endif
#endif
