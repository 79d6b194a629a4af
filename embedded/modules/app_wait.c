/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>Wait: sleep through the best timer service</description>
	<support_level>core</support_level>
	<use type="service">timer</use>
	<canuse type="module">func_groupcount</canuse>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<application name="Wait" language="en_US">
		<synopsis>Wait(ms): sleep ms milliseconds, print the time measured and the timer used.</synopsis>
	</application>
 ***/
/*
 * Wait(ms) sleeps through whatever module serves service/timer (the
 * resolver started the best one for our [uses] line) and prints
 * "waited N ms via <timer>", N measured on CLOCK_MONOTONIC.
 *
 * func_groupcount is only [canuse]: when the loader tells us it is running,
 * each Wait also adds one to GROUP(wait).  The flag is a hint, not a hold:
 * GROUP is still looked up (and held) per call, so a groupcount stopping at
 * the same moment just means that one Wait goes uncounted.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <manifold/module.h>

#include "../include/manifold_timer.h"

#define WAIT_MAX_MS 60000u

struct wait_state {
	atomic_bool groupcount; /* func_groupcount is running */
};

/* "  250 " -> 250; -EINVAL unless one number from 0 to WAIT_MAX_MS. */
static int wait_parse_ms(const char *s, unsigned *ms)
{
	unsigned long v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > WAIT_MAX_MS)
			return -EINVAL;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s)
		return -EINVAL;
	*ms = (unsigned)v;
	return 0;
}

static uint64_t wait_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* GROUP(wait), best effort: the counter is optional by definition. */
static void wait_count(struct mf_module *self)
{
	struct wait_state *st = mf_module_get_data(self);
	const struct mf_callable *group;
	struct mf_api *api;
	char buf[128];

	if (!st || !atomic_load(&st->groupcount))
		return;
	if (mf_api_find(mf_module_context(self), "function", "GROUP", &api) < 0)
		return;
	group = mf_api_iface(api);
	if (group && group->call(mf_api_provider(api), "wait", buf,
				 sizeof(buf)) < 0)
		mf_module_log(self, MF_LOG_WARNING, "GROUP(wait): %s", buf);
	mf_api_release(api);
}

static int wait_call(struct mf_module *self, const char *args, char *out,
		     size_t outlen)
{
	const struct mf_timer_iface *timer;
	struct mf_api *api;
	uint64_t start, elapsed;
	unsigned ms;
	int rc;

	if (wait_parse_ms(args, &ms) < 0)
		return mf_call_result(out, outlen, -EINVAL,
				      "Wait: '%s' is not a number of milliseconds from 0 to %u",
				      args, WAIT_MAX_MS);
	rc = mf_api_find(mf_module_context(self), "service", "timer", &api);
	if (rc < 0)
		return mf_call_result(out, outlen, rc, "Wait: no timer service: %s",
				      strerror(-rc));
	timer = mf_api_iface(api);
	if (!timer) {
		rc = mf_call_result(out, outlen, -ESHUTDOWN,
				    "Wait: the timer service went away");
		goto out_api;
	}
	start = wait_now_us();
	rc = timer->sleep_ms(ms);
	elapsed = (wait_now_us() - start) / 1000u;
	if (rc < 0) {
		mf_call_result(out, outlen, rc, "Wait: timer %s failed: %s",
			       timer->name, strerror(-rc));
		goto out_api;
	}
	if ((size_t)snprintf(out, outlen, "waited %llu ms via %s",
			     (unsigned long long)elapsed, timer->name) >= outlen)
		rc = mf_call_result(out, outlen, -ENOSPC,
				    "Wait: result does not fit in %zu bytes", outlen);
out_api:
	mf_api_release(api);
	if (rc == 0)
		wait_count(self);
	return rc;
}

static const struct mf_callable wait_application = {
	.call = wait_call,
	.synopsis = "Wait(ms): sleep ms milliseconds through the timer service",
};

static void wait_canuse_changed(struct mf_module *self, const char *module,
				bool running)
{
	struct wait_state *st = mf_module_get_data(self);

	if (st && strcmp(module, "func_groupcount") == 0)
		atomic_store(&st->groupcount, running);
}

static void wait_unload(struct mf_module *self)
{
	free(mf_module_get_data(self));
	mf_module_set_data(self, NULL);
}

static int wait_load(struct mf_module *self)
{
	struct wait_state *st = malloc(sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	atomic_init(&st->groupcount, false);
	mf_module_set_data(self, st);
	rc = mf_api_register(self, "application", "Wait", &wait_application);
	if (rc < 0)
		goto err_data;
	return 0;

err_data:
	mf_module_set_data(self, NULL);
	free(st);
	return rc;
}

MANIFOLD_MODULE(.load = wait_load, .unload = wait_unload,
		.canuse_changed = wait_canuse_changed);
