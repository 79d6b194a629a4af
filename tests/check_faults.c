/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: every allocation of an operation fails in turn.
 *
 * For each operation (load, dry-run load, unload, forced unload, a console
 * command, refresh of the module directory, listed and from its index,
 * applying a configuration and booting from it, booting an image's registry
 * table, and operations after such a boot) the walk runs it on a fresh
 * context with the 1st allocation failing (runtime/util/alloc.h's hook), then
 * the 2nd, and so on until the operation runs to its end without meeting
 * the failure.  After each run:
 *
 *  - an operation that failed left every module exactly as it was: the
 *    fields of mf_module_info (but last_error, which records the failure),
 *    its users, what it uses from whom, its ban, and the api registry;
 *  - an operation that succeeded although an allocation failed (it had a
 *    way around it) left the state a clean run leaves;
 *  - once the context is released, the runtime holds not one byte more
 *    than before it was created (mf_heap_in_use()), so nothing leaked on
 *    any failure path.
 *
 * Module callbacks fail through the fake backend (tests/fake_backend.h);
 * the walks here are the allocation side.  Run it under valgrind or
 * LeakSanitizer as well: a leak of the C library's own blocks (outside the
 * runtime's allocator) would show there.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/console.h>
#include <manifold/moddir.h>

#include "util/alloc.h"
#include "fake_backend.h"
#include "core/internal.h"
#include "loadable/loadable.h"

/*
 * top uses a, b, c; a and d use shared; b uses the function a provides; c
 * uses d, which uses deep.  bystander uses a; timer users elect the best of
 * two providers; watcher can use top.
 */
static const char graph[] =
	"[module]\nname=top\ndescription=the top\n[uses]\nmodule=a\nmodule=b\nmodule=c\n"
	"[module]\nname=a\nload_priority=10\n[uses]\nmodule=shared\n[provides]\nfunction=AFUNC\n"
	"[module]\nname=b\nload_priority=20\n[uses]\nfunction=AFUNC\nservice=timer\n"
	"[provides]\nservice=bsvc\n"
	"[module]\nname=c\nload_priority=30\nconfig=c.conf\n[uses]\nmodule=d\n"
	"[module]\nname=d\nload_priority=40\n[uses]\nmodule=deep\nmodule=shared\n"
	"[module]\nname=deep\nload_priority=50\n"
	"[module]\nname=shared\n[provides]\napplication=Shared\n"
	"[module]\nname=bystander\n[uses]\nmodule=a\n"
	"[module]\nname=t_hi\n[provides]\nservice=timer:200\n"
	"[module]\nname=t_lo\n[provides]\nservice=timer:100\n"
	"[module]\nname=watcher\n[canuse]\nmodule=top\n"
	"[module]\nname=rt\n[provides]\nrealtime=sqlite3\n"
	"[module]\nname=solo\n";

/* ---- the state of a context, as text ------------------------------------ */

struct text {
	char *buf;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		ck_assert_ptr_nonnull(t->buf);
	}
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void snap_user(void *data, const char *kind, const char *who,
		      const char *detail)
{
	add(data, "  user %s %s %s\n", kind, who, detail ? detail : "-");
}

static void snap_dep(void *data, const struct mf_table_ref *use,
		     const char *provider, unsigned priority)
{
	add(data, "  uses %s=%s from %s:%u\n", use->type, use->name,
	    provider ? provider : "-", priority);
}

static void snap_api(void *data, const char *name, const char *owner,
		     const void *iface)
{
	add(data, "api %s by %s %s\n", name, owner, iface ? "set" : "null");
}

static int snap_module(struct mf_module *mod, void *data)
{
	struct text *t = data;
	struct mf_module_info i;
	const char *ban;

	ck_assert_int_eq(mf_module_info(mod, &i), 0);
	ban = mf_module_neverload(mod);
	add(t, "%s [%s] %s level=%d prio=%u %s users=%u refs=%u lib=%u%s%s why=%s%s%s\n",
	    i.name, i.description ? i.description : "", i.backend,
	    (int)i.support_level, i.load_priority, mf_state_name(i.state), i.users,
	    i.refs, i.lib_refs, i.admin ? " admin" : "",
	    i.unload_blocked ? " blocked" : "", i.why ? i.why : "-",
	    ban ? " banned at " : "", ban ? ban : "");
	/* The index must be whole on every failure path. */
	{
		struct mf_module *found = NULL;

		if (mf_module_find(mf_module_context(mod), i.name, &found) < 0 ||
		    found != mod)
			add(t, "  not found by name\n");
	}
	mf_module_users(mod, snap_user, t);
	mf_module_deps(mod, snap_dep, t);
	/* Whether a module could start, as the resolver plans it. */
	if (i.state == MF_STATE_STOPPED) {
		char why[MF_ERR_MAX];
		int r = mf_module_can_start(mod, why, sizeof(why));

		add(t, "  can start: %d%s%s\n", r, r ? " " : "", r ? why : "");
	}
	return 0;
}

/* Every module, its users and uses, and the registry; the caller frees it. */
static char *snapshot(struct mf_context *ctx)
{
	static const char *const types[] = { "function", "application", "service",
					     "realtime" };
	struct text t = { 0 };

	add(&t, "%s", "");
	mf_context_lock(ctx);
	mf_module_foreach(ctx, snap_module, &t);
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		add(&t, "%s:\n", types[k]);
		mf_api_foreach(ctx, types[k], snap_api, &t);
	}
	mf_context_unlock(ctx);
	return t.buf;
}

/* ---- the walk ------------------------------------------------------------ */

/*
 * One scenario: @setup makes a context and brings it to the state the
 * operation starts from (no allocation fails there); @op is the operation
 * walked; @teardown returns the context to nothing before it is released.
 */
struct scenario {
	const char *name;
	void (*setup)(struct mf_context **ctx);
	int (*op)(struct mf_context *ctx);
	/* optional: a state the operation may fail into other than the one it
	 * started from (boot: the configuration applied, nothing started) */
	int (*partial)(struct mf_context *ctx);
	/*
	 * The operation is made of independent steps, each applied whole or
	 * not at all (refresh: one per file): a failed run may have applied
	 * some.  Then every line of the state is one of before or after, and
	 * running the operation once more gives the state of a clean run.
	 */
	bool stepwise;
	/*
	 * A failed run left the state as it was (as for any operation), and
	 * then the operation run again, with memory, does what a clean run
	 * does: same result, callbacks and state (an index that failed to
	 * build is built the next time it is needed).
	 */
	bool retry;
};

/*
 * Every line of @now is a line of @a or of @b, but whether a module could
 * start: that depends on the other modules (a user applied, its provider
 * not yet).
 */
static bool lines_from(const char *now, const char *a, const char *b)
{
	for (const char *p = now; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		char *line = strndup(p, len);
		bool found = strstr(a, line) || strstr(b, line) ||
			     strncmp(line, "  can start:", 12) == 0;

		if (!found)
			fprintf(stderr, "line of neither state: %s", line);
		free(line);
		if (!found)
			return false;
		p += len;
	}
	return true;
}

/* @now is @was: a failed operation changed nothing. */
static bool same_state(const char *now, const char *was)
{
	return strcmp(now, was) == 0;
}

static struct mf_context *fresh(void)
{
	struct mf_context *ctx;

	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx, graph), 0);
	/* A forced unload gives up quickly on a user that does not go. */
	mf_context_set_cancel_timeout(ctx, 20);
	return ctx;
}

/* The user of setup_stuck(), which goes only when its holder is done. */
static struct mf_user *stuck;

static void release(struct mf_context *ctx)
{
	mf_stop_all(ctx, NULL, NULL);
	/* Stopped modules left their users behind; the handles stay valid
	 * until their holders remove them. */
	mf_user_remove(stuck);
	stuck = NULL;
	ck_assert_ptr_null(mf_context_unref(ctx));
}

/* The states a clean run goes through: before, (partial,) after. */
/* The allocation the walk fails in the run under way (0: a clean run), for
 * an operation that arms the hook itself (op_boot_second()). */
static unsigned long walk_nth;

static void clean_run(const struct scenario *s, char **before, char **partial,
		      char **after, char **journal, int *result)
{
	struct mf_context *ctx;

	s->setup(&ctx);
	*before = snapshot(ctx);
	fake_journal_clear();
	walk_nth = 0;
	*result = s->op(ctx);
	*after = snapshot(ctx);
	*journal = strdup(fake_journal());
	release(ctx);
	*partial = NULL;
	if (s->partial) {
		s->setup(&ctx);
		ck_assert_int_eq(s->partial(ctx), 0);
		*partial = snapshot(ctx);
		release(ctx);
	}
}

static void walk(const struct scenario *s)
{
	char *before, *partial, *after, *journal;
	size_t heap0 = mf_heap_in_use();
	unsigned long n;
	int clean;

	clean_run(s, &before, &partial, &after, &journal, &clean);
	ck_assert_msg(mf_heap_in_use() == heap0, "%s: clean run leaked %zu bytes",
		      s->name, mf_heap_in_use() - heap0);
	for (n = 1;; n++) {
		struct mf_context *ctx;
		unsigned long count;
		char *now;
		int r;

		s->setup(&ctx);
		now = snapshot(ctx);
		ck_assert_str_eq(now, before);
		free(now);
		fake_journal_clear();
		walk_nth = n;
		mf_alloc_fail_nth(n);
		r = s->op(ctx);
		count = mf_alloc_count();
		mf_alloc_fail_nth(0);
		now = snapshot(ctx);
		if (count < n) {
			/* The operation ended before its nth allocation: the
			 * walk is over, and this run was a clean one. */
			ck_assert_int_eq(r, clean);
			ck_assert_str_eq(now, after);
			free(now);
			release(ctx);
			break;
		}
		/* Callbacks ran as in a clean run: same ones, same order. */
		if (r == clean)
			ck_assert_msg(strcmp(fake_journal(), journal) == 0,
				      "%s, allocation %lu failed: callbacks \"%s\", want \"%s\"",
				      s->name, n, fake_journal(), journal);
		if (r == clean && strcmp(now, after) != 0) {
			fprintf(stderr, "%s\n---- want:\n%s", now, after);
			ck_abort_msg("%s, allocation %lu failed, result %d as a clean "
				     "run, but the state differs (see stderr)",
				     s->name, n, r);
		}
		if (r != clean && s->stepwise) {
			ck_assert_msg(r == -ENOMEM, "%s, allocation %lu failed: result %d",
				      s->name, n, r);
			ck_assert_msg(lines_from(now, before, after),
				      "%s, allocation %lu failed: a step was half done",
				      s->name, n);
			free(now);
			s->op(ctx);
			now = snapshot(ctx);
			if (strcmp(now, after) != 0) {
				fprintf(stderr, "%s\n---- want:\n%s", now, after);
				ck_abort_msg("%s, allocation %lu failed: running it again "
					     "did not finish the job", s->name, n);
			}
		} else if (r != clean && !same_state(now, before) &&
		    !(partial && same_state(now, partial))) {
			fprintf(stderr, "%s\n---- was:\n%s", now, before);
			ck_abort_msg("%s, allocation %lu failed (result %d): the state "
				     "changed (see stderr)", s->name, n, r);
		}
		if (r != clean && !s->stepwise && s->retry) {
			free(now);
			fake_journal_clear();
			r = s->op(ctx);
			now = snapshot(ctx);
			ck_assert_msg(r == clean, "%s, allocation %lu failed: run again, "
				      "result %d, want %d", s->name, n, r, clean);
			ck_assert_msg(strcmp(fake_journal(), journal) == 0,
				      "%s, allocation %lu failed: run again, callbacks "
				      "\"%s\", want \"%s\"", s->name, n, fake_journal(),
				      journal);
			if (strcmp(now, after) != 0) {
				fprintf(stderr, "%s\n---- want:\n%s", now, after);
				ck_abort_msg("%s, allocation %lu failed: running it again "
					     "did not give a clean run's state", s->name, n);
			}
		}
		free(now);
		release(ctx);
		ck_assert_msg(mf_heap_in_use() == heap0,
			      "%s, allocation %lu failed: %zu bytes leaked", s->name, n,
			      mf_heap_in_use() - heap0);
	}
	/* Each test runs in a process of its own: say it here. */
	printf("faults: %-40s %3lu failure points, result %d", s->name, n - 1, clean);
	printf("\n");
	fflush(stdout);
	free(before);
	free(partial);
	free(after);
	free(journal);
}

/* ---- scenarios ------------------------------------------------------------ */

static void setup_empty(struct mf_context **ctx)
{
	*ctx = fresh();
}

/* shared and bystander (so a) run; the timers are loaded too. */
static void setup_some(struct mf_context **ctx)
{
	*ctx = fresh();
	ck_assert_int_eq(fake_load(*ctx, "shared bystander t_lo watcher", NULL), 0);
}

static void setup_top(struct mf_context **ctx)
{
	setup_some(ctx);
	ck_assert_int_eq(fake_load(*ctx, "top", NULL), 0);
}

static void cancel_now(struct mf_user *user, void *data)
{
	(void)data;
	mf_user_remove(user);
}

static void cancel_never(struct mf_user *user, void *data)
{
	(void)user;
	(void)data;
}

/* top runs, and shared has an object user that goes when asked. */
static void setup_users(struct mf_context **ctx)
{
	struct mf_user *u;

	setup_top(ctx);
	ck_assert_int_eq(mf_user_add(fake_mod(*ctx, "shared"), "channel 1",
				     cancel_now, NULL, &u), 0);
}

static int op_load_top(struct mf_context *ctx)
{
	return fake_load(ctx, "top", NULL);
}

static int op_load_several(struct mf_context *ctx)
{
	return fake_load(ctx, "b solo rt", NULL);
}

static int op_dry_run(struct mf_context *ctx)
{
	static struct fake_events ev;

	/* The events are what a dry run is for: they go somewhere. */
	fake_events_clear(&ev);
	return fake_load_flags(ctx, "top", MF_OP_DRY_RUN, &ev);
}

static int op_unload_top(struct mf_context *ctx)
{
	return mf_unload(ctx, "top", 0, NULL, NULL);
}

static int op_unload_held(struct mf_context *ctx)
{
	/* a is held by bystander and top: only the admin's hold goes */
	return mf_unload(ctx, "shared", 0, NULL, NULL);
}

static int op_force_shared(struct mf_context *ctx)
{
	return mf_unload(ctx, "shared", MF_OP_FORCE, NULL, NULL);
}

static int op_force_deep(struct mf_context *ctx)
{
	return mf_unload(ctx, "deep", MF_OP_FORCE, NULL, NULL);
}

static void discard(void *data, const char *text)
{
	(void)data;
	(void)text;
}

static int op_console_load(struct mf_context *ctx)
{
	return mf_console_exec(ctx, "module load top solo", discard, NULL);
}

static int op_console_why(struct mf_context *ctx)
{
	return mf_console_exec(ctx, "module why d", discard, NULL);
}

static int op_console_show(struct mf_context *ctx)
{
	return mf_console_exec(ctx, "module show -j", discard, NULL);
}

static int op_console_graph(struct mf_context *ctx)
{
	return mf_console_exec(ctx, "module graph", discard, NULL);
}

/* ---- boot ------------------------------------------------------------------ */

static const char boot_conf[] =
	"[modules]\nautoload=no\nrequire=top\nload=solo\nneverload=watcher\n"
	"[uses]\nbystander=t_hi\ntype=function\ndeep=AFUNC\n";
static const char boot_ext[] = "[settings]\nc.conf => sqlite3,db\n";

static struct mf_config *parse_config(const char *conf, const char *ext)
{
	struct mf_config *cfg;
	char err[MF_ERR_MAX];

	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_msg(mf_config_parse_modules(cfg, "faults/modules.conf", conf,
					      strlen(conf), err, sizeof(err)) == 0,
		      "%s", err);
	if (ext)
		ck_assert_msg(mf_config_parse_extconfig(cfg, "faults/extconfig.conf", ext,
							strlen(ext), err, sizeof(err)) == 0,
			      "%s", err);
	return cfg;
}

/* The configuration is parsed outside the walk: parsing has walks of its own
 * (check_config's allocation tests). */
static struct mf_config *boot_cfg;

static int op_apply(struct mf_context *ctx)
{
	return mf_config_apply(ctx, boot_cfg, NULL, NULL);
}

static int op_apply_boot(struct mf_context *ctx)
{
	int err = mf_config_apply(ctx, boot_cfg, NULL, NULL);

	return err < 0 ? err : mf_boot(ctx, boot_cfg, NULL, NULL);
}

static void with_boot_cfg(const struct scenario *s, const char *conf, const char *ext)
{
	boot_cfg = parse_config(conf, ext);
	walk(s);
	mf_config_free(boot_cfg);
	boot_cfg = NULL;
}

/* ---- catalog ---------------------------------------------------------------- */

/* The administrator has [uses] lines for a module the catalog gets later. */
static void setup_admin_uses(struct mf_context **ctx)
{
	struct mf_config *cfg = parse_config("[modules]\nautoload=no\n[uses]\n"
					     "newmod=solo\ntype=function\nnewmod=AFUNC\n",
					     NULL);

	*ctx = fresh();
	ck_assert_int_eq(mf_config_apply(*ctx, cfg, NULL, NULL), 0);
	mf_config_free(cfg);
}

static int op_catalog_add(struct mf_context *ctx)
{
	return fake_add(ctx, "[module]\nname=newmod\n[uses]\nmodule=shared\n"
			"[canuse]\nservice=timer\n[provides]\nservice=news:5\n", NULL);
}

/* ---- an image's table -------------------------------------------------------- */

/*
 * The image's own registry table (catalog.c), as `manifold-gen registry`
 * writes it: gamma uses beta and delta, beta uses
 * alpha and the function alpha provides, alpha and delta use service=clock,
 * which clk_b gives at 200 and clk_a at 100.  gamma can use clk_a and the
 * clock but is never told (no canuse_changed).  mlater is built loadable
 * (m): in the table, not in the
 * catalog.  solo starts last (load priority 250) and fails when asked to.
 */
static const struct mf_table_ref alpha_uses[] = { { "service", "clock", 0 } };
static const struct mf_table_ref alpha_prov[] = { { "function", "AF", 0 } };
static const struct mf_table_ref beta_uses[] = { { "module", "alpha", 0 },
						 { "function", "AF", 0 } };
static const struct mf_table_ref clk_a_prov[] = { { "service", "clock", 100 } };
static const struct mf_table_ref clk_b_prov[] = { { "service", "clock", 200 } };
static const struct mf_table_ref delta_uses[] = { { "service", "clock", 0 } };
static const struct mf_table_ref gamma_uses[] = { { "module", "beta", 0 },
						  { "module", "delta", 0 } };
static const struct mf_table_ref gamma_canuse[] = { { "module", "clk_a", 0 },
						    { "service", "clock", 0 } };
static const struct mf_table_ref mlater_uses[] = { { "module", "alpha", 0 } };
static const struct mf_table_ref mlater_prov[] = { { "service", "extra", 0 } };
static const char *const delta_configs[] = { "delta.conf" };

static bool solo_fails;
static const int table_iface = 1;

/* As the fake backend's modules do: journalled, [provides] registered. */
static int table_load(struct mf_module *self)
{
	const struct mf_table_ref *refs;
	size_t n = mf_module_refs(self, "provides", &refs);

	if (solo_fails && strcmp(mf_module_name(self), "solo") == 0) {
		fake_journal_add("load:solo:fail");
		return -EIO;
	}
	fake_journal_add("load:%s", mf_module_name(self));
	for (size_t i = 0; i < n; i++) {
		int err;

		if (strcmp(refs[i].type, "module") == 0)
			continue;
		err = mf_api_register(self, refs[i].type, refs[i].name, &table_iface);
		if (err < 0)
			return err;
	}
	return 0;
}

static void table_unload(struct mf_module *self)
{
	fake_journal_add("unload:%s", mf_module_name(self));
}

#define TABLE_DESC(n) { MANIFOLD_ABI_VERSION, n, MANIFOLD_BUILD_SIGNATURE, \
			table_load, table_unload, NULL }
static const struct manifold_module table_descs[] = {
	TABLE_DESC("alpha"), TABLE_DESC("beta"), TABLE_DESC("clk_a"),
	TABLE_DESC("clk_b"), TABLE_DESC("delta"), TABLE_DESC("gamma"),
	TABLE_DESC("solo"),
};

#define N_REFS(a) (unsigned)(sizeof(a) / sizeof((a)[0]))
static const struct mf_table_module table_mods[] = {
	{ .name = "alpha", .description = "", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .uses = alpha_uses,
	  .n_uses = N_REFS(alpha_uses), .provides = alpha_prov,
	  .n_provides = N_REFS(alpha_prov), .descriptor = &table_descs[0] },
	{ .name = "beta", .description = "", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .uses = beta_uses,
	  .n_uses = N_REFS(beta_uses), .descriptor = &table_descs[1] },
	{ .name = "clk_a", .description = "", .checksum = "", .load_priority = 10,
	  .provides = clk_a_prov, .n_provides = N_REFS(clk_a_prov),
	  .descriptor = &table_descs[2] },
	{ .name = "clk_b", .description = "", .checksum = "", .load_priority = 10,
	  .provides = clk_b_prov, .n_provides = N_REFS(clk_b_prov),
	  .descriptor = &table_descs[3] },
	{ .name = "delta", .description = "", .checksum = "", .load_priority = 20,
	  .configs = delta_configs, .n_configs = 1, .uses = delta_uses,
	  .n_uses = N_REFS(delta_uses), .descriptor = &table_descs[4] },
	{ .name = "gamma", .description = "the top", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .uses = gamma_uses,
	  .n_uses = N_REFS(gamma_uses), .canuse = gamma_canuse,
	  .n_canuse = N_REFS(gamma_canuse), .descriptor = &table_descs[5] },
	{ .name = "mlater", .description = "", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .uses = mlater_uses,
	  .n_uses = N_REFS(mlater_uses), .provides = mlater_prov,
	  .n_provides = N_REFS(mlater_prov), .descriptor = NULL },
	{ .name = "solo", .description = "", .checksum = "", .load_priority = 250,
	  .descriptor = &table_descs[6] },
};

/* Sorted by (type, name, priority descending, module). */
static const struct mf_table_provider table_provs[] = {
	{ "function", "AF", 0, 0 },
	{ "module", "alpha", 0, 0 }, { "module", "beta", 0, 1 },
	{ "module", "clk_a", 0, 2 }, { "module", "clk_b", 0, 3 },
	{ "module", "delta", 0, 4 }, { "module", "gamma", 0, 5 },
	{ "module", "mlater", 0, 6 }, { "module", "solo", 0, 7 },
	{ "service", "clock", 200, 3 }, { "service", "clock", 100, 2 },
	{ "service", "extra", 0, 6 },
};

/*
 * The boot of this table starts the clocks first (10), then delta (20),
 * alpha, beta, gamma (128), solo (250); delta's and alpha's clock is
 * clk_b, the better one.
 */
static const struct mf_table planned_table = {
	.version = MF_TABLE_VERSION, .modules = table_mods,
	.n_modules = N_REFS(table_mods), .providers = table_provs,
	.n_providers = N_REFS(table_provs)
};

static struct mf_context *fresh_table(const struct mf_table *table)
{
	struct mf_context *ctx;

	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(mf_catalog_add_table(ctx, table), 0);
	mf_context_set_cancel_timeout(ctx, 20);
	return ctx;
}

/* The default configuration (autoload, nothing else), applied. */
static struct mf_config *default_cfg(struct mf_context *ctx)
{
	struct mf_config *cfg;

	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, NULL, NULL), 0);
	return cfg;
}

/* Only the table, no configuration yet. */
static void setup_table(struct mf_context **ctx)
{
	*ctx = fresh_table(&planned_table);
}

/* The boot about to be walked: the default configuration applied. */
static void setup_table_cfg(struct mf_context **ctx)
{
	*ctx = fresh_table(&planned_table);
	mf_config_free(default_cfg(*ctx));
}

static int op_boot(struct mf_context *ctx)
{
	return mf_boot(ctx, boot_cfg, NULL, NULL);
}

/* The boot done: every module runs. */
static void setup_planned(struct mf_context **ctx)
{
	struct mf_config *cfg;

	*ctx = fresh_table(&planned_table);
	cfg = default_cfg(*ctx);
	ck_assert_int_eq(mf_boot(*ctx, cfg, NULL, NULL), 0);
	mf_config_free(cfg);
}

/* solo's state + 1, found without a lookup by name. */
static int solo_state(struct mf_module *mod, void *data)
{
	struct mf_module_info i;

	(void)data;
	if (strcmp(mf_module_name(mod), "solo") != 0)
		return 0;
	ck_assert_int_eq(mf_module_info(mod, &i), 0);
	return (int)i.state + 1;
}

/* The same, solo failing: the last to start; it stays stopped. */
static void setup_planned_solo_failed(struct mf_context **ctx)
{
	struct mf_config *cfg;

	*ctx = fresh_table(&planned_table);
	cfg = default_cfg(*ctx);
	solo_fails = true;
	ck_assert_int_eq(mf_boot(*ctx, cfg, NULL, NULL), -EIO);
	solo_fails = false;
	mf_config_free(cfg);
	ck_assert_int_eq(mf_module_foreach(*ctx, solo_state, NULL), MF_STATE_STOPPED + 1);
}

static int op_load_solo(struct mf_context *ctx)
{
	return fake_load(ctx, "solo", NULL);
}

static int op_unload_gamma(struct mf_context *ctx)
{
	return mf_unload(ctx, "gamma", 0, NULL, NULL);
}

static int op_force_clk_b(struct mf_context *ctx)
{
	return mf_unload(ctx, "clk_b", MF_OP_FORCE, NULL, NULL);
}

static int op_console_why_gamma(struct mf_context *ctx)
{
	return mf_console_exec(ctx, "module why gamma", discard, NULL);
}

static int op_console_deps_solo(struct mf_context *ctx)
{
	return mf_console_exec(ctx, "module deps solo", discard, NULL);
}

static void count_provider(void *data, struct mf_module *provider, unsigned priority)
{
	(void)provider;
	(void)priority;
	++*(unsigned *)data;
}

static int op_providers(struct mf_context *ctx)
{
	unsigned n = 0;
	int err = mf_providers_foreach(ctx, "service", "clock", count_provider, &n);

	return err < 0 ? err : (int)n;
}

/* Bans and [uses] lines naming the table's modules. */
static const char items_conf[] =
	"[modules]\nneverload=solo\n[uses]\ndelta=clk_a\ntype=function\ngamma=AF\n";

/* What a boot did, for comparisons; @ctx is released. */
static char *boot_and_snapshot(const struct mf_table *table, char **journal)
{
	struct mf_context *ctx = fresh_table(table);
	struct mf_config *cfg = default_cfg(ctx);
	char *snap;

	fake_journal_clear();
	ck_assert_int_eq(mf_boot(ctx, cfg, NULL, NULL), 0);
	*journal = strdup(fake_journal());
	snap = snapshot(ctx);
	mf_config_free(cfg);
	release(ctx);
	return snap;
}

/* ---- module directory -------------------------------------------------------- */

static char moddir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", moddir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
}

static void remove_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", moddir, name);
	unlink(path);
}

static const char *const moddir_files[] = {
	"la.manifest", "lb.manifest", "gone.manifest", "keep.manifest",
	"Bad.manifest", "other.manifest", "solo.manifest",
};

/*
 * The directory as the first refresh found it: gone, keep and a refused
 * file; then changed as an administrator would, for the refresh walked:
 * two new modules (one using the other), one removed, a new checksum, a bad
 * name, a manifest naming another module, a name the catalog has.
 */
static void setup_moddir(struct mf_context **ctx)
{
	char pattern[] = "/tmp/mf-faults-XXXXXX";

	if (!moddir[0]) {
		ck_assert_ptr_nonnull(mkdtemp(pattern));
		snprintf(moddir, sizeof(moddir), "%s", pattern);
	}
	for (size_t i = 0; i < sizeof(moddir_files) / sizeof(moddir_files[0]); i++)
		remove_file(moddir_files[i]);
	write_file("gone.manifest", "[module]\nname=gone\n");
	write_file("keep.manifest", "[module]\nname=keep\nchecksum=00\n");
	write_file("other.manifest", "[module]\nname=someone\n");
	*ctx = fresh();
	ck_assert_int_eq(mf_moddir_set(*ctx, moddir, 0), 0);
	ck_assert_int_ge(mf_moddir_refresh(*ctx, NULL, NULL), 0);
	remove_file("gone.manifest");
	write_file("keep.manifest", "[module]\nname=keep\nchecksum=11\n");
	write_file("la.manifest", "[module]\nname=la\n[provides]\nservice=lsvc\n");
	write_file("lb.manifest", "[module]\nname=lb\ndescription=uses la\n[uses]\nservice=lsvc\n");
	write_file("Bad.manifest", "[module]\nname=bad\n");
	write_file("solo.manifest", "[module]\nname=solo\n");
}

static int op_refresh(struct mf_context *ctx)
{
	return mf_moddir_refresh(ctx, NULL, NULL);
}

static void moddir_cleanup(void)
{
	for (size_t i = 0; i < sizeof(moddir_files) / sizeof(moddir_files[0]); i++)
		remove_file(moddir_files[i]);
	if (moddir[0])
		rmdir(moddir);
	moddir[0] = '\0';
}

/*
 * Files the directory was given: two modules, and four files refused (a
 * name that is no module name, a manifest of another module, a name the
 * image has built in, a manifest others may write).
 */
static const char *const dir_files[] = {
	"la.manifest", "lb.manifest", "Bad.manifest", "other.manifest",
	"solo.manifest", "open.manifest",
};

static void write_dir_files(void)
{
	char pattern[] = "/tmp/mf-faults-XXXXXX", path[256];

	ck_assert_ptr_nonnull(mkdtemp(pattern));
	snprintf(moddir, sizeof(moddir), "%s", pattern);
	write_file("la.manifest", "[module]\nname=la\n[provides]\nservice=lsvc\n");
	write_file("lb.manifest", "[module]\nname=lb\n[uses]\nservice=lsvc\n");
	write_file("Bad.manifest", "[module]\nname=bad\n");
	write_file("other.manifest", "[module]\nname=someone\n");
	write_file("solo.manifest", "[module]\nname=solo\n");
	/* Refused for its mode. */
	write_file("open.manifest", "[module]\nname=open\n");
	snprintf(path, sizeof(path), "%s/open.manifest", moddir);
	ck_assert_int_eq(chmod(path, 0664), 0);
}

static void dir_files_cleanup(void)
{
	char path[256];

	for (size_t i = 0; i < sizeof(dir_files) / sizeof(dir_files[0]); i++)
		remove_file(dir_files[i]);
	snprintf(path, sizeof(path), "%s/modules.index", moddir);
	unlink(path);
	rmdir(moddir);
	moddir[0] = '\0';
}

/* A context that has not read the directory yet: the walk's refresh reads
 * every file, and the files it could not read it must read next time. */
static void setup_dir_files(struct mf_context **ctx)
{
	*ctx = fresh();
	ck_assert_int_eq(mf_moddir_set(*ctx, moddir, 0), 0);
}

/* ---- module files ---------------------------------------------------------- */

/*
 * The fixtures of tests/fixtures/ (MANIFOLD_FIXTURES, built by `make
 * unit-tests`) resolve the journal and this knob from the test program,
 * which is linked with -rdynamic as the image is.
 */
int fx_load_error(const char *module);

int fx_load_error(const char *module)
{
	(void)module;
	return 0;
}

static void copy_fixture(const char *name, const char *suffix)
{
	char from[512], to[512], buf[65536];
	FILE *in, *out;
	size_t n;

	snprintf(from, sizeof(from), "%s/%s%s", getenv("MANIFOLD_FIXTURES"), name, suffix);
	snprintf(to, sizeof(to), "%s/%s%s", moddir, name, suffix);
	in = fopen(from, "rb");
	ck_assert_msg(in != NULL, "%s: missing (make unit-tests builds it)", from);
	out = fopen(to, "wb");
	ck_assert_ptr_nonnull(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(chmod(to, 0644), 0);
}

static const char *const fx_names[] = { "fx_base", "fx_mid", "fx_top" };

/* fx_top uses fx_mid, which uses fx_base: three files to check and map. */
static void setup_files(struct mf_context **ctx)
{
	char pattern[] = "/tmp/mf-faults-XXXXXX";

	if (!moddir[0]) {
		ck_assert_ptr_nonnull(mkdtemp(pattern));
		snprintf(moddir, sizeof(moddir), "%s", pattern);
		for (size_t i = 0; i < sizeof(fx_names) / sizeof(fx_names[0]); i++) {
			copy_fixture(fx_names[i], ".so");
			copy_fixture(fx_names[i], ".manifest");
		}
	}
	*ctx = fresh();
	ck_assert_int_eq(mf_moddir_set(*ctx, moddir, 0), 0);
	ck_assert_int_ge(mf_moddir_refresh(*ctx, NULL, NULL), 0);
}

static int op_load_file(struct mf_context *ctx)
{
	return fake_load(ctx, "fx_top", NULL);
}

static void files_cleanup(void)
{
	char path[512];

	for (size_t i = 0; i < sizeof(fx_names) / sizeof(fx_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.so", moddir, fx_names[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.manifest", moddir, fx_names[i]);
		unlink(path);
	}
	rmdir(moddir);
	moddir[0] = '\0';
}

/* ---- tests ------------------------------------------------------------------- */

/* A board without loadable modules (CONFIG_MODULES=n) has no directory. */
static bool have_moddir(void)
{
	struct mf_context *ctx;
	bool ok;

	ck_assert_int_eq(mf_context_new(&ctx), 0);
	ok = mf_moddir_set(ctx, "/nonexistent", 0) == 0;
	mf_context_unref(ctx);
	return ok;
}

/* The refresh walks need a module directory; a board without says so. */
static bool refresh_walks_apply(void)
{
	if (have_moddir())
		return true;
	printf("faults: refresh: no loadable modules on this board, walk skipped\n");
	return false;
}

static void teardown(void)
{
	mf_alloc_fail_nth(0);
}

START_TEST(load_from_nothing)
{
	walk(&(struct scenario){ .name = "load top", .setup = setup_empty, .op = op_load_top });
}
END_TEST

START_TEST(load_beside_running)
{
	walk(&(struct scenario){ .name = "load top beside running modules", .setup = setup_some,
				 .op = op_load_top });
}
END_TEST

START_TEST(load_several)
{
	walk(&(struct scenario){ .name = "load b solo rt", .setup = setup_some,
				 .op = op_load_several });
}
END_TEST

START_TEST(dry_run)
{
	walk(&(struct scenario){ .name = "load -n top", .setup = setup_some, .op = op_dry_run });
}
END_TEST

START_TEST(unload_cascade)
{
	walk(&(struct scenario){ .name = "unload top", .setup = setup_top, .op = op_unload_top });
}
END_TEST

START_TEST(unload_held)
{
	walk(&(struct scenario){ .name = "unload shared (held)", .setup = setup_top,
				 .op = op_unload_held });
}
END_TEST

START_TEST(forced_unload)
{
	walk(&(struct scenario){ .name = "unload -f shared", .setup = setup_users,
				 .op = op_force_shared });
}
END_TEST

START_TEST(console_commands)
{
	walk(&(struct scenario){ .name = "console: module load", .setup = setup_some,
				 .op = op_console_load });
	walk(&(struct scenario){ .name = "console: module why", .setup = setup_top,
				 .op = op_console_why });
	walk(&(struct scenario){ .name = "console: module show -j", .setup = setup_top,
				 .op = op_console_show });
	walk(&(struct scenario){ .name = "console: module graph", .setup = setup_top,
				 .op = op_console_graph });
}
END_TEST

START_TEST(load_files)
{
	if (!have_moddir() || !getenv("MANIFOLD_FIXTURES")) {
		printf("faults: module files: no fixtures here (MANIFOLD_FIXTURES unset "
		       "or no loadable modules), walk skipped\n");
		return;
	}
	walk(&(struct scenario){ .name = "load fx_top (module files)",
				 .setup = setup_files, .op = op_load_file });
	files_cleanup();
}
END_TEST

START_TEST(refresh)
{
	if (!refresh_walks_apply())
		return;
	walk(&(struct scenario){ .name = "refresh", .setup = setup_moddir, .op = op_refresh,
				 .stepwise = true });
	moddir_cleanup();
}
END_TEST

/*
 * A refresh of a directory that did not change: no change, nothing said,
 * and not one allocation (counted with a hook that never fails).
 */
static void assert_quiet_refresh(struct mf_context *ctx)
{
	static struct fake_events ev;
	unsigned long count;
	int r;

	fake_events_clear(&ev);
	mf_alloc_fail_nth(ULONG_MAX);
	r = mf_moddir_refresh(ctx, fake_events_fn, &ev);
	count = mf_alloc_count();
	mf_alloc_fail_nth(0);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(ev.count, 0);
	ck_assert_msg(count == 0, "refresh of an unchanged directory: %lu allocations", count);
}

/*
 * A file not read for lack of memory is not taken as read: each failure
 * point of a first refresh (which lists the directory and writes its
 * index), and the refresh after it adds what the failed one did not.  And a
 * directory that did not change costs a refresh no allocation at all.
 */
START_TEST(refresh_listed)
{
	static struct fake_events ev;
	struct mf_context *ctx;
	char path[256];

	if (!refresh_walks_apply())
		return;
	write_dir_files();
	walk(&(struct scenario){ .name = "refresh (directory listed)", .setup = setup_dir_files,
				 .op = op_refresh, .stepwise = true });

	snprintf(path, sizeof(path), "%s/modules.index", moddir);
	unlink(path);
	setup_dir_files(&ctx);
	fake_events_clear(&ev);
	ck_assert_int_eq(mf_moddir_refresh(ctx, fake_events_fn, &ev), 2); /* la, lb */
	ck_assert_uint_eq(ev.count, 4); /* refused: Bad, open, other, solo */
	assert_quiet_refresh(ctx);
	release(ctx);
	dir_files_cleanup();
}
END_TEST

/*
 * A boot from the directory's index: out of memory anywhere in reading it,
 * the boot says -ENOMEM or ends as a clean one, and the refresh after it
 * finishes the job.  A boot that finds the index current lists nothing.
 */
START_TEST(refresh_indexed)
{
	struct mf_context *ctx;
	unsigned listings, reads;

	if (!refresh_walks_apply())
		return;
	write_dir_files();
	/* The index, written by a first boot. */
	setup_dir_files(&ctx);
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 2);
	release(ctx);
	walk(&(struct scenario){ .name = "refresh (from the index)", .setup = setup_dir_files,
				 .op = op_refresh, .stepwise = true });

	setup_dir_files(&ctx);
	/* la and lb; solo is a name the image has built in: refused. */
	ck_assert_int_eq(mf_moddir_refresh(ctx, NULL, NULL), 2);
	mf_moddir_counts(ctx, &listings, &reads);
	ck_assert_uint_eq(listings, 0);
	ck_assert_uint_eq(reads, 1);
	assert_quiet_refresh(ctx);
	release(ctx);
	dir_files_cleanup();
}
END_TEST

START_TEST(catalog_add)
{
	walk(&(struct scenario){ .name = "catalog add (with admin uses)",
				 .setup = setup_admin_uses, .op = op_catalog_add });
}
END_TEST

START_TEST(config_apply)
{
	with_boot_cfg(&(struct scenario){ .name = "config apply", .setup = setup_empty,
					  .op = op_apply },
		      boot_conf, boot_ext);
}
END_TEST

START_TEST(boot_require)
{
	/* A boot that fails has either not applied the configuration (apply
	 * failed) or applied it and started nothing (a require= failed). */
	with_boot_cfg(&(struct scenario){ .name = "apply + boot", .setup = setup_empty,
					  .op = op_apply_boot, .partial = op_apply },
		      boot_conf, boot_ext);
}
END_TEST

START_TEST(boot_autoload)
{
	/* autoload and load= lines are one mf_load(): out of memory, it
	 * starts nothing. */
	with_boot_cfg(&(struct scenario){ .name = "apply + boot (autoload)",
					  .setup = setup_empty, .op = op_apply_boot,
					  .partial = op_apply },
		      "[modules]\nautoload=yes\nload=solo\nneverload=watcher\n"
		      "neverload=t_lo\n[uses]\nsolo=rt\n", NULL);
}
END_TEST

/* ---- booting a table ------------------------------------------------------------ */

/* The lines of module @name in snapshot @snap: its own and the indented
 * ones after it.  The caller frees them. */
static char *module_lines(const char *snap, const char *name)
{
	size_t len = strlen(name);
	const char *p = snap, *end;

	while (strncmp(p, name, len) != 0 || p[len] != ' ') {
		p = strchr(p, '\n');
		ck_assert_msg(p != NULL, "%s: not in the snapshot", name);
		p++;
	}
	for (end = strchr(p, '\n'); end && end[1] == ' '; end = strchr(end + 1, '\n'))
		;
	return strndup(p, end ? (size_t)(end - p + 1) : strlen(p));
}

/* A table boots in its order, each [uses] line given its best provider. */
START_TEST(table_boot_order)
{
	char *snap, *journal;
	const char *delta;

	snap = boot_and_snapshot(&planned_table, &journal);
	ck_assert_str_eq(journal, "load:clk_a load:clk_b load:delta load:alpha "
				  "load:beta load:gamma load:solo");
	/* Every module runs. */
	ck_assert_ptr_null(strstr(snap, " stopped "));
	delta = module_lines(snap, "delta");
	ck_assert_msg(strstr(delta, "  uses service=clock from clk_b:200\n"), "%s", delta);
	free((char *)delta);
	free(snap);
	free(journal);
}
END_TEST

START_TEST(table_boot)
{
	ck_assert_int_eq(mf_config_new(&boot_cfg), 0);
	walk(&(struct scenario){ .name = "boot (table)", .setup = setup_table_cfg,
				 .op = op_boot });
	mf_config_free(boot_cfg);
	boot_cfg = NULL;
}
END_TEST

/* Operations after a table's boot. */
START_TEST(first_lookup)
{
	walk(&(struct scenario){ .name = "load solo (after a table boot)",
				 .setup = setup_planned_solo_failed, .op = op_load_solo,
				 .retry = true });
	walk(&(struct scenario){ .name = "unload gamma (after a table boot)",
				 .setup = setup_planned, .op = op_unload_gamma,
				 .retry = true });
	walk(&(struct scenario){ .name = "unload -f clk_b (after a table boot)",
				 .setup = setup_planned, .op = op_force_clk_b,
				 .retry = true });
	walk(&(struct scenario){ .name = "console: module why gamma (table)",
				 .setup = setup_planned, .op = op_console_why_gamma,
				 .retry = true });
	walk(&(struct scenario){ .name = "console: module deps solo (table)",
				 .setup = setup_planned_solo_failed,
				 .op = op_console_deps_solo, .retry = true });
	walk(&(struct scenario){ .name = "providers of clock (table)",
				 .setup = setup_planned, .op = op_providers,
				 .retry = true });
}
END_TEST

static void keep_text(void *data, const char *text)
{
	strncat(data, text, 511 - strlen(data));
}

/*
 * Out of memory, the console never says that a module that exists does not
 * (it used to ask again, and the second try found it).  Each allocation
 * fails in turn.
 */
START_TEST(console_never_says_no_such_module)
{
	static const char *const cmds[] = { "module why gamma", "module deps gamma",
					    "module users gamma" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		for (unsigned long n = 1; n < 64; n++) {
			struct mf_context *ctx;
			char out[512] = "";

			setup_planned(&ctx);
			mf_alloc_fail_nth(n);
			mf_console_exec(ctx, cmds[i], keep_text, out);
			mf_alloc_fail_nth(0);
			ck_assert_msg(!strstr(out, "no such module"),
				      "%s, allocation %lu failed: %s", cmds[i], n, out);
			release(ctx);
		}
	}
}
END_TEST

START_TEST(apply_table)
{
	with_boot_cfg(&(struct scenario){ .name = "config apply (table)",
					  .setup = setup_table, .op = op_apply,
					  .retry = true },
		      items_conf, NULL);
}
END_TEST

/* A user that never goes: the forced unload gives up and says so, still
 * without a leak or a change, on every failure point. */
static void setup_stuck(struct mf_context **ctx)
{
	setup_top(ctx);
	ck_assert_int_eq(mf_user_add(fake_mod(*ctx, "deep"), "stuck call", cancel_never,
				     NULL, &stuck), 0);
}

static int op_stop_all(struct mf_context *ctx)
{
	mf_stop_all(ctx, NULL, NULL);
	return 0;
}

/* Shutdown needs no memory: without it, modules still stop in reverse
 * start order and every user is let go. */
START_TEST(stop_all)
{
	walk(&(struct scenario){ .name = "stop all", .setup = setup_users, .op = op_stop_all });
	walk(&(struct scenario){ .name = "stop all (user never goes)", .setup = setup_stuck,
				 .op = op_stop_all });
}
END_TEST

START_TEST(forced_unload_stuck_user)
{
	walk(&(struct scenario){ .name = "unload -f deep (user never goes)",
				 .setup = setup_stuck, .op = op_force_deep });
}
END_TEST

/* What the administrator is told when the loader runs out of memory. */
START_TEST(out_of_memory_is_reported)
{
	struct mf_context *ctx = fresh();
	static struct fake_events ev;
	char buf[MF_ERR_MAX];
	size_t heap0;
	char *before, *after;

	before = snapshot(ctx);
	heap0 = mf_heap_in_use();
	fake_events_clear(&ev);
	fake_journal_clear();
	/* The 1st allocation is the request list (nothing reported yet); the
	 * 2nd is the first of the load itself. */
	mf_alloc_fail_nth(2);
	ck_assert_int_eq(fake_load(ctx, "top", &ev), -ENOMEM);
	mf_alloc_fail_nth(0);
	ck_assert_str_eq(fake_events_detail(&ev, MF_EVENT_FAIL, "top", buf, sizeof(buf)),
			 "out of memory: nothing of this load was started");
	ck_assert_str_eq(fake_journal(), "");
	after = snapshot(ctx);
	ck_assert_str_eq(after, before);
	/* All that stays is why top did not start (its last error). */
	ck_assert_str_eq(fake_info(ctx, "top").last_error, "out of memory");
	ck_assert_uint_eq(mf_heap_in_use(), heap0 + sizeof("out of memory"));
	free(before);
	free(after);
	release(ctx);
}
END_TEST

/* The walks themselves: the hook fails exactly the nth allocation. */
START_TEST(hook_fails_the_nth)
{
	size_t heap0 = mf_heap_in_use();
	void *a, *b, *c;

	mf_alloc_fail_nth(2);
	a = mf_malloc(10);
	b = mf_strdup("x");
	c = mf_calloc(2, 8);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(mf_alloc_count(), 3);
	mf_alloc_fail_nth(0);
	ck_assert_uint_eq(mf_heap_in_use(), heap0 + 26);
	ck_assert_uint_ge(mf_heap_peak(), heap0 + 26);
	a = mf_realloc(a, 100);
	ck_assert_uint_eq(mf_heap_in_use(), heap0 + 116);
	mf_alloc_fail_nth(1);
	ck_assert_ptr_null(mf_realloc(a, 1000)); /* a stays valid */
	mf_alloc_fail_nth(0);
	mf_free(a);
	mf_free(c);
	mf_free(NULL);
	ck_assert_uint_eq(mf_heap_in_use(), heap0);
	ck_assert_ptr_null(mf_calloc((size_t)-1, 16));
}
END_TEST

/* One case per walk, so that one can be run alone: CK_RUN_CASE=refresh. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, teardown);
	/* A walk runs its operation a few hundred times (more under valgrind). */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

Suite *make_faults_suite(void)
{
	Suite *s = suite_create("faults");

	add_case(s, "hook", hook_fails_the_nth);
	add_case(s, "oom_message", out_of_memory_is_reported);
	add_case(s, "load", load_from_nothing);
	add_case(s, "load_beside", load_beside_running);
	add_case(s, "load_several", load_several);
	add_case(s, "dry_run", dry_run);
	add_case(s, "unload", unload_cascade);
	add_case(s, "unload_held", unload_held);
	add_case(s, "forced_unload", forced_unload);
	add_case(s, "forced_stuck", forced_unload_stuck_user);
	add_case(s, "stop_all", stop_all);
	add_case(s, "console", console_commands);
	add_case(s, "refresh", refresh);
	add_case(s, "refresh_listed", refresh_listed);
	add_case(s, "refresh_indexed", refresh_indexed);
	add_case(s, "load_files", load_files);
	add_case(s, "catalog_add", catalog_add);
	add_case(s, "config_apply", config_apply);
	add_case(s, "boot", boot_require);
	add_case(s, "boot_autoload", boot_autoload);
	add_case(s, "table_order", table_boot_order);
	add_case(s, "boot_table", table_boot);
	add_case(s, "first_lookup", first_lookup);
	add_case(s, "console_oom", console_never_says_no_such_module);
	add_case(s, "apply_table", apply_table);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_faults_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
