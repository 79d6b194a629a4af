/* SPDX-License-Identifier: MIT */
/*
 * The interface behind "service/timer" and "timing/<name>" registrations.
 *
 * Timing modules (res_timing_timerfd, res_timing_pthread) register one
 * struct mf_timer_iface under both names: users that just need "a timer"
 * find type "service" name "timer"; users that want one implementation find
 * type "timing" and its name.  A holder gets it with mf_api_find() and keeps
 * the handle until it is done sleeping, so the provider cannot stop under it.
 */
#ifndef MANIFOLD_TIMER_H
#define MANIFOLD_TIMER_H

struct mf_timer_iface {
	/* Block the calling thread for at least @ms milliseconds; 0 or -errno. */
	int (*sleep_ms)(unsigned ms);
	const char *name; /* the implementation: "timerfd", "pthread" */
};

#endif
