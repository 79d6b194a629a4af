/* SPDX-License-Identifier: MIT */
/*
 * One growable array for the runtime: a struct with items, n and cap,
 * grown by doubling through the runtime's allocator (so fault walks see
 * every growth).  Declare one with MF_ARRAY(type) and zero it; push with
 * mf_array_push(), make room with mf_array_reserve(), free items with
 * mf_free().  A failed growth leaves the array as it was.
 *
 *	MF_ARRAY(struct mf_module *) list = { 0 };
 *	if (mf_array_push(&list, mod) < 0)
 *		return -ENOMEM;
 *	...
 *	mf_free(list.items);
 */
#ifndef MANIFOLD_ARRAY_H
#define MANIFOLD_ARRAY_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "util/alloc.h"

#define MF_ARRAY(type)                                                         \
	struct {                                                               \
		type *items;                                                   \
		size_t n, cap;                                                 \
	}

/* Room for @need items of @size bytes in *@items (capacity *@cap). */
static inline int mf_array_grow(void **items, size_t *cap, size_t need,
				size_t size)
{
	size_t n = *cap ? *cap : 4;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		return -ENOMEM;
	p = mf_realloc(*items, n * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = n;
	return 0;
}

/* Room for @need items in array @a: 0 or -ENOMEM. */
#define mf_array_reserve(a, need)                                              \
	mf_array_grow((void **)&(a)->items, &(a)->cap, (need), sizeof(*(a)->items))

/* Append @item to array @a: 0 or -ENOMEM. */
#define mf_array_push(a, item)                                                 \
	(mf_array_reserve((a), (a)->n + 1) < 0 ?                               \
		 -ENOMEM :                                                     \
		 ((a)->items[(a)->n++] = (item), 0))

#endif
