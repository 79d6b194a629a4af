/* SPDX-License-Identifier: MIT */
/*
 * The fake backend (see fake_backend.h).  Each fake module is the backend
 * data of one catalog entry; the catalog releases it with the context.  The
 * callbacks find their fake module by the struct mf_module they are given,
 * through a list guarded by its own mutex, so that the stress test may run
 * them on many threads (the runtime calls them with its context lock held;
 * this file never takes that lock while holding its own).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/moddir.h>

#include "fake_backend.h"

struct fake_module {
	struct mf_context *ctx;
	struct mf_module *mod;
	char *name;
	struct manifold_module desc;
	char *desc_name;
	char *signature;
	struct mf_callable callable;

	int load_err;
	int map_err;
	bool no_desc;
	bool block_unload;
	bool no_register;
	fake_load_hook on_load;
	fake_unload_hook on_unload;
	void *hook_data;

	atomic_uint maps, unmaps;
	struct fake_module *next;
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_module *all;

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static char *journal, *journal_copy;
static size_t journal_len, journal_cap;
static bool journal_off;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[65536];
static size_t log_len;

/* ---- journal ------------------------------------------------------------- */

static void journal_vadd(const char *fmt, va_list ap)
{
	char word[512];
	size_t n;

	vsnprintf(word, sizeof(word), fmt, ap);
	n = strlen(word);
	pthread_mutex_lock(&journal_lock);
	if (journal_off)
		goto out;
	if (journal_len + n + 2 > journal_cap) {
		size_t cap = journal_cap ? journal_cap * 2 : 1024;
		char *p;

		while (cap < journal_len + n + 2)
			cap *= 2;
		p = realloc(journal, cap);
		if (!p)
			goto out;
		journal = p;
		journal_cap = cap;
	}
	if (journal_len)
		journal[journal_len++] = ' ';
	memcpy(journal + journal_len, word, n + 1);
	journal_len += n;
out:
	pthread_mutex_unlock(&journal_lock);
}

void fake_journal_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	journal_vadd(fmt, ap);
	va_end(ap);
}

const char *fake_journal(void)
{
	pthread_mutex_lock(&journal_lock);
	free(journal_copy);
	journal_copy = strdup(journal_len ? journal : "");
	pthread_mutex_unlock(&journal_lock);
	return journal_copy ? journal_copy : "";
}

void fake_journal_clear(void)
{
	pthread_mutex_lock(&journal_lock);
	journal_len = 0;
	if (journal)
		journal[0] = '\0';
	pthread_mutex_unlock(&journal_lock);
}

void fake_journal_enable(bool on)
{
	pthread_mutex_lock(&journal_lock);
	journal_off = !on;
	pthread_mutex_unlock(&journal_lock);
}

/* Free what the journal holds, so that valgrind sees no leak at exit. */
__attribute__((destructor)) static void journal_free(void)
{
	free(journal);
	free(journal_copy);
	journal = journal_copy = NULL;
	journal_len = journal_cap = 0;
}

/* ---- log capture --------------------------------------------------------- */

static void capture_log(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	char msg[1024];
	size_t n;

	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	n = strlen(msg);
	pthread_mutex_lock(&log_lock);
	/* A bounded capture: tests look at recent messages only. */
	if (log_len + n + 2 > sizeof(log_buf))
		log_len = 0;
	memcpy(log_buf + log_len, msg, n);
	log_len += n;
	log_buf[log_len++] = '\n';
	log_buf[log_len] = '\0';
	pthread_mutex_unlock(&log_lock);
}

const char *fake_log(void)
{
	return log_buf;
}

void fake_log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_len = 0;
	log_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

int fake_context_new(struct mf_context **out)
{
	int err = mf_context_new(out);

	if (err < 0)
		return err;
	mf_context_set_log_fn(*out, capture_log, NULL);
	mf_context_set_log_priority(*out, MF_LOG_DEBUG);
	return 0;
}

/* ---- the fake modules ---------------------------------------------------- */

static struct fake_module *by_mod(const struct mf_module *mod)
{
	struct fake_module *fm;

	pthread_mutex_lock(&list_lock);
	for (fm = all; fm && fm->mod != mod; fm = fm->next)
		;
	pthread_mutex_unlock(&list_lock);
	return fm;
}

static struct fake_module *by_name(struct mf_context *ctx, const char *name)
{
	struct fake_module *fm;

	pthread_mutex_lock(&list_lock);
	for (fm = all; fm && (fm->ctx != ctx || strcmp(fm->name, name)); fm = fm->next)
		;
	pthread_mutex_unlock(&list_lock);
	if (!fm) {
		fprintf(stderr, "fake_backend: no fake module '%s'\n", name);
		abort();
	}
	return fm;
}

static int fake_call(struct mf_module *self, const char *args, char *out,
		     size_t outlen)
{
	snprintf(out, outlen, "%s:%s", mf_module_name(self), args);
	return 0;
}

static int register_provides(struct fake_module *fm, struct mf_module *self)
{
	const struct mf_table_ref *refs;
	size_t n = mf_module_refs(self, "provides", &refs);

	for (size_t i = 0; i < n; i++) {
		int err;

		if (strcmp(refs[i].type, "module") == 0)
			continue;
		err = mf_api_register(self, refs[i].type, refs[i].name, &fm->callable);
		if (err < 0)
			return err;
	}
	return 0;
}

static int fake_load_cb(struct mf_module *self)
{
	struct fake_module *fm = by_mod(self);
	int err;

	if (!fm)
		return -EFAULT;
	if (fm->load_err) {
		fake_journal_add("load:%s:fail", fm->name);
		/* Register first: what a failed load registered must go too. */
		if (!fm->no_register)
			register_provides(fm, self);
		return fm->load_err;
	}
	fake_journal_add("load:%s", fm->name);
	if (!fm->no_register) {
		err = register_provides(fm, self);
		if (err < 0)
			return err;
	}
	if (fm->block_unload)
		mf_module_block_unload(self);
	return fm->on_load ? fm->on_load(self, fm->hook_data) : 0;
}

static void fake_unload_cb(struct mf_module *self)
{
	struct fake_module *fm = by_mod(self);

	if (!fm)
		return;
	fake_journal_add("unload:%s", fm->name);
	if (fm->on_unload)
		fm->on_unload(self, fm->hook_data);
}

static void fake_canuse_cb(struct mf_module *self, const char *module, bool running)
{
	fake_journal_add("canuse:%s:%s:%s", mf_module_name(self), module,
			 running ? "on" : "off");
}

static int fake_map(struct mf_context *ctx, struct mf_module *mod, void *data,
		    const struct manifold_module **desc)
{
	struct fake_module *fm = data;

	(void)ctx;
	(void)mod;
	if (fm->map_err)
		return fm->map_err;
	atomic_fetch_add(&fm->maps, 1);
	*desc = fm->no_desc ? NULL : &fm->desc;
	return 0;
}

static void fake_unmap(struct mf_context *ctx, struct mf_module *mod, void *data)
{
	struct fake_module *fm = data;

	(void)ctx;
	(void)mod;
	atomic_fetch_add(&fm->unmaps, 1);
}

static void fake_module_free(struct fake_module *fm)
{
	free(fm->name);
	free(fm->desc_name);
	free(fm->signature);
	free(fm);
}

static void fake_release(void *data)
{
	struct fake_module *fm = data;
	struct fake_module **pp;

	pthread_mutex_lock(&list_lock);
	for (pp = &all; *pp; pp = &(*pp)->next) {
		if (*pp == fm) {
			*pp = fm->next;
			break;
		}
	}
	pthread_mutex_unlock(&list_lock);
	fake_module_free(fm);
}

const struct mf_backend_ops fake_backend_ops = {
	.name = "fake",
	.map = fake_map,
	.unmap = fake_unmap,
	.release = fake_release,
};

int fake_add(struct mf_context *ctx, const char *manifest, struct mf_module **out)
{
	struct mf_manifest *m = NULL;
	struct fake_module *fm;
	struct mf_module *mod;
	char err_buf[MF_ERR_MAX];
	int err;

	err = mf_manifest_parse("inline", manifest, strlen(manifest), &m, err_buf,
				sizeof(err_buf));
	if (err < 0) {
		fprintf(stderr, "fake_backend: %s\n", err_buf);
		return err;
	}
	err = -ENOMEM;
	fm = calloc(1, sizeof(*fm));
	if (!fm)
		goto err_manifest;
	fm->ctx = ctx;
	fm->name = strdup(m->name);
	if (!fm->name)
		goto err_fm;
	fm->desc.abi_version = MANIFOLD_ABI_VERSION;
	fm->desc.name = fm->name;
	fm->desc.build_signature = MANIFOLD_BUILD_SIGNATURE;
	fm->desc.load = fake_load_cb;
	fm->desc.unload = fake_unload_cb;
	fm->desc.canuse_changed = fake_canuse_cb;
	fm->callable.call = fake_call;
	fm->callable.synopsis = "echo the module name and the arguments";
	err = mf_catalog_add_manifest(ctx, m, &fake_backend_ops, fm);
	if (err < 0)
		goto err_fm;
	/* The catalog owns m and fm now. */
	err = mf_module_find(ctx, fm->name, &mod);
	if (err < 0)
		return err;
	fm->mod = mod;
	pthread_mutex_lock(&list_lock);
	fm->next = all;
	all = fm;
	pthread_mutex_unlock(&list_lock);
	if (out)
		*out = mod;
	return 0;

err_fm:
	fake_module_free(fm);
err_manifest:
	mf_manifest_free(m);
	return err;
}

int fake_add_all(struct mf_context *ctx, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *next = strstr(p + 1, "[module]");
		size_t len = next ? (size_t)(next - p) : strlen(p);
		char *one = strndup(p, len);
		int err;

		if (!one)
			return -ENOMEM;
		err = fake_add(ctx, one, NULL);
		free(one);
		if (err < 0)
			return err;
		p += len;
	}
	return 0;
}

struct mf_module *fake_mod(struct mf_context *ctx, const char *name)
{
	struct mf_module *mod;

	if (mf_module_find(ctx, name, &mod) < 0) {
		fprintf(stderr, "fake_backend: no module '%s'\n", name);
		abort();
	}
	return mod;
}

void fake_fail_load(struct mf_context *ctx, const char *name, int err)
{
	by_name(ctx, name)->load_err = err;
}

void fake_fail_map(struct mf_context *ctx, const char *name, int err)
{
	by_name(ctx, name)->map_err = err;
}

void fake_set_abi(struct mf_context *ctx, const char *name, unsigned abi)
{
	by_name(ctx, name)->desc.abi_version = abi;
}

void fake_set_signature(struct mf_context *ctx, const char *name,
			const char *signature)
{
	struct fake_module *fm = by_name(ctx, name);

	free(fm->signature);
	fm->signature = signature ? strdup(signature) : NULL;
	fm->desc.build_signature = fm->signature;
}

void fake_set_desc_name(struct mf_context *ctx, const char *name,
			const char *desc_name)
{
	struct fake_module *fm = by_name(ctx, name);

	free(fm->desc_name);
	fm->desc_name = desc_name ? strdup(desc_name) : NULL;
	fm->desc.name = fm->desc_name;
}

void fake_set_no_desc(struct mf_context *ctx, const char *name)
{
	by_name(ctx, name)->no_desc = true;
}

void fake_set_block_unload(struct mf_context *ctx, const char *name, bool on)
{
	by_name(ctx, name)->block_unload = on;
}

void fake_set_no_register(struct mf_context *ctx, const char *name)
{
	by_name(ctx, name)->no_register = true;
}

void fake_set_hooks(struct mf_context *ctx, const char *name,
		    fake_load_hook on_load, fake_unload_hook on_unload, void *data)
{
	struct fake_module *fm = by_name(ctx, name);

	fm->on_load = on_load;
	fm->on_unload = on_unload;
	fm->hook_data = data;
}

unsigned fake_maps(struct mf_context *ctx, const char *name)
{
	return atomic_load(&by_name(ctx, name)->maps);
}

unsigned fake_unmaps(struct mf_context *ctx, const char *name)
{
	return atomic_load(&by_name(ctx, name)->unmaps);
}

/* ---- events -------------------------------------------------------------- */

const char *fake_event_kind_name(enum mf_event_kind kind)
{
	switch (kind) {
	case MF_EVENT_START:
		return "start";
	case MF_EVENT_STOP:
		return "stop";
	case MF_EVENT_WOULD_START:
		return "would_start";
	case MF_EVENT_WOULD_STOP:
		return "would_stop";
	case MF_EVENT_FAIL:
		return "fail";
	case MF_EVENT_HELD:
		return "held";
	case MF_EVENT_CANCEL:
		return "cancel";
	case MF_EVENT_NOTE:
		return "note";
	}
	return "?";
}

static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

void fake_events_fn(void *data, const struct mf_event *ev)
{
	struct fake_events *e = data;
	const char *kind = fake_event_kind_name(ev->kind);

	append(e->seq, sizeof(e->seq), "%s%s:%s", e->count ? " " : "", kind,
	       ev->module);
	append(e->lines, sizeof(e->lines), "%s %s: %s\n", kind, ev->module,
	       ev->detail);
	e->count++;
}

void fake_events_clear(struct fake_events *e)
{
	e->seq[0] = '\0';
	e->lines[0] = '\0';
	e->count = 0;
}

const char *fake_events_detail(const struct fake_events *e,
			       enum mf_event_kind kind, const char *module,
			       char *buf, size_t len)
{
	char head[256];
	const char *p;

	snprintf(head, sizeof(head), "%s %s: ", fake_event_kind_name(kind), module);
	for (p = e->lines; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, head, strlen(head)) == 0) {
			const char *d = p + strlen(head);
			size_t n = strcspn(d, "\n");

			snprintf(buf, len, "%.*s", (int)n, d);
			return buf;
		}
	}
	return NULL;
}

/* ---- views --------------------------------------------------------------- */

enum mf_state fake_state(struct mf_context *ctx, const char *name)
{
	return fake_info(ctx, name).state;
}

struct mf_module_info fake_info(struct mf_context *ctx, const char *name)
{
	struct mf_module_info info;

	mf_module_info(fake_mod(ctx, name), &info);
	return info;
}

struct snap {
	char *buf;
	size_t len;
};

static int snap_one(struct mf_module *mod, void *data)
{
	struct snap *s = data;
	struct mf_module_info i;
	char line[256];
	size_t n;
	char *p;

	mf_module_info(mod, &i);
	n = (size_t)snprintf(line, sizeof(line), "%s %s users=%u refs=%u lib=%u%s\n",
			     i.name, mf_state_name(i.state), i.users, i.refs,
			     i.lib_refs, i.admin ? " admin" : "");
	p = realloc(s->buf, s->len + n + 1);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	memcpy(s->buf + s->len, line, n + 1);
	s->len += n;
	return 0;
}

char *fake_snapshot(struct mf_context *ctx)
{
	struct snap s = { 0 };

	if (mf_module_foreach(ctx, snap_one, &s) < 0) {
		free(s.buf);
		return NULL;
	}
	return s.buf ? s.buf : strdup("");
}

int fake_load_flags(struct mf_context *ctx, const char *names, unsigned flags,
		    struct fake_events *ev)
{
	/* One request per word: at most one word per two characters. */
	struct mf_request *reqs = calloc(strlen(names) / 2 + 1, sizeof(*reqs));
	char *copy = strdup(names), *save = NULL;
	size_t n = 0;
	int err = -ENOMEM;

	if (!copy || !reqs)
		goto out;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		reqs[n].name = w;
		reqs[n].why = "test";
		reqs[n].result = 1;
		n++;
	}
	err = mf_load(ctx, reqs, n, flags, ev ? fake_events_fn : NULL, ev);
out:
	free(copy);
	free(reqs);
	return err;
}

int fake_load(struct mf_context *ctx, const char *names, struct fake_events *ev)
{
	return fake_load_flags(ctx, names, 0, ev);
}

struct mf_context *fake_moddir_boot(const char *dir, unsigned flags,
				    struct fake_events *ev, int *refreshed)
{
	struct mf_context *ctx;

	if (fake_context_new(&ctx) != 0)
		return NULL;
	if (mf_moddir_set(ctx, dir, flags) != 0) {
		mf_context_unref(ctx);
		return NULL;
	}
	fake_events_clear(ev);
	*refreshed = mf_moddir_refresh(ctx, fake_events_fn, ev);
	return ctx;
}

const char *fake_description(struct mf_context *ctx, const char *name)
{
	struct mf_module_info info;
	struct mf_module *mod;

	if (mf_module_find(ctx, name, &mod) != 0)
		return "(none)";
	if (mf_module_info(mod, &info) != 0)
		return "(no info)";
	return info.description ? info.description : "";
}
