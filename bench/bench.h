/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs share: the clock, the tree's facts, the work
 * every synthetic module does, and the one line format of a result.
 *
 * A result is one line on stdout, "METRIC N KIND VALUE [NOTE]": KIND is m
 * (manifold) or f (the floor measured in the same run), VALUE nanoseconds
 * or bytes as the metric says.  A program prints one line per repetition;
 * bench/report.c takes the minimum of each (METRIC, N, KIND) and prints the
 * table, so the programs never judge their own numbers.
 */
#ifndef MANIFOLD_BENCH_H
#define MANIFOLD_BENCH_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* The work of one synthetic module's load or unload (bench/common.c). */
void bench_touch(unsigned id);
/* How many times bench_touch() ran: proves that every load really ran. */
extern volatile unsigned long bench_touches;

/* DIR/info, written by gen_tree. */
struct bench_info {
	unsigned n, width;
	char deep[64];	 /* the top module with the largest closure */
	char bottom[64]; /* the bottom module with the most dependents */
};
/* 0, or -errno / -EINVAL with a message on stderr. */
int bench_info_load(const char *path, struct bench_info *info);

/* "bm_00042" -> 42; -1 when @name is not a synthetic module's. */
long bench_module_index(const char *name);

void bench_result(const char *metric, unsigned n, char kind, double value,
		  const char *note);

/* Exit with "PROG: message" on stderr; for failures that void a run. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
