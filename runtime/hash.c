/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

/* FNV-1a: short keys, no need for anything stronger inside one process. */
static unsigned hash_string(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void mf_hash_init(struct mf_hash *h)
{
	h->buckets = NULL;
	h->n_buckets = 0;
	h->count = 0;
	h->slab = NULL;
}

void mf_hash_use_slab(struct mf_hash *h, struct mf_slab *slab)
{
	h->slab = slab;
}

/* A zeroed entry of @size bytes, from the table's slab or the heap. */
static struct mf_hash_entry *entry_alloc(struct mf_hash *h, size_t size)
{
	return h->slab ? mf_slab_alloc(h->slab, size) : mf_calloc(1, size);
}

void mf_hash_fini(struct mf_hash *h, void (*free_value)(void *value))
{
	struct mf_slab *slab = h->slab;

	for (size_t i = 0; i < h->n_buckets; i++) {
		struct mf_hash_entry *e = h->buckets[i];

		while (e) {
			struct mf_hash_entry *next = e->next;

			if (free_value)
				free_value(e->value);
			mf_free(e);
			e = next;
		}
	}
	mf_free(h->buckets);
	mf_hash_init(h);
	h->slab = slab;
}

static struct mf_hash_entry *find(const struct mf_hash *h, const char *key,
				  unsigned hash)
{
	if (!h->n_buckets)
		return NULL;
	for (struct mf_hash_entry *e = h->buckets[hash & (h->n_buckets - 1)]; e;
	     e = e->next)
		if (e->hash == hash && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void *mf_hash_get(const struct mf_hash *h, const char *key)
{
	struct mf_hash_entry *e;

	/* Most contexts ban nothing: a boot asks once a module. */
	if (!h->count)
		return NULL;
	e = find(h, key, hash_string(key));

	return e ? e->value : NULL;
}

/* Rehash into at least @want buckets (a power of two). */
static int rehash(struct mf_hash *h, size_t want)
{
	size_t n = h->n_buckets ? h->n_buckets : 64;
	struct mf_hash_entry **b;

	while (n < want)
		n *= 2;
	b = mf_calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_buckets; i++) {
		struct mf_hash_entry *e = h->buckets[i];

		while (e) {
			struct mf_hash_entry *next = e->next;

			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	mf_free(h->buckets);
	h->buckets = b;
	h->n_buckets = n;
	return 0;
}

int mf_hash_put(struct mf_hash *h, const char *key, void *value)
{
	unsigned hash = hash_string(key);
	size_t len = strlen(key);
	struct mf_hash_entry *e;

	if (find(h, key, hash))
		return -EEXIST;
	if (h->count >= h->n_buckets && rehash(h, 2 * h->n_buckets) < 0)
		return -ENOMEM;
	e = entry_alloc(h, sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, key, len + 1);
	e->hash = hash;
	e->value = value;
	e->next = h->buckets[hash & (h->n_buckets - 1)];
	h->buckets[hash & (h->n_buckets - 1)] = e;
	h->count++;
	return 0;
}

void *mf_hash_intern(struct mf_hash *h, const char *key, size_t size,
		     bool *created)
{
	const size_t align = _Alignof(max_align_t);
	unsigned hash = hash_string(key);
	struct mf_hash_entry *e = find(h, key, hash);
	size_t len = strlen(key), at;

	*created = false;
	if (e)
		return e->value;
	if (h->count >= h->n_buckets && rehash(h, 2 * h->n_buckets) < 0)
		return NULL;
	at = (sizeof(*e) + len + 1 + align - 1) / align * align;
	e = entry_alloc(h, at + size);
	if (!e)
		return NULL;
	memcpy(e->key, key, len + 1);
	e->hash = hash;
	e->value = (char *)e + at;
	e->next = h->buckets[hash & (h->n_buckets - 1)];
	h->buckets[hash & (h->n_buckets - 1)] = e;
	h->count++;
	*created = true;
	return e->value;
}

int mf_hash_reserve(struct mf_hash *h, size_t n)
{
	/* One bucket an entry, as mf_hash_put() keeps it. */
	return n > h->n_buckets ? rehash(h, n) : 0;
}

void *mf_hash_remove(struct mf_hash *h, const char *key)
{
	unsigned hash = hash_string(key);
	struct mf_hash_entry **pp;

	if (!h->n_buckets)
		return NULL;
	for (pp = &h->buckets[hash & (h->n_buckets - 1)]; *pp; pp = &(*pp)->next) {
		struct mf_hash_entry *e = *pp;
		void *value;

		if (e->hash != hash || strcmp(e->key, key) != 0)
			continue;
		*pp = e->next;
		value = e->value;
		mf_free(e);
		h->count--;
		return value;
	}
	return NULL;
}

/* On every provider lookup: two copies, not a printf (a profile's top item). */
char *mf_hash_key2(char *buf, size_t len, const char *type, const char *name)
{
	size_t tlen = strlen(type), nlen = strlen(name);

	if (tlen + 1 + nlen >= len)
		return NULL;
	memcpy(buf, type, tlen);
	buf[tlen] = '=';
	memcpy(buf + tlen + 1, name, nlen + 1);
	return buf;
}
