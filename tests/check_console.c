/* SPDX-License-Identifier: MIT */
/*
 * The console interpreter on a fake catalog: what each command prints and
 * returns, how a bad line is refused (negative errno, a message that says
 * what is wrong, nothing changed), and completion.
 */
#include <check.h>
#include <errno.h>
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
