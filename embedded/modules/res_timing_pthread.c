/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>Timer service on pthread condition variables</description>
	<support_level>core</support_level>
	<load_priority>timing</load_priority>
	<provides type="timing">pthread</provides>
	<provides type="service" priority="100">timer</provides>
	<defaultenabled>yes</defaultenabled>
 ***/
/*
 * The fallback timer (service=timer at priority 100): portable POSIX, for
 * kernels or libcs without timerfd.  The condition variable waits on
 * CLOCK_MONOTONIC (set through its attributes; the default is the wall
 * clock, which an NTP step would stretch or cut).  Nobody signals it: every
 * wake-up before the deadline is spurious and the wait goes on.  Each sleep
 * owns its cond and mutex, so concurrent sleepers share nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <manifold/module.h>

#include "../include/manifold_timer.h"

static int pt_sleep_ms(unsigned ms)
{
	pthread_condattr_t attr;
	struct timespec deadline;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int rc;

	rc = -pthread_condattr_init(&attr);
	if (rc < 0)
		return rc;
	rc = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc < 0)
		goto out_attr;
	rc = -pthread_cond_init(&cond, &attr);
	if (rc < 0)
		goto out_attr;
	rc = -pthread_mutex_init(&lock, NULL);
	if (rc < 0)
		goto out_cond;
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0) {
		rc = -errno;
		goto out_lock;
	}
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&lock);
	do
		rc = pthread_cond_timedwait(&cond, &lock, &deadline);
	while (rc == 0 || rc == EINTR);
	pthread_mutex_unlock(&lock);
	rc = rc == ETIMEDOUT ? 0 : -rc;

out_lock:
	pthread_mutex_destroy(&lock);
out_cond:
	pthread_cond_destroy(&cond);
out_attr:
	pthread_condattr_destroy(&attr);
	return rc;
}

static const struct mf_timer_iface pt_timer = {
	.sleep_ms = pt_sleep_ms,
	.name = "pthread",
};

static int pt_load(struct mf_module *self)
{
	/* A zero sleep runs the whole path: refuse to start if the libc
	 * cannot wait on CLOCK_MONOTONIC, rather than fail every sleep. */
	int rc = pt_sleep_ms(0);

	if (rc < 0)
		return rc;
	rc = mf_api_register(self, "timing", "pthread", &pt_timer);
	if (rc < 0)
		return rc;
	/* As in res_timing_timerfd: -EEXIST leaves us up as timing/pthread. */
	rc = mf_api_register(self, "service", "timer", &pt_timer);
	if (rc == -EEXIST) {
		mf_module_log(self, MF_LOG_NOTICE,
			      "service timer is taken; pthread stays available as timing/pthread");
		rc = 0;
	}
	return rc;
}

MANIFOLD_MODULE(.load = pt_load);
