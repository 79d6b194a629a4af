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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "internal.h"

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
	return (mod->admin_why ? 1u : 0u) + (unsigned)mod->n_dependents +
	       mod->n_objects + mod->batch_holds;
}

static void emit_named(struct mf_context *ctx, enum mf_event_kind kind,
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

static void emit(struct mf_context *ctx, enum mf_event_kind kind,
		 const struct mf_module *mod, const char *detail)
{
	emit_named(ctx, kind, "", mod, detail);
}

/*
 * Where an operation's events go.  An operation may run inside another one
 * (a callback that loads a module), so each saves what it replaces and puts
 * it back: whenever the lock is free, ctx->ev is NULL, and a stop that
 * happens on some other thread is logged, not sent to this caller.
 */
struct op_scope {
	mf_event_fn ev;
	void *ev_data;
	const char *stop_reason;
};

static void op_enter(struct mf_context *ctx, struct op_scope *saved,
		     mf_event_fn ev, void *data)
{
	saved->ev = ctx->ev;
	saved->ev_data = ctx->ev_data;
	saved->stop_reason = ctx->stop_reason;
	ctx->ev = ev;
	ctx->ev_data = data;
	ctx->stop_reason = NULL;
}

static void op_leave(struct mf_context *ctx, const struct op_scope *saved)
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
	if (provider->n_dependents == provider->cap_dependents) {
		size_t cap = provider->cap_dependents ? provider->cap_dependents * 2 : 4;
		void *p;

		if (provider->dependents_in_block) {
			/* Outgrew its part of a planned boot's block. */
			p = mf_malloc(cap * sizeof(struct mf_edge));
			if (p)
				memcpy(p, provider->dependents,
				       provider->n_dependents * sizeof(struct mf_edge));
		} else {
			p = mf_realloc(provider->dependents, cap * sizeof(struct mf_edge));
		}
		if (!p)
			return -ENOMEM;
		provider->dependents = p;
		provider->cap_dependents = cap;
		provider->dependents_in_block = false;
	}
	provider->dependents[provider->n_dependents].user = user;
	provider->dependents[provider->n_dependents].use = use;
	provider->n_dependents++;
	return 0;
}

static void edge_remove(struct mf_module *provider, struct mf_module *user,
			unsigned use)
{
	for (size_t i = 0; i < provider->n_dependents; i++) {
		if (provider->dependents[i].user == user &&
		    provider->dependents[i].use == use) {
			provider->dependents[i] =
				provider->dependents[--provider->n_dependents];
			return;
		}
	}
}

static void check_idle_now(struct mf_module *mod);

/* Drop @mod's use of its providers; each may then have lost its last user. */
static void release_providers(struct mf_module *mod, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct mf_module *p = mod->chosen[i];

		if (!p)
			continue;
		mod->chosen[i] = NULL;
		edge_remove(p, mod, i);
		check_idle_now(p);
	}
}

/* ---- canuse ------------------------------------------------------------- */

static void notify_watchers_of(struct mf_module *mod, struct mf_provkey *pk,
			       bool running)
{
	for (size_t i = 0; i < pk->n_watchers; i++) {
		struct mf_module *w = pk->watchers[i];

		if (w != mod && w->state == MF_STATE_RUNNING && w->desc &&
		    w->desc->canuse_changed)
			w->desc->canuse_changed(w, mod->name, running);
	}
}

/*
 * Tell the modules that canuse what @mod provides that it came or goes.
 * An unindexed catalog (catalog.c) has no module that would be told: its
 * keys are NULL until it is indexed.
 */
static void notify_watchers(struct mf_module *mod, bool running)
{
	for (unsigned i = 0; i < 1 + mod->n_provides; i++)
		if (mod->keys[i])
			notify_watchers_of(mod, mod->keys[i], running);
}

/* Tell a module that just started which of its canuse targets run already. */
static void notify_started_watcher(struct mf_module *mod)
{
	if (!mod->desc->canuse_changed)
		return;
	for (unsigned i = 0; i < mod->n_canuse; i++) {
		struct mf_provkey *pk = mod->keys[1 + mod->n_provides + i];

		for (size_t k = 0; pk && k < pk->n_providers; k++) {
			struct mf_module *p = pk->providers[k].mod;

			if (p != mod && p->state == MF_STATE_RUNNING)
				mod->desc->canuse_changed(mod, p->name, true);
		}
	}
}

/* ---- start and stop ----------------------------------------------------- */

/*
 * Start one module whose providers (mod->plan_choice) all run already.
 * *no_memory tells the loader's own lack of memory from the module's
 * failure (a load callback may return -ENOMEM too).
 */
static int start_one(struct mf_module *mod, const char *why, bool *no_memory)
{
	struct mf_context *ctx = mod->ctx;
	unsigned linked = 0;
	char *start_why;
	int err;

	mf_set_str(&mod->last_error, NULL);
	/* Everything that can fail for lack of memory fails before the load
	 * callback runs: a module never runs without saying why. */
	start_why = mf_why_dup(ctx, why);
	if (!start_why) {
		*no_memory = true;
		err = -ENOMEM;
		goto err_out;
	}
	err = lib_get(mod);
	if (err < 0)
		goto err_why;
	mod->state = MF_STATE_STARTING;
	for (; linked < mod->n_uses; linked++) {
		err = edge_add(mod->plan_choice[linked], mod, linked);
		if (err < 0) {
			*no_memory = true;
			goto err_edges;
		}
		mod->chosen[linked] = mod->plan_choice[linked];
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
	mf_set_why(ctx, &mod->start_why, start_why);
	atomic_store(&mod->orphan, false);
	/* Open to references.  Only the flag: a put still owed by a holder
	 * that mf_stop_all() overran must find its count, not wrap it. */
	atomic_fetch_and(&mod->refs, ~MF_REFS_CLOSED);
	notify_watchers(mod, true);
	notify_started_watcher(mod);
	emit(ctx, MF_EVENT_START, mod, why);
	return 0;

err_load:
	/* Whatever it registered before failing goes with it. */
	mf_registry_remove_owned(mod);
	mod->data = NULL;
err_edges:
	mod->state = MF_STATE_STOPPED;
	mod->batch_holds++; /* keep check_idle off this module meanwhile */
	release_providers(mod, linked);
	mod->batch_holds--;
	lib_put(mod);
err_why:
	mf_set_why(ctx, &start_why, NULL);
err_out:
	if (!mod->last_error)
		mf_set_str(&mod->last_error, mf_strdup(strerror(-err)));
	return err;
}

static void begin_stop(struct mf_module *mod)
{
	if (mod->state != MF_STATE_RUNNING)
		return;
	mod->state = MF_STATE_STOPPING;
	atomic_fetch_or(&mod->refs, MF_REFS_CLOSED);
	notify_watchers(mod, false);
	/* Registrations go before the unload callback runs: nothing new can
	 * reach the module while it takes itself apart. */
	mf_registry_remove_owned(mod);
}

static void finish_stop(struct mf_module *mod)
{
	struct mf_context *ctx = mod->ctx;
	const char *reason = mod->force_stop ? "forced unload" :
			     ctx->stop_reason ? ctx->stop_reason : "no users left";

	begin_stop(mod);
	if (mod->desc && mod->desc->unload)
		mod->desc->unload(mod);
	mod->data = NULL;
	mod->state = MF_STATE_STOPPED;
	mod->force_stop = false;
	atomic_store(&mod->orphan, false);
	/* Closed already (begin_stop); a stop-all may leave holds behind,
	 * whose puts must count down to 0, not below. */
	atomic_fetch_or(&mod->refs, MF_REFS_CLOSED);
	mf_set_why(ctx, &mod->start_why, NULL);
	emit(ctx, MF_EVENT_STOP, mod, reason);
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

static unsigned pending_rank(const struct mf_module *m)
{
	return m ? m->pending_rank : 0;
}

/*
 * Merge two leftist heaps (latest start_seq on top).  The right spine of a
 * leftist heap is at most log2(n) long, so is the recursion.
 */
static struct mf_module *pending_merge(struct mf_module *a, struct mf_module *b)
{
	struct mf_module *t;

	if (!a)
		return b;
	if (!b)
		return a;
	if (b->start_seq > a->start_seq) {
		t = a;
		a = b;
		b = t;
	}
	a->pending_right = pending_merge(a->pending_right, b);
	if (pending_rank(a->pending_left) < pending_rank(a->pending_right)) {
		t = a->pending_left;
		a->pending_left = a->pending_right;
		a->pending_right = t;
	}
	a->pending_rank = pending_rank(a->pending_right) + 1;
	return a;
}

static void queue_pending(struct mf_context *ctx, struct mf_module *mod)
{
	if (mod->pending)
		return;
	mod->pending = true;
	mod->pending_left = mod->pending_right = NULL;
	mod->pending_rank = 1;
	ctx->pending = pending_merge(ctx->pending, mod);
}

/* Take the latest started module off the queue. */
static struct mf_module *pop_pending(struct mf_context *ctx)
{
	struct mf_module *top = ctx->pending;

	ctx->pending = pending_merge(top->pending_left, top->pending_right);
	top->pending_left = top->pending_right = NULL;
	top->pending = false;
	return top;
}

/*
 * Stop the queued modules, latest started first; each stop may queue the
 * providers it lets go.  Runs inside a cascade (ctx->cascade_depth > 0).
 */
static void stop_pending(struct mf_context *ctx)
{
	while (ctx->pending) {
		struct mf_module *next = pop_pending(ctx);

		if (mf_module_users_count(next) == 0 &&
		    next->state != MF_STATE_STOPPED) {
			/* Not what the operation stopped: what it let go. */
			const char *why = ctx->stop_reason;

			ctx->stop_reason = NULL;
			finish_stop(next);
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
static void check_idle_now(struct mf_module *mod)
{
	struct mf_context *ctx = mod->ctx;

	if (!ready_to_stop(mod))
		return;
	if (ctx->cascade_depth) {
		queue_pending(ctx, mod);
		return;
	}
	ctx->cascade_depth++;
	finish_stop(mod);
	stop_pending(ctx);
	ctx->cascade_depth--;
	pthread_cond_broadcast(&ctx->idle);
}

void mf_module_check_idle(struct mf_module *mod)
{
	mf_lock(mod->ctx);
	check_idle_now(mod);
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

/* ---- object users ------------------------------------------------------- */

int mf_user_add(struct mf_module *mod, const char *label, mf_cancel_fn cancel,
		void *data, struct mf_user **out)
{
	struct mf_user *u = mf_calloc(1, sizeof(*u));
	int err = -ENOMEM;

	if (!u)
		return -ENOMEM;
	u->label = mf_strdup(label ? label : "object");
	if (!u->label)
		goto err_free;
	u->mod = mod;
	u->cancel = cancel;
	u->data = data;
	mf_lock(mod->ctx);
	if (mod->state != MF_STATE_RUNNING || mod->force_stop) {
		mf_unlock(mod->ctx);
		err = -ESHUTDOWN;
		goto err_label;
	}
	u->next = mod->objects;
	mod->objects = u;
	mod->n_objects++;
	mf_unlock(mod->ctx);
	*out = u;
	return 0;

err_label:
	mf_free(u->label);
err_free:
	mf_free(u);
	return err;
}

void mf_user_remove(struct mf_user *user)
{
	struct mf_module *mod;
	struct mf_user **pp;

	if (!user)
		return;
	mod = user->mod;
	mf_lock(mod->ctx);
	for (pp = &mod->objects; *pp; pp = &(*pp)->next) {
		if (*pp == user) {
			*pp = user->next;
			mod->n_objects--;
			break;
		}
	}
	check_idle_now(mod);
	pthread_cond_broadcast(&mod->ctx->idle);
	mf_unlock(mod->ctx);
	mf_free(user->label);
	mf_free(user);
}

/* ---- load --------------------------------------------------------------- */

struct batch {
	struct mf_module **items;
	size_t n, cap;
};

static int batch_push(struct batch *b, struct mf_module *mod)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		void *p = mf_realloc(b->items, cap * sizeof(*b->items));

		if (!p)
			return -ENOMEM;
		b->items = p;
		b->cap = cap;
	}
	b->items[b->n++] = mod;
	mod->batch_holds++;
	return 0;
}

/* Drop the holds taken after @mark, latest first: a clean rollback. */
static void batch_release(struct batch *b, size_t mark)
{
	while (b->n > mark) {
		struct mf_module *mod = b->items[--b->n];

		mod->batch_holds--;
		check_idle_now(mod);
	}
}

static char *used_by_why(const struct mf_module *mod)
{
	const struct mf_module *by = mod->plan_by;

	if (!by)
		return mf_strdup("dependency");
	return mf_strdup_printf("used by %s (%s=%s)", by->name,
				by->uses[mod->plan_by_use].type,
				by->uses[mod->plan_by_use].name);
}

/*
 * @mod failed to start (or, *no_memory, the loader could not start it):
 * say so, and drop what this attempt holds since @mark.
 */
static void start_failed(struct mf_context *ctx, struct mf_module *mod,
			 bool no_memory, struct batch *b, size_t mark)
{
	if (no_memory) {
		mf_set_str(&mod->last_error, mf_strdup("out of memory"));
	} else {
		mod->fail_gen = ctx->op_gen;
		emit(ctx, MF_EVENT_FAIL, mod, mod->last_error);
	}
	ctx->stop_reason = "rolled back";
	check_idle_now(mod);
	batch_release(b, mark);
	ctx->stop_reason = NULL;
}

/*
 * Start one module, holding a batch hold: its providers run already.  On
 * failure the holds taken since @mark go too.
 */
static int start_held(struct mf_context *ctx, struct mf_module *mod,
		      const char *why, struct batch *b, size_t mark,
		      bool *no_memory)
{
	int err = start_one(mod, why, no_memory);

	if (err == 0) {
		err = batch_push(b, mod);
		if (err == 0)
			return 0;
		/* Running without a hold: it would never stop. */
		*no_memory = true;
	}
	start_failed(ctx, mod, *no_memory, b, mark);
	return err;
}

/*
 * Start @target and what it needs, each holding a batch hold.  A provider
 * that fails is excluded for the rest of the operation and the plan is made
 * again, so the next provider of the same service gets its turn.  When the
 * loader itself runs out of memory it returns -ENOMEM with what this call
 * started stopped again, and the operation gives up as a whole (mf_load()):
 * that is no reason to exclude a module.
 */
static int start_closure(struct mf_context *ctx, struct mf_module *target,
			 const char *why, struct batch *b)
{
	for (;;) {
		bool no_memory = false;
		struct mf_plan plan;
		size_t mark = b->n;
		int err;

		mf_plan_init(ctx, &plan);
		err = mf_plan_add(&plan, target);
		if (err == 0)
			err = mf_plan_sort(&plan);
		if (err < 0) {
			mf_plan_fini(&plan);
			return err;
		}
		for (size_t i = 0; i < plan.n; i++) {
			struct mf_module *mod = plan.list[i];
			char *dep_why = mod == target ? NULL : used_by_why(mod);

			if (mod != target && !dep_why) {
				no_memory = true;
				err = -ENOMEM;
				start_failed(ctx, mod, true, b, mark);
			} else {
				err = start_held(ctx, mod, dep_why ? dep_why : why,
						 b, mark, &no_memory);
			}
			mf_free(dep_why);
			if (err < 0)
				break;
		}
		mf_plan_fini(&plan);
		if (err == 0)
			return 0;
		if (no_memory)
			return -ENOMEM;
		if (target->fail_gen == ctx->op_gen)
			return err;
	}
}

/*
 * mf_boot() of the default configuration: the requests are the catalog's
 * modules in catalog order and the generated plan fits (bootplan.c).
 * Returns the table, with mods/found set as step 1 of mf_load() would, or
 * NULL (nothing changed) to plan as usual.
 */
static const struct mf_table *boot_plan_requests(struct mf_context *ctx,
						 struct mf_request *reqs,
						 size_t n,
						 struct mf_module **mods,
						 struct mf_module **found)
{
	const struct mf_table *table = mf_boot_plan_table(ctx);

	if (!table || n != ctx->n_modules)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (reqs[i].name != ctx->modules[i]->name)
			return NULL;
	if (!mf_boot_plan_fits(ctx, table))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		mods[i] = found[i] = ctx->modules[i];
		reqs[i].result = 0;
		if (!mods[i]->op_req)
			mods[i]->op_req = &reqs[i];
	}
	return table;
}

/*
 * A block for @total dependents, kept in ctx->edge_blocks, or NULL: a boot
 * made a small allocation for nearly every provider, between the module
 * files' dlopen() calls, whose walk of the libraries loaded so far grew
 * slower the more the heap was mixed with other blocks.  Without memory
 * for the block, each array grows its own as in any other load.
 */
static struct mf_edge *edge_block(struct mf_context *ctx, size_t total)
{
	struct mf_edge *block;
	void *p;

	p = mf_realloc(ctx->edge_blocks, (ctx->n_edge_blocks + 1) * sizeof(void *));
	if (!p)
		return NULL;
	ctx->edge_blocks = p;
	block = mf_malloc(total * sizeof(*block));
	if (block)
		ctx->edge_blocks[ctx->n_edge_blocks++] = block;
	return block;
}

/*
 * @mod's dependents array from the block at *@used, as long as the count
 * in its plan_idx (the resolver's scratch, free once a plan is ordered),
 * unless it has an array already.
 */
static void give_edges(struct mf_module *mod, struct mf_edge *block, size_t *used)
{
	if (!mod->plan_idx || mod->dependents)
		return;
	mod->dependents = block + *used;
	mod->cap_dependents = mod->plan_idx;
	mod->dependents_in_block = true;
	*used += mod->plan_idx;
}

/* Room for the dependents the (fitting) generated plan gives each module. */
static void reserve_planned_edges(struct mf_context *ctx,
				  const struct mf_table *table)
{
	const unsigned *choice = table->boot_choice;
	size_t total = 0, used = 0, c = 0;
	struct mf_edge *block;

	for (size_t i = 0; i < ctx->n_modules; i++)
		ctx->modules[i]->plan_idx = 0;
	for (size_t k = 0; k < table->n_boot_order; k++) {
		const struct mf_module *mod = ctx->modules[table->boot_order[k]];

		for (unsigned u = 0; u < mod->n_uses; u++) {
			struct mf_module *p = ctx->modules[choice[c++]];

			if (!p->dependents) {
				p->plan_idx++;
				total++;
			}
		}
	}
	if (!total || !(block = edge_block(ctx, total)))
		return;
	for (size_t i = 0; i < ctx->n_modules; i++)
		give_edges(ctx->modules[i], block, &used);
}

/*
 * The same for an ordered plan of the resolver's, whose providers are each
 * module's plan_choice[] (running ones too).
 */
static void reserve_plan_edges(struct mf_context *ctx, const struct mf_plan *plan)
{
	size_t total = 0, used = 0;
	struct mf_edge *block;

	for (size_t i = 0; i < plan->n; i++)
		for (unsigned u = 0; u < plan->list[i]->n_uses; u++)
			plan->list[i]->plan_choice[u]->plan_idx = 0;
	for (size_t i = 0; i < plan->n; i++)
		for (unsigned u = 0; u < plan->list[i]->n_uses; u++) {
			struct mf_module *p = plan->list[i]->plan_choice[u];

			if (!p->dependents) {
				p->plan_idx++;
				total++;
			}
		}
	/* One edge is one allocation either way. */
	if (total < 2 || !(block = edge_block(ctx, total)))
		return;
	/* A provider met again has its array by then: given once. */
	for (size_t i = 0; i < plan->n; i++)
		for (unsigned u = 0; u < plan->list[i]->n_uses; u++)
			give_edges(plan->list[i]->plan_choice[u], block, &used);
}

/*
 * Start the k-th module of the boot plan with the providers the plan chose,
 * as start_closure() would once they all run.  1: the plan does not fit
 * here, a provider is not running (start_closure() takes over).
 */
static int start_planned(struct mf_context *ctx, const struct mf_table *table,
			 size_t k, size_t *choice, struct mf_module *mod,
			 const char *why, struct batch *b)
{
	bool no_memory = false;
	int err;

	mf_boot_plan_module(ctx, table, k, choice);
	for (unsigned u = 0; u < mod->n_uses; u++)
		if (mod->plan_choice[u]->state != MF_STATE_RUNNING)
			return 1;
	err = start_held(ctx, mod, why, b, b->n, &no_memory);
	return no_memory ? -ENOMEM : err;
}

struct planned {
	struct mf_module *mod;
	const char *why;
	char *own_why; /* why, when made here rather than the request's */
};

/* What each request of a load that ran out of memory says. */
#define OUT_OF_MEMORY "out of memory: nothing of this load was started"

static int lookup_request(struct mf_context *ctx, struct mf_request *req,
			  struct mf_module **out)
{
	int err = mf_module_find(ctx, req->name, out);

	if (err == -EINVAL)
		emit_named(ctx, MF_EVENT_FAIL, req->name, NULL,
			   "invalid module name (names are not paths)");
	else if (err < 0 && err != -ENOMEM) /* that one: the whole load fails */
		/* Says where else it was looked for (the module directory), or
		 * that an image without loadable modules has no elsewhere. */
		emit_named(ctx, MF_EVENT_FAIL, req->name, NULL,
			   mf_hooks_not_found(ctx) ?
				   mf_hooks_not_found(ctx) : "no such module");
	return err;
}

/*
 * The module request @req names: @known when the caller has it (as an
 * index lookup would find it), else looked up by name.
 */
static int request_module(struct mf_context *ctx, struct mf_request *req,
			  struct mf_module *known, struct mf_module **out)
{
	if (!known)
		return lookup_request(ctx, req, out);
	/* What a lookup does first; planning would do it anyway. */
	if (mf_catalog_index(ctx) < 0)
		return -ENOMEM;
	*out = known;
	return 0;
}

int mf_load(struct mf_context *ctx, struct mf_request *reqs, size_t n,
	    unsigned flags, mf_event_fn ev, void *data)
{
	return mf_load_known(ctx, reqs, NULL, n, flags, ev, data);
}

int mf_load_known(struct mf_context *ctx, struct mf_request *reqs,
		  struct mf_module *const *known, size_t n, unsigned flags,
		  mf_event_fn ev, void *data)
{
	/* mods[i]: the module request i starts; found[i]: the one it named
	 * (also when it cannot start), whose op_req is cleared at the end */
	struct mf_module **mods = mf_calloc(n ? 2 * n : 1, sizeof(*mods));
	struct mf_module **found;
	char **admin;
	struct planned *order = NULL;
	struct batch b = { 0 };
	struct op_scope scope;
	struct mf_plan plan;
	const struct mf_table *boot_plan = NULL;
	size_t n_order = 0, n_list, choice = 0;
	int first_err = 0, sort_err;

	if (!mods) {
		for (size_t i = 0; i < n; i++) {
			struct mf_event e = { .kind = MF_EVENT_FAIL, .module = reqs[i].name,
					      .detail = OUT_OF_MEMORY };

			reqs[i].result = -ENOMEM;
			if (ev)
				ev(data, &e);
			else
				MF_ERR(ctx, "%s: %s", e.module, e.detail);
		}
		return -ENOMEM;
	}
	found = mods + n;
	/* Modules installed since the last look become loadable, removed
	 * ones stop being so. */
	mf_hooks_before_lookup(ctx, ev, data);
	mf_lock(ctx);
	op_enter(ctx, &scope, ev, data);
	ctx->op_gen++;
	mf_plan_init(ctx, &plan);
	if (flags & MF_OP_BOOT_PLAN)
		boot_plan = boot_plan_requests(ctx, reqs, n, mods, found);
	if (boot_plan && !(flags & MF_OP_DRY_RUN)) {
		reserve_planned_edges(ctx, boot_plan);
		/* Every module takes a batch hold: room for all at once. */
		b.items = mf_malloc(n * sizeof(*b.items));
		b.cap = b.items ? n : 0;
	}

	/* 1. One plan for every request, so that the start order is global
	 * (a boot of the default configuration has it from the generator). */
	for (size_t i = 0; !boot_plan && i < n; i++) {
		struct mf_event e = { .kind = MF_EVENT_FAIL, .module = reqs[i].name };

		reqs[i].result = request_module(ctx, &reqs[i],
						known ? known[i] : NULL, &mods[i]);
		if (reqs[i].result == -ENOMEM) {
			mods[i] = NULL;
			first_err = -ENOMEM;
			goto out_nomem;
		}
		if (reqs[i].result < 0) {
			mods[i] = NULL;
			continue;
		}
		found[i] = mods[i];
		if (!mods[i]->op_req)
			mods[i]->op_req = &reqs[i];
		reqs[i].result = mf_plan_add(&plan, mods[i]);
		if (reqs[i].result == -ENOMEM) {
			first_err = -ENOMEM;
			goto out_nomem;
		}
		if (reqs[i].result < 0) {
			e.detail = mods[i]->last_error;
			e.support_level = mods[i]->support_level;
			if (ev)
				ev(data, &e);
			else
				MF_ERR(ctx, "%s: %s", e.module, e.detail);
			mods[i] = NULL;
		}
	}
	n_list = boot_plan ? n : plan.n;
	sort_err = boot_plan ? 0 : mf_plan_sort(&plan);
	if (sort_err == 0 && !boot_plan && !(flags & MF_OP_DRY_RUN))
		reserve_plan_edges(ctx, &plan);
	if (sort_err < 0 ||
	    !(order = mf_calloc(n_list ? n_list : 1, sizeof(*order)))) {
		first_err = -ENOMEM;
		goto out_nomem;
	}
	for (size_t i = 0; i < n_list; i++) {
		struct mf_module *mod = boot_plan ?
			ctx->modules[boot_plan->boot_order[i]] : plan.list[i];
		const char *req_why = NULL;

		/* Requests are marked on their modules: no scan per module. */
		if (mod->op_req)
			req_why = mod->op_req->why ? mod->op_req->why : "requested";
		order[n_order].mod = mod;
		/* A request's why outlives the load: borrow it. */
		if (!req_why)
			req_why = order[n_order].own_why = used_by_why(mod);
		order[n_order].why = req_why;
		if (!order[n_order++].why) {
			first_err = -ENOMEM;
			goto out_nomem;
		}
	}
	if (flags & MF_OP_DRY_RUN) {
		for (size_t i = 0; i < n_order; i++)
			emit(ctx, MF_EVENT_WOULD_START, order[i].mod, order[i].why);
		for (size_t i = 0; i < n; i++)
			if (mods[i] && mods[i]->state == MF_STATE_RUNNING)
				emit(ctx, MF_EVENT_NOTE, mods[i],
				     mods[i]->admin_why ? "running already (held by the administrator)"
							: "running already");
		goto out;
	}

	/* 2. Start in that order; a failure re-plans only what it touches. */
	for (size_t i = 0; i < n_order; i++) {
		struct mf_module *mod = order[i].mod;
		int err;

		if (mod->state == MF_STATE_RUNNING || mod->fail_gen == ctx->op_gen) {
			/* Started or failed out of turn (a load callback
			 * loaded it): the plan no longer says what comes. */
			boot_plan = NULL;
			continue;
		}
		/* The plan holds while everything before started as planned. */
		err = boot_plan ? start_planned(ctx, boot_plan, i, &choice, mod,
						order[i].why, &b) : 1;
		if (err == 1) {
			boot_plan = NULL;
			err = start_closure(ctx, mod, order[i].why, &b);
		}
		if (err == -ENOMEM) {
			first_err = err;
			goto out_nomem;
		}
		if (err < 0) {
			boot_plan = NULL;
			if (!mod->pending)
				emit(ctx, MF_EVENT_NOTE, mod, "not started");
		}
	}

	/* 3. The administrator becomes a user of each module it asked for:
	 * every hold is allocated first, so that all are taken or none. */
	admin = mf_calloc(n ? n : 1, sizeof(*admin));
	for (size_t i = 0; admin && i < n; i++) {
		if (mods[i] && mods[i]->state == MF_STATE_RUNNING && !mods[i]->admin_why &&
		    !(admin[i] = mf_why_dup(ctx, reqs[i].why ? reqs[i].why : "requested"))) {
			for (size_t k = 0; k < i; k++)
				mf_set_why(ctx, &admin[k], NULL);
			mf_free(admin);
			admin = NULL;
		}
	}
	if (!admin) {
		first_err = -ENOMEM;
		goto out_nomem;
	}
	for (size_t i = 0; i < n; i++) {
		struct mf_module *mod = mods[i];

		if (!mod)
			continue;
		if (mod->state != MF_STATE_RUNNING) {
			reqs[i].result = mod->fail_gen == ctx->op_gen ? -EIO : -ENOENT;
			if (mod->fail_gen != ctx->op_gen)
				emit(ctx, MF_EVENT_FAIL, mod, mod->last_error);
			continue;
		}
		if (!mod->admin_why) {
			mod->admin_why = admin[i];
			admin[i] = NULL;
		}
	}
	/* A module asked for twice got one hold. */
	for (size_t i = 0; i < n; i++)
		mf_set_why(ctx, &admin[i], NULL);
	mf_free(admin);
	goto out;
out_nomem:
	/* The loader ran out of memory: the whole load fails, and what it
	 * started stops again below, as if it had not been asked. */
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].result < 0 && reqs[i].result != -ENOMEM)
			continue;
		reqs[i].result = -ENOMEM;
		emit_named(ctx, MF_EVENT_FAIL, reqs[i].name, mods[i], OUT_OF_MEMORY);
		/* `module show` says why it is not running, whichever of the
		 * load's allocations it was that failed. */
		if (found[i])
			mf_set_str(&found[i]->last_error, mf_strdup("out of memory"));
	}
out:
	/* 4. Drop the operation's holds: what only a failed request needed stops. */
	ctx->stop_reason = "not needed after a failed load";
	batch_release(&b, 0);
	ctx->stop_reason = NULL;
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].result < 0 && !first_err)
			first_err = reqs[i].result;
		if (found[i])
			found[i]->op_req = NULL;
	}
	for (size_t i = 0; i < n_order; i++)
		mf_free(order[i].own_why);
	mf_free(order);
	mf_free(b.items);
	mf_plan_fini(&plan);
	op_leave(ctx, &scope);
	mf_unlock(ctx);
	mf_free(mods);
	return first_err;
}

/* ---- unload ------------------------------------------------------------- */

/* Heap order for sort_latest_first(): a min-heap on start_seq. */
static void sift_down(struct mf_module **v, size_t i, size_t n)
{
	struct mf_module *m = v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && v[c + 1]->start_seq < v[c]->start_seq)
			c++;
		if (v[c]->start_seq >= m->start_seq)
			break;
		v[i] = v[c];
		i = c;
	}
	v[i] = m;
}

/*
 * Latest started first: the order every stop of several modules keeps.  A
 * heapsort with the key read in place: qsort() through a comparison
 * callback was half of a cascade's instructions, and this needs no memory.
 * Start sequence numbers are unique, so stability does not matter.
 */
static void sort_latest_first(struct mf_module **v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	/* Popping the earliest to the back leaves the latest in front. */
	for (size_t end = n; end > 1; end--) {
		struct mf_module *t = v[0];

		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(v, 0, end - 1);
	}
}

/*
 * A set of modules in the order they were added, with a hash of the
 * pointers beside it: a cascade of K modules asks "in the set?" for every
 * edge, which a scan of the list made K^2.
 */
struct modset {
	struct mf_module **items;
	size_t n, cap;
	struct mf_module **slots; /* open addressing; NULL is empty */
	size_t n_slots;		  /* a power of two, more than 2 * n */
};

static size_t modset_slot(const struct modset *s, const struct mf_module *mod)
{
	/* Fibonacci hashing, high bits: allocation addresses share their
	 * low bits. */
	uint64_t h = (uint64_t)(uintptr_t)mod * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 32) & (s->n_slots - 1);
}

static bool modset_has(const struct modset *s, const struct mf_module *mod)
{
	if (!s->n_slots)
		return false;
	for (size_t i = modset_slot(s, mod);; i = (i + 1) & (s->n_slots - 1)) {
		if (!s->slots[i])
			return false;
		if (s->slots[i] == mod)
			return true;
	}
}

static void modset_put_slot(struct modset *s, struct mf_module *mod)
{
	size_t i = modset_slot(s, mod);

	while (s->slots[i])
		i = (i + 1) & (s->n_slots - 1);
	s->slots[i] = mod;
}

static int modset_add(struct modset *s, struct mf_module *mod)
{
	if (modset_has(s, mod))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = mf_realloc(s->items, cap * sizeof(*s->items));

		if (!p)
			return -ENOMEM;
		s->items = p;
		s->cap = cap;
	}
	if (2 * (s->n + 1) >= s->n_slots) {
		size_t n = s->n_slots ? 2 * s->n_slots : 64;
		struct mf_module **slots = mf_calloc(n, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		mf_free(s->slots);
		s->slots = slots;
		s->n_slots = n;
		for (size_t i = 0; i < s->n; i++)
			modset_put_slot(s, s->items[i]);
	}
	modset_put_slot(s, mod);
	s->items[s->n++] = mod;
	return 0;
}

static void modset_free(struct modset *s)
{
	mf_free(s->items);
	mf_free(s->slots);
}

/* @mod and every module that uses it, directly or not. */
static int collect_up(struct modset *s, struct mf_module *mod)
{
	int err = modset_add(s, mod);

	for (size_t i = 0; i < s->n && err == 0; i++)
		for (size_t k = 0; k < s->items[i]->n_dependents && err == 0; k++)
			err = modset_add(s, s->items[i]->dependents[k].user);
	return err;
}

/*
 * Add to @s the modules that would lose their last user once everything in
 * @s stopped, for a dry run.  Admin holds of modules in @s are taken as gone.
 */
static int collect_down(struct modset *s)
{
	int err = 0;

	for (size_t i = 0; i < s->n && err == 0; i++) {
		struct mf_module *m = s->items[i];

		for (unsigned u = 0; u < m->n_uses && err == 0; u++) {
			struct mf_module *p = m->chosen[u];
			bool all_in = true;

			if (!p || modset_has(s, p) || p->admin_why || p->n_objects ||
			    p->batch_holds || (atomic_load(&p->refs) & ~MF_REFS_CLOSED))
				continue;
			for (size_t k = 0; k < p->n_dependents && all_in; k++)
				all_in = modset_has(s, p->dependents[k].user);
			if (all_in)
				err = modset_add(s, p);
		}
	}
	return err;
}

static void describe_holders(const struct mf_module *mod, char *buf, size_t len)
{
	size_t off = 0;
	unsigned refs = atomic_load(&mod->refs) & ~MF_REFS_CLOSED;

	buf[0] = '\0';
#define APPEND(...)                                                            \
	do {                                                                   \
		if (off < len)                                                 \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); \
	} while (0)
	if (mod->admin_why)
		APPEND("%sadmin (%s)", off ? ", " : "", mod->admin_why);
	for (size_t i = 0; i < mod->n_dependents; i++) {
		bool dup = false;

		for (size_t k = 0; k < i && !dup; k++)
			dup = mod->dependents[k].user == mod->dependents[i].user;
		if (!dup)
			APPEND("%smodule %s", off ? ", " : "", mod->dependents[i].user->name);
	}
	for (const struct mf_user *u = mod->objects; u; u = u->next)
		APPEND("%sobject %s", off ? ", " : "", u->label);
	if (refs)
		APPEND("%s%u reference%s", off ? ", " : "", refs, refs == 1 ? "" : "s");
#undef APPEND
}

/* A soft unload of a module the administrator does not hold is refused. */
static int refuse_not_admin(struct mf_context *ctx, struct mf_module *mod)
{
	char buf[MF_ERR_MAX];

	describe_holders(mod, buf, sizeof(buf));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		 "%s; not held by the administrator (use -f to force)",
		 buf[0] ? "" : "nothing");
	emit(ctx, MF_EVENT_HELD, mod, buf);
	return -EBUSY;
}

/* Say what mf_unload() would do, with the same refusals; change nothing. */
static int dry_run_unload(struct mf_context *ctx, struct mf_module *mod,
			  bool force)
{
	struct modset s = { 0 }, up = { 0 };
	char buf[MF_ERR_MAX], *forced_why;
	int err;

	if (!force && !mod->admin_why)
		return refuse_not_admin(ctx, mod);
	if (!force && (mf_module_users_count(mod) > 1 ||
		       (atomic_load(&mod->refs) & ~MF_REFS_CLOSED))) {
		describe_holders(mod, buf, sizeof(buf));
		emit(ctx, MF_EVENT_HELD, mod, buf);
		return 0;
	}
	err = force ? collect_up(&up, mod) : modset_add(&up, mod);
	for (size_t i = 0; i < up.n && err == 0; i++)
		err = modset_add(&s, up.items[i]);
	if (err == 0)
		err = collect_down(&s);
	forced_why = mf_strdup_printf("forced: it uses %s", mod->name);
	if (err < 0 || !forced_why) {
		err = err < 0 ? err : -ENOMEM;
		goto out;
	}
	sort_latest_first(s.items, s.n);
	for (size_t i = 0; i < s.n; i++) {
		const struct mf_module *m = s.items[i];

		for (const struct mf_user *u = m->objects; force && u; u = u->next)
			emit(ctx, MF_EVENT_CANCEL, m, u->label);
		emit(ctx, MF_EVENT_WOULD_STOP, m,
		     m == mod ? (force ? "forced unload" : "unloaded") :
		     modset_has(&up, m) ? forced_why : "no users left");
	}
out:
	mf_free(forced_why);
	modset_free(&up);
	modset_free(&s);
	return err;
}

/* Ask every object user of @mod that was not asked yet to go. */
static void cancel_objects(struct mf_context *ctx, struct mf_module *mod)
{
	struct mf_user *u;

restart:
	for (u = mod->objects; u; u = u->next) {
		if (u->cancelled)
			continue;
		u->cancelled = true;
		emit(ctx, MF_EVENT_CANCEL, mod, u->label);
		if (u->cancel) {
			/* The callback may remove this very user, or others. */
			u->cancel(u, u->data);
			goto restart;
		}
	}
}

static bool any_stopping(const struct modset *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i]->state == MF_STATE_STOPPING)
			return true;
	return false;
}

/*
 * Users go in their own time, on their own threads: wait for the modules of
 * @up still STOPPING, but only for the cancel timeout.  The stops that
 * complete meanwhile run on the threads whose users left, where the caller's
 * event function must not be called; they are reported here once the wait
 * is over, with the modules they let go.  A wait from inside a callback (lock
 * held twice) would never see the users go, so it does not wait at all.
 */
static void wait_for_stops(struct mf_context *ctx, const struct modset *up)
{
	struct modset late = { 0 };
	struct op_scope ours;
	struct timespec deadline;
	int err = 0;

	if (!any_stopping(up) || ctx->lock_depth > 1)
		return;
	for (size_t i = 0; i < up->n && err == 0; i++)
		if (up->items[i]->state == MF_STATE_STOPPING)
			err = modset_add(&late, up->items[i]);
	if (err == 0)
		err = collect_down(&late);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ctx->cancel_timeout_ms / 1000;
	deadline.tv_nsec += (long)(ctx->cancel_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	op_enter(ctx, &ours, NULL, NULL);
	do {
		ctx->lock_depth--;
		err = pthread_cond_timedwait(&ctx->idle, &ctx->lock, &deadline);
		ctx->lock_depth++;
	} while (err != ETIMEDOUT && any_stopping(up));
	op_leave(ctx, &ours);

	if (late.n)
		sort_latest_first(late.items, late.n);
	for (size_t i = 0; i < late.n; i++)
		if (late.items[i]->state == MF_STATE_STOPPED)
			emit(ctx, MF_EVENT_STOP, late.items[i],
			     modset_has(up, late.items[i]) ? "forced unload" :
							     "no users left");
	modset_free(&late);
}

static int force_unload(struct mf_context *ctx, struct mf_module *mod)
{
	struct modset up = { 0 };
	int err;

	err = collect_up(&up, mod);
	if (err < 0)
		goto out;
	sort_latest_first(up.items, up.n);
	for (size_t i = 0; i < up.n; i++) {
		up.items[i]->force_stop = true;
		mf_set_why(ctx, &up.items[i]->admin_why, NULL);
	}
	/* Set before the cancel callbacks: one that removes its user at once
	 * stops the module right there. */
	ctx->stop_reason = "forced unload";
	for (size_t i = 0; i < up.n; i++)
		cancel_objects(ctx, up.items[i]);
	/*
	 * One cascade for the whole set: what can stop now is queued, and the
	 * queue stops the latest started first, each stop queueing the
	 * providers it lets go; so the set stops in exactly the reverse of its
	 * start order, however wide.  (Stopping each in turn would stop a
	 * provider as soon as its last user went, before later-started
	 * modules of the set.)
	 */
	ctx->cascade_depth++;
	for (size_t i = 0; i < up.n; i++)
		check_idle_now(up.items[i]);
	stop_pending(ctx);
	ctx->cascade_depth--;
	/* What is still held (a reference, an object user not gone yet)
	 * closes now and stops when its holders leave. */
	for (size_t i = 0; i < up.n; i++) {
		if (up.items[i]->state != MF_STATE_RUNNING)
			continue;
		begin_stop(up.items[i]);
		check_idle_now(up.items[i]);
	}
	pthread_cond_broadcast(&ctx->idle);
	wait_for_stops(ctx, &up);
	for (size_t i = 0; i < up.n; i++) {
		char buf[MF_ERR_MAX];

		if (up.items[i]->state != MF_STATE_STOPPING)
			continue;
		describe_holders(up.items[i], buf, sizeof(buf));
		emit(ctx, MF_EVENT_HELD, up.items[i], buf);
		err = -EBUSY;
	}
	ctx->stop_reason = NULL;
out:
	modset_free(&up);
	return err;
}

int mf_unload(struct mf_context *ctx, const char *name, unsigned flags,
	      mf_event_fn ev, void *data)
{
	struct op_scope scope;
	struct mf_module *mod;
	char buf[MF_ERR_MAX];
	int err;

	mf_lock(ctx);
	op_enter(ctx, &scope, ev, data);
	ctx->op_gen++;
	err = mf_module_find(ctx, name, &mod);
	if (err < 0) {
		emit_named(ctx, MF_EVENT_FAIL, name, NULL,
			   err == -EINVAL ? "invalid module name (names are not paths)" :
			   err == -ENOMEM ? "out of memory" : "no such module");
		goto out;
	}
	if (mod->state == MF_STATE_STOPPED) {
		emit(ctx, MF_EVENT_FAIL, mod, "not running");
		err = -ENOENT;
		goto out;
	}
	if (flags & MF_OP_DRY_RUN) {
		err = dry_run_unload(ctx, mod, flags & MF_OP_FORCE);
		goto out;
	}
	if (flags & MF_OP_FORCE) {
		err = force_unload(ctx, mod);
		goto out;
	}
	if (!mod->admin_why) {
		err = refuse_not_admin(ctx, mod);
		goto out;
	}
	mf_set_why(ctx, &mod->admin_why, NULL);
	if (mf_module_users_count(mod) > 0) {
		describe_holders(mod, buf, sizeof(buf));
		emit(ctx, MF_EVENT_HELD, mod, buf);
	}
	ctx->stop_reason = "unloaded";
	check_idle_now(mod);
	ctx->stop_reason = NULL;
	if (mod->state == MF_STATE_RUNNING && mf_module_users_count(mod) == 0) {
		describe_holders(mod, buf, sizeof(buf));
		emit(ctx, MF_EVENT_HELD, mod, buf);
	}
out:
	op_leave(ctx, &scope);
	mf_unlock(ctx);
	return err;
}

/* ---- views -------------------------------------------------------------- */

int mf_module_info(struct mf_module *mod, struct mf_module_info *info)
{
	mf_lock(mod->ctx);
	info->name = mod->name;
	info->description = mod->description;
	info->backend = mod->backend->name;
	info->support_level = mod->support_level;
	info->load_priority = mod->load_priority;
	info->state = mod->state;
	info->users = mf_module_users_count(mod);
	info->refs = atomic_load(&mod->refs) & ~MF_REFS_CLOSED;
	info->lib_refs = mod->lib_refs;
	info->admin = mod->admin_why != NULL;
	info->unload_blocked = mod->unload_blocked;
	info->why = mod->state == MF_STATE_RUNNING ? mod->start_why : NULL;
	info->last_error = mod->last_error;
	mf_unlock(mod->ctx);
	return 0;
}

int mf_module_users(struct mf_module *mod,
		    void (*fn)(void *data, const char *kind, const char *who,
			       const char *detail),
		    void *data)
{
	char buf[32];
	unsigned refs;

	mf_lock(mod->ctx);
	if (mod->admin_why)
		fn(data, "admin", "administrator", mod->admin_why);
	for (size_t i = 0; i < mod->n_dependents; i++) {
		const struct mf_edge *e = &mod->dependents[i];
		char *detail = mf_strdup_printf("%s=%s", e->user->uses[e->use].type,
						e->user->uses[e->use].name);

		fn(data, "module", e->user->name, detail ? detail : "");
		mf_free(detail);
	}
	for (const struct mf_user *u = mod->objects; u; u = u->next)
		fn(data, "object", u->label, u->cancelled ? "asked to go" : "");
	refs = atomic_load(&mod->refs) & ~MF_REFS_CLOSED;
	if (refs) {
		snprintf(buf, sizeof(buf), "%u held", refs);
		fn(data, "refs", "references", buf);
	}
	mf_unlock(mod->ctx);
	return 0;
}

int mf_module_deps(struct mf_module *mod,
		   void (*fn)(void *data, const struct mf_table_ref *use,
			      const char *provider, unsigned priority),
		   void *data)
{
	mf_lock(mod->ctx);
	for (unsigned i = 0; i < mod->n_uses; i++) {
		const struct mf_module *p = mod->chosen[i];

		fn(data, &mod->uses[i], p ? p->name : NULL,
		   p ? mf_module_provides_priority(p, mod->uses[i].type,
						   mod->uses[i].name) : 0);
	}
	mf_unlock(mod->ctx);
	return 0;
}

/*
 * Stop everything, latest started first, users or not.  Object users are
 * asked to go; those that do not are detached from their module.  After
 * mf_stop_all() their handles stay valid (the holder was asked to go and
 * will call mf_user_remove(), which frees them); at context teardown
 * (@teardown) nobody may call anything any more, so they are freed.
 */
/* The running module started last, or NULL: stop-all without memory. */
static struct mf_module *latest_running(struct mf_context *ctx)
{
	struct mf_module *best = NULL;

	for (size_t i = 0; i < ctx->n_modules; i++) {
		struct mf_module *m = ctx->modules[i];

		if (m->state != MF_STATE_STOPPED &&
		    (!best || m->start_seq > best->start_seq))
			best = m;
	}
	return best;
}

static void stop_everything(struct mf_context *ctx, bool teardown)
{
	struct mf_module **list;
	size_t n = 0;

	/* Sorted once when there is memory for the list; without, the latest
	 * started is looked for again after each stop (quadratic, but a
	 * shutdown must not depend on an allocation). */
	list = mf_malloc((ctx->n_modules + 1) * sizeof(*list));
	for (size_t i = 0; list && i < ctx->n_modules; i++)
		if (ctx->modules[i]->state != MF_STATE_STOPPED)
			list[n++] = ctx->modules[i];
	if (list)
		sort_latest_first(list, n);
	ctx->stop_reason = "shutdown";
	for (size_t i = 0; list ? i < n : latest_running(ctx) != NULL; i++) {
		struct mf_module *mod = list ? list[i] : latest_running(ctx);

		cancel_objects(ctx, mod);
		while (mod->objects) {
			struct mf_user *u = mod->objects;

			mod->objects = u->next;
			u->next = NULL;
			if (teardown) {
				mf_free(u->label);
				mf_free(u);
			}
		}
		mod->n_objects = 0;
		mf_set_why(ctx, &mod->admin_why, NULL);
		mod->batch_holds = 0;
		if (mod->state == MF_STATE_STOPPED)
			continue;
		ctx->cascade_depth++; /* providers are in the list already */
		finish_stop(mod);
		ctx->cascade_depth--;
	}
	while (ctx->pending)
		pop_pending(ctx);
	ctx->stop_reason = NULL;
	mf_free(list);
	pthread_cond_broadcast(&ctx->idle);
}

void mf_stop_all(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	struct op_scope scope;

	mf_lock(ctx);
	op_enter(ctx, &scope, ev, data);
	stop_everything(ctx, false);
	op_leave(ctx, &scope);
	mf_unlock(ctx);
}

/* Context teardown. */
void mf_context_stop_all(struct mf_context *ctx)
{
	mf_lock(ctx);
	stop_everything(ctx, true);
	mf_unlock(ctx);
}
