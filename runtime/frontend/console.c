/* SPDX-License-Identifier: MIT */
/*
 * Console commands.  Each command is a row of the table below: its words, a
 * usage line and a handler.  The interpreter splits the line into words,
 * finds the longest matching command and hands it the rest.  A bad command
 * prints why and what would have been right, and changes nothing.  `help`
 * and completion (console_complete.c) read the same table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/console.h>
#include <manifold/moddir.h>

#include "util/alloc.h"
#include "frontend/console_cmd.h"

/* Lines fit the stack; a longer one (a long reason) is printed whole. */
void console_say(struct cmd_ctx *c, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(buf)) {
		c->out(c->data, buf);
	} else if (n >= 0) {
		struct mf_strbuf b = MF_STRBUF_INIT;

		va_start(ap, fmt);
		mf_strbuf_vprintf(&b, fmt, ap);
		va_end(ap);
		console_flush(c, &b);
		mf_strbuf_release(&b);
	}
}

const char *console_level_name(enum mf_support_level l)
{
	const char *n = mf_support_level_name(l);

	return n ? n : "?";
}

int console_flush(struct cmd_ctx *c, struct mf_strbuf *b)
{
	int err = b->oom ? -ENOMEM : 0;

	if (b->oom && !c->oom_said) {
		c->out(c->data, "out of memory\n");
		c->oom_said = true;
	} else if (!b->oom && b->len) {
		c->out(c->data, b->p);
	}
	mf_strbuf_reset(b);
	return err;
}

static void print_usage(struct cmd_ctx *c, const struct command *cmd)
{
	const char *end = strstr(cmd->usage, "  ");
	int n = end ? (int)(end - cmd->usage) : (int)strlen(cmd->usage);

	console_say(c, "usage: %.*s\n", n, cmd->usage);
}

int console_bad(struct cmd_ctx *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_say(c, "%s%s%s: %s\n", c->cmd->words[0], c->cmd->words[1] ? " " : "",
		    c->cmd->words[1] ? c->cmd->words[1] : "", buf);
	print_usage(c, c->cmd);
	return -EINVAL;
}

/*
 * One line per event.  The name column is as wide as the output pair says
 * (the longest name of the catalog, mf_console_name_width()), so that the
 * support level and reason stay in their columns for any name; a stack
 * buffer, since events are printed under the context lock.
 */
void mf_console_print_event(void *out_pair, const struct mf_event *ev)
{
	const struct mf_console_out *o = out_pair;
	int w = o->name_width > CONSOLE_NAME_MIN ? (int)o->name_width : CONSOLE_NAME_MIN;
	const char *level = console_level_name(ev->support_level);
	char buf[2048];

	switch (ev->kind) {
	case MF_EVENT_START:
		snprintf(buf, sizeof(buf), "  started   %-*s %-10s %s\n", w, ev->module,
			 level, ev->detail);
		break;
	case MF_EVENT_STOP:
		snprintf(buf, sizeof(buf), "  stopped   %-*s %-10s %s\n", w, ev->module,
			 level, ev->detail);
		break;
	case MF_EVENT_WOULD_START:
		snprintf(buf, sizeof(buf), "  would start %-*s %s\n", w - 2, ev->module,
			 ev->detail);
		break;
	case MF_EVENT_WOULD_STOP:
		snprintf(buf, sizeof(buf), "  would stop  %-*s %s\n", w - 2, ev->module,
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

static int widest_name(struct mf_module *mod, void *data)
{
	unsigned *w = data;
	size_t n = strlen(mf_module_name(mod));

	if (n > *w)
		*w = (unsigned)n;
	return 0;
}

/* Two more than the longest name: "would start" puts its name two columns
 * to the right of where "started" does. */
unsigned mf_console_name_width(struct mf_context *ctx)
{
	unsigned w = 0;

	mf_module_foreach(ctx, widest_name, &w);
	return w + 2 > CONSOLE_NAME_MIN ? w + 2 : CONSOLE_NAME_MIN;
}

struct mf_console_out console_events(struct cmd_ctx *c)
{
	if (!c->name_width)
		c->name_width = mf_console_name_width(c->ctx);
	return (struct mf_console_out){ .out = c->out, .data = c->data,
					.name_width = c->name_width, .width = c->width };
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
			return console_bad(c, "unknown option '%s'", f);
		*flags |= f[1] == 'n' ? MF_OP_DRY_RUN : MF_OP_FORCE;
	}
	*first = i;
	return 0;
}

/* Why @name names no module, or NULL when it names one. */
const char *console_name_problem(struct cmd_ctx *c, const char *name)
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
	struct mf_console_out o = console_events(c);
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
		return console_bad(c, "no module named");
	/* Every name first: a typo must not leave half the list started. */
	for (int i = first; i < c->argc; i++) {
		const char *why = console_name_problem(c, c->argv[i]);

		if (why)
			return console_bad(c, "%s: %s", c->argv[i], why);
	}
	/* At most CONSOLE_MAX_WORDS, which the compiler cannot see by itself. */
	n = (size_t)(c->argc - first);
	reqs = n <= CONSOLE_MAX_WORDS ? mf_calloc(n, sizeof(*reqs)) : NULL;
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
		console_say(c, "%s %s\n", reqs[i - first].result == 0 ? "Loaded" : "Unable to load",
		    c->argv[i]);
	mf_free(reqs);
	return err;
}

static int cmd_module_unload(struct cmd_ctx *c)
{
	struct mf_console_out o = console_events(c);
	const char *why;
	unsigned flags;
	int first, err;

	err = parse_flags(c, "nf", &flags, &first);
	if (err < 0)
		return err;
	if (first == c->argc)
		return console_bad(c, "no module named");
	if (first != c->argc - 1)
		return console_bad(c, "one module at a time ('%s' is one too many)",
			   c->argv[first + 1]);
	why = console_name_problem(c, c->argv[first]);
	if (why)
		return console_bad(c, "%s: %s", c->argv[first], why);
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
			console_say(c, "Released %s: still %s, it stops when its last user goes\n",
			    c->argv[first], mf_state_name(info.state));
			return 0;
		}
	}
	console_say(c, "%s %s\n", err == 0 ? "Unloaded" : "Unable to unload", c->argv[first]);
	return err;
}

static int cmd_help(struct cmd_ctx *c);

/* ---- module refresh ------------------------------------------------------ */

/* Read the module directory again (mf_load() does it too, before each load). */
static int cmd_module_refresh(struct cmd_ctx *c)
{
	struct mf_console_out o = console_events(c);
	int n;

	if (c->argc != 0)
		return console_bad(c, "unexpected argument '%s'", c->argv[0]);
	n = mf_moddir_refresh(c->ctx, mf_console_print_event, &o);
	if (n == -EOPNOTSUPP)
		console_say(c, "module refresh: %s\n", MF_MODDIR_UNSUPPORTED);
	else if (n == -ENOENT)
		console_say(c, "module refresh: no module directory is set\n");
	else if (n < 0)
		console_say(c, "module refresh: %s\n", strerror(-n));
	else
		console_say(c, "%s: %d change%s\n", mf_moddir_path(c->ctx), n, n == 1 ? "" : "s");
	return n < 0 ? n : 0;
}

/* ---- the command table --------------------------------------------------- */

/* The one list of commands: the interpreter, `help` and completion read it,
 * and tests/check_console.c compares docs/admin.md with `help`. */
const struct command console_commands[] = {
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

const size_t console_n_commands = sizeof(console_commands) / sizeof(console_commands[0]);

static int cmd_help(struct cmd_ctx *c)
{
	if (c->argc != 0)
		return console_bad(c, "unexpected argument '%s'", c->argv[0]);
	for (size_t i = 0; i < console_n_commands; i++)
		console_say(c, "  %s\n", console_commands[i].usage);
	return 0;
}

/* A line that names no command: if its first word starts a group of
 * commands ("module"), show that group's usages. */
static int unknown_command(struct cmd_ctx *c, const char *first, const char *line,
			   size_t nw)
{
	bool group = false;

	for (size_t i = 0; i < console_n_commands && !group; i++)
		group = console_commands[i].words[1] && strcmp(console_commands[i].words[0], first) == 0;
	if (group && nw == 1)
		console_say(c, "'%s' needs a subcommand\n", first);
	else
		console_say(c, "unknown command '%s'; 'help' lists the commands\n", line);
	if (!group)
		return -ENOSYS;
	console_say(c, "usage:\n");
	for (size_t i = 0; i < console_n_commands; i++) {
		const char *u = console_commands[i].usage, *end = strstr(u, "  ");

		if (strcmp(console_commands[i].words[0], first) == 0)
			console_say(c, "  %.*s\n", end ? (int)(end - u) : (int)strlen(u), u);
	}
	return -ENOSYS;
}

size_t console_cmd_words(const struct command *cmd)
{
	size_t n = 0;

	while (n < 3 && cmd->words[n])
		n++;
	return n;
}

int mf_console_exec(struct mf_context *ctx, const char *line, mf_out_fn out,
		    void *data)
{
	struct mf_console_out o = { .out = out, .data = data };

	return mf_console_run(ctx, line, &o);
}

int mf_console_run(struct mf_context *ctx, const char *line,
		   const struct mf_console_out *o)
{
	char buf[CONSOLE_LINE_MAX + 1], raw[CONSOLE_LINE_MAX + 1], *words[CONSOLE_MAX_WORDS];
	const char *rests[CONSOLE_MAX_WORDS];
	struct cmd_ctx c = { .ctx = ctx, .out = o->out, .data = o->data, .width = o->width };
	char *save = NULL;
	size_t len = strlen(line), nw = 0;
	int err;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > CONSOLE_LINE_MAX) {
		console_say(&c, "command too long (%zu bytes, max %d)\n", len, CONSOLE_LINE_MAX);
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
		if (nw == CONSOLE_MAX_WORDS) {
			console_say(&c, "too many words (max %d)\n", CONSOLE_MAX_WORDS);
			return -E2BIG;
		}
		rests[nw] = raw + (w - buf);
		words[nw++] = w;
	}
	if (nw == 0)
		return 0;
	for (size_t i = 0; i < console_n_commands; i++) {
		const struct command *cmd = &console_commands[i];
		size_t k = console_cmd_words(cmd), j;

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
			console_say(&c, "out of memory\n");
		return err;
	}
	return unknown_command(&c, words[0], rests[0], nw);
}

