/* SPDX-License-Identifier: MIT */
/*
 * Unload and stop: mf_unload() (soft, forced, dry run) and mf_stop_all().
 * Every stop of several modules keeps one order, the exact reverse of
 * their start order; a forced unload takes every module that uses the one
 * named with it, asks object users to go and waits for them, for the
 * cancel timeout at most (lifecycle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "core/lifecycle.h"

static int cmp_latest_first(const void *a, const void *b)
{
	const struct mf_module *x = *(struct mf_module *const *)a;
	const struct mf_module *y = *(struct mf_module *const *)b;

	/* Start sequence numbers are unique: no tie to break. */
	return x->start_seq < y->start_seq ? 1 : x->start_seq > y->start_seq ? -1 : 0;
}

/* Latest started first: the order every stop of several modules keeps. */
static void sort_latest_first(struct mf_module **v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_latest_first);
}

/*
 * A set of modules in the order they were added, with a map beside it: a
 * cascade of K modules asks "in the set?" for every edge.
 */
struct modset {
	MF_ARRAY(struct mf_module *) list;
	struct mf_modmap has;
};

static bool modset_has(const struct modset *s, const struct mf_module *mod)
{
	return mf_modmap_get(&s->has, mod) != NULL;
}

static int modset_add(struct modset *s, struct mf_module *mod)
{
	if (modset_has(s, mod))
		return 0;
	if (mf_array_reserve(&s->list, s->list.n + 1) < 0 ||
	    mf_modmap_put(&s->has, mod, s->list.n) < 0)
		return -ENOMEM;
	s->list.items[s->list.n++] = mod;
	return 0;
}

static void modset_free(struct modset *s)
{
	mf_free(s->list.items);
	mf_modmap_fini(&s->has);
}

/* @mod and every module that uses it, directly or not. */
static int collect_up(struct modset *s, struct mf_module *mod)
{
	int err = modset_add(s, mod);

	for (size_t i = 0; i < s->list.n && err == 0; i++)
		for (size_t k = 0; k < s->list.items[i]->dependents.n && err == 0; k++)
			err = modset_add(s, s->list.items[i]->dependents.items[k].user);
	return err;
}

/*
 * Add to @s the modules that would lose their last user once everything in
 * @s stopped, for a dry run.  Admin holds of modules in @s are taken as gone.
 */
static int collect_down(struct modset *s)
{
	int err = 0;

	for (size_t i = 0; i < s->list.n && err == 0; i++) {
		struct mf_module *m = s->list.items[i];

		for (unsigned u = 0; u < m->n_uses && err == 0; u++) {
			struct mf_module *p = m->chosen[u];
			bool all_in = true;

			if (!p || modset_has(s, p) || p->admin_why || p->n_objects ||
			    p->batch_holds || (atomic_load(&p->refs) & ~MF_REFS_CLOSED))
				continue;
			for (size_t k = 0; k < p->dependents.n && all_in; k++)
				all_in = modset_has(s, p->dependents.items[k].user);
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
	for (size_t i = 0; i < mod->dependents.n; i++) {
		bool dup = false;

		for (size_t k = 0; k < i && !dup; k++)
			dup = mod->dependents.items[k].user == mod->dependents.items[i].user;
		if (!dup)
			APPEND("%smodule %s", off ? ", " : "", mod->dependents.items[i].user->name);
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
	mf_emit(ctx, MF_EVENT_HELD, mod, buf);
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
		mf_emit(ctx, MF_EVENT_HELD, mod, buf);
		return 0;
	}
	err = force ? collect_up(&up, mod) : modset_add(&up, mod);
	for (size_t i = 0; i < up.list.n && err == 0; i++)
		err = modset_add(&s, up.list.items[i]);
	if (err == 0)
		err = collect_down(&s);
	forced_why = mf_strdup_printf("forced: it uses %s", mod->name);
	if (err < 0 || !forced_why) {
		err = err < 0 ? err : -ENOMEM;
		goto out;
	}
	sort_latest_first(s.list.items, s.list.n);
	for (size_t i = 0; i < s.list.n; i++) {
		const struct mf_module *m = s.list.items[i];

		for (const struct mf_user *u = m->objects; force && u; u = u->next)
			mf_emit(ctx, MF_EVENT_CANCEL, m, u->label);
		mf_emit(ctx, MF_EVENT_WOULD_STOP, m,
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
		mf_emit(ctx, MF_EVENT_CANCEL, mod, u->label);
		if (u->cancel) {
			/* The callback may remove this very user, or others. */
			u->cancel(u, u->data);
			goto restart;
		}
	}
}

static bool any_stopping(const struct modset *s)
{
	for (size_t i = 0; i < s->list.n; i++)
		if (s->list.items[i]->state == MF_STATE_STOPPING)
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
	struct mf_op_scope ours;
	struct timespec deadline;
	int err = 0;

	if (!any_stopping(up) || ctx->lock_depth > 1)
		return;
	for (size_t i = 0; i < up->list.n && err == 0; i++)
		if (up->list.items[i]->state == MF_STATE_STOPPING)
			err = modset_add(&late, up->list.items[i]);
	if (err == 0)
		err = collect_down(&late);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ctx->cancel_timeout_ms / 1000;
	deadline.tv_nsec += (long)(ctx->cancel_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	mf_op_enter(ctx, &ours, NULL, NULL);
	do {
		ctx->lock_depth--;
		err = pthread_cond_timedwait(&ctx->idle, &ctx->lock, &deadline);
		ctx->lock_depth++;
	} while (err != ETIMEDOUT && any_stopping(up));
	mf_op_leave(ctx, &ours);

	if (late.list.n)
		sort_latest_first(late.list.items, late.list.n);
	for (size_t i = 0; i < late.list.n; i++)
		if (late.list.items[i]->state == MF_STATE_STOPPED)
			mf_emit(ctx, MF_EVENT_STOP, late.list.items[i],
			     modset_has(up, late.list.items[i]) ? "forced unload" :
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
	sort_latest_first(up.list.items, up.list.n);
	for (size_t i = 0; i < up.list.n; i++) {
		up.list.items[i]->force_stop = true;
		mf_set_str(&up.list.items[i]->admin_why, NULL);
	}
	/* Set before the cancel callbacks: one that removes its user at once
	 * stops the module right there. */
	ctx->stop_reason = "forced unload";
	for (size_t i = 0; i < up.list.n; i++)
		cancel_objects(ctx, up.list.items[i]);
	/*
	 * One cascade for the whole set: what can stop now is queued, and the
	 * queue stops the latest started first, each stop queueing the
	 * providers it lets go; so the set stops in exactly the reverse of its
	 * start order, however wide.  (Stopping each in turn would stop a
	 * provider as soon as its last user went, before later-started
	 * modules of the set.)
	 */
	ctx->cascade_depth++;
	for (size_t i = 0; i < up.list.n; i++)
		mf_check_idle_now(up.list.items[i]);
	mf_stop_pending(ctx);
	ctx->cascade_depth--;
	/* What is still held (a reference, an object user not gone yet)
	 * closes now and stops when its holders leave. */
	for (size_t i = 0; i < up.list.n; i++) {
		if (up.list.items[i]->state != MF_STATE_RUNNING)
			continue;
		mf_begin_stop(up.list.items[i]);
		mf_check_idle_now(up.list.items[i]);
	}
	pthread_cond_broadcast(&ctx->idle);
	wait_for_stops(ctx, &up);
	for (size_t i = 0; i < up.list.n; i++) {
		char buf[MF_ERR_MAX];

		if (up.list.items[i]->state != MF_STATE_STOPPING)
			continue;
		describe_holders(up.list.items[i], buf, sizeof(buf));
		mf_emit(ctx, MF_EVENT_HELD, up.list.items[i], buf);
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
	struct mf_op_scope scope;
	struct mf_module *mod;
	char buf[MF_ERR_MAX];
	int err;

	mf_lock(ctx);
	mf_op_enter(ctx, &scope, ev, data);
	ctx->op_gen++;
	err = mf_module_find(ctx, name, &mod);
	if (err < 0) {
		mf_emit_named(ctx, MF_EVENT_FAIL, name, NULL,
			   err == -EINVAL ? "invalid module name (names are not paths)" :
			   err == -ENOMEM ? "out of memory" : "no such module");
		goto out;
	}
	if (mod->state == MF_STATE_STOPPED) {
		mf_emit(ctx, MF_EVENT_FAIL, mod, "not running");
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
	mf_set_str(&mod->admin_why, NULL);
	if (mf_module_users_count(mod) > 0) {
		describe_holders(mod, buf, sizeof(buf));
		mf_emit(ctx, MF_EVENT_HELD, mod, buf);
	}
	ctx->stop_reason = "unloaded";
	mf_check_idle_now(mod);
	ctx->stop_reason = NULL;
	if (mod->state == MF_STATE_RUNNING && mf_module_users_count(mod) == 0) {
		describe_holders(mod, buf, sizeof(buf));
		mf_emit(ctx, MF_EVENT_HELD, mod, buf);
	}
out:
	mf_op_leave(ctx, &scope);
	mf_unlock(ctx);
	return err;
}

/* The running module started last, or NULL: stop-all without memory. */
static struct mf_module *latest_running(struct mf_context *ctx)
{
	struct mf_module *best = NULL;

	for (size_t i = 0; i < ctx->modules.n; i++) {
		struct mf_module *m = ctx->modules.items[i];

		if (m->state != MF_STATE_STOPPED &&
		    (!best || m->start_seq > best->start_seq))
			best = m;
	}
	return best;
}

/*
 * Stop everything, latest started first, users or not.  Object users are
 * asked to go; those that do not are detached from their module.  After
 * mf_stop_all() their handles stay valid (the holder was asked to go and
 * will call mf_user_remove(), which frees them); at context teardown
 * (@teardown) nobody may call anything any more, so they are freed.
 */
static void stop_everything(struct mf_context *ctx, bool teardown)
{
	struct mf_module **list;
	size_t n = 0;

	/* Sorted once when there is memory for the list; without, the latest
	 * started is looked for again after each stop (quadratic, but a
	 * shutdown must not depend on an allocation). */
	list = mf_malloc((ctx->modules.n + 1) * sizeof(*list));
	for (size_t i = 0; list && i < ctx->modules.n; i++)
		if (ctx->modules.items[i]->state != MF_STATE_STOPPED)
			list[n++] = ctx->modules.items[i];
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
		mf_set_str(&mod->admin_why, NULL);
		mod->batch_holds = 0;
		if (mod->state == MF_STATE_STOPPED)
			continue;
		ctx->cascade_depth++; /* providers are in the list already */
		mf_finish_stop(mod);
		ctx->cascade_depth--;
	}
	while (ctx->pending.n)
		mf_pop_pending(ctx);
	ctx->stop_reason = NULL;
	mf_free(list);
	pthread_cond_broadcast(&ctx->idle);
}

void mf_stop_all(struct mf_context *ctx, mf_event_fn ev, void *data)
{
	struct mf_op_scope scope;

	mf_lock(ctx);
	mf_op_enter(ctx, &scope, ev, data);
	stop_everything(ctx, false);
	mf_op_leave(ctx, &scope);
	mf_unlock(ctx);
}

/* Context teardown. */
void mf_context_stop_all(struct mf_context *ctx)
{
	mf_lock(ctx);
	stop_everything(ctx, true);
	mf_unlock(ctx);
}

