/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen kconfig -o OUT MANIFEST...
 *
 * Write the modules' Kconfig menu: one tristate MODULE_<NAME> per module
 * (y: built into the image, m: built loadable, n: left out), grouped into
 * menus by the name's prefix.  Each [uses] line becomes
 * `depends on (MODULE_A || MODULE_B)` over its providers, and Kconfig's
 * tristate rule (a dependent is capped at the best of what it depends on)
 * is the rule `manifold-gen check --config` enforces: whatever kconfig-conf
 * makes of this menu, check accepts.
 *
 * The menu relies on the top-level Kconfig declaring `config MODULES` with
 * `option modules` (the spelling kconfig-frontends 4.11 knows; newer kconfig
 * says `modules`), so that m exists only when MODULES=y.
 */
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
#include "moduleinfo.h"
#include "names.h"

/* Width of help text lines, not counting the tab and two spaces. */
#define HELP_WIDTH 68

/* Menu titles by the name's prefix (app_dial -> app), as menuselect has them. */
static const struct {
	const char *prefix;
	const char *title;
} menu_titles[] = {
	{"app", "Applications"},
	{"bridge", "Bridging modules"},
	{"cdr", "Call detail recording"},
	{"cel", "Channel event logging"},
	{"chan", "Channel drivers"},
	{"codec", "Codec translators"},
	{"format", "File format drivers"},
	{"func", "Dialplan functions"},
	{"pbx", "PBX modules"},
	{"res", "Resources"},
	{"test", "Test modules"},
};
#define N_MENU_TITLES (sizeof(menu_titles) / sizeof(menu_titles[0]))
static const char other_title[] = "Other modules";

static const char *menu_title(const char *name)
{
	size_t len = strcspn(name, "_"), i;

	for (i = 0; i < N_MENU_TITLES; i++)
		if (strlen(menu_titles[i].prefix) == len &&
		    strncmp(menu_titles[i].prefix, name, len) == 0)
			return menu_titles[i].title;
	return other_title;
}

#include "kconfig.h"

/* --- defaults ---------------------------------------------------------- */

/*
 * Without a word from the source: core modules are in by default, extended
 * ones loadable (`default m` is y when MODULES=n: Kconfig turns m into y for
 * a tristate when modules are off), deprecated and external ones out.
 */
static enum default_kind level_default(enum mf_support_level level)
{
	switch (level) {
	case MF_SUPPORT_CORE:
		return DEF_Y;
	case MF_SUPPORT_EXTENDED:
		return DEF_M;
	default:
		return DEF_NONE;
	}
}

/*
 * [menu] default= decides when the module's source said (<defaultenabled>);
 * otherwise its support level does.
 */
static void menu_default(struct kconfig *kc, size_t mi)
{
	const struct mf_ref_list *menu = &kc->g.mods[mi].m->menu;
	size_t i;

	for (i = 0; i < menu->count; i++) {
		if (strcmp(menu->items[i].type, "default") != 0)
			continue;
		kc->def[mi] = strcmp(menu->items[i].name, "yes") == 0 ||
				      strcmp(menu->items[i].name, "true") == 0 ||
				      strcmp(menu->items[i].name, "1") == 0
			? DEF_Y
			: DEF_NONE;
		kc->def_why[mi] = "its manifest's [menu] default";
	}
}

static int compute_defaults(struct kconfig *kc)
{
	const struct depgraph *g = &kc->g;
	size_t i;

	kc->def = mf_calloc(g->n ? g->n : 1, sizeof(*kc->def));
	kc->def_why = mf_calloc(g->n ? g->n : 1, sizeof(*kc->def_why));
	if (!kc->def || !kc->def_why)
		return -ENOMEM;
	for (i = 0; i < g->n; i++) {
		kc->def[i] = level_default(g->mods[i].m->support_level);
		kc->def_why[i] = "its support level";
		menu_default(kc, i);
	}
	return 0;
}

/* --- output ------------------------------------------------------------ */

/* A Kconfig string: backslash and double quote escaped. */
static void put_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Word-wrapped help paragraph; @text is one line of words. */
static void put_help(FILE *fp, const char *text)
{
	const char *p = text;

	for (;;) {
		size_t rem, len, i;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		rem = strlen(p);
		len = rem;
		if (rem > HELP_WIDTH) {
			/* Break at the last space that fits; a longer word
			 * than a line gets a line of its own. */
			for (i = HELP_WIDTH; i > 0 && p[i] != ' '; i--)
				;
			if (i == 0)
				i = strcspn(p, " ");
			len = i;
		}
		i = len;
		while (i > 0 && p[i - 1] == ' ')
			i--;
		fprintf(fp, "\t  %.*s\n", (int)i, p);
		p += len;
	}
}

/* Help paragraphs are built as strings, then wrapped. */
struct text {
	char *s;
	int nomem;
};

__attribute__((format(printf, 2, 3))) static void text_add(struct text *t,
							    const char *fmt,
							    ...)
{
	size_t have = t->s ? strlen(t->s) : 0;
	char *joined;
	va_list ap;
	int n;

	if (t->nomem)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	joined = n < 0 ? NULL : mf_realloc(t->s, have + (size_t)n + 1);
	if (!joined) {
		t->nomem = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(joined + have, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->s = joined;
}

static size_t kept_count(const struct kconfig *kc, size_t mi, size_t k)
{
	size_t j, n = 0;

	for (j = 0; j < kc->g.mods[mi].needs[k].n_providers; j++)
		n += kc->keep[mi][k][j];
	return n;
}

static void put_depends(const struct kconfig *kc, FILE *fp, size_t mi)
{
	const struct dg_module *mod = &kc->g.mods[mi];
	const struct mf_manifest *m = mod->m;
	char sym[DG_SYMBOL_MAX + 16];
	size_t k, j, n;

	for (k = 0; k < m->requires.count; k++) {
		gen_have_symbol(m->requires.items[k].type,
				m->requires.items[k].name, sym, sizeof(sym));
		fprintf(fp, "\tdepends on %s\n", sym);
	}
	for (k = 0; k < m->menu.count; k++)
		if (kc->conflict[mi][k])
			fprintf(fp, "\tdepends on %s = n\n",
				kc->g.mods[dg_find(&kc->g, m->menu.items[k].name)]
					.symbol);

	for (k = 0; k < mod->n_needs; k++) {
		const struct dg_need *need = &mod->needs[k];
		bool first = true;

		n = kept_count(kc, mi, k);
		if (n == 0) {
			fputs("\tdepends on n\n", fp);
			continue;
		}
		fputs(n > 1 ? "\tdepends on (" : "\tdepends on ", fp);
		for (j = 0; j < need->n_providers; j++) {
			if (!kc->keep[mi][k][j])
				continue;
			fprintf(fp, "%s%s", first ? "" : " || ",
				kc->g.mods[need->providers[j]].symbol);
			first = false;
		}
		fputs(n > 1 ? ")\n" : "\n", fp);
	}
}

/* "service=timer (res_a or res_b)": what a need is and who meets it. */
static void need_text(const struct kconfig *kc, struct text *t, size_t mi,
		      size_t k)
{
	const struct depgraph *g = &kc->g;
	const struct dg_need *need = &g->mods[mi].needs[k];
	size_t j, n = kept_count(kc, mi, k), shown = 0, dropped = 0;

	text_add(t, "%s=%s", need->ref->type, need->ref->name);
	if (need->n_providers == 1 && n == 1 &&
	    strcmp(need->ref->type, "module") == 0)
		return; /* module=X is met by X, no news */
	if (n == 0)
		return; /* the "cannot be selected" paragraph says why */
	text_add(t, " (");
	for (j = 0; j < need->n_providers; j++) {
		if (!kc->keep[mi][k][j])
			continue;
		text_add(t, "%s%s", shown ? " or " : "",
			 g->mods[need->providers[j]].m->name);
		shown++;
	}
	for (j = 0; j < need->n_providers; j++) {
		if (kc->keep[mi][k][j])
			continue;
		text_add(t, "%s%s", dropped ? ", " : "; not ",
			 g->mods[need->providers[j]].m->name);
		dropped++;
	}
	if (dropped)
		text_add(t, ", which would close a dependency cycle");
	text_add(t, ")");
}

static int put_module(const struct kconfig *kc, FILE *fp, size_t mi)
{
	const struct depgraph *g = &kc->g;
	const struct dg_module *mod = &g->mods[mi];
	const struct mf_manifest *m = mod->m;
	struct text t = {0};
	size_t i, k;
	int r = 0;

	fprintf(fp, "config %s\n\ttristate ", mod->symbol);
	if (m->description && *m->description) {
		char *prompt;

		prompt = mf_strdup_printf("%s: %s", m->name, m->description);
		if (!prompt)
			return -ENOMEM;
		put_quoted(fp, prompt);
		mf_free(prompt);
	} else {
		put_quoted(fp, m->name);
	}
	fputc('\n', fp);
	put_depends(kc, fp, mi);
	if (kc->def[mi] == DEF_Y)
		fputs("\tdefault y\n", fp);
	else if (kc->def[mi] == DEF_M)
		fputs("\tdefault m\n", fp);
	fputs("\thelp\n", fp);
	put_help(fp, m->description && *m->description ? m->description
							   : m->name);

	/* Paragraph: support level and where the default comes from. */
	fputc('\n', fp);
	text_add(&t, "Support level: %s. Default: %s, from %s.",
		 mf_support_level_name(m->support_level),
		 kc->def[mi] == DEF_Y ? "y" : kc->def[mi] == DEF_M ? "m" : "n",
		 kc->def_why[mi]);
	if (t.nomem)
		goto nomem;
	put_help(fp, t.s);
	mf_free(t.s);
	t.s = NULL;

	if (m->provides.count) {
		text_add(&t, "Provides:");
		for (i = 0; i < m->provides.count; i++) {
			const struct mf_ref *p = &m->provides.items[i];

			text_add(&t, "%s %s=%s", i ? "," : "", p->type, p->name);
			if (p->priority)
				text_add(&t, " (priority %u)", p->priority);
		}
		text_add(&t, ".");
		if (t.nomem)
			goto nomem;
		put_help(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
	}
	if (mod->n_needs) {
		text_add(&t, "Uses:");
		for (k = 0; k < mod->n_needs; k++) {
			text_add(&t, "%s ", k ? ";" : "");
			need_text(kc, &t, mi, k);
		}
		text_add(&t, ".");
		if (t.nomem)
			goto nomem;
		put_help(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
	}
	if (m->requires.count) {
		text_add(&t, "Requires (the board declares it):");
		for (i = 0; i < m->requires.count; i++) {
			const struct mf_ref *q = &m->requires.items[i];
			char sym[DG_SYMBOL_MAX + 16];

			gen_have_symbol(q->type, q->name, sym, sizeof(sym));
			text_add(&t, "%s %s %s (CONFIG_%s)", i ? "," : "",
				 q->type, q->name, sym);
		}
		text_add(&t, ".");
		if (t.nomem)
			goto nomem;
		put_help(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
	}
	for (i = 0; i < m->menu.count; i++) {
		const struct mf_ref *q = &m->menu.items[i];

		if (strcmp(q->type, "conflict") == 0)
			text_add(&t, "Conflicts with %s%s.", q->name,
				 kc->conflict[mi][i] || dg_find(g, q->name) < 0
					 ? ""
					 : " (not enforced by this menu: it "
					   "would close a dependency cycle; "
					   "manifold-gen check reports it)");
		else if (strcmp(q->type, "replacement") == 0)
			text_add(&t, "Replaced by %s.", q->name);
		else if (strcmp(q->type, "deprecated_in") == 0)
			text_add(&t, "Deprecated in %s.", q->name);
		else if (strcmp(q->type, "removed_in") == 0)
			text_add(&t, "Removed in %s.", q->name);
		else
			continue;
		if (t.nomem)
			goto nomem;
		put_help(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
	}
	/* Why `depends on n`: the menu shows nothing else. */
	for (k = 0; k < mod->n_needs; k++) {
		const struct dg_need *need = &mod->needs[k];

		if (kept_count(kc, mi, k))
			continue;
		if (need->n_providers == 0)
			text_add(&t, "Cannot be selected: no module provides "
				     "%s=%s.",
				 need->ref->type, need->ref->name);
		else
			text_add(&t, "Cannot be selected: every provider of "
				     "%s=%s depends back on %s (a dependency "
				     "cycle).",
				 need->ref->type, need->ref->name, m->name);
		if (t.nomem)
			goto nomem;
		fputc('\n', fp);
		put_help(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
	}
	fputc('\n', fp);
	return r;

nomem:
	mf_free(t.s);
	return -ENOMEM;
}

/* One requirement of the set: its symbol, and one module that has it. */
struct requirement {
	char symbol[DG_SYMBOL_MAX + 16];
	const struct mf_ref *ref;
};

static int requirement_cmp(const void *a, const void *b)
{
	const struct requirement *x = a, *y = b;
	int c = strcmp(x->symbol, y->symbol);

	return c ? c : strcmp(x->ref->name, y->ref->name);
}

/*
 * "Libraries the board provides": one bool HAVE_<NAME> per [requires]
 * line of the set, off unless the board's defconfig sets it.
 */
static int put_libraries(const struct kconfig *kc, FILE *fp)
{
	const struct depgraph *g = &kc->g;
	struct requirement *v;
	size_t n = 0, i, k, j;
	struct text t = {0};

	for (i = 0; i < g->n; i++)
		n += g->mods[i].m->requires.count;
	if (n == 0)
		return 0;
	v = mf_malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->mods[i].m->requires.count; k++) {
			const struct mf_ref *q = &g->mods[i].m->requires.items[k];

			gen_have_symbol(q->type, q->name, v[n].symbol,
					sizeof(v[n].symbol));
			v[n++].ref = q;
		}
	qsort(v, n, sizeof(*v), requirement_cmp);
	fputs("\nmenu \"Libraries the board provides\"\n\n", fp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[j].symbol, v[i].symbol) == 0;)
			j++;
		fprintf(fp, "config %s\n\tbool ", v[i].symbol);
		text_add(&t, "%s %s", v[i].ref->type, v[i].ref->name);
		if (t.nomem)
			break;
		put_quoted(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
		fputs("\n\thelp\n", fp);
		text_add(&t, "The board provides the %s %s", v[i].ref->type,
			 v[i].ref->name);
		for (k = i + 1; k < j; k++)
			if (strcmp(v[k].ref->name, v[k - 1].ref->name) != 0)
				text_add(&t, " (also named %s)", v[k].ref->name);
		text_add(&t, ". Modules that require it can be selected only "
			      "when this is y; a board that has it says so in "
			      "its defconfig: CONFIG_%s=y.",
			 v[i].symbol);
		if (t.nomem)
			break;
		put_help(fp, t.s);
		mf_free(t.s);
		t.s = NULL;
		fputc('\n', fp);
	}
	fputs("endmenu\n", fp);
	mf_free(v);
	if (t.nomem) {
		mf_free(t.s);
		return -ENOMEM;
	}
	return 0;
}

struct menu_entry {
	const char *title;
	size_t module;
};

static int menu_entry_cmp(const void *a, const void *b)
{
	const struct menu_entry *x = a, *y = b;
	int c = strcmp(x->title, y->title);

	if (c)
		return c;
	return x->module < y->module ? -1 : x->module > y->module;
}

static int write_menu(FILE *fp, void *data)
{
	const struct kconfig *kc = data;
	const struct depgraph *g = &kc->g;
	struct menu_entry *entries;
	size_t i;
	int r = 0;

	entries = mf_malloc((g->n ? g->n : 1) * sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	for (i = 0; i < g->n; i++)
		entries[i] = (struct menu_entry){
			.title = menu_title(g->mods[i].m->name), .module = i};
	if (g->n)
		qsort(entries, g->n, sizeof(*entries), menu_entry_cmp);

	fputs("#\n"
	      "# Automatically generated by manifold-gen kconfig; DO NOT EDIT.\n"
	      "# Inputs:\n",
	      fp);
	for (i = 0; i < kc->set->count; i++)
		fprintf(fp, "#   %s\n", kc->set->items[i]->path);
	fputs("#\n"
	      "# One tristate per module: y builds it into the image, m builds "
	      "it\n"
	      "# loadable (only with MODULES=y), n leaves it out.  The "
	      "top-level\n"
	      "# Kconfig declares MODULES (with `option modules`) and sources "
	      "this.\n"
	      "#\n",
	      fp);
	r = put_libraries(kc, fp);
	for (i = 0; i < g->n && r == 0; i++) {
		const struct menu_entry *e = &entries[i];

		if (i == 0 || strcmp(entries[i - 1].title, e->title) != 0)
			fprintf(fp, "\nmenu \"%s\"\n\n", e->title);
		r = put_module(kc, fp, e->module);
		if (i + 1 == g->n || strcmp(entries[i + 1].title, e->title) != 0)
			fprintf(fp, "endmenu\n");
	}
	mf_free(entries);
	if (r == 0 && ferror(fp))
		r = -EIO;
	return r;
}

static void usage(FILE *fp)
{
	fputs("usage: manifold-gen kconfig -o OUT MANIFEST...\n"
	      "\n"
	      "Write the modules' Kconfig menu: one tristate MODULE_<NAME> per\n"
	      "module, its defaults from the manifest ([menu] default=, else\n"
	      "the support level), its [uses] as `depends on` its providers,\n"
	      "its [requires] as `depends on HAVE_<NAME>` (declared in a\n"
	      "generated \"Libraries\" menu, set by the board's defconfig) and\n"
	      "its [menu] conflicts as `depends on MODULE_<X> = n`.\n"
	      "\n"
	      "  -o, --output OUT  the menu to write\n"
	      "  -h, --help        this text\n",
	      fp);
}

/* The set must name each module once: two `config` of one symbol would
 * merge silently in Kconfig. */
static int check_unique(const struct gen_manifest_set *set)
{
	size_t i;
	int r = 0;

	for (i = 1; i < set->count; i++) {
		if (strcmp(set->items[i - 1]->name, set->items[i]->name) != 0)
			continue;
		fprintf(stderr, "%s: duplicate module name %s (also in %s)\n",
			set->items[i]->path, set->items[i]->name,
			set->items[i - 1]->path);
		r = -EINVAL;
	}
	return r;
}

int gen_kconfig_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gen_manifest_set set = {0};
	struct kconfig kc = {.set = &set};
	const char *out = NULL;
	int c, i, r, status = 1;

	optind = 0; /* a fresh scan for every call (tests call us repeatedly) */
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
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
	if (!out || i >= argc) {
		fprintf(stderr, "manifold-gen kconfig: %s\n",
			!out ? "-o OUT is required" : "no MANIFEST given");
		usage(stderr);
		return 2;
	}

	r = gen_set_load(&set, argc - i, argv + i);
	if (r < 0)
		goto err_set; /* the reasons are printed */
	r = check_unique(&set);
	if (r < 0)
		goto err_set;
	r = dg_build(&kc.g, set.items, set.count);
	if (r < 0) {
		fprintf(stderr, "manifold-gen kconfig: %s\n", strerror(-r));
		goto err_set;
	}
	r = keep_alloc(&kc);
	if (r < 0)
		goto err_graph;
	r = prune_cycles(&kc);
	if (r < 0)
		goto err_graph;
	r = compute_defaults(&kc);
	if (r < 0)
		goto err_graph;
	r = add_conflicts(&kc);
	if (r < 0)
		goto err_graph;
	r = gen_write_file(out, write_menu, &kc);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", out, strerror(-r));
		goto err_graph;
	}
	status = 0;

err_graph:
	if (r == -ENOMEM)
		fprintf(stderr, "manifold-gen kconfig: %s\n", strerror(-r));
	mf_free(kc.def);
	mf_free(kc.def_why);
	conflict_free(&kc);
	keep_free(&kc);
	dg_free(&kc.g);
err_set:
	gen_set_free(&set);
	return status;
}
