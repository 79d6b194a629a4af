/* SPDX-License-Identifier: MIT */
/*
 * mf_load(): one plan for every request, executed in its order.
 *
 *   1. Each request's module is looked up and added to one plan (the
 *      resolver's), which is then ordered: dependencies first, then load
 *      priority, then name.  A boot is such a load (mf_boot(), admin.c).
 *   2. The plan is executed module by module.  Just before a module starts
 *      it is planned again, which costs nothing when each of its lines has
 *      a running provider (the plan's order sees to that) and lets a better
 *      provider started earlier in the same load win.  A failure excludes
 *      the module for the rest of the operation and re-plans what needed
 *      it, so the next provider of the same service gets its turn.
 *   3. The administrator becomes a user of each module it asked for.
 *   4. The operation's temporary holds go: what only a failed request
 *      needed stops again.
 * Out of memory, the whole load fails and what it started stops again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "core/internal.h"
#include "core/lifecycle.h"

/* A load under way: the modules it holds (batch holds) and scratch. */
struct load {
	struct mf_context *ctx;
	MF_ARRAY(struct mf_module *) held;
	MF_ARRAY(struct mf_module *) choice; /* mf_plan_running()'s */
};

static int hold(struct load *ld, struct mf_module *mod)
{
	int err = mf_array_push(&ld->held, mod);

	if (err == 0)
		mod->batch_holds++;
	return err;
}

/* Drop the holds taken after @mark, latest first: a clean rollback. */
static void release_holds(struct load *ld, size_t mark)
{
	while (ld->held.n > mark) {
		struct mf_module *mod = ld->held.items[--ld->held.n];

		mod->batch_holds--;
		mf_check_idle_now(mod);
	}
}

/* Why a module the plan starts for another one starts. */
static char *used_by_why(const struct mf_plan *plan, const struct mf_module *mod)
{
	unsigned use;
	const struct mf_module *by = mf_plan_needed_by(plan, mod, &use);

	if (!by)
		return mf_strdup("dependency");
	return mf_strdup_printf("used by %s (%s=%s)", by->name, by->uses[use].type,
				by->uses[use].name);
}

/*
 * @mod failed to start (or, @no_memory, the loader could not start it):
 * say so, and drop what this attempt holds since @mark.
 */
static void start_failed(struct load *ld, struct mf_module *mod, bool no_memory,
			 size_t mark)
{
	struct mf_context *ctx = ld->ctx;

	if (no_memory) {
		mf_set_str(&mod->last_error, mf_strdup("out of memory"));
	} else {
		mod->fail_gen = ctx->op_gen;
		mf_emit(ctx, MF_EVENT_FAIL, mod, mod->last_error);
	}
	ctx->stop_reason = "rolled back";
	mf_check_idle_now(mod);
	release_holds(ld, mark);
	ctx->stop_reason = NULL;
}

/*
 * Start one module with its providers (running already), holding it.  On
 * failure the holds taken since @mark go too.
 */
static int start_held(struct load *ld, struct mf_module *mod,
		      struct mf_module *const *choice, const char *why,
		      size_t mark, bool *no_memory)
{
	int err = mf_start_one(mod, choice, why, no_memory);

	if (err == 0) {
		err = hold(ld, mod);
		if (err == 0)
			return 0;
		/* Running without a hold: it would never stop. */
		*no_memory = true;
	}
	start_failed(ld, mod, *no_memory, mark);
	return err;
}

/*
 * Start @target and what it needs, each held.  When the loader itself
 * runs out of memory it returns -ENOMEM with what this call started
 * stopped again, and the operation gives up as a whole: that is no reason
 * to exclude a module.
 */
static int start_closure(struct load *ld, struct mf_module *target,
			 struct mf_provkey *const *keys, const char *why)
{
	struct mf_context *ctx = ld->ctx;

	/* Its providers run: the plan of it alone, without a walk (nor the
	 * lookups of its keys, which the operation's plan did: @keys). */
	if (mf_array_reserve(&ld->choice, target->n_uses) < 0)
		return -ENOMEM;
	if (mf_plan_running(ctx, target, keys, ld->choice.items)) {
		bool no_memory = false;
		int err = start_held(ld, target, ld->choice.items, why, ld->held.n,
				     &no_memory);

		if (err == 0 || no_memory || target->fail_gen == ctx->op_gen)
			return no_memory ? -ENOMEM : err;
	}
	for (;;) {
		bool no_memory = false;
		struct mf_plan plan;
		size_t mark = ld->held.n;
		int err;

		mf_plan_init(ctx, &plan);
		err = mf_plan_add(&plan, target);
		if (err == 0)
			err = mf_plan_sort(&plan);
		if (err < 0) {
			mf_plan_fini(&plan);
			return err;
		}
		for (size_t i = 0; i < plan.list.n; i++) {
			struct mf_module *mod = plan.list.items[i];
			char *dep_why = mod == target ? NULL : used_by_why(&plan, mod);

			if (mod != target && !dep_why) {
				no_memory = true;
				err = -ENOMEM;
				start_failed(ld, mod, true, mark);
			} else {
				err = start_held(ld, mod, mf_plan_choice(&plan, mod),
						 dep_why ? dep_why : why, mark,
						 &no_memory);
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

/* What each request of a load that ran out of memory says. */
#define OUT_OF_MEMORY "out of memory: nothing of this load was started"

static int lookup_request(struct mf_context *ctx, struct mf_request *req,
			  struct mf_module **out)
{
	int err = mf_module_find(ctx, req->name, out);

	if (err == -EINVAL)
		mf_emit_named(ctx, MF_EVENT_FAIL, req->name, NULL,
			      "invalid module name (names are not paths)");
	else if (err < 0 && err != -ENOMEM) /* that one: the whole load fails */
		/* Says where else it was looked for (the module directory), or
		 * that an image without loadable modules has no elsewhere. */
		mf_emit_named(ctx, MF_EVENT_FAIL, req->name, NULL,
			      mf_hooks_not_found(ctx) ?
				      mf_hooks_not_found(ctx) : "no such module");
	return err;
}

/* A module of the plan, in start order, and why it starts. */
struct step {
	struct mf_module *mod;
	const char *why;
	char *own_why; /* why, when made here rather than the request's */
};

/* Every request fails for lack of memory before anything started. */
static int fail_all(struct mf_context *ctx, struct mf_request *reqs, size_t n,
		    mf_event_fn ev, void *data)
{
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

/*
 * 1. Look the requests up and plan them, in one plan.  mods[i]: the module
 * request i starts (NULL when it cannot); found[i]: the one it named.
 * *@req_of maps each module found to its first request.
 */
static int plan_requests(struct mf_context *ctx, struct mf_plan *plan,
			 struct mf_request *reqs, struct mf_module *const *known,
			 size_t n, struct mf_module **mods, struct mf_module **found,
			 struct mf_modmap *req_of)
{
	bool sized = false;

	for (size_t i = 0; i < n; i++) {
		struct mf_event e = { .kind = MF_EVENT_FAIL, .module = reqs[i].name };

		if (known && known[i]) {
			mods[i] = known[i];
			reqs[i].result = 0;
		} else {
			reqs[i].result = lookup_request(ctx, &reqs[i], &mods[i]);
		}
		if (reqs[i].result < 0) {
			mods[i] = NULL;
			if (reqs[i].result == -ENOMEM)
				return -ENOMEM;
			continue;
		}
		found[i] = mods[i];
		/* Sized once for all the requests (a boot requests the whole
		 * catalog), once one is found: out of memory, it says so. */
		if (!sized && (mf_plan_reserve(plan, n) < 0 ||
			       mf_modmap_reserve(req_of, n) < 0))
			return reqs[i].result = -ENOMEM;
		sized = true;
		if (!mf_modmap_get(req_of, mods[i]) && mf_modmap_put(req_of, mods[i], i) < 0)
			return reqs[i].result = -ENOMEM;
		reqs[i].result = mf_plan_add(plan, mods[i]);
		if (reqs[i].result == -ENOMEM)
			return -ENOMEM;
		if (reqs[i].result < 0) {
			e.detail = mods[i]->last_error;
			e.support_level = mods[i]->support_level;
			if (ctx->ev)
				ctx->ev(ctx->ev_data, &e);
			else
				MF_ERR(ctx, "%s: %s", e.module, e.detail);
			mods[i] = NULL;
		}
	}
	return mf_plan_sort(plan);
}

/* The plan's modules in start order with why each starts. */
static int plan_steps(const struct mf_plan *plan, const struct mf_request *reqs,
		      const struct mf_modmap *req_of, struct step *steps,
		      size_t *n_steps)
{
	for (size_t i = 0; i < plan->list.n; i++) {
		struct mf_module *mod = plan->list.items[i];
		size_t *r = mf_modmap_get(req_of, mod);
		struct step *s = &steps[(*n_steps)++];

		s->mod = mod;
		/* A request's why outlives the load: borrow it. */
		if (r)
			s->why = reqs[*r].why ? reqs[*r].why : "requested";
		else
			s->why = s->own_why = used_by_why(plan, mod);
		if (!s->why)
			return -ENOMEM;
	}
	return 0;
}

/* 3. The administrator becomes a user of each running module it asked
 * for: every hold is allocated first, so that all are taken or none. */
static int admin_holds(struct mf_context *ctx, struct mf_request *reqs,
		       struct mf_module **mods, size_t n)
{
	char **admin = mf_calloc(n ? n : 1, sizeof(*admin));

	for (size_t i = 0; admin && i < n; i++) {
		if (mods[i] && mods[i]->state == MF_STATE_RUNNING && !mods[i]->admin_why &&
		    !(admin[i] = mf_strdup(reqs[i].why ? reqs[i].why : "requested"))) {
			for (size_t k = 0; k < i; k++)
				mf_free(admin[k]);
			mf_free(admin);
			admin = NULL;
		}
	}
	if (!admin)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct mf_module *mod = mods[i];

		if (!mod)
			continue;
		if (mod->state != MF_STATE_RUNNING) {
			reqs[i].result = mod->fail_gen == ctx->op_gen ? -EIO : -ENOENT;
			if (mod->fail_gen != ctx->op_gen)
				mf_emit(ctx, MF_EVENT_FAIL, mod, mod->last_error);
			continue;
		}
		if (!mod->admin_why) {
			mod->admin_why = admin[i];
			admin[i] = NULL;
		}
	}
	/* A module asked for twice got one hold. */
	for (size_t i = 0; i < n; i++)
		mf_free(admin[i]);
	mf_free(admin);
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
	struct mf_module **mods = mf_calloc(n ? 2 * n : 1, sizeof(*mods));
	struct mf_module **found;
	struct load ld = { .ctx = ctx };
	struct mf_modmap req_of = { 0 };
	struct step *steps = NULL;
	struct mf_op_scope scope;
	struct mf_plan plan;
	size_t n_steps = 0;
	int first_err = 0;

	if (!mods)
		return fail_all(ctx, reqs, n, ev, data);
	found = mods + n;
	/* Modules installed since the last look become loadable, removed
	 * ones stop being so. */
	mf_hooks_before_lookup(ctx, ev, data);
	mf_lock(ctx);
	mf_op_enter(ctx, &scope, ev, data);
	ctx->op_gen++;
	mf_plan_init(ctx, &plan);

	/* 1. One plan for every request, so that the start order is global. */
	if (plan_requests(ctx, &plan, reqs, known, n, mods, found, &req_of) < 0 ||
	    !(steps = mf_calloc(plan.list.n ? plan.list.n : 1, sizeof(*steps))) ||
	    plan_steps(&plan, reqs, &req_of, steps, &n_steps) < 0) {
		first_err = -ENOMEM;
		goto out_nomem;
	}
	if (flags & MF_OP_DRY_RUN) {
		for (size_t i = 0; i < n_steps; i++)
			mf_emit(ctx, MF_EVENT_WOULD_START, steps[i].mod, steps[i].why);
		for (size_t i = 0; i < n; i++)
			if (mods[i] && mods[i]->state == MF_STATE_RUNNING)
				mf_emit(ctx, MF_EVENT_NOTE, mods[i],
					mods[i]->admin_why ?
						"running already (held by the administrator)" :
						"running already");
		goto out;
	}

	/* 2. Start in that order; a failure re-plans only what it touches. */
	for (size_t i = 0; i < n_steps; i++) {
		struct mf_module *mod = steps[i].mod;
		int err;

		/* Started or failed out of turn (a load callback loaded it). */
		if (mod->state == MF_STATE_RUNNING || mod->fail_gen == ctx->op_gen)
			continue;
		err = start_closure(&ld, mod, mf_plan_keys(&plan, mod), steps[i].why);
		if (err == -ENOMEM) {
			first_err = err;
			goto out_nomem;
		}
		if (err < 0 && !mod->pending)
			mf_emit(ctx, MF_EVENT_NOTE, mod, "not started");
	}

	if (admin_holds(ctx, reqs, mods, n) == 0)
		goto out;
	first_err = -ENOMEM;
out_nomem:
	/* The loader ran out of memory: the whole load fails, and what it
	 * started stops again below, as if it had not been asked. */
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].result < 0 && reqs[i].result != -ENOMEM)
			continue;
		reqs[i].result = -ENOMEM;
		mf_emit_named(ctx, MF_EVENT_FAIL, reqs[i].name, mods[i], OUT_OF_MEMORY);
		/* `module show` says why it is not running, whichever of the
		 * load's allocations it was that failed. */
		if (found[i])
			mf_set_str(&found[i]->last_error, mf_strdup("out of memory"));
	}
out:
	/* 4. Drop the operation's holds: what only a failed request needed stops. */
	ctx->stop_reason = "not needed after a failed load";
	release_holds(&ld, 0);
	ctx->stop_reason = NULL;
	for (size_t i = 0; i < n; i++)
		if (reqs[i].result < 0 && !first_err)
			first_err = reqs[i].result;
	for (size_t i = 0; i < n_steps; i++)
		mf_free(steps[i].own_why);
	mf_free(steps);
	mf_free(ld.held.items);
	mf_free(ld.choice.items);
	mf_modmap_fini(&req_of);
	mf_plan_fini(&plan);
	mf_op_leave(ctx, &scope);
	mf_unlock(ctx);
	mf_free(mods);
	return first_err;
}
