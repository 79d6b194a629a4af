/* SPDX-License-Identifier: MIT */
/*
 * The administrator's console commands on a context built in the test:
 * `module show -j` (parsed back with a strict JSON reader below), `module
 * why` for every reason a module runs or does not, `module graph`, usage
 * errors that change nothing, dry runs, and completion.
 *
 * The modules come from manifests written here, added with a backend of
 * this file whose map() hands out a descriptor made for each module; a
 * module whose name starts with "broken" refuses to load.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>
#include <manifold/console.h>
#include <manifold/moddir.h>

/* ---- a tiny backend ------------------------------------------------------ */

struct tmod {
	struct manifold_module desc;
	char name[64];
};

static int tmod_load(struct mf_module *self)
{
	return strncmp(mf_module_name(self), "broken", 6) == 0 ? -EIO : 0;
}

static int tmod_map(struct mf_context *ctx, struct mf_module *mod, void *data,
		    const struct manifold_module **desc)
{
	(void)ctx;
	(void)mod;
	*desc = &((struct tmod *)data)->desc;
	return 0;
}

static const struct mf_backend_ops tmod_ops = {
	.name = "test",
	.map = tmod_map,
	.release = free,
};

static void add(struct mf_context *ctx, const char *text)
{
	char err[MF_ERR_MAX];
	struct mf_manifest *m;
	struct tmod *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	ck_assert_msg(mf_manifest_parse("test.manifest", text, strlen(text), &m,
					err, sizeof(err)) == 0, "%s", err);
	snprintf(t->name, sizeof(t->name), "%s", m->name);
	t->desc.abi_version = MANIFOLD_ABI_VERSION;
	t->desc.name = t->name;
	t->desc.build_signature = MANIFOLD_BUILD_SIGNATURE;
	t->desc.load = tmod_load;
	ck_assert_int_eq(mf_catalog_add_manifest(ctx, m, &tmod_ops, t), 0);
}

static void quiet_log(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

/* ---- console output capture ---------------------------------------------- */

static char out[1 << 16];
static size_t out_len;

static void capture(void *data, const char *text)
{
	size_t n = strlen(text);

	(void)data;
	ck_assert_msg(out_len + n < sizeof(out), "console output too long");
	memcpy(out + out_len, text, n + 1);
	out_len += n;
}

/* Run one command line; its output is in out[]. */
static int run(struct mf_context *ctx, const char *line)
{
	out_len = 0;
	out[0] = '\0';
	return mf_console_exec(ctx, line, capture, NULL);
}

/* ---- the fixture ---------------------------------------------------------- */

/*
 * top uses app_wait and mid; app_wait uses service=timer, which timer_hi
 * (200) and timer_lo (100) provide.  The administrator holds top, as an
 * autoload line would.  banned is neverloaded; needs_banned needs it;
 * needs_missing needs what nothing provides; cycle_a and cycle_b need each
 * other; broken fails to load; idle is wanted by nobody.
 */
static const char *const manifests[] = {
	"[module]\nname=top\ndescription=The top of the chain\n"
	"[uses]\nmodule=app_wait\nmodule=mid\n",
	"[module]\nname=mid\ndescription=In the middle\n",
	"[module]\nname=app_wait\n"
	"description=Wait \"quietly\" \\ for a timer: caf\xc3\xa9\n"
	"[uses]\nservice=timer\n[provides]\napplication=Wait\n",
	"[module]\nname=timer_hi\nload_priority=timing\n"
	"[provides]\nservice=timer:200\n",
	"[module]\nname=timer_lo\nload_priority=timing\n"
	"[provides]\nservice=timer:100\n",
	"[module]\nname=banned\n",
	"[module]\nname=needs_banned\n[uses]\nmodule=banned\n",
	"[module]\nname=needs_missing\n[uses]\nservice=nothing\n",
	"[module]\nname=cycle_a\n[uses]\nmodule=cycle_b\n",
	"[module]\nname=cycle_b\n[uses]\nmodule=cycle_a\n",
	"[module]\nname=broken\n",
	"[module]\nname=idle\n",
};

static struct mf_context *ctx;

static void setup(void)
{
	struct mf_config_item ban = { .name = (char *)"banned", .line = 7 };
	struct mf_config cfg = {
		.path = (char *)"test/modules.conf",
		.autoload = false,
		.neverload = &ban,
		.n_neverload = 1,
	};
	struct mf_request req = { .name = "top", .why = "test/modules.conf:5 load" };

	ck_assert_int_eq(mf_context_new(&ctx), 0);
	mf_context_set_log_fn(ctx, quiet_log, NULL);
	for (size_t i = 0; i < sizeof(manifests) / sizeof(manifests[0]); i++)
		add(ctx, manifests[i]);
	ck_assert_int_eq(mf_config_apply(ctx, &cfg, NULL, NULL), 0);
	ck_assert_int_eq(mf_load(ctx, &req, 1, 0, NULL, NULL), 0);
}

static void teardown(void)
{
	mf_context_unref(ctx);
	ctx = NULL;
}

/* A line per module, "name state users refs admin last_error", to compare. */
static char *snapshot(void)
{
	char line[512], *s = calloc(1, 1 << 14);
	size_t len = 0;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sizeof(manifests) / sizeof(manifests[0]); i++) {
		const char *name = manifests[i] + strlen("[module]\nname=");
		char n[64];
		struct mf_module *mod;
		struct mf_module_info info;

		snprintf(n, sizeof(n), "%.*s", (int)strcspn(name, "\n"), name);
		ck_assert_int_eq(mf_module_find(ctx, n, &mod), 0);
		mf_module_info(mod, &info);
		snprintf(line, sizeof(line), "%s %s %u %u %d %s\n", info.name,
			 mf_state_name(info.state), info.users, info.refs,
			 info.admin, info.last_error ? info.last_error : "-");
		memcpy(s + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	return s;
}

static enum mf_state state_of(const char *name)
{
	struct mf_module *mod;
	struct mf_module_info info;

	ck_assert_int_eq(mf_module_find(ctx, name, &mod), 0);
	mf_module_info(mod, &info);
	return info.state;
}

/* ---- a strict JSON reader (RFC 8259), enough to check the output --------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	char *str;    /* J_STR: decoded, UTF-8 */
	double num;   /* J_NUM, J_BOOL */
	struct jv *items; /* J_ARR, J_OBJ */
	char **keys;      /* J_OBJ */
	size_t n;
};

struct jp {
	const char *p;
	const char *err;
};

static void jv_free(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

static void ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int fail_at(struct jp *j, const char *why)
{
	if (!j->err)
		j->err = why;
	return -1;
}

static int hex4(const char *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*out <<= 4;
		if (c >= '0' && c <= '9')
			*out |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*out |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*out |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int parse_string(struct jp *j, char **out_str)
{
	char *s = malloc(strlen(j->p) * 4 + 1), *o = s;

	ck_assert_ptr_nonnull(s);
	j->p++; /* opening quote */
	for (;;) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"')
			break;
		if (c == '\0' || c < 0x20) {
			free(s);
			return fail_at(j, "unterminated string or raw control character");
		}
		if (c != '\\') {
			*o++ = (char)c;
			j->p++;
			continue;
		}
		j->p++;
		switch (*j->p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (hex4(j->p + 1, &cp) < 0) {
				free(s);
				return fail_at(j, "bad \\u escape");
			}
			j->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->p[1] != '\\' || j->p[2] != 'u' ||
				    hex4(j->p + 3, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					free(s);
					return fail_at(j, "lone surrogate");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				j->p += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(s);
				return fail_at(j, "lone surrogate");
			}
			o += put_utf8(o, cp);
			break;
		}
		default:
			free(s);
			return fail_at(j, "bad escape");
		}
		j->p++;
	}
	j->p++;
	*o = '\0';
	*out_str = s;
	return 0;
}

static int parse_value(struct jp *j, struct jv *v);

static void push(struct jv *v, struct jv *item, char *key)
{
	v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
	ck_assert_ptr_nonnull(v->items);
	if (v->type == J_OBJ) {
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		ck_assert_ptr_nonnull(v->keys);
		v->keys[v->n] = key;
	}
	v->items[v->n++] = *item;
}

static int parse_container(struct jp *j, struct jv *v, char close)
{
	j->p++;
	ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		struct jv item = { 0 };
		char *key = NULL;

		ws(j);
		if (close == '}') {
			if (*j->p != '"' || parse_string(j, &key) < 0)
				return fail_at(j, "object key expected");
			ws(j);
			if (*j->p++ != ':') {
				free(key);
				return fail_at(j, "':' expected");
			}
		}
		if (parse_value(j, &item) < 0) {
			free(key);
			jv_free(&item);
			return -1;
		}
		push(v, &item, key);
		ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		return fail_at(j, "',' or end of container expected");
	}
}

static int parse_value(struct jp *j, struct jv *v)
{
	memset(v, 0, sizeof(*v));
	ws(j);
	switch (*j->p) {
	case '"':
		v->type = J_STR;
		return parse_string(j, &v->str);
	case '[':
		v->type = J_ARR;
		return parse_container(j, v, ']');
	case '{':
		v->type = J_OBJ;
		return parse_container(j, v, '}');
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			if (strncmp(j->p, words[i], strlen(words[i])) == 0) {
				v->type = i == 2 ? J_NULL : J_BOOL;
				v->num = i == 0;
				j->p += strlen(words[i]);
				return 0;
			}
		}
		return fail_at(j, "bad literal");
	}
	default: {
		char *end;

		if (*j->p != '-' && (*j->p < '0' || *j->p > '9'))
			return fail_at(j, "value expected");
		/* JSON numbers here are small non-negative integers. */
		v->type = J_NUM;
		v->num = strtod(j->p, &end);
		if (end == j->p)
			return fail_at(j, "bad number");
		j->p = end;
		return 0;
	}
	}
}

/* Parse a whole document; the test fails with the position when it is not JSON. */
static struct jv parse_json(const char *text)
{
	struct jp j = { .p = text };
	struct jv v;
	int r = parse_value(&j, &v);

	ws(&j);
	ck_assert_msg(r == 0 && *j.p == '\0', "invalid JSON (%s) at offset %ld: %.40s",
		      j.err ? j.err : "trailing text", (long)(j.p - text), j.p);
	return v;
}

static const struct jv *get(const struct jv *obj, const char *key)
{
	ck_assert_int_eq(obj->type, J_OBJ);
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	ck_abort_msg("no key '%s'", key);
	return NULL;
}

static const struct jv *find_module_obj(const struct jv *arr, const char *name)
{
	ck_assert_int_eq(arr->type, J_ARR);
	for (size_t i = 0; i < arr->n; i++)
		if (strcmp(get(&arr->items[i], "name")->str, name) == 0)
			return &arr->items[i];
	ck_abort_msg("module %s not in the JSON", name);
	return NULL;
}

/* ---- module show -j ------------------------------------------------------- */

START_TEST(json_is_valid_and_complete)
{
	const struct jv *m, *users;
	struct jv doc;

	ck_assert_int_eq(run(ctx, "module show -j"), 0);
	doc = parse_json(out);
	ck_assert_int_eq(doc.type, J_ARR);
	ck_assert_uint_eq(doc.n, sizeof(manifests) / sizeof(manifests[0]));
	/* Sorted by name, as `module show` is. */
	ck_assert_str_eq(get(&doc.items[0], "name")->str, "app_wait");
	for (size_t i = 0; i < doc.n; i++) {
		static const char *const keys[] = {
			"name", "description", "state", "use_count", "users",
			"user_count", "refs", "lib_refs", "support_level", "backend",
			"load_priority", "admin", "unload_blocked", "neverload",
			"why", "last_error",
		};

		ck_assert_uint_eq(doc.items[i].n, sizeof(keys) / sizeof(keys[0]));
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			get(&doc.items[i], keys[k]);
	}

	/* Quotes, a backslash and UTF-8 survive the round trip exactly. */
	m = find_module_obj(&doc, "app_wait");
	ck_assert_str_eq(get(m, "description")->str,
			 "Wait \"quietly\" \\ for a timer: caf\xc3\xa9");
	ck_assert_str_eq(get(m, "state")->str, "running");
	ck_assert_str_eq(get(m, "why")->str, "used by top (module=app_wait)");
	ck_assert_int_eq(get(m, "last_error")->type, J_NULL);
	ck_assert_str_eq(get(m, "backend")->str, "test");
	ck_assert_str_eq(get(m, "support_level")->str, "core");
	ck_assert_int_eq((int)get(m, "load_priority")->num, 128);
	ck_assert_int_eq((int)get(m, "lib_refs")->num, 1);
	ck_assert_int_eq(get(m, "admin")->num, 0);
	users = get(m, "users");
	ck_assert_int_eq(users->type, J_ARR);
	ck_assert_uint_eq(users->n, 1);
	ck_assert_int_eq((int)get(m, "user_count")->num, 1);
	ck_assert_str_eq(get(&users->items[0], "kind")->str, "module");
	ck_assert_str_eq(get(&users->items[0], "who")->str, "top");
	ck_assert_str_eq(get(&users->items[0], "detail")->str, "module=app_wait");

	m = find_module_obj(&doc, "top");
	ck_assert_int_eq(get(m, "admin")->type, J_BOOL);
	ck_assert_int_eq(get(m, "admin")->num, 1);
	ck_assert_str_eq(get(&get(m, "users")->items[0], "detail")->str,
			 "test/modules.conf:5 load");

	m = find_module_obj(&doc, "banned");
	ck_assert_str_eq(get(m, "state")->str, "stopped");
	ck_assert_str_eq(get(m, "neverload")->str, "test/modules.conf:7");
	ck_assert_int_eq(get(m, "why")->type, J_NULL);
	ck_assert_int_eq((int)get(m, "lib_refs")->num, 0);
	jv_free(&doc);
}
END_TEST

START_TEST(json_escapes_control_characters)
{
	static const char label[] = "chan\t\"1\"\n\x01\x1f\\end\xff!";
	struct mf_module *mod;
	struct mf_user *user;
	const struct jv *users;
	struct jv doc;

	ck_assert_int_eq(mf_module_find(ctx, "mid", &mod), 0);
	ck_assert_int_eq(mf_user_add(mod, label, NULL, NULL, &user), 0);
	ck_assert_int_eq(run(ctx, "module show -j like mid"), 0);
	/* No raw control character may reach the output. */
	for (const char *p = out; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 || *p == '\n',
			      "raw control character 0x%02x", *p);
	ck_assert_ptr_nonnull(strstr(out, "\\t\\\"1\\\"\\n\\u0001\\u001f\\\\end\\ufffd!"));
	doc = parse_json(out);
	ck_assert_uint_eq(doc.n, 1);
	users = get(&doc.items[0], "users");
	ck_assert_uint_eq(users->n, 2);
	ck_assert_str_eq(get(&users->items[0], "kind")->str, "module");
	ck_assert_str_eq(get(&users->items[1], "kind")->str, "object");
	/* Decoded, it is the label, the invalid byte replaced by U+FFFD. */
	ck_assert_str_eq(get(&users->items[1], "who")->str,
			 "chan\t\"1\"\n\x01\x1f\\end\xef\xbf\xbd!");
	ck_assert_int_eq((int)get(&doc.items[0], "use_count")->num, 2);
	jv_free(&doc);
	mf_user_remove(user);
}
END_TEST

START_TEST(json_like_filters_and_empty_is_valid)
{
	struct jv doc;

	ck_assert_int_eq(run(ctx, "module show like timer -j"), 0);
	doc = parse_json(out);
	ck_assert_uint_eq(doc.n, 2);
	ck_assert_str_eq(get(&doc.items[0], "name")->str, "timer_hi");
	ck_assert_str_eq(get(&doc.items[1], "name")->str, "timer_lo");
	jv_free(&doc);

	ck_assert_int_eq(run(ctx, "module show -j like nothing_matches"), 0);
	ck_assert_str_eq(out, "[\n]\n");
	doc = parse_json(out);
	ck_assert_uint_eq(doc.n, 0);
	jv_free(&doc);
}
END_TEST

START_TEST(show_table_still_works)
{
	ck_assert_int_eq(run(ctx, "module show like timer"), 0);
	ck_assert_ptr_nonnull(strstr(out, "timer_hi "));
	ck_assert_ptr_nonnull(strstr(out, "timer_lo "));
	ck_assert_ptr_nonnull(strstr(out, "2 modules, 1 running\n"));
}
END_TEST

/* ---- module why ----------------------------------------------------------- */

START_TEST(why_running_walks_up_to_the_admin)
{
	ck_assert_int_eq(run(ctx, "module why timer_hi"), 0);
	ck_assert_str_eq(out,
		"timer_hi is running (started: used by app_wait (service=timer)):\n"
		"  used by app_wait (service=timer)\n"
		"    app_wait: used by top (module=app_wait)\n"
		"      top: held by the administrator (test/modules.conf:5 load)\n");
	ck_assert_int_eq(run(ctx, "module why top.so"), 0);
	ck_assert_str_eq(out,
		"top is running (started: test/modules.conf:5 load):\n"
		"  held by the administrator (test/modules.conf:5 load)\n");
}
END_TEST

START_TEST(why_running_shows_objects_and_each_module_once)
{
	struct mf_request req = { .name = "mid", .why = "console: module load" };
	struct mf_module *mod;
	struct mf_user *user;

	ck_assert_int_eq(mf_load(ctx, &req, 1, 0, NULL, NULL), 0);
	ck_assert_int_eq(mf_module_find(ctx, "mid", &mod), 0);
	ck_assert_int_eq(mf_user_add(mod, "channel SIP/1", NULL, NULL, &user), 0);
	ck_assert_int_eq(run(ctx, "module why mid"), 0);
	ck_assert_str_eq(out,
		"mid is running (started: used by top (module=mid)):\n"
		"  held by the administrator (console: module load)\n"
		"  used by top (module=mid)\n"
		"    top: held by the administrator (test/modules.conf:5 load)\n"
		"  used by object channel SIP/1\n");
	mf_user_remove(user);
}
END_TEST

START_TEST(why_not_neverloaded)
{
	ck_assert_int_eq(run(ctx, "module why banned"), 0);
	ck_assert_str_eq(out,
		"banned is not running:\n"
		"  neverloaded at test/modules.conf:7 (only editing that file and "
		"restarting lifts it)\n");
	/* What needs it cannot start, and says which ban is in the way. */
	ck_assert_int_eq(run(ctx, "module why needs_banned"), 0);
	ck_assert_ptr_nonnull(strstr(out, "  it cannot start now: needs_banned uses "
		"module=banned: banned is neverloaded (test/modules.conf:7)\n"));
}
END_TEST

START_TEST(why_not_missing_provider_and_cycle)
{
	ck_assert_int_eq(run(ctx, "module why needs_missing"), 0);
	ck_assert_str_eq(out,
		"needs_missing is not running:\n"
		"  it cannot start now: needs_missing uses service=nothing, which no "
		"module provides\n"
		"  not requested by anyone: no require=, load= or autoload line, "
		"console load or running module asks for it\n");
	ck_assert_int_eq(run(ctx, "module why cycle_a"), 0);
	ck_assert_ptr_nonnull(strstr(out,
		"  it cannot start now: cycle: cycle_a -> cycle_b -> cycle_a\n"));
}
END_TEST

START_TEST(why_not_failed_load)
{
	ck_assert_int_ne(run(ctx, "module load broken"), 0);
	ck_assert_int_eq(run(ctx, "module why broken"), 0);
	ck_assert_str_eq(out,
		"broken is not running:\n"
		"  its last start failed: load callback failed: Input/output error\n"
		"  it could start now: module load broken\n");
}
END_TEST

START_TEST(why_not_lost_election)
{
	ck_assert_int_eq(run(ctx, "module why timer_lo"), 0);
	ck_assert_str_eq(out,
		"timer_lo is not running:\n"
		"  lost a provider election: service=timer for app_wait went to "
		"timer_hi at priority 200 (timer_lo offers 100)\n"
		"  it could start now: module load timer_lo\n");
}
END_TEST

START_TEST(why_not_requested)
{
	ck_assert_int_eq(run(ctx, "module why idle"), 0);
	ck_assert_str_eq(out,
		"idle is not running:\n"
		"  not requested by anyone: no require=, load= or autoload line, "
		"console load or running module asks for it\n"
		"  it could start now: module load idle\n");
}
END_TEST

START_TEST(why_changes_nothing)
{
	static const char *const names[] = {
		"top", "mid", "app_wait", "timer_hi", "timer_lo", "banned",
		"needs_banned", "needs_missing", "cycle_a", "cycle_b", "broken", "idle",
	};
	char *before, *after;

	run(ctx, "module load broken needs_missing");
	before = snapshot();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "module why %s", names[i]);
		ck_assert_int_eq(run(ctx, line), 0);
	}
	ck_assert_int_eq(run(ctx, "module graph"), 0);
	ck_assert_int_eq(run(ctx, "module show -j"), 0);
	after = snapshot();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}
END_TEST

/* ---- module graph --------------------------------------------------------- */

START_TEST(graph_is_deterministic_dot)
{
	char *first;

	ck_assert_int_eq(run(ctx, "module graph"), 0);
	ck_assert_str_eq(out,
		"digraph manifold {\n"
		"\trankdir=LR;\n"
		"\tnode [shape=box];\n"
		"\t\"app_wait\" [label=\"app_wait\\nrunning\", style=bold];\n"
		"\t\"banned\" [label=\"banned\\nstopped, neverloaded\", style=dashed, color=red];\n"
		"\t\"broken\" [label=\"broken\\nstopped\", style=dashed];\n"
		"\t\"cycle_a\" [label=\"cycle_a\\nstopped\", style=dashed];\n"
		"\t\"cycle_b\" [label=\"cycle_b\\nstopped\", style=dashed];\n"
		"\t\"idle\" [label=\"idle\\nstopped\", style=dashed];\n"
		"\t\"mid\" [label=\"mid\\nrunning\", style=bold];\n"
		"\t\"needs_banned\" [label=\"needs_banned\\nstopped\", style=dashed];\n"
		"\t\"needs_missing\" [label=\"needs_missing\\nstopped\", style=dashed];\n"
		"\t\"timer_hi\" [label=\"timer_hi\\nrunning\", style=bold];\n"
		"\t\"timer_lo\" [label=\"timer_lo\\nstopped\", style=dashed];\n"
		"\t\"top\" [label=\"top\\nrunning\", style=bold];\n"
		"\t\"app_wait\" -> \"timer_hi\" [label=\"service=timer:200\"];\n"
		"\t\"cycle_a\" -> \"cycle_b\" [label=\"module=cycle_b\", style=dashed];\n"
		"\t\"cycle_b\" -> \"cycle_a\" [label=\"module=cycle_a\", style=dashed];\n"
		"\t\"needs_banned\" -> \"banned\" [label=\"module=banned\", style=dashed];\n"
		"\t\"service=nothing\" [label=\"service=nothing\", xlabel=\"no provider\", "
		"shape=plaintext, fontcolor=red];\n"
		"\t\"needs_missing\" -> \"service=nothing\" [style=dashed, color=red];\n"
		"\t\"top\" -> \"app_wait\" [label=\"module=app_wait\"];\n"
		"\t\"top\" -> \"mid\" [label=\"module=mid\"];\n"
		"}\n");
	first = strdup(out);
	ck_assert_int_eq(run(ctx, "module graph"), 0);
	ck_assert_str_eq(out, first);
	free(first);
}
END_TEST

START_TEST(graph_dashes_every_provider_of_a_stopped_user)
{
	ck_assert_int_eq(run(ctx, "module unload -f app_wait"), 0);
	ck_assert_int_eq(run(ctx, "module graph"), 0);
	/* Best first: the order a load would try them in. */
	ck_assert_ptr_nonnull(strstr(out,
		"\t\"app_wait\" -> \"timer_hi\" [label=\"service=timer:200\", style=dashed];\n"
		"\t\"app_wait\" -> \"timer_lo\" [label=\"service=timer:100\", style=dashed];\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"\t\"top\" -> \"app_wait\" [label=\"module=app_wait\", style=dashed];\n"));
}
END_TEST

/* ---- bad commands --------------------------------------------------------- */

/*
 * An image without loadable modules says why it looked nowhere else for a
 * module it does not have: expect the runtime's own wording for that part.
 */
static void expected_text(const char *want, char *buf, size_t len)
{
	const char *nosuch = mf_moddir_no_such_module(ctx);
	const char *at = strstr(want, "no such module");

	if (!nosuch || !at) {
		snprintf(buf, len, "%s", want);
		return;
	}
	snprintf(buf, len, "%.*s%s%s", (int)(at - want), want, nosuch,
		 at + strlen("no such module"));
}

START_TEST(bad_commands_say_why_and_change_nothing)
{
	static const struct {
		const char *line;
		const char *want; /* the whole output */
	} cases[] = {
		{ "module show foo", "module show: unexpected argument 'foo'\n"
				     "usage: module show [-j] [like PATTERN]\n" },
		{ "module show like", "module show: 'like' needs a PATTERN\n"
				      "usage: module show [-j] [like PATTERN]\n" },
		{ "module show like a like b", "module show: 'like' given twice\n"
					       "usage: module show [-j] [like PATTERN]\n" },
		{ "module show -x", "module show: unknown option '-x'\n"
				    "usage: module show [-j] [like PATTERN]\n" },
		{ "module load", "module load: no module named\n"
				 "usage: module load [-n] NAME...\n" },
		{ "module load -f idle", "module load: unknown option '-f'\n"
					 "usage: module load [-n] NAME...\n" },
		{ "module load idle nosuch", "module load: nosuch: no such module\n"
					     "usage: module load [-n] NAME...\n" },
		{ "module load ../idle", "module load: ../idle: invalid module name "
					 "(names are not paths)\n"
					 "usage: module load [-n] NAME...\n" },
		{ "module unload", "module unload: no module named\n"
				   "usage: module unload [-n] [-f] NAME\n" },
		{ "module unload top mid", "module unload: one module at a time ('mid' "
					   "is one too many)\n"
					   "usage: module unload [-n] [-f] NAME\n" },
		{ "module unload -q top", "module unload: unknown option '-q'\n"
					  "usage: module unload [-n] [-f] NAME\n" },
		{ "module unload nosuch", "module unload: nosuch: no such module\n"
					  "usage: module unload [-n] [-f] NAME\n" },
		{ "module why", "module why: no module named\nusage: module why NAME\n" },
		{ "module why top mid", "module why: one module at a time ('mid' is one "
					"too many)\nusage: module why NAME\n" },
		{ "module why /etc/x", "module why: /etc/x: invalid module name (names "
				       "are not paths)\nusage: module why NAME\n" },
		{ "module deps nosuch", "module deps: nosuch: no such module\n"
					"usage: module deps NAME\n" },
		{ "module users", "module users: no module named\n"
				  "usage: module users NAME\n" },
		{ "module graph top", "module graph: unexpected argument 'top'\n"
				      "usage: module graph\n" },
		{ "api show all", "api show: unexpected argument 'all'\nusage: api show\n" },
		{ "help me", "help: unexpected argument 'me'\nusage: help\n" },
		{ "call", "call: no function or application named\n"
			  "usage: call NAME(ARGS)\n" },
		{ "frobnicate now", "unknown command 'frobnicate now'; 'help' lists the "
				    "commands\n" },
	};
	char *before = snapshot(), *after;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[1024];

		expected_text(cases[i].want, want, sizeof(want));
		ck_assert_msg(run(ctx, cases[i].line) < 0, "'%s' succeeded", cases[i].line);
		ck_assert_msg(strcmp(out, want) == 0, "'%s' printed:\n%s",
			      cases[i].line, out);
	}
	after = snapshot();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}
END_TEST

START_TEST(bad_subcommand_lists_the_group)
{
	ck_assert_int_eq(run(ctx, "module"), -ENOSYS);
	ck_assert_ptr_nonnull(strstr(out, "'module' needs a subcommand\nusage:\n"
					  "  module show [-j] [like PATTERN]\n"));
	ck_assert_ptr_nonnull(strstr(out, "  module why NAME\n  module graph\n"));
	ck_assert_int_eq(run(ctx, "module frobnicate"), -ENOSYS);
	ck_assert_ptr_nonnull(strstr(out, "unknown command 'module frobnicate'; "
					  "'help' lists the commands\nusage:\n"));
	ck_assert_ptr_null(strstr(out, "api show"));
}
END_TEST

START_TEST(dry_runs_change_nothing)
{
	char *before = snapshot(), *after;

	ck_assert_int_eq(run(ctx, "module load -n timer_lo idle"), 0);
	ck_assert_ptr_nonnull(strstr(out, "  would start timer_lo"));
	ck_assert_ptr_nonnull(strstr(out, "  would start idle"));
	ck_assert_int_eq(run(ctx, "module unload -n -f timer_hi"), 0);
	ck_assert_ptr_nonnull(strstr(out, "  would stop  top"));
	ck_assert_ptr_nonnull(strstr(out, "  would stop  app_wait"));
	ck_assert_ptr_nonnull(strstr(out, "  would stop  timer_hi"));
	after = snapshot();
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(state_of("timer_hi"), MF_STATE_RUNNING);
	free(before);
	free(after);
}
END_TEST

/* ---- completion ----------------------------------------------------------- */

static char cands[4096];

static void add_cand(void *data, const char *c)
{
	(void)data;
	strcat(cands, c);
	strcat(cands, " ");
}

static const char *complete(const char *line)
{
	cands[0] = '\0';
	ck_assert_int_eq(mf_console_complete(ctx, line, add_cand, NULL), 0);
	return cands;
}

START_TEST(completion_of_commands_and_modules)
{
	ck_assert_str_eq(complete(""), "module api memory call help ");
	ck_assert_str_eq(complete("mo"), "module ");
	ck_assert_str_eq(complete("module w"), "why ");
	ck_assert_str_eq(complete("module g"), "graph ");
	ck_assert_str_eq(complete("module u"), "unload users ");
	/* Every subcommand once, whatever else the table holds. */
	ck_assert_ptr_nonnull(strstr(complete("module "), "show load unload users deps why graph "));
	/* Module names, loaded or not, without ".so". */
	ck_assert_str_eq(complete("module why ti"), "timer_hi timer_lo ");
	ck_assert_str_eq(complete("module load b"), "banned broken ");
	ck_assert_str_eq(complete("module unload -f ti"), "timer_hi timer_lo ");
	ck_assert_str_eq(complete("module deps cycle_"), "cycle_a cycle_b ");
	ck_assert_str_eq(complete("module users zz"), "");
	/* No module names where a command takes none. */
	ck_assert_str_eq(complete("module show "), "");
	ck_assert_str_eq(complete("module graph "), "");
	ck_assert_str_eq(complete("api "), "show ");
}
END_TEST

Suite *make_admin_console_suite(void)
{
	Suite *s = suite_create("admin_console");
	TCase *tc = tcase_create("commands");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, json_is_valid_and_complete);
	tcase_add_test(tc, json_escapes_control_characters);
	tcase_add_test(tc, json_like_filters_and_empty_is_valid);
	tcase_add_test(tc, show_table_still_works);
	tcase_add_test(tc, why_running_walks_up_to_the_admin);
	tcase_add_test(tc, why_running_shows_objects_and_each_module_once);
	tcase_add_test(tc, why_not_neverloaded);
	tcase_add_test(tc, why_not_missing_provider_and_cycle);
	tcase_add_test(tc, why_not_failed_load);
	tcase_add_test(tc, why_not_lost_election);
	tcase_add_test(tc, why_not_requested);
	tcase_add_test(tc, why_changes_nothing);
	tcase_add_test(tc, graph_is_deterministic_dot);
	tcase_add_test(tc, graph_dashes_every_provider_of_a_stopped_user);
	tcase_add_test(tc, bad_commands_say_why_and_change_nothing);
	tcase_add_test(tc, bad_subcommand_lists_the_group);
	tcase_add_test(tc, dry_runs_change_nothing);
	tcase_add_test(tc, completion_of_commands_and_modules);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_admin_console_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
