/* SPDX-License-Identifier: MIT */
/*
 * The resolver: given modules to start, choose a provider for every [uses]
 * line of every module that is not running yet, refuse what cannot be had
 * (no provider, a cycle, a provider that already failed in this operation),
 * and order the result.  It changes nothing but its own scratch fields:
 * lifecycle.c acts on the plan, and a dry run only prints it.
 *
 * Provider choice for one line:
 *   1. the best provider that is running already or that this plan starts
 *      anyway (each module is planned again just before it starts, so a
 *      better provider started earlier in the same load wins);
 *   2. else the highest-priority provider whose own needs can be met; a
 *      provider that cannot be had is skipped and the next one tried.
 * So only one provider of a service is started for a use, and one that runs
 * already is never doubled.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { PLAN_NONE, PLAN_VISITING, PLAN_DONE, PLAN_FAILED };

void mf_plan_init(struct mf_context *ctx, struct mf_plan *plan)
{
	plan->ctx = ctx;
	plan->gen = ++ctx->plan_gen;
	plan->list = plan->small;
	plan->n = 0;
	plan->cap = sizeof(plan->small) / sizeof(plan->small[0]);
	plan->err[0] = '\0';
}

void mf_plan_fini(struct mf_plan *plan)
{
	if (plan->list != plan->small)
		mf_free(plan->list);
	plan->list = plan->small;
	plan->n = 0;
	plan->cap = sizeof(plan->small) / sizeof(plan->small[0]);
}

static bool in_plan(const struct mf_plan *plan, const struct mf_module *mod)
{
	return mod->plan_gen == plan->gen && mod->plan_state == PLAN_DONE;
}

/* Undo what a failed attempt added after @mark. */
static void plan_truncate(struct mf_plan *plan, size_t mark)
{
	while (plan->n > mark) {
		struct mf_module *m = plan->list[--plan->n];

		m->plan_gen = 0;
		m->plan_state = PLAN_NONE;
	}
}

static int plan_append(struct mf_plan *plan, struct mf_module *mod)
{
	if (plan->n == plan->cap &&
	    mf_grow_inline((void **)&plan->list, &plan->cap, plan->small,
			   sizeof(*plan->list)) < 0)
		return -ENOMEM;
	mod->plan_idx = (unsigned)plan->n;
	plan->list[plan->n++] = mod;
	return 0;
}

/*
 * The modules being visited, for cycle paths; grown as deep as the graph.
 * Graphs are rarely deeper than small[]: no allocation then.
 */
struct stack {
	struct mf_module **items;
	size_t n, cap;
	struct mf_module *small[32];
};

static void stack_init(struct stack *st)
{
	st->items = st->small;
	st->n = 0;
	st->cap = sizeof(st->small) / sizeof(st->small[0]);
}

static void stack_fini(struct stack *st)
{
	if (st->items != st->small)
		mf_free(st->items);
}

static int stack_push(struct stack *st, struct mf_module *mod)
{
	if (st->n == st->cap &&
	    mf_grow_inline((void **)&st->items, &st->cap, st->small,
			   sizeof(*st->items)) < 0)
		return -ENOMEM;
	st->items[st->n++] = mod;
	return 0;
}

static void cycle_message(struct mf_plan *plan, const struct stack *st,
			  const struct mf_module *again)
{
	size_t start = 0, len;

	for (size_t i = 0; i < st->n; i++)
		if (st->items[i] == again)
			start = i;
	len = (size_t)snprintf(plan->err, sizeof(plan->err), "cycle: ");
	for (size_t i = start; i < st->n && len < sizeof(plan->err); i++)
		len += (size_t)snprintf(plan->err + len, sizeof(plan->err) - len,
					"%s -> ", st->items[i]->name);
	if (len < sizeof(plan->err))
		snprintf(plan->err + len, sizeof(plan->err) - len, "%s", again->name);
}

static int visit(struct mf_plan *plan, struct mf_module *mod, struct stack *st);

static bool usable_now(const struct mf_module *mod)
{
	return mod->state == MF_STATE_RUNNING && !mod->force_stop;
}

/* The provider index's entry for mod->uses[i], or NULL. */
static struct mf_provkey *use_key(struct mf_plan *plan, struct mf_module *mod,
				  unsigned i)
{
	if (!mod->use_keys[i])
		/* Keys are never freed before the catalog: remember it. */
		mod->use_keys[i] = mf_provkey_find(plan->ctx, mod->uses[i].type,
						   mod->uses[i].name);
	return mod->use_keys[i];
}

/* Pick the provider for mod->uses[i]; records it in mod->plan_choice[i]. */
static int choose(struct mf_plan *plan, struct mf_module *mod, unsigned i,
		  struct stack *st)
{
	const struct mf_table_ref *use = &mod->uses[i];
	struct mf_provkey *pk = use_key(plan, mod, i);
	char tried[MF_ERR_MAX]; /* written only when a provider fails */
	size_t tlen = 0;
	bool loop = false;
	unsigned ntried = 0;
	int err = -ENOENT;

	tried[0] = '\0';
	if (!pk || pk->n_providers == 0) {
		snprintf(plan->err, sizeof(plan->err),
			 "%s uses %s=%s, which no module provides", mod->name,
			 use->type, use->name);
		return -ENOENT;
	}
	for (size_t k = 0; k < pk->n_providers; k++) {
		struct mf_module *p = pk->providers[k].mod;

		if (p != mod && (usable_now(p) || in_plan(plan, p))) {
			mod->plan_choice[i] = p;
			return 0;
		}
	}
	for (size_t k = 0; k < pk->n_providers; k++) {
		struct mf_module *p = pk->providers[k].mod;
		size_t mark = plan->n;
		int r;

		if (p == mod)
			continue;
		r = visit(plan, p, st);
		if (r == 0) {
			mod->plan_choice[i] = p;
			if (!p->plan_by) {
				p->plan_by = mod;
				p->plan_by_use = i;
			}
			return 0;
		}
		plan_truncate(plan, mark);
		ntried++;
		if (r == -ELOOP)
			loop = true;
		err = r;
		if (tlen < sizeof(tried))
			tlen += (size_t)snprintf(tried + tlen, sizeof(tried) - tlen,
						 "%s%s", tlen ? "; " : "", plan->err);
	}
	if (ntried == 0) {
		snprintf(plan->err, sizeof(plan->err),
			 "%s uses %s=%s, which only it provides", mod->name,
			 use->type, use->name);
	} else if (ntried == 1 && err != -ELOOP) {
		/* One candidate: say why it cannot be had, after what needed it. */
		snprintf(plan->err, sizeof(plan->err), "%s uses %s=%s: %s",
			 mod->name, use->type, use->name, tried);
	} else if (ntried > 1) {
		snprintf(plan->err, sizeof(plan->err),
			 "%s uses %s=%s: no provider can start (%s)", mod->name,
			 use->type, use->name, tried);
	}
	return loop ? -ELOOP : err;
}

static int visit(struct mf_plan *plan, struct mf_module *mod, struct stack *st)
{
	int err;

	if (usable_now(mod))
		return 0;
	if (mod->state != MF_STATE_STOPPED) {
		snprintf(plan->err, sizeof(plan->err), "%s is %s", mod->name,
			 mf_state_name(mod->state));
		return -EBUSY;
	}
	if (mod->unavailable) {
		snprintf(plan->err, sizeof(plan->err), "%s cannot start: %s",
			 mod->name, mod->unavailable);
		return -ENOENT;
	}
	if (mf_admin_neverload(plan->ctx, mod->name)) {
		snprintf(plan->err, sizeof(plan->err), "%s is neverloaded (%s)",
			 mod->name, mf_admin_neverload(plan->ctx, mod->name));
		return -EPERM;
	}
	if (mod->fail_gen && mod->fail_gen == plan->ctx->op_gen) {
		snprintf(plan->err, sizeof(plan->err), "%s failed to start: %s",
			 mod->name, mod->last_error ? mod->last_error : "error");
		return -EAGAIN;
	}
	if (mod->plan_gen == plan->gen) {
		switch (mod->plan_state) {
		case PLAN_DONE:
			return 0;
		case PLAN_VISITING:
			cycle_message(plan, st, mod);
			return -ELOOP;
		case PLAN_FAILED:
			snprintf(plan->err, sizeof(plan->err), "%s",
				 mod->last_error ? mod->last_error : mod->name);
			return mod->plan_err;
		}
	}
	if (stack_push(st, mod) < 0)
		return -ENOMEM;
	mod->plan_gen = plan->gen;
	mod->plan_state = PLAN_VISITING;
	mod->plan_by = NULL;
	for (unsigned i = 0; i < mod->n_uses; i++) {
		err = choose(plan, mod, i, st);
		if (err < 0)
			goto fail;
	}
	st->n--;
	err = plan_append(plan, mod);
	if (err < 0) {
		mod->plan_gen = 0;
		return err;
	}
	mod->plan_state = PLAN_DONE;
	return 0;

fail:
	st->n--;
	/* A failure caused by a cycle depends on the path that led here, so
	 * it is not remembered; any other failure is, which keeps planning
	 * linear in the size of the graph. */
	if (err == -ELOOP) {
		mod->plan_gen = 0;
		mod->plan_state = PLAN_NONE;
	} else {
		mod->plan_state = PLAN_FAILED;
		mod->plan_err = err;
		mf_set_str(&mod->last_error, mf_strdup(plan->err));
	}
	return err;
}

/*
 * Plan @mod alone when visit() would: nothing planned yet, nothing against
 * starting it, and each of its lines has a running provider, which
 * choose() takes first.  A load plans each module again just before it
 * starts it, once its providers run: that plan is this one, without the
 * walk.  false: walk as usual (nothing was planned).
 */
static bool plan_alone(struct mf_plan *plan, struct mf_module *mod)
{
	if (plan->n || mod->state != MF_STATE_STOPPED || mod->unavailable ||
	    mf_admin_neverload(plan->ctx, mod->name) ||
	    (mod->fail_gen && mod->fail_gen == plan->ctx->op_gen) ||
	    mod->plan_gen == plan->gen)
		return false;
	for (unsigned i = 0; i < mod->n_uses; i++) {
		struct mf_provkey *pk = use_key(plan, mod, i);
		size_t k = 0;

		while (pk && k < pk->n_providers &&
		       (pk->providers[k].mod == mod ||
			!usable_now(pk->providers[k].mod)))
			k++;
		if (!pk || k == pk->n_providers)
			return false;
		mod->plan_choice[i] = pk->providers[k].mod;
	}
	/* The first of plan->small[]: no allocation, cannot fail. */
	if (plan_append(plan, mod) < 0)
		return false;
	mod->plan_gen = plan->gen;
	mod->plan_state = PLAN_DONE;
	mod->plan_by = NULL;
	return true;
}

int mf_plan_add(struct mf_plan *plan, struct mf_module *mod)
{
	size_t mark = plan->n;
	struct stack st;
	int err;

	/* Planning finds providers through the index (catalog.c). */
	err = mf_catalog_index(plan->ctx);
	if (err == 0 && plan_alone(plan, mod))
		return 0;
	stack_init(&st);
	if (err == 0)
		err = visit(plan, mod, &st);
	stack_fini(&st);
	if (err == -ENOMEM)
		snprintf(plan->err, sizeof(plan->err), "out of memory");
	if (err < 0) {
		plan_truncate(plan, mark);
		mf_set_str(&mod->last_error, mf_strdup(plan->err));
	}
	return err;
}

/* ---- ordering ----------------------------------------------------------- */

/*
 * Among modules free to start, the order is load_priority, then name: one
 * number a module, key[plan_idx], priority above the name's rank in the
 * plan.  Comparing names instead cost a strcmp() at every heap step, the
 * largest item of a boot's sort.
 */
static int cmp_module_name(const void *a, const void *b)
{
	const struct mf_module *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/*
 * Add each planned module's name rank to its key.  The catalog is sorted by
 * name: a plan of a good part of it is ranked by one walk of the catalog,
 * a small plan of a large catalog by sorting its own names in @scratch.
 */
static void rank_names(const struct mf_plan *plan, uint64_t *key,
		       struct mf_module **scratch)
{
	const struct mf_context *ctx = plan->ctx;
	size_t n = plan->n, r = 0;

	if (ctx->n_modules / 16 <= n) {
		for (size_t i = 0; i < ctx->n_modules; i++)
			if (in_plan(plan, ctx->modules[i]))
				key[ctx->modules[i]->plan_idx] |= r++;
		return;
	}
	memcpy(scratch, plan->list, n * sizeof(*scratch));
	qsort(scratch, n, sizeof(*scratch), cmp_module_name);
	for (size_t i = 0; i < n; i++)
		key[scratch[i]->plan_idx] |= i;
}

/* A min-heap of plan indices on key[]. */
static void heap_push(unsigned *heap, size_t *n, const uint64_t *key,
		      unsigned m)
{
	size_t i = (*n)++;

	while (i > 0 && key[m] < key[heap[(i - 1) / 2]]) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = m;
}

static unsigned heap_pop(unsigned *heap, size_t *n, const uint64_t *key)
{
	unsigned top = heap[0], last = heap[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && key[heap[c + 1]] < key[heap[c]])
			c++;
		if (key[heap[c]] >= key[last])
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (*n)
		heap[i] = last;
	return top;
}

/*
 * Call fn(pred) for every planned module @mod must start after: the providers
 * it chose that the plan starts, and planned providers of its [canuse] lines.
 */
static void for_each_pred(const struct mf_plan *plan, const struct mf_module *mod,
			  void (*fn)(void *data, struct mf_module *pred), void *data)
{
	for (unsigned i = 0; i < mod->n_uses; i++) {
		struct mf_module *p = mod->plan_choice[i];
		bool dup = false;

		if (!in_plan(plan, p))
			continue;
		for (unsigned j = 0; j < i && !dup; j++)
			dup = mod->plan_choice[j] == p;
		if (!dup)
			fn(data, p);
	}
	for (unsigned i = 0; i < mod->n_canuse; i++) {
		struct mf_provkey *pk = mod->keys[1 + mod->n_provides + i];

		for (size_t k = 0; pk && k < pk->n_providers; k++) {
			struct mf_module *p = pk->providers[k].mod;
			bool is_use = false;

			if (p == mod || !in_plan(plan, p))
				continue;
			for (unsigned j = 0; j < mod->n_uses && !is_use; j++)
				is_use = mod->plan_choice[j] == p;
			if (!is_use)
				fn(data, p);
		}
	}
}

/*
 * The successors of every planned module in one array (compressed rows):
 * a first pass counts each module's, a second fills them in.  One
 * allocation for the whole plan, not one per module.
 */
struct sort_state {
	unsigned *indeg;
	size_t *row;		  /* [n + 1]: successors of i at succ[row[i]..] */
	size_t *fill;		  /* next free slot of each row (second pass) */
	struct mf_module **succ;  /* modules that wait for each one */
	struct mf_module *cur;
};

static void count_pred(void *data, struct mf_module *pred)
{
	struct sort_state *s = data;

	s->indeg[s->cur->plan_idx]++;
	s->row[pred->plan_idx + 1]++;
}

static void fill_succ(void *data, struct mf_module *pred)
{
	struct sort_state *s = data;

	s->succ[s->fill[pred->plan_idx]++] = s->cur;
}

int mf_plan_sort(struct mf_plan *plan)
{
	size_t n = plan->n, nheap = 0, out = 0;
	struct sort_state s = { 0 };
	struct mf_module **sorted;
	uint64_t *key;
	unsigned *heap;
	int err = -ENOMEM;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		plan->list[i]->plan_idx = (unsigned)i;
	heap = mf_malloc(n * sizeof(*heap));
	key = mf_malloc(n * sizeof(*key));
	sorted = mf_malloc(n * sizeof(*sorted));
	s.indeg = mf_calloc(n, sizeof(*s.indeg));
	s.row = mf_calloc(n + 1, sizeof(*s.row));
	s.fill = mf_malloc(n * sizeof(*s.fill));
	if (!heap || !key || !sorted || !s.indeg || !s.row || !s.fill)
		goto out;
	for (size_t i = 0; i < n; i++) {
		s.cur = plan->list[i];
		key[i] = (uint64_t)s.cur->load_priority << 32;
		for_each_pred(plan, s.cur, count_pred, &s);
	}
	rank_names(plan, key, sorted);
	for (size_t i = 0; i < n; i++) {
		s.row[i + 1] += s.row[i];
		s.fill[i] = s.row[i];
	}
	s.succ = mf_malloc((s.row[n] ? s.row[n] : 1) * sizeof(*s.succ));
	if (!s.succ)
		goto out;
	for (size_t i = 0; i < n; i++) {
		s.cur = plan->list[i];
		for_each_pred(plan, s.cur, fill_succ, &s);
	}
	for (size_t i = 0; i < n; i++)
		if (s.indeg[i] == 0)
			heap_push(heap, &nheap, key, (unsigned)i);
	while (nheap) {
		unsigned i = heap_pop(heap, &nheap, key);

		sorted[out++] = plan->list[i];
		for (size_t k = s.row[i]; k < s.row[i + 1]; k++) {
			unsigned j = s.succ[k]->plan_idx;

			if (--s.indeg[j] == 0)
				heap_push(heap, &nheap, key, j);
		}
	}
	/* The plan is acyclic by construction; canuse edges may close a loop
	 * (a canuses b, b uses a): then the post-order stands for those. */
	for (size_t i = 0; i < n && out < n; i++)
		if (s.indeg[i])
			sorted[out++] = plan->list[i];
	memcpy(plan->list, sorted, n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		plan->list[i]->plan_idx = (unsigned)i;
	err = 0;
out:
	mf_free(s.succ);
	mf_free(s.fill);
	mf_free(s.row);
	mf_free(s.indeg);
	mf_free(sorted);
	mf_free(key);
	mf_free(heap);
	return err;
}
