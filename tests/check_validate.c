/* SPDX-License-Identifier: MIT */
/*
 * Tests of `manifold-gen check` (gen/check.c) and of the graph helpers it
 * stands on (gen/depgraph.c).  The reports are compared with golden files in
 * tests/data/validate/, where "@DATA@" stands for the data folder, read
 * relative to the repository root (override with -DMF_TEST_DATA_DIR=...).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../gen/depgraph.h"
#include "../gen/gen.h"
#include "test_file.h"

#ifndef MF_TEST_DATA_DIR
#define MF_TEST_DATA_DIR "tests/data/validate"
#endif
#define DATA(name) MF_TEST_DATA_DIR "/" name

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char *slurp(const char *path)
{
	return test_read_file_or_fail(path, NULL);
}

/* The golden file with every "@DATA@" replaced by the data folder. */
static char *golden(const char *path)
{
	static const char mark[] = "@DATA@";
	char *text = slurp(path), *out, *p, *hit;
	size_t dl = strlen(MF_TEST_DATA_DIR), n = 0;

	for (p = text; (hit = strstr(p, mark)); p = hit + sizeof(mark) - 1)
		n++;
	out = malloc(strlen(text) + n * dl + 1);
	ck_assert_ptr_nonnull(out);
	out[0] = '\0';
	for (p = text; (hit = strstr(p, mark)); p = hit + sizeof(mark) - 1) {
		strncat(out, p, (size_t)(hit - p));
		strcat(out, MF_TEST_DATA_DIR);
	}
	strcat(out, p);
	free(text);
	return out;
}

/* Run a subcommand with stdout sent to a file; returns what it printed. */
static char *run_capture(int (*fn)(int, char **), int argc, char **argv,
			 int *status)
{
	char path[] = "/tmp/mf-validate-out-XXXXXX";
	int fd, saved;
	char *text;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
	*status = fn(argc, argv);
	fflush(stdout);
	ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	close(fd);
	text = slurp(path);
	unlink(path);
	return text;
}

/* argv for "check [extra...] <every file matching pattern>", sorted or
 * reversed. */
struct args {
	char **argv;
	int argc;
	glob_t g;
};

static void args_make(struct args *a, const char *const *extra, size_t n_extra,
		      const char *pattern, int reverse)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(glob(pattern, 0, NULL, &a->g), 0);
	a->argv = calloc(1 + n_extra + a->g.gl_pathc + 1, sizeof(char *));
	ck_assert_ptr_nonnull(a->argv);
	a->argv[a->argc++] = "check";
	for (i = 0; i < n_extra; i++)
		a->argv[a->argc++] = (char *)extra[i];
	for (i = 0; i < a->g.gl_pathc; i++)
		a->argv[a->argc++] =
			a->g.gl_pathv[reverse ? a->g.gl_pathc - 1 - i : i];
}

static void args_free(struct args *a)
{
	globfree(&a->g);
	free(a->argv);
}

static void expect_report(const char *const *extra, size_t n_extra,
			  const char *pattern, const char *golden_path,
			  int want_status)
{
	struct args a;
	char *out, *want;
	int status;

	args_make(&a, extra, n_extra, pattern, 0);
	out = run_capture(gen_check_main, a.argc, a.argv, &status);
	want = golden(golden_path);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(status, want_status);
	free(out);
	free(want);
	args_free(&a);
}

/* ------------------------------------------------------------------ */
/* Reports over files                                                  */
/* ------------------------------------------------------------------ */

START_TEST(test_set_report)
{
	/* Duplicate, missing provider, two kinds of cycle, ambiguity and a
	 * parse error, all in one sorted report. */
	expect_report(NULL, 0, DATA("set/*.manifest"), DATA("set.expected"), 1);
}
END_TEST

START_TEST(test_config_y_needs_m)
{
	static const char *const extra[] = {"--config",
					    DATA("y-needs-m.config")};

	expect_report(extra, 2, DATA("set/*.manifest"),
		      DATA("y-needs-m.expected"), 1);
}
END_TEST

START_TEST(test_config_no_modules)
{
	static const char *const extra[] = {"--config=" DATA("no-modules.config")};

	expect_report(extra, 1, DATA("set/*.manifest"),
		      DATA("no-modules.expected"), 1);
}
END_TEST

START_TEST(test_order_independent)
{
	struct args fwd, rev;
	char *a, *b;
	int sa, sb;

	args_make(&fwd, NULL, 0, DATA("set/*.manifest"), 0);
	args_make(&rev, NULL, 0, DATA("set/*.manifest"), 1);
	a = run_capture(gen_check_main, fwd.argc, fwd.argv, &sa);
	b = run_capture(gen_check_main, rev.argc, rev.argv, &sb);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(sa, sb);
	free(a);
	free(b);
	args_free(&fwd);
	args_free(&rev);
}
END_TEST

START_TEST(test_clean_set_ok)
{
	struct args a;
	char *out;
	int status;

	args_make(&a, NULL, 0, DATA("clean/*.manifest"), 0);
	out = run_capture(gen_check_main, a.argc, a.argv, &status);
	ck_assert_str_eq(out, "3 manifests OK\n");
	ck_assert_int_eq(status, 0);
	free(out);
	args_free(&a);
}
END_TEST

START_TEST(test_clean_set_config)
{
	/* A selection that honours the tristate rule passes; dropping the only
	 * selected provider does not. */
	char path[] = "/tmp/mf-validate-cfg-XXXXXX";
	const char *extra[] = {"--config", path};
	struct args a;
	char *out;
	int fd, status;
	FILE *fp;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("CONFIG_MODULES=y\nCONFIG_MODULE_APP_E=y\n"
	      "CONFIG_MODULE_RES_F=y\nCONFIG_MODULE_RES_G=m\n",
	      fp);
	fclose(fp);
	args_make(&a, extra, 2, DATA("clean/*.manifest"), 0);
	out = run_capture(gen_check_main, a.argc, a.argv, &status);
	ck_assert_str_eq(out, "3 manifests OK\n");
	ck_assert_int_eq(status, 0);
	free(out);

	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("CONFIG_MODULES=y\nCONFIG_MODULE_APP_E=y\n"
	      "CONFIG_MODULE_RES_F=m\nCONFIG_MODULE_RES_G=m\n",
	      fp);
	fclose(fp);
	out = run_capture(gen_check_main, a.argc, a.argv, &status);
	ck_assert_ptr_nonnull(strstr(
		out, "app_e.manifest:8: app_e is y but service=e_api is only "
		     "provided by m modules: res_f (m), res_g (m)\n"));
	ck_assert_ptr_nonnull(strstr(out, "1 problem in 3 manifests\n"));
	ck_assert_int_eq(status, 1);
	free(out);
	args_free(&a);
	unlink(path);
}
END_TEST

START_TEST(test_missing_files)
{
	char *argv[] = {"check", "--config", DATA("no-such.config"),
			DATA("no-such.manifest"), NULL};
	char *out;
	int status;

	out = run_capture(gen_check_main, 4, argv, &status);
	ck_assert_str_eq(out,
			 DATA("no-such.config") ": No such file or directory\n"
			 DATA("no-such.manifest") ": No such file or directory\n"
			 "2 problems in 1 manifest\n");
	ck_assert_int_eq(status, 1);
	free(out);
}
END_TEST

START_TEST(test_usage)
{
	char *none[] = {"check", NULL};
	char *bad[] = {"check", "--frobnicate", "x.manifest", NULL};
	char *noarg[] = {"check", "--config", NULL};
	char *out;
	int status;

	out = run_capture(gen_check_main, 1, none, &status);
	ck_assert_int_eq(status, 2);
	free(out);
	out = run_capture(gen_check_main, 3, bad, &status);
	ck_assert_int_eq(status, 2);
	free(out);
	out = run_capture(gen_check_main, 2, noarg, &status);
	ck_assert_int_eq(status, 2);
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The graph, on manifests held in memory                              */
/* ------------------------------------------------------------------ */

struct mset {
	struct mf_manifest *m[16];
	size_t n;
	struct depgraph g;
};

/* Parse manifests given in name order as "name|uses...|provides...", with
 * the lists comma separated. */
static void mset_build(struct mset *s, const char *const *specs, size_t n)
{
	char err[MF_ERR_MAX];
	size_t i;

	ck_assert_uint_le(n, 16);
	s->n = n;
	for (i = 0; i < n; i++) {
		char *spec = strdup(specs[i]), *name, *uses, *provs, *tok, *sp;
		char *text = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&text, &len);

		ck_assert_ptr_nonnull(spec);
		ck_assert_ptr_nonnull(fp);
		name = strtok_r(spec, "|", &sp);
		uses = strtok_r(NULL, "|", &sp);
		provs = strtok_r(NULL, "|", &sp);
		fprintf(fp, "[module]\nname=%s\n", name);
		if (uses && strcmp(uses, "-") != 0) {
			fputs("[uses]\n", fp);
			for (tok = strtok_r(uses, ",", &sp); tok;
			     tok = strtok_r(NULL, ",", &sp))
				fprintf(fp, "%s\n", tok);
		}
		if (provs) {
			fputs("[provides]\n", fp);
			for (tok = strtok_r(provs, ",", &sp); tok;
			     tok = strtok_r(NULL, ",", &sp))
				fprintf(fp, "%s\n", tok);
		}
		fclose(fp);
		ck_assert_msg(mf_manifest_parse(name, text, len, &s->m[i], err,
						sizeof(err)) == 0,
			      "%s", err);
		free(text);
		free(spec);
	}
	ck_assert_int_eq(dg_build(&s->g, s->m, n), 0);
}

static void mset_free(struct mset *s)
{
	size_t i;

	dg_free(&s->g);
	for (i = 0; i < s->n; i++)
		mf_manifest_free(s->m[i]);
}

/* The cycles as "a>b>c;..." for one comparison. */
static char *cycles_text(const struct mset *s, int *truncated)
{
	struct dg_cycle *cy;
	size_t n, i, k;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dg_cycles(&s->g, 100, &cy, &n, truncated), 0);
	for (i = 0; i < n; i++) {
		for (k = 0; k < cy[i].len; k++)
			fprintf(fp, "%s%s", k ? ">" : "",
				s->g.mods[cy[i].path[k]].m->name);
		fputc(';', fp);
	}
	fclose(fp);
	dg_cycles_free(cy, n);
	return text;
}

static void expect_cycles(const char *const *specs, size_t n, const char *want)
{
	struct mset s;
	char *got;
	int truncated;

	mset_build(&s, specs, n);
	got = cycles_text(&s, &truncated);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(truncated, 0);
	free(got);
	mset_free(&s);
}

START_TEST(test_cycle_forced)
{
	static const char *const specs[] = {
		"a|module=b",
		"b|module=c",
		"c|module=a",
		"d|module=a", /* leads into the cycle, is not on it */
	};

	expect_cycles(specs, 4, "a>b>c;");
}
END_TEST

START_TEST(test_cycle_avoidable)
{
	/* a may take c, which needs nothing: no cycle is forced. */
	static const char *const specs[] = {
		"a|service=s",
		"b|module=a|service=s",
		"c|-|service=s",
	};

	expect_cycles(specs, 3, "");
}
END_TEST

START_TEST(test_cycle_every_choice)
{
	/* Both ways out of a lead back to a: both cycles are reported. */
	static const char *const specs[] = {
		"a|service=s",
		"b|module=a|service=s",
		"c|module=a|service=s",
	};

	expect_cycles(specs, 3, "a>b;a>c;");
}
END_TEST

START_TEST(test_cycle_not_through_chooser)
{
	/* a can avoid coming back to itself by taking c, but c and d are
	 * bound to each other whatever a does. */
	static const char *const specs[] = {
		"a|service=s",
		"b|module=a|service=s",
		"c|module=d|service=s",
		"d|module=c",
	};

	expect_cycles(specs, 4, "c>d;");
}
END_TEST

START_TEST(test_cycle_and_of_needs)
{
	/* a needs both s and t; s can be had without coming back but t
	 * cannot, so a is on a cycle through e. */
	static const char *const specs[] = {
		"a|service=s,service=t",
		"b|-|service=s",
		"e|module=a|service=t",
	};

	expect_cycles(specs, 3, "a>e;");
}
END_TEST

START_TEST(test_self_provided_need)
{
	/* A module providing what it uses is no edge at all. */
	static const char *const specs[] = {
		"a|service=s|service=s",
		"b|service=s",
	};
	struct mset s;

	mset_build(&s, specs, 2);
	ck_assert_uint_eq(s.g.mods[0].n_needs, 0);
	ck_assert_uint_eq(s.g.mods[1].n_needs, 1);
	ck_assert_uint_eq(s.g.mods[1].needs[0].n_providers, 1);
	ck_assert_uint_eq(s.g.mods[1].needs[0].providers[0], 0);
	mset_free(&s);
}
END_TEST

START_TEST(test_lookup_and_symbol)
{
	static const char *const specs[] = {
		"a|-|service=s:5",
		"b|-|service=s:9,function=F",
		"c|-|service=s:5",
	};
	char sym[DG_SYMBOL_MAX];
	struct mset s;
	size_t first, n;

	mset_build(&s, specs, 3);
	n = dg_lookup(&s.g, "service", "s", &first);
	ck_assert_uint_eq(n, 3);
	/* Best priority first, then by name. */
	ck_assert_uint_eq(s.g.provs[first].module, 1);
	ck_assert_uint_eq(s.g.provs[first + 1].module, 0);
	ck_assert_uint_eq(s.g.provs[first + 2].module, 2);
	ck_assert_uint_eq(dg_lookup(&s.g, "service", "t", &first), 0);
	ck_assert_uint_eq(dg_lookup(&s.g, "module", "b", &first), 1);
	ck_assert_int_eq(dg_find(&s.g, "c"), 2);
	ck_assert_int_eq(dg_find(&s.g, "zz"), -1);
	ck_assert_str_eq(s.g.mods[1].symbol, "MODULE_B");
	ck_assert_int_eq(dg_symbol("res_timing_2x", sym, sizeof(sym)), 0);
	ck_assert_str_eq(sym, "MODULE_RES_TIMING_2X");
	ck_assert_int_eq(dg_symbol("a-b", sym, sizeof(sym)), -EINVAL);
	ck_assert_int_eq(dg_symbol("abcdef", sym, 10), -EINVAL);
	mset_free(&s);
}
END_TEST

START_TEST(test_build_rejects_unsorted)
{
	char err[MF_ERR_MAX];
	struct mf_manifest *m[2];
	struct depgraph g;
	static const char b[] = "[module]\nname=b\n", a[] = "[module]\nname=a\n";

	ck_assert_int_eq(mf_manifest_parse("b", b, sizeof(b) - 1, &m[0], err,
					   sizeof(err)),
			 0);
	ck_assert_int_eq(mf_manifest_parse("a", a, sizeof(a) - 1, &m[1], err,
					   sizeof(err)),
			 0);
	ck_assert_int_eq(dg_build(&g, m, 2), -EINVAL);
	mf_manifest_free(m[0]);
	mf_manifest_free(m[1]);
}
END_TEST

START_TEST(test_cycle_limit)
{
	/* A complete graph over four modules, each needing "s" that all the
	 * others provide: many cycles, listing stops at the limit. */
	static const char *const specs[] = {
		"a|service=s|service=s",
		"b|module=a,module=c,module=d",
		"c|module=a,module=b,module=d",
		"d|module=a,module=b,module=c",
	};
	struct mset s;
	struct dg_cycle *cy;
	size_t n;
	int truncated;

	mset_build(&s, specs, 4);
	ck_assert_int_eq(dg_cycles(&s.g, 2, &cy, &n, &truncated), 0);
	ck_assert_int_eq(truncated, 1);
	ck_assert_uint_le(n, 2);
	dg_cycles_free(cy, n);
	ck_assert_int_eq(dg_cycles(&s.g, 1000, &cy, &n, &truncated), 0);
	ck_assert_int_eq(truncated, 0);
	/* b, c, d: 3 two-cycles and 2 three-cycles. */
	ck_assert_uint_eq(n, 5);
	dg_cycles_free(cy, n);
	mset_free(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Large graphs                                                        */
/* ------------------------------------------------------------------ */

/* A chain c00000 -> c00001 -> ... of @n modules, each using the next by
 * module=, and, when back_from < n, module c<back_from> also using
 * c<back_to>.  The [uses] lines are 4 (next) and 5 (back). */
struct chain {
	struct mf_manifest **m;
	size_t n;
	struct depgraph g;
};

static void chain_build(struct chain *c, size_t n, size_t back_from,
			size_t back_to)
{
	char err[MF_ERR_MAX], text[128], name[16];
	size_t i;

	c->n = n;
	c->m = calloc(n, sizeof(*c->m));
	ck_assert_ptr_nonnull(c->m);
	for (i = 0; i < n; i++) {
		int len = snprintf(text, sizeof(text), "[module]\nname=c%05zu\n",
				   i);

		if (i + 1 < n)
			len += snprintf(text + len, sizeof(text) - (size_t)len,
					"[uses]\nmodule=c%05zu\n", i + 1);
		if (i == back_from)
			len += snprintf(text + len, sizeof(text) - (size_t)len,
					"module=c%05zu\n", back_to);
		ck_assert_uint_lt((size_t)len, sizeof(text));
		snprintf(name, sizeof(name), "c%05zu", i);
		ck_assert_msg(mf_manifest_parse(name, text, (size_t)len,
						&c->m[i], err,
						sizeof(err)) == 0,
			      "%s", err);
	}
	ck_assert_int_eq(dg_build(&c->g, c->m, n), 0);
}

static void chain_free(struct chain *c)
{
	size_t i;

	dg_free(&c->g);
	for (i = 0; i < c->n; i++)
		mf_manifest_free(c->m[i]);
	free(c->m);
}

START_TEST(test_long_chain_acyclic)
{
	/* Every module is forced down the chain, yet none comes back: no
	 * cycle, and (a search per module over all the others being what
	 * made `check` quadratic) an answer in linear time. */
	struct chain c;
	struct dg_cycle *cy;
	size_t n;
	int truncated;

	chain_build(&c, 5000, (size_t)-1, 0);
	ck_assert_uint_eq(c.g.mods[0].n_needs, 1);
	ck_assert_int_eq(dg_cycles(&c.g, 1000, &cy, &n, &truncated), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(truncated, 0);
	dg_cycles_free(cy, n);
	chain_free(&c);
}
END_TEST

START_TEST(test_cycle_inside_large_graph)
{
	/* c02499 comes back to c02000: those 500 modules are one cycle,
	 * with acyclic chains before and after it.  (Each of them finds it,
	 * and the finds count towards the limit before they are merged, so
	 * the cycle stays shorter than the limit.) */
	struct chain c;
	struct dg_cycle *cy;
	size_t n, k;
	int truncated;

	chain_build(&c, 5000, 2499, 2000);
	ck_assert_int_eq(dg_cycles(&c.g, 1000, &cy, &n, &truncated), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(truncated, 0);
	ck_assert_uint_eq(cy[0].len, 500);
	for (k = 0; k < cy[0].len; k++)
		ck_assert_uint_eq(cy[0].path[k], 2000 + k);
	ck_assert_uint_eq(cy[0].line, 4); /* c02000's module=c02001 */
	dg_cycles_free(cy, n);
	chain_free(&c);
}
END_TEST

START_TEST(test_short_cycle_inside_large_graph)
{
	/* A three-module cycle in the middle of the chain, found alone. */
	struct chain c;
	struct mset s = {0};
	char *got;
	int truncated;

	chain_build(&c, 5000, 2502, 2500);
	/* cycles_text() reads the names through an mset. */
	s.g = c.g;
	got = cycles_text(&s, &truncated);
	ck_assert_str_eq(got, "c02500>c02501>c02502;");
	ck_assert_int_eq(truncated, 0);
	free(got);
	chain_free(&c);
}
END_TEST

Suite *make_validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *files = tcase_create("report");
	TCase *graph = tcase_create("graph");
	TCase *large = tcase_create("large");

	tcase_add_test(files, test_set_report);
	tcase_add_test(files, test_config_y_needs_m);
	tcase_add_test(files, test_config_no_modules);
	tcase_add_test(files, test_order_independent);
	tcase_add_test(files, test_clean_set_ok);
	tcase_add_test(files, test_clean_set_config);
	tcase_add_test(files, test_missing_files);
	tcase_add_test(files, test_usage);
	suite_add_tcase(s, files);

	tcase_add_test(graph, test_cycle_forced);
	tcase_add_test(graph, test_cycle_avoidable);
	tcase_add_test(graph, test_cycle_every_choice);
	tcase_add_test(graph, test_cycle_not_through_chooser);
	tcase_add_test(graph, test_cycle_and_of_needs);
	tcase_add_test(graph, test_self_provided_need);
	tcase_add_test(graph, test_lookup_and_symbol);
	tcase_add_test(graph, test_build_rejects_unsorted);
	tcase_add_test(graph, test_cycle_limit);
	suite_add_tcase(s, graph);

	tcase_add_test(large, test_long_chain_acyclic);
	tcase_add_test(large, test_cycle_inside_large_graph);
	tcase_add_test(large, test_short_cycle_inside_large_graph);
	/* Thousands of modules: generous for a run under valgrind. */
	tcase_set_timeout(large, 60);
	suite_add_tcase(s, large);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_validate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
