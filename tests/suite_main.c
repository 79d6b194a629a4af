/* SPDX-License-Identifier: MIT */
/*
 * One runner for any suite, for builds where a suite's own main() cannot be
 * used: under AddressSanitizer, which owns malloc, the suites' allocation
 * failure tests (which replace malloc in their own main's build) are left
 * out by building them with -DMF_CHECK_NO_MAIN, and this file supplies main.
 * Build with -DMF_SUITE=make_<unit>_suite.
 */
#include <check.h>
#include <stdlib.h>

Suite *MF_SUITE(void);

int main(void)
{
	SRunner *sr = srunner_create(MF_SUITE());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
