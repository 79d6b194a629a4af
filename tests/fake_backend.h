/* SPDX-License-Identifier: MIT */
/*
 * A test backend for the real runtime: modules built from manifest text
 * written inline in a test, each with a descriptor whose callbacks record
 * what the lifecycle did to them in one global journal, for example
 *
 *	"load:a load:b unload:b unload:a canuse:w:a:on"
 *
 * A failed load is journalled as "load:x:fail".  Every module registers each
 * line of its [provides] (except module=) in the api registry when it loads,
 * with an mf_callable that answers "<module>:<args>", so the registry, the
 * console's `call` and the lifecycle can be driven with no real module.
 *
 * Knobs, set before the module is used: load fails with an errno, map fails
 * with an errno, the descriptor carries a wrong ABI version, build signature
 * or name, the load calls mf_module_block_unload(), test hooks run inside
 * load and unload.
 */
#ifndef FAKE_BACKEND_H
#define FAKE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include <manifold/manifold.h>

extern const struct mf_backend_ops fake_backend_ops;

/*
 * A context whose log goes to a capture (fake_log()) instead of stderr, with
 * the priority at DEBUG so that every message can be asserted on.
 */
int fake_context_new(struct mf_context **out);

/* Add one module from its manifest text; *out (may be NULL) is the catalog entry. */
int fake_add(struct mf_context *ctx, const char *manifest, struct mf_module **out);
/*
 * Add several modules: @text is a run of manifests, each beginning with a
 * "[module]" line.  Returns 0 or the first error (with a message on stderr).
 */
int fake_add_all(struct mf_context *ctx, const char *text);

/* The catalog entry of @name; aborts the test process when there is none. */
struct mf_module *fake_mod(struct mf_context *ctx, const char *name);

/* ---- knobs (per module, by name) ----------------------------------------- */

void fake_fail_load(struct mf_context *ctx, const char *name, int err);
void fake_fail_map(struct mf_context *ctx, const char *name, int err);
void fake_set_abi(struct mf_context *ctx, const char *name, unsigned abi);
void fake_set_signature(struct mf_context *ctx, const char *name,
			const char *signature);
void fake_set_desc_name(struct mf_context *ctx, const char *name,
			const char *desc_name);
/* map() succeeds but yields no descriptor. */
void fake_set_no_desc(struct mf_context *ctx, const char *name);
void fake_set_block_unload(struct mf_context *ctx, const char *name, bool on);
/* Do not register the [provides] lines at load. */
void fake_set_no_register(struct mf_context *ctx, const char *name);

typedef int (*fake_load_hook)(struct mf_module *self, void *data);
typedef void (*fake_unload_hook)(struct mf_module *self, void *data);
/* Run inside the callbacks, after the journal entry and the registrations. */
void fake_set_hooks(struct mf_context *ctx, const char *name,
		    fake_load_hook on_load, fake_unload_hook on_unload,
		    void *data);

/* How often the backend mapped and unmapped @name's code. */
unsigned fake_maps(struct mf_context *ctx, const char *name);
unsigned fake_unmaps(struct mf_context *ctx, const char *name);

/* ---- journal ------------------------------------------------------------- */

/* The journal so far; valid until the next journal call. */
const char *fake_journal(void);
void fake_journal_clear(void);
/* The stress test turns it off: it would only grow. */
void fake_journal_enable(bool on);
void fake_journal_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- events -------------------------------------------------------------- */

/*
 * An mf_event_fn recorder.  seq lists "kind:module" words in order
 * ("start:a fail:b held:c"); lines holds "kind module: detail" lines.
 */
struct fake_events {
	char seq[8192];
	char lines[16384];
	unsigned count;
};
void fake_events_fn(void *data, const struct mf_event *ev);
void fake_events_clear(struct fake_events *e);
/* The detail of the first event of @kind for @module, or NULL. */
const char *fake_events_detail(const struct fake_events *e,
			       enum mf_event_kind kind, const char *module,
			       char *buf, size_t len);
const char *fake_event_kind_name(enum mf_event_kind kind);

/* ---- views --------------------------------------------------------------- */

/* Every log message since the last clear, one per line. */
const char *fake_log(void);
void fake_log_clear(void);

enum mf_state fake_state(struct mf_context *ctx, const char *name);
struct mf_module_info fake_info(struct mf_context *ctx, const char *name);
/*
 * One line per module, sorted by name: "name state users refs lib_refs
 * admin", to compare the whole catalog before and after an operation.
 * The caller frees the result.
 */
char *fake_snapshot(struct mf_context *ctx);

/* Start @names (space-separated) as the administrator; returns mf_load()'s result. */
int fake_load(struct mf_context *ctx, const char *names, struct fake_events *ev);
/* A context of its own on module directory @dir (mf_moddir_set() @flags),
 * its first refresh made with its events in @ev and its result in
 * *@refreshed; NULL if the context or the directory could not be set. */
struct mf_context *fake_moddir_boot(const char *dir, unsigned flags,
				    struct fake_events *ev, int *refreshed);
/* The description of module @name in @ctx, "" for none, "(none)" if absent. */
const char *fake_description(struct mf_context *ctx, const char *name);
int fake_load_flags(struct mf_context *ctx, const char *names, unsigned flags,
		    struct fake_events *ev);

#endif
