/* SPDX-License-Identifier: MIT */
/*
 * The growable string (runtime/util/strbuf.h): appends of every kind, printf
 * past any fixed size, reset keeping the memory, take handing it over, and
 * out of memory that sticks until reset and leaks nothing.
 */
#include <check.h>
#include <limits.h>
#include <string.h>

#include "util/alloc.h"
#include "util/strbuf.h"

START_TEST(appends_in_order)
{
	struct mf_strbuf b = MF_STRBUF_INIT;

	ck_assert_str_eq(mf_strbuf_str(&b), "");
	mf_strbuf_puts(&b, "ab");
	mf_strbuf_add(&b, "cdef", 2);
	mf_strbuf_addch(&b, '-');
	mf_strbuf_pad(&b, '.', 3);
	mf_strbuf_printf(&b, "%u/%s", 42u, "x");
	mf_strbuf_add(&b, "", 0);
	ck_assert_str_eq(mf_strbuf_str(&b), "abcd-...42/x");
	ck_assert_uint_eq(b.len, strlen("abcd-...42/x"));
	ck_assert(!b.oom);
	mf_strbuf_release(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

/* Longer than any stack buffer a caller might have used. */
START_TEST(printf_has_no_length_limit)
{
	struct mf_strbuf b = MF_STRBUF_INIT;
	char big[5000];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mf_strbuf_puts(&b, "<");
	mf_strbuf_printf(&b, "%s|%s", big, big);
	mf_strbuf_puts(&b, ">");
	ck_assert_uint_eq(b.len, 2 * (sizeof(big) - 1) + 3);
	ck_assert_int_eq(b.p[0], '<');
	ck_assert_int_eq(b.p[sizeof(big)], '|');
	ck_assert_str_eq(b.p + b.len - 2, "y>");
	ck_assert_uint_eq(strlen(b.p), b.len);
	mf_strbuf_release(&b);
}
END_TEST

START_TEST(reset_keeps_the_memory)
{
	struct mf_strbuf b = MF_STRBUF_INIT;
	char *p;

	mf_strbuf_printf(&b, "%0200d", 7);
	p = b.p;
	mf_strbuf_reset(&b);
	ck_assert_str_eq(mf_strbuf_str(&b), "");
	ck_assert_uint_eq(b.len, 0);
	mf_strbuf_puts(&b, "again");
	ck_assert_ptr_eq(b.p, p);
	ck_assert_str_eq(mf_strbuf_str(&b), "again");
	mf_strbuf_release(&b);
}
END_TEST

START_TEST(take_hands_the_text_over)
{
	struct mf_strbuf b = MF_STRBUF_INIT;
	size_t base = mf_heap_in_use();
	char *s;

	s = mf_strbuf_take(&b);
	ck_assert_str_eq(s, "");
	mf_free(s);
	mf_strbuf_puts(&b, "kept");
	s = mf_strbuf_take(&b);
	ck_assert_str_eq(s, "kept");
	ck_assert_ptr_null(b.p);
	ck_assert_str_eq(mf_strbuf_str(&b), "");
	mf_free(s);
	ck_assert_uint_eq(mf_heap_in_use(), base);
}
END_TEST

/* A failed append sticks: later ones do nothing, the text stays whole up to
 * the failure, take says NULL, reset clears it; nothing leaks. */
START_TEST(out_of_memory_is_sticky)
{
	struct mf_strbuf b = MF_STRBUF_INIT;
	size_t base = mf_heap_in_use();
	char big[300];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mf_strbuf_puts(&b, "start");
	mf_alloc_fail_nth(1);
	mf_strbuf_puts(&b, big);
	mf_alloc_fail_nth(0);
	ck_assert(b.oom);
	ck_assert_str_eq(mf_strbuf_str(&b), "start");
	mf_strbuf_puts(&b, "x");
	mf_strbuf_printf(&b, "%d", 1);
	mf_strbuf_pad(&b, ' ', 2);
	ck_assert_str_eq(mf_strbuf_str(&b), "start");
	mf_strbuf_reset(&b);
	ck_assert(!b.oom);
	mf_strbuf_puts(&b, "ok");
	ck_assert_str_eq(mf_strbuf_str(&b), "ok");

	/* printf's growth failing leaves the text as it was. */
	mf_alloc_fail_nth(1);
	mf_strbuf_printf(&b, "%s", big);
	mf_alloc_fail_nth(0);
	ck_assert(b.oom);
	ck_assert_str_eq(mf_strbuf_str(&b), "ok");
	ck_assert_ptr_null(mf_strbuf_take(&b));
	ck_assert_ptr_null(b.p);
	ck_assert(!b.oom);

	/* The very first allocation failing. */
	mf_alloc_fail_nth(1);
	mf_strbuf_printf(&b, "%d", 5);
	mf_alloc_fail_nth(0);
	ck_assert(b.oom);
	ck_assert_str_eq(mf_strbuf_str(&b), "");
	mf_strbuf_release(&b);
	ck_assert_uint_eq(mf_heap_in_use(), base);
}
END_TEST

Suite *make_strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");

	tcase_add_test(tc, appends_in_order);
	tcase_add_test(tc, printf_has_no_length_limit);
	tcase_add_test(tc, reset_keeps_the_memory);
	tcase_add_test(tc, take_hands_the_text_over);
	tcase_add_test(tc, out_of_memory_is_sticky);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_strbuf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
