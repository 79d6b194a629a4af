/* SPDX-License-Identifier: MIT */
/*
 * The module cache: the module directory's manifests copied into one file,
 * so that a boot costs one fstatat() per unchanged manifest instead of an
 * open and two reads (mf_moddir_set_cache()).  This file reads, checks and
 * writes that file; moddir.c decides what goes into it and when a copy may
 * stand for its manifest.
 *
 * The file is text but for the manifests' images, so that `less` shows
 * what the image is going to believe:
 *
 *   manifold-modcache 3 <layout>\n                 magic, format version
 *   <n> <dirlen> <dir>\n                           records, the directory
 *   <listing>\n                                    what <dir> was, or '-'
 *   <n> records, sorted by name, each:
 *   <name> <dev> <ino> <size> <mtime> <ctime> <mode> <uid> <ilen> <isum>\n
 *   <the manifest as read: exactly <size> bytes>\n
 *   <the manifest's image: exactly <ilen> bytes>\n
 *
 * A record is one <name>.manifest of <dir> with its identity as moddir.c
 * remembers it (struct mf_file_id): numbers in decimal but <mode>, octal as
 * st_mode is written (100644); times <seconds>.<9-digit nanoseconds>,
 * seconds signed.  The text's length is the file's size: what was read is
 * all of the file that had this identity.  The '\n' after it only helps a
 * reader, and catches a length that is wrong.
 *
 * <listing> is "<dev> <ino> <size> <mtime> <ctime> <mode> <uid>" of the
 * directory itself, as a record's identity is written, when the writer
 * vouches that a directory with exactly that identity lists the <n>
 * records' names as its manifests and no other (moddir.c: the listing it
 * took them from was settled, and every name it gave has a record), so
 * that the next boot need not list it; '-' when it does not.
 *
 * The image is what the text parsed into (manifest_image.c), so that a
 * boot copies each manifest instead of parsing it again; <ilen> is 0 for a
 * text that did not parse (it is parsed again, for its error) or whose
 * image could not be made.  <isum> is a sum of the image's bytes
 * (mf_manifest_image_sum()), so that bytes damaged on the disk are found where the
 * text's parser would have been the one to find them; <layout> is
 * mf_manifest_image_layout(): a cache written by a build that lays
 * manifests out otherwise is rebuilt, not read.
 *
 * Reading is strict.  A bad magic, a number out of its type's range or with
 * a sign it cannot have, a name that is not a module name, names out of
 * order or repeated (the writer sorts them: that also rules out duplicates
 * with no hash), a file cut short or with bytes after the last record: the
 * whole file is ignored, and said so with the offset.  Half a cache could
 * be trusted in ways nobody checked; no cache only costs reading the
 * manifests, after which the directory writes a new one.  Another format
 * version, or a cache of another directory, is ignored the same way.
 *
 * The file is trusted as a module file is (modfile.c), since whatever it
 * says is parsed as the manifests it stands for: a regular file, opened
 * without following a symbolic link, owned by root or the image's user and
 * writable by neither group nor others (unless MF_MODDIR_NO_PERM_CHECK).
 * Its directory is not checked: someone who may create files there still
 * cannot make one that passes those checks, and a cache of ours that was
 * moved or linked back in only holds records whose identities must match.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <manifold/moddir.h>

#include "internal.h"
#include "loadable.h"
#include "manifest_image.h"
#include "modcache.h"

#define MAGIC "manifold-modcache "
#define VERSION 3
/* Some hundred bytes per module: room for far more modules than an image
 * has, and a file bigger than that is not ours. */
#define CACHE_MAX (64 * 1024 * 1024)
/* The shortest record: "a 0 0 0 0.000000000 0.000000000 0 0 0 0\n\n\n". */
#define REC_MIN 42

#define UMAX(type) ((uint64_t)(type)-1)
#define SMAX(type) ((int64_t)((UINT64_C(1) << (sizeof(type) * 8 - 1)) - 1))

struct mf_modcache {
	char *buf; /* the file; each record's name is NUL-terminated in place */
	bool has_listing;
	struct mf_file_id listing;
	size_t n;
	struct mf_modcache_rec recs[];
};

/* ---- reading ------------------------------------------------------------------ */

/*
 * The file whole, when it may be trusted as a module file is (modfile.c):
 * 0, or -errno with why.  No file, or no directory for it yet, is -ENOENT:
 * no cache yet.
 */
static int read_trusted(const char *path, unsigned flags, char **out, size_t *len,
			char *why, size_t whylen)
{
	int err = mf_modfile_readat(AT_FDCWD, path, path, flags, CACHE_MAX, out,
				    len, NULL, why, whylen);
	size_t l;

	if (err == 0)
		return 0;
	l = strlen(why);
	snprintf(why + l, whylen - l, "; the cache is ignored");
	return err == -ENOTDIR ? -ENOENT : err;
}

/* The file being parsed; each malformation is said with its offset. */
struct cursor {
	char *start, *p, *end;
	const char *path;
	char *why;
	size_t whylen;
};

static int malformed(struct cursor *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int malformed(struct cursor *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->why, c->whylen, "%s: offset %zu: ", c->path,
		     (size_t)(c->p - c->start));
	if (n < 0 || (size_t)n >= c->whylen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->why + n, c->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(c->why);
	snprintf(c->why + n, c->whylen - (size_t)n, "; ignored (rebuilt from the "
		 "manifests)");
	return -EINVAL;
}

static bool expect(struct cursor *c, char ch)
{
	if (c->p == c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/*
 * Digits in @base, at least one, of a value no more than @max.  Seven
 * numbers a record: the digits that cannot overflow 64 bits (19 decimal,
 * 21 octal, after any leading zeros) are taken without a check each, and
 * the value is compared with @max once; only longer numbers pay a division
 * per digit.  Inline, so that get_dec() and get_oct() multiply by a
 * constant.
 */
static inline bool get_u(struct cursor *c, unsigned base, uint64_t max,
			 uint64_t *out)
{
	const size_t safe = base == 8 ? 21 : 19;
	char *q = c->p, *stop;
	uint64_t v = 0;
	unsigned d;

	while (q < c->end && *q == '0')
		q++;
	stop = (size_t)(c->end - q) > safe ? q + safe : c->end;
	for (; q < stop && (d = (unsigned)(*q - '0')) < base; q++)
		v = v * base + d;
	for (; q < c->end && (d = (unsigned)(*q - '0')) < base; q++) {
		if (d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	if (q == c->p || v > max)
		return false;
	c->p = q;
	*out = v;
	return true;
}

static bool get_dec(struct cursor *c, uint64_t max, uint64_t *out)
{
	return get_u(c, 10, max, out);
}

static bool get_oct(struct cursor *c, uint64_t max, uint64_t *out)
{
	return get_u(c, 8, max, out);
}

/* An optional '-', then digits: a value within -@max - 1 .. @max. */
static bool get_s(struct cursor *c, int64_t max, int64_t *out)
{
	bool neg = expect(c, '-');
	uint64_t v;

	if (!get_dec(c, (uint64_t)max + neg, &v))
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* <seconds>.<nine digits> */
static bool get_time(struct cursor *c, struct timespec *t)
{
	char *at;
	int64_t sec;
	uint64_t nsec;

	if (!get_s(c, SMAX(time_t), &sec) || !expect(c, '.'))
		return false;
	at = c->p;
	if (!get_dec(c, 999999999, &nsec) || c->p - at != 9)
		return false;
	t->tv_sec = (time_t)sec;
	t->tv_nsec = (long)nsec;
	return true;
}

/*
 * "<dev> <ino> <size> <mtime> <ctime> <mode> <uid>": a file's identity, a
 * record's or the directory's, with a size of at most @size_max.
 */
static bool get_id(struct cursor *c, uint64_t size_max, struct mf_file_id *id)
{
	uint64_t dev, ino, size, mode, uid;

	if (!get_dec(c, UMAX(dev_t), &dev) || !expect(c, ' ') ||
	    !get_dec(c, UMAX(ino_t), &ino) || !expect(c, ' ') ||
	    !get_dec(c, size_max, &size) || !expect(c, ' ') ||
	    !get_time(c, &id->mtime) || !expect(c, ' ') ||
	    !get_time(c, &id->ctime) || !expect(c, ' ') ||
	    !get_oct(c, 0177777, &mode) || !expect(c, ' ') ||
	    !get_dec(c, UMAX(uid_t), &uid))
		return false;
	id->dev = (dev_t)dev;
	id->ino = (ino_t)ino;
	id->size = (off_t)size;
	id->mode = (mode_t)mode;
	id->uid = (uid_t)uid;
	return true;
}

/*
 * The name that begins a record, and the space after it, at c->p: where
 * both are right, one pass over its bytes says so (a name is a module name:
 * mf_file_name_ok()).  NULL for anything else.
 */
static char *plain_name(const struct cursor *c)
{
	size_t room = (size_t)(c->end - c->p), i;

	for (i = 0; i < room && i < 64; i++) {
		char ch = c->p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
			break;
	}
	return i > 0 && i <= 63 && i < room && c->p[i] == ' ' ? c->p + i : NULL;
}

/* One record at c->p, after @prev (NULL for the first). */
static int parse_record(struct cursor *c, const char *prev, size_t text_max,
			struct mf_modcache_rec *rec)
{
	size_t room = (size_t)(c->end - c->p);
	char *name = c->p, *sp = plain_name(c);
	/* Below what a manifest may be, and what off_t holds. */
	uint64_t size_max = text_max - 1 < (uint64_t)SMAX(off_t) ? text_max - 1 :
				    (uint64_t)SMAX(off_t);
	struct mf_file_id *id = &rec->id;
	uint64_t size, ilen, isum;
	char why[MF_ERR_MAX];
	int order;

	if (sp) {
		*sp = '\0';
	} else {
		/* Not a plain name: which fault it is, for the message. */
		sp = memchr(c->p, ' ', room < 65 ? room : 65);
		if (!sp)
			return malformed(c, "a record's name, or the file, ends too soon");
		*sp = '\0';
		if (strlen(name) != (size_t)(sp - name) || !mf_file_name_ok(name))
			return malformed(c, "'%s' is not a module name", name);
	}
	order = prev ? strcmp(prev, name) : -1;
	if (order == 0)
		return malformed(c, "'%s' twice", name);
	if (order > 0)
		return malformed(c, "'%s' after '%s': names out of order", name, prev);
	c->p = sp + 1;
	if (!get_id(c, size_max, id) || !expect(c, ' ') ||
	    !get_dec(c, CACHE_MAX, &ilen) || !expect(c, ' ') ||
	    !get_dec(c, UINT64_MAX, &isum) || !expect(c, '\n'))
		return malformed(c, "%s: a bad or missing number", name);
	size = (uint64_t)id->size;
	if (size + 1 > (uint64_t)(c->end - c->p) || c->p[size] != '\n')
		return malformed(c, "%s: the text is not %ju bytes and a newline",
				 name, (uintmax_t)size);
	rec->text = c->p;
	c->p += size + 1;
	if (ilen + 1 > (uint64_t)(c->end - c->p) || c->p[ilen] != '\n')
		return malformed(c, "%s: the image is not %ju bytes and a newline",
				 name, (uintmax_t)ilen);
	if (ilen && mf_manifest_image_sum(c->p, (size_t)ilen) != isum)
		return malformed(c, "%s: the image's bytes do not match their sum",
				 name);
	if (ilen && mf_manifest_image_check(c->p, (size_t)ilen, why, sizeof(why)) < 0)
		return malformed(c, "%s: %s", name, why);
	rec->name = name;
	rec->image = ilen ? c->p : NULL;
	rec->image_len = (size_t)ilen;
	c->p += ilen + 1;
	return 0;
}

/* magic, version, count, directory and listing; the records' count in *n. */
static int parse_header(struct cursor *c, const char *dir, struct mf_modcache *head,
			size_t *n)
{
	uint64_t version, count, dirlen, layout;

	if ((size_t)(c->end - c->p) < sizeof(MAGIC) - 1 ||
	    memcmp(c->p, MAGIC, sizeof(MAGIC) - 1) != 0)
		return malformed(c, "not a module cache (no '%.*s' header)",
				 (int)sizeof(MAGIC) - 2, MAGIC);
	c->p += sizeof(MAGIC) - 1;
	if (!get_dec(c, UINT32_MAX, &version))
		return malformed(c, "a bad format version");
	if (version != VERSION) {
		snprintf(c->why, c->whylen, "%s: format version %ju, this image "
			 "uses %d: rebuilt", c->path, (uintmax_t)version, VERSION);
		return -ESTALE;
	}
	if (!expect(c, ' ') || !get_dec(c, UINT64_MAX, &layout) || !expect(c, '\n'))
		return malformed(c, "a bad image layout");
	if (layout != mf_manifest_image_layout()) {
		snprintf(c->why, c->whylen, "%s: manifest images of another "
			 "build's layout: rebuilt", c->path);
		return -ESTALE;
	}
	if (!get_dec(c, SIZE_MAX, &count) || !expect(c, ' ') ||
	    !get_dec(c, PATH_MAX, &dirlen) || !expect(c, ' ') ||
	    dirlen >= (uint64_t)(c->end - c->p) || c->p[dirlen] != '\n')
		return malformed(c, "a bad record count or directory");
	if (dirlen != strlen(dir) || memcmp(c->p, dir, dirlen) != 0) {
		snprintf(c->why, c->whylen, "%s: the cache of another module "
			 "directory: rebuilt for %s", c->path, dir);
		return -ESTALE;
	}
	c->p += dirlen + 1;
	head->has_listing = !expect(c, '-');
	if ((head->has_listing && !get_id(c, (uint64_t)SMAX(off_t), &head->listing)) ||
	    !expect(c, '\n'))
		return malformed(c, "a bad directory listing");
	if (count > (size_t)(c->end - c->p) / REC_MIN)
		return malformed(c, "%ju records: more than the file can hold",
				 (uintmax_t)count);
	*n = (size_t)count;
	return 0;
}

int mf_modcache_load(const char *path, const char *dir, unsigned flags,
		     size_t text_max, struct mf_modcache **out, char *why,
		     size_t whylen)
{
	struct mf_modcache *mc, head = { 0 };
	struct cursor c;
	size_t len = 0, n = 0;
	char *buf = NULL;
	int err;

	*out = NULL;
	err = read_trusted(path, flags, &buf, &len, why, whylen);
	if (err < 0)
		return err;
	c = (struct cursor){ .start = buf, .p = buf, .end = buf + len, .path = path,
			     .why = why, .whylen = whylen };
	err = parse_header(&c, dir, &head, &n);
	if (err < 0)
		goto err_buf;
	mc = mf_malloc(sizeof(*mc) + n * sizeof(mc->recs[0]));
	if (!mc) {
		err = -ENOMEM;
		goto err_buf;
	}
	mc->buf = buf;
	mc->has_listing = head.has_listing;
	mc->listing = head.listing;
	mc->n = n;
	for (size_t i = 0; i < n; i++) {
		err = parse_record(&c, i ? mc->recs[i - 1].name : NULL, text_max,
				   &mc->recs[i]);
		if (err < 0)
			goto err_mc;
	}
	if (c.p != c.end) {
		err = malformed(&c, "bytes after the last record");
		goto err_mc;
	}
	*out = mc;
	return 0;

err_mc:
	mf_free(mc);
err_buf:
	mf_free(buf);
	return err;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct mf_modcache_rec *)a)->name,
		      ((const struct mf_modcache_rec *)b)->name);
}

const struct mf_modcache_rec *mf_modcache_find(const struct mf_modcache *c,
					       const char *name)
{
	struct mf_modcache_rec key = { .name = name };

	if (!c || c->n == 0)
		return NULL;
	return bsearch(&key, c->recs, c->n, sizeof(key), cmp_rec);
}

const struct mf_modcache_rec *mf_modcache_find_next(const struct mf_modcache *c,
						    const char *name, size_t *next)
{
	const struct mf_modcache_rec *r;

	if (!c)
		return NULL;
	if (*next < c->n && strcmp(c->recs[*next].name, name) == 0)
		r = &c->recs[*next];
	else if (!(r = mf_modcache_find(c, name)))
		return NULL;
	*next = (size_t)(r - c->recs) + 1;
	return r;
}

size_t mf_modcache_count(const struct mf_modcache *c)
{
	return c ? c->n : 0;
}

const struct mf_modcache_rec *mf_modcache_rec(const struct mf_modcache *c, size_t i)
{
	return &c->recs[i];
}

const struct mf_file_id *mf_modcache_listing(const struct mf_modcache *c)
{
	return c && c->has_listing ? &c->listing : NULL;
}

void mf_modcache_free(struct mf_modcache *c)
{
	if (!c)
		return;
	mf_free(c->buf);
	mf_free(c);
}

/* ---- writing ------------------------------------------------------------------- */

/* Output through a buffer on the stack: writing takes no memory. */
struct out {
	int fd;
	int err; /* the first write's error; what follows is skipped */
	size_t used;
	char buf[4096];
};

static void write_all(struct out *o, const char *p, size_t len)
{
	while (len > 0 && !o->err) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			o->err = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void flush(struct out *o)
{
	write_all(o, o->buf, o->used);
	o->used = 0;
}

static void put(struct out *o, const char *p, size_t len)
{
	if (len > sizeof(o->buf) - o->used) {
		flush(o);
		if (len > sizeof(o->buf)) {
			write_all(o, p, len);
			return;
		}
	}
	memcpy(o->buf + o->used, p, len);
	o->used += len;
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Lines of names (63 at most) and numbers: they fit. */
	if (n > 0)
		put(o, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* What get_id() reads. */
static void put_id(struct out *o, const struct mf_file_id *id)
{
	putf(o, "%ju %ju %jd %jd.%09ld %jd.%09ld %jo %ju", (uintmax_t)id->dev,
	     (uintmax_t)id->ino, (intmax_t)id->size, (intmax_t)id->mtime.tv_sec,
	     id->mtime.tv_nsec, (intmax_t)id->ctime.tv_sec, id->ctime.tv_nsec,
	     (uintmax_t)id->mode, (uintmax_t)id->uid);
}

static void put_record(struct out *o, const struct mf_modcache_rec *r)
{
	put(o, r->name, strlen(r->name));
	put(o, " ", 1);
	put_id(o, &r->id);
	putf(o, " %zu %ju\n", r->image ? r->image_len : 0,
	     (uintmax_t)(r->image ? mf_manifest_image_sum(r->image, r->image_len) : 0));
	put(o, r->text, (size_t)r->id.size);
	put(o, "\n", 1);
	if (r->image)
		put(o, r->image, r->image_len);
	put(o, "\n", 1);
}

int mf_modcache_write(const char *path, const char *dir,
		      const struct mf_file_id *listing,
		      const struct mf_modcache_rec *recs, size_t n, char *why,
		      size_t whylen)
{
	struct out o = { .fd = -1 };
	char tmp[PATH_MAX];
	int err;

	for (size_t i = 1; i < n; i++)
		if (strcmp(recs[i - 1].name, recs[i].name) >= 0) {
			/* The loader would refuse the file: keep the old one. */
			snprintf(why, whylen, "%s: records out of order, not written", path);
			return -EINVAL;
		}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto err_say;
	}
	/* O_EXCL and O_NOFOLLOW: never write through a file put in the way.
	 * One of this name can only be left by a process of this pid that
	 * died writing it. */
	o.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (o.fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		o.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (o.fd < 0) {
		err = -errno;
		goto err_say;
	}
	putf(&o, "%s%d %ju\n%zu %zu ", MAGIC, VERSION,
	     (uintmax_t)mf_manifest_image_layout(), n, strlen(dir));
	put(&o, dir, strlen(dir));
	put(&o, "\n", 1);
	if (listing)
		put_id(&o, listing);
	else
		put(&o, "-", 1);
	put(&o, "\n", 1);
	for (size_t i = 0; i < n; i++)
		put_record(&o, &recs[i]);
	flush(&o);
	err = o.err;
	/*
	 * On the disk before the name: after a power cut the name is the old
	 * file or the whole new one, never a new file with blocks missing,
	 * whose holes could be taken for a manifest's text.  Writes are rare
	 * (a refresh that read a manifest that changed), boots are not.  The
	 * directory is not synced: losing the rename leaves the old cache,
	 * whose records are checked against the files anyway.
	 */
	if (!err && fsync(o.fd) < 0)
		err = -errno;
	if (close(o.fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		goto err_tmp;
	return 0;

err_tmp:
	unlink(tmp);
err_say:
	snprintf(why, whylen, "%s: cannot write it: %s (the manifests are read "
		 "from their files until it can be)", path, strerror(-err));
	return err;
}
