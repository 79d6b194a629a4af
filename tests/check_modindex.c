/* SPDX-License-Identifier: MIT */
/*
 * The index of a module directory (runtime/loadable/modindex.c, runtime/loadable/moddir.c,
 * gen/index.c): DIR/modules.index holds the text of every accepted manifest,
 * a boot reads it instead of the directory, and a load or refresh checks it
 * with a stat() of the directory and one of the index.
 *
 * The tests tell where a manifest came from by giving the index a text that
 * differs from its file's: a description "MEMO" where the file says "disk"
 * was taken from the index.  How often the directory was listed and the
 * index read is counted by the runtime (mf_moddir_counts()); the benchmark
 * counts the system calls themselves (bench/bench_loadable.c).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <manifold/moddir.h>

#include "fake_backend.h"
#include "core/internal.h"
#include "loadable/loadable.h"
#include "loadable/modindex.h"
#include "index_stamp.h"
#include "test_file.h"

static char dir[64], index_path[128];
static struct fake_events ev;

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
}

static void remove_tree(const char *path)
{
	DIR *dp = opendir(path);
	struct dirent *d;

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		char p[512];

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, d->d_name);
		if (unlink(p) < 0)
			remove_tree(p);
	}
	closedir(dp);
	rmdir(path);
}

/* The files of the directory, but the manifests and the index. */
static unsigned other_files(void)
{
	DIR *dp = opendir(dir);
	struct dirent *d;
	unsigned n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.' || (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")))
			n += !strstr(d->d_name, ".manifest") &&
			     strcmp(d->d_name, MF_MODINDEX_NAME) != 0;
	closedir(dp);
	return n;
}

static void setup(void)
{
	strcpy(dir, "/tmp/mf-modindex-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(index_path, sizeof(index_path), "%s/" MF_MODINDEX_NAME, dir);
	write_file("alpha.manifest", "[module]\nname=alpha\ndescription=disk\n"
		   "[provides]\nservice=greek\n");
	write_file("beta.manifest", "[module]\nname=beta\n[uses]\nservice=greek\n");
	fake_events_clear(&ev);
}

static void teardown(void)
{
	remove_tree(dir);
}

/* A context on the directory, its first refresh made: @want changes. */
static struct mf_context *boot(unsigned flags, int want)
{
	int got = 0;
	struct mf_context *ctx = fake_moddir_boot(dir, flags, &ev, &got);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(got, want);
	return ctx;
}


static void assert_counts(struct mf_context *ctx, unsigned listings, unsigned reads)
{
	unsigned l, r;

	mf_moddir_counts(ctx, &l, &r);
	ck_assert_msg(l == listings && r == reads, "listed %u times (want %u), index "
		      "read %u times (want %u)", l, listings, r, reads);
}

/* What every writer of an index does after writing it: its stamp. */
static void index_written(void)
{
	index_stamp(dir, index_path);
}

/* The index file with its one @from replaced by @to, as a new file. */
static void edit_index(const char *from, const char *to)
{
	char *text = test_read_file(index_path, NULL), *at, *out;

	ck_assert_ptr_nonnull(text);
	at = strstr(text, from);
	ck_assert_msg(at != NULL, "'%s' not in:\n%s", from, text);
	out = malloc(strlen(text) + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	unlink(index_path);
	write_file(MF_MODINDEX_NAME, out);
	index_written();
	free(out);
	free(text);
}

/* ---- the format --------------------------------------------------------- */

START_TEST(round_trip)
{
	static const char a[] = "[module]\nname=a\n", b[] = "[module]\nname=b_2\nno newline";
	const struct mf_modindex_rec recs[] = {
		{ .name = "a", .text = a, .len = sizeof(a) - 1 },
		{ .name = "b_2", .text = b, .len = sizeof(b) - 1 },
	};
	struct mf_modindex ix;
	struct stat dir_st, index_st;
	char why[512], *text;
	size_t len;

	ck_assert_int_eq(mf_modindex_write(dir, "uid 7", recs, 2, &dir_st, &index_st, why,
					   sizeof(why)), 0);
	text = test_read_file(index_path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strncmp(text, "manifold-index 1\nchecks uid 7\ndirectory-mtime ", 46) == 0,
		      "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "\nmodule a 16\n[module]\nname=a\n\nmodule b_2 "));
	ck_assert_ptr_nonnull(strstr(text, "no newline\nend 2\n"));
	ck_assert_int_eq(mf_modindex_parse(text, len, index_path, &ix, why, sizeof(why)), 0);
	ck_assert_str_eq(ix.checks, "uid 7");
	/* The directory as the rename left it: this index stands for it. */
	ck_assert(mf_modindex_current(&dir_st, &ix));
	ck_assert_uint_eq(ix.n, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(ix.recs[i].name, recs[i].name);
		ck_assert_uint_eq(ix.recs[i].len, recs[i].len);
		ck_assert(memcmp(ix.recs[i].text, recs[i].text, recs[i].len) == 0);
	}
	ck_assert_uint_eq(ix.recs[0].line, 5);
	ck_assert_uint_eq(ix.recs[1].line, 9);
	mf_modindex_fini(&ix);
	free(text);
	/* None is an index too. */
	ck_assert_int_eq(mf_modindex_write(dir, "none", NULL, 0, NULL, NULL, why,
					   sizeof(why)), 0);
	text = test_read_file(index_path, &len);
	ck_assert_int_eq(mf_modindex_parse(text, len, index_path, &ix, why, sizeof(why)), 0);
	ck_assert_uint_eq(ix.n, 0);
	mf_modindex_fini(&ix);
	free(text);
}
END_TEST

/* A write that fails leaves the old index and no temporary file behind. */
START_TEST(write_is_atomic)
{
	const struct mf_modindex_rec rec = { .name = "a", .text = "x", .len = 1 };
	char why[512], want[512], sub[128];

	ck_assert_int_eq(mf_modindex_write(dir, "none", &rec, 1, NULL, NULL, why,
					   sizeof(why)), 0);
	ck_assert_uint_eq(other_files(), 0);
	ck_assert_int_eq(mf_modindex_write(dir, "none", &rec, 1, NULL, NULL, why,
					   sizeof(why)), 0);
	ck_assert_uint_eq(other_files(), 0);
	/* The index's name taken by a directory: the rename fails. */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/sub/" MF_MODINDEX_NAME, dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_lt(mf_modindex_write(sub, "none", &rec, 1, NULL, NULL, why,
					   sizeof(why)), 0);
	snprintf(want, sizeof(want), "%s/" MF_MODINDEX_NAME ": cannot put it in place: ", sub);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "%s", why);
	ck_assert_uint_eq(other_files(), 1); /* sub, and no temporary file */
	{
		DIR *dp = opendir(sub);
		struct dirent *d;
		unsigned n = 0;

		ck_assert_ptr_nonnull(dp);
		while ((d = readdir(dp)))
			n++;
		closedir(dp);
		ck_assert_uint_eq(n, 3); /* ".", "..", the index's name: no temporary file */
	}
	/* A directory that is not there: said, with the path. */
	ck_assert_int_eq(mf_modindex_write("/nonexistent/dir", "none", &rec, 1, NULL, NULL,
					   why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "/nonexistent/dir/" MF_MODINDEX_NAME ": cannot write it: "
			 "No such file or directory");
}
END_TEST

/* An index's first three lines, its directory's mtime not known. */
#define HEAD "manifold-index 1\nchecks none\ndirectory-mtime 0000000000000000000.000000000\n"

static const struct {
	const char *text, *why;
} damaged[] = {
	{ "", ":1: not a module index (no first line 'manifold-index 1')" },
	{ "manifold-modcache 3\n", ":1: not a module index (it does not begin 'manifold-index 1')" },
	{ "manifold-index 2\n", ":1: 'manifold-index 2': another version of the index format" },
	{ "manifold-index 1\nmodule a 1\nx\nend 1\n", ":2: expected 'checks uid N' or 'checks none'" },
	{ "manifold-index 1\nchecks none\ndirectory-mtime 12.5\n",
	  ":3: expected 'directory-mtime SECONDS.NANOSECONDS'" },
	{ HEAD "", ":4: the index ends without its 'end' line" },
	{ HEAD "module a 5\nab\n", ":4: module a: its text ends before its size" },
	{ HEAD "module a x\n", ":4: module a: 'x' is not a size" },
	{ HEAD "module a\n", ":4: 'module a': expected 'module NAME SIZE'" },
	{ HEAD "module ../a 0\n\n", ":4: '../a' is not a module name" },
	{ HEAD "module b 0\n\nmodule a 0\n\nend 2\n",
	  ":6: module a: out of name order, or named twice" },
	{ HEAD "module a 0\n\nend 2\n", ":6: 'end 2': not the number of modules above" },
	{ HEAD "end 0\nmore\n", ":5: text after the 'end' line" },
	{ HEAD "what\n", ":4: 'what': expected 'module NAME SIZE' or 'end COUNT'" },
	{ HEAD "end 0", ":4: the index ends without its 'end' line" },
};

START_TEST(damaged_index_is_refused)
{
	struct mf_modindex ix;
	char why[512], *buf;
	const char *want = damaged[_i].why;

	buf = strdup(damaged[_i].text);
	ck_assert_int_eq(mf_modindex_parse(buf, strlen(buf), "DIR/modules.index", &ix, why,
					   sizeof(why)), -EINVAL);
	ck_assert_msg(strncmp(why, "DIR/modules.index", 17) == 0 &&
		      strncmp(why + 17, want, strlen(want)) == 0,
		      "case %d: '%s', want DIR/modules.index%s", _i, why, want);
	free(buf);
}
END_TEST

/* ---- the runtime ---------------------------------------------------------- */

START_TEST(boot_reads_the_index_not_the_directory)
{
	struct mf_context *ctx = boot(0, 2);

	/* No index yet: the directory was listed, and the index written. */
	assert_counts(ctx, 1, 0);
	ck_assert_int_eq(access(index_path, F_OK), 0);
	ck_assert_str_eq(fake_description(ctx, "alpha"), "disk");
	/* Unchanged: neither listed nor read again, however often asked. */
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 0);
	ck_assert_int_lt(fake_load(ctx, "beta", NULL), 0); /* found, but no .so */
	assert_counts(ctx, 1, 0);
	mf_context_unref(ctx);

	/* The next boot takes the index, whatever the files say now. */
	edit_index("description=disk", "description=MEMO");
	ctx = boot(0, 2);
	assert_counts(ctx, 0, 1);
	ck_assert_str_eq(fake_description(ctx, "alpha"), "MEMO");
	ck_assert_uint_eq(ev.count, 0);
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 0);
	assert_counts(ctx, 0, 1);
	mf_context_unref(ctx);
}
END_TEST

/* A module copied in is seen at the next refresh, or at the next load. */
START_TEST(module_copied_in_is_seen_once_the_directory_changed)
{
	struct mf_context *ctx = boot(0, 2);
	struct mf_module *mod;

	ck_assert_int_eq(fake_add(ctx, "[module]\nname=embedded\n", NULL), 0);
	write_file("gamma.manifest", "[module]\nname=gamma\n");
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_str_eq(ev.seq, "note:gamma");
	assert_counts(ctx, 2, 0);

	/* By a load of anything: its lookup brings the catalog up to date. */
	write_file("delta.manifest", "[module]\nname=delta\n");
	ck_assert_int_eq(fake_load(ctx, "embedded", NULL), 0);
	ck_assert_int_eq(mf_module_find(ctx, "delta", &mod), 0);
	assert_counts(ctx, 3, 0);
	mf_context_unref(ctx);

	/* And the index says so to the next boot. */
	ctx = boot(0, 4);
	assert_counts(ctx, 0, 1);
	mf_context_unref(ctx);
}
END_TEST

/* An index older than the directory is not used: it is written again. */
START_TEST(stale_index_is_rewritten)
{
	struct mf_context *ctx = boot(0, 2);

	mf_context_unref(ctx);
	edit_index("description=disk", "description=MEMO");
	/* A manifest removed after the index was written. */
	ck_assert_int_eq(unlink(index_path) == 0 ? 0 : -1, 0);
	write_file(MF_MODINDEX_NAME, HEAD "end 0\n");
	index_written();
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/beta.manifest", dir);
		ck_assert_int_eq(unlink(path), 0);
	}
	/* Read (its stamp is in it), found stale, the directory listed. */
	ctx = boot(0, 1);
	assert_counts(ctx, 1, 1);
	ck_assert_str_eq(fake_description(ctx, "alpha"), "disk");
	ck_assert_str_eq(fake_description(ctx, "beta"), "(none)");
	mf_context_unref(ctx);
	ctx = boot(0, 1);
	assert_counts(ctx, 0, 1);
	mf_context_unref(ctx);
}
END_TEST

/* A damaged index: said once, with its line; the directory read instead,
 * and the index written again. */
START_TEST(damaged_index_is_rebuilt)
{
	struct mf_context *ctx = boot(0, 2);
	char want[512];

	mf_context_unref(ctx);
	edit_index("name=beta", "name=bet@");
	ctx = boot(0, 2);
	snprintf(want, sizeof(want), "note module index: %s:12: module beta: %s/beta.manifest:2: ",
		 index_path, dir);
	ck_assert_msg(strncmp(ev.lines, want, strlen(want)) == 0, "events:\n%s", ev.lines);
	ck_assert_ptr_nonnull(strstr(ev.lines, "; the directory is read instead\n"));
	assert_counts(ctx, 1, 1);
	mf_context_unref(ctx);
	ctx = boot(0, 2);
	ck_assert_uint_eq(ev.count, 0);
	assert_counts(ctx, 0, 1);
	mf_context_unref(ctx);
}
END_TEST

/* The directory's state is the layer's own: the core only calls its hooks. */
START_TEST(no_such_module_says_where_it_looked)
{
	struct mf_context *ctx = boot(0, 2);
	char want[256], buf[512];

	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "nosuch", &ev), -ENOENT);
	snprintf(want, sizeof(want), "no such module (neither in the image nor in %s)", dir);
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_FAIL, "nosuch", buf, sizeof(buf)));
	ck_assert_str_eq(buf, want);
	ck_assert_str_eq(mf_moddir_no_such_module(ctx), want);
	ck_assert_int_eq(mf_moddir_set(ctx, dir, 0), -EBUSY);
	mf_context_unref(ctx);
}
END_TEST

/* ---- manifold-gen index ------------------------------------------------------- */

static int gen_index(const char *args)
{
	const char *gen = getenv("MANIFOLD_GEN");
	char cmd[1024];

	/* Its errors beside the directory: a file in it would change it. */
	snprintf(cmd, sizeof(cmd), "%s index %s %s 2>%s.err", gen, args, dir, dir);
	return WEXITSTATUS(system(cmd));
}

START_TEST(generator_writes_what_the_runtime_reads)
{
	struct mf_context *ctx;
	char path[256], *err;

	if (!getenv("MANIFOLD_GEN")) {
		printf("check_modindex: MANIFOLD_GEN not set, generator test skipped\n");
		return;
	}
	ck_assert_int_eq(gen_index(""), 0);
	ctx = boot(0, 2);
	assert_counts(ctx, 0, 1);
	mf_context_unref(ctx);

	/* A manifest the image would refuse: nothing written, the reason said. */
	edit_index("description=disk", "description=MEMO");
	write_file("gamma.manifest", "[module]\nname=delta\n");
	ck_assert_int_eq(gen_index(""), 1);
	snprintf(path, sizeof(path), "%s.err", dir);
	err = test_read_file(path, NULL);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "gamma.manifest: describes module 'delta'"));
	free(err);
	unlink(path);
	err = test_read_file(index_path, NULL);
	ck_assert_ptr_nonnull(strstr(err, "description=MEMO"));
	free(err);
	ck_assert_int_eq(gen_index("--help >/dev/null"), 0);
}
END_TEST

Suite *make_modindex_suite(void)
{
	Suite *s = suite_create("modindex");
	TCase *tc = tcase_create("format");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, write_is_atomic);
	tcase_add_loop_test(tc, damaged_index_is_refused, 0,
			    (int)(sizeof(damaged) / sizeof(damaged[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("runtime");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, boot_reads_the_index_not_the_directory);
	tcase_add_test(tc, module_copied_in_is_seen_once_the_directory_changed);
	tcase_add_test(tc, stale_index_is_rewritten);
	tcase_add_test(tc, damaged_index_is_rebuilt);
	tcase_add_test(tc, no_such_module_says_where_it_looked);
	tcase_add_test(tc, generator_writes_what_the_runtime_reads);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_modindex_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
