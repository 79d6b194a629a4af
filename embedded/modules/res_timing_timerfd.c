/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>Timer service on Linux timerfd</description>
	<support_level>core</support_level>
	<load_priority>timing</load_priority>
	<provides type="timing">timerfd</provides>
	<provides type="service" priority="200">timer</provides>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<function name="TIMERFD_SLEEP" language="en_US">
		<synopsis>TIMERFD_SLEEP(ms): sleep on a timerfd and print the milliseconds measured.</synopsis>
	</function>
 ***/
/*
 * The preferred timer (service=timer at priority 200): the kernel wakes us on
 * CLOCK_MONOTONIC, so wall-clock steps do not stretch or cut a sleep.  Each
 * sleep uses its own descriptor, which keeps sleep_ms() safe to call from any
 * number of threads without shared state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <manifold/module.h>

#include "../include/manifold_timer.h"

#define TFD_SLEEP_MAX_MS 60000u

static int tfd_sleep_ms(unsigned ms)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = ms / 1000,
			     .tv_nsec = (long)(ms % 1000) * 1000000L},
	};
	uint64_t expirations;
	ssize_t n;
	int fd, rc;

	/* An all-zero it_value disarms the timer: read() would never return. */
	if (ms == 0)
		return 0;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		rc = -errno;
		goto out_fd;
	}
	do
		n = read(fd, &expirations, sizeof(expirations));
	while (n < 0 && errno == EINTR);
	rc = n == (ssize_t)sizeof(expirations) ? 0 : n < 0 ? -errno : -EIO;
out_fd:
	close(fd);
	return rc;
}

static const struct mf_timer_iface tfd_timer = {
	.sleep_ms = tfd_sleep_ms,
	.name = "timerfd",
};

static uint64_t tfd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* "  250 " -> 250; -EINVAL unless one number from 0 to TFD_SLEEP_MAX_MS. */
static int tfd_parse_ms(const char *s, unsigned *ms)
{
	unsigned long v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > TFD_SLEEP_MAX_MS)
			return -EINVAL;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s)
		return -EINVAL;
	*ms = (unsigned)v;
	return 0;
}

static int tfd_sleep_call(struct mf_module *self, const char *args,
			  char *out, size_t outlen)
{
	uint64_t start;
	unsigned ms;
	int rc;

	(void)self;
	if (tfd_parse_ms(args, &ms) < 0)
		return mf_call_result(out, outlen, -EINVAL,
				      "TIMERFD_SLEEP: '%s' is not a number of milliseconds from 0 to %u",
				      args, TFD_SLEEP_MAX_MS);
	start = tfd_now_us();
	rc = tfd_sleep_ms(ms);
	if (rc < 0)
		return mf_call_result(out, outlen, rc, "TIMERFD_SLEEP: timerfd: %s",
				      strerror(-rc));
	if ((size_t)snprintf(out, outlen, "%llu",
			     (unsigned long long)((tfd_now_us() - start) / 1000u)) >= outlen)
		return mf_call_result(out, outlen, -ENOSPC,
				      "TIMERFD_SLEEP: result does not fit in %zu bytes",
				      outlen);
	return 0;
}

static const struct mf_callable tfd_sleep_function = {
	.call = tfd_sleep_call,
	.synopsis = "TIMERFD_SLEEP(ms): sleep on a timerfd, print the ms measured",
};

static int tfd_load(struct mf_module *self)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int rc;

	/* Refuse to start on a kernel without timerfd, so the resolver can
	 * pick another timer instead of handing out one that always fails. */
	if (fd < 0)
		return -errno;
	close(fd);
	rc = mf_api_register(self, "timing", "timerfd", &tfd_timer);
	if (rc < 0)
		return rc;
	/*
	 * module.h allows the registry to refuse a second service/timer with
	 * -EEXIST.  Then stay up as timing/timerfd rather than fail: whoever
	 * asked for this module by name still gets it.
	 */
	rc = mf_api_register(self, "service", "timer", &tfd_timer);
	if (rc == -EEXIST) {
		mf_module_log(self, MF_LOG_NOTICE,
			      "service timer is taken; timerfd stays available as timing/timerfd");
		rc = 0;
	}
	if (rc == 0)
		rc = mf_api_register(self, "function", "TIMERFD_SLEEP",
				     &tfd_sleep_function);
	return rc;
}

MANIFOLD_MODULE(.load = tfd_load);
