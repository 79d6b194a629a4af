/* SPDX-License-Identifier: MIT */
/*
 * The module cache (mf_moddir_set_cache(), runtime/modcache.c): a copy of the
 * module directory's manifests that a boot takes instead of reading each
 * file that did not change.
 *
 * Nothing in the runtime says whether a manifest came from its file or from
 * the cache, and it must not.  The tests tell by giving the cache a text
 * that differs from its file's, to the byte as long, under the file's own
 * identity: the cache edited in place, or written by hand (the format is
 * described in runtime/modcache.c).  A description "MEMO" where the file
 * says "disk" was taken from the cache; "disk" was read from the file.
 * A record's image (what its text parsed into) stands for its text: most
 * tests drop the images when they edit a text, so that the text is what a
 * boot takes; images_stand_for_their_texts edits one and not the other.
 *
 * A manifest is taken from the cache only once it has been left alone for
 * two seconds (moddir.c's SETTLE_SEC), and a file's ctime cannot be set: the
 * directory most tests share is written once and then waited for, and the
 * tests that change files wait again, once each.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <manifold/manifest.h>
#include <manifold/moddir.h>

#include "alloc.h"
#include "cache_edit.h"
#include "fake_backend.h"
#include "internal.h"
#include "manifest_image.h"

/* ---- files ------------------------------------------------------------------ */

static void settle(void)
{
	nanosleep(&(struct timespec){ 2, 300000000 }, NULL);
}

static void spew(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

/* The same with each NUL byte (of the images) read as '@', so that the
 * file's texts can be searched as strings. */
static char *slurp(const char *path)
{
	size_t len;
	char *buf = test_read_file(path, &len);

	for (size_t i = 0; buf && i < len; i++)
		if (buf[i] == '\0')
			buf[i] = '@';
	return buf;
}

/* The first line of a cache of this build. */
static const char *header_line(void)
{
	static char line[64];

	snprintf(line, sizeof(line), "manifold-modcache 3 %ju\n",
		 (uintmax_t)mf_manifest_image_layout());
	return line;
}

static void remove_tree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- the directory most tests share ------------------------------------------ */

static char base[64];  /* /tmp/mf-modcache-XXXXXX */
static char mods[128]; /* base/mods: the module directory */

#define LA "[module]\nname=la\ndescription=disk\n[provides]\nservice=lsvc\n"
#define LB "[module]\nname=lb\ndescription=disk\n[uses]\nservice=lsvc\n"

static void put_manifest(const char *dir, const char *name, const char *text,
			 mode_t mode)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s.manifest", dir, name);
	spew(path, text, strlen(text), mode);
}

/*
 * la and lb (lb uses la); open, writable by its group; Bad, not a module
 * name; other, which names another module.  Left alone long enough to be
 * taken from a cache.
 */
static void make_shared(void)
{
	char pattern[] = "/tmp/mf-modcache-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(pattern));
	snprintf(base, sizeof(base), "%s", pattern);
	snprintf(mods, sizeof(mods), "%s/mods", base);
	ck_assert_int_eq(mkdir(mods, 0755), 0);
	put_manifest(mods, "la", LA, 0644);
	put_manifest(mods, "lb", LB, 0644);
	put_manifest(mods, "open", "[module]\nname=open\ndescription=disk\n", 0664);
	put_manifest(mods, "Bad", "[module]\nname=bad\n", 0644);
	put_manifest(mods, "other", "[module]\nname=someone\n", 0644);
	settle();
}

static void remove_shared(void)
{
	remove_tree(base);
}

/* ---- a context per boot --------------------------------------------------------- */

/* A board without loadable modules (CONFIG_MODULES=n) has no directory. */
static bool have_moddir(void)
{
	struct mf_context *c;
	bool ok;

	ck_assert_int_eq(mf_context_new(&c), 0);
	ok = mf_moddir_set(c, "/nonexistent", 0) == 0;
	mf_context_unref(c);
	return ok;
}

#define NEED_DIR()                                                             \
	do {                                                                   \
		if (!have_moddir()) {                                          \
			printf("check_modcache: no loadable modules here, %s skipped\n", \
			       __func__);                                      \
			return;                                                \
		}                                                              \
	} while (0)

static struct mf_context *ctx;
static struct fake_events ev;
static char cache[256]; /* this test's cache file */
static char dir[128];	/* the module directory this test boots from */

/* A test's own module directory, base/@name, into @own and dir; empty. */
static void own_dir(char *own, size_t len, const char *name)
{
	snprintf(own, len, "%s/%s", base, name);
	ck_assert_int_eq(mkdir(own, 0755), 0);
	snprintf(dir, sizeof(dir), "%s", own);
}

static void setup(void)
{
	static unsigned n;

	snprintf(cache, sizeof(cache), "%s/cache.%d.%u", base, (int)getpid(), ++n);
	snprintf(dir, sizeof(dir), "%s", mods);
	ctx = NULL;
	fake_events_clear(&ev);
}

static void teardown(void)
{
	if (ctx)
		ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
	unlink(cache);
}

/* A new context, as a new boot of the image: the directory, the cache, and
 * its first refresh, whose result it returns. */
static int boot(unsigned flags)
{
	if (ctx)
		ck_assert_ptr_null(mf_context_unref(ctx));
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(mf_moddir_set(ctx, dir, flags), 0);
	ck_assert_int_eq(mf_moddir_set_cache(ctx, cache), 0);
	fake_events_clear(&ev);
	return mf_moddir_refresh(ctx, fake_events_fn, &ev);
}

/* The same boot without a cache: what the directory says on its own. */
static int boot_without_cache(unsigned flags)
{
	if (ctx)
		ck_assert_ptr_null(mf_context_unref(ctx));
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(mf_moddir_set(ctx, dir, flags), 0);
	fake_events_clear(&ev);
	return mf_moddir_refresh(ctx, fake_events_fn, &ev);
}

static int refresh(void)
{
	fake_events_clear(&ev);
	return mf_moddir_refresh(ctx, fake_events_fn, &ev);
}

/* @name's description, "" without one, "(none)" when not in the catalog. */
static const char *desc(const char *name)
{
	struct mf_module_info info;
	struct mf_module *mod;

	if (mf_module_find(ctx, name, &mod) != 0)
		return "(none)";
	ck_assert_int_eq(mf_module_info(mod, &info), 0);
	return info.description ? info.description : "";
}

static unsigned count_of(const char *haystack, const char *needle)
{
	unsigned n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define ck_assert_has(haystack, needle)                                        \
	ck_assert_msg(strstr((haystack), (needle)) != NULL,                    \
		      "'%s' not found in:\n%s", (needle), (haystack))

/* The one note about the cache, which says @why of it (after "PATH: "). */
static void assert_one_note(const char *why)
{
	char want[1024];

	ck_assert_msg(count_of(ev.lines, "note module cache: ") == 1,
		      "want one note about the cache:\n%s", ev.lines);
	snprintf(want, sizeof(want), "note module cache: %s: %s", cache, why);
	ck_assert_has(ev.lines, want);
}

static void assert_no_note(void)
{
	ck_assert_msg(count_of(ev.lines, "module cache") == 0, "notes:\n%s", ev.lines);
}

/* The cache file is still the one @st described: not written again. */
static void assert_cache_is(const struct stat *st)
{
	struct stat now;

	ck_assert_int_eq(lstat(cache, &now), 0);
	ck_assert(now.st_ino == st->st_ino && now.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
		  now.st_mtim.tv_sec == st->st_mtim.tv_sec);
}

/*
 * Replace every @from in the cache file's texts with @to, as long, and
 * drop the images: the texts are what the next boot takes.
 */
static void edit_cache(const char *from, const char *to)
{
	cache_edit(cache, from, to, CACHE_EDIT_TEXTS_DROP_IMAGES);
}

/* The same in the texts or in the images only (cache_edit.h). */
static void edit_only(const char *from, const char *to, bool in_images)
{
	cache_edit(cache, from, to, in_images ? CACHE_EDIT_IMAGES : CACHE_EDIT_TEXTS);
}

/* ---- a cache written by hand ------------------------------------------------------ */

/* A record's header line, each field as text, for a test to spoil one. */
struct fields {
	char name[80], dev[32], ino[32], size[32], mtime[48], ctime[48], mode[16],
		uid[16], image[48]; /* image: "<ilen> <isum>" */
};

static void fields_of(struct fields *f, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s.manifest", dir, name);
	ck_assert_int_eq(lstat(path, &st), 0);
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->dev, sizeof(f->dev), "%ju", (uintmax_t)st.st_dev);
	snprintf(f->ino, sizeof(f->ino), "%ju", (uintmax_t)st.st_ino);
	snprintf(f->size, sizeof(f->size), "%jd", (intmax_t)st.st_size);
	snprintf(f->mtime, sizeof(f->mtime), "%jd.%09ld", (intmax_t)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	snprintf(f->ctime, sizeof(f->ctime), "%jd.%09ld", (intmax_t)st.st_ctim.tv_sec,
		 st.st_ctim.tv_nsec);
	snprintf(f->mode, sizeof(f->mode), "%jo", (uintmax_t)st.st_mode);
	snprintf(f->uid, sizeof(f->uid), "%ju", (uintmax_t)st.st_uid);
	snprintf(f->image, sizeof(f->image), "0 0");
}

struct craft {
	char buf[16384];
	size_t len;
};

static void craft_add(struct craft *c, const char *text, size_t len)
{
	ck_assert_uint_lt(c->len + len, sizeof(c->buf));
	memcpy(c->buf + c->len, text, len);
	c->len += len;
	c->buf[c->len] = '\0';
}

static void craft_header(struct craft *c, const char *version, const char *count)
{
	char line[512];

	c->len = 0;
	snprintf(line, sizeof(line), "manifold-modcache %s %ju\n%s %zu %s\n-\n", version,
		 (uintmax_t)mf_manifest_image_layout(), count, strlen(dir), dir);
	craft_add(c, line, strlen(line));
}

/* A record with no image: its text is parsed. */
static void craft_record(struct craft *c, const struct fields *f, const char *text)
{
	char line[512];

	snprintf(line, sizeof(line), "%s %s %s %s %s %s %s %s %s\n", f->name, f->dev,
		 f->ino, f->size, f->mtime, f->ctime, f->mode, f->uid, f->image);
	craft_add(c, line, strlen(line));
	craft_add(c, text, strlen(text));
	craft_add(c, "\n\n", 2);
}

/*
 * A record with the image of what @text parses into, spoiled by
 * @spoil(image, len) unless NULL, and summed after (@sum_delta added to
 * the sum: a sum that is wrong).
 */
static void craft_record_image(struct craft *c, const struct fields *f, const char *text,
			       void (*spoil)(unsigned char *, size_t), unsigned sum_delta)
{
	char line[512], why[MF_ERR_MAX];
	struct mf_manifest *m;
	unsigned char *img;
	size_t ilen;

	ck_assert_int_eq(mf_manifest_parse("crafted", text, strlen(text), &m, why,
					   sizeof(why)), 0);
	img = mf_manifest_image_new(m, &ilen);
	ck_assert_ptr_nonnull(img);
	mf_manifest_free(m);
	if (spoil)
		spoil(img, ilen);
	snprintf(line, sizeof(line), "%s %s %s %s %s %s %s %s %zu %ju\n", f->name, f->dev,
		 f->ino, f->size, f->mtime, f->ctime, f->mode, f->uid, ilen,
		 (uintmax_t)(mf_manifest_image_sum(img, ilen) + sum_delta));
	craft_add(c, line, strlen(line));
	craft_add(c, text, strlen(text));
	craft_add(c, "\n", 1);
	craft_add(c, (const char *)img, ilen);
	craft_add(c, "\n", 1);
	mf_free(img);
}

static void craft_write(const struct craft *c)
{
	spew(cache, c->buf, c->len, 0644);
}

/* la and lb with their files' identities and texts saying MEMO. */
static void craft_memo(struct craft *c, struct fields *fa, struct fields *fb)
{
	fields_of(fa, "la");
	fields_of(fb, "lb");
	craft_header(c, "3", "2");
	craft_record(c, fa, "[module]\nname=la\ndescription=MEMO\n[provides]\nservice=lsvc\n");
	craft_record(c, fb, "[module]\nname=lb\ndescription=MEMO\n[uses]\nservice=lsvc\n");
}

/* ---- tests ------------------------------------------------------------------------- */

START_TEST(set_cache_arguments)
{
	NEED_DIR();
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(mf_moddir_set_cache(ctx, cache), -ENOENT);
	ck_assert_int_eq(mf_moddir_set(ctx, dir, 0), 0);
	ck_assert_int_eq(mf_moddir_set_cache(ctx, ""), -EINVAL);
	ck_assert_int_eq(mf_moddir_set_cache(ctx, NULL), -EINVAL);
	ck_assert_int_eq(mf_moddir_set_cache(ctx, cache), 0);
	ck_assert_int_eq(mf_moddir_set_cache(ctx, cache), -EBUSY);
}
END_TEST

/*
 * A first boot reads every manifest and writes the cache; the next boot
 * takes the unchanged ones from it, and refuses what it refused as before,
 * in the same words, without writing the cache again.
 */
START_TEST(warm_cache_stands_for_unchanged_manifests)
{
	struct stat st;
	char *text, lines[sizeof(ev.lines)];

	NEED_DIR();
	ck_assert_int_eq(boot(0), 2);
	memcpy(lines, ev.lines, sizeof(lines));
	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	text = slurp(cache);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strncmp(text, header_line(), strlen(header_line())) == 0 &&
		      strncmp(text + strlen(header_line()), "3 ", 2) == 0, "%s", text);
	ck_assert_has(text, LA);
	ck_assert_has(text, LB);
	/* Refused by its text: the text is kept, to be refused again. */
	ck_assert_has(text, "[module]\nname=someone\n");
	/* Refused before reading: nothing to keep. */
	ck_assert_ptr_null(strstr(text, "name=open"));
	ck_assert_ptr_null(strstr(text, "name=bad"));
	free(text);

	edit_cache("description=disk", "description=MEMO");
	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "MEMO");
	ck_assert_str_eq(desc("lb"), "MEMO");
	ck_assert_str_eq(ev.lines, lines);
	/* Every record served, none read: the cache stays as it is. */
	assert_cache_is(&st);
	ck_assert_int_eq(refresh(), 0);
	ck_assert_uint_eq(ev.count, 0);
}
END_TEST

/*
 * A boot from the cache as it is: la and lb described as @want, the words
 * of @lines said, and the cache not written again.
 */
static void assert_boot_serves(const char *want, const char *lines)
{
	struct stat st;

	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), want);
	ck_assert_str_eq(desc("lb"), want);
	ck_assert_str_eq(ev.lines, lines);
	assert_cache_is(&st);
}

/*
 * A record's image is what a boot takes for a manifest that parsed: its
 * text, edited alone, changes nothing; its image, edited alone, changes
 * the catalog.  Either way the boot says what it says without a cache,
 * and writes nothing.
 */
START_TEST(images_stand_for_their_texts)
{
	char lines[sizeof(ev.lines)], *text;

	NEED_DIR();
	ck_assert_int_eq(boot_without_cache(0), 2);
	memcpy(lines, ev.lines, sizeof(lines));
	ck_assert_int_eq(boot(0), 2);
	text = slurp(cache);
	ck_assert_msg(strncmp(text, header_line(), strlen(header_line())) == 0, "%s", text);
	/* la's image: its text as the parser cut it. */
	ck_assert_has(text, "description@disk@");
	free(text);

	edit_only("description=disk", "description=MEMO", false);
	assert_boot_serves("disk", lines);
	edit_only("description=disk", "description=MEMO", true);
	assert_boot_serves("MEMO", lines);
}
END_TEST

#define SUM64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Manifests of every shape an image copies: lists in any section order,
 * configs, priorities, each field given or left out. */
static const char *const shapes[] = {
	"[module]\nname=a\n",
	"[module]\nname=a\ndescription=x y\nchecksum=sha256:" SUM64 "\nsupport_level=extended\n"
	"load_priority=7\nexport_globals=yes\nconfig=a.conf\nconfig=b.conf\n",
	"[module]\nname=a\n[provides]\nservice=t:200\nfunction=f\n[uses]\nmodule=b\n"
	"[canuse]\nservice=u\n",
	"[provides]\nservice=t\n[canuse]\nmodule=c\nmodule=d\n[module]\nname=a\n"
	"config=one\n[uses]\nservice=v\n",
	"[module]\nname=a_long_name_0123456789\nsupport_level=deprecated\n"
	"load_priority=channel_driver\n[uses]\nmodule=b\nmodule=c\nmodule=d\n"
	"module=e\nmodule=f\nmodule=g\nmodule=h\nmodule=i\nmodule=j\n",
};

/* @m's text (mf_manifest_write()), NULL when it has none. */
static char *written(const struct mf_manifest *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int err;

	ck_assert_ptr_nonnull(fp);
	err = mf_manifest_write(m, fp);
	ck_assert_int_eq(fclose(fp), 0);
	if (err == 0)
		return text;
	free(text);
	return NULL;
}

/*
 * An image is the parse: copied back, the same manifest (as written, its
 * path, its lists' sizes), whatever path it is given.  Cut short or with
 * any one bit changed, it is refused or copies into a manifest that can
 * be written and freed (under ASan and UBSan in the sanitizer suites):
 * the check is about memory and ranges, the cache's sum about the bytes.
 */
START_TEST(image_is_the_parse)
{
	char why[MF_ERR_MAX];

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct mf_manifest *m, *copy;
		unsigned char *img;
		char *want, *got;
		size_t len;

		ck_assert_int_eq(mf_manifest_parse("orig", shapes[i], strlen(shapes[i]), &m,
						   why, sizeof(why)), 0);
		img = mf_manifest_image_new(m, &len);
		ck_assert_ptr_nonnull(img);
		ck_assert_int_eq(mf_manifest_image_check(img, len, why, sizeof(why)), 0);
		ck_assert_int_eq(mf_manifest_from_image(NULL, "other/path", img, len, &copy), 0);
		want = written(m);
		got = written(copy);
		ck_assert_ptr_nonnull(want);
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, want);
		ck_assert_str_eq(copy->path, "other/path");
		ck_assert_uint_eq(copy->uses.count, m->uses.count);
		ck_assert_uint_eq(copy->canuse.count, m->canuse.count);
		ck_assert_uint_eq(copy->provides.count, m->provides.count);
		ck_assert_uint_eq(copy->n_configs, m->n_configs);
		free(want);
		free(got);
		mf_manifest_free(copy);

		/* Short of its fixed part or its text's last NUL: refused. */
		for (size_t cut = 0; cut < len; cut++)
			if (mf_manifest_image_check(img, cut, why, sizeof(why)) == 0) {
				ck_assert_uint_eq(img[cut - 1], '\0');
				ck_assert_int_eq(mf_manifest_from_image(NULL, "p", img, cut,
									&copy), 0);
				free(written(copy));
				mf_manifest_free(copy);
			}
		for (size_t at = 0; at < len; at++)
			for (unsigned bit = 0; bit < 8; bit++) {
				img[at] ^= (unsigned char)(1u << bit);
				if (mf_manifest_image_check(img, len, why, sizeof(why)) == 0) {
					ck_assert_int_eq(mf_manifest_from_image(NULL, "p", img, len,
										&copy), 0);
					free(written(copy));
					mf_manifest_free(copy);
				}
				img[at] ^= (unsigned char)(1u << bit);
			}
		mf_free(img);
		mf_manifest_free(m);
	}
}
END_TEST

/* Only a manifest fresh from the parser has an image. */
START_TEST(no_image_of_a_manifest_built_by_hand)
{
	struct mf_manifest *m;
	char why[MF_ERR_MAX];
	size_t len;

	ck_assert_int_eq(mf_manifest_parse("p", shapes[1], strlen(shapes[1]), &m, why,
					   sizeof(why)), 0);
	ck_assert_int_eq(mf_manifest_set_checksum(m, "sha256:11"), 0);
	ck_assert_ptr_null(mf_manifest_image_new(m, &len));
	mf_manifest_free(m);
	m = mf_calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	m->name = mf_strdup("hand");
	ck_assert_ptr_null(mf_manifest_image_new(m, &len));
	mf_manifest_free(m);
}
END_TEST

/*
 * A copy is refused for what its file's identity says (mode, owner), as
 * the file would be, and a copy's text that does not parse is refused
 * with the manifest's path and line, as the file's would be.
 */
START_TEST(a_copy_is_judged_as_its_file)
{
	char lines[sizeof(ev.lines)], path[256], why[MF_ERR_MAX], want[1024], *text;
	const char *broken = "[module]\nname=la\ndescription:MEMO\n[provides]\nservice=lsvc\n";
	struct mf_manifest *m;

	NEED_DIR();
	/* Booted once with -P: open was accepted, and cached. */
	ck_assert_int_eq(boot(MF_MODDIR_NO_PERM_CHECK), 3);
	ck_assert_str_eq(desc("open"), "disk");
	text = slurp(cache);
	ck_assert_has(text, "name=open");
	free(text);
	/* Without -P and without the cache: what a boot says. */
	ck_assert_int_eq(boot_without_cache(0), 2);
	memcpy(lines, ev.lines, sizeof(lines));

	/* Without -P, with the cache: the same, word for word. */
	edit_cache("description=disk", "description=MEMO");
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "MEMO");
	ck_assert_str_eq(desc("open"), "(none)");
	ck_assert_str_eq(ev.lines, lines);
	snprintf(want, sizeof(want), "fail open: %s/open.manifest: writable by group or "
		 "others (mode 0664); refused (the image's -P turns this check off)\n", dir);
	ck_assert_has(ev.lines, want);

	/* A copy that does not parse: the manifest's path and line. */
	edit_cache("description=MEMO\n[provides]", "description:MEMO\n[provides]");
	ck_assert_int_eq(boot(0), 1); /* lb */
	ck_assert_str_eq(desc("la"), "(none)");
	snprintf(path, sizeof(path), "%s/la.manifest", dir);
	ck_assert_int_eq(mf_manifest_parse(path, broken, strlen(broken), &m, why,
					   sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "fail la: %s\n", why);
	ck_assert_has(ev.lines, want);
	ck_assert_msg(strncmp(why, path, strlen(path)) == 0 && why[strlen(path)] == ':',
		      "%s", why);
	/* Said once, as of a file. */
	ck_assert_int_eq(refresh(), 0);
	ck_assert_uint_eq(ev.count, 0);
}
END_TEST

/*
 * The cache file is trusted as a module file is: group-writable, a symbolic
 * link, another user's, it is ignored with one note, and written anew.
 */
START_TEST(unsafe_cache_is_ignored)
{
	struct craft c;
	struct fields fa, fb;
	char real[300], *text;
	struct stat st;

	NEED_DIR();
	craft_memo(&c, &fa, &fb);
	/* As it is, it serves. */
	craft_write(&c);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "MEMO");
	assert_no_note();

	craft_write(&c);
	ck_assert_int_eq(chmod(cache, 0664), 0);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "disk");
	ck_assert_str_eq(desc("lb"), "disk");
	assert_one_note("writable by group or others (mode 0664); refused (the image's "
			"-P turns this check off); the cache is ignored");
	/* Rewritten from the files: safe, and without MEMO. */
	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	text = slurp(cache);
	ck_assert_ptr_null(strstr(text, "MEMO"));
	free(text);
	ck_assert_int_eq(refresh(), 0);
	ck_assert_uint_eq(ev.count, 0);

	/* -P: the administrator takes group-writable files. */
	craft_write(&c);
	ck_assert_int_eq(chmod(cache, 0664), 0);
	ck_assert_int_eq(boot(MF_MODDIR_NO_PERM_CHECK), 3);
	ck_assert_str_eq(desc("la"), "MEMO");

	/* A symbolic link, even to a good cache: replaced, its target kept. */
	snprintf(real, sizeof(real), "%s.real", cache);
	spew(real, c.buf, c.len, 0644);
	unlink(cache);
	ck_assert_int_eq(symlink(real, cache), 0);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "disk");
	assert_one_note("is a symbolic link; module files and manifests must be "
			"regular files; the cache is ignored");
	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	text = slurp(real);
	ck_assert_str_eq(text, c.buf);
	free(text);
	unlink(real);

	if (geteuid() != 0) {
		printf("check_modcache: not root, ownership test skipped\n");
		return;
	}
	craft_write(&c);
	ck_assert_int_eq(chown(cache, 4242, 4242), 0);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "disk");
	assert_one_note("owned by uid 4242, neither root nor this image's user (uid 0); "
			"refused (the image's -P turns this check off); the cache is ignored");
}
END_TEST

/* Images spoiled where mf_manifest_image_check() looks, summed after. */
static void spoil_flags(unsigned char *img, size_t len)
{
	(void)len;
	img[offsetof(struct mf_manifest, parser_flags)] ^= 2;
}

static void spoil_bool(unsigned char *img, size_t len)
{
	(void)len;
	img[offsetof(struct mf_manifest, export_globals)] = 2;
}

static void spoil_name(unsigned char *img, size_t len)
{
	uintptr_t past = len;

	memcpy(img + offsetof(struct mf_manifest, name), &past, sizeof(past));
}

/* One way to spoil a cache, and what the note says of it. */
struct spoiled {
	const char *field; /* of lb's record, or a whole-file case */
	const char *value;
	const char *why;
};

/*
 * A cache that is malformed anywhere is ignored whole, even its good
 * records (la's comes first and says MEMO), with one note: where and why.
 */
START_TEST(malformed_cache_is_ignored_whole)
{
	static const struct spoiled cases[] = {
		{ "magic", NULL, "offset 0: not a module cache (no 'manifold-modcache' header)" },
		{ "empty", NULL, "offset 0: not a module cache" },
		{ "version", "2", "format version 2, this image uses 3: rebuilt" },
		{ "layout", "12", "manifest images of another build's layout: rebuilt" },
		{ "layout", "x", "offset 20: a bad image layout" },
		{ "version", "x", "offset 18: a bad format version" },
		{ "count", "3", "a record's name, or the file, ends too soon" },
		{ "count", "9999", "9999 records: more than the file can hold" },
		{ "count", "-2", "a bad record count or directory" },
		{ "dir", NULL, "the cache of another module directory: rebuilt for " },
		{ "listing", "x", "a bad directory listing" },
		{ "listing", "", "a bad directory listing" },
		{ "listing", "--", "a bad directory listing" },
		{ "listing", "1 2 3", "a bad directory listing" },
		{ "listing", "1 2 3 4.000000000 5.000000000 40755 0 x",
		  "a bad directory listing" },
		{ "listing", "1 2 -3 4.000000000 5.000000000 40755 0",
		  "a bad directory listing" },
		{ "name", "La", "'La' is not a module name" },
		{ "name", "..", "'..' is not a module name" },
		{ "name", "la", "'la' twice" },
		{ "name", "a", "'a' after 'la': names out of order" },
		{ "dev", "-1", "lb: a bad or missing number" },
		{ "ino", "12x", "lb: a bad or missing number" },
		{ "ino", "99999999999999999999999", "lb: a bad or missing number" },
		{ "ino", "18446744073709551616", "lb: a bad or missing number" },
		{ "ino", "000000000018446744073709551616",
		  "lb: a bad or missing number" },
		{ "size", "-55", "lb: a bad or missing number" },
		{ "size", "1048576", "lb: a bad or missing number" },
		{ "size", "20", "lb: the text is not 20 bytes and a newline" },
		{ "mtime", "1.5", "lb: a bad or missing number" },
		{ "ctime", "1.0000000001", "lb: a bad or missing number" },
		{ "mode", "100648", "lb: a bad or missing number" },
		{ "mode", "1000000", "lb: a bad or missing number" },
		{ "uid", "0 0", "lb: a bad or missing number" },
		{ "image", "999 0", "lb: the image is not 999 bytes and a newline" },
		{ "image", "0", "lb: a bad or missing number" },
		{ "image sum", NULL, "lb: the image's bytes do not match their sum" },
		{ "image flags", NULL, "lb: a manifest image is not a parsed manifest's" },
		{ "image bool", NULL, "lb: a manifest image has a bad export_globals" },
		{ "image name", NULL, "lb: a manifest image has a string outside its text" },
		{ "cut", NULL, "lb: the text is not" },
		{ "cut header", NULL, "lb: a bad or missing number" },
		{ "trailer", NULL, "bytes after the last record" },
	};
	struct fields fa, fb;
	struct craft c, good;
	char *text;

	NEED_DIR();
	craft_memo(&good, &fa, &fb);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spoiled *s = &cases[i];
		struct fields f = fb;
		char field_name[16];

		snprintf(field_name, sizeof(field_name), "%s", s->field);
		if (strcmp(s->field, "magic") == 0) {
			c = good;
			c.buf[16] = 'X';
		} else if (strcmp(s->field, "empty") == 0) {
			c.len = 0;
			c.buf[0] = '\0';
		} else if (strcmp(s->field, "layout") == 0) {
			c.len = 0;
			craft_add(&c, "manifold-modcache 3 ", 20);
			craft_add(&c, s->value, strlen(s->value));
			craft_add(&c, strchr(good.buf, '\n'), strlen(strchr(good.buf, '\n')));
		} else if (strncmp(s->field, "image ", 6) == 0) {
			craft_header(&c, "3", "2");
			craft_record(&c, &fa, "[module]\nname=la\ndescription=MEMO\n"
				     "[provides]\nservice=lsvc\n");
			craft_record_image(&c, &fb, "[module]\nname=lb\ndescription=MEMO\n"
					   "[uses]\nservice=lsvc\n",
					   strcmp(s->field, "image flags") == 0 ? spoil_flags :
					   strcmp(s->field, "image bool") == 0 ? spoil_bool :
					   strcmp(s->field, "image name") == 0 ? spoil_name : NULL,
					   strcmp(s->field, "image sum") == 0);
		} else if (strcmp(s->field, "version") == 0 || strcmp(s->field, "count") == 0) {
			craft_header(&c, strcmp(s->field, "version") == 0 ? s->value : "3",
				     strcmp(s->field, "count") == 0 ? s->value : "2");
			craft_record(&c, &fa, "[module]\nname=la\ndescription=MEMO\n"
				     "[provides]\nservice=lsvc\n");
			craft_record(&c, &fb, "[module]\nname=lb\ndescription=MEMO\n"
				     "[uses]\nservice=lsvc\n");
		} else if (strcmp(s->field, "dir") == 0) {
			c = good;
			*strchr(c.buf, '/') ^= 1;
		} else if (strcmp(s->field, "listing") == 0) {
			const char *at = strstr(good.buf, "\n-\n");

			ck_assert_ptr_nonnull(at);
			c.len = 0;
			craft_add(&c, good.buf, (size_t)(at + 1 - good.buf));
			craft_add(&c, s->value, strlen(s->value));
			craft_add(&c, at + 2, good.len - (size_t)(at + 2 - good.buf));
		} else if (strcmp(s->field, "cut") == 0) {
			c = good;
			c.len -= 5;
		} else if (strcmp(s->field, "cut header") == 0) {
			c = good;
			c.len = (size_t)(strstr(c.buf, "\nlb ") - c.buf) + 6;
		} else if (strcmp(s->field, "trailer") == 0) {
			c = good;
			craft_add(&c, "x", 1);
		} else {
			if (strcmp(s->field, "name") == 0)
				snprintf(f.name, sizeof(f.name), "%s", s->value);
			else if (strcmp(s->field, "dev") == 0)
				snprintf(f.dev, sizeof(f.dev), "%s", s->value);
			else if (strcmp(s->field, "ino") == 0)
				snprintf(f.ino, sizeof(f.ino), "%s", s->value);
			else if (strcmp(s->field, "size") == 0)
				snprintf(f.size, sizeof(f.size), "%s", s->value);
			else if (strcmp(s->field, "mtime") == 0)
				snprintf(f.mtime, sizeof(f.mtime), "%s", s->value);
			else if (strcmp(s->field, "ctime") == 0)
				snprintf(f.ctime, sizeof(f.ctime), "%s", s->value);
			else if (strcmp(s->field, "mode") == 0)
				snprintf(f.mode, sizeof(f.mode), "%s", s->value);
			else if (strcmp(s->field, "image") == 0)
				snprintf(f.image, sizeof(f.image), "%s", s->value);
			else
				snprintf(f.uid, sizeof(f.uid), "%s", s->value);
			craft_header(&c, "3", "2");
			craft_record(&c, &fa, "[module]\nname=la\ndescription=MEMO\n"
				     "[provides]\nservice=lsvc\n");
			craft_record(&c, &f, "[module]\nname=lb\ndescription=MEMO\n"
				     "[uses]\nservice=lsvc\n");
		}
		craft_write(&c);
		ck_assert_int_eq(boot(0), 2);
		ck_assert_msg(strcmp(desc("la"), "disk") == 0 && strcmp(desc("lb"), "disk") == 0,
			      "%s=%s: a record was used", field_name, s->value ? s->value : "");
		ck_assert_msg(count_of(ev.lines, "note module cache: ") == 1,
			      "%s=%s: want one note:\n%s", field_name, s->value ? s->value : "",
			      ev.lines);
		ck_assert_msg(strstr(ev.lines, s->why) != NULL &&
			      strstr(ev.lines, cache) != NULL,
			      "%s=%s: want '%s' of %s:\n%s", field_name,
			      s->value ? s->value : "", s->why, cache, ev.lines);
		/* Rewritten from the files: the next boot takes it. */
		ck_assert_int_eq(boot(0), 2);
		assert_no_note();
	}
	/* The good one, for the record: it serves, and is written again
	 * only for other, which it lacked. */
	craft_write(&good);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "MEMO");
	text = slurp(cache);
	ck_assert_uint_eq(count_of(text, "description=MEMO"), 2);
	ck_assert_has(text, "\n[module]\nname=someone\n\n");
	free(text);
}
END_TEST

/*
 * A cache that cannot be written is said once and costs nothing else; a
 * refresh with nothing new does not try again, one with something new
 * does, and does not say it again.
 */
START_TEST(unwritable_cache_costs_only_reading)
{
	unsigned long count;
	char own[128];
	int r;

	NEED_DIR();
	own_dir(own, sizeof(own), "unwritable");
	snprintf(cache, sizeof(cache), "/nonexistent/mf-modcache/cache");
	put_manifest(dir, "la", LA, 0644);
	settle();
	ck_assert_int_eq(boot(0), 1);
	assert_one_note("cannot write it: No such file or directory (the manifests are "
			"read from their files until it can be)");
	ck_assert_str_eq(desc("la"), "disk");

	/* Nothing new: not even an attempt (writing takes an allocation). */
	fake_events_clear(&ev);
	mf_alloc_fail_nth(ULONG_MAX);
	r = mf_moddir_refresh(ctx, fake_events_fn, &ev);
	count = mf_alloc_count();
	mf_alloc_fail_nth(0);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(ev.count, 0);
	ck_assert_uint_eq(count, 0);

	/* Something new: tried again, failed again, not said again. */
	put_manifest(dir, "lb", LB, 0644);
	settle();
	ck_assert_int_eq(refresh(), 1);
	ck_assert_str_eq(ev.seq, "note:lb");
	remove_tree(own);
}
END_TEST

/*
 * Files younger than two seconds are never taken from the cache, whatever
 * their identity: not even a file whose modification time was set back, as
 * its change time is now.
 */
START_TEST(young_files_are_read)
{
	char own[128], path[256], *text;
	struct fields fa, fb;
	struct craft c;

	NEED_DIR();
	own_dir(own, sizeof(own), "young");
	put_manifest(dir, "la", LA, 0644);
	put_manifest(dir, "lb", LB, 0644);

	craft_memo(&c, &fa, &fb);
	craft_write(&c);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "disk");
	/* Not remembered, not cached: the records of young files go. */
	text = slurp(cache);
	snprintf(path, sizeof(path), "%s0 %zu %s\n-\n", header_line(), strlen(dir), dir);
	ck_assert_str_eq(text, path);
	free(text);

	snprintf(path, sizeof(path), "%s/la.manifest", dir);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, (struct timespec[]){ { 1000000000, 0 },
									 { 1000000000, 0 } }, 0),
			 0);
	craft_memo(&c, &fa, &fb);
	craft_write(&c);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "disk");

	settle();
	craft_memo(&c, &fa, &fb);
	craft_write(&c);
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "MEMO");
	ck_assert_str_eq(desc("lb"), "MEMO");
	remove_tree(own);
}
END_TEST

/*
 * A manifest that changed is read from its file and the cache written
 * again with its new text; one that was removed leaves the catalog as
 * without a cache (unavailable) and leaves the cache.
 */
START_TEST(changed_and_removed_manifests)
{
	char own[128], path[256], *text;
	struct stat st;

	NEED_DIR();
	own_dir(own, sizeof(own), "changes");
	put_manifest(dir, "la", LA, 0644);
	put_manifest(dir, "lb", LB, 0644);
	put_manifest(dir, "lc", "[module]\nname=lc\n", 0644);
	settle();
	ck_assert_int_eq(boot(0), 3);
	text = slurp(cache);
	ck_assert_has(text, "name=lc");
	free(text);
	ck_assert_int_eq(lstat(cache, &st), 0);

	/* Removed: unavailable, and out of the cache. */
	snprintf(path, sizeof(path), "%s/lc.manifest", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(refresh(), 1);
	ck_assert_has(ev.lines, "note lc: its manifest was removed from the module directory");
	text = slurp(cache);
	ck_assert_ptr_null(strstr(text, "name=lc"));
	ck_assert_has(text, LA);
	ck_assert_has(text, LB);
	free(text);
	assert_no_note();

	/* Changed while the image was down: read, and cached anew. */
	put_manifest(dir, "la", "[module]\nname=la\ndescription=new\n[provides]\nservice=lsvc\n",
		     0644);
	settle();
	ck_assert_int_eq(boot(0), 2);
	ck_assert_str_eq(desc("la"), "new");
	text = slurp(cache);
	ck_assert_has(text, "description=new");
	ck_assert_has(text, LB);
	free(text);

	/* Gone while the image was down: its record goes too. */
	snprintf(path, sizeof(path), "%s/lb.manifest", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(boot(0), 1);
	text = slurp(cache);
	ck_assert_ptr_null(strstr(text, "name=lb"));
	ck_assert_has(text, "description=new");
	free(text);
	remove_tree(own);
}
END_TEST

/* ---- the directory's listing ------------------------------------------------- */

/* The cache's third line: the directory it vouches for, or "-". */
static void assert_listing(bool vouched)
{
	char *text = slurp(cache), want[128];
	const char *line = text;
	struct stat st;

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < 2; i++) {
		line = strchr(line, '\n');
		ck_assert_ptr_nonnull(line);
		line++;
	}
	ck_assert_int_eq(stat(dir, &st), 0);
	snprintf(want, sizeof(want), "%ju %ju %jd %jd.%09ld ", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	if (vouched)
		ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "want '%s...': %.80s",
			      want, line);
	else
		ck_assert_msg(strncmp(line, "-\n", 2) == 0, "want '-': %.80s", line);
	free(text);
}

/* Descriptors this process has open: a refresh must leave none behind. */
static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * A boot of the test's directory: la and lb in the catalog, the directory
 * listed @listings times (0 or 1), and the cache then vouching for it or
 * not (@vouched; -1: not looked at).
 */
static void boot_listing(unsigned listings, int vouched)
{
	ck_assert_int_eq(boot(0), 2);
	ck_assert_uint_eq(mf_moddir_listings(ctx), listings);
	if (vouched >= 0)
		assert_listing(vouched);
}

/*
 * A directory as it was when last read whole, left alone, is not listed
 * again: a name comes or goes only by changing it.  Its names are the
 * cache's at a boot (the cache vouches for the directory it listed) and
 * the last refresh's after that.  A file rewritten in place is seen by its
 * own fstatat(); a name the cache cannot give (refused for its name, or a
 * file too young to be copied) keeps the directory listed, and what it
 * says is said at every boot.
 */
START_TEST(settled_directory_is_not_listed)
{
	char own[128], path[256], outside[sizeof(cache)];
	unsigned fds = open_fds();
	struct stat st;

	NEED_DIR();
	own_dir(own, sizeof(own), "listing");
	put_manifest(dir, "la", LA, 0644);
	put_manifest(dir, "lb", LB, 0644);
	settle();
	boot_listing(1, true);
	/* The refresh before each load: the names it saw. */
	ck_assert_int_eq(refresh(), 0);
	ck_assert_uint_eq(mf_moddir_listings(ctx), 1);

	/* The next boot takes the cache's names and leaves the file be. */
	ck_assert_int_eq(lstat(cache, &st), 0);
	boot_listing(0, -1);
	ck_assert_str_eq(desc("la"), "disk");
	assert_cache_is(&st);

	/* Rewritten in place: the directory does not change, the file does.
	 * Too young to be copied, its record goes, and the cache vouches
	 * for no listing until it is. */
	put_manifest(dir, "lb", "[module]\nname=lb\ndescription=new\n[uses]\n"
		     "service=lsvc\n", 0644);
	boot_listing(0, false);
	ck_assert_str_eq(desc("lb"), "new");
	boot_listing(1, -1);

	/* A new name changes the directory: the refresh lists it. */
	put_manifest(dir, "lc", "[module]\nname=lc\n", 0644);
	ck_assert_int_eq(refresh(), 1);
	ck_assert_uint_eq(mf_moddir_listings(ctx), 2);
	ck_assert_str_eq(desc("lc"), "");
	/* And one that goes. */
	snprintf(path, sizeof(path), "%s/lc.manifest", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(refresh(), 1);
	ck_assert_uint_eq(mf_moddir_listings(ctx), 3);
	ck_assert_has(ev.lines, "note lc: its manifest was removed from the module directory");
	/* And a name the cache can have no record for. */
	put_manifest(dir, "Bad", "[module]\nname=bad\n", 0644);
	settle();
	/* Left alone: listed once more (it had changed), then known: lc not
	 * among the names, Bad's refusal said once. */
	ck_assert_int_eq(refresh(), 0);
	ck_assert_has(ev.lines, "'Bad' is not a module name");
	ck_assert_int_eq(refresh(), 0);
	ck_assert_uint_eq(mf_moddir_listings(ctx), 4);
	ck_assert_msg(ev.count == 0, "said: %s", ev.lines);

	/* Bad keeps every boot listing the directory, and saying so. */
	for (int i = 0; i < 2; i++) {
		boot_listing(1, false);
		ck_assert_has(ev.lines, "'Bad' is not a module name");
	}

	/* A cache kept in the directory changes it when written: it vouches
	 * for nothing, and is not written at every boot trying to. */
	snprintf(path, sizeof(path), "%s/Bad.manifest", dir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(outside, sizeof(outside), "%s", cache);
	snprintf(cache, sizeof(cache), "%s/modules.cache", own);
	boot_listing(1, false);
	settle();
	ck_assert_int_eq(lstat(cache, &st), 0);
	boot_listing(1, -1);
	assert_cache_is(&st);

	/* Bad gone and lb settled, the cache outside vouches again. */
	snprintf(cache, sizeof(cache), "%s", outside);
	boot_listing(1, true);
	boot_listing(0, -1);
	ck_assert_str_eq(desc("lb"), "new");
	ck_assert_ptr_null(strstr(ev.lines, "Bad"));
	/* Listed or not, refused or not, every refresh closed what it opened. */
	ck_assert_uint_eq(open_fds(), fds);
	remove_tree(own);
}
END_TEST

/* ---- many manifests ------------------------------------------------------------ */

/* What a refresh said, every word, however much: the boots below say a lot. */
struct said {
	char *text;
	size_t len, cap;
	char last_fail[80]; /* the module of the last refusal */
	bool fails_in_order;
	unsigned fails;
};

static void said_fn(void *data, const struct mf_event *e)
{
	struct said *s = data;
	size_t need = strlen(e->module) + strlen(e->detail) + 32;

	if (s->cap - s->len < need) {
		s->cap = (s->cap + need) * 2;
		s->text = realloc(s->text, s->cap);
		ck_assert_ptr_nonnull(s->text);
	}
	s->len += (size_t)sprintf(s->text + s->len, "%d %s: %s\n", (int)e->kind,
				  e->module, e->detail);
	if (e->kind == MF_EVENT_FAIL) {
		if (s->fails && strcmp(s->last_fail, e->module) >= 0)
			s->fails_in_order = false;
		snprintf(s->last_fail, sizeof(s->last_fail), "%s", e->module);
		s->fails++;
	}
}

static int boot_saying(bool cached, struct said *s)
{
	free(s->text);
	*s = (struct said){ .fails_in_order = true };
	if (ctx)
		ck_assert_ptr_null(mf_context_unref(ctx));
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(mf_moddir_set(ctx, dir, 0), 0);
	if (cached)
		ck_assert_int_eq(mf_moddir_set_cache(ctx, cache), 0);
	return mf_moddir_refresh(ctx, said_fn, s);
}

#define N_MANY 600

/* Module @i of the many: names that share their first eight bytes, names
 * shorter than eight, and every seventh one naming another module. */
static void many_name(unsigned i, char *buf, size_t len)
{
	static const char *const forms[] = { "net_driver_%03u", "m%u", "bm_%05u", "x%u_y" };

	snprintf(buf, len, forms[i % 4], i);
}

/*
 * A directory of hundreds of manifests: the refusals come in name order,
 * whatever order the directory lists them in, and a cache of all of them,
 * bigger than any buffer the reader starts with, serves every one with the
 * same words as the files.
 */
START_TEST(many_manifests_in_name_order)
{
	struct said plain = { 0 }, cold = { 0 }, warm = { 0 };
	char own[128], name[64], text[512], *copy;
	unsigned accepted = 0;
	struct stat st;

	NEED_DIR();
	own_dir(own, sizeof(own), "many");
	/* Written out of order, so that no listing is sorted by chance. */
	for (unsigned k = 0; k < N_MANY; k++) {
		unsigned i = (k * 7919u) % N_MANY;

		many_name(i, name, sizeof(name));
		snprintf(text, sizeof(text), "[module]\nname=%s%s\ndescription=disk, "
			 "with words enough to make the cache file large: %0200u\n",
			 name, i % 7 == 3 ? "_other" : "", i);
		put_manifest(dir, name, text, 0644);
		accepted += i % 7 != 3;
	}
	put_manifest(dir, "Zz_not_a_name", "[module]\nname=zz\n", 0644);
	put_manifest(dir, "A", "[module]\nname=a\n", 0644);
	settle();

	ck_assert_int_eq(boot_saying(false, &plain), (int)accepted);
	ck_assert_uint_eq(plain.fails, N_MANY - accepted + 2);
	ck_assert_msg(plain.fails_in_order, "refusals out of name order:\n%s", plain.text);

	/* The first boot with a cache reads the files and writes it. */
	ck_assert_int_eq(boot_saying(true, &cold), (int)accepted);
	ck_assert_str_eq(cold.text, plain.text);
	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert_int_gt(st.st_size, 128 * 1024);

	/* The next takes every manifest from it, in the same words: the
	 * images of those that parsed, the texts of the others. */
	edit_only("description=disk", "description=MEMO", true);
	ck_assert_int_eq(lstat(cache, &st), 0);
	ck_assert_int_eq(boot_saying(true, &warm), (int)accepted);
	ck_assert_str_eq(warm.text, plain.text);
	for (unsigned i = 0; i < N_MANY; i++) {
		many_name(i, name, sizeof(name));
		if (i % 7 == 3)
			ck_assert_str_eq(desc(name), "(none)");
		else
			ck_assert_msg(strncmp(desc(name), "MEMO", 4) == 0, "%s: %s", name,
				      desc(name));
	}
	assert_cache_is(&st);

	/* Without the cache the files say what they always did. */
	copy = strdup(plain.text);
	ck_assert_int_eq(boot_saying(false, &plain), (int)accepted);
	ck_assert_str_eq(plain.text, copy);
	free(copy);
	free(plain.text);
	free(cold.text);
	free(warm.text);
	remove_tree(own);
}
END_TEST

Suite *make_modcache_suite(void)
{
	Suite *s = suite_create("modcache");
	TCase *tc = tcase_create("modcache");

	/* One settled directory for all: written and waited for once. */
	tcase_add_unchecked_fixture(tc, make_shared, remove_shared);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, set_cache_arguments);
	tcase_add_test(tc, warm_cache_stands_for_unchanged_manifests);
	tcase_add_test(tc, images_stand_for_their_texts);
	tcase_add_test(tc, image_is_the_parse);
	tcase_add_test(tc, no_image_of_a_manifest_built_by_hand);
	tcase_add_test(tc, a_copy_is_judged_as_its_file);
	tcase_add_test(tc, unsafe_cache_is_ignored);
	tcase_add_test(tc, malformed_cache_is_ignored_whole);
	tcase_add_test(tc, unwritable_cache_costs_only_reading);
	tcase_add_test(tc, young_files_are_read);
	tcase_add_test(tc, changed_and_removed_manifests);
	tcase_add_test(tc, settled_directory_is_not_listed);
	tcase_add_test(tc, many_manifests_in_name_order);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_modcache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
