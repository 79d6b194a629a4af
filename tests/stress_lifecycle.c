/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle stress: many threads load, unload (soft and forced), take and
 * drop hot-path references, api handles and object users at random on a
 * ~30-module fake graph with services of several providers, a provider that
 * always fails and one that is not binary compatible, a dependency cycle and
 * a module that blocks its unload.  Meant to run under ThreadSanitizer.
 *
 * Checked while it runs:
 *   - a module a thread holds (reference, api handle) is never STOPPED;
 *   - a load callback finds every provider it uses RUNNING;
 *   - an unload callback finds every provider it uses still there (not
 *     STOPPED): stops go dependents first;
 *   - a STOPPED module has no users, no references and no lib (except the
 *     one that blocks its unload, which keeps one lib reference).
 * Checked at the end, every thread done: user counts agree with the users
 * listed, no reference is left, every running module's providers run and
 * every registration's owner runs; then, after mf_stop_all(): every module
 * STOPPED with no users, references or lib references (but the blocked
 * one), nothing left in the api registry, and once the context is gone not
 * one byte of the runtime's heap.  `make soak` runs it for minutes.
 *
 *   stress_lifecycle [-t THREADS] [-s SECONDS] [-i ITERATIONS_PER_THREAD] [-v]
 *
 * Prints "stress: N operations, V invariant violations"; exits 0 when V is 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "fake_backend.h"

#define N_SERVICES 4
#define PROVIDERS_PER_SERVICE 3
#define N_LIBS 4
#define N_MIDS 6
#define N_TOPS 6
#define MAX_MODULES 64
#define HELD_REFS 6
#define HELD_APIS 4
#define HELD_USERS 4

static struct mf_context *ctx;
static struct mf_module *mods[MAX_MODULES];
static size_t n_mods;
static struct mf_module *blocked; /* the module that blocks its unload */
static atomic_ulong operations;
static atomic_uint violations;
static atomic_bool stop_now;
static bool verbose;

/* What actually happened, so that a run that did nothing cannot pass unseen. */
enum { ST_LOAD_OK, ST_LOAD_FAIL, ST_UNLOAD_OK, ST_FORCED_BUSY, ST_REF, ST_API,
       ST_USER, ST_CANCELLED, ST_MAX };
static const char *const stat_names[ST_MAX] = {
	"loads ok", "loads failed", "unloads ok", "forced unloads busy",
	"references", "api handles", "object users", "users cancelled",
};
static atomic_ulong stats[ST_MAX];

static void count_stat(int which)
{
	atomic_fetch_add_explicit(&stats[which], 1, memory_order_relaxed);
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	unsigned n = atomic_fetch_add(&violations, 1);
	va_list ap;

	if (n >= 20)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "stress: VIOLATION: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the graph ------------------------------------------------------------ */

static int add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int add(const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err = fake_add(ctx, text, &mods[n_mods]);
	if (err == 0)
		n_mods++;
	return err;
}

struct dep_check {
	const char *who;
	bool loading;
};

static void dep_seen(void *data, const struct mf_table_ref *use,
		     const char *provider, unsigned priority)
{
	struct dep_check *d = data;
	struct mf_module *p;
	struct mf_module_info info;

	(void)priority;
	if (!provider) {
		violation("%s %s: no provider for %s=%s", d->who,
			  d->loading ? "loads" : "unloads", use->type, use->name);
		return;
	}
	if (mf_module_find(ctx, provider, &p) < 0) {
		violation("%s: provider %s not in the catalog", d->who, provider);
		return;
	}
	mf_module_info(p, &info);
	if (d->loading ? info.state != MF_STATE_RUNNING : info.state == MF_STATE_STOPPED)
		violation("%s %s while its provider %s is %s", d->who,
			  d->loading ? "loads" : "unloads", provider,
			  mf_state_name(info.state));
}

static int on_load(struct mf_module *self, void *data)
{
	struct dep_check d = { mf_module_name(self), true };

	(void)data;
	mf_module_deps(self, dep_seen, &d);
	return 0;
}

static void on_unload(struct mf_module *self, void *data)
{
	struct dep_check d = { mf_module_name(self), false };

	(void)data;
	mf_module_deps(self, dep_seen, &d);
}

static int build_graph(void)
{
	int err = 0;

	for (int s = 0; s < N_SERVICES && !err; s++)
		for (int k = 0; k < PROVIDERS_PER_SERVICE && !err; k++)
			err = add("[module]\nname=p%d_%d\nload_priority=%d\n"
				  "[provides]\nservice=svc%d:%d\nfunction=P%d\n",
				  s, k, 30 + k, s, 100 + 50 * k, s * PROVIDERS_PER_SERVICE + k);
	for (int i = 0; i < N_LIBS && !err; i++)
		err = i % 2 ? add("[module]\nname=lib%d\nload_priority=20\n[uses]\nmodule=lib%d\n",
				  i, i - 1) :
			      add("[module]\nname=lib%d\nload_priority=20\n", i);
	for (int i = 0; i < N_MIDS && !err; i++)
		err = add("[module]\nname=mid%d\n[uses]\nmodule=lib%d\nservice=svc%d\n"
			  "[provides]\nfunction=F%d\nservice=shared:%d\n",
			  i, i % N_LIBS, i % N_SERVICES, i, 10 * i);
	for (int i = 0; i < N_TOPS && !err; i++)
		err = add("[module]\nname=top%d\nload_priority=%d\n[uses]\nmodule=mid%d\n"
			  "module=mid%d\nfunction=F%d\n[canuse]\nmodule=lib%d\nservice=svc%d\n",
			  i, 100 + i, i, (i + 1) % N_MIDS, (i + 2) % N_MIDS,
			  (i + 2) % N_LIBS, (i + 1) % N_SERVICES);
	if (!err)
		err = add("[module]\nname=cyc_a\n[uses]\nmodule=cyc_b\n");
	if (!err)
		err = add("[module]\nname=cyc_b\n[uses]\nmodule=cyc_a\n");
	if (err)
		return err;
	for (size_t i = 0; i < n_mods; i++)
		fake_set_hooks(ctx, mf_module_name(mods[i]), on_load, on_unload, NULL);
	/* The best provider of svc0 never loads; svc1's is built for another ABI. */
	fake_fail_load(ctx, "p0_2", -EIO);
	fake_set_abi(ctx, "p1_2", MANIFOLD_ABI_VERSION + 7);
	fake_set_block_unload(ctx, "top5", true);
	blocked = fake_mod(ctx, "top5");
	return 0;
}

/* ---- the workers ----------------------------------------------------------- */

struct held_user {
	struct mf_user *user;
	atomic_bool cancelled;
};

struct worker {
	pthread_t thread;
	unsigned id;
	unsigned long seed;
	unsigned long iterations;
	struct mf_module *refs[HELD_REFS];
	struct mf_api *apis[HELD_APIS];
	struct held_user users[HELD_USERS];
	struct fake_events ev;
};

static unsigned rnd(struct worker *w, unsigned n)
{
	/* xorshift64: cheap, per thread, reproducible from the seed. */
	w->seed ^= w->seed << 13;
	w->seed ^= w->seed >> 7;
	w->seed ^= w->seed << 17;
	return (unsigned)(w->seed % n);
}

static struct mf_module *any_module(struct worker *w)
{
	return mods[rnd(w, (unsigned)n_mods)];
}

static void cancel_cb(struct mf_user *user, void *data)
{
	struct held_user *h = data;

	(void)user;
	/* Any thread may ask; the owner removes the user on its next turn. */
	atomic_store(&h->cancelled, true);
}

static void expect_not_stopped(struct mf_module *mod, const char *what)
{
	struct mf_module_info info;

	mf_module_info(mod, &info);
	if (info.state == MF_STATE_STOPPED)
		violation("%s is stopped while a %s on it is held", info.name, what);
}

static void check_module(struct mf_module *mod)
{
	struct mf_module_info info;

	mf_module_info(mod, &info);
	if (info.state != MF_STATE_STOPPED)
		return;
	if (info.users || info.refs || info.lib_refs > (mod == blocked ? 1u : 0u))
		violation("%s stopped with users=%u refs=%u lib_refs=%u", info.name,
			  info.users, info.refs, info.lib_refs);
}

static void drop_cancelled(struct worker *w)
{
	for (int i = 0; i < HELD_USERS; i++) {
		struct held_user *h = &w->users[i];

		if (h->user && atomic_load(&h->cancelled)) {
			count_stat(ST_CANCELLED);
			mf_user_remove(h->user);
			h->user = NULL;
		}
	}
}

static void op_load(struct worker *w)
{
	struct mf_request reqs[3];
	unsigned n = 1 + rnd(w, 3);

	for (unsigned i = 0; i < n; i++) {
		reqs[i].name = mf_module_name(any_module(w));
		reqs[i].why = "stress";
	}
	fake_events_clear(&w->ev);
	count_stat(mf_load(ctx, reqs, n, rnd(w, 10) == 0 ? MF_OP_DRY_RUN : 0, fake_events_fn,
		     &w->ev) == 0 ? ST_LOAD_OK : ST_LOAD_FAIL);
}

static void op_unload(struct worker *w, unsigned flags)
{
	int err;

	fake_events_clear(&w->ev);
	err = mf_unload(ctx, mf_module_name(any_module(w)), flags, fake_events_fn, &w->ev);
	if (err == 0)
		count_stat(ST_UNLOAD_OK);
	else if (err == -EBUSY && (flags & MF_OP_FORCE))
		count_stat(ST_FORCED_BUSY);
}

static void op_ref(struct worker *w)
{
	int slot = (int)rnd(w, HELD_REFS);

	if (w->refs[slot]) {
		expect_not_stopped(w->refs[slot], "reference");
		mf_module_put(w->refs[slot]);
		w->refs[slot] = NULL;
		return;
	}
	w->refs[slot] = any_module(w);
	if (mf_module_get(w->refs[slot]) < 0) {
		w->refs[slot] = NULL;
		return;
	}
	count_stat(ST_REF);
	expect_not_stopped(w->refs[slot], "reference");
}

static void op_api(struct worker *w)
{
	int slot = (int)rnd(w, HELD_APIS);
	char name[16];

	if (w->apis[slot]) {
		expect_not_stopped(mf_api_provider(w->apis[slot]), "api handle");
		mf_api_iface(w->apis[slot]); /* NULL once forced away: fine */
		mf_api_release(w->apis[slot]);
		w->apis[slot] = NULL;
		return;
	}
	switch (rnd(w, 3)) {
	case 0:
		snprintf(name, sizeof(name), "svc%u", rnd(w, N_SERVICES));
		if (mf_api_find(ctx, "service", name, &w->apis[slot]) < 0)
			w->apis[slot] = NULL;
		break;
	case 1:
		snprintf(name, sizeof(name), "F%u", rnd(w, N_MIDS));
		if (mf_api_find(ctx, "function", name, &w->apis[slot]) < 0)
			w->apis[slot] = NULL;
		break;
	default:
		if (mf_api_find(ctx, "service", "shared", &w->apis[slot]) < 0)
			w->apis[slot] = NULL;
		break;
	}
	if (w->apis[slot]) {
		const struct mf_callable *c = mf_api_iface(w->apis[slot]);
		char out[64];

		count_stat(ST_API);
		expect_not_stopped(mf_api_provider(w->apis[slot]), "api handle");
		if (c && c->call(mf_api_provider(w->apis[slot]), "x", out, sizeof(out)) != 0)
			violation("call through a live handle failed");
	}
}

static void op_user(struct worker *w)
{
	int slot = (int)rnd(w, HELD_USERS);
	struct held_user *h = &w->users[slot];
	char label[32];

	if (h->user) {
		mf_user_remove(h->user);
		h->user = NULL;
		return;
	}
	snprintf(label, sizeof(label), "obj-%u-%d", w->id, slot);
	atomic_store(&h->cancelled, false);
	if (mf_user_add(any_module(w), label, cancel_cb, h, &h->user) < 0)
		h->user = NULL;
	else
		count_stat(ST_USER);
}

static void count_user(void *data, const char *kind, const char *who,
		       const char *detail)
{
	(void)kind;
	(void)who;
	(void)detail;
	(*(unsigned *)data)++;
}

static void ignore_dep(void *data, const struct mf_table_ref *use,
		       const char *provider, unsigned priority)
{
	(void)data;
	(void)use;
	(void)provider;
	(void)priority;
}

/* The read-only views, concurrently with everything else. */
static void op_view(struct worker *w)
{
	struct mf_module *mod = any_module(w);
	unsigned listed = 0;

	check_module(mod);
	mf_module_users(mod, count_user, &listed);
	mf_module_deps(mod, ignore_dep, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long done = 0;

	while (!atomic_load(&stop_now) && (!w->iterations || done < w->iterations)) {
		unsigned r = rnd(w, 100);

		drop_cancelled(w);
		if (r < 25)
			op_load(w);
		else if (r < 40)
			op_unload(w, rnd(w, 8) == 0 ? MF_OP_DRY_RUN : 0);
		else if (r < 45)
			op_unload(w, MF_OP_FORCE);
		else if (r < 65)
			op_ref(w);
		else if (r < 80)
			op_api(w);
		else if (r < 95)
			op_user(w);
		else
			op_view(w);
		done++;
	}
	/* Leave nothing behind. */
	for (int i = 0; i < HELD_REFS; i++)
		if (w->refs[i])
			mf_module_put(w->refs[i]);
	for (int i = 0; i < HELD_APIS; i++)
		mf_api_release(w->apis[i]);
	for (int i = 0; i < HELD_USERS; i++)
		if (w->users[i].user)
			mf_user_remove(w->users[i].user);
	atomic_fetch_add(&operations, done);
	return NULL;
}

/* ---- the end --------------------------------------------------------------- */

static void api_left(void *data, const char *name, const char *owner,
		     const void *iface)
{
	(void)iface;
	violation("%s=%s still registered by %s after stop-all", (const char *)data,
		  name, owner);
}

/* ---- quiescent state: every thread done, nothing stopped yet ---------------- */

struct count {
	unsigned users;
	bool admin;
};

static void tally_user(void *data, const char *kind, const char *who,
		       const char *detail)
{
	struct count *c = data;

	(void)who;
	(void)detail;
	c->users++;
	if (strcmp(kind, "admin") == 0)
		c->admin = true;
}

static void dep_running(void *data, const struct mf_table_ref *use,
			const char *provider, unsigned priority)
{
	const struct mf_module_info *user = data;
	struct mf_module *p;

	(void)priority;
	if (!provider) {
		violation("%s is running without a provider for %s=%s", user->name,
			  use->type, use->name);
		return;
	}
	if (mf_module_find(ctx, provider, &p) < 0 ||
	    mf_module_info(p, &(struct mf_module_info){ 0 }) < 0) {
		violation("%s uses %s, which the catalog lacks", user->name, provider);
		return;
	}
	if (fake_state(ctx, provider) != MF_STATE_RUNNING)
		violation("%s is running and uses %s, which is %s", user->name, provider,
			  mf_state_name(fake_state(ctx, provider)));
}

static void owner_running(void *data, const char *name, const char *owner,
			  const void *iface)
{
	if (!iface || fake_state(ctx, owner) != MF_STATE_RUNNING)
		violation("%s=%s registered by %s, which is %s", (const char *)data, name,
			  owner, mf_state_name(fake_state(ctx, owner)));
}

/*
 * After a run, before anything is stopped: the counts agree with the lists
 * behind them (users = admin + modules + objects, as mf_module_users()
 * lists them), no reference is left with every thread gone, every running
 * module's providers run, and every registration belongs to a running
 * module.  The soak (make soak) ends with this after minutes of churn.
 */
static void quiescent_checks(void)
{
	mf_context_lock(ctx);
	for (size_t i = 0; i < n_mods; i++) {
		struct mf_module_info info;
		struct count c = { 0 };

		mf_module_info(mods[i], &info);
		mf_module_users(mods[i], tally_user, &c);
		if (c.users != info.users || c.admin != info.admin)
			violation("%s: users=%u admin=%d, but %u listed (admin %d)", info.name,
				  info.users, info.admin, c.users, c.admin);
		if (info.refs)
			violation("%s: %u references left with every thread gone", info.name,
				  info.refs);
		if (info.state == MF_STATE_STARTING || info.state == MF_STATE_STOPPING)
			violation("%s: %s with no operation running", info.name,
				  mf_state_name(info.state));
		if (info.state == MF_STATE_RUNNING)
			mf_module_deps(mods[i], dep_running, &info);
		if (info.state == MF_STATE_RUNNING && !info.users)
			violation("%s: running with no user", info.name);
	}
	mf_api_foreach(ctx, "service", owner_running, "service");
	mf_api_foreach(ctx, "function", owner_running, "function");
	mf_context_unlock(ctx);
}

static void final_checks(void)
{
	for (size_t i = 0; i < n_mods; i++) {
		struct mf_module_info info;

		mf_module_info(mods[i], &info);
		if (info.state != MF_STATE_STOPPED || info.users || info.refs ||
		    info.lib_refs > (mods[i] == blocked ? 1u : 0u))
			violation("after stop-all: %s %s users=%u refs=%u lib_refs=%u",
				  info.name, mf_state_name(info.state), info.users,
				  info.refs, info.lib_refs);
		if (info.admin)
			violation("after stop-all: %s still held by the administrator",
				  info.name);
	}
	mf_api_foreach(ctx, "service", api_left, "service");
	mf_api_foreach(ctx, "function", api_left, "function");
}

int main(int argc, char **argv)
{
	unsigned threads = 8, seconds = 3;
	unsigned long iterations = 0;
	struct worker *workers;
	int opt;

	while ((opt = getopt(argc, argv, "t:s:i:v")) != -1) {
		switch (opt) {
		case 't':
			threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			iterations = strtoul(optarg, NULL, 10);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-s SECONDS] [-i ITERATIONS] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (threads == 0 || threads > 256) {
		fprintf(stderr, "stress: -t wants 1..256\n");
		return 2;
	}
	if (fake_context_new(&ctx) < 0 || build_graph() < 0) {
		fprintf(stderr, "stress: cannot build the graph\n");
		return 1;
	}
	/* The capture keeps only recent messages; errors are expected here. */
	mf_context_set_log_priority(ctx, MF_LOG_ERR);
	mf_context_set_cancel_timeout(ctx, 20);
	fake_journal_enable(false);

	workers = calloc(threads, sizeof(*workers));
	if (!workers)
		return 1;
	for (unsigned i = 0; i < threads; i++) {
		workers[i].id = i;
		workers[i].seed = 0x9e3779b97f4a7c15ul * (i + 1) ^ (unsigned long)time(NULL);
		workers[i].iterations = iterations;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
			fprintf(stderr, "stress: cannot start thread %u\n", i);
			return 1;
		}
	}
	if (!iterations) {
		sleep(seconds);
		atomic_store(&stop_now, true);
	}
	for (unsigned i = 0; i < threads; i++)
		pthread_join(workers[i].thread, NULL);

	for (size_t i = 0; i < n_mods; i++)
		check_module(mods[i]);
	quiescent_checks();
	mf_stop_all(ctx, NULL, NULL);
	final_checks();
	mf_context_unref(ctx);
	free(workers);
	/* Minutes of churn leave the runtime holding nothing. */
	if (mf_heap_in_use() != 0)
		violation("%zu bytes of the runtime's heap left after the context went",
			  mf_heap_in_use());
	if (verbose)
		printf("stress: runtime heap peak %zu bytes\n", mf_heap_peak());

	/* A long run in which nothing ever started or stopped tested nothing. */
	if (atomic_load(&operations) >= 10000 &&
	    (!atomic_load(&stats[ST_LOAD_OK]) || !atomic_load(&stats[ST_UNLOAD_OK]) ||
	     !atomic_load(&stats[ST_REF]) || !atomic_load(&stats[ST_API]) ||
	     !atomic_load(&stats[ST_USER]) || !atomic_load(&stats[ST_CANCELLED])))
		violation("some kind of operation never succeeded (run with -v)");
	if (verbose)
		for (int i = 0; i < ST_MAX; i++)
			printf("stress: %-20s %lu\n", stat_names[i], atomic_load(&stats[i]));
	printf("stress: %lu operations, %u invariant violations\n",
	       atomic_load(&operations), atomic_load(&violations));
	return atomic_load(&violations) ? 1 : 0;
}
