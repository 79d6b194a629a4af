// SPDX-License-Identifier: MIT
/*
 * The module index file (modindex.h).  Version 1 is lines of text, so that
 * an administrator can read it with less(1):
 *
 *   manifold-index 1
 *   checks uid <N> | checks none
 *   directory-mtime <19 digits>.<9 digits>
 *   # comment lines (starting with '#') may come between records
 *   module <name> <size>
 *   <size bytes: the text of <name>.manifest>
 *   <an empty line>
 *   ...
 *   end <number of modules>
 *
 * The checks line says which owner and mode checks the manifests passed
 * (mf_modindex_checks()): owned by root or uid N and writable by no one
 * else, or none.  The directory-mtime line is the directory's mtime just
 * after the index was renamed into it, written into the index in place
 * after the rename (fixed width for that); all zeros until then.  Records
 * come in strict name order (no name twice); a manifest's text is
 * held as bytes, whatever lines it has, so no escaping is needed.  The
 * "end" line tells a whole index from a truncated one.  Anything else is
 * refused with the line it was found at: the index is only ever derived
 * from the directory, and one that cannot be read is rebuilt from it.
 */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "loadable/modindex.h"

struct cursor {
	char *p, *end;
	unsigned line;
	const char *path;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct cursor *c, const char *fmt, ...)
{
	int n = snprintf(c->why, c->whylen, "%s:%u: ", c->path, c->line);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->whylen)
		vsnprintf(c->why + n, c->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The next line, NUL-terminated in place; NULL at the end of the buffer. */
static char *next_line(struct cursor *c)
{
	char *line = c->p, *nl;

	if (c->p >= c->end)
		return NULL;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (!nl)
		return NULL; /* a last line without its '\n': truncated */
	*nl = '\0';
	c->p = nl + 1;
	c->line++;
	return line;
}

/* A decimal number that is all of @s, at most @max. */
static bool number(const char *s, size_t max, size_t *out)
{
	size_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (size_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (size_t)(*s - '0');
	}
	*out = v;
	return true;
}

#define MTIME_KEY "directory-mtime "
#define MTIME_FMT MTIME_KEY "%019jd.%09ld\n"
#define MTIME_LEN (sizeof(MTIME_KEY) - 1 + 19 + 1 + 9 + 1)

/* "directory-mtime S.N", 19 and 9 digits; all zeros: not known. */
static bool parse_mtime(const char *line, struct mf_modindex *ix)
{
	const char *p = line + sizeof(MTIME_KEY) - 1;
	long long sec = 0;
	long nsec = 0;

	if (strncmp(line, MTIME_KEY, sizeof(MTIME_KEY) - 1) != 0 ||
	    strlen(line) != MTIME_LEN - 1 || p[19] != '.')
		return false;
	for (int i = 0; i < 29; i++) {
		if (i == 19)
			continue;
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (i < 19)
			sec = sec * 10 + (p[i] - '0');
		else
			nsec = nsec * 10 + (p[i] - '0');
	}
	if (nsec > 999999999)
		return false;
	ix->dir_mtime = (struct timespec){ .tv_sec = (time_t)sec, .tv_nsec = nsec };
	ix->dir_known = sec || nsec;
	return true;
}

static int add_rec(struct mf_modindex *ix, size_t *cap, const struct mf_modindex_rec *r)
{
	if (ix->n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct mf_modindex_rec *p = c < SIZE_MAX / sizeof(*p) ?
						    mf_realloc(ix->recs, c * sizeof(*p)) : NULL;

		if (!p)
			return -ENOMEM;
		ix->recs = p;
		*cap = c;
	}
	ix->recs[ix->n++] = *r;
	return 0;
}

/* "module NAME SIZE" and the text after it, at @line. */
static int parse_record(struct cursor *c, struct mf_modindex *ix, size_t *cap,
			char *line)
{
	struct mf_modindex_rec r = { .line = c->line };
	char *name = line + strlen("module "), *size = strchr(name, ' ');

	if (!size)
		return bad(c, "'module %s': expected 'module NAME SIZE'", name);
	*size++ = '\0';
	if (!mf_file_name_ok(name))
		return bad(c, "'%s' is not a module name (a-z, 0-9 and _, at most 63)",
			   name);
	if (ix->n && strcmp(ix->recs[ix->n - 1].name, name) >= 0)
		return bad(c, "module %s: out of name order, or named twice", name);
	if (!number(size, MF_MODINDEX_TEXT_MAX, &r.len))
		return bad(c, "module %s: '%s' is not a size of at most %d bytes",
			   name, size, MF_MODINDEX_TEXT_MAX);
	if ((size_t)(c->end - c->p) < r.len + 1 || c->p[r.len] != '\n')
		return bad(c, "module %s: its text ends before its size (a truncated "
			   "index)", name);
	r.name = name;
	r.text = c->p;
	for (size_t i = 0; i < r.len; i++)
		if (c->p[i] == '\n')
			c->line++;
	c->p += r.len + 1;
	c->line++;
	return add_rec(ix, cap, &r);
}

int mf_modindex_parse(char *buf, size_t len, const char *path,
		      struct mf_modindex *ix, char *why, size_t whylen)
{
	struct cursor c = { buf, buf + len, 0, path, why, whylen };
	char head[64], *line;
	size_t cap = 0, count;
	int err;

	*ix = (struct mf_modindex){ 0 };
	snprintf(head, sizeof(head), "%s %d", MF_MODINDEX_MAGIC, MF_MODINDEX_VERSION);
	line = next_line(&c);
	if (!line) {
		c.line = 1;
		return bad(&c, "not a module index (no first line '%s')", head);
	}
	if (strcmp(line, head) != 0) {
		if (strncmp(line, MF_MODINDEX_MAGIC " ", sizeof(MF_MODINDEX_MAGIC)) == 0)
			return bad(&c, "'%s': another version of the index format "
				   "(this image reads " MF_MODINDEX_MAGIC " 1)", line);
		return bad(&c, "not a module index (it does not begin '%s')", head);
	}
	line = next_line(&c);
	if (!line || strncmp(line, "checks ", 7) != 0 ||
	    !(strcmp(line + 7, "none") == 0 || strncmp(line + 7, "uid ", 4) == 0)) {
		if (!line)
			c.line++;
		return bad(&c, "expected 'checks uid N' or 'checks none'");
	}
	ix->checks = line + 7;
	line = next_line(&c);
	if (!line || !parse_mtime(line, ix)) {
		if (!line)
			c.line++;
		return bad(&c, "expected 'directory-mtime SECONDS.NANOSECONDS'");
	}
	while ((line = next_line(&c))) {
		if (line[0] == '#')
			continue;
		if (strncmp(line, "module ", 7) == 0) {
			err = parse_record(&c, ix, &cap, line);
			if (err)
				goto fail;
			continue;
		}
		if (strncmp(line, "end ", 4) == 0) {
			if (!number(line + 4, SIZE_MAX, &count) || count != ix->n) {
				err = bad(&c, "'%s': not the number of modules above", line);
				goto fail;
			}
			if (c.p != c.end) {
				c.line++;
				err = bad(&c, "%s", "text after the 'end' line");
				goto fail;
			}
			return 0;
		}
		err = bad(&c, "'%.60s': expected 'module NAME SIZE' or 'end COUNT'", line);
		goto fail;
	}
	c.line++;
	err = bad(&c, "%s", "the index ends without its 'end' line (a truncated index)");
fail:
	mf_modindex_fini(ix);
	return err;
}

void mf_modindex_fini(struct mf_modindex *ix)
{
	mf_free(ix->recs);
	*ix = (struct mf_modindex){ 0 };
}

/* ---- writing ----------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

const char *mf_modindex_checks(char *buf, size_t len, bool perm_checks, unsigned uid)
{
	if (perm_checks)
		snprintf(buf, len, "uid %u", uid);
	else
		snprintf(buf, len, "none");
	return buf;
}

/* Output gathered into blocks: one write() per 64 KB, not three a record. */
struct out {
	int fd, err;
	size_t used;
	char buf[65536];
};

static void put(struct out *o, const char *p, size_t len)
{
	while (len && !o->err) {
		size_t n = sizeof(o->buf) - o->used < len ? sizeof(o->buf) - o->used : len;

		memcpy(o->buf + o->used, p, n);
		o->used += n;
		p += n;
		len -= n;
		if (o->used == sizeof(o->buf)) {
			o->err = write_all(o->fd, o->buf, o->used);
			o->used = 0;
		}
	}
}

/* The records, with the directory-mtime line all zeros at *@mtime_at. */
static int write_records(int fd, const char *checks,
			 const struct mf_modindex_rec *recs, size_t n, off_t *mtime_at)
{
	struct out *o = mf_malloc(sizeof(*o));
	char line[256];
	int err, at;

	if (!o)
		return -ENOMEM;
	o->fd = fd;
	o->err = 0;
	o->used = 0;
	at = snprintf(line, sizeof(line), "%s %d\nchecks %.40s\n", MF_MODINDEX_MAGIC,
		      MF_MODINDEX_VERSION, checks);
	*mtime_at = at;
	snprintf(line + at, sizeof(line) - (size_t)at, MTIME_FMT "# The module index "
		 "of this directory: written by manifold-gen index or the image; do "
		 "not edit.\n", (intmax_t)0, 0L);
	put(o, line, strlen(line));
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "module %s %zu\n", recs[i].name, recs[i].len);
		put(o, line, strlen(line));
		put(o, recs[i].text, recs[i].len);
		put(o, "\n", 1);
	}
	snprintf(line, sizeof(line), "end %zu\n", n);
	put(o, line, strlen(line));
	err = o->err ? o->err : write_all(fd, o->buf, o->used);
	mf_free(o);
	return err;
}

int mf_modindex_write(const char *dir, const char *checks,
		      const struct mf_modindex_rec *recs, size_t n, struct stat *dir_st, struct stat *index_st,
		      char *why, size_t whylen)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	const char *step = "cannot write it";
	struct stat st;
	off_t mtime_at = 0;
	int fd, dfd, err;

	if (snprintf(path, sizeof(path), "%s/" MF_MODINDEX_NAME, dir) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/." MF_MODINDEX_NAME ".XXXXXX", dir) >=
		    (int)sizeof(tmp)) {
		snprintf(why, whylen, "%s/" MF_MODINDEX_NAME ": %s", dir,
			 strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/* mkostemp() made it 0600: anyone may read an index, as a manifest. */
	err = fchmod(fd, 0644) < 0 ? -errno :
	      write_records(fd, checks, recs, n, &mtime_at);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err && rename(tmp, path) < 0) {
		err = -errno;
		step = "cannot put it in place";
	}
	if (err) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	/* The directory as the rename left it, into the index in place.
	 * Asked for now, so that (on a kernel with fine-grained timestamps,
	 * Linux 6.13 on) a later change of it gets another mtime.  Should
	 * this fail, the index says "not known": read the directory. */
	if (stat(dir, &st) == 0) {
		char stamp[MTIME_LEN + 1];

		snprintf(stamp, sizeof(stamp), MTIME_FMT, (intmax_t)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec);
		if (pwrite(fd, stamp, MTIME_LEN, mtime_at) != (ssize_t)MTIME_LEN ||
		    fsync(fd) < 0)
			err = -errno ? -errno : -EIO;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		goto fail;
	/* The rename itself lasts once the directory is on the disk too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	if (dir_st && stat(dir, dir_st) < 0)
		dir_st->st_mode = 0;
	if (index_st && lstat(path, index_st) < 0)
		index_st->st_mode = 0;
	return 0;

fail:
	snprintf(why, whylen, "%s: %s: %s", path, step, strerror(-err));
	return err;
}
