/* SPDX-License-Identifier: MIT */
/*
 * The console's explanations of one module or of all: `module users` (who
 * holds it), `module deps` (what it uses, from whom), `module why` (why it
 * runs, or every reason it does not) and `module graph` (Graphviz dot).
 * All run under the context lock (CMD_LOCKED): what they say is one state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "frontend/console_cmd.h"

/* How far `module why` follows users upward before it stops. */
#define WHY_MAX_DEPTH 16

/* The module a command names as its one argument, or a usage error. */
static int one_module(struct cmd_ctx *c, struct mf_module **mod)
{
	int err;

	if (c->argc == 0)
		return console_bad(c, "no module named");
	if (c->argc > 1)
		return console_bad(c, "one module at a time ('%s' is one too many)", c->argv[1]);
	err = mf_module_find(c->ctx, c->argv[0], mod);
	if (err < 0) {
		/* Asking again would try the index again: say it as it was. */
		const char *why = err == -ENOMEM ? "out of memory" :
						   console_name_problem(c, c->argv[0]);

		console_bad(c, "%s: %s", c->argv[0], why ? why : "no such module");
		return err == -ENOENT || err == -ENOMEM ? err : -EINVAL;
	}
	return 0;
}

static void list_user(void *data, const char *kind, const char *who,
		      const char *detail)
{
	console_table_row(data, (const char *const[]){ kind, who, detail });
}

/* A table at least as wide as these lines always were, wider for long names. */
static int print_table(struct cmd_ctx *c, const char *title, struct console_table *t)
{
	struct mf_strbuf b = MF_STRBUF_INIT;
	int err;

	mf_strbuf_puts(&b, title);
	console_table_render(t, c->width, 0, SIZE_MAX, &b);
	err = console_flush(c, &b);
	mf_strbuf_release(&b);
	console_table_fini(t);
	return err;
}

int cmd_module_users(struct cmd_ctx *c)
{
	struct mf_module_info info;
	struct console_table t;
	struct mf_module *mod;
	char title[256];
	int err;

	err = one_module(c, &mod);
	if (err < 0)
		return err;
	mf_module_info(mod, &info);
	snprintf(title, sizeof(title), "%s (%s): %u user%s\n", info.name,
		 mf_state_name(info.state), info.users, info.users == 1 ? "" : "s");
	console_table_init(&t, 3, "  ", 2, 0);
	t.widths[0] = 8;
	t.widths[1] = 24;
	mf_module_users(mod, list_user, &t);
	return print_table(c, title, &t);
}

static void list_dep(void *data, const struct mf_table_ref *use,
		     const char *provider, unsigned priority)
{
	char what[160], from[160];

	snprintf(what, sizeof(what), "%s=%s", use->type, use->name);
	if (provider)
		snprintf(from, sizeof(from), "%s (priority %u)", provider, priority);
	else
		snprintf(from, sizeof(from), "(not running)");
	console_table_row(data, (const char *const[]){ what, "->", from });
}

int cmd_module_deps(struct cmd_ctx *c)
{
	const struct mf_table_ref *refs;
	struct console_table t;
	struct mf_module *mod;
	char title[160];
	size_t n;
	int err;

	err = one_module(c, &mod);
	if (err < 0)
		return err;
	snprintf(title, sizeof(title), "%s uses:\n", mf_module_name(mod));
	console_table_init(&t, 3, "  ", -1, 0);
	t.widths[0] = 32;
	mf_module_deps(mod, list_dep, &t);
	err = print_table(c, title, &t);
	n = mf_module_refs(mod, "canuse", &refs);
	for (size_t i = 0; i < n && err == 0; i++)
		console_say(c, "  canuse %s=%s\n", refs[i].type, refs[i].name);
	return err;
}

/* ---- module why --------------------------------------------------------- */

struct holder {
	char *kind, *who, *detail;
};

struct holders {
	struct holder *items;
	size_t n, cap;
	bool oom;
};

static void collect_holder(void *data, const char *kind, const char *who,
			   const char *detail)
{
	struct holders *h = data;
	struct holder *it;

	if (h->oom)
		return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		void *p = mf_realloc(h->items, cap * sizeof(*h->items));

		if (!p) {
			h->oom = true;
			return;
		}
		h->items = p;
		h->cap = cap;
	}
	it = &h->items[h->n];
	it->kind = mf_strdup(kind);
	it->who = mf_strdup(who);
	it->detail = mf_strdup(detail);
	if (!it->kind || !it->who || !it->detail) {
		mf_free(it->kind);
		mf_free(it->who);
		mf_free(it->detail);
		h->oom = true;
		return;
	}
	h->n++;
}

static void holders_free(struct holders *h)
{
	for (size_t i = 0; i < h->n; i++) {
		mf_free(h->items[i].kind);
		mf_free(h->items[i].who);
		mf_free(h->items[i].detail);
	}
	mf_free(h->items);
}

/* Modules whose holders were shown already: each is explained once. */
struct seen {
	const struct mf_module **items;
	size_t n, cap;
};

static bool seen_add(struct seen *s, const struct mf_module *mod)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i] == mod)
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = mf_realloc(s->items, cap * sizeof(*s->items));

		if (!p)
			return false;
		s->items = p;
		s->cap = cap;
	}
	s->items[s->n++] = mod;
	return true;
}

/*
 * Print who holds @mod, and for each module among them, who holds that one,
 * up to whatever holds the chain: the administrator (with the config line or
 * console command), an object, or references.  The users of a module form
 * no cycle while it runs, but a module reached twice is explained once.
 */
static int why_holders(struct cmd_ctx *c, struct mf_module *mod, unsigned depth,
		       struct seen *seen)
{
	struct holders h = { 0 };
	char pre[2 * WHY_MAX_DEPTH + 80];
	int err = 0;

	snprintf(pre, sizeof(pre), "%*s%s%s", (int)(2 * depth + 2), "",
		 depth ? mf_module_name(mod) : "", depth ? ": " : "");
	if (!seen_add(seen, mod)) {
		console_say(c, "%s(see above)\n", pre);
		return 0;
	}
	if (depth >= WHY_MAX_DEPTH) {
		console_say(c, "%s... (chain longer than %d modules)\n", pre, WHY_MAX_DEPTH);
		return 0;
	}
	mf_module_users(mod, collect_holder, &h);
	if (h.oom) {
		err = -ENOMEM;
		goto out;
	}
	if (h.n == 0)
		console_say(c, "%snothing holds it any more\n", pre);
	for (size_t i = 0; i < h.n && err == 0; i++) {
		const struct holder *u = &h.items[i];
		struct mf_module *user;

		if (strcmp(u->kind, "admin") == 0) {
			console_say(c, "%sheld by the administrator (%s)\n", pre, u->detail);
		} else if (strcmp(u->kind, "object") == 0) {
			console_say(c, "%sused by object %s%s%s\n", pre, u->who,
			    u->detail[0] ? ", " : "", u->detail);
		} else if (strcmp(u->kind, "module") == 0) {
			console_say(c, "%sused by %s (%s)\n", pre, u->who, u->detail);
			if (mf_module_find(c->ctx, u->who, &user) == 0)
				err = why_holders(c, user, depth + 1, seen);
		} else {
			console_say(c, "%sheld by %s (%s)\n", pre, u->who, u->detail);
		}
	}
out:
	holders_free(&h);
	return err;
}

struct election {
	struct cmd_ctx *c;
	struct mf_module *loser;
	const char *user;
	unsigned found;
};

static void election_dep(void *data, const struct mf_table_ref *use,
			 const char *provider, unsigned priority)
{
	struct election *e = data;
	const struct mf_table_ref *prov;
	const char *loser = mf_module_name(e->loser);
	size_t n = mf_module_refs(e->loser, "provides", &prov);

	if (!provider || strcmp(provider, loser) == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(prov[i].type, use->type) != 0 ||
		    strcmp(prov[i].name, use->name) != 0)
			continue;
		console_say(e->c, "  lost a provider election: %s=%s for %s went to %s at "
		    "priority %u (%s offers %u)\n", use->type, use->name, e->user,
		    provider, priority, loser, prov[i].priority);
		e->found++;
		return;
	}
}

/* Every running module that uses something @e->loser provides from another. */
static int election_user(struct mf_module *mod, void *data)
{
	struct election *e = data;
	struct mf_module_info info;

	mf_module_info(mod, &info);
	if (mod == e->loser || info.state != MF_STATE_RUNNING)
		return 0;
	e->user = info.name;
	mf_module_deps(mod, election_dep, e);
	return 0;
}

static int why_not(struct cmd_ctx *c, struct mf_module *mod,
		   const struct mf_module_info *info)
{
	const char *ban = mf_module_neverload(mod);
	struct election e = { .c = c, .loser = mod };
	char reason[MF_ERR_MAX];
	/* The trial below replaces every last_error string: keep a copy. */
	char *last = info->last_error ? mf_strdup(info->last_error) : NULL;
	int can = 0;

	if (info->last_error && !last)
		return -ENOMEM;
	console_say(c, "%s is not running:\n", info->name);
	if (ban)
		console_say(c, "  neverloaded at %s (only editing that file and restarting "
		    "lifts it)\n", ban);
	if (last)
		console_say(c, "  its last start failed: %s\n", last);
	mf_module_foreach(c->ctx, election_user, &e);
	/* A ban says it all; otherwise ask the resolver what a load would hit. */
	if (!ban) {
		can = mf_module_can_start(mod, reason, sizeof(reason));
		if (can < 0 && (!last || strcmp(reason, last) != 0))
			console_say(c, "  it cannot start now: %s\n", reason);
	}
	if (!ban && !last && !e.found)
		console_say(c, "  not requested by anyone: no require=, load= or autoload line, "
		    "console load or running module asks for it\n");
	if (!ban && can == 0)
		console_say(c, "  it could start now: module load %s\n", info->name);
	mf_free(last);
	return 0;
}

int cmd_module_why(struct cmd_ctx *c)
{
	struct mf_module_info info;
	struct seen seen = { 0 };
	struct mf_module *mod;
	int err;

	err = one_module(c, &mod);
	if (err < 0)
		return err;
	mf_module_info(mod, &info);
	if (info.state == MF_STATE_STOPPED)
		return why_not(c, mod, &info);
	if (info.why)
		console_say(c, "%s is %s (started: %s):\n", info.name,
		    mf_state_name(info.state), info.why);
	else
		console_say(c, "%s is %s:\n", info.name, mf_state_name(info.state));
	err = why_holders(c, mod, 0, &seen);
	if (info.refs)
		console_say(c, "  and %u hot-path reference%s\n", info.refs,
		    info.refs == 1 ? "" : "s");
	mf_free(seen.items);
	return err;
}

/* ---- module graph ------------------------------------------------------- */

/* A dot identifier or label: quoted, with quotes and backslashes escaped. */
static void dot_str(struct mf_strbuf *b, const char *s)
{
	mf_strbuf_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			mf_strbuf_add(b, "\\", 1);
		if ((unsigned char)*s >= 0x20)
			mf_strbuf_add(b, s, 1);
	}
	mf_strbuf_add(b, "\"", 1);
}

struct graph {
	struct cmd_ctx *c;
	struct mf_strbuf sb;
	struct mf_module *mod; /* the module whose edges are being drawn */
	const struct mf_table_ref *use;
	unsigned n_providers;
	char **missing; /* "type=name" nodes drawn for uses nobody provides */
	size_t n_missing, cap_missing;
};

static int graph_node(struct mf_module *mod, void *data)
{
	struct graph *g = data;
	struct mf_module_info info;
	const char *ban = mf_module_neverload(mod);

	mf_module_info(mod, &info);
	mf_strbuf_puts(&g->sb, "\t");
	dot_str(&g->sb, info.name);
	/* In a dot label, backslash-n is a line break.  Module names need
	 * no escaping (mf_name_is_valid). */
	mf_strbuf_printf(&g->sb, " [label=\"%s\\n%s%s\"", info.name,
		  mf_state_name(info.state), ban ? ", neverloaded" : "");
	mf_strbuf_puts(&g->sb, info.state == MF_STATE_RUNNING ? ", style=bold" :
			info.state == MF_STATE_STOPPED ? ", style=dashed" :
			", style=dotted");
	mf_strbuf_puts(&g->sb, ban ? ", color=red];\n" : "];\n");
	return 0;
}

static void graph_edge_label(struct graph *g, const struct mf_table_ref *use,
			     unsigned priority, const char *attrs)
{
	char label[300];

	if (priority)
		snprintf(label, sizeof(label), "%s=%s:%u", use->type, use->name, priority);
	else
		snprintf(label, sizeof(label), "%s=%s", use->type, use->name);
	mf_strbuf_puts(&g->sb, " [label=");
	dot_str(&g->sb, label);
	mf_strbuf_puts(&g->sb, attrs);
	mf_strbuf_puts(&g->sb, "];\n");
}

static void graph_candidate(void *data, struct mf_module *provider,
			    unsigned priority)
{
	struct graph *g = data;

	g->n_providers++;
	mf_strbuf_puts(&g->sb, "\t");
	dot_str(&g->sb, mf_module_name(g->mod));
	mf_strbuf_puts(&g->sb, " -> ");
	dot_str(&g->sb, mf_module_name(provider));
	graph_edge_label(g, g->use, priority, ", style=dashed");
}

/* Draw the "type=name" node once, then this module's edge to it. */
static void graph_missing(struct graph *g, const struct mf_table_ref *use)
{
	char key[300];
	bool drawn = false;

	snprintf(key, sizeof(key), "%s=%s", use->type, use->name);
	for (size_t i = 0; i < g->n_missing && !drawn; i++)
		drawn = strcmp(g->missing[i], key) == 0;
	if (!drawn && g->n_missing == g->cap_missing) {
		size_t cap = g->cap_missing ? 2 * g->cap_missing : 8;
		void *p = mf_realloc(g->missing, cap * sizeof(*g->missing));

		if (!p) {
			g->sb.oom = true;
			return;
		}
		g->missing = p;
		g->cap_missing = cap;
	}
	if (!drawn) {
		g->missing[g->n_missing] = mf_strdup(key);
		if (!g->missing[g->n_missing]) {
			g->sb.oom = true;
			return;
		}
		g->n_missing++;
		mf_strbuf_puts(&g->sb, "\t");
		dot_str(&g->sb, key);
		mf_strbuf_puts(&g->sb, " [label=");
		dot_str(&g->sb, key);
		mf_strbuf_puts(&g->sb, ", xlabel=\"no provider\", shape=plaintext, fontcolor=red];\n");
	}
	mf_strbuf_puts(&g->sb, "\t");
	dot_str(&g->sb, mf_module_name(g->mod));
	mf_strbuf_puts(&g->sb, " -> ");
	dot_str(&g->sb, key);
	mf_strbuf_puts(&g->sb, " [style=dashed, color=red];\n");
}

static void graph_dep(void *data, const struct mf_table_ref *use,
		      const char *provider, unsigned priority)
{
	struct graph *g = data;

	if (provider) {
		mf_strbuf_puts(&g->sb, "\t");
		dot_str(&g->sb, mf_module_name(g->mod));
		mf_strbuf_puts(&g->sb, " -> ");
		dot_str(&g->sb, provider);
		graph_edge_label(g, use, priority, "");
		return;
	}
	/* Not running: every module that could serve this line, best first. */
	g->use = use;
	g->n_providers = 0;
	/* A catalog that cannot be indexed draws nothing wrong: the whole
	 * graph says "out of memory" instead (console_flush()). */
	if (mf_providers_foreach(mf_module_context(g->mod), use->type, use->name,
				 graph_candidate, g) == -ENOMEM)
		g->sb.oom = true;
	else if (g->n_providers == 0)
		graph_missing(g, use);
}

static int graph_edges(struct mf_module *mod, void *data)
{
	struct graph *g = data;

	g->mod = mod;
	mf_module_deps(mod, graph_dep, g);
	return 0;
}

int cmd_module_graph(struct cmd_ctx *c)
{
	struct graph g = { .c = c };
	int err;

	if (c->argc != 0)
		return console_bad(c, "unexpected argument '%s'", c->argv[0]);
	mf_strbuf_puts(&g.sb, "digraph manifold {\n"
		       "\trankdir=LR;\n"
		       "\tnode [shape=box];\n");
	mf_module_foreach(c->ctx, graph_node, &g);
	mf_module_foreach(c->ctx, graph_edges, &g);
	mf_strbuf_puts(&g.sb, "}\n");
	err = console_flush(c, &g.sb);
	for (size_t i = 0; i < g.n_missing; i++)
		mf_free(g.missing[i]);
	mf_free(g.missing);
	mf_strbuf_release(&g.sb);
	return err;
}

