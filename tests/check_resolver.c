/* SPDX-License-Identifier: MIT */
/*
 * The resolver as mf_load() uses it: start order, provider choice, refusals
 * (no provider, cycles) and fallback to the next provider, and dry runs.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/moddir.h>

#include "util/alloc.h"
#include "fake_backend.h"

static struct mf_context *ctx;
static struct fake_events ev;

/*
 * app needs lib2 (which needs core) and a timer; t_hi is the better timer.
 * z_early has the lowest load_priority of all; a_x and b_x depend on nothing
 * and share app's priority, so the name decides between them.
 */
static const char *graph =
	"[module]\nname=app\n[uses]\nmodule=lib2\nservice=timer\n"
	"[module]\nname=lib2\nload_priority=50\n[uses]\nmodule=core\n"
	"[module]\nname=core\nload_priority=10\n"
	"[module]\nname=z_early\nload_priority=5\n"
	"[module]\nname=t_hi\nload_priority=40\n[provides]\nservice=timer:200\n"
	"[module]\nname=t_lo\nload_priority=40\n[provides]\nservice=timer:100\n"
	"[module]\nname=a_x\n"
	"[module]\nname=b_x\n"
	"[module]\nname=needs_clock\n[uses]\nservice=clock\n"
	"[module]\nname=cyc_a\n[uses]\nmodule=cyc_b\n"
	"[module]\nname=cyc_b\n[uses]\nmodule=cyc_a\n"
	"[module]\nname=on_cycle\n[uses]\nmodule=cyc_a\n";

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	fake_journal_clear();
	fake_events_clear(&ev);
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

/*
 * Load b_x, app, z_early and a_x.  Ready first, lowest load_priority
 * first, name last: z_early (5), core (10), t_hi (40), lib2 (50, once core
 * is up), then the 128s by name once their dependencies run: a_x, app, b_x.
 */
static void assert_start_order(void)
{
	ck_assert_int_eq(fake_load(ctx, "b_x app z_early a_x", &ev), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:z_early load:core load:t_hi load:lib2 load:a_x load:app load:b_x");
	ck_assert_str_eq(ev.seq,
			 "start:z_early start:core start:t_hi start:lib2 start:a_x start:app start:b_x");
}

START_TEST(start_order)
{
	assert_start_order();
}
END_TEST

/*
 * The same order when the plan is a small part of a large catalog, whose
 * names the sort then ranks among themselves rather than by walking the
 * catalog (resolver.c).  The fillers enter in reverse name order, some
 * sorting before the graph's names and some after.
 */
START_TEST(start_order_in_large_catalog)
{
	char text[64];

	for (int i = 199; i >= 0; i--) {
		snprintf(text, sizeof(text), "[module]\nname=%c_fill%03d\n",
			 i % 2 ? 'm' : 'c', i);
		ck_assert_int_eq(fake_add_all(ctx, text), 0);
	}
	assert_start_order();
}
END_TEST

START_TEST(start_reasons)
{
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "app", &ev), 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_START, "app", buf, sizeof(buf)), "test");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_START, "lib2", buf, sizeof(buf)),
			 "used by app (module=lib2)");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_START, "t_hi", buf, sizeof(buf)),
			 "used by app (service=timer)");
	ck_assert_str_eq(fake_info(ctx, "core").why, "used by lib2 (module=core)");
	ck_assert(fake_info(ctx, "app").admin);
	ck_assert(!fake_info(ctx, "core").admin);
}
END_TEST

struct dep_rec {
	char text[512];
};

static void record_dep(void *data, const struct mf_table_ref *use,
		       const char *provider, unsigned priority)
{
	struct dep_rec *r = data;
	size_t len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%s%s=%s->%s:%u",
		 len ? " " : "", use->type, use->name, provider ? provider : "-",
		 priority);
}

START_TEST(provider_by_priority)
{
	struct dep_rec r = { "" };

	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "t_hi"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "t_lo"), MF_STATE_STOPPED);
	ck_assert_int_eq(mf_module_deps(fake_mod(ctx, "app"), record_dep, &r), 0);
	ck_assert_str_eq(r.text, "module=lib2->lib2:0 service=timer->t_hi:200");
	r.text[0] = '\0';
	ck_assert_int_eq(mf_module_deps(fake_mod(ctx, "t_lo"), record_dep, &r), 0);
	ck_assert_str_eq(r.text, "");
}
END_TEST

START_TEST(running_provider_preferred)
{
	struct dep_rec r = { "" };

	ck_assert_int_eq(fake_load(ctx, "t_lo", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:core load:lib2 load:app");
	ck_assert_int_eq(fake_state(ctx, "t_hi"), MF_STATE_STOPPED);
	ck_assert_int_eq(mf_module_deps(fake_mod(ctx, "app"), record_dep, &r), 0);
	ck_assert_str_eq(r.text, "module=lib2->lib2:0 service=timer->t_lo:100");
}
END_TEST

START_TEST(co_started_better_provider_taken)
{
	struct dep_rec r = { "" };

	/*
	 * t_hi starts in the same load, before app: when app's turn comes both
	 * timers run and app takes the better one.  Nothing starts for app
	 * alone: one provider per use, never a second one.
	 */
	ck_assert_int_eq(fake_load(ctx, "t_lo", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(fake_load(ctx, "t_hi app", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:core load:t_hi load:lib2 load:app");
	ck_assert_int_eq(mf_module_deps(fake_mod(ctx, "app"), record_dep, &r), 0);
	ck_assert_str_eq(r.text, "module=lib2->lib2:0 service=timer->t_hi:200");
	ck_assert_uint_eq(fake_info(ctx, "t_lo").users, 1);
	ck_assert_uint_eq(fake_info(ctx, "t_hi").users, 2);
}
END_TEST

START_TEST(missing_provider)
{
	char buf[256];
	struct mf_request req = { .name = "needs_clock", .why = "test" };

	ck_assert_int_eq(mf_load(ctx, &req, 1, 0, fake_events_fn, &ev), -ENOENT);
	ck_assert_int_eq(req.result, -ENOENT);
	ck_assert_str_eq(ev.seq, "fail:needs_clock");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "needs_clock", buf, sizeof(buf)),
			 "needs_clock uses service=clock, which no module provides");
	ck_assert_str_eq(fake_info(ctx, "needs_clock").last_error,
			 "needs_clock uses service=clock, which no module provides");
	ck_assert_str_eq(fake_journal(), "");
}
END_TEST

START_TEST(unknown_module)
{
	struct mf_request req[2] = { { .name = "nosuch" }, { .name = "a/b" } };
	/* An image without loadable modules adds why it looked nowhere else. */
	const char *nosuch = mf_moddir_no_such_module(ctx);
	char want[512];

	ck_assert_int_eq(mf_load(ctx, req, 2, 0, fake_events_fn, &ev), -ENOENT);
	ck_assert_int_eq(req[0].result, -ENOENT);
	ck_assert_int_eq(req[1].result, -EINVAL);
	snprintf(want, sizeof(want), "fail nosuch: %s\n"
		 "fail a/b: invalid module name (names are not paths)\n",
		 nosuch ? nosuch : "no such module");
	ck_assert_str_eq(ev.lines, want);
}
END_TEST

START_TEST(so_suffix_accepted)
{
	ck_assert_int_eq(fake_load(ctx, "a_x.so", NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "a_x"), MF_STATE_RUNNING);
	ck_assert_int_eq(mf_unload(ctx, "a_x.so", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "a_x"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(cycle_refused_others_start)
{
	struct mf_request req[3] = {
		{ .name = "cyc_a", .why = "test" },
		{ .name = "a_x", .why = "test" },
		{ .name = "on_cycle", .why = "test" },
	};
	char buf[256];

	ck_assert_int_eq(mf_load(ctx, req, 3, 0, fake_events_fn, &ev), -ELOOP);
	ck_assert_int_eq(req[0].result, -ELOOP);
	ck_assert_int_eq(req[1].result, 0);
	ck_assert_int_eq(req[2].result, -ELOOP);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "cyc_a", buf, sizeof(buf)),
			 "cycle: cyc_a -> cyc_b -> cyc_a");
	/* From elsewhere, the path starts where the loop does. */
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "on_cycle", buf, sizeof(buf)),
			 "cycle: cyc_a -> cyc_b -> cyc_a");
	ck_assert_str_eq(fake_journal(), "load:a_x");
	ck_assert_int_eq(fake_state(ctx, "cyc_a"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "cyc_b"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(provider_fallback)
{
	struct dep_rec r = { "" };
	char buf[256];

	fake_fail_load(ctx, "t_hi", -EIO);
	ck_assert_int_eq(fake_load(ctx, "app", &ev), 0);
	ck_assert_str_eq(fake_journal(), "load:core load:t_hi:fail load:lib2 load:t_lo load:app");
	ck_assert_int_eq(fake_state(ctx, "t_hi"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "t_lo"), MF_STATE_RUNNING);
	ck_assert_uint_eq(fake_info(ctx, "t_hi").lib_refs, 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "t_hi", buf, sizeof(buf)),
			 "load callback failed: Input/output error");
	ck_assert_int_eq(mf_module_deps(fake_mod(ctx, "app"), record_dep, &r), 0);
	ck_assert_str_eq(r.text, "module=lib2->lib2:0 service=timer->t_lo:100");
	/* The next operation tries the better provider again. */
	fake_fail_load(ctx, "t_hi", 0);
	ck_assert_int_eq(fake_load(ctx, "t_hi", NULL), 0);
}
END_TEST

START_TEST(all_providers_fail)
{
	struct mf_request req = { .name = "app", .why = "test" };
	char buf[512];

	fake_fail_load(ctx, "t_hi", -EIO);
	fake_fail_map(ctx, "t_lo", -ENOENT);
	ck_assert_int_lt(mf_load(ctx, &req, 1, 0, fake_events_fn, &ev), 0);
	ck_assert_int_lt(req.result, 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "t_lo", buf, sizeof(buf)),
			 "cannot map its code: No such file or directory");
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_FAIL, "app", buf, sizeof(buf)));
	ck_assert_ptr_nonnull(strstr(buf, "app uses service=timer: no provider can start"));
	/* What app's attempt started is rolled back, latest first. */
	ck_assert_str_eq(fake_journal(),
			 "load:core load:t_hi:fail load:lib2 unload:lib2 unload:core");
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "lib2"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(dry_run_changes_nothing)
{
	char *before, *after;
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "core", NULL), 0);
	fake_journal_clear();
	before = fake_snapshot(ctx);
	ck_assert_int_eq(fake_load_flags(ctx, "b_x app z_early a_x core", MF_OP_DRY_RUN, &ev), 0);
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	ck_assert_str_eq(fake_journal(), "");
	ck_assert_uint_eq(fake_maps(ctx, "app"), 0);
	ck_assert_str_eq(ev.seq,
			 "would_start:z_early would_start:t_hi would_start:lib2 "
			 "would_start:a_x would_start:app would_start:b_x note:core");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_WOULD_START, "lib2", buf, sizeof(buf)),
			 "used by app (module=lib2)");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_NOTE, "core", buf, sizeof(buf)),
			 "running already (held by the administrator)");
	free(before);
	free(after);
	/* The real load does what the dry run said. */
	ck_assert_int_eq(fake_load(ctx, "b_x app z_early a_x core", NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "load:z_early load:t_hi load:lib2 load:a_x load:app load:b_x");
}
END_TEST

START_TEST(dry_run_reports_refusal)
{
	char *before, *after;

	before = fake_snapshot(ctx);
	ck_assert_int_lt(fake_load_flags(ctx, "needs_clock a_x", MF_OP_DRY_RUN, &ev), 0);
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	ck_assert_str_eq(ev.seq, "fail:needs_clock would_start:a_x");
	free(before);
	free(after);
}
END_TEST

/*
 * A provider's "type=name" as long as a manifest line allows is indexed
 * and chosen like any other: the index builds no key in a fixed buffer.
 * (Planned only: the fake modules would register it as an api, whose
 * names the registry limits to 127 bytes.)
 */
START_TEST(long_provider_names)
{
	char name[1000], text[2200];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "[module]\nname=long_p\n[provides]\nservice=%s\n"
		 "[module]\nname=long_u\n[uses]\nservice=%s\n", name, name);
	ck_assert_int_eq(fake_add_all(ctx, text), 0);
	ck_assert_msg(fake_load_flags(ctx, "long_u", MF_OP_DRY_RUN, &ev) == 0, "%s",
		      ev.lines);
	ck_assert_str_eq(ev.seq, "would_start:long_p would_start:long_u");
}
END_TEST

/*
 * Deeper than the resolver keeps on its own stack (32) and larger than a
 * plan it keeps inline (8): a chain of 100 starts deepest first, and a
 * cycle of 40 is refused with its whole path while the chain beside it
 * starts.
 */
START_TEST(deep_chain_and_long_cycle)
{
	size_t cap = 1 << 15, len = 0;
	char *text = malloc(cap), *want = malloc(cap), detail[MF_ERR_MAX];

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	/* c<i> uses c<i+1>; d<i> uses d<i+1>, d39 uses d00 */
	for (unsigned i = 0; i < 100; i++) {
		len += (size_t)snprintf(text + len, cap - len, "[module]\nname=c%03u\n", i);
		if (i < 99)
			len += (size_t)snprintf(text + len, cap - len,
						"[uses]\nmodule=c%03u\n", i + 1);
	}
	for (unsigned i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"[module]\nname=d%02u\n[uses]\nmodule=d%02u\n",
					i, (i + 1) % 40);
	ck_assert_int_eq(fake_add_all(ctx, text), 0);

	ck_assert_int_lt(fake_load(ctx, "d00 c000", &ev), 0);
	want[0] = '\0';
	for (int i = 99; i >= 0; i--)
		snprintf(want + strlen(want), cap - strlen(want), "%sload:c%03d",
			 want[0] ? " " : "", i);
	ck_assert_str_eq(fake_journal(), want);
	ck_assert_int_eq(fake_state(ctx, "c000"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "d00"), MF_STATE_STOPPED);
	strcpy(want, "cycle: d00");
	for (unsigned i = 1; i <= 40; i++)
		snprintf(want + strlen(want), cap - strlen(want), " -> d%02u", i % 40);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "d00", detail,
					    sizeof(detail)), want);
	free(text);
	free(want);
}
END_TEST

/*
 * The allocations of one load of @n modules named e00.., all requested at
 * once as a boot requests them, each using the one before it when @chain.
 */
static unsigned long load_allocations(unsigned n, bool chain)
{
	size_t cap = 1 << 14, len = 0, nlen = 0;
	char *text = malloc(cap), *names = malloc(cap);
	struct mf_context *c;
	struct fake_events e = { 0 };
	unsigned long count;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(names);
	names[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		len += (size_t)snprintf(text + len, cap - len, "[module]\nname=e%02u\n", i);
		if (chain && i > 0)
			len += (size_t)snprintf(text + len, cap - len,
						"[uses]\nmodule=e%02u\n", i - 1);
		nlen += (size_t)snprintf(names + nlen, cap - nlen, "%se%02u",
					 i ? " " : "", i);
	}
	ck_assert_int_eq(fake_context_new(&c), 0);
	ck_assert_int_eq(fake_add_all(c, text), 0);
	/* Counting, failing none (alloc.h). */
	mf_alloc_fail_nth(ULONG_MAX);
	ck_assert_int_eq(fake_load(c, names, &e), 0);
	count = mf_alloc_count();
	mf_alloc_fail_nth(0);
	ck_assert_uint_eq(e.count, n);
	ck_assert_ptr_null(mf_context_unref(c));
	free(text);
	free(names);
	return count;
}

/*
 * A load of modules that use each other allocates a bounded number of
 * blocks more a use than one of independent modules (a provider's
 * dependents array, the plan's growth): linear, never a plan a module.
 */
START_TEST(edges_of_a_load_allocate_linearly)
{
	ck_assert_uint_le(load_allocations(40, true) - load_allocations(40, false), 2 * 40);
	ck_assert_uint_le(load_allocations(80, true) - load_allocations(80, false), 2 * 80);
}
END_TEST

Suite *make_resolver_suite(void)
{
	Suite *s = suite_create("resolver");
	TCase *tc = tcase_create("resolver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, start_order);
	tcase_add_test(tc, start_order_in_large_catalog);
	tcase_add_test(tc, start_reasons);
	tcase_add_test(tc, provider_by_priority);
	tcase_add_test(tc, running_provider_preferred);
	tcase_add_test(tc, co_started_better_provider_taken);
	tcase_add_test(tc, missing_provider);
	tcase_add_test(tc, unknown_module);
	tcase_add_test(tc, so_suffix_accepted);
	tcase_add_test(tc, cycle_refused_others_start);
	tcase_add_test(tc, provider_fallback);
	tcase_add_test(tc, all_providers_fail);
	tcase_add_test(tc, dry_run_changes_nothing);
	tcase_add_test(tc, dry_run_reports_refusal);
	tcase_add_test(tc, long_provider_names);
	tcase_add_test(tc, deep_chain_and_long_cycle);
	tcase_add_test(tc, edges_of_a_load_allocate_linearly);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_resolver_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
