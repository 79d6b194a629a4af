/* SPDX-License-Identifier: MIT */
/*
 * The shared line reader of manifests, modules.conf and extconfig.conf.
 *
 * Shape: mf_ini_parse() cuts the buffer into lines; check_line() refuses what
 * no format accepts (a NUL byte, an overlong line, control characters) at
 * the line where it is, never cutting or merging lines (a valid line costs
 * one scan, which finds its end and its validity together); handle_line() trims,
 * skips comments, parses "[name]" headers and splits "key=value", then hands
 * the pieces to the format's callbacks.  The first error stops the parse.
 *
 * The formats differ only in the flags of <ini.h>: manifests are strict (a
 * ';' inside a value is text), the administrator's files follow Asterisk's
 * habits (inline comments, "key => value").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "format/ini.h"

int mf_ini_fail_at(const struct mf_ini *ini, unsigned line, const char *fmt,
		   ...)
{
	va_list ap;
	int n;

	if (!ini->err || ini->errlen == 0)
		return -EINVAL;
	n = snprintf(ini->err, ini->errlen, "%s:%u: ", ini->path, line);
	if (n < 0 || (size_t)n >= ini->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ini->err + n, ini->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int mf_ini_nomem(const struct mf_ini *ini)
{
	/* Line 0: before the first line or after the last, no line's doing. */
	if (ini->err && ini->errlen && ini->line)
		snprintf(ini->err, ini->errlen, "%s:%u: out of memory",
			 ini->path, ini->line);
	else if (ini->err && ini->errlen)
		snprintf(ini->err, ini->errlen, "%s: out of memory", ini->path);
	return -ENOMEM;
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One pass: every module reference of every manifest comes through here. */
bool mf_ini_name_is_module(const char *s)
{
	const char *start = s;

	if (!is_lower(s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!is_lower(*s) && !is_digit(*s) && *s != '_')
			return false;
	return s - start <= MF_INI_MODULE_NAME_MAX;
}

bool mf_ini_name_is_type(const char *s)
{
	if (!is_lower(*s))
		return false;
	for (s++; *s; s++)
		if (!is_lower(*s) && !is_digit(*s) && *s != '_')
			return false;
	return true;
}

bool mf_ini_name_is_file(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!mf_ini_is_graph(*s) || *s == '/')
			return false;
	return true;
}

int mf_ini_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "1"};
	static const char *const no[] = {"no", "false", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* The 8 bytes at @p, the first one lowest whatever the machine's order. */
static inline uint64_t load_le64(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	/* Compilers make this one load (and a swap where needed). */
	return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 |
	       (uint64_t)u[3] << 24 | (uint64_t)u[4] << 32 |
	       (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 |
	       (uint64_t)u[7] << 56;
}

/*
 * Word-at-a-time byte tests: the high bit of each byte of @w that is below
 * @c (at most 0x80), or that equals @c.  A borrow only starts at a byte
 * that passes, so the lowest bit set is exact (the ones above it may not
 * be), and first_byte() of a non-zero result is the first byte that
 * passes.  A word of plain text, nearly every word of a real file, costs a
 * few operations instead of eight tests.
 */
#define BYTES_ONES (UINT64_MAX / 0xff)
#define BYTES_HIGHS (BYTES_ONES * 0x80)

static inline uint64_t bytes_below(uint64_t w, unsigned char c)
{
	return (w - BYTES_ONES * c) & ~w & BYTES_HIGHS;
}

static inline uint64_t bytes_equal(uint64_t w, unsigned char c)
{
	return bytes_below(w ^ (BYTES_ONES * c), 1);
}

static inline size_t first_byte(uint64_t hits)
{
	return (size_t)__builtin_ctzll(hits) / 8;
}

/*
 * Strip blanks at both ends of the @*len bytes at @s, in place, and
 * terminate what is left: returns its start, *len its length.
 */
static inline char *trim_len(char *s, size_t *len)
{
	size_t n = *len;

	while (n > 0 && mf_ini_is_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && mf_ini_is_blank(s[n - 1]))
		n--;
	s[n] = '\0';
	*len = n;
	return s;
}

/*
 * Asterisk's directives start with '#' like our comments; refusing them
 * beats ignoring an include the administrator counts on.
 */
static int check_directive(struct mf_ini *ini, const char *s)
{
	static const char *const directives[] = {"include", "tryinclude",
						 "exec"};
	size_t i, len;

	len = strcspn(s + 1, " \t\"<");
	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (strlen(directives[i]) == len &&
		    strncmp(s + 1, directives[i], len) == 0)
			return mf_ini_fail(ini, "'#%s' is not supported",
					   directives[i]);
	return 0;
}

/*
 * End the text at the first ';' that follows a blank, and turn "\;" into
 * ';', in place.  "a;b" keeps its ';': only " ;" starts a comment.
 */
static void cut_inline_comment(char *s)
{
	bool after_blank = false;
	char *w = s;
	const char *r;

	for (r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == ';') {
			*w++ = ';';
			r++;
			after_blank = false;
			continue;
		}
		if (*r == ';' && after_blank)
			break;
		after_blank = mf_ini_is_blank(*r);
		*w++ = *r;
	}
	*w = '\0';
}

/* @s: the line's @len bytes, trimmed, starting with '['. */
static int handle_section_header(struct mf_ini *ini, char *s, size_t len)
{
	char *name;
	size_t i;
	int r;

	if (len < 2 || s[len - 1] != ']')
		return mf_ini_fail(ini, "bad section header");
	len -= 2;
	name = trim_len(s + 1, &len);
	if (len == 0)
		return mf_ini_fail(ini, "bad section header");
	for (i = 0; i < len; i++)
		if (name[i] == '[' || name[i] == ']')
			return mf_ini_fail(ini, "bad section header");
	ini->key_len = len;
	r = ini->section(ini, name);
	if (r < 0)
		return r;
	ini->in_section = true;
	return 0;
}

/* The first '=' of the @len bytes at @s, or NULL. */
static char *find_eq(char *s, size_t len)
{
	char *end = s + len;
	uint64_t hits;

	for (; end - s >= 8; s += 8) {
		hits = bytes_equal(load_le64(s), '=');
		if (hits)
			return s + first_byte(hits);
	}
	for (; s < end; s++)
		if (*s == '=')
			return s;
	return NULL;
}

/*
 * @s: one line of @len bytes, NUL-terminated, free of control characters.
 * Lengths are carried along rather than measured again: a manifest's lines
 * are read at every boot.
 */
static int handle_line(struct mf_ini *ini, char *s, size_t len)
{
	char *eq, *key, *value;
	size_t klen, vlen;
	int r;

	s = trim_len(s, &len);
	if (*s == '#' && (ini->flags & MF_INI_REFUSE_DIRECTIVES)) {
		r = check_directive(ini, s);
		if (r < 0)
			return r;
	}
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (ini->flags & MF_INI_INLINE_COMMENTS) {
		cut_inline_comment(s);
		len = strlen(s);
		s = trim_len(s, &len);
	}
	if (*s == '[')
		return handle_section_header(ini, s, len);
	if (!ini->in_section)
		return mf_ini_fail(ini, "text before the first section");

	eq = find_eq(s, len);
	if (!eq)
		return mf_ini_fail(ini, "missing '='");
	*eq = '\0';
	klen = (size_t)(eq - s);
	value = eq + 1;
	vlen = len - klen - 1;
	if ((ini->flags & MF_INI_ARROW) && *value == '>') {
		value++;
		vlen--;
	}
	/* The line is trimmed: the key's start and the value's end are. */
	key = s;
	while (klen > 0 && mf_ini_is_blank(key[klen - 1]))
		klen--;
	key[klen] = '\0';
	while (vlen > 0 && mf_ini_is_blank(*value)) {
		value++;
		vlen--;
	}
	if (*key == '\0')
		return mf_ini_fail(ini, "empty key");
	if (*value == '\0')
		return mf_ini_fail(ini, "empty value for '%s'", key);
	ini->key_len = klen;
	ini->value_len = vlen;
	return ini->entry(ini, key, value);
}

/*
 * A terminated copy of a valid line, to handle_line().  Apart from
 * take_line() so that an in-place parse does not carry the buffer on its
 * stack.
 */
__attribute__((noinline)) static int take_copy(struct mf_ini *ini,
					       const char *line, size_t len)
{
	char copy[MF_INI_LINE_MAX + 1];

	memcpy(copy, line, len);
	copy[len] = '\0';
	return handle_line(ini, copy, len);
}

/*
 * A line known to be valid but for its length, to handle_line(): cut in
 * place when @wline (the same line in a writable buffer) is given, else
 * copied.  The byte after the line is its terminator, or the one past the
 * end of an in-place buffer, so terminating it there loses no text.
 */
static inline int take_line(struct mf_ini *ini, const char *line,
			    size_t len, char *wline)
{
	if (len > MF_INI_LINE_MAX)
		return mf_ini_fail(ini, "line too long (%zu bytes, max %d)", len,
				   MF_INI_LINE_MAX);
	if (!wline)
		return take_copy(ini, line, len);
	wline[len] = '\0';
	return handle_line(ini, wline, len);
}

/*
 * Check what holds for every line, then hand it to take_line().  @len
 * excludes the '\n'; a '\r' before it is part of the terminator.  The
 * checks come in the order of their messages' precedence: a NUL byte
 * anywhere, then the length, then the first control character.
 */
static int check_line(struct mf_ini *ini, const char *line, size_t len,
		      char *wline)
{
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len))
		return mf_ini_fail(ini, "NUL byte");
	if (len > MF_INI_LINE_MAX)
		return mf_ini_fail(ini, "line too long (%zu bytes, max %d)", len,
				   MF_INI_LINE_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return mf_ini_fail(ini, "control character 0x%02x", c);
	}
	return take_line(ini, line, len, wline);
}

/* Not a byte of a line's text: a terminator, or an error check_line() names. */
static bool is_special(unsigned char c)
{
	return (c < ' ' && c != '\t') || c == 0x7f;
}

/* The first byte of [q, end) that is_special(), or @end. */
static const char *scan_text(const char *q, const char *end)
{
	uint64_t w, hits;

	while (end - q >= 8) {
		w = load_le64(q);
		hits = bytes_below(w, ' ') | bytes_equal(w, 0x7f);
		if (!hits) {
			q += 8;
			continue;
		}
		q += first_byte(hits);
		if (is_special((unsigned char)*q))
			return q;
		q++; /* a tab */
	}
	for (; q < end; q++)
		if (is_special((unsigned char)*q))
			return q;
	return end;
}

/* @wbuf: NULL, or @buf's writable twin for an in-place parse. */
static int parse(struct mf_ini *ini, const char *buf, size_t len, char *wbuf)
{
	const char *end = buf + len, *p = buf, *q, *nl;
	char *wline;
	int r;

	ini->line = 0;
	ini->in_section = false;
	/*
	 * One pass a line: the scan for its end stops at the first byte that
	 * is not text.  A '\n', or a '\r' ending the line, ends a valid line;
	 * anything else is an error, which check_line() finds and words.
	 * A final line without '\n' is still a line; "" has no line at all.
	 */
	while (p < end) {
		ini->line++;
		wline = wbuf ? wbuf + (p - buf) : NULL;
		q = scan_text(p, end);
		if (q == end || *q == '\n') {
			r = take_line(ini, p, (size_t)(q - p), wline);
			p = q == end ? end : q + 1;
		} else if (*q == '\r' && (q + 1 == end || q[1] == '\n')) {
			r = take_line(ini, p, (size_t)(q - p), wline);
			p = q + 1 == end ? end : q + 2;
		} else {
			nl = memchr(q, '\n', (size_t)(end - q));
			r = check_line(ini, p, (size_t)((nl ? nl : end) - p), wline);
			p = nl ? nl + 1 : end;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int mf_ini_parse(struct mf_ini *ini, const char *buf, size_t len)
{
	return parse(ini, buf, len, NULL);
}

int mf_ini_parse_in_place(struct mf_ini *ini, char *buf, size_t len)
{
	return parse(ini, buf, len, buf);
}

static int io_error(const char *path, int errnum, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(errnum));
	return -errnum;
}

static int too_large(const char *path, size_t max, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: file too large (max %zu bytes)", path,
			 max);
	return -EFBIG;
}

int mf_ini_read_file(const char *path, size_t max, char **out, size_t *out_len,
		     char *err, size_t errlen)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, r;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = io_error(path, errno, err, errlen);
		goto err;
	}
	if (fstat(fd, &st) < 0) {
		r = io_error(path, errno, err, errlen);
		goto err_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		r = io_error(path, EISDIR, err, errlen);
		goto err_fd;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
		r = too_large(path, max, err, errlen);
		goto err_fd;
	}
	/*
	 * st_size is only a hint (the file may change, or not be a regular
	 * file): read to the end, one byte past the limit to notice excess.
	 */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = mf_malloc(cap);
	if (!buf) {
		r = io_error(path, ENOMEM, err, errlen);
		goto err_fd;
	}
	for (;;) {
		if (len == cap) {
			char *bigger;

			if (cap > max) {
				r = too_large(path, max, err, errlen);
				goto err_buf;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			bigger = mf_realloc(buf, cap);
			if (!bigger) {
				r = io_error(path, ENOMEM, err, errlen);
				goto err_buf;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = io_error(path, errno, err, errlen);
			goto err_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		r = too_large(path, max, err, errlen);
		goto err_buf;
	}
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;

err_buf:
	mf_free(buf);
err_fd:
	close(fd);
err:
	return r;
}
