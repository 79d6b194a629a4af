/* SPDX-License-Identifier: MIT */
/*
 * The runtime of an image built without CONFIG_MODULES: linked with
 * backend_loadable_none.c instead of the module directory and the loadable
 * backend.  Every module-directory call refuses with -EOPNOTSUPP, and a load
 * of a module the image does not have says plainly why it cannot come from
 * anywhere else.  Embedded (here: fake) modules work as ever.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <manifold/moddir.h>

#include "fake_backend.h"

START_TEST(module_directory_is_not_supported)
{
	struct mf_context *ctx;

	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(mf_moddir_set(ctx, "/tmp", 0), -EOPNOTSUPP);
	ck_assert_int_eq(mf_moddir_set(ctx, "/tmp", MF_MODDIR_NO_PERM_CHECK), -EOPNOTSUPP);
	ck_assert_ptr_null(mf_moddir_path(ctx));
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), -EOPNOTSUPP);
	mf_context_unref(ctx);
}
END_TEST

START_TEST(missing_module_says_why)
{
	struct fake_events ev = { .count = 0 };
	struct mf_context *ctx;
	char buf[512];

	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add(ctx, "[module]\nname=a\n", NULL), 0);
	/* Asked for a module directory, as the image always asks. */
	ck_assert_int_eq(mf_moddir_set(ctx, "/tmp", 0), -EOPNOTSUPP);
	ck_assert_int_eq(fake_load(ctx, "a func_uri", &ev), -ENOENT);
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_FAIL, "func_uri", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "no such module (this image was built without "
			      "CONFIG_MODULES: it cannot load module files)");
	ck_assert(fake_state(ctx, "a") == MF_STATE_RUNNING);
	mf_context_unref(ctx);
}
END_TEST

Suite *make_loadable_none_suite(void)
{
	Suite *s = suite_create("loadable_none");
	TCase *tc = tcase_create("without CONFIG_MODULES");

	tcase_add_test(tc, module_directory_is_not_supported);
	tcase_add_test(tc, missing_module_says_why);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_loadable_none_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
