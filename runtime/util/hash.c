/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

/*
 * A key as looked up: @a, or "@a=@b" when @b is set, with its length and
 * hash, so that a provider's "type=name" need not be built to be found.
 */
struct key {
	const char *a, *b;
	size_t alen, blen, len;
	unsigned hash;
};

/* FNV-1a: short keys, no need for anything stronger inside one process. */
#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static unsigned fnv_step(unsigned h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

/* Hash @s on from @h, measuring it in the same pass. */
static unsigned fnv_string(unsigned h, const char *s, size_t *len)
{
	const char *p = s;

	for (; *p; p++)
		h = fnv_step(h, (unsigned char)*p);
	*len = (size_t)(p - s);
	return h;
}

static struct key key_of(const char *s)
{
	struct key k = { .a = s };

	k.hash = fnv_string(FNV_BASIS, s, &k.alen);
	k.len = k.alen;
	return k;
}

/* "type=name": the hash the string would have. */
static struct key key_of2(const char *type, const char *name)
{
	struct key k = { .a = type, .b = name };

	k.hash = fnv_string(FNV_BASIS, type, &k.alen);
	k.hash = fnv_step(k.hash, '=');
	k.hash = fnv_string(k.hash, name, &k.blen);
	k.len = k.alen + 1 + k.blen;
	return k;
}

static uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t load32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * memcmp() == 0 a word a step, the last word overlapping the one before
 * (the C library's compares a byte a step: that was most of a lookup).
 */
static bool bytes_equal(const char *x, const char *y, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (load64(x + i) != load64(y + i))
				return false;
		return load64(x + n - 8) == load64(y + n - 8);
	}
	if (n >= 4)
		return load32(x) == load32(y) &&
		       load32(x + n - 4) == load32(y + n - 4);
	for (; n; n--, x++, y++)
		if (*x != *y)
			return false;
	return true;
}

static bool key_equal(const struct mf_hash_entry *e, const struct key *k)
{
	if (e->hash != k->hash || e->len != k->len ||
	    !bytes_equal(e->key, k->a, k->alen))
		return false;
	return !k->b || (e->key[k->alen] == '=' &&
			 bytes_equal(e->key + k->alen + 1, k->b, k->blen));
}

/* The key's text into a new entry. */
static void key_copy(struct mf_hash_entry *e, const struct key *k)
{
	memcpy(e->key, k->a, k->alen);
	if (k->b) {
		e->key[k->alen] = '=';
		memcpy(e->key + k->alen + 1, k->b, k->blen);
	}
	e->key[k->len] = '\0';
	e->len = (unsigned)k->len;
	e->hash = k->hash;
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

static struct mf_hash_entry *find(const struct mf_hash *h, const struct key *k)
{
	if (!h->n_buckets)
		return NULL;
	for (struct mf_hash_entry *e = h->buckets[k->hash & (h->n_buckets - 1)]; e;
	     e = e->next)
		if (key_equal(e, k))
			return e;
	return NULL;
}

void *mf_hash_get(const struct mf_hash *h, const char *key)
{
	struct mf_hash_entry *e;
	struct key k;

	/* Most contexts ban nothing: a boot asks once a module. */
	if (!h->count)
		return NULL;
	k = key_of(key);
	e = find(h, &k);

	return e ? e->value : NULL;
}

void *mf_hash_get2(const struct mf_hash *h, const char *type, const char *name)
{
	struct mf_hash_entry *e;
	struct key k;

	if (!h->count)
		return NULL;
	k = key_of2(type, name);
	e = find(h, &k);
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

/* A new entry of @size bytes for @k at the head of its bucket, or NULL. */
static struct mf_hash_entry *insert(struct mf_hash *h, const struct key *k,
				    size_t size)
{
	struct mf_hash_entry *e;

	if (h->count >= h->n_buckets && rehash(h, 2 * h->n_buckets) < 0)
		return NULL;
	e = entry_alloc(h, size);
	if (!e)
		return NULL;
	key_copy(e, k);
	e->next = h->buckets[k->hash & (h->n_buckets - 1)];
	h->buckets[k->hash & (h->n_buckets - 1)] = e;
	h->count++;
	return e;
}

int mf_hash_put(struct mf_hash *h, const char *key, void *value)
{
	struct key k = key_of(key);
	struct mf_hash_entry *e;

	if (find(h, &k))
		return -EEXIST;
	e = insert(h, &k, sizeof(*e) + k.len + 1);
	if (!e)
		return -ENOMEM;
	e->value = value;
	return 0;
}

static void *intern(struct mf_hash *h, const struct key *k, size_t size,
		    bool *created)
{
	const size_t align = _Alignof(max_align_t);
	struct mf_hash_entry *e = find(h, k);
	size_t at;

	*created = false;
	if (e)
		return e->value;
	at = (sizeof(*e) + k->len + 1 + align - 1) / align * align;
	e = insert(h, k, at + size);
	if (!e)
		return NULL;
	e->value = (char *)e + at;
	*created = true;
	return e->value;
}

void *mf_hash_intern(struct mf_hash *h, const char *key, size_t size,
		     bool *created)
{
	struct key k = key_of(key);

	return intern(h, &k, size, created);
}

void *mf_hash_intern2(struct mf_hash *h, const char *type, const char *name,
		      size_t size, bool *created)
{
	struct key k = key_of2(type, name);

	return intern(h, &k, size, created);
}

int mf_hash_reserve(struct mf_hash *h, size_t n)
{
	/* One bucket an entry, as mf_hash_put() keeps it. */
	return n > h->n_buckets ? rehash(h, n) : 0;
}

void *mf_hash_remove(struct mf_hash *h, const char *key)
{
	struct key k = key_of(key);
	struct mf_hash_entry **pp;

	if (!h->n_buckets)
		return NULL;
	for (pp = &h->buckets[k.hash & (h->n_buckets - 1)]; *pp; pp = &(*pp)->next) {
		struct mf_hash_entry *e = *pp;
		void *value;

		if (!key_equal(e, &k))
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
