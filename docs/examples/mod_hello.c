/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>Hello: greetings, and sessions that hold the module</description>
	<support_level>extended</support_level>
	<defaultenabled>no</defaultenabled>
 ***/
/*** DOCUMENTATION
	<function name="HELLO" language="en_US">
		<synopsis>HELLO(name): greet name, counting greetings</synopsis>
	</function>
	<application name="Session" language="en_US">
		<synopsis>Session(name): open a session that keeps this module running</synopsis>
	</application>
 ***/
/*
 * The example of docs/writing-modules.md, built and driven by
 * tests/check_example.c.  It shows the whole module API:
 *   - MODULEINFO and DOCUMENTATION, from which the build extracts the
 *     manifest ([provides] function=HELLO, application=Session);
 *   - one header, <manifold/module.h>;
 *   - MANIFOLD_MODULE(): one declaration, embedded or loadable alike, that
 *     never names the module (the build passes the name of the file);
 *   - mf_api_register(): no unregister needed, the loader removes a module's
 *     registrations when it stops;
 *   - mf_user_add() with a cancel callback: a session is an object that
 *     uses the module, and a forced unload asks it to go;
 *   - per-instance data, allocated in load and freed in unload;
 *   - mf_call_result() and mf_module_log(): a call's answer and a log line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/module.h>

struct hello_session {
	struct mf_module *self;
	struct mf_user *user;
	char name[32];
};

struct hello_state {
	pthread_mutex_t lock;
	unsigned greetings;
};

static int hello_call(struct mf_module *self, const char *args, char *out,
		      size_t outlen)
{
	struct hello_state *st = mf_module_get_data(self);
	unsigned n;

	if (!*args)
		return mf_call_result(out, outlen, -EINVAL, "HELLO: whom? (HELLO(name))");
	pthread_mutex_lock(&st->lock);
	n = ++st->greetings;
	pthread_mutex_unlock(&st->lock);
	return mf_call_result(out, outlen, 0, "hello, %s (#%u)", args, n);
}

/* A forced unload wants the session gone: close it now.  Removing the last
 * user is what lets the module stop. */
static void session_cancel(struct mf_user *user, void *data)
{
	struct hello_session *s = data;

	mf_module_log(s->self, MF_LOG_NOTICE, "session %s closed: the module is unloading",
		      s->name);
	mf_user_remove(user);
	free(s);
}

static int session_call(struct mf_module *self, const char *args, char *out,
			size_t outlen)
{
	struct hello_session *s = calloc(1, sizeof(*s));
	char label[48];
	int err;

	if (!s)
		return -ENOMEM;
	s->self = self;
	snprintf(s->name, sizeof(s->name), "%s", *args ? args : "anonymous");
	snprintf(label, sizeof(label), "session %s", s->name);
	err = mf_user_add(self, label, session_cancel, s, &s->user);
	if (err < 0) {
		free(s);
		return mf_call_result(out, outlen, err, "Session: cannot open: %s",
				      strerror(-err));
	}
	return mf_call_result(out, outlen, 0, "session %s open", s->name);
}

static const struct mf_callable hello_function = {
	.call = hello_call,
	.synopsis = "HELLO(name): greet name, counting greetings",
};

static const struct mf_callable session_application = {
	.call = session_call,
	.synopsis = "Session(name): open a session that keeps this module running",
};

static int hello_load(struct mf_module *self)
{
	struct hello_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	mf_module_set_data(self, st);
	err = mf_api_register(self, "function", "HELLO", &hello_function);
	if (err == 0)
		err = mf_api_register(self, "application", "Session", &session_application);
	if (err < 0) {
		/* A failed load is rolled back by the loader, registrations
		 * included; only our own allocation is ours to free. */
		mf_module_set_data(self, NULL);
		pthread_mutex_destroy(&st->lock);
		free(st);
	}
	return err;
}

/* Runs after the loader removed HELLO and Session: nothing can call in. */
static void hello_unload(struct mf_module *self)
{
	struct hello_state *st = mf_module_get_data(self);

	pthread_mutex_destroy(&st->lock);
	free(st);
}

MANIFOLD_MODULE(.load = hello_load, .unload = hello_unload);
