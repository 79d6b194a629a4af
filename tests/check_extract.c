/* SPDX-License-Identifier: MIT */
/*
 * Tests of `manifold-gen extract` (gen/extract.c) and of gen_write_file()
 * (gen/write_file.c).
 *
 * Golden files, read relative to the repository root (MF_TOP_SRCDIR, "." by
 * default):
 *   tests/data/extract/good/NAME.c  ->  NAME.manifest, compared byte for byte
 *   tests/data/extract/bad/NAME.c   ->  NAME.err, the exact message
 *   tests/data/extract/tree-modules    the --modules list of every run
 * Run with MF_UPDATE_GOLDEN=1 to rewrite the .manifest and .err files from
 * the current output (then review the diff).
 *
 * Build (from the repository root):
 *   gcc -std=gnu11 -Wall -Wextra -Werror -Iruntime/include -Igen \
 *       tests/check_extract.c gen/extract.c gen/write_file.c \
 *       gen/manifest_set.c runtime/format/manifest.c runtime/format/manifest_write.c \
 *       $(pkg-config --cflags --libs check) -o build/check_extract
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "moduleinfo.h"
#include "fault_inject.h"
#include "test_file.h"

#ifndef MF_TOP_SRCDIR
#define MF_TOP_SRCDIR "."
#endif
#define DATA MF_TOP_SRCDIR "/tests/data/extract"

/* ---- helpers ----------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	return test_read_file(path, len);
}

static void spill(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_msg(fp != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

static bool update_golden(void)
{
	const char *v = getenv("MF_UPDATE_GOLDEN");

	return v && strcmp(v, "1") == 0;
}

/* Compare @got with the golden file, or rewrite it under MF_UPDATE_GOLDEN=1. */
static void golden(const char *path, const char *got, size_t len)
{
	size_t want_len;
	char *want;

	if (update_golden()) {
		spill(path, got, len);
		return;
	}
	want = slurp(path, &want_len);
	ck_assert_msg(want != NULL, "missing golden file %s", path);
	ck_assert_msg(want_len == len && memcmp(want, got, len) == 0,
		      "%s differs.\n--- want:\n%s\n--- got:\n%.*s", path, want,
		      (int)len, got);
	free(want);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Basenames without ".c" of the sources in @dir, sorted. */
static size_t list_sources(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, len;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len < 3 || strcmp(de->d_name + len - 2, ".c") != 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		ck_assert_ptr_nonnull(names);
		names[n++] = strndup(de->d_name, len - 2);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_str);
	*out = names;
	return n;
}

static void free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* The tree's module names: tree-modules, one a line, '#' comments. */
static size_t tree_modules(char ***out)
{
	char *text = slurp(DATA "/tree-modules", NULL), *line, *save = NULL;
	char **names = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		ck_assert_ptr_nonnull(names);
		names[n++] = strdup(line);
	}
	free(text);
	*out = names;
	return n;
}

/*
 * Extract @dir/@name.c as module @name.  Messages name the source by its
 * basename so that .err files do not depend on where the tree lives.
 */
static int extract(const char *dir, const char *name, char **text,
		   size_t *text_len, char *err)
{
	char path[512], label[256], **tree;
	size_t len, n_tree = tree_modules(&tree);
	char *src;
	int r;

	snprintf(path, sizeof(path), "%s/%s.c", dir, name);
	snprintf(label, sizeof(label), "%s.c", name);
	src = slurp(path, &len);
	ck_assert_msg(src != NULL, "cannot read %s", path);
	r = gen_extract_manifest(label, src, len, name,
				 (const char *const *)tree, n_tree, text,
				 text_len, err, MF_ERR_MAX);
	free(src);
	free_names(tree, n_tree);
	return r;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/mf-check-extract-XXXXXX");
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

/*
 * Run a subcommand with fd @fd (1 or 2) sent to a file; returns its status
 * and what it wrote there (malloc'd).
 */
static int run_captured(int (*fn)(int, char **), char **argv, int fd,
			char **output)
{
	char path[128];
	int argc = 0, saved, tmp, status;

	while (argv[argc])
		argc++;
	snprintf(path, sizeof(path), "%s/captured", tmpdir);
	fflush(stdout);
	fflush(stderr);
	saved = dup(fd);
	tmp = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(tmp, 0);
	ck_assert_int_ge(dup2(tmp, fd), 0);
	close(tmp);
	status = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, fd), 0);
	close(saved);
	*output = slurp(path, NULL);
	ck_assert_ptr_nonnull(*output);
	unlink(path);
	return status;
}

/* ---- golden sources ---------------------------------------------------- */

START_TEST(test_good_sources)
{
	char **names, *text, err[MF_ERR_MAX], golden_path[512];
	size_t i, n = list_sources(DATA "/good", &names), len;
	int r;

	/* An empty directory must not pass for a green test. */
	ck_assert_uint_ge(n, 5);
	for (i = 0; i < n; i++) {
		r = extract(DATA "/good", names[i], &text, &len, err);
		ck_assert_msg(r == 0, "%s.c: %s", names[i], err);
		snprintf(golden_path, sizeof(golden_path), "%s/good/%s.manifest",
			 DATA, names[i]);
		golden(golden_path, text, len);
		mf_free(text);
	}
	free_names(names, n);
}
END_TEST

START_TEST(test_bad_sources)
{
	char **names, *text, err[MF_ERR_MAX], golden_path[512], *line;
	size_t i, n = list_sources(DATA "/bad", &names), len;
	int r;

	ck_assert_uint_ge(n, 30);
	for (i = 0; i < n; i++) {
		text = (char *)names; /* must come back NULL */
		r = extract(DATA "/bad", names[i], &text, &len, err);
		ck_assert_msg(r == -EINVAL, "%s.c: extract returned %d", names[i],
			      r);
		ck_assert_ptr_null(text);
		snprintf(golden_path, sizeof(golden_path), "%s/bad/%s.err", DATA,
			 names[i]);
		/* The .err file holds the message as stderr shows it. */
		if (asprintf(&line, "%s\n", err) < 0)
			ck_abort();
		golden(golden_path, line, strlen(line));
		free(line);
	}
	free_names(names, n);
}
END_TEST

/* The example manifest of the seed document, but for its checksum, and with
 * its <depend>pthread</depend> kept as a library the build must offer. */
START_TEST(test_seed_example)
{
	static const char want[] = "[module]\n"
				   "name=func_periodic_hook\n"
				   "support_level=core\n"
				   "load_priority=default\n"
				   "export_globals=yes\n"
				   "\n"
				   "[uses]\n"
				   "module=app_chanspy\n"
				   "module=func_cut\n"
				   "module=func_groupcount\n"
				   "module=func_uri\n"
				   "\n"
				   "[provides]\n"
				   "function=PERIODIC_HOOK\n"
				   "\n"
				   "[requires]\n"
				   "library=pthread\n";
	char *text, err[MF_ERR_MAX];
	size_t len;

	ck_assert_int_eq(extract(DATA "/good", "func_periodic_hook", &text,
				 &len, err),
			 0);
	ck_assert_uint_eq(len, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(text, want, len), 0);
	mf_free(text);
}
END_TEST

/* Same input, same bytes; the order of --modules does not matter either. */
START_TEST(test_deterministic)
{
	static const char *const fwd[] = {"app_stack", "pbx_config"};
	static const char *const rev[] = {"pbx_config", "app_stack"};
	char *src, *a, *b, *c, err[MF_ERR_MAX];
	size_t len, la, lb, lc;

	src = slurp(DATA "/good/res_dense.c", &len);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(gen_extract_manifest("d.c", src, len, "res_dense", fwd,
					      2, &a, &la, err, sizeof(err)),
			 0);
	ck_assert_int_eq(gen_extract_manifest("d.c", src, len, "res_dense", fwd,
					      2, &b, &lb, err, sizeof(err)),
			 0);
	ck_assert_int_eq(gen_extract_manifest("d.c", src, len, "res_dense", rev,
					      2, &c, &lc, err, sizeof(err)),
			 0);
	ck_assert(la == lb && memcmp(a, b, la) == 0);
	ck_assert(la == lc && memcmp(a, c, la) == 0);
	mf_free(a);
	mf_free(b);
	mf_free(c);
	free(src);
}
END_TEST

/* A <depend> on a name outside the tree is a library: [requires], kept. */
START_TEST(test_depend_outside_tree)
{
	char *src, *text, err[MF_ERR_MAX];
	size_t len, tlen;

	src = slurp(DATA "/good/res_timing_fast.c", &len);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(gen_extract_manifest("f.c", src, len, "res_timing_fast",
					      NULL, 0, &text, &tlen, err,
					      sizeof(err)),
			 0);
	ck_assert_ptr_null(memmem(text, tlen, "[uses]", 6));
	ck_assert_ptr_nonnull(memmem(text, tlen,
				     "[requires]\nlibrary=res_timing_timerfd\n",
				     37));
	mf_free(text);
	free(src);
}
END_TEST

/* --name is what names the module, and is checked like any manifest name. */
START_TEST(test_bad_name)
{
	static const char src[] =
		"/*** MODULEINFO <support_level>core</support_level> ***/";
	char *text, err[MF_ERR_MAX];
	size_t len;

	ck_assert_int_eq(gen_extract_manifest("n.c", src, sizeof(src) - 1,
					      "Bad-Name", NULL, 0, &text, &len,
					      err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_null(text);
	ck_assert_ptr_nonnull(strstr(err, "n.c:1: bad module name 'Bad-Name'"));
}
END_TEST

/* ---- the build/menu metadata kconfig reads ----------------------------- */

static void parse_source(const char *name, struct gen_moduleinfo *info)
{
	char path[256], *src;
	size_t len;

	snprintf(path, sizeof(path), "%s/good/%s.c", DATA, name);
	src = slurp(path, &len);
	ck_assert_ptr_nonnull(src);
	ck_assert_msg(gen_moduleinfo_parse(path, src, len, NULL, 0, info) == 0,
		      "%s", info->err);
	free(src);
}

START_TEST(test_moduleinfo_metadata)
{
	struct gen_moduleinfo info;
	const struct mf_manifest *m = &info.manifest;

	parse_source("res_dense", &info);
	ck_assert_int_eq(info.defaultenabled, 0);
	ck_assert_uint_eq(info.n_conflicts, 2);
	ck_assert_str_eq(info.conflicts[0], "res_sparse");
	ck_assert_str_eq(info.conflicts[1], "res_other");
	ck_assert_str_eq(info.replacement, "res_denser");
	ck_assert_str_eq(info.deprecated_in, "21");
	ck_assert_ptr_null(m->name);
	ck_assert(!m->export_globals);
	ck_assert_int_eq(m->support_level, MF_SUPPORT_EXTENDED);
	ck_assert_uint_eq(m->load_priority, MF_PRIO_TIMING);
	ck_assert_str_eq(m->description,
			 "Dense & \"tidy\" <test> module \xc3\xa9\xc3\xa9 it's");
	/* Source lines, for messages. */
	ck_assert_uint_eq(info.lines.block, 2);
	ck_assert_uint_eq(info.lines.description, 9);
	ck_assert_uint_eq(info.lines.support_level, 11);
	ck_assert_uint_eq(m->n_configs, 2);
	ck_assert_uint_eq(info.lines.configs[1], 12);
	/* No tree given: app_stack is still a module by its type attribute. */
	ck_assert_uint_eq(m->uses.count, 2);
	ck_assert_str_eq(m->uses.items[0].name, "app_stack");
	ck_assert_uint_eq(m->uses.items[0].line, 3);
	ck_assert_uint_eq(m->provides.count, 7);
	ck_assert_str_eq(m->provides.items[0].type, "service");
	ck_assert_uint_eq(m->provides.items[0].priority, 200);
	ck_assert_uint_eq(m->provides.items[2].line, 20);
	gen_moduleinfo_free(&info);

	parse_source("res_timing_fast", &info);
	ck_assert_int_eq(info.defaultenabled, 1);
	ck_assert_uint_eq(info.n_conflicts, 0);
	ck_assert_ptr_null(info.replacement);
	gen_moduleinfo_free(&info);

	parse_source("func_periodic_hook", &info);
	ck_assert_int_eq(info.defaultenabled, -1);
	ck_assert(info.manifest.export_globals);
	gen_moduleinfo_free(&info);
	/* Twice is harmless. */
	gen_moduleinfo_free(&info);
}
END_TEST

START_TEST(test_moduleinfo_failure)
{
	static const char src[] = "/*** MODULEINFO\n"
				  "\t<support_level>core</support_level>\n"
				  "\t<conflict>a</conflict><conflict>b</conflict>\n"
				  "\t<depend>x</depend><bogus/>\n"
				  " ***/\n";
	struct gen_moduleinfo info;

	ck_assert_int_eq(gen_moduleinfo_parse("s.c", src, sizeof(src) - 1, NULL,
					      0, &info),
			 -EINVAL);
	ck_assert_str_eq(info.err, "s.c:4: unknown element <bogus> in MODULEINFO");
	/* Nothing is left to free, and freeing anyway is harmless. */
	ck_assert_ptr_null(info.conflicts);
	ck_assert_ptr_null(info.manifest.uses.items);
	ck_assert_ptr_null(info.manifest.path);
	gen_moduleinfo_free(&info);
}
END_TEST

/* ---- the subcommand ---------------------------------------------------- */

START_TEST(test_main_output_file)
{
	char out[128], tmp[160], *got, *want, *msg;
	size_t got_len, want_len;
	char *argv[] = {"extract", "--name", "res_dense", "--modules",
			"app_stack,,pbx_config", "-o", out,
			DATA "/good/res_dense.c", NULL};

	make_tmpdir();
	snprintf(out, sizeof(out), "%s/res_dense.manifest", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	/* An old file is replaced, not appended to. */
	spill(out, "stale\n", 6);
	ck_assert_int_eq(run_captured(gen_extract_main, argv, 2, &msg), 0);
	ck_assert_str_eq(msg, "");
	free(msg);
	got = slurp(out, &got_len);
	want = slurp(DATA "/good/res_dense.manifest", &want_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(want);
	ck_assert(got_len == want_len && memcmp(got, want, got_len) == 0);
	ck_assert(!exists(tmp));
	free(got);
	free(want);
	remove_tmpdir();
}
END_TEST

START_TEST(test_main_stdout)
{
	char *argv[] = {"extract", DATA "/good/func_periodic_hook.c", "--name",
			"func_periodic_hook",
			"--modules=app_chanspy,func_cut,func_groupcount,func_uri",
			NULL};
	char *got, *want;

	make_tmpdir();
	ck_assert_int_eq(run_captured(gen_extract_main, argv, 1, &got), 0);
	want = slurp(DATA "/good/func_periodic_hook.manifest", NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	remove_tmpdir();
}
END_TEST

/* A bad source: status 1, the message on stderr, no output file at all. */
START_TEST(test_main_bad_source)
{
	char out[128], *msg;
	char *argv[] = {"extract", "--name", "x", "-o", out,
			DATA "/bad/mismatched_close.c", NULL};

	make_tmpdir();
	snprintf(out, sizeof(out), "%s/x.manifest", tmpdir);
	ck_assert_int_eq(run_captured(gen_extract_main, argv, 2, &msg), 1);
	ck_assert_str_eq(msg, DATA "/bad/mismatched_close.c:3: </use> closes "
				   "<depend> (line 3)\n");
	free(msg);
	ck_assert(!exists(out));
	remove_tmpdir();
}
END_TEST

START_TEST(test_main_errors)
{
	char *no_name[] = {"extract", DATA "/good/res_minimal.c", NULL};
	char *no_src[] = {"extract", "--name", "x", NULL};
	char *two_src[] = {"extract", "--name", "x", "a.c", "b.c", NULL};
	char *bad_opt[] = {"extract", "--name", "x", "--frobnicate", "a.c", NULL};
	char *missing[] = {"extract", "--name", "x", DATA "/no-such-file.c",
			   NULL};
	char *help[] = {"extract", "--help", NULL};
	char *msg;

	make_tmpdir();
	ck_assert_int_eq(run_captured(gen_extract_main, no_name, 2, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "--name is required"));
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, no_src, 2, &msg), 2);
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, two_src, 2, &msg), 2);
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, bad_opt, 2, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "usage:"));
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, missing, 2, &msg), 1);
	ck_assert_str_eq(msg, DATA "/no-such-file.c: No such file or directory\n");
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, help, 1, &msg), 0);
	ck_assert_ptr_nonnull(strstr(msg, "usage: manifold-gen extract"));
	free(msg);
	remove_tmpdir();
}
END_TEST

/* ---- gen_write_file() -------------------------------------------------- */

static int write_hello(FILE *fp, void *data)
{
	(void)data;
	return fputs("hello\n", fp) < 0 ? -EIO : 0;
}

/* Writes half a file, then fails as a full disk would. */
static int write_half(FILE *fp, void *data)
{
	(void)data;
	fputs("half", fp);
	return -ENOSPC;
}

START_TEST(test_write_file)
{
	char path[128], tmp[160], *got;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/out", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s/out.tmp", tmpdir);

	ck_assert_int_eq(gen_write_file(path, write_hello, NULL), 0);
	got = slurp(path, NULL);
	ck_assert_str_eq(got, "hello\n");
	free(got);
	ck_assert(!exists(tmp));

	/* A failed run leaves the previous file whole and no temporary. */
	ck_assert_int_eq(gen_write_file(path, write_half, NULL), -ENOSPC);
	got = slurp(path, NULL);
	ck_assert_str_eq(got, "hello\n");
	free(got);
	ck_assert(!exists(tmp));

	ck_assert_int_eq(gen_write_file(tmp, write_half, NULL), -ENOSPC);
	ck_assert(!exists(tmp));

	snprintf(path, sizeof(path), "%s/no/such/dir", tmpdir);
	ck_assert_int_eq(gen_write_file(path, write_hello, NULL), -ENOENT);
	remove_tmpdir();
}
END_TEST

/* /dev/full: the error shows only when the buffer is flushed. */
START_TEST(test_write_file_flush_error)
{
	char link_path[128], tmp[160];

	make_tmpdir();
	snprintf(link_path, sizeof(link_path), "%s/full", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", link_path);
	if (symlink("/dev/full", tmp) != 0 || access("/dev/full", W_OK) != 0) {
		remove_tmpdir();
		return; /* no /dev/full here: nothing to learn */
	}
	ck_assert_int_eq(gen_write_file(link_path, write_hello, NULL), -ENOSPC);
	ck_assert(!exists(link_path));
	remove_tmpdir();
}
END_TEST

/* ---- whole trees: extract --tree --------------------------------------- */

/* Run extract --tree over DATA/tree-@name into tmpdir/out; stderr in *msg. */
static int run_tree(const char *name, const char *dialect,
		    const char *const *patterns, size_t n_patterns, char **msg)
{
	char out[128], dir[256], dia[64], *argv[16];
	int argc = 0;
	size_t i;

	snprintf(out, sizeof(out), "%s/out", tmpdir);
	mkdir(out, 0700);
	snprintf(dir, sizeof(dir), "%s/tree-%s", DATA, name);
	snprintf(dia, sizeof(dia), "--dialect=%s", dialect);
	argv[argc++] = "extract";
	argv[argc++] = dia;
	for (i = 0; i < n_patterns; i++) {
		argv[argc++] = "--pattern";
		argv[argc++] = (char *)patterns[i];
	}
	argv[argc++] = "--tree";
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc++] = dir;
	argv[argc] = NULL;
	return run_captured(gen_extract_main, argv, 2, msg);
}

/* Every manifest of tmpdir/out against DATA/tree-@name.expected/. */
static void tree_goldens(const char *name, const char *msg)
{
	char **names, path[512], out[256], *got;
	size_t n, i, len;

	snprintf(out, sizeof(out), "%s/out", tmpdir);
	n = 0;
	{
		DIR *d = opendir(out);
		struct dirent *de;

		ck_assert_ptr_nonnull(d);
		names = NULL;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			ck_assert_ptr_nonnull(names);
			names[n++] = strdup(de->d_name);
		}
		closedir(d);
	}
	ck_assert_uint_ge(n, 4);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, names[i]);
		got = slurp(path, &len);
		ck_assert_ptr_nonnull(got);
		snprintf(path, sizeof(path), "%s/tree-%s.expected/%s", DATA,
			 name, names[i]);
		golden(path, got, len);
		free(got);
		free(names[i]);
	}
	free(names);
	snprintf(path, sizeof(path), "%s/tree-%s.expected/stderr", DATA, name);
	golden(path, msg, strlen(msg));
}

static void tree_case(const char *name, const char *dialect)
{
	char *msg, path[256];
	struct stat before, after;

	make_tmpdir();
	ck_assert_int_eq(run_tree(name, dialect, NULL, 0, &msg), 0);
	tree_goldens(name, msg);
	free(msg);
	/* A second run rewrites nothing: make's timestamps stay true. */
	snprintf(path, sizeof(path), "%s/out/chan_local.manifest", tmpdir);
	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_int_eq(run_tree(name, dialect, NULL, 0, &msg), 0);
	ck_assert_ptr_nonnull(strstr(msg, " 0 manifests rewritten;"));
	free(msg);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		  before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
	remove_tmpdir();
}

START_TEST(test_tree_seed)
{
	tree_case("seed", "seed");
}
END_TEST

START_TEST(test_tree_asterisk)
{
	tree_case("asterisk", "asterisk");
}
END_TEST

/* The asterisk tree in the seed's dialect: the untyped <use> and the
 * support level "Core" are errors there, each at its source line. */
START_TEST(test_tree_asterisk_as_seed)
{
	char *msg;

	make_tmpdir();
	ck_assert_int_eq(run_tree("asterisk", "seed", NULL, 0, &msg), 1);
	ck_assert_ptr_nonnull(strstr(msg, "tree-asterisk/apps/app_queue.c:6: "
					  "<use> needs a type attribute\n"));
	ck_assert_ptr_nonnull(strstr(msg, "tree-asterisk/channels/chan_local.c:2: "
					  "bad <support_level> 'EXTENDED'"));
	ck_assert_ptr_nonnull(strstr(msg, "; 2 errors\n"));
	free(msg);
	remove_tmpdir();
}
END_TEST

/* A name rule by pattern: what does not match is skipped, and says why. */
START_TEST(test_tree_pattern)
{
	static const char *const pats[] = {"app_*.c", "chan_*.c"};
	char *msg, path[256];

	make_tmpdir();
	ck_assert_int_eq(run_tree("seed", "seed", pats, 2, &msg), 0);
	ck_assert_ptr_nonnull(strstr(msg, "mods/func/func_cut.c: skipped: name "
					  "outside the module naming (--pattern)\n"));
	ck_assert_ptr_nonnull(strstr(msg, "mods/func/cut_helpers.c: skipped: "
					  "name outside the module naming"));
	ck_assert_ptr_nonnull(strstr(msg, "extract: 3 modules, 3 manifests "
					  "rewritten; 2 .c files skipped; 1 "
					  "other file; 0 errors\n"));
	free(msg);
	snprintf(path, sizeof(path), "%s/out/func_cut.manifest", tmpdir);
	ck_assert(!exists(path));
	remove_tmpdir();
}
END_TEST

/* A <depend> that is a slip for a module of the tree: "did you mean". */
START_TEST(test_tree_slips)
{
	char *msg, path[256];

	make_tmpdir();
	ck_assert_int_eq(run_tree("slips", "seed", NULL, 0, &msg), 1);
	snprintf(path, sizeof(path), "%s/tree-slips.stderr", DATA);
	golden(path, msg, strlen(msg));
	free(msg);
	remove_tmpdir();
}
END_TEST

START_TEST(test_tree_usage)
{
	char *no_out[] = {"extract", "--tree", DATA "/tree-seed", NULL};
	char *no_dir[] = {"extract", "--tree", "-o", "/tmp", NULL};
	char *pat_alone[] = {"extract", "--pattern", "x", "--name", "x",
			     DATA "/good/res_dense.c", NULL};
	char *bad_dialect[] = {"extract", "--dialect=menuselect", "--tree",
			       "-o", "/tmp", DATA "/tree-seed", NULL};
	char *help[] = {"extract", "--help", NULL};
	char *msg;

	make_tmpdir();
	ck_assert_int_eq(run_captured(gen_extract_main, no_out, 2, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "--tree needs -o OUTDIR"));
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, no_dir, 2, &msg), 2);
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, pat_alone, 2, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "--pattern goes with --tree"));
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, bad_dialect, 2, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg, "unknown dialect 'menuselect'"));
	free(msg);
	ck_assert_int_eq(run_captured(gen_extract_main, help, 1, &msg), 0);
	ck_assert_ptr_nonnull(strstr(msg, "--dialect D"));
	ck_assert_ptr_nonnull(strstr(msg, "--pattern GLOB"));
	free(msg);
	remove_tmpdir();
}
END_TEST

/* The registration macro: a .load_pri it cannot name is an error there. */
START_TEST(test_macro_bad_priority)
{
	static const char src[] =
		"/*** MODULEINFO <support_level>core</support_level> ***/\n"
		"\n"
		"AST_MODULE_INFO(KEY, 0, \"x\", .load_pri = AST_MODPRI_SOON);\n";
	struct gen_extract_opts opts = {.dialect = GEN_DIALECT_ASTERISK};
	char *text, err[MF_ERR_MAX];
	size_t len;

	ck_assert_int_eq(gen_extract_manifest_opts("m.c", src, sizeof(src) - 1,
						   "res_m", &opts, &text, &len,
						   err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "m.c:3: bad .load_pri 'AST_MODPRI_SOON' in "
			      "AST_MODULE_INFO (want AST_MODPRI_<level>)");
}
END_TEST

/* ---- out of memory ----------------------------------------------------- */

/*
 * The generator allocates through the runtime's allocator (runtime/util/alloc.h),
 * so its hook fails the Nth allocation and its count of bytes in use shows
 * what a failed extraction left behind: the same fault injector as the
 * runtime's suites, which runs the same under valgrind and ASan.
 */
static void oom_sweep(const char *dir, const char *name, int want_final)
{
	char path[256], *src, *text, err[MF_ERR_MAX];
	static const char *const tree[] = {"app_stack", "func_cut"};
	size_t len, tlen;
	long n;
	int r;

	snprintf(path, sizeof(path), "%s/%s/%s.c", DATA, dir, name);
	src = slurp(path, &len);
	ck_assert_ptr_nonnull(src);
	for (n = 0;; n++) {
		fi_arm(n);
		r = gen_extract_manifest("s.c", src, len, name, tree, 2, &text,
					 &tlen, err, sizeof(err));
		if (mf_alloc_count() <= (unsigned long)n) {
			fi_disarm();
			break; /* no allocation failed: the real result */
		}
		fi_disarm();
		ck_assert_msg(r == -ENOMEM, "%s, allocation %ld failing: %d (%s)",
			      name, n, r, err);
		ck_assert_ptr_null(text);
		ck_assert_msg(fi_live() == 0, "%s, allocation %ld failing: %ld "
					      "bytes leaked", name, n, fi_live());
		ck_assert_msg(strstr(err, "out of memory"), "%s: '%s'", name,
			      err);
	}
	ck_assert_int_eq(r, want_final);
	if (r == 0)
		mf_free(text);
	ck_assert_int_eq(fi_live(), 0);
	ck_assert_int_gt(n, 10); /* the sweep did fail something */
	free(src);
}

START_TEST(test_out_of_memory)
{
	oom_sweep("good", "res_dense", 0);
	oom_sweep("good", "func_periodic_hook", 0);
	oom_sweep("bad", "doc_mismatch", -EINVAL);
	oom_sweep("bad", "manifest_duplicate_config", -EINVAL);
}
END_TEST

Suite *make_extract_suite(void)
{
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("extract");

	tcase_add_test(tc, test_good_sources);
	tcase_add_test(tc, test_bad_sources);
	tcase_add_test(tc, test_seed_example);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_depend_outside_tree);
	tcase_add_test(tc, test_bad_name);
	tcase_add_test(tc, test_moduleinfo_metadata);
	tcase_add_test(tc, test_moduleinfo_failure);
	tcase_add_test(tc, test_main_output_file);
	tcase_add_test(tc, test_main_stdout);
	tcase_add_test(tc, test_main_bad_source);
	tcase_add_test(tc, test_main_errors);
	tcase_add_test(tc, test_write_file);
	tcase_add_test(tc, test_write_file_flush_error);
	tcase_add_test(tc, test_tree_seed);
	tcase_add_test(tc, test_tree_asterisk);
	tcase_add_test(tc, test_tree_asterisk_as_seed);
	tcase_add_test(tc, test_tree_pattern);
	tcase_add_test(tc, test_tree_slips);
	tcase_add_test(tc, test_tree_usage);
	tcase_add_test(tc, test_macro_bad_priority);
	tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_extract_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
