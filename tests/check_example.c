/* SPDX-License-Identifier: MIT */
/*
 * The example module of docs/writing-modules.md (docs/examples/mod_hello.c),
 * built into this test and driven as the document says it behaves: its
 * manifest comes out of its source, it registers what it provides, a session
 * object holds it against a soft unload, a forced unload cancels the session
 * (which it logs), and its registrations are gone once it stopped.  Its
 * source never names the module: the build passes the name.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <manifold/manifold.h>

#include "util/alloc.h"
#include "moduleinfo.h"
#include "test_file.h"

#define EXAMPLE_SRC "docs/examples/mod_hello.c"

extern const struct manifold_module manifold_module_mod_hello;

static int example_map(struct mf_context *ctx, struct mf_module *mod, void *data,
		       const struct manifold_module **desc)
{
	(void)ctx;
	(void)mod;
	(void)data;
	*desc = &manifold_module_mod_hello;
	return 0;
}

static const struct mf_backend_ops example_backend = {
	.name = "example",
	.map = example_map,
};

static struct mf_context *ctx;
static struct mf_module *mod;
static char events[4096];
static char logged[4096];

static void log_capture(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	size_t len = strlen(logged);

	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(logged + len, sizeof(logged) - len, format, args);
	len = strlen(logged);
	snprintf(logged + len, sizeof(logged) - len, "\n");
}

static void record(void *data, const struct mf_event *ev)
{
	size_t len = strlen(events);
	static const char *const kinds[] = {
		"start", "stop", "would-start", "would-stop", "fail", "held", "cancel", "note",
	};

	(void)data;
	snprintf(events + len, sizeof(events) - len, "%s %s: %s\n", kinds[ev->kind],
		 ev->module, ev->detail);
}

static char *read_source(size_t *len)
{
	FILE *fp = fopen(EXAMPLE_SRC, "r");
	char *buf = malloc(65536);

	ck_assert_msg(fp != NULL, "cannot open %s (run from the repository root)", EXAMPLE_SRC);
	ck_assert(buf != NULL);
	*len = fread(buf, 1, 65535, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static void setup(void)
{
	char err[MF_ERR_MAX] = "", *text = NULL;
	struct mf_manifest *m;
	size_t len, tlen;
	char *src = read_source(&len);

	ck_assert_msg(gen_extract_manifest(EXAMPLE_SRC, src, len, "mod_hello", NULL, 0,
					   &text, &tlen, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(mf_manifest_parse("mod_hello.manifest", text, tlen, &m, err,
					sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(mf_context_new(&ctx), 0);
	mf_context_set_log_fn(ctx, log_capture, NULL);
	mf_context_set_log_priority(ctx, MF_LOG_NOTICE);
	logged[0] = '\0';
	mf_context_set_cancel_timeout(ctx, 200);
	ck_assert_int_eq(mf_catalog_add_manifest(ctx, m, &example_backend, NULL), 0);
	ck_assert_int_eq(mf_module_find(ctx, "mod_hello", &mod), 0);
	events[0] = '\0';
	mf_free(text); /* the generator allocates through runtime/util/alloc.h */
	free(src);
}

static void teardown(void)
{
	mf_context_unref(ctx);
}

static int call(const char *type, const char *name, const char *args, char *out,
		size_t outlen)
{
	const struct mf_callable *c;
	struct mf_api *api;
	int err = mf_api_find(ctx, type, name, &api);

	if (err < 0)
		return err;
	c = mf_api_iface(api);
	err = c ? c->call(mf_api_provider(api), args, out, outlen) : -ESTALE;
	mf_api_release(api);
	return err;
}

static int load(void)
{
	struct mf_request req = { .name = "mod_hello", .why = "test" };

	return mf_load(ctx, &req, 1, 0, record, NULL);
}

START_TEST(manifest_comes_from_the_source)
{
	const struct mf_table_ref *refs;
	size_t n = mf_module_refs(mod, "provides", &refs);
	struct mf_module_info info;

	mf_module_info(mod, &info);
	ck_assert_str_eq(info.description, "Hello: greetings, and sessions that hold the module");
	ck_assert_int_eq(info.support_level, MF_SUPPORT_EXTENDED);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(refs[0].type, "function");
	ck_assert_str_eq(refs[0].name, "HELLO");
	ck_assert_str_eq(refs[1].type, "application");
	ck_assert_str_eq(refs[1].name, "Session");
}
END_TEST

START_TEST(registers_what_it_provides)
{
	char out[128];

	ck_assert_int_eq(call("function", "HELLO", "x", out, sizeof(out)), -ENOENT);
	ck_assert_int_eq(load(), 0);
	ck_assert_int_eq(call("function", "HELLO", "world", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "hello, world (#1)");
	ck_assert_int_eq(call("function", "HELLO", "again", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "hello, again (#2)");
	ck_assert_int_eq(call("function", "HELLO", "", out, sizeof(out)), -EINVAL);
	ck_assert_str_eq(out, "HELLO: whom? (HELLO(name))");
	/* A stop removes the registrations; a new start has fresh state. */
	ck_assert_int_eq(mf_unload(ctx, "mod_hello", 0, record, NULL), 0);
	ck_assert_int_eq(call("function", "HELLO", "x", out, sizeof(out)), -ENOENT);
	ck_assert_int_eq(load(), 0);
	ck_assert_int_eq(call("function", "HELLO", "world", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "hello, world (#1)");
}
END_TEST

START_TEST(a_session_holds_it_until_forced)
{
	struct mf_module_info info;
	char out[128];

	ck_assert_int_eq(load(), 0);
	ck_assert_int_eq(call("application", "Session", "alice", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "session alice open");
	/* Soft: the administrator lets go, the session still holds it. */
	ck_assert_int_eq(mf_unload(ctx, "mod_hello", 0, record, NULL), 0);
	mf_module_info(mod, &info);
	ck_assert_int_eq(info.state, MF_STATE_RUNNING);
	ck_assert_ptr_nonnull(strstr(events, "held mod_hello: object session alice\n"));
	/* Forced: the session is asked to go, closes, and the module stops. */
	events[0] = '\0';
	ck_assert_int_eq(mf_unload(ctx, "mod_hello", MF_OP_FORCE, record, NULL), 0);
	ck_assert_str_eq(events, "cancel mod_hello: session alice\n"
				 "stop mod_hello: forced unload\n");
	ck_assert_str_eq(logged, "mod_hello: session alice closed: the module is unloading\n");
	mf_module_info(mod, &info);
	ck_assert_int_eq(info.state, MF_STATE_STOPPED);
	ck_assert_int_eq(call("application", "Session", "bob", out, sizeof(out)), -ENOENT);
}
END_TEST

static int sh(const char *cmd)
{
	int r = system(cmd);

	return r != -1 && WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* The build names a module after its file; compiled without that name,
 * MANIFOLD_MODULE() stops the compiler and says what is missing. */
START_TEST(name_comes_from_the_build)
{
	char dir[] = "/tmp/mf_example_XXXXXX", cmd[1024], path[64];
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	char *err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s -std=gnu11 -Iruntime/include -c %s -o %s/a.o 2>%s/err",
		 cc, EXAMPLE_SRC, dir, dir);
	ck_assert_int_ne(sh(cmd), 0);
	snprintf(path, sizeof(path), "%s/err", dir);
	err = test_read_file(path, NULL);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "MANIFOLD_MODULE() takes the module's name from the build: "
			     "compile the module with -DMF_MODULE_NAME=<its file name without .c>"),
		      "%s", err);
	free(err);
	snprintf(cmd, sizeof(cmd), "%s -std=gnu11 -Wall -Wextra -Werror -Iruntime/include "
		 "-DMF_MODULE_NAME=mod_hello -c %s -o %s/a.o", cc, EXAMPLE_SRC, dir);
	ck_assert_int_eq(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(sh(cmd), 0);
	/* This program's copy was built so: the descriptor carries the name. */
	ck_assert_str_eq(manifold_module_mod_hello.name, "mod_hello");
}
END_TEST

Suite *make_example_suite(void)
{
	Suite *s = suite_create("example");
	TCase *tc = tcase_create("mod_hello");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, manifest_comes_from_the_source);
	tcase_add_test(tc, registers_what_it_provides);
	tcase_add_test(tc, a_session_holds_it_until_forced);
	tcase_add_test(tc, name_comes_from_the_build);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_example_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
