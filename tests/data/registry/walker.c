/* SPDX-License-Identifier: MIT */
/*
 * Linked with the registry that `manifold-gen registry --embedded
 * app_stack,func_cut` writes for tests/data/registry/set/ (tests/check_registry.c
 * compiles both with -Werror and runs the result): walks the table the way
 * the runtime does and checks every promise of <manifold/table.h>.  Exit 0
 * when all hold; each broken one is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/module.h>
#include <manifold/table.h>

#include "registry.h"

/* Two modules in one file: each takes its name from MF_MODULE_NAME, which
 * the build of a module file passes with -D. */
#define MF_MODULE_NAME app_stack
MANIFOLD_MODULE(.load = NULL);
#undef MF_MODULE_NAME
#define MF_MODULE_NAME func_cut
MANIFOLD_MODULE(.load = NULL);
#undef MF_MODULE_NAME

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "walker.c:%d: %s\n", __LINE__, #cond); \
			failures++;                                            \
		}                                                              \
	} while (0)

struct key {
	const char *type, *name;
};

static int key_cmp(const void *k, const void *e)
{
	const struct key *key = k;
	const struct mf_table_provider *p = e;
	int c = strcmp(key->type, p->type);

	return c ? c : strcmp(key->name, p->name);
}

/* The first provider of type=name (best first), and how many there are. */
static const struct mf_table_provider *find(const struct mf_table *t,
					    const char *type, const char *name,
					    unsigned *n)
{
	struct key key = {type, name};
	const struct mf_table_provider *hit, *first, *end;

	*n = 0;
	hit = bsearch(&key, t->providers, t->n_providers, sizeof(*hit), key_cmp);
	if (!hit)
		return NULL;
	first = hit;
	while (first > t->providers && key_cmp(&key, first - 1) == 0)
		first--;
	end = hit;
	while (end < t->providers + t->n_providers && key_cmp(&key, end) == 0)
		end++;
	*n = (unsigned)(end - first);
	return first;
}

static int provider_order(const struct mf_table *t,
			  const struct mf_table_provider *a,
			  const struct mf_table_provider *b)
{
	int c = strcmp(a->type, b->type);

	if (c)
		return c;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return strcmp(t->modules[a->module].name, t->modules[b->module].name);
}

static void check_module(const struct mf_table *t, unsigned i)
{
	const struct mf_table_module *m = &t->modules[i];
	const struct mf_table_provider *p;
	unsigned j, n;

	CHECK(m->name && m->description && m->checksum);
	if (i > 0)
		CHECK(strcmp(t->modules[i - 1].name, m->name) < 0);
	CHECK((m->configs == NULL) == (m->n_configs == 0));
	CHECK((m->uses == NULL) == (m->n_uses == 0));
	CHECK((m->canuse == NULL) == (m->n_canuse == 0));
	CHECK((m->provides == NULL) == (m->n_provides == 0));
	/* Built in exactly when named by --embedded, with its own descriptor. */
	if (strcmp(m->name, "app_stack") == 0)
		CHECK(m->descriptor == &manifold_module_app_stack);
	else if (strcmp(m->name, "func_cut") == 0)
		CHECK(m->descriptor == &manifold_module_func_cut);
	else
		CHECK(m->descriptor == NULL);
	if (m->descriptor)
		CHECK(strcmp(m->descriptor->name, m->name) == 0);

	/* Every module provides itself... */
	p = find(t, "module", m->name, &n);
	CHECK(n == 1 && p && p->module == i);
	/* ...and every [provides] line is in the index. */
	for (j = 0; j < m->n_provides; j++) {
		const struct mf_table_ref *r = &m->provides[j];
		unsigned k, found = 0;

		p = find(t, r->type, r->name, &n);
		for (k = 0; p && k < n; k++)
			found += p[k].module == i && p[k].priority == r->priority;
		CHECK(found == 1);
	}
}

int main(void)
{
	const struct mf_table *t = &manifold_registry;
	const struct mf_table_provider *p;
	unsigned i, n, total = 0;

	CHECK(t->version == MF_TABLE_VERSION);
	CHECK(t->n_modules == MANIFOLD_REGISTRY_MODULES);
	CHECK(t->n_modules == 5);
	for (i = 0; i < t->n_modules; i++) {
		check_module(t, i);
		total += t->modules[i].n_provides + 1;
	}
	/* res_timing_kqueue says module=res_timing_kqueue itself: not twice. */
	CHECK(t->n_providers == total - 1);
	for (i = 0; i < t->n_providers; i++) {
		CHECK(t->providers[i].module < t->n_modules);
		if (i > 0)
			CHECK(provider_order(t, &t->providers[i - 1],
					     &t->providers[i]) < 0);
	}

	/* The best timer first; equal priorities by module name. */
	p = find(t, "service", "timer", &n);
	CHECK(n == 3);
	if (p && n == 3) {
		CHECK(strcmp(t->modules[p[0].module].name, "res_timing_timerfd") == 0);
		CHECK(p[0].priority == 200);
		CHECK(strcmp(t->modules[p[1].module].name, "res_timing_kqueue") == 0);
		CHECK(strcmp(t->modules[p[2].module].name, "res_timing_pthread") == 0);
	}
	p = find(t, "module", "kqueue_alias", &n);
	CHECK(n == 1 && p && p->priority == 5);
	CHECK(find(t, "function", "NOPE", &n) == NULL && n == 0);

	/* Strings survive the C escaping byte for byte. */
	CHECK(strcmp(t->modules[1].name, "func_cut") == 0);
	CHECK(strcmp(t->modules[1].description,
		     "Cut \"fields\" \\ out?" "?= of\tstrings \xc3\xa9") == 0);
	CHECK(t->modules[1].n_configs == 2 &&
	      strcmp(t->modules[1].configs[1], "cut-extra.conf") == 0);
	CHECK(t->modules[1].export_globals == 1);
	CHECK(strcmp(t->modules[0].checksum,
		     "844c2153257936cc25d8b32760780c7b") == 0);
	CHECK(t->modules[0].load_priority == 70 && t->modules[0].n_uses == 2);
	CHECK(t->modules[2].support_level == 2 && t->modules[2].load_priority == 77);

	if (failures)
		fprintf(stderr, "walker: %d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
