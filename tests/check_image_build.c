/* SPDX-License-Identifier: MIT */
/*
 * The build as a user drives it: a module switched between y, m and n in a
 * board's .config ends up in the image's table, in the module directory, or
 * nowhere; a .config the manifests cannot satisfy is refused before anything
 * is compiled, with the reason.  Runs make on board host-modules into a
 * scratch output directory (O=), from the repository root.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_file.h"

#define O "build/test-build"
#define MAKE "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory BOARD=host-modules O=" O

static char *slurp(const char *path)
{
	return test_read_file(path, NULL);
}

/* Run make with @goals; returns its exit status, output in O/make.log. */
static int make(const char *goals)
{
	char cmd[512];
	int status;

	snprintf(cmd, sizeof(cmd), MAKE " %s >" O ".log 2>&1", goals);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *make_log(void)
{
	return slurp(O ".log");
}

/* Set one module's line in the .config: 'y', 'm' or 'n'. */
static void set_module(const char *upper, char value)
{
	char *config = slurp(O "/.config"), key[128], *p;
	FILE *fp;

	ck_assert(config != NULL);
	fp = fopen(O "/.config", "w");
	ck_assert(fp != NULL);
	snprintf(key, sizeof(key), "CONFIG_MODULE_%s", upper);
	/* Rewrite every line but this module's, then add its new one. */
	for (char *line = strtok_r(config, "\n", &p); line; line = strtok_r(NULL, "\n", &p)) {
		if (strstr(line, key) && (line[strlen(key) + (line[0] == '#' ? 2 : 0)] == '=' ||
					  strstr(line, " is not set")))
			continue;
		fprintf(fp, "%s\n", line);
	}
	if (value == 'n')
		fprintf(fp, "# %s is not set\n", key);
	else
		fprintf(fp, "%s=%c\n", key, value);
	fclose(fp);
	free(config);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void setup(void)
{
	ck_assert_int_eq(system("rm -rf " O " " O ".log"), 0);
	ck_assert_msg(make(O "/.config") == 0, "configuring failed:\n%s", make_log());
}

START_TEST(y_m_n_decide_where_a_module_goes)
{
	char *registry;

	/* y: in the image's table, with its descriptor; no module file. */
	set_module("APP_WAIT", 'y');
	ck_assert_msg(make("all") == 0, "%s", make_log());
	registry = slurp(O "/registry.c");
	ck_assert_ptr_nonnull(strstr(registry, "&manifold_module_app_wait"));
	ck_assert(!exists(O "/modules/app_wait.so"));
	free(registry);

	/* m: a module file and its checksummed manifest; no descriptor. */
	set_module("APP_WAIT", 'm');
	ck_assert_msg(make("all") == 0, "%s", make_log());
	registry = slurp(O "/registry.c");
	ck_assert_ptr_null(strstr(registry, "&manifold_module_app_wait"));
	ck_assert(exists(O "/modules/app_wait.so"));
	{
		char *manifest = slurp(O "/modules/app_wait.manifest");

		ck_assert_ptr_nonnull(manifest);
		ck_assert_ptr_nonnull(strstr(manifest, "checksum=sha256:"));
		free(manifest);
	}
	free(registry);

	/* n: nowhere. */
	set_module("APP_WAIT", 'n');
	ck_assert_msg(make("all") == 0, "%s", make_log());
	registry = slurp(O "/registry.c");
	ck_assert_ptr_null(strstr(registry, "\"app_wait\""));
	ck_assert(!exists(O "/modules/app_wait.so"));
	ck_assert(!exists(O "/modules/app_wait.manifest"));
	free(registry);
}
END_TEST

START_TEST(unsatisfiable_config_is_refused)
{
	char *log;

	/* app_wait built in, while the only timer left is loadable. */
	set_module("APP_WAIT", 'y');
	set_module("RES_TIMING_PTHREAD", 'n');
	set_module("RES_TIMING_TIMERFD", 'm');
	ck_assert_int_ne(make("all"), 0);
	log = make_log();
	ck_assert_msg(strstr(log, "app_wait is y but service=timer is only provided by m "
				  "modules: res_timing_pthread (n), res_timing_timerfd (m)") != NULL, "%s", log);
	ck_assert_msg(strstr(log, O "/.config: refused") != NULL, "%s", log);
	/* Refused before anything was compiled for the image. */
	ck_assert(!exists(O "/manifold"));
	free(log);
}
END_TEST

Suite *make_image_build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("config");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, y_m_n_decide_where_a_module_goes);
	tcase_add_test(tc, unsatisfiable_config_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_image_build_suite());
	int failed;

	/* One make at a time in one scratch directory. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
