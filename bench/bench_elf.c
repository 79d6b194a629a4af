/* SPDX-License-Identifier: MIT */
/*
 * bench_elf DIR N: loads the module files DIR/m00000<suffix>... one after
 * the other, each with its symbol looked up and called once, and prints
 * "<loader> N <wall us per module> <CPU us per module>" (the process's CPU
 * time, which others' load on a shared machine disturbs less).  Built twice (bench/bench_elf.sh): linked
 * with bench_elf_own.c, a static musl program using manifold's ELF loader
 * on .o files; with bench_elf_dl.c, a dynamic musl program using dlopen
 * and dlsym on the same code built as .so files.  One pass a process:
 * musl's dlclose unmaps nothing, so a second pass would measure nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_elf.h"

int bench_image_add(int a, int b)
{
	return a + b;
}

static double now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	long sum = 0;
	void **handles;
	double t0, t1, c0, c1;
	int n;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s DIR N\n", argv[0]);
		return 2;
	}
	handles = calloc((size_t)n, sizeof(*handles));
	if (!handles)
		return 1;
	t0 = now_us(CLOCK_MONOTONIC);
	c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < n; i++) {
		char path[4096];
		int (*entry)(int);

		snprintf(path, sizeof(path), "%s/m%05d%s", argv[1], i, bench_loader.suffix);
		handles[i] = bench_loader.load(path);
		entry = handles[i] ? (int (*)(int))bench_loader.symbol(handles[i], "bm_entry") : NULL;
		if (!entry) {
			fprintf(stderr, "%s: cannot load\n", path);
			return 1;
		}
		sum += entry(i);
	}
	c1 = now_us(CLOCK_PROCESS_CPUTIME_ID);
	t1 = now_us(CLOCK_MONOTONIC);
	for (int i = n; i-- > 0;)
		bench_loader.unload(handles[i]);
	printf("%s %d %.2f %.2f\n", bench_loader.name, n, (t1 - t0) / n, (c1 - c0) / n);
	free(handles);
	return sum == 0;
}
