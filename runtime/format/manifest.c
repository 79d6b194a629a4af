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
 * Cost: every manifest of the module directory is parsed at every boot,
 * where it was the largest cost of a loadable boot.  So the text is cut in
 * place (in a copy on the stack) and the manifest's strings stay where
 * they were read; the whole manifest, with its arrays and that text, moves
 * into one allocation at the end (finish()).  Lookups and checks use the
 * lengths ini.c measured and compare a word at a time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>

#include "util/alloc.h"
#include "format/ini.h"
#include "format/manifest_block.h"

/* Biggest manifest mf_manifest_load() reads: far above any real one. */
#define MANIFEST_FILE_MAX (1024 * 1024)
#define LOAD_PRIORITY_MAX 255

/* A word of a table, with its length for the lookups. */
struct word {
	const char *s;
	size_t len;
};
#define WORD(s) {s, sizeof(s) - 1}

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

static const struct word section_names[SEC_COUNT] = {
	[SEC_MODULE] = WORD("module"),
	[SEC_USES] = WORD("uses"),
	[SEC_CANUSE] = WORD("canuse"),
	[SEC_PROVIDES] = WORD("provides"),
	[SEC_REQUIRES] = WORD("requires"),
	[SEC_MENU] = WORD("menu"),
};

/* Keys of [menu] and what their values are; only conflict repeats. */
enum menu_value { MENU_YES_NO, MENU_MODULE, MENU_VERSION };
static const struct {
	struct word name;
	enum menu_value value;
	bool repeatable;
} menu_keys[] = {
	{WORD("default"), MENU_YES_NO, false},
	{WORD("conflict"), MENU_MODULE, true},
	{WORD("replacement"), MENU_MODULE, false},
	{WORD("deprecated_in"), MENU_VERSION, false},
	{WORD("removed_in"), MENU_VERSION, false},
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
	struct word name;
	bool repeatable;
} module_keys[KEY_COUNT] = {
	[KEY_NAME] = {WORD("name"), false},
	[KEY_CHECKSUM] = {WORD("checksum"), false},
	[KEY_SUPPORT_LEVEL] = {WORD("support_level"), false},
	[KEY_LOAD_PRIORITY] = {WORD("load_priority"), false},
	[KEY_EXPORT_GLOBALS] = {WORD("export_globals"), false},
	[KEY_CONFIG] = {WORD("config"), true},
	[KEY_DESCRIPTION] = {WORD("description"), false},
};

static const struct word support_level_names[] = {
	[MF_SUPPORT_CORE] = WORD("core"),
	[MF_SUPPORT_EXTENDED] = WORD("extended"),
	[MF_SUPPORT_DEPRECATED] = WORD("deprecated"),
	[MF_SUPPORT_EXTERNAL] = WORD("external"),
};
#define N_SUPPORT_LEVELS (sizeof(support_level_names) / sizeof(support_level_names[0]))

static const struct {
	struct word name;
	unsigned prio;
} load_priority_names[] = {
	{WORD("default"), MF_PRIO_DEFAULT}, /* first: nearly every manifest's */
	{WORD("realtime_depend"), MF_PRIO_REALTIME_DEPEND},
	{WORD("realtime_depend2"), MF_PRIO_REALTIME_DEPEND2},
	{WORD("realtime_driver"), MF_PRIO_REALTIME_DRIVER},
	{WORD("timing"), MF_PRIO_TIMING},
	{WORD("channel_depend"), MF_PRIO_CHANNEL_DEPEND},
	{WORD("channel_driver"), MF_PRIO_CHANNEL_DRIVER},
	{WORD("app_depend"), MF_PRIO_APP_DEPEND},
	{WORD("devstate_provider"), MF_PRIO_DEVSTATE_PROVIDER},
	{WORD("devstate_plugin"), MF_PRIO_DEVSTATE_PLUGIN},
	{WORD("cdr_driver"), MF_PRIO_CDR_DRIVER},
	{WORD("devstate_consumer"), MF_PRIO_DEVSTATE_CONSUMER},
};
#define N_LOAD_PRIORITIES (sizeof(load_priority_names) / sizeof(load_priority_names[0]))

/*
 * Classes of the bytes of names (byte_class[c] & C_*): one load a byte in
 * the loops that check every name of every manifest.
 */
enum {
	C_MODULE = 1 << 0, /* in a module name: [a-z0-9_] */
	C_REF = 1 << 1,	   /* in another name: printable, not '=' or ':' */
	C_WORD = 1 << 2,   /* in a version: printable, no blank, '=' or ':' */
};
#define MODULE_BYTE(c)                                                        \
	(((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || (c) == '_')
/* Blanks inside a name are its own ("Queue Add Member"); ini.c trims the ends. */
#define REF_BYTE(c) ((c) >= ' ' && (c) < 0x7f && (c) != '=' && (c) != ':')
#define WORD_BYTE(c) (REF_BYTE(c) && (c) != ' ')
#define CLASS_OF(c)                                                           \
	((MODULE_BYTE(c) ? C_MODULE : 0) | (REF_BYTE(c) ? C_REF : 0) |        \
	 (WORD_BYTE(c) ? C_WORD : 0))
#define CLASS_ROW(r)                                                          \
	CLASS_OF(r + 0), CLASS_OF(r + 1), CLASS_OF(r + 2), CLASS_OF(r + 3),   \
		CLASS_OF(r + 4), CLASS_OF(r + 5), CLASS_OF(r + 6),            \
		CLASS_OF(r + 7), CLASS_OF(r + 8), CLASS_OF(r + 9),            \
		CLASS_OF(r + 10), CLASS_OF(r + 11), CLASS_OF(r + 12),         \
		CLASS_OF(r + 13), CLASS_OF(r + 14), CLASS_OF(r + 15)
static const unsigned char byte_class[256] = {
	CLASS_ROW(0x00), CLASS_ROW(0x10), CLASS_ROW(0x20), CLASS_ROW(0x30),
	CLASS_ROW(0x40), CLASS_ROW(0x50), CLASS_ROW(0x60), CLASS_ROW(0x70),
	CLASS_ROW(0x80), CLASS_ROW(0x90), CLASS_ROW(0xa0), CLASS_ROW(0xb0),
	CLASS_ROW(0xc0), CLASS_ROW(0xd0), CLASS_ROW(0xe0), CLASS_ROW(0xf0),
};

/* Room on the parser's stack; a bigger manifest spills to the heap. */
#define TEXT_INLINE 1024
#define REFS_INLINE 16
#define CONFIGS_INLINE 8

/* A ref as the parser keeps it: with what the duplicate checks compare. */
struct item {
	struct mf_ref ref;
	uint64_t print; /* fingerprint() of the name */
};

struct room {
	char text[TEXT_INLINE];
	struct item refs[REFS_INLINE];
	char *configs[CONFIGS_INLINE];
};

struct parser {
	struct mf_ini ini;	     /* path, err, current line */
	/*
	 * The manifest as read so far.  Its strings point into text, which
	 * ini.c cuts in place; its lists and configs are collected below, and
	 * everything moves into the manifest's one block at the end (finish()).
	 */
	struct mf_manifest m;
	size_t name_len;	     /* of m.name */
	char *text;		     /* the input's writable copy */
	enum section section;	     /* section of the current line */
	unsigned section_line[SEC_COUNT]; /* header line of each section seen */
	bool have_key[KEY_COUNT];    /* [module] keys seen so far */
	/*
	 * Every section's refs in the order read.  No section repeats, so a
	 * list's refs are contiguous, from list_start[] of its section.
	 */
	struct item *refs;
	size_t n_refs, refs_cap;
	size_t list_start[SEC_COUNT];
	char **configs; /* m.n_configs of them */
	size_t configs_cap;
	struct room *room; /* where text, refs and configs start */
	struct mf_slab *slab; /* where the manifest's block goes; NULL: heap */
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

static inline uint64_t load64(const char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

static inline uint32_t load32(const char *s)
{
	uint32_t w;

	memcpy(&w, s, sizeof(w));
	return w;
}

/*
 * memcmp(a, b, n) == 0 for the short words of manifests, a word at a time
 * instead of a call and a byte at a time: the last load of each side may
 * overlap the one before it, and none reads outside the @n bytes.
 */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		for (; n > 8; a += 8, b += 8, n -= 8)
			if (load64(a) != load64(b))
				return false;
		return load64(a + n - 8) == load64(b + n - 8);
	}
	if (n >= 4)
		return load32(a) == load32(b) &&
		       load32(a + n - 4) == load32(b + n - 4);
	for (; n > 0; a++, b++, n--)
		if (*a != *b)
			return false;
	return true;
}

/*
 * strcmp(a, b) == 0 without the call, where the lengths are not at hand:
 * after fingerprints matched, and for configs (rare).
 */
static inline bool same_word(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* The @len bytes at @s are word @w. */
static inline bool is_word(const struct word *w, const char *s, size_t len)
{
	return w->len == len && same_bytes(s, w->s, len);
}

/* How many of the @len bytes at @s are of class @cls, from the start. */
static size_t class_span(const char *s, size_t len, unsigned char cls)
{
	size_t i;

	for (i = 0; i < len && (byte_class[(unsigned char)s[i]] & cls); i++)
		;
	return i;
}

/*
 * What mf_ini_name_is_module() says of the @len bytes at @s, @span of them
 * of class C_MODULE: the common case without a call.
 */
static bool module_name_ok(const char *s, size_t len, size_t span)
{
	return span == len && len > 0 && len <= MF_INI_MODULE_NAME_MAX &&
	       !is_digit(s[0]);
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

/*
 * The high bit of each byte of @w that is from @lo to @hi, all three below
 * 0x80: adding 0x80 - lo sets a byte's high bit exactly when it is at least
 * lo, adding 0x7f - hi when it is above hi, and neither carries into the
 * next byte.
 */
static inline uint64_t bytes_in(uint64_t w, unsigned char lo, unsigned char hi)
{
	const uint64_t ones = UINT64_MAX / 0xff;

	return (w + ones * (0x80u - lo)) & ~(w + ones * (0x7fu - hi)) &
	       (ones * 0x80);
}

/* The 8 bytes at @s are hex digits, lower-case unless @upper_too. */
static bool hex_word(const char *s, bool upper_too)
{
	const uint64_t highs = UINT64_MAX / 0xff * 0x80;
	uint64_t w = load64(s), digits;

	if (w & highs)
		return false;
	digits = bytes_in(w, '0', '9') | bytes_in(w, 'a', 'f');
	if (upper_too)
		digits |= bytes_in(w, 'A', 'F');
	return digits == highs;
}

/*
 * "sha256:" and 64 lower-case hex digits, or 32 hex digits (md5), in the
 * @len bytes at @s.  Eight digits at a time: a checksum is read at every
 * boot.
 */
static bool valid_checksum(const char *s, size_t len)
{
	static const char sha[] = "sha256:";
	size_t want = 32, i;
	bool upper_too = true;

	if (len >= sizeof(sha) - 1 && same_bytes(s, sha, sizeof(sha) - 1)) {
		s += sizeof(sha) - 1;
		len -= sizeof(sha) - 1;
		want = 64;
		upper_too = false;
	}
	if (len != want)
		return false;
	for (i = 0; i < len; i += 8)
		if (!hex_word(s + i, upper_too))
			return false;
	return true;
}

/*
 * A name's length and last 8 bytes, where names that share a prefix
 * differ: the duplicate checks compare these before the names, as a
 * module's [uses] may hold tens of names.
 */
static uint64_t fingerprint(const char *s, size_t len)
{
	uint64_t w = 0;
	size_t i;

	if (len >= 8)
		return load64(s + len - 8) ^ len;
	for (i = 0; i < len; i++)
		w = w << 8 | (unsigned char)s[i];
	return w ^ (uint64_t)len << 56;
}

const char *mf_support_level_name(enum mf_support_level level)
{
	if ((unsigned)level >= N_SUPPORT_LEVELS)
		return NULL;
	return support_level_names[level].s;
}

static int support_level_parse(const char *word, size_t len,
			       enum mf_support_level *out)
{
	size_t i;

	for (i = 0; i < N_SUPPORT_LEVELS; i++) {
		if (is_word(&support_level_names[i], word, len)) {
			*out = (enum mf_support_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int mf_support_level_parse(const char *word, enum mf_support_level *out)
{
	return support_level_parse(word, strlen(word), out);
}

static int load_priority_parse(const char *word, size_t len, unsigned *out)
{
	size_t i;

	for (i = 0; i < N_LOAD_PRIORITIES; i++) {
		if (is_word(&load_priority_names[i].name, word, len)) {
			*out = load_priority_names[i].prio;
			return 0;
		}
	}
	return parse_uint(word, LOAD_PRIORITY_MAX, out);
}

int mf_load_priority_parse(const char *word, unsigned *out)
{
	return load_priority_parse(word, strlen(word), out);
}

const char *mf_load_priority_name(unsigned prio)
{
	size_t i;

	for (i = 0; i < N_LOAD_PRIORITIES; i++)
		if (load_priority_names[i].prio == prio)
			return load_priority_names[i].name.s;
	return NULL;
}

static int config_add(struct parser *p, char *value)
{
	if (p->m.n_configs == p->configs_cap &&
	    mf_grow_inline((void **)&p->configs, &p->configs_cap,
			   p->room->configs, sizeof(*p->configs)) < 0)
		return fail_nomem(p);
	p->configs[p->m.n_configs++] = value;
	return 0;
}

/* @key, @value: of ini.key_len and ini.value_len bytes. */
static int handle_module_key(struct parser *p, const char *key, char *value)
{
	struct mf_manifest *m = &p->m;
	size_t len = p->ini.value_len, i;
	enum module_key k;

	for (k = 0; k < KEY_COUNT; k++)
		if (is_word(&module_keys[k].name, key, p->ini.key_len))
			break;
	if (k == KEY_COUNT)
		return fail(p, "unknown key '%s' in [module]", key);
	if (p->have_key[k] && !module_keys[k].repeatable)
		return fail(p, "duplicate key '%s'", key);
	p->have_key[k] = true;

	/* Strings stay in the text: the key's line is read only once. */
	switch (k) {
	case KEY_NAME:
		if (!module_name_ok(value, len,
				    class_span(value, len, C_MODULE)) &&
		    check_module_name(p, value) < 0)
			return -EINVAL;
		m->name = value;
		p->name_len = len;
		return 0;
	case KEY_CHECKSUM:
		if (!valid_checksum(value, len))
			return fail(p,
				    "bad checksum '%s' (want sha256:<64 "
				    "lower-case hex digits> or 32 hex digits)",
				    value);
		m->checksum = value;
		return 0;
	case KEY_SUPPORT_LEVEL:
		if (support_level_parse(value, len, &m->support_level) < 0)
			return fail(p,
				    "bad support_level '%s' (want core, "
				    "extended, deprecated or external)",
				    value);
		return 0;
	case KEY_LOAD_PRIORITY:
		if (load_priority_parse(value, len, &m->load_priority) < 0)
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
			if (same_word(p->configs[i], value))
				return fail(p, "duplicate config '%s'", value);
		return config_add(p, value);
	case KEY_DESCRIPTION:
		m->description = value;
		return 0;
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

static int ref_add(struct parser *p, struct mf_ref_list *list, char *type,
		   char *name, unsigned priority, uint64_t print)
{
	struct item *it;

	if (p->n_refs == p->refs_cap &&
	    mf_grow_inline((void **)&p->refs, &p->refs_cap, p->room->refs,
			   sizeof(*p->refs)) < 0)
		return fail_nomem(p);
	it = &p->refs[p->n_refs++];
	it->ref.type = type;
	it->ref.name = name;
	it->ref.priority = priority;
	it->ref.line = p->ini.line;
	it->print = print;
	list->count++;
	return 0;
}

/*
 * One "type=name" (or, in [provides], "type=name:priority") line; @type and
 * @value of ini.key_len and ini.value_len bytes.
 */
static int handle_ref(struct parser *p, char *type, char *value)
{
	const char *sec = section_names[p->section].s;
	struct mf_ref_list *list = section_list(&p->m, p->section);
	const struct item *items = p->refs + p->list_start[p->section];
	size_t len = p->ini.value_len, span, i;
	unsigned priority = 0;
	uint64_t print;
	char *colon;
	bool module;

	/* "module" is a type: the usual line skips the check. */
	module = p->ini.key_len == 6 && memcmp(type, "module", 6) == 0;
	if (!module && !mf_ini_name_is_type(type))
		return fail(p, "bad type '%s'", type);
	/*
	 * One pass finds the name's end and checks its bytes: no name holds a
	 * ':', so the first byte that is not a name's is the priority's ':',
	 * or an error and the ':' (if any) comes later.
	 */
	span = class_span(value, len, module ? C_MODULE : C_REF);
	if (span == len)
		colon = NULL;
	else if (value[span] == ':')
		colon = value + span;
	else
		colon = memchr(value + span, ':', len - span);
	if (colon) {
		if (p->section != SEC_PROVIDES)
			return fail(p, "priority not allowed in [%s]", sec);
		*colon = '\0';
		if (parse_uint(colon + 1, MF_PRIORITY_MAX, &priority) < 0)
			return fail(p, "bad priority '%s' (want 0..%d)",
				    colon + 1, MF_PRIORITY_MAX);
		if (*value == '\0')
			return fail(p, "missing name before ':'");
		len = (size_t)(colon - value);
	}
	if (module) {
		if (!module_name_ok(value, len, span) &&
		    check_module_name(p, value) < 0)
			return -EINVAL;
	} else if (span < len) {
		return fail(p, "bad name '%s' for type '%s'", value, type);
	}
	print = fingerprint(value, len);
	for (i = 0; i < list->count; i++)
		if (items[i].print == print &&
		    same_word(items[i].ref.name, value) &&
		    same_word(items[i].ref.type, type))
			return fail(p, "duplicate entry '%s=%s' in [%s]", type,
				    value, sec);
	return ref_add(p, list, type, value, priority, print);
}

/* One [menu] line: a known key, its value of the key's kind. */
static int handle_menu(struct parser *p, char *key, char *value)
{
	const struct item *items = p->refs + p->list_start[SEC_MENU];
	size_t len = p->ini.value_len, i, k;
	bool yes;

	for (k = 0; k < N_MENU_KEYS; k++)
		if (is_word(&menu_keys[k].name, key, p->ini.key_len))
			break;
	if (k == N_MENU_KEYS)
		return fail(p, "unknown key '%s' in [menu]", key);
	for (i = 0; i < p->m.menu.count; i++)
		if (same_word(items[i].ref.type, key) &&
		    (!menu_keys[k].repeatable ||
		     same_word(items[i].ref.name, value)))
			return fail(p, "duplicate key '%s'", key);
	switch (menu_keys[k].value) {
	case MENU_YES_NO:
		if (mf_ini_parse_bool(value, &yes) < 0)
			return fail(p, "bad boolean '%s' for %s (want yes or no)",
				    value, key);
		break;
	case MENU_MODULE:
		if (!module_name_ok(value, len,
				    class_span(value, len, C_MODULE)) &&
		    check_module_name(p, value) < 0)
			return -EINVAL;
		break;
	case MENU_VERSION:
		if (class_span(value, len, C_WORD) != len)
			return fail(p, "bad version '%s' for %s", value, key);
		break;
	}
	return ref_add(p, &p->m.menu, key, value, 0, fingerprint(value, len));
}

/* @name: a well-formed header's name, trimmed, of ini.key_len bytes. */
static int handle_section(struct mf_ini *ini, char *name)
{
	struct parser *p = ini->data;
	enum section sec;

	for (sec = SEC_MODULE; sec < SEC_COUNT; sec++)
		if (is_word(&section_names[sec], name, ini->key_len))
			break;
	if (sec == SEC_COUNT)
		return fail(p, "unknown section '%s'", name);
	if (p->section_line[sec])
		return fail(p, "duplicate section '%s'", name);
	p->section_line[sec] = ini->line;
	p->section = sec;
	p->list_start[sec] = p->n_refs;
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

/* The line of the first "module=<m's name>" in @sec's list, or 0. */
static unsigned find_self(struct parser *p, enum section sec, uint64_t print)
{
	const struct item *items = p->refs + p->list_start[sec];
	size_t i, n = section_list(&p->m, sec)->count;

	for (i = 0; i < n; i++)
		if (items[i].print == print &&
		    same_word(items[i].ref.name, p->m.name) &&
		    same_word(items[i].ref.type, "module"))
			return items[i].ref.line;
	return 0;
}

/* Checks that need the whole file. */
static int check_complete(struct parser *p)
{
	uint64_t print;
	unsigned line;

	if (!p->section_line[SEC_MODULE])
		return fail_at(p, 0, "missing [module] section");
	if (!p->m.name)
		return fail_at(p, p->section_line[SEC_MODULE],
			       "missing [module] name");
	print = fingerprint(p->m.name, p->name_len);
	line = find_self(p, SEC_USES, print);
	if (line)
		return fail_at(p, line, "module uses itself");
	line = find_self(p, SEC_CANUSE, print);
	if (line)
		return fail_at(p, line, "module lists itself in [canuse]");
	return 0;
}

/* Where string @s of the parser's text is in the block's copy @text. */
static char *moved(const struct parser *p, char *text, char *s)
{
	return s ? text + (s - p->text) : NULL;
}

static void move_list(struct mf_ref_list *list, struct block *b, size_t start)
{
	list->items = list->count ? b->refs + start : NULL;
}

/*
 * Move the manifest into one block, so that a parse costs one allocation
 * whatever the manifest holds: the struct, its refs and configs, the text
 * its strings point into and the path.  Strings are not copied one by one:
 * the text is, with the terminators ini.c wrote into it.
 */
static int finish(struct parser *p, size_t len, struct mf_manifest **out)
{
	size_t path_size = strlen(p->ini.path) + 1, i, size;
	size_t arrays = p->n_refs * sizeof(struct mf_ref) +
			p->m.n_configs * sizeof(char *);
	struct mf_manifest *m;
	struct block *b;
	char **configs, *text;

	/* Past the last line: a failure here is no line's doing. */
	p->ini.line = 0;
	/* The arrays and the text are in memory already: this never trips. */
	if (len > SIZE_MAX - sizeof(*b) - arrays - path_size - 1)
		return fail_nomem(p);
	size = sizeof(*b) + arrays + len + 1 + path_size;
	b = p->slab ? mf_slab_alloc(p->slab, size) : mf_malloc(size);
	if (!b)
		return fail_nomem(p);
	configs = (char **)(b->refs + p->n_refs);
	text = (char *)(configs + p->m.n_configs);
	if (len)
		memcpy(text, p->text, len);
	text[len] = '\0';

	m = &b->m;
	*m = p->m;
	m->path = memcpy(text + len + 1, p->ini.path, path_size);
	m->name = moved(p, text, m->name);
	m->checksum = moved(p, text, m->checksum);
	m->description = moved(p, text, m->description);
	for (i = 0; i < m->n_configs; i++)
		configs[i] = moved(p, text, p->configs[i]);
	m->configs = m->n_configs ? configs : NULL;
	for (i = 0; i < p->n_refs; i++) {
		b->refs[i] = p->refs[i].ref;
		b->refs[i].type = moved(p, text, p->refs[i].ref.type);
		b->refs[i].name = moved(p, text, p->refs[i].ref.name);
	}
	move_list(&m->uses, b, p->list_start[SEC_USES]);
	move_list(&m->canuse, b, p->list_start[SEC_CANUSE]);
	move_list(&m->provides, b, p->list_start[SEC_PROVIDES]);
	move_list(&m->requires, b, p->list_start[SEC_REQUIRES]);
	move_list(&m->menu, b, p->list_start[SEC_MENU]);
	m->parser_flags = PARSED_BLOCK;
	*out = m;
	return 0;
}

int mf_manifest_parse(const char *path, const char *buf, size_t len,
		      struct mf_manifest **out, char *err, size_t errlen)
{
	return mf_manifest_parse_slab(NULL, path, buf, len, out, err, errlen);
}

int mf_manifest_parse_slab(struct mf_slab *slab, const char *path,
			   const char *buf, size_t len, struct mf_manifest **out,
			   char *err, size_t errlen)
{
	struct parser p = {
		.ini = {.path = path,
			.err = err,
			.errlen = errlen,
			.section = handle_section,
			.entry = handle_entry},
		.m = {.support_level = MF_SUPPORT_CORE,
		      .load_priority = MF_PRIO_DEFAULT},
		.refs_cap = REFS_INLINE,
		.configs_cap = CONFIGS_INLINE,
		.slab = slab,
	};
	struct room room; /* not cleared: only what is written is read */
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	p.ini.data = &p;
	p.room = &room;
	p.refs = room.refs;
	p.configs = room.configs;
	/* ini.c may write a terminator one past the text. */
	if (len < sizeof(room.text)) {
		p.text = room.text;
	} else {
		p.text = len < SIZE_MAX ? mf_malloc(len + 1) : NULL;
		if (!p.text) {
			r = fail_nomem(&p);
			goto out;
		}
	}
	if (len)
		memcpy(p.text, buf, len);

	r = mf_ini_parse_in_place(&p.ini, p.text, len);
	if (r == 0)
		r = check_complete(&p);
	if (r == 0)
		r = finish(&p, len, out);

out:
	/* finish() copied what it keeps: the parser's own goes, always. */
	if (p.configs != room.configs)
		mf_free(p.configs);
	if (p.refs != room.refs)
		mf_free(p.refs);
	if (p.text && p.text != room.text)
		mf_free(p.text);
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
	/* A parsed manifest's first checksum is in its block. */
	if (!(m->parser_flags & PARSED_BLOCK) ||
	    (m->parser_flags & PARSED_OWN_CHECKSUM))
		mf_free(m->checksum);
	m->checksum = copy;
	if (m->parser_flags & PARSED_BLOCK)
		m->parser_flags |= PARSED_OWN_CHECKSUM;
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

void mf_manifest_free(struct mf_manifest *m)
{
	size_t i;

	if (!m)
		return;
	if (m->parser_flags & PARSED_BLOCK) {
		if (m->parser_flags & PARSED_OWN_CHECKSUM)
			mf_free(m->checksum);
		mf_free(m); /* the block */
		return;
	}
	/* Built by hand: every piece is its own allocation. */
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
