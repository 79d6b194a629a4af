/* SPDX-License-Identifier: MIT */
/*
 * bench_mem INFO MODDIR: heap bytes the runtime holds for N modules.
 *
 * Built against glibc (not musl, whose malloc keeps no statistics), with
 * the same runtime sources and the same N modules linked in.  The heap is
 * read with mallinfo2(): uordblks (bytes in chunks handed out, malloc's own
 * per-chunk header and rounding included) plus hblkhd (chunks served by
 * mmap).  That is what the modules cost the heap, not just what the runtime
 * asked for; the difference is the allocator's overhead, which a musl image
 * pays in its own way.
 *
 *   mem.catalog    mf_context_new() + mf_catalog_add_table()
 *   mem.running    the same, after mf_config_apply() + mf_boot() of all
 *   mem.indexed    the same, after the first lookup by name (a planned
 *                  boot leaves the indexes to it)
 *   mem.manifests  mf_context_new() + mf_moddir_set() + mf_moddir_refresh()
 *                  of MODDIR: a catalog read from N manifests (nothing is
 *                  mapped, so glibc reading musl module files is no issue)
 *
 * Each line is the total for N modules; the report divides.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>
#include <manifold/manifold.h>
#include <manifold/moddir.h>

#include "bench.h"

extern const struct mf_table manifold_registry;

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void fail_on_event(void *data, const struct mf_event *ev)
{
	unsigned *started = data;

	if (ev->kind == MF_EVENT_FAIL)
		bench_die("%s: %s", ev->module, ev->detail);
	if (ev->kind == MF_EVENT_START)
		(*started)++;
}

int main(int argc, char **argv)
{
	struct bench_info info;
	struct mf_context *ctx;
	struct mf_module *mod;
	struct mf_config *cfg;
	unsigned started = 0;
	size_t before, after;
	int err;

	if (argc != 3) {
		fputs("usage: bench_mem INFO MODDIR\n", stderr);
		return 2;
	}
	if (bench_info_load(argv[1], &info) < 0)
		return 1;
	if (mf_config_new(&cfg) < 0)
		bench_die("out of memory");

	before = heap_in_use();
	err = mf_context_new(&ctx);
	if (err == 0)
		err = mf_catalog_add_table(ctx, &manifold_registry);
	if (err < 0)
		bench_die("catalog: %s", strerror(-err));
	after = heap_in_use();
	bench_result("mem.catalog", info.n, 'm', (double)(after - before), NULL);
	err = mf_config_apply(ctx, cfg, fail_on_event, &started);
	if (err == 0)
		err = mf_boot(ctx, cfg, fail_on_event, &started);
	if (err < 0 || started != info.n)
		bench_die("boot: %s (%u of %u started)", strerror(-err), started, info.n);
	after = heap_in_use();
	bench_result("mem.running", info.n, 'm', (double)(after - before), NULL);
	/* A boot that followed the generated plan left the indexes to the
	 * first lookup by name: with them. */
	if (mf_module_find(ctx, info.bottom, &mod) < 0)
		bench_die("cannot find %s", info.bottom);
	after = heap_in_use();
	bench_result("mem.indexed", info.n, 'm', (double)(after - before), NULL);
	mf_context_unref(ctx);

	before = heap_in_use();
	err = mf_context_new(&ctx);
	if (err == 0)
		err = mf_moddir_set(ctx, argv[2], 0);
	if (err == 0)
		err = mf_moddir_refresh(ctx, fail_on_event, &started);
	if (err != (int)info.n)
		bench_die("%s: refresh gave %d, want %u new modules", argv[2], err, info.n);
	after = heap_in_use();
	bench_result("mem.manifests", info.n, 'm', (double)(after - before), NULL);
	mf_context_unref(ctx);
	mf_config_free(cfg);
	return 0;
}
