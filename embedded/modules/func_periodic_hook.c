/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>PERIODIC_HOOK: call a function repeatedly, counting rounds</description>
	<support_level>core</support_level>
	<depend>app_chanspy</depend>
	<depend>func_cut</depend>
	<depend>func_groupcount</depend>
	<depend>func_uri</depend>
	<export_globals/>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<function name="PERIODIC_HOOK" language="en_US">
		<synopsis>PERIODIC_HOOK(count,FUNC,args): call FUNC(args) count times, results joined by ','.</synopsis>
	</function>
 ***/
/*
 * PERIODIC_HOOK(count,FUNC,args): count is 1..100; everything after the
 * second comma is handed to FUNC untouched (it may hold commas of its own).
 * Each round also adds one to GROUP(periodic_hook).
 *
 * FUNC and GROUP are looked up in the api registry, never linked against:
 * the handles are held for the whole call, so neither provider can stop
 * half way through, and both are released on every path out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/module.h>

#define HOOK_MAX_ROUNDS 100

/* [*s, end) without surrounding blanks. */
static void hook_trim(const char **s, const char **end)
{
	while (*s < *end && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
		(*end)--;
}

static int hook_find(struct mf_module *self, const char *name,
		     struct mf_api **api, char *out, size_t outlen)
{
	int rc = mf_api_find(mf_module_context(self), "function", name, api);

	if (rc == -ENOENT)
		return mf_call_result(out, outlen, rc,
				      "PERIODIC_HOOK: no function named %s", name);
	if (rc < 0)
		return mf_call_result(out, outlen, rc,
				      "PERIODIC_HOOK: function %s is unavailable: %s",
				      name, strerror(-rc));
	return 0;
}

/* Run one registered callable through its held handle; result in buf. */
static int hook_run(struct mf_api *api, const char *name, const char *args,
		    char *buf, size_t buflen)
{
	const struct mf_callable *fn = mf_api_iface(api);

	if (!fn)
		return mf_call_result(buf, buflen, -ESHUTDOWN,
				      "%s went away while in use", name);
	return fn->call(mf_api_provider(api), args, buf, buflen);
}

static int hook_call(struct mf_module *self, const char *args, char *out,
		     size_t outlen)
{
	const char *count_end, *name, *name_end, *fargs, *p = args;
	struct mf_api *fn_api = NULL, *group_api = NULL;
	char group_out[128], *fname, *buf;
	unsigned long count = 0;
	size_t pos = 0;
	int rc;

	count_end = strchr(args, ',');
	if (!count_end)
		return mf_call_result(out, outlen, -EINVAL,
				      "PERIODIC_HOOK: expected count,FUNC,args");
	name = count_end + 1;
	name_end = strchr(name, ',');
	fargs = name_end ? name_end + 1 : "";
	if (!name_end)
		name_end = name + strlen(name);
	hook_trim(&p, &count_end);
	hook_trim(&name, &name_end);
	for (const char *d = p; d < count_end && count <= HOOK_MAX_ROUNDS; d++)
		count = *d >= '0' && *d <= '9' ?
				count * 10 + (unsigned long)(*d - '0') :
				HOOK_MAX_ROUNDS + 1;
	if (p == count_end || count < 1 || count > HOOK_MAX_ROUNDS)
		return mf_call_result(out, outlen, -EINVAL,
				      "PERIODIC_HOOK: count '%.*s' is not a number from 1 to %d",
				      (int)(count_end - p), p, HOOK_MAX_ROUNDS);
	if (name == name_end)
		return mf_call_result(out, outlen, -EINVAL,
				      "PERIODIC_HOOK: no function named in '%s'", args);
	if (outlen == 0)
		return -ENOSPC;

	fname = strndup(name, (size_t)(name_end - name));
	if (!fname)
		return mf_call_result(out, outlen, -ENOMEM, "PERIODIC_HOOK: out of memory");
	rc = hook_find(self, fname, &fn_api, out, outlen);
	if (rc < 0)
		goto out_name;
	rc = hook_find(self, "GROUP", &group_api, out, outlen);
	if (rc < 0)
		goto out_fn;
	/* Same size as out: whatever FUNC prints must fit there anyway. */
	buf = malloc(outlen);
	if (!buf) {
		rc = mf_call_result(out, outlen, -ENOMEM, "PERIODIC_HOOK: out of memory");
		goto out_group;
	}

	out[0] = '\0';
	for (unsigned long round = 1; round <= count; round++) {
		size_t n;

		rc = hook_run(fn_api, fname, fargs, buf, outlen);
		if (rc < 0) {
			mf_call_result(out, outlen, rc, "PERIODIC_HOOK: round %lu: %s",
				       round, buf);
			goto out_buf;
		}
		n = strlen(buf) + (round > 1);
		if (pos + n + 1 > outlen) {
			rc = mf_call_result(out, outlen, -ENOSPC,
					    "PERIODIC_HOOK: result does not fit in %zu bytes",
					    outlen);
			goto out_buf;
		}
		pos += (size_t)snprintf(out + pos, outlen - pos, "%s%s",
					round > 1 ? "," : "", buf);
		rc = hook_run(group_api, "GROUP", "periodic_hook", group_out,
			      sizeof(group_out));
		if (rc < 0) {
			mf_call_result(out, outlen, rc, "PERIODIC_HOOK: round %lu: %s",
				       round, group_out);
			goto out_buf;
		}
	}
	rc = 0;

out_buf:
	free(buf);
out_group:
	mf_api_release(group_api);
out_fn:
	mf_api_release(fn_api);
out_name:
	free(fname);
	return rc;
}

static const struct mf_callable hook_function = {
	.call = hook_call,
	.synopsis = "PERIODIC_HOOK(count,FUNC,args): call FUNC(args) count times",
};

static int hook_load(struct mf_module *self)
{
	return mf_api_register(self, "function", "PERIODIC_HOOK", &hook_function);
}

MANIFOLD_MODULE(.load = hook_load);
