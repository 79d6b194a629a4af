/* SPDX-License-Identifier: MIT */
/*
 * Security review, the cases no other suite covers (docs/reliability.md
 * lists every security test and where it lives):
 *
 *  - neverload through the console's `module load`, and for a module that
 *    is installed in the module directory after boot under the banned name:
 *    a refresh adds it to the catalog, banned, and no way of starting it
 *    (console, API, dependency, autoload) gets past the ban;
 *  - a manifest cannot make a name reach outside the module directory;
 *  - a manifest or module file owned by a user other than root and the
 *    image's own is refused, as a group-writable one is, and so is a
 *    module directory that others could change; a manifest read before
 *    and since given away or made group-writable too, once the directory
 *    is read again;
 *  - the directory's index (modules.index) lifts none of that: an index
 *    written without the checks (MF_MODDIR_NO_PERM_CHECK) is not used by
 *    a context that checks; an index file that is writable by group or
 *    others, another user's, or a symbolic link is not believed; an index
 *    with a record named like a path is not believed at all.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/console.h>
#include <manifold/moddir.h>

#include "fake_backend.h"
#include "index_stamp.h"
#include "test_file.h"

static struct mf_context *ctx;
static struct mf_config *cfg;
static struct fake_events ev;
static char dir[64];
static char out[16384];
static bool have_dir; /* false on a board without loadable modules */

static const char catalog[] =
	"[module]\nname=app_system\n[provides]\napplication=System\n"
	"[module]\nname=needs_system\n[uses]\napplication=System\n"
	"[module]\nname=app_other\n";

static const char conf[] = "[modules]\nautoload=no\nneverload=app_system\nneverload=late\n";

static void collect(void *data, const char *text)
{
	size_t len = strlen(out);

	(void)data;
	snprintf(out + len, sizeof(out) - len, "%s", text);
}

static int run(const char *line)
{
	out[0] = '\0';
	return mf_console_exec(ctx, line, collect, NULL);
}

#define ck_assert_out_has(s) \
	ck_assert_msg(strstr(out, s) != NULL, "output lacks \"%s\":\n%s", s, out)

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* A file created in the directory and removed: the directory changed. */
static void touch_dir(void)
{
	char path[256];

	write_file("touched.tmp", "x", 0644);
	snprintf(path, sizeof(path), "%s/touched.tmp", dir);
	ck_assert_int_eq(unlink(path), 0);
}

static void setup(void)
{
	char pattern[] = "/tmp/mf-security-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(pattern));
	snprintf(dir, sizeof(dir), "%s", pattern);
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, catalog), 0);
	have_dir = mf_moddir_set(ctx, dir, 0) == 0;
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "sec.conf", conf, strlen(conf), NULL, 0),
			 0);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, NULL, NULL), 0);
	ck_assert_int_eq(mf_boot(ctx, cfg, NULL, NULL), 0);
	fake_events_clear(&ev);
}

static void teardown(void)
{
	char cmd[128];

	ck_assert_ptr_null(mf_context_unref(ctx));
	mf_config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The tests that need a module directory skip on a board without one. */
#define NEED_DIR()                                                             \
	do {                                                                   \
		if (!have_dir) {                                               \
			printf("check_security: no loadable modules here, %s skipped\n", \
			       __func__);                                      \
			return;                                                \
		}                                                              \
	} while (0)

/* ---- neverload ------------------------------------------------------------- */

START_TEST(console_load_of_a_banned_module)
{
	ck_assert_int_eq(run("module load app_system"), -EPERM);
	ck_assert_out_has("app_system is neverloaded (sec.conf:3)");
	ck_assert_int_eq(run("module load needs_system"), -EPERM);
	ck_assert_out_has("needs_system uses application=System: app_system is "
			  "neverloaded (sec.conf:3)");
	/* A dry run says the same, and nothing starts either way. */
	ck_assert_int_eq(run("module load -n app_system"), -EPERM);
	ck_assert_out_has("app_system is neverloaded (sec.conf:3)");
	ck_assert_int_eq(fake_state(ctx, "app_system"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "needs_system"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "");
}
END_TEST

/*
 * The ban names a module the image did not have at boot; it is installed in
 * the module directory afterwards, with a module that uses it.
 */
START_TEST(banned_name_installed_later_in_the_directory)
{
	struct mf_module *late;
	char buf[512];

	NEED_DIR();

	write_file("late.manifest", "[module]\nname=late\n[provides]\nfunction=LATE\n", 0644);
	write_file("uses_late.manifest", "[module]\nname=uses_late\n[uses]\nfunction=LATE\n",
		   0644);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 2);
	ck_assert_int_eq(mf_module_find(ctx, "late", &late), 0);
	ck_assert_str_eq(mf_module_neverload(late), "sec.conf:4");

	/* The API, the console (which reads the directory again first), a
	 * dependency, and boot with autoload=yes. */
	ck_assert_int_eq(fake_load(ctx, "late", &ev), -EPERM);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "late", buf, sizeof(buf)),
			 "late is neverloaded (sec.conf:4)");
	ck_assert_int_eq(run("module load late"), -EPERM);
	ck_assert_out_has("late is neverloaded (sec.conf:4)");
	ck_assert_int_eq(run("module load uses_late"), -EPERM);
	ck_assert_out_has("uses_late uses function=LATE: late is neverloaded (sec.conf:4)");
	cfg->autoload = true;
	ck_assert_int_eq(mf_boot(ctx, cfg, NULL, NULL), -EIO);
	ck_assert_int_eq(fake_state(ctx, "late"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "uses_late"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "app_system"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "app_other"), MF_STATE_RUNNING);
}
END_TEST

/* Reading the directory again, with the manifest changed or removed and put
 * back, never lifts the ban. */
START_TEST(refresh_does_not_lift_a_ban)
{
	struct mf_module *late;
	char path[256];

	NEED_DIR();

	write_file("late.manifest", "[module]\nname=late\n", 0644);
	ck_assert_int_ge(run("module refresh"), 0);
	write_file("late.manifest", "[module]\nname=late\ndescription=new\n", 0644);
	ck_assert_int_ge(run("module refresh"), 0);
	snprintf(path, sizeof(path), "%s/late.manifest", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_ge(run("module refresh"), 0);
	write_file("late.manifest", "[module]\nname=late\n", 0644);
	ck_assert_int_ge(run("module refresh"), 0);
	ck_assert_int_eq(mf_module_find(ctx, "late", &late), 0);
	ck_assert_str_eq(mf_module_neverload(late), "sec.conf:4");
	ck_assert_int_eq(run("module load late"), -EPERM);
	ck_assert_out_has("late is neverloaded (sec.conf:4)");
}
END_TEST

/* ---- names ------------------------------------------------------------------- */

START_TEST(names_never_leave_the_directory)
{
	static const char *const bad[] = { "../late", "/etc/passwd", ".hidden", "a/b", "..",
					   "late/../../x" };
	struct mf_module *mod;
	char buf[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(mf_module_find(ctx, bad[i], &mod), -EINVAL);
		ck_assert_int_eq(fake_load(ctx, bad[i], &ev), -EINVAL);
		ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, bad[i], buf, sizeof(buf)),
				 "invalid module name (names are not paths)");
	}
	NEED_DIR();
	/* A manifest cannot name a path either: its module's file would be
	 * <dir>/<name>.so. */
	write_file("evil.manifest", "[module]\nname=../../tmp/evil\n", 0644);
	write_file("Evil.manifest", "[module]\nname=evil\n", 0644);
	write_file("ev.il.manifest", "[module]\nname=evil\n", 0644);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_msg(strstr(ev.seq, "fail:Evil") && strstr(ev.seq, "fail:ev.il") &&
			      strstr(ev.seq, "fail:evil"),
		      "refusals: %s", ev.seq);
	ck_assert_ptr_nonnull(strstr(ev.lines, "/evil.manifest:2: bad module name "
					       "'../../tmp/evil'"));
	ck_assert_ptr_nonnull(strstr(ev.lines, "/Evil.manifest: 'Evil' is not a module name "
					       "(a-z, 0-9 and _, at most 63): ignored"));
	ck_assert_int_eq(mf_module_find(ctx, "evil", &mod), -ENOENT);
}
END_TEST

/* ---- ownership and permissions -------------------------------------------------- */

START_TEST(files_of_another_owner_are_refused)
{
	char path[256], want[512];
	struct mf_module *mod;

	NEED_DIR();
	if (geteuid() != 0) {
		/* Only root can give a file away; CI runs as root. */
		printf("check_security: not root, ownership test skipped\n");
		return;
	}
	write_file("theirs.manifest", "[module]\nname=theirs\n", 0644);
	snprintf(path, sizeof(path), "%s/theirs.manifest", dir);
	ck_assert_int_eq(chown(path, 4242, 4242), 0);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	snprintf(want, sizeof(want), "fail theirs: %s: owned by uid 4242, neither root nor "
		 "this image's user (uid 0); refused\n",
		 path);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_int_eq(mf_module_find(ctx, "theirs", &mod), -ENOENT);

	/* Given back to root, it is accepted once the directory is read. */
	ck_assert_int_eq(chown(path, 0, 0), 0);
	touch_dir();
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_int_eq(mf_module_find(ctx, "theirs", &mod), 0);
}
END_TEST

START_TEST(group_writable_manifest_is_refused)
{
	char path[256], want[512];
	struct mf_module *mod;

	NEED_DIR();

	write_file("open.manifest", "[module]\nname=open\n", 0664);
	snprintf(path, sizeof(path), "%s/open.manifest", dir);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	snprintf(want, sizeof(want), "fail open: %s: writable by group or others (mode 0664); "
		 "refused\n", path);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_int_eq(mf_module_find(ctx, "open", &mod), -ENOENT);
}
END_TEST

/*
 * A refresh reads the manifests only when the directory changed (moddir.c):
 * then every one is read again, and the mode and owner of one read before
 * still count.
 */
START_TEST(manifest_made_unsafe_is_refused)
{
	char mine[256], theirs[256], want[512];
	struct mf_module *mod;
	bool root = geteuid() == 0;

	NEED_DIR();
	write_file("mine.manifest", "[module]\nname=mine\n", 0644);
	write_file("theirs.manifest", "[module]\nname=theirs\n", 0644);
	snprintf(mine, sizeof(mine), "%s/mine.manifest", dir);
	snprintf(theirs, sizeof(theirs), "%s/theirs.manifest", dir);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 2);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);

	ck_assert_int_eq(chmod(mine, 0664), 0);
	/* Only root can give a file away; CI runs as root. */
	if (root)
		ck_assert_int_eq(chown(theirs, 4242, 4242), 0);
	/* Unseen while the directory is as it was... */
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	/* ...and refused once it changed. */
	touch_dir();
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), (root ? 2 : 1));
	snprintf(want, sizeof(want), "fail mine: %s: writable by group or others (mode 0664); "
		 "refused\n", mine);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_msg(strstr(ev.lines, "note mine: its manifest is refused") != NULL,
		      "events:\n%s", ev.lines);
	if (root) {
		snprintf(want, sizeof(want), "fail theirs: %s: owned by uid 4242, neither root "
			 "nor this image's user (uid 0); refused\n", theirs);
		ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	}
	/* In the catalog still, but not to be started. */
	ck_assert_int_eq(mf_module_find(ctx, "mine", &mod), 0);
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, root ? "mine theirs" : "mine", &ev), -ENOENT);
	ck_assert_msg(strstr(ev.lines, "fail mine: mine cannot start: its manifest is "
			     "refused") != NULL, "events:\n%s", ev.lines);
	ck_assert_msg(!root || strstr(ev.lines, "fail theirs: theirs cannot start: its "
				      "manifest is refused") != NULL, "events:\n%s", ev.lines);
}
END_TEST

/* ---- the index ------------------------------------------------------------------- */

/* A context on the directory, its first refresh made: @want changes. */
static struct mf_context *index_boot(unsigned flags, int want)
{
	int got = 0;
	struct mf_context *ctx = fake_moddir_boot(dir, flags, &ev, &got);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(got, want);
	return ctx;
}


/* @path as a new file, stamped as current when it is the index. */
static void write_whole(const char *path, const char *buf, size_t len, mode_t mode)
{
	FILE *fp;

	unlink(path);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(buf, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	if (strstr(path, "/modules.index"))
		index_stamp(dir, path);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* @text with its one @from replaced by @to, in a new string. */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	ck_assert_msg(at != NULL, "'%s' not in:\n%s", from, text);
	out = malloc(strlen(text) + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

START_TEST(index_is_held_to_the_file_checks)
{
	char index[128], real[160], path[256], want[512], *text, *evil, *bad;
	bool root = geteuid() == 0;
	struct mf_context *c;

	NEED_DIR();
	snprintf(index, sizeof(index), "%s/modules.index", dir);
	snprintf(real, sizeof(real), "%s/elsewhere.index", dir);
	write_file("mine.manifest", "[module]\nname=mine\ndescription=disk\n", 0644);
	write_file("open.manifest", "[module]\nname=open\n", 0644);
	write_file("theirs.manifest", "[module]\nname=theirs\n", 0644);
	snprintf(path, sizeof(path), "%s/open.manifest", dir);
	ck_assert_int_eq(chmod(path, 0664), 0);
	snprintf(path, sizeof(path), "%s/theirs.manifest", dir);
	/* Only root can give a file away; CI runs as root. */
	if (root)
		ck_assert_int_eq(chown(path, 4242, 4242), 0);

	/* Booted once without the checks: all of them accepted, and indexed. */
	c = index_boot(MF_MODDIR_NO_PERM_CHECK, 3);
	ck_assert_ptr_null(mf_context_unref(c));
	text = test_read_file(index, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\nchecks none\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nmodule open "));
	free(text);

	/* With the checks that index is not used: the files are refused. */
	c = index_boot(0, root ? 1 : 2);
	snprintf(want, sizeof(want), "fail open: %s/open.manifest: writable by group or "
		 "others (mode 0664); refused\n", dir);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_str_eq(fake_description(c, "open"), "(none)");
	if (root) {
		snprintf(want, sizeof(want), "fail theirs: %s: owned by uid 4242, neither "
			 "root nor this image's user (uid 0); refused\n", path);
		ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
		ck_assert_str_eq(fake_description(c, "theirs"), "(none)");
	}
	ck_assert_ptr_null(mf_context_unref(c));
	text = test_read_file(index, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strstr(text, "\nmodule open "));

	/* An index that would have mine say EVIL, believed when safe... */
	evil = replaced(text, "description=disk", "description=EVIL");
	free(text);
	write_whole(index, evil, strlen(evil), 0644);
	c = index_boot(0, root ? 1 : 2);
	ck_assert_str_eq(fake_description(c, "mine"), "EVIL");
	ck_assert_uint_eq(ev.count, 0);
	ck_assert_ptr_null(mf_context_unref(c));

	/* ...and not when others could have written it. */
	write_whole(index, evil, strlen(evil), 0666);
	c = index_boot(0, root ? 1 : 2);
	ck_assert_str_eq(fake_description(c, "mine"), "disk");
	snprintf(want, sizeof(want), "note module index: %s: writable by group or others "
		 "(mode 0666); refused; the directory is read instead\n", index);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_ptr_null(mf_context_unref(c));

	write_whole(real, evil, strlen(evil), 0644);
	unlink(index);
	ck_assert_int_eq(symlink(real, index), 0);
	c = index_boot(0, root ? 1 : 2);
	ck_assert_str_eq(fake_description(c, "mine"), "disk");
	snprintf(want, sizeof(want), "note module index: %s: is a symbolic link; module "
		 "files and manifests must be regular files; the directory is read "
		 "instead\n", index);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_ptr_null(mf_context_unref(c));

	if (root) {
		write_whole(index, evil, strlen(evil), 0644);
		ck_assert_int_eq(chown(index, 4242, 4242), 0);
		c = index_boot(0, 1);
		ck_assert_str_eq(fake_description(c, "mine"), "disk");
		snprintf(want, sizeof(want), "note module index: %s: owned by uid 4242, "
			 "neither root nor this image's user (uid 0); refused; the directory "
			 "is read instead\n", index);
		ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
		ck_assert_ptr_null(mf_context_unref(c));
	}

	/* A record named like a path: the whole index is refused. */
	bad = replaced(evil, "\nmodule mine ", "\nmodule ../x ");
	write_whole(index, bad, strlen(bad), 0644);
	c = index_boot(0, root ? 1 : 2);
	ck_assert_str_eq(fake_description(c, "mine"), "disk");
	ck_assert_msg(strstr(ev.lines, "modules.index:5: '../x' is not a module name") != NULL,
		      "events:\n%s", ev.lines);
	ck_assert_ptr_null(mf_context_unref(c));
	free(bad);
	free(evil);
}
END_TEST

/* Whoever may replace files in the directory decides what the image runs. */
START_TEST(unsafe_directory_is_refused)
{
	char want[512];
	struct mf_module *mod;

	NEED_DIR();
	write_file("mine.manifest", "[module]\nname=mine\n", 0644);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), -EPERM);
	snprintf(want, sizeof(want), "fail module directory: %s: writable by group or others "
		 "without the sticky bit (mode 0777); nothing in it is loaded\n", dir);
	ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
	ck_assert_int_eq(mf_module_find(ctx, "mine", &mod), -ENOENT);
	/* Said once, however often the directory is read. */
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), -EPERM);
	ck_assert_uint_eq(ev.count, 0);

	/* With the sticky bit others cannot touch the files that are not
	 * theirs (and theirs are refused): /tmp-like is fine. */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_int_eq(mf_module_find(ctx, "mine", &mod), 0);

	if (geteuid() == 0) {
		ck_assert_int_eq(chmod(dir, 0755), 0);
		ck_assert_int_eq(chown(dir, 4242, 4242), 0);
		fake_events_clear(&ev);
		ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), -EPERM);
		snprintf(want, sizeof(want), "fail module directory: %s: owned by uid 4242, "
			 "neither root nor this image's user (uid 0); nothing in it is loaded\n", dir);
		ck_assert_msg(strstr(ev.lines, want) != NULL, "events:\n%s", ev.lines);
		ck_assert_int_eq(chown(dir, 0, 0), 0);
	}
}
END_TEST

Suite *make_security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("security");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, console_load_of_a_banned_module);
	tcase_add_test(tc, banned_name_installed_later_in_the_directory);
	tcase_add_test(tc, refresh_does_not_lift_a_ban);
	tcase_add_test(tc, names_never_leave_the_directory);
	tcase_add_test(tc, files_of_another_owner_are_refused);
	tcase_add_test(tc, group_writable_manifest_is_refused);
	tcase_add_test(tc, manifest_made_unsafe_is_refused);
	tcase_add_test(tc, unsafe_directory_is_refused);
	tcase_add_test(tc, index_is_held_to_the_file_checks);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_security_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
