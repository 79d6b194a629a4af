/* SPDX-License-Identifier: MIT */
/*
 * Tests of `manifold-gen registry` (gen/registry.c) and of the manifest set
 * it reads (gen/manifest_set.c).
 *
 * Data, relative to the repository root (MF_TOP_SRCDIR, "." by default):
 *   tests/data/registry/set/NAME.manifest five modules
 *   tests/data/registry/expected/        registry.c and registry.h for them,
 *                                        with --embedded app_stack,func_cut
 *   tests/data/registry/dup/, broken/    sets that must be refused
 *   tests/data/registry/walker.c         walks the generated table
 * The table test writes a small set of its own (plan_set below) into a
 * temporary directory.
 * MF_UPDATE_GOLDEN=1 rewrites expected/ from the current output.
 *
 * The generated C is compiled with $CC (default "cc") and -Werror, linked
 * with walker.c and run: the table is checked by a C compiler and by code
 * that uses it, not only by comparing text.
 *
 * Build (from the repository root): make build/tests/check_registry.  It
 * links gen/ and the runtime files gen/ uses.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"
#include "gen.h"
#include "fault_inject.h"
#include "test_file.h"

#ifndef MF_TOP_SRCDIR
#define MF_TOP_SRCDIR "."
#endif
#define DATA MF_TOP_SRCDIR "/tests/data/registry"

#define N_SET 5
static const char *const set_names[N_SET] = {
	"res_timing_kqueue", "func_cut", "res_timing_timerfd", "app_stack",
	"res_timing_pthread",
};

/* ---- helpers ----------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	return test_read_file(path, len);
}

static void golden(const char *path, const char *got_path)
{
	const char *v = getenv("MF_UPDATE_GOLDEN");
	size_t got_len, want_len;
	char *got = slurp(got_path, &got_len), *want;
	FILE *fp;

	ck_assert_msg(got != NULL, "no output %s", got_path);
	if (v && strcmp(v, "1") == 0) {
		fp = fopen(path, "wb");
		ck_assert_ptr_nonnull(fp);
		ck_assert_uint_eq(fwrite(got, 1, got_len, fp), got_len);
		ck_assert_int_eq(fclose(fp), 0);
		free(got);
		return;
	}
	want = slurp(path, &want_len);
	ck_assert_msg(want != NULL, "missing golden file %s", path);
	ck_assert_msg(want_len == got_len && memcmp(want, got, got_len) == 0,
		      "%s differs from %s", got_path, path);
	free(want);
	free(got);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/mf-check-registry-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tmpdir(void)
{
	ck_assert_int_eq(nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A path under the temporary directory (static storage, @slot 0..7). */
static char *tmp_path(int slot, const char *name)
{
	static char paths[8][256];

	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", tmpdir, name);
	return paths[slot];
}

static char *set_path(size_t i)
{
	static char paths[N_SET][256];

	snprintf(paths[i], sizeof(paths[i]), "%s/set/%s.manifest", DATA,
		 set_names[i]);
	return paths[i];
}

/* Run gen_registry_main with stderr captured (malloc'd into *msg). */
static int run_registry(char **argv, char **msg)
{
	char path[256];
	int argc = 0, saved, fd, status;

	while (argv[argc])
		argc++;
	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);
	status = gen_registry_main(argc, argv);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	*msg = slurp(path, NULL);
	ck_assert_ptr_nonnull(*msg);
	unlink(path);
	return status;
}

/*
 * Generate the registry of the set, manifests in the order @order (indexes
 * into set_names), into @c_out and @h_out.
 */
static void generate(const size_t *order, const char *embedded,
		     const char *c_out, const char *h_out)
{
	char *argv[8 + N_SET], *msg;
	int argc = 0;
	size_t i;

	argv[argc++] = "registry";
	argv[argc++] = "-o";
	argv[argc++] = (char *)c_out;
	argv[argc++] = "-H";
	argv[argc++] = (char *)h_out;
	argv[argc++] = "--embedded";
	argv[argc++] = (char *)embedded;
	for (i = 0; i < N_SET; i++)
		argv[argc++] = set_path(order[i]);
	argv[argc] = NULL;
	ck_assert_int_eq(run_registry(argv, &msg), 0);
	ck_assert_str_eq(msg, "");
	free(msg);
}

static const size_t natural[N_SET] = {0, 1, 2, 3, 4};

/* ---- golden output ----------------------------------------------------- */

START_TEST(test_golden)
{
	char *c_out, *h_out;

	make_tmpdir();
	c_out = tmp_path(0, "registry.c");
	h_out = tmp_path(1, "registry.h");
	generate(natural, "func_cut,app_stack", c_out, h_out);
	golden(DATA "/expected/registry.c", c_out);
	golden(DATA "/expected/registry.h", h_out);
	ck_assert(!exists(tmp_path(2, "registry.c.tmp")));
	ck_assert(!exists(tmp_path(3, "registry.h.tmp")));
	remove_tmpdir();
}
END_TEST

/* --embedded @FILE: names one a line from a file give the same bytes. */
START_TEST(test_embedded_from_file)
{
	char *c_out, *h_out, list[600];
	FILE *fp;

	make_tmpdir();
	c_out = tmp_path(0, "registry.c");
	h_out = tmp_path(1, "registry.h");
	snprintf(list, sizeof(list), "@%s", tmp_path(2, "embedded.list"));
	fp = fopen(list + 1, "w");
	ck_assert(fp != NULL);
	fputs("func_cut\napp_stack\n", fp);
	fclose(fp);
	generate(natural, list, c_out, h_out);
	golden(DATA "/expected/registry.c", c_out);
	golden(DATA "/expected/registry.h", h_out);
	remove_tmpdir();
}
END_TEST

static bool next_permutation(size_t *a, size_t n)
{
	size_t i = n - 1, j = n - 1, t;

	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	while (a[j] <= a[i - 1])
		j--;
	t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	return true;
}

/* Every order of the command line gives the same bytes. */
START_TEST(test_order_independent)
{
	size_t order[N_SET] = {0, 1, 2, 3, 4}, runs = 0;
	char *first_c, *first_h, *c, *h;
	size_t lc0, lh0, lc, lh;

	make_tmpdir();
	generate(order, "app_stack,func_cut", tmp_path(0, "first.c"),
		 tmp_path(1, "first.h"));
	first_c = slurp(tmp_path(0, "first.c"), &lc0);
	first_h = slurp(tmp_path(1, "first.h"), &lh0);
	while (next_permutation(order, N_SET)) {
		/* Both orders of --embedded, too. */
		generate(order, runs % 2 ? "app_stack,func_cut" : "func_cut,app_stack",
			 tmp_path(2, "r.c"), tmp_path(3, "r.h"));
		c = slurp(tmp_path(2, "r.c"), &lc);
		h = slurp(tmp_path(3, "r.h"), &lh);
		ck_assert_msg(lc == lc0 && memcmp(c, first_c, lc) == 0,
			      "registry.c differs for order %zu%zu%zu%zu%zu",
			      order[0], order[1], order[2], order[3], order[4]);
		ck_assert(lh == lh0 && memcmp(h, first_h, lh) == 0);
		free(c);
		free(h);
		runs++;
	}
	ck_assert_uint_eq(runs, 119);
	free(first_c);
	free(first_h);
	remove_tmpdir();
}
END_TEST

/* ---- refusals ---------------------------------------------------------- */

START_TEST(test_duplicates_refused)
{
	char *out, *msg;
	char *argv[] = {"registry", "-o", NULL, DATA "/dup/func_cut_copy.manifest",
			DATA "/dup/app_stack.manifest", DATA "/dup/func_cut.manifest",
			NULL};

	make_tmpdir();
	out = tmp_path(0, "registry.c");
	argv[2] = out;
	ck_assert_int_eq(run_registry(argv, &msg), 1);
	/* Both files named, in a fixed order whatever the command line. */
	ck_assert_str_eq(msg, DATA "/dup/func_cut_copy.manifest: module "
				   "'func_cut' is also defined by " DATA
				   "/dup/func_cut.manifest\n");
	free(msg);
	ck_assert(!exists(out));
	remove_tmpdir();
}
END_TEST

START_TEST(test_broken_manifest)
{
	char *out, *msg;
	char *argv[] = {"registry", "-o", NULL, DATA "/broken/bad_key.manifest",
			DATA "/broken/app_stack.manifest",
			DATA "/broken/missing.manifest", NULL};

	make_tmpdir();
	out = tmp_path(0, "registry.c");
	argv[2] = out;
	ck_assert_int_eq(run_registry(argv, &msg), 1);
	/* Every bad input is reported, not only the first. */
	ck_assert_str_eq(msg, DATA "/broken/bad_key.manifest:3: unknown key "
				   "'colour' in [module]\n" DATA
				   "/broken/missing.manifest: No such file or "
				   "directory\n");
	free(msg);
	ck_assert(!exists(out));
	remove_tmpdir();
}
END_TEST

START_TEST(test_unknown_embedded)
{
	char *out, *msg;
	char *argv[] = {"registry", "-o", NULL, "--embedded", "app_stack,nope",
			DATA "/set/app_stack.manifest", NULL};

	make_tmpdir();
	out = tmp_path(0, "registry.c");
	argv[2] = out;
	ck_assert_int_eq(run_registry(argv, &msg), 1);
	ck_assert_str_eq(msg, "manifold-gen registry: --embedded: no manifest "
			      "for module 'nope'\n");
	free(msg);
	ck_assert(!exists(out));
	remove_tmpdir();
}
END_TEST

START_TEST(test_usage)
{
	char *no_out[] = {"registry", DATA "/set/app_stack.manifest", NULL};
	char *bad_opt[] = {"registry", "-o", "x.c", "--bogus", NULL};
	char *msg;

	make_tmpdir();
	ck_assert_int_eq(run_registry(no_out, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "-o OUT.c is required"));
	free(msg);
	ck_assert_int_eq(run_registry(bad_opt, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "usage: manifold-gen registry"));
	free(msg);
	ck_assert(!exists("x.c"));
	remove_tmpdir();
}
END_TEST

/* ---- the generated C --------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(r, 0);
	r = system(cmd);
	free(cmd);
	return r != -1 && WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static const char *cc(void)
{
	const char *v = getenv("CC");

	return v && *v ? v : "cc";
}

/* Compile the registry with -Werror, link it with walker.c, run the walker. */
START_TEST(test_compile_and_walk)
{
	make_tmpdir();
	generate(natural, "app_stack,func_cut", tmp_path(0, "registry.c"),
		 tmp_path(1, "registry.h"));
	ck_assert_int_eq(sh("%s -std=gnu11 -Wall -Wextra -Werror "
			    "-I%s/runtime/include -I%s %s " DATA "/walker.c "
			    "-o %s",
			    cc(), MF_TOP_SRCDIR, tmpdir, tmp_path(0, "registry.c"),
			    tmp_path(2, "walker")),
			 0);
	ck_assert_int_eq(sh("%s", tmp_path(2, "walker")), 0);
	/* Plain ISO C too: the table is data, it needs no extension. */
	ck_assert_int_eq(sh("%s -std=c11 -Wall -Wextra -Wpedantic -Werror "
			    "-I%s/runtime/include -c %s -o %s",
			    cc(), MF_TOP_SRCDIR, tmp_path(0, "registry.c"),
			    tmp_path(3, "registry.o")),
			 0);
	remove_tmpdir();
}
END_TEST

/* No manifest at all still makes a valid, empty table. */
START_TEST(test_empty_set)
{
	char *argv[] = {"registry", "-o", NULL, "-H", NULL, NULL};
	char *msg, *text;

	make_tmpdir();
	argv[2] = tmp_path(0, "registry.c");
	argv[4] = tmp_path(1, "registry.h");
	ck_assert_int_eq(run_registry(argv, &msg), 0);
	free(msg);
	text = slurp(argv[4], NULL);
	ck_assert_ptr_nonnull(strstr(text, "#define MANIFOLD_REGISTRY_MODULES 0\n"));
	free(text);
	ck_assert_int_eq(sh("%s -std=gnu11 -Wall -Wextra -Werror "
			    "-I%s/runtime/include -c %s -o %s",
			    cc(), MF_TOP_SRCDIR, argv[2], tmp_path(2, "r.o")),
			 0);
	remove_tmpdir();
}
END_TEST

/* ---- a table of built-in modules --------------------------------------- */

/*
 * Hand-made sets, one manifest a string "name|body" (body: the lines after
 * name=), written under the temporary directory.  Modules (sorted by name):
 *
 *   a_user    uses service=timer and module=z_lib; load_priority 10, so
 *             only its dependencies can make it start after the others
 *   b_mod     nothing; built as m in plan_m
 *   timer_a   service=timer:100
 *   timer_b   service=timer:200, the better timer
 *   z_lib     nothing
 */
static const char *const plan_set[] = {
	"a_user|load_priority=10\n\n[uses]\nservice=timer\nmodule=z_lib\n",
	"b_mod|\n",
	"timer_a|\n[provides]\nservice=timer:100\n",
	"timer_b|\n[provides]\nservice=timer:200\n",
	"z_lib|\n",
};
#define N_PLAN_SET (sizeof(plan_set) / sizeof(plan_set[0]))

/* Write the set's manifests; their paths into argv from @argc on. */
static int write_plan_set(char **argv, int argc)
{
	static char paths[N_PLAN_SET][256];
	size_t i;

	for (i = 0; i < N_PLAN_SET; i++) {
		const char *bar = strchr(plan_set[i], '|');
		int len = (int)(bar - plan_set[i]);
		FILE *fp;

		snprintf(paths[i], sizeof(paths[i]), "%s/%.*s.manifest", tmpdir,
			 len, plan_set[i]);
		fp = fopen(paths[i], "w");
		ck_assert_ptr_nonnull(fp);
		fprintf(fp, "[module]\nname=%.*s\n%s", len, plan_set[i], bar + 1);
		ck_assert_int_eq(fclose(fp), 0);
		argv[argc++] = paths[i];
	}
	argv[argc] = NULL;
	return argc;
}

/* The registry of plan_set with @embedded built in: its text (malloc'd). */
static char *plan_registry(const char *embedded)
{
	char *argv[8 + N_PLAN_SET], *msg, *text;
	int argc = 0;

	argv[argc++] = "registry";
	argv[argc++] = "-o";
	argv[argc++] = tmp_path(0, "plan.c");
	argv[argc++] = "--embedded";
	argv[argc++] = (char *)embedded;
	write_plan_set(argv, argc);
	ck_assert_int_eq(run_registry(argv, &msg), 0);
	/* With or without a plan, the registry says nothing: problems are
	 * `manifold-gen check`'s to report. */
	ck_assert_str_eq(msg, "");
	free(msg);
	text = slurp(tmp_path(0, "plan.c"), NULL);
	ck_assert_ptr_nonnull(text);
	/* And it compiles, as ISO C. */
	ck_assert_int_eq(sh("%s -std=c11 -Wall -Wextra -Wpedantic -Werror "
			    "-I%s/runtime/include -c %s -o %s",
			    cc(), MF_TOP_SRCDIR, tmp_path(0, "plan.c"),
			    tmp_path(1, "plan.o")),
			 0);
	return text;
}

#define ck_assert_has(text, want)                                              \
	ck_assert_msg(strstr((text), (want)) != NULL, "no\n%s\nin\n%s", (want), \
		      (text))

/*
 * A table is data about modules and nothing else: no start order or
 * provider choice made at build time (the runtime plans every boot).
 */
START_TEST(test_no_boot_plan)
{
	char *text;

	make_tmpdir();
	text = plan_registry("a_user,b_mod,timer_a,timer_b,z_lib");
	ck_assert_ptr_null(strstr(text, "boot"));
	ck_assert_has(text, "\t.n_providers = ");
	free(text);
	remove_tmpdir();
}
END_TEST

/* ---- gen_set_load() ---------------------------------------------------- */

START_TEST(test_set_sorted)
{
	char *paths[N_SET + 1];
	struct gen_manifest_set set;
	size_t i;

	for (i = 0; i < N_SET; i++)
		paths[i] = set_path(N_SET - 1 - i);
	/* The same file twice: kept twice, next to each other. */
	paths[N_SET] = set_path(1);
	ck_assert_int_eq(gen_set_load(&set, N_SET + 1, paths), 0);
	ck_assert_uint_eq(set.count, N_SET + 1);
	ck_assert_str_eq(set.items[0]->name, "app_stack");
	ck_assert_str_eq(set.items[1]->name, "func_cut");
	ck_assert_str_eq(set.items[2]->name, "func_cut");
	for (i = 1; i < set.count; i++)
		ck_assert_int_le(strcmp(set.items[i - 1]->name,
					set.items[i]->name),
				 0);
	gen_set_free(&set);
	ck_assert_ptr_null(set.items);
	ck_assert_uint_eq(set.count, 0);

	ck_assert_int_eq(gen_set_load(&set, 0, paths), 0);
	ck_assert_uint_eq(set.count, 0);
	gen_set_free(&set);
}
END_TEST

START_TEST(test_set_ties_by_path)
{
	char *ab[] = {DATA "/dup/func_cut_copy.manifest",
		      DATA "/dup/func_cut.manifest"};
	char *ba[] = {DATA "/dup/func_cut.manifest",
		      DATA "/dup/func_cut_copy.manifest"};
	struct gen_manifest_set s1, s2;

	ck_assert_int_eq(gen_set_load(&s1, 2, ab), 0);
	ck_assert_int_eq(gen_set_load(&s2, 2, ba), 0);
	ck_assert_str_eq(s1.items[0]->path, DATA "/dup/func_cut.manifest");
	ck_assert_str_eq(s2.items[0]->path, DATA "/dup/func_cut.manifest");
	ck_assert_int_eq(s1.items[1]->support_level, MF_SUPPORT_EXTENDED);
	gen_set_free(&s1);
	gen_set_free(&s2);
}
END_TEST

/* Bad ones are reported and left out; the good ones stay. */
START_TEST(test_set_partial)
{
	char *paths[] = {DATA "/broken/bad_key.manifest",
			 DATA "/broken/app_stack.manifest"};
	struct gen_manifest_set set;
	int saved, fd;

	make_tmpdir();
	fflush(stderr);
	saved = dup(2);
	fd = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);
	ck_assert_int_eq(gen_set_load(&set, 2, paths), -EINVAL);
	dup2(saved, 2);
	close(saved);
	ck_assert_uint_eq(set.count, 1);
	ck_assert_str_eq(set.items[0]->name, "app_stack");
	gen_set_free(&set);
	remove_tmpdir();
}
END_TEST

/* ---- out of memory ----------------------------------------------------- */

/*
 * The generator allocates through the runtime's allocator: its hook
 * (tests/fault_inject.h) fails the Nth allocation and its byte count shows
 * what a failed run left behind, as in every other suite.  stdio's own
 * buffers are the C library's and never fail here.
 */

/* Byte-equal files; no assertion, so it can run with stderr elsewhere. */
static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *ta = slurp(a, &la), *tb = slurp(b, &lb);
	bool same = ta && tb && la == lb && memcmp(ta, tb, la) == 0;

	free(ta);
	free(tb);
	return same;
}

/* Fail allocation 0, 1, 2, ... of one registry run until it succeeds. */
START_TEST(test_out_of_memory)
{
	char *argv[8 + N_SET], *c_out, *h_out;
	const char *golden_c;
	int argc, status = -1, saved, fd;
	bool met = true;
	long n, live = 0;
	size_t i;

	make_tmpdir();
	c_out = tmp_path(0, "registry.c");
	h_out = tmp_path(1, "registry.h");
	golden_c = DATA "/expected/registry.c";
	argc = 0;
	argv[argc++] = "registry";
	argv[argc++] = "-o";
	argv[argc++] = c_out;
	argv[argc++] = "-H";
	argv[argc++] = h_out;
	argv[argc++] = "--embedded=func_cut,app_stack";
	for (i = 0; i < N_SET; i++)
		argv[argc++] = set_path(i);
	argv[argc] = NULL;

	fflush(stderr);
	saved = dup(2);
	fd = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
	for (n = 0;; n++) {
		fi_arm(n);
		status = gen_registry_main(argc, argv);
		met = mf_alloc_count() > (unsigned long)n;
		fi_disarm();
		live = fi_live();
		if (!met || live != 0)
			break;
		/*
		 * The runtime's core, which registry boots to plan, may go
		 * without a block it only wanted (an index): success is then
		 * right too, with the same bytes.
		 */
		if (status == 0 && !same_file(c_out, golden_c))
			break;
		/* A failed run leaves no table (the header comes second). */
		if (status != 0 && (status != 1 || (exists(c_out) && exists(h_out))))
			break;
		unlink(c_out);
		unlink(h_out);
	}
	dup2(saved, 2);
	close(saved);
	ck_assert_msg(!met, "allocation %ld failing: status %d, %ld bytes "
			    "leaked", n, status, live);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(live, 0);
	ck_assert_int_gt(n, 10);
	ck_assert(same_file(c_out, golden_c));
	golden(DATA "/expected/registry.h", h_out);
	remove_tmpdir();
}
END_TEST

/* A missing input is said once, and nothing else is said of it. */
START_TEST(test_missing_input)
{
	char *c_out, *msg;
	char *argv[] = {"registry", "-o", NULL, DATA "/nonexistent.manifest",
			NULL, NULL};
	int status;

	make_tmpdir();
	c_out = tmp_path(0, "registry.c");
	argv[2] = c_out;
	argv[4] = set_path(0);
	status = run_registry(argv, &msg);
	ck_assert_int_eq(status, 1);
	ck_assert_str_eq(msg, DATA "/nonexistent.manifest: No such file or "
				   "directory\n");
	free(msg);
	ck_assert(!exists(c_out));
	remove_tmpdir();
}
END_TEST

Suite *make_registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("registry");

	/* The compile test runs a compiler twice; leave it room. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_order_independent);
	tcase_add_test(tc, test_duplicates_refused);
	tcase_add_test(tc, test_broken_manifest);
	tcase_add_test(tc, test_unknown_embedded);
	tcase_add_test(tc, test_embedded_from_file);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_compile_and_walk);
	tcase_add_test(tc, test_empty_set);
	tcase_add_test(tc, test_no_boot_plan);
	tcase_add_test(tc, test_set_sorted);
	tcase_add_test(tc, test_set_ties_by_path);
	tcase_add_test(tc, test_set_partial);
	tcase_add_test(tc, test_out_of_memory);
	tcase_add_test(tc, test_missing_input);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_registry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
