/* SPDX-License-Identifier: MIT */
/*
 * Providers, needs and unavoidable cycles of a manifest set (see depgraph.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "depgraph.h"

int dg_symbol(const char *name, char *buf, size_t len)
{
	static const char prefix[] = "MODULE_";
	size_t n = strlen(name), i;

	if (n == 0 || sizeof(prefix) + n > len)
		return -EINVAL;
	memcpy(buf, prefix, sizeof(prefix) - 1);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
			 c != '_')
			return -EINVAL;
		buf[sizeof(prefix) - 1 + i] = c;
	}
	buf[sizeof(prefix) - 1 + n] = '\0';
	return 0;
}

static int prov_cmp_key(const struct dg_provision *p, const char *type,
			const char *name)
{
	int c = strcmp(p->type, type);

	return c ? c : strcmp(p->name, name);
}

static int prov_cmp(const void *a, const void *b)
{
	const struct dg_provision *x = a, *y = b;
	int c = prov_cmp_key(x, y->type, y->name);

	if (c)
		return c;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->module < y->module ? -1 : x->module > y->module;
}

size_t dg_lookup(const struct depgraph *g, const char *type, const char *name,
		 size_t *first)
{
	size_t lo = 0, hi = g->n_provs, end;

	/* Lower bound, then walk: a type=name has a handful of providers. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (prov_cmp_key(&g->provs[mid], type, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (end = lo;
	     end < g->n_provs && prov_cmp_key(&g->provs[end], type, name) == 0;
	     end++)
		;
	return end - lo;
}

long dg_find(const struct depgraph *g, const char *name)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->mods[mid].m->name, name);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int build_needs(struct depgraph *g, size_t mi)
{
	struct dg_module *mod = &g->mods[mi];
	const struct mf_ref_list *uses = &mod->m->uses;
	size_t i;

	mod->needs = mf_calloc(uses->count ? uses->count : 1, sizeof(*mod->needs));
	if (!mod->needs)
		return -ENOMEM;
	for (i = 0; i < uses->count; i++) {
		const struct mf_ref *use = &uses->items[i];
		struct dg_need *need = &mod->needs[mod->n_needs];
		size_t first, cnt, k, w;

		cnt = dg_lookup(g, use->type, use->name, &first);
		/* Provided by the module itself: no edge. */
		for (k = 0; k < cnt; k++)
			if (g->provs[first + k].module == mi)
				break;
		if (k < cnt)
			continue;
		need->ref = use;
		mod->n_needs++;
		if (cnt == 0)
			continue;
		need->providers = mf_malloc(cnt * sizeof(*need->providers));
		if (!need->providers)
			return -ENOMEM;
		for (k = 0; k < cnt; k++)
			need->providers[k] = g->provs[first + k].module;
		qsort(need->providers, cnt, sizeof(size_t), size_cmp);
		/* One module may provide a thing twice (module=X and an alias). */
		for (k = 0, w = 0; k < cnt; k++)
			if (w == 0 || need->providers[w - 1] != need->providers[k])
				need->providers[w++] = need->providers[k];
		need->n_providers = w;
	}
	return 0;
}

int dg_build(struct depgraph *g, struct mf_manifest *const *mods, size_t n)
{
	size_t i, j, total = 0;
	int r;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(mods[i - 1]->name, mods[i]->name) >= 0)
			return -EINVAL;
		total += 1 + mods[i]->provides.count;
	}
	g->mods = mf_calloc(n ? n : 1, sizeof(*g->mods));
	g->provs = mf_calloc(total ? total : 1, sizeof(*g->provs));
	if (!g->mods || !g->provs) {
		r = -ENOMEM;
		goto err;
	}
	g->n = n;
	for (i = 0; i < n; i++) {
		const struct mf_manifest *m = mods[i];

		g->mods[i].m = m;
		if (dg_symbol(m->name, g->mods[i].symbol,
			      sizeof(g->mods[i].symbol)) < 0) {
			r = -EINVAL;
			goto err;
		}
		g->provs[g->n_provs++] = (struct dg_provision){
			.type = "module", .name = m->name, .module = i};
		for (j = 0; j < m->provides.count; j++) {
			const struct mf_ref *p = &m->provides.items[j];

			g->provs[g->n_provs++] = (struct dg_provision){
				.type = p->type,
				.name = p->name,
				.priority = p->priority,
				.line = p->line,
				.module = i};
		}
	}
	qsort(g->provs, g->n_provs, sizeof(*g->provs), prov_cmp);
	for (i = 0; i < n; i++) {
		r = build_needs(g, i);
		if (r < 0)
			goto err;
	}
	return 0;

err:
	dg_free(g);
	return r;
}

void dg_free(struct depgraph *g)
{
	size_t i, k;

	if (g->mods) {
		for (i = 0; i < g->n; i++) {
			for (k = 0; k < g->mods[i].n_needs; k++)
				mf_free(g->mods[i].needs[k].providers);
			mf_free(g->mods[i].needs);
		}
	}
	mf_free(g->mods);
	mf_free(g->provs);
	memset(g, 0, sizeof(*g));
}

/*
 * Unavoidable cycles.
 *
 * Fix a module M and call a module "trapped" when every choice of providers
 * leads from it to M.  M itself is the seed; any other module is trapped as
 * soon as one of its needs has providers and all of them are trapped (that
 * need must be met, and whichever provider meets it leads to M).  Nothing
 * else is: a module with a way out for each need can take it, and choices are
 * per module, so all the ways out hold at once.  M is in an unavoidable cycle
 * when one of its own needs has only trapped providers.
 *
 * This is Horn-clause propagation: a counter per need of how many of its
 * providers are not trapped yet, and a reverse index from a provider to the
 * needs it meets.
 *
 * Doing that from every M would cost O(modules * edges), and does for a long
 * acyclic chain, where everything upstream of M is trapped.  But a trapped
 * module reaches M, so a trapped provider of a need of M (or of anything M
 * reaches) lies in M's strongly connected component of the graph "module ->
 * every provider of each of its needs".  So only a module in a component of
 * two or more can be cyclic, and propagating inside its component finds the
 * same answer: the components come first, found without recursion (a chain
 * can be as deep as the set is large), and each M's propagation is undone
 * after its walk, at the cost of the propagation itself.
 *
 * The cycles reported for M are the elementary cycles through M that use only
 * "closed" needs (all providers trapped): those are the ways every choice can
 * come back.  Each is reported once, rotated to start at its smallest name.
 */

struct dg_rev {
	size_t module; /* the module whose need it is */
	size_t need;
};

/* One module on the walk's path: the providers still to try from it. */
struct walk_frame {
	size_t lo, cur, hi; /* a range of cycle_ctx.cand */
};

struct cycle_ctx {
	const struct depgraph *g;
	struct dg_rev **rev; /* rev[p]: the needs p meets */
	size_t *n_rev;
	size_t **left; /* left[m][k]: providers of need k not trapped yet */
	bool *trapped;
	size_t *queue;
	size_t n_queued; /* the last trap(), for untrap() */
	size_t *comp;	 /* strongly connected component of each module */
	bool *may_cycle; /* in a component of two or more, or a self edge */
	/* path search */
	size_t *path;
	bool *on_path;
	struct walk_frame *frames;
	size_t *cand;	/* the frames' providers: at most every edge once */
	size_t *mark;	/* mark[p] == stamp: p already a candidate */
	size_t stamp;
	size_t root;
	/* results */
	struct dg_cycle *out;
	size_t n_out, cap_out, max;
	int truncated;
};

static bool need_closed(const struct cycle_ctx *c, size_t m, size_t k)
{
	return c->g->mods[m].needs[k].n_providers > 0 && c->left[m][k] == 0;
}

struct scc_frame {
	size_t v, k, j; /* module, and the next need and provider to follow */
};

/*
 * Tarjan's strongly connected components, with an explicit stack of frames
 * instead of recursion.  Sets c->comp and c->may_cycle.
 */
static int find_components(struct cycle_ctx *c)
{
	const struct depgraph *g = c->g;
	size_t n = g->n ? g->n : 1, next = 1, top = 0, sp, i, n_comp = 0;
	size_t *idx = mf_calloc(n, sizeof(*idx)); /* 0: not visited yet */
	size_t *low = mf_calloc(n, sizeof(*low));
	size_t *stack = mf_calloc(n, sizeof(*stack));
	struct scc_frame *fr = mf_calloc(n, sizeof(*fr));
	bool *on_stack = mf_calloc(n, sizeof(*on_stack));
	int r = -ENOMEM;

	if (!idx || !low || !stack || !fr || !on_stack)
		goto out;
	for (i = 0; i < g->n; i++) {
		if (idx[i])
			continue;
		idx[i] = low[i] = next++;
		stack[top++] = i;
		on_stack[i] = true;
		fr[0] = (struct scc_frame){.v = i};
		sp = 1;
		while (sp) {
			struct scc_frame *f = &fr[sp - 1];
			const struct dg_module *mod = &g->mods[f->v];
			size_t v = f->v, w;

			if (f->k < mod->n_needs) {
				const struct dg_need *need = &mod->needs[f->k];

				if (f->j == need->n_providers) {
					f->k++;
					f->j = 0;
					continue;
				}
				w = need->providers[f->j++];
				if (w == v)
					c->may_cycle[v] = true;
				if (!idx[w]) {
					idx[w] = low[w] = next++;
					stack[top++] = w;
					on_stack[w] = true;
					fr[sp++] = (struct scc_frame){.v = w};
				} else if (on_stack[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			if (low[v] == idx[v]) {
				size_t size = 0, bottom = top;

				do {
					w = stack[--bottom];
					on_stack[w] = false;
					c->comp[w] = n_comp;
					size++;
				} while (w != v);
				if (size > 1)
					while (bottom < top)
						c->may_cycle[stack[bottom++]] = true;
				top -= size;
				n_comp++;
			}
			sp--;
			if (sp && low[v] < low[fr[sp - 1].v])
				low[fr[sp - 1].v] = low[v];
		}
	}
	r = 0;
out:
	mf_free(idx);
	mf_free(low);
	mf_free(stack);
	mf_free(fr);
	mf_free(on_stack);
	return r;
}

/* Trap everything in root's component that cannot avoid @root; true when
 * root is cyclic. */
static bool trap(struct cycle_ctx *c, size_t root)
{
	size_t head = 0, tail = 0, i;
	bool cyclic = false;

	c->trapped[root] = true;
	c->queue[tail++] = root;
	while (head < tail) {
		size_t p = c->queue[head++];

		for (i = 0; i < c->n_rev[p]; i++) {
			const struct dg_rev *r = &c->rev[p][i];

			/* Outside the component nothing is trapped: see above. */
			if (c->comp[r->module] != c->comp[root])
				continue;
			if (--c->left[r->module][r->need] != 0)
				continue;
			if (r->module == root)
				cyclic = true;
			else if (!c->trapped[r->module]) {
				c->trapped[r->module] = true;
				c->queue[tail++] = r->module;
			}
		}
	}
	c->n_queued = tail;
	return cyclic;
}

/* Undo the last trap(): exactly the counters it lowered. */
static void untrap(struct cycle_ctx *c, size_t root)
{
	const struct depgraph *g = c->g;
	size_t q, i;

	for (q = 0; q < c->n_queued; q++) {
		size_t p = c->queue[q];

		c->trapped[p] = false;
		for (i = 0; i < c->n_rev[p]; i++) {
			const struct dg_rev *r = &c->rev[p][i];

			if (c->comp[r->module] == c->comp[root])
				c->left[r->module][r->need] =
					g->mods[r->module].needs[r->need].n_providers;
		}
	}
	c->n_queued = 0;
}

static int cycle_add(struct cycle_ctx *c, size_t len)
{
	const struct depgraph *g = c->g;
	struct dg_cycle *cy;
	size_t start = 0, i, k, n;

	if (c->n_out == c->max) {
		c->truncated = 1;
		return 0;
	}
	if (c->n_out == c->cap_out) {
		size_t cap = c->cap_out ? 2 * c->cap_out : 16;
		struct dg_cycle *o = mf_realloc(c->out, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		c->out = o;
		c->cap_out = cap;
	}
	cy = &c->out[c->n_out];
	cy->path = mf_malloc(len * sizeof(size_t));
	if (!cy->path)
		return -ENOMEM;
	for (i = 1; i < len; i++)
		if (c->path[i] < c->path[start])
			start = i;
	for (i = 0; i < len; i++)
		cy->path[i] = c->path[(start + i) % len];
	cy->len = len;
	cy->line = 0;
	/* The first [uses] line of path[0] that path[1] meets. */
	n = cy->path[len > 1 ? 1 : 0];
	for (k = 0; k < g->mods[cy->path[0]].n_needs && !cy->line; k++) {
		const struct dg_need *need = &g->mods[cy->path[0]].needs[k];

		for (i = 0; i < need->n_providers; i++)
			if (need->providers[i] == n)
				cy->line = need->ref->line;
	}
	c->n_out++;
	return 0;
}

/*
 * Where the walk may go from @at: the providers of its closed needs, in
 * [uses] order, each once (two closed needs reaching one provider make one
 * cycle, not two).  Written to @dst; returns how many.
 */
static size_t candidates(struct cycle_ctx *c, size_t at, size_t *dst)
{
	const struct dg_module *mod = &c->g->mods[at];
	size_t k, i, n = 0;

	c->stamp++;
	for (k = 0; k < mod->n_needs; k++) {
		const struct dg_need *need = &mod->needs[k];

		if (!need_closed(c, at, k))
			continue;
		for (i = 0; i < need->n_providers; i++) {
			size_t p = need->providers[i];

			if (c->mark[p] == c->stamp)
				continue;
			c->mark[p] = c->stamp;
			dst[n++] = p;
		}
	}
	return n;
}

/*
 * Depth-first over closed needs, from the root back to it, with a frame per
 * module on the path instead of recursion.  The frames on the path hold
 * distinct modules, so their candidates fit in one array of every edge.
 */
static int walk(struct cycle_ctx *c)
{
	size_t depth = 1, used, i;
	int r;

	c->path[0] = c->root;
	c->on_path[c->root] = true;
	used = candidates(c, c->root, c->cand);
	c->frames[0] = (struct walk_frame){.lo = 0, .cur = 0, .hi = used};
	while (depth > 0) {
		struct walk_frame *f = &c->frames[depth - 1];
		size_t p;

		if (f->cur == f->hi) {
			c->on_path[c->path[depth - 1]] = false;
			used = f->lo;
			depth--;
			continue;
		}
		p = c->cand[f->cur++];
		if (p == c->root) {
			r = cycle_add(c, depth);
			if (r < 0)
				goto out;
			continue;
		}
		if (c->on_path[p] || !c->trapped[p])
			continue;
		if (c->truncated)
			break; /* nothing more will be listed */
		c->on_path[p] = true;
		c->path[depth] = p;
		c->frames[depth] = (struct walk_frame){
			.lo = used, .cur = used,
			.hi = used + candidates(c, p, c->cand + used)};
		used = c->frames[depth].hi;
		depth++;
	}
	r = 0;
out:
	for (i = 0; i < depth; i++)
		c->on_path[c->path[i]] = false;
	return r;
}

static int cycle_cmp(const void *a, const void *b)
{
	const struct dg_cycle *x = a, *y = b;
	size_t i;

	for (i = 0; i < x->len && i < y->len; i++)
		if (x->path[i] != y->path[i])
			return x->path[i] < y->path[i] ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The reverse index, the counters at rest and the walk's candidate array. */
static int build_rev(struct cycle_ctx *c)
{
	const struct depgraph *g = c->g;
	size_t i, k, j, edges = 0;

	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->mods[i].n_needs; k++) {
			edges += g->mods[i].needs[k].n_providers;
			for (j = 0; j < g->mods[i].needs[k].n_providers; j++)
				c->n_rev[g->mods[i].needs[k].providers[j]]++;
		}
	c->cand = mf_calloc(edges ? edges : 1, sizeof(*c->cand));
	if (!c->cand)
		return -ENOMEM;
	for (i = 0; i < g->n; i++) {
		c->rev[i] = mf_malloc((c->n_rev[i] ? c->n_rev[i] : 1) *
				   sizeof(**c->rev));
		if (!c->rev[i])
			return -ENOMEM;
		c->n_rev[i] = 0;
	}
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->mods[i].n_needs; k++)
			for (j = 0; j < g->mods[i].needs[k].n_providers; j++) {
				size_t p = g->mods[i].needs[k].providers[j];

				c->rev[p][c->n_rev[p]++] =
					(struct dg_rev){.module = i, .need = k};
			}
	for (i = 0; i < g->n; i++) {
		const struct dg_module *mod = &g->mods[i];

		c->left[i] = mf_malloc((mod->n_needs ? mod->n_needs : 1) *
				    sizeof(size_t));
		if (!c->left[i])
			return -ENOMEM;
		for (k = 0; k < mod->n_needs; k++)
			c->left[i][k] = mod->needs[k].n_providers;
	}
	return 0;
}

static void ctx_free(struct cycle_ctx *c)
{
	size_t i;

	for (i = 0; i < c->g->n; i++) {
		if (c->rev)
			mf_free(c->rev[i]);
		if (c->left)
			mf_free(c->left[i]);
	}
	mf_free(c->rev);
	mf_free(c->n_rev);
	mf_free(c->left);
	mf_free(c->trapped);
	mf_free(c->queue);
	mf_free(c->comp);
	mf_free(c->may_cycle);
	mf_free(c->path);
	mf_free(c->on_path);
	mf_free(c->frames);
	mf_free(c->cand);
	mf_free(c->mark);
}

int dg_cycles(const struct depgraph *g, size_t max, struct dg_cycle **out,
	      size_t *n_out, int *truncated)
{
	struct cycle_ctx c = {.g = g, .max = max};
	size_t n = g->n ? g->n : 1, i, w;
	int r = -ENOMEM;

	*out = NULL;
	*n_out = 0;
	*truncated = 0;
	c.rev = mf_calloc(n, sizeof(*c.rev));
	c.n_rev = mf_calloc(n, sizeof(*c.n_rev));
	c.left = mf_calloc(n, sizeof(*c.left));
	c.trapped = mf_calloc(n, sizeof(*c.trapped));
	c.queue = mf_calloc(n, sizeof(*c.queue));
	c.comp = mf_calloc(n, sizeof(*c.comp));
	c.may_cycle = mf_calloc(n, sizeof(*c.may_cycle));
	c.path = mf_calloc(n, sizeof(*c.path));
	c.on_path = mf_calloc(n, sizeof(*c.on_path));
	c.frames = mf_calloc(n, sizeof(*c.frames));
	c.mark = mf_calloc(n, sizeof(*c.mark));
	if (!c.rev || !c.n_rev || !c.left || !c.trapped || !c.queue ||
	    !c.comp || !c.may_cycle || !c.path || !c.on_path || !c.frames ||
	    !c.mark)
		goto err;
	r = find_components(&c);
	if (r < 0)
		goto err;
	r = build_rev(&c);
	if (r < 0)
		goto err;
	for (i = 0; i < g->n && !c.truncated; i++) {
		if (!c.may_cycle[i])
			continue;
		if (trap(&c, i)) {
			c.root = i;
			r = walk(&c);
			if (r < 0)
				goto err;
		}
		untrap(&c, i);
	}
	/* The same cycle is found from each of its cyclic modules. */
	if (c.n_out)
		qsort(c.out, c.n_out, sizeof(*c.out), cycle_cmp);
	for (i = 0, w = 0; i < c.n_out; i++) {
		if (w > 0 && cycle_cmp(&c.out[w - 1], &c.out[i]) == 0) {
			mf_free(c.out[i].path);
			continue;
		}
		c.out[w++] = c.out[i];
	}
	*out = c.out;
	*n_out = w;
	*truncated = c.truncated;
	ctx_free(&c);
	return 0;

err:
	dg_cycles_free(c.out, c.n_out);
	ctx_free(&c);
	return r;
}

void dg_cycles_free(struct dg_cycle *cycles, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mf_free(cycles[i].path);
	mf_free(cycles);
}
