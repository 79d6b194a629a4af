/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the module cache reader (runtime/modcache.c), and what
 * the module directory does with a cache it accepted (runtime/moddir.c).
 *
 * mf_modcache_load() reads only from a file, so each input is written to a
 * cache file in a directory of the harness's own and loaded from there, as
 * made for the directory FUZZ_DIR: the seeds carry that fixed name, never
 * the temporary one.  A first line "manifold-modcache <version> L" stands
 * for this build's layout (mf_manifest_image_layout() for the L), so that
 * seeds outlive a change of the manifest's structures.  A cache that loads must then hold:
 *  - records that are module names, in strictly increasing order, each
 *    found by its name, each text and image followed by its newline;
 *  - what mf_modcache_write() makes of them loads again as the same
 *    records: reader and writer agree on the format.
 * That rewrite is the cache of a real module directory of three settled
 * manifests (fa, fb, fc), the records named after them given their files'
 * identities (the size stays the input's), each text that parses the
 * image of what it parses into, and a listing line the directory's own
 * identity (so that the boot takes its names from the records), so a boot (a new context, the directory,
 * the cache, one refresh) takes the texts as long as the files from the
 * cache, copies their images or parses them under the files' names, and
 * writes the cache again.  Nothing is written outside the harness's
 * directory.  Seeds that mean to be served give fa, fb and fc texts of 58,
 * 54 and 34 bytes, the files' sizes.  Images in the input itself are
 * fuzzed by fuzz_manifest, which takes each input as one.
 *
 * An input may start with "!N\n" (fuzz_common.h): the Nth allocation of the
 * load and the boot together fails; the rewrite between them is not
 * counted, so N means the same whatever the rewrite allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <manifold/manifold.h>
#include <manifold/moddir.h>

#include "alloc.h"
#include "fuzz_common.h"
#include "internal.h"
#include "manifest_image.h"
#include "modcache.h"

#define FUZZ_DIR "/mods"
/* moddir.c's MANIFEST_MAX: the limit the runtime loads caches with. */
#define TEXT_MAX (1024 * 1024)

static const struct {
	const char *name, *text;
} fixtures[] = {
	{ "fa", "[module]\nname=fa\ndescription=disk\n[provides]\nservice=fsvc\n" },
	{ "fb", "[module]\nname=fb\ndescription=disk\n[uses]\nservice=fsvc\n" },
	{ "fc", "[module]\nname=fc\ndescription=disk\n" },
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static char base[PATH_MAX];  /* TMPDIR/mf-fuzz-modcache-XXXXXX */
static char mods[PATH_MAX];  /* base/mods: the module directory */
static char cache[PATH_MAX]; /* base/cache */
static struct stat fixture_st[N_FIXTURES];
static struct stat mods_st;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_modcache: %s: %s\n", what, strerror(errno));
	abort();
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		die(path);
	/* Short writes do not happen on a regular file this small. */
	if ((len && write(fd, data, len) != (ssize_t)len) || fchmod(fd, 0644) < 0 ||
	    close(fd) < 0)
		die(path);
}

static void fixture_path(char *out, size_t n, size_t i)
{
	snprintf(out, n, "%s/%s.manifest", mods, fixtures[i].name);
}

/* libFuzzer leaves through exit(), so the directory goes with it; a crash
 * leaves it for the one who looks at the crash. */
static void remove_dir(void)
{
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < N_FIXTURES; i++) {
		fixture_path(path, sizeof(path), i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s.tmp.%ld", cache, (long)getpid());
	unlink(path);
	unlink(cache);
	rmdir(mods);
	rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX + 32];

	(void)argc;
	(void)argv;
	snprintf(base, sizeof(base), "%s/mf-fuzz-modcache-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(base))
		die(base);
	snprintf(mods, sizeof(mods), "%s/mods", base);
	snprintf(cache, sizeof(cache), "%s/cache", base);
	if (mkdir(mods, 0755) < 0 || chmod(mods, 0755) < 0)
		die(mods);
	atexit(remove_dir);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		fixture_path(path, sizeof(path), i);
		write_file(path, fixtures[i].text, strlen(fixtures[i].text));
	}
	/* moddir.c takes a manifest from the cache only once its mtime and
	 * ctime are two seconds old (SETTLE_SEC), and a ctime cannot be set
	 * back: wait once, here, rather than never reach that path. */
	nanosleep(&(struct timespec){ 2, 100000000 }, NULL);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		fixture_path(path, sizeof(path), i);
		if (lstat(path, &fixture_st[i]) < 0)
			die(path);
	}
	if (lstat(mods, &mods_st) < 0)
		die(mods);
	return 0;
}

static void quiet_log(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn, (void)format;
	(void)args;
}

static void quiet_events(void *data, const struct mf_event *ev)
{
	(void)data, (void)ev;
}

/* Digits at *p, which the reader has checked: leading zeros, no overflow. */
static uint64_t digits(const char **p, const char *end)
{
	uint64_t v = 0;

	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++)
		v = v * 10 + (uint64_t)(**p - '0');
	return v;
}

/* Past the next @ch, which must be there. */
static const char *past(const char *p, const char *end, char ch)
{
	const char *q = memchr(p, ch, (size_t)(end - p));

	if (!q)
		abort();
	return q + 1;
}

/*
 * The records of the file @p..@end, which mf_modcache_load() accepted as
 * @mc, found again from the format's description alone (modcache.c's
 * header comment): the count on the second line, the listing on the third
 * ('-', or a listing the reader holds); per record its name, the
 * size that is the third number of its line and the image's length that
 * is the ninth, that many bytes and '\n' each.
 * Each must be the record @mc finds under that name, in strictly
 * increasing order, and nothing may be left over: else the reader accepted
 * what the format does not say.  The records go to @out, in file order.
 */
static size_t walk(const char *p, const char *end, const struct mf_modcache *mc,
		   struct mf_modcache_rec *out)
{
	char name[64], prev[64] = "";
	uint64_t n, size, ilen;

	p = past(p, end, '\n');
	n = digits(&p, end);
	p = past(p, end, '\n');
	if (n != mf_modcache_count(mc))
		abort();
	if ((p < end && *p == '-') != !mf_modcache_listing(mc))
		abort();
	p = past(p, end, '\n');
	for (uint64_t i = 0; i < n; i++) {
		const char *sp = past(p, end, ' ') - 1;
		const struct mf_modcache_rec *r;

		if ((size_t)(sp - p) >= sizeof(name))
			abort();
		memcpy(name, p, (size_t)(sp - p));
		name[sp - p] = '\0';
		if (!mf_file_name_ok(name) || (i && strcmp(prev, name) >= 0))
			abort();
		p = past(past(sp + 1, end, ' '), end, ' '); /* dev, ino */
		size = digits(&p, end);
		for (int f = 0; f < 5; f++) /* mtime, ctime, mode, uid */
			p = past(p, end, ' ');
		ilen = digits(&p, end);
		p = past(p, end, '\n');
		if (size >= TEXT_MAX || size >= (uint64_t)(end - p) || p[size] != '\n')
			abort();
		r = mf_modcache_find(mc, name);
		if (!r || strcmp(r->name, name) != 0 || (uint64_t)r->id.size != size ||
		    memcmp(r->text, p, size) != 0 || r->text[size] != '\n')
			abort();
		p += size + 1;
		if (ilen >= (uint64_t)(end - p) || p[ilen] != '\n' || r->image_len != ilen ||
		    !r->image != !ilen || (ilen && memcmp(r->image, p, ilen) != 0))
			abort();
		out[i] = *r;
		memcpy(prev, name, sizeof(name));
		p += ilen + 1;
	}
	if (p != end)
		abort();
	return (size_t)n;
}

static bool same_rec(const struct mf_modcache_rec *a, const struct mf_modcache_rec *b)
{
	const struct mf_file_id *x = &a->id, *y = &b->id;

	return strcmp(a->name, b->name) == 0 && x->dev == y->dev && x->ino == y->ino &&
	       x->size == y->size && x->mode == y->mode && x->uid == y->uid &&
	       x->mtime.tv_sec == y->mtime.tv_sec && x->mtime.tv_nsec == y->mtime.tv_nsec &&
	       x->ctime.tv_sec == y->ctime.tv_sec && x->ctime.tv_nsec == y->ctime.tv_nsec &&
	       memcmp(a->text, b->text, (size_t)x->size) == 0 &&
	       a->image_len == b->image_len && !a->image == !b->image &&
	       (!a->image || memcmp(a->image, b->image, a->image_len) == 0);
}

static bool same_id(const struct mf_file_id *x, const struct mf_file_id *y)
{
	return x->dev == y->dev && x->ino == y->ino && x->size == y->size &&
	       x->mode == y->mode && x->uid == y->uid &&
	       x->mtime.tv_sec == y->mtime.tv_sec && x->mtime.tv_nsec == y->mtime.tv_nsec &&
	       x->ctime.tv_sec == y->ctime.tv_sec && x->ctime.tv_nsec == y->ctime.tv_nsec;
}

/*
 * @recs as the cache of the fixture directory, those named after a fixture
 * under its file's identity, and the directory's listed when @listed; what
 * the writer made of them must load as the same records and listing.
 */
static void rewrite(struct mf_modcache_rec *recs, size_t n, bool listed)
{
	const struct mf_file_id dir_id = {
		.dev = mods_st.st_dev, .ino = mods_st.st_ino, .size = mods_st.st_size,
		.mtime = mods_st.st_mtim, .ctime = mods_st.st_ctim,
		.mode = mods_st.st_mode, .uid = mods_st.st_uid,
	};
	const struct mf_file_id *listing = listed ? &dir_id : NULL, *read_back;
	struct mf_modcache *again;
	char why[MF_ERR_MAX];

	for (size_t i = 0; i < n; i++) {
		struct mf_manifest *m;

		recs[i].image = NULL;
		recs[i].image_len = 0;
		if (mf_manifest_parse(recs[i].name, recs[i].text, (size_t)recs[i].id.size,
				      &m, why, sizeof(why)) < 0)
			continue;
		recs[i].image = mf_manifest_image_new(m, &recs[i].image_len);
		if (!recs[i].image)
			abort();
		mf_manifest_free(m);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < N_FIXTURES; f++) {
			const struct stat *st = &fixture_st[f];

			if (strcmp(recs[i].name, fixtures[f].name) != 0)
				continue;
			recs[i].id.dev = st->st_dev;
			recs[i].id.ino = st->st_ino;
			recs[i].id.mode = st->st_mode;
			recs[i].id.uid = st->st_uid;
			recs[i].id.mtime = st->st_mtim;
			recs[i].id.ctime = st->st_ctim;
		}
	if (mf_modcache_write(cache, mods, listing, recs, n, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_modcache: records the reader took are not written: %s\n",
			why);
		abort();
	}
	if (mf_modcache_load(cache, mods, 0, TEXT_MAX, &again, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_modcache: the writer's file does not load: %s\n", why);
		abort();
	}
	read_back = mf_modcache_listing(again);
	if (mf_modcache_count(again) != n || !read_back != !listing ||
	    (listing && !same_id(read_back, listing)))
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct mf_modcache_rec *r = mf_modcache_find(again, recs[i].name);

		if (!r || !same_rec(r, &recs[i])) {
			fprintf(stderr, "fuzz_modcache: '%s' is another record once "
				"written and read\n", recs[i].name);
			abort();
		}
	}
	mf_modcache_free(again);
	for (size_t i = 0; i < n; i++)
		mf_free((void *)recs[i].image);
}

/*
 * A boot of the fixture directory with the cache rewrite() made; when that
 * vouched for the directory (@listed), the boot takes the records' names
 * and does not list it.
 */
static void boot(unsigned long fail_nth, bool listed)
{
	struct mf_context *ctx;
	int n;

	fuzz_alloc_arm(fail_nth);
	if (mf_context_new(&ctx) < 0) {
		fuzz_alloc_disarm();
		return;
	}
	mf_context_set_log_fn(ctx, quiet_log, NULL);
	n = mf_moddir_set(ctx, mods, 0);
	if (n == 0)
		n = mf_moddir_set_cache(ctx, cache);
	if (n == 0)
		n = mf_moddir_refresh(ctx, quiet_events, NULL);
	fuzz_alloc_disarm();
	/* A safe directory, whatever the cache says: only memory can fail. */
	if (n < 0 && !(fail_nth && n == -ENOMEM))
		abort();
	if (listed && !fail_nth && mf_moddir_listings(ctx) != 0)
		abort();
	if (mf_context_unref(ctx))
		abort();
}

/* The input with the "L" of a first line "manifold-modcache <digits> L"
 * replaced by the layout: NULL when it has no such line (the input is
 * taken as it is).  Caller frees. */
static uint8_t *with_layout(const uint8_t *data, size_t *size)
{
	static const char magic[] = "manifold-modcache ";
	const size_t m = sizeof(magic) - 1;
	size_t at = m, l;
	char layout[24];
	uint8_t *out;

	if (*size < m || memcmp(data, magic, m) != 0)
		return NULL;
	while (at < *size && data[at] >= '0' && data[at] <= '9')
		at++;
	/* at: the " L\n" after the version, or no layout to put in. */
	if (at == m || *size - at < 3 || memcmp(data + at, " L\n", 3) != 0)
		return NULL;
	l = (size_t)snprintf(layout, sizeof(layout), "%ju",
			     (uintmax_t)mf_manifest_image_layout());
	out = malloc(*size - 1 + l);
	if (!out)
		abort();
	memcpy(out, data, at + 1);
	memcpy(out + at + 1, layout, l);
	memcpy(out + at + 1 + l, data + at + 2, *size - (at + 2));
	*size = *size - 1 + l;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long fail_nth = fuzz_alloc_prefix(&data, &size), used;
	/* Not NULL: a refusal must clear it. */
	struct mf_modcache *mc = (struct mf_modcache *)1;
	struct mf_modcache_rec *recs;
	char why[MF_ERR_MAX];
	uint8_t *own = with_layout(data, &size);
	bool listed;
	int err;

	if (own)
		data = own;
	write_file(cache, data, size);
	why[0] = '\0';
	fuzz_alloc_arm(fail_nth);
	err = mf_modcache_load(cache, FUZZ_DIR, 0, TEXT_MAX, &mc, why, sizeof(why));
	used = mf_alloc_count();
	fuzz_alloc_disarm();
	if (err < 0) {
		/* Refused whole, and said where, but for lack of memory. */
		if (mc || !(err == -EINVAL || err == -ESTALE || err == -ENOMEM ||
			    err == -EFBIG))
			abort();
		if (err != -ENOMEM && strncmp(why, cache, strlen(cache)) != 0)
			abort();
		free(own);
		return 0;
	}
	/* REC_MIN bytes a record at least: the count is bounded by the size. */
	recs = malloc((size / 42 + 1) * sizeof(*recs));
	if (!recs)
		abort();
	listed = mf_modcache_listing(mc) != NULL;
	rewrite(recs, walk((const char *)data, (const char *)data + size, mc, recs),
		listed);
	free(recs);
	mf_modcache_free(mc);
	free(own);
	/* The Nth allocation of the load and the boot together. */
	if (!fail_nth || fail_nth > used)
		boot(fail_nth ? fail_nth - used : 0, listed);
	return 0;
}
