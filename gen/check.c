/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen check [--config .config] MANIFEST...
 *
 * The `make check` of a manifest set: read every manifest, judge the set as a
 * whole and print every problem found, not just the first, sorted by file and
 * line so that two runs over the same set print the same report.  With a
 * Kconfig .config it also judges the selection: the tristate rules are those
 * of the menu `manifold-gen kconfig` writes, so a .config that kconfig-conf
 * produced from that menu always passes.
 */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "depgraph.h"
#include "gen.h"
#include "names.h"
#include "srcref.h"

/* Cycles listed before the report says "and more": a guard against sets
 * whose cycles are too many to enumerate, not a limit real sets reach. */
#define CHECK_MAX_CYCLES 1000

struct problem {
	const char *file; /* points into a manifest, argv or the config path */
	unsigned line;	  /* 0: the problem has no line */
	char *text;
};

struct report {
	struct problem *items;
	size_t count, cap;
	int nomem;
};

__attribute__((format(printf, 4, 5))) static void
report_add(struct report *rp, const char *file, unsigned line,
	   const char *fmt, ...)
{
	struct problem *p;
	va_list ap;
	char *text;
	int n;

	if (rp->nomem)
		return;
	if (rp->count == rp->cap) {
		size_t cap = rp->cap ? 2 * rp->cap : 32;

		p = mf_realloc(rp->items, cap * sizeof(*p));
		if (!p)
			goto nomem;
		rp->items = p;
		rp->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	text = n < 0 ? NULL : mf_malloc((size_t)n + 1);
	if (!text)
		goto nomem;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rp->items[rp->count++] =
		(struct problem){.file = file, .line = line, .text = text};
	return;

nomem:
	/* Reported once at the end: a partial report must not look clean. */
	rp->nomem = 1;
}

static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->text, y->text);
}

static void report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->count; i++)
		mf_free(rp->items[i].text);
	mf_free(rp->items);
}

/* Manifests as loaded: the good ones sorted by name, then path. */
struct loaded {
	struct mf_manifest **all;
	size_t n_all;
	struct mf_manifest **unique; /* first of each name, for the graph */
	size_t n_unique;
};

static int manifest_cmp(const void *a, const void *b)
{
	const struct mf_manifest *x = *(struct mf_manifest *const *)a;
	const struct mf_manifest *y = *(struct mf_manifest *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->path, y->path);
}

/*
 * The parser says "PATH:LINE: reason"; take it apart so that its problems
 * sort with the others.
 */
static void add_parse_error(struct report *rp, const char *path,
			    const char *err, int r)
{
	size_t len = strlen(path);
	unsigned long line;
	char *end;

	if (err[0] == '\0') {
		report_add(rp, path, 0, "%s", strerror(-r));
		return;
	}
	if (strncmp(err, path, len) == 0 && err[len] == ':') {
		line = strtoul(err + len + 1, &end, 10);
		if (end != err + len + 1 && end[0] == ':' && end[1] == ' ') {
			report_add(rp, path, (unsigned)line, "%s", end + 2);
			return;
		}
		if (err[len + 1] == ' ') {
			report_add(rp, path, 0, "%s", err + len + 2);
			return;
		}
	}
	report_add(rp, path, 0, "%s", err);
}

static int load_all(struct loaded *ld, struct report *rp, int npaths,
		    char **paths)
{
	char err[MF_ERR_MAX];
	size_t i;
	int k, r;

	ld->all = mf_calloc(npaths ? (size_t)npaths : 1, sizeof(*ld->all));
	ld->unique = mf_calloc(npaths ? (size_t)npaths : 1, sizeof(*ld->unique));
	if (!ld->all || !ld->unique)
		return -ENOMEM;
	for (k = 0; k < npaths; k++) {
		struct mf_manifest *m;

		err[0] = '\0';
		r = mf_manifest_load(paths[k], &m, err, sizeof(err));
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			add_parse_error(rp, paths[k], err, r);
			continue;
		}
		ld->all[ld->n_all++] = m;
	}
	if (ld->n_all)
		qsort(ld->all, ld->n_all, sizeof(*ld->all), manifest_cmp);
	for (i = 0; i < ld->n_all; i++) {
		struct mf_manifest *m = ld->all[i];

		if (ld->n_unique &&
		    strcmp(ld->unique[ld->n_unique - 1]->name, m->name) == 0) {
			report_add(rp, m->path, 0,
				   "duplicate module name %s (also in %s)",
				   m->name, ld->unique[ld->n_unique - 1]->path);
			continue;
		}
		ld->unique[ld->n_unique++] = m;
	}
	return 0;
}

static void loaded_free(struct loaded *ld)
{
	size_t i;

	for (i = 0; i < ld->n_all; i++)
		mf_manifest_free(ld->all[i]);
	mf_free(ld->all);
	mf_free(ld->unique);
}

static void check_missing(const struct depgraph *g, struct report *rp)
{
	size_t i, k;

	for (i = 0; i < g->n; i++) {
		const struct dg_module *mod = &g->mods[i];

		for (k = 0; k < mod->n_needs; k++) {
			const struct dg_need *need = &mod->needs[k];

			if (need->n_providers)
				continue;
			report_add(rp, mod->m->path, need->ref->line,
				   "%s uses %s=%s, which no module provides",
				   mod->m->name, need->ref->type,
				   need->ref->name);
		}
	}
}

/* Lists are written to a memory stream: building them by repeated asprintf
 * would copy the list so far for each name, quadratic in a long list. */
static FILE *list_open(char **list, size_t *len, struct report *rp)
{
	FILE *fp = open_memstream(list, len);

	if (!fp)
		rp->nomem = 1;
	return fp;
}

/*
 * 0 and *list the generator's (mf_free() it), or -ENOMEM with rp->nomem
 * set and *list NULL.  The stream's buffer is the C library's: copied, so
 * that every block of the report comes from one allocator.
 */
static int list_close(FILE *fp, char **list, struct report *rp)
{
	int bad = ferror(fp);
	char *copy = NULL;

	if (fclose(fp) == 0 && !bad && *list)
		copy = mf_strdup(*list);
	free(*list);
	*list = copy;
	if (!copy) {
		rp->nomem = 1;
		return -ENOMEM;
	}
	return 0;
}

/* Two providers of one type=name at one priority: the loader cannot tell
 * which one to prefer. */
static void check_ambiguous(const struct depgraph *g, struct report *rp)
{
	size_t i = 0, j, k;

	while (i < g->n_provs) {
		const struct dg_provision *a = &g->provs[i];
		const struct dg_provision *at = NULL;
		char *list = NULL;
		size_t n = 0, len;
		FILE *fp;

		for (j = i; j < g->n_provs; j++) {
			const struct dg_provision *b = &g->provs[j];

			if (strcmp(a->type, b->type) || strcmp(a->name, b->name) ||
			    a->priority != b->priority)
				break;
		}
		/* Count first: most things have a single provider. */
		for (k = i; k < j; k++) {
			const struct dg_provision *b = &g->provs[k];

			/* One module providing a thing twice is no rivalry. */
			if (k > i && g->provs[k - 1].module == b->module)
				continue;
			if (!at && b->line)
				at = b;
			n++;
		}
		if (n > 1 && (fp = list_open(&list, &len, rp))) {
			n = 0;
			for (k = i; k < j; k++) {
				const struct dg_provision *b = &g->provs[k];
				const char *sep = k + 1 == j ? " and " : ", ";

				if (k > i && g->provs[k - 1].module == b->module)
					continue;
				fprintf(fp, "%s%s", n ? sep : "",
					g->mods[b->module].m->name);
				n++;
			}
			if (list_close(fp, &list, rp) == 0) {
				if (!at)
					at = a;
				report_add(rp, g->mods[at->module].m->path,
					   at->line,
					   "ambiguous: %s=%s is provided by %s at "
					   "priority %u",
					   a->type, a->name, list, a->priority);
			}
			mf_free(list);
		}
		i = j;
	}
}

static int check_cycles(const struct depgraph *g, struct report *rp)
{
	struct dg_cycle *cycles;
	size_t n, i, k;
	int truncated, r;

	r = dg_cycles(g, CHECK_MAX_CYCLES, &cycles, &n, &truncated);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		const struct dg_cycle *cy = &cycles[i];
		size_t len = 0;
		char *text, *p;

		for (k = 0; k < cy->len; k++)
			len += strlen(g->mods[cy->path[k]].m->name) + 4;
		len += strlen(g->mods[cy->path[0]].m->name) + 1;
		text = mf_malloc(len);
		if (!text) {
			r = -ENOMEM;
			goto out;
		}
		p = text;
		for (k = 0; k < cy->len; k++)
			p += sprintf(p, "%s -> ", g->mods[cy->path[k]].m->name);
		strcpy(p, g->mods[cy->path[0]].m->name);
		report_add(rp, g->mods[cy->path[0]].m->path, cy->line,
			   "cycle: %s", text);
		mf_free(text);
	}
	if (truncated && n)
		report_add(rp, g->mods[cycles[n - 1].path[0]].m->path, 0,
			   "more cycles not listed (stopped after %d)",
			   CHECK_MAX_CYCLES);
out:
	dg_cycles_free(cycles, n);
	return r;
}

/* --- the .config ------------------------------------------------------ */

struct selection {
	enum dg_tristate *state; /* per module of the graph */
	unsigned *line;		 /* its line in the .config, 0 if absent */
	bool modules;		 /* CONFIG_MODULES=y */
	char **have;		 /* HAVE_<NAME> symbols set to y */
	size_t n_have;
	int nomem;
};

static void have_add(struct selection *sel, const char *sym)
{
	char **v = mf_realloc(sel->have, (sel->n_have + 1) * sizeof(*v));

	if (!v || !(v[sel->n_have] = mf_strdup(sym))) {
		if (v)
			sel->have = v;
		sel->nomem = 1;
		return;
	}
	sel->have = v;
	sel->n_have++;
}

static bool have(const struct selection *sel, const char *sym)
{
	size_t i;

	for (i = 0; i < sel->n_have; i++)
		if (strcmp(sel->have[i], sym) == 0)
			return true;
	return false;
}

static const char *tristate_name(enum dg_tristate t)
{
	return t == DG_Y ? "y" : t == DG_M ? "m" : "n";
}

/* CONFIG_MODULE_<NAME> -> module index, or -1 for a symbol that is not one
 * `kconfig` writes for this set. */
static long symbol_module(const struct depgraph *g, const char *sym)
{
	char name[DG_SYMBOL_MAX];
	size_t i, n;

	n = strlen(sym);
	if (n == 0 || n >= sizeof(name))
		return -1;
	for (i = 0; i < n; i++) {
		char c = sym[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!(c >= '0' && c <= '9') && c != '_')
			return -1;
		name[i] = c;
	}
	name[n] = '\0';
	return dg_find(g, name);
}

static void config_set(const struct depgraph *g, struct selection *sel,
		       struct report *rp, const char *path, unsigned line,
		       const char *sym, const char *value)
{
	enum dg_tristate t;
	long mi;

	if (strcmp(value, "y") == 0)
		t = DG_Y;
	else if (strcmp(value, "m") == 0)
		t = DG_M;
	else if (strcmp(value, "n") == 0)
		t = DG_N;
	else {
		if (strcmp(sym, "MODULES") == 0 || strncmp(sym, "MODULE_", 7) == 0)
			report_add(rp, path, line,
				   "bad value '%s' for CONFIG_%s (want y, m "
				   "or n)",
				   value, sym);
		return;
	}
	if (strcmp(sym, "MODULES") == 0) {
		if (t == DG_M)
			report_add(rp, path, line,
				   "CONFIG_MODULES is a bool: 'm' is no value "
				   "for it");
		sel->modules = t == DG_Y;
		return;
	}
	if (strncmp(sym, "HAVE_", 5) == 0) {
		if (t == DG_Y)
			have_add(sel, sym);
		return;
	}
	if (strncmp(sym, "MODULE_", 7) != 0)
		return; /* the rest of the top-level Kconfig's symbols */
	mi = symbol_module(g, sym + 7);
	if (mi < 0) {
		report_add(rp, path, line, "CONFIG_%s names no module of the set",
			   sym);
		return;
	}
	sel->state[mi] = t;
	sel->line[mi] = line;
}

/* One .config line: "CONFIG_X=v" or "# CONFIG_X is not set". */
static void config_line(const struct depgraph *g, struct selection *sel,
			struct report *rp, const char *path, unsigned line,
			char *s)
{
	static const char unset[] = " is not set";
	size_t len = strlen(s);
	char *eq;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	if (strncmp(s, "# CONFIG_", 9) == 0 && len > 9 + sizeof(unset) - 1 &&
	    strcmp(s + len - (sizeof(unset) - 1), unset) == 0) {
		s[len - (sizeof(unset) - 1)] = '\0';
		config_set(g, sel, rp, path, line, s + 9, "n");
		return;
	}
	if (strncmp(s, "CONFIG_", 7) != 0)
		return;
	eq = strchr(s, '=');
	if (!eq)
		return;
	*eq = '\0';
	config_set(g, sel, rp, path, line, s + 7, eq + 1);
}

static int config_read(const struct depgraph *g, struct selection *sel,
		       struct report *rp, const char *path)
{
	char *buf = NULL;
	size_t cap = 0;
	unsigned line = 0;
	FILE *fp;

	sel->state = mf_calloc(g->n ? g->n : 1, sizeof(*sel->state));
	sel->line = mf_calloc(g->n ? g->n : 1, sizeof(*sel->line));
	if (!sel->state || !sel->line)
		return -ENOMEM;
	fp = fopen(path, "r");
	if (!fp) {
		report_add(rp, path, 0, "%s", strerror(errno));
		return 0;
	}
	while (getline(&buf, &cap, fp) >= 0)
		config_line(g, sel, rp, path, ++line, buf);
	if (ferror(fp))
		report_add(rp, path, 0, "read error");
	free(buf); /* getline()'s, the C library's */
	fclose(fp);
	return 0;
}

static void selection_free(struct selection *sel)
{
	size_t i;

	for (i = 0; i < sel->n_have; i++)
		mf_free(sel->have[i]);
	mf_free(sel->have);
	mf_free(sel->state);
	mf_free(sel->line);
}

/*
 * What the menu's `depends on HAVE_<NAME>` and `depends on MODULE_X = n`
 * mean: a selected module's [requires] are offered by the board, and no
 * module it conflicts with is selected.
 */
static void check_requires_conflicts(const struct depgraph *g,
				     const struct selection *sel,
				     const char *cfg, struct report *rp)
{
	char sym[DG_SYMBOL_MAX + 16];
	size_t i, k;

	for (i = 0; i < g->n; i++) {
		const struct mf_manifest *m = g->mods[i].m;
		enum dg_tristate s = sel->state[i];

		if (s == DG_N)
			continue;
		for (k = 0; k < m->requires.count; k++) {
			const struct mf_ref *q = &m->requires.items[k];

			gen_have_symbol(q->type, q->name, sym, sizeof(sym));
			if (!have(sel, sym))
				report_add(rp, m->path, q->line,
					   "%s is %s but requires %s=%s, and %s "
					   "does not set CONFIG_%s=y",
					   m->name, tristate_name(s), q->type,
					   q->name, cfg, sym);
		}
		for (k = 0; k < m->menu.count; k++) {
			const struct mf_ref *q = &m->menu.items[k];
			long x;

			if (strcmp(q->type, "conflict") != 0)
				continue;
			x = dg_find(g, q->name);
			if (x < 0 || sel->state[x] == DG_N)
				continue;
			report_add(rp, m->path, q->line,
				   "%s is %s but conflicts with %s, which is %s",
				   m->name, tristate_name(s), q->name,
				   tristate_name(sel->state[x]));
		}
	}
}

/*
 * Kconfig semantics of `depends on (MODULE_A || MODULE_B)`: the dependent can
 * be at most the best of its providers.  So a y module needs a y provider, an
 * m module at least an m one; and without CONFIG_MODULES there is no m.
 */
static void check_selection(const struct depgraph *g,
			    const struct selection *sel, const char *cfg,
			    struct report *rp)
{
	size_t i, k, j;

	for (i = 0; i < g->n; i++) {
		const struct dg_module *mod = &g->mods[i];
		enum dg_tristate s = sel->state[i];

		if (s == DG_N)
			continue;
		if (s == DG_M && !sel->modules)
			report_add(rp, cfg, sel->line[i],
				   "%s is m but CONFIG_MODULES is not y",
				   mod->m->name);
		for (k = 0; k < mod->n_needs; k++) {
			const struct dg_need *need = &mod->needs[k];
			enum dg_tristate best = DG_N;
			char *list = NULL;
			size_t len;
			FILE *fp;

			if (!need->n_providers)
				continue; /* reported whatever the config */
			for (j = 0; j < need->n_providers; j++)
				if (sel->state[need->providers[j]] > best)
					best = sel->state[need->providers[j]];
			if (best >= s)
				continue;
			fp = list_open(&list, &len, rp);
			if (!fp)
				continue;
			for (j = 0; j < need->n_providers; j++) {
				size_t p = need->providers[j];

				fprintf(fp, "%s%s (%s)", j ? ", " : "",
					g->mods[p].m->name,
					tristate_name(sel->state[p]));
			}
			if (list_close(fp, &list, rp) < 0)
				continue;
			if (best == DG_M)
				report_add(rp, mod->m->path, need->ref->line,
					   "%s is %s but %s=%s is only provided "
					   "by m modules: %s",
					   mod->m->name, tristate_name(s),
					   need->ref->type, need->ref->name,
					   list);
			else
				report_add(rp, mod->m->path, need->ref->line,
					   "%s is %s but %s=%s is provided by "
					   "no selected module: %s",
					   mod->m->name, tristate_name(s),
					   need->ref->type, need->ref->name,
					   list);
			mf_free(list);
		}
	}
}

/*
 * Every problem as "FILE:LINE: text"; a manifest that names its source
 * (extract --tree) puts the source first: "SOURCE:LINE: text (manifest
 * FILE:LINE)".  Problems come sorted by file, so each manifest's source
 * is read once.
 */
static int print_report(const struct report *rp, const struct loaded *ld)
{
	struct gen_srcref ref = {0};
	const char *open_file = NULL, **names;
	struct gen_names set;
	size_t k;
	int r = 0;

	names = mf_calloc(ld->n_unique ? ld->n_unique : 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (k = 0; k < ld->n_unique; k++)
		names[k] = ld->unique[k]->name;
	set = (struct gen_names){names, ld->n_unique, true};
	for (k = 0; k < rp->count; k++) {
		const struct problem *p = &rp->items[k];

		if (!open_file || strcmp(open_file, p->file) != 0) {
			gen_srcref_close(&ref);
			open_file = p->file;
			r = gen_srcref_open(p->file, &set, &ref);
			if (r < 0)
				break;
		}
		if (ref.source && p->line)
			printf("%s:%u: %s (manifest %s:%u)\n", ref.source,
			       gen_srcref_line(&ref, p->line), p->text, p->file,
			       p->line);
		else if (ref.source)
			printf("%s:%u: %s (manifest %s)\n", ref.source,
			       ref.block, p->text, p->file);
		else if (p->line)
			printf("%s:%u: %s\n", p->file, p->line, p->text);
		else
			printf("%s: %s\n", p->file, p->text);
	}
	gen_srcref_close(&ref);
	mf_free(names);
	return r;
}

static void usage(FILE *fp)
{
	fputs("usage: manifold-gen check [--config .config] MANIFEST...\n"
	      "\n"
	      "Judge a set of manifests as a whole and print every problem,\n"
	      "sorted: parse errors, duplicate names, uses no module provides,\n"
	      "providers that tie, dependency cycles.  A manifest written by\n"
	      "extract --tree names its source: problems are then given at the\n"
	      "source's line, with the manifest's line after them.\n"
	      "\n"
	      "  -c, --config FILE  also judge a Kconfig .config: each selected\n"
	      "                     module's uses met by selected providers (a y\n"
	      "                     module by y ones), its [requires] offered by\n"
	      "                     the board (CONFIG_HAVE_<NAME>=y), no two\n"
	      "                     conflicting modules selected\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Exit status: 0 no problem, 1 problems, 2 usage.\n",
	      fp);
}

int gen_check_main(int argc, char **argv)
{
	struct loaded ld = {0};
	struct report rp = {0};
	struct selection sel = {0};
	struct depgraph g;
	const char *config = NULL;
	int i, first, r, status = 1;

	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0; /* a fresh scan for every call (tests call us repeatedly) */
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	i = optind;
	first = i;
	if (first >= argc) {
		usage(stderr);
		return 2;
	}

	r = load_all(&ld, &rp, argc - first, argv + first);
	if (r < 0)
		goto err_loaded;
	r = dg_build(&g, ld.unique, ld.n_unique);
	if (r < 0)
		goto err_loaded;
	check_missing(&g, &rp);
	check_ambiguous(&g, &rp);
	r = check_cycles(&g, &rp);
	if (r < 0)
		goto err_graph;
	if (config) {
		r = config_read(&g, &sel, &rp, config);
		if (r < 0)
			goto err_selection;
		check_selection(&g, &sel, config, &rp);
		check_requires_conflicts(&g, &sel, config, &rp);
		if (sel.nomem)
			rp.nomem = 1;
	}
	if (rp.nomem) {
		r = -ENOMEM;
		goto err_selection;
	}

	if (rp.count)
		qsort(rp.items, rp.count, sizeof(*rp.items), problem_cmp);
	r = print_report(&rp, &ld);
	if (r < 0)
		goto err_selection;
	if (rp.count)
		printf("%zu problem%s in %d manifest%s\n", rp.count,
		       rp.count == 1 ? "" : "s", argc - first,
		       argc - first == 1 ? "" : "s");
	else
		printf("%d manifest%s OK\n", argc - first,
		       argc - first == 1 ? "" : "s");
	status = rp.count ? 1 : 0;
	if (fflush(stdout) != 0)
		status = 1;
	r = 0;

err_selection:
	selection_free(&sel);
err_graph:
	dg_free(&g);
err_loaded:
	loaded_free(&ld);
	report_free(&rp);
	if (r < 0) {
		fprintf(stderr, "manifold-gen check: %s\n", strerror(-r));
		return 1;
	}
	return status;
}
