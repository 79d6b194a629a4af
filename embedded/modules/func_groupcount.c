/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>GROUP and GROUP_COUNT: named counters</description>
	<support_level>core</support_level>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<function name="GROUP" language="en_US">
		<synopsis>GROUP(name): add one to the named counter and print it.</synopsis>
	</function>
	<function name="GROUP_COUNT" language="en_US">
		<synopsis>GROUP_COUNT(name): print the named counter.</synopsis>
	</function>
 ***/
/*
 * The counters live in the module instance, not in file-scope statics: they
 * are allocated by load and freed by unload, so stopping and starting the
 * module starts every count from zero again, and a loadable build that stays
 * mapped after a stop keeps nothing behind.  Callers on any thread share one
 * table, hence the mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/module.h>

struct group_counter {
	char *name;
	unsigned long count;
};

struct group_state {
	pthread_mutex_t lock;
	struct group_counter *items;
	size_t count, cap;
};

/* The counter called @name, added at zero when @create; NULL if absent. */
static struct group_counter *group_lookup(struct group_state *st,
					  const char *name, size_t len,
					  int create)
{
	struct group_counter *grown;
	char *copy;

	for (size_t i = 0; i < st->count; i++)
		if (strlen(st->items[i].name) == len &&
		    memcmp(st->items[i].name, name, len) == 0)
			return &st->items[i];
	if (!create)
		return NULL;
	if (st->count == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 8;

		grown = realloc(st->items, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		st->items = grown;
		st->cap = cap;
	}
	copy = strndup(name, len);
	if (!copy)
		return NULL;
	st->items[st->count].name = copy;
	st->items[st->count].count = 0;
	return &st->items[st->count++];
}

/* GROUP (step 1) and GROUP_COUNT (step 0) differ only in the step. */
static int group_update(struct mf_module *self, const char *fn,
			const char *args, unsigned long step, char *out,
			size_t outlen)
{
	struct group_state *st = mf_module_get_data(self);
	const char *end = args + strlen(args);
	struct group_counter *c;
	unsigned long value = 0;
	int rc = 0;

	while (*args == ' ' || *args == '\t')
		args++;
	while (end > args && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == args)
		return mf_call_result(out, outlen, -EINVAL,
				      "%s: group name is empty", fn);
	if (!st)
		return mf_call_result(out, outlen, -ESHUTDOWN,
				      "%s: %s is not running", fn,
				      mf_module_name(self));

	pthread_mutex_lock(&st->lock);
	c = group_lookup(st, args, (size_t)(end - args), step != 0);
	if (c) {
		c->count += step;
		value = c->count;
	} else if (step) {
		rc = -ENOMEM;
	}
	pthread_mutex_unlock(&st->lock);

	if (rc < 0)
		return mf_call_result(out, outlen, rc, "%s: out of memory", fn);
	if ((size_t)snprintf(out, outlen, "%lu", value) >= outlen)
		return mf_call_result(out, outlen, -ENOSPC,
				      "%s: result does not fit in %zu bytes", fn,
				      outlen);
	return 0;
}

static int group_call(struct mf_module *self, const char *args, char *out,
		      size_t outlen)
{
	return group_update(self, "GROUP", args, 1, out, outlen);
}

static int group_count_call(struct mf_module *self, const char *args,
			    char *out, size_t outlen)
{
	return group_update(self, "GROUP_COUNT", args, 0, out, outlen);
}

static const struct mf_callable group_function = {
	.call = group_call,
	.synopsis = "GROUP(name): add one to the named counter and print it",
};

static const struct mf_callable group_count_function = {
	.call = group_count_call,
	.synopsis = "GROUP_COUNT(name): print the named counter",
};

static void group_unload(struct mf_module *self)
{
	struct group_state *st = mf_module_get_data(self);

	if (!st)
		return;
	mf_module_set_data(self, NULL);
	for (size_t i = 0; i < st->count; i++)
		free(st->items[i].name);
	free(st->items);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static int group_load(struct mf_module *self)
{
	struct group_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	rc = -pthread_mutex_init(&st->lock, NULL);
	if (rc < 0)
		goto err_free;
	/* Set before registering: a caller may come in as soon as GROUP exists. */
	mf_module_set_data(self, st);
	rc = mf_api_register(self, "function", "GROUP", &group_function);
	if (rc < 0)
		goto err_data;
	rc = mf_api_register(self, "function", "GROUP_COUNT",
			     &group_count_function);
	if (rc < 0)
		goto err_group;
	return 0;

err_group:
	/* Do not leave GROUP pointing at state about to be freed. */
	mf_api_unregister(self, "function", "GROUP");
err_data:
	mf_module_set_data(self, NULL);
	pthread_mutex_destroy(&st->lock);
err_free:
	free(st);
	return rc;
}

MANIFOLD_MODULE(.load = group_load, .unload = group_unload);
