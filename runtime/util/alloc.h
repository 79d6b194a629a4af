/* SPDX-License-Identifier: MIT */
/*
 * The runtime's allocator: every block the runtime (and the parsers the
 * generator shares with it) allocates comes from here and goes back here,
 * never to the C library's free() directly, nor the other way round.
 *
 * Two reasons for one small file rather than plain malloc():
 *  - the heap the loader holds is known at any time (mf_heap_in_use()),
 *    which the image reports and the fault tests use to prove that a failed
 *    operation gave back every byte it took;
 *  - a test can make the Nth allocation fail (mf_alloc_fail_nth()), to walk
 *    every failure point of an operation.  The hook costs one atomic load
 *    per allocation when unarmed.
 *
 * Not part of the API: modules and the image use <manifold/manifold.h>.
 */
#ifndef MANIFOLD_ALLOC_H
#define MANIFOLD_ALLOC_H

#include <stddef.h>

void *mf_malloc(size_t size);
void *mf_calloc(size_t n, size_t size);
void *mf_realloc(void *p, size_t size);
char *mf_strdup(const char *s);
char *mf_strndup(const char *s, size_t n);
/* A new string formatted as by printf(), or NULL (no memory). */
char *mf_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mf_free(void *p);
/*
 * Double the capacity of an array that starts in a buffer of its owner's
 * (@inline_buf, never freed here) and moves to the heap when it outgrows
 * it: *items, *cap in elements of @size bytes.  0, or -ENOMEM with the
 * array as it was.  The owner frees *items when it is not @inline_buf.
 */
int mf_grow_inline(void **items, size_t *cap, const void *inline_buf, size_t size);
/*
 * Fault in the whole pages of [p, p + len) with one system call
 * (MADV_POPULATE_WRITE, Linux 5.14), for a block that is about to be
 * written all over.  Only a hint: where the kernel cannot, nothing happens
 * and the pages fault in one by one when touched, as without it.
 */
void mf_prefault(void *p, size_t len);

/*
 * A slab: blocks for records that live as long as their owner (a context's
 * catalog entries), carved from large chunks faulted in at once.  A block
 * is an ordinary one to mf_free() and mf_realloc(): freeing one gives its
 * bytes back to the accounting only, and the chunks go at mf_slab_fini().
 * So only what is nearly always kept belongs here.
 *
 * Why: musl's malloc reads a byte of each new group's header before it
 * writes it, so every fresh page of heap costs two page faults, a read
 * that maps the zero page and a write that replaces it; reading a module
 * directory of 1,000 manifests took 1,000 of them.  A chunk costs one
 * MADV_POPULATE_WRITE (mf_prefault()).
 */
struct mf_slab {
	void **chunks;
	size_t n_chunks;
	char *next;  /* free room of the last chunk */
	size_t left; /* bytes of it */
	size_t last; /* size of the last chunk grown by doubling */
};

/* @size zeroed bytes from @slab, or NULL (no memory, or a test's failure). */
void *mf_slab_alloc(struct mf_slab *slab, size_t size);
/* Room for about @bytes of blocks in one chunk, before a run of them. */
void mf_slab_reserve(struct mf_slab *slab, size_t bytes);
/* Free the chunks: every block of @slab goes with them. */
void mf_slab_fini(struct mf_slab *slab);

/*
 * Bytes the runtime holds now, and the most it ever held, whole process
 * (every context together), as asked for: without the allocator's own
 * bookkeeping.
 */
size_t mf_heap_in_use(void);
size_t mf_heap_peak(void);

/*
 * Test hook: counting from now, the @n-th allocation fails (returns NULL as
 * malloc() would); the others succeed.  0 disarms it.  Process-wide: tests
 * that use it run one operation at a time.
 */
void mf_alloc_fail_nth(unsigned long n);
/*
 * Allocations attempted since the last mf_alloc_fail_nth() while armed
 * (arm with ULONG_MAX to count an operation's allocations without failing
 * any): an operation that ends with the count below @n never met the failure.
 */
unsigned long mf_alloc_count(void);

#endif
