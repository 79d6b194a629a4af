/* SPDX-License-Identifier: MIT */
/*
 * Tests of modules.conf and extconfig.conf parsing (runtime/policy/config.c) and of
 * the line reader under it (runtime/format/ini.c).  Input files live in
 * tests/data/config/ and are read relative to the repository root (override
 * with -DMF_TEST_DATA_DIR=...).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/manifest.h>

#include "fault_inject.h"

#ifndef MF_TEST_DATA_DIR
#define MF_TEST_DATA_DIR "tests/data/config"
#endif
#define DATA(name) MF_TEST_DATA_DIR "/" name

#define STR_LEN(s) (sizeof(s) - 1)
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static struct mf_config *new_config(void)
{
	struct mf_config *cfg = NULL;

	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

static struct mf_config *modules_ok(const char *text, size_t len)
{
	struct mf_config *cfg = new_config();
	char err[MF_ERR_MAX] = "x";
	int r;

	r = mf_config_parse_modules(cfg, "m.conf", text, len, err, sizeof(err));
	ck_assert_msg(r == 0, "parse failed (%d): %s", r, err);
	ck_assert_str_eq(err, "");
	return cfg;
}

static struct mf_config *ext_ok(const char *text, size_t len)
{
	struct mf_config *cfg = new_config();
	char err[MF_ERR_MAX] = "x";
	int r;

	r = mf_config_parse_extconfig(cfg, "e.conf", text, len, err,
				      sizeof(err));
	ck_assert_msg(r == 0, "parse failed (%d): %s", r, err);
	ck_assert_str_eq(err, "");
	return cfg;
}

/* The configuration mf_config_new() makes, whatever was tried on it. */
static void assert_empty(const struct mf_config *cfg)
{
	ck_assert_ptr_null(cfg->path);
	ck_assert_ptr_null(cfg->ext_path);
	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->autoload_line, 0);
	ck_assert_uint_eq(cfg->n_require, 0);
	ck_assert_uint_eq(cfg->n_load, 0);
	ck_assert_uint_eq(cfg->n_neverload, 0);
	ck_assert_uint_eq(cfg->n_uses, 0);
	ck_assert_uint_eq(cfg->n_ext, 0);
	ck_assert_ptr_null(cfg->require);
	ck_assert_ptr_null(cfg->load);
	ck_assert_ptr_null(cfg->neverload);
	ck_assert_ptr_null(cfg->uses);
	ck_assert_ptr_null(cfg->ext);
}

static void assert_item(const struct mf_config_item *items, size_t n,
			size_t i, const char *name, unsigned line)
{
	ck_assert_uint_gt(n, i);
	ck_assert_str_eq(items[i].name, name);
	ck_assert_uint_eq(items[i].line, line);
}

static void assert_use(const struct mf_config *cfg, size_t i,
		       const char *user, const char *type, const char *name,
		       unsigned line)
{
	ck_assert_uint_gt(cfg->n_uses, i);
	ck_assert_str_eq(cfg->uses[i].user, user);
	ck_assert_str_eq(cfg->uses[i].type, type);
	ck_assert_str_eq(cfg->uses[i].name, name);
	ck_assert_uint_eq(cfg->uses[i].line, line);
}

static void assert_str_or_null_eq(const char *a, const char *b)
{
	if (!a || !b)
		ck_assert_ptr_eq(a, b);
	else
		ck_assert_str_eq(a, b);
}

static void assert_ext(const struct mf_config *cfg, size_t i, const char *file,
		       const char *driver, const char *database,
		       const char *table, unsigned line)
{
	ck_assert_uint_gt(cfg->n_ext, i);
	ck_assert_str_eq(cfg->ext[i].file, file);
	ck_assert_str_eq(cfg->ext[i].driver, driver);
	assert_str_or_null_eq(cfg->ext[i].database, database);
	assert_str_or_null_eq(cfg->ext[i].table, table);
	ck_assert_uint_eq(cfg->ext[i].line, line);
}

/* The seed's modules.conf: every value at its line (LF or CRLF alike). */
static void assert_seed_modules(const struct mf_config *cfg)
{
	ck_assert(!cfg->autoload);
	ck_assert_uint_eq(cfg->autoload_line, 2);
	ck_assert_uint_eq(cfg->n_require, 1);
	assert_item(cfg->require, cfg->n_require, 0, "chan_sip", 3);
	ck_assert_uint_eq(cfg->n_load, 1);
	assert_item(cfg->load, cfg->n_load, 0, "app_system", 4);
	ck_assert_uint_eq(cfg->n_neverload, 2);
	assert_item(cfg->neverload, cfg->n_neverload, 0, "app_system", 7);
	assert_item(cfg->neverload, cfg->n_neverload, 1, "func_shell", 8);
	ck_assert_uint_eq(cfg->n_uses, 8);
	assert_use(cfg, 0, "chan_sip", "module", "cdr_custom", 14);
	assert_use(cfg, 1, "chan_sip", "module", "res_timing_timerfd", 15);
	assert_use(cfg, 2, "chan_sip", "module", "res_rtp_asterisk", 16);
	assert_use(cfg, 3, "chan_sip", "module", "pbx_config", 17);
	assert_use(cfg, 4, "pbx_config", "module", "app_dial", 18);
	assert_use(cfg, 5, "pbx_config", "application", "Gosub", 21);
	assert_use(cfg, 6, "pbx_config", "function", "GLOBAL", 24);
	assert_use(cfg, 7, "pbx_config", "function", "CHANNEL", 25);
}

/* ------------------------------------------------------------------ */
/* modules.conf: good input                                            */
/* ------------------------------------------------------------------ */

/* The seed's example, as in tests/data/config/seed-modules.conf. */
static const char seed_modules[] =
	"[modules]\n"
	"autoload=no\n"
	"require=chan_sip\n"
	"load=app_system\n"
	"; load=app_system will be ignored because of neverload.\n"
	"; If we add require=app_system it would prevent startup.\n"
	"neverload=app_system\n"
	"neverload=func_shell\n"
	"; neverload to allow a module to be banned. Once set, it can only\n"
	"; be turned off by editing this config and restarting Asterisk.\n"
	"\n"
	"[uses]\n"
	";type=module ; it is implied that the value's are modules\n"
	"chan_sip=cdr_custom ; chan_sip requires cdr_custom per admin\n"
	"chan_sip=res_timing_timerfd\n"
	"chan_sip=res_rtp_asterisk\n"
	"chan_sip=pbx_config\n"
	"pbx_config=app_dial\n"
	"\n"
	"type=application ; Switch to requiring applications.\n"
	"pbx_config=Gosub\n"
	"\n"
	"type=function ; switch to requiring functions.\n"
	"pbx_config=GLOBAL\n"
	"pbx_config=CHANNEL\n";

START_TEST(test_seed_modules)
{
	struct mf_config *cfg = modules_ok(seed_modules, STR_LEN(seed_modules));

	ck_assert_str_eq(cfg->path, "m.conf");
	assert_seed_modules(cfg);
	ck_assert_uint_eq(cfg->n_ext, 0);
	ck_assert_ptr_null(cfg->ext_path);
	mf_config_free(cfg);
}
END_TEST

START_TEST(test_defaults)
{
	struct mf_config *cfg = new_config();

	assert_empty(cfg);
	mf_config_free(cfg);
	mf_config_free(NULL);

	/* An empty file, or one with empty sections, changes nothing. */
	cfg = modules_ok("", 0);
	ck_assert_str_eq(cfg->path, "m.conf");
	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->n_load + cfg->n_uses, 0);
	mf_config_free(cfg);
	cfg = modules_ok("; nothing\n[uses]\n\n[modules]\n",
			 STR_LEN("; nothing\n[uses]\n\n[modules]\n"));
	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->autoload_line, 0);
	ck_assert_uint_eq(cfg->n_load + cfg->n_uses, 0);
	mf_config_free(cfg);
}
END_TEST

static const struct {
	const char *text;
	bool value;
} bool_cases[] = {
	{"yes", true}, {"true", true},	 {"1", true},
	{"no", false}, {"false", false}, {"0", false},
};

START_TEST(test_autoload_values)
{
	char text[128];
	struct mf_config *cfg;

	snprintf(text, sizeof(text), "\n[modules]\nautoload = %s ; why\n",
		 bool_cases[_i].text);
	cfg = modules_ok(text, strlen(text));
	ck_assert_int_eq(cfg->autoload, bool_cases[_i].value);
	ck_assert_uint_eq(cfg->autoload_line, 3);
	mf_config_free(cfg);
}
END_TEST

/* ".so" is accepted after every module name and never stored. */
START_TEST(test_so_stripped)
{
	static const char text[] = "[modules]\n"
				   "require=chan_sip.so\n"
				   "load=app_dial.so\n"
				   "neverload=app_system.so\n"
				   "load=so\n"
				   "load=_so.so\n"
				   "[uses]\n"
				   "chan_sip.so=pbx_config.so\n"
				   "type=application\n"
				   "pbx_config.so=Dial.so\n";
	struct mf_config *cfg = modules_ok(text, STR_LEN(text));

	assert_item(cfg->require, cfg->n_require, 0, "chan_sip", 2);
	assert_item(cfg->load, cfg->n_load, 0, "app_dial", 3);
	assert_item(cfg->neverload, cfg->n_neverload, 0, "app_system", 4);
	assert_item(cfg->load, cfg->n_load, 1, "so", 5);
	assert_item(cfg->load, cfg->n_load, 2, "_so", 6);
	assert_use(cfg, 0, "chan_sip", "module", "pbx_config", 8);
	/* Only module names lose ".so": an application keeps its name. */
	assert_use(cfg, 1, "pbx_config", "application", "Dial.so", 10);
	mf_config_free(cfg);
}
END_TEST

/* load= and neverload= of one module are both kept: apply decides. */
START_TEST(test_conflicts_kept)
{
	static const char text[] = "[modules]\n"
				   "load=a\n"
				   "neverload=a\n"
				   "require=b\n"
				   "neverload=b\n"
				   "require=c\n"
				   "load=c\n";
	struct mf_config *cfg = modules_ok(text, STR_LEN(text));

	ck_assert_uint_eq(cfg->n_require, 2);
	ck_assert_uint_eq(cfg->n_load, 2);
	ck_assert_uint_eq(cfg->n_neverload, 2);
	assert_item(cfg->load, cfg->n_load, 0, "a", 2);
	assert_item(cfg->neverload, cfg->n_neverload, 0, "a", 3);
	assert_item(cfg->require, cfg->n_require, 0, "b", 4);
	assert_item(cfg->neverload, cfg->n_neverload, 1, "b", 5);
	assert_item(cfg->require, cfg->n_require, 1, "c", 6);
	assert_item(cfg->load, cfg->n_load, 1, "c", 7);
	mf_config_free(cfg);
}
END_TEST

/*
 * Inline comments start at a ';' after a blank; "\;" is a ';'; a ';' inside
 * a word is text.  "=>" is the same as "=".  Headers may carry a comment.
 */
START_TEST(test_asterisk_syntax)
{
	static const char text[] =
		"  [modules]\t; header comment\n"
		"load => chan_sip.so ; arrow, .so and a comment\n"
		"load\t=>\tapp_dial\t;\ttabs\n"
		"require=>pbx_config;x\n"; /* no blank before ';': a bad name */
	static const char uses[] =
		"[uses]\n"
		"type = application;x ; not a type\n";
	static const char good_uses[] =
		"[uses]\n"
		"type=application\n"
		"pbx_config = a\\;b\n"
		"pbx_config = c;d ; e\n"
		"pbx_config = \\;\n"
		"pbx_config = f\\\n"
		"pbx_config = g\\\\;h\n"
		"pbx_config => >i ; '>' after '=>' is text\n"
		"type = function ;; two\n"
		"pbx_config = K\t;\n"
		"#include_me is a comment\n"
		"#\n";
	char err[MF_ERR_MAX];
	struct mf_config *cfg = new_config();

	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", text,
						 STR_LEN(text), err,
						 sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "m.conf:4: invalid module name 'pbx_config;x' "
			      "(want [a-z0-9_], starting with a letter or '_', "
			      "at most 63 characters)");
	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", uses,
						 STR_LEN(uses), err,
						 sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "m.conf:2: invalid type 'application;x' "
			      "(want [a-z0-9_], starting with a letter)");
	assert_empty(cfg);
	mf_config_free(cfg);

	cfg = modules_ok(text, STR_LEN(text) - STR_LEN("require=>pbx_config;x\n"));
	assert_item(cfg->load, cfg->n_load, 0, "chan_sip", 2);
	assert_item(cfg->load, cfg->n_load, 1, "app_dial", 3);
	mf_config_free(cfg);

	cfg = modules_ok(good_uses, STR_LEN(good_uses));
	ck_assert_uint_eq(cfg->n_uses, 7);
	assert_use(cfg, 0, "pbx_config", "application", "a;b", 3);
	assert_use(cfg, 1, "pbx_config", "application", "c;d", 4);
	assert_use(cfg, 2, "pbx_config", "application", ";", 5);
	assert_use(cfg, 3, "pbx_config", "application", "f\\", 6);
	assert_use(cfg, 4, "pbx_config", "application", "g\\;h", 7);
	assert_use(cfg, 5, "pbx_config", "application", ">i", 8);
	assert_use(cfg, 6, "pbx_config", "function", "K", 10);
	mf_config_free(cfg);
}
END_TEST

/* The [uses] type persists until the next type= line, back to module too. */
START_TEST(test_uses_types)
{
	static const char text[] = "[uses]\n"
				   "type=service\n"
				   "res_x=timer\n"
				   "type=module\n"
				   "res_x=res_y\n"
				   "type=realtime_2\n"
				   "res_x=!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~\n"
				   "type=module\n"
				   "type=function\n"
				   "res_x=timer\n"
				   "res_y=timer\n"
				   "type=service\n"
				   "res_y=timer\n";
	struct mf_config *cfg = modules_ok(text, STR_LEN(text));

	ck_assert_uint_eq(cfg->n_uses, 6);
	assert_use(cfg, 0, "res_x", "service", "timer", 3);
	assert_use(cfg, 1, "res_x", "module", "res_y", 5);
	assert_use(cfg, 2, "res_x", "realtime_2",
		   "!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~", 7);
	assert_use(cfg, 3, "res_x", "function", "timer", 10);
	assert_use(cfg, 4, "res_y", "function", "timer", 11);
	assert_use(cfg, 5, "res_y", "service", "timer", 13);
	mf_config_free(cfg);
}
END_TEST

/* 63 characters is the longest module name; 1024 bytes the longest line. */
START_TEST(test_limits)
{
	char name[64], text[2200], err[MF_ERR_MAX];
	struct mf_config *cfg;
	int n;

	memset(name, 'n', 63);
	name[63] = '\0';
	n = snprintf(text, sizeof(text), "[modules]\nload=%s.so\n[uses]\n"
					 "type=function\n%s=", name, name);
	memset(text + n, 'F', MF_MANIFEST_LINE_MAX - 64);
	n += MF_MANIFEST_LINE_MAX - 64;
	memcpy(text + n, "\r\n", 3);
	cfg = modules_ok(text, strlen(text));
	assert_item(cfg->load, cfg->n_load, 0, name, 2);
	ck_assert_uint_eq(strlen(cfg->uses[0].name), MF_MANIFEST_LINE_MAX - 64);
	mf_config_free(cfg);

	/* One more byte is one too many. */
	text[n] = 'F';
	memcpy(text + n + 1, "\r\n", 3);
	cfg = new_config();
	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", text,
						 strlen(text), err,
						 sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "m.conf:5: line too long (1025 bytes, max 1024)");
	mf_config_free(cfg);
}
END_TEST

/* A failed parse keeps what the configuration had; a good one replaces. */
START_TEST(test_failure_keeps_config)
{
	static const char bad[] = "[modules]\nautoload=yes\nload=a\nload=B\n";
	static const char other[] = "[modules]\nload=z\n";
	static const char ext_bad[] = "[settings]\na.conf => odbc\nb/c => x\n";
	static const char ext_other[] = "[settings]\nb.conf => pgsql,db\n";
	static const char ext_good[] = "[settings]\nx => y\n";
	struct mf_config *cfg = modules_ok(seed_modules, STR_LEN(seed_modules));
	char err[MF_ERR_MAX];

	ck_assert_int_eq(mf_config_parse_modules(cfg, "bad.conf", bad,
						 STR_LEN(bad), err,
						 sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(cfg->path, "m.conf");
	assert_seed_modules(cfg);

	ck_assert_int_eq(mf_config_parse_extconfig(cfg, "e.conf",
						   ext_good, STR_LEN(ext_good),
						   err, sizeof(err)),
			 0);
	ck_assert_int_eq(mf_config_parse_extconfig(cfg, "bad.conf", ext_bad,
						   STR_LEN(ext_bad), err,
						   sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "bad.conf:3: invalid file name 'b/c' (names are "
			      "not paths)");
	ck_assert_str_eq(cfg->ext_path, "e.conf");
	ck_assert_uint_eq(cfg->n_ext, 1);
	assert_ext(cfg, 0, "x", "y", NULL, NULL, 2);
	assert_seed_modules(cfg);

	/* Each file's half is replaced on its own. */
	ck_assert_int_eq(mf_config_parse_modules(cfg, "o.conf", other,
						 STR_LEN(other), err,
						 sizeof(err)),
			 0);
	ck_assert_str_eq(cfg->path, "o.conf");
	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->autoload_line, 0);
	ck_assert_uint_eq(cfg->n_require + cfg->n_neverload + cfg->n_uses, 0);
	ck_assert_uint_eq(cfg->n_load, 1);
	assert_item(cfg->load, cfg->n_load, 0, "z", 2);
	ck_assert_str_eq(cfg->ext_path, "e.conf");
	ck_assert_uint_eq(cfg->n_ext, 1);
	ck_assert_int_eq(mf_config_parse_extconfig(cfg, "e2.conf", ext_other,
						   STR_LEN(ext_other), err,
						   sizeof(err)),
			 0);
	ck_assert_str_eq(cfg->ext_path, "e2.conf");
	ck_assert_uint_eq(cfg->n_ext, 1);
	assert_ext(cfg, 0, "b.conf", "pgsql", "db", NULL, 2);
	ck_assert_str_eq(cfg->path, "o.conf");
	mf_config_free(cfg);
}
END_TEST

/* Many lines: the arrays grow past their first allocation. */
START_TEST(test_many_lines)
{
	size_t cap = 64 * 1000, n = 0, i;
	char *text = malloc(cap);
	struct mf_config *cfg;

	ck_assert_ptr_nonnull(text);
	n += (size_t)snprintf(text + n, cap - n, "[modules]\n");
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, cap - n, "load=m%zu\nneverload=n%zu\n", i, i);
	n += (size_t)snprintf(text + n, cap - n, "[uses]\n");
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, cap - n, "m%zu=n%zu\n", i, i);
	ck_assert_uint_lt(n, cap);
	cfg = modules_ok(text, n);
	ck_assert_uint_eq(cfg->n_load, 300);
	ck_assert_uint_eq(cfg->n_neverload, 300);
	ck_assert_uint_eq(cfg->n_uses, 300);
	assert_item(cfg->load, cfg->n_load, 299, "m299", 2 + 2 * 299);
	assert_use(cfg, 299, "m299", "module", "n299", 602 + 300);
	mf_config_free(cfg);
	free(text);
}
END_TEST

/* ------------------------------------------------------------------ */
/* extconfig.conf: good input                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_seed_extconfig)
{
	static const char text[] =
		"[settings]\n"
		"extensions.conf => sqlite3,asterisk,ast_config\n";
	struct mf_config *cfg = ext_ok(text, STR_LEN(text));

	ck_assert_str_eq(cfg->ext_path, "e.conf");
	ck_assert_ptr_null(cfg->path);
	ck_assert_uint_eq(cfg->n_ext, 1);
	assert_ext(cfg, 0, "extensions.conf", "sqlite3", "asterisk",
		   "ast_config", 2);
	/* extconfig.conf leaves the modules.conf half alone. */
	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->n_load + cfg->n_uses, 0);
	mf_config_free(cfg);
}
END_TEST

START_TEST(test_extconfig_forms)
{
	static const char text[] =
		"\r\n"
		"; comment\r\n"
		"[ settings ] ; the only section\r\n"
		"a.conf=odbc\r\n"
		"  b.conf  =>  pgsql , db\t, tbl  ; comment\r\n"
		"sippeers => odbc,asterisk,sip_peers\r\n"
		".hidden=x9_\r\n"
		"a..b => ldap,dc=example;x,ou=a\\;b\r\n"
		"c.conf => curl,http://h:1/p?q=1\r\n"
		"d.conf = > x\r\n";
	struct mf_config *cfg;
	char err[MF_ERR_MAX];

	cfg = new_config();
	/* "= >" is no arrow: the driver is "> x", which is refused. */
	ck_assert_int_eq(mf_config_parse_extconfig(cfg, "e.conf", text,
						   STR_LEN(text), err,
						   sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "e.conf:10: invalid driver '> x' (want [a-z0-9_], "
			      "starting with a letter)");
	mf_config_free(cfg);

	cfg = ext_ok(text, STR_LEN(text) - STR_LEN("d.conf = > x\r\n"));
	ck_assert_uint_eq(cfg->n_ext, 6);
	assert_ext(cfg, 0, "a.conf", "odbc", NULL, NULL, 4);
	assert_ext(cfg, 1, "b.conf", "pgsql", "db", "tbl", 5);
	assert_ext(cfg, 2, "sippeers", "odbc", "asterisk", "sip_peers", 6);
	assert_ext(cfg, 3, ".hidden", "x9_", NULL, NULL, 7);
	assert_ext(cfg, 4, "a..b", "ldap", "dc=example;x", "ou=a;b", 8);
	assert_ext(cfg, 5, "c.conf", "curl", "http://h:1/p?q=1", NULL, 9);
	mf_config_free(cfg);

	cfg = ext_ok("", 0);
	ck_assert_str_eq(cfg->ext_path, "e.conf");
	ck_assert_uint_eq(cfg->n_ext, 0);
	mf_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad input: one row per error, with the exact message                */
/* ------------------------------------------------------------------ */

#define NAME_HINT                                                              \
	"(want [a-z0-9_], starting with a letter or '_', at most 63 "          \
	"characters)"
#define TYPE_HINT "(want [a-z0-9_], starting with a letter)"
#define BOOL_HINT "(want yes, no, true, false, 1 or 0)"
#define M "[modules]\n" /* one line */
#define U "[uses]\n"	/* one line */
#define S "[settings]\n" /* one line */
#define ROW(text, want) {text, STR_LEN(text), want}

struct bad_case {
	const char *text;
	size_t len;
	const char *want;
};

static const struct bad_case modules_bad[] = {
	/* Lines, as for every format of ini.c. */
	ROW("autoload=no\n", "m.conf:1: text before the first section"),
	ROW("; c\nload=a ; c\n[modules]\n", "m.conf:2: text before the first section"),
	ROW(M "load=a\0\n", "m.conf:2: NUL byte"),
	ROW(M "; \0\n", "m.conf:2: NUL byte"),
	ROW(M "load=a\x01\n", "m.conf:2: control character 0x01"),
	ROW(M "load=a\rb\n", "m.conf:2: control character 0x0d"),
	ROW(M "load=a\r\r\n", "m.conf:2: control character 0x0d"),
	ROW(M "; \x1b[0m\n", "m.conf:2: control character 0x1b"),
	ROW(M "load=\x7f\n", "m.conf:2: control character 0x7f"),
	ROW("[modules\n", "m.conf:1: bad section header"),
	ROW("[]\n", "m.conf:1: bad section header"),
	ROW("[ ] ; empty\n", "m.conf:1: bad section header"),
	ROW("[[modules]]\n", "m.conf:1: bad section header"),
	ROW("[modules](+)\n", "m.conf:1: bad section header"),
	ROW("[modules] x\n", "m.conf:1: bad section header"),
	ROW(M "autoload\n", "m.conf:2: missing '='"),
	ROW(M "load app_dial ; c=d\n", "m.conf:2: missing '='"),
	ROW(M "=yes\n", "m.conf:2: empty key"),
	ROW(M " => a\n", "m.conf:2: empty key"),
	ROW(M "autoload=\n", "m.conf:2: empty value for 'autoload'"),
	ROW(M "autoload= ; nothing\n", "m.conf:2: empty value for 'autoload'"),
	ROW(M "load=>\n", "m.conf:2: empty value for 'load'"),
	ROW(M "load =>  \t; x\n", "m.conf:2: empty value for 'load'"),
	ROW("#include \"other.conf\"\n", "m.conf:1: '#include' is not supported"),
	ROW(M "  #include other.conf\n", "m.conf:2: '#include' is not supported"),
	ROW(M "#include<x>\n", "m.conf:2: '#include' is not supported"),
	ROW(M "#tryinclude x.conf\n", "m.conf:2: '#tryinclude' is not supported"),
	ROW(M "#exec /bin/true\n", "m.conf:2: '#exec' is not supported"),
	ROW(M "#include\n", "m.conf:2: '#include' is not supported"),
	/* Sections. */
	ROW(M "[bogus]\n", "m.conf:2: unknown section 'bogus'"),
	ROW("[Modules]\n", "m.conf:1: unknown section 'Modules'"),
	ROW("[general]\n", "m.conf:1: unknown section 'general'"),
	ROW("[settings]\n", "m.conf:1: unknown section 'settings'"),
	ROW(M U M, "m.conf:3: duplicate section 'modules'"),
	ROW(U "\n[ uses ] ; again\n", "m.conf:3: duplicate section 'uses'"),
	/* [modules]. */
	ROW(M "autoload=yes\nautoload=yes\n", "m.conf:3: duplicate key 'autoload'"),
	ROW(M "autoload=no\n" U M, "m.conf:4: duplicate section 'modules'"),
	ROW(M "autoload=on\n", "m.conf:2: bad boolean 'on' for autoload " BOOL_HINT),
	ROW(M "autoload=Yes\n", "m.conf:2: bad boolean 'Yes' for autoload " BOOL_HINT),
	ROW(M "autoload=yes no\n", "m.conf:2: bad boolean 'yes no' for autoload " BOOL_HINT),
	ROW(M "preload=res_odbc.so\n", "m.conf:2: unknown key 'preload' in [modules]"),
	ROW(M "noload => chan_alsa.so\n", "m.conf:2: unknown key 'noload' in [modules]"),
	ROW(M "preload-require=x\n", "m.conf:2: unknown key 'preload-require' in [modules]"),
	ROW(M "Load=x\n", "m.conf:2: unknown key 'Load' in [modules]"),
	ROW(M "type=module\n", "m.conf:2: unknown key 'type' in [modules]"),
	ROW(M "lo ad=x\n", "m.conf:2: unknown key 'lo ad' in [modules]"),
	ROW(M "load=../x\n", "m.conf:2: invalid module name '../x' (names are not paths)"),
	ROW(M "require=/usr/lib/asterisk/modules/chan_sip.so\n",
	    "m.conf:2: invalid module name '/usr/lib/asterisk/modules/chan_sip.so' "
	    "(names are not paths)"),
	ROW(M "load=x/y\n", "m.conf:2: invalid module name 'x/y' (names are not paths)"),
	ROW(M "neverload=.hidden\n", "m.conf:2: invalid module name '.hidden' (names are not paths)"),
	ROW(M "load=.so\n", "m.conf:2: invalid module name '.so' (names are not paths)"),
	ROW(M "load=..\n", "m.conf:2: invalid module name '..' (names are not paths)"),
	ROW(M "load=Chan_SIP\n", "m.conf:2: invalid module name 'Chan_SIP' " NAME_HINT),
	ROW(M "load=chan-sip\n", "m.conf:2: invalid module name 'chan-sip' " NAME_HINT),
	ROW(M "load=1chan\n", "m.conf:2: invalid module name '1chan' " NAME_HINT),
	ROW(M "load=a b\n", "m.conf:2: invalid module name 'a b' " NAME_HINT),
	ROW(M "load=chan_sip.so.so\n", "m.conf:2: invalid module name 'chan_sip.so.so' " NAME_HINT),
	ROW(M "load=chan_sip.SO\n", "m.conf:2: invalid module name 'chan_sip.SO' " NAME_HINT),
	ROW(M "load=chan_sip;c\n", "m.conf:2: invalid module name 'chan_sip;c' " NAME_HINT),
	ROW(M "load=a\\;b\n", "m.conf:2: invalid module name 'a;b' " NAME_HINT),
	ROW(M "load=\xc3\xa9\n", "m.conf:2: invalid module name '\xc3\xa9' " NAME_HINT),
	ROW(M "load=nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.so\n",
	    "m.conf:2: invalid module name "
	    "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.so' " NAME_HINT),
	ROW(M "load=app_system\nload=app_system\n",
	    "m.conf:3: duplicate 'load=app_system' (first at line 2)"),
	ROW(M "load=app_system.so\n\nload => app_system ; again\n",
	    "m.conf:4: duplicate 'load=app_system' (first at line 2)"),
	ROW(M "require=a\nload=b\nneverload=a\nrequire=a\n",
	    "m.conf:5: duplicate 'require=a' (first at line 2)"),
	ROW(M "neverload=a\nneverload=b\nneverload=a.so\n",
	    "m.conf:4: duplicate 'neverload=a' (first at line 2)"),
	/* [uses]. */
	ROW(U "type=Application\n", "m.conf:2: invalid type 'Application' " TYPE_HINT),
	ROW(U "type=1x\n", "m.conf:2: invalid type '1x' " TYPE_HINT),
	ROW(U "type=_x\n", "m.conf:2: invalid type '_x' " TYPE_HINT),
	ROW(U "type=a b\n", "m.conf:2: invalid type 'a b' " TYPE_HINT),
	ROW(U "type=app-lication\n", "m.conf:2: invalid type 'app-lication' " TYPE_HINT),
	ROW(U "Chan_sip=x\n", "m.conf:2: invalid module name 'Chan_sip' " NAME_HINT),
	ROW(U "../chan_sip=x\n", "m.conf:2: invalid module name '../chan_sip' (names are not paths)"),
	ROW(U "chan_sip=../x.so\n", "m.conf:2: invalid module name '../x.so' (names are not paths)"),
	ROW(U "chan_sip=Gosub\n", "m.conf:2: invalid module name 'Gosub' " NAME_HINT),
	ROW(U "type=application\nGosub=pbx_config\n",
	    "m.conf:3: invalid module name 'Gosub' " NAME_HINT),
	ROW(U "type=application\npbx_config=Go sub\n",
	    "m.conf:3: invalid name 'Go sub' for type 'application' "
	    "(want printable ASCII without blanks or '=')"),
	ROW(U "type=application\nx = ;j\n", "m.conf:3: empty value for 'x'"),
	ROW(U "type=function\npbx_config=A=B\n",
	    "m.conf:3: invalid name 'A=B' for type 'function' "
	    "(want printable ASCII without blanks or '=')"),
	ROW(U "type=function\npbx_config=\xc3\xa9t\xc3\xa9\n",
	    "m.conf:3: invalid name '\xc3\xa9t\xc3\xa9' for type 'function' "
	    "(want printable ASCII without blanks or '=')"),
	ROW(U "chan_sip=chan_sip\n", "m.conf:2: module 'chan_sip' uses itself"),
	ROW(U "chan_sip.so=chan_sip\n", "m.conf:2: module 'chan_sip' uses itself"),
	ROW(U "a=b\nc=b\na=b.so\n",
	    "m.conf:4: duplicate 'a=b' for type 'module' (first at line 2)"),
	ROW(U "type=function\na=X\ntype=application\na=X\ntype=function\na=X\n",
	    "m.conf:7: duplicate 'a=X' for type 'function' (first at line 3)"),
	/* Only the first error is reported. */
	ROW(M "load=A\nload=B\n[bogus]\n", "m.conf:2: invalid module name 'A' " NAME_HINT),
};

static const struct bad_case ext_bad[] = {
	ROW("extensions.conf => sqlite3\n", "e.conf:1: text before the first section"),
	ROW("[general]\n", "e.conf:1: unknown section 'general'"),
	ROW("[modules]\n", "e.conf:1: unknown section 'modules'"),
	ROW(S S, "e.conf:2: duplicate section 'settings'"),
	ROW("[settings\n", "e.conf:1: bad section header"),
	ROW("#include x.conf\n", "e.conf:1: '#include' is not supported"),
	ROW(S "a.conf => odbc\0\n", "e.conf:2: NUL byte"),
	ROW(S "a.conf => odbc\t\x02\n", "e.conf:2: control character 0x02"),
	ROW(S "extensions.conf\n", "e.conf:2: missing '='"),
	ROW(S "extensions.conf -> odbc\n", "e.conf:2: missing '='"),
	ROW(S "=> sqlite3\n", "e.conf:2: empty key"),
	ROW(S "extensions.conf =>\n", "e.conf:2: empty value for 'extensions.conf'"),
	ROW(S "extensions.conf => ; later\n", "e.conf:2: empty value for 'extensions.conf'"),
	ROW(S "etc/extensions.conf => sqlite3\n",
	    "e.conf:2: invalid file name 'etc/extensions.conf' (names are not paths)"),
	ROW(S "/x => sqlite3\n", "e.conf:2: invalid file name '/x' (names are not paths)"),
	ROW(S ".. => sqlite3\n", "e.conf:2: invalid file name '..' (names are not paths)"),
	ROW(S ". => sqlite3\n", "e.conf:2: invalid file name '.' (names are not paths)"),
	ROW(S "my file.conf => sqlite3\n",
	    "e.conf:2: invalid file name 'my file.conf' (want printable ASCII without blanks)"),
	ROW(S "\xc3\xa9.conf => sqlite3\n",
	    "e.conf:2: invalid file name '\xc3\xa9.conf' (want printable ASCII without blanks)"),
	ROW(S "x.conf => SQLite3\n", "e.conf:2: invalid driver 'SQLite3' " TYPE_HINT),
	ROW(S "x.conf => res_config_sqlite3.so\n",
	    "e.conf:2: invalid driver 'res_config_sqlite3.so' " TYPE_HINT),
	ROW(S "x.conf => 3x\n", "e.conf:2: invalid driver '3x' " TYPE_HINT),
	ROW(S "x.conf => odbc pg\n", "e.conf:2: invalid driver 'odbc pg' " TYPE_HINT),
	ROW(S "x.conf => ,asterisk\n", "e.conf:2: empty driver for 'x.conf'"),
	ROW(S "x.conf => \t,asterisk\n", "e.conf:2: empty driver for 'x.conf'"),
	ROW(S "x.conf => sqlite3,,ast_config\n", "e.conf:2: empty database for 'x.conf'"),
	ROW(S "x.conf => sqlite3,\n", "e.conf:2: empty database for 'x.conf'"),
	ROW(S "x.conf => sqlite3, ,t\n", "e.conf:2: empty database for 'x.conf'"),
	ROW(S "x.conf => sqlite3,db,\n", "e.conf:2: empty table for 'x.conf'"),
	ROW(S "x.conf => sqlite3,db, ; c\n", "e.conf:2: empty table for 'x.conf'"),
	ROW(S "x.conf => sqlite3,a b\n",
	    "e.conf:2: invalid database 'a b' (want printable ASCII without blanks)"),
	ROW(S "x.conf => sqlite3,db,t x\n",
	    "e.conf:2: invalid table 't x' (want printable ASCII without blanks)"),
	ROW(S "x.conf => sqlite3,db,\xc3\xa9\n",
	    "e.conf:2: invalid table '\xc3\xa9' (want printable ASCII without blanks)"),
	ROW(S "x.conf => sqlite3,a,b,c\n",
	    "e.conf:2: too many fields in 'sqlite3,a,b,c' (want DRIVER[,DATABASE[,TABLE]])"),
	ROW(S "x.conf => ,,,\n",
	    "e.conf:2: too many fields in ',,,' (want DRIVER[,DATABASE[,TABLE]])"),
	ROW(S "extensions.conf => sqlite3,asterisk,ast_config\n"
	      "sippeers => odbc\n"
	      "extensions.conf = odbc\n",
	    "e.conf:4: duplicate setting for 'extensions.conf' (first at line 2)"),
	ROW(S "x.conf=a\n\n x.conf => ; c\n", "e.conf:4: empty value for 'x.conf'"),
};

static void check_bad(const struct bad_case *c, bool ext)
{
	struct mf_config *cfg = new_config();
	char err[MF_ERR_MAX] = "";
	int r;

	if (ext)
		r = mf_config_parse_extconfig(cfg, "e.conf", c->text, c->len,
					      err, sizeof(err));
	else
		r = mf_config_parse_modules(cfg, "m.conf", c->text, c->len, err,
					    sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_str_eq(err, c->want);
	assert_empty(cfg);
	mf_config_free(cfg);
}

START_TEST(test_modules_bad)
{
	check_bad(&modules_bad[_i], false);
}
END_TEST

START_TEST(test_ext_bad)
{
	check_bad(&ext_bad[_i], true);
}
END_TEST

START_TEST(test_err_null_and_small)
{
	static const char bad[] = "[modules]\nload=A\n";
	struct mf_config *cfg = new_config();
	char err[8];

	/* No room for a message is no reason to fail differently. */
	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", bad,
						 STR_LEN(bad), NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(mf_config_parse_extconfig(cfg, "e.conf", bad,
						   STR_LEN(bad), NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", bad,
						 STR_LEN(bad), err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "m.conf:");
	ck_assert_int_eq(mf_config_parse_modules(cfg, "m.conf", seed_modules,
						 STR_LEN(seed_modules), err, 1),
			 0);
	ck_assert_str_eq(err, "");
	assert_seed_modules(cfg);
	mf_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Loading files                                                       */
/* ------------------------------------------------------------------ */

static void load_fails(const char *modules_conf, const char *extconfig_conf,
		       int want_r, const char *want)
{
	struct mf_config *cfg = (struct mf_config *)&cfg;
	char err[MF_ERR_MAX] = "";

	ck_assert_int_eq(mf_config_load(&cfg, modules_conf, extconfig_conf, err,
					sizeof(err)),
			 want_r);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err, want);
}

static struct mf_config *load_ok(const char *modules_conf,
				 const char *extconfig_conf)
{
	struct mf_config *cfg = NULL;
	char err[MF_ERR_MAX] = "x";

	ck_assert_msg(mf_config_load(&cfg, modules_conf, extconfig_conf, err,
				     sizeof(err)) == 0,
		      "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

START_TEST(test_load_seed_files)
{
	struct mf_config *cfg = load_ok(DATA("seed-modules.conf"),
					DATA("seed-extconfig.conf"));

	ck_assert_str_eq(cfg->path, DATA("seed-modules.conf"));
	ck_assert_str_eq(cfg->ext_path, DATA("seed-extconfig.conf"));
	ck_assert_uint_eq(cfg->n_ext, 1);
	assert_ext(cfg, 0, "extensions.conf", "sqlite3", "asterisk",
		   "ast_config", 2);
	assert_seed_modules(cfg);
	mf_config_free(cfg);
}
END_TEST

/* The file is the seed's text, byte for byte. */
START_TEST(test_seed_file_is_verbatim)
{
	char buf[sizeof(seed_modules) + 16];
	FILE *fp = fopen(DATA("seed-modules.conf"), "rb");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	ck_assert_uint_eq(n, STR_LEN(seed_modules));
	ck_assert_int_eq(memcmp(buf, seed_modules, n), 0);
}
END_TEST

START_TEST(test_load_crlf)
{
	struct mf_config *cfg = load_ok(DATA("crlf-modules.conf"), NULL);

	ck_assert_str_eq(cfg->path, DATA("crlf-modules.conf"));
	ck_assert_ptr_null(cfg->ext_path);
	ck_assert_uint_eq(cfg->n_ext, 0);
	assert_seed_modules(cfg);
	mf_config_free(cfg);
}
END_TEST

START_TEST(test_load_asterisk_style)
{
	struct mf_config *cfg = load_ok(DATA("asterisk-modules.conf"),
					DATA("full-extconfig.conf"));

	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->autoload_line, 6);
	ck_assert_uint_eq(cfg->n_load, 2);
	assert_item(cfg->load, cfg->n_load, 0, "chan_sip", 7);
	assert_item(cfg->load, cfg->n_load, 1, "res_musiconhold", 8);
	ck_assert_uint_eq(cfg->n_require, 1);
	assert_item(cfg->require, cfg->n_require, 0, "pbx_config", 9);
	ck_assert_uint_eq(cfg->n_neverload, 1);
	assert_item(cfg->neverload, cfg->n_neverload, 0, "app_system", 10);
	ck_assert_uint_eq(cfg->n_uses, 3);
	assert_use(cfg, 0, "chan_sip", "module", "pbx_config", 14);
	assert_use(cfg, 1, "pbx_config", "application", "Dial", 16);
	assert_use(cfg, 2, "pbx_config", "application", "semi;colon", 17);

	ck_assert_uint_eq(cfg->n_ext, 4);
	assert_ext(cfg, 0, "extensions.conf", "sqlite3", "asterisk",
		   "ast_config", 3);
	assert_ext(cfg, 1, "sippeers", "odbc", "asterisk", "sip_peers", 4);
	assert_ext(cfg, 2, "queues.conf", "pgsql", "asterisk", NULL, 5);
	assert_ext(cfg, 3, "voicemail.conf", "ldap", NULL, NULL, 6);
	mf_config_free(cfg);
}
END_TEST

START_TEST(test_load_none)
{
	struct mf_config *cfg = load_ok(NULL, NULL);

	assert_empty(cfg);
	mf_config_free(cfg);
	cfg = load_ok(NULL, DATA("seed-extconfig.conf"));
	ck_assert_ptr_null(cfg->path);
	ck_assert(cfg->autoload);
	ck_assert_uint_eq(cfg->n_ext, 1);
	mf_config_free(cfg);
}
END_TEST

START_TEST(test_load_bad_files)
{
	load_fails(DATA("bad/unknown-key.conf"), NULL, -EINVAL,
		   DATA("bad/unknown-key.conf") ":3: unknown key 'preload' in [modules]");
	load_fails(DATA("bad/path-name.conf"), NULL, -EINVAL,
		   DATA("bad/path-name.conf")
		   ":3: invalid module name '../../tmp/evil.so' (names are not paths)");
	load_fails(DATA("bad/include.conf"), NULL, -EINVAL,
		   DATA("bad/include.conf") ":2: '#include' is not supported");
	load_fails(DATA("bad/nul.conf"), NULL, -EINVAL,
		   DATA("bad/nul.conf") ":3: NUL byte");
	load_fails(NULL, DATA("bad/duplicate-setting.conf"), -EINVAL,
		   DATA("bad/duplicate-setting.conf")
		   ":4: duplicate setting for 'extensions.conf' (first at line 2)");
	/* A good modules.conf does not save a bad extconfig.conf. */
	load_fails(DATA("seed-modules.conf"), DATA("bad/duplicate-setting.conf"),
		   -EINVAL,
		   DATA("bad/duplicate-setting.conf")
		   ":4: duplicate setting for 'extensions.conf' (first at line 2)");
	/* The files are not mixed up: each has its own grammar. */
	load_fails(DATA("seed-extconfig.conf"), NULL, -EINVAL,
		   DATA("seed-extconfig.conf") ":1: unknown section 'settings'");
	load_fails(NULL, DATA("seed-modules.conf"), -EINVAL,
		   DATA("seed-modules.conf") ":1: unknown section 'modules'");
}
END_TEST

START_TEST(test_load_io_errors)
{
	load_fails(DATA("no_such.conf"), NULL, -ENOENT,
		   DATA("no_such.conf") ": No such file or directory");
	load_fails(DATA("seed-modules.conf"), DATA("no_such_ext.conf"), -ENOENT,
		   DATA("no_such_ext.conf") ": No such file or directory");
	load_fails(DATA(""), NULL, -EISDIR, DATA("") ": Is a directory");
	load_fails(NULL, DATA("seed-modules.conf/x"), -ENOTDIR,
		   DATA("seed-modules.conf/x") ": Not a directory");
	/* Not a regular file: read to the end all the same; empty is fine. */
	{
		struct mf_config *cfg = load_ok("/dev/null", "/dev/null");

		ck_assert_str_eq(cfg->path, "/dev/null");
		ck_assert_str_eq(cfg->ext_path, "/dev/null");
		mf_config_free(cfg);
	}
}
END_TEST

/* Write @size bytes: a [modules] header, then comment lines. */
static void make_big_config(char *path, size_t size)
{
	static const char head[] = "[modules]\n";
	char line[100];
	size_t done;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(head, fp);
	done = STR_LEN(head);
	memset(line, 'c', sizeof(line));
	line[0] = ';';
	while (done < size) {
		size_t n = size - done < sizeof(line) ? size - done : sizeof(line);

		line[n - 1] = '\n';
		ck_assert_uint_eq(fwrite(line, 1, n, fp), n);
		line[n - 1] = 'c';
		done += n;
	}
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_load_size_limit)
{
	char path[] = "/tmp/check_config_XXXXXX", want[128];
	struct mf_config *cfg;

	make_big_config(path, 1024 * 1024);
	cfg = load_ok(path, NULL);
	ck_assert_str_eq(cfg->path, path);
	mf_config_free(cfg);
	unlink(path);

	strcpy(path, "/tmp/check_config_XXXXXX");
	make_big_config(path, 1024 * 1024 + 1);
	snprintf(want, sizeof(want), "%s: file too large (max 1048576 bytes)",
		 path);
	load_fails(NULL, path, -EFBIG, want);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Out of memory: fail each allocation in turn                         */
/* ------------------------------------------------------------------ */

/* The runtime's allocation hook fails one allocation at a time. */

/*
 * Parse into a configuration that already holds the seed's modules.conf and
 * an extconfig.conf, with allocation 0, 1, 2 ... failing until the parse
 * succeeds: each failure must return -ENOMEM, say "out of memory" at a line,
 * leave nothing allocated and the configuration as it was.
 */
static void check_each_parse_allocation(bool ext, const char *text, size_t len)
{
	static const char old_ext[] = "[settings]\nold.conf => odbc\n";
	char err[MF_ERR_MAX];
	struct mf_config *cfg;
	long n, live;
	int r;

	for (n = 0;; n++) {
		cfg = modules_ok(seed_modules, STR_LEN(seed_modules));
		ck_assert_int_eq(mf_config_parse_extconfig(cfg, "old.conf",
							   old_ext,
							   STR_LEN(old_ext),
							   err, sizeof(err)),
				 0);
		err[0] = '\0';
		fi_arm(n);
		if (ext)
			r = mf_config_parse_extconfig(cfg, "e.conf", text, len,
						      err, sizeof(err));
		else
			r = mf_config_parse_modules(cfg, "m.conf", text, len,
						    err, sizeof(err));
		live = fi_live();
		fi_disarm();
		if (r == 0) {
			mf_config_free(cfg);
			break;
		}
		ck_assert_msg(r == -ENOMEM, "got %d failing allocation %ld", r, n);
		ck_assert_msg(live == 0, "%ld bytes leaked failing allocation %ld",
			      live, n);
		ck_assert_msg(strstr(err, ": out of memory") &&
				      strncmp(err, ext ? "e.conf:" : "m.conf:", 7) == 0,
			      "message '%s'", err);
		ck_assert_str_eq(cfg->path, "m.conf");
		assert_seed_modules(cfg);
		ck_assert_str_eq(cfg->ext_path, "old.conf");
		ck_assert_uint_eq(cfg->n_ext, 1);
		assert_ext(cfg, 0, "old.conf", "odbc", NULL, NULL, 2);
		mf_config_free(cfg);
	}
	ck_assert_int_gt(n, 10);
}

static void check_each_load_allocation(const char *modules_conf,
				       const char *extconfig_conf)
{
	char err[MF_ERR_MAX];
	struct mf_config *cfg;
	long n, live;
	int r;

	for (n = 0;; n++) {
		err[0] = '\0';
		cfg = (struct mf_config *)&cfg;
		fi_arm(n);
		r = mf_config_load(&cfg, modules_conf, extconfig_conf, err,
				   sizeof(err));
		if (r == 0)
			mf_config_free(cfg);
		live = fi_live();
		fi_disarm();
		ck_assert_msg(live == 0, "%ld bytes leaked failing allocation %ld",
			      live, n);
		if (r == 0)
			break;
		ck_assert_msg(r == -ENOMEM, "got %d failing allocation %ld", r, n);
		ck_assert_ptr_null(cfg);
		ck_assert_msg(err[0] != '\0', "no message failing allocation %ld", n);
	}
	ck_assert_int_gt(n, 10);
}

START_TEST(test_enomem_modules)
{
	check_each_parse_allocation(false, seed_modules, STR_LEN(seed_modules));
}
END_TEST

START_TEST(test_enomem_extconfig)
{
	static const char text[] = "[settings]\n"
				   "a.conf => odbc\n"
				   "b.conf => odbc,db\n"
				   "c.conf => odbc,db,t\n"
				   "d.conf => odbc\ne.conf => odbc\nf.conf => odbc\n"
				   "g.conf => odbc\nh.conf => odbc\ni.conf => odbc\n";

	check_each_parse_allocation(true, text, STR_LEN(text));
}
END_TEST

START_TEST(test_enomem_load)
{
	check_each_load_allocation(DATA("asterisk-modules.conf"),
				   DATA("full-extconfig.conf"));
}
END_TEST

static void add_enomem_tests(Suite *s)
{
	TCase *tc = tcase_create("enomem");

	tcase_add_test(tc, test_enomem_modules);
	tcase_add_test(tc, test_enomem_extconfig);
	tcase_add_test(tc, test_enomem_load);
	suite_add_tcase(s, tc);
}

/* ------------------------------------------------------------------ */

Suite *make_config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("modules");
	tcase_add_test(tc, test_seed_modules);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_autoload_values, 0, N_ELEMS(bool_cases));
	tcase_add_test(tc, test_so_stripped);
	tcase_add_test(tc, test_conflicts_kept);
	tcase_add_test(tc, test_asterisk_syntax);
	tcase_add_test(tc, test_uses_types);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_failure_keeps_config);
	tcase_add_test(tc, test_many_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("extconfig");
	tcase_add_test(tc, test_seed_extconfig);
	tcase_add_test(tc, test_extconfig_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_modules_bad, 0, N_ELEMS(modules_bad));
	tcase_add_loop_test(tc, test_ext_bad, 0, N_ELEMS(ext_bad));
	tcase_add_test(tc, test_err_null_and_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_seed_files);
	tcase_add_test(tc, test_seed_file_is_verbatim);
	tcase_add_test(tc, test_load_crlf);
	tcase_add_test(tc, test_load_asterisk_style);
	tcase_add_test(tc, test_load_none);
	tcase_add_test(tc, test_load_bad_files);
	tcase_add_test(tc, test_load_io_errors);
	tcase_add_test(tc, test_load_size_limit);
	suite_add_tcase(s, tc);

	add_enomem_tests(s);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
