/* SPDX-License-Identifier: MIT */
/*
 * Rollback: a load that fails anywhere in its dependency tree leaves every
 * module exactly as it found it (state, users, references, lib references,
 * the administrator's holds, the api registry); code that is not binary
 * compatible, or cannot be mapped, is refused with a message that says why.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct mf_context *ctx;
static struct fake_events ev;

/*
 * top uses a, b, c (started in that order); c uses d, which uses deep; a
 * and d use shared, which runs already for the administrator; b uses a
 * function that a provides.
 */
static const char *graph =
	"[module]\nname=top\n[uses]\nmodule=a\nmodule=b\nmodule=c\n"
	"[module]\nname=a\nload_priority=10\n[uses]\nmodule=shared\n[provides]\nfunction=AFUNC\n"
	"[module]\nname=b\nload_priority=20\n[uses]\nfunction=AFUNC\n[provides]\nservice=bsvc\n"
	"[module]\nname=c\nload_priority=30\n[uses]\nmodule=d\n"
	"[module]\nname=d\nload_priority=40\n[uses]\nmodule=deep\nmodule=shared\n"
	"[module]\nname=deep\nload_priority=50\n"
	"[module]\nname=shared\n"
	"[module]\nname=bystander\n[uses]\nmodule=a\n"
	"[module]\nname=solo\n";

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

static void assert_registry_empty_but(const char *keep_type, const char *keep_name)
{
	static const char *const keys[][2] = {
		{ "function", "AFUNC" }, { "service", "bsvc" },
	};
	struct mf_api *api;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int want = keep_type && strcmp(keys[i][0], keep_type) == 0 &&
				   strcmp(keys[i][1], keep_name) == 0 ? 0 : -ENOENT;
		int got = mf_api_find(ctx, keys[i][0], keys[i][1], &api);

		ck_assert_msg(got == want, "%s=%s: %d, want %d", keys[i][0], keys[i][1], got, want);
		if (got == 0)
			mf_api_release(api);
	}
}

START_TEST(deep_failure_restores_everything)
{
	struct mf_request req = { .name = "top", .why = "test" };
	char *before, *after;
	char buf[512];

	ck_assert_int_eq(fake_load(ctx, "shared", NULL), 0);
	fake_journal_clear();
	before = fake_snapshot(ctx);
	fake_fail_load(ctx, "deep", -ENODEV);
	ck_assert_int_lt(mf_load(ctx, &req, 1, 0, fake_events_fn, &ev), 0);
	ck_assert_int_lt(req.result, 0);
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	/* What started is stopped again, latest first. */
	ck_assert_str_eq(fake_journal(),
			 "load:a load:b load:deep:fail unload:b unload:a");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "deep", buf, sizeof(buf)),
			 "load callback failed: No such device");
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_FAIL, "top", buf, sizeof(buf)));
	ck_assert_ptr_nonnull(strstr(buf, "deep failed to start"));
	assert_registry_empty_but(NULL, NULL);
	for (const char *const *m = (const char *const[]){ "a", "b", "c", "d", "deep", NULL }; *m; m++) {
		ck_assert_uint_eq(fake_maps(ctx, *m), fake_unmaps(ctx, *m));
		ck_assert_ptr_null(fake_info(ctx, *m).why);
	}
	free(before);
	free(after);
	/* And the same load works once deep does. */
	fake_fail_load(ctx, "deep", 0);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "top", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:a load:b load:deep load:d load:c load:top");
}
END_TEST

START_TEST(failure_spares_running_modules)
{
	char *before, *after;

	/* a and its function run already for bystander; the failed top must
	 * leave a with exactly its one user and its registration. */
	ck_assert_int_eq(fake_load(ctx, "bystander", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "solo", NULL), 0);
	ck_assert_int_eq(mf_module_get(fake_mod(ctx, "solo")), 0);
	fake_journal_clear();
	before = fake_snapshot(ctx);
	fake_fail_load(ctx, "c", -EIO);
	ck_assert_int_lt(fake_load(ctx, "top", NULL), 0);
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	ck_assert_str_eq(fake_journal(),
			 "load:b load:deep load:d load:c:fail unload:d unload:deep unload:b");
	assert_registry_empty_but("function", "AFUNC");
	mf_module_put(fake_mod(ctx, "solo"));
	free(before);
	free(after);
}
END_TEST

START_TEST(one_request_fails_others_stand)
{
	struct mf_request req[2] = {
		{ .name = "top", .why = "test" },
		{ .name = "bystander", .why = "test" },
	};

	fake_fail_load(ctx, "deep", -EIO);
	ck_assert_int_lt(mf_load(ctx, req, 2, 0, NULL, NULL), 0);
	ck_assert_int_lt(req[0].result, 0);
	ck_assert_int_eq(req[1].result, 0);
	/* bystander keeps a and shared; what only top needed is gone. */
	ck_assert_int_eq(fake_state(ctx, "bystander"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "a"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "shared"), MF_STATE_RUNNING);
	ck_assert_uint_eq(fake_info(ctx, "a").users, 1);
	ck_assert_uint_eq(fake_info(ctx, "shared").users, 1);
	for (const char *const *m = (const char *const[]){ "top", "b", "c", "d", "deep", NULL }; *m; m++) {
		ck_assert_int_eq(fake_state(ctx, *m), MF_STATE_STOPPED);
		ck_assert_uint_eq(fake_info(ctx, *m).users, 0);
		ck_assert_uint_eq(fake_info(ctx, *m).lib_refs, 0);
	}
	assert_registry_empty_but("function", "AFUNC");
}
END_TEST

static void assert_refused(const char *expect)
{
	struct mf_request req = { .name = "solo", .why = "test" };
	char *before, *after;
	char buf[512];

	before = fake_snapshot(ctx);
	ck_assert_int_eq(mf_load(ctx, &req, 1, 0, fake_events_fn, &ev), req.result);
	ck_assert_int_lt(req.result, 0);
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_FAIL, "solo", buf, sizeof(buf)));
	ck_assert_str_eq(buf, expect);
	ck_assert_str_eq(fake_info(ctx, "solo").last_error, expect);
	ck_assert_str_eq(fake_journal(), "");
	ck_assert_uint_eq(fake_maps(ctx, "solo"), fake_unmaps(ctx, "solo"));
	free(before);
	free(after);
}

START_TEST(abi_mismatch)
{
	char expect[256];

	fake_set_abi(ctx, "solo", MANIFOLD_ABI_VERSION + 1);
	snprintf(expect, sizeof(expect),
		 "not binary compatible: built for manifold ABI %u, this image is ABI %u",
		 MANIFOLD_ABI_VERSION + 1, MANIFOLD_ABI_VERSION);
	assert_refused(expect);
	ck_assert_uint_eq(fake_maps(ctx, "solo"), 1);
}
END_TEST

START_TEST(signature_mismatch)
{
	char expect[512];

	fake_set_signature(ctx, "solo", "abi1;ptr4;bo1234;cc other");
	snprintf(expect, sizeof(expect),
		 "not binary compatible: build signature 'abi1;ptr4;bo1234;cc other' "
		 "differs from the image's '%s'", MANIFOLD_BUILD_SIGNATURE);
	assert_refused(expect);
}
END_TEST

START_TEST(missing_signature)
{
	char expect[512];

	fake_set_signature(ctx, "solo", NULL);
	snprintf(expect, sizeof(expect),
		 "not binary compatible: build signature '(null)' differs from the image's '%s'",
		 MANIFOLD_BUILD_SIGNATURE);
	assert_refused(expect);
}
END_TEST

START_TEST(descriptor_of_another_module)
{
	fake_set_desc_name(ctx, "solo", "other");
	assert_refused("not binary compatible: its descriptor is for module 'other'");
}
END_TEST

START_TEST(no_descriptor)
{
	fake_set_no_desc(ctx, "solo");
	assert_refused("not binary compatible: the module file has no descriptor");
}
END_TEST

START_TEST(map_failure)
{
	fake_fail_map(ctx, "solo", -ENOEXEC);
	assert_refused("cannot map its code: Exec format error");
	ck_assert_uint_eq(fake_maps(ctx, "solo"), 0);
}
END_TEST

START_TEST(incompatible_dependency_rolls_back)
{
	char *before, *after;

	ck_assert_int_eq(fake_load(ctx, "shared", NULL), 0);
	fake_journal_clear();
	fake_set_abi(ctx, "d", 0);
	before = fake_snapshot(ctx);
	ck_assert_int_lt(fake_load(ctx, "top", &ev), 0);
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	ck_assert_str_eq(fake_journal(), "load:a load:b load:deep unload:deep unload:b unload:a");
	/* d is refused; c and top cannot start without it; the holds go last. */
	ck_assert_str_eq(ev.seq, "start:a start:b start:deep fail:d note:d note:c note:top "
				 "fail:top stop:deep stop:b stop:a");
	free(before);
	free(after);
}
END_TEST

Suite *make_rollback_suite(void)
{
	Suite *s = suite_create("rollback");
	TCase *tc = tcase_create("rollback");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, deep_failure_restores_everything);
	tcase_add_test(tc, failure_spares_running_modules);
	tcase_add_test(tc, one_request_fails_others_stand);
	tcase_add_test(tc, abi_mismatch);
	tcase_add_test(tc, signature_mismatch);
	tcase_add_test(tc, missing_signature);
	tcase_add_test(tc, descriptor_of_another_module);
	tcase_add_test(tc, no_descriptor);
	tcase_add_test(tc, map_failure);
	tcase_add_test(tc, incompatible_dependency_rolls_back);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_rollback_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
