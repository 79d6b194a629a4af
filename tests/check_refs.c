/* SPDX-License-Identifier: MIT */
/*
 * Hot-path references and lib references: mf_module_get()/mf_module_put()
 * hold a running module without being its users, keep it running after its
 * last user leaves and stop it at the last put; the lib is mapped once per
 * instance and stays mapped after mf_module_block_unload().
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct mf_context *ctx;
static struct fake_events ev;

static const char *graph =
	"[module]\nname=app\n[uses]\nmodule=lib\n"
	"[module]\nname=lib\n"
	"[module]\nname=solo\n"
	"[module]\nname=duo\n[uses]\nmodule=lib\nmodule=solo\n";

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	fake_journal_clear();
	fake_events_clear(&ev);
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

START_TEST(get_refused_unless_running)
{
	struct mf_module *solo = fake_mod(ctx, "solo");

	ck_assert_int_eq(mf_module_get(solo), -ESHUTDOWN);
	ck_assert_uint_eq(fake_info(ctx, "solo").refs, 0);
	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_int_eq(mf_module_get(solo), 0);
	ck_assert_int_eq(mf_module_get(solo), 0);
	ck_assert_uint_eq(fake_info(ctx, "solo").refs, 2);
	/* References are not users. */
	ck_assert_uint_eq(fake_info(ctx, "solo").users, 1);
	mf_module_put(solo);
	mf_module_put(solo);
	ck_assert_uint_eq(fake_info(ctx, "solo").refs, 0);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_RUNNING);
}
END_TEST

START_TEST(ref_keeps_running_after_last_user)
{
	struct mf_module *solo = fake_mod(ctx, "solo");
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_int_eq(mf_module_get(solo), 0);
	ck_assert_int_eq(mf_unload(ctx, "solo", 0, fake_events_fn, &ev), 0);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_RUNNING);
	ck_assert_uint_eq(fake_info(ctx, "solo").users, 0);
	ck_assert(!fake_info(ctx, "solo").admin);
	ck_assert_str_eq(fake_journal(), "load:solo");
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_HELD, "solo", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "1 reference");
	/* Still running, so still open to references; the last put stops it. */
	ck_assert_int_eq(mf_module_get(solo), 0);
	mf_module_put(solo);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_RUNNING);
	mf_module_put(solo);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:solo unload:solo");
	ck_assert_uint_eq(fake_info(ctx, "solo").refs, 0);
	ck_assert_int_eq(mf_module_get(solo), -ESHUTDOWN);
}
END_TEST

START_TEST(last_put_cascades)
{
	struct mf_module *app = fake_mod(ctx, "app");

	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:lib load:app");
	ck_assert_int_eq(mf_module_get(app), 0);
	ck_assert_int_eq(mf_unload(ctx, "app", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_RUNNING);
	mf_module_put(app);
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:lib load:app unload:app unload:lib");
}
END_TEST

START_TEST(user_returns_while_ref_held)
{
	struct mf_module *solo = fake_mod(ctx, "solo");

	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_int_eq(mf_module_get(solo), 0);
	ck_assert_int_eq(mf_unload(ctx, "solo", 0, NULL, NULL), 0);
	/* The administrator comes back before the put: the module stays. */
	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:solo");
	mf_module_put(solo);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_RUNNING);
	ck_assert_int_eq(mf_module_get(solo), 0);
	mf_module_put(solo);
	ck_assert_int_eq(mf_unload(ctx, "solo", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(lib_refs_follow_instance)
{
	struct mf_module_info info;

	ck_assert_uint_eq(fake_info(ctx, "app").lib_refs, 0);
	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	info = fake_info(ctx, "app");
	ck_assert_uint_eq(info.lib_refs, 1);
	ck_assert_uint_eq(fake_info(ctx, "lib").lib_refs, 1);
	ck_assert_uint_eq(fake_maps(ctx, "app"), 1);
	ck_assert_uint_eq(fake_unmaps(ctx, "app"), 0);
	ck_assert_int_eq(mf_unload(ctx, "app", 0, NULL, NULL), 0);
	ck_assert_uint_eq(fake_info(ctx, "app").lib_refs, 0);
	ck_assert_uint_eq(fake_info(ctx, "lib").lib_refs, 0);
	ck_assert_uint_eq(fake_unmaps(ctx, "app"), 1);
	ck_assert_uint_eq(fake_unmaps(ctx, "lib"), 1);
	/* A second start maps the code again. */
	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_uint_eq(fake_maps(ctx, "app"), 2);
	ck_assert_uint_eq(fake_info(ctx, "app").lib_refs, 1);
}
END_TEST

START_TEST(block_unload_keeps_lib)
{
	fake_set_block_unload(ctx, "solo", true);
	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_uint_eq(fake_info(ctx, "solo").lib_refs, 2);
	ck_assert(fake_info(ctx, "solo").unload_blocked);
	ck_assert_int_eq(mf_unload(ctx, "solo", 0, NULL, NULL), 0);
	/* The instance stopped; the code stays. */
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:solo unload:solo");
	ck_assert_uint_eq(fake_info(ctx, "solo").lib_refs, 1);
	ck_assert_uint_eq(fake_unmaps(ctx, "solo"), 0);
	/* Starting again uses the mapped code, and blocking twice counts once. */
	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_uint_eq(fake_maps(ctx, "solo"), 1);
	ck_assert_uint_eq(fake_info(ctx, "solo").lib_refs, 2);
	mf_stop_all(ctx, NULL, NULL);
	ck_assert_uint_eq(fake_info(ctx, "solo").lib_refs, 1);
	ck_assert_uint_eq(fake_unmaps(ctx, "solo"), 0);
}
END_TEST

static void *hold_and_release(void *arg)
{
	struct mf_module *mod = arg;

	for (int i = 0; i < 20000; i++) {
		if (mf_module_get(mod) == 0)
			mf_module_put(mod);
	}
	return NULL;
}

START_TEST(racing_puts_stop_exactly_once)
{
	struct mf_module *app = fake_mod(ctx, "app");
	pthread_t th[4];

	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hold_and_release, app), 0);
	ck_assert_int_eq(mf_unload(ctx, "app", 0, NULL, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* Whichever put came last stopped it, once, and lib with it. */
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_STOPPED);
	ck_assert_uint_eq(fake_info(ctx, "app").refs, 0);
	ck_assert_str_eq(fake_journal(), "load:lib load:app unload:app unload:lib");
}
END_TEST

START_TEST(stop_all_with_ref_held)
{
	struct mf_module *solo = fake_mod(ctx, "solo");

	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_int_eq(mf_module_get(solo), 0);
	mf_stop_all(ctx, NULL, NULL);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_STOPPED);
	/* The late put must neither wrap the count nor reopen the module. */
	mf_module_put(solo);
	ck_assert_uint_eq(fake_info(ctx, "solo").refs, 0);
	ck_assert_int_eq(mf_module_get(solo), -ESHUTDOWN);
	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_int_eq(mf_module_get(solo), 0);
	ck_assert_uint_eq(fake_info(ctx, "solo").refs, 1);
	mf_module_put(solo);
	ck_assert_int_eq(mf_unload(ctx, "solo", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "solo"), MF_STATE_STOPPED);
}
END_TEST

static struct mf_user *late_user;

/* solo's unload: lib, queued to stop in the same cascade, gains a user. */
static void solo_unload_grabs_lib(struct mf_module *self, void *data)
{
	(void)data;
	ck_assert_int_eq(mf_user_add(fake_mod(mf_module_context(self), "lib"), "late",
				     NULL, NULL, &late_user), 0);
}

START_TEST(queued_module_regaining_a_user_reopens)
{
	struct mf_module *lib = fake_mod(ctx, "lib");

	fake_set_hooks(ctx, "solo", NULL, solo_unload_grabs_lib, NULL);
	ck_assert_int_eq(fake_load(ctx, "duo", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:lib load:solo load:duo");
	ck_assert_int_eq(mf_unload(ctx, "duo", 0, NULL, NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:lib load:solo load:duo unload:duo unload:solo");
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_RUNNING);
	/* Running with a user: open to references again. */
	ck_assert_int_eq(mf_module_get(lib), 0);
	mf_module_put(lib);
	mf_user_remove(late_user);
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_STOPPED);
}
END_TEST

Suite *make_refs_suite(void)
{
	Suite *s = suite_create("refs");
	TCase *tc = tcase_create("refs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, get_refused_unless_running);
	tcase_add_test(tc, ref_keeps_running_after_last_user);
	tcase_add_test(tc, last_put_cascades);
	tcase_add_test(tc, user_returns_while_ref_held);
	tcase_add_test(tc, lib_refs_follow_instance);
	tcase_add_test(tc, block_unload_keeps_lib);
	tcase_add_test(tc, racing_puts_stop_exactly_once);
	tcase_add_test(tc, stop_all_with_ref_held);
	tcase_add_test(tc, queued_module_regaining_a_user_reopens);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_refs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
