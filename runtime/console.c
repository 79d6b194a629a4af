/* SPDX-License-Identifier: MIT */
/*
 * Console commands.  Each command is a row of the table below: its words, a
 * usage line and a handler.  The interpreter splits the line into words,
 * finds the longest matching command and hands it the rest.  A bad command
 * prints why and what would have been right, and changes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/console.h>
#include <manifold/moddir.h>

#include "alloc.h"

#define MAX_WORDS 32
#define LINE_MAX_LEN 1024
/* How far `module why` follows users upward before it stops. */
#define WHY_MAX_DEPTH 16

struct command;

struct cmd_ctx {
	struct mf_context *ctx;
	mf_out_fn out;
	void *data;
	const struct command *cmd;
	int argc;
	char **argv;   /* words after the command's own */
	const char *rest; /* raw text after the command's own words */
	bool oom_said;	  /* "out of memory" printed already */
};

/*
 * One row of the command table.  usage reads "SYNTAX  SUMMARY": the syntax
 * ends at the first run of two spaces, and is what a usage error shows.
 */
struct command {
	const char *words[3];
	const char *usage;
	int (*run)(struct cmd_ctx *c);
	unsigned flags; /* CMD_* (true, 1, is CMD_MODULE_ARG) */
};

/* Complete module names after the command's words. */
#define CMD_MODULE_ARG 1u
/*
 * Read-only: runs under the context lock, so that what it shows is one
 * consistent state.  Operations take the lock themselves: a forced unload
 * must release it while it waits for users to go.
 */
#define CMD_LOCKED 2u

static void say(struct cmd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct cmd_ctx *c, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->out(c->data, buf);
}

static const char *level_name(enum mf_support_level l)
{
	const char *n = mf_support_level_name(l);

	return n ? n : "?";
}

static void print_usage(struct cmd_ctx *c, const struct command *cmd)
{
	const char *end = strstr(cmd->usage, "  ");
	int n = end ? (int)(end - cmd->usage) : (int)strlen(cmd->usage);

	say(c, "usage: %.*s\n", n, cmd->usage);
}

/*
 * A command line that cannot be run: say what is wrong, naming the command,
 * then how it is used.  Nothing has changed when this is called.
 */
static int bad(struct cmd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct cmd_ctx *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say(c, "%s%s%s: %s\n", c->cmd->words[0], c->cmd->words[1] ? " " : "",
	    c->cmd->words[1] ? c->cmd->words[1] : "", buf);
	print_usage(c, c->cmd);
	return -EINVAL;
}

void mf_console_print_event(void *out_pair, const struct mf_event *ev)
{
	const struct mf_console_out *o = out_pair;
	char buf[2048];

	switch (ev->kind) {
	case MF_EVENT_START:
		snprintf(buf, sizeof(buf), "  started   %-24s %-10s %s\n", ev->module,
			 level_name(ev->support_level), ev->detail);
		break;
	case MF_EVENT_STOP:
		snprintf(buf, sizeof(buf), "  stopped   %-24s %-10s %s\n", ev->module,
			 level_name(ev->support_level), ev->detail);
		break;
	case MF_EVENT_WOULD_START:
		snprintf(buf, sizeof(buf), "  would start %-22s %s\n", ev->module,
			 ev->detail);
		break;
	case MF_EVENT_WOULD_STOP:
		snprintf(buf, sizeof(buf), "  would stop  %-22s %s\n", ev->module,
			 ev->detail);
		break;
	case MF_EVENT_FAIL:
		snprintf(buf, sizeof(buf), "  FAILED    %s: %s\n", ev->module, ev->detail);
		break;
	case MF_EVENT_HELD:
		snprintf(buf, sizeof(buf), "  held      %s: in use by %s\n", ev->module,
			 ev->detail);
		break;
	case MF_EVENT_CANCEL:
		snprintf(buf, sizeof(buf), "  cancel    %s: asked %s to go\n",
			 ev->module, ev->detail);
		break;
	case MF_EVENT_NOTE:
	default:
		snprintf(buf, sizeof(buf), "  note      %s: %s\n", ev->module, ev->detail);
		break;
	}
	o->out(o->data, buf);
}

/* ---- a growing text buffer (JSON and dot output) ------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = mf_realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_add(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Send the buffer as console output and empty it; -ENOMEM if it overflowed. */
static int sb_flush(struct cmd_ctx *c, struct sbuf *b)
{
	int err = b->oom ? -ENOMEM : 0;

	if (b->oom) {
		say(c, "out of memory\n");
		c->oom_said = true;
	}
	else if (b->len)
		c->out(c->data, b->p);
	b->len = 0;
	b->oom = false;
	if (b->p)
		b->p[0] = '\0';
	return err;
}

/* Length of the valid UTF-8 sequence at @s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * A JSON string (RFC 8259), or null.  Text that is not valid UTF-8 (a
 * manifest is bytes) gets U+FFFD for each bad byte, so the output always
 * parses.
 */
static void sb_json_str(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		sb_puts(b, "null");
		return;
	}
	sb_add(b, "\"", 1);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"':
			sb_puts(b, "\\\"");
			break;
		case '\\':
			sb_puts(b, "\\\\");
			break;
		case '\n':
			sb_puts(b, "\\n");
			break;
		case '\r':
			sb_puts(b, "\\r");
			break;
		case '\t':
			sb_puts(b, "\\t");
			break;
		case '\b':
			sb_puts(b, "\\b");
			break;
		case '\f':
			sb_puts(b, "\\f");
			break;
		default:
			if (*p < 0x20) {
				sb_printf(b, "\\u%04x", *p);
			} else if (*p < 0x80) {
				sb_add(b, (const char *)p, 1);
			} else if ((n = utf8_len(p)) != 0) {
				sb_add(b, (const char *)p, n);
				p += n;
				continue;
			} else {
				sb_puts(b, "\\ufffd");
			}
		}
		p++;
	}
	sb_add(b, "\"", 1);
}

/* ---- module show -------------------------------------------------------- */

struct show {
	struct cmd_ctx *c;
	const char *like;
	bool json;
	struct sbuf sb;
	unsigned shown, running, users_listed;
};

static void json_user(void *data, const char *kind, const char *who,
		      const char *detail)
{
	struct show *s = data;

	/* Hot-path references are not users; "refs" has their count. */
	if (strcmp(kind, "refs") == 0)
		return;
	sb_puts(&s->sb, s->users_listed++ ? ", " : "");
	sb_puts(&s->sb, "{\"kind\": ");
	sb_json_str(&s->sb, kind);
	sb_puts(&s->sb, ", \"who\": ");
	sb_json_str(&s->sb, who);
	sb_puts(&s->sb, ", \"detail\": ");
	sb_json_str(&s->sb, detail);
	sb_puts(&s->sb, "}");
}

/* One module as one line: a JSON object, after a comma unless first. */
static void show_json(struct show *s, struct mf_module *mod,
		      const struct mf_module_info *info)
{
	struct sbuf *b = &s->sb;

	sb_puts(b, s->shown > 1 ? ",\n  {\"name\": " : "  {\"name\": ");
	sb_json_str(b, info->name);
	sb_puts(b, ", \"description\": ");
	sb_json_str(b, info->description);
	sb_puts(b, ", \"state\": ");
	sb_json_str(b, mf_state_name(info->state));
	sb_printf(b, ", \"use_count\": %u, \"users\": [", info->users + info->refs);
	s->users_listed = 0;
	mf_module_users(mod, json_user, s);
	sb_printf(b, "], \"user_count\": %u, \"refs\": %u, \"lib_refs\": %u",
		  info->users, info->refs, info->lib_refs);
	sb_puts(b, ", \"support_level\": ");
	sb_json_str(b, level_name(info->support_level));
	sb_puts(b, ", \"backend\": ");
	sb_json_str(b, info->backend);
	sb_printf(b, ", \"load_priority\": %u, \"admin\": %s, \"unload_blocked\": %s",
		  info->load_priority, info->admin ? "true" : "false",
		  info->unload_blocked ? "true" : "false");
	sb_puts(b, ", \"neverload\": ");
	sb_json_str(b, mf_module_neverload(mod));
	sb_puts(b, ", \"why\": ");
	sb_json_str(b, info->why);
	sb_puts(b, ", \"last_error\": ");
	sb_json_str(b, info->last_error);
	sb_puts(b, "}");
}

static int show_one(struct mf_module *mod, void *data)
{
	struct show *s = data;
	struct mf_module_info info;

	mf_module_info(mod, &info);
	if (s->like && !strstr(info.name, s->like))
		return 0;
	s->shown++;
	if (info.state == MF_STATE_RUNNING)
		s->running++;
	if (s->json) {
		show_json(s, mod, &info);
		return 0;
	}
	say(s->c, "%-24s %-40.40s %-9s %5u %-10s %s\n", info.name,
	    info.description, mf_state_name(info.state), info.users + info.refs,
	    level_name(info.support_level), info.backend);
	return 0;
}

static int cmd_module_show(struct cmd_ctx *c)
{
	struct show s = { .c = c };

	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (strcmp(a, "-j") == 0) {
			s.json = true;
		} else if (strcmp(a, "like") == 0) {
			if (s.like)
				return bad(c, "'like' given twice");
			if (i + 1 == c->argc)
				return bad(c, "'like' needs a PATTERN");
			s.like = c->argv[++i];
		} else if (a[0] == '-') {
			return bad(c, "unknown option '%s'", a);
		} else {
			return bad(c, "unexpected argument '%s'", a);
		}
	}
	if (s.json) {
		int err;

		/* One array, one module per line, sent whole: the output
		 * function takes whole lines. */
		sb_puts(&s.sb, "[\n");
		mf_module_foreach(c->ctx, show_one, &s);
		sb_puts(&s.sb, s.shown ? "\n]\n" : "]\n");
		err = sb_flush(c, &s.sb);
		mf_free(s.sb.p);
		return err;
	}
	say(c, "%-24s %-40s %-9s %5s %-10s %s\n", "Module", "Description", "State",
	    "Use", "Support", "Backend");
	mf_module_foreach(c->ctx, show_one, &s);
	say(c, "%u modules, %u running\n", s.shown, s.running);
	return 0;
}

/* ---- load / unload ------------------------------------------------------ */

/* Leading -x options from @allowed; a bad one is a usage error. */
static int parse_flags(struct cmd_ctx *c, const char *allowed, unsigned *flags,
		       int *first)
{
	int i;

	*flags = 0;
	for (i = 0; i < c->argc && c->argv[i][0] == '-'; i++) {
		const char *f = c->argv[i];

		if (strlen(f) != 2 || !strchr(allowed, f[1]))
			return bad(c, "unknown option '%s'", f);
		*flags |= f[1] == 'n' ? MF_OP_DRY_RUN : MF_OP_FORCE;
	}
	*first = i;
	return 0;
}

/* Why @name names no module, or NULL when it names one. */
static const char *name_problem(struct cmd_ctx *c, const char *name)
{
	struct mf_module *mod;
	int err = mf_module_find(c->ctx, name, &mod);

	if (err == -EINVAL || err == -ENAMETOOLONG)
		return "invalid module name (names are not paths)";
	if (err == -ENOMEM)
		return "out of memory";
	if (err < 0)
		return mf_moddir_no_such_module(c->ctx) ?
			       mf_moddir_no_such_module(c->ctx) : "no such module";
	return NULL;
}

static int cmd_module_load(struct cmd_ctx *c)
{
	struct mf_console_out o = { c->out, c->data };
	struct mf_request *reqs;
	unsigned flags;
	int first, err;
	size_t n;

	err = parse_flags(c, "n", &flags, &first);
	if (err < 0)
		return err;
	/* Modules installed in the module directory since it was last read
	 * must be found here already (mf_load() reads it too, too late for
	 * these checks); an image without one says nothing. */
	mf_moddir_refresh(c->ctx, mf_console_print_event, &o);
	if (first >= c->argc)
		return bad(c, "no module named");
	/* Every name first: a typo must not leave half the list started. */
	for (int i = first; i < c->argc; i++) {
		const char *why = name_problem(c, c->argv[i]);

		if (why)
			return bad(c, "%s: %s", c->argv[i], why);
	}
	/* At most MAX_WORDS, which the compiler cannot see by itself. */
	n = (size_t)(c->argc - first);
	reqs = n <= MAX_WORDS ? mf_calloc(n, sizeof(*reqs)) : NULL;
	if (!reqs)
		return -ENOMEM;
	for (int i = first; i < c->argc; i++) {
		reqs[i - first].name = c->argv[i];
		reqs[i - first].why = "console: module load";
	}
	err = mf_load(c->ctx, reqs, n, flags,
		      mf_console_print_event, &o);
	/* Each request's event said it already. */
	c->oom_said = err == -ENOMEM;
	for (int i = first; i < c->argc && !(flags & MF_OP_DRY_RUN); i++)
		say(c, "%s %s\n", reqs[i - first].result == 0 ? "Loaded" : "Unable to load",
		    c->argv[i]);
	mf_free(reqs);
	return err;
}

static int cmd_module_unload(struct cmd_ctx *c)
{
	struct mf_console_out o = { c->out, c->data };
	const char *why;
	unsigned flags;
	int first, err;

	err = parse_flags(c, "nf", &flags, &first);
	if (err < 0)
		return err;
	if (first == c->argc)
		return bad(c, "no module named");
	if (first != c->argc - 1)
		return bad(c, "one module at a time ('%s' is one too many)",
			   c->argv[first + 1]);
	why = name_problem(c, c->argv[first]);
	if (why)
		return bad(c, "%s: %s", c->argv[first], why);
	err = mf_unload(c->ctx, c->argv[first], flags, mf_console_print_event, &o);
	if (flags & MF_OP_DRY_RUN)
		return err;
	if (err == 0) {
		struct mf_module *mod;
		struct mf_module_info info;

		/* A soft unload only drops the administrator's use: say so
		 * when others still hold the module. */
		if (mf_module_find(c->ctx, c->argv[first], &mod) == 0 &&
		    mf_module_info(mod, &info) == 0 && info.state != MF_STATE_STOPPED) {
			say(c, "Released %s: still %s, it stops when its last user goes\n",
			    c->argv[first], mf_state_name(info.state));
			return 0;
		}
	}
	say(c, "%s %s\n", err == 0 ? "Unloaded" : "Unable to unload", c->argv[first]);
	return err;
}

/* The module a command names as its one argument, or a usage error. */
static int one_module(struct cmd_ctx *c, struct mf_module **mod)
{
	int err;

	if (c->argc == 0)
		return bad(c, "no module named");
	if (c->argc > 1)
		return bad(c, "one module at a time ('%s' is one too many)", c->argv[1]);
	err = mf_module_find(c->ctx, c->argv[0], mod);
	if (err < 0) {
		/* Asking again would try the index again: say it as it was. */
		const char *why = err == -ENOMEM ? "out of memory" :
						   name_problem(c, c->argv[0]);

		bad(c, "%s: %s", c->argv[0], why ? why : "no such module");
		return err == -ENOENT || err == -ENOMEM ? err : -EINVAL;
	}
	return 0;
}

static void print_user(void *data, const char *kind, const char *who,
		       const char *detail)
{
	say(data, "  %-8s %-24s %s\n", kind, who, detail);
}

static int cmd_module_users(struct cmd_ctx *c)
{
	struct mf_module_info info;
	struct mf_module *mod;
	int err;

	err = one_module(c, &mod);
	if (err < 0)
		return err;
	mf_module_info(mod, &info);
	say(c, "%s (%s): %u user%s\n", info.name, mf_state_name(info.state),
	    info.users, info.users == 1 ? "" : "s");
	mf_module_users(mod, print_user, c);
	return 0;
}

static void print_dep(void *data, const struct mf_table_ref *use,
		      const char *provider, unsigned priority)
{
	char what[160];

	snprintf(what, sizeof(what), "%s=%s", use->type, use->name);
	if (provider)
		say(data, "  %-32s -> %s (priority %u)\n", what, provider, priority);
	else
		say(data, "  %-32s -> (not running)\n", what);
}

static int cmd_module_deps(struct cmd_ctx *c)
{
	const struct mf_table_ref *refs;
	struct mf_module *mod;
	size_t n;
	int err;

	err = one_module(c, &mod);
	if (err < 0)
		return err;
	say(c, "%s uses:\n", mf_module_name(mod));
	mf_module_deps(mod, print_dep, c);
	n = mf_module_refs(mod, "canuse", &refs);
	for (size_t i = 0; i < n; i++)
		say(c, "  canuse %s=%s\n", refs[i].type, refs[i].name);
	return 0;
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
		say(c, "%s(see above)\n", pre);
		return 0;
	}
	if (depth >= WHY_MAX_DEPTH) {
		say(c, "%s... (chain longer than %d modules)\n", pre, WHY_MAX_DEPTH);
		return 0;
	}
	mf_module_users(mod, collect_holder, &h);
	if (h.oom) {
		err = -ENOMEM;
		goto out;
	}
	if (h.n == 0)
		say(c, "%snothing holds it any more\n", pre);
	for (size_t i = 0; i < h.n && err == 0; i++) {
		const struct holder *u = &h.items[i];
		struct mf_module *user;

		if (strcmp(u->kind, "admin") == 0) {
			say(c, "%sheld by the administrator (%s)\n", pre, u->detail);
		} else if (strcmp(u->kind, "object") == 0) {
			say(c, "%sused by object %s%s%s\n", pre, u->who,
			    u->detail[0] ? ", " : "", u->detail);
		} else if (strcmp(u->kind, "module") == 0) {
			say(c, "%sused by %s (%s)\n", pre, u->who, u->detail);
			if (mf_module_find(c->ctx, u->who, &user) == 0)
				err = why_holders(c, user, depth + 1, seen);
		} else {
			say(c, "%sheld by %s (%s)\n", pre, u->who, u->detail);
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
		say(e->c, "  lost a provider election: %s=%s for %s went to %s at "
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
	say(c, "%s is not running:\n", info->name);
	if (ban)
		say(c, "  neverloaded at %s (only editing that file and restarting "
		    "lifts it)\n", ban);
	if (last)
		say(c, "  its last start failed: %s\n", last);
	mf_module_foreach(c->ctx, election_user, &e);
	/* A ban says it all; otherwise ask the resolver what a load would hit. */
	if (!ban) {
		can = mf_module_can_start(mod, reason, sizeof(reason));
		if (can < 0 && (!last || strcmp(reason, last) != 0))
			say(c, "  it cannot start now: %s\n", reason);
	}
	if (!ban && !last && !e.found)
		say(c, "  not requested by anyone: no require=, load= or autoload line, "
		    "console load or running module asks for it\n");
	if (!ban && can == 0)
		say(c, "  it could start now: module load %s\n", info->name);
	mf_free(last);
	return 0;
}

static int cmd_module_why(struct cmd_ctx *c)
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
		say(c, "%s is %s (started: %s):\n", info.name,
		    mf_state_name(info.state), info.why);
	else
		say(c, "%s is %s:\n", info.name, mf_state_name(info.state));
	err = why_holders(c, mod, 0, &seen);
	if (info.refs)
		say(c, "  and %u hot-path reference%s\n", info.refs,
		    info.refs == 1 ? "" : "s");
	mf_free(seen.items);
	return err;
}

/* ---- module graph ------------------------------------------------------- */

/* A dot identifier or label: quoted, with quotes and backslashes escaped. */
static void sb_dot_str(struct sbuf *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\", 1);
		if ((unsigned char)*s >= 0x20)
			sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

struct graph {
	struct cmd_ctx *c;
	struct sbuf sb;
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
	sb_puts(&g->sb, "\t");
	sb_dot_str(&g->sb, info.name);
	/* In a dot label, backslash-n is a line break.  Module names need
	 * no escaping (mf_name_is_valid). */
	sb_printf(&g->sb, " [label=\"%s\\n%s%s\"", info.name,
		  mf_state_name(info.state), ban ? ", neverloaded" : "");
	sb_puts(&g->sb, info.state == MF_STATE_RUNNING ? ", style=bold" :
			info.state == MF_STATE_STOPPED ? ", style=dashed" :
			", style=dotted");
	sb_puts(&g->sb, ban ? ", color=red];\n" : "];\n");
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
	sb_puts(&g->sb, " [label=");
	sb_dot_str(&g->sb, label);
	sb_puts(&g->sb, attrs);
	sb_puts(&g->sb, "];\n");
}

static void graph_candidate(void *data, struct mf_module *provider,
			    unsigned priority)
{
	struct graph *g = data;

	g->n_providers++;
	sb_puts(&g->sb, "\t");
	sb_dot_str(&g->sb, mf_module_name(g->mod));
	sb_puts(&g->sb, " -> ");
	sb_dot_str(&g->sb, mf_module_name(provider));
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
		sb_puts(&g->sb, "\t");
		sb_dot_str(&g->sb, key);
		sb_puts(&g->sb, " [label=");
		sb_dot_str(&g->sb, key);
		sb_puts(&g->sb, ", xlabel=\"no provider\", shape=plaintext, fontcolor=red];\n");
	}
	sb_puts(&g->sb, "\t");
	sb_dot_str(&g->sb, mf_module_name(g->mod));
	sb_puts(&g->sb, " -> ");
	sb_dot_str(&g->sb, key);
	sb_puts(&g->sb, " [style=dashed, color=red];\n");
}

static void graph_dep(void *data, const struct mf_table_ref *use,
		      const char *provider, unsigned priority)
{
	struct graph *g = data;

	if (provider) {
		sb_puts(&g->sb, "\t");
		sb_dot_str(&g->sb, mf_module_name(g->mod));
		sb_puts(&g->sb, " -> ");
		sb_dot_str(&g->sb, provider);
		graph_edge_label(g, use, priority, "");
		return;
	}
	/* Not running: every module that could serve this line, best first. */
	g->use = use;
	g->n_providers = 0;
	/* A catalog that cannot be indexed draws nothing wrong: the whole
	 * graph says "out of memory" instead (sb_flush()). */
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

static int cmd_module_graph(struct cmd_ctx *c)
{
	struct graph g = { .c = c };
	int err;

	if (c->argc != 0)
		return bad(c, "unexpected argument '%s'", c->argv[0]);
	sb_puts(&g.sb, "digraph manifold {\n"
		       "\trankdir=LR;\n"
		       "\tnode [shape=box];\n");
	mf_module_foreach(c->ctx, graph_node, &g);
	mf_module_foreach(c->ctx, graph_edges, &g);
	sb_puts(&g.sb, "}\n");
	err = sb_flush(c, &g.sb);
	for (size_t i = 0; i < g.n_missing; i++)
		mf_free(g.missing[i]);
	mf_free(g.missing);
	mf_free(g.sb.p);
	return err;
}

/* ---- call --------------------------------------------------------------- */

static int cmd_call(struct cmd_ctx *c)
{
	static const char *const types[] = { "function", "application" };
	char name[128], out[1024] = "";
	const char *args = "", *p = c->rest;
	const struct mf_callable *callable;
	struct mf_api *api = NULL;
	size_t len = strcspn(p, " \t(");
	int err = -ENOENT;

	if (len == 0)
		return bad(c, "no function or application named");
	if (len >= sizeof(name))
		return bad(c, "name too long (max %zu bytes)", sizeof(name) - 1);
	memcpy(name, p, len);
	name[len] = '\0';
	p += len;
	if (*p == '(') {
		size_t alen = strlen(p + 1);
		char *a;

		if (alen == 0 || p[alen] != ')')
			return bad(c, "missing ')' after the arguments of %s", name);
		a = mf_strndup(p + 1, alen - 1);
		if (!a)
			return -ENOMEM;
		for (size_t i = 0; i < 2 && err == -ENOENT; i++)
			err = mf_api_find(c->ctx, types[i], name, &api);
		args = a;
	} else {
		args = p + strspn(p, " \t");
		for (size_t i = 0; i < 2 && err == -ENOENT; i++)
			err = mf_api_find(c->ctx, types[i], name, &api);
		args = mf_strdup(args);
		if (!args) {
			if (err == 0)
				mf_api_release(api);
			return -ENOMEM;
		}
	}
	if (err < 0) {
		say(c, "%s: no such function or application%s\n", name,
		    err == -ESHUTDOWN ? " (its module is stopping)" : "");
		mf_free((char *)args);
		return err;
	}
	callable = mf_api_iface(api);
	if (!callable) {
		say(c, "%s: its module stopped\n", name);
		err = -ESTALE;
	} else {
		err = callable->call(mf_api_provider(api), args, out, sizeof(out));
		say(c, "%s%s\n", err < 0 ? "error: " : "", out);
	}
	mf_api_release(api);
	mf_free((char *)args);
	return err;
}

static void print_callable(void *data, const char *name, const char *owner,
			   const void *iface)
{
	const struct mf_callable *callable = iface;

	say(data, "  %-20s %-22s %s\n", name, owner,
	    callable->synopsis ? callable->synopsis : "");
}

static int cmd_api_show(struct cmd_ctx *c)
{
	if (c->argc != 0)
		return bad(c, "unexpected argument '%s'", c->argv[0]);
	say(c, "Functions:\n");
	mf_api_foreach(c->ctx, "function", print_callable, c);
	say(c, "Applications:\n");
	mf_api_foreach(c->ctx, "application", print_callable, c);
	return 0;
}

struct census {
	unsigned modules, running;
};

static int count_module(struct mf_module *mod, void *data)
{
	struct census *n = data;
	struct mf_module_info info;

	mf_module_info(mod, &info);
	n->modules++;
	n->running += info.state == MF_STATE_RUNNING;
	return 0;
}

/* The heap the loader holds (whole process), for footprint reports. */
static int cmd_memory(struct cmd_ctx *c)
{
	struct census n = { 0 };
	size_t in_use = mf_heap_in_use();

	if (c->argc != 0)
		return bad(c, "unexpected argument '%s'", c->argv[0]);
	mf_module_foreach(c->ctx, count_module, &n);
	say(c, "heap: %zu bytes in use (peak %zu) for %u modules, %u running: "
	       "%zu bytes/module\n", in_use, mf_heap_peak(), n.modules, n.running,
	    n.modules ? in_use / n.modules : 0);
	return 0;
}

/* ---- table -------------------------------------------------------------- */

static int cmd_help(struct cmd_ctx *c);

/* ---- module refresh ------------------------------------------------------ */

/* Read the module directory again (mf_load() does it too, before each load). */
static int cmd_module_refresh(struct cmd_ctx *c)
{
	struct mf_console_out o = { c->out, c->data };
	int n;

	if (c->argc != 0)
		return bad(c, "unexpected argument '%s'", c->argv[0]);
	n = mf_moddir_refresh(c->ctx, mf_console_print_event, &o);
	if (n == -EOPNOTSUPP)
		say(c, "module refresh: %s\n", MF_MODDIR_UNSUPPORTED);
	else if (n == -ENOENT)
		say(c, "module refresh: no module directory (see the image's -M)\n");
	else if (n < 0)
		say(c, "module refresh: %s\n", strerror(-n));
	else
		say(c, "%s: %d change%s\n", mf_moddir_path(c->ctx), n, n == 1 ? "" : "s");
	return n < 0 ? n : 0;
}

static const struct command commands[] = {
	{ { "module", "show" }, "module show [-j] [like PATTERN]  list modules (-j: as JSON)", cmd_module_show, CMD_LOCKED },
	{ { "module", "load" }, "module load [-n] NAME...         start modules and what they use", cmd_module_load, CMD_MODULE_ARG },
	{ { "module", "unload" }, "module unload [-n] [-f] NAME     stop a module (-f: make its users go)", cmd_module_unload, CMD_MODULE_ARG },
	{ { "module", "users" }, "module users NAME                who holds a module", cmd_module_users, CMD_MODULE_ARG | CMD_LOCKED },
	{ { "module", "deps" }, "module deps NAME                 what a module uses, and from whom", cmd_module_deps, CMD_MODULE_ARG | CMD_LOCKED },
	{ { "module", "why" }, "module why NAME                  why a module runs, or why not", cmd_module_why, CMD_MODULE_ARG | CMD_LOCKED },
	{ { "module", "graph" }, "module graph                     the dependency graph (Graphviz dot)", cmd_module_graph, CMD_LOCKED },
	{ { "module", "refresh" }, "module refresh                   read the module directory again", cmd_module_refresh, 0 },
	{ { "api", "show" }, "api show                         registered functions and applications", cmd_api_show, CMD_LOCKED },
	{ { "memory" }, "memory                           heap the loader holds", cmd_memory, CMD_LOCKED },
	{ { "call" }, "call NAME(ARGS)                  run a function or application", cmd_call, 0 },
	{ { "help" }, "help                             this list", cmd_help, 0 },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(struct cmd_ctx *c)
{
	if (c->argc != 0)
		return bad(c, "unexpected argument '%s'", c->argv[0]);
	for (size_t i = 0; i < N_COMMANDS; i++)
		say(c, "  %s\n", commands[i].usage);
	return 0;
}

/* A line that names no command: if its first word starts a group of
 * commands ("module"), show that group's usages. */
static int unknown_command(struct cmd_ctx *c, const char *first, const char *line,
			   size_t nw)
{
	bool group = false;

	for (size_t i = 0; i < N_COMMANDS && !group; i++)
		group = commands[i].words[1] && strcmp(commands[i].words[0], first) == 0;
	if (group && nw == 1)
		say(c, "'%s' needs a subcommand\n", first);
	else
		say(c, "unknown command '%s'; 'help' lists the commands\n", line);
	if (!group)
		return -ENOSYS;
	say(c, "usage:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *u = commands[i].usage, *end = strstr(u, "  ");

		if (strcmp(commands[i].words[0], first) == 0)
			say(c, "  %.*s\n", end ? (int)(end - u) : (int)strlen(u), u);
	}
	return -ENOSYS;
}

static size_t n_words(const struct command *cmd)
{
	size_t n = 0;

	while (n < 3 && cmd->words[n])
		n++;
	return n;
}

int mf_console_exec(struct mf_context *ctx, const char *line, mf_out_fn out,
		    void *data)
{
	char buf[LINE_MAX_LEN + 1], raw[LINE_MAX_LEN + 1], *words[MAX_WORDS];
	const char *rests[MAX_WORDS];
	struct cmd_ctx c = { .ctx = ctx, .out = out, .data = data };
	char *save = NULL;
	size_t len = strlen(line), nw = 0;
	int err;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > LINE_MAX_LEN) {
		say(&c, "command too long (%zu bytes, max %d)\n", len, LINE_MAX_LEN);
		return -E2BIG;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	memcpy(buf, line, len);
	buf[len] = '\0';
	memcpy(raw, buf, len + 1);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (nw == 0 && w[0] == '#')
			break;
		if (nw == MAX_WORDS) {
			say(&c, "too many words (max %d)\n", MAX_WORDS);
			return -E2BIG;
		}
		rests[nw] = raw + (w - buf);
		words[nw++] = w;
	}
	if (nw == 0)
		return 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];
		size_t k = n_words(cmd), j;

		if (k > nw)
			continue;
		for (j = 0; j < k && strcmp(cmd->words[j], words[j]) == 0; j++)
			;
		if (j != k)
			continue;
		c.cmd = cmd;
		c.argc = (int)(nw - k);
		c.argv = words + k;
		c.rest = k < nw ? rests[k] : "";
		if (cmd->flags & CMD_LOCKED)
			mf_context_lock(ctx);
		err = cmd->run(&c);
		if (cmd->flags & CMD_LOCKED)
			mf_context_unlock(ctx);
		/* Whatever ran out of memory, the administrator is told. */
		if (err == -ENOMEM && !c.oom_said)
			say(&c, "out of memory\n");
		return err;
	}
	return unknown_command(&c, words[0], rests[0], nw);
}

/* ---- completion --------------------------------------------------------- */

struct complete {
	const char *prefix;
	void (*fn)(void *data, const char *candidate);
	void *data;
};

static int complete_module(struct mf_module *mod, void *data)
{
	struct complete *cp = data;
	const char *name = mf_module_name(mod);

	if (strncmp(name, cp->prefix, strlen(cp->prefix)) == 0)
		cp->fn(cp->data, name);
	return 0;
}

int mf_console_complete(struct mf_context *ctx, const char *line,
			void (*fn)(void *data, const char *candidate), void *data)
{
	char buf[LINE_MAX_LEN + 1], *words[MAX_WORDS], *save = NULL;
	size_t len = strlen(line), nw = 0;
	bool fresh = len == 0 || line[len - 1] == ' ' || line[len - 1] == '\t';
	const char *prefix;

	if (len > LINE_MAX_LEN)
		return -E2BIG;
	memcpy(buf, line, len + 1);
	for (char *w = strtok_r(buf, " \t", &save); w && nw < MAX_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		words[nw++] = w;
	/* The word being completed is the last one, or a new empty one. */
	prefix = fresh || nw == 0 ? "" : words[--nw];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];
		size_t k = n_words(cmd), j;

		for (j = 0; j < nw && j < k && strcmp(cmd->words[j], words[j]) == 0; j++)
			;
		if (j != nw && !(j == k && (cmd->flags & CMD_MODULE_ARG)))
			continue;
		if (nw < k) {
			bool dup = false;

			if (strncmp(cmd->words[nw], prefix, strlen(prefix)) != 0)
				continue;
			for (size_t p = 0; p < i && !dup; p++)
				dup = nw < n_words(&commands[p]) &&
				      strcmp(commands[p].words[nw], cmd->words[nw]) == 0 &&
				      (nw == 0 || strcmp(commands[p].words[0], words[0]) == 0);
			if (!dup)
				fn(data, cmd->words[nw]);
		} else if ((cmd->flags & CMD_MODULE_ARG) && j == k) {
			struct complete cp = { prefix, fn, data };

			if (prefix[0] != '-')
				mf_module_foreach(ctx, complete_module, &cp);
			break;
		}
	}
	return 0;
}
