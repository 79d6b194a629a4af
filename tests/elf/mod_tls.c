/* SPDX-License-Identifier: MIT */
/* Thread-local storage: refused (it is what crashes a process after unload). */
static __thread int per_thread;

int tls_bump(void)
{
	return ++per_thread;
}
