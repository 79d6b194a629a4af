/* SPDX-License-Identifier: MIT */
/*
 * Hooks the core offers to the layers above it.  The core (context, catalog,
 * resolver, lifecycle, api registry) knows nothing of configuration files or
 * module directories; the boot policy (modules.conf, extconfig.conf) and the
 * loadable layer (module directory, index) register a set of hooks here and
 * keep their own state in @data, and the core calls them at fixed points.
 * Every member may be NULL.  Hooks run with ctx->lock held.
 */
#ifndef MANIFOLD_HOOKS_H
#define MANIFOLD_HOOKS_H

#include <stddef.h>

#include <manifold/manifold.h>

struct mf_module;

struct mf_hooks {
	/* A module entered the catalog: give it what the layer adds (an
	 * administrator's [uses]).  0, or negative errno to refuse it. */
	int (*module_added)(struct mf_context *ctx, struct mf_module *mod, void *data);
	/* Why @mod may not be loaded by anyone (a neverload ban, "modules.conf:7"),
	 * or NULL. */
	const char *(*refusal)(struct mf_context *ctx, const struct mf_module *mod,
			       void *data);
	/* A load is about to look modules up by name or provider: bring the
	 * catalog up to date (a module directory that changed). */
	void (*before_lookup)(struct mf_context *ctx, mf_event_fn ev, void *ev_data,
			      void *data);
	/* What to say instead of "no such module" (why none can be found), or NULL. */
	const char *(*not_found)(struct mf_context *ctx, void *data);
	/* The context is going: free @data. */
	void (*release)(struct mf_context *ctx, void *data);
};

struct mf_hook_set {
	const struct mf_hooks *hooks;
	void *data;
};

/* Register @hooks with @data; 0 or -ENOMEM.  Hooks run in registration order. */
int mf_hooks_add(struct mf_context *ctx, const struct mf_hooks *hooks, void *data);
/* The @data registered with @hooks, or NULL: how a layer finds its state. */
void *mf_hooks_data(struct mf_context *ctx, const struct mf_hooks *hooks);

int mf_hooks_module_added(struct mf_context *ctx, struct mf_module *mod);
const char *mf_hooks_refusal(struct mf_context *ctx, const struct mf_module *mod);
void mf_hooks_before_lookup(struct mf_context *ctx, mf_event_fn ev, void *ev_data);
const char *mf_hooks_not_found(struct mf_context *ctx);
void mf_hooks_release(struct mf_context *ctx);

#endif
