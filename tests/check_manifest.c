/* SPDX-License-Identifier: MIT */
/*
 * Tests of the manifest parser and writer (runtime/format/manifest.c,
 * runtime/format/manifest_write.c).  Input files live in tests/data/manifest/ and
 * are read relative to the repository root (override with
 * -DMF_TEST_DATA_DIR=...).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <manifold/manifest.h>

#include "fault_inject.h"
#include "test_file.h"

#ifndef MF_TEST_DATA_DIR
#define MF_TEST_DATA_DIR "tests/data/manifest"
#endif
#define DATA(name) MF_TEST_DATA_DIR "/" name

#define STR_LEN(s) (sizeof(s) - 1)

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static struct mf_manifest *parse_ok(const char *text, size_t len)
{
	char err[MF_ERR_MAX] = "";
	struct mf_manifest *m = NULL;
	int r;

	r = mf_manifest_parse("t.manifest", text, len, &m, err, sizeof(err));
	ck_assert_msg(r == 0, "parse failed (%d): %s", r, err);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Parse @text, expect -EINVAL and exactly @want as the message. */
static void parse_fails(const char *text, size_t len, const char *want)
{
	char err[MF_ERR_MAX] = "";
	struct mf_manifest *m = (struct mf_manifest *)&m;
	int r;

	r = mf_manifest_parse("t.manifest", text, len, &m, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, want);
}

static char *read_text(const char *path, size_t *len)
{
	return test_read_file_or_fail(path, len);
}

/* mf_manifest_write() into a string. */
static char *write_text(const struct mf_manifest *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(mf_manifest_write(m, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	return text;
}

static void assert_str_or_null_eq(const char *a, const char *b)
{
	if (!a || !b)
		ck_assert_ptr_eq(a, b);
	else
		ck_assert_str_eq(a, b);
}

static void assert_refs_eq(const struct mf_ref_list *a,
			   const struct mf_ref_list *b)
{
	size_t i;

	ck_assert_uint_eq(a->count, b->count);
	for (i = 0; i < a->count; i++) {
		ck_assert_str_eq(a->items[i].type, b->items[i].type);
		ck_assert_str_eq(a->items[i].name, b->items[i].name);
		ck_assert_uint_eq(a->items[i].priority, b->items[i].priority);
	}
}

/* Equal content; path and line numbers are where it came from, not what. */
static void assert_manifest_eq(const struct mf_manifest *a,
			       const struct mf_manifest *b)
{
	size_t i;

	ck_assert_str_eq(a->name, b->name);
	assert_str_or_null_eq(a->checksum, b->checksum);
	assert_str_or_null_eq(a->description, b->description);
	ck_assert_int_eq(a->support_level, b->support_level);
	ck_assert_uint_eq(a->load_priority, b->load_priority);
	ck_assert_int_eq(a->export_globals, b->export_globals);
	ck_assert_uint_eq(a->n_configs, b->n_configs);
	for (i = 0; i < a->n_configs; i++)
		ck_assert_str_eq(a->configs[i], b->configs[i]);
	assert_refs_eq(&a->uses, &b->uses);
	assert_refs_eq(&a->canuse, &b->canuse);
	assert_refs_eq(&a->provides, &b->provides);
}

static void assert_ref(const struct mf_ref_list *list, size_t i,
		       const char *type, const char *name, unsigned priority,
		       unsigned line)
{
	ck_assert_uint_gt(list->count, i);
	ck_assert_str_eq(list->items[i].type, type);
	ck_assert_str_eq(list->items[i].name, name);
	ck_assert_uint_eq(list->items[i].priority, priority);
	ck_assert_uint_eq(list->items[i].line, line);
}

/* The seed's example, as found in func_periodic_hook.manifest. */
static void assert_seed_example(const struct mf_manifest *m)
{
	ck_assert_str_eq(m->name, "func_periodic_hook");
	ck_assert_str_eq(m->checksum, "844c2153257936cc25d8b32760780c7b");
	ck_assert_ptr_null(m->description);
	ck_assert_int_eq(m->support_level, MF_SUPPORT_CORE);
	ck_assert_uint_eq(m->load_priority, MF_PRIO_DEFAULT);
	ck_assert(m->export_globals);
	ck_assert_uint_eq(m->n_configs, 0);
	ck_assert_uint_eq(m->uses.count, 4);
	assert_ref(&m->uses, 0, "module", "app_chanspy", 0, 8);
	assert_ref(&m->uses, 1, "module", "func_cut", 0, 9);
	assert_ref(&m->uses, 2, "module", "func_groupcount", 0, 10);
	assert_ref(&m->uses, 3, "module", "func_uri", 0, 11);
	ck_assert_uint_eq(m->canuse.count, 0);
	ck_assert_uint_eq(m->provides.count, 1);
	assert_ref(&m->provides, 0, "function", "PERIODIC_HOOK", 0, 14);
}

/* ------------------------------------------------------------------ */
/* Good input                                                          */
/* ------------------------------------------------------------------ */

static const char seed_example[] = "[module]\n"
				   "name=func_periodic_hook\n"
				   "checksum=844c2153257936cc25d8b32760780c7b\n"
				   "support_level=core\n"
				   "export_globals=yes\n"
				   "\n"
				   "[uses]\n"
				   "module=app_chanspy\n"
				   "module=func_cut\n"
				   "module=func_groupcount\n"
				   "module=func_uri\n"
				   "\n"
				   "[provides]\n"
				   "function=PERIODIC_HOOK\n"
				   "\n";

START_TEST(test_seed_example)
{
	struct mf_manifest *m = parse_ok(seed_example, STR_LEN(seed_example));

	ck_assert_str_eq(m->path, "t.manifest");
	assert_seed_example(m);
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_defaults)
{
	static const char text[] = "[module]\nname=a\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_str_eq(m->name, "a");
	ck_assert_ptr_null(m->checksum);
	ck_assert_ptr_null(m->description);
	ck_assert_int_eq(m->support_level, MF_SUPPORT_CORE);
	ck_assert_uint_eq(m->load_priority, MF_PRIO_DEFAULT);
	ck_assert(!m->export_globals);
	ck_assert_uint_eq(m->n_configs, 0);
	ck_assert_ptr_null(m->configs);
	ck_assert_uint_eq(m->uses.count, 0);
	ck_assert_uint_eq(m->canuse.count, 0);
	ck_assert_uint_eq(m->provides.count, 0);
	mf_manifest_free(m);
}
END_TEST

/* CRLF, comments, blanks and tabs, "[ module ]", no final newline. */
START_TEST(test_tolerated_layout)
{
	static const char text[] =
		"\r\n"
		"; comment\r\n"
		"   # indented comment\r\n"
		" \t [ module ] \t\r\n"
		"  name  =  func_x \t\r\n"
		"description=  a  b  ;  not a comment  \r\n"
		"export_globals = 1\r\n"
		"\r\n"
		"[uses]\r\n"
		"\tfunction\t=\tCUT\t\r\n"
		"module=func_y";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_str_eq(m->name, "func_x");
	ck_assert_str_eq(m->description, "a  b  ;  not a comment");
	ck_assert(m->export_globals);
	ck_assert_uint_eq(m->uses.count, 2);
	assert_ref(&m->uses, 0, "function", "CUT", 0, 10);
	assert_ref(&m->uses, 1, "module", "func_y", 0, 11);
	mf_manifest_free(m);
}
END_TEST

/* [module] need not come first; its keys may come in any order. */
START_TEST(test_section_order)
{
	static const char text[] = "[provides]\n"
				   "codec=ulaw\n"
				   "[uses]\n"
				   "module=b\n"
				   "[module]\n"
				   "support_level=external\n"
				   "name=a\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_str_eq(m->name, "a");
	ck_assert_int_eq(m->support_level, MF_SUPPORT_EXTERNAL);
	assert_ref(&m->provides, 0, "codec", "ulaw", 0, 2);
	assert_ref(&m->uses, 0, "module", "b", 0, 4);
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_provider_priorities)
{
	static const char text[] = "[module]\n"
				   "name=res_timing_timerfd\n"
				   "[provides]\n"
				   "service=timer:200\n"
				   "timing=timerfd:0\n"
				   "codec=ulaw:65535\n"
				   "codec=alaw:007\n"
				   "function=TIMER\n"
				   "module=res_timing:1\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_uint_eq(m->provides.count, 6);
	assert_ref(&m->provides, 0, "service", "timer", 200, 4);
	assert_ref(&m->provides, 1, "timing", "timerfd", 0, 5);
	assert_ref(&m->provides, 2, "codec", "ulaw", MF_PRIORITY_MAX, 6);
	assert_ref(&m->provides, 3, "codec", "alaw", 7, 7);
	assert_ref(&m->provides, 4, "function", "TIMER", 0, 8);
	assert_ref(&m->provides, 5, "module", "res_timing", 1, 9);
	mf_manifest_free(m);
}
END_TEST

/* The same name under two types, or in two sections, is no duplicate. */
START_TEST(test_same_name_other_type)
{
	static const char text[] = "[module]\nname=a\n"
				   "[uses]\nfunction=X\napplication=X\n"
				   "[canuse]\nfunction=X\n"
				   "[provides]\nfunction=X\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_uint_eq(m->uses.count, 2);
	ck_assert_uint_eq(m->canuse.count, 1);
	ck_assert_uint_eq(m->provides.count, 1);
	mf_manifest_free(m);
}
END_TEST

/*
 * [requires] and [menu] are kept in the view and written back; a provided
 * name may hold blanks (a command of several words), a module name never.
 */
START_TEST(test_requires_menu_blanks)
{
	static const char text[] = "[module]\nname=a\nsupport_level=core\n"
				   "load_priority=default\n"
				   "\n[uses]\nfunction=Queue  Add\n"
				   "\n[provides]\ncommand=core show help\n"
				   "\n[requires]\nlibrary=sqlite3\n"
				   "\n[menu]\ndefault=no\nconflict=b\nconflict=c\n"
				   "replacement=d\ndeprecated_in=13.2.0\n"
				   "removed_in=21\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));
	char *again;

	ck_assert_str_eq(m->uses.items[0].name, "Queue  Add");
	ck_assert_str_eq(m->provides.items[0].name, "core show help");
	ck_assert_uint_eq(m->requires.count, 1);
	ck_assert_str_eq(m->requires.items[0].type, "library");
	ck_assert_str_eq(m->requires.items[0].name, "sqlite3");
	ck_assert_uint_eq(m->requires.items[0].line, 13);
	ck_assert_uint_eq(m->menu.count, 6);
	ck_assert_str_eq(m->menu.items[2].type, "conflict");
	ck_assert_str_eq(m->menu.items[2].name, "c");
	ck_assert_str_eq(m->menu.items[5].name, "21");
	again = write_text(m);
	ck_assert_str_eq(again, text);
	free(again);
	mf_manifest_free(m);
}
END_TEST

static const struct {
	const char *text;
	unsigned load_priority;
} load_priority_cases[] = {
	{"realtime_depend", 10},   {"realtime_depend2", 20},
	{"realtime_driver", 30},   {"timing", 40},
	{"channel_depend", 50},	   {"channel_driver", 60},
	{"app_depend", 70},	   {"devstate_provider", 80},
	{"devstate_plugin", 90},   {"cdr_driver", 100},
	{"default", 128},	   {"devstate_consumer", 150},
	{"0", 0},		   {"255", 255},
	{"129", 129},		   {"0040", 40},
};

START_TEST(test_load_priority_values)
{
	char text[128];
	struct mf_manifest *m;

	snprintf(text, sizeof(text), "[module]\nname=a\nload_priority=%s\n",
		 load_priority_cases[_i].text);
	m = parse_ok(text, strlen(text));
	ck_assert_uint_eq(m->load_priority,
			  load_priority_cases[_i].load_priority);
	mf_manifest_free(m);
}
END_TEST

static const struct {
	const char *text;
	bool value;
} bool_cases[] = {
	{"yes", true}, {"true", true},	 {"1", true},
	{"no", false}, {"false", false}, {"0", false},
};

START_TEST(test_export_globals_values)
{
	char text[128];
	struct mf_manifest *m;

	snprintf(text, sizeof(text), "[module]\nname=a\nexport_globals=%s\n",
		 bool_cases[_i].text);
	m = parse_ok(text, strlen(text));
	ck_assert_int_eq(m->export_globals, bool_cases[_i].value);
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_accepted_values)
{
	static const char text[] =
		"[module]\n"
		"name=_a9_\n"
		"checksum=844C2153257936CC25D8B32760780C7B\n"
		"support_level=deprecated\n"
		"config=extensions.conf\n"
		"config=.hidden\n"
		"config=a..b\n"
		"[uses]\n"
		"x_9=!\"#$%&'()*+,-./;<>?@[\\]^_`{|}~\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_str_eq(m->name, "_a9_");
	ck_assert_str_eq(m->checksum, "844C2153257936CC25D8B32760780C7B");
	ck_assert_int_eq(m->support_level, MF_SUPPORT_DEPRECATED);
	ck_assert_uint_eq(m->n_configs, 3);
	ck_assert_str_eq(m->configs[0], "extensions.conf");
	ck_assert_str_eq(m->configs[1], ".hidden");
	ck_assert_str_eq(m->configs[2], "a..b");
	assert_ref(&m->uses, 0, "x_9", "!\"#$%&'()*+,-./;<>?@[\\]^_`{|}~", 0,
		   9);
	mf_manifest_free(m);
}
END_TEST

/* 63 characters is the longest name; 1024 bytes the longest line. */
START_TEST(test_limits)
{
	char name[64], text[2200];
	struct mf_manifest *m;
	int n;

	memset(name, 'n', 63);
	name[63] = '\0';
	n = snprintf(text, sizeof(text), "[module]\nname=%s\ndescription=",
		     name);
	/* Line 3 is exactly MF_MANIFEST_LINE_MAX bytes, then CRLF. */
	memset(text + n, 'd', MF_MANIFEST_LINE_MAX - STR_LEN("description="));
	n += MF_MANIFEST_LINE_MAX - (int)STR_LEN("description=");
	memcpy(text + n, "\r\n", 3);
	m = parse_ok(text, strlen(text));
	ck_assert_str_eq(m->name, name);
	ck_assert_uint_eq(strlen(m->description),
			  MF_MANIFEST_LINE_MAX - STR_LEN("description="));
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_sha256_checksum)
{
	static const char text[] =
		"[module]\nname=a\nchecksum=sha256:"
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
		"\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text));

	ck_assert_str_eq(m->checksum, "sha256:9f86d081884c7d659a2feaa0c55ad015"
				      "a3bf4f1b2b0b822cd15d6c15b0f00a08");
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_err_null_and_small)
{
	static const char bad[] = "[module]\nname=A\n";
	struct mf_manifest *m = NULL;
	char err[12];

	/* No room for a message is no reason to fail differently. */
	ck_assert_int_eq(mf_manifest_parse("t.manifest", bad, STR_LEN(bad), &m,
					   NULL, 0),
			 -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(mf_manifest_parse("t.manifest", bad, STR_LEN(bad), &m,
					   err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "t.manifest:");
	ck_assert_int_eq(mf_manifest_parse("t.manifest", seed_example,
					   STR_LEN(seed_example), &m, err, 1),
			 0);
	ck_assert_str_eq(err, "");
	mf_manifest_free(m);
	mf_manifest_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad input: one row per error, with the exact message                */
/* ------------------------------------------------------------------ */

#define BAD_NAME_HINT                                                          \
	"(want [a-z0-9_], starting with a letter or '_', at most 63 "          \
	"characters)"
#define CHECKSUM_HINT                                                          \
	"(want sha256:<64 lower-case hex digits> or 32 hex digits)"
#define HEX64 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define M "[module]\nname=a\n" /* two lines */
#define ROW(text, want) {text, STR_LEN(text), want}

static const struct {
	const char *text;
	size_t len;
	const char *want;
} bad_cases[] = {
	/* Structure. */
	ROW("", "t.manifest:0: missing [module] section"),
	ROW("; just a comment\n\n  \n", "t.manifest:0: missing [module] section"),
	ROW("[uses]\nmodule=b\n", "t.manifest:0: missing [module] section"),
	ROW("\nname=a\n[module]\n", "t.manifest:2: text before the first section"),
	ROW(M "[bogus]\n", "t.manifest:3: unknown section 'bogus'"),
	ROW(M "[Uses]\n", "t.manifest:3: unknown section 'Uses'"),
	ROW(M "[uses]\n[canuse]\n[ uses ]\n", "t.manifest:5: duplicate section 'uses'"),
	ROW(M "[module]\n", "t.manifest:3: duplicate section 'module'"),
	ROW("[module\nname=a\n", "t.manifest:1: bad section header"),
	ROW("[]\n", "t.manifest:1: bad section header"),
	ROW("[  ]\n", "t.manifest:1: bad section header"),
	ROW("[module] ; x\n", "t.manifest:1: bad section header"),
	ROW("[[module]]\n", "t.manifest:1: bad section header"),
	ROW("[module]\nname\n", "t.manifest:2: missing '='"),
	ROW(M "[uses]\nmodule\n", "t.manifest:4: missing '='"),
	ROW("[module]\n=a\n", "t.manifest:2: empty key"),
	ROW(M "[provides]\n  = x\n", "t.manifest:4: empty key"),
	ROW("[module]\nname=\n", "t.manifest:2: empty value for 'name'"),
	ROW("[module]\nname= \t \n", "t.manifest:2: empty value for 'name'"),
	ROW(M "description=\n", "t.manifest:3: empty value for 'description'"),
	ROW(M "[uses]\nmodule=\n", "t.manifest:4: empty value for 'module'"),
	ROW("[module]\nsupport_level=core\n", "t.manifest:1: missing [module] name"),
	ROW("\n[uses]\nmodule=b\n\n[module]\n", "t.manifest:5: missing [module] name"),
	/* [module] keys. */
	ROW(M "author=me\n", "t.manifest:3: unknown key 'author' in [module]"),
	ROW("[module]\nName=a\n", "t.manifest:2: unknown key 'Name' in [module]"),
	ROW(M "na me=a\n", "t.manifest:3: unknown key 'na me' in [module]"),
	ROW(M "name=b\n", "t.manifest:3: duplicate key 'name'"),
	ROW(M "checksum=sha256:" HEX64 "\nchecksum=sha256:" HEX64 "\n",
	    "t.manifest:4: duplicate key 'checksum'"),
	ROW(M "support_level=core\nsupport_level=core\n",
	    "t.manifest:4: duplicate key 'support_level'"),
	ROW(M "load_priority=1\nload_priority=2\n",
	    "t.manifest:4: duplicate key 'load_priority'"),
	ROW(M "export_globals=no\nexport_globals=no\n",
	    "t.manifest:4: duplicate key 'export_globals'"),
	ROW(M "description=x\ndescription=x\n",
	    "t.manifest:4: duplicate key 'description'"),
	ROW("[module]\nname=Func\n", "t.manifest:2: bad module name 'Func' " BAD_NAME_HINT),
	ROW("[module]\nname=1abc\n", "t.manifest:2: bad module name '1abc' " BAD_NAME_HINT),
	ROW("[module]\nname=a-b\n", "t.manifest:2: bad module name 'a-b' " BAD_NAME_HINT),
	ROW("[module]\nname=a b\n", "t.manifest:2: bad module name 'a b' " BAD_NAME_HINT),
	ROW("[module]\nname=func_cut.so\n",
	    "t.manifest:2: bad module name 'func_cut.so' (drop the '.so')"),
	ROW("[module]\nname=.so\n", "t.manifest:2: bad module name '.so' " BAD_NAME_HINT),
	ROW("[module]\nname="
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\n",
	    "t.manifest:2: bad module name "
	    "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' " BAD_NAME_HINT),
	ROW(M "checksum=xyz\n", "t.manifest:3: bad checksum 'xyz' " CHECKSUM_HINT),
	ROW(M "checksum=844c2153257936cc25d8b32760780c7\n",
	    "t.manifest:3: bad checksum '844c2153257936cc25d8b32760780c7' " CHECKSUM_HINT),
	ROW(M "checksum=844c2153257936cc25d8b32760780c7bb\n",
	    "t.manifest:3: bad checksum '844c2153257936cc25d8b32760780c7bb' " CHECKSUM_HINT),
	ROW(M "checksum=844c2153257936cc25d8b32760780c7g\n",
	    "t.manifest:3: bad checksum '844c2153257936cc25d8b32760780c7g' " CHECKSUM_HINT),
	ROW(M "checksum=sha256:844c2153257936cc25d8b32760780c7b\n",
	    "t.manifest:3: bad checksum 'sha256:844c2153257936cc25d8b32760780c7b' " CHECKSUM_HINT),
	ROW(M "checksum=sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n",
	    "t.manifest:3: bad checksum 'sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08' " CHECKSUM_HINT),
	ROW(M "checksum=" HEX64 "\n", "t.manifest:3: bad checksum '" HEX64 "' " CHECKSUM_HINT),
	ROW(M "checksum=SHA256:" HEX64 "\n",
	    "t.manifest:3: bad checksum 'SHA256:" HEX64 "' " CHECKSUM_HINT),
	ROW(M "support_level=Core\n",
	    "t.manifest:3: bad support_level 'Core' (want core, extended, deprecated or external)"),
	ROW(M "support_level=unknown\n",
	    "t.manifest:3: bad support_level 'unknown' (want core, extended, deprecated or external)"),
	ROW(M "load_priority=256\n",
	    "t.manifest:3: bad load_priority '256' (want a level name or 0..255)"),
	ROW(M "load_priority=-1\n",
	    "t.manifest:3: bad load_priority '-1' (want a level name or 0..255)"),
	ROW(M "load_priority=+1\n",
	    "t.manifest:3: bad load_priority '+1' (want a level name or 0..255)"),
	ROW(M "load_priority=0x10\n",
	    "t.manifest:3: bad load_priority '0x10' (want a level name or 0..255)"),
	ROW(M "load_priority=99999999999999999999\n",
	    "t.manifest:3: bad load_priority '99999999999999999999' (want a level name or 0..255)"),
	ROW(M "load_priority=Timing\n",
	    "t.manifest:3: bad load_priority 'Timing' (want a level name or 0..255)"),
	ROW(M "load_priority=MF_PRIO_TIMING\n",
	    "t.manifest:3: bad load_priority 'MF_PRIO_TIMING' (want a level name or 0..255)"),
	ROW(M "export_globals=Yes\n",
	    "t.manifest:3: bad boolean 'Yes' for export_globals (want yes, no, true, false, 1 or 0)"),
	ROW(M "export_globals=on\n",
	    "t.manifest:3: bad boolean 'on' for export_globals (want yes, no, true, false, 1 or 0)"),
	ROW(M "config=etc/a.conf\n", "t.manifest:3: bad config file name 'etc/a.conf'"),
	ROW(M "config=..\n", "t.manifest:3: bad config file name '..'"),
	ROW(M "config=.\n", "t.manifest:3: bad config file name '.'"),
	ROW(M "config=a b.conf\n", "t.manifest:3: bad config file name 'a b.conf'"),
	ROW(M "config=a.conf\nconfig=b.conf\nconfig=a.conf\n",
	    "t.manifest:5: duplicate config 'a.conf'"),
	/* [uses], [canuse], [provides]. */
	ROW(M "[uses]\nModule=b\n", "t.manifest:4: bad type 'Module'"),
	ROW(M "[uses]\n1module=b\n", "t.manifest:4: bad type '1module'"),
	ROW(M "[canuse]\n_x=b\n", "t.manifest:4: bad type '_x'"),
	ROW(M "[provides]\nfunc tion=b\n", "t.manifest:4: bad type 'func tion'"),
	ROW(M "[provides]\nfunc-tion=b\n", "t.manifest:4: bad type 'func-tion'"),
	ROW(M "[requires]\nlibrary=a:1\n", "t.manifest:4: priority not allowed in [requires]"),
	ROW(M "[requires]\nLibrary=x\n", "t.manifest:4: bad type 'Library'"),
	ROW(M "[requires]\nlibrary=x\nlibrary=x\n",
	    "t.manifest:5: duplicate entry 'library=x' in [requires]"),
	ROW(M "[menu]\ncolour=red\n", "t.manifest:4: unknown key 'colour' in [menu]"),
	ROW(M "[menu]\ndefault=maybe\n",
	    "t.manifest:4: bad boolean 'maybe' for default (want yes or no)"),
	ROW(M "[menu]\ndefault=yes\ndefault=no\n", "t.manifest:5: duplicate key 'default'"),
	ROW(M "[menu]\nconflict=b\nconflict=b\n", "t.manifest:5: duplicate key 'conflict'"),
	ROW(M "[menu]\nconflict=B\n", "t.manifest:4: bad module name 'B' " BAD_NAME_HINT),
	ROW(M "[menu]\nreplacement=x.so\n",
	    "t.manifest:4: bad module name 'x.so' (drop the '.so')"),
	ROW(M "[menu]\ndeprecated_in=1 2\n", "t.manifest:4: bad version '1 2' for deprecated_in"),
	ROW(M "[menu]\nremoved_in=1:2\n", "t.manifest:4: bad version '1:2' for removed_in"),
	ROW(M "[menu]\n[menu]\n", "t.manifest:4: duplicate section 'menu'"),
	ROW(M "[uses]\nfunction=A\tB\n", "t.manifest:4: bad name 'A\tB' for type 'function'"),
	ROW(M "[canuse]\nfunction=a=b\n", "t.manifest:4: bad name 'a=b' for type 'function'"),
	ROW(M "[provides]\nfunction=\xc3\xa9t\xc3\xa9\n",
	    "t.manifest:4: bad name '\xc3\xa9t\xc3\xa9' for type 'function'"),
	ROW(M "[uses]\nmodule=func_cut.so\n",
	    "t.manifest:4: bad module name 'func_cut.so' (drop the '.so')"),
	ROW(M "[canuse]\nmodule=B\n", "t.manifest:4: bad module name 'B' " BAD_NAME_HINT),
	ROW(M "[uses]\nservice=timer:200\n", "t.manifest:4: priority not allowed in [uses]"),
	ROW(M "[canuse]\nservice=timer:200\n", "t.manifest:4: priority not allowed in [canuse]"),
	ROW(M "[uses]\nservice=a:b\n", "t.manifest:4: priority not allowed in [uses]"),
	ROW(M "[provides]\nservice=timer:65536\n",
	    "t.manifest:4: bad priority '65536' (want 0..65535)"),
	ROW(M "[provides]\nservice=timer:\n", "t.manifest:4: bad priority '' (want 0..65535)"),
	ROW(M "[provides]\nservice=timer:-1\n", "t.manifest:4: bad priority '-1' (want 0..65535)"),
	ROW(M "[provides]\nservice=timer:high\n",
	    "t.manifest:4: bad priority 'high' (want 0..65535)"),
	ROW(M "[provides]\nservice=timer:1:2\n", "t.manifest:4: bad priority '1:2' (want 0..65535)"),
	ROW(M "[provides]\nservice=timer: 2\n", "t.manifest:4: bad priority ' 2' (want 0..65535)"),
	ROW(M "[provides]\nservice=:5\n", "t.manifest:4: missing name before ':'"),
	ROW(M "[uses]\nmodule=b\nfunction=X\nmodule=b\n",
	    "t.manifest:6: duplicate entry 'module=b' in [uses]"),
	ROW(M "[canuse]\nfunction=X\n  function = X \n",
	    "t.manifest:5: duplicate entry 'function=X' in [canuse]"),
	ROW(M "[provides]\nservice=timer:100\nservice=timer:200\n",
	    "t.manifest:5: duplicate entry 'service=timer' in [provides]"),
	ROW(M "[provides]\nservice=timer\nservice=timer:0\n",
	    "t.manifest:5: duplicate entry 'service=timer' in [provides]"),
	ROW(M "[uses]\nmodule=b\nmodule=a\n", "t.manifest:5: module uses itself"),
	ROW("[uses]\nmodule=a\n[module]\nname=a\n", "t.manifest:2: module uses itself"),
	ROW(M "[canuse]\nmodule=a\n", "t.manifest:4: module lists itself in [canuse]"),
	/* Bytes. */
	ROW("[module]\nname=a\0\n", "t.manifest:2: NUL byte"),
	ROW(M "\0", "t.manifest:3: NUL byte"),
	ROW(M "; comment \0 too\n", "t.manifest:3: NUL byte"),
	ROW("[module]\nname=a\x01\n", "t.manifest:2: control character 0x01"),
	ROW("[module]\nname=a\rb\n", "t.manifest:2: control character 0x0d"),
	ROW("[module]\r\r\nname=a\n", "t.manifest:1: control character 0x0d"),
	ROW(M "; comment \x1b[0m\n", "t.manifest:3: control character 0x1b"),
	ROW(M "description=\x7f\n", "t.manifest:3: control character 0x7f"),
};

START_TEST(test_bad_input)
{
	parse_fails(bad_cases[_i].text, bad_cases[_i].len, bad_cases[_i].want);
}
END_TEST

/* Built at run time: the limit is MF_MANIFEST_LINE_MAX, not a literal. */
START_TEST(test_line_too_long)
{
	char text[2 * MF_MANIFEST_LINE_MAX], want[128];
	int n;

	n = snprintf(text, sizeof(text), "[module]\nname=a\ndescription=");
	memset(text + n, 'd', MF_MANIFEST_LINE_MAX + 1 - STR_LEN("description="));
	n += MF_MANIFEST_LINE_MAX + 1 - (int)STR_LEN("description=");
	memcpy(text + n, "\r\n", 3);
	snprintf(want, sizeof(want), "t.manifest:3: line too long (%d bytes, max %d)",
		 MF_MANIFEST_LINE_MAX + 1, MF_MANIFEST_LINE_MAX);
	parse_fails(text, strlen(text), want);

	/* Comments are lines too, and the last line needs no '\n'. */
	n = snprintf(text, sizeof(text), "[module]\nname=a\n;");
	memset(text + n, 'c', 2 * MF_MANIFEST_LINE_MAX - 1 - (size_t)n);
	text[2 * MF_MANIFEST_LINE_MAX - 1] = '\0';
	snprintf(want, sizeof(want), "t.manifest:3: line too long (%zu bytes, max %d)",
		 strlen(text) - STR_LEN("[module]\nname=a\n"), MF_MANIFEST_LINE_MAX);
	parse_fails(text, strlen(text), want);
}
END_TEST

/* Only the first error is reported. */
START_TEST(test_first_error_wins)
{
	static const char text[] = "[module]\nname=A\nname=B\n[bogus]\n";

	parse_fails(text, STR_LEN(text),
		    "t.manifest:2: bad module name 'A' " BAD_NAME_HINT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Names helpers                                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_support_level_names)
{
	static const char *const names[] = {"core", "extended", "deprecated",
					    "external"};
	enum mf_support_level level;
	unsigned i;

	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(mf_support_level_name((enum mf_support_level)i),
				 names[i]);
		level = (enum mf_support_level)99;
		ck_assert_int_eq(mf_support_level_parse(names[i], &level), 0);
		ck_assert_int_eq(level, i);
	}
	ck_assert_ptr_null(mf_support_level_name((enum mf_support_level)4));
	ck_assert_ptr_null(mf_support_level_name((enum mf_support_level)-1));
	level = MF_SUPPORT_EXTERNAL;
	ck_assert_int_eq(mf_support_level_parse("CORE", &level), -EINVAL);
	ck_assert_int_eq(mf_support_level_parse("", &level), -EINVAL);
	ck_assert_int_eq(mf_support_level_parse("core ", &level), -EINVAL);
	ck_assert_int_eq(level, MF_SUPPORT_EXTERNAL);
}
END_TEST

START_TEST(test_load_priority_names)
{
	size_t i, n = sizeof(load_priority_cases) / sizeof(load_priority_cases[0]);
	unsigned prio, named = 0;

	/* Every level name maps to its number and back. */
	for (i = 0; i < n; i++) {
		const char *name = load_priority_cases[i].text;

		prio = 9999;
		ck_assert_int_eq(mf_load_priority_parse(name, &prio), 0);
		ck_assert_uint_eq(prio, load_priority_cases[i].load_priority);
		if (name[0] >= 'a' && name[0] <= 'z') {
			ck_assert_str_eq(mf_load_priority_name(prio), name);
			named++;
		}
	}
	ck_assert_uint_eq(named, 12);
	ck_assert_uint_eq(MF_PRIO_CHANNEL_DRIVER, 60);
	ck_assert_str_eq(mf_load_priority_name(MF_PRIO_CHANNEL_DRIVER),
			 "channel_driver");
	/* Numbers without a level have no name. */
	for (prio = 0; prio <= 255; prio++) {
		const char *name = mf_load_priority_name(prio);
		unsigned back;

		if (!name)
			continue;
		ck_assert_int_eq(mf_load_priority_parse(name, &back), 0);
		ck_assert_uint_eq(back, prio);
	}
	ck_assert_ptr_null(mf_load_priority_name(0));
	ck_assert_ptr_null(mf_load_priority_name(129));
	ck_assert_ptr_null(mf_load_priority_name(1000));
	prio = 7;
	ck_assert_int_eq(mf_load_priority_parse("", &prio), -EINVAL);
	ck_assert_int_eq(mf_load_priority_parse("256", &prio), -EINVAL);
	ck_assert_int_eq(mf_load_priority_parse("default2", &prio), -EINVAL);
	ck_assert_int_eq(mf_load_priority_parse("DEFAULT", &prio), -EINVAL);
	ck_assert_uint_eq(prio, 7);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Long lists: the parser collects them on its stack, then moves them  */
/* ------------------------------------------------------------------ */

static const size_t list_sizes[] = {0, 1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 40};

/*
 * A manifest with @n of each: uses, canuse, provides (with priorities) and
 * configs, and with @long_text a description of over 1 KB.  Line numbers: [module] 1, name 2,
 * description 3, configs from 4, then a header and n lines a section.
 */
static char *list_manifest(size_t n, bool long_text, size_t *len)
{
	char *text = NULL;
	FILE *fp = open_memstream(&text, len);
	size_t i;

	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "[module]\nname=m\ndescription=%s\n",
		long_text ? "x" : "short");
	if (long_text) {
		/* Rewrite line 3 as 1,000 bytes: the text passes 1 KB. */
		fseek(fp, (long)STR_LEN("[module]\nname=m\ndescription="),
		      SEEK_SET);
		for (i = 0; i < 1000 - STR_LEN("description="); i++)
			fputc('d', fp);
		fputc('\n', fp);
	}
	for (i = 0; i < n; i++)
		fprintf(fp, "config=c%zu.conf\n", i);
	fputs("[uses]\n", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "module=u%03zu\n", i);
	fputs("[canuse]\n", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "function=F%zu\n", i);
	fputs("[provides]\n", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "service=p%zu:%zu\n", i, i * 7);
	ck_assert_int_eq(fclose(fp), 0);
	return text;
}

static void check_list_manifest(const struct mf_manifest *m, size_t n,
				bool long_text)
{
	unsigned line = 4 + (unsigned)n;
	char want[32];
	size_t i;

	ck_assert_str_eq(m->name, "m");
	ck_assert_uint_eq(strlen(m->description),
			  long_text ? 1000 - STR_LEN("description=") : 5);
	ck_assert_uint_eq(m->n_configs, n);
	ck_assert(n ? m->configs != NULL : m->configs == NULL);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "c%zu.conf", i);
		ck_assert_str_eq(m->configs[i], want);
	}
	ck_assert(n ? m->uses.items != NULL : m->uses.items == NULL);
	ck_assert(n ? m->canuse.items != NULL : m->canuse.items == NULL);
	ck_assert(n ? m->provides.items != NULL : m->provides.items == NULL);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "u%03zu", i);
		assert_ref(&m->uses, i, "module", want, 0, line + 1 + (unsigned)i);
	}
	line += 1 + (unsigned)n;
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "F%zu", i);
		assert_ref(&m->canuse, i, "function", want, 0,
			   line + 1 + (unsigned)i);
	}
	line += 1 + (unsigned)n;
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "p%zu", i);
		assert_ref(&m->provides, i, "service", want, (unsigned)(i * 7),
			   line + 1 + (unsigned)i);
	}
	ck_assert_uint_eq(m->uses.count, n);
	ck_assert_uint_eq(m->canuse.count, n);
	ck_assert_uint_eq(m->provides.count, n);
}

START_TEST(test_list_sizes)
{
	size_t n = list_sizes[_i / 2], len;
	bool long_text = _i % 2;
	char *text = list_manifest(n, long_text, &len);
	struct mf_manifest *m = parse_ok(text, len), *back;
	char *out;

	check_list_manifest(m, n, long_text);
	out = write_text(m);
	back = parse_ok(out, strlen(out));
	assert_manifest_eq(m, back);
	mf_manifest_free(back);
	free(out);
	mf_manifest_free(m);
	free(text);
}
END_TEST

/* A list's checks see every entry, on the stack or moved to the heap. */
START_TEST(test_list_errors_past_room)
{
	char *text = NULL, want[96];
	size_t len, i;
	FILE *fp;

	/* Entry 3 again after 20: duplicates, in every list. */
	static const char *const lines[] = {"config=c%zu.conf\n",
					    "module=u%03zu\n", "function=F%zu\n",
					    "service=p%zu:1\n"};
	static const char *const heads[] = {"", "[uses]\n", "[canuse]\n",
					    "[provides]\n"};
	static const char *const wants[] = {
		"t.manifest:%u: duplicate config 'c3.conf'",
		"t.manifest:%u: duplicate entry 'module=u003' in [uses]",
		"t.manifest:%u: duplicate entry 'function=F3' in [canuse]",
		"t.manifest:%u: duplicate entry 'service=p3' in [provides]"};

	for (size_t k = 0; k < 4; k++) {
		unsigned head = k ? 3 : 2; /* lines before the list */

		fp = open_memstream(&text, &len);
		ck_assert_ptr_nonnull(fp);
		fprintf(fp, "[module]\nname=m\n%s", heads[k]);
		for (i = 0; i < 20; i++)
			fprintf(fp, lines[k], i);
		fprintf(fp, lines[k], (size_t)3);
		ck_assert_int_eq(fclose(fp), 0);
		snprintf(want, sizeof(want), wants[k], head + 21);
		parse_fails(text, len, want);
		free(text);
	}

	/* The module itself, as the 18th of its uses or canuse. */
	for (size_t k = 1; k < 3; k++) {
		fp = open_memstream(&text, &len);
		ck_assert_ptr_nonnull(fp);
		fprintf(fp, "[module]\nname=u017\n%s", heads[k]);
		for (i = 0; i < 20; i++)
			fprintf(fp, "module=u%03zu\n", i);
		ck_assert_int_eq(fclose(fp), 0);
		snprintf(want, sizeof(want), "t.manifest:21: %s",
			 k == 1 ? "module uses itself" :
				  "module lists itself in [canuse]");
		parse_fails(text, len, want);
		free(text);
	}
}
END_TEST

/* Names that end alike, or are short, are still told apart. */
START_TEST(test_similar_names)
{
	static const char text[] = "[module]\nname=x_suffix_1234567\n"
				   "[uses]\n"
				   "module=a_suffix_12345678\n"
				   "module=b_suffix_12345678\n"
				   "module=suffix_12345678\n"
				   "module=uffix_12345678\n"
				   "module=12345678\n"
				   "module=ab\nmodule=ba\nmodule=a\nmodule=b\n"
				   "function=ab\n"
				   "module=y_suffix_1234567\n"
				   "[canuse]\nmodule=a_suffix_1234567\n";
	struct mf_manifest *m;

	/* "12345678" starts with a digit: not a module name. */
	parse_fails(text, STR_LEN(text),
		    "t.manifest:8: bad module name '12345678' " BAD_NAME_HINT);

	static const char ok[] = "[module]\nname=x_suffix_1234567\n"
				 "[uses]\n"
				 "module=a_suffix_12345678\n"
				 "module=b_suffix_12345678\n"
				 "module=suffix_12345678\n"
				 "module=uffix_12345678\n"
				 "module=ab\nmodule=ba\nmodule=a\nmodule=b\n"
				 "function=ab\n"
				 "module=y_suffix_1234567\n"
				 "[canuse]\nmodule=a_suffix_1234567\n";
	m = parse_ok(ok, STR_LEN(ok));
	ck_assert_uint_eq(m->uses.count, 10);
	ck_assert_uint_eq(m->canuse.count, 1);
	mf_manifest_free(m);

	static const char dup[] = "[module]\nname=x\n[uses]\n"
				  "module=a_suffix_12345678\n"
				  "module=b_suffix_12345678\n"
				  "module=a_suffix_12345678\n";
	parse_fails(dup, STR_LEN(dup),
		    "t.manifest:6: duplicate entry 'module=a_suffix_12345678' "
		    "in [uses]");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Replacing the checksum                                              */
/* ------------------------------------------------------------------ */

#define SHA_A "sha256:" HEX64
#define SHA_B "sha256:0000000000000000000000000000000000000000000000000000000000000000"

START_TEST(test_set_checksum_parsed)
{
	size_t heap0 = mf_heap_in_use();
	struct mf_manifest *m = parse_ok(seed_example, STR_LEN(seed_example));
	char *out;

	ck_assert_int_eq(mf_manifest_set_checksum(m, SHA_A), 0);
	ck_assert_str_eq(m->checksum, SHA_A);
	ck_assert_int_eq(mf_manifest_set_checksum(m, SHA_B), 0);
	ck_assert_str_eq(m->checksum, SHA_B);
	/* Nothing else moved. */
	assert_ref(&m->uses, 3, "module", "func_uri", 0, 11);
	ck_assert_str_eq(m->path, "t.manifest");

	out = write_text(m);
	ck_assert_ptr_nonnull(strstr(out, "\nchecksum=" SHA_B "\n"));
	free(out);

	ck_assert_int_eq(mf_manifest_set_checksum(m, NULL), 0);
	ck_assert_ptr_null(m->checksum);
	out = write_text(m);
	ck_assert_ptr_null(strstr(out, "checksum="));
	free(out);
	ck_assert_int_eq(mf_manifest_set_checksum(m, SHA_A), 0);
	mf_manifest_free(m);
	ck_assert_uint_eq(mf_heap_in_use(), heap0);

	/* A parsed manifest's first checksum, never replaced, is freed too. */
	m = parse_ok(seed_example, STR_LEN(seed_example));
	ck_assert_int_eq(mf_manifest_set_checksum(m, NULL), 0);
	mf_manifest_free(m);
	ck_assert_uint_eq(mf_heap_in_use(), heap0);
}
END_TEST

/* A manifest built by hand from the runtime's allocator. */
START_TEST(test_set_checksum_built)
{
	size_t heap0 = mf_heap_in_use();
	struct mf_manifest *m = mf_calloc(1, sizeof(*m));

	ck_assert_ptr_nonnull(m);
	m->name = mf_strdup("a");
	m->path = mf_strdup("hand");
	m->checksum = mf_strdup(SHA_A);
	m->uses.items = mf_calloc(1, sizeof(*m->uses.items));
	ck_assert_ptr_nonnull(m->uses.items);
	m->uses.items[0].type = mf_strdup("module");
	m->uses.items[0].name = mf_strdup("b");
	m->uses.count = 1;
	ck_assert_int_eq(mf_manifest_set_checksum(m, SHA_B), 0);
	ck_assert_str_eq(m->checksum, SHA_B);
	ck_assert_int_eq(mf_manifest_set_checksum(m, NULL), 0);
	ck_assert_int_eq(mf_manifest_set_checksum(m, SHA_A), 0);
	mf_manifest_free(m);
	ck_assert_uint_eq(mf_heap_in_use(), heap0);
}
END_TEST

/*
 * A parsed manifest is made of the runtime's allocations as one built by
 * hand: a field freed and replaced by its owner leaves nothing behind.
 */
START_TEST(test_parsed_fields_own_allocations)
{
	size_t heap0 = mf_heap_in_use();
	struct mf_manifest *m = parse_ok(seed_example, STR_LEN(seed_example));
	struct mf_ref *more;

	mf_free(m->name);
	m->name = mf_strdup("func_other");
	mf_free(m->uses.items[0].name);
	m->uses.items[0].name = mf_strdup("res_other");
	more = mf_realloc(m->uses.items,
			  (m->uses.count + 1) * sizeof(*m->uses.items));
	ck_assert_ptr_nonnull(more);
	m->uses.items = more;
	more[m->uses.count] = (struct mf_ref){.type = mf_strdup("module"),
					      .name = mf_strdup("res_new")};
	m->uses.count++;
	mf_free(m->path);
	m->path = mf_strdup("elsewhere.manifest");
	ck_assert_str_eq(m->name, "func_other");
	ck_assert_str_eq(m->uses.items[0].name, "res_other");
	mf_manifest_free(m);
	ck_assert_uint_eq(mf_heap_in_use(), heap0);
}
END_TEST

START_TEST(test_set_checksum_enomem)
{
	size_t heap0 = mf_heap_in_use();
	struct mf_manifest *m = parse_ok(seed_example, STR_LEN(seed_example));
	const char *old = m->checksum;
	int r;

	fi_arm(0);
	r = mf_manifest_set_checksum(m, SHA_A);
	fi_disarm();
	ck_assert_int_eq(r, -ENOMEM);
	ck_assert_ptr_eq(m->checksum, old);
	ck_assert_int_eq(mf_manifest_set_checksum(m, SHA_A), 0);
	fi_arm(0);
	r = mf_manifest_set_checksum(m, SHA_B);
	fi_disarm();
	ck_assert_int_eq(r, -ENOMEM);
	ck_assert_str_eq(m->checksum, SHA_A);
	mf_manifest_free(m);
	ck_assert_uint_eq(mf_heap_in_use(), heap0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Writer and round trip                                               */
/* ------------------------------------------------------------------ */

/* parse(file) written must be @canonical, which parses back to the same. */
static void check_round_trip(const char *input, const char *canonical)
{
	char err[MF_ERR_MAX] = "";
	struct mf_manifest *a, *b;
	char *want, *text, *again;
	size_t len;

	ck_assert_msg(mf_manifest_load(input, &a, err, sizeof(err)) == 0, "%s",
		      err);
	want = read_text(canonical, &len);
	text = write_text(a);
	ck_assert_str_eq(text, want);

	b = parse_ok(text, strlen(text));
	assert_manifest_eq(a, b);
	again = write_text(b);
	ck_assert_str_eq(again, text);

	free(again);
	free(text);
	free(want);
	mf_manifest_free(b);
	mf_manifest_free(a);
}

START_TEST(test_round_trip_seed)
{
	check_round_trip(DATA("func_periodic_hook.manifest"),
			 DATA("func_periodic_hook.canonical"));
}
END_TEST

START_TEST(test_round_trip_full)
{
	check_round_trip(DATA("full.manifest"), DATA("full.canonical"));
}
END_TEST

START_TEST(test_write_minimal)
{
	static const char text[] = "[module]\nname=a\nload_priority=129\n";
	struct mf_manifest *m = parse_ok(text, STR_LEN(text)), *back;
	char *out = write_text(m);

	ck_assert_str_eq(out, "[module]\nname=a\nsupport_level=core\n"
			      "load_priority=129\n");
	back = parse_ok(out, strlen(out));
	assert_manifest_eq(m, back);
	mf_manifest_free(back);
	free(out);
	mf_manifest_free(m);
}
END_TEST

/* A hand-built manifest, as the extractor makes them. */
START_TEST(test_write_built)
{
	struct mf_ref uses[] = {{"module", "res_core", 0, 0}};
	struct mf_ref provides[] = {{"service", "timer", 0, 0},
				    {"codec", "ulaw", 12, 0}};
	char *configs[] = {"a.conf"};
	struct mf_manifest m = {
		.name = "res_x",
		.checksum = "a3bf4f1b2b0b822cd15d6c15b0f00a08",
		.support_level = MF_SUPPORT_EXTERNAL,
		.load_priority = 0,
		.configs = configs,
		.n_configs = 1,
		.uses = {uses, 1},
		.provides = {provides, 2},
	};
	struct mf_manifest *back;
	char *out = write_text(&m);

	ck_assert_str_eq(out, "[module]\n"
			      "name=res_x\n"
			      "checksum=a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
			      "support_level=external\n"
			      "load_priority=0\n"
			      "config=a.conf\n"
			      "\n[uses]\nmodule=res_core\n"
			      "\n[provides]\nservice=timer\ncodec=ulaw:12\n");
	back = parse_ok(out, strlen(out));
	assert_manifest_eq(&m, back);
	mf_manifest_free(back);
	free(out);
}
END_TEST

START_TEST(test_write_refuses_unwritable)
{
	struct mf_ref bad_ref[] = {{"module", "a\nb", 0, 0}};
	struct mf_manifest m = {.name = "a", .load_priority = MF_PRIO_DEFAULT};
	FILE *fp = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(mf_manifest_write(&m, fp), 0);
	m.name = NULL;
	ck_assert_int_eq(mf_manifest_write(&m, fp), -EINVAL);
	m.name = "a";
	m.description = "two\nlines";
	ck_assert_int_eq(mf_manifest_write(&m, fp), -EINVAL);
	m.description = NULL;
	m.support_level = (enum mf_support_level)7;
	ck_assert_int_eq(mf_manifest_write(&m, fp), -EINVAL);
	m.support_level = MF_SUPPORT_CORE;
	m.load_priority = 256;
	ck_assert_int_eq(mf_manifest_write(&m, fp), -EINVAL);
	m.load_priority = MF_PRIO_DEFAULT;
	m.uses.items = bad_ref;
	m.uses.count = 1;
	ck_assert_int_eq(mf_manifest_write(&m, fp), -EINVAL);
	fclose(fp);
}
END_TEST

START_TEST(test_write_io_error)
{
	struct mf_manifest *m = parse_ok(seed_example, STR_LEN(seed_example));
	FILE *fp = fopen("/dev/full", "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(mf_manifest_write(m, fp), -EIO);
	fclose(fp);
	mf_manifest_free(m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Loading files                                                       */
/* ------------------------------------------------------------------ */

static void load_fails(const char *path, int want_r, const char *want)
{
	struct mf_manifest *m = (struct mf_manifest *)&m;
	char err[MF_ERR_MAX] = "";

	ck_assert_int_eq(mf_manifest_load(path, &m, err, sizeof(err)), want_r);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, want);
}

START_TEST(test_load_seed_file)
{
	char err[MF_ERR_MAX] = "";
	struct mf_manifest *m;

	ck_assert_int_eq(mf_manifest_load(DATA("func_periodic_hook.manifest"),
					  &m, err, sizeof(err)),
			 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(m->path, DATA("func_periodic_hook.manifest"));
	assert_seed_example(m);
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_load_crlf_file)
{
	char err[MF_ERR_MAX] = "";
	struct mf_manifest *m;

	ck_assert_msg(mf_manifest_load(DATA("crlf.manifest"), &m, err,
				       sizeof(err)) == 0,
		      "%s", err);
	assert_seed_example(m);
	mf_manifest_free(m);
}
END_TEST

START_TEST(test_load_bad_files)
{
	load_fails(DATA("bad/nul.manifest"), -EINVAL,
		   DATA("bad/nul.manifest") ":3: NUL byte");
	load_fails(DATA("bad/long_line.manifest"), -EINVAL,
		   DATA("bad/long_line.manifest") ":3: line too long (1025 bytes, max 1024)");
	load_fails(DATA("bad/self_use.manifest"), -EINVAL,
		   DATA("bad/self_use.manifest") ":6: module uses itself");
	load_fails(DATA("bad/duplicate_provider.manifest"), -EINVAL,
		   DATA("bad/duplicate_provider.manifest")
		   ":6: duplicate entry 'service=timer' in [provides]");
	load_fails(DATA("bad/missing_name.manifest"), -EINVAL,
		   DATA("bad/missing_name.manifest") ":2: missing [module] name");
}
END_TEST

START_TEST(test_load_io_errors)
{
	load_fails(DATA("no_such.manifest"), -ENOENT,
		   DATA("no_such.manifest") ": No such file or directory");
	load_fails(DATA(""), -EISDIR, DATA("") ": Is a directory");
	load_fails(DATA("full.manifest/x"), -ENOTDIR,
		   DATA("full.manifest/x") ": Not a directory");
	/* Not a regular file: read to the end all the same. */
	load_fails("/dev/null", -EINVAL, "/dev/null:0: missing [module] section");
}
END_TEST

/* Write @size bytes of a valid manifest padded with comment lines. */
static void make_big_manifest(char *path, size_t size)
{
	static const char head[] = "[module]\nname=big\n";
	char line[100];
	size_t done = 0;
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
	char path[] = "/tmp/check_manifest_XXXXXX", want[128];
	char err[MF_ERR_MAX] = "";
	struct mf_manifest *m;

	make_big_manifest(path, 1024 * 1024);
	ck_assert_msg(mf_manifest_load(path, &m, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(m->name, "big");
	mf_manifest_free(m);
	unlink(path);

	strcpy(path, "/tmp/check_manifest_XXXXXX");
	make_big_manifest(path, 1024 * 1024 + 1);
	snprintf(want, sizeof(want), "%s: file too large (max 1048576 bytes)", path);
	load_fails(path, -EFBIG, want);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Out of memory: fail each allocation in turn                         */
/* ------------------------------------------------------------------ */

/* The runtime's allocation hook fails one allocation at a time. */

/*
 * Run @op with allocation 0, 1, 2 ... failing until it succeeds; each failed
 * run must return -ENOMEM, leave nothing allocated and say so in @err.
 * Returns how many allocations the run that succeeded made.
 */
static long check_each_allocation(const char *what,
				  int (*op)(struct mf_manifest **, char *,
					    size_t),
				  const char *want_suffix)
{
	char err[MF_ERR_MAX];
	struct mf_manifest *m;
	long n, live;
	int r;

	for (n = 0;; n++) {
		err[0] = '\0';
		m = (struct mf_manifest *)&m;
		fi_arm(n);
		r = op(&m, err, sizeof(err));
		if (r == 0)
			mf_manifest_free(m);
		live = fi_live();
		fi_disarm();
		ck_assert_msg(live == 0, "%s: %ld bytes leaked failing allocation %ld",
			      what, live, n);
		if (r == 0)
			break;
		ck_assert_msg(r == -ENOMEM, "%s: got %d failing allocation %ld",
			      what, r, n);
		ck_assert_ptr_null(m);
		ck_assert_msg(strlen(err) > strlen(want_suffix) &&
				      strcmp(err + strlen(err) - strlen(want_suffix),
					     want_suffix) == 0,
			      "%s: message '%s'", what, err);
		/* A failure outside any line names no line, not line 0. */
		ck_assert_msg(!strstr(err, ":0:"), "%s: message '%s'", what, err);
	}
	return n;
}

static int parse_full(struct mf_manifest **m, char *err, size_t errlen)
{
	static const char text[] =
		"[module]\nname=res_x\ndescription=d\n"
		"checksum=844c2153257936cc25d8b32760780c7b\n"
		"config=a.conf\nconfig=b.conf\nconfig=c.conf\n"
		"[uses]\nmodule=a\nmodule=b\nmodule=c\nmodule=d\nmodule=e\n"
		"[canuse]\nfunction=F\n"
		"[provides]\nservice=timer:3\ncodec=ulaw\n";

	return mf_manifest_parse("t.manifest", text, STR_LEN(text), m, err,
				 errlen);
}

static int load_full(struct mf_manifest **m, char *err, size_t errlen)
{
	return mf_manifest_load(DATA("full.manifest"), m, err, errlen);
}

/* A manifest of many refs and configs: their arrays grow. */
static int parse_big(struct mf_manifest **m, char *err, size_t errlen)
{
	size_t len;
	char *text = list_manifest(40, true, &len);
	int r;

	r = mf_manifest_parse("t.manifest", text, len, m, err, errlen);
	free(text);
	if (r == 0)
		check_list_manifest(*m, 40, true);
	return r;
}

/* Each string and array of a manifest is its own allocation; failing any
 * one leaks nothing.  The first is the manifest itself, before any line,
 * so its message names the file alone. */
START_TEST(test_enomem_parse)
{
	char err[MF_ERR_MAX];
	struct mf_manifest *m;

	ck_assert_int_eq(check_each_allocation("parse", parse_full,
					       ": out of memory"),
			 29);
	fi_arm(0);
	ck_assert_int_eq(parse_full(&m, err, sizeof(err)), -ENOMEM);
	fi_disarm();
	ck_assert_str_eq(err, "t.manifest: out of memory");
}
END_TEST

/* The file's buffer, then the manifest's allocations. */
START_TEST(test_enomem_load)
{
	ck_assert_int_eq(check_each_allocation("load", load_full, ""), 30);
}
END_TEST

START_TEST(test_enomem_parse_big)
{
	ck_assert_int_gt(check_each_allocation("parse big", parse_big,
					       ": out of memory"),
			 3);
}
END_TEST

static void add_enomem_tests(Suite *s)
{
	TCase *tc = tcase_create("enomem");

	tcase_add_test(tc, test_enomem_parse);
	tcase_add_test(tc, test_enomem_load);
	tcase_add_test(tc, test_enomem_parse_big);
	tcase_add_test(tc, test_set_checksum_enomem);
	suite_add_tcase(s, tc);
}

/* ------------------------------------------------------------------ */

Suite *make_manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_seed_example);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_tolerated_layout);
	tcase_add_test(tc, test_section_order);
	tcase_add_test(tc, test_provider_priorities);
	tcase_add_test(tc, test_same_name_other_type);
	tcase_add_test(tc, test_requires_menu_blanks);
	tcase_add_loop_test(tc, test_load_priority_values, 0,
			    sizeof(load_priority_cases) / sizeof(load_priority_cases[0]));
	tcase_add_loop_test(tc, test_export_globals_values, 0,
			    sizeof(bool_cases) / sizeof(bool_cases[0]));
	tcase_add_test(tc, test_accepted_values);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_sha256_checksum);
	tcase_add_test(tc, test_err_null_and_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("lists");
	tcase_add_loop_test(tc, test_list_sizes, 0,
			    2 * (int)(sizeof(list_sizes) / sizeof(list_sizes[0])));
	tcase_add_test(tc, test_list_errors_past_room);
	tcase_add_test(tc, test_similar_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("checksum");
	tcase_add_test(tc, test_set_checksum_parsed);
	tcase_add_test(tc, test_set_checksum_built);
	tcase_add_test(tc, test_parsed_fields_own_allocations);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_bad_input, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_first_error_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_support_level_names);
	tcase_add_test(tc, test_load_priority_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_round_trip_seed);
	tcase_add_test(tc, test_round_trip_full);
	tcase_add_test(tc, test_write_minimal);
	tcase_add_test(tc, test_write_built);
	tcase_add_test(tc, test_write_refuses_unwritable);
	tcase_add_test(tc, test_write_io_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_seed_file);
	tcase_add_test(tc, test_load_crlf_file);
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
	SRunner *sr = srunner_create(make_manifest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
