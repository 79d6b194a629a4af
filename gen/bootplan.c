/* SPDX-License-Identifier: MIT */
/*
 * The boot plan of a registry table: the start order and provider choices
 * of a boot with the default configuration (autoload, nothing else).
 *
 * It is not computed here: the generator links the runtime and boots it
 * over the table, with stand-in descriptors that do nothing, and writes
 * down what the runtime did.  A second resolver in the generator would be
 * a second set of rules to keep equal to the first; this way the plan is
 * what the runtime would do by construction, and runtime/bootplan.c only
 * has to check that a boot is the one the plan was made for.
 *
 * The catalog made here has only the table's embedded modules, as the
 * image's has when no module directory adds any: the embedded modules
 * must start on their own for the plan to hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>
#include <manifold/manifold.h>

#include "bootplan.h"

/* An embedded module by name, for the events, which name modules. */
struct named {
	const char *name;
	unsigned idx; /* among the embedded modules */
};

struct boot_run {
	const struct named *names; /* sorted by name */
	size_t n_emb;
	unsigned *order; /* [n_emb] */
	size_t n_order;
	bool *started;	   /* [n_emb] */
	bool odd;	   /* a START of a module twice or of one not embedded */
	bool failed;	   /* a FAIL came */
	size_t fail_idx;   /* its module, SIZE_MAX when not an embedded one */
	char log_error[MF_ERR_MAX]; /* the runtime's first error message */
};

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name,
		      ((const struct named *)b)->name);
}

static const struct named *find_named(const struct boot_run *run,
				      const char *name)
{
	struct named key = {name, 0};

	if (!name || !run->n_emb)
		return NULL;
	return bsearch(&key, run->names, run->n_emb, sizeof(key), named_cmp);
}

/*
 * The runtime reports through its log what no return value says (why the
 * catalog refused a table); the first error is kept for the reason, the
 * rest is not the generator's to print.
 */
static void quiet_log(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	struct boot_run *run = data;

	(void)file;
	(void)line;
	(void)fn;
	if (priority <= MF_LOG_ERR && !run->log_error[0])
		vsnprintf(run->log_error, sizeof(run->log_error), format, args);
}

/* No allocation here: the order has room for every embedded module. */
static void on_event(void *data, const struct mf_event *ev)
{
	struct boot_run *run = data;
	const struct named *n;

	if (ev->kind != MF_EVENT_START && ev->kind != MF_EVENT_FAIL)
		return;
	n = find_named(run, ev->module);
	if (ev->kind == MF_EVENT_FAIL) {
		if (!run->failed)
			run->fail_idx = n ? n->idx : SIZE_MAX;
		run->failed = true;
		return;
	}
	if (!n || run->started[n->idx] || run->n_order == run->n_emb) {
		run->odd = true;
		return;
	}
	run->started[n->idx] = true;
	run->order[run->n_order++] = n->idx;
}

static int no_plan(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int no_plan(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/*
 * The boot did not start every embedded module: say which one and why, in
 * the resolver's words.  The resolver is asked again rather than the boot's
 * FAIL event quoted, because the stand-ins do nothing and so cannot fail
 * by themselves: a module the resolver can plan that still did not start
 * was stopped by memory running out, which is an error, not a verdict on
 * the table.
 */
static int explain(struct mf_context *ctx, const struct boot_run *run,
		   const struct mf_table_module *const *emb, int boot_err,
		   char *why, size_t why_len)
{
	char reason[MF_ERR_MAX];
	struct mf_module *mod;
	size_t culprit = SIZE_MAX;
	int r;

	if (run->failed)
		culprit = run->fail_idx;
	for (size_t i = 0; culprit == SIZE_MAX && i < run->n_emb; i++)
		if (!run->started[i])
			culprit = i;
	if (culprit == SIZE_MAX)
		return no_plan(why, why_len, "the boot %s",
			       boot_err < 0 ? strerror(-boot_err) :
			       "reported a module twice");
	if (mf_module_find(ctx, emb[culprit]->name, &mod) < 0)
		return no_plan(why, why_len, "%s is not in the runtime's catalog%s%s",
			       emb[culprit]->name, run->log_error[0] ? ": " : "",
			       run->log_error);
	r = mf_module_can_start(mod, reason, sizeof(reason));
	if (r == 0 || r == -ENOMEM)
		return -ENOMEM;
	if (!reason[0])
		return no_plan(why, why_len, "%s would not start: %s",
			       emb[culprit]->name, strerror(-r));
	return no_plan(why, why_len, "%s", reason);
}

struct deps_walk {
	const struct boot_run *run;
	unsigned *choice;
	size_t n_choice, cap_choice;
	unsigned lines;
	const struct mf_table_ref *unchosen; /* first line without a provider */
};

static void on_dep(void *data, const struct mf_table_ref *use,
		   const char *provider, unsigned priority)
{
	struct deps_walk *w = data;
	const struct named *n = find_named(w->run, provider);

	(void)priority;
	w->lines++;
	if (!n) {
		if (!w->unchosen)
			w->unchosen = use;
		return;
	}
	/* Room was made for the table's [uses] lines; a runtime that
	 * reports more is caught by the count of lines below. */
	if (w->n_choice < w->cap_choice)
		w->choice[w->n_choice++] = n->idx;
}

/* The provider of each [uses] line of each started module, in start order. */
static int collect_choices(struct mf_context *ctx, const struct boot_run *run,
			   const struct mf_table_module *const *emb,
			   struct deps_walk *w, char *why, size_t why_len)
{
	for (size_t k = 0; k < run->n_order; k++) {
		const struct mf_table_module *t = emb[run->order[k]];
		struct mf_module *mod;
		int r;

		r = mf_module_find(ctx, t->name, &mod);
		if (r < 0)
			return r;
		w->lines = 0;
		w->unchosen = NULL;
		r = mf_module_deps(mod, on_dep, w);
		if (r < 0)
			return r;
		if (w->unchosen)
			return no_plan(why, why_len,
				       "%s started without a provider for %s=%s",
				       t->name, w->unchosen->type,
				       w->unchosen->name);
		/* The default configuration adds no [uses] line of its own,
		 * so the runtime's lines are the table's. */
		if (w->lines != t->n_uses)
			return no_plan(why, why_len,
				       "%s has %u [uses] lines in the runtime, "
				       "%u in the table",
				       t->name, w->lines, t->n_uses);
	}
	return 0;
}

int gen_boot_plan(const struct mf_table *table, struct gen_boot_plan *plan,
		  char *why, size_t why_len)
{
	struct boot_run run = {.fail_idx = SIZE_MAX};
	struct deps_walk walk = {.run = &run};
	const struct mf_table_module **emb = NULL;
	struct mf_table_module *mods = NULL;
	struct manifold_module *stand_in = NULL;
	struct named *names = NULL;
	struct mf_context *ctx = NULL;
	struct mf_config *cfg = NULL;
	struct mf_table copy;
	size_t n_emb = 0, n_uses = 0, e = 0;
	int r, boot_err;

	memset(plan, 0, sizeof(*plan));
	if (why_len)
		why[0] = '\0';
	for (unsigned i = 0; i < table->n_modules; i++) {
		if (!table->modules[i].descriptor)
			continue;
		n_emb++;
		n_uses += table->modules[i].n_uses;
	}

	r = -ENOMEM;
	mods = calloc(table->n_modules ? table->n_modules : 1, sizeof(*mods));
	stand_in = calloc(n_emb ? n_emb : 1, sizeof(*stand_in));
	names = calloc(n_emb ? n_emb : 1, sizeof(*names));
	emb = calloc(n_emb ? n_emb : 1, sizeof(*emb));
	run.started = calloc(n_emb ? n_emb : 1, sizeof(*run.started));
	run.order = calloc(n_emb ? n_emb : 1, sizeof(*run.order));
	walk.choice = calloc(n_uses ? n_uses : 1, sizeof(*walk.choice));
	if (!mods || !stand_in || !names || !emb || !run.started || !run.order ||
	    !walk.choice)
		goto out;
	walk.cap_choice = n_uses;

	/*
	 * The runtime checks a descriptor before it starts a module, so the
	 * stand-ins pass those checks; with no callbacks, starting one is
	 * only the loader's own work.
	 */
	for (unsigned i = 0; i < table->n_modules; i++) {
		mods[i] = table->modules[i];
		if (!mods[i].descriptor)
			continue;
		stand_in[e].abi_version = MANIFOLD_ABI_VERSION;
		stand_in[e].name = mods[i].name;
		stand_in[e].build_signature = MANIFOLD_BUILD_SIGNATURE;
		mods[i].descriptor = &stand_in[e];
		names[e].name = mods[i].name;
		names[e].idx = (unsigned)e;
		emb[e] = &mods[i];
		e++;
	}
	qsort(names, n_emb, sizeof(*names), named_cmp);
	run.names = names;
	run.n_emb = n_emb;

	/* Without a plan, so that the runtime plans this boot itself. */
	copy = *table;
	copy.modules = mods;
	copy.boot_order = NULL;
	copy.n_boot_order = 0;
	copy.boot_choice = NULL;
	copy.n_boot_choice = 0;

	r = mf_context_new(&ctx);
	if (r < 0)
		goto out;
	mf_context_set_log_fn(ctx, quiet_log, &run);
	r = mf_catalog_add_table(ctx, &copy);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		r = no_plan(why, why_len, "the runtime refuses the table: %s",
			    run.log_error[0] ? run.log_error : strerror(-r));
		goto out;
	}
	r = mf_config_new(&cfg);
	if (r < 0)
		goto out;
	r = mf_config_apply(ctx, cfg, on_event, &run);
	if (r < 0)
		goto out;
	boot_err = mf_boot(ctx, cfg, on_event, &run);
	if (boot_err == -ENOMEM) {
		r = boot_err;
		goto out;
	}
	if (boot_err < 0 || run.failed || run.odd || run.n_order != n_emb) {
		r = explain(ctx, &run, emb, boot_err, why, why_len);
		goto out;
	}
	r = collect_choices(ctx, &run, emb, &walk, why, why_len);
	if (r != 0)
		goto out;

	plan->n_order = run.n_order;
	plan->n_choice = walk.n_choice;
	if (plan->n_order) {
		plan->order = run.order;
		run.order = NULL;
	}
	if (plan->n_choice) {
		plan->choice = walk.choice;
		walk.choice = NULL;
	}
out:
	/* The catalog points into mods and stand_in: it goes first. */
	mf_context_unref(ctx);
	mf_config_free(cfg);
	free(walk.choice);
	free(run.order);
	free(run.started);
	free(emb);
	free(names);
	free(stand_in);
	free(mods);
	return r;
}

void gen_boot_plan_free(struct gen_boot_plan *plan)
{
	free(plan->order);
	free(plan->choice);
	memset(plan, 0, sizeof(*plan));
}
