/* SPDX-License-Identifier: MIT */
/*
 * Tests of `manifold-gen kconfig` (gen/kconfig.c): golden menus, and the
 * menu run through the real kconfig-conf (kconfig-frontends), whose every
 * .config must then pass `manifold-gen check --config`.  That is the promise
 * the pair makes: what Kconfig lets a user choose, the validator accepts.
 *
 * Data in tests/data/kconfig/, relative to the repository root (override with
 * -DMF_TEST_DATA_DIR=...); "@DATA@" in golden files stands for that folder.
 * Needs kconfig-conf on PATH (Debian: kconfig-frontends-nox).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../gen/gen.h"
#include "test_file.h"

#ifndef MF_TEST_DATA_DIR
#define MF_TEST_DATA_DIR "tests/data/kconfig"
#endif
#define DATA(name) MF_TEST_DATA_DIR "/" name

/* The top-level Kconfig a build would have, reduced to what the menu needs:
 * MODULES with `option modules` (kconfig-frontends 4.11 does not know the
 * newer bare `modules`). */
static const char top_kconfig[] = "mainmenu \"manifold test\"\n"
				  "\n"
				  "config MODULES\n"
				  "\tbool \"Loadable modules\"\n"
				  "\tdefault y\n"
				  "\toption modules\n"
				  "\n"
				  "source \"modules.kconfig\"\n";

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char *slurp(const char *path)
{
	return test_read_file_or_fail(path, NULL);
}

static void spew(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_msg(fp != NULL, "cannot write %s", path);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *golden(const char *path)
{
	static const char mark[] = "@DATA@";
	char *text = slurp(path), *out, *p, *hit;
	size_t dl = strlen(MF_TEST_DATA_DIR), n = 0;

	for (p = text; (hit = strstr(p, mark)); p = hit + sizeof(mark) - 1)
		n++;
	out = malloc(strlen(text) + n * dl + 1);
	ck_assert_ptr_nonnull(out);
	out[0] = '\0';
	for (p = text; (hit = strstr(p, mark)); p = hit + sizeof(mark) - 1) {
		strncat(out, p, (size_t)(hit - p));
		strcat(out, MF_TEST_DATA_DIR);
	}
	strcat(out, p);
	free(text);
	return out;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *tmpdir_make(void)
{
	char *dir = strdup("/tmp/mf-kconfig-XXXXXX");

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void tmpdir_free(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* A command line: a fixed head, then the files of some glob patterns. */
struct args {
	char **argv;
	int argc;
	glob_t g;
};

static void args_make(struct args *a, const char *const *head, size_t n_head,
		      const char *const *patterns, size_t n_patterns,
		      int reverse)
{
	size_t i;
	int flags = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < n_patterns; i++, flags = GLOB_APPEND)
		ck_assert_int_eq(glob(patterns[i], flags, NULL, &a->g), 0);
	a->argv = calloc(n_head + a->g.gl_pathc + 1, sizeof(char *));
	ck_assert_ptr_nonnull(a->argv);
	for (i = 0; i < n_head; i++)
		a->argv[a->argc++] = (char *)head[i];
	for (i = 0; i < a->g.gl_pathc; i++)
		a->argv[a->argc++] =
			a->g.gl_pathv[reverse ? a->g.gl_pathc - 1 - i : i];
}

static void args_free(struct args *a)
{
	globfree(&a->g);
	free(a->argv);
}

/* kconfig -o OUT files...; returns the exit status.  @sources is left
 * from the days of --sources: always NULL now. */
static int gen_menu(const char *out, const char *sources,
		    const char *const *patterns, size_t n_patterns, int reverse)
{
	const char *head[] = {"kconfig", "-o", out, "--sources", sources};
	struct args a;
	int status;

	args_make(&a, head, sources ? 5 : 3, patterns, n_patterns, reverse);
	status = gen_kconfig_main(a.argc, a.argv);
	args_free(&a);
	return status;
}

/* Run `check [--config CFG] files...` with stdout captured. */
static char *run_check(const char *cfg, const char *const *patterns,
		       size_t n_patterns, int *status)
{
	const char *head[] = {"check", "--config", cfg};
	char path[] = "/tmp/mf-kconfig-out-XXXXXX";
	struct args a;
	int fd, saved;
	char *text;

	args_make(&a, head, cfg ? 3 : 1, patterns, n_patterns, 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
	*status = gen_check_main(a.argc, a.argv);
	fflush(stdout);
	ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	close(fd);
	text = slurp(path);
	unlink(path);
	args_free(&a);
	return text;
}

/*
 * kconfig-conf MODE Kconfig in @dir, with KCONFIG_CONFIG=@dir/.config and,
 * for randconfig, KCONFIG_SEED=@seed.  Returns its exit status; *err gets
 * what it wrote to stderr.
 */
static int kconfig_conf(const char *dir, const char *mode, unsigned seed,
			char **err)
{
	char *cfg = path_in(dir, ".config"), *errp = path_in(dir, "stderr");
	char seedbuf[32];
	pid_t pid;
	int status;

	snprintf(seedbuf, sizeof(seedbuf), "%u", seed);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (null < 0 || efd < 0 || chdir(dir) < 0 ||
		    dup2(null, STDOUT_FILENO) < 0 ||
		    dup2(efd, STDERR_FILENO) < 0 ||
		    setenv("KCONFIG_CONFIG", cfg, 1) < 0 ||
		    setenv("KCONFIG_SEED", seedbuf, 1) < 0)
			_exit(126);
		unsetenv("KCONFIG_ALLCONFIG");
		execlp("kconfig-conf", "kconfig-conf", mode, "Kconfig",
		       (char *)NULL);
		dprintf(efd, "cannot run kconfig-conf: %s\n", strerror(errno));
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	*err = slurp(errp);
	free(cfg);
	free(errp);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A temp dir holding Kconfig + the generated modules.kconfig. */
static char *menu_dir(const char *sources, const char *const *patterns,
		      size_t n_patterns)
{
	char *dir = tmpdir_make(), *top = path_in(dir, "Kconfig");
	char *menu = path_in(dir, "modules.kconfig");

	spew(top, top_kconfig);
	ck_assert_int_eq(gen_menu(menu, sources, patterns, n_patterns, 0), 0);
	free(top);
	free(menu);
	return dir;
}

/*
 * Run kconfig-conf MODE and hold the .config it writes against the
 * validator: no warnings from Kconfig, and `check --config` says exactly
 * what plain `check` says (nothing more: the selection adds no problem).
 */
static void conf_and_check(const char *dir, const char *mode, unsigned seed,
			   const char *const *patterns, size_t n_patterns,
			   const char *baseline, int baseline_status)
{
	char *cfg = path_in(dir, ".config"), *err, *report, *want_err = NULL;
	int status;

	if (strcmp(mode, "--olddefconfig") != 0)
		unlink(cfg);
	status = kconfig_conf(dir, mode, seed, &err);
	ck_assert_msg(status == 0, "kconfig-conf %s: exit %d: %s", mode, status,
		      err);
	/* randconfig says which seed it used; that is all it may say. */
	if (strcmp(mode, "--randconfig") == 0)
		ck_assert_int_ge(asprintf(&want_err, "KCONFIG_SEED=0x%X\n",
					  seed),
				 0);
	ck_assert_msg(strcmp(err, want_err ? want_err : "") == 0,
		      "kconfig-conf %s (seed %u) warned: %s", mode, seed, err);
	report = run_check(cfg, patterns, n_patterns, &status);
	ck_assert_msg(strcmp(report, baseline) == 0 &&
			      status == baseline_status,
		      "%s (seed %u): check --config says\n%s\nbut without "
		      "the config\n%s",
		      mode, seed, report, baseline);
	free(report);
	free(err);
	free(want_err);
	free(cfg);
}

static const char *const all_modes[] = {
	"--olddefconfig", "--alldefconfig", "--allyesconfig",
	"--allmodconfig", "--allnoconfig",
};
#define N_ALL_MODES (sizeof(all_modes) / sizeof(all_modes[0]))

/* ------------------------------------------------------------------ */
/* Golden menus                                                        */
/* ------------------------------------------------------------------ */

static void expect_menu(const char *sources, const char *const *patterns,
			size_t n_patterns, const char *golden_path)
{
	char *dir = tmpdir_make(), *out = path_in(dir, "modules.kconfig");
	char *got, *want;

	ck_assert_int_eq(gen_menu(out, sources, patterns, n_patterns, 0), 0);
	got = slurp(out);
	want = golden(golden_path);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	/* The same set in another order: the same bytes. */
	ck_assert_int_eq(gen_menu(out, sources, patterns, n_patterns, 1), 0);
	got = slurp(out);
	want = golden(golden_path);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free(out);
	tmpdir_free(dir);
}

START_TEST(test_golden_with_menu_defaults)
{
	/* Missing provider, an unavoidable cycle, an avoidable one, quotes in
	 * a description, self-provided needs, defaults from [menu] (what
	 * extract writes of MODULEINFO's <defaultenabled>). */
	static const char *const pats[] = {DATA("menu/*.manifest"),
					   DATA("broken/*.manifest")};

	expect_menu(NULL, pats, 2, DATA("all.expected"));
}
END_TEST

START_TEST(test_golden_support_levels)
{
	static const char *const pats[] = {DATA("clean/*.manifest")};

	expect_menu(NULL, pats, 1, DATA("clean.expected"));
}
END_TEST

/* A failed run leaves no output behind, not even the temporary. */
static void expect_failure(const char *sources, const char *const *patterns,
			   size_t n_patterns)
{
	char *dir = tmpdir_make(), *out = path_in(dir, "modules.kconfig");
	char *tmp = path_in(dir, "modules.kconfig.tmp");

	ck_assert_int_eq(gen_menu(out, sources, patterns, n_patterns, 0), 1);
	ck_assert_int_ne(access(out, F_OK), 0);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	free(out);
	free(tmp);
	tmpdir_free(dir);
}

START_TEST(test_duplicate_refused)
{
	static const char *const pats[] = {DATA("clean/*.manifest"),
					   DATA("dup/*.manifest")};

	expect_failure(NULL, pats, 2);
}
END_TEST

START_TEST(test_parse_error_refused)
{
	static const char *const pats[] = {DATA("clean/*.manifest"),
					   DATA("bad/*.manifest")};

	expect_failure(NULL, pats, 2);
}
END_TEST

/* A [menu] default that is neither yes nor no is the manifest's error. */
START_TEST(test_bad_source_refused)
{
	static const char *const pats[] = {DATA("bad-menu/*.manifest")};

	expect_failure(NULL, pats, 1);
}
END_TEST

/* Every subcommand parses its options with getopt and has a real --help:
 * usage on stdout, status 0, the options it takes explained. */
static char *run_stdout(int (*fn)(int, char **), int argc, char **argv,
			int *status)
{
	char path[] = "/tmp/mf-kconfig-help-XXXXXX";
	int fd = mkstemp(path), saved;
	char *text;

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
	*status = fn(argc, argv);
	fflush(stdout);
	ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	close(fd);
	text = slurp(path);
	unlink(path);
	return text;
}

START_TEST(test_help)
{
	static const struct {
		int (*fn)(int, char **);
		const char *name, *option;
	} cmds[] = {
		{gen_extract_main, "extract", "--tree"},
		{gen_registry_main, "registry", "--embedded"},
		{gen_kconfig_main, "kconfig", "--output"},
		{gen_check_main, "check", "--config"},
		{gen_checksum_main, "checksum", "--output"},
	};
	char usage[64], *text;
	int status;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *argv[] = {(char *)cmds[i].name, "--help", NULL};
		char *short_argv[] = {(char *)cmds[i].name, "-h", NULL};

		text = run_stdout(cmds[i].fn, 2, argv, &status);
		ck_assert_int_eq(status, 0);
		snprintf(usage, sizeof(usage), "usage: manifold-gen %s",
			 cmds[i].name);
		ck_assert_msg(strncmp(text, usage, strlen(usage)) == 0,
			      "%s --help: %s", cmds[i].name, text);
		ck_assert_msg(strstr(text, cmds[i].option) &&
				      strstr(text, "--help"),
			      "%s --help explains no options: %s",
			      cmds[i].name, text);
		free(text);
		text = run_stdout(cmds[i].fn, 2, short_argv, &status);
		ck_assert_int_eq(status, 0);
		ck_assert(strncmp(text, usage, strlen(usage)) == 0);
		free(text);
	}
}
END_TEST

START_TEST(test_usage)
{
	char *no_out[] = {"kconfig", "x.manifest", NULL};
	char *no_files[] = {"kconfig", "-o", "/tmp/never", NULL};
	char *bad[] = {"kconfig", "--bogus", "-o", "/tmp/never", "x", NULL};

	ck_assert_int_eq(gen_kconfig_main(2, no_out), 2);
	ck_assert_int_eq(gen_kconfig_main(3, no_files), 2);
	ck_assert_int_eq(gen_kconfig_main(5, bad), 2);
	ck_assert_int_ne(access("/tmp/never", F_OK), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Through kconfig-conf                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_conf_clean_set)
{
	static const char *const pats[] = {DATA("clean/*.manifest")};
	char *dir = menu_dir(NULL, pats, 1), *base;
	int bstatus;
	size_t i;

	base = run_check(NULL, pats, 1, &bstatus);
	ck_assert_str_eq(base, "12 manifests OK\n");
	ck_assert_int_eq(bstatus, 0);
	for (i = 0; i < N_ALL_MODES; i++)
		conf_and_check(dir, all_modes[i], 0, pats, 1, base, bstatus);
	free(base);
	tmpdir_free(dir);
}
END_TEST

START_TEST(test_conf_randconfig)
{
	static const char *const pats[] = {DATA("clean/*.manifest")};
	char *dir = menu_dir(NULL, pats, 1), *base;
	unsigned seed;
	int bstatus;

	base = run_check(NULL, pats, 1, &bstatus);
	ck_assert_int_eq(bstatus, 0);
	for (seed = 1; seed <= 12; seed++)
		conf_and_check(dir, "--randconfig", seed, pats, 1, base,
			       bstatus);
	free(base);
	tmpdir_free(dir);
}
END_TEST

START_TEST(test_conf_without_modules)
{
	/* MODULES=n: Kconfig turns every m into y or n, check agrees. */
	static const char *const pats[] = {DATA("clean/*.manifest")};
	char *dir = menu_dir(NULL, pats, 1), *cfg = path_in(dir, ".config");
	char *base, *text;
	int bstatus;

	base = run_check(NULL, pats, 1, &bstatus);
	spew(cfg, "# CONFIG_MODULES is not set\n");
	conf_and_check(dir, "--olddefconfig", 0, pats, 1, base, bstatus);
	text = slurp(cfg);
	ck_assert_ptr_null(strstr(text, "=m\n"));
	/* `default m` of an extended module became y. */
	ck_assert_ptr_nonnull(strstr(text, "CONFIG_MODULE_RES_F=y\n"));
	free(text);
	free(base);
	free(cfg);
	tmpdir_free(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Trees: extract --tree, then the menu, kconfig-conf and check        */
/* ------------------------------------------------------------------ */

#define EXTRACT_DATA "tests/data/extract"

/* @text with every @from replaced by @to (malloc'd). */
static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p, *hit;
	char *out, *o;

	for (p = text; (hit = strstr(p, from)); p = hit + fl)
		n++;
	out = malloc(strlen(text) + n * tl + 1);
	ck_assert_ptr_nonnull(out);
	for (o = out, p = text; (hit = strstr(p, from)); p = hit + fl) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	return out;
}

/*
 * Extract DATA/tree-@name in @dialect into a temp dir, write its menu and
 * hold the menu and check's report against tree-@name.kconfig and
 * tree-@name.check (the temp dir spelt @TMP@); then every kconfig-conf
 * mode and @seeds randconfig runs must give a .config that check accepts.
 */
static void tree_menu_case(const char *name, const char *dialect,
			   unsigned seeds)
{
	char *dir = tmpdir_make(), *out = path_in(dir, "out");
	char *top = path_in(dir, "Kconfig"), *menu = path_in(dir, "modules.kconfig");
	char tree[256], dia[64], glob_pat[512], golden_path[256];
	char *argv[] = {"extract", dia, "--tree", "-o", out, tree, NULL};
	const char *pats[1] = {glob_pat};
	char *base, *got, *want, *norm;
	int bstatus, saved, null;
	unsigned seed;
	size_t i;

	snprintf(tree, sizeof(tree), EXTRACT_DATA "/tree-%s", name);
	snprintf(dia, sizeof(dia), "--dialect=%s", dialect);
	snprintf(glob_pat, sizeof(glob_pat), "%s/*.manifest", out);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(null, 0);
	dup2(null, STDERR_FILENO);
	close(null);
	ck_assert_int_eq(gen_extract_main(6, argv), 0);
	dup2(saved, STDERR_FILENO);
	close(saved);

	spew(top, top_kconfig);
	ck_assert_int_eq(gen_menu(menu, NULL, pats, 1, 0), 0);
	got = slurp(menu);
	norm = replace_all(got, dir, "@TMP@");
	snprintf(golden_path, sizeof(golden_path), DATA("tree-%s.kconfig"), name);
	want = golden(golden_path);
	ck_assert_str_eq(norm, want);
	free(got);
	free(norm);
	free(want);

	base = run_check(NULL, pats, 1, &bstatus);
	norm = replace_all(base, dir, "@TMP@");
	snprintf(golden_path, sizeof(golden_path), DATA("tree-%s.check"), name);
	want = golden(golden_path);
	ck_assert_str_eq(norm, want);
	free(norm);
	free(want);

	for (i = 0; i < N_ALL_MODES; i++)
		conf_and_check(dir, all_modes[i], 0, pats, 1, base, bstatus);
	for (seed = 1; seed <= seeds; seed++)
		conf_and_check(dir, "--randconfig", seed, pats, 1, base,
			       bstatus);
	free(base);
	free(top);
	free(menu);
	free(out);
	tmpdir_free(dir);
}

START_TEST(test_tree_seed_menu)
{
	tree_menu_case("seed", "seed", 8);
}
END_TEST

START_TEST(test_tree_asterisk_menu)
{
	tree_menu_case("asterisk", "asterisk", 8);
}
END_TEST

/* A library the board lacks keeps its modules out; the board's word
 * (CONFIG_HAVE_<NAME>=y) lets them in, and check holds both to that. */
START_TEST(test_tree_library_gate)
{
	char *dir = tmpdir_make(), *out = path_in(dir, "out");
	char *top = path_in(dir, "Kconfig"), *menu = path_in(dir, "modules.kconfig");
	char *cfg = path_in(dir, ".config"), glob_pat[512], *err, *text, *report;
	char *argv[] = {"extract", "--tree", "-o", out,
			EXTRACT_DATA "/tree-seed", NULL};
	const char *pats[1] = {glob_pat};
	int status, saved, null;

	snprintf(glob_pat, sizeof(glob_pat), "%s/*.manifest", out);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO);
	close(null);
	ck_assert_int_eq(gen_extract_main(5, argv), 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	spew(top, top_kconfig);
	ck_assert_int_eq(gen_menu(menu, NULL, pats, 1, 0), 0);

	ck_assert_int_eq(kconfig_conf(dir, "--alldefconfig", 0, &err), 0);
	free(err);
	text = slurp(cfg);
	/* app_dial (core, default y) needs sqlite3: out without it. */
	ck_assert_ptr_null(strstr(text, "CONFIG_MODULE_APP_DIAL="));
	ck_assert_ptr_nonnull(strstr(text, "CONFIG_MODULE_CHAN_LOCAL=y"));
	free(text);
	spew(cfg, "CONFIG_HAVE_SQLITE3=y\nCONFIG_HAVE_PJPROJECT=y\n");
	ck_assert_int_eq(kconfig_conf(dir, "--olddefconfig", 0, &err), 0);
	free(err);
	text = slurp(cfg);
	ck_assert_ptr_nonnull(strstr(text, "CONFIG_MODULE_APP_DIAL=y"));
	free(text);
	/* By hand: app_dial selected, the library not offered. */
	spew(cfg, "CONFIG_MODULES=y\nCONFIG_MODULE_APP_DIAL=y\n"
		  "CONFIG_MODULE_CHAN_LOCAL=y\nCONFIG_MODULE_FUNC_CUT=y\n"
		  "CONFIG_HAVE_PJPROJECT=y\nCONFIG_MODULE_APP_DIAL2=m\n");
	report = run_check(cfg, pats, 1, &status);
	ck_assert_int_eq(status, 1);
	ck_assert_ptr_nonnull(strstr(report, "app_dial is y but requires "
					     "library=sqlite3, and "));
	ck_assert_ptr_nonnull(strstr(report, "does not set "
					     "CONFIG_HAVE_SQLITE3=y (manifest "));
	ck_assert_ptr_nonnull(strstr(report, "tree-seed/mods/app_dial.c:4: "));
	ck_assert_ptr_nonnull(strstr(report, "app_dial is y but conflicts with "
					     "app_dial2, which is m"));
	free(report);
	free(cfg);
	free(top);
	free(menu);
	free(out);
	tmpdir_free(dir);
}
END_TEST

START_TEST(test_conf_broken_set)
{
	/* With a missing provider and a forced cycle in the set, Kconfig must
	 * still see no recursive dependency, and the .config it writes adds
	 * nothing to what check reports about the set itself. */
	static const char *const pats[] = {DATA("clean/*.manifest"),
					   DATA("broken/*.manifest")};
	char *dir = menu_dir(NULL, pats, 2), *base;
	unsigned seed;
	int bstatus;
	size_t i;

	base = run_check(NULL, pats, 2, &bstatus);
	ck_assert_int_eq(bstatus, 1);
	ck_assert_ptr_nonnull(strstr(base, "cycle: pbx_p -> pbx_q -> pbx_p"));
	for (i = 0; i < N_ALL_MODES; i++)
		conf_and_check(dir, all_modes[i], 0, pats, 2, base, bstatus);
	for (seed = 1; seed <= 4; seed++)
		conf_and_check(dir, "--randconfig", seed, pats, 2, base,
			       bstatus);
	free(base);
	tmpdir_free(dir);
}
END_TEST

START_TEST(test_illegal_config_fixed_up)
{
	/* Hand-made: app_dial y while its only selected timer is m.  check
	 * refuses it; Kconfig lowers app_dial to m; check accepts that. */
	static const char *const pats[] = {DATA("clean/*.manifest")};
	char *dir = menu_dir(NULL, pats, 1), *cfg = path_in(dir, ".config");
	char *base, *report, *text, *err;
	int status, bstatus;

	base = run_check(NULL, pats, 1, &bstatus);
	spew(cfg, "CONFIG_MODULES=y\n"
		  "CONFIG_MODULE_APP_DIAL=y\n"
		  "CONFIG_MODULE_CHAN_LOCAL=y\n"
		  "CONFIG_MODULE_FUNC_CUT=y\n"
		  "CONFIG_MODULE_RES_TIMING_PTHREAD=m\n"
		  "# CONFIG_MODULE_RES_TIMING_TIMERFD is not set\n");
	report = run_check(cfg, pats, 1, &status);
	ck_assert_int_eq(status, 1);
	ck_assert_ptr_nonnull(
		strstr(report, "app_dial.manifest:8: app_dial is y but "
			       "service=timer is only provided by m modules: "
			       "res_timing_pthread (m), res_timing_timerfd "
			       "(n)\n"));
	ck_assert_ptr_nonnull(strstr(report, "1 problem in 12 manifests\n"));
	free(report);

	ck_assert_int_eq(kconfig_conf(dir, "--olddefconfig", 0, &err), 0);
	ck_assert_str_eq(err, "");
	free(err);
	text = slurp(cfg);
	ck_assert_ptr_nonnull(strstr(text, "CONFIG_MODULE_APP_DIAL=m\n"));
	ck_assert_ptr_nonnull(
		strstr(text, "CONFIG_MODULE_RES_TIMING_PTHREAD=m\n"));
	free(text);
	report = run_check(cfg, pats, 1, &status);
	ck_assert_str_eq(report, base);
	ck_assert_int_eq(status, 0);
	free(report);
	free(base);
	free(cfg);
	tmpdir_free(dir);
}
END_TEST

/*
 * Property: for random small sets (cycles, missing and rival providers
 * included), whatever kconfig-conf makes of the generated menu, Kconfig
 * warns about nothing and check finds no fault in the selection.
 */
static uint32_t rng_next(uint32_t *s)
{
	/* xorshift32: reproducible from the seed, no libc state involved */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void random_set(const char *dir, uint32_t seed)
{
	static const char *const names[] = {
		"app_a", "app_b", "chan_c", "func_d", "res_e", "res_f",
		"res_g", "pbx_h", "cdr_i",  "res_j",
	};
	static const char *const levels[] = {"core", "extended", "deprecated",
					     "external"};
	const size_t n = sizeof(names) / sizeof(names[0]);
	uint32_t s = seed;
	size_t i, k;

	for (i = 0; i < n; i++) {
		char *path, *text = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&text, &len);
		unsigned nuse = rng_next(&s) % 3, nprov = rng_next(&s) % 2;
		int used[16] = {0};

		ck_assert_ptr_nonnull(fp);
		fprintf(fp, "[module]\nname=%s\nsupport_level=%s\n", names[i],
			levels[rng_next(&s) % 4]);
		if (nuse)
			fputs("[uses]\n", fp);
		for (k = 0; k < nuse; k++) {
			unsigned pick = rng_next(&s) % (unsigned)(n + 4);

			if (used[pick] || pick == i)
				continue;
			used[pick] = 1;
			if (pick < n)
				fprintf(fp, "module=%s\n", names[pick]);
			else
				fprintf(fp, "service=s%zu\n", pick - n);
		}
		if (nprov)
			fprintf(fp, "[provides]\nservice=s%u:%u\n",
				rng_next(&s) % 4, 10 * (rng_next(&s) % 3));
		fclose(fp);
		ck_assert_int_ge(asprintf(&path, "%s/%s.manifest", dir,
					  names[i]),
				 0);
		spew(path, text);
		free(path);
		free(text);
	}
}

START_TEST(test_property_random_sets)
{
	static const char *const modes[] = {"--allyesconfig", "--allmodconfig",
					    "--alldefconfig", "--allnoconfig"};
	uint32_t seed = 0x9e3779b9u + (uint32_t)_i * 2654435761u;
	char *dir = tmpdir_make(), *setdir = path_in(dir, "set");
	char *top = path_in(dir, "Kconfig"), *menu = path_in(dir, "modules.kconfig");
	char *pattern = path_in(setdir, "*.manifest"), *base;
	const char *pats[1] = {pattern};
	unsigned rs;
	int bstatus;
	size_t i;

	ck_assert_int_eq(mkdir(setdir, 0755), 0);
	random_set(setdir, seed ? seed : 1);
	spew(top, top_kconfig);
	ck_assert_int_eq(gen_menu(menu, NULL, pats, 1, 0), 0);
	base = run_check(NULL, pats, 1, &bstatus);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		conf_and_check(dir, modes[i], 0, pats, 1, base, bstatus);
	for (rs = 1; rs <= 3; rs++)
		conf_and_check(dir, "--randconfig", rs + 100 * (unsigned)_i,
			       pats, 1, base, bstatus);
	free(base);
	free(pattern);
	free(top);
	free(menu);
	free(setdir);
	tmpdir_free(dir);
}
END_TEST

Suite *make_kconfig_suite(void)
{
	Suite *s = suite_create("kconfig");
	TCase *menu = tcase_create("menu");
	TCase *conf = tcase_create("kconfig-conf");

	tcase_add_test(menu, test_golden_with_menu_defaults);
	tcase_add_test(menu, test_tree_library_gate);
	tcase_add_test(menu, test_help);
	tcase_add_test(menu, test_golden_support_levels);
	tcase_add_test(menu, test_duplicate_refused);
	tcase_add_test(menu, test_parse_error_refused);
	tcase_add_test(menu, test_bad_source_refused);
	tcase_add_test(menu, test_usage);
	suite_add_tcase(s, menu);

	/* Dozens of kconfig-conf runs; valgrind makes the check side slow. */
	tcase_set_timeout(conf, 120);
	tcase_add_test(conf, test_conf_clean_set);
	tcase_add_test(conf, test_conf_randconfig);
	tcase_add_test(conf, test_conf_without_modules);
	tcase_add_test(conf, test_conf_broken_set);
	tcase_add_test(conf, test_tree_seed_menu);
	tcase_add_test(conf, test_tree_asterisk_menu);
	tcase_add_test(conf, test_illegal_config_fixed_up);
	tcase_add_loop_test(conf, test_property_random_sets, 0, 16);
	suite_add_tcase(s, conf);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_kconfig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
