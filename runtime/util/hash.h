/* SPDX-License-Identifier: MIT */
/*
 * A small string-keyed hash map with separate chaining.  Keys are copied;
 * values are the caller's.  Used for module names, the provider index and
 * the api registry, all of which must answer without scanning the catalog
 * (10,000 modules is a normal size).
 */
#ifndef MANIFOLD_HASH_H
#define MANIFOLD_HASH_H

#include <stdbool.h>
#include <stddef.h>

struct mf_slab;

struct mf_hash_entry {
	struct mf_hash_entry *next;
	void *value;
	unsigned hash;
	unsigned len; /* strlen(key), compared before the text */
	char key[];
};

struct mf_hash {
	struct mf_hash_entry **buckets;
	size_t n_buckets;
	size_t count;
	struct mf_slab *slab; /* where entries come from; NULL: the heap */
};

void mf_hash_init(struct mf_hash *h);
/*
 * Entries from @slab (alloc.h) from now on, for a table whose entries live
 * as long as the slab's owner; mf_hash_fini() keeps the choice.
 */
void mf_hash_use_slab(struct mf_hash *h, struct mf_slab *slab);
/* Free every entry; free_value (may be NULL) is called for each value. */
void mf_hash_fini(struct mf_hash *h, void (*free_value)(void *value));
void *mf_hash_get(const struct mf_hash *h, const char *key);
/* 0, -EEXIST (the old value stays), -ENOMEM. */
int mf_hash_put(struct mf_hash *h, const char *key, void *value);
/* Returns the removed value, or NULL. */
/*
 * The value stored under @key; when there is none, a new entry whose value
 * is @size zeroed bytes allocated with the entry itself (*created = true):
 * one allocation, one hash of the key.  NULL when out of memory.  Such
 * values go with their entries: mf_hash_fini()'s free_value must not free
 * them, only what they point to.
 */
void *mf_hash_intern(struct mf_hash *h, const char *key, size_t size,
		     bool *created);
/* Room for @n entries without rehashing: a table added at once. */
int mf_hash_reserve(struct mf_hash *h, size_t n);
void *mf_hash_remove(struct mf_hash *h, const char *key);

/*
 * mf_hash_get() and mf_hash_intern() of the key "@type=@name", which they
 * do not build: the provider index looks such a key up for every line of
 * every manifest, of whatever length a manifest line allows.
 */
void *mf_hash_get2(const struct mf_hash *h, const char *type, const char *name);
void *mf_hash_intern2(struct mf_hash *h, const char *type, const char *name,
		      size_t size, bool *created);

/* Build "type=name" into buf; returns buf, or NULL when it does not fit. */
char *mf_hash_key2(char *buf, size_t len, const char *type, const char *name);

#endif
