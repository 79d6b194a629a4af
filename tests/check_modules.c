/* SPDX-License-Identifier: MIT */
/*
 * The in-tree modules (embedded/modules/), driven through the api registry
 * exactly as the console drives them: find the registration, call it,
 * release it.  Linked with tests/fake_runtime.c instead of the real runtime,
 * so these tests pin the modules' own behaviour: exact outputs, exact error
 * codes and messages, handles always released, state per instance.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <manifold/manifold.h>

#include "../embedded/include/manifold_timer.h"
#include "test_file.h"

/* tests/fake_runtime.c */
int fake_context_new(struct mf_context **out);
void fake_context_free(struct mf_context *ctx);
int fake_module_add(struct mf_context *ctx, const struct manifold_module *desc,
		    struct mf_module **out);
int fake_module_start(struct mf_module *mod);
int fake_module_stop(struct mf_module *mod, int force);
void fake_canuse_notify(struct mf_module *mod, const char *module, bool running);
void fake_set_register_budget(struct mf_context *ctx, int budget);
unsigned fake_open_handles(struct mf_context *ctx);
size_t fake_registrations(struct mf_context *ctx);
const char *fake_last_log(struct mf_context *ctx, unsigned *count);

extern const struct manifold_module manifold_module_func_cut;
extern const struct manifold_module manifold_module_func_uri;
extern const struct manifold_module manifold_module_func_groupcount;
extern const struct manifold_module manifold_module_app_chanspy;
extern const struct manifold_module manifold_module_func_periodic_hook;
extern const struct manifold_module manifold_module_res_timing_timerfd;
extern const struct manifold_module manifold_module_res_timing_pthread;
extern const struct manifold_module manifold_module_app_wait;

static struct mf_context *ctx;
static struct mf_module *cut, *uri, *groupcount, *chanspy, *hook, *timerfd,
	*ptimer, *wait_mod;

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	/* Added (and, below, started) out of name order on purpose. */
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_func_uri, &uri), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_func_cut, &cut), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_func_groupcount, &groupcount), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_app_chanspy, &chanspy), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_func_periodic_hook, &hook), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_res_timing_timerfd, &timerfd), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_res_timing_pthread, &ptimer), 0);
	ck_assert_int_eq(fake_module_add(ctx, &manifold_module_app_wait, &wait_mod), 0);
}

static void teardown(void)
{
	fake_context_free(ctx);
	ctx = NULL;
}

static void start(struct mf_module *mod)
{
	ck_assert_int_eq(fake_module_start(mod), 0);
}

/* Call type/name(args) through the registry; every handle must be back. */
static int run(const char *type, const char *name, const char *args,
	       char *out, size_t outlen)
{
	const struct mf_callable *fn;
	struct mf_api *api;
	int rc;

	rc = mf_api_find(ctx, type, name, &api);
	ck_assert_msg(rc == 0, "find %s %s: %d", type, name, rc);
	fn = mf_api_iface(api);
	ck_assert_ptr_nonnull(fn);
	rc = fn->call(mf_api_provider(api), args, out, outlen);
	mf_api_release(api);
	ck_assert_uint_eq(fake_open_handles(ctx), 0);
	return rc;
}

#define EXPECT(type, name, args, want_rc, want_out)                            \
	do {                                                                   \
		char out_[512];                                                \
		int rc_ = run(type, name, args, out_, sizeof(out_));           \
		ck_assert_msg(rc_ == (want_rc), "%s(%s): rc %d, want %d (%s)",  \
			      name, args, rc_, (want_rc), out_);               \
		ck_assert_str_eq(out_, want_out);                              \
	} while (0)
#define FN(name, args, want_rc, want_out) EXPECT("function", name, args, want_rc, want_out)

/* ---- descriptors ------------------------------------------------------- */

START_TEST(test_descriptors)
{
	const struct manifold_module *all[] = {
		&manifold_module_func_cut, &manifold_module_func_uri,
		&manifold_module_func_groupcount, &manifold_module_app_chanspy,
		&manifold_module_func_periodic_hook,
		&manifold_module_res_timing_timerfd,
		&manifold_module_res_timing_pthread, &manifold_module_app_wait,
	};
	const char *names[] = {"func_cut", "func_uri", "func_groupcount",
			       "app_chanspy", "func_periodic_hook",
			       "res_timing_timerfd", "res_timing_pthread",
			       "app_wait"};

	/* Named by the build after each file (-DMF_MODULE_NAME): no source
	 * spells its own name. */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ck_assert_str_eq(all[i]->name, names[i]);
		ck_assert_uint_eq(all[i]->abi_version, MANIFOLD_ABI_VERSION);
		ck_assert_str_eq(all[i]->build_signature, MANIFOLD_BUILD_SIGNATURE);
		ck_assert_ptr_nonnull(all[i]->load);
	}
	ck_assert_ptr_nonnull(manifold_module_app_wait.canuse_changed);
	ck_assert_ptr_nonnull(manifold_module_func_groupcount.unload);
}
END_TEST

/*
 * A module is stated once: its source never spells its own name (the build
 * passes it) and includes one manifold header, <manifold/module.h>, whose
 * helpers (mf_call_result, mf_module_log) it uses instead of its own.
 * Read from the sources, as run from the repository's root.
 */
START_TEST(test_sources_are_stated_once)
{
	const char *names[] = {"func_cut", "func_uri", "func_groupcount",
			       "app_chanspy", "func_periodic_hook",
			       "res_timing_timerfd", "res_timing_pthread",
			       "app_wait"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[128], *src, *p;

		snprintf(path, sizeof(path), "embedded/modules/%s.c", names[i]);
		src = test_read_file(path, NULL);
		ck_assert_msg(src != NULL, "%s: %s", path, strerror(errno));
		ck_assert_msg(!strstr(src, names[i]), "%s names its own module", path);
		ck_assert_msg(strstr(src, "#include <manifold/module.h>"), "%s", path);
		for (p = strstr(src, "<manifold/"); p; p = strstr(p + 1, "<manifold/"))
			ck_assert_msg(strncmp(p, "<manifold/module.h>", 19) == 0,
				      "%s includes %.24s", path, p);
		ck_assert_msg(!strstr(src, "va_list"), "%s formats on its own", path);
		free(src);
	}
}
END_TEST

/* ---- CUT ---------------------------------------------------------------- */

START_TEST(test_cut_fields)
{
	start(cut);
	FN("CUT", "a-b-c-d,-,2", 0, "b");
	FN("CUT", "a-b-c-d,-,2-3", 0, "b-c");
	FN("CUT", "a-b-c-d,-,2-", 0, "b-c-d");
	FN("CUT", "a-b-c-d,-,-2", 0, "a-b");
	FN("CUT", "a-b-c-d,-,1&3", 0, "a-c");
	FN("CUT", "a-b-c-d,-,4&1-2", 0, "d-a-b");
	FN("CUT", "a-b,-,1&5&2", 0, "a-b");
	FN("CUT", "a-b,-,5", 0, "");
	FN("CUT", "a--c,-,2", 0, "");
	FN("CUT", "a--c,-,2-3", 0, "-c");
	FN("CUT", ",-,1", 0, "");
	FN("CUT", "a b c, ,3", 0, "c");	  /* a blank is a fine delimiter */
	FN("CUT", "x:y,:, 2 ", 0, "y");	  /* the spec is trimmed */
	FN("CUT", "p-q,,2", 0, "q");	  /* empty delimiter means '-' */
	FN("CUT", "a,b;c,;,2", 0, "c");	  /* split at the last two commas */
	FN("CUT", "a,b;c,;,1", 0, "a,b");
}
END_TEST

START_TEST(test_cut_errors)
{
	start(cut);
	FN("CUT", "a-b,-,x", -EINVAL, "CUT: field spec 'x' is not a number");
	FN("CUT", "a-b,-,1&x", -EINVAL, "CUT: field spec 'x' is not a number");
	FN("CUT", "a-b,-,-", -EINVAL, "CUT: field spec '-' is not a number");
	FN("CUT", "a-b,-,", -EINVAL, "CUT: field spec '' is not a number");
	FN("CUT", "a-b,-,1&", -EINVAL, "CUT: field spec '' is not a number");
	FN("CUT", "a-b,-,1-2-3", -EINVAL, "CUT: field spec '1-2-3' is not a number");
	FN("CUT", "a-b,-,0", -EINVAL,
	   "CUT: field spec '0' names field 0 (fields count from 1)");
	FN("CUT", "a-b,-,-0", -EINVAL,
	   "CUT: field spec '-0' names field 0 (fields count from 1)");
	FN("CUT", "a-b,-,3-2", -EINVAL, "CUT: field range '3-2' is backwards");
	FN("CUT", "a-b,-,99999999999", -ERANGE,
	   "CUT: field number in '99999999999' is too large");
	FN("CUT", "a-b,--,1", -EINVAL, "CUT: delimiter '--' is not one character");
	FN("CUT", "a-b", -EINVAL, "CUT: expected string,delimiter,fieldspec");
	FN("CUT", "a-b,1", -EINVAL, "CUT: expected string,delimiter,fieldspec");
	FN("CUT", "", -EINVAL, "CUT: expected string,delimiter,fieldspec");
}
END_TEST

START_TEST(test_cut_space)
{
	char out[4];

	start(cut);
	ck_assert_int_eq(run("function", "CUT", "abc-d,-,1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(run("function", "CUT", "abc-d,-,1-2", out, sizeof(out)),
			 -ENOSPC);
	ck_assert_str_eq(out, "CUT");	/* the message, cut to fit */
}
END_TEST

/* ---- URIENCODE / URIDECODE ---------------------------------------------- */

START_TEST(test_uri_encode)
{
	start(uri);
	FN("URIENCODE", "a b", 0, "a%20b");
	FN("URIENCODE", "AZaz09-._~", 0, "AZaz09-._~");
	FN("URIENCODE", "/?#[]@!$&'()*+,;=%", 0,
	   "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25");
	FN("URIENCODE", "\xc3\xa9", 0, "%C3%A9");
	FN("URIENCODE", "", 0, "");
}
END_TEST

START_TEST(test_uri_decode)
{
	start(uri);
	FN("URIDECODE", "a%20b", 0, "a b");
	FN("URIDECODE", "%c3%A9", 0, "\xc3\xa9");
	FN("URIDECODE", "a+b,c", 0, "a+b,c");
	FN("URIDECODE", "", 0, "");
	FN("URIDECODE", "%", -EINVAL, "URIDECODE: malformed escape at offset 0");
	FN("URIDECODE", "ab%2", -EINVAL, "URIDECODE: malformed escape at offset 2");
	FN("URIDECODE", "x%G0", -EINVAL, "URIDECODE: malformed escape at offset 1");
	FN("URIDECODE", "%0g", -EINVAL, "URIDECODE: malformed escape at offset 0");
	FN("URIDECODE", "a%00", -EINVAL,
	   "URIDECODE: %00 at offset 1 cannot be decoded");
}
END_TEST

START_TEST(test_uri_round_trip)
{
	char all[256], enc[1024], dec[256];

	start(uri);
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	ck_assert_int_eq(run("function", "URIENCODE", all, enc, sizeof(enc)), 0);
	/* 66 unreserved bytes stay, the other 189 take three each */
	ck_assert_uint_eq(strlen(enc), 66 + 189 * 3);
	ck_assert_int_eq(run("function", "URIDECODE", enc, dec, sizeof(dec)), 0);
	ck_assert_mem_eq(dec, all, 256);
	ck_assert_int_eq(run("function", "URIENCODE", " ", enc, 3), -ENOSPC);
	ck_assert_int_eq(run("function", "URIENCODE", " ", enc, 4), 0);
	ck_assert_str_eq(enc, "%20");
	ck_assert_int_eq(run("function", "URIDECODE", "%41%41", dec, 2), -ENOSPC);
}
END_TEST

/* ---- GROUP / GROUP_COUNT ------------------------------------------------ */

START_TEST(test_group_counts)
{
	char name[16];

	start(groupcount);
	FN("GROUP_COUNT", "x", 0, "0");
	FN("GROUP", "x", 0, "1");
	FN("GROUP", "x", 0, "2");
	FN("GROUP", " x\t", 0, "3");
	FN("GROUP", "y", 0, "1");
	FN("GROUP_COUNT", "x", 0, "3");
	FN("GROUP_COUNT", "X", 0, "0");
	FN("GROUP", "", -EINVAL, "GROUP: group name is empty");
	FN("GROUP_COUNT", "  ", -EINVAL, "GROUP_COUNT: group name is empty");
	/* enough names to grow the table a few times */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		FN("GROUP", name, 0, "1");
	}
	FN("GROUP", "g7", 0, "2");
	FN("GROUP_COUNT", "x", 0, "3");
}
END_TEST

START_TEST(test_group_restart_resets)
{
	start(groupcount);
	FN("GROUP", "x", 0, "1");
	FN("GROUP", "x", 0, "2");
	ck_assert_int_eq(fake_module_stop(groupcount, 0), 0);
	ck_assert_uint_eq(fake_registrations(ctx), 0);
	start(groupcount);
	FN("GROUP_COUNT", "x", 0, "0");
	FN("GROUP", "x", 0, "1");
}
END_TEST

START_TEST(test_group_load_unwinds)
{
	/* GROUP registers, GROUP_COUNT fails: nothing may stay behind. */
	fake_set_register_budget(ctx, 1);
	ck_assert_int_eq(fake_module_start(groupcount), -ENOMEM);
	ck_assert_uint_eq(fake_registrations(ctx), 0);
	fake_set_register_budget(ctx, -1);
	start(groupcount);
	FN("GROUP", "x", 0, "1");
}
END_TEST

#define GROUP_THREADS 8
#define GROUP_ROUNDS 20000

/* One handle per thread, held for every call: the calls overlap as much as
 * possible, so a counter without its lock loses increments. */
static void *group_hammer(void *arg)
{
	const struct mf_callable *fn;
	struct mf_api *api;
	void *res = NULL;
	char out[32];

	(void)arg;
	if (mf_api_find(ctx, "function", "GROUP", &api) < 0)
		return (void *)1;
	fn = mf_api_iface(api);
	for (int i = 0; i < GROUP_ROUNDS && !res; i++)
		if (fn->call(mf_api_provider(api), "shared", out, sizeof(out)) < 0)
			res = (void *)1;
	mf_api_release(api);
	return res;
}

START_TEST(test_group_threads)
{
	pthread_t t[GROUP_THREADS];
	char want[32];
	void *res;

	start(groupcount);
	for (int i = 0; i < GROUP_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, group_hammer, NULL), 0);
	for (int i = 0; i < GROUP_THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_ptr_null(res);
	}
	snprintf(want, sizeof(want), "%d", GROUP_THREADS * GROUP_ROUNDS);
	FN("GROUP_COUNT", "shared", 0, want);
}
END_TEST

/* ---- ChanSpy ------------------------------------------------------------ */

START_TEST(test_chanspy)
{
	start(uri);
	start(wait_mod);
	start(groupcount);
	start(chanspy);
	start(cut);
	EXPECT("application", "ChanSpy", "", 0,
	       "application ChanSpy (app_chanspy)\n"
	       "application Wait (app_wait)\n"
	       "function CUT (func_cut)\n"
	       "function GROUP (func_groupcount)\n"
	       "function GROUP_COUNT (func_groupcount)\n"
	       "function URIDECODE (func_uri)\n"
	       "function URIENCODE (func_uri)");
	EXPECT("application", "ChanSpy", "URI", 0,
	       "function URIDECODE (func_uri)\nfunction URIENCODE (func_uri)");
	EXPECT("application", "ChanSpy", " group ", 0,
	       "function GROUP (func_groupcount)\n"
	       "function GROUP_COUNT (func_groupcount)");
	EXPECT("application", "ChanSpy", "chan", 0,
	       "application ChanSpy (app_chanspy)");
	EXPECT("application", "ChanSpy", "zzz", 0, "");
	ck_assert_int_eq(fake_module_stop(uri, 0), 0);
	EXPECT("application", "ChanSpy", "U", 0, "");
}
END_TEST

START_TEST(test_chanspy_space)
{
	char out[40];

	start(chanspy);
	start(uri);
	ck_assert_int_eq(run("application", "ChanSpy", "URIE", out, 36), 0);
	ck_assert_str_eq(out, "function URIENCODE (func_uri)");
	ck_assert_int_eq(run("application", "ChanSpy", "URI", out, sizeof(out)),
			 -ENOSPC);
	ck_assert_str_eq(out, "ChanSpy: listing does not fit in 40 byt");
}
END_TEST

/* ---- PERIODIC_HOOK ------------------------------------------------------ */

static void start_hook_deps(void)
{
	start(chanspy);
	start(cut);
	start(groupcount);
	start(uri);
	start(hook);
}

START_TEST(test_hook_rounds)
{
	char want[256];

	start_hook_deps();
	FN("PERIODIC_HOOK", "2,URIENCODE,a b", 0, "a%20b,a%20b");
	FN("GROUP_COUNT", "periodic_hook", 0, "2");
	FN("PERIODIC_HOOK", "3,CUT,a-b-c,-,2", 0, "b,b,b");
	FN("PERIODIC_HOOK", " 1 , URIDECODE ,%41", 0, "A");
	FN("PERIODIC_HOOK", "1,URIENCODE", 0, "");
	FN("GROUP_COUNT", "periodic_hook", 0, "7");
	/* FUNC may be GROUP itself: each round counts twice */
	FN("PERIODIC_HOOK", "3,GROUP,periodic_hook", 0, "8,10,12");
	FN("GROUP_COUNT", "periodic_hook", 0, "13");
	FN("PERIODIC_HOOK", "2,PERIODIC_HOOK,2,URIENCODE,a b", 0,
	   "a%20b,a%20b,a%20b,a%20b");
	FN("GROUP_COUNT", "periodic_hook", 0, "19");
	memset(want, 0, sizeof(want));
	for (int i = 0; i < 100; i++)
		strcat(want, i ? ",x" : "x");
	FN("PERIODIC_HOOK", "100,CUT,x-y,-,1", 0, want);
	FN("GROUP_COUNT", "periodic_hook", 0, "119");
}
END_TEST

START_TEST(test_hook_errors)
{
	start_hook_deps();
	FN("PERIODIC_HOOK", "", -EINVAL, "PERIODIC_HOOK: expected count,FUNC,args");
	FN("PERIODIC_HOOK", "0,CUT,a,-,1", -EINVAL,
	   "PERIODIC_HOOK: count '0' is not a number from 1 to 100");
	FN("PERIODIC_HOOK", "101,CUT,a,-,1", -EINVAL,
	   "PERIODIC_HOOK: count '101' is not a number from 1 to 100");
	FN("PERIODIC_HOOK", "1x,CUT,a,-,1", -EINVAL,
	   "PERIODIC_HOOK: count '1x' is not a number from 1 to 100");
	FN("PERIODIC_HOOK", " ,CUT,a,-,1", -EINVAL,
	   "PERIODIC_HOOK: count '' is not a number from 1 to 100");
	FN("PERIODIC_HOOK", "2, ", -EINVAL,
	   "PERIODIC_HOOK: no function named in '2, '");
	FN("PERIODIC_HOOK", "2,NOPE,x", -ENOENT,
	   "PERIODIC_HOOK: no function named NOPE");
	FN("PERIODIC_HOOK", "2,URIDECODE,%zz", -EINVAL,
	   "PERIODIC_HOOK: round 1: URIDECODE: malformed escape at offset 0");
	FN("PERIODIC_HOOK", "2,CUT,a,-,0", -EINVAL,
	   "PERIODIC_HOOK: round 1: CUT: field spec '0' names field 0 (fields count from 1)");
	/* failures count no round */
	FN("GROUP_COUNT", "periodic_hook", 0, "0");
	ck_assert_int_eq(fake_module_stop(groupcount, 0), 0);
	FN("PERIODIC_HOOK", "1,CUT,a,-,1", -ENOENT,
	   "PERIODIC_HOOK: no function named GROUP");
}
END_TEST

START_TEST(test_hook_space)
{
	char out[12];

	start_hook_deps();
	ck_assert_int_eq(run("function", "PERIODIC_HOOK", "2,URIENCODE,a b",
			     out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a%20b,a%20b");
	ck_assert_int_eq(run("function", "PERIODIC_HOOK", "3,URIENCODE,a b",
			     out, sizeof(out)), -ENOSPC);
	ck_assert_str_eq(out, "PERIODIC_HO");
}
END_TEST

/* ---- timers and Wait ---------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void check_timer(const char *type, const char *name, const char *want)
{
	const struct mf_timer_iface *t;
	struct mf_api *api;
	long long t0;

	ck_assert_int_eq(mf_api_find(ctx, type, name, &api), 0);
	t = mf_api_iface(api);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, want);
	t0 = now_ms();
	ck_assert_int_eq(t->sleep_ms(30), 0);
	ck_assert_int_ge(now_ms() - t0, 30);
	ck_assert_int_lt(now_ms() - t0, 2000);
	t0 = now_ms();
	ck_assert_int_eq(t->sleep_ms(0), 0);
	ck_assert_int_lt(now_ms() - t0, 100);
	ck_assert_int_eq(t->sleep_ms(1001), 0); /* crosses a second boundary */
	ck_assert_int_ge(now_ms() - t0, 1001);
	mf_api_release(api);
}

START_TEST(test_timers)
{
	unsigned logs;

	start(timerfd);
	start(ptimer); /* service/timer is taken: stays up as timing/pthread */
	ck_assert_ptr_nonnull(strstr(fake_last_log(ctx, &logs),
				     "res_timing_pthread: service timer is taken; "
				     "pthread stays available"));
	ck_assert_uint_eq(logs, 1);
	check_timer("timing", "timerfd", "timerfd");
	check_timer("timing", "pthread", "pthread");
	check_timer("service", "timer", "timerfd");
}
END_TEST

START_TEST(test_timerfd_sleep)
{
	char out[64];
	long ms;

	start(timerfd);
	ck_assert_int_eq(run("function", "TIMERFD_SLEEP", " 25 ", out, sizeof(out)), 0);
	ms = strtol(out, NULL, 10);
	ck_assert_int_ge(ms, 25);
	ck_assert_int_lt(ms, 2000);
	FN("TIMERFD_SLEEP", "0", 0, "0");
	FN("TIMERFD_SLEEP", "x", -EINVAL,
	   "TIMERFD_SLEEP: 'x' is not a number of milliseconds from 0 to 60000");
	FN("TIMERFD_SLEEP", "60001", -EINVAL,
	   "TIMERFD_SLEEP: '60001' is not a number of milliseconds from 0 to 60000");
	FN("TIMERFD_SLEEP", "1 2", -EINVAL,
	   "TIMERFD_SLEEP: '1 2' is not a number of milliseconds from 0 to 60000");
	FN("TIMERFD_SLEEP", "", -EINVAL,
	   "TIMERFD_SLEEP: '' is not a number of milliseconds from 0 to 60000");
}
END_TEST

/* "waited N ms via NAME" with N >= @ms; returns N. */
static long check_wait(const char *args, long ms, const char *via)
{
	char out[128], name[32];
	long waited;

	ck_assert_int_eq(run("application", "Wait", args, out, sizeof(out)), 0);
	ck_assert_int_eq(sscanf(out, "waited %ld ms via %31s", &waited, name), 2);
	ck_assert_str_eq(name, via);
	ck_assert_int_ge(waited, ms);
	ck_assert_int_lt(waited, ms + 2000);
	return waited;
}

START_TEST(test_wait)
{
	char want[64];

	start(wait_mod);
	snprintf(want, sizeof(want), "Wait: no timer service: %s", strerror(ENOENT));
	EXPECT("application", "Wait", "5", -ENOENT, want);
	start(ptimer);
	check_wait("20", 20, "pthread");
	check_wait("0", 0, "pthread");
	ck_assert_int_eq(fake_module_stop(ptimer, 0), 0);
	start(timerfd);
	check_wait("15", 15, "timerfd");
	EXPECT("application", "Wait", "soon", -EINVAL,
	       "Wait: 'soon' is not a number of milliseconds from 0 to 60000");
	EXPECT("application", "Wait", "-1", -EINVAL,
	       "Wait: '-1' is not a number of milliseconds from 0 to 60000");
}
END_TEST

START_TEST(test_wait_canuse_groupcount)
{
	start(ptimer);
	start(wait_mod);
	start(groupcount);
	check_wait("1", 1, "pthread");
	FN("GROUP_COUNT", "wait", 0, "0"); /* not told yet: no counting */
	fake_canuse_notify(wait_mod, "func_groupcount", true);
	check_wait("1", 1, "pthread");
	check_wait("1", 1, "pthread");
	FN("GROUP_COUNT", "wait", 0, "2");
	fake_canuse_notify(wait_mod, "func_cut", false); /* not ours to track */
	check_wait("1", 1, "pthread");
	FN("GROUP_COUNT", "wait", 0, "3");
	fake_canuse_notify(wait_mod, "func_groupcount", false);
	check_wait("1", 1, "pthread");
	FN("GROUP_COUNT", "wait", 0, "3");
	/* told "running" but GROUP gone: Wait still works, uncounted */
	fake_canuse_notify(wait_mod, "func_groupcount", true);
	ck_assert_int_eq(fake_module_stop(groupcount, 0), 0);
	check_wait("1", 1, "pthread");
	/* a restart of app_wait forgets: the loader tells it again */
	start(groupcount);
	ck_assert_int_eq(fake_module_stop(wait_mod, 0), 0);
	start(wait_mod);
	check_wait("1", 1, "pthread");
	FN("GROUP_COUNT", "wait", 0, "0");
}
END_TEST

START_TEST(test_stale_handle)
{
	const struct mf_timer_iface *t;
	struct mf_api *api;

	start(timerfd);
	ck_assert_int_eq(mf_api_find(ctx, "service", "timer", &api), 0);
	ck_assert_int_eq(fake_module_stop(timerfd, 0), -EBUSY);
	ck_assert_int_eq(fake_module_stop(timerfd, 1), 0);
	t = mf_api_iface(api);
	ck_assert_ptr_null(t);
	mf_api_release(api);
}
END_TEST

Suite *make_modules_suite(void)
{
	Suite *s = suite_create("modules");
	TCase *tc = tcase_create("callables");
	TCase *tt = tcase_create("timers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_descriptors);
	tcase_add_test(tc, test_sources_are_stated_once);
	tcase_add_test(tc, test_cut_fields);
	tcase_add_test(tc, test_cut_errors);
	tcase_add_test(tc, test_cut_space);
	tcase_add_test(tc, test_uri_encode);
	tcase_add_test(tc, test_uri_decode);
	tcase_add_test(tc, test_uri_round_trip);
	tcase_add_test(tc, test_group_counts);
	tcase_add_test(tc, test_group_restart_resets);
	tcase_add_test(tc, test_group_load_unwinds);
	tcase_add_test(tc, test_group_threads);
	tcase_add_test(tc, test_chanspy);
	tcase_add_test(tc, test_chanspy_space);
	tcase_add_test(tc, test_hook_rounds);
	tcase_add_test(tc, test_hook_errors);
	tcase_add_test(tc, test_hook_space);
	suite_add_tcase(s, tc);

	/* Real sleeps: allow for a slow machine or valgrind. */
	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, test_timers);
	tcase_add_test(tt, test_timerfd_sleep);
	tcase_add_test(tt, test_wait);
	tcase_add_test(tt, test_wait_canuse_groupcount);
	tcase_add_test(tt, test_stale_handle);
	suite_add_tcase(s, tt);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_modules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
