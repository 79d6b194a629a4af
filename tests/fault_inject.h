/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure walks for the suites, on the runtime's own hook
 * (runtime/alloc.h): fail the Nth allocation of an operation and measure
 * what it left allocated.  Because the hook is the runtime's and not a
 * replaced malloc(), the walks run the same under valgrind and ASan.
 */
#ifndef MANIFOLD_TEST_FAULT_INJECT_H
#define MANIFOLD_TEST_FAULT_INJECT_H

#include "util/alloc.h"

static size_t fi_base;

/* Allocation @fail_at (0 = the first) from now on fails. */
static inline void fi_arm(long fail_at)
{
	fi_base = mf_heap_in_use();
	mf_alloc_fail_nth((unsigned long)fail_at + 1);
}

/* Bytes the runtime holds beyond what it held at fi_arm(). */
static inline long fi_live(void)
{
	return (long)(mf_heap_in_use() - fi_base);
}

static inline void fi_disarm(void)
{
	mf_alloc_fail_nth(0);
}

#endif
