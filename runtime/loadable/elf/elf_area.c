/* SPDX-License-Identifier: MIT */
/*
 * The module area: one range of address space reserved once (PROT_NONE,
 * MAP_NORESERVE: it costs no memory) near the image, from which every
 * module's pages are mapped with MAP_FIXED and to which they return on
 * unload.  Near, because module code reaches the image with 32-bit
 * displacements: on x86_64 the static image sits at 0x400000 and -fno-pie
 * objects use absolute 32-bit addresses, so the area lies below 2 GiB; on
 * aarch64 ADRP reaches +-4 GiB (calls beyond +-128 MiB take veneers).
 *
 * Placement tries fixed addresses with MAP_FIXED_NOREPLACE and keeps only
 * the address asked for (kernels before 4.17 take the flag as a hint).  On
 * x86_64 it starts high under 2 GiB and works down, away from the brk heap,
 * which starts up to 1 GiB above the image.  When nothing near is free the
 * area goes anywhere; relocations that cannot reach are then refused one by
 * one, never truncated.  A bitmap of pages, first fit, under one lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/alloc.h"
#include "elf_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define AREA_SIZE ((size_t)256 << 20)
#define AREA_STEP ((uintptr_t)64 << 20)
/* Left free above the image for its brk heap when the area goes upward. */
#define AREA_GAP ((uintptr_t)64 << 20)

/* The image's own extent, from the linker; weak in case a linker lacks them. */
extern char __executable_start[] __attribute__((weak));
extern char _end[] __attribute__((weak));

static pthread_mutex_t area_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *area;
static size_t area_pages;
static unsigned long *area_bits;	/* one bit a page, set when in use */
static size_t area_used;
static size_t page_size;

#define BITS (8 * sizeof(unsigned long))

size_t elf_page_size(void)
{
	if (!page_size)
		page_size = (size_t)sysconf(_SC_PAGESIZE);
	return page_size;
}

static void *reserve_at(uintptr_t at, size_t len)
{
	void *p = mmap((void *)at, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if ((uintptr_t)p != at) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

static void *reserve_near_image(size_t len)
{
	const struct elf_arch *arch = elf_host_arch();
	uintptr_t lo = __executable_start ? (uintptr_t)__executable_start : (uintptr_t)reserve_at;
	uintptr_t hi = _end ? (uintptr_t)_end : lo;
	uintptr_t floor = (hi + AREA_STEP - 1) & ~(AREA_STEP - 1);
	uintptr_t at;
	void *p;

	if (arch->below && floor + len <= arch->below) {
		for (at = (arch->below - len) & ~(AREA_STEP - 1); at >= floor; at -= AREA_STEP)
			if ((p = reserve_at(at, len)))
				return p;
	}
	for (at = floor + AREA_GAP; at + len - lo <= arch->reach && (!arch->below || at + len <= arch->below);
	     at += AREA_STEP)
		if ((p = reserve_at(at, len)))
			return p;
	for (at = (lo - len) & ~(AREA_STEP - 1); at < lo && hi - at <= arch->reach && at >= AREA_STEP;
	     at -= AREA_STEP)
		if ((p = reserve_at(at, len)))
			return p;
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int area_init(void)
{
	size_t pages = AREA_SIZE / elf_page_size();
	unsigned long *bits = mf_calloc((pages + BITS - 1) / BITS, sizeof(*bits));

	if (!bits)
		return -ENOMEM;
	area = reserve_near_image(AREA_SIZE);
	if (!area) {
		mf_free(bits);
		return -ENOMEM;
	}
	area_bits = bits;
	area_pages = pages;
	return 0;
}

static bool page_used(size_t i)
{
	return area_bits[i / BITS] & (1ul << (i % BITS));
}

static void mark(size_t first, size_t n, bool used)
{
	for (size_t i = first; i < first + n; i++) {
		if (used)
			area_bits[i / BITS] |= 1ul << (i % BITS);
		else
			area_bits[i / BITS] &= ~(1ul << (i % BITS));
	}
}

/* First fit: the lowest run of @n free pages, or area_pages. */
static size_t find_free(size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < area_pages; i++) {
		if (run == 0 && i % BITS == 0 && area_bits[i / BITS] == ~0ul) {
			i += BITS - 1;
			continue;
		}
		run = page_used(i) ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return area_pages;
}

static int map_rw(unsigned char *at, size_t len, int flags)
{
	return mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags,
		    -1, 0) == MAP_FAILED ? -1 : 0;
}

/* A fresh PROT_NONE reservation over a module's pages: they are freed and
 * the mapping merges back into the area's. */
static void reserve_again(void *at, size_t len)
{
	mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

void *elf_area_map(size_t len, size_t populate)
{
	size_t n = len / elf_page_size(), first;
	unsigned char *at;
	void *p = NULL;
	int err = ENOMEM;

	pthread_mutex_lock(&area_lock);
	if (!area && area_init() != 0)
		goto out;
	first = find_free(n);
	if (first == area_pages)
		goto out;
	/* The pages the copy touches come populated (no faults); pages of
	 * bss alone are faulted in when used.  The two mappings merge. */
	at = area + first * elf_page_size();
	if ((populate && map_rw(at, populate, MAP_POPULATE) != 0) ||
	    (populate < len && map_rw(at + populate, len - populate, 0) != 0)) {
		err = errno;
		reserve_again(at, len);
		goto out;
	}
	p = at;
	mark(first, n, true);
	area_used += len;
out:
	pthread_mutex_unlock(&area_lock);
	if (!p)
		errno = err;
	return p;
}

void elf_area_unmap(void *at, size_t len)
{
	size_t first = (size_t)((unsigned char *)at - area) / elf_page_size();

	pthread_mutex_lock(&area_lock);
	reserve_again(at, len);
	mark(first, len / elf_page_size(), false);
	area_used -= len;
	pthread_mutex_unlock(&area_lock);
}

size_t mf_elf_area_used(void)
{
	size_t used;

	pthread_mutex_lock(&area_lock);
	used = area_used;
	pthread_mutex_unlock(&area_lock);
	return used;
}
