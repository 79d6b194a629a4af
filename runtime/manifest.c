/* SPDX-License-Identifier: MIT */
/*
 * Manifest format v1 parser (see docs/manifest.md for the format).
 *
 * Why a hand-written parser and not inih or another INI library:
 *  - every mistake must come out as one precise "PATH:LINE: reason", with
 *    rules a generic INI reader does not know (which keys repeat, which
 *    values are names, priorities only in [provides], a module that uses
 *    itself);
 *  - a NUL byte or an overlong line must be an error at its own line, never
 *    a silently cut or merged line, which is what a fixed-buffer reader does;
 *  - the same file links into the host generator and into a static musl
 *    image, so it may depend on nothing but the C library.
 * inih was considered: it cuts lines longer than its buffer, accepts inline
 * comments and multi-line values by default, reports a line number without a
 * reason, and would still need all of the checks below.
 *
 * Shape: parse_line() cuts the buffer into lines and checks what holds for
 * every line (NUL, length, control characters); handle_line() trims, skips
 * comments, switches sections and hands "key=value" to one handler per
 * section.  The first error stops the parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <manifold/manifest.h>

/* Biggest manifest mf_manifest_load() reads: far above any real one. */
#define MANIFEST_FILE_MAX (1024 * 1024)
/* Longest module name, as for the registry's fixed-size name fields. */
#define MODULE_NAME_MAX 63
#define LOAD_PRIORITY_MAX 255

enum section {
	SEC_NONE,
	SEC_MODULE,
	SEC_USES,
	SEC_CANUSE,
	SEC_PROVIDES,
	SEC_COUNT,
};

static const char *const section_names[SEC_COUNT] = {
	[SEC_MODULE] = "module",
	[SEC_USES] = "uses",
	[SEC_CANUSE] = "canuse",
	[SEC_PROVIDES] = "provides",
};

/* Keys of [module]; the order is the one of module_keys[] below. */
enum module_key {
	KEY_NAME,
	KEY_CHECKSUM,
	KEY_SUPPORT_LEVEL,
	KEY_LOAD_PRIORITY,
	KEY_EXPORT_GLOBALS,
	KEY_CONFIG,
	KEY_DESCRIPTION,
	KEY_COUNT,
};

static const struct {
	const char *name;
	bool repeatable;
} module_keys[KEY_COUNT] = {
	[KEY_NAME] = {"name", false},
	[KEY_CHECKSUM] = {"checksum", false},
	[KEY_SUPPORT_LEVEL] = {"support_level", false},
	[KEY_LOAD_PRIORITY] = {"load_priority", false},
	[KEY_EXPORT_GLOBALS] = {"export_globals", false},
	[KEY_CONFIG] = {"config", true},
	[KEY_DESCRIPTION] = {"description", false},
};

static const char *const support_level_names[] = {
	[MF_SUPPORT_CORE] = "core",
	[MF_SUPPORT_EXTENDED] = "extended",
	[MF_SUPPORT_DEPRECATED] = "deprecated",
	[MF_SUPPORT_EXTERNAL] = "external",
};
#define N_SUPPORT_LEVELS (sizeof(support_level_names) / sizeof(support_level_names[0]))

static const struct {
	const char *name;
	unsigned prio;
} load_priority_names[] = {
	{"realtime_depend", MF_PRIO_REALTIME_DEPEND},
	{"realtime_depend2", MF_PRIO_REALTIME_DEPEND2},
	{"realtime_driver", MF_PRIO_REALTIME_DRIVER},
	{"timing", MF_PRIO_TIMING},
	{"channel_depend", MF_PRIO_CHANNEL_DEPEND},
	{"channel_driver", MF_PRIO_CHANNEL_DRIVER},
	{"app_depend", MF_PRIO_APP_DEPEND},
	{"devstate_provider", MF_PRIO_DEVSTATE_PROVIDER},
	{"devstate_plugin", MF_PRIO_DEVSTATE_PLUGIN},
	{"cdr_driver", MF_PRIO_CDR_DRIVER},
	{"default", MF_PRIO_DEFAULT},
	{"devstate_consumer", MF_PRIO_DEVSTATE_CONSUMER},
};
#define N_LOAD_PRIORITIES (sizeof(load_priority_names) / sizeof(load_priority_names[0]))

struct parser {
	const char *path;
	struct mf_manifest *m;
	char *err;
	size_t errlen;
	unsigned line;		     /* current line, 1-based; 0 before the first */
	enum section section;	     /* section of the current line */
	unsigned section_line[SEC_COUNT]; /* header line of each section seen */
	bool have_key[KEY_COUNT];    /* [module] keys seen so far */
};

/* Always returns -EINVAL so that handlers can "return fail(p, ...)". */
__attribute__((format(printf, 3, 4))) static int
fail_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->path, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

static int fail_nomem(struct parser *p)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%u: out of memory", p->path,
			 p->line);
	return -ENOMEM;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c, bool lower_only)
{
	if (is_digit(c) || (c >= 'a' && c <= 'f'))
		return true;
	return !lower_only && c >= 'A' && c <= 'F';
}

/* Printable ASCII other than space: what names and file names are made of. */
static bool is_graph(char c)
{
	return c > ' ' && c < 0x7f;
}

/* Strip blanks at both ends, in place; returns the new start. */
static char *trim(char *s)
{
	size_t len;

	while (is_blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* Decimal digits only (no sign, no blanks) and at most @max. */
static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (!is_digit(*s))
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static bool valid_module_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MODULE_NAME_MAX)
		return false;
	if (!is_lower(s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!is_lower(*s) && !is_digit(*s) && *s != '_')
			return false;
	return true;
}

static int check_module_name(struct parser *p, const char *s)
{
	size_t len = strlen(s);

	if (valid_module_name(s))
		return 0;
	if (len > 3 && strcmp(s + len - 3, ".so") == 0)
		return fail(p, "bad module name '%s' (drop the '.so')", s);
	return fail(p,
		    "bad module name '%s' (want [a-z0-9_], starting with a "
		    "letter or '_', at most %d characters)",
		    s, MODULE_NAME_MAX);
}

/* "sha256:" and 64 lower-case hex digits, or 32 hex digits (md5). */
static bool valid_checksum(const char *s)
{
	static const char sha[] = "sha256:";
	size_t want = 32, i;
	bool lower_only = false;

	if (strncmp(s, sha, sizeof(sha) - 1) == 0) {
		s += sizeof(sha) - 1;
		want = 64;
		lower_only = true;
	}
	for (i = 0; s[i]; i++)
		if (!is_hex(s[i], lower_only))
			return false;
	return i == want;
}

static bool valid_config_name(const char *s)
{
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!is_graph(*s) || *s == '/')
			return false;
	return true;
}

static bool valid_type(const char *s)
{
	if (!is_lower(*s))
		return false;
	for (s++; *s; s++)
		if (!is_lower(*s) && !is_digit(*s) && *s != '_')
			return false;
	return true;
}

/* A name in [uses], [canuse], [provides]; ':' is taken by the priority. */
static bool valid_ref_name(const char *s)
{
	for (; *s; s++)
		if (!is_graph(*s) || *s == '=' || *s == ':')
			return false;
	return true;
}

static int parse_bool(const char *s, bool *out)
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

const char *mf_support_level_name(enum mf_support_level level)
{
	if ((unsigned)level >= N_SUPPORT_LEVELS)
		return NULL;
	return support_level_names[level];
}

int mf_support_level_parse(const char *word, enum mf_support_level *out)
{
	size_t i;

	for (i = 0; i < N_SUPPORT_LEVELS; i++) {
		if (strcmp(word, support_level_names[i]) == 0) {
			*out = (enum mf_support_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int mf_load_priority_parse(const char *word, unsigned *out)
{
	size_t i;

	for (i = 0; i < N_LOAD_PRIORITIES; i++) {
		if (strcmp(word, load_priority_names[i].name) == 0) {
			*out = load_priority_names[i].prio;
			return 0;
		}
	}
	return parse_uint(word, LOAD_PRIORITY_MAX, out);
}

const char *mf_load_priority_name(unsigned prio)
{
	size_t i;

	for (i = 0; i < N_LOAD_PRIORITIES; i++)
		if (load_priority_names[i].prio == prio)
			return load_priority_names[i].name;
	return NULL;
}

static int ref_list_add(struct mf_ref_list *list, const char *type,
			const char *name, unsigned priority, unsigned line)
{
	struct mf_ref *items, *ref;
	char *t, *n;

	t = strdup(type);
	if (!t)
		goto err;
	n = strdup(name);
	if (!n)
		goto err_type;
	/* Lists hold tens of entries: growing one at a time is fine. */
	items = realloc(list->items, (list->count + 1) * sizeof(*items));
	if (!items)
		goto err_name;
	list->items = items;
	ref = &list->items[list->count++];
	ref->type = t;
	ref->name = n;
	ref->priority = priority;
	ref->line = line;
	return 0;

err_name:
	free(n);
err_type:
	free(t);
err:
	return -ENOMEM;
}

static int config_add(struct mf_manifest *m, const char *value)
{
	char **configs;
	char *c;

	c = strdup(value);
	if (!c)
		goto err;
	configs = realloc(m->configs, (m->n_configs + 1) * sizeof(*configs));
	if (!configs)
		goto err_config;
	m->configs = configs;
	m->configs[m->n_configs++] = c;
	return 0;

err_config:
	free(c);
err:
	return -ENOMEM;
}

/* Replace *slot by a copy of @value. */
static int set_string(struct parser *p, char **slot, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return fail_nomem(p);
	free(*slot);
	*slot = s;
	return 0;
}

static int handle_module_key(struct parser *p, const char *key,
			     const char *value)
{
	struct mf_manifest *m = p->m;
	enum module_key k;
	size_t i;

	for (k = 0; k < KEY_COUNT; k++)
		if (strcmp(key, module_keys[k].name) == 0)
			break;
	if (k == KEY_COUNT)
		return fail(p, "unknown key '%s' in [module]", key);
	if (p->have_key[k] && !module_keys[k].repeatable)
		return fail(p, "duplicate key '%s'", key);
	p->have_key[k] = true;

	switch (k) {
	case KEY_NAME:
		if (check_module_name(p, value) < 0)
			return -EINVAL;
		return set_string(p, &m->name, value);
	case KEY_CHECKSUM:
		if (!valid_checksum(value))
			return fail(p,
				    "bad checksum '%s' (want sha256:<64 "
				    "lower-case hex digits> or 32 hex digits)",
				    value);
		return set_string(p, &m->checksum, value);
	case KEY_SUPPORT_LEVEL:
		if (mf_support_level_parse(value, &m->support_level) < 0)
			return fail(p,
				    "bad support_level '%s' (want core, "
				    "extended, deprecated or external)",
				    value);
		return 0;
	case KEY_LOAD_PRIORITY:
		if (mf_load_priority_parse(value, &m->load_priority) < 0)
			return fail(p,
				    "bad load_priority '%s' (want a level name "
				    "or 0..%d)",
				    value, LOAD_PRIORITY_MAX);
		return 0;
	case KEY_EXPORT_GLOBALS:
		if (parse_bool(value, &m->export_globals) < 0)
			return fail(p,
				    "bad boolean '%s' for export_globals (want "
				    "yes, no, true, false, 1 or 0)",
				    value);
		return 0;
	case KEY_CONFIG:
		if (!valid_config_name(value))
			return fail(p, "bad config file name '%s'", value);
		for (i = 0; i < m->n_configs; i++)
			if (strcmp(m->configs[i], value) == 0)
				return fail(p, "duplicate config '%s'", value);
		if (config_add(m, value) < 0)
			return fail_nomem(p);
		return 0;
	case KEY_DESCRIPTION:
		return set_string(p, &m->description, value);
	case KEY_COUNT:
		break;
	}
	return fail(p, "unknown key '%s' in [module]", key);
}

/* One "type=name" (or, in [provides], "type=name:priority") line. */
static int handle_ref(struct parser *p, char *type, char *value)
{
	const char *sec = section_names[p->section];
	struct mf_ref_list *list;
	unsigned priority = 0;
	char *colon;
	size_t i;

	switch (p->section) {
	case SEC_USES:
		list = &p->m->uses;
		break;
	case SEC_CANUSE:
		list = &p->m->canuse;
		break;
	default:
		list = &p->m->provides;
		break;
	}

	if (!valid_type(type))
		return fail(p, "bad type '%s'", type);
	colon = strchr(value, ':');
	if (colon) {
		if (p->section != SEC_PROVIDES)
			return fail(p, "priority not allowed in [%s]", sec);
		*colon = '\0';
		if (parse_uint(colon + 1, MF_PRIORITY_MAX, &priority) < 0)
			return fail(p, "bad priority '%s' (want 0..%d)",
				    colon + 1, MF_PRIORITY_MAX);
		if (*value == '\0')
			return fail(p, "missing name before ':'");
	}
	if (strcmp(type, "module") == 0) {
		if (check_module_name(p, value) < 0)
			return -EINVAL;
	} else if (!valid_ref_name(value)) {
		return fail(p, "bad name '%s' for type '%s'", value, type);
	}
	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i].type, type) == 0 &&
		    strcmp(list->items[i].name, value) == 0)
			return fail(p, "duplicate entry '%s=%s' in [%s]", type,
				    value, sec);
	if (ref_list_add(list, type, value, priority, p->line) < 0)
		return fail_nomem(p);
	return 0;
}

static int handle_section_header(struct parser *p, char *s)
{
	size_t len = strlen(s);
	enum section sec;
	char *name;

	if (len < 2 || s[len - 1] != ']')
		return fail(p, "bad section header");
	s[len - 1] = '\0';
	name = trim(s + 1);
	if (*name == '\0' || strchr(name, '[') || strchr(name, ']'))
		return fail(p, "bad section header");
	for (sec = SEC_MODULE; sec < SEC_COUNT; sec++)
		if (strcmp(name, section_names[sec]) == 0)
			break;
	if (sec == SEC_COUNT)
		return fail(p, "unknown section '%s'", name);
	if (p->section_line[sec])
		return fail(p, "duplicate section '%s'", name);
	p->section_line[sec] = p->line;
	p->section = sec;
	return 0;
}

/* @s: one line, NUL-terminated, free of control characters. */
static int handle_line(struct parser *p, char *s)
{
	char *eq, *key, *value;

	s = trim(s);
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[')
		return handle_section_header(p, s);
	if (p->section == SEC_NONE)
		return fail(p, "text before the first section");

	eq = strchr(s, '=');
	if (!eq)
		return fail(p, "missing '='");
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (*key == '\0')
		return fail(p, "empty key");
	if (*value == '\0')
		return fail(p, "empty value for '%s'", key);

	if (p->section == SEC_MODULE)
		return handle_module_key(p, key, value);
	return handle_ref(p, key, value);
}

/*
 * Check what holds for every line, then hand a terminated copy to
 * handle_line().  @len excludes the '\n'; a '\r' before it is part of the
 * terminator.
 */
static int parse_line(struct parser *p, const char *line, size_t len)
{
	char copy[MF_MANIFEST_LINE_MAX + 1];
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len))
		return fail(p, "NUL byte");
	if (len > MF_MANIFEST_LINE_MAX)
		return fail(p, "line too long (%zu bytes, max %d)", len,
			    MF_MANIFEST_LINE_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return fail(p, "control character 0x%02x", c);
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	return handle_line(p, copy);
}

/* Checks that need the whole file. */
static int check_complete(struct parser *p)
{
	const struct mf_manifest *m = p->m;
	size_t i;

	if (!p->section_line[SEC_MODULE])
		return fail_at(p, 0, "missing [module] section");
	if (!m->name)
		return fail_at(p, p->section_line[SEC_MODULE],
			       "missing [module] name");
	for (i = 0; i < m->uses.count; i++) {
		const struct mf_ref *r = &m->uses.items[i];

		if (strcmp(r->type, "module") == 0 &&
		    strcmp(r->name, m->name) == 0)
			return fail_at(p, r->line, "module uses itself");
	}
	for (i = 0; i < m->canuse.count; i++) {
		const struct mf_ref *r = &m->canuse.items[i];

		if (strcmp(r->type, "module") == 0 &&
		    strcmp(r->name, m->name) == 0)
			return fail_at(p, r->line,
				       "module lists itself in [canuse]");
	}
	return 0;
}

int mf_manifest_parse(const char *path, const char *buf, size_t len,
		      struct mf_manifest **out, char *err, size_t errlen)
{
	struct parser p = {.path = path, .err = err, .errlen = errlen};
	size_t off = 0, n;
	const char *nl;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	p.m = calloc(1, sizeof(*p.m));
	if (!p.m) {
		r = fail_nomem(&p);
		goto err;
	}
	p.m->support_level = MF_SUPPORT_CORE;
	p.m->load_priority = MF_PRIO_DEFAULT;
	p.m->path = strdup(path);
	if (!p.m->path) {
		r = fail_nomem(&p);
		goto err_manifest;
	}

	/* A final line without '\n' is still a line; "" has no line at all. */
	while (off < len) {
		nl = memchr(buf + off, '\n', len - off);
		n = nl ? (size_t)(nl - (buf + off)) : len - off;
		p.line++;
		r = parse_line(&p, buf + off, n);
		if (r < 0)
			goto err_manifest;
		off += n + 1;
	}
	r = check_complete(&p);
	if (r < 0)
		goto err_manifest;

	*out = p.m;
	return 0;

err_manifest:
	mf_manifest_free(p.m);
err:
	return r;
}

static void ref_list_free(struct mf_ref_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		free(list->items[i].type);
		free(list->items[i].name);
	}
	free(list->items);
}

void mf_manifest_free(struct mf_manifest *m)
{
	size_t i;

	if (!m)
		return;
	ref_list_free(&m->uses);
	ref_list_free(&m->canuse);
	ref_list_free(&m->provides);
	for (i = 0; i < m->n_configs; i++)
		free(m->configs[i]);
	free(m->configs);
	free(m->description);
	free(m->checksum);
	free(m->name);
	free(m->path);
	free(m);
}

static int io_error(const char *path, int errnum, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(errnum));
	return -errnum;
}

static int too_large(const char *path, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: file too large (max %d bytes)", path,
			 MANIFEST_FILE_MAX);
	return -EFBIG;
}

int mf_manifest_load(const char *path, struct mf_manifest **out, char *err,
		     size_t errlen)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, r;

	*out = NULL;
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
	if (S_ISREG(st.st_mode) && st.st_size > MANIFEST_FILE_MAX) {
		r = too_large(path, err, errlen);
		goto err_fd;
	}
	/*
	 * st_size is only a hint (the file may change, or not be a regular
	 * file): read to the end, one byte past the limit to notice excess.
	 */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf) {
		r = io_error(path, ENOMEM, err, errlen);
		goto err_fd;
	}
	for (;;) {
		if (len == cap) {
			char *bigger;

			if (cap > MANIFEST_FILE_MAX) {
				r = too_large(path, err, errlen);
				goto err_buf;
			}
			cap = cap * 2 > MANIFEST_FILE_MAX + 1 ?
				      MANIFEST_FILE_MAX + 1 :
				      cap * 2;
			bigger = realloc(buf, cap);
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
	if (len > MANIFEST_FILE_MAX) {
		r = too_large(path, err, errlen);
		goto err_buf;
	}
	r = mf_manifest_parse(path, buf, len, out, err, errlen);

err_buf:
	free(buf);
err_fd:
	close(fd);
err:
	return r;
}
