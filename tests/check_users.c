/* SPDX-License-Identifier: MIT */
/*
 * Users: the administrator, the modules that use a module and the objects
 * registered with a cancel callback.  A soft unload drops only the
 * administrator's use; a forced one asks every object to go and waits for it,
 * but only for the cancel timeout.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_backend.h"

static struct mf_context *ctx;
static struct fake_events ev;

static const char *graph =
	"[module]\nname=chan\n[uses]\nmodule=core\n"
	"[module]\nname=core\n"
	"[module]\nname=app\n[uses]\nmodule=chan\n";

static void setup(void)
{
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	mf_context_set_cancel_timeout(ctx, 50);
	fake_journal_clear();
	fake_events_clear(&ev);
}

static void teardown(void)
{
	ck_assert_ptr_null(mf_context_unref(ctx));
	ctx = NULL;
}

struct listing {
	char text[2048];
};

static void list_user(void *data, const char *kind, const char *who,
		      const char *detail)
{
	struct listing *l = data;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "%s%s %s (%s)",
		 len ? "; " : "", kind, who, detail);
}

static const char *users_of(const char *name, struct listing *l)
{
	l->text[0] = '\0';
	ck_assert_int_eq(mf_module_users(fake_mod(ctx, name), list_user, l), 0);
	return l->text;
}

START_TEST(admin_and_module_users)
{
	struct listing l;

	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_str_eq(users_of("chan", &l), "admin administrator (test)");
	ck_assert_str_eq(users_of("core", &l), "module chan (module=core)");
	ck_assert_uint_eq(fake_info(ctx, "core").users, 1);
	ck_assert(!fake_info(ctx, "core").admin);
	/* The administrator asking again is still one user. */
	ck_assert_int_eq(fake_load(ctx, "chan core", NULL), 0);
	ck_assert_uint_eq(fake_info(ctx, "chan").users, 1);
	ck_assert_uint_eq(fake_info(ctx, "core").users, 2);
	ck_assert_str_eq(users_of("core", &l),
			 "admin administrator (test); module chan (module=core)");
}
END_TEST

START_TEST(object_user_add_remove)
{
	struct mf_module *chan = fake_mod(ctx, "chan");
	struct mf_user *u1, *u2;
	struct listing l;

	ck_assert_int_eq(mf_user_add(chan, "call-1", NULL, NULL, &u1), -ESHUTDOWN);
	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_int_eq(mf_user_add(chan, "call-1", NULL, NULL, &u1), 0);
	ck_assert_int_eq(mf_user_add(chan, "call-2", NULL, NULL, &u2), 0);
	ck_assert_uint_eq(fake_info(ctx, "chan").users, 3);
	ck_assert_ptr_nonnull(strstr(users_of("chan", &l), "object call-1 ()"));
	ck_assert_ptr_nonnull(strstr(l.text, "object call-2 ()"));
	mf_user_remove(u1);
	mf_user_remove(u2);
	mf_user_remove(NULL);
	ck_assert_uint_eq(fake_info(ctx, "chan").users, 1);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_RUNNING);
}
END_TEST

START_TEST(soft_unload_held_by_object)
{
	struct mf_module *chan = fake_mod(ctx, "chan");
	struct mf_user *u;
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_int_eq(mf_user_add(chan, "call-7", NULL, NULL, &u), 0);
	/* The administrator's use goes; the call keeps the module running. */
	ck_assert_int_eq(mf_unload(ctx, "chan", 0, fake_events_fn, &ev), 0);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_RUNNING);
	ck_assert(!fake_info(ctx, "chan").admin);
	ck_assert_str_eq(ev.seq, "held:chan");
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_HELD, "chan", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "object call-7");
	ck_assert_str_eq(fake_journal(), "load:core load:chan");
	/* Without the administrator's use, a second soft unload is refused. */
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_unload(ctx, "chan", 0, fake_events_fn, &ev), -EBUSY);
	ck_assert_ptr_nonnull(fake_events_detail(&ev, MF_EVENT_HELD, "chan", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "object call-7; not held by the administrator (use -f to force)");
	/* When the call ends, the module and what it used stop. */
	mf_user_remove(u);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:core load:chan unload:chan unload:core");
}
END_TEST

START_TEST(unload_not_running)
{
	ck_assert_int_eq(mf_unload(ctx, "chan", 0, fake_events_fn, &ev), -ENOENT);
	ck_assert_str_eq(ev.seq, "fail:chan");
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_unload(ctx, "nosuch", 0, fake_events_fn, &ev), -ENOENT);
	ck_assert_str_eq(ev.lines, "fail nosuch: no such module\n");
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_unload(ctx, "../chan", 0, fake_events_fn, &ev), -EINVAL);
	ck_assert_str_eq(ev.seq, "fail:../chan");
}
END_TEST

struct canceller {
	struct mf_user *user;
	unsigned calls;
	int mode; /* 0: remove now, 1: remove from a thread later, 2: never */
	pthread_t thread;
	bool started;
};

static void *remove_later(void *arg)
{
	struct canceller *c = arg;

	usleep(10000);
	mf_user_remove(c->user);
	return NULL;
}

static void cancel_cb(struct mf_user *user, void *data)
{
	struct canceller *c = data;

	ck_assert_ptr_eq(user, c->user);
	c->calls++;
	fake_journal_add("cancel:%d", c->mode);
	if (c->mode == 0) {
		mf_user_remove(user);
	} else if (c->mode == 1) {
		ck_assert_int_eq(pthread_create(&c->thread, NULL, remove_later, c), 0);
		c->started = true;
	}
}

START_TEST(forced_unload_cancels_sync)
{
	struct canceller c = { .mode = 0 };
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "chan"), "call-1", cancel_cb, &c, &c.user), 0);
	ck_assert_int_eq(mf_unload(ctx, "chan", MF_OP_FORCE, fake_events_fn, &ev), 0);
	ck_assert_uint_eq(c.calls, 1);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:core load:chan cancel:0 unload:chan unload:core");
	ck_assert_str_eq(ev.seq, "cancel:chan stop:chan stop:core");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_CANCEL, "chan", buf, sizeof(buf)), "call-1");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_STOP, "chan", buf, sizeof(buf)), "forced unload");
}
END_TEST

START_TEST(forced_unload_waits_for_async_cancel)
{
	struct canceller c = { .mode = 1 };

	mf_context_set_cancel_timeout(ctx, 5000);
	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "chan"), "call-1", cancel_cb, &c, &c.user), 0);
	ck_assert_int_eq(mf_unload(ctx, "chan", MF_OP_FORCE, fake_events_fn, &ev), 0);
	ck_assert(c.started);
	pthread_join(c.thread, NULL);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(), "load:core load:chan cancel:1 unload:chan unload:core");
	ck_assert_str_eq(ev.seq, "cancel:chan stop:chan stop:core");
}
END_TEST

START_TEST(forced_unload_user_never_goes)
{
	struct canceller c = { .mode = 2 };
	struct mf_module *chan = fake_mod(ctx, "chan");
	struct mf_user *late;
	char buf[256];

	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(mf_user_add(chan, "stuck-call", cancel_cb, &c, &c.user), 0);
	ck_assert_int_eq(mf_unload(ctx, "chan", MF_OP_FORCE, fake_events_fn, &ev), -EBUSY);
	ck_assert_uint_eq(c.calls, 1);
	/* app used chan and went first; chan waits for its call; core for chan. */
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPING);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_RUNNING);
	ck_assert_str_eq(fake_journal(), "load:core load:chan load:app cancel:2 unload:app");
	ck_assert_str_eq(ev.seq, "cancel:chan stop:app held:chan");
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_HELD, "chan", buf, sizeof(buf)),
			 "object stuck-call");
	/* A stopping module takes no new user, reference or dependent. */
	ck_assert_int_eq(mf_user_add(chan, "late", NULL, NULL, &late), -ESHUTDOWN);
	ck_assert_int_eq(mf_module_get(chan), -ESHUTDOWN);
	ck_assert_int_lt(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(fake_state(ctx, "app"), MF_STATE_STOPPED);
	/* Asking again cancels nobody twice and is still busy. */
	ck_assert_int_eq(mf_unload(ctx, "chan", MF_OP_FORCE, NULL, NULL), -EBUSY);
	ck_assert_uint_eq(c.calls, 1);
	/* The call finally goes: the stop completes and cascades down. */
	mf_user_remove(c.user);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
	ck_assert_int_eq(fake_state(ctx, "core"), MF_STATE_STOPPED);
	ck_assert_str_eq(fake_journal(),
			 "load:core load:chan load:app cancel:2 unload:app unload:chan unload:core");
	ck_assert_uint_eq(fake_info(ctx, "chan").users, 0);
	ck_assert_uint_eq(fake_info(ctx, "chan").lib_refs, 0);
}
END_TEST

START_TEST(forced_unload_of_dependents_objects)
{
	struct canceller c = { .mode = 0 };

	/* The call is on app, which uses chan: forcing chan cancels it too. */
	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "app"), "call-9", cancel_cb, &c, &c.user), 0);
	ck_assert_int_eq(mf_unload(ctx, "chan", MF_OP_FORCE, fake_events_fn, &ev), 0);
	ck_assert_uint_eq(c.calls, 1);
	ck_assert_str_eq(fake_journal(),
			 "load:core load:chan load:app cancel:0 unload:app unload:chan unload:core");
	ck_assert(!fake_info(ctx, "app").admin);
}
END_TEST

START_TEST(stop_all_leaves_user_handles_valid)
{
	struct canceller c = { .mode = 2 };

	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "chan"), "call-1", cancel_cb, &c, &c.user), 0);
	mf_stop_all(ctx, fake_events_fn, &ev);
	ck_assert_uint_eq(c.calls, 1);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
	ck_assert_uint_eq(fake_info(ctx, "chan").users, 0);
	ck_assert_str_eq(ev.seq, "cancel:chan stop:chan stop:core");
	/* The holder was asked to go and does so late: its handle is valid. */
	mf_user_remove(c.user);
	ck_assert_uint_eq(fake_info(ctx, "chan").users, 0);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
}
END_TEST

START_TEST(teardown_with_users_left)
{
	struct canceller c = { .mode = 2 };
	struct mf_user *u;

	/* The holder never goes: the teardown asks it, then frees the user
	 * (valgrind sees a leak otherwise). */
	ck_assert_int_eq(fake_load(ctx, "app", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "chan"), "call-1", cancel_cb, &c, &c.user), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "app"), "call-2", NULL, NULL, &u), 0);
	ck_assert_ptr_null(mf_context_unref(ctx));
	ck_assert_uint_eq(c.calls, 1);
	/* Latest started first; each module's users are asked as its turn comes. */
	ck_assert_str_eq(fake_journal(), "load:core load:chan load:app unload:app "
					 "cancel:2 unload:chan unload:core");
	ck_assert_int_eq(fake_context_new(&ctx), 0); /* for teardown() */
}
END_TEST

struct forcer {
	struct fake_events ev;
	int result;
};

static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cancel_cond = PTHREAD_COND_INITIALIZER;
static bool cancel_seen;

static void cancel_and_signal(struct mf_user *user, void *data)
{
	(void)user;
	(void)data;
	pthread_mutex_lock(&cancel_lock);
	cancel_seen = true;
	pthread_cond_signal(&cancel_cond);
	pthread_mutex_unlock(&cancel_lock);
}

static void *force_chan(void *arg)
{
	struct forcer *f = arg;

	f->result = mf_unload(ctx, "chan", MF_OP_FORCE, fake_events_fn, &f->ev);
	return NULL;
}

START_TEST(events_stay_with_their_operation)
{
	struct forcer f = { .result = 1 };
	struct mf_user *u;
	pthread_t th;

	/* While a forced unload waits, another thread runs its own load. */
	mf_context_set_cancel_timeout(ctx, 300);
	ck_assert_int_eq(fake_load(ctx, "chan", NULL), 0);
	ck_assert_int_eq(mf_user_add(fake_mod(ctx, "chan"), "stuck", cancel_and_signal, NULL, &u), 0);
	fake_events_clear(&f.ev);
	cancel_seen = false;
	ck_assert_int_eq(pthread_create(&th, NULL, force_chan, &f), 0);
	pthread_mutex_lock(&cancel_lock);
	while (!cancel_seen)
		pthread_cond_wait(&cancel_cond, &cancel_lock);
	pthread_mutex_unlock(&cancel_lock);
	/* Runs once the forcer waits with the lock released. */
	ck_assert_int_eq(fake_load(ctx, "app", &ev), -EBUSY);
	pthread_join(th, NULL);
	ck_assert_int_eq(f.result, -EBUSY);
	ck_assert_str_eq(f.ev.seq, "cancel:chan held:chan");
	ck_assert_str_eq(ev.seq, "fail:app");
	mf_user_remove(u);
	ck_assert_int_eq(fake_state(ctx, "chan"), MF_STATE_STOPPED);
}
END_TEST

Suite *make_users_suite(void)
{
	Suite *s = suite_create("users");
	TCase *tc = tcase_create("users");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, admin_and_module_users);
	tcase_add_test(tc, object_user_add_remove);
	tcase_add_test(tc, soft_unload_held_by_object);
	tcase_add_test(tc, unload_not_running);
	tcase_add_test(tc, forced_unload_cancels_sync);
	tcase_add_test(tc, forced_unload_waits_for_async_cancel);
	tcase_add_test(tc, forced_unload_user_never_goes);
	tcase_add_test(tc, forced_unload_of_dependents_objects);
	tcase_add_test(tc, stop_all_leaves_user_handles_valid);
	tcase_add_test(tc, events_stay_with_their_operation);
	tcase_add_test(tc, teardown_with_users_left);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_users_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
