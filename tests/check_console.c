/* SPDX-License-Identifier: MIT */
/*
 * The console interpreter on a fake catalog: what each command prints and
 * returns, how a bad line is refused (negative errno, a message that says
 * what is wrong, nothing changed), and completion.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/console.h>

#include "fake_backend.h"

static struct mf_context *ctx;

static const char *graph =
	"[module]\nname=func_echo\ndescription=Echo what it is given\n"
	"[provides]\nfunction=ECHO\napplication=Say\n"
	"[module]\nname=app\ndescription=An application\n[uses]\nmodule=func_echo\nservice=timer\n"
	"[canuse]\nmodule=func_extra\n"
	"[module]\nname=t_hi\n[provides]\nservice=timer:200\n"
	"[module]\nname=t_lo\n[provides]\nservice=timer:100\n"
	"[module]\nname=func_extra\n";

static char out[32768];

static void collect(void *data, const char *text)
{
	size_t len = strlen(out);

	ck_assert_ptr_eq(data, out);
	snprintf(out + len, sizeof(out) - len, "%s", text);
}

/* Run one line; returns its result, with its output in out[]. */
static int run(const char *line)
{
	out[0] = '\0';
	return mf_console_exec(ctx, line, collect, out);
}

#define ck_assert_out_has(s) \
	ck_assert_msg(strstr(out, s) != NULL, "output lacks \"%s\":\n%s", s, out)
#define ck_assert_out_lacks(s) \
	ck_assert_msg(strstr(out, s) == NULL, "output has \"%s\":\n%s", s, out)

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	mf_context_set_cancel_timeout(ctx, 50);
	fake_journal_clear();
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

START_TEST(help_lists_commands)
{
	ck_assert_int_eq(run("help"), 0);
	ck_assert_out_has("module show");
	ck_assert_out_has("module load");
	ck_assert_out_has("module unload");
	ck_assert_out_has("module users");
	ck_assert_out_has("module deps");
	ck_assert_out_has("call NAME(ARGS)");
	ck_assert_int_eq(run("help me"), -EINVAL);
	ck_assert_out_has("unexpected argument 'me'");
}
END_TEST

START_TEST(blank_and_comment)
{
	ck_assert_int_eq(run(""), 0);
	ck_assert_int_eq(run("   \t "), 0);
	ck_assert_int_eq(run("# module load app"), 0);
	ck_assert_int_eq(run("\n"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(unknown_command)
{
	ck_assert_int_eq(run("frobnicate now"), -ENOSYS);
	ck_assert_out_has("unknown command 'frobnicate now'");
	ck_assert_out_has("'help'");
	ck_assert_int_eq(run("module frob app"), -ENOSYS);
	ck_assert_out_has("unknown command 'module frob app'");
	ck_assert_out_has("module load");
	ck_assert_int_eq(run("module"), -ENOSYS);
	ck_assert_out_has("'module' needs a subcommand");
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(show)
{
	ck_assert_int_eq(run("module load func_echo"), 0);
	ck_assert_int_eq(run("module show"), 0);
	ck_assert_out_has("Module");
	ck_assert_out_has("Echo what it is given");
	ck_assert_out_has("5 modules, 1 running");
	ck_assert_out_has("fake");
	ck_assert_int_eq(run("module show like t_"), 0);
	ck_assert_out_has("t_hi");
	ck_assert_out_has("t_lo");
	ck_assert_out_lacks("func_echo");
	ck_assert_out_has("2 modules, 0 running");
	ck_assert_int_eq(run("module show like"), -EINVAL);
	ck_assert_out_has("usage: module show");
	ck_assert_int_eq(run("module show extra"), -EINVAL);
	ck_assert_out_has("unexpected argument 'extra'");
}
END_TEST

START_TEST(load_and_unload)
{
	ck_assert_int_eq(run("module load app"), 0);
	ck_assert_out_has("Loaded app");
	ck_assert_out_has("started");
	ck_assert_out_has("t_hi");
	ck_assert_str_eq(fake_journal(), "load:func_echo load:t_hi load:app");
	ck_assert_int_eq(run("module unload app.so"), 0);
	ck_assert_out_has("Unloaded app.so");
	ck_assert_out_has("stopped");
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "t_hi"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(load_dry_run)
{
	ck_assert_int_eq(run("module load -n app"), 0);
	ck_assert_out_has("would start");
	ck_assert_out_has("app");
	ck_assert_out_lacks("Loaded");
	ck_assert_str_eq(fake_journal(), "");
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(load_errors)
{
	ck_assert_int_eq(run("module load"), -EINVAL);
	ck_assert_out_has("usage: module load");
	ck_assert_int_eq(run("module load -x app"), -EINVAL);
	ck_assert_out_has("unknown option '-x'");
	ck_assert_int_lt(run("module load nosuch"), 0);
	ck_assert_out_has("nosuch");
	ck_assert_out_has("no such module");
	ck_assert_int_lt(run("module load ../app"), 0);
	ck_assert_out_has("names are not paths");
	fake_fail_load(ctx, "t_hi", -EIO);
	fake_fail_load(ctx, "t_lo", -EIO);
	ck_assert_int_lt(run("module load app"), 0);
	ck_assert_out_has("FAILED");
	ck_assert_out_has("Unable to load app");
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(unload_errors)
{
	struct mf_user *u;

	ck_assert_int_eq(run("module unload"), -EINVAL);
	ck_assert_out_has("usage: module unload");
	ck_assert_int_eq(run("module unload app func_echo"), -EINVAL);
	ck_assert_out_has("one module at a time");
	ck_assert_int_eq(run("module unload -q app"), -EINVAL);
	ck_assert_out_has("unknown option '-q'");
	ck_assert_int_eq(run("module unload app"), -ENOENT);
	ck_assert_out_has("not running");
	ck_assert_out_has("Unable to unload app");
	/* Held by a module, not by the administrator: refused. */
	ck_assert_int_eq(run("module load app"), 0);
	ck_assert_int_eq(run("module unload func_echo"), -EBUSY);
	ck_assert_out_has("module app");
	ck_assert_out_has("not held by the administrator");
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_RUNNING);
	/* An object keeps it running; -f asks it to go. */
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "app"), "call-1", NULL, NULL, &u), 0);
	ck_assert_int_eq(run("module unload app"), 0);
	ck_assert_out_has("held");
	ck_assert_out_has("object call-1");
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_RUNNING);
	ck_assert_int_eq(run("module unload -n -f app"), 0);
	ck_assert_out_has("would stop");
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_RUNNING);
	ck_assert_int_eq(run("module unload -f app"), -EBUSY);
	ck_assert_out_has("cancel");
	ck_assert_out_has("call-1");
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPING);
	mf_user_remove(u);
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(users)
{
	struct mf_user *u;

	ck_assert_int_eq(run("module load app func_echo"), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "func_echo"), "session-3", NULL, NULL, &u), 0);
	ck_assert_int_eq(run("module users func_echo"), 0);
	ck_assert_out_has("func_echo (running): 3 users");
	ck_assert_out_has("admin");
	ck_assert_out_has("module");
	ck_assert_out_has("app");
	ck_assert_out_has("object");
	ck_assert_out_has("session-3");
	mf_user_remove(u);
	ck_assert_int_eq(run("module users"), -EINVAL);
	ck_assert_out_has("usage: module users");
	ck_assert_int_lt(run("module users nosuch"), 0);
	ck_assert_out_has("no such module");
}
END_TEST

START_TEST(deps)
{
	ck_assert_int_eq(run("module deps app"), 0);
	ck_assert_out_has("app uses:");
	ck_assert_out_has("not running");
	ck_assert_out_has("canuse module=func_extra");
	ck_assert_int_eq(run("module load app"), 0);
	ck_assert_int_eq(run("module deps app"), 0);
	ck_assert_out_has("-> t_hi (priority 200)");
	ck_assert_out_has("-> func_echo (priority 0)");
	ck_assert_int_eq(run("module deps"), -EINVAL);
	ck_assert_out_has("usage: module deps");
}
END_TEST

START_TEST(call)
{
	ck_assert_int_eq(run("call ECHO(hi)"), -ENOENT);
	ck_assert_out_has("ECHO: no such function or application");
	ck_assert_int_eq(run("module load func_echo"), 0);
	ck_assert_int_eq(run("call ECHO(hi there)"), 0);
	ck_assert_str_eq(out, "func_echo:hi there\n");
	ck_assert_int_eq(run("call ECHO(hi)\r\n"), 0);
	ck_assert_str_eq(out, "func_echo:hi\n");
	ck_assert_int_eq(run("call ECHO()"), 0);
	ck_assert_str_eq(out, "func_echo:\n");
	ck_assert_int_eq(run("call Say  one two"), 0);
	ck_assert_str_eq(out, "func_echo:one two\n");
	ck_assert_int_eq(run("call ECHO(hi"), -EINVAL);
	ck_assert_out_has("missing ')'");
	ck_assert_int_eq(run("call"), -EINVAL);
	ck_assert_out_has("usage: call");
	/* The call held the provider only while it ran. */
	ck_assert_uint_eq(fake_info(ctx, "func_echo").refs, 0);
}
END_TEST

struct cands {
	char text[1024];
};

static void cand(void *data, const char *c)
{
	struct cands *cs = data;
	size_t len = strlen(cs->text);

	snprintf(cs->text + len, sizeof(cs->text) - len, "%s%s", len ? " " : "", c);
}

static const char *complete(const char *line, struct cands *cs)
{
	cs->text[0] = '\0';
	ck_assert_int_eq(mf_console_complete(ctx, line, cand, cs), 0);
	return cs->text;
}

START_TEST(completion)
{
	struct cands cs;

	ck_assert_str_eq(complete("mod", &cs), "module");
	ck_assert_str_eq(complete("he", &cs), "help");
	ck_assert_str_eq(complete("module lo", &cs), "load");
	ck_assert_str_eq(complete("module u", &cs), "unload users");
	ck_assert_ptr_nonnull(strstr(complete("module ", &cs), "show load unload users deps"));
	ck_assert_ptr_nonnull(strstr(complete("", &cs), "module"));
	ck_assert_ptr_nonnull(strstr(cs.text, "help"));
	ck_assert_ptr_nonnull(strstr(cs.text, "call"));
	/* Module names, loaded or not, without ".so". */
	ck_assert_str_eq(complete("module load func_", &cs), "func_echo func_extra");
	ck_assert_str_eq(complete("module load ", &cs), "app func_echo func_extra t_hi t_lo");
	ck_assert_str_eq(complete("module load app t_", &cs), "t_hi t_lo");
	ck_assert_str_eq(complete("module users t_h", &cs), "t_hi");
	ck_assert_str_eq(complete("module unload -", &cs), "");
	ck_assert_str_eq(complete("module show ", &cs), "");
	ck_assert_str_eq(complete("nothing ", &cs), "");
	ck_assert_str_eq(complete("module load zz", &cs), "");
}
END_TEST

/* ---- one list of commands: help, completion and docs/admin.md ------------ */

/* The command words of a usage line: its leading lowercase words. */
static size_t usage_words(const char *line, char words[][32], size_t max)
{
	size_t n = 0;

	while (*line == ' ')
		line++;
	while (n < max && *line >= 'a' && *line <= 'z') {
		size_t len = strspn(line, "abcdefghijklmnopqrstuvwxyz");

		if (line[len] != ' ' && line[len] != '\0' && line[len] != '\n')
			break;
		snprintf(words[n++], sizeof(words[0]), "%.*s", (int)len, line);
		line += len;
		if (*line != ' ' || line[1] == ' ')
			break;
		line++;
	}
	return n;
}

static char *read_doc(const char *path)
{
	FILE *f = fopen(path, "r");
	static char text[1 << 17];
	size_t n;

	ck_assert_msg(f != NULL, "%s: cannot open (run from the top of the tree)", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	ck_assert_uint_lt(n, sizeof(text) - 1);
	text[n] = '\0';
	return text;
}

/* A "### " heading of @doc that names @words. */
static bool has_heading_with(const char *doc, const char *words)
{
	for (const char *h = strstr(doc, "\n### "); h; h = strstr(h + 1, "\n### ")) {
		const char *eol = strchr(h + 1, '\n');
		const char *at = strstr(h + 1, words);

		if (at && (!eol || at < eol))
			return true;
	}
	return false;
}

/*
 * docs/admin.md shows `help` as it prints, and has a section for every
 * command; completion offers exactly the words `help` lists.  A command
 * added to the table and not to the docs (or the other way) fails here.
 */
START_TEST(help_completion_and_admin_md_agree)
{
	char *doc = read_doc("docs/admin.md"), *block, *end, *help;
	char words[3][32], firsts[512] = "";
	struct cands cs;

	block = strstr(doc, "manifold> help\n");
	ck_assert_msg(block != NULL, "docs/admin.md shows no 'manifold> help'");
	block += strlen("manifold> help\n");
	end = strstr(block, "```");
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	ck_assert_int_eq(run("help"), 0);
	ck_assert_msg(strcmp(out, block) == 0,
		      "docs/admin.md's command list differs from 'help':\n%s\n--- help:\n%s",
		      block, out);
	help = strdup(out);
	ck_assert_ptr_nonnull(help);
	*end = '`';

	for (char *line = help, *nl; *line; line = nl + 1) {
		size_t n = usage_words(line, words, 3);
		char heading[128], group[64], want[64], offered[1100];

		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_ge(n, 1);
		/* Every first word is offered on an empty line... */
		if (!strstr(firsts, words[0])) {
			strcat(firsts, firsts[0] ? " " : "");
			strcat(firsts, words[0]);
		}
		/* ...every second word after its first... */
		if (n == 2) {
			snprintf(group, sizeof(group), "%s ", words[0]);
			snprintf(want, sizeof(want), " %s ", words[1]);
			snprintf(offered, sizeof(offered), " %s ", complete(group, &cs));
			ck_assert_msg(strstr(offered, want), "'%s' + tab does not offer %s",
				      group, words[1]);
		}
		/* ...and docs/admin.md explains it under a heading. */
		if (strcmp(words[0], "help") == 0)
			continue;
		snprintf(heading, sizeof(heading), "%s%s%s", words[0], n == 2 ? " " : "",
			 n == 2 ? words[1] : "");
		ck_assert_msg(has_heading_with(doc, heading),
			      "docs/admin.md has no '### ' section for '%s'", heading);
	}
	ck_assert_str_eq(complete("", &cs), firsts);
	/* Nothing is offered that help does not list. */
	complete("module ", &cs);
	for (char *w = strtok(cs.text, " "); w; w = strtok(NULL, " ")) {
		char line[64];

		snprintf(line, sizeof(line), "  module %s ", w);
		ck_assert_msg(strstr(help, line), "completion offers 'module %s'; help lacks it", w);
	}
	free(help);
}
END_TEST

START_TEST(long_line_refused)
{
	char line[2100];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(run(line), -E2BIG);
	ck_assert_out_has("too long");
	ck_assert_int_eq(mf_console_complete(ctx, line, cand, NULL), -E2BIG);
}
END_TEST

/* ---- layout: long names, long descriptions, narrow terminals ------------- */

#define LONG26 "res_pjsip_outbound_publish"
#define LONG48 "res_pjsip_outbound_publish_and_a_longer_name_too"
#define LONG_DESC "Publishes presence and message-waiting state to an outbound " \
	"SIP server, one PUBLISH per resource, refreshed before expiry"

static const char *long_graph =
	"[module]\nname=" LONG48 "\ndescription=" LONG_DESC "\n"
	"[uses]\nmodule=" LONG26 "\nservice=publisher\n"
	"[module]\nname=" LONG26 "\ndescription=Caf\xc3\xa9 \xc3\xa9t\xc3\xa9 "
	"na\xc3\xafve r\xc3\xa9sum\xc3\xa9 d\xc3\xa9j\xc3\xa0 vu, twelve more chars\n"
	"[module]\nname=pub\n[provides]\nservice=publisher\n";

static void long_setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, long_graph), 0);
	fake_journal_clear();
}

/* Run one line for a terminal @width columns wide. */
static int run_width(const char *line, unsigned width)
{
	struct mf_console_out o = { .out = collect, .data = out, .width = width };

	out[0] = '\0';
	return mf_console_run(ctx, line, &o);
}

/* The line of out[] that starts with @start, or fail. */
static const char *line_of(const char *start)
{
	const char *p = out;

	for (; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, start, strlen(start)) == 0)
			return p;
	ck_abort_msg("no line starts with '%s':\n%s", start, out);
	return NULL;
}

/* Characters (not bytes) before @at on its line. */
static size_t column_of(const char *line, const char *at)
{
	size_t n = 0;

	for (; line < at; line++)
		n += ((unsigned char)*line & 0xc0) != 0x80;
	return n;
}

static size_t line_columns(const char *line)
{
	return column_of(line, line + strcspn(line, "\n"));
}

/* Without a terminal: full names, full descriptions, columns in line. */
START_TEST(show_sizes_columns_to_the_content)
{
	const char *head, *a, *b;
	size_t desc, state;

	ck_assert_int_eq(run("module show"), 0);
	head = line_of("Module ");
	a = line_of(LONG48 " ");
	b = line_of(LONG26 " ");
	desc = column_of(head, strstr(head, "Description"));
	state = column_of(head, strstr(head, "State"));
	ck_assert_uint_eq(desc, strlen(LONG48) + 1);
	ck_assert_uint_eq(column_of(a, strstr(a, LONG_DESC)), desc);
	ck_assert_uint_eq(column_of(b, strstr(b, "Caf")), desc);
	ck_assert_uint_eq(state, desc + strlen(LONG_DESC) + 1);
	ck_assert_uint_eq(column_of(a, strstr(a, "stopped")), state);
	ck_assert_uint_eq(column_of(b, strstr(b, "stopped")), state);
	ck_assert_out_lacks("...");
	ck_assert_out_has("3 modules, 0 running\n");
}
END_TEST

/* On a terminal: the description gives way, with a mark; names never do. */
START_TEST(show_fits_the_terminal)
{
	const char *head, *a, *b;

	ck_assert_int_eq(run_width("module show", 100), 0);
	head = line_of("Module ");
	a = line_of(LONG48 " ");
	b = line_of(LONG26 " ");
	ck_assert_uint_eq(line_columns(head), 100);
	ck_assert_uint_le(line_columns(a), 100);
	ck_assert_uint_le(line_columns(b), 100);
	ck_assert_ptr_nonnull(strstr(a, "... stopped"));
	ck_assert_ptr_null(strstr(a, LONG_DESC));
	ck_assert_uint_eq(column_of(a, strstr(a, "stopped")),
			  column_of(head, strstr(head, "State")));
	/* A cut never splits a character: the UTF-8 description stays valid. */
	ck_assert_ptr_nonnull(strstr(b, "Caf\xc3\xa9 \xc3\xa9t\xc3\xa9"));
	/* A terminal wide enough cuts nothing. */
	ck_assert_int_eq(run_width("module show", 400), 0);
	ck_assert_out_has(LONG_DESC " ");
	ck_assert_out_lacks("...");
	/* Too narrow for anything: the names still come whole. */
	ck_assert_int_eq(run_width("module show", 20), 0);
	a = line_of(LONG48 " ");
	ck_assert_ptr_nonnull(strstr(a, LONG48 " Publishes... stopped"));
	/* JSON is for scripts: never cut. */
	ck_assert_int_eq(run_width("module show -j", 20), 0);
	ck_assert_out_has("\"description\": \"" LONG_DESC "\"");
	ck_assert_out_lacks("...");
}
END_TEST

/* Event lines, users and deps keep their columns for long names. */
START_TEST(long_names_keep_event_columns)
{
	const char *a, *b;

	ck_assert_int_eq(run("module load " LONG48), 0);
	a = line_of("  started   " LONG26 " ");
	b = line_of("  started   " LONG48 " ");
	ck_assert_uint_eq(column_of(a, strstr(a, "core")), 12 + strlen(LONG48) + 3);
	ck_assert_uint_eq(column_of(b, strstr(b, "core")), 12 + strlen(LONG48) + 3);
	a = line_of("  started   pub ");
	ck_assert_uint_eq(column_of(a, strstr(a, "core")), 12 + strlen(LONG48) + 3);

	ck_assert_int_eq(run("module unload -n -f " LONG26), 0);
	a = line_of("  would stop  " LONG48 " ");
	b = line_of("  would stop  " LONG26 " ");
	ck_assert_uint_eq(column_of(a, strstr(a, "forced")), 14 + strlen(LONG48) + 1);
	ck_assert_uint_eq(column_of(b, strstr(b, "forced")), 14 + strlen(LONG48) + 1);

	ck_assert_int_eq(run("module users " LONG26), 0);
	a = line_of("  module   " LONG48 " ");
	ck_assert_ptr_nonnull(strstr(a, LONG48 " module=" LONG26 "\n"));
	ck_assert_int_eq(run("module deps " LONG48), 0);
	a = line_of("  module=" LONG26);
	b = line_of("  service=publisher ");
	ck_assert_uint_eq(column_of(a, strstr(a, "->")), column_of(b, strstr(b, "->")));
	ck_assert_uint_eq(column_of(a, strstr(a, "->")), 2 + strlen("module=" LONG26) + 1);

	/* Short names keep the 24 columns the boot lines always had. */
	ck_assert_int_eq(run("module unload " LONG48), 0);
	ck_assert_ptr_null(mf_context_unref(ctx));
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	ck_assert_int_eq(run("module load func_echo"), 0);
	ck_assert_str_eq(out, "  started   func_echo                core       console: module load\n"
			      "Loaded func_echo\n");
}
END_TEST

Suite *make_console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("console");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, help_lists_commands);
	tcase_add_test(tc, blank_and_comment);
	tcase_add_test(tc, unknown_command);
	tcase_add_test(tc, show);
	tcase_add_test(tc, load_and_unload);
	tcase_add_test(tc, load_dry_run);
	tcase_add_test(tc, load_errors);
	tcase_add_test(tc, unload_errors);
	tcase_add_test(tc, users);
	tcase_add_test(tc, deps);
	tcase_add_test(tc, call);
	tcase_add_test(tc, completion);
	tcase_add_test(tc, long_line_refused);
	tcase_add_test(tc, help_completion_and_admin_md_agree);
	suite_add_tcase(s, tc);

	tc = tcase_create("layout");
	tcase_add_checked_fixture(tc, long_setup, teardown);
	tcase_add_test(tc, show_sizes_columns_to_the_content);
	tcase_add_test(tc, show_fits_the_terminal);
	tcase_add_test(tc, long_names_keep_event_columns);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_console_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
