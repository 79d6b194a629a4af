/* SPDX-License-Identifier: MIT */
/*
 * gen_tree: write a synthetic module tree for the benchmarks.
 *
 *   gen_tree -n N [-s SEED] -o DIR
 *
 * DIR/src/bm_NNNNN.c   N module sources, each with a MODULEINFO block (what
 *                      `manifold-gen extract` reads) and a descriptor whose
 *                      load and unload call bench_touch(): the same trivial
 *                      work whether manifold or a plain loop calls them.
 * DIR/all.c            every source #included into one translation unit,
 *                      plus bench_descs[]: the plain table of descriptors
 *                      that the floor loops over (compiling 10,000 files
 *                      one by one would cost minutes for nothing).
 * DIR/all-y.config     CONFIG_MODULE_BM_NNNNN=y for every module, for
 *                      `manifold-gen check --config`.
 * DIR/modules.list     the names, one a line.
 * DIR/info             facts the benchmarks need (key=value): the module
 *                      with the deepest closure, the one at the bottom of
 *                      the graph with the most dependents, and the shape.
 *
 * The shape, after what appliance trees look like: modules sit on 10 levels
 * (level = index * 10 / N), so dependency chains are up to 10 deep and an
 * index order is a valid start order.  A module above level 0 uses 1 to 4
 * others (mean 2.5): one on the level just below, the rest anywhere below.
 * N/40 services each have 2 or 3 providers on one level at priorities 300,
 * 200 and 100, and 15% of the modules above them use one; 10% of the
 * modules have a [canuse] line, 10% a non-default load priority.  Every
 * module provides one function, as most real modules provide something.
 *
 * Everything comes from one xorshift-style generator (splitmix64) seeded
 * from -s, so a seed and N always give the same bytes.  Files are only
 * rewritten when their content changes, which keeps a rebuild incremental.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LEVELS 10
#define MAX_USES 4

struct module {
	unsigned level;
	unsigned uses[MAX_USES]; /* module indexes */
	unsigned n_uses;
	int svc_use;	  /* service index used, or -1 */
	int canuse;	  /* module index, or -1 */
	int svc_provides; /* service index provided, or -1 */
	unsigned svc_priority;
	const char *load_priority; /* NULL: default */
};

struct service {
	unsigned level;
	unsigned providers[3];
	unsigned n_providers;
};

struct tree {
	unsigned n, width;
	unsigned long long seed;
	struct module *mods;
	unsigned level_start[LEVELS + 1];
	struct service *svcs;
	unsigned n_svcs;
};

/* ---- deterministic randomness ------------------------------------------- */

static unsigned long long rng_state;

static unsigned long long rng_next(void)
{
	unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0.  The modulo bias is irrelevant at these sizes. */
static unsigned rnd(unsigned n)
{
	return (unsigned)(rng_next() % n);
}

/* ---- the shape ---------------------------------------------------------- */

static bool has_use(const struct module *m, unsigned idx)
{
	for (unsigned i = 0; i < m->n_uses; i++)
		if (m->uses[i] == idx)
			return true;
	return false;
}

static int tree_build(struct tree *t)
{
	unsigned levels = t->n < LEVELS ? t->n : LEVELS;

	t->mods = calloc(t->n, sizeof(*t->mods));
	t->n_svcs = t->n / 40 ? t->n / 40 : 1;
	t->svcs = calloc(t->n_svcs, sizeof(*t->svcs));
	if (!t->mods || !t->svcs)
		return -ENOMEM;
	for (unsigned l = 0; l <= LEVELS; l++)
		t->level_start[l] = t->n;
	for (unsigned i = t->n; i-- > 0;) {
		t->mods[i].level = (unsigned)((unsigned long long)i * levels / t->n);
		t->level_start[t->mods[i].level] = i;
		t->mods[i].svc_use = t->mods[i].canuse = t->mods[i].svc_provides = -1;
	}
	/* Module uses: one on the level below keeps chains deep. */
	for (unsigned i = 0; i < t->n; i++) {
		struct module *m = &t->mods[i];
		unsigned l = m->level, below, want;

		if (l == 0)
			continue;
		below = t->level_start[l]; /* every index below this level */
		want = 1 + rnd(MAX_USES);
		m->uses[m->n_uses++] = t->level_start[l - 1] +
				       rnd(t->level_start[l] - t->level_start[l - 1]);
		for (unsigned tries = 0; m->n_uses < want && tries < 16; tries++) {
			unsigned u = rnd(below);

			if (!has_use(m, u))
				m->uses[m->n_uses++] = u;
		}
	}
	/* Services: 2 or 3 providers on one level, best first. */
	for (unsigned s = 0; s < t->n_svcs; s++) {
		struct service *sv = &t->svcs[s];
		unsigned lo, span, want = 2 + rnd(2);

		sv->level = levels > 2 ? rnd(levels - 2) : 0;
		lo = t->level_start[sv->level];
		span = t->level_start[sv->level + 1 <= LEVELS ? sv->level + 1 : LEVELS] - lo;
		for (unsigned tries = 0; sv->n_providers < want && tries < 64; tries++) {
			unsigned p = lo + rnd(span);

			if (t->mods[p].svc_provides >= 0)
				continue;
			t->mods[p].svc_provides = (int)s;
			t->mods[p].svc_priority = 300 - 100 * sv->n_providers;
			sv->providers[sv->n_providers++] = p;
		}
	}
	for (unsigned i = 0; i < t->n; i++) {
		struct module *m = &t->mods[i];
		unsigned r;

		if (m->level > 0 && rnd(100) < 15) {
			unsigned s = rnd(t->n_svcs);

			/* Only a service served from below: no cycles. */
			if (t->svcs[s].n_providers && t->svcs[s].level < m->level)
				m->svc_use = (int)s;
		}
		if (m->level > 0 && rnd(100) < 10) {
			unsigned c = rnd(t->level_start[m->level]);

			if (!has_use(m, c))
				m->canuse = (int)c;
		}
		r = rnd(100);
		m->load_priority = r < 5 ? "timing" : r < 10 ? "channel_driver" : NULL;
	}
	return 0;
}

/* ---- closures: which module is deepest, which one is at the bottom ------- */

/* The provider the resolver picks for a service: the highest priority. */
static unsigned best_provider(const struct tree *t, unsigned s)
{
	return t->svcs[s].providers[0];
}

static unsigned closure_size(const struct tree *t, unsigned root,
			     unsigned *stamp, unsigned mark, unsigned *stack)
{
	unsigned n = 0, sp = 0;

	stack[sp++] = root;
	stamp[root] = mark;
	while (sp) {
		const struct module *m = &t->mods[stack[--sp]];

		n++;
		for (unsigned k = 0; k <= m->n_uses; k++) {
			unsigned u;

			if (k < m->n_uses)
				u = m->uses[k];
			else if (m->svc_use >= 0)
				u = best_provider(t, (unsigned)m->svc_use);
			else
				break;
			if (stamp[u] != mark) {
				stamp[u] = mark;
				stack[sp++] = u;
			}
		}
	}
	return n;
}

/* Reverse edges as one CSR array: users[ustart[i] .. ustart[i+1]) use i. */
struct rgraph {
	unsigned *ustart, *users;
};

static int rgraph_build(const struct tree *t, struct rgraph *g)
{
	unsigned *fill;

	g->ustart = calloc(t->n + 1, sizeof(*g->ustart));
	g->users = calloc((size_t)t->n * (MAX_USES + 1) + 1, sizeof(*g->users));
	fill = calloc(t->n, sizeof(*fill));
	if (!g->ustart || !g->users || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < t->n; i++) {
			const struct module *m = &t->mods[i];

			for (unsigned k = 0; k <= m->n_uses; k++) {
				unsigned u;

				if (k < m->n_uses)
					u = m->uses[k];
				else if (m->svc_use >= 0)
					u = best_provider(t, (unsigned)m->svc_use);
				else
					break;
				if (pass == 0)
					g->ustart[u + 1]++;
				else
					g->users[g->ustart[u] + fill[u]++] = i;
			}
		}
		if (pass == 0)
			for (unsigned i = 0; i < t->n; i++)
				g->ustart[i + 1] += g->ustart[i];
	}
	free(fill);
	return 0;
}

static unsigned dependents_size(const struct tree *t, const struct rgraph *g,
				unsigned root, unsigned *stamp, unsigned mark,
				unsigned *stack)
{
	unsigned n = 0, sp = 0;

	stack[sp++] = root;
	stamp[root] = mark;
	while (sp) {
		unsigned i = stack[--sp];

		n++;
		for (unsigned k = g->ustart[i]; k < g->ustart[i + 1]; k++) {
			unsigned u = g->users[k];

			if (stamp[u] != mark) {
				stamp[u] = mark;
				stack[sp++] = u;
			}
		}
	}
	(void)t;
	return n;
}

/* ---- output ------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
	bool nomem;
};

static void bprintf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->nomem = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap <= b->len + (size_t)n)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->nomem = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
}

/* Write @b to @path unless the file holds exactly that already. */
static int write_if_changed(const char *path, struct buf *b)
{
	char tmp[4096];
	FILE *fp;
	bool same = false;

	if (b->nomem) {
		fprintf(stderr, "gen_tree: %s: out of memory\n", path);
		return -ENOMEM;
	}
	fp = fopen(path, "rb");
	if (fp) {
		size_t off = 0, n;

		same = true;
		while (same && (n = fread(tmp, 1, sizeof(tmp), fp)) > 0) {
			same = off + n <= b->len && memcmp(b->s + off, tmp, n) == 0;
			off += n;
		}
		same = same && off == b->len && !ferror(fp);
		fclose(fp);
	}
	if (!same) {
		fp = fopen(path, "wb");
		if (!fp || fwrite(b->s, 1, b->len, fp) != b->len || fclose(fp) != 0) {
			fprintf(stderr, "gen_tree: %s: %s\n", path, strerror(errno));
			return -EIO;
		}
	}
	b->len = 0;
	return 0;
}

static void module_source(const struct tree *t, unsigned i, struct buf *b)
{
	const struct module *m = &t->mods[i];
	unsigned w = t->width;

	bprintf(b, "/* Synthetic module for the manifold benchmarks, written by\n"
		   " * bench/gen_tree -n %u -s %llu: do not edit. */\n",
		t->n, t->seed);
	bprintf(b, "/*** MODULEINFO\n");
	bprintf(b, "\t<description>Synthetic bench module %u (level %u)</description>\n",
		i, m->level);
	bprintf(b, "\t<support_level>core</support_level>\n");
	if (m->load_priority)
		bprintf(b, "\t<load_priority>%s</load_priority>\n", m->load_priority);
	for (unsigned k = 0; k < m->n_uses; k++)
		bprintf(b, "\t<use type=\"module\">bm_%0*u</use>\n", w, m->uses[k]);
	if (m->svc_use >= 0)
		bprintf(b, "\t<use type=\"service\">bsvc_%u</use>\n", (unsigned)m->svc_use);
	if (m->canuse >= 0)
		bprintf(b, "\t<canuse type=\"module\">bm_%0*u</canuse>\n", w,
			(unsigned)m->canuse);
	if (m->svc_provides >= 0)
		bprintf(b, "\t<provides type=\"service\" priority=\"%u\">bsvc_%u</provides>\n",
			m->svc_priority, (unsigned)m->svc_provides);
	bprintf(b, "\t<defaultenabled>yes</defaultenabled>\n ***/\n");
	bprintf(b, "/*** DOCUMENTATION\n"
		   "\t<function name=\"BM_%0*u\" language=\"en_US\">\n"
		   "\t\t<synopsis>BM_%0*u(): synthetic.</synopsis>\n"
		   "\t</function>\n ***/\n", w, i, w, i);
	bprintf(b, "#include <manifold/module.h>\n\n"
		   "void bench_touch(unsigned id);\n\n"
		   "static int bm_%0*u_load(struct mf_module *self)\n"
		   "{\n\t(void)self;\n\tbench_touch(%uu);\n\treturn 0;\n}\n\n"
		   "static void bm_%0*u_unload(struct mf_module *self)\n"
		   "{\n\t(void)self;\n\tbench_touch(%uu);\n}\n\n"
		   "MANIFOLD_MODULE(.load = bm_%0*u_load, .unload = bm_%0*u_unload);\n",
		w, i, i, w, i, i, w, i, w, i);
}

static int write_tree(const struct tree *t, const char *dir)
{
	struct buf b = { 0 };
	char path[4096];
	unsigned w = t->width, uses = 0, svc_uses = 0, canuses = 0;
	int err = 0;

	snprintf(path, sizeof(path), "%s", dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto err_dir;
	snprintf(path, sizeof(path), "%s/src", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto err_dir;
	for (unsigned i = 0; i < t->n && !err; i++) {
		module_source(t, i, &b);
		snprintf(path, sizeof(path), "%s/src/bm_%0*u.c", dir, w, i);
		err = write_if_changed(path, &b);
		uses += t->mods[i].n_uses;
		svc_uses += t->mods[i].svc_use >= 0;
		canuses += t->mods[i].canuse >= 0;
	}
	if (err)
		goto out;

	bprintf(&b, "/* All %u synthetic modules in one translation unit, and the\n"
		    " * floor's plain table of their descriptors.  Written by\n"
		    " * bench/gen_tree: do not edit. */\n", t->n);
	/* Each module's name, as the build of its own file passes it. */
	for (unsigned i = 0; i < t->n; i++)
		bprintf(&b, "#define MF_MODULE_NAME bm_%0*u\n#include \"src/bm_%0*u.c\"\n"
			    "#undef MF_MODULE_NAME\n", w, i, w, i);
	bprintf(&b, "\nconst struct manifold_module *const bench_descs[] = {\n");
	for (unsigned i = 0; i < t->n; i++)
		bprintf(&b, "\t&manifold_module_bm_%0*u,\n", w, i);
	bprintf(&b, "};\nconst unsigned bench_n_descs = %u;\n", t->n);
	snprintf(path, sizeof(path), "%s/all.c", dir);
	err = write_if_changed(path, &b);
	if (err)
		goto out;

	for (unsigned i = 0; i < t->n; i++)
		bprintf(&b, "CONFIG_MODULE_BM_%0*u=y\n", w, i);
	snprintf(path, sizeof(path), "%s/all-y.config", dir);
	err = write_if_changed(path, &b);
	if (err)
		goto out;

	for (unsigned i = 0; i < t->n; i++)
		bprintf(&b, "bm_%0*u\n", w, i);
	snprintf(path, sizeof(path), "%s/modules.list", dir);
	err = write_if_changed(path, &b);
	if (err)
		goto out;

	bprintf(&b, "n=%u\nseed=%llu\nwidth=%u\nservices=%u\nuses=%u\n"
		    "service_uses=%u\ncanuse=%u\n",
		t->n, t->seed, w, t->n_svcs, uses, svc_uses, canuses);
	err = -ENOMEM;
	{
		unsigned *stamp = calloc(t->n, sizeof(*stamp));
		unsigned *stack = calloc(t->n, sizeof(*stack));
		unsigned deep = 0, deep_n = 0, bottom = 0, bottom_n = 0, mark = 0;
		struct rgraph g = { 0 };

		if (stamp && stack && rgraph_build(t, &g) == 0) {
			/* Deepest closure among the top level; most dependents
			 * among the bottom level (modules that use nothing). */
			for (unsigned i = t->level_start[t->mods[t->n - 1].level]; i < t->n; i++) {
				unsigned c = closure_size(t, i, stamp, ++mark, stack);

				if (c > deep_n) {
					deep_n = c;
					deep = i;
				}
			}
			for (unsigned i = 0; i < t->n && t->mods[i].level == 0; i++) {
				unsigned c = dependents_size(t, &g, i, stamp, ++mark, stack);

				if (c > bottom_n) {
					bottom_n = c;
					bottom = i;
				}
			}
			bprintf(&b, "deep=bm_%0*u\ndeep_closure=%u\nbottom=bm_%0*u\n"
				    "bottom_dependents=%u\n",
				w, deep, deep_n, w, bottom, bottom_n);
			err = 0;
		}
		free(g.ustart);
		free(g.users);
		free(stamp);
		free(stack);
	}
	if (err == 0) {
		snprintf(path, sizeof(path), "%s/info", dir);
		err = write_if_changed(path, &b);
	} else {
		fprintf(stderr, "gen_tree: out of memory\n");
	}
out:
	free(b.s);
	return err;

err_dir:
	fprintf(stderr, "gen_tree: %s: %s\n", path, strerror(errno));
	return -errno;
}

static void usage(FILE *fp)
{
	fputs("usage: gen_tree -n N [-s SEED] -o DIR\n"
	      "  Write N synthetic module sources and their build helpers to DIR.\n",
	      fp);
}

int main(int argc, char **argv)
{
	struct tree t = { .seed = 1 };
	const char *dir = NULL;
	char *end;
	int c, err;

	while ((c = getopt(argc, argv, "n:s:o:h")) != -1) {
		switch (c) {
		case 'n':
			t.n = (unsigned)strtoul(optarg, &end, 10);
			if (*end || t.n == 0 || t.n > 1000000) {
				fprintf(stderr, "gen_tree: -n %s: want 1..1000000\n", optarg);
				return 2;
			}
			break;
		case 's':
			t.seed = strtoull(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "gen_tree: -s %s: not a number\n", optarg);
				return 2;
			}
			break;
		case 'o':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dir || t.n == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Names sort like their indexes: zero-padded, at least 5 digits. */
	t.width = 5;
	for (unsigned v = t.n - 1; v >= 100000; v /= 10)
		t.width++;
	rng_state = t.seed;
	err = tree_build(&t);
	if (err == 0)
		err = write_tree(&t, dir);
	else
		fprintf(stderr, "gen_tree: out of memory\n");
	free(t.mods);
	free(t.svcs);
	return err ? 1 : 0;
}
