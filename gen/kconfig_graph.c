/* SPDX-License-Identifier: MIT */
/*
 * What the kconfig menu may say without a cycle (gen/kconfig.h): which
 * providers of each need stay alternatives, and which [menu] conflicts
 * become `depends on MODULE_X = n`.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "kconfig.h"

/*
 * Kconfig refuses any cycle among `depends on`, even one through a provider
 * that some other provider could replace ("recursive dependency detected").
 * So leave out of each need the providers that would close a cycle: keep the
 * edges one by one, single-provider needs first (they leave no choice), and
 * drop an edge X -> P when P already reaches X.  Dropping an alternative only
 * narrows what Kconfig allows, so whatever it allows still passes `check`.
 * A need that loses every provider is a cycle no choice avoids (`check`
 * reports it) and becomes `depends on n`.
 */
struct edge {
	size_t mod, need, prov;
	size_t weight; /* providers of the need */
};

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	if (x->mod != y->mod)
		return x->mod < y->mod ? -1 : 1;
	if (x->need != y->need)
		return x->need < y->need ? -1 : 1;
	return x->prov < y->prov ? -1 : x->prov > y->prov;
}

/* Is @to reachable from @from over kept edges? */
static bool reaches(const struct kconfig *kc, size_t from, size_t to,
		    size_t *stack, unsigned *seen, unsigned stamp)
{
	const struct depgraph *g = &kc->g;
	size_t top = 0, k, j;

	stack[top++] = from;
	seen[from] = stamp;
	while (top) {
		size_t at = stack[--top];

		if (at == to)
			return true;
		for (k = 0; k < g->mods[at].n_needs; k++) {
			const struct dg_need *need = &g->mods[at].needs[k];

			for (j = 0; j < need->n_providers; j++) {
				size_t p = need->providers[j];

				if (!kc->keep[at][k][j] || seen[p] == stamp)
					continue;
				seen[p] = stamp;
				stack[top++] = p;
			}
		}
		for (k = 0; kc->conflict && k < g->mods[at].m->menu.count; k++) {
			long p;

			if (!kc->conflict[at][k])
				continue;
			p = dg_find(g, g->mods[at].m->menu.items[k].name);
			if (p >= 0 && seen[p] != stamp) {
				seen[p] = stamp;
				stack[top++] = (size_t)p;
			}
		}
	}
	return false;
}

int prune_cycles(struct kconfig *kc)
{
	const struct depgraph *g = &kc->g;
	struct edge *edges = NULL;
	size_t *stack = NULL;
	unsigned *seen = NULL;
	size_t n_edges = 0, i, k, j;
	int r = -ENOMEM;

	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->mods[i].n_needs; k++)
			n_edges += g->mods[i].needs[k].n_providers;
	edges = mf_malloc((n_edges ? n_edges : 1) * sizeof(*edges));
	stack = mf_malloc((g->n ? g->n : 1) * sizeof(*stack));
	seen = mf_calloc(g->n ? g->n : 1, sizeof(*seen));
	if (!edges || !stack || !seen)
		goto out;
	n_edges = 0;
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->mods[i].n_needs; k++)
			for (j = 0; j < g->mods[i].needs[k].n_providers; j++)
				edges[n_edges++] = (struct edge){
					.mod = i,
					.need = k,
					.prov = j,
					.weight = g->mods[i].needs[k].n_providers};
	if (n_edges)
		qsort(edges, n_edges, sizeof(*edges), edge_cmp);
	for (i = 0; i < n_edges; i++) {
		const struct edge *e = &edges[i];
		size_t p = g->mods[e->mod].needs[e->need].providers[e->prov];

		if (!reaches(kc, p, e->mod, stack, seen, (unsigned)i + 1))
			kc->keep[e->mod][e->need][e->prov] = 1;
	}
	r = 0;
out:
	mf_free(edges);
	mf_free(stack);
	mf_free(seen);
	return r;
}

/*
 * A [menu] conflict=X becomes `depends on MODULE_X = n`: Kconfig then
 * never lets both be selected.  Kconfig takes that for a dependency too,
 * so it is left out (and the help says so; check still reports a
 * selection of both) when X already reaches this module, which includes
 * X's own conflict with it: one side of a pair carries it.
 */
int add_conflicts(struct kconfig *kc)
{
	const struct depgraph *g = &kc->g;
	size_t *stack, i, k;
	unsigned *seen, stamp = 0;
	int r = -ENOMEM;

	kc->conflict = mf_calloc(g->n ? g->n : 1, sizeof(*kc->conflict));
	stack = mf_malloc((g->n ? g->n : 1) * sizeof(*stack));
	seen = mf_calloc(g->n ? g->n : 1, sizeof(*seen));
	if (!kc->conflict || !stack || !seen)
		goto out;
	for (i = 0; i < g->n; i++) {
		size_t n = g->mods[i].m->menu.count;

		kc->conflict[i] = mf_calloc(n ? n : 1, 1);
		if (!kc->conflict[i])
			goto out;
	}
	for (i = 0; i < g->n; i++) {
		const struct mf_ref_list *menu = &g->mods[i].m->menu;

		for (k = 0; k < menu->count; k++) {
			long x;

			if (strcmp(menu->items[k].type, "conflict") != 0)
				continue;
			x = dg_find(g, menu->items[k].name);
			if (x < 0 || (size_t)x == i)
				continue; /* no such module: nothing to keep out */
			if (!reaches(kc, (size_t)x, i, stack, seen, ++stamp))
				kc->conflict[i][k] = 1;
		}
	}
	r = 0;
out:
	mf_free(stack);
	mf_free(seen);
	return r;
}

void conflict_free(struct kconfig *kc)
{
	size_t i;

	for (i = 0; kc->conflict && i < kc->g.n; i++)
		mf_free(kc->conflict[i]);
	mf_free(kc->conflict);
}

int keep_alloc(struct kconfig *kc)
{
	const struct depgraph *g = &kc->g;
	size_t i, k;

	kc->keep = mf_calloc(g->n ? g->n : 1, sizeof(*kc->keep));
	if (!kc->keep)
		return -ENOMEM;
	for (i = 0; i < g->n; i++) {
		kc->keep[i] = mf_calloc(g->mods[i].n_needs ? g->mods[i].n_needs : 1,
				     sizeof(**kc->keep));
		if (!kc->keep[i])
			return -ENOMEM;
		for (k = 0; k < g->mods[i].n_needs; k++) {
			size_t n = g->mods[i].needs[k].n_providers;

			kc->keep[i][k] = mf_calloc(n ? n : 1, 1);
			if (!kc->keep[i][k])
				return -ENOMEM;
		}
	}
	return 0;
}

void keep_free(struct kconfig *kc)
{
	size_t i, k;

	if (!kc->keep)
		return;
	for (i = 0; i < kc->g.n; i++) {
		if (!kc->keep[i])
			continue;
		for (k = 0; k < kc->g.mods[i].n_needs; k++)
			mf_free(kc->keep[i][k]);
		mf_free(kc->keep[i]);
	}
	mf_free(kc->keep);
}
