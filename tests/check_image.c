/* SPDX-License-Identifier: MIT */
/*
 * Integration tests: boot the built image (MANIFOLD_IMAGE, run through
 * MANIFOLD_RUN, e.g. qemu-aarch64-static for a cross board), feed its console
 * on standard input, and check what it prints and how it exits.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_file.h"

struct run {
	char *out;
	char *err;
	int status;
};

static char *slurp(const char *path)
{
	return test_read_file_or_fail(path, NULL);
}

/* Run the image with @args and @input on stdin. */
static struct run run_image(const char *args, const char *input)
{
	const char *image = getenv("MANIFOLD_IMAGE");
	const char *runner = getenv("MANIFOLD_RUN");
	char dir[] = "/tmp/mf-image-XXXXXX", cmd[2048], path[256];
	struct run r;
	FILE *fp;

	ck_assert_msg(image != NULL, "MANIFOLD_IMAGE is not set");
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/in", dir);
	fp = fopen(path, "w");
	ck_assert(fp != NULL);
	fputs(input, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "%s %s %s <%s/in >%s/out 2>%s/err",
		 runner ? runner : "", image, args, dir, dir, dir);
	r.status = system(cmd);
	ck_assert(r.status != -1);
	r.status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128;
	snprintf(path, sizeof(path), "%s/out", dir);
	r.out = slurp(path);
	snprintf(path, sizeof(path), "%s/err", dir);
	r.err = slurp(path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* The module names of the lines starting with @tag, in order, space-separated. */
static char *names_of(const char *out, const char *tag)
{
	size_t cap = 4096, len = 0, tlen = strlen(tag);
	char *names = calloc(1, cap);

	for (const char *line = out; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (strncmp(line, tag, tlen) == 0) {
			const char *p = line + tlen;
			size_t n;

			p += strspn(p, " ");
			n = strcspn(p, " \n");
			if (len)
				names[len++] = ' ';
			ck_assert(len + n + 1 < cap);
			memcpy(names + len, p, n);
			len += n;
		}
		line = eol ? eol + 1 : NULL;
	}
	return names;
}

static const char *boot_order =
	"res_timing_pthread res_timing_timerfd app_chanspy func_cut "
	"func_groupcount app_wait func_uri func_periodic_hook";

START_TEST(boots_in_dependency_order)
{
	struct run r = run_image("", "");
	char *started = names_of(r.out, "  started");
	char *stopped = names_of(r.out, "  stopped");

	ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
	ck_assert_str_eq(started, boot_order);
	/* Shutdown at end of input: the exact reverse. */
	ck_assert_str_eq(stopped, "func_periodic_hook func_uri app_wait "
				  "func_groupcount func_cut app_chanspy "
				  "res_timing_timerfd res_timing_pthread");
	const char *board = getenv("MANIFOLD_BOARD") ? getenv("MANIFOLD_BOARD") : "host";
	char want[256];

	/* The board's own modules.conf, built into the image. */
	snprintf(want, sizeof(want), "manifold: booting (boards/%s/modules.conf)\n", board);
	ck_assert_msg(strstr(r.out, want) != NULL, "no '%s' in:\n%s", want, r.out);
	/* Each boot line says the support level and why it started. */
	snprintf(want, sizeof(want), "  started   func_cut                 core       "
		 "boards/%s/modules.conf:5 autoload\n", board);
	ck_assert_msg(strstr(r.out, want) != NULL, "no '%s' in:\n%s", want, r.out);
	free(started);
	free(stopped);
	run_free(&r);
}
END_TEST

START_TEST(module_show_lists_every_module)
{
	struct run r = run_image("-q", "module show\n");
	static const char *const mods[] = {
		"app_chanspy", "app_wait", "func_cut", "func_groupcount",
		"func_periodic_hook", "func_uri", "res_timing_pthread",
		"res_timing_timerfd",
	};

	const char *header, *desc_at;
	size_t desc;

	ck_assert_int_eq(r.status, 0);
	header = strstr(r.out, "Module ");
	ck_assert_ptr_nonnull(header);
	/* Columns sized to the names: the longest is 18 characters. */
	desc_at = strstr(header, "Description");
	ck_assert_ptr_nonnull(desc_at);
	desc = (size_t)(desc_at - header);
	ck_assert_uint_eq(desc, strlen("func_periodic_hook") + 1);
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char *line = strstr(r.out, mods[i]);

		ck_assert_msg(line != NULL, "%s missing from:\n%s", mods[i], r.out);
		ck_assert_msg(strstr(line, "running") != NULL, "%s not running", mods[i]);
		/* Every module has a description (under the header's). */
		ck_assert_msg(line[desc] != ' ', "%s has no description:\n%.100s", mods[i], line);
	}
	/* func_cut: held by the admin and by func_periodic_hook. */
	ck_assert_ptr_nonnull(strstr(r.out,
		"func_cut           CUT: pick fields out of a delimited string                 running   2 core    embedded\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "8 modules, 8 running\n"));
	run_free(&r);
}
END_TEST

START_TEST(console_calls_module_functions)
{
	struct run r = run_image("-q", "call CUT(a-b-c,-,2)\n"
				      "call URIENCODE(a b)\n"
				      "call PERIODIC_HOOK(2,URIENCODE,x y)\n"
				      "call GROUP_COUNT(periodic_hook)\n");

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "call CUT(a-b-c,-,2)\nb\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "call URIENCODE(a b)\na%20b\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "x%20y,x%20y\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "call GROUP_COUNT(periodic_hook)\n2\n"));
	run_free(&r);
}
END_TEST

START_TEST(unload_and_load_again)
{
	struct run r = run_image("-q", "module unload func_cut\n"
				      "module unload -f func_cut\n"
				      "call CUT(a-b,-,1)\n"
				      "module load func_periodic_hook\n"
				      "call CUT(a-b,-,1)\n");

	ck_assert_int_eq(r.status, 0);
	/* Soft: the admin lets go, func_periodic_hook still holds it. */
	ck_assert_ptr_nonnull(strstr(r.out, "  held      func_cut: in use by module func_periodic_hook\n"
					  "Released func_cut: still running, it stops when its last user goes\n"));
	/* Forced: the user goes first, then func_cut. */
	ck_assert_ptr_nonnull(strstr(r.out,
		"  stopped   func_periodic_hook       core       forced unload\n"
		"  stopped   func_cut                 core       forced unload\n"
		"Unloaded func_cut\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "CUT: no such function or application\n"));
	/* Loading the dependent brings its dependency back. */
	ck_assert_ptr_nonnull(strstr(r.out,
		"  started   func_cut                 core       used by func_periodic_hook (module=func_cut)\n"
		"  started   func_periodic_hook       core       console: module load\n"
		"Loaded func_periodic_hook\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "call CUT(a-b,-,1)\na\n"));
	run_free(&r);
}
END_TEST

START_TEST(bad_commands_are_refused)
{
	struct run r = run_image("-q", "module frobnicate\n"
				      "module load ../etc/passwd\n"
				      "module load no_such_module\n"
				      "module show\n");

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "unknown command 'module frobnicate'; 'help' lists the commands\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "invalid module name (names are not paths)"));
	ck_assert_ptr_nonnull(strstr(r.out, "no_such_module: no such module"));
	ck_assert_ptr_nonnull(strstr(r.out, "8 modules, 8 running\n"));
	run_free(&r);
}
END_TEST

START_TEST(memory_reports_the_heap)
{
	struct run r = run_image("-q", "memory\nmodule unload -f func_cut\nmemory\n");
	unsigned long before = 0, after = 0;
	const char *p;

	ck_assert_int_eq(r.status, 0);
	p = strstr(r.out, "heap: ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "heap: %lu bytes in use", &before), 1);
	ck_assert_ptr_nonnull(strstr(p, " for 8 modules, 8 running: "));
	p = strstr(p + 1, "heap: ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "heap: %lu bytes in use", &after), 1);
	ck_assert_ptr_nonnull(strstr(p, " for 8 modules, 6 running: "));
	/* Two modules stopped: their instances' memory went back. */
	ck_assert_msg(before > 0 && after < before, "before %lu, after %lu", before, after);
	run_free(&r);
}
END_TEST

START_TEST(bad_option_is_a_usage_error)
{
	struct run r = run_image("-Z", "");

	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "usage:"));
	run_free(&r);
}
END_TEST

/* Write @text to DIR/@name; returns DIR (a new temporary directory). */
static char *config_dir(const char *modules_conf, const char *extconfig_conf)
{
	char *dir = strdup("/tmp/mf-conf-XXXXXX"), path[256];
	FILE *fp;

	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/modules.conf", dir);
	fp = fopen(path, "w");
	ck_assert(fp != NULL);
	fputs(modules_conf, fp);
	fclose(fp);
	if (extconfig_conf) {
		snprintf(path, sizeof(path), "%s/extconfig.conf", dir);
		fp = fopen(path, "w");
		ck_assert(fp != NULL);
		fputs(extconfig_conf, fp);
		fclose(fp);
	}
	return dir;
}

static void config_dir_free(char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

START_TEST(modules_conf_drives_boot)
{
	char *dir = config_dir("[modules]\n"
			       "autoload=no\n"
			       "require=func_periodic_hook.so\n"
			       "load=app_wait\n"
			       "neverload=res_timing_timerfd\n", NULL);
	char args[300];
	struct run r;
	char *started;

	snprintf(args, sizeof(args), "-C %s", dir);
	r = run_image(args, "module load res_timing_timerfd\nmodule deps app_wait\n");
	started = names_of(r.out, "  started");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	/* Only what was asked for and what it needs; the banned timer is
	 * passed over for the next best one. */
	ck_assert_str_eq(started, "res_timing_pthread app_chanspy func_cut "
				  "func_groupcount app_wait func_uri func_periodic_hook");
	ck_assert_ptr_nonnull(strstr(r.out, "modules.conf:3 require\n"));
	ck_assert_ptr_nonnull(strstr(r.out,
		"  FAILED    res_timing_timerfd: res_timing_timerfd is neverloaded ("));
	ck_assert_ptr_nonnull(strstr(r.out, "modules.conf:5)\nUnable to load res_timing_timerfd\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "-> res_timing_pthread (priority 100)"));
	free(started);
	run_free(&r);
	config_dir_free(dir);
}
END_TEST

/* @out without the lines that contain @drop, with @from replaced by @to. */
static char *normalized(const char *out, const char *drop, const char *from,
			const char *to)
{
	size_t cap = strlen(out) * 2 + 1, len = 0;
	char *buf = calloc(1, cap);

	ck_assert(buf != NULL);
	for (const char *line = out; *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) + 1 : strlen(line);
		char *copy = strndup(line, n);

		ck_assert(copy != NULL);
		if (!strstr(copy, drop)) {
			for (const char *p = copy; *p;) {
				const char *hit = strstr(p, from);
				size_t k = hit ? (size_t)(hit - p) : strlen(p);

				ck_assert(len + k + strlen(to) < cap);
				memcpy(buf + len, p, k);
				len += k;
				p += k;
				if (hit) {
					memcpy(buf + len, to, strlen(to));
					len += strlen(to);
					p += strlen(from);
				}
			}
		}
		free(copy);
		line += n;
	}
	return buf;
}

/*
 * The image follows the boot plan its build wrote into the table when the
 * configuration is the board's default one; one more line, even one that
 * changes nothing, and it plans at boot (docs/boards.md).  Both boots must
 * look the same from the console: the plan is only a shortcut.
 */
START_TEST(planned_boot_matches_a_planning_boot)
{
	static const char cmds[] =
		"module show\nmodule deps app_wait\nmodule deps func_periodic_hook\n"
		"module users res_timing_timerfd\nmodule why func_cut\n"
		"module unload -f res_timing_timerfd\nmodule deps app_wait\n";
	const char *board = getenv("MANIFOLD_BOARD") ? getenv("MANIFOLD_BOARD") : "host";
	char path[256], args[300], from[300], to[300];
	char *conf, *text, *dir, *planned, *planning;
	struct run a, b;

	snprintf(path, sizeof(path), "boards/%s/modules.conf", board);
	conf = slurp(path);
	text = malloc(strlen(conf) + 64);
	ck_assert(text != NULL);
	/* The same file, autoload on the same line, and a ban of nothing. */
	sprintf(text, "%sneverload=zz_not_a_module\n", conf);
	dir = config_dir(text, NULL);
	a = run_image("", cmds);
	snprintf(args, sizeof(args), "-C %s", dir);
	b = run_image(args, cmds);
	ck_assert_msg(a.status == 0 && b.status == 0, "exit %d / %d: %s%s",
		      a.status, b.status, a.err, b.err);
	snprintf(from, sizeof(from), "%s/modules.conf", dir);
	snprintf(to, sizeof(to), "boards/%s/modules.conf", board);
	planned = normalized(a.out, "zz_not_a_module", from, to);
	planning = normalized(b.out, "zz_not_a_module", from, to);
	if (strcmp(planned, planning) != 0) {
		/* Check's messages are short: the outputs go to stderr. */
		fprintf(stderr, "---- planned boot:\n%s---- planning boot:\n%s",
			planned, planning);
		ck_abort_msg("the planned boot differs from the planning boot (stderr)");
	}
	ck_assert_ptr_nonnull(strstr(planned, "  started   app_wait"));
	free(planned);
	free(planning);
	free(conf);
	free(text);
	run_free(&a);
	run_free(&b);
	config_dir_free(dir);
}
END_TEST

START_TEST(failed_require_refuses_to_start)
{
	char *dir = config_dir("[modules]\n"
			       "autoload=yes\n"
			       "require=app_wait\n"
			       "neverload=res_timing_timerfd\n"
			       "neverload=res_timing_pthread\n", NULL);
	char args[300];
	struct run r;

	snprintf(args, sizeof(args), "-C %s", dir);
	r = run_image(args, "module show\n");
	ck_assert_int_eq(r.status, 1);
	/* The chain of reasons, down to the bans. */
	ck_assert_msg(strstr(r.out, "app_wait: ") && strstr(r.out, "require: required module did not start: "
		"app_wait uses service=timer: no provider can start (res_timing_timerfd is neverloaded ("),
		"got: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.err, "manifold: cannot start: a required module did not start\n"));
	/* It never reached the console, and left nothing running. */
	ck_assert_ptr_null(strstr(r.out, "manifold> "));
	ck_assert_ptr_null(strstr(r.out, "  started   app_wait"));
	run_free(&r);
	config_dir_free(dir);
}
END_TEST

START_TEST(bad_config_line_is_refused)
{
	char *dir = config_dir("[modules]\nautoload=yes\nload=../../etc/passwd\n", NULL);
	char args[300], want[400];
	struct run r;

	snprintf(args, sizeof(args), "-C %s", dir);
	r = run_image(args, "");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "manifold: %s/modules.conf:3: invalid module name", dir);
	ck_assert_msg(strstr(r.err, want) != NULL, "stderr: %s", r.err);
	run_free(&r);
	config_dir_free(dir);
}
END_TEST

START_TEST(missing_config_dir_is_an_error)
{
	struct run r = run_image("-C /nonexistent/dir", "");

	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err,
		"manifold: /nonexistent/dir/modules.conf: No such file or directory\n"));
	run_free(&r);
}
END_TEST

START_TEST(image_is_static)
{
	const char *image = getenv("MANIFOLD_IMAGE");
	const char *want = getenv("MANIFOLD_EXPECT_LINK");
	char cmd[512], buf[1024] = "";
	FILE *fp;

	if (!want)
		want = "statically linked";
	snprintf(cmd, sizeof(cmd), "file -L %s", image);
	fp = popen(cmd, "r");
	ck_assert(fp != NULL);
	ck_assert(fgets(buf, sizeof(buf), fp) != NULL);
	pclose(fp);
	ck_assert_msg(strstr(buf, want) != NULL, "file says: %s", buf);
}
END_TEST

Suite *make_image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("boot");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, boots_in_dependency_order);
	tcase_add_test(tc, module_show_lists_every_module);
	tcase_add_test(tc, console_calls_module_functions);
	tcase_add_test(tc, unload_and_load_again);
	tcase_add_test(tc, bad_commands_are_refused);
	tcase_add_test(tc, memory_reports_the_heap);
	tcase_add_test(tc, bad_option_is_a_usage_error);
	tcase_add_test(tc, modules_conf_drives_boot);
	tcase_add_test(tc, planned_boot_matches_a_planning_boot);
	tcase_add_test(tc, failed_require_refuses_to_start);
	tcase_add_test(tc, bad_config_line_is_refused);
	tcase_add_test(tc, missing_config_dir_is_an_error);
	tcase_add_test(tc, image_is_static);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_image_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
