/* SPDX-License-Identifier: MIT */
/*
 * gen/moduleinfo.h: what a module source says about itself, read from its
 * MODULEINFO and DOCUMENTATION comment blocks into a struct gen_moduleinfo.
 *
 * The blocks are found by scanning the source as C (string literals and
 * other comments skipped, so a block quoted in a string is not one), read
 * into elements by gen/xmlish.c, then interpreted here: which elements and
 * attributes each block allows, how often, and what each means for the
 * manifest (a <depend> on a module of the tree is a [uses] line, on
 * anything else a build matter left out; a documented <function> is a
 * [provides] line).  Interpretation is strict on purpose: an element this
 * file does not know is an error, not something skipped, so a misspelt
 * <depend> cannot quietly drop a dependency.  Every mistake is
 * "SOURCE:LINE: reason" with the line in the .c file.
 *
 * Pieces, in file order: finding the blocks; MODULEINFO; DOCUMENTATION;
 * gen_moduleinfo_parse() and gen_moduleinfo_free().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "format/ini.h" /* the manifest's own name rules */
#include "moduleinfo.h"
#include "moduleinfo_blocks.h"
#include "regmacro.h"
#include "xmlish.h"

/* ---- MODULEINFO -------------------------------------------------------- */

enum mi_attr { MA_TYPE = 1, MA_PRIORITY = 2 };

enum mi_kind {
	MI_DEPEND,
	MI_USE,
	MI_CANUSE,
	MI_PROVIDES,
	MI_SUPPORT_LEVEL,
	MI_LOAD_PRIORITY,
	MI_EXPORT_GLOBALS,
	MI_DESCRIPTION,
	MI_CONFIG,
	MI_DEFAULTENABLED,
	MI_CONFLICT,
	MI_REPLACEMENT,
	MI_DEPRECATED_IN,
	MI_REMOVED_IN,
	MI_COUNT,
};

static const struct {
	const char *name;
	unsigned attrs;	 /* enum mi_attr bits allowed */
	bool repeatable; /* else a second one is an error */
} mi_elems[MI_COUNT] = {
	[MI_DEPEND] = {"depend", MA_TYPE, true},
	[MI_USE] = {"use", MA_TYPE, true},
	[MI_CANUSE] = {"canuse", MA_TYPE, true},
	[MI_PROVIDES] = {"provides", MA_TYPE | MA_PRIORITY, true},
	[MI_SUPPORT_LEVEL] = {"support_level", 0, false},
	[MI_LOAD_PRIORITY] = {"load_priority", 0, false},
	[MI_EXPORT_GLOBALS] = {"export_globals", 0, false},
	[MI_DESCRIPTION] = {"description", 0, false},
	[MI_CONFIG] = {"config", 0, true},
	[MI_DEFAULTENABLED] = {"defaultenabled", 0, false},
	[MI_CONFLICT] = {"conflict", 0, true},
	[MI_REPLACEMENT] = {"replacement", 0, false},
	[MI_DEPRECATED_IN] = {"deprecated_in", 0, false},
	[MI_REMOVED_IN] = {"removed_in", 0, false},
};

struct mi_ctx {
	const struct xdiag *d;
	struct gen_moduleinfo *out;
	const struct gen_extract_opts *opts;
	unsigned seen[MI_COUNT]; /* line of the first one, 0 if none */
};

/* A value goes on one manifest line: no control characters at all. */
static int check_value(const struct xdiag *d, unsigned line, const char *what,
		       const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f)
			return xdiag_fail(d, line,
					  "control character 0x%02x in %s",
					  (unsigned char)*v, what);
	return 0;
}

/*
 * The element's text, trimmed; runs of whitespace inside become one space
 * when @fold (a description wrapped over lines).  Checked for control
 * characters.  Empty is an error unless @may_be_empty.
 */
static int elem_text(const struct mi_ctx *c, const struct xelem *e, bool fold,
		     bool may_be_empty, char **out)
{
	const char *s = e->text.s ? e->text.s : "";
	struct xbuf b = {0};
	char what[64];
	int r;

	while (xml_is_space(*s))
		s++;
	for (; *s; s++) {
		if (fold && xml_is_space(*s)) {
			while (xml_is_space(s[1]))
				s++;
			if (s[1] == '\0')
				break;
			r = xbuf_addc(&b, ' ');
		} else {
			r = xbuf_addc(&b, *s);
		}
		if (r < 0)
			goto nomem;
	}
	while (b.len > 0 && xml_is_space(b.s[b.len - 1]))
		b.s[--b.len] = '\0';
	if (b.len == 0 && !may_be_empty) {
		xbuf_free(&b);
		return xdiag_fail(c->d, e->tag.line, "empty <%s>", e->tag.name);
	}
	snprintf(what, sizeof(what), "<%s>", e->tag.name);
	r = check_value(c->d, e->tag.line, what, b.s ? b.s : "");
	if (r < 0) {
		xbuf_free(&b);
		return r;
	}
	*out = xbuf_steal(&b);
	if (!*out)
		goto nomem;
	return 0;

nomem:
	xbuf_free(&b);
	return xdiag_nomem(c->d, e->tag.line);
}

static bool in_tree(const struct mi_ctx *c, const char *name)
{
	return gen_names_has(&c->opts->modules, name);
}

static bool asterisk(const struct mi_ctx *c)
{
	return c->opts->dialect == GEN_DIALECT_ASTERISK;
}

/*
 * Add type=name to a list.  The same entry twice is merged (a function
 * documented in two languages, or named in MODULEINFO and DOCUMENTATION);
 * the same entry with two priorities is an error.
 */
static int refs_add(const struct xdiag *d, struct mf_ref_list *list,
		    const char *type, const char *name, unsigned priority,
		    unsigned line)
{
	struct mf_ref *items, *ref;
	size_t i;

	for (i = 0; i < list->count; i++) {
		ref = &list->items[i];
		if (strcmp(ref->type, type) != 0 || strcmp(ref->name, name) != 0)
			continue;
		if (ref->priority == priority)
			return 0;
		return xdiag_fail(d, line,
				  "%s=%s with priority %u here and %u at "
				  "line %u",
				  type, name, priority, ref->priority, ref->line);
	}
	items = mf_realloc(list->items, (list->count + 1) * sizeof(*items));
	if (!items)
		return xdiag_nomem(d, line);
	list->items = items;
	ref = &list->items[list->count];
	ref->type = mf_strdup(type);
	ref->name = mf_strdup(name);
	ref->priority = priority;
	ref->line = line;
	if (!ref->type || !ref->name) {
		mf_free(ref->type);
		mf_free(ref->name);
		return xdiag_nomem(d, line);
	}
	list->count++;
	return 0;
}

static int strv_add(const struct xdiag *d, unsigned line, char ***v, size_t *n,
		    char *s)
{
	char **nv = mf_realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		mf_free(s);
		return xdiag_nomem(d, line);
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

static int parse_yes_no(const struct mi_ctx *c, const struct xelem *e,
			const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return xdiag_fail(c->d, e->tag.line,
				  "<%s> must be yes or no, not '%s'",
				  e->tag.name, v);
	return 0;
}

/* Decimal 0..MF_PRIORITY_MAX, nothing else. */
static int parse_priority(const struct mi_ctx *c, unsigned line,
			  const char *s, unsigned *out)
{
	unsigned long v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && v <= MF_PRIORITY_MAX; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p || v > MF_PRIORITY_MAX)
		return xdiag_fail(c->d, line, "bad priority '%s' (want 0..%d)",
				  s, MF_PRIORITY_MAX);
	*out = (unsigned)v;
	return 0;
}

/* <depend>, <use>, <canuse>, <provides>: text is the name. */
static int mi_ref(struct mi_ctx *c, enum mi_kind k, const struct xelem *e,
		  char *name)
{
	struct mf_manifest *m = &c->out->manifest;
	const char *type = xtag_attr(&e->tag, "type");
	const char *prio = xtag_attr(&e->tag, "priority");
	unsigned line = e->tag.line, priority = 0;
	int r;

	if (type) {
		r = check_value(c->d, line, "type", type);
		if (r < 0)
			return r;
		if (*type == '\0')
			return xdiag_fail(c->d, line, "empty type in <%s>",
					  e->tag.name);
	}
	switch (k) {
	case MI_DEPEND:
		if (type && strcmp(type, "module") != 0)
			return xdiag_fail(c->d, line,
					  "<depend> type must be \"module\", "
					  "not \"%s\"",
					  type);
		if (type || in_tree(c, name))
			return refs_add(c->d, &m->uses, "module", name, 0, line);
		/* No module of the set: a slip, or a library the build offers. */
		{
			const char *near = gen_names_near(&c->opts->modules, name);

			if (near)
				return xdiag_fail(c->d, line,
						  "<depend> '%s' is no module of "
						  "the tree: did you mean '%s'?",
						  name, near);
		}
		return refs_add(c->d, &m->requires, "library", name, 0, line);
	case MI_USE:
		if (!type && !asterisk(c))
			return xdiag_fail(c->d, line,
					  "<use> needs a type attribute");
		/* An optional library: kept where a reader sees it, as a
		 * [canuse] no module provides (the loader skips it). */
		if (type && strcmp(type, "external") == 0)
			return refs_add(c->d, &m->canuse, "library", name, 0,
					line);
		if (asterisk(c) && (!type || strcmp(type, "module") == 0))
			return refs_add(c->d, &m->canuse, "module", name, 0,
					line);
		return refs_add(c->d, &m->uses, type, name, 0, line);
	case MI_CANUSE:
		return refs_add(c->d, &m->canuse, type ? type : "module", name,
				0, line);
	case MI_PROVIDES:
		if (!type)
			return xdiag_fail(c->d, line,
					  "<provides> needs a type attribute");
		if (prio) {
			r = parse_priority(c, line, prio, &priority);
			if (r < 0)
				return r;
		}
		return refs_add(c->d, &m->provides, type, name, priority, line);
	default:
		return 0;
	}
}

static int mi_elem(struct mi_ctx *c, enum mi_kind k, const struct xelem *e)
{
	struct gen_moduleinfo *out = c->out;
	struct mf_manifest *m = &out->manifest;
	unsigned line = e->tag.line;
	bool yes = true;
	char *v = NULL;
	int r;

	r = elem_text(c, e, k == MI_DESCRIPTION, k == MI_EXPORT_GLOBALS, &v);
	if (r < 0)
		return r;

	switch (k) {
	case MI_DEPEND:
	case MI_USE:
	case MI_CANUSE:
	case MI_PROVIDES:
		r = mi_ref(c, k, e, v);
		break;
	case MI_SUPPORT_LEVEL:
		if (asterisk(c))
			for (char *q = v; *q; q++)
				if (*q >= 'A' && *q <= 'Z')
					*q = (char)(*q - 'A' + 'a');
		if (mf_support_level_parse(v, &m->support_level) < 0)
			r = xdiag_fail(c->d, line,
				       "bad <support_level> '%s' (want core, "
				       "extended, deprecated or external)",
				       v);
		out->lines.support_level = line;
		break;
	case MI_LOAD_PRIORITY:
		if (mf_load_priority_parse(v, &m->load_priority) < 0)
			r = xdiag_fail(c->d, line,
				       "bad <load_priority> '%s' (want a level "
				       "name or 0..255)",
				       v);
		out->lines.load_priority = line;
		break;
	case MI_EXPORT_GLOBALS:
		if (*v)
			r = parse_yes_no(c, e, v, &yes);
		m->export_globals = yes;
		out->lines.export_globals = line;
		break;
	case MI_DESCRIPTION:
		m->description = v;
		out->lines.description = line;
		return 0;
	case MI_CONFIG: {
		unsigned *lines = mf_realloc(out->lines.configs,
					  (m->n_configs + 1) * sizeof(*lines));

		if (!lines) {
			r = xdiag_nomem(c->d, line);
			break;
		}
		out->lines.configs = lines;
		lines[m->n_configs] = line;
		return strv_add(c->d, line, &m->configs, &m->n_configs, v);
	}
	case MI_DEFAULTENABLED:
		r = parse_yes_no(c, e, v, &yes);
		out->defaultenabled = yes;
		if (r == 0)
			r = refs_add(c->d, &m->menu, "default", yes ? "yes" : "no",
				     0, line);
		break;
	case MI_CONFLICT:
		if (!mf_ini_name_is_module(v)) {
			r = xdiag_fail(c->d, line,
				       "bad module name '%s' in <conflict>", v);
			break;
		}
		r = refs_add(c->d, &m->menu, "conflict", v, 0, line);
		if (r < 0)
			break;
		return strv_add(c->d, line, &out->conflicts, &out->n_conflicts,
				v);
	case MI_REPLACEMENT:
		if (!mf_ini_name_is_module(v)) {
			r = xdiag_fail(c->d, line,
				       "bad module name '%s' in <replacement>",
				       v);
			break;
		}
		r = refs_add(c->d, &m->menu, "replacement", v, 0, line);
		if (r < 0)
			break;
		out->replacement = v;
		return 0;
	case MI_DEPRECATED_IN:
	case MI_REMOVED_IN:
		/* A version: "21", "13.2.0"; one word. */
		if (strpbrk(v, " \t=:")) {
			r = xdiag_fail(c->d, line, "bad version '%s' in <%s>", v,
				       e->tag.name);
			break;
		}
		r = refs_add(c->d, &m->menu, e->tag.name, v, 0, line);
		if (r < 0)
			break;
		if (k == MI_DEPRECATED_IN)
			out->deprecated_in = v;
		else
			out->removed_in = v;
		return 0;
	case MI_COUNT:
		break;
	}
	mf_free(v);
	return r;
}

static int moduleinfo_read(struct mi_ctx *c, const struct xblock *b)
{
	size_t i, j;
	int r;

	for (i = 0; i < b->count; i++) {
		const struct xelem *e = &b->items[i];
		enum mi_kind k;

		for (k = 0; k < MI_COUNT; k++)
			if (strcmp(e->tag.name, mi_elems[k].name) == 0)
				break;
		if (k == MI_COUNT)
			return xdiag_fail(c->d, e->tag.line,
					  "unknown element <%s> in MODULEINFO",
					  e->tag.name);
		if (c->seen[k] && !mi_elems[k].repeatable)
			return xdiag_fail(c->d, e->tag.line,
					  "second <%s> (first at line %u)",
					  e->tag.name, c->seen[k]);
		if (!c->seen[k])
			c->seen[k] = e->tag.line;
		if (e->child)
			return xdiag_fail(c->d, e->child_line,
					  "unexpected <%s> inside <%s>",
					  e->child, e->tag.name);
		for (j = 0; j < e->tag.n_attrs; j++) {
			const char *a = e->tag.attrs[j].name;
			unsigned bit = strcmp(a, "type") == 0	   ? MA_TYPE :
				       strcmp(a, "priority") == 0 ? MA_PRIORITY :
								    0;

			if (!(bit & mi_elems[k].attrs))
				return xdiag_fail(
					c->d, e->tag.line,
					"unknown attribute '%s' on <%s>", a,
					e->tag.name);
		}
		r = mi_elem(c, k, e);
		if (r < 0)
			return r;
	}
	if (!c->seen[MI_SUPPORT_LEVEL])
		return xdiag_fail(c->d, c->out->lines.block,
				  "MODULEINFO has no <support_level>");
	return 0;
}

/* ---- DOCUMENTATION ----------------------------------------------------- */

/*
 * Top-level documentation elements that name something the module
 * registers, and the [provides] type each gives.  The others (configInfo,
 * info, managerEvent, ...) only document and give nothing.
 */
static const struct {
	const char *element;
	const char *type;
} doc_provides[] = {
	{"application", "application"},
	{"function", "function"},
	{"manager", "manager"},
	{"agi", "agi"},
};

static int documentation_read(struct mi_ctx *c, const struct xblock *b)
{
	size_t i, j;
	int r;

	for (i = 0; i < b->count; i++) {
		const struct xelem *e = &b->items[i];
		const char *name = xtag_attr(&e->tag, "name");

		if (!name)
			continue;
		for (j = 0; j < sizeof(doc_provides) / sizeof(doc_provides[0]);
		     j++) {
			if (strcmp(e->tag.name, doc_provides[j].element) != 0)
				continue;
			if (*name == '\0')
				return xdiag_fail(c->d, e->tag.line,
						  "empty name in <%s>",
						  e->tag.name);
			r = check_value(c->d, e->tag.line, "name", name);
			if (r < 0)
				return r;
			r = refs_add(c->d, &c->out->manifest.provides,
				     doc_provides[j].type, name, 0,
				     e->tag.line);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- gen_moduleinfo_parse() -------------------------------------------- */

static void ref_list_release(struct mf_ref_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		mf_free(l->items[i].type);
		mf_free(l->items[i].name);
	}
	mf_free(l->items);
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mf_free(v[i]);
	mf_free(v);
}

void gen_moduleinfo_free(struct gen_moduleinfo *info)
{
	struct mf_manifest *m = &info->manifest;

	mf_free(m->path);
	mf_free(m->name);
	mf_free(m->checksum);
	mf_free(m->description);
	strv_free(m->configs, m->n_configs);
	ref_list_release(&m->uses);
	ref_list_release(&m->canuse);
	ref_list_release(&m->provides);
	ref_list_release(&m->requires);
	ref_list_release(&m->menu);
	mf_free(info->lines.configs);
	strv_free(info->conflicts, info->n_conflicts);
	mf_free(info->replacement);
	mf_free(info->deprecated_in);
	mf_free(info->removed_in);
	memset(m, 0, sizeof(*m));
	memset(&info->lines, 0, sizeof(info->lines));
	info->conflicts = NULL;
	info->n_conflicts = 0;
	info->replacement = info->deprecated_in = info->removed_in = NULL;
}

/*
 * The asterisk dialect: what MODULEINFO leaves unsaid comes from the
 * registration macro; a deprecated module stays in unless it says no.
 */
static int asterisk_extras(struct mi_ctx *c, const char *src, size_t len)
{
	struct gen_moduleinfo *out = c->out;
	struct mf_manifest *m = &out->manifest;
	struct gen_regmacro rm;
	char err[MF_ERR_MAX];
	int r;

	if (m->support_level == MF_SUPPORT_DEPRECATED &&
	    out->defaultenabled < 0) {
		r = refs_add(c->d, &m->menu, "default", "yes", 0,
			     out->lines.support_level);
		if (r < 0)
			return r;
	}
	if (m->description && out->lines.load_priority &&
	    out->lines.export_globals)
		return 0;
	r = gen_regmacro_read(src, len, &rm, err, sizeof(err));
	if (r == -ENOMEM)
		return xdiag_nomem(c->d, out->lines.block);
	if (r < 0)
		return xdiag_fail(c->d, rm.line, "%s", err);
	out->lines.macro = rm.line;
	if (!m->description && rm.description) {
		r = check_value(c->d, rm.line, "the macro's description",
				rm.description);
		if (r < 0) {
			gen_regmacro_free(&rm);
			return r;
		}
		m->description = rm.description;
		rm.description = NULL;
		out->lines.description = rm.line;
	}
	if (!out->lines.load_priority && rm.has_priority) {
		m->load_priority = rm.load_priority;
		out->lines.load_priority = rm.line;
	}
	if (!out->lines.export_globals && rm.export_globals) {
		m->export_globals = true;
		out->lines.export_globals = rm.line;
	}
	gen_regmacro_free(&rm);
	return 0;
}

/* [menu] in one order whatever the source's: default, conflicts, ... */
static void menu_sort(struct mf_ref_list *menu)
{
	static const char *const order[] = {"default", "conflict", "replacement",
					    "deprecated_in", "removed_in"};
	struct mf_ref tmp;
	size_t i, j, at = 0, k;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = at; i < menu->count; i++) {
			if (strcmp(menu->items[i].type, order[k]) != 0)
				continue;
			tmp = menu->items[i];
			for (j = i; j > at; j--)
				menu->items[j] = menu->items[j - 1];
			menu->items[at++] = tmp;
		}
}

int gen_moduleinfo_parse(const char *path, const char *src, size_t len,
			 const char *const *tree_modules, size_t n_tree,
			 struct gen_moduleinfo *out)
{
	struct gen_extract_opts opts = {
		.modules = {tree_modules, n_tree, false},
		.dialect = GEN_DIALECT_SEED,
	};

	return gen_moduleinfo_parse_opts(path, src, len, &opts, out);
}

int gen_moduleinfo_parse_opts(const char *path, const char *src, size_t len,
			      const struct gen_extract_opts *opts,
			      struct gen_moduleinfo *out)
{
	struct xdiag d = {path, out->err, sizeof(out->err)};
	struct mi_ctx c = {&d, out, opts, {0}};
	struct block info, doc;
	struct xblock xb;
	int r;

	memset(out, 0, sizeof(*out));
	out->defaultenabled = -1;
	out->manifest.support_level = MF_SUPPORT_CORE;
	out->manifest.load_priority = MF_PRIO_DEFAULT;
	out->manifest.path = mf_strdup(path);
	if (!out->manifest.path) {
		r = xdiag_nomem(&d, 1);
		goto err;
	}
	r = gen_find_blocks(&d, src, len, &info, &doc);
	if (r < 0)
		goto err;
	out->lines.block = info.start;

	r = xblock_read(&d, info.text, info.len, info.line, &xb);
	if (r < 0)
		goto err;
	r = moduleinfo_read(&c, &xb);
	xblock_free(&xb);
	if (r < 0)
		goto err;

	if (doc.text) {
		r = xblock_read(&d, doc.text, doc.len, doc.line, &xb);
		if (r < 0)
			goto err;
		r = documentation_read(&c, &xb);
		xblock_free(&xb);
		if (r < 0)
			goto err;
	}
	if (asterisk(&c)) {
		r = asterisk_extras(&c, src, len);
		if (r < 0)
			goto err;
	}
	menu_sort(&out->manifest.menu);
	return 0;

err:
	gen_moduleinfo_free(out);
	return r;
}

