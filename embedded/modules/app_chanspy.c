/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>ChanSpy: spy on the registered applications and functions</description>
	<support_level>core</support_level>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<application name="ChanSpy" language="en_US">
		<synopsis>ChanSpy(prefix): list applications and functions whose name starts with prefix.</synopsis>
	</application>
 ***/
/*
 * ChanSpy(prefix) prints one line per registered application or function
 * whose name starts with prefix (case-insensitive, as dialplan names are):
 * "<type> <name> (<owner module>)", applications first, each type sorted by
 * name in byte order so the listing is the same whatever the registry's
 * internal order.  An empty prefix lists everything; no match prints nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <manifold/module.h>

struct spy_entry {
	char *name;
	char *owner;
};

struct spy_list {
	const char *prefix;
	size_t prefix_len;
	struct spy_entry *items;
	size_t count, cap;
	int err; /* the foreach callback cannot fail, so it leaves the error here */
};

static const char *const spy_types[] = {"application", "function"};

/*
 * Runs under the registry's lock: copy the strings (they are only valid
 * during the call) and call nothing else of the runtime.
 */
static void spy_collect(void *data, const char *name, const char *owner,
			const void *iface)
{
	struct spy_list *l = data;
	struct spy_entry *grown;

	(void)iface;
	if (l->err || strncasecmp(name, l->prefix, l->prefix_len) != 0)
		return;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		grown = realloc(l->items, cap * sizeof(*grown));
		if (!grown)
			goto nomem;
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->count].name = strdup(name);
	l->items[l->count].owner = strdup(owner ? owner : "?");
	if (!l->items[l->count].name || !l->items[l->count].owner) {
		free(l->items[l->count].name);
		free(l->items[l->count].owner);
		goto nomem;
	}
	l->count++;
	return;
nomem:
	l->err = -ENOMEM;
}

static int spy_compare(const void *a, const void *b)
{
	return strcmp(((const struct spy_entry *)a)->name,
		      ((const struct spy_entry *)b)->name);
}

static void spy_clear(struct spy_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].owner);
	}
	l->count = 0;
}

static int chanspy_call(struct mf_module *self, const char *args, char *out,
			size_t outlen)
{
	struct spy_list l = {0};
	size_t pos = 0;
	int rc = 0;

	if (outlen == 0)
		return -ENOSPC;
	out[0] = '\0';
	while (*args == ' ' || *args == '\t')
		args++;
	l.prefix = args;
	l.prefix_len = strlen(args);
	while (l.prefix_len > 0 && (args[l.prefix_len - 1] == ' ' ||
				    args[l.prefix_len - 1] == '\t'))
		l.prefix_len--;

	for (size_t t = 0; t < sizeof(spy_types) / sizeof(spy_types[0]); t++) {
		rc = mf_api_foreach(mf_module_context(self), spy_types[t],
				    spy_collect, &l);
		if (rc == 0)
			rc = l.err;
		if (rc < 0) {
			rc = mf_call_result(out, outlen, rc,
					    "ChanSpy: cannot list %ss: %s",
					    spy_types[t], strerror(-rc));
			goto out_free;
		}
		if (l.count > 1) /* qsort(NULL, 0) is undefined */
			qsort(l.items, l.count, sizeof(*l.items), spy_compare);
		for (size_t i = 0; i < l.count; i++) {
			int n = snprintf(out + pos, outlen - pos, "%s%s %s (%s)",
					 pos ? "\n" : "", spy_types[t],
					 l.items[i].name, l.items[i].owner);

			if (n < 0 || (size_t)n >= outlen - pos) {
				rc = mf_call_result(out, outlen, -ENOSPC,
						    "ChanSpy: listing does not fit in %zu bytes",
						    outlen);
				goto out_free;
			}
			pos += (size_t)n;
		}
		spy_clear(&l);
	}
out_free:
	spy_clear(&l);
	free(l.items);
	return rc;
}

static const struct mf_callable chanspy_application = {
	.call = chanspy_call,
	.synopsis = "ChanSpy(prefix): list applications and functions starting with prefix",
};

static int chanspy_load(struct mf_module *self)
{
	return mf_api_register(self, "application", "ChanSpy",
			       &chanspy_application);
}

MANIFOLD_MODULE(.load = chanspy_load);
