/* SPDX-License-Identifier: MIT */
/*
 * [canuse]: a module that can use another starts after it when both start
 * together, never makes it start, is not its user, and hears through
 * canuse_changed whenever it starts or stops.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct mf_context *ctx;

/*
 * a_watch would start first on every count (lowest load_priority, first
 * name), so only the canuse line can put z_target before it.
 */
static const char *graph =
	"[module]\nname=a_watch\nload_priority=1\n[canuse]\nmodule=z_target\n"
	"[module]\nname=z_target\nload_priority=200\n"
	"[module]\nname=b_timers\n[canuse]\nservice=timer\n"
	"[module]\nname=t_one\n[provides]\nservice=timer:10\n"
	"[module]\nname=t_two\n[provides]\nservice=timer:20\n"
	"[module]\nname=needs_watch\n[uses]\nmodule=a_watch\n";

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	fake_journal_clear();
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

START_TEST(orders_after_co_started_target)
{
	ck_assert_int_eq(fake_load(ctx, "a_watch z_target", NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:z_target load:a_watch canuse:a_watch:z_target:on");
}
END_TEST

START_TEST(orders_after_target_started_as_dependency)
{
	/* a_watch comes in as a dependency of needs_watch: it still waits. */
	ck_assert_int_eq(fake_load(ctx, "needs_watch z_target", NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:z_target load:a_watch canuse:a_watch:z_target:on load:needs_watch");
}
END_TEST

START_TEST(never_loads_target)
{
	ck_assert_int_eq(fake_load(ctx, "a_watch", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:a_watch");
	ck_assert_int_eq(fake_state(ctx, "z_target"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_load(ctx, "b_timers", NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "t_one"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "t_two"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(callbacks_on_start_and_stop)
{
	ck_assert_int_eq(fake_load(ctx, "a_watch", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "z_target", NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:a_watch load:z_target canuse:a_watch:z_target:on");
	/* Not a user: the target stops when the administrator lets it go. */
	ck_assert_uint_eq(fake_info(ctx, "z_target").users, 1);
	ck_assert_int_eq(mf_unload(ctx, "z_target", 0, NULL, NULL), 0);
	/* Told before the target's unload callback, while it can still be reached. */
	ck_assert_str_eq(fake_journal(),
			 "load:a_watch load:z_target canuse:a_watch:z_target:on "
			 "canuse:a_watch:z_target:off unload:z_target");
	ck_assert_int_eq(fake_state(ctx, "a_watch"), MF_STATE_RUNNING);
	/* Back again. */
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "z_target", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:z_target canuse:a_watch:z_target:on");
}
END_TEST

START_TEST(target_running_before_watcher)
{
	ck_assert_int_eq(fake_load(ctx, "z_target", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "a_watch", NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:z_target load:a_watch canuse:a_watch:z_target:on");
}
END_TEST

START_TEST(stopped_watcher_not_told)
{
	ck_assert_int_eq(fake_load(ctx, "a_watch", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "a_watch", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "z_target", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "z_target", 0, NULL, NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:a_watch unload:a_watch load:z_target unload:z_target");
}
END_TEST

START_TEST(watcher_stops_first)
{
	ck_assert_int_eq(fake_load(ctx, "a_watch z_target", NULL), 0);
	fake_journal_clear();
	/* Reverse start order: the watcher started last, so it stops first
	 * and hears nothing of the target's stop. */
	mf_stop_all(ctx, NULL, NULL);
	ck_assert_str_eq(fake_journal(), "unload:a_watch unload:z_target");
}
END_TEST

START_TEST(canuse_a_service)
{
	ck_assert_int_eq(fake_load(ctx, "b_timers", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "t_one", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "t_two", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "t_one", 0, NULL, NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:b_timers load:t_one canuse:b_timers:t_one:on "
			 "load:t_two canuse:b_timers:t_two:on "
			 "canuse:b_timers:t_one:off unload:t_one");
	/* Co-started with both: after both, told of each. */
	mf_stop_all(ctx, NULL, NULL);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "b_timers t_two t_one", NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:t_one load:t_two load:b_timers "
			 "canuse:b_timers:t_two:on canuse:b_timers:t_one:on");
}
END_TEST

START_TEST(target_fails_watcher_starts)
{
	fake_fail_load(ctx, "z_target", -EIO);
	ck_assert_int_lt(fake_load(ctx, "a_watch z_target", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:z_target:fail load:a_watch");
	ck_assert_int_eq(fake_state(ctx, "a_watch"), MF_STATE_RUNNING);
}
END_TEST

Suite *make_canuse_suite(void)
{
	Suite *s = suite_create("canuse");
	TCase *tc = tcase_create("canuse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, orders_after_co_started_target);
	tcase_add_test(tc, orders_after_target_started_as_dependency);
	tcase_add_test(tc, never_loads_target);
	tcase_add_test(tc, callbacks_on_start_and_stop);
	tcase_add_test(tc, target_running_before_watcher);
	tcase_add_test(tc, stopped_watcher_not_told);
	tcase_add_test(tc, watcher_stops_first);
	tcase_add_test(tc, canuse_a_service);
	tcase_add_test(tc, target_fails_watcher_starts);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_canuse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
