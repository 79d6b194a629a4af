/* SPDX-License-Identifier: MIT */
/*
 * The module author's view of manifold.
 *
 * A module source declares itself once with MANIFOLD_MODULE().  The same
 * object file works embedded (the generated registry table points at the
 * descriptor) and loadable (the loader finds the descriptor by its symbol
 * name, manifold_module_<name>, in the shared object), so the macro has a
 * single expansion and module sources carry no #ifdef.
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

/* Bumped whenever struct manifold_module or the module-facing API changes. */
#define MANIFOLD_ABI_VERSION 1

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
 * MANIFOLD_MODULE(func_cut, .load = cut_load);
 *
 * Declares the descriptor of module func_cut.  The name is the manifest's
 * name, written as an identifier.
 *
 * The descriptor and the two strings the loader checks before anything
 * else (name and build signature) are one object, so that they share a
 * page: a string literal would sit in .rodata, a page of the module file
 * nothing else touches before the module runs, and checking it cost a page
 * fault for every module a boot maps.  The exported symbol is an alias of
 * the object's first member, a plain struct manifold_module, so the ABI is
 * unchanged.
 */
#define MANIFOLD_MODULE(modname, ...)                                          \
	static const struct {                                                  \
		struct manifold_module desc;                                   \
		char name[sizeof(#modname)];                                   \
		char build_signature[sizeof(MANIFOLD_BUILD_SIGNATURE)];        \
	} mf_descriptor_##modname __attribute__((used)) = {                    \
		.desc = {.abi_version = MANIFOLD_ABI_VERSION,                  \
			 .name = mf_descriptor_##modname.name,                 \
			 .build_signature =                                    \
				 mf_descriptor_##modname.build_signature,      \
			 __VA_ARGS__},                                         \
		.name = #modname,                                              \
		.build_signature = MANIFOLD_BUILD_SIGNATURE,                   \
	};                                                                     \
	extern const struct manifold_module manifold_module_##modname          \
		__attribute__((alias("mf_descriptor_" #modname),               \
			       visibility("default")))

/* The module's own name and context. */
const char *mf_module_name(const struct mf_module *mod);
struct mf_context *mf_module_context(const struct mf_module *mod);

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
 * Several modules may register one type/name (two timers loaded side by
 * side); mf_api_find() returns the one whose manifest gives it the highest
 * priority for that type=name.  -EEXIST when this module registered it
 * already, -EINVAL for bad names, -ESHUTDOWN when the module is not starting
 * or running.
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
