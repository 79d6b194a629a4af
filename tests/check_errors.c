/* SPDX-License-Identifier: MIT */
/*
 * The rows of docs/errors.md that no other suite asserts word for word:
 * the console's whole output for bad input and misbehaving modules, as the
 * administrator reads it, and the notes a configuration gets.  Each test
 * names the row it backs.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>
#include <manifold/console.h>
#include <manifold/moddir.h>

#include "util/alloc.h"
#include "fake_backend.h"

static struct mf_context *ctx;
static char out[16384];

static const char catalog[] =
	"[module]\nname=app\n[uses]\nmodule=core\n"
	"[module]\nname=core\nconfig=core.conf\n"
	"[module]\nname=cyc_a\n[uses]\nmodule=cyc_b\n"
	"[module]\nname=cyc_b\n[uses]\nmodule=cyc_a\n";

static void collect(void *data, const char *text)
{
	size_t len = strlen(out);

	(void)data;
	snprintf(out + len, sizeof(out) - len, "%s", text);
}

static int run(const char *line)
{
	out[0] = '\0';
	return mf_console_exec(ctx, line, collect, NULL);
}

static void setup(void)
{
	fake_journal_clear();
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, catalog), 0);
	mf_context_set_cancel_timeout(ctx, 50);
}

static void teardown(void)
{
	mf_alloc_fail_nth(0);
	ck_assert_ptr_null(mf_context_unref(ctx));
}

#define ck_assert_run(line, result, output)                                     \
	do {                                                                   \
		ck_assert_int_eq(run(line), result);                           \
		ck_assert_str_eq(out, output);                                 \
	} while (0)

/* Console commands: a line longer than 1024 bytes. */
START_TEST(long_command)
{
	char line[1101];

	memset(line, 'x', 1100);
	line[1100] = '\0';
	ck_assert_run(line, -E2BIG, "command too long (1100 bytes, max 1024)\n");
}
END_TEST

/* Console commands: unload of a module not running; refresh with no
 * module directory. */
START_TEST(unload_not_running_and_refresh_without_directory)
{
	ck_assert_run("module unload app", -ENOENT,
		      "  FAILED    app: not running\nUnable to unload app\n");
	/* An image built without CONFIG_MODULES has no directory to read. */
	if (mf_moddir_refresh(ctx, NULL, NULL) == -EOPNOTSUPP)
		ck_assert_run("module refresh", -EOPNOTSUPP,
			      "module refresh: " MF_MODDIR_UNSUPPORTED "\n");
	else
		ck_assert_run("module refresh", -ENOENT,
			      "module refresh: no module directory is set\n");
}
END_TEST

/* Module behaviour: a load callback that fails, seen from the console. */
START_TEST(load_callback_fails)
{
	fake_fail_load(ctx, "core", -EIO);
	ck_assert_run("module load app", -ENOENT,
		      "  FAILED    core: load callback failed: Input/output error\n"
		      "  note      core: not started\n"
		      "  note      app: not started\n"
		      "  FAILED    app: app uses module=core: core failed to start: "
		      "load callback failed: Input/output error\n"
		      "Unable to load app\n");
	ck_assert_str_eq(fake_journal(), "load:core:fail");
}
END_TEST

/* Module behaviour: a dependency cycle. */
START_TEST(cycle)
{
	ck_assert_run("module load cyc_a", -ELOOP,
		      "  FAILED    cyc_a: cycle: cyc_a -> cyc_b -> cyc_a\n"
		      "Unable to load cyc_a\n");
}
END_TEST

static void never(struct mf_user *user, void *data)
{
	(void)user;
	(void)data;
}

/* Module behaviour: an object user that never cancels. */
START_TEST(user_never_cancels)
{
	struct mf_user *u;

	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "core"), "stuck-call", never, NULL, &u), 0);
	ck_assert_run("module unload core", -EBUSY,
		      "  held      core: in use by module app, object stuck-call; not held "
		      "by the administrator (use -f to force)\n"
		      "Unable to unload core\n");
	ck_assert_run("module unload -f core", -EBUSY,
		      "  cancel    core: asked stuck-call to go\n"
		      "  stopped   app                      core       forced unload\n"
		      "  held      core: in use by object stuck-call\n"
		      "Unable to unload core\n");
	/* Its registrations are gone; it stops when the user finally goes. */
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPING);
	mf_user_remove(u);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
}
END_TEST

/* The loader runs out of memory: the console says so, whichever
 * allocation failed. */
START_TEST(out_of_memory)
{
	/* The console's request list, then mf_load()'s own first one. */
	mf_alloc_fail_nth(1);
	ck_assert_run("module load app", -ENOMEM, "out of memory\n");
	mf_alloc_fail_nth(1);
	ck_assert_run("module show -j", -ENOMEM, "out of memory\n");
	mf_alloc_fail_nth(2);
	ck_assert_run("module load app", -ENOMEM,
		      "  FAILED    app: out of memory: nothing of this load was started\n"
		      "Unable to load app\n");
	mf_alloc_fail_nth(0);
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
}
END_TEST

static struct fake_events ev;

/* extconfig.conf: a file no module reads is noted, and harmless. */
START_TEST(extconfig_file_nobody_reads)
{
	static const char ext[] = "[settings]\nnobody.conf => odbc\ncore.conf => sqlite3\n";
	struct mf_config *cfg;
	char buf[MF_ERR_MAX];

	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_extconfig(cfg, "e.conf", ext, strlen(ext), NULL, 0), 0);
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, fake_events_fn, &ev), 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_NOTE, "nobody.conf", buf, sizeof(buf)),
			 "e.conf:2: no module reads nobody.conf");
	ck_assert_uint_eq(ev.count, 1);
	mf_config_free(cfg);
}
END_TEST

Suite *make_errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("console");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, long_command);
	tcase_add_test(tc, unload_not_running_and_refresh_without_directory);
	tcase_add_test(tc, load_callback_fails);
	tcase_add_test(tc, cycle);
	tcase_add_test(tc, user_never_cancels);
	tcase_add_test(tc, out_of_memory);
	tcase_add_test(tc, extconfig_file_nobody_reads);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_errors_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
