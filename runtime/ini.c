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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "ini.h"

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
	if (ini->err && ini->errlen)
		snprintf(ini->err, ini->errlen, "%s:%u: out of memory",
			 ini->path, ini->line);
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

bool mf_ini_name_is_module(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MF_INI_MODULE_NAME_MAX)
		return false;
	if (!is_lower(s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!is_lower(*s) && !is_digit(*s) && *s != '_')
			return false;
	return true;
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

/* Strip blanks at both ends, in place; returns the new start. */
static char *trim(char *s)
{
	size_t len;

	while (mf_ini_is_blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && mf_ini_is_blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* trim() of the @*len bytes at @s, which end the string: *len follows. */
static char *trim_len(char *s, size_t *len)
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

static int handle_section_header(struct mf_ini *ini, char *s)
{
	size_t len = strlen(s);
	char *name;
	int r;

	if (len < 2 || s[len - 1] != ']')
		return mf_ini_fail(ini, "bad section header");
	s[len - 1] = '\0';
	name = trim(s + 1);
	if (*name == '\0' || strchr(name, '[') || strchr(name, ']'))
		return mf_ini_fail(ini, "bad section header");
	r = ini->section(ini, name);
	if (r < 0)
		return r;
	ini->in_section = true;
	return 0;
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
		return handle_section_header(ini, s);
	if (!ini->in_section)
		return mf_ini_fail(ini, "text before the first section");

	eq = memchr(s, '=', len);
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
	key = trim_len(s, &klen);
	value = trim_len(value, &vlen);
	if (*key == '\0')
		return mf_ini_fail(ini, "empty key");
	if (*value == '\0')
		return mf_ini_fail(ini, "empty value for '%s'", key);
	return ini->entry(ini, key, value);
}

/* A terminated copy of a line known to be valid, to handle_line(). */
static int take_line(struct mf_ini *ini, const char *line, size_t len)
{
	char copy[MF_INI_LINE_MAX + 1];

	if (len > MF_INI_LINE_MAX)
		return mf_ini_fail(ini, "line too long (%zu bytes, max %d)", len,
				   MF_INI_LINE_MAX);
	memcpy(copy, line, len);
	copy[len] = '\0';
	return handle_line(ini, copy, len);
}

/*
 * Check what holds for every line, then hand it to take_line().  @len
 * excludes the '\n'; a '\r' before it is part of the terminator.  The
 * checks come in the order of their messages' precedence: a NUL byte
 * anywhere, then the length, then the first control character.
 */
static int check_line(struct mf_ini *ini, const char *line, size_t len)
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
	return take_line(ini, line, len);
}

/* Not a byte of a line's text: a terminator, or an error check_line() names. */
static bool is_special(unsigned char c)
{
	return (c < ' ' && c != '\t') || c == 0x7f;
}

int mf_ini_parse(struct mf_ini *ini, const char *buf, size_t len)
{
	const char *end = buf + len, *p = buf, *q, *nl;
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
		for (q = p; q < end && !is_special((unsigned char)*q); q++)
			;
		if (q == end || *q == '\n') {
			r = take_line(ini, p, (size_t)(q - p));
			p = q == end ? end : q + 1;
		} else if (*q == '\r' && (q + 1 == end || q[1] == '\n')) {
			r = take_line(ini, p, (size_t)(q - p));
			p = q + 1 == end ? end : q + 2;
		} else {
			nl = memchr(q, '\n', (size_t)(end - q));
			r = check_line(ini, p, (size_t)((nl ? nl : end) - p));
			p = nl ? nl + 1 : end;
		}
		if (r < 0)
			return r;
	}
	return 0;
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
