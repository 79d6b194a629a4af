/* SPDX-License-Identifier: MIT */
/*
 * bench_report RESULTS [HEADER-LINE...]: the one table of `make bench`.
 *
 * RESULTS holds the lines the benchmark programs printed ("METRIC N KIND
 * VALUE [k=K]", see bench.h), several per (METRIC, N, KIND) when a
 * measurement was repeated; the table shows the minimum of each, the least
 * disturbed run of a machine that may be doing other things.  Two threads
 * contending for one counter are the exception: there the fastest run is
 * the one where the hypervisor or the scheduler kept one thread off its CPU
 * and nothing contended, so those figures are medians.  The header lines
 * (machine, command) are printed first, as given.
 *
 * For each metric and N: manifold's figure, the floor measured in the same
 * run, their ratio, the cost per module (per module started or stopped, K,
 * where an operation touches only part of the tree), and the growth from
 * the previous N.  The targets of issue 9 are checked at the end: growth
 * at most 1.2 times the growth of N (10x modules, at most 12x time), and the
 * ratios for embedded boot, loadable boot without checksums and references.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum unit { NS, NS_OP, BYTES, FLAG };

static const struct metric {
	const char *key;
	const char *label;
	enum unit unit;
	double target; /* ratio to the floor; 0: none */
	bool growth;   /* the linear-growth target applies */
	bool per_k;    /* per module: divide by K, not N */
	bool median;   /* the median of the runs, not the minimum */
} metrics[] = {
	{ "gen", "gen: extract --tree+check+registry+kconfig", NS, 0, true, false, false },
	{ "gen.extract_tree", "  gen: extract --tree (whole tree, one process)", NS, 0, true, false, false },
	{ "gen.extract", "  gen: extract (a process per module, before)", NS, 0, true, false, false },
	{ "gen.check", "  gen: check --config", NS, 0, true, false, false },
	{ "gen.registry", "  gen: registry --embedded", NS, 0, true, false, false },
	{ "gen.kconfig", "  gen: kconfig", NS, 0, true, false, false },
	{ "boot.embedded", "embedded boot: catalog+resolve+start all", NS, 2.0, true, false, false },
	{ "boot.embedded.rec", "  the floor, a 64-byte record a module", NS, 0, true, false, false },
	{ "index.first", "  then the first lookup (builds indexes)", NS, 0, true, false, false },
	{ "boot.loadable", "loadable boot, no checksums", NS, 1.15, true, false, false },
	{ "boot.loadable.listed", "  the same, no index: directory listed", NS, 0, true, false, false },
	{ "boot.loadable.sum", "loadable boot, checksums", NS, 0, true, false, false },
	{ "load.deep", "load 1 module, deep closure (embedded)", NS, 0, true, true, false },
	{ "load.deep.loadable", "load 1 module, deep closure (loadable)", NS, 0, true, true, false },
	{ "unload.cascade", "unload -f bottom module (cascade)", NS, 0, true, true, false },
	{ "refresh", "module refresh, N manifests on disk", NS, 0, true, false, false },
	{ "ref.1t", "ref get+put, 1 thread (per pair)", NS_OP, 2.0, false, false, false },
	{ "ref.2t", "ref get+put, 2 threads (pair, median)", NS_OP, 2.0, false, false, true },
	{ "ref.nolock", "ref get+put with the context lock held", FLAG, 0, false, false, false },
	{ "mem.catalog", "heap: catalog of the embedded table", BYTES, 0, true, false, false },
	{ "mem.running", "heap: catalog + all N running", BYTES, 0, true, false, false },
	{ "mem.indexed", "  then indexed (first lookup)", BYTES, 0, true, false, false },
	{ "mem.manifests", "heap: catalog from N manifests", BYTES, 0, true, false, false },
	{ "mem.table", "generated tables (registry.o)", BYTES, 0, true, false, false },
};
#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

/* The runs of one (metric, N, kind). */
struct cell {
	const char *metric;
	unsigned n;
	char kind;
	double value; /* what the table shows: minimum or median */
	double *runs;
	size_t n_runs;
	unsigned k;
	struct cell *next;
};

static struct cell *cells;
static unsigned sizes[32];
static unsigned n_sizes;

static struct cell *cell_get(const char *metric, unsigned n, char kind)
{
	for (struct cell *c = cells; c; c = c->next)
		if (c->n == n && c->kind == kind && strcmp(c->metric, metric) == 0)
			return c;
	return NULL;
}

static int read_results(const char *path)
{
	char line[512], metric[128], note[128];
	FILE *fp = fopen(path, "r");
	unsigned lineno = 0;

	if (!fp) {
		fprintf(stderr, "bench_report: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		struct cell *c;
		unsigned n, k = 0;
		char kind;
		double v;
		int f;

		lineno++;
		note[0] = '\0';
		f = sscanf(line, "%127s %u %c %lf %127s", metric, &n, &kind, &v, note);
		if (f < 4 || (kind != 'm' && kind != 'f')) {
			fprintf(stderr, "bench_report: %s:%u: not a result line\n", path, lineno);
			fclose(fp);
			return -1;
		}
		if (f == 5 && strncmp(note, "k=", 2) == 0)
			k = (unsigned)strtoul(note + 2, NULL, 10);
		c = cell_get(metric, n, kind);
		if (!c) {
			c = calloc(1, sizeof(*c));
			if (!c || !(c->metric = strdup(metric))) {
				fputs("bench_report: out of memory\n", stderr);
				fclose(fp);
				return -1;
			}
			c->n = n;
			c->kind = kind;
			c->k = k;
			c->next = cells;
			cells = c;
		}
		if (!(c->n_runs & (c->n_runs - 1))) {
			double *p = realloc(c->runs, 2 * (c->n_runs ? c->n_runs : 1) * sizeof(*p));

			if (!p) {
				fputs("bench_report: out of memory\n", stderr);
				fclose(fp);
				return -1;
			}
			c->runs = p;
		}
		c->runs[c->n_runs++] = v;
		if (c->k == 0)
			c->k = k;
		bool known = false;

		for (unsigned i = 0; i < n_sizes && !known; i++)
			known = sizes[i] == n;
		if (!known && n_sizes < sizeof(sizes) / sizeof(sizes[0])) {
			unsigned i = n_sizes++;

			for (; i > 0 && sizes[i - 1] > n; i--)
				sizes[i] = sizes[i - 1];
			sizes[i] = n;
		}
	}
	fclose(fp);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Each cell's figure: the minimum, or the median where the metric says. */
static void summarize(void)
{
	for (struct cell *c = cells; c; c = c->next) {
		bool median = false;

		for (size_t i = 0; i < N_METRICS; i++)
			if (strcmp(metrics[i].key, c->metric) == 0)
				median = metrics[i].median;
		qsort(c->runs, c->n_runs, sizeof(*c->runs), cmp_double);
		c->value = median ? (c->n_runs % 2 ? c->runs[c->n_runs / 2] :
				     (c->runs[c->n_runs / 2 - 1] + c->runs[c->n_runs / 2]) / 2) :
				    c->runs[0];
	}
}

static const char *fmt_value(char *buf, size_t len, double v, enum unit u)
{
	if (u == BYTES) {
		if (v < 10 * 1024)
			snprintf(buf, len, "%.0f B", v);
		else if (v < 10 * 1024 * 1024)
			snprintf(buf, len, "%.1f KiB", v / 1024);
		else
			snprintf(buf, len, "%.1f MiB", v / (1024 * 1024));
	} else if (u == FLAG) {
		snprintf(buf, len, "%s", v > 0 ? "yes" : "NO");
	} else if (v < 1e3) {
		snprintf(buf, len, "%.1f ns", v);
	} else if (v < 1e6) {
		snprintf(buf, len, "%.1f us", v / 1e3);
	} else if (v < 1e9) {
		snprintf(buf, len, "%.1f ms", v / 1e6);
	} else {
		snprintf(buf, len, "%.2f s", v / 1e9);
	}
	return buf;
}

static const char *fmt_ratio(char *buf, size_t len, double r)
{
	snprintf(buf, len, r < 10 ? "%.2fx" : "%.0fx", r);
	return buf;
}

/* The verdicts, gathered while the table is printed. */
struct verdicts {
	char growth[2048];
	size_t glen;
	unsigned growth_checked, growth_missed;
	unsigned growth_floor_too; /* misses where the floor grew as fast */
	char ratios[2048];
	size_t rlen;
};

#define APPEND(buf, len, ...)                                                  \
	do {                                                                   \
		if ((len) < sizeof(buf))                                       \
			(len) += (size_t)snprintf((buf) + (len), sizeof(buf) - (len), \
						  __VA_ARGS__);                \
	} while (0)

static void print_metric(const struct metric *m, struct verdicts *vd)
{
	const struct cell *prev = NULL;
	double worst_ratio = 0;
	unsigned worst_n = 0;
	bool first = true;

	for (unsigned s = 0; s < n_sizes; s++) {
		const struct cell *c = cell_get(m->key, sizes[s], 'm');
		const struct cell *f = cell_get(m->key, sizes[s], 'f');
		char v[32], fl[32] = "-", ra[32] = "-", per[32] = "-", gr[32] = "-";
		char note[96] = "";
		size_t nlen = 0;

		if (!c)
			continue;
		fmt_value(v, sizeof(v), c->value, m->unit);
		if (f)
			fmt_value(fl, sizeof(fl), f->value, m->unit);
		if (f && f->value > 0) {
			double r = c->value / f->value;

			fmt_ratio(ra, sizeof(ra), r);
			if (m->target > 0) {
				APPEND(note, nlen, "%s%s", nlen ? ", " : "",
				       r <= m->target ? "ratio ok" : "ratio MISS");
				if (r > worst_ratio) {
					worst_ratio = r;
					worst_n = c->n;
				}
			}
		}
		if (m->unit == NS || m->unit == BYTES) {
			unsigned d = m->per_k ? c->k : c->n;

			if (d)
				fmt_value(per, sizeof(per), c->value / d, m->unit);
			if (m->per_k && c->k)
				snprintf(per + strlen(per), sizeof(per) - strlen(per),
					 " (K=%u)", c->k);
		}
		if (prev && prev->value > 0) {
			double g = c->value / prev->value, sn = (double)c->n / prev->n;
			const struct cell *pf = cell_get(m->key, prev->n, 'f');
			double fg = f && pf && pf->value > 0 ? f->value / pf->value : 0;

			snprintf(gr, sizeof(gr), "%.1fx", g);
			if (m->growth) {
				bool ok = g <= 1.2 * sn;
				/* The same work without manifold grew as fast:
				 * the platform's cost (caches, musl's dlopen). */
				bool floor_too = !ok && fg > 0 && g <= 1.2 * fg;

				vd->growth_checked++;
				APPEND(note, nlen, "%s%s", nlen ? ", " : "",
				       ok ? "growth ok" : floor_too ?
				       "growth MISS, floor too" : "growth MISS");
				if (!ok) {
					vd->growth_missed++;
					vd->growth_floor_too += floor_too;
					APPEND(vd->growth, vd->glen,
					       "    %s: %.1fx for %ux modules (%u -> %u)",
					       m->key, g, c->n / prev->n, prev->n, c->n);
					if (fg > 0)
						APPEND(vd->growth, vd->glen,
						       "; its floor %.1fx", fg);
					APPEND(vd->growth, vd->glen, "\n");
				}
			}
		}
		if (m->unit == FLAG && c->value <= 0)
			APPEND(note, nlen, "a get or put waited for the context lock");
		printf("%-41s %6u %11s %11s %7s %20s %7s%s%s\n", first ? m->label : "",
		       c->n, v, fl, ra, per, gr, note[0] ? "  " : "", note);
		first = false;
		prev = c;
	}
	if (m->target > 0 && worst_n)
		APPEND(vd->ratios, vd->rlen, "    %s within %.2fx of its floor: %s (worst %.2fx at N=%u)\n",
		       m->key, m->target, worst_ratio <= m->target ? "ok" : "MISS",
		       worst_ratio, worst_n);
	if (m->unit == FLAG) {
		bool all = true, any = false;

		for (unsigned s = 0; s < n_sizes; s++) {
			const struct cell *c = cell_get(m->key, sizes[s], 'm');

			if (c) {
				any = true;
				all = all && c->value > 0;
			}
		}
		if (any)
			APPEND(vd->ratios, vd->rlen, "    no global lock on get+put: %s\n",
			       all ? "ok" : "MISS");
	}
}

int main(int argc, char **argv)
{
	struct verdicts vd = { 0 };

	if (argc < 2) {
		fputs("usage: bench_report RESULTS [HEADER-LINE...]\n", stderr);
		return 2;
	}
	if (read_results(argv[1]) < 0)
		return 1;
	summarize();
	for (int i = 2; i < argc; i++)
		printf("%s\n", argv[i]);
	printf("\n%-41s %6s %11s %11s %7s %20s %7s  %s\n", "metric", "N",
	       "manifold", "floor", "ratio", "per module", "growth", "targets");
	for (unsigned i = 0; i < N_METRICS; i++) {
		bool any = false;

		for (unsigned s = 0; s < n_sizes && !any; s++)
			any = cell_get(metrics[i].key, sizes[s], 'm') != NULL;
		if (!any)
			continue;
		print_metric(&metrics[i], &vd);
	}
	printf("\ntargets (issue 9):\n");
	printf("    linear growth, at most 1.2x the growth of N (10x modules -> 12x): %s\n"
	       "    (%u of %u steps ok; of the %u misses, %u where the floor grew as fast)\n",
	       vd.growth_missed ? "MISS" : "ok",
	       vd.growth_checked - vd.growth_missed, vd.growth_checked,
	       vd.growth_missed, vd.growth_floor_too);
	fputs(vd.growth, stdout);
	fputs(vd.ratios, stdout);
	return 0;
}
