/* SPDX-License-Identifier: MIT */
/*
 * bench_embedded INFO REPS [boot|deep|cascade|refs]: the embedded image's
 * costs, each next to its floor, measured in this process with the N
 * synthetic modules linked in.  The last argument runs one measurement
 * only, for a profiler.
 *
 *   boot.embedded   manifold: a context, the generated table, an empty
 *                   configuration (autoload=yes) applied, mf_boot(): what
 *                   embedded/main.c does, so catalog + resolve + start all.
 *                   floor: N load functions called through a plain table.
 *   boot.embedded.rec  the floor's loop again, each module first given a
 *                   record: one block of 64 zeroed bytes a module,
 *                   allocated as the loop starts, a record's fields
 *                   written before its load function is called; floor:
 *                   the bare loop.  What a loader that hands each module
 *                   a record (load(self)) pays at the least.
 *   index.first     the first lookup by name after that boot (the
 *                   catalog's indexes are built as modules enter it: one
 *                   hash lookup).  No floor.  The operations below look a
 *                   module up before they are timed.
 *   load.deep       mf_load() of the top module with the largest closure in
 *                   a fresh catalog; floor: the load functions of the
 *                   modules it started, in the order they started.
 *   unload.cascade  mf_unload(MF_OP_FORCE) of the bottom module with the
 *                   most dependents after a full boot; floor: the unload
 *                   functions of the modules it stopped.
 *   ref.1t, ref.2t  mf_module_get() + mf_module_put() on a running module
 *                   from one thread, and from two pinned to two CPUs at
 *                   once; floor: a bare atomic increment and decrement of
 *                   one counter, the same way.  ns per pair per thread.
 *   ref.nolock      1 when get + put complete while another thread holds
 *                   the context's lock (no global lock on the hot path).
 *
 * Every manifold run is checked: all N (or K) modules must start and every
 * load function must have run, or the run is void and the program fails.
 */
#define _GNU_SOURCE /* cpu_set_t, pthread_setaffinity_np() */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <manifold/config.h>
#include <manifold/manifold.h>

#include "bench.h"

extern const struct mf_table manifold_registry;
extern const struct manifold_module *const bench_descs[];
extern const unsigned bench_n_descs;

#define REF_ITERS 4000000u

/* What an operation did, from its events. */
struct tally {
	unsigned started, stopped, failed;
	unsigned *order; /* module indexes, in event order */
	unsigned n_order;
	enum mf_event_kind record; /* which kind goes into order[] */
};

static void on_event(void *data, const struct mf_event *ev)
{
	struct tally *t = data;

	if (ev->kind == MF_EVENT_START)
		t->started++;
	else if (ev->kind == MF_EVENT_STOP)
		t->stopped++;
	else if (ev->kind == MF_EVENT_FAIL) {
		t->failed++;
		fprintf(stderr, "bench: %s: %s\n", ev->module, ev->detail);
	}
	if (t->order && ev->kind == t->record) {
		long i = bench_module_index(ev->module);

		if (i >= 0 && (unsigned long)i < bench_n_descs)
			t->order[t->n_order++] = (unsigned)i;
	}
}

static struct mf_context *catalog(struct mf_config *cfg, struct tally *t)
{
	struct mf_context *ctx;
	int err = mf_context_new(&ctx);

	if (err == 0)
		err = mf_catalog_add_table(ctx, &manifold_registry);
	if (err == 0)
		err = mf_config_apply(ctx, cfg, on_event, t);
	if (err < 0)
		bench_die("catalog: %s", strerror(-err));
	return ctx;
}

static struct mf_context *boot(struct mf_config *cfg, struct tally *t)
{
	struct mf_context *ctx = catalog(cfg, t);
	int err = mf_boot(ctx, cfg, on_event, t);

	if (err < 0 || t->started != bench_n_descs || t->failed)
		bench_die("boot: %s; %u of %u modules started, %u failures",
			  strerror(-err), t->started, bench_n_descs, t->failed);
	return ctx;
}

/*
 * Look a module up by name.  The operations measured after a boot do one
 * first, so that they show their own cost.
 */
static void warm_index(struct mf_context *ctx)
{
	struct mf_module *mod;

	if (mf_module_find(ctx, bench_descs[0]->name, &mod) < 0)
		bench_die("cannot find %s", bench_descs[0]->name);
}

/* 64 bytes (LP64): a descriptor, a state and a count, six links. */
struct least_record {
	const struct manifold_module *desc;
	unsigned state, refs;
	void *links[6];
};

/* The floor's loop with a record a module (boot.embedded.rec): ns. */
static double floor_with_records(void)
{
	uint64_t t0 = bench_now_ns(), t1;
	struct least_record *recs = calloc(bench_n_descs, sizeof(*recs));
	unsigned long before = bench_touches;

	if (!recs)
		bench_die("out of memory");
	for (unsigned i = 0; i < bench_n_descs; i++) {
		recs[i].desc = bench_descs[i];
		recs[i].state = 1;
		bench_descs[i]->load(NULL);
		recs[i].state = 2;
	}
	t1 = bench_now_ns();
	if (bench_touches - before != bench_n_descs)
		bench_die("floor with records: %lu load calls for %u modules",
			  bench_touches - before, bench_n_descs);
	free(recs);
	return (double)(t1 - t0);
}

static void bench_boot(struct mf_config *cfg, unsigned reps)
{
	for (unsigned r = 0; r < reps; r++) {
		struct tally t = { 0 };
		unsigned long before = bench_touches;
		uint64_t t0 = bench_now_ns(), t1;
		struct mf_context *ctx = boot(cfg, &t);

		t1 = bench_now_ns();
		if (bench_touches - before != bench_n_descs)
			bench_die("boot: %lu load calls for %u modules",
				  bench_touches - before, bench_n_descs);
		bench_result("boot.embedded", bench_n_descs, 'm', (double)(t1 - t0), NULL);
		/* The first lookup after a boot: what that costs. */
		t0 = bench_now_ns();
		warm_index(ctx);
		t1 = bench_now_ns();
		bench_result("index.first", bench_n_descs, 'm', (double)(t1 - t0), NULL);
		mf_context_unref(ctx);

		t0 = bench_now_ns();
		for (unsigned i = 0; i < bench_n_descs; i++)
			bench_descs[i]->load(NULL);
		t1 = bench_now_ns();
		bench_result("boot.embedded", bench_n_descs, 'f', (double)(t1 - t0), NULL);
		bench_result("boot.embedded.rec", bench_n_descs, 'f', (double)(t1 - t0),
			     NULL);
		bench_result("boot.embedded.rec", bench_n_descs, 'm', floor_with_records(),
			     NULL);
	}
}

static void floor_calls(const char *metric, const unsigned *order, unsigned n,
			bool unload)
{
	uint64_t t0 = bench_now_ns(), t1;

	for (unsigned i = 0; i < n; i++) {
		const struct manifold_module *d = bench_descs[order[i]];

		if (unload)
			d->unload(NULL);
		else
			d->load(NULL);
	}
	t1 = bench_now_ns();
	bench_result(metric, bench_n_descs, 'f', (double)(t1 - t0), NULL);
}

static void bench_deep(struct mf_config *cfg, const struct bench_info *info,
		       unsigned reps)
{
	unsigned *order = calloc(bench_n_descs, sizeof(*order));

	if (!order)
		bench_die("out of memory");
	for (unsigned r = 0; r < reps; r++) {
		struct tally t = { .order = order, .record = MF_EVENT_START };
		struct mf_context *ctx = catalog(cfg, &t);
		struct mf_request req = { .name = info->deep, .why = "bench" };
		char note[32];
		uint64_t t0, t1;
		int err;

		warm_index(ctx);
		t0 = bench_now_ns();
		err = mf_load(ctx, &req, 1, 0, on_event, &t);
		t1 = bench_now_ns();
		if (err < 0 || t.failed || t.n_order != t.started || t.started < 2)
			bench_die("load %s: %s (%u started)", info->deep,
				  strerror(-err), t.started);
		mf_context_unref(ctx);
		snprintf(note, sizeof(note), "k=%u", t.started);
		bench_result("load.deep", bench_n_descs, 'm', (double)(t1 - t0), note);
		floor_calls("load.deep", order, t.n_order, false);
	}
	free(order);
}

static void bench_cascade(struct mf_config *cfg, const struct bench_info *info,
			  unsigned reps)
{
	unsigned *order = calloc(bench_n_descs, sizeof(*order));

	if (!order)
		bench_die("out of memory");
	for (unsigned r = 0; r < reps; r++) {
		struct tally t = { 0 };
		struct mf_context *ctx = boot(cfg, &t);
		char note[32];
		uint64_t t0, t1;
		int err;

		t = (struct tally){ .order = order, .record = MF_EVENT_STOP };
		warm_index(ctx);
		t0 = bench_now_ns();
		err = mf_unload(ctx, info->bottom, MF_OP_FORCE, on_event, &t);
		t1 = bench_now_ns();
		if (err < 0 || t.failed || t.stopped < 2 || t.n_order != t.stopped)
			bench_die("unload -f %s: %s (%u stopped)", info->bottom,
				  strerror(-err), t.stopped);
		mf_context_unref(ctx);
		snprintf(note, sizeof(note), "k=%u", t.stopped);
		bench_result("unload.cascade", bench_n_descs, 'm', (double)(t1 - t0), note);
		floor_calls("unload.cascade", order, t.n_order, true);
	}
	free(order);
}

/* ---- references ---------------------------------------------------------- */

static atomic_uint bare; /* the floor's counter */

struct hammer {
	struct mf_module *mod; /* NULL: the bare atomic */
	pthread_barrier_t *go;
	int cpu;	       /* pin the thread here; -1: leave it */
	atomic_bool done;
	int err;
};

/*
 * The two CPUs the two threads run on.  Left to the scheduler, both may
 * share one core, take turns, and never contend for the counter's cache
 * line: the figure would then be twice the one-thread one, for either
 * side.  0, or -1 when this process may not use two CPUs.
 */
static int two_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	return n == 2 ? 0 : -1;
}

static void pin(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(t, sizeof(set), &set) != 0)
		bench_die("cannot pin a thread to cpu %d", cpu);
}

static void hammer_run(struct hammer *h, unsigned iters)
{
	if (!h->mod) {
		for (unsigned i = 0; i < iters; i++) {
			atomic_fetch_add(&bare, 1);
			atomic_fetch_sub(&bare, 1);
		}
		return;
	}
	for (unsigned i = 0; i < iters; i++) {
		if (mf_module_get(h->mod) < 0) {
			h->err = -ESHUTDOWN;
			return;
		}
		mf_module_put(h->mod);
	}
}

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;

	if (h->cpu >= 0)
		pin(pthread_self(), h->cpu);
	if (h->go)
		pthread_barrier_wait(h->go);
	hammer_run(h, REF_ITERS);
	atomic_store(&h->done, true);
	return NULL;
}

/* ns per get+put pair (or bare pair) per thread, @threads hammering at once. */
static double hammer_time(struct mf_module *mod, unsigned threads,
			  const int cpu[2])
{
	struct hammer h[2] = { { .mod = mod, .cpu = -1 }, { .mod = mod, .cpu = cpu[1] } };
	pthread_barrier_t go;
	cpu_set_t all;
	pthread_t tid;
	uint64_t t0, t1;

	if (threads == 1) {
		t0 = bench_now_ns();
		hammer_run(&h[0], REF_ITERS);
		t1 = bench_now_ns();
	} else {
		if (sched_getaffinity(0, sizeof(all), &all) < 0)
			bench_die("sched_getaffinity failed");
		pin(pthread_self(), cpu[0]);
		pthread_barrier_init(&go, NULL, 2);
		h[1].go = &go;
		if (pthread_create(&tid, NULL, hammer_thread, &h[1]) != 0)
			bench_die("pthread_create failed");
		pthread_barrier_wait(&go);
		t0 = bench_now_ns();
		hammer_run(&h[0], REF_ITERS);
		pthread_join(tid, NULL);
		t1 = bench_now_ns();
		pthread_barrier_destroy(&go);
		if (pthread_setaffinity_np(pthread_self(), sizeof(all), &all) != 0)
			bench_die("cannot unpin the main thread");
	}
	if (h[0].err || h[1].err)
		bench_die("mf_module_get refused a running module");
	return (double)(t1 - t0) / REF_ITERS;
}

/* Does get + put go through while another thread holds the context lock? */
static int refs_without_lock(struct mf_context *ctx, struct mf_module *mod)
{
	struct hammer h = { .mod = mod, .cpu = -1 };
	pthread_t tid;
	int ok = 0;

	mf_context_lock(ctx);
	if (pthread_create(&tid, NULL, hammer_thread, &h) != 0)
		bench_die("pthread_create failed");
	for (unsigned ms = 0; ms < 10000 && !atomic_load(&h.done); ms++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	ok = atomic_load(&h.done) && !h.err;
	mf_context_unlock(ctx);
	pthread_join(tid, NULL);
	return ok;
}

static void bench_refs(struct mf_config *cfg, const struct bench_info *info,
		       unsigned reps)
{
	struct tally t = { 0 };
	struct mf_context *ctx = boot(cfg, &t);
	struct mf_module *mod;
	int cpu[2] = { -1, -1 };
	bool two = two_cpus(cpu) == 0;

	if (mf_module_find(ctx, info->deep, &mod) < 0)
		bench_die("%s: not in the catalog", info->deep);
	if (!two)
		fputs("bench: fewer than 2 cpus: no two-thread figures\n", stderr);
	for (unsigned r = 0; r < reps; r++) {
		bench_result("ref.1t", bench_n_descs, 'm', hammer_time(mod, 1, cpu), NULL);
		bench_result("ref.1t", bench_n_descs, 'f', hammer_time(NULL, 1, cpu), NULL);
		if (!two)
			continue;
		bench_result("ref.2t", bench_n_descs, 'm', hammer_time(mod, 2, cpu), NULL);
		bench_result("ref.2t", bench_n_descs, 'f', hammer_time(NULL, 2, cpu), NULL);
	}
	bench_result("ref.nolock", bench_n_descs, 'm', refs_without_lock(ctx, mod), NULL);
	mf_context_unref(ctx);
}

/* The optional third argument picks one measurement (for a profiler). */
static bool want(int argc, char **argv, const char *what)
{
	return argc < 4 || strcmp(argv[3], what) == 0;
}

int main(int argc, char **argv)
{
	struct bench_info info;
	struct mf_config *cfg;
	unsigned reps;

	if (argc != 3 && argc != 4) {
		fputs("usage: bench_embedded INFO REPS [boot|deep|cascade|refs]\n", stderr);
		return 2;
	}
	if (bench_info_load(argv[1], &info) < 0)
		return 1;
	reps = (unsigned)strtoul(argv[2], NULL, 10);
	if (info.n != bench_n_descs || !reps)
		bench_die("%s says n=%u, this program holds %u modules (reps %u)",
			  argv[1], info.n, bench_n_descs, reps);
	if (mf_config_new(&cfg) < 0)
		bench_die("out of memory");
	if (want(argc, argv, "boot"))
		bench_boot(cfg, reps);
	if (want(argc, argv, "deep"))
		bench_deep(cfg, &info, reps);
	if (want(argc, argv, "cascade"))
		bench_cascade(cfg, &info, reps);
	if (want(argc, argv, "refs"))
		bench_refs(cfg, &info, reps);
	mf_config_free(cfg);
	return 0;
}
