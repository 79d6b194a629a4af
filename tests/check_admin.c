/* SPDX-License-Identifier: MIT */
/*
 * The seed's modules.conf and extconfig.conf examples, applied to a catalog
 * of fake modules named as in the seed, with the behaviour the seed
 * describes: autoload=no starts only what require/load ask for and what they
 * use; [uses] lines make chan_sip hold its admin-declared dependencies, so
 * pbx_config cannot be unloaded before chan_sip; extconfig makes pbx_config
 * use the realtime driver's provider; neverload wins over load and cannot be
 * bypassed by any road a module might start by.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>

#include "fake_backend.h"

#ifndef MF_TEST_DATA_DIR
#define MF_TEST_DATA_DIR "tests/data/config"
#endif

static const char *const seed_world =
	"[module]\nname=chan_sip\nload_priority=channel_driver\n"
	"[module]\nname=cdr_custom\nload_priority=cdr_driver\n"
	"[module]\nname=res_timing_timerfd\nload_priority=timing\n"
	"[provides]\ntiming=timerfd\nservice=timer:200\n"
	"[module]\nname=res_rtp_asterisk\n"
	"[module]\nname=pbx_config\nconfig=extensions.conf\n"
	"[module]\nname=app_dial\n"
	"[module]\nname=app_stack\n[provides]\napplication=Gosub\n"
	"[module]\nname=func_global\n[provides]\nfunction=GLOBAL\n"
	"[module]\nname=func_channel\n[provides]\nfunction=CHANNEL\n"
	"[module]\nname=res_config_sqlite3\nload_priority=realtime_driver\n"
	"[provides]\nrealtime=sqlite3\n"
	"[module]\nname=app_system\n"
	"[module]\nname=func_shell\n"
	"[module]\nname=app_unrelated\n";

static struct mf_context *ctx;
static struct mf_config *cfg;
static struct fake_events ev;

static void load_config(const char *modules_conf, const char *extconfig_conf)
{
	char err[MF_ERR_MAX] = "";

	mf_config_free(cfg);
	cfg = NULL;
	ck_assert_msg(mf_config_load(&cfg, modules_conf, extconfig_conf, err,
				     sizeof(err)) == 0, "%s", err);
}

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, seed_world), 0);
	load_config(MF_TEST_DATA_DIR "/seed-modules.conf",
		    MF_TEST_DATA_DIR "/seed-extconfig.conf");
	fake_journal_clear();
	fake_events_clear(&ev);
}

static void teardown(void)
{
	mf_config_free(cfg);
	cfg = NULL;
	mf_context_unref(ctx);
	ctx = NULL;
}

static int boot(void)
{
	ck_assert_int_eq(mf_config_apply(ctx, cfg, fake_events_fn, &ev), 0);
	return mf_boot(ctx, cfg, fake_events_fn, &ev);
}

/* Position of "load:NAME " in the journal, to compare start order. */
static long started_at(const char *name)
{
	char word[96];
	const char *j = fake_journal(), *p;

	snprintf(word, sizeof(word), "load:%s", name);
	for (p = strstr(j, word); p; p = strstr(p + 1, word))
		if ((p == j || p[-1] == ' ') && (p[strlen(word)] == ' ' || !p[strlen(word)]))
			return p - j;
	return -1;
}

START_TEST(seed_boot_starts_what_is_asked_and_used)
{
	static const char *const running[] = {
		"chan_sip", "cdr_custom", "res_timing_timerfd", "res_rtp_asterisk",
		"pbx_config", "app_dial", "app_stack", "func_global",
		"func_channel", "res_config_sqlite3",
	};
	static const char *const stopped[] = { "app_system", "func_shell", "app_unrelated" };
	char buf[512];

	ck_assert_int_eq(boot(), 0);
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		ck_assert_msg(fake_state(ctx, running[i]) == MF_STATE_RUNNING,
			      "%s not running; events:\n%s", running[i], ev.lines);
	for (size_t i = 0; i < sizeof(stopped) / sizeof(stopped[0]); i++)
		ck_assert_msg(fake_state(ctx, stopped[i]) == MF_STATE_STOPPED,
			      "%s running", stopped[i]);
	/* "load=app_system will be ignored because of neverload." */
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_NOTE, "app_system", buf, sizeof(buf)),
			 MF_TEST_DATA_DIR "/seed-modules.conf:4: load ignored, neverloaded at "
			 MF_TEST_DATA_DIR "/seed-modules.conf:7");
	/* Every dependency before its user. */
	ck_assert(started_at("res_config_sqlite3") < started_at("pbx_config"));
	ck_assert(started_at("app_stack") < started_at("pbx_config"));
	ck_assert(started_at("func_global") < started_at("pbx_config"));
	ck_assert(started_at("app_dial") < started_at("pbx_config"));
	ck_assert(started_at("pbx_config") < started_at("chan_sip"));
	ck_assert(started_at("cdr_custom") < started_at("chan_sip"));
	/* Why each started: the config line, or the user and its line. */
	ck_assert_str_eq(fake_info(ctx, "chan_sip").why,
			 MF_TEST_DATA_DIR "/seed-modules.conf:3 require");
	ck_assert_str_eq(fake_info(ctx, "app_stack").why,
			 "used by pbx_config (application=Gosub)");
	ck_assert_str_eq(fake_info(ctx, "res_config_sqlite3").why,
			 "used by pbx_config (realtime=sqlite3)");
}
END_TEST

struct deps {
	char text[2048];
};

static void collect_dep(void *data, const struct mf_table_ref *use,
			const char *provider, unsigned priority)
{
	struct deps *d = data;
	size_t len = strlen(d->text);

	snprintf(d->text + len, sizeof(d->text) - len, "%s=%s->%s:%u ", use->type,
		 use->name, provider ? provider : "-", priority);
}

START_TEST(admin_uses_and_extconfig_become_uses)
{
	struct deps d = { "" };

	ck_assert_int_eq(boot(), 0);
	mf_module_deps(fake_mod(ctx, "pbx_config"), collect_dep, &d);
	ck_assert_str_eq(d.text, "module=app_dial->app_dial:0 application=Gosub->app_stack:0 "
				 "function=GLOBAL->func_global:0 function=CHANNEL->func_channel:0 "
				 "realtime=sqlite3->res_config_sqlite3:0 ");
	d.text[0] = '\0';
	mf_module_deps(fake_mod(ctx, "chan_sip"), collect_dep, &d);
	ck_assert_str_eq(d.text, "module=cdr_custom->cdr_custom:0 "
				 "module=res_timing_timerfd->res_timing_timerfd:0 "
				 "module=res_rtp_asterisk->res_rtp_asterisk:0 "
				 "module=pbx_config->pbx_config:0 ");
}
END_TEST

START_TEST(pbx_config_cannot_go_before_chan_sip)
{
	char buf[512];

	ck_assert_int_eq(boot(), 0);
	fake_events_clear(&ev);
	/* Held by chan_sip, not by the administrator: refused, still running. */
	ck_assert_int_eq(mf_unload(ctx, "pbx_config", 0, fake_events_fn, &ev), -EBUSY);
	ck_assert_int_eq(fake_state(ctx, "pbx_config"), MF_STATE_RUNNING);
	ck_assert_ptr_nonnull(strstr(fake_events_detail(&ev, MF_EVENT_HELD, "pbx_config",
							buf, sizeof(buf)),
				     "module chan_sip"));
}
END_TEST

START_TEST(unloading_chan_sip_unloads_everything_it_held)
{
	ck_assert_int_eq(boot(), 0);
	fake_journal_clear();
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_unload(ctx, "chan_sip", 0, fake_events_fn, &ev), 0);
	/* Its dependencies had no other user: all of them go, the dependent first. */
	ck_assert_int_eq(fake_state(ctx, "pbx_config"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "res_config_sqlite3"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "cdr_custom"), MF_STATE_STOPPED);
	ck_assert_ptr_nonnull(strstr(fake_journal(), "unload:chan_sip"));
	ck_assert(strstr(fake_journal(), "unload:chan_sip") < strstr(fake_journal(), "unload:pbx_config"));
	ck_assert(strstr(fake_journal(), "unload:pbx_config") < strstr(fake_journal(), "unload:app_stack"));
	{
		char *snap = fake_snapshot(ctx);

		/* Nothing runs any more, nothing is held. */
		ck_assert_ptr_null(strstr(snap, "running"));
		free(snap);
	}
}
END_TEST

/* ---- neverload cannot be bypassed ---------------------------------------- */

START_TEST(neverload_refuses_a_direct_load)
{
	char buf[512];

	ck_assert_int_eq(boot(), 0);
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "app_system", &ev), -EPERM);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "app_system", buf, sizeof(buf)),
			 "app_system is neverloaded (" MF_TEST_DATA_DIR "/seed-modules.conf:7)");
	ck_assert_int_eq(fake_state(ctx, "app_system"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(neverload_refuses_a_dependency_and_names_it)
{
	ck_assert_int_eq(fake_add(ctx, "[module]\nname=needs_shell\n[uses]\nmodule=func_shell\n", NULL), 0);
	ck_assert_int_eq(boot(), 0);
	fake_events_clear(&ev);
	ck_assert(fake_load(ctx, "needs_shell", &ev) < 0);
	ck_assert_str_eq(fake_info(ctx, "needs_shell").last_error,
			 "needs_shell uses module=func_shell: func_shell is neverloaded ("
			 MF_TEST_DATA_DIR "/seed-modules.conf:8)");
	ck_assert_int_eq(fake_state(ctx, "func_shell"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(neverload_falls_back_to_another_provider)
{
	/* A banned provider is passed over, not a reason to fail. */
	ck_assert_int_eq(fake_add_all(ctx,
		"[module]\nname=res_timing_banned\n[provides]\nservice=tick:300\n"
		"[module]\nname=res_timing_ok\n[provides]\nservice=tick:100\n"
		"[module]\nname=needs_tick\n[uses]\nservice=tick\n"), 0);
	static const char text[] = "[modules]\nautoload=no\nneverload=res_timing_banned\n";

	ck_assert_int_eq(mf_config_parse_modules(cfg, "extra.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), 0);
	ck_assert_int_eq(fake_load(ctx, "needs_tick", &ev), 0);
	ck_assert_int_eq(fake_state(ctx, "res_timing_ok"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "res_timing_banned"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(neverload_is_not_loaded_by_canuse)
{
	ck_assert_int_eq(fake_add(ctx, "[module]\nname=likes_system\n[canuse]\nmodule=app_system\n", NULL), 0);
	ck_assert_int_eq(boot(), 0);
	ck_assert_int_eq(fake_load(ctx, "likes_system", &ev), 0);
	ck_assert_int_eq(fake_state(ctx, "likes_system"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "app_system"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(neverload_is_not_autoloaded)
{
	static const char text[] = "[modules]\nautoload=yes\nneverload=app_system\n";

	mf_config_free(cfg);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "auto.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), 0);
	ck_assert_int_eq(fake_state(ctx, "app_unrelated"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "func_shell"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "app_system"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(require_of_a_neverloaded_module_stops_boot)
{
	static const char text[] = "[modules]\nautoload=yes\nrequire=app_system\n"
				   "neverload=app_system\n";
	char buf[512], *snap;

	mf_config_free(cfg);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "req.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), -ENOTRECOVERABLE);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "app_system", buf, sizeof(buf)),
			 "req.conf:3: required, but neverloaded at req.conf:4");
	snap = fake_snapshot(ctx);
	ck_assert_msg(strstr(snap, "running") == NULL, "left running:\n%s", snap);
	free(snap);
}
END_TEST

START_TEST(failed_require_gives_the_chain_of_reasons)
{
	static const char text[] = "[modules]\nautoload=no\nrequire=needs_missing\n";
	char buf[512];

	ck_assert_int_eq(fake_add_all(ctx,
		"[module]\nname=needs_missing\n[uses]\nmodule=middle\n"
		"[module]\nname=middle\n[uses]\nservice=nowhere\n"), 0);
	mf_config_free(cfg);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), -ENOTRECOVERABLE);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "needs_missing", buf, sizeof(buf)),
			 "needs_missing uses module=middle: middle uses service=nowhere, "
			 "which no module provides");
	ck_assert_ptr_nonnull(strstr(ev.lines, "m.conf:3 require: required module did not "
					       "start: needs_missing uses module=middle: "));
}
END_TEST

START_TEST(neverload_covers_a_module_added_later)
{
	static const char text[] = "[modules]\nautoload=no\nneverload=late_module\n";

	ck_assert_int_eq(mf_config_parse_modules(cfg, "late.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), 0);
	/* Installed after boot under the banned name (a module directory
	 * refresh adds it to the catalog the same way): banned as well. */
	ck_assert_int_eq(fake_add(ctx, "[module]\nname=late_module\n", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "late_module", &ev), -EPERM);
	ck_assert_int_eq(fake_state(ctx, "late_module"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(load_failure_is_reported_and_boot_goes_on)
{
	static const char text[] = "[modules]\nautoload=no\nload=app_dial\nload=app_stack\n";

	fake_fail_load(ctx, "app_dial", EIO);
	mf_config_free(cfg);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "l.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), -EIO);
	ck_assert_int_eq(fake_state(ctx, "app_dial"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "app_stack"), MF_STATE_RUNNING);
}
END_TEST

START_TEST(unknown_names_in_config_are_noted)
{
	static const char text[] = "[modules]\nautoload=no\nneverload=no_such\n[uses]\nghost=app_dial\n";
	char buf[512];

	mf_config_free(cfg);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "u.conf", text, sizeof(text) - 1,
						 NULL, 0), 0);
	ck_assert_int_eq(boot(), 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_NOTE, "no_such", buf, sizeof(buf)),
			 "u.conf:3: neverload of a module this image does not have");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_NOTE, "ghost", buf, sizeof(buf)),
			 "u.conf:5: [uses] for a module this image does not have");
}
END_TEST

Suite *make_admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *seed = tcase_create("seed");
	TCase *ban = tcase_create("neverload");

	tcase_add_checked_fixture(seed, setup, teardown);
	tcase_add_test(seed, seed_boot_starts_what_is_asked_and_used);
	tcase_add_test(seed, admin_uses_and_extconfig_become_uses);
	tcase_add_test(seed, pbx_config_cannot_go_before_chan_sip);
	tcase_add_test(seed, unloading_chan_sip_unloads_everything_it_held);
	tcase_add_test(seed, failed_require_gives_the_chain_of_reasons);
	tcase_add_test(seed, load_failure_is_reported_and_boot_goes_on);
	tcase_add_test(seed, unknown_names_in_config_are_noted);
	suite_add_tcase(s, seed);

	tcase_add_checked_fixture(ban, setup, teardown);
	tcase_add_test(ban, neverload_refuses_a_direct_load);
	tcase_add_test(ban, neverload_refuses_a_dependency_and_names_it);
	tcase_add_test(ban, neverload_falls_back_to_another_provider);
	tcase_add_test(ban, neverload_is_not_loaded_by_canuse);
	tcase_add_test(ban, neverload_is_not_autoloaded);
	tcase_add_test(ban, require_of_a_neverloaded_module_stops_boot);
	tcase_add_test(ban, neverload_covers_a_module_added_later);
	suite_add_tcase(s, ban);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_admin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
