/* SPDX-License-Identifier: MIT */
/*
 * The runtime's allocator (runtime/util/alloc.h): the heap it accounts for, and
 * slabs, whose blocks are ordinary blocks to mf_free() and mf_realloc()
 * but go back to the system only with their slab.  Written against the
 * interface alone, so the suite holds under AddressSanitizer too, where a
 * slab's blocks are heap blocks.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Zeroed, aligned as malloc's, distinct, accounted; past several chunks. */
START_TEST(slab_blocks_are_zeroed_aligned_and_accounted)
{
	enum { N = 3000, SIZE = 200 };
	struct mf_slab slab = { 0 };
	static unsigned char *blocks[N];
	size_t base = mf_heap_in_use();

	for (size_t i = 0; i < N; i++) {
		blocks[i] = mf_slab_alloc(&slab, SIZE + i % 7);
		ck_assert_ptr_nonnull(blocks[i]);
		ck_assert_uint_eq((uintptr_t)blocks[i] % _Alignof(max_align_t), 0);
		ck_assert(all_zero(blocks[i], SIZE + i % 7));
		memset(blocks[i], (int)(i & 0xff) | 1, SIZE + i % 7);
	}
	/* One assertion a block, not one a byte: 600,000 of them took over
	 * Check's 4 s under qemu-user on a loaded machine. */
	for (size_t i = 0; i < N; i++) {
		size_t k = 0;

		while (k < SIZE + i % 7 && blocks[i][k] == ((i & 0xff) | 1))
			k++;
		ck_assert_msg(k == SIZE + i % 7, "block %zu: byte %zu overwritten", i, k);
	}
	ck_assert_uint_ge(mf_heap_in_use() - base, (size_t)N * SIZE);
	for (size_t i = 0; i < N; i++)
		mf_free(blocks[i]);
	ck_assert_uint_eq(mf_heap_in_use(), base);
	mf_slab_fini(&slab);
	ck_assert_uint_eq(mf_heap_in_use(), base);
}
END_TEST

/* A block bigger than any chunk, and a reservation before a run. */
START_TEST(slab_big_block_and_reserve)
{
	struct mf_slab slab = { 0 };
	size_t base = mf_heap_in_use();
	unsigned char *big, *small[100];

	big = mf_slab_alloc(&slab, 1 << 20);
	ck_assert_ptr_nonnull(big);
	ck_assert(all_zero(big, 1 << 20));
	memset(big, 0x5a, 1 << 20);
	mf_slab_reserve(&slab, 100 * 64);
	for (size_t i = 0; i < 100; i++) {
		small[i] = mf_slab_alloc(&slab, 48);
		ck_assert_ptr_nonnull(small[i]);
		ck_assert(all_zero(small[i], 48));
		memset(small[i], 0xa5, 48);
	}
	ck_assert_uint_eq(big[(1 << 20) - 1], 0x5a);
	mf_free(big);
	for (size_t i = 0; i < 100; i++)
		mf_free(small[i]);
	ck_assert_uint_eq(mf_heap_in_use(), base);
	mf_slab_fini(&slab);
}
END_TEST

/* mf_realloc() of a slab's block: moved, contents kept, accounted. */
START_TEST(slab_block_realloc_moves_it)
{
	struct mf_slab slab = { 0 };
	size_t base = mf_heap_in_use();
	char *p = mf_slab_alloc(&slab, 32), *q;

	ck_assert_ptr_nonnull(p);
	memcpy(p, "thirty-one bytes and a NUL here", 32);
	q = mf_realloc(p, 4096);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, "thirty-one bytes and a NUL here");
	ck_assert_uint_eq(mf_heap_in_use() - base, 4096);
	q = mf_realloc(q, 16);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(memcmp(q, "thirty-one bytes", 16), 0);
	mf_free(q);
	ck_assert_uint_eq(mf_heap_in_use(), base);
	/* Shrinking a slab's block moves it too. */
	p = mf_slab_alloc(&slab, 64);
	ck_assert_ptr_nonnull(p);
	memset(p, 7, 64);
	q = mf_realloc(p, 8);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(q[7], 7);
	mf_free(q);
	ck_assert_uint_eq(mf_heap_in_use(), base);
	mf_slab_fini(&slab);
}
END_TEST

/* The test hook fails a slab's block as it fails a heap block. */
START_TEST(slab_block_fails_on_the_hook)
{
	struct mf_slab slab = { 0 };
	size_t base = mf_heap_in_use();
	void *p;

	mf_alloc_fail_nth(1);
	errno = 0;
	p = mf_slab_alloc(&slab, 100);
	mf_alloc_fail_nth(0);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(mf_heap_in_use(), base);
	/* Counted as allocations are. */
	mf_alloc_fail_nth(ULONG_MAX);
	p = mf_slab_alloc(&slab, 100);
	ck_assert_uint_eq(mf_alloc_count(), 1);
	mf_alloc_fail_nth(0);
	ck_assert_ptr_nonnull(p);
	mf_free(p);
	ck_assert_ptr_null(mf_slab_alloc(&slab, SIZE_MAX - 8));
	ck_assert_uint_eq(mf_heap_in_use(), base);
	mf_slab_fini(&slab);
}
END_TEST

/* Sizes the header's flag bit could be mistaken for are refused. */
START_TEST(huge_sizes_refused)
{
	ck_assert_ptr_null(mf_malloc(SIZE_MAX / 2 + 1));
	ck_assert_ptr_null(mf_malloc(SIZE_MAX - 4));
}
END_TEST

Suite *make_alloc_suite(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("alloc");

	tcase_add_test(tc, slab_blocks_are_zeroed_aligned_and_accounted);
	tcase_add_test(tc, slab_big_block_and_reserve);
	tcase_add_test(tc, slab_block_realloc_moves_it);
	tcase_add_test(tc, slab_block_fails_on_the_hook);
	tcase_add_test(tc, huge_sizes_refused);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_alloc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
