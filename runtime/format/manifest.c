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
 * Shape: the line reader shared with modules.conf and extconfig.conf
 * (ini.c) cuts the buffer into lines, checks what holds for every line (NUL,
 * length, control characters), skips comments and splits headers and
 * "key=value"; this file knows the sections and keys: handle_section() and
 * handle_entry(), with one handler per section.  The first error stops the
 * parse.  Manifests take none of ini.c's Asterisk extras: "a ; b" is a value.
 *
 * Memory: every string and array of a parsed manifest is its own
 * allocation, as in one built by hand, so mf_manifest_free() frees both
 * the same way.  Plain strcmp() and small tables: a parse of a small
 * manifest costs under a microsecond (docs/performance.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>

#include "util/alloc.h"
#include "format/ini.h"

/* Biggest manifest mf_manifest_load() reads: far above any real one. */
#define MANIFEST_FILE_MAX (1024 * 1024)
#define LOAD_PRIORITY_MAX 255

enum section {
	SEC_NONE,
	SEC_MODULE,
	SEC_USES,
	SEC_CANUSE,
	SEC_PROVIDES,
	SEC_REQUIRES,
	SEC_MENU,
	SEC_COUNT,
};

static const char *const section_names[SEC_COUNT] = {
	[SEC_MODULE] = "module",
	[SEC_USES] = "uses",
	[SEC_CANUSE] = "canuse",
	[SEC_PROVIDES] = "provides",
	[SEC_REQUIRES] = "requires",
	[SEC_MENU] = "menu",
};

/* Keys of [menu] and what their values are; only conflict repeats. */
enum menu_value { MENU_YES_NO, MENU_MODULE, MENU_VERSION };
static const struct {
	const char *name;
	enum menu_value value;
	bool repeatable;
} menu_keys[] = {
	{"default", MENU_YES_NO, false},
	{"conflict", MENU_MODULE, true},
	{"replacement", MENU_MODULE, false},
	{"deprecated_in", MENU_VERSION, false},
	{"removed_in", MENU_VERSION, false},
};
#define N_MENU_KEYS (sizeof(menu_keys) / sizeof(menu_keys[0]))

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
	{"default", MF_PRIO_DEFAULT}, /* first: nearly every manifest's */
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
	{"devstate_consumer", MF_PRIO_DEVSTATE_CONSUMER},
};
#define N_LOAD_PRIORITIES (sizeof(load_priority_names) / sizeof(load_priority_names[0]))

/* Blanks inside a name are its own ("Queue Add Member"); ini.c trims the ends. */
static bool ref_byte(char c)
{
	return c >= ' ' && c < 0x7f && c != '=' && c != ':';
}

/* A version ("21"): printable, no blank, '=' or ':'. */
static bool version_byte(char c)
{
	return ref_byte(c) && c != ' ';
}

static bool all_bytes(const char *s, bool (*ok)(char))
{
	for (; *s; s++)
		if (!ok(*s))
			return false;
	return true;
}

struct parser {
	struct mf_ini ini;	  /* path, err, current line */
	struct mf_manifest *m;	  /* the manifest as read so far */
	enum section section;	  /* section of the current line */
	unsigned section_line[SEC_COUNT]; /* header line of each section seen */
	bool have_key[KEY_COUNT]; /* [module] keys seen so far */
	size_t list_cap[SEC_COUNT]; /* room in each section's list */
	size_t configs_cap;
};

/* fail_at() and fail() return -EINVAL: handlers "return fail(p, ...)". */
#define fail_at(p, line, ...) mf_ini_fail_at(&(p)->ini, (line), __VA_ARGS__)
#define fail(p, ...) mf_ini_fail(&(p)->ini, __VA_ARGS__)
#define fail_nomem(p) mf_ini_nomem(&(p)->ini)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
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

/* Room for one more of the *@cap elements of @size at *@items. */
static int grow(void **items, size_t count, size_t *cap, size_t size)
{
	size_t n = *cap ? *cap * 2 : 4;
	void *p;

	if (count < *cap)
		return 0;
	p = mf_realloc(*items, n * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = n;
	return 0;
}

static int check_module_name(struct parser *p, const char *s)
{
	size_t len;

	if (mf_ini_name_is_module(s))
		return 0;
	len = strlen(s);
	if (len > 3 && strcmp(s + len - 3, ".so") == 0)
		return fail(p, "bad module name '%s' (drop the '.so')", s);
	return fail(p,
		    "bad module name '%s' (want [a-z0-9_], starting with a "
		    "letter or '_', at most %d characters)",
		    s, MF_INI_MODULE_NAME_MAX);
}

static bool is_hex(char c, bool upper_too)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') ||
	       (upper_too && c >= 'A' && c <= 'F');
}

/* "sha256:" and 64 lower-case hex digits, or 32 hex digits (md5). */
static bool valid_checksum(const char *s)
{
	static const char sha[] = "sha256:";
	size_t want = 32, i;
	bool upper_too = true;

	if (strncmp(s, sha, sizeof(sha) - 1) == 0) {
		s += sizeof(sha) - 1;
		want = 64;
		upper_too = false;
	}
	for (i = 0; s[i]; i++)
		if (!is_hex(s[i], upper_too))
			return false;
	return i == want;
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
		if (strcmp(support_level_names[i], word) == 0) {
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
		if (strcmp(load_priority_names[i].name, word) == 0) {
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

/* *@field = a copy of @value. */
static int set_string(struct parser *p, char **field, const char *value)
{
	*field = mf_strdup(value);
	return *field ? 0 : fail_nomem(p);
}

static int config_add(struct parser *p, const char *value)
{
	struct mf_manifest *m = p->m;

	if (grow((void **)&m->configs, m->n_configs, &p->configs_cap,
		 sizeof(*m->configs)) < 0 ||
	    set_string(p, &m->configs[m->n_configs], value) < 0)
		return fail_nomem(p);
	m->n_configs++;
	return 0;
}

static int handle_module_key(struct parser *p, const char *key, char *value)
{
	struct mf_manifest *m = p->m;
	enum module_key k;
	size_t i;

	for (k = 0; k < KEY_COUNT; k++)
		if (strcmp(module_keys[k].name, key) == 0)
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
		if (mf_ini_parse_bool(value, &m->export_globals) < 0)
			return fail(p,
				    "bad boolean '%s' for export_globals (want "
				    "yes, no, true, false, 1 or 0)",
				    value);
		return 0;
	case KEY_CONFIG:
		if (!mf_ini_name_is_file(value))
			return fail(p, "bad config file name '%s'", value);
		for (i = 0; i < m->n_configs; i++)
			if (strcmp(m->configs[i], value) == 0)
				return fail(p, "duplicate config '%s'", value);
		return config_add(p, value);
	case KEY_DESCRIPTION:
		return set_string(p, &m->description, value);
	case KEY_COUNT:
		break;
	}
	return fail(p, "unknown key '%s' in [module]", key);
}

static struct mf_ref_list *section_list(struct mf_manifest *m,
					enum section sec)
{
	switch (sec) {
	case SEC_USES:
		return &m->uses;
	case SEC_CANUSE:
		return &m->canuse;
	case SEC_REQUIRES:
		return &m->requires;
	case SEC_MENU:
		return &m->menu;
	default:
		return &m->provides;
	}
}

/* The current section's list gets type=name (copies of both). */
static int ref_add(struct parser *p, const char *type, const char *name,
		   unsigned priority)
{
	struct mf_ref_list *list = section_list(p->m, p->section);
	struct mf_ref *ref;

	if (grow((void **)&list->items, list->count,
		 &p->list_cap[p->section], sizeof(*list->items)) < 0)
		return fail_nomem(p);
	ref = &list->items[list->count];
	*ref = (struct mf_ref){.type = mf_strdup(type),
			       .name = mf_strdup(name),
			       .priority = priority,
			       .line = p->ini.line};
	if (!ref->type || !ref->name) {
		mf_free(ref->type);
		mf_free(ref->name);
		return fail_nomem(p);
	}
	list->count++;
	return 0;
}

/* One "type=name" (or, in [provides], "type=name:priority") line. */
static int handle_ref(struct parser *p, char *type, char *value)
{
	const char *sec = section_names[p->section];
	const struct mf_ref_list *list = section_list(p->m, p->section);
	bool module = strcmp(type, "module") == 0;
	unsigned priority = 0;
	char *colon;
	size_t i;

	if (!module && !mf_ini_name_is_type(type))
		return fail(p, "bad type '%s'", type);
	/* No name holds a ':': the first one starts the priority. */
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
	if (module) {
		if (check_module_name(p, value) < 0)
			return -EINVAL;
	} else if (!all_bytes(value, ref_byte)) {
		return fail(p, "bad name '%s' for type '%s'", value, type);
	}
	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i].name, value) == 0 &&
		    strcmp(list->items[i].type, type) == 0)
			return fail(p, "duplicate entry '%s=%s' in [%s]", type,
				    value, sec);
	return ref_add(p, type, value, priority);
}

/* One [menu] line: a known key, its value of the key's kind. */
static int handle_menu(struct parser *p, char *key, char *value)
{
	const struct mf_ref_list *menu = &p->m->menu;
	size_t i, k;
	bool yes;

	for (k = 0; k < N_MENU_KEYS; k++)
		if (strcmp(menu_keys[k].name, key) == 0)
			break;
	if (k == N_MENU_KEYS)
		return fail(p, "unknown key '%s' in [menu]", key);
	for (i = 0; i < menu->count; i++)
		if (strcmp(menu->items[i].type, key) == 0 &&
		    (!menu_keys[k].repeatable ||
		     strcmp(menu->items[i].name, value) == 0))
			return fail(p, "duplicate key '%s'", key);
	switch (menu_keys[k].value) {
	case MENU_YES_NO:
		if (mf_ini_parse_bool(value, &yes) < 0)
			return fail(p, "bad boolean '%s' for %s (want yes or no)",
				    value, key);
		break;
	case MENU_MODULE:
		if (check_module_name(p, value) < 0)
			return -EINVAL;
		break;
	case MENU_VERSION:
		if (!all_bytes(value, version_byte))
			return fail(p, "bad version '%s' for %s", value, key);
		break;
	}
	return ref_add(p, key, value, 0);
}

static int handle_section(struct mf_ini *ini, char *name)
{
	struct parser *p = ini->data;
	enum section sec;

	for (sec = SEC_MODULE; sec < SEC_COUNT; sec++)
		if (strcmp(section_names[sec], name) == 0)
			break;
	if (sec == SEC_COUNT)
		return fail(p, "unknown section '%s'", name);
	if (p->section_line[sec])
		return fail(p, "duplicate section '%s'", name);
	p->section_line[sec] = ini->line;
	p->section = sec;
	return 0;
}

/* @key, @value: trimmed and non-empty, inside a section. */
static int handle_entry(struct mf_ini *ini, char *key, char *value)
{
	struct parser *p = ini->data;

	if (p->section == SEC_MODULE)
		return handle_module_key(p, key, value);
	if (p->section == SEC_MENU)
		return handle_menu(p, key, value);
	return handle_ref(p, key, value);
}

/* The line of the first "module=<m's name>" in @list, or 0. */
static unsigned find_self(const struct mf_manifest *m,
			  const struct mf_ref_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i].name, m->name) == 0 &&
		    strcmp(list->items[i].type, "module") == 0)
			return list->items[i].line;
	return 0;
}

/* Checks that need the whole file. */
static int check_complete(struct parser *p)
{
	unsigned line;

	if (!p->section_line[SEC_MODULE])
		return fail_at(p, 0, "missing [module] section");
	if (!p->m->name)
		return fail_at(p, p->section_line[SEC_MODULE],
			       "missing [module] name");
	line = find_self(p->m, &p->m->uses);
	if (line)
		return fail_at(p, line, "module uses itself");
	line = find_self(p->m, &p->m->canuse);
	if (line)
		return fail_at(p, line, "module lists itself in [canuse]");
	return 0;
}

int mf_manifest_parse(const char *path, const char *buf, size_t len,
		      struct mf_manifest **out, char *err, size_t errlen)
{
	struct parser p = {
		.ini = {.path = path,
			.err = err,
			.errlen = errlen,
			.section = handle_section,
			.entry = handle_entry},
	};
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	p.ini.data = &p;
	p.m = mf_calloc(1, sizeof(*p.m));
	if (!p.m || !(p.m->path = mf_strdup(path))) {
		r = fail_nomem(&p);
		goto fail;
	}
	p.m->support_level = MF_SUPPORT_CORE;
	p.m->load_priority = MF_PRIO_DEFAULT;

	r = mf_ini_parse(&p.ini, buf, len);
	if (r == 0)
		r = check_complete(&p);
	if (r < 0)
		goto fail;
	*out = p.m;
	return 0;

fail:
	mf_manifest_free(p.m);
	return r;
}

int mf_manifest_set_checksum(struct mf_manifest *m, const char *checksum)
{
	char *copy = NULL;

	if (checksum) {
		copy = mf_strdup(checksum);
		if (!copy)
			return -ENOMEM;
	}
	mf_free(m->checksum);
	m->checksum = copy;
	return 0;
}

static void ref_list_free(struct mf_ref_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		mf_free(list->items[i].type);
		mf_free(list->items[i].name);
	}
	mf_free(list->items);
}

/* Every string and array is its own allocation, parsed or built by hand. */
void mf_manifest_free(struct mf_manifest *m)
{
	size_t i;

	if (!m)
		return;
	ref_list_free(&m->uses);
	ref_list_free(&m->canuse);
	ref_list_free(&m->provides);
	ref_list_free(&m->requires);
	ref_list_free(&m->menu);
	for (i = 0; i < m->n_configs; i++)
		mf_free(m->configs[i]);
	mf_free(m->configs);
	mf_free(m->description);
	mf_free(m->checksum);
	mf_free(m->name);
	mf_free(m->path);
	mf_free(m);
}

int mf_manifest_load(const char *path, struct mf_manifest **out, char *err,
		     size_t errlen)
{
	size_t len;
	char *buf;
	int r;

	*out = NULL;
	r = mf_ini_read_file(path, MANIFEST_FILE_MAX, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	r = mf_manifest_parse(path, buf, len, out, err, errlen);
	mf_free(buf);
	return r;
}
