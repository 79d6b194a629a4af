/* SPDX-License-Identifier: MIT */
/*
 * Module names of a set: membership and "did you mean".  A tree of 10,000
 * modules asks the first question for every <depend>, so a sorted set is
 * bisected; the second is asked only of names that are no module, which
 * are few (libraries), so it walks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

static int by_name(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *)item);
}

bool gen_names_has(const struct gen_names *names, const char *name)
{
	size_t i;

	if (names->sorted)
		return names->n &&
		       bsearch(name, names->v, names->n, sizeof(*names->v),
			       by_name) != NULL;
	for (i = 0; i < names->n; i++)
		if (strcmp(names->v[i], name) == 0)
			return true;
	return false;
}

/* Is @a one insertion, deletion or substitution away from @b? */
static bool one_edit(const char *a, size_t la, const char *b, size_t lb)
{
	size_t i = 0;

	if (la > lb) /* @a is the shorter one, or as long */
		return one_edit(b, lb, a, la);
	if (lb - la > 1)
		return false;
	while (i < la && a[i] == b[i])
		i++;
	if (i == la)
		return lb - la == 1; /* equal is no slip; one appended is */
	if (la == lb)
		return strcmp(a + i + 1, b + i + 1) == 0;
	return strcmp(a + i, b + i + 1) == 0;
}

const char *gen_names_near(const struct gen_names *names, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < names->n; i++)
		if (strcasecmp(names->v[i], name) == 0)
			return names->v[i];
	for (i = 0; i < names->n; i++)
		if (one_edit(name, len, names->v[i], strlen(names->v[i])))
			return names->v[i];
	return NULL;
}

static size_t put_upper(const char *s, char *buf, size_t size, size_t at)
{
	for (; *s; s++, at++) {
		char c = *s;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
			c = '_';
		if (at + 1 < size)
			buf[at] = c;
	}
	return at;
}

size_t gen_have_symbol(const char *type, const char *name, char *buf,
		       size_t size)
{
	size_t at = put_upper("have_", buf, size, 0);

	if (strcmp(type, "library") != 0) {
		at = put_upper(type, buf, size, at);
		at = put_upper("_", buf, size, at);
	}
	at = put_upper(name, buf, size, at);
	if (size)
		buf[at < size ? at : size - 1] = '\0';
	return at;
}
