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

#define MAX_WORDS 32
#define LINE_MAX_LEN 1024

struct cmd_ctx {
	struct mf_context *ctx;
	mf_out_fn out;
	void *data;
	int argc;
	char **argv;   /* words after the command's own */
	const char *rest; /* raw text after the command's own words */
};

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

/* ---- module show -------------------------------------------------------- */

struct show {
	struct cmd_ctx *c;
	const char *like;
	unsigned shown, running;
};

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
	say(s->c, "%-24s %-40.40s %-9s %5u %-10s %s\n", info.name,
	    info.description, mf_state_name(info.state), info.users + info.refs,
	    level_name(info.support_level), info.backend);
	return 0;
}

static int cmd_module_show(struct cmd_ctx *c)
{
	struct show s = { .c = c };

	if (c->argc == 2 && strcmp(c->argv[0], "like") == 0) {
		s.like = c->argv[1];
	} else if (c->argc != 0) {
		say(c, "usage: module show [like PATTERN]\n");
		return -EINVAL;
	}
	say(c, "%-24s %-40s %-9s %5s %-10s %s\n", "Module", "Description", "State",
	    "Use", "Support", "Backend");
	mf_module_foreach(c->ctx, show_one, &s);
	say(c, "%u modules, %u running\n", s.shown, s.running);
	return 0;
}

/* ---- load / unload ------------------------------------------------------ */

static int parse_flags(struct cmd_ctx *c, const char *allowed, unsigned *flags,
		       int *first)
{
	int i;

	*flags = 0;
	for (i = 0; i < c->argc && c->argv[i][0] == '-'; i++) {
		const char *f = c->argv[i];

		if (strlen(f) != 2 || !strchr(allowed, f[1])) {
			say(c, "unknown option '%s'\n", f);
			return -EINVAL;
		}
		*flags |= f[1] == 'n' ? MF_OP_DRY_RUN : MF_OP_FORCE;
	}
	*first = i;
	return 0;
}

static int cmd_module_load(struct cmd_ctx *c)
{
	struct mf_console_out o = { c->out, c->data };
	struct mf_request *reqs;
	unsigned flags;
	int first, err;

	if (parse_flags(c, "n", &flags, &first) < 0 || first == c->argc) {
		say(c, "usage: module load [-n] NAME...\n");
		return -EINVAL;
	}
	reqs = calloc((size_t)(c->argc - first), sizeof(*reqs));
	if (!reqs)
		return -ENOMEM;
	for (int i = first; i < c->argc; i++) {
		reqs[i - first].name = c->argv[i];
		reqs[i - first].why = "console: module load";
	}
	err = mf_load(c->ctx, reqs, (size_t)(c->argc - first), flags,
		      mf_console_print_event, &o);
	for (int i = first; i < c->argc && !(flags & MF_OP_DRY_RUN); i++)
		say(c, "%s %s\n", reqs[i - first].result == 0 ? "Loaded" : "Unable to load",
		    c->argv[i]);
	free(reqs);
	return err;
}

static int cmd_module_unload(struct cmd_ctx *c)
{
	struct mf_console_out o = { c->out, c->data };
	unsigned flags;
	int first, err;

	if (parse_flags(c, "nf", &flags, &first) < 0 || first != c->argc - 1) {
		say(c, "usage: module unload [-n] [-f] NAME\n");
		return -EINVAL;
	}
	err = mf_unload(c->ctx, c->argv[first], flags, mf_console_print_event, &o);
	if (!(flags & MF_OP_DRY_RUN))
		say(c, "%s %s\n", err == 0 ? "Unloaded" : "Unable to unload",
		    c->argv[first]);
	return err;
}

static int find_module(struct cmd_ctx *c, const char *name, struct mf_module **mod)
{
	int err = mf_module_find(c->ctx, name, mod);

	if (err == -EINVAL)
		say(c, "%s: invalid module name (names are not paths)\n", name);
	else if (err < 0)
		say(c, "%s: no such module\n", name);
	return err;
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

	if (c->argc != 1) {
		say(c, "usage: module users NAME\n");
		return -EINVAL;
	}
	if (find_module(c, c->argv[0], &mod) < 0)
		return -ENOENT;
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

	if (c->argc != 1) {
		say(c, "usage: module deps NAME\n");
		return -EINVAL;
	}
	if (find_module(c, c->argv[0], &mod) < 0)
		return -ENOENT;
	say(c, "%s uses:\n", mf_module_name(mod));
	mf_module_deps(mod, print_dep, c);
	n = mf_module_refs(mod, "canuse", &refs);
	for (size_t i = 0; i < n; i++)
		say(c, "  canuse %s=%s\n", refs[i].type, refs[i].name);
	return 0;
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

	if (len == 0 || len >= sizeof(name)) {
		say(c, "usage: call NAME(ARGS) | call NAME ARGS\n");
		return -EINVAL;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	p += len;
	if (*p == '(') {
		size_t alen = strlen(p + 1);
		char *a;

		if (alen == 0 || p[alen] != ')') {
			say(c, "call: missing ')' after the arguments of %s\n", name);
			return -EINVAL;
		}
		a = strndup(p + 1, alen - 1);
		if (!a)
			return -ENOMEM;
		for (size_t i = 0; i < 2 && err == -ENOENT; i++)
			err = mf_api_find(c->ctx, types[i], name, &api);
		args = a;
	} else {
		args = p + strspn(p, " \t");
		for (size_t i = 0; i < 2 && err == -ENOENT; i++)
			err = mf_api_find(c->ctx, types[i], name, &api);
		args = strdup(args);
		if (!args) {
			if (err == 0)
				mf_api_release(api);
			return -ENOMEM;
		}
	}
	if (err < 0) {
		say(c, "%s: no such function or application%s\n", name,
		    err == -ESHUTDOWN ? " (its module is stopping)" : "");
		free((char *)args);
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
	free((char *)args);
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
	if (c->argc != 0) {
		say(c, "usage: api show\n");
		return -EINVAL;
	}
	say(c, "Functions:\n");
	mf_api_foreach(c->ctx, "function", print_callable, c);
	say(c, "Applications:\n");
	mf_api_foreach(c->ctx, "application", print_callable, c);
	return 0;
}

/* ---- table -------------------------------------------------------------- */

static int cmd_help(struct cmd_ctx *c);

struct command {
	const char *words[3];
	const char *usage;
	int (*run)(struct cmd_ctx *c);
	bool module_arg; /* complete module names after the words */
};

static const struct command commands[] = {
	{ { "module", "show" }, "module show [like PATTERN]   list modules", cmd_module_show, false },
	{ { "module", "load" }, "module load [-n] NAME...     start modules and what they use", cmd_module_load, true },
	{ { "module", "unload" }, "module unload [-n] [-f] NAME stop a module (-f: make its users go)", cmd_module_unload, true },
	{ { "module", "users" }, "module users NAME            who holds a module", cmd_module_users, true },
	{ { "module", "deps" }, "module deps NAME             what a module uses, and from whom", cmd_module_deps, true },
	{ { "api", "show" }, "api show                     registered functions and applications", cmd_api_show, false },
	{ { "call" }, "call NAME(ARGS)              run a function or application", cmd_call, false },
	{ { "help" }, "help                         this list", cmd_help, false },
};

static int cmd_help(struct cmd_ctx *c)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		say(c, "  %s\n", commands[i].usage);
	return 0;
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
		c.argc = (int)(nw - k);
		c.argv = words + k;
		c.rest = k < nw ? rests[k] : "";
		return cmd->run(&c);
	}
	say(&c, "unknown command '%s'; 'help' lists the commands\n", rests[0]);
	return -ENOSYS;
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
		if (j != nw && !(j == k && cmd->module_arg))
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
		} else if (cmd->module_arg && j == k) {
			struct complete cp = { prefix, fn, data };

			if (prefix[0] != '-')
				mf_module_foreach(ctx, complete_module, &cp);
			break;
		}
	}
	return 0;
}
