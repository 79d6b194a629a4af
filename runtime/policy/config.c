/* SPDX-License-Identifier: MIT */
/*
 * The administrator's files: modules.conf and extconfig.conf (see
 * docs/config.md for both formats and every message).
 *
 * Both go through the line reader of ini.c with Asterisk's habits switched
 * on, since these files are written by people who know Asterisk's: inline
 * "; comments", "key => value", ".so" after module names.  What Asterisk
 * would ignore in silence (an unknown key, a mistyped name, an #include) is
 * an error here: a firmware image should refuse a configuration it does not
 * understand, at the line that says so.
 *
 * A parse fills a staging copy and swaps it into the mf_config only when the
 * whole file is good, so a failed parse leaves the configuration as it was.
 * Duplicate checks scan the lists: they hold what one person typed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>

#include "util/alloc.h"
#include "format/ini.h"

/* Biggest file mf_config_load() reads: far above any real one. */
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_FLAGS                                                           \
	(MF_INI_INLINE_COMMENTS | MF_INI_ARROW | MF_INI_REFUSE_DIRECTIVES)

#define TYPE_HINT "(want [a-z0-9_], starting with a letter)"

/* ---- growing arrays ------------------------------------------------------ */

/*
 * Room for one more item of @size bytes after the @n in @items: returns the
 * array to use from now on, or NULL (and @items stays as it was).
 */
static void *grow(void *items, size_t *cap, size_t n, size_t size)
{
	size_t want;
	void *bigger;

	if (n < *cap)
		return items;
	want = *cap ? *cap * 2 : 8;
	bigger = mf_realloc(items, want * size);
	if (bigger)
		*cap = want;
	return bigger;
}

static void items_free(struct mf_config_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mf_free(items[i].name);
	mf_free(items);
}

static void uses_free(struct mf_config_use *uses, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mf_free(uses[i].user);
		mf_free(uses[i].type);
		mf_free(uses[i].name);
	}
	mf_free(uses);
}

static void ext_free(struct mf_extconfig *ext, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mf_free(ext[i].file);
		mf_free(ext[i].driver);
		mf_free(ext[i].database);
		mf_free(ext[i].table);
	}
	mf_free(ext);
}

/* The modules.conf half of a configuration. */
static void modules_part_free(struct mf_config *cfg)
{
	mf_free(cfg->path);
	items_free(cfg->require, cfg->n_require);
	items_free(cfg->load, cfg->n_load);
	items_free(cfg->neverload, cfg->n_neverload);
	uses_free(cfg->uses, cfg->n_uses);
}

int mf_config_new(struct mf_config **out)
{
	*out = mf_calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->autoload = true;
	return 0;
}

void mf_config_free(struct mf_config *cfg)
{
	if (!cfg)
		return;
	modules_part_free(cfg);
	mf_free(cfg->ext_path);
	ext_free(cfg->ext, cfg->n_ext);
	mf_free(cfg);
}

/* ---- names --------------------------------------------------------------- */

/*
 * @value names a module, as the administrator may write it: "chan_sip" or
 * "chan_sip.so".  Drops the ".so" in place; the message quotes the text as
 * written.
 */
static int take_module_name(struct mf_ini *ini, char *value)
{
	size_t len = strlen(value);

	if (strchr(value, '/') || value[0] == '.')
		return mf_ini_fail(ini,
				   "invalid module name '%s' (names are not paths)",
				   value);
	if (len > 3 && strcmp(value + len - 3, ".so") == 0) {
		value[len - 3] = '\0';
		if (mf_ini_name_is_module(value))
			return 0;
		value[len - 3] = '.';
	} else if (mf_ini_name_is_module(value)) {
		return 0;
	}
	return mf_ini_fail(ini,
			   "invalid module name '%s' (want [a-z0-9_], starting "
			   "with a letter or '_', at most %d characters)",
			   value, MF_INI_MODULE_NAME_MAX);
}

/* Printable ASCII without blanks and without any byte of @also. */
static bool is_token(const char *s, const char *also)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!mf_ini_is_graph(*s) || strchr(also, *s))
			return false;
	return true;
}

/* ---- modules.conf -------------------------------------------------------- */

enum modules_section {
	MSEC_NONE,
	MSEC_MODULES,
	MSEC_USES,
	MSEC_COUNT,
};

static const char *const modules_sections[MSEC_COUNT] = {
	[MSEC_MODULES] = "modules",
	[MSEC_USES] = "uses",
};

/* The repeatable keys of [modules], each a list of module names. */
enum list_key {
	LIST_REQUIRE,
	LIST_LOAD,
	LIST_NEVERLOAD,
	LIST_COUNT,
};

static const char *const list_keys[LIST_COUNT] = {
	[LIST_REQUIRE] = "require",
	[LIST_LOAD] = "load",
	[LIST_NEVERLOAD] = "neverload",
};

struct modules_parser {
	struct mf_ini ini;
	enum modules_section section;
	unsigned section_line[MSEC_COUNT];
	bool autoload;
	unsigned autoload_line;
	struct mf_config_item *items[LIST_COUNT];
	size_t n_items[LIST_COUNT], cap_items[LIST_COUNT];
	struct mf_config_use *uses;
	size_t n_uses, cap_uses;
	/* [uses]: what "X=Y" lines use until the next type= line */
	char type[MF_INI_LINE_MAX + 1];
};

static int modules_section(struct mf_ini *ini, char *name)
{
	struct modules_parser *p = ini->data;
	enum modules_section sec;

	for (sec = MSEC_MODULES; sec < MSEC_COUNT; sec++)
		if (strcmp(name, modules_sections[sec]) == 0)
			break;
	if (sec == MSEC_COUNT)
		return mf_ini_fail(ini, "unknown section '%s'", name);
	/* Asterisk merges repeated sections; one place per setting is clearer. */
	if (p->section_line[sec])
		return mf_ini_fail(ini, "duplicate section '%s'", name);
	p->section_line[sec] = ini->line;
	p->section = sec;
	return 0;
}

static int list_add(struct modules_parser *p, enum list_key k, char *value)
{
	struct mf_config_item *items;
	size_t i;
	char *name;

	if (take_module_name(&p->ini, value) < 0)
		return -EINVAL;
	for (i = 0; i < p->n_items[k]; i++)
		if (strcmp(p->items[k][i].name, value) == 0)
			return mf_ini_fail(&p->ini,
					   "duplicate '%s=%s' (first at line %u)",
					   list_keys[k], value,
					   p->items[k][i].line);
	name = mf_strdup(value);
	if (!name)
		goto err;
	items = grow(p->items[k], &p->cap_items[k], p->n_items[k],
		     sizeof(*items));
	if (!items)
		goto err_name;
	p->items[k] = items;
	items[p->n_items[k]].name = name;
	items[p->n_items[k]].line = p->ini.line;
	p->n_items[k]++;
	return 0;

err_name:
	mf_free(name);
err:
	return mf_ini_nomem(&p->ini);
}

static int modules_key(struct modules_parser *p, const char *key, char *value)
{
	enum list_key k;

	if (strcmp(key, "autoload") == 0) {
		if (p->autoload_line)
			return mf_ini_fail(&p->ini, "duplicate key 'autoload'");
		if (mf_ini_parse_bool(value, &p->autoload) < 0)
			return mf_ini_fail(&p->ini,
					   "bad boolean '%s' for autoload (want "
					   "yes, no, true, false, 1 or 0)",
					   value);
		p->autoload_line = p->ini.line;
		return 0;
	}
	for (k = 0; k < LIST_COUNT; k++)
		if (strcmp(key, list_keys[k]) == 0)
			return list_add(p, k, value);
	return mf_ini_fail(&p->ini, "unknown key '%s' in [modules]", key);
}

static int use_add(struct modules_parser *p, const char *user,
		   const char *name)
{
	struct mf_config_use *uses;
	char *u, *t, *n;

	u = mf_strdup(user);
	if (!u)
		goto err;
	t = mf_strdup(p->type);
	if (!t)
		goto err_user;
	n = mf_strdup(name);
	if (!n)
		goto err_type;
	uses = grow(p->uses, &p->cap_uses, p->n_uses, sizeof(*uses));
	if (!uses)
		goto err_name;
	p->uses = uses;
	uses[p->n_uses++] = (struct mf_config_use){
		.user = u, .type = t, .name = n, .line = p->ini.line};
	return 0;

err_name:
	mf_free(n);
err_type:
	mf_free(t);
err_user:
	mf_free(u);
err:
	return mf_ini_nomem(&p->ini);
}

/* "type=T" switches what the next lines use; "X=Y": module X uses T=Y. */
static int uses_line(struct modules_parser *p, char *key, char *value)
{
	bool module = strcmp(p->type, "module") == 0;
	size_t i;

	if (strcmp(key, "type") == 0) {
		if (!mf_ini_name_is_type(value))
			return mf_ini_fail(&p->ini, "invalid type '%s' " TYPE_HINT,
					   value);
		strcpy(p->type, value);
		return 0;
	}
	if (take_module_name(&p->ini, key) < 0)
		return -EINVAL;
	if (module) {
		if (take_module_name(&p->ini, value) < 0)
			return -EINVAL;
		if (strcmp(key, value) == 0)
			return mf_ini_fail(&p->ini, "module '%s' uses itself",
					   key);
	} else if (!is_token(value, "=")) {
		return mf_ini_fail(&p->ini,
				   "invalid name '%s' for type '%s' (want "
				   "printable ASCII without blanks or '=')",
				   value, p->type);
	}
	for (i = 0; i < p->n_uses; i++) {
		const struct mf_config_use *u = &p->uses[i];

		if (strcmp(u->user, key) == 0 && strcmp(u->type, p->type) == 0 &&
		    strcmp(u->name, value) == 0)
			return mf_ini_fail(&p->ini,
					   "duplicate '%s=%s' for type '%s' "
					   "(first at line %u)",
					   key, value, p->type, u->line);
	}
	return use_add(p, key, value);
}

static int modules_entry(struct mf_ini *ini, char *key, char *value)
{
	struct modules_parser *p = ini->data;

	if (p->section == MSEC_MODULES)
		return modules_key(p, key, value);
	return uses_line(p, key, value);
}

static void modules_parser_free(struct modules_parser *p)
{
	enum list_key k;

	for (k = 0; k < LIST_COUNT; k++)
		items_free(p->items[k], p->n_items[k]);
	uses_free(p->uses, p->n_uses);
}

int mf_config_parse_modules(struct mf_config *cfg, const char *path,
			    const char *buf, size_t len, char *err, size_t errlen)
{
	struct modules_parser p = {
		.ini = {.path = path,
			.err = err,
			.errlen = errlen,
			.flags = CONFIG_FLAGS,
			.section = modules_section,
			.entry = modules_entry},
		.autoload = true,
		.type = "module",
	};
	char *path_copy;
	int r;

	if (err && errlen)
		err[0] = '\0';
	p.ini.data = &p;
	path_copy = mf_strdup(path);
	if (!path_copy) {
		r = mf_ini_nomem(&p.ini);
		goto err;
	}
	r = mf_ini_parse(&p.ini, buf, len);
	if (r < 0)
		goto err_path;

	/* The whole file is good: it replaces what an earlier one said. */
	modules_part_free(cfg);
	cfg->path = path_copy;
	cfg->autoload = p.autoload;
	cfg->autoload_line = p.autoload_line;
	cfg->require = p.items[LIST_REQUIRE];
	cfg->n_require = p.n_items[LIST_REQUIRE];
	cfg->load = p.items[LIST_LOAD];
	cfg->n_load = p.n_items[LIST_LOAD];
	cfg->neverload = p.items[LIST_NEVERLOAD];
	cfg->n_neverload = p.n_items[LIST_NEVERLOAD];
	cfg->uses = p.uses;
	cfg->n_uses = p.n_uses;
	return 0;

err_path:
	mf_free(path_copy);
err:
	modules_parser_free(&p);
	return r;
}

/* ---- extconfig.conf ------------------------------------------------------ */

struct ext_parser {
	struct mf_ini ini;
	unsigned settings_line; /* the [settings] header */
	struct mf_extconfig *ext;
	size_t n_ext, cap_ext;
};

static int ext_section(struct mf_ini *ini, char *name)
{
	struct ext_parser *p = ini->data;

	if (strcmp(name, "settings") != 0)
		return mf_ini_fail(ini, "unknown section '%s'", name);
	if (p->settings_line)
		return mf_ini_fail(ini, "duplicate section '%s'", name);
	p->settings_line = ini->line;
	return 0;
}

/*
 * Split "DRIVER[,DATABASE[,TABLE]]" in place into @fields (trimmed; NULL
 * when absent).  @file is for messages.
 */
static int split_fields(struct mf_ini *ini, const char *file, char *value,
			char *fields[3])
{
	static const char *const what[3] = {"driver", "database", "table"};
	char *s = value, *comma, *end;
	size_t i, commas = 0;

	for (i = 0; i < 3; i++)
		fields[i] = NULL;
	for (end = value; *end; end++)
		commas += *end == ',';
	if (commas > 2)
		return mf_ini_fail(ini,
				   "too many fields in '%s' (want "
				   "DRIVER[,DATABASE[,TABLE]])",
				   value);
	for (i = 0; i < 3 && s; i++) {
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		while (mf_ini_is_blank(*s))
			s++;
		end = s + strlen(s);
		while (end > s && mf_ini_is_blank(end[-1]))
			*--end = '\0';
		if (*s == '\0')
			return mf_ini_fail(ini, "empty %s for '%s'", what[i],
					   file);
		fields[i] = s;
		s = comma ? comma + 1 : NULL;
	}
	if (!mf_ini_name_is_type(fields[0]))
		return mf_ini_fail(ini, "invalid driver '%s' " TYPE_HINT,
				   fields[0]);
	for (i = 1; i < 3; i++)
		if (fields[i] && !is_token(fields[i], ""))
			return mf_ini_fail(ini,
					   "invalid %s '%s' (want printable ASCII "
					   "without blanks)",
					   what[i], fields[i]);
	return 0;
}

static char *strdup_or_null(const char *s, bool *failed)
{
	char *copy;

	if (!s)
		return NULL;
	copy = mf_strdup(s);
	if (!copy)
		*failed = true;
	return copy;
}

static int ext_entry(struct mf_ini *ini, char *file, char *value)
{
	struct ext_parser *p = ini->data;
	struct mf_extconfig e = {.line = ini->line}, *ext;
	char *fields[3];
	bool failed = false;
	size_t i;
	int r;

	if (strchr(file, '/') || strcmp(file, ".") == 0 ||
	    strcmp(file, "..") == 0)
		return mf_ini_fail(ini,
				   "invalid file name '%s' (names are not paths)",
				   file);
	if (!mf_ini_name_is_file(file))
		return mf_ini_fail(ini,
				   "invalid file name '%s' (want printable "
				   "ASCII without blanks)",
				   file);
	for (i = 0; i < p->n_ext; i++)
		if (strcmp(p->ext[i].file, file) == 0)
			return mf_ini_fail(ini,
					   "duplicate setting for '%s' (first at "
					   "line %u)",
					   file, p->ext[i].line);
	r = split_fields(ini, file, value, fields);
	if (r < 0)
		return r;

	e.file = strdup_or_null(file, &failed);
	e.driver = strdup_or_null(fields[0], &failed);
	e.database = strdup_or_null(fields[1], &failed);
	e.table = strdup_or_null(fields[2], &failed);
	if (failed)
		goto err;
	ext = grow(p->ext, &p->cap_ext, p->n_ext, sizeof(e));
	if (!ext)
		goto err;
	p->ext = ext;
	ext[p->n_ext++] = e;
	return 0;

err:
	mf_free(e.file);
	mf_free(e.driver);
	mf_free(e.database);
	mf_free(e.table);
	return mf_ini_nomem(ini);
}

int mf_config_parse_extconfig(struct mf_config *cfg, const char *path,
			      const char *buf, size_t len, char *err,
			      size_t errlen)
{
	struct ext_parser p = {
		.ini = {.path = path,
			.err = err,
			.errlen = errlen,
			.flags = CONFIG_FLAGS,
			.section = ext_section,
			.entry = ext_entry},
	};
	char *path_copy;
	int r;

	if (err && errlen)
		err[0] = '\0';
	p.ini.data = &p;
	path_copy = mf_strdup(path);
	if (!path_copy) {
		r = mf_ini_nomem(&p.ini);
		goto err;
	}
	r = mf_ini_parse(&p.ini, buf, len);
	if (r < 0)
		goto err_path;

	mf_free(cfg->ext_path);
	ext_free(cfg->ext, cfg->n_ext);
	cfg->ext_path = path_copy;
	cfg->ext = p.ext;
	cfg->n_ext = p.n_ext;
	return 0;

err_path:
	mf_free(path_copy);
err:
	ext_free(p.ext, p.n_ext);
	return r;
}

/* ---- files --------------------------------------------------------------- */

typedef int (*parse_fn)(struct mf_config *cfg, const char *path,
			const char *buf, size_t len, char *err, size_t errlen);

static int load_file(struct mf_config *cfg, const char *path, parse_fn parse,
		     char *err, size_t errlen)
{
	size_t len;
	char *buf;
	int r;

	r = mf_ini_read_file(path, CONFIG_FILE_MAX, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	r = parse(cfg, path, buf, len, err, errlen);
	mf_free(buf);
	return r;
}

int mf_config_load(struct mf_config **out, const char *modules_conf,
		   const char *extconfig_conf, char *err, size_t errlen)
{
	struct mf_config *cfg;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	r = mf_config_new(&cfg);
	if (r < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory",
				 modules_conf ? modules_conf :
				 extconfig_conf ? extconfig_conf :
						  "configuration");
		goto err;
	}
	if (modules_conf) {
		r = load_file(cfg, modules_conf, mf_config_parse_modules, err,
			      errlen);
		if (r < 0)
			goto err_cfg;
	}
	if (extconfig_conf) {
		r = load_file(cfg, extconfig_conf, mf_config_parse_extconfig,
			      err, errlen);
		if (r < 0)
			goto err_cfg;
	}
	*out = cfg;
	return 0;

err_cfg:
	mf_config_free(cfg);
err:
	return r;
}
