/* SPDX-License-Identifier: MIT */
/*
 * The runtime's allocator (see alloc.h): the C library's, with a small
 * header in front of each block that records its size, so that freeing a
 * block knows how much the runtime gives back without asking the C library
 * (musl has no cheap way to ask).  The header is as wide as max_align_t, so
 * blocks keep malloc()'s alignment.
 *
 * The counters are process-wide atomics: contexts on several threads
 * allocate at once, and a report wants the whole loader's figure.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/alloc.h"

union hdr {
	size_t size; /* | IN_SLAB for a block of a slab */
	max_align_t align;
};

#define IN_SLAB ((size_t)1 << (sizeof(size_t) * CHAR_BIT - 1))

/*
 * Under AddressSanitizer a slab's blocks are ordinary heap blocks: a chunk
 * is one allocation to it, and a use of a freed record must stay a report.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SLABS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLABS 0
#endif
#endif
#ifndef SLABS
#define SLABS 1
#endif
/* A slab's first chunk, and the most a chunk grows to by doubling. */
#define SLAB_CHUNK_MIN (16 * 1024)
#define SLAB_CHUNK_MAX (256 * 1024)

static atomic_size_t in_use, peak;
static atomic_ulong fail_at, count;

static bool should_fail(void)
{
	unsigned long nth = atomic_load_explicit(&fail_at, memory_order_relaxed);

	/* Unarmed, the count is not kept: one load per allocation. */
	if (nth == 0)
		return false;
	return atomic_fetch_add(&count, 1) + 1 == nth;
}

/* A block of @old bytes became one of @new bytes (0: none). */
static void account(size_t new, size_t old)
{
	size_t now, top;

	if (new < old) {
		atomic_fetch_sub(&in_use, old - new);
		return;
	}
	now = atomic_fetch_add(&in_use, new - old) + (new - old);
	top = atomic_load(&peak);
	while (now > top && !atomic_compare_exchange_weak(&peak, &top, now))
		;
}

void *mf_malloc(size_t size)
{
	union hdr *h;

	if (size > (SIZE_MAX & ~IN_SLAB) - sizeof(*h)) {
		errno = ENOMEM;
		return NULL;
	}
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	account(size, 0);
	return h + 1;
}

void *mf_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	p = mf_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *mf_realloc(void *p, size_t size)
{
	union hdr *h, *nh;
	size_t old;

	if (!p)
		return mf_malloc(size);
	if (size > (SIZE_MAX & ~IN_SLAB) - sizeof(*h) || should_fail()) {
		errno = ENOMEM;
		return NULL; /* p stays valid, as with realloc() */
	}
	h = (union hdr *)p - 1;
	old = h->size;
	if (old & IN_SLAB) {
		/* A slab's block moves to the heap: its chunk cannot grow. */
		void *q = malloc(sizeof(*nh) + size);

		if (!q)
			return NULL;
		nh = q;
		memcpy(nh + 1, p, (old & ~IN_SLAB) < size ? (old & ~IN_SLAB) : size);
		nh->size = size;
		account(size, old & ~IN_SLAB);
		return nh + 1;
	}
	nh = realloc(h, sizeof(*nh) + size);
	if (!nh)
		return NULL;
	nh->size = size;
	account(size, old);
	return nh + 1;
}

static char *copy(const char *s, size_t len)
{
	char *d = mf_malloc(len + 1);

	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *mf_strndup(const char *s, size_t n)
{
	return copy(s, strnlen(s, n));
}

char *mf_strdup(const char *s)
{
	return copy(s, strlen(s));
}

char *mf_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = mf_malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void mf_free(void *p)
{
	union hdr *h;

	if (!p)
		return;
	h = (union hdr *)p - 1;
	if (h->size & IN_SLAB) {
		/* Its chunk goes with the slab (mf_slab_fini()). */
		account(0, h->size & ~IN_SLAB);
		return;
	}
	account(0, h->size);
	free(h);
}

/*
 * A chunk of @size bytes; false without memory.  Chunks grow by doubling
 * (slab->last) from SLAB_CHUNK_MIN to SLAB_CHUNK_MAX, a reservation's
 * chunk aside: the next one after it is not twice its size.
 */
static bool slab_chunk(struct mf_slab *slab, size_t size)
{
	void **chunks;
	char *chunk;

	chunks = realloc(slab->chunks, (slab->n_chunks + 1) * sizeof(*chunks));
	if (!chunks)
		return false;
	slab->chunks = chunks;
	chunk = malloc(size);
	if (!chunk)
		return false;
	mf_prefault(chunk, size);
	slab->chunks[slab->n_chunks++] = chunk;
	slab->next = chunk;
	slab->left = size;
	return true;
}

static bool slab_grow(struct mf_slab *slab, size_t need)
{
	size_t size = slab->last ? 2 * slab->last : SLAB_CHUNK_MIN;

	if (size > SLAB_CHUNK_MAX)
		size = SLAB_CHUNK_MAX;
	if (!slab_chunk(slab, size < need ? need : size))
		return false;
	slab->last = size;
	return true;
}

void *mf_slab_alloc(struct mf_slab *slab, size_t size)
{
	const size_t align = sizeof(union hdr);
	union hdr *h;
	size_t need;

	if (!SLABS)
		return mf_calloc(1, size);
	if (size > (SIZE_MAX & ~IN_SLAB) - 2 * align || should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	need = (sizeof(*h) + size + align - 1) / align * align;
	if (need > slab->left && !slab_grow(slab, need)) {
		errno = ENOMEM;
		return NULL;
	}
	h = (union hdr *)slab->next;
	slab->next += need;
	slab->left -= need;
	/* Chunks are not reused: their bytes are zero until handed out, but
	 * the block is cleared anyway, so that nothing depends on it. */
	memset(h + 1, 0, size);
	h->size = size | IN_SLAB;
	account(size, 0);
	return h + 1;
}

void mf_slab_reserve(struct mf_slab *slab, size_t bytes)
{
	/* Only a hint: without memory, blocks come one chunk at a time. */
	if (SLABS && bytes > slab->left)
		(void)slab_chunk(slab, bytes);
}

void mf_slab_fini(struct mf_slab *slab)
{
	for (size_t i = 0; i < slab->n_chunks; i++)
		free(slab->chunks[i]);
	free(slab->chunks);
	*slab = (struct mf_slab){ 0 };
}

size_t mf_heap_in_use(void)
{
	return atomic_load(&in_use);
}

size_t mf_heap_peak(void)
{
	return atomic_load(&peak);
}

void mf_alloc_fail_nth(unsigned long n)
{
	atomic_store(&count, 0);
	atomic_store(&fail_at, n);
}

unsigned long mf_alloc_count(void)
{
	return atomic_load(&count);
}

int mf_grow_inline(void **items, size_t *cap, const void *inline_buf, size_t size)
{
	size_t n = *cap * 2;
	void *p;

	if (*items == inline_buf) {
		p = mf_malloc(n * size);
		if (p)
			memcpy(p, inline_buf, *cap * size);
	} else {
		p = mf_realloc(*items, n * size);
	}
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = n;
	return 0;
}

/* <sys/mman.h> of older C libraries does not name it; the kernel's value. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void mf_prefault(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	/* A page shared with other blocks is touched by them anyway. */
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}
