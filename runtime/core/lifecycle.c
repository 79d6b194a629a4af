/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle: one set of rules for every module, whatever backend holds
 * its code.
 *
 * Each module has a lib (its mapped code, counted by lib_refs) and an
 * instance (its running state).  The instance holds one lib reference while
 * it exists; mf_module_block_unload() adds one that is never dropped.
 *
 * An instance runs while it has users: the administrator (admin_why), the
 * modules that use it (dependents), objects registered with a cancel callback,
 * and the temporary holds of an operation in progress (batch_holds); plus
 * hot-path references (refs), which keep it running but are not users.  When
 * the last user leaves the instance stops, and each module it used loses it
 * as a user, which may stop that one too: stops cascade down the graph in the
 * exact reverse of start order.
 *
 *   STOPPED --start--> STARTING --load ok--> RUNNING --last user--> STOPPING
 *      ^                   |                                           |
 *      +----load failed----+------------------unload callback----------+
 *
 * A module is STOPPING only while a forced unload waits for users that were
 * asked to go, or for references still held; its registrations are already
 * gone, so new lookups fail and stale handles report an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/lifecycle.h"

const char *mf_state_name(enum mf_state state)
{
	switch (state) {
	case MF_STATE_STOPPED:
		return "stopped";
	case MF_STATE_STARTING:
		return "starting";
	case MF_STATE_RUNNING:
		return "running";
	case MF_STATE_STOPPING:
		return "stopping";
	}
	return "unknown";
}

unsigned mf_module_users_count(const struct mf_module *mod)
{
	return (mod->admin_why ? 1u : 0u) + (unsigned)mod->dependents.n +
	       mod->n_objects + mod->batch_holds;
}

void mf_emit_named(struct mf_context *ctx, enum mf_event_kind kind,
		       const char *name, const struct mf_module *mod,
		       const char *detail)
{
	struct mf_event ev = {
		.kind = kind,
		.module = mod ? mod->name : name,
		.detail = detail ? detail : "",
		.support_level = mod ? mod->support_level : MF_SUPPORT_CORE,
	};

	if (ctx->ev)
		ctx->ev(ctx->ev_data, &ev);
	else if (kind == MF_EVENT_FAIL)
		MF_ERR(ctx, "%s: %s", ev.module, ev.detail);
	else
		MF_INFO(ctx, "%s: %s", ev.module, ev.detail);
}

void mf_emit(struct mf_context *ctx, enum mf_event_kind kind,
		 const struct mf_module *mod, const char *detail)
{
	mf_emit_named(ctx, kind, "", mod, detail);
}

void mf_op_enter(struct mf_context *ctx, struct mf_op_scope *saved,
		     mf_event_fn ev, void *data)
{
	saved->ev = ctx->ev;
	saved->ev_data = ctx->ev_data;
	saved->stop_reason = ctx->stop_reason;
	ctx->ev = ev;
	ctx->ev_data = data;
	ctx->stop_reason = NULL;
}

void mf_op_leave(struct mf_context *ctx, const struct mf_op_scope *saved)
{
	ctx->ev = saved->ev;
	ctx->ev_data = saved->ev_data;
	ctx->stop_reason = saved->stop_reason;
}

/* ---- lib ---------------------------------------------------------------- */

/* A pointer to the literal, which the linker merges with the copies of the
 * modules linked into the image: their check is one comparison. */
static const char *const build_signature = MANIFOLD_BUILD_SIGNATURE;

static int check_descriptor(struct mf_module *mod,
			    const struct manifold_module *desc)
{
	struct mf_context *ctx = mod->ctx;
	const char *why = NULL;
	char buf[MF_ERR_MAX];

	if (!desc) {
		why = "the module file has no descriptor";
	} else if (desc->abi_version != MANIFOLD_ABI_VERSION) {
		snprintf(buf, sizeof(buf),
			 "built for manifold ABI %u, this image is ABI %u",
			 desc->abi_version, MANIFOLD_ABI_VERSION);
		why = buf;
	} else if (!desc->name ||
		   (desc->name != mod->name && strcmp(desc->name, mod->name) != 0)) {
		snprintf(buf, sizeof(buf), "its descriptor is for module '%s'",
			 desc->name ? desc->name : "(null)");
		why = buf;
	} else if (!desc->build_signature ||
		   /* one string when the linker merged the copies */
		   (desc->build_signature != build_signature &&
		    strcmp(desc->build_signature, build_signature) != 0)) {
		snprintf(buf, sizeof(buf),
			 "build signature '%s' differs from the image's '%s'",
			 desc->build_signature ? desc->build_signature : "(null)",
			 build_signature);
		why = buf;
	}
	if (!why)
		return 0;
	mf_set_str(&mod->last_error, mf_strdup_printf("not binary compatible: %s", why));
	(void)ctx;
	return -ENOEXEC;
}

static int lib_get(struct mf_module *mod)
{
	const struct manifold_module *desc = NULL;
	int err;

	if (mod->lib_refs) {
		mod->lib_refs++;
		return 0;
	}
	err = mod->backend->map(mod->ctx, mod, mod->backend_data, &desc);
	if (err < 0) {
		if (!mod->last_error)
			mf_set_str(&mod->last_error,
				   mf_strdup_printf("cannot map its code: %s",
						    strerror(-err)));
		return err;
	}
	err = check_descriptor(mod, desc);
	if (err < 0) {
		if (mod->backend->unmap)
			mod->backend->unmap(mod->ctx, mod, mod->backend_data);
		return err;
	}
	mod->desc = desc;
	mod->lib_refs = 1;
	return 0;
}

static void lib_put(struct mf_module *mod)
{
	if (--mod->lib_refs)
		return;
	if (mod->backend->unmap)
		mod->backend->unmap(mod->ctx, mod, mod->backend_data);
	mod->desc = NULL;
}

void mf_module_block_unload(struct mf_module *mod)
{
	mf_lock(mod->ctx);
	if (!mod->unload_blocked && mod->lib_refs) {
		mod->unload_blocked = true;
		mod->lib_refs++;
	}
	mf_unlock(mod->ctx);
}

void mf_module_set_data(struct mf_module *mod, void *data)
{
	mod->data = data;
}

void *mf_module_get_data(const struct mf_module *mod)
{
	return mod->data;
}

/* ---- edges -------------------------------------------------------------- */

static int edge_add(struct mf_module *provider, struct mf_module *user,
		    unsigned use)
{
	struct mf_edge e = { user, use };

	return mf_array_push(&provider->dependents, e);
}

static void edge_remove(struct mf_module *provider, struct mf_module *user,
			unsigned use)
{
	struct mf_edge *d = provider->dependents.items;

	for (size_t i = 0; i < provider->dependents.n; i++) {
		if (d[i].user == user && d[i].use == use) {
			d[i] = d[--provider->dependents.n];
			return;
		}
	}
}

/* Drop @mod's use of its providers; each may then have lost its last user. */
static void release_providers(struct mf_module *mod, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct mf_module *p = mod->chosen[i];

		if (!p)
			continue;
		mod->chosen[i] = NULL;
		edge_remove(p, mod, i);
		mf_check_idle_now(p);
	}
}

/* ---- canuse ------------------------------------------------------------- */

static void notify_watchers_of(struct mf_module *mod, const char *type,
			       const char *name, bool running)
{
	struct mf_provkey *pk = mf_provkey_find(mod->ctx, type, name);

	for (size_t i = 0; pk && i < pk->watchers.n; i++) {
		struct mf_module *w = pk->watchers.items[i];

		if (w != mod && w->state == MF_STATE_RUNNING && w->desc &&
		    w->desc->canuse_changed)
			w->desc->canuse_changed(w, mod->name, running);
	}
}

/* Tell the modules that canuse what @mod provides that it came or goes. */
static void notify_watchers(struct mf_module *mod, bool running)
{
	notify_watchers_of(mod, "module", mod->name, running);
	for (unsigned i = 0; i < mod->n_provides; i++)
		notify_watchers_of(mod, mod->provides[i].type, mod->provides[i].name,
				   running);
}

/* Tell a module that just started which of its canuse targets run already. */
static void notify_started_watcher(struct mf_module *mod)
{
	if (!mod->desc->canuse_changed)
		return;
	for (unsigned i = 0; i < mod->n_canuse; i++) {
		struct mf_provkey *pk = mf_provkey_find(mod->ctx, mod->canuse[i].type,
							mod->canuse[i].name);

		for (size_t k = 0; pk && k < pk->providers.n; k++) {
			struct mf_module *p = pk->providers.items[k].mod;

			if (p != mod && p->state == MF_STATE_RUNNING)
				mod->desc->canuse_changed(mod, p->name, true);
		}
	}
}

/* ---- start and stop ----------------------------------------------------- */

/*
 * Start one module whose providers (choice[i] for each [uses] line) all
 * run already.
 * *no_memory tells the loader's own lack of memory from the module's
 * failure (a load callback may return -ENOMEM too).
 */
int mf_start_one(struct mf_module *mod, struct mf_module *const *choice,
		 const char *why, bool *no_memory)
{
	struct mf_context *ctx = mod->ctx;
	unsigned linked = 0;
	char *start_why;
	int err;

	mf_set_str(&mod->last_error, NULL);
	/* Everything that can fail for lack of memory fails before the load
	 * callback runs: a module never runs without saying why. */
	start_why = mf_strdup(why);
	/* A running module can always be queued to stop (queue_pending()). */
	if (!start_why || mf_array_reserve(&ctx->pending, ctx->modules.n) < 0) {
		*no_memory = true;
		err = -ENOMEM;
		goto err_why;
	}
	err = lib_get(mod);
	if (err < 0)
		goto err_why;
	mod->state = MF_STATE_STARTING;
	for (; linked < mod->n_uses; linked++) {
		err = edge_add(choice[linked], mod, linked);
		if (err < 0) {
			*no_memory = true;
			goto err_edges;
		}
		mod->chosen[linked] = choice[linked];
	}
	if (mod->desc->load) {
		err = mod->desc->load(mod);
		if (err > 0)
			err = -err;
		if (err < 0) {
			mf_set_str(&mod->last_error,
				   mf_strdup_printf("load callback failed: %s",
						    strerror(-err)));
			goto err_load;
		}
	}
	mod->state = MF_STATE_RUNNING;
	mod->start_seq = ++ctx->start_seq;
	mf_set_str(&mod->start_why, start_why);
	atomic_store(&mod->orphan, false);
	/* Open to references.  Only the flag: a put still owed by a holder
	 * that mf_stop_all() overran must find its count, not wrap it. */
	atomic_fetch_and(&mod->refs, ~MF_REFS_CLOSED);
	notify_watchers(mod, true);
	notify_started_watcher(mod);
	mf_emit(ctx, MF_EVENT_START, mod, why);
	return 0;

err_load:
	/* Whatever it registered before failing goes with it. */
	mf_apireg_remove_owned(mod);
	mod->data = NULL;
err_edges:
	mod->state = MF_STATE_STOPPED;
	mod->batch_holds++; /* keep check_idle off this module meanwhile */
	release_providers(mod, linked);
	mod->batch_holds--;
	lib_put(mod);
err_why:
	mf_free(start_why);
	if (!mod->last_error)
		mf_set_str(&mod->last_error, mf_strdup(strerror(-err)));
	return err;
}

void mf_begin_stop(struct mf_module *mod)
{
	if (mod->state != MF_STATE_RUNNING)
		return;
	mod->state = MF_STATE_STOPPING;
	atomic_fetch_or(&mod->refs, MF_REFS_CLOSED);
	notify_watchers(mod, false);
	/* Registrations go before the unload callback runs: nothing new can
	 * reach the module while it takes itself apart. */
	mf_apireg_remove_owned(mod);
}

void mf_finish_stop(struct mf_module *mod)
{
	struct mf_context *ctx = mod->ctx;
	const char *reason = mod->force_stop ? "forced unload" :
			     ctx->stop_reason ? ctx->stop_reason : "no users left";

	mf_begin_stop(mod);
	if (mod->desc && mod->desc->unload)
		mod->desc->unload(mod);
	mod->data = NULL;
	mod->state = MF_STATE_STOPPED;
	mod->force_stop = false;
	atomic_store(&mod->orphan, false);
	/* Closed already (begin_stop); a stop-all may leave holds behind,
	 * whose puts must count down to 0, not below. */
	atomic_fetch_or(&mod->refs, MF_REFS_CLOSED);
	mf_set_str(&mod->start_why, NULL);
	mf_emit(ctx, MF_EVENT_STOP, mod, reason);
	release_providers(mod, mod->n_uses);
	lib_put(mod);
}

/* Can @mod stop now?  Closes it to new references when it can. */
static bool ready_to_stop(struct mf_module *mod)
{
	unsigned expect = 0;

	if (mf_module_users_count(mod) > 0)
		return false;
	if (mod->state == MF_STATE_STOPPING)
		return atomic_load(&mod->refs) == MF_REFS_CLOSED;
	if (mod->state != MF_STATE_RUNNING)
		return false;
	/* Set orphan before trying: a concurrent last put either sees the
	 * flag and comes back through here, or happened before our CAS. */
	atomic_store(&mod->orphan, true);
	if (!atomic_compare_exchange_strong(&mod->refs, &expect, MF_REFS_CLOSED))
		return false;
	atomic_store(&mod->orphan, false);
	return true;
}

static void queue_pending(struct mf_context *ctx, struct mf_module *mod)
{
	if (mod->pending)
		return;
	/* Never fails: every start made room for all the modules. */
	ctx->pending.items[ctx->pending.n++] = mod;
	mod->pending = true;
}

/* Take the latest started module off the queue (a scan: cascades are
 * short, and a stop does more than compare numbers). */
struct mf_module *mf_pop_pending(struct mf_context *ctx)
{
	struct mf_module **q = ctx->pending.items, *top;
	size_t best = 0;

	for (size_t i = 1; i < ctx->pending.n; i++)
		if (q[i]->start_seq > q[best]->start_seq)
			best = i;
	top = q[best];
	q[best] = q[--ctx->pending.n];
	top->pending = false;
	return top;
}

/*
 * Stop the queued modules, latest started first; each stop may queue the
 * providers it lets go.  Runs inside a cascade (ctx->cascade_depth > 0).
 */
void mf_stop_pending(struct mf_context *ctx)
{
	while (ctx->pending.n) {
		struct mf_module *next = mf_pop_pending(ctx);

		if (mf_module_users_count(next) == 0 &&
		    next->state != MF_STATE_STOPPED) {
			/* Not what the operation stopped: what it let go. */
			const char *why = ctx->stop_reason;

			ctx->stop_reason = NULL;
			mf_finish_stop(next);
			ctx->stop_reason = why;
		} else if (next->state == MF_STATE_RUNNING) {
			/* It found a user again while queued: reopen it. */
			atomic_fetch_and(&next->refs, ~MF_REFS_CLOSED);
		}
	}
}

/*
 * Stop @mod if it has lost its last user.  Within a cascade the stop is
 * queued, and the outermost call stops the queue latest-started first, so a
 * cascade stops modules in exactly the reverse of their start order.
 */
void mf_check_idle_now(struct mf_module *mod)
{
	struct mf_context *ctx = mod->ctx;

	if (!ready_to_stop(mod))
		return;
	if (ctx->cascade_depth) {
		queue_pending(ctx, mod);
		return;
	}
	ctx->cascade_depth++;
	mf_finish_stop(mod);
	mf_stop_pending(ctx);
	ctx->cascade_depth--;
	pthread_cond_broadcast(&ctx->idle);
}

void mf_module_check_idle(struct mf_module *mod)
{
	mf_lock(mod->ctx);
	mf_check_idle_now(mod);
	pthread_cond_broadcast(&mod->ctx->idle);
	mf_unlock(mod->ctx);
}

/* ---- hot path ----------------------------------------------------------- */

/*
 * One locked add, not a compare-and-swap loop that retries under contention.
 * An add that finds the module closed is undone through mf_module_put(),
 * which also lets a stop waiting for this count to drain go on.
 */
int mf_module_get(struct mf_module *mod)
{
	if (atomic_load_explicit(&mod->refs, memory_order_relaxed) & MF_REFS_CLOSED)
		return -ESHUTDOWN;
	if (atomic_fetch_add_explicit(&mod->refs, 1, memory_order_acquire) & MF_REFS_CLOSED) {
		mf_module_put(mod);
		return -ESHUTDOWN;
	}
	return 0;
}

void mf_module_put(struct mf_module *mod)
{
	/*
	 * Sequentially consistent, not just release: with ready_to_stop()'s
	 * store of orphan and its CAS this is a store-buffering pattern, and
	 * only seq_cst on both sides rules out that it misses our put while
	 * we miss its orphan flag (a module left running with no holder).
	 */
	unsigned old = atomic_fetch_sub(&mod->refs, 1);

	/* Only the last put of a module on its way out takes the lock. */
	if ((old == 1 && atomic_load(&mod->orphan)) || old == (MF_REFS_CLOSED | 1))
		mf_module_check_idle(mod);
}

