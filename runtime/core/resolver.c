/* SPDX-License-Identifier: MIT */
/*
 * The resolver: given modules to start, choose a provider for every [uses]
 * line of every module that is not running yet, refuse what cannot be had
 * (no provider, a cycle, a provider that already failed in this operation),
 * and order the result.  What it decides lives in the plan (struct
 * mf_plan: the modules to start, each one's providers and who needed it),
 * never in the modules, which it changes only to record why one cannot
 * start (last_error): load.c acts on the plan, and a dry run only prints it.
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

#include "core/internal.h"

enum { PLAN_NONE, PLAN_VISITING, PLAN_DONE, PLAN_FAILED };

/* What the plan decided for one module it visited. */
struct mf_plan_entry {
	struct mf_module *mod;
	int state;		    /* PLAN_* */
	int err;		    /* why it cannot be had (PLAN_FAILED) */
	size_t idx;		    /* its place in plan->list (PLAN_DONE) */
	size_t choice;		    /* its providers at plan->choices[choice..] */
	const struct mf_module *by; /* the first planned module that needs it */
	unsigned by_use;	    /* and the line of by's it is for */
};

void mf_plan_init(struct mf_context *ctx, struct mf_plan *plan)
{
	*plan = (struct mf_plan){ .ctx = ctx };
}

void mf_plan_fini(struct mf_plan *plan)
{
	mf_free(plan->list.items);
	mf_free(plan->entries.items);
	mf_free(plan->choices.items);
	mf_free(plan->keys.items);
	mf_free(plan->stack);
	mf_modmap_fini(&plan->index);
	mf_plan_init(plan->ctx, plan);
}

int mf_plan_reserve(struct mf_plan *plan, size_t n)
{
	if (mf_array_reserve(&plan->list, n) < 0 ||
	    mf_array_reserve(&plan->entries, n) < 0)
		return -ENOMEM;
	return mf_modmap_reserve(&plan->index, n);
}

static struct mf_plan_entry *entry_of(const struct mf_plan *plan,
				      const struct mf_module *mod)
{
	size_t *i = mf_modmap_get(&plan->index, mod);

	return i ? &plan->entries.items[*i] : NULL;
}

/* @mod's entry, made (state PLAN_NONE) when it has none: NULL without memory. */
static struct mf_plan_entry *entry_get(struct mf_plan *plan, struct mf_module *mod)
{
	struct mf_plan_entry *e = entry_of(plan, mod);

	if (e)
		return e;
	if (mf_array_reserve(&plan->entries, plan->entries.n + 1) < 0 ||
	    mf_modmap_put(&plan->index, mod, plan->entries.n) < 0)
		return NULL;
	e = &plan->entries.items[plan->entries.n++];
	*e = (struct mf_plan_entry){ .mod = mod, .state = PLAN_NONE };
	return e;
}

static bool in_plan(const struct mf_plan *plan, const struct mf_module *mod)
{
	const struct mf_plan_entry *e = entry_of(plan, mod);

	return e && e->state == PLAN_DONE;
}

struct mf_module *const *mf_plan_choice(const struct mf_plan *plan,
					const struct mf_module *mod)
{
	/* No module of the plan has a [uses] line: there is no array, and
	 * NULL + 0 is undefined behaviour (UBSan). */
	if (!plan->choices.items)
		return NULL;
	return plan->choices.items + entry_of(plan, mod)->choice;
}

struct mf_provkey *const *mf_plan_keys(const struct mf_plan *plan,
				       const struct mf_module *mod)
{
	if (!plan->keys.items) /* as for mf_plan_choice() */
		return NULL;
	return plan->keys.items + entry_of(plan, mod)->choice;
}

const struct mf_module *mf_plan_needed_by(const struct mf_plan *plan,
					  const struct mf_module *mod,
					  unsigned *use)
{
	const struct mf_plan_entry *e = entry_of(plan, mod);

	if (!e || !e->by)
		return NULL;
	*use = e->by_use;
	return e->by;
}

/* Undo what a failed attempt added after @mark. */
static void plan_truncate(struct mf_plan *plan, size_t mark)
{
	while (plan->list.n > mark)
		entry_of(plan, plan->list.items[--plan->list.n])->state = PLAN_NONE;
}

/*
 * The modules being visited, for cycle paths; grown as deep as the graph.
 */
typedef MF_ARRAY(struct mf_module *) stack_t_;

static void cycle_message(struct mf_plan *plan, const stack_t_ *st,
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

static int visit(struct mf_plan *plan, struct mf_module *mod, stack_t_ *st);

static bool usable_now(const struct mf_module *mod)
{
	return mod->state == MF_STATE_RUNNING && !mod->force_stop;
}

/* The provider index's entry for mod->uses[i], or NULL. */
static struct mf_provkey *use_key(struct mf_context *ctx,
				  const struct mf_module *mod, unsigned i)
{
	return mf_provkey_find(ctx, mod->uses[i].type, mod->uses[i].name);
}

/* Pick the provider for mod->uses[i] into plan->choices[at]. */
static int choose(struct mf_plan *plan, struct mf_module *mod, unsigned i,
		  size_t at, stack_t_ *st)
{
	const struct mf_table_ref *use = &mod->uses[i];
	struct mf_provkey *pk = use_key(plan->ctx, mod, i);
	char tried[MF_ERR_MAX]; /* written only when a provider fails */
	size_t tlen = 0;
	bool loop = false;
	unsigned ntried = 0;
	int err = -ENOENT;

	tried[0] = '\0';
	plan->keys.items[at] = pk;
	if (!pk || pk->providers.n == 0) {
		snprintf(plan->err, sizeof(plan->err),
			 "%s uses %s=%s, which no module provides", mod->name,
			 use->type, use->name);
		return -ENOENT;
	}
	for (size_t k = 0; k < pk->providers.n; k++) {
		struct mf_module *p = pk->providers.items[k].mod;

		if (p != mod && (usable_now(p) || in_plan(plan, p))) {
			plan->choices.items[at] = p;
			return 0;
		}
	}
	for (size_t k = 0; k < pk->providers.n; k++) {
		struct mf_module *p = pk->providers.items[k].mod;
		size_t mark = plan->list.n;
		int r;

		if (p == mod)
			continue;
		r = visit(plan, p, st);
		if (r == 0) {
			struct mf_plan_entry *pe = entry_of(plan, p);

			plan->choices.items[at] = p;
			if (pe && !pe->by) {
				pe->by = mod;
				pe->by_use = i;
			}
			return 0;
		}
		plan_truncate(plan, mark);
		ntried++;
		if (r == -ELOOP)
			loop = true;
		if (r == -ENOMEM)
			return r;
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

/* What is against starting a stopped @mod in operation op_gen: 0 or the
 * error, with the reason in @err. */
static int refused(struct mf_context *ctx, const struct mf_module *mod,
		   char *err, size_t len)
{
	const char *ban;

	if (mod->state != MF_STATE_STOPPED) {
		snprintf(err, len, "%s is %s", mod->name, mf_state_name(mod->state));
		return -EBUSY;
	}
	if (mod->unavailable) {
		snprintf(err, len, "%s cannot start: %s", mod->name, mod->unavailable);
		return -ENOENT;
	}
	ban = mf_hooks_refusal(ctx, mod);
	if (ban) {
		snprintf(err, len, "%s is neverloaded (%s)", mod->name, ban);
		return -EPERM;
	}
	if (mod->fail_gen && mod->fail_gen == ctx->op_gen) {
		snprintf(err, len, "%s failed to start: %s", mod->name,
			 mod->last_error ? mod->last_error : "error");
		return -EAGAIN;
	}
	return 0;
}

static int visit(struct mf_plan *plan, struct mf_module *mod, stack_t_ *st)
{
	struct mf_plan_entry *e;
	size_t choice;
	int err;

	if (usable_now(mod))
		return 0;
	err = refused(plan->ctx, mod, plan->err, sizeof(plan->err));
	if (err)
		return err;
	e = entry_get(plan, mod);
	if (!e)
		return -ENOMEM;
	switch (e->state) {
	case PLAN_DONE:
		return 0;
	case PLAN_VISITING:
		cycle_message(plan, st, mod);
		return -ELOOP;
	case PLAN_FAILED:
		snprintf(plan->err, sizeof(plan->err), "%s",
			 mod->last_error ? mod->last_error : mod->name);
		return e->err;
	}
	/* Room for its choices, which the visits below come after. */
	choice = plan->choices.n;
	if (mf_array_reserve(&plan->choices, choice + mod->n_uses) < 0 ||
	    mf_array_reserve(&plan->keys, choice + mod->n_uses) < 0 ||
	    mf_array_push(st, mod) < 0)
		return -ENOMEM;
	plan->choices.n += mod->n_uses;
	plan->keys.n = plan->choices.n;
	e->state = PLAN_VISITING;
	e->choice = choice;
	e->by = NULL;
	for (unsigned i = 0; i < mod->n_uses; i++) {
		err = choose(plan, mod, i, choice + i, st);
		if (err < 0)
			goto fail;
	}
	st->n--;
	e = entry_of(plan, mod); /* the entries may have moved */
	if (mf_array_push(&plan->list, mod) < 0) {
		e->state = PLAN_NONE;
		return -ENOMEM;
	}
	e->idx = plan->list.n - 1;
	e->state = PLAN_DONE;
	return 0;

fail:
	st->n--;
	e = entry_of(plan, mod);
	/* A failure caused by a cycle depends on the path that led here, so
	 * it is not remembered, nor is running out of memory; any other
	 * failure is, which keeps planning linear in the size of the graph. */
	if (err == -ELOOP || err == -ENOMEM) {
		e->state = PLAN_NONE;
	} else {
		e->state = PLAN_FAILED;
		e->err = err;
		mf_set_str(&mod->last_error, mf_strdup(plan->err));
	}
	return err;
}

bool mf_plan_running(struct mf_context *ctx, struct mf_module *mod,
		     struct mf_provkey *const *keys, struct mf_module **choice)
{
	char why[MF_ERR_MAX];

	if (refused(ctx, mod, why, sizeof(why)))
		return false;
	for (unsigned i = 0; i < mod->n_uses; i++) {
		struct mf_provkey *pk = keys ? keys[i] : use_key(ctx, mod, i);
		size_t k = 0;

		while (pk && k < pk->providers.n &&
		       (pk->providers.items[k].mod == mod ||
			!usable_now(pk->providers.items[k].mod)))
			k++;
		if (!pk || k == pk->providers.n)
			return false;
		choice[i] = pk->providers.items[k].mod;
	}
	return true;
}

int mf_plan_add(struct mf_plan *plan, struct mf_module *mod)
{
	size_t mark = plan->list.n;
	/* A boot adds every module: one stack for all of them. */
	stack_t_ st = { .items = plan->stack, .cap = plan->stack_cap };
	int err;

	err = visit(plan, mod, &st);
	plan->stack = st.items;
	plan->stack_cap = st.cap;
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
 * number a module, key[idx], priority above the name's rank in the plan.
 */
static int cmp_module_name(const void *a, const void *b)
{
	const struct mf_module *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static size_t idx_of(const struct mf_plan *plan, const struct mf_module *mod)
{
	return entry_of(plan, mod)->idx;
}

/*
 * Add each planned module's name rank to its key: the catalog is sorted by
 * name, so a plan of a good part of it (a boot) takes the ranks from a
 * walk of it; a smaller one sorts its names in @scratch.
 */
static void rank_names(const struct mf_plan *plan, uint64_t *key,
		       struct mf_module **scratch)
{
	const struct mf_context *ctx = plan->ctx;
	size_t n = plan->list.n, rank = 0;

	if (n * 16 >= ctx->modules.n) {
		for (size_t i = 0; i < ctx->modules.n && rank < n; i++) {
			const struct mf_plan_entry *e = entry_of(plan, ctx->modules.items[i]);

			if (e && e->state == PLAN_DONE)
				key[e->idx] |= rank++;
		}
		if (rank == n)
			return;
		/* A planned module not in the catalog: sort after all. */
		for (size_t i = 0; i < n; i++)
			key[i] &= ~(uint64_t)UINT32_MAX;
	}
	memcpy(scratch, plan->list.items, n * sizeof(*scratch));
	qsort(scratch, n, sizeof(*scratch), cmp_module_name);
	for (size_t i = 0; i < n; i++)
		key[idx_of(plan, scratch[i])] |= i;
}

/* A min-heap of plan indices on key[], for the ready modules. */
static void heap_push(size_t *heap, size_t *n, const uint64_t *key, size_t m)
{
	size_t i = (*n)++;

	while (i > 0 && key[m] < key[heap[(i - 1) / 2]]) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = m;
}

static size_t heap_pop(size_t *heap, size_t *n, const uint64_t *key)
{
	size_t top = heap[0], last = heap[--(*n)], i = 0;

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
	struct mf_module *const *choice = mf_plan_choice(plan, mod);

	for (unsigned i = 0; i < mod->n_uses; i++) {
		struct mf_module *p = choice[i];
		bool dup = false;

		if (!in_plan(plan, p))
			continue;
		for (unsigned j = 0; j < i && !dup; j++)
			dup = choice[j] == p;
		if (!dup)
			fn(data, p);
	}
	for (unsigned i = 0; i < mod->n_canuse; i++) {
		struct mf_provkey *pk = mf_provkey_find(plan->ctx, mod->canuse[i].type,
							mod->canuse[i].name);

		for (size_t k = 0; pk && k < pk->providers.n; k++) {
			struct mf_module *p = pk->providers.items[k].mod;
			bool is_use = false;

			if (p == mod || !in_plan(plan, p))
				continue;
			for (unsigned j = 0; j < mod->n_uses && !is_use; j++)
				is_use = choice[j] == p;
			if (!is_use)
				fn(data, p);
		}
	}
}

/*
 * The successors of every planned module in one array (compressed rows),
 * from the edges one walk of the plan collects (a walk looks keys up).
 */
struct sort_edge {
	size_t pred, succ; /* plan indices: succ starts after pred */
};

struct sort_state {
	const struct mf_plan *plan;
	MF_ARRAY(struct sort_edge) edges; /* in the order of succ */
	size_t *indeg;
	size_t *row;  /* [n + 1]: successors of i at succ[row[i]..] */
	size_t *succ; /* plan indices of the modules that wait for each one */
	size_t cur;
	int err;
};

static void add_edge(void *data, struct mf_module *pred)
{
	struct sort_state *s = data;
	struct sort_edge e = { idx_of(s->plan, pred), s->cur };

	if (mf_array_push(&s->edges, e) < 0)
		s->err = -ENOMEM;
}

int mf_plan_sort(struct mf_plan *plan)
{
	size_t n = plan->list.n, nheap = 0, out = 0;
	struct sort_state s = { .plan = plan };
	struct mf_module **sorted;
	uint64_t *key;
	size_t *heap, *fill;
	int err = -ENOMEM;

	if (n < 2)
		return 0;
	heap = mf_malloc(n * sizeof(*heap));
	key = mf_malloc(n * sizeof(*key));
	sorted = mf_malloc(n * sizeof(*sorted));
	s.indeg = mf_calloc(n, sizeof(*s.indeg));
	s.row = mf_calloc(n + 1, sizeof(*s.row));
	fill = mf_malloc(n * sizeof(*fill));
	if (!heap || !key || !sorted || !s.indeg || !s.row || !fill)
		goto out;
	for (size_t i = 0; i < n && !s.err; i++) {
		s.cur = i;
		key[i] = (uint64_t)plan->list.items[i]->load_priority << 32;
		for_each_pred(plan, plan->list.items[i], add_edge, &s);
	}
	if (s.err)
		goto out;
	rank_names(plan, key, sorted);
	for (size_t k = 0; k < s.edges.n; k++) {
		s.indeg[s.edges.items[k].succ]++;
		s.row[s.edges.items[k].pred + 1]++;
	}
	for (size_t i = 0; i < n; i++) {
		s.row[i + 1] += s.row[i];
		fill[i] = s.row[i];
	}
	s.succ = mf_malloc((s.edges.n ? s.edges.n : 1) * sizeof(*s.succ));
	if (!s.succ)
		goto out;
	for (size_t k = 0; k < s.edges.n; k++)
		s.succ[fill[s.edges.items[k].pred]++] = s.edges.items[k].succ;
	for (size_t i = 0; i < n; i++)
		if (s.indeg[i] == 0)
			heap_push(heap, &nheap, key, i);
	while (nheap) {
		size_t i = heap_pop(heap, &nheap, key);

		sorted[out++] = plan->list.items[i];
		for (size_t k = s.row[i]; k < s.row[i + 1]; k++)
			if (--s.indeg[s.succ[k]] == 0)
				heap_push(heap, &nheap, key, s.succ[k]);
	}
	/* The plan is acyclic by construction; canuse edges may close a loop
	 * (a canuses b, b uses a): then the post-order stands for those. */
	for (size_t i = 0; i < n && out < n; i++)
		if (s.indeg[i])
			sorted[out++] = plan->list.items[i];
	memcpy(plan->list.items, sorted, n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		entry_of(plan, plan->list.items[i])->idx = i;
	err = 0;
out:
	mf_free(s.succ);
	mf_free(s.edges.items);
	mf_free(fill);
	mf_free(s.row);
	mf_free(s.indeg);
	mf_free(sorted);
	mf_free(key);
	mf_free(heap);
	return err;
}
