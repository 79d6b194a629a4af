/* SPDX-License-Identifier: MIT */
/*
 * Cascades: an unload stops exactly the modules that lost their last user,
 * in the exact reverse of their start order; a forced unload first stops
 * every module that uses the target (latest first), then the target, then
 * what lost its last user on the way down.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct mf_context *ctx;
static struct fake_events ev;

/*
 *   top ---> mid ---> base ---> lib <--- other
 *     \                          ^
 *      +--> side                 |
 *   left ---> shared <--- right  |
 *   diamond -> left, right       |
 *   extra ------------------------+
 */
static const char *graph =
	"[module]\nname=top\n[uses]\nmodule=mid\nmodule=side\n"
	"[module]\nname=mid\nload_priority=60\n[uses]\nmodule=base\n"
	"[module]\nname=base\nload_priority=90\n[uses]\nmodule=lib\n"
	"[module]\nname=lib\nload_priority=100\n"
	"[module]\nname=side\nload_priority=20\n"
	"[module]\nname=other\n[uses]\nmodule=lib\n"
	"[module]\nname=extra\n[uses]\nmodule=lib\n"
	"[module]\nname=diamond\n[uses]\nmodule=left\nmodule=right\n"
	"[module]\nname=left\n[uses]\nmodule=shared\n"
	"[module]\nname=right\nload_priority=30\n[uses]\nmodule=shared\n"
	"[module]\nname=shared\n";

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	mf_context_set_cancel_timeout(ctx, 50);
	fake_journal_clear();
	fake_events_clear(&ev);
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

/*
 * The journal's "load:x" words reversed as "unload:x", keeping only the
 * modules in @only (space-separated; NULL keeps all).
 */
static char *reversed_loads(const char *journal, const char *only)
{
	char *copy = strdup(journal), *save = NULL, *words[64];
	char *out = calloc(1, 2048);
	size_t n = 0;

	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_nonnull(out);
	for (char *w = strtok_r(copy, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
		if (strncmp(w, "load:", 5) == 0)
			words[n++] = w + 5;
	while (n--) {
		char pad[80];

		snprintf(pad, sizeof(pad), " %s ", words[n]);
		if (only) {
			char hay[512];

			snprintf(hay, sizeof(hay), " %s ", only);
			if (!strstr(hay, pad))
				continue;
		}
		snprintf(out + strlen(out), 2048 - strlen(out), "%sunload:%s",
			 out[0] ? " " : "", words[n]);
	}
	free(copy);
	return out;
}

START_TEST(cascade_down_all)
{
	char *expect;

	ck_assert_int_eq(fake_load(ctx, "top", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:side load:lib load:base load:mid load:top");
	expect = reversed_loads(fake_journal(), NULL);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "top", 0, fake_events_fn, &ev), 0);
	ck_assert_str_eq(fake_journal(), expect);
	ck_assert_str_eq(ev.seq, "stop:top stop:mid stop:base stop:lib stop:side");
	free(expect);
	for (const char *const *m = (const char *const[]){ "top", "mid", "base", "lib", "side", NULL }; *m; m++) {
		ck_assert_int_eq(fake_state(ctx, *m), MF_STATE_STOPPED);
		ck_assert_uint_eq(fake_info(ctx, *m).users, 0);
		ck_assert_uint_eq(fake_info(ctx, *m).lib_refs, 0);
	}
}
END_TEST

START_TEST(admin_held_keeps_running)
{
	ck_assert_int_eq(fake_load(ctx, "top base", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "top", 0, fake_events_fn, &ev), 0);
	/* base is the administrator's too: it and what it uses stay. */
	ck_assert_str_eq(fake_journal(), "unload:top unload:mid unload:side");
	ck_assert_int_eq(fake_state(ctx, "base"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_RUNNING);
	ck_assert_uint_eq(fake_info(ctx, "base").users, 1);
	ck_assert_uint_eq(fake_info(ctx, "lib").users, 1);
	ck_assert_int_eq(mf_unload(ctx, "base", 0, NULL, NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "unload:top unload:mid unload:side unload:base unload:lib");
}
END_TEST

START_TEST(module_held_keeps_running)
{
	ck_assert_int_eq(fake_load(ctx, "top other", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "top", 0, NULL, NULL), 0);
	/* lib lost base but still has other. */
	ck_assert_str_eq(fake_journal(), "unload:top unload:mid unload:base unload:side");
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_RUNNING);
	ck_assert_uint_eq(fake_info(ctx, "lib").users, 1);
	ck_assert_int_eq(mf_unload(ctx, "other", 0, NULL, NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(diamond_reverse_order)
{
	char *expect;

	ck_assert_int_eq(fake_load(ctx, "diamond", NULL), 0);
	ck_assert_str_eq(fake_journal(), "load:shared load:right load:left load:diamond");
	expect = reversed_loads(fake_journal(), NULL);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "diamond", 0, NULL, NULL), 0);
	ck_assert_str_eq(fake_journal(), expect);
	free(expect);
}
END_TEST

START_TEST(mixed_start_orders_stop_in_reverse)
{
	char *expect, *journal;

	/* Three separate loads interleave the start order across graphs. */
	ck_assert_int_eq(fake_load(ctx, "left", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "top", NULL), 0);
	ck_assert_int_eq(fake_load(ctx, "diamond extra", NULL), 0);
	journal = strdup(fake_journal());
	ck_assert_str_eq(journal, "load:shared load:left load:side load:lib load:base "
				  "load:mid load:top load:right load:diamond load:extra");
	fake_journal_clear();
	mf_stop_all(ctx, NULL, NULL);
	expect = reversed_loads(journal, NULL);
	ck_assert_str_eq(fake_journal(), expect);
	free(expect);
	free(journal);
}
END_TEST

START_TEST(held_by_module_soft_unload)
{
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "top mid", NULL), 0);
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "mid", 0, fake_events_fn, &ev), 0);
	ck_assert_str_eq(fake_journal(), "");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_HELD, "mid", buf, sizeof(buf)), "module top");
	ck_assert(!fake_info(ctx, "mid").admin);
	ck_assert_int_eq(mf_unload(ctx, "top", 0, NULL, NULL), 0);
	ck_assert_str_eq(fake_journal(),
			 "unload:top unload:mid unload:base unload:lib unload:side");
}
END_TEST

START_TEST(forced_cascades_up_then_down)
{
	char *expect, *journal;

	ck_assert_int_eq(fake_load(ctx, "top other", NULL), 0);
	journal = strdup(fake_journal());
	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "base", MF_OP_FORCE, fake_events_fn, &ev), 0);
	/*
	 * Up: top and mid use base, so they stop first (latest first); down:
	 * side lost top, lib keeps other.  All in reverse start order.
	 */
	expect = reversed_loads(journal, "top mid base side");
	ck_assert_str_eq(fake_journal(), expect);
	ck_assert_str_eq(fake_journal(), "unload:top unload:mid unload:base unload:side");
	ck_assert_str_eq(ev.seq, "stop:top stop:mid stop:base stop:side");
	ck_assert_int_eq(fake_state(ctx, "lib"), MF_STATE_RUNNING);
	ck_assert_int_eq(fake_state(ctx, "other"), MF_STATE_RUNNING);
	ck_assert(!fake_info(ctx, "top").admin);
	free(expect);
	free(journal);
}
END_TEST

START_TEST(forced_reasons)
{
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "top", NULL), 0);
	ck_assert_int_eq(mf_unload(ctx, "mid", MF_OP_FORCE, fake_events_fn, &ev), 0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_STOP, "top", buf, sizeof(buf)), "forced unload");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_STOP, "mid", buf, sizeof(buf)), "forced unload");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_STOP, "base", buf, sizeof(buf)), "no users left");
	ck_assert_str_eq(fake_journal(), "load:side load:lib load:base load:mid load:top "
					 "unload:top unload:mid unload:base unload:lib unload:side");
}
END_TEST

START_TEST(dry_run_unload)
{
	char *before, *after;
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "top other", NULL), 0);
	fake_journal_clear();
	before = fake_snapshot(ctx);
	ck_assert_int_eq(mf_unload(ctx, "top", MF_OP_DRY_RUN, fake_events_fn, &ev), 0);
	ck_assert_str_eq(ev.seq, "would_stop:top would_stop:mid would_stop:base would_stop:side");
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_unload(ctx, "base", MF_OP_DRY_RUN | MF_OP_FORCE, fake_events_fn, &ev), 0);
	ck_assert_str_eq(ev.seq, "would_stop:top would_stop:mid would_stop:base would_stop:side");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_WOULD_STOP, "base", buf, sizeof(buf)),
			 "forced unload");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_WOULD_STOP, "mid", buf, sizeof(buf)),
			 "forced: it uses base");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_WOULD_STOP, "side", buf, sizeof(buf)),
			 "no users left");
	fake_events_clear(&ev);
	/* Soft, of a module the administrator does not hold: refused, as for real. */
	ck_assert_int_eq(mf_unload(ctx, "mid", MF_OP_DRY_RUN, fake_events_fn, &ev), -EBUSY);
	ck_assert_str_eq(ev.seq, "held:mid");
	after = fake_snapshot(ctx);
	ck_assert_str_eq(before, after);
	ck_assert_str_eq(fake_journal(), "");
	free(before);
	free(after);
}
END_TEST

/*
 * A cascade much larger than the small graph above: one bottom module with
 * 100 users, each used by one more module.  The forced unload of the bottom
 * stops all 201 in exactly the reverse of their start order, which the
 * stop queue (a heap on start order) and the unload's member sets (hashed)
 * must keep at any size.
 */
START_TEST(wide_forced_cascade_in_reverse_order)
{
	size_t cap = 1 << 16, len = 0, n = 0;
	char *text = malloc(cap), *names = malloc(cap), *expect = malloc(cap);
	char *journal, *words[256], *save = NULL;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(names);
	ck_assert_ptr_nonnull(expect);
	len = (size_t)snprintf(text, cap, "[module]\nname=w_base\n");
	names[0] = '\0';
	for (unsigned i = 0; i < 100; i++) {
		len += (size_t)snprintf(text + len, cap - len,
					"[module]\nname=w_u%03u\nload_priority=%u\n"
					"[uses]\nmodule=w_base\n"
					"[module]\nname=w_v%03u\n[uses]\nmodule=w_u%03u\n",
					i, 20 + (i * 37) % 100, i, i);
		snprintf(names + strlen(names), cap - strlen(names), "%sw_v%03u",
			 i ? " " : "", i);
	}
	ck_assert_int_eq(fake_add_all(ctx, text), 0);
	ck_assert_int_eq(fake_load(ctx, names, NULL), 0);
	journal = strdup(fake_journal());
	ck_assert_ptr_nonnull(journal);
	for (char *w = strtok_r(journal, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		ck_assert_uint_lt(n, 256);
		words[n++] = w + strlen("load:");
	}
	ck_assert_uint_eq(n, 201);
	expect[0] = '\0';
	while (n--)
		snprintf(expect + strlen(expect), cap - strlen(expect), "%sunload:%s",
			 expect[0] ? " " : "", words[n]);

	fake_journal_clear();
	ck_assert_int_eq(mf_unload(ctx, "w_base", MF_OP_FORCE, fake_events_fn, &ev), 0);
	/* Compared by hand: Check cannot carry two such strings in a message. */
	{
		const char *got = fake_journal();
		size_t at = 0;

		while (got[at] && got[at] == expect[at])
			at++;
		ck_assert_msg(got[at] == expect[at], "unload order differs at %zu: "
			      "got '%.60s', wanted '%.60s'", at, got + at, expect + at);
	}
	ck_assert_int_eq(fake_state(ctx, "w_base"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "w_v099"), MF_STATE_STOPPED);
	free(journal);
	free(text);
	free(names);
	free(expect);
}
END_TEST

Suite *make_cascade_suite(void)
{
	Suite *s = suite_create("cascade");
	TCase *tc = tcase_create("cascade");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cascade_down_all);
	tcase_add_test(tc, admin_held_keeps_running);
	tcase_add_test(tc, module_held_keeps_running);
	tcase_add_test(tc, diamond_reverse_order);
	tcase_add_test(tc, wide_forced_cascade_in_reverse_order);
	tcase_add_test(tc, mixed_start_orders_stop_in_reverse);
	tcase_add_test(tc, held_by_module_soft_unload);
	tcase_add_test(tc, forced_cascades_up_then_down);
	tcase_add_test(tc, forced_reasons);
	tcase_add_test(tc, dry_run_unload);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_cascade_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
