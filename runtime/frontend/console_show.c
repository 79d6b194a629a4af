/* SPDX-License-Identifier: MIT */
/*
 * What the console lists: `module show` as a table or as JSON, `api show`,
 * `memory`; and `call`, which runs what `api show` lists.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "frontend/console_cmd.h"

/* ---- JSON strings --------------------------------------------------------- */

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
static void json_str(struct mf_strbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		mf_strbuf_puts(b, "null");
		return;
	}
	mf_strbuf_add(b, "\"", 1);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"':
			mf_strbuf_puts(b, "\\\"");
			break;
		case '\\':
			mf_strbuf_puts(b, "\\\\");
			break;
		case '\n':
			mf_strbuf_puts(b, "\\n");
			break;
		case '\r':
			mf_strbuf_puts(b, "\\r");
			break;
		case '\t':
			mf_strbuf_puts(b, "\\t");
			break;
		case '\b':
			mf_strbuf_puts(b, "\\b");
			break;
		case '\f':
			mf_strbuf_puts(b, "\\f");
			break;
		default:
			if (*p < 0x20) {
				mf_strbuf_printf(b, "\\u%04x", *p);
			} else if (*p < 0x80) {
				mf_strbuf_add(b, (const char *)p, 1);
			} else if ((n = utf8_len(p)) != 0) {
				mf_strbuf_add(b, (const char *)p, n);
				p += n;
				continue;
			} else {
				mf_strbuf_puts(b, "\\ufffd");
			}
		}
		p++;
	}
	mf_strbuf_add(b, "\"", 1);
}

/* ---- module show -------------------------------------------------------- */

struct show {
	struct cmd_ctx *c;
	const char *like;
	bool json;
	struct mf_strbuf sb;	/* JSON output */
	struct console_table table; /* or the table's rows */
	unsigned shown, running, users_listed;
};

static void json_user(void *data, const char *kind, const char *who,
		      const char *detail)
{
	struct show *s = data;

	/* Hot-path references are not users; "refs" has their count. */
	if (strcmp(kind, "refs") == 0)
		return;
	mf_strbuf_puts(&s->sb, s->users_listed++ ? ", " : "");
	mf_strbuf_puts(&s->sb, "{\"kind\": ");
	json_str(&s->sb, kind);
	mf_strbuf_puts(&s->sb, ", \"who\": ");
	json_str(&s->sb, who);
	mf_strbuf_puts(&s->sb, ", \"detail\": ");
	json_str(&s->sb, detail);
	mf_strbuf_puts(&s->sb, "}");
}

/* One module as one line: a JSON object, after a comma unless first. */
static void show_json(struct show *s, struct mf_module *mod,
		      const struct mf_module_info *info)
{
	struct mf_strbuf *b = &s->sb;

	mf_strbuf_puts(b, s->shown > 1 ? ",\n  {\"name\": " : "  {\"name\": ");
	json_str(b, info->name);
	mf_strbuf_puts(b, ", \"description\": ");
	json_str(b, info->description);
	mf_strbuf_puts(b, ", \"state\": ");
	json_str(b, mf_state_name(info->state));
	mf_strbuf_printf(b, ", \"use_count\": %u, \"users\": [", info->users + info->refs);
	s->users_listed = 0;
	mf_module_users(mod, json_user, s);
	mf_strbuf_printf(b, "], \"user_count\": %u, \"refs\": %u, \"lib_refs\": %u",
			 info->users, info->refs, info->lib_refs);
	mf_strbuf_puts(b, ", \"support_level\": ");
	json_str(b, console_level_name(info->support_level));
	mf_strbuf_puts(b, ", \"backend\": ");
	json_str(b, info->backend);
	mf_strbuf_printf(b, ", \"load_priority\": %u, \"admin\": %s, \"unload_blocked\": %s",
			 info->load_priority, info->admin ? "true" : "false",
			 info->unload_blocked ? "true" : "false");
	mf_strbuf_puts(b, ", \"neverload\": ");
	json_str(b, mf_module_neverload(mod));
	mf_strbuf_puts(b, ", \"why\": ");
	json_str(b, info->why);
	mf_strbuf_puts(b, ", \"last_error\": ");
	json_str(b, info->last_error);
	mf_strbuf_puts(b, "}");
}

static int show_one(struct mf_module *mod, void *data)
{
	struct show *s = data;
	struct mf_module_info info;
	char use[16];

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
	snprintf(use, sizeof(use), "%u", info.users + info.refs);
	console_table_row(&s->table, (const char *const[]){ info.name, info.description,
		mf_state_name(info.state), use, console_level_name(info.support_level),
		info.backend });
	return 0;
}

int cmd_module_show(struct cmd_ctx *c)
{
	struct show s = { .c = c, .sb = MF_STRBUF_INIT };
	int err;

	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (strcmp(a, "-j") == 0) {
			s.json = true;
		} else if (strcmp(a, "like") == 0) {
			if (s.like)
				return console_bad(c, "'like' given twice");
			if (i + 1 == c->argc)
				return console_bad(c, "'like' needs a PATTERN");
			s.like = c->argv[++i];
		} else if (a[0] == '-') {
			return console_bad(c, "unknown option '%s'", a);
		} else {
			return console_bad(c, "unexpected argument '%s'", a);
		}
	}
	if (s.json) {
		/* One array, one module per line, sent whole: the output
		 * function takes whole lines.  Nothing in it is ever cut. */
		mf_strbuf_puts(&s.sb, "[\n");
		mf_module_foreach(c->ctx, show_one, &s);
		mf_strbuf_puts(&s.sb, s.shown ? "\n]\n" : "]\n");
		err = console_flush(c, &s.sb);
		mf_strbuf_release(&s.sb);
		return err;
	}
	/* Columns as wide as the names and descriptions shown; on a narrow
	 * terminal the description gives way. */
	console_table_init(&s.table, 6, "", 1, 1u << 3);
	console_table_row(&s.table, (const char *const[]){ "Module", "Description",
		"State", "Use", "Support", "Backend" });
	mf_module_foreach(c->ctx, show_one, &s);
	console_table_render(&s.table, c->width, 0, SIZE_MAX, &s.sb);
	mf_strbuf_printf(&s.sb, "%u modules, %u running\n", s.shown, s.running);
	err = console_flush(c, &s.sb);
	console_table_fini(&s.table);
	mf_strbuf_release(&s.sb);
	return err;
}

/* ---- api show ------------------------------------------------------------- */

static void list_callable(void *data, const char *name, const char *owner,
			  const void *iface)
{
	const struct mf_callable *callable = iface;

	console_table_row(data, (const char *const[]){ name, owner, callable->synopsis });
}

/* Functions, then applications: one table, so both share their columns. */
int cmd_api_show(struct cmd_ctx *c)
{
	struct console_table t;
	struct mf_strbuf b = MF_STRBUF_INIT;
	size_t functions;
	int err;

	if (c->argc != 0)
		return console_bad(c, "unexpected argument '%s'", c->argv[0]);
	console_table_init(&t, 3, "  ", 2, 0);
	/* At least as wide as these columns always were. */
	t.widths[0] = 20;
	t.widths[1] = 22;
	mf_api_foreach(c->ctx, "function", list_callable, &t);
	functions = console_table_rows(&t);
	mf_api_foreach(c->ctx, "application", list_callable, &t);
	mf_strbuf_puts(&b, "Functions:\n");
	console_table_render(&t, c->width, 0, functions, &b);
	mf_strbuf_puts(&b, "Applications:\n");
	console_table_render(&t, c->width, functions, SIZE_MAX, &b);
	err = console_flush(c, &b);
	console_table_fini(&t);
	mf_strbuf_release(&b);
	return err;
}

/* ---- memory --------------------------------------------------------------- */

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
int cmd_memory(struct cmd_ctx *c)
{
	struct census n = { 0 };
	size_t in_use = mf_heap_in_use();

	if (c->argc != 0)
		return console_bad(c, "unexpected argument '%s'", c->argv[0]);
	mf_module_foreach(c->ctx, count_module, &n);
	console_say(c, "heap: %zu bytes in use (peak %zu) for %u modules, %u running: "
	       "%zu bytes/module\n", in_use, mf_heap_peak(), n.modules, n.running,
	    n.modules ? in_use / n.modules : 0);
	return 0;
}


/* ---- call ----------------------------------------------------------------- */

int cmd_call(struct cmd_ctx *c)
{
	static const char *const types[] = { "function", "application" };
	char name[128], out[1024] = "";
	const char *args = "", *p = c->rest;
	const struct mf_callable *callable;
	struct mf_api *api = NULL;
	size_t len = strcspn(p, " \t(");
	int err = -ENOENT;

	if (len == 0)
		return console_bad(c, "no function or application named");
	if (len >= sizeof(name))
		return console_bad(c, "name too long (max %zu bytes)", sizeof(name) - 1);
	memcpy(name, p, len);
	name[len] = '\0';
	p += len;
	if (*p == '(') {
		size_t alen = strlen(p + 1);
		char *a;

		if (alen == 0 || p[alen] != ')')
			return console_bad(c, "missing ')' after the arguments of %s", name);
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
		console_say(c, "%s: no such function or application%s\n", name,
		    err == -ESHUTDOWN ? " (its module is stopping)" : "");
		mf_free((char *)args);
		return err;
	}
	callable = mf_api_iface(api);
	if (!callable) {
		console_say(c, "%s: its module stopped\n", name);
		err = -ESTALE;
	} else {
		err = callable->call(mf_api_provider(api), args, out, sizeof(out));
		console_say(c, "%s%s\n", err < 0 ? "error: " : "", out);
	}
	mf_api_release(api);
	mf_free((char *)args);
	return err;
}

