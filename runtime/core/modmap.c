// SPDX-License-Identifier: MIT
/*
 * A map from module to a number (internal.h): the resolver finds a
 * module's entry in its plan with it, an unload its sets' members.  Open
 * addressing on the module's address; entries are never removed, a map
 * lives as long as one operation.
 */
#include <stdint.h>

#include "core/internal.h"

static size_t slot_of(const struct mf_modmap *map, const struct mf_module *mod)
{
	/* Fibonacci hashing, high bits: allocation addresses share their
	 * low bits. */
	uint64_t h = (uint64_t)(uintptr_t)mod * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 32) & (map->n_slots - 1);
}

static struct mf_modmap_slot *find(const struct mf_modmap *map,
				   const struct mf_module *mod)
{
	size_t i = slot_of(map, mod);

	while (map->slots[i].mod && map->slots[i].mod != mod)
		i = (i + 1) & (map->n_slots - 1);
	return &map->slots[i];
}

size_t *mf_modmap_get(const struct mf_modmap *map, const struct mf_module *mod)
{
	struct mf_modmap_slot *s;

	if (!map->n_slots)
		return NULL;
	s = find(map, mod);
	return s->mod ? &s->value : NULL;
}

/* Move the map to @n_slots slots (a power of two, more than 2 * map->n). */
static int resize(struct mf_modmap *map, size_t n_slots)
{
	struct mf_modmap bigger = { .n = map->n, .n_slots = n_slots };

	bigger.slots = mf_calloc(n_slots, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < map->n_slots; i++)
		if (map->slots[i].mod)
			*find(&bigger, map->slots[i].mod) = map->slots[i];
	mf_free(map->slots);
	*map = bigger;
	return 0;
}

int mf_modmap_reserve(struct mf_modmap *map, size_t n)
{
	size_t n_slots = map->n_slots ? map->n_slots : 16;

	while (2 * n >= n_slots)
		n_slots *= 2;
	return n_slots == map->n_slots ? 0 : resize(map, n_slots);
}

int mf_modmap_put(struct mf_modmap *map, const struct mf_module *mod, size_t value)
{
	struct mf_modmap_slot *s;

	if (mf_modmap_reserve(map, map->n + 1) < 0)
		return -ENOMEM;
	s = find(map, mod);
	s->mod = mod;
	s->value = value;
	map->n++;
	return 0;
}

void mf_modmap_fini(struct mf_modmap *map)
{
	mf_free(map->slots);
	map->slots = NULL;
	map->n = map->n_slots = 0;
}
