/* SPDX-License-Identifier: MIT */
/*
 * What the lifecycle's files share: lifecycle.c (states, starts, stops and
 * cascades, references), load.c (mf_load()), unload.c (mf_unload(), stop
 * all) and users.c (object users and the views of a module's users).
 * Everything here runs with ctx->lock held.
 */
#ifndef MANIFOLD_LIFECYCLE_H
#define MANIFOLD_LIFECYCLE_H

#include "core/internal.h"

/*
 * Where an operation's events go.  An operation may run inside another one
 * (a callback that loads a module), so each saves what it replaces and puts
 * it back: whenever the lock is free, ctx->ev is NULL, and a stop that
 * happens on some other thread is logged, not sent to this caller.
 */
struct mf_op_scope {
	mf_event_fn ev;
	void *ev_data;
	const char *stop_reason;
};

void mf_op_enter(struct mf_context *ctx, struct mf_op_scope *saved,
		 mf_event_fn ev, void *data);
void mf_op_leave(struct mf_context *ctx, const struct mf_op_scope *saved);

/* An event of the operation under way (@mod NULL: about @name). */
void mf_emit_named(struct mf_context *ctx, enum mf_event_kind kind,
		   const char *name, const struct mf_module *mod,
		   const char *detail);
void mf_emit(struct mf_context *ctx, enum mf_event_kind kind,
	     const struct mf_module *mod, const char *detail);

/*
 * Start @mod with choice[i] as the provider of its i-th [uses] line, each
 * running already.  0, or negative errno with mod->last_error set and
 * *no_memory telling the loader's own lack of memory from the module's
 * failure.
 */
int mf_start_one(struct mf_module *mod, struct mf_module *const *choice,
		 const char *why, bool *no_memory);
/* Close a running module: no new references, its registrations gone. */
void mf_begin_stop(struct mf_module *mod);
/* Stop it: unload callback, event, its providers let go. */
void mf_finish_stop(struct mf_module *mod);
/* Stop @mod if it lost its last user (queued within a cascade). */
void mf_check_idle_now(struct mf_module *mod);
/* Stop the queued modules, latest started first (within a cascade). */
void mf_stop_pending(struct mf_context *ctx);
/* Take the latest started module off ctx->pending. */
struct mf_module *mf_pop_pending(struct mf_context *ctx);

#endif
