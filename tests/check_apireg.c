/* SPDX-License-Identifier: MIT */
/*
 * The api registry as the lifecycle drives it: registrations belong to an
 * instance and go when it stops, before its unload callback; a lookup holds
 * its provider running; a stale handle yields no interface; the provider
 * with the highest manifest priority answers a lookup; a module registers
 * only what its manifest provides.  And what a module writes: log lines
 * under its name, a call's result text.
 * (tests/check_registry.c is the generator's registry table.)
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct mf_context *ctx;
static struct fake_events ev;

static const char *graph =
	"[module]\nname=func_echo\n[provides]\nfunction=ECHO\napplication=Echo\n"
	"[module]\nname=timer_hi\n[provides]\nservice=timer:200\n"
	"[module]\nname=timer_lo\n[provides]\nservice=timer:100\n"
	"[module]\nname=timer_mid\n[provides]\nservice=timer:150\n"
	"[module]\nname=app\n[uses]\nfunction=ECHO\n"
	"[module]\nname=quiet\n";

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	mf_context_set_cancel_timeout(ctx, 50);
	fake_journal_clear();
	fake_events_clear(&ev);
	fake_log_clear();
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

static int found_in_unload = 1;

static void unload_looks_up(struct mf_module *self, void *data)
{
	struct mf_api *api;

	(void)data;
	found_in_unload = mf_api_find(mf_module_context(self), "function", "ECHO", &api);
	if (found_in_unload == 0)
		mf_api_release(api);
	/* And it may not register anything any more. */
	fake_journal_add("register:%s",
			 mf_api_register(self, "function", "LATE", &found_in_unload) ==
					 -ESHUTDOWN ? "ESHUTDOWN" : "unexpected");
}

START_TEST(removed_before_unload_callback)
{
	struct mf_api *api;

	fake_set_hooks(ctx, "func_echo", NULL, unload_looks_up, NULL);
	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), 0);
	mf_api_release(api);
	ck_assert_int_eq(mf_unload(ctx, "func_echo", 0, NULL, NULL), 0);
	ck_assert_int_eq(found_in_unload, -ENOENT);
	ck_assert_str_eq(fake_journal(), "load:func_echo unload:func_echo register:ESHUTDOWN");
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), -ENOENT);
	ck_assert_int_eq(mf_api_find(ctx, "application", "Echo", &api), -ENOENT);
}
END_TEST

START_TEST(lookup_holds_provider)
{
	const struct mf_callable *c;
	struct mf_api *api;
	char out[64];

	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), 0);
	ck_assert_ptr_eq(mf_api_provider(api), fake_mod(ctx, "func_echo"));
	ck_assert_uint_eq(fake_info(ctx, "func_echo").refs, 1);
	ck_assert_int_eq(mf_unload(ctx, "func_echo", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_RUNNING);
	c = mf_api_iface(api);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->call(mf_api_provider(api), "hi", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "func_echo:hi");
	ck_assert_str_eq(fake_journal(), "load:func_echo");
	mf_api_release(api);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:func_echo unload:func_echo");
	mf_api_release(NULL);
}
END_TEST

START_TEST(stale_handle_after_forced_unload)
{
	struct mf_api *api, *again;
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), 0);
	ck_assert_int_eq(mf_unload(ctx, "func_echo", MF_OP_FORCE, fake_events_fn, &ev), -EBUSY);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPING);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_HELD, "func_echo", buf, sizeof(buf)),
			 "1 reference");
	errno = 0;
	ck_assert_ptr_null(mf_api_iface(api));
	ck_assert_int_eq(errno, ESTALE);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &again), -ENOENT);
	/* The unload callback waits for the reference. */
	ck_assert_str_eq(fake_journal(), "load:func_echo");
	mf_api_release(api);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:func_echo unload:func_echo");
	ck_assert_uint_eq(fake_info(ctx, "func_echo").refs, 0);
}
END_TEST

START_TEST(early_unregister_stales_handle)
{
	struct mf_module *echo = fake_mod(ctx, "func_echo");
	struct mf_api *api;

	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "application", "Echo", &api), 0);
	ck_assert_int_eq(mf_api_unregister(echo, "application", "Echo"), 0);
	ck_assert_int_eq(mf_api_unregister(echo, "application", "Echo"), -ENOENT);
	ck_assert_ptr_null(mf_api_iface(api));
	/* The handle still holds the module, which keeps running. */
	ck_assert_uint_eq(fake_info(ctx, "func_echo").refs, 1);
	mf_api_release(api);
	ck_assert_uint_eq(fake_info(ctx, "func_echo").refs, 0);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_RUNNING);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), 0);
	mf_api_release(api);
}
END_TEST

START_TEST(highest_priority_answers)
{
	struct mf_api *api;

	/* Started worst first: registration order must not matter. */
	ck_assert_int_eq(fake_load(ctx, "timer_lo", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "timer_hi", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "timer_mid", NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "service", "timer", &api), 0);
	ck_assert_str_eq(mf_module_name(mf_api_provider(api)), "timer_hi");
	mf_api_release(api);
	ck_assert_int_eq(mf_unload(ctx, "timer_hi", 0, NULL, NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "service", "timer", &api), 0);
	ck_assert_str_eq(mf_module_name(mf_api_provider(api)), "timer_mid");
	mf_api_release(api);
	ck_assert_int_eq(mf_unload(ctx, "timer_mid", 0, NULL, NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "service", "timer", &api), 0);
	ck_assert_str_eq(mf_module_name(mf_api_provider(api)), "timer_lo");
	mf_api_release(api);
}
END_TEST

START_TEST(stopping_best_skipped)
{
	struct mf_api *held, *api;

	ck_assert_int_eq(fake_load(ctx, "timer_hi timer_lo", NULL), 0);
	ck_assert_int_eq(mf_api_find(ctx, "service", "timer", &held), 0);
	/* timer_hi waits for its reference; the lookup falls to timer_lo. */
	ck_assert_int_eq(mf_unload(ctx, "timer_hi", MF_OP_FORCE, NULL, NULL), -EBUSY);
	ck_assert_int_eq(mf_api_find(ctx, "service", "timer", &api), 0);
	ck_assert_str_eq(mf_module_name(mf_api_provider(api)), "timer_lo");
	mf_api_release(api);
	mf_api_release(held);
	ck_assert_int_eq(fake_state(ctx, "timer_hi"), MF_STATE_STOPPED);
}
END_TEST

static int self_lookup = 1;

static int load_looks_up_itself(struct mf_module *self, void *data)
{
	struct mf_api *api;

	(void)data;
	/* Registered, but not open to references before the load returns. */
	self_lookup = mf_api_find(mf_module_context(self), "function", "ECHO", &api);
	if (self_lookup == 0)
		mf_api_release(api);
	return 0;
}

START_TEST(own_registration_during_load)
{
	fake_set_hooks(ctx, "func_echo", load_looks_up_itself, NULL, NULL);
	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(self_lookup, -ESHUTDOWN);
}
END_TEST

START_TEST(failed_load_registers_nothing)
{
	struct mf_api *api;

	fake_fail_load(ctx, "func_echo", -EPERM);
	ck_assert_int_lt(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:func_echo:fail");
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), -ENOENT);
	ck_assert_int_eq(mf_api_find(ctx, "application", "Echo", &api), -ENOENT);
}
END_TEST

static const int registered_again = 1;

static int register_checks(struct mf_module *self, void *data)
{
	static const int iface = 1;
	int *results = data;

	results[0] = mf_api_register(self, "function", "ECHO", &iface);
	results[1] = mf_api_register(self, "Bad-Type", "X", &iface);
	results[2] = mf_api_register(self, "function", "has space", &iface);
	results[3] = mf_api_register(self, "function", "NULLIFACE", NULL);
	results[4] = mf_api_unregister(self, "application", "Echo");
	results[5] = mf_api_unregister(self, "application", "Echo");
	results[6] = mf_api_register(self, "application", "Echo", &registered_again);
	results[7] = mf_api_unregister(self, "function", "ECHO");
	return 0;
}

START_TEST(register_rules)
{
	int results[8];
	struct mf_api *api;

	fake_set_hooks(ctx, "func_echo", register_checks, NULL, results);
	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(results[0], -EEXIST);
	ck_assert_int_eq(results[1], -EINVAL);
	ck_assert_int_eq(results[2], -EINVAL);
	ck_assert_int_eq(results[3], -EINVAL);
	ck_assert_int_eq(results[4], 0);
	ck_assert_int_eq(results[5], -ENOENT);
	ck_assert_int_eq(results[6], 0);
	ck_assert_int_eq(results[7], 0);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), -ENOENT);
	/* Unregistered, then registered again: the new interface answers. */
	ck_assert_int_eq(mf_api_find(ctx, "application", "Echo", &api), 0);
	ck_assert_ptr_eq(mf_api_iface(api), &registered_again);
	mf_api_release(api);
	/* Not running: refused. */
	ck_assert_int_eq(mf_api_register(fake_mod(ctx, "quiet"), "function", "Q", &results),
			 -ESHUTDOWN);
}
END_TEST

static int undeclared_checks(struct mf_module *self, void *data)
{
	static const int iface = 1;
	int *results = data;

	results[0] = mf_api_register(self, "function", "UNDECLARED", &iface);
	/* A declared name under another type, or in another case. */
	results[1] = mf_api_register(self, "application", "ECHO", &iface);
	results[2] = mf_api_register(self, "function", "Echo", &iface);
	/* A module provides itself, and nothing else's name. */
	results[3] = mf_api_register(self, "module", "func_echo", &iface);
	results[4] = mf_api_register(self, "module", "timer_hi", &iface);
	return 0;
}

START_TEST(undeclared_registration_is_refused)
{
	int results[5];
	struct mf_api *api;

	fake_set_hooks(ctx, "func_echo", undeclared_checks, NULL, results);
	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_int_eq(results[0], -EPERM);
	ck_assert_int_eq(results[1], -EPERM);
	ck_assert_int_eq(results[2], -EPERM);
	ck_assert_int_eq(results[3], 0);
	ck_assert_int_eq(results[4], -EPERM);
	ck_assert_ptr_nonnull(strstr(fake_log(),
			 "func_echo: cannot register function=UNDECLARED: its manifest does "
			 "not provide it (no function=UNDECLARED in [provides])\n"
			 "func_echo: cannot register application=ECHO: its manifest does "
			 "not provide it (no application=ECHO in [provides])\n"
			 "func_echo: cannot register function=Echo: its manifest does "
			 "not provide it (no function=Echo in [provides])\n"
			 "func_echo: cannot register module=timer_hi: its manifest does "
			 "not provide it (no module=timer_hi in [provides])\n"));
	/* Nothing of the refused ones happened; what it declares is there. */
	ck_assert_int_eq(mf_api_find(ctx, "function", "UNDECLARED", &api), -ENOENT);
	ck_assert_int_eq(mf_api_find(ctx, "application", "ECHO", &api), -ENOENT);
	ck_assert_int_eq(mf_api_find(ctx, "function", "Echo", &api), -ENOENT);
	ck_assert_int_eq(mf_api_find(ctx, "module", "timer_hi", &api), -ENOENT);
	ck_assert_int_eq(mf_api_find(ctx, "module", "func_echo", &api), 0);
	ck_assert_ptr_eq(mf_api_provider(api), fake_mod(ctx, "func_echo"));
	mf_api_release(api);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), 0);
	mf_api_release(api);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_RUNNING);
}
END_TEST

static int register_or_fail(struct mf_module *self, void *data)
{
	(void)data;
	return mf_api_register(self, "function", "QUIET", &found_in_unload);
}

START_TEST(undeclared_registration_can_fail_the_load)
{
	char buf[256];
	struct mf_api *api;

	/* quiet provides nothing: a load that insists fails, and is undone. */
	fake_set_hooks(ctx, "quiet", register_or_fail, NULL, NULL);
	ck_assert_int_lt(fake_load(ctx, "quiet", &ev), 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "quiet", buf, sizeof(buf)),
			 "load callback failed: Operation not permitted");
	ck_assert_ptr_nonnull(strstr(fake_log(), "quiet: cannot register function=QUIET: "
				     "its manifest does not provide it"));
	ck_assert_int_eq(fake_state(ctx, "quiet"), MF_STATE_STOPPED);
	ck_assert_int_eq(mf_api_find(ctx, "function", "QUIET", &api), -ENOENT);
}
END_TEST

struct seen {
	char text[512];
};

static void see(void *data, const char *name, const char *owner, const void *iface)
{
	struct seen *s = data;
	size_t len = strlen(s->text);

	ck_assert_ptr_nonnull(iface);
	snprintf(s->text + len, sizeof(s->text) - len, "%s%s@%s", len ? " " : "",
		 name, owner);
}

START_TEST(foreach_lists_best)
{
	struct seen s = { "" };

	ck_assert_int_eq(fake_load(ctx, "func_echo timer_lo timer_hi", NULL), 0);
	ck_assert_int_eq(mf_api_foreach(ctx, "function", see, &s), 0);
	ck_assert_str_eq(s.text, "ECHO@func_echo");
	s.text[0] = '\0';
	ck_assert_int_eq(mf_api_foreach(ctx, "service", see, &s), 0);
	ck_assert_str_eq(s.text, "timer@timer_hi");
	s.text[0] = '\0';
	ck_assert_int_eq(mf_api_foreach(ctx, "applicatio", see, &s), 0);
	ck_assert_str_eq(s.text, "");
	mf_stop_all(ctx, NULL, NULL);
	ck_assert_int_eq(mf_api_foreach(ctx, "service", see, &s), 0);
	ck_assert_int_eq(mf_api_foreach(ctx, "function", see, &s), 0);
	ck_assert_str_eq(s.text, "");
}
END_TEST

START_TEST(uses_a_function)
{
	struct mf_api *api;

	/* [uses] function=ECHO starts the module that provides it. */
	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_RUNNING);
	ck_assert_int_eq(mf_api_find(ctx, "function", "ECHO", &api), 0);
	mf_api_release(api);
	ck_assert_int_eq(mf_unload(ctx, "app", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "func_echo"), MF_STATE_STOPPED);
}
END_TEST

/* ---- what a module writes ------------------------------------------------ */

static int logs_at_load(struct mf_module *self, void *data)
{
	(void)data;
	mf_module_log(self, MF_LOG_NOTICE, "ready with %d %s", 2, "timers");
	mf_module_log(self, MF_LOG_DEBUG, "not shown at the default priority");
	return 0;
}

START_TEST(module_log_names_the_module)
{
	fake_set_hooks(ctx, "func_echo", logs_at_load, NULL, NULL);
	mf_context_set_log_priority(ctx, MF_LOG_NOTICE);
	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_str_eq(fake_log(), "func_echo: ready with 2 timers\n");
	ck_assert_int_eq(mf_unload(ctx, "func_echo", 0, NULL, NULL), 0);
	fake_log_clear();
	mf_context_set_log_priority(ctx, MF_LOG_DEBUG);
	ck_assert_int_eq(fake_load(ctx, "func_echo", NULL), 0);
	ck_assert_ptr_nonnull(strstr(fake_log(), "func_echo: not shown at the default priority\n"));
}
END_TEST

START_TEST(call_result_writes_and_returns)
{
	char out[8];

	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(mf_call_result(out, sizeof(out), -EINVAL, "%s", "bad"), -EINVAL);
	ck_assert_str_eq(out, "bad");
	ck_assert_int_eq(mf_call_result(out, sizeof(out), 0, "%d-%d", 12, 34), 0);
	ck_assert_str_eq(out, "12-34");
	/* Cut to the buffer, always terminated. */
	ck_assert_int_eq(mf_call_result(out, sizeof(out), -ENOSPC, "a long answer"), -ENOSPC);
	ck_assert_str_eq(out, "a long ");
	/* No room at all: nothing written. */
	out[0] = 'x';
	ck_assert_int_eq(mf_call_result(out, 0, -ENOSPC, "nothing"), -ENOSPC);
	ck_assert_int_eq(out[0], 'x');
}
END_TEST

Suite *make_apireg_suite(void)
{
	Suite *s = suite_create("apireg");
	TCase *tc = tcase_create("apireg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, removed_before_unload_callback);
	tcase_add_test(tc, lookup_holds_provider);
	tcase_add_test(tc, stale_handle_after_forced_unload);
	tcase_add_test(tc, early_unregister_stales_handle);
	tcase_add_test(tc, highest_priority_answers);
	tcase_add_test(tc, stopping_best_skipped);
	tcase_add_test(tc, own_registration_during_load);
	tcase_add_test(tc, failed_load_registers_nothing);
	tcase_add_test(tc, register_rules);
	tcase_add_test(tc, foreach_lists_best);
	tcase_add_test(tc, uses_a_function);
	tcase_add_test(tc, undeclared_registration_is_refused);
	tcase_add_test(tc, undeclared_registration_can_fail_the_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("module_output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, module_log_names_the_module);
	tcase_add_test(tc, call_result_writes_and_returns);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_apireg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
