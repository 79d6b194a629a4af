/* SPDX-License-Identifier: MIT */
/*
 * The loadable backend and the module directory, with real module files:
 * the fixtures of tests/fixtures/, built by the Makefile into
 * build/tests/fixtures/ (MANIFOLD_FIXTURES) as <name>.so plus <name>.manifest
 * with the file's checksum.  Each test copies the files it needs into a
 * directory of its own, so it can break them at will.
 *
 * The lifecycle scenarios run twice, against the loadable backend and
 * against the fake backend (tests/fake_backend.c) given the same manifests:
 * the fixtures behave exactly like fake modules, so both runs must give the
 * same events and the same journal.  Then what only module files have:
 * checksums, ABI and signature checks, export_globals, file safety, and
 * modules installed or removed while the context runs.
 *
 * This program is linked with -rdynamic, as the image is: the fixtures
 * resolve mf_* and the journal from it.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/moddir.h>

#include "fake_backend.h"
#include "loadable/loadable.h"
#include "util/sha256.h"
#include "test_file.h"

/* ---- the fixtures' knob ------------------------------------------------- */

static char fail_name[64];
static int fail_err;

/* Called by every fixture's load (tests/fixtures/fixture.h). */
int fx_load_error(const char *module);

int fx_load_error(const char *module)
{
	return strcmp(module, fail_name) == 0 ? fail_err : 0;
}

/* ---- files -------------------------------------------------------------- */

static const char *fixtures(void)
{
	const char *dir = getenv("MANIFOLD_FIXTURES");

	return dir ? dir : "build/tests/fixtures";
}

static char *slurp(const char *path, size_t *len)
{
	char *buf = test_read_file(path, len);

	ck_assert_msg(buf != NULL, "%s: %s (build the fixtures: make unit-tests)", path,
		      strerror(errno));
	return buf;
}

/* Write @len bytes to @path through a new file renamed into place. */
static void spew(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[512];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_msg(fd >= 0, "%s: %s", tmp, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *buf = slurp(from, &len);

	spew(to, buf, len, 0644);
	free(buf);
}

/* Put fixture @name's two files into @dir. */
static void install(const char *dir, const char *name)
{
	char from[512], to[512];

	snprintf(from, sizeof(from), "%s/%s.so", fixtures(), name);
	snprintf(to, sizeof(to), "%s/%s.so", dir, name);
	copy_file(from, to);
	snprintf(from, sizeof(from), "%s/%s.manifest", fixtures(), name);
	snprintf(to, sizeof(to), "%s/%s.manifest", dir, name);
	copy_file(from, to);
}

static void path_of(char *buf, size_t len, const char *dir, const char *name,
		    const char *suffix)
{
	snprintf(buf, len, "%s/%s%s", dir, name, suffix);
}

static void remove_file(const char *dir, const char *name, const char *suffix)
{
	char path[512];

	path_of(path, sizeof(path), dir, name, suffix);
	ck_assert_msg(unlink(path) == 0, "%s: %s", path, strerror(errno));
}

static void remove_tree(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *d;

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		char path[512];

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

/* The checksum= line of a manifest file. */
static void manifest_checksum(const char *path, char out[MF_SHA256_TEXT_SIZE])
{
	char *text = slurp(path, NULL), *p = strstr(text, "\nchecksum=");

	ck_assert_msg(p != NULL, "%s has no checksum", path);
	snprintf(out, MF_SHA256_TEXT_SIZE, "%.*s", (int)strcspn(p + 10, "\n"), p + 10);
	free(text);
}

static void file_checksum(const char *path, char out[MF_SHA256_TEXT_SIZE])
{
	int fd = open(path, O_RDONLY);

	ck_assert(fd >= 0);
	ck_assert_int_eq(mf_sha256_fd(fd, out), 0);
	close(fd);
}

/* Rewrite a manifest with another checksum= value (or none when NULL). */
static void set_manifest_checksum(const char *path, const char *sum)
{
	char *text = slurp(path, NULL), *p = strstr(text, "\nchecksum=");
	char out[8192];
	size_t head, tail;

	ck_assert(p != NULL);
	head = (size_t)(p - text) + 1;
	tail = head + strcspn(text + head, "\n") + 1;
	snprintf(out, sizeof(out), "%.*s%s%s%s%s", (int)head, text,
		 sum ? "checksum=" : "", sum ? sum : "", sum ? "\n" : "", text + tail);
	spew(path, out, strlen(out), 0644);
	free(text);
}

/* ---- a context per test ------------------------------------------------- */

static struct mf_context *ctx;
static char dir[64];
static struct fake_events ev;

static void setup(void)
{
	strcpy(dir, "/tmp/mf-loadable-XXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	fake_journal_clear();
	fake_log_clear();
	fake_events_clear(&ev);
	fail_name[0] = '\0';
	fail_err = 0;
}

static void teardown(void)
{
	mf_context_unref(ctx);
	ctx = NULL;
	remove_tree(dir);
}

static void use_dir(unsigned flags)
{
	ck_assert_int_eq(mf_moddir_set(ctx, dir, flags), 0);
	ck_assert_int_ge(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
}

/* The detail of the first event of @kind for @module ("" when none). */
static const char *detail(enum mf_event_kind kind, const char *module)
{
	static char buf[2048];

	if (!fake_events_detail(&ev, kind, module, buf, sizeof(buf)))
		buf[0] = '\0';
	return buf;
}

#define ck_assert_has(haystack, needle)                                        \
	ck_assert_msg(strstr((haystack), (needle)) != NULL,                    \
		      "'%s' not found in:\n%s", (needle), (haystack))

static unsigned count_of(const char *haystack, const char *needle)
{
	unsigned n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int call(const char *function, const char *args, char *out, size_t len)
{
	struct mf_api *api;
	const struct mf_callable *c;
	int err = mf_api_find(ctx, "function", function, &api);

	if (err < 0)
		return err;
	c = mf_api_iface(api);
	err = c->call(mf_api_provider(api), args, out, len);
	mf_api_release(api);
	return err;
}

/* ---- the two backends --------------------------------------------------- */

static const char *const chain[] = { "fx_base", "fx_mid", "fx_top" };

static void fake_setup(void)
{
	for (size_t i = 0; i < 3; i++) {
		char path[512];
		char *text;

		path_of(path, sizeof(path), fixtures(), chain[i], ".manifest");
		text = slurp(path, NULL);
		ck_assert_int_eq(fake_add(ctx, text, NULL), 0);
		free(text);
	}
}

static void fake_fail(const char *name, int err)
{
	fake_fail_load(ctx, name, err);
}

static void loadable_setup(void)
{
	for (size_t i = 0; i < 3; i++)
		install(dir, chain[i]);
	use_dir(0);
	fake_events_clear(&ev);
}

static void loadable_fail(const char *name, int err)
{
	snprintf(fail_name, sizeof(fail_name), "%s", name);
	fail_err = err;
}

static const struct backend {
	const char *name;
	void (*setup)(void);
	void (*fail_load)(const char *name, int err);
} backends[] = {
	{ "loadable", loadable_setup, loadable_fail },
	{ "fake", fake_setup, fake_fail },
};

#define N_BACKENDS (int)(sizeof(backends) / sizeof(backends[0]))

static void backend_setup(int i)
{
	backends[i].setup();
	ck_assert_str_eq(fake_info(ctx, "fx_top").backend, backends[i].name);
}

static void all_stopped(void)
{
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(fake_state(ctx, chain[i]) == MF_STATE_STOPPED,
			      "%s is %s", chain[i],
			      mf_state_name(fake_state(ctx, chain[i])));
}

/* ---- lifecycle scenarios, once per backend ------------------------------ */

START_TEST(load_with_dependencies)
{
	char out[64];

	backend_setup(_i);
	ck_assert_int_eq(fake_load(ctx, "fx_top", &ev), 0);
	ck_assert_str_eq(ev.seq, "start:fx_base start:fx_mid start:fx_top");
	ck_assert_str_eq(fake_journal(), "load:fx_base load:fx_mid load:fx_top");
	ck_assert_str_eq(detail(MF_EVENT_START, "fx_base"), "used by fx_mid (module=fx_base)");
	ck_assert_int_eq(call("FX_TOP", "x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "fx_top:x");
	ck_assert_int_eq(call("FX_BASE", "y", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "fx_base:y");
	ck_assert(fake_info(ctx, "fx_top").admin);
	ck_assert(!fake_info(ctx, "fx_base").admin);
	ck_assert_uint_eq(fake_info(ctx, "fx_base").users, 1);
}
END_TEST

START_TEST(unload_cascades_in_reverse)
{
	backend_setup(_i);
	ck_assert_int_eq(fake_load(ctx, "fx_top", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "fx_top", 0, fake_events_fn, &ev), 0);
	ck_assert_str_eq(ev.seq, "stop:fx_top stop:fx_mid stop:fx_base");
	ck_assert_str_eq(fake_journal(), "unload:fx_top unload:fx_mid unload:fx_base");
	all_stopped();
	ck_assert_int_eq(call("FX_BASE", "", NULL, 0), -ENOENT);
}
END_TEST

START_TEST(soft_unload_of_a_used_module_is_held)
{
	backend_setup(_i);
	ck_assert_int_eq(fake_load(ctx, "fx_top fx_base", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "fx_base", 0, fake_events_fn, &ev), 0);
	ck_assert_str_eq(ev.seq, "held:fx_base");
	ck_assert_str_eq(detail(MF_EVENT_HELD, "fx_base"), "module fx_mid");
	ck_assert(fake_state(ctx, "fx_base") == MF_STATE_RUNNING);
	ck_assert(!fake_info(ctx, "fx_base").admin);
}
END_TEST

START_TEST(forced_unload_stops_the_users_first)
{
	backend_setup(_i);
	ck_assert_int_eq(fake_load(ctx, "fx_top fx_base", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "fx_base", MF_OP_FORCE, fake_events_fn, &ev), 0);
	ck_assert_str_eq(fake_journal(), "unload:fx_top unload:fx_mid unload:fx_base");
	ck_assert_str_eq(ev.seq, "stop:fx_top stop:fx_mid stop:fx_base");
	all_stopped();
}
END_TEST

START_TEST(failed_load_rolls_back)
{
	char *before;

	backend_setup(_i);
	before = fake_snapshot(ctx);
	backends[_i].fail_load("fx_top", -EIO);
	ck_assert_int_eq(fake_load(ctx, "fx_top", &ev), -EIO);
	ck_assert_str_eq(fake_journal(), "load:fx_base load:fx_mid load:fx_top:fail "
					 "unload:fx_mid unload:fx_base");
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_top"), "load callback failed");
	all_stopped();
	/* What the failed load registered went with it. */
	ck_assert_int_eq(call("FX_TOP", "", NULL, 0), -ENOENT);
	ck_assert_int_eq(call("FX_BASE", "", NULL, 0), -ENOENT);
	{
		char *after = fake_snapshot(ctx);

		ck_assert_str_eq(after, before);
		free(after);
	}
	free(before);
	/* The failure was that load's: the next one succeeds. */
	backends[_i].fail_load("fx_top", 0);
	ck_assert_int_eq(fake_load(ctx, "fx_top", NULL), 0);
}
END_TEST

START_TEST(stopped_module_starts_again)
{
	backend_setup(_i);
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(fake_load(ctx, "fx_top", NULL), 0);
		ck_assert_int_eq(mf_unload(ctx, "fx_top", 0, NULL, NULL), 0);
	}
	ck_assert_str_eq(fake_journal(),
			 "load:fx_base load:fx_mid load:fx_top unload:fx_top unload:fx_mid unload:fx_base "
			 "load:fx_base load:fx_mid load:fx_top unload:fx_top unload:fx_mid unload:fx_base "
			 "load:fx_base load:fx_mid load:fx_top unload:fx_top unload:fx_mid unload:fx_base");
	ck_assert_uint_eq(fake_info(ctx, "fx_top").lib_refs, 0);
}
END_TEST

START_TEST(dry_run_maps_nothing)
{
	backend_setup(_i);
	ck_assert_int_eq(fake_load_flags(ctx, "fx_top", MF_OP_DRY_RUN, &ev), 0);
	ck_assert_str_eq(ev.seq, "would_start:fx_base would_start:fx_mid would_start:fx_top");
	ck_assert_str_eq(fake_journal(), "");
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(fake_info(ctx, chain[i]).lib_refs, 0);
	all_stopped();
}
END_TEST

/* ---- module files ------------------------------------------------------- */

START_TEST(unloaded_module_shows_its_manifest)
{
	struct mf_module_info info;

	install(dir, "fx_top");
	use_dir(0);
	info = fake_info(ctx, "fx_top");
	ck_assert_str_eq(info.backend, "loadable");
	ck_assert_str_eq(info.description, "Fixture: uses fx_mid");
	ck_assert(info.support_level == MF_SUPPORT_EXTENDED);
	ck_assert(info.state == MF_STATE_STOPPED);
	ck_assert_uint_eq(info.lib_refs, 0);
}
END_TEST

START_TEST(checksum_mismatch_is_refused)
{
	char so[512], manifest[512], want[MF_SHA256_TEXT_SIZE], have[MF_SHA256_TEXT_SIZE];
	char expect[2048];
	size_t len;
	char *bytes;

	install(dir, "fx_base");
	path_of(so, sizeof(so), dir, "fx_base", ".so");
	path_of(manifest, sizeof(manifest), dir, "fx_base", ".manifest");
	/* One byte of the file changes after the build. */
	bytes = slurp(so, &len);
	bytes[len / 2] ^= 0x5a;
	spew(so, bytes, len, 0644);
	free(bytes);
	manifest_checksum(manifest, want);
	file_checksum(so, have);
	ck_assert_str_ne(want, have);

	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	snprintf(expect, sizeof(expect),
		 "checksum mismatch: its manifest says %s, %s has %s", want, so, have);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_base"), expect);
	ck_assert_str_eq(fake_journal(), "");
	ck_assert_uint_eq(fake_info(ctx, "fx_base").lib_refs, 0);

	/* The next boot takes the manifest from the directory's index: the
	 * file is refused against the index's checksum all the same. */
	{
		unsigned listings, reads;

		mf_context_unref(ctx);
		ck_assert_int_eq(fake_context_new(&ctx), 0);
		use_dir(0);
		mf_moddir_counts(ctx, &listings, &reads);
		ck_assert_uint_eq(listings, 0);
		ck_assert_uint_eq(reads, 1);
		fake_events_clear(&ev);
		ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
		ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_base"), expect);
		ck_assert_uint_eq(fake_info(ctx, "fx_base").lib_refs, 0);
	}
}
END_TEST

/*
 * The checksum a start checks against is the manifest's as the directory
 * last read it: changed, put back, taken out, each said once and each the
 * one the next start checks the file against.
 */
START_TEST(checksum_follows_the_manifest)
{
	static const char zeros[] = "sha256:0000000000000000000000000000000000000000"
				    "000000000000000000000000";
	char so[512], manifest[512], sum[MF_SHA256_TEXT_SIZE], expect[2048], *orig;

	install(dir, "fx_base");
	path_of(so, sizeof(so), dir, "fx_base", ".so");
	path_of(manifest, sizeof(manifest), dir, "fx_base", ".manifest");
	manifest_checksum(manifest, sum);
	orig = slurp(manifest, NULL);
	use_dir(0);

	set_manifest_checksum(manifest, zeros);
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_base"), "new checksum in its manifest");
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	snprintf(expect, sizeof(expect),
		 "checksum mismatch: its manifest says %s, %s has %s", zeros, so, sum);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_base"), expect);

	/* Put back: news again, and the file matches it. */
	set_manifest_checksum(manifest, sum);
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_base"), "new checksum in its manifest");
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_int_eq(fake_load(ctx, "fx_base", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "fx_base", 0, NULL, NULL), 0);

	/* Taken out: the next start is refused. */
	set_manifest_checksum(manifest, NULL);
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_base"), "new checksum in its manifest");
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"), "its manifest has no checksum");

	/* And back in. */
	fake_events_clear(&ev);
	spew(manifest, orig, strlen(orig), 0644);
	free(orig);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_base"), "new checksum in its manifest");
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "fx_base", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:fx_base");
}
END_TEST

START_TEST(manifest_without_checksum_is_refused)
{
	char manifest[512];

	install(dir, "fx_base");
	path_of(manifest, sizeof(manifest), dir, "fx_base", ".manifest");
	set_manifest_checksum(manifest, NULL);
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"), "its manifest has no checksum");
	ck_assert_str_eq(fake_journal(), "");
}
END_TEST

START_TEST(other_abi_is_refused)
{
	char expect[128];

	install(dir, "fx_badabi");
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_badabi", &ev), -EIO);
	snprintf(expect, sizeof(expect),
		 "not binary compatible: built for manifold ABI %u, this image is ABI %u",
		 MANIFOLD_ABI_VERSION + 1, MANIFOLD_ABI_VERSION);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_badabi"), expect);
	ck_assert(fake_state(ctx, "fx_badabi") == MF_STATE_STOPPED);
}
END_TEST

START_TEST(other_build_signature_is_refused)
{
	install(dir, "fx_badsig");
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_badsig", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_badsig"),
		      "not binary compatible: build signature 'abi1;ptr8;bo1234;cc some "
		      "other compiler' differs from the image's '" MANIFOLD_BUILD_SIGNATURE "'");
}
END_TEST

START_TEST(export_globals_decides_symbol_visibility)
{
	install(dir, "fx_base");
	install(dir, "fx_user");
	install(dir, "fx_private");
	install(dir, "fx_needs_private");
	use_dir(0);
	/* fx_base is RTLD_GLOBAL: fx_user's undefined symbol resolves. */
	ck_assert_int_eq(fake_load(ctx, "fx_user", &ev), 0);
	ck_assert_str_eq(fake_journal(), "load:fx_base twice:42 load:fx_user");
	/* fx_private is RTLD_LOCAL: fx_needs_private cannot be mapped, and
	 * what started for it is rolled back. */
	fake_journal_clear();
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_needs_private", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_needs_private"), "cannot map ");
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_needs_private"), "fx_private_fn");
	ck_assert_str_eq(fake_journal(), "load:fx_private unload:fx_private");
	ck_assert(fake_state(ctx, "fx_private") == MF_STATE_STOPPED);
}
END_TEST

START_TEST(names_are_never_paths)
{
	static const char *const bad[] = { "../fx_base", "fx_base/x", "/tmp/fx_base",
					   ".fx_base", "fx_base/../fx_base.so" };
	char from[512], to[512];

	install(dir, "fx_base");
	/* Files whose names are not module names, or that name another module. */
	path_of(from, sizeof(from), fixtures(), "fx_mid", ".manifest");
	path_of(to, sizeof(to), dir, "Fx-Mid", ".manifest");
	copy_file(from, to);
	path_of(from, sizeof(from), fixtures(), "fx_base", ".manifest");
	path_of(to, sizeof(to), dir, "fx_alias", ".manifest");
	copy_file(from, to);
	use_dir(0);
	ck_assert_has(detail(MF_EVENT_FAIL, "Fx-Mid"), "'Fx-Mid' is not a module name");
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_alias"),
		      "fx_alias.manifest: describes module 'fx_base'; a manifest is "
		      "named after its module (fx_base.manifest)");
	ck_assert_uint_eq(ev.count, 2);
	/* Said once: reading the directory again repeats nothing. */
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_uint_eq(ev.count, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_events_clear(&ev);
		ck_assert_int_eq(fake_load(ctx, bad[i], &ev), -EINVAL);
		ck_assert_has(ev.lines, "invalid module name (names are not paths)");
	}
	ck_assert_str_eq(fake_journal(), "");
	/* A .so suffix is accepted and means the module. */
	ck_assert_int_eq(fake_load(ctx, "fx_base.so", NULL), 0);
	ck_assert(fake_state(ctx, "fx_base") == MF_STATE_RUNNING);
}
END_TEST

START_TEST(group_writable_files_are_refused_unless_allowed)
{
	char so[512], manifest[512];

	install(dir, "fx_base");
	install(dir, "fx_mid");
	path_of(so, sizeof(so), dir, "fx_base", ".so");
	path_of(manifest, sizeof(manifest), dir, "fx_mid", ".manifest");
	ck_assert_int_eq(chmod(so, 0664), 0);
	ck_assert_int_eq(chmod(manifest, 0646), 0);
	use_dir(0);
	/* The manifest: not in the catalog at all. */
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_mid"),
		      "fx_mid.manifest: writable by group or others (mode 0646); refused");
	ck_assert_int_eq(fake_load(ctx, "fx_mid", NULL), -ENOENT);
	/* The module file: refused when it would be mapped. */
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"),
		      "fx_base.so: writable by group or others (mode 0664); refused");
	ck_assert_str_eq(fake_journal(), "");

	/* The administrator turns the check off. */
	mf_context_unref(ctx);
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	fake_events_clear(&ev);
	use_dir(MF_MODDIR_NO_PERM_CHECK);
	ck_assert_uint_eq(ev.count, 0);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), 0);
	ck_assert_str_eq(fake_journal(), "load:fx_base load:fx_mid");
}
END_TEST

START_TEST(symbolic_links_are_refused)
{
	char target[512], link[512];

	install(dir, "fx_mid");
	/* The real files are right there, one link away. */
	path_of(target, sizeof(target), fixtures(), "fx_base", ".so");
	ck_assert(realpath(target, link) != NULL);
	strcpy(target, link);
	path_of(link, sizeof(link), dir, "fx_base", ".so");
	ck_assert_int_eq(symlink(target, link), 0);
	install(dir, "fx_top");
	remove_file(dir, "fx_top", ".manifest");
	path_of(target, sizeof(target), fixtures(), "fx_top", ".manifest");
	ck_assert(realpath(target, link) != NULL);
	strcpy(target, link);
	path_of(link, sizeof(link), dir, "fx_top", ".manifest");
	ck_assert_int_eq(symlink(target, link), 0);
	{
		char from[512], to[512];

		path_of(from, sizeof(from), fixtures(), "fx_base", ".manifest");
		path_of(to, sizeof(to), dir, "fx_base", ".manifest");
		copy_file(from, to);
	}
	use_dir(0);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_top"), "fx_top.manifest: is a symbolic link");
	ck_assert_int_eq(fake_load(ctx, "fx_top", NULL), -ENOENT);
	fake_events_clear(&ev);
	ck_assert_int_lt(fake_load(ctx, "fx_mid", &ev), 0);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"), "fx_base.so: is a symbolic link");
	ck_assert_str_eq(fake_journal(), "");
}
END_TEST

START_TEST(module_installed_later_becomes_loadable)
{
	char expect[256];

	install(dir, "fx_base");
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), -ENOENT);
	snprintf(expect, sizeof(expect), "no such module (neither in the image nor in %s)", dir);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_mid"), expect);

	/* Installed while the context runs: the next load reads the directory. */
	install(dir, "fx_mid");
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), 0);
	ck_assert_str_eq(ev.seq, "note:fx_mid start:fx_base start:fx_mid");
	ck_assert_str_eq(detail(MF_EVENT_NOTE, "fx_mid"), "new in the module directory");
	/* Or an explicit refresh, which counts what changed. */
	install(dir, "fx_top");
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 1);
	ck_assert_str_eq(fake_info(ctx, "fx_top").backend, "loadable");
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 0);
}
END_TEST

START_TEST(removed_module_cannot_be_loaded_again)
{
	install(dir, "fx_base");
	install(dir, "fx_mid");
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", NULL), 0);

	/* Removed while running: it keeps running. */
	remove_file(dir, "fx_mid", ".manifest");
	remove_file(dir, "fx_mid", ".so");
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_str_eq(detail(MF_EVENT_NOTE, "fx_mid"),
			 "its manifest was removed from the module directory: it keeps "
			 "running, but cannot be started again once stopped");
	ck_assert(fake_state(ctx, "fx_mid") == MF_STATE_RUNNING);
	/* Said once. */
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 0);

	ck_assert_int_eq(mf_unload(ctx, "fx_mid", 0, NULL, NULL), 0);
	ck_assert(fake_state(ctx, "fx_mid") == MF_STATE_STOPPED);
	fake_events_clear(&ev);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), -ENOENT);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_mid"),
			 "fx_mid cannot start: its manifest was removed from the module directory");
	ck_assert_str_eq(fake_journal(), "");

	/* Installed again: loadable again (the code mapped before is reused). */
	install(dir, "fx_mid");
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), 0);
	ck_assert_str_eq(detail(MF_EVENT_NOTE, "fx_mid"), "back in the module directory");
}
END_TEST

START_TEST(file_changed_after_mapping_needs_a_restart)
{
	char so[512], manifest[512], sum[MF_SHA256_TEXT_SIZE];
	size_t len;
	char *bytes;

	install(dir, "fx_base");
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_base", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "fx_base", 0, NULL, NULL), 0);

	/* A new build of the file, with a manifest that matches it. */
	path_of(so, sizeof(so), dir, "fx_base", ".so");
	path_of(manifest, sizeof(manifest), dir, "fx_base", ".manifest");
	bytes = slurp(so, &len);
	bytes = realloc(bytes, len + 16);
	ck_assert(bytes != NULL);
	memcpy(bytes + len, "a newer build...", 16);
	spew(so, bytes, len + 16, 0644);
	free(bytes);
	file_checksum(so, sum);
	set_manifest_checksum(manifest, sum);

	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_base"), "new checksum in its manifest");
	fake_events_clear(&ev);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"), "fx_base.so changed on disk after its code was mapped");
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"),
		      "musl cannot replace code that is mapped, so the new file is not "
		      "used: restart the image to load it");
	ck_assert_str_eq(fake_journal(), "");

	/* The file the code came from, back in place: it starts again. */
	install(dir, "fx_base");
	ck_assert_int_eq(fake_load(ctx, "fx_base", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:fx_base");
}
END_TEST

/*
 * A boot whose caller did not read the module directory reads it itself,
 * so autoload sees the loadable modules (the image reads it first, to show
 * what it found, and the boot then does not read it again).
 */
START_TEST(boot_reads_an_unread_directory)
{
	static const char conf[] = "[modules]\nautoload=yes\n";
	struct mf_config *cfg;
	char err[MF_ERR_MAX];

	install(dir, "fx_base");
	install(dir, "fx_mid");
	ck_assert_int_eq(mf_moddir_set(ctx, dir, 0), 0);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "modules.conf", conf,
						 sizeof(conf) - 1, err, sizeof(err)), 0);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, fake_events_fn, &ev), 0);
	ck_assert_int_eq(mf_boot(ctx, cfg, fake_events_fn, &ev), 0);
	mf_config_free(cfg);
	ck_assert_int_eq(fake_state(ctx, "fx_base"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "fx_mid"), MF_STATE_RUNNING);
	ck_assert_str_eq(fake_journal(), "load:fx_base load:fx_mid");
}
END_TEST

/*
 * MF_MODDIR_NO_CHECKSUM (-K): the file is not hashed, so a manifest with no
 * checksum or another one does not stop it; every other check of the file
 * still does, and a file that changed after its code was mapped is known
 * by its identity.
 */
START_TEST(unsummed_files_are_mapped_and_still_checked)
{
	char so[512], manifest[512];
	size_t len;
	char *bytes;

	install(dir, "fx_base");
	install(dir, "fx_mid");
	path_of(manifest, sizeof(manifest), dir, "fx_base", ".manifest");
	set_manifest_checksum(manifest, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	path_of(manifest, sizeof(manifest), dir, "fx_mid", ".manifest");
	set_manifest_checksum(manifest, NULL);
	use_dir(MF_MODDIR_NO_CHECKSUM);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), 0);
	ck_assert_str_eq(fake_journal(), "load:fx_base load:fx_mid");
	ck_assert_int_eq(mf_unload(ctx, "fx_mid", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "fx_base"), MF_STATE_STOPPED);

	/* A new file in place of the mapped one, same bytes: refused, by
	 * identity.  Renamed into place: the mapped inode lives on, so the
	 * new one has another number whatever the clock's granularity. */
	path_of(so, sizeof(so), dir, "fx_base", ".so");
	bytes = slurp(so, &len);
	{
		char tmp[600];

		snprintf(tmp, sizeof(tmp), "%s.new", so);
		spew(tmp, bytes, len, 0644);
		ck_assert_int_eq(rename(tmp, so), 0);
	}
	free(bytes);
	fake_events_clear(&ev);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"),
		      "fx_base.so changed on disk after its code was mapped");
	ck_assert_str_eq(fake_journal(), "");

	/* The file checks stay: group-writable and symbolic links. */
	mf_context_unref(ctx);
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(chmod(so, 0664), 0);
	fake_events_clear(&ev);
	use_dir(MF_MODDIR_NO_CHECKSUM);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"),
		      "fx_base.so: writable by group or others (mode 0664); refused");
	ck_assert_int_eq(chmod(so, 0644), 0);
	remove_file(dir, "fx_base", ".so");
	{
		char target[512], real[512];

		path_of(target, sizeof(target), fixtures(), "fx_base", ".so");
		ck_assert(realpath(target, real) != NULL);
		ck_assert_int_eq(symlink(real, so), 0);
	}
	fake_events_clear(&ev);
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -EIO);
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"), "fx_base.so: is a symbolic link");
	ck_assert_str_eq(fake_journal(), "");
}
END_TEST

/* A file created in @dir and removed: the directory changed, nothing else. */
static void touch_dir(void)
{
	char path[512];

	path_of(path, sizeof(path), dir, "touched", ".tmp");
	spew(path, "x", 1, 0644);
	ck_assert_int_eq(unlink(path), 0);
}

/* Rewrite @path in place: same inode, same size, new times. */
static void rewrite_in_place(const char *path, const char *text)
{
	struct stat before, after;
	int fd;

	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_uint_eq((size_t)before.st_size, strlen(text));
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert(after.st_ino == before.st_ino && after.st_size == before.st_size);
}

/*
 * The directory is read again only once it changed (moddir.c: the index
 * stands for it until then), and then every manifest is read again: a file
 * rewritten in place or made unsafe is seen with the change that comes
 * with it, or after it.
 */
START_TEST(changed_directory_reads_every_manifest_again)
{
	char base[512], mid[512], top[512], sum[MF_SHA256_TEXT_SIZE];
	char *text, *p;
	int r;

	install(dir, "fx_base");
	install(dir, "fx_mid");
	install(dir, "fx_top");
	use_dir(0);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", NULL), 0);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_uint_eq(ev.count, 0);

	/* Content rewritten in place, to the byte as long: only its times
	 * tell (a checksum as long as the one it replaces). */
	path_of(top, sizeof(top), dir, "fx_top", ".manifest");
	path_of(mid, sizeof(mid), dir, "fx_mid", ".so");
	file_checksum(mid, sum);
	text = slurp(top, NULL);
	p = strstr(text, "\nchecksum=");
	ck_assert(p != NULL && strlen(sum) == strcspn(p + 10, "\n"));
	memcpy(p + 10, sum, strlen(sum));
	rewrite_in_place(top, text);
	free(text);
	/* Replaced by a new file renamed into place. */
	path_of(mid, sizeof(mid), dir, "fx_top", ".so");
	file_checksum(mid, sum);
	path_of(mid, sizeof(mid), dir, "fx_mid", ".manifest");
	set_manifest_checksum(mid, sum);
	/* A running module's manifest made group-writable: refused. */
	path_of(base, sizeof(base), dir, "fx_base", ".manifest");
	ck_assert_int_eq(chmod(base, 0664), 0);

	r = mf_moddir_refresh(ctx, fake_events_fn, &ev);
	ck_assert_msg(r == 3, "%d changes:\n%s", r, ev.lines);
	ck_assert_str_eq(ev.seq, "fail:fx_base note:fx_base note:fx_mid note:fx_top");
	ck_assert_has(detail(MF_EVENT_FAIL, "fx_base"),
		      "fx_base.manifest: writable by group or others (mode 0664); refused");
	ck_assert_str_eq(detail(MF_EVENT_NOTE, "fx_base"),
			 "its manifest is refused (see the module directory's messages): "
			 "it keeps running, but cannot be started again once stopped");
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_mid"), "new checksum in its manifest");
	ck_assert_has(detail(MF_EVENT_NOTE, "fx_top"), "new checksum in its manifest");
	/* Said once. */
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_uint_eq(ev.count, 0);

	/* Safe again: available again once the directory changed (a chmod
	 * alone leaves the directory, and so its index, as they were). */
	ck_assert_int_eq(chmod(base, 0644), 0);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	touch_dir();
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 1);
	ck_assert_str_eq(detail(MF_EVENT_NOTE, "fx_base"), "back in the module directory");
}
END_TEST

/* A table with one embedded module, fx_base, as an image would have. */
static const struct manifold_module embedded_desc = {
	.abi_version = MANIFOLD_ABI_VERSION,
	.name = "fx_base",
	.build_signature = MANIFOLD_BUILD_SIGNATURE,
};
static const struct mf_table_module embedded_mods[] = {
	{ .name = "fx_base", .description = "the embedded one", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .descriptor = &embedded_desc },
};
static const struct mf_table_provider embedded_providers[] = {
	{ .type = "module", .name = "fx_base", .priority = 0, .module = 0 },
};
static const struct mf_table embedded_table = {
	.version = MF_TABLE_VERSION,
	.modules = embedded_mods,
	.n_modules = 1,
	.providers = embedded_providers,
	.n_providers = 1,
};

START_TEST(name_of_an_embedded_module_is_reported_once)
{
	char expect[512];

	ck_assert_int_eq(mf_catalog_add_table(ctx, &embedded_table), 0);
	install(dir, "fx_base");
	install(dir, "fx_mid");
	use_dir(0);
	snprintf(expect, sizeof(expect),
		 "%s/fx_base.manifest: module fx_base is built into the image already "
		 "(embedded); keeping that one", dir);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_base"), expect);
	ck_assert_str_eq(fake_info(ctx, "fx_base").backend, "embedded");
	ck_assert_str_eq(fake_info(ctx, "fx_base").description, "the embedded one");
	/* Read again, and again by a load: never repeated. */
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_int_eq(fake_load(ctx, "fx_mid", &ev), 0);
	ck_assert_uint_eq(count_of(ev.lines, "keeping that one"), 1);
	/* The loadable fx_mid runs on the embedded fx_base. */
	ck_assert_str_eq(ev.seq, "fail:fx_base start:fx_base start:fx_mid");
}
END_TEST

START_TEST(directory_appears_later)
{
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/modules", dir);
	ck_assert_int_eq(mf_moddir_set(ctx, sub, 0), 0);
	ck_assert_int_eq(mf_moddir_set(ctx, sub, 0), -EBUSY);
	ck_assert_str_eq(mf_moddir_path(ctx), sub);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_has(ev.lines, "does not exist: no loadable modules until it does");
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 0);
	ck_assert_uint_eq(ev.count, 1);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	install(sub, "fx_base");
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 1);
	ck_assert_int_eq(fake_load(ctx, "fx_base", NULL), 0);
	remove_tree(sub);
}
END_TEST

START_TEST(no_directory_set)
{
	struct mf_module *mod;

	ck_assert_ptr_null(mf_moddir_path(ctx));
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), -ENOENT);
	ck_assert_int_eq(mf_moddir_set(ctx, "", 0), -EINVAL);
	/* Loads work as before, and say nothing of a directory. */
	ck_assert_int_eq(fake_load(ctx, "fx_base", &ev), -ENOENT);
	ck_assert_str_eq(detail(MF_EVENT_FAIL, "fx_base"), "no such module");
	ck_assert_int_eq(mf_module_find(ctx, "fx_base", &mod), -ENOENT);
}
END_TEST

Suite *make_loadable_suite(void)
{
	Suite *s = suite_create("loadable");
	TCase *tc = tcase_create("lifecycle on both backends");
	TCase *files = tcase_create("module files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, load_with_dependencies, 0, N_BACKENDS);
	tcase_add_loop_test(tc, unload_cascades_in_reverse, 0, N_BACKENDS);
	tcase_add_loop_test(tc, soft_unload_of_a_used_module_is_held, 0, N_BACKENDS);
	tcase_add_loop_test(tc, forced_unload_stops_the_users_first, 0, N_BACKENDS);
	tcase_add_loop_test(tc, failed_load_rolls_back, 0, N_BACKENDS);
	tcase_add_loop_test(tc, stopped_module_starts_again, 0, N_BACKENDS);
	tcase_add_loop_test(tc, dry_run_maps_nothing, 0, N_BACKENDS);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(files, setup, teardown);
	tcase_set_timeout(files, 30);
	tcase_add_test(files, unloaded_module_shows_its_manifest);
	tcase_add_test(files, checksum_mismatch_is_refused);
	tcase_add_test(files, checksum_follows_the_manifest);
	tcase_add_test(files, manifest_without_checksum_is_refused);
	tcase_add_test(files, other_abi_is_refused);
	tcase_add_test(files, other_build_signature_is_refused);
	tcase_add_test(files, export_globals_decides_symbol_visibility);
	tcase_add_test(files, names_are_never_paths);
	tcase_add_test(files, group_writable_files_are_refused_unless_allowed);
	tcase_add_test(files, symbolic_links_are_refused);
	tcase_add_test(files, module_installed_later_becomes_loadable);
	tcase_add_test(files, removed_module_cannot_be_loaded_again);
	tcase_add_test(files, file_changed_after_mapping_needs_a_restart);
	tcase_add_test(files, unsummed_files_are_mapped_and_still_checked);
	tcase_add_test(files, boot_reads_an_unread_directory);
	tcase_add_test(files, changed_directory_reads_every_manifest_again);
	tcase_add_test(files, name_of_an_embedded_module_is_reported_once);
	tcase_add_test(files, directory_appears_later);
	tcase_add_test(files, no_directory_set);
	suite_add_tcase(s, files);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_loadable_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
