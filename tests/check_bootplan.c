/* SPDX-License-Identifier: MIT */
/*
 * The generated boot plan (gen/bootplan.c writes it, runtime/bootplan.c and
 * mf_load() follow it): a boot that follows the plan must be
 * indistinguishable from one that plans at runtime.
 *
 * property: random tables (seeded, so every case can be replayed with
 * MF_BOOTPLAN_SEED=<seed>) are booted twice with the default
 * configuration, once with the plan gen_boot_plan() makes for them and
 * once without any, and everything observable is compared: every event,
 * every module callback (load, unload, canuse_changed) in order with the
 * events, every return value, every module's info, users, deps and
 * can-start verdict, the api registry, then the same after a few
 * operations (forced and plain unloads, loads, dry runs) and mf_stop_all().
 * Some modules' load callbacks fail, so the fall back from the plan to
 * runtime planning is compared too.  For the cases with no failure, the
 * plan is also shown to be followed: the same plan with one [uses] line
 * given another running provider must give the line that provider.
 * MF_BOOTPLAN_CASES=<n> runs n cases per chunk instead of 150,
 * MF_BOOTPLAN_REPORTS=<n> describes up to n differing cases on stderr.
 *
 * conditions: a plan made deliberately wrong (its order valid, but it
 * gives a [uses] line the worse provider) shows when the runtime follows
 * the plan (the wrong provider is taken) and when it plans by itself (the
 * right one is): the default configuration and nothing else.
 */
#include <check.h>
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
#include "fake_backend.h"

/* ---- a growing text buffer ---------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			abort();
		b->p = p;
		b->cap = cap;
	}
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

static const char *sb_str(const struct sbuf *b)
{
	return b->p ? b->p : "";
}

static void sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- a deterministic generator (splitmix64) ------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rnd(struct rng *r, unsigned n)
{
	return n ? (unsigned)(rng_next(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned percent)
{
	return rnd(r, 100) < percent;
}

/* ---- random tables -------------------------------------------------------- */

#define MAX_MODS 60
#define MAX_SVCS 16
#define MAX_USES 4
#define MAX_CANUSE 2
#define MAX_PROV 6
#define MAX_REFS (MAX_MODS * (MAX_USES + MAX_CANUSE + MAX_PROV))
#define MAX_PROVIDERS (MAX_MODS * (1 + MAX_PROV))

struct gcase {
	uint64_t seed;
	unsigned n, n_emb, n_fail, n_svc;
	char names[MAX_MODS][8];
	char desc_text[MAX_MODS][24];
	const char *svc_type[MAX_SVCS];
	char svc_name[MAX_SVCS][8];
	struct mf_table_module mods[MAX_MODS];
	struct mf_table_ref refs[MAX_REFS];
	unsigned n_refs;
	struct mf_table_provider provs[MAX_PROVIDERS];
	unsigned n_provs;
	struct manifold_module descs[MAX_MODS];
	bool fail[MAX_MODS];
	struct mf_table table; /* without a plan */
};

/* What the callbacks of the case being booted write to. */
static const struct gcase *g_case;
static struct sbuf *g_tr;
static const int api_token = 42;

static int name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int case_index(const struct gcase *gc, const char *name)
{
	const char(*p)[8];

	if (!gc || !name)
		return -1;
	p = bsearch(name, gc->names, gc->n, sizeof(gc->names[0]), name_cmp);
	return p ? (int)(p - gc->names) : -1;
}

static int cb_load(struct mf_module *self)
{
	const char *name = mf_module_name(self);
	const struct mf_table_ref *prov;
	int idx = case_index(g_case, name);
	size_t np;

	if (idx >= 0 && g_case->fail[idx]) {
		sb_printf(g_tr, "cb load %s -> -EIO\n", name);
		return -EIO;
	}
	sb_printf(g_tr, "cb load %s\n", name);
	/* What it provides goes into the api registry, as modules do. */
	np = mf_module_refs(self, "provides", &prov);
	for (size_t k = 0; k < np; k++)
		sb_printf(g_tr, "cb register %s %s=%s: %d\n", name, prov[k].type,
			  prov[k].name,
			  mf_api_register(self, prov[k].type, prov[k].name,
					  &api_token));
	return 0;
}

static void cb_unload(struct mf_module *self)
{
	sb_printf(g_tr, "cb unload %s\n", mf_module_name(self));
}

static void cb_canuse(struct mf_module *self, const char *module, bool running)
{
	sb_printf(g_tr, "cb canuse %s %s %s\n", mf_module_name(self), module,
		  running ? "on" : "off");
}

struct tref {
	const char *type, *name;
	unsigned prio;
};

struct tmod {
	struct tref uses[MAX_USES], canuse[MAX_CANUSE], prov[MAX_PROV];
	unsigned nu, nc, np;
};

static bool tref_has(const struct tref *list, unsigned n, const char *type,
		     const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(list[i].type, type) == 0 &&
		    strcmp(list[i].name, name) == 0)
			return true;
	return false;
}

static int provider_cmp(const void *a, const void *b)
{
	const struct mf_table_provider *pa = a, *pb = b;
	int c = strcmp(pa->type, pb->type);

	if (c)
		return c;
	c = strcmp(pa->name, pb->name);
	if (c)
		return c;
	if (pa->priority != pb->priority)
		return pa->priority > pb->priority ? -1 : 1;
	return pa->module < pb->module ? -1 : pa->module > pb->module;
}

static const unsigned prio_levels[] = { 0, 50, 100, 100, 200, 1000 };
static const unsigned load_levels[] = { 5, 10, 40, 50, 60, 100, 150, 200, 255 };
static const char *const svc_types[] = { "service", "service", "service",
					 "function", "realtime" };

static struct gcase *gen_case(uint64_t seed)
{
	struct gcase *gc = calloc(1, sizeof(*gc));
	struct tmod *tm = calloc(MAX_MODS, sizeof(*tm));
	unsigned rank[MAX_MODS], perm[MAX_MODS];
	unsigned svc_prov[MAX_SVCS][3], svc_n[MAX_SVCS];
	struct rng r = { seed };
	bool has_m;

	ck_assert_ptr_nonnull(gc);
	ck_assert_ptr_nonnull(tm);
	gc->seed = seed;
	/* Sizes 1..60, small ones a little more often. */
	gc->n = chance(&r, 25) ? 1 + rnd(&r, 8) : 1 + rnd(&r, MAX_MODS);

	/* Names: random, unique, sorted as the generator sorts them. */
	for (unsigned i = 0; i < gc->n; i++) {
		static const char first[] = "abcdefghijklmnopqrstuvwxyz";
		static const char rest[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
		bool dup;

		do {
			unsigned len = 1 + rnd(&r, 6);

			gc->names[i][0] = first[rnd(&r, sizeof(first) - 1)];
			for (unsigned k = 1; k < len; k++)
				gc->names[i][k] = rest[rnd(&r, sizeof(rest) - 1)];
			gc->names[i][len] = '\0';
			dup = false;
			for (unsigned k = 0; k < i && !dup; k++)
				dup = strcmp(gc->names[k], gc->names[i]) == 0;
		} while (dup);
	}
	qsort(gc->names, gc->n, sizeof(gc->names[0]), name_cmp);

	/* Some modules built m: in the table, not in the image's catalog. */
	has_m = chance(&r, 30);
	for (unsigned i = 0; i < gc->n; i++) {
		bool m = has_m && chance(&r, 15);

		if (!m) {
			gc->descs[i].abi_version = MANIFOLD_ABI_VERSION;
			gc->descs[i].name = gc->names[i];
			gc->descs[i].build_signature = MANIFOLD_BUILD_SIGNATURE;
			gc->mods[i].descriptor = &gc->descs[i];
			gc->n_emb++;
		}
	}

	/* A rank per module: [uses] mostly point down, so that most tables
	 * can boot whole; a few point anywhere (cycles, fallbacks). */
	for (unsigned i = 0; i < gc->n; i++)
		perm[i] = i;
	for (unsigned i = gc->n; i > 1; i--) {
		unsigned j = rnd(&r, i), t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (unsigned i = 0; i < gc->n; i++)
		rank[perm[i]] = i;

	/* Services with 1..3 providers (rarely none), priorities often equal. */
	gc->n_svc = 1 + rnd(&r, 1 + gc->n / 4);
	if (gc->n_svc > MAX_SVCS)
		gc->n_svc = MAX_SVCS;
	for (unsigned s = 0; s < gc->n_svc; s++) {
		unsigned want = chance(&r, 3) ? 0 : 1 + rnd(&r, 3);
		unsigned prio = 0;

		gc->svc_type[s] = svc_types[rnd(&r, 5)];
		snprintf(gc->svc_name[s], sizeof(gc->svc_name[s]), "s%u", s);
		svc_n[s] = 0;
		for (unsigned tries = 0; svc_n[s] < want && tries < 20; tries++) {
			unsigned p = rnd(&r, gc->n);
			bool dup = false;

			for (unsigned k = 0; k < svc_n[s]; k++)
				dup |= svc_prov[s][k] == p;
			if (dup || tm[p].np == MAX_PROV)
				continue;
			if (svc_n[s] == 0 || !chance(&r, 40))
				prio = prio_levels[rnd(&r, 6)];
			tm[p].prov[tm[p].np++] = (struct tref){ gc->svc_type[s],
								gc->svc_name[s], prio };
			svc_prov[s][svc_n[s]++] = p;
		}
	}

	for (unsigned i = 0; i < gc->n; i++) {
		static const unsigned n_uses_w[] = { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
						     1, 1, 1, 2, 2, 2, 2, 3, 3, 4 };
		unsigned nu = n_uses_w[rnd(&r, 20)];
		unsigned nc = chance(&r, 60) ? 0 : 1 + rnd(&r, MAX_CANUSE);
		struct tmod *t = &tm[i];

		for (unsigned u = 0; u < nu; u++) {
			const char *type, *name;

			if (chance(&r, 55)) {
				unsigned j = rnd(&r, gc->n);
				bool any = chance(&r, 3);

				if (j == i || (!any && rank[j] >= rank[i]))
					continue;
				/* A [uses] of an m module cannot be met in
				 * the image: rarely. */
				if (!gc->mods[j].descriptor && !chance(&r, 20))
					continue;
				type = "module";
				name = gc->names[j];
			} else {
				unsigned s = rnd(&r, gc->n_svc);
				bool low = false;

				for (unsigned k = 0; k < svc_n[s]; k++)
					low |= rank[svc_prov[s][k]] < rank[i];
				if (!low && !chance(&r, 5))
					continue;
				type = gc->svc_type[s];
				name = gc->svc_name[s];
			}
			if (!tref_has(t->uses, t->nu, type, name))
				t->uses[t->nu++] = (struct tref){ type, name, 0 };
		}
		for (unsigned c = 0; c < nc; c++) {
			const char *type, *name;

			if (chance(&r, 50)) {
				unsigned j = rnd(&r, gc->n);

				if (j == i)
					continue;
				type = "module";
				name = chance(&r, 5) ? "zz_none" : gc->names[j];
			} else {
				unsigned s = rnd(&r, gc->n_svc);

				type = gc->svc_type[s];
				name = gc->svc_name[s];
			}
			if (!tref_has(t->canuse, t->nc, type, name))
				t->canuse[t->nc++] = (struct tref){ type, name, 0 };
		}
	}

	/* Lay the modules out as the generator writes them. */
	for (unsigned i = 0; i < gc->n; i++) {
		struct mf_table_module *m = &gc->mods[i];
		struct tmod *t = &tm[i];
		struct manifold_module *d = &gc->descs[i];

		m->name = gc->names[i];
		if (chance(&r, 50)) {
			snprintf(gc->desc_text[i], sizeof(gc->desc_text[i]),
				 "module %s", gc->names[i]);
			m->description = gc->desc_text[i];
		} else {
			m->description = "";
		}
		m->checksum = "";
		m->support_level = (unsigned char)rnd(&r, 4);
		m->export_globals = (unsigned char)rnd(&r, 2);
		m->load_priority = chance(&r, 65) ? MF_PRIO_DEFAULT :
			(unsigned short)load_levels[rnd(&r, 9)];
		m->uses = &gc->refs[gc->n_refs];
		m->n_uses = t->nu;
		for (unsigned k = 0; k < t->nu; k++)
			gc->refs[gc->n_refs++] = (struct mf_table_ref){
				t->uses[k].type, t->uses[k].name, 0 };
		m->canuse = &gc->refs[gc->n_refs];
		m->n_canuse = t->nc;
		for (unsigned k = 0; k < t->nc; k++)
			gc->refs[gc->n_refs++] = (struct mf_table_ref){
				t->canuse[k].type, t->canuse[k].name, 0 };
		m->provides = &gc->refs[gc->n_refs];
		m->n_provides = t->np;
		for (unsigned k = 0; k < t->np; k++)
			gc->refs[gc->n_refs++] = (struct mf_table_ref){
				t->prov[k].type, t->prov[k].name, t->prov[k].prio };
		if (m->descriptor) {
			d->load = chance(&r, 90) ? cb_load : NULL;
			d->unload = chance(&r, 85) ? cb_unload : NULL;
			if (chance(&r, t->nc ? 75 : 10))
				d->canuse_changed = cb_canuse;
		}
	}

	/* providers[]: every [provides] line and the implied module=<name>. */
	for (unsigned i = 0; i < gc->n; i++) {
		const struct mf_table_module *m = &gc->mods[i];

		gc->provs[gc->n_provs++] = (struct mf_table_provider){
			"module", m->name, 0, i };
		for (unsigned k = 0; k < m->n_provides; k++)
			gc->provs[gc->n_provs++] = (struct mf_table_provider){
				m->provides[k].type, m->provides[k].name,
				m->provides[k].priority, i };
	}
	qsort(gc->provs, gc->n_provs, sizeof(gc->provs[0]), provider_cmp);

	/* ~12% of the cases: one or two built-in modules fail to start. */
	if (gc->n_emb && chance(&r, 12)) {
		unsigned want = 1 + rnd(&r, 2);

		for (unsigned tries = 0; gc->n_fail < want && tries < 50; tries++) {
			unsigned i = rnd(&r, gc->n);

			if (!gc->mods[i].descriptor || gc->fail[i])
				continue;
			gc->fail[i] = true;
			gc->descs[i].load = cb_load;
			gc->n_fail++;
		}
	}

	gc->table.version = MF_TABLE_VERSION;
	gc->table.modules = gc->mods;
	gc->table.n_modules = gc->n;
	gc->table.providers = gc->provs;
	gc->table.n_providers = gc->n_provs;
	free(tm);
	return gc;
}

/* ---- one boot, written down ---------------------------------------------- */

static const char *kind_name(enum mf_event_kind kind)
{
	switch (kind) {
	case MF_EVENT_START: return "start";
	case MF_EVENT_STOP: return "stop";
	case MF_EVENT_WOULD_START: return "would-start";
	case MF_EVENT_WOULD_STOP: return "would-stop";
	case MF_EVENT_FAIL: return "fail";
	case MF_EVENT_HELD: return "held";
	case MF_EVENT_CANCEL: return "cancel";
	case MF_EVENT_NOTE: return "note";
	}
	return "?";
}

static void on_event(void *data, const struct mf_event *ev)
{
	sb_printf(data, "ev %s %s [%s] level=%d\n", kind_name(ev->kind),
		  ev->module ? ev->module : "(null)",
		  ev->detail ? ev->detail : "(null)", (int)ev->support_level);
}

static void ignore_log(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

/* Messages the administrator would see; INFO and DEBUG are the runtime's
 * own business (and repeat the events). */
static void record_log(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)file;
	(void)line;
	(void)fn;
	if (priority > MF_LOG_NOTICE)
		return;
	sb_printf(data, "log %d ", priority);
	sb_vprintf(data, format, args);
	sb_printf(data, "\n");
}

static void snap_user(void *data, const char *kind, const char *who,
		      const char *detail)
{
	sb_printf(data, "  user %s %s [%s]\n", kind, who ? who : "(null)",
		  detail ? detail : "(null)");
}

static void snap_dep(void *data, const struct mf_table_ref *use,
		     const char *provider, unsigned priority)
{
	sb_printf(data, "  dep %s=%s -> %s:%u\n", use->type, use->name,
		  provider ? provider : "-", priority);
}

static int snap_module(struct mf_module *mod, void *data)
{
	struct sbuf *tr = data;
	struct mf_module_info in;
	char why[MF_ERR_MAX] = "";
	int r = mf_module_info(mod, &in);

	if (r < 0) {
		sb_printf(tr, "mod %s: info %d\n", mf_module_name(mod), r);
		return 0;
	}
	sb_printf(tr,
		  "mod %s desc=[%s] backend=%s level=%d prio=%u %s users=%u "
		  "refs=%u lib_refs=%u admin=%d blocked=%d why=[%s] error=[%s]\n",
		  in.name, in.description ? in.description : "(null)",
		  in.backend ? in.backend : "(null)", (int)in.support_level,
		  in.load_priority, mf_state_name(in.state), in.users, in.refs,
		  in.lib_refs, in.admin, in.unload_blocked,
		  in.why ? in.why : "(null)",
		  in.last_error ? in.last_error : "(null)");
	sb_printf(tr, "  users: %d\n", mf_module_users(mod, snap_user, tr));
	sb_printf(tr, "  deps: %d\n", mf_module_deps(mod, snap_dep, tr));
	r = mf_module_can_start(mod, why, sizeof(why));
	sb_printf(tr, "  can_start %d [%s]\n", r, r ? why : "");
	return 0;
}

static void snap_api(void *data, const char *name, const char *owner,
		     const void *iface)
{
	sb_printf(data, "  api %s by %s%s\n", name, owner ? owner : "(null)",
		  iface == &api_token ? "" : " (other iface)");
}

static void snapshot(struct mf_context *ctx, struct sbuf *tr, const char *when)
{
	static const char *const types[] = { "service", "function", "realtime" };

	sb_printf(tr, "== snapshot %s\n", when);
	mf_context_lock(ctx);
	sb_printf(tr, "foreach %d\n", mf_module_foreach(ctx, snap_module, tr));
	for (size_t t = 0; t < 3; t++)
		sb_printf(tr, "api %s: %d\n", types[t],
			  mf_api_foreach(ctx, types[t], snap_api, tr));
	mf_context_unlock(ctx);
}

/*
 * Boot @t with the default configuration, then drive it with operations
 * drawn from the case's seed (the same for every table of a case), and
 * write everything observable into @tr.
 */
static void run_boot(const struct gcase *gc, const struct mf_table *t,
		     struct sbuf *tr)
{
	struct rng act = { gc->seed ^ 0xb007b007ULL };
	struct mf_context *ctx = NULL;
	struct mf_config *cfg = NULL;
	unsigned n_ops;

	g_case = gc;
	g_tr = tr;
	ck_assert_int_eq(mf_context_new(&ctx), 0);
	mf_context_set_log_fn(ctx, record_log, tr);
	mf_context_set_log_priority(ctx, MF_LOG_DEBUG);
	sb_printf(tr, "add_table %d\n", mf_catalog_add_table(ctx, t));
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	sb_printf(tr, "config_apply %d\n", mf_config_apply(ctx, cfg, on_event, tr));
	sb_printf(tr, "boot %d\n", mf_boot(ctx, cfg, on_event, tr));
	snapshot(ctx, tr, "after boot");

	n_ops = 2 + rnd(&act, 4);
	for (unsigned k = 0; k < n_ops; k++) {
		const char *name = gc->names[rnd(&act, gc->n)];
		struct mf_request req[2] = {
			{ .name = name, .why = "test" },
			{ .name = gc->names[rnd(&act, gc->n)], .why = "test 2" },
		};
		unsigned op = rnd(&act, 5);
		int ret;

		switch (op) {
		case 0:
		case 1:
			ret = mf_unload(ctx, name, op ? MF_OP_FORCE : 0, on_event, tr);
			sb_printf(tr, "op unload%s %s: %d\n", op ? " force" : "", name, ret);
			break;
		case 2:
			ret = mf_unload(ctx, name, MF_OP_FORCE | MF_OP_DRY_RUN,
					on_event, tr);
			sb_printf(tr, "op unload dry %s: %d\n", name, ret);
			break;
		default:
			ret = mf_load(ctx, req, op == 3 ? 1 : 2, 0, on_event, tr);
			sb_printf(tr, "op load %s%s%s: %d (%d %d)\n", req[0].name,
				  op == 3 ? "" : " ", op == 3 ? "" : req[1].name,
				  ret, req[0].result, op == 3 ? 0 : req[1].result);
			break;
		}
	}
	snapshot(ctx, tr, "after operations");
	mf_stop_all(ctx, on_event, tr);
	sb_printf(tr, "stop_all\n");
	snapshot(ctx, tr, "after stop_all");
	mf_config_free(cfg);
	ck_assert_ptr_null(mf_context_unref(ctx));
	sb_printf(tr, "end\n");
	g_tr = NULL;
	g_case = NULL;
}

/* ---- the property ---------------------------------------------------------- */

#define CHUNKS 4
#define CASES_PER_CHUNK 150
#define SEED_BASE 0x6f0a7b1c00000000ULL

/* How many differing cases are described on stderr (MF_BOOTPLAN_REPORTS). */
#define MAX_REPORTS 3

static void report_diff(const struct gcase *gc, const char *a, const char *b)
{
	const char *la = a, *lb = b;
	unsigned line = 1;
	const char *ctx_start[4] = { a, a, a, a };

	/* The first line that differs, and up to four before it. */
	while (*la && *lb) {
		const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
		size_t na = ea ? (size_t)(ea - la) : strlen(la);
		size_t nb = eb ? (size_t)(eb - lb) : strlen(lb);

		if (na != nb || memcmp(la, lb, na) != 0)
			break;
		memmove(ctx_start, ctx_start + 1, 3 * sizeof(ctx_start[0]));
		ctx_start[3] = la;
		la += na + (ea != NULL);
		lb += nb + (eb != NULL);
		line++;
	}
	fprintf(stderr,
		"bootplan: seed %#llx (%u modules, %u built in, %u failing): "
		"the planned boot differs at line %u\n",
		(unsigned long long)gc->seed, gc->n, gc->n_emb, gc->n_fail, line);
	for (int k = 0; k < 4; k++) {
		if (line <= (unsigned)(4 - k))
			continue;
		fprintf(stderr, "    same:    %.*s\n",
			(int)strcspn(ctx_start[k], "\n"), ctx_start[k]);
	}
	fprintf(stderr, "    plan:    %.*s\n    no plan: %.*s\n",
		(int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

/* The plan says what the planning boot did (no failures): same starts. */
static void check_plan_matches_starts(const struct gcase *gc,
				      const struct gen_boot_plan *plan,
				      const char *tr)
{
	const char *emb[MAX_MODS];
	size_t n_emb = 0, k = 0, n_choice = 0;
	bool seen[MAX_MODS] = { false };
	const char *p = tr;

	for (unsigned i = 0; i < gc->n; i++)
		if (gc->mods[i].descriptor)
			emb[n_emb++] = gc->names[i];
	ck_assert_uint_eq(plan->n_order, n_emb);
	for (size_t i = 0; i < plan->n_order; i++) {
		ck_assert_uint_lt(plan->order[i], n_emb);
		ck_assert_msg(!seen[plan->order[i]], "seed %#llx: %s twice in the plan",
			      (unsigned long long)gc->seed, emb[plan->order[i]]);
		seen[plan->order[i]] = true;
	}
	for (unsigned i = 0; i < gc->n; i++)
		if (gc->mods[i].descriptor)
			n_choice += gc->mods[i].n_uses;
	ck_assert_uint_eq(plan->n_choice, n_choice);
	for (size_t i = 0; i < plan->n_choice; i++)
		ck_assert_uint_lt(plan->choice[i], n_emb);
	if (gc->n_fail)
		return;
	/* The boot of the runtime that plans started them in that order. */
	while ((p = strstr(p, "ev start ")) && k < plan->n_order) {
		const char *name = emb[plan->order[k]];
		size_t len = strlen(name);

		p += strlen("ev start ");
		ck_assert_msg(strncmp(p, name, len) == 0 && p[len] == ' ',
			      "seed %#llx: start %zu is %.*s, the plan says %s",
			      (unsigned long long)gc->seed, k,
			      (int)strcspn(p, " "), p, name);
		k++;
		if (k == plan->n_order)
			break;
	}
	ck_assert_uint_eq(k, plan->n_order);
}

/*
 * Proof that a case's boot follows its plan: the same plan with one
 * [uses] line given another provider that starts earlier in the plan (a
 * worse one, or an equal one) must give the line that provider.  Returns
 * false when the case has no such line.
 */
struct line_view {
	unsigned want, seen;
	char provider[16];
};

static void line_dep(void *data, const struct mf_table_ref *use,
		     const char *provider, unsigned priority)
{
	struct line_view *v = data;

	(void)use;
	(void)priority;
	if (v->seen++ == v->want)
		snprintf(v->provider, sizeof(v->provider), "%s",
			 provider ? provider : "-");
}

static bool plan_is_followed(const struct gcase *gc,
			     const struct gen_boot_plan *plan)
{
	unsigned tab_of[MAX_MODS], emb_of[MAX_MODS], pos[MAX_MODS];
	unsigned *choice;
	size_t n_emb = 0, off = 0;
	struct mf_context *ctx;
	struct mf_config *cfg;
	struct mf_module *user_mod;
	struct mf_table t;
	struct line_view v = { 0, 0, "" };
	const char *user = NULL, *alt = NULL;
	int boot;

	if (!plan->n_choice)
		return false;
	for (unsigned i = 0; i < gc->n; i++)
		if (gc->mods[i].descriptor) {
			emb_of[i] = (unsigned)n_emb;
			tab_of[n_emb++] = i;
		}
	for (size_t k = 0; k < plan->n_order; k++)
		pos[plan->order[k]] = (unsigned)k;
	choice = malloc(plan->n_choice * sizeof(*choice));
	ck_assert_ptr_nonnull(choice);
	memcpy(choice, plan->choice, plan->n_choice * sizeof(*choice));
	for (size_t k = 0; k < plan->n_order && !user; k++) {
		const struct mf_table_module *m = &gc->mods[tab_of[plan->order[k]]];

		for (unsigned u = 0; u < m->n_uses && !user; u++) {
			const struct mf_table_ref *use = &m->uses[u];

			for (unsigned p = 0; p < gc->n_provs && !user; p++) {
				const struct mf_table_provider *pr = &gc->provs[p];
				unsigned e;

				if (strcmp(pr->type, use->type) != 0 ||
				    strcmp(pr->name, use->name) != 0 ||
				    !gc->mods[pr->module].descriptor ||
				    &gc->mods[pr->module] == m)
					continue;
				e = emb_of[pr->module];
				if (e == plan->choice[off + u] || pos[e] >= k)
					continue;
				choice[off + u] = e;
				user = m->name;
				alt = gc->mods[pr->module].name;
				v.want = u;
			}
		}
		off += m->n_uses;
	}
	if (!user) {
		free(choice);
		return false;
	}
	t = gc->table;
	t.boot_order = plan->order;
	t.n_boot_order = (unsigned)plan->n_order;
	t.boot_choice = choice;
	t.n_boot_choice = (unsigned)plan->n_choice;
	ck_assert_int_eq(mf_context_new(&ctx), 0);
	mf_context_set_log_fn(ctx, ignore_log, NULL);
	ck_assert_int_eq(mf_catalog_add_table(ctx, &t), 0);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, NULL, NULL), 0);
	g_case = gc;
	g_tr = &(struct sbuf){ 0 };
	boot = mf_boot(ctx, cfg, NULL, NULL);
	ck_assert_int_eq(mf_module_find(ctx, user, &user_mod), 0);
	ck_assert_int_eq(mf_module_deps(user_mod, line_dep, &v), 0);
	mf_config_free(cfg);
	ck_assert_ptr_null(mf_context_unref(ctx));
	sb_free(g_tr);
	g_tr = NULL;
	g_case = NULL;
	free(choice);
	ck_assert_msg(boot == 0 && strcmp(v.provider, alt) == 0,
		      "seed %#llx: a plan giving %s's line %u to %s was not "
		      "followed: boot %d, provider %s",
		      (unsigned long long)gc->seed, user, v.want + 1, alt, boot,
		      v.provider);
	return true;
}

static uint64_t case_seed(unsigned c)
{
	return SEED_BASE + c;
}

START_TEST(planned_boot_equals_runtime_planning)
{
	const char *per_chunk = getenv("MF_BOOTPLAN_CASES");
	unsigned n_cases = per_chunk && atoi(per_chunk) > 0 ?
		(unsigned)atoi(per_chunk) : CASES_PER_CHUNK;
	unsigned first = (unsigned)_i * n_cases;
	unsigned with_plan = 0, with_fail = 0, fallback_cmp = 0, diffs = 0;
	unsigned followed = 0;
	const char *one = getenv("MF_BOOTPLAN_SEED");
	const char *reports = getenv("MF_BOOTPLAN_REPORTS");
	unsigned max_reports = reports ? (unsigned)atoi(reports) : MAX_REPORTS;
	uint64_t only = 0;

	if (one && *one) {
		/* Replay one case (it runs in the first chunk only). */
		if (_i != 0)
			return;
		only = strtoull(one, NULL, 0);
		n_cases = 1;
	}
	for (unsigned c = 0; c < n_cases; c++) {
		uint64_t seed = one && *one ? only : case_seed(first + c);
		struct gcase *gc = gen_case(seed);
		struct gen_boot_plan plan;
		struct mf_table with, without = gc->table;
		struct sbuf ta = { 0 }, tb = { 0 };
		char why[MF_ERR_MAX];
		int r;

		r = gen_boot_plan(&gc->table, &plan, why, sizeof(why));
		ck_assert_msg(r == 0 || r == 1, "seed %#llx: gen_boot_plan %d (%s)",
			      (unsigned long long)seed, r, why);
		run_boot(gc, &without, &tb);
		/* The table itself is fine whatever the plan. */
		ck_assert_msg(strncmp(sb_str(&tb), "add_table 0\n", 12) == 0,
			      "seed %#llx: %.80s", (unsigned long long)seed, sb_str(&tb));
		if (one && *one)
			fprintf(stderr, "bootplan: seed %#llx: gen_boot_plan %d%s%s\n",
				(unsigned long long)seed, r, r ? ": " : "", why);
		if (r == 1 || plan.n_order == 0) {
			/* No plan: the boot without one is all there is. */
			gen_boot_plan_free(&plan);
			sb_free(&tb);
			free(gc);
			continue;
		}
		with_plan++;
		with_fail += gc->n_fail != 0;
		check_plan_matches_starts(gc, &plan, sb_str(&tb));

		with = gc->table;
		with.boot_order = plan.order;
		with.n_boot_order = (unsigned)plan.n_order;
		with.boot_choice = plan.choice;
		with.n_boot_choice = (unsigned)plan.n_choice;
		run_boot(gc, &with, &ta);
		if (gc->n_fail)
			fallback_cmp++;
		else
			followed += plan_is_followed(gc, &plan);
		if (strcmp(sb_str(&ta), sb_str(&tb)) != 0) {
			if (diffs < max_reports)
				report_diff(gc, sb_str(&ta), sb_str(&tb));
			diffs++;
		}
		if (one && *one)
			fprintf(stderr, "---- with the plan:\n%s---- without:\n%s",
				sb_str(&ta), sb_str(&tb));
		gen_boot_plan_free(&plan);
		sb_free(&ta);
		sb_free(&tb);
		free(gc);
	}
	fprintf(stderr,
		"bootplan: cases %u..%u: %u with a plan (%u of them with failing "
		"modules, %u shown to follow it), %u differ\n",
		first, first + n_cases - 1, with_plan, fallback_cmp, followed,
		diffs);
	ck_assert_msg(diffs == 0,
		      "%u of %u planned boots differ from the runtime's planning "
		      "(first ones on stderr)", diffs, with_plan);
	/* Not vacuous: most tables get a plan, and some of those fail. */
	if (!(one && *one)) {
		ck_assert_uint_ge(with_plan * 10, n_cases * 6);
		ck_assert_uint_ge(with_fail, 3);
		ck_assert_uint_ge(followed * 4, with_plan);
	}
}
END_TEST

/* ---- the conditions --------------------------------------------------------- */

/*
 * app uses service=timer: t_hi gives it at 200, t_lo at 100, and t_lo also
 * provides realtime=drv, which app gets when extconfig.conf makes it use
 * that driver for app.conf.  other is unrelated.  Indexes: app 0, other 1,
 * t_hi 2, t_lo 3.
 */
static const struct mf_table_ref app_uses[] = { { "service", "timer", 0 } };
static const char *const app_configs[] = { "app.conf" };
static const struct mf_table_ref hi_prov[] = { { "service", "timer", 200 } };
static const struct mf_table_ref lo_prov[] = { { "realtime", "drv", 10 },
					       { "service", "timer", 100 } };

static int fail_load(struct mf_module *self)
{
	(void)self;
	return -EIO;
}

static const struct manifold_module cond_descs[] = {
	{ MANIFOLD_ABI_VERSION, "app", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
	{ MANIFOLD_ABI_VERSION, "other", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
	{ MANIFOLD_ABI_VERSION, "t_hi", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
	{ MANIFOLD_ABI_VERSION, "t_lo", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
};
static const struct manifold_module t_lo_failing = {
	MANIFOLD_ABI_VERSION, "t_lo", MANIFOLD_BUILD_SIGNATURE, fail_load, NULL, NULL
};

#define COND_MOD(i, n, prio)                                                   \
	{ .name = n, .description = "", .checksum = "", .load_priority = prio, \
	  .descriptor = &cond_descs[i] }

static const struct mf_table_module cond_mods_init[] = {
	{ .name = "app", .description = "", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .configs = app_configs, .n_configs = 1,
	  .uses = app_uses, .n_uses = 1, .descriptor = &cond_descs[0] },
	COND_MOD(1, "other", MF_PRIO_DEFAULT),
	{ .name = "t_hi", .description = "", .checksum = "", .load_priority = 40,
	  .provides = hi_prov, .n_provides = 1, .descriptor = &cond_descs[2] },
	{ .name = "t_lo", .description = "", .checksum = "", .load_priority = 40,
	  .provides = lo_prov, .n_provides = 2, .descriptor = &cond_descs[3] },
};

static const struct mf_table_provider cond_provs[] = {
	{ "module", "app", 0, 0 },   { "module", "other", 0, 1 },
	{ "module", "t_hi", 0, 2 },  { "module", "t_lo", 0, 3 },
	{ "realtime", "drv", 10, 3 }, { "service", "timer", 200, 2 },
	{ "service", "timer", 100, 3 },
};

/* A second table, for a catalog made of two. */
static const struct manifold_module extra_desc = {
	MANIFOLD_ABI_VERSION, "zz_extra", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL
};
static const struct mf_table_module extra_mods[] = {
	{ .name = "zz_extra", .description = "", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .descriptor = &extra_desc },
};
static const struct mf_table_provider extra_provs[] = {
	{ "module", "zz_extra", 0, 0 },
};
static const struct mf_table extra_table = {
	.version = MF_TABLE_VERSION, .modules = extra_mods, .n_modules = 1,
	.providers = extra_provs, .n_providers = 1,
};

struct cond_table {
	struct mf_table_module mods[4];
	struct mf_table table;
	unsigned order[4];
	unsigned choice[1];
};

enum cond_how {
	COND_NONE = 0,
	COND_PRELOAD = 1 << 0,	 /* a module ran before mf_boot() */
	COND_MANIFEST = 1 << 1,	 /* one module more, from a manifest */
	COND_TWO_TABLES = 1 << 2, /* the catalog holds a second table */
};

struct app_view {
	char timer[32]; /* the provider of app's service=timer, "-" if none */
	unsigned running;
	int boot;
};

static void app_dep(void *data, const struct mf_table_ref *use,
		    const char *provider, unsigned priority)
{
	struct app_view *v = data;

	(void)priority;
	if (strcmp(use->type, "service") == 0 && strcmp(use->name, "timer") == 0)
		snprintf(v->timer, sizeof(v->timer), "%s", provider ? provider : "-");
}

static int count_running(struct mf_module *mod, void *data)
{
	struct mf_module_info in;

	if (mf_module_info(mod, &in) == 0 && in.state == MF_STATE_RUNNING)
		++*(unsigned *)data;
	return 0;
}

/* Boot @t with modules.conf @conf and extconfig.conf @ext (NULL: none). */
static struct app_view boot_view(const struct mf_table *t, const char *conf,
				 const char *ext, unsigned how)
{
	struct app_view v = { "-", 0, 0 };
	struct mf_context *ctx;
	struct mf_config *cfg;
	struct mf_module *app;
	char err[MF_ERR_MAX];

	ck_assert_int_eq(mf_context_new(&ctx), 0);
	mf_context_set_log_fn(ctx, ignore_log, NULL);
	ck_assert_int_eq(mf_catalog_add_table(ctx, t), 0);
	if (how & COND_TWO_TABLES)
		ck_assert_int_eq(mf_catalog_add_table(ctx, &extra_table), 0);
	if (how & COND_MANIFEST)
		ck_assert_int_eq(fake_add(ctx, "[module]\nname=zz_file\n", NULL), 0);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	if (conf)
		ck_assert_msg(mf_config_parse_modules(cfg, "modules.conf", conf,
						      strlen(conf), err,
						      sizeof(err)) == 0,
			      "%s", err);
	if (ext)
		ck_assert_msg(mf_config_parse_extconfig(cfg, "extconfig.conf", ext,
							strlen(ext), err,
							sizeof(err)) == 0,
			      "%s", err);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, NULL, NULL), 0);
	if (how & COND_PRELOAD) {
		struct mf_request req = { .name = "other", .why = "before" };

		ck_assert_int_eq(mf_load(ctx, &req, 1, 0, NULL, NULL), 0);
	}
	v.boot = mf_boot(ctx, cfg, NULL, NULL);
	ck_assert_int_eq(mf_module_find(ctx, "app", &app), 0);
	ck_assert_int_eq(mf_module_deps(app, app_dep, &v), 0);
	mf_module_foreach(ctx, count_running, &v.running);
	mf_config_free(cfg);
	ck_assert_ptr_null(mf_context_unref(ctx));
	return v;
}

static void cond_table_init(struct cond_table *ct)
{
	memcpy(ct->mods, cond_mods_init, sizeof(ct->mods));
	memset(&ct->table, 0, sizeof(ct->table));
	ct->table.version = MF_TABLE_VERSION;
	ct->table.modules = ct->mods;
	ct->table.n_modules = 4;
	ct->table.providers = cond_provs;
	ct->table.n_providers = sizeof(cond_provs) / sizeof(cond_provs[0]);
}

static void cond_table_plan(struct cond_table *ct, const struct gen_boot_plan *p)
{
	memcpy(ct->order, p->order, sizeof(ct->order));
	memcpy(ct->choice, p->choice, sizeof(ct->choice));
	ct->table.boot_order = ct->order;
	ct->table.n_boot_order = 4;
	ct->table.boot_choice = ct->choice;
	ct->table.n_boot_choice = 1;
}

#define EXPECT(t, conf, ext, how, want, n_running)                           \
	do {                                                                   \
		struct app_view v_ = boot_view(t, conf, ext, how);             \
		ck_assert_msg(strcmp(v_.timer, want) == 0 &&                   \
				      v_.running == (n_running),               \
			      "%s: app's timer is %s (want %s), %u running "    \
			      "(want %u), boot %d",                             \
			      #t " " #conf " " #ext " " #how, v_.timer, want,   \
			      v_.running, (unsigned)(n_running), v_.boot);      \
	} while (0)

START_TEST(plan_followed_only_for_the_default_boot)
{
	struct cond_table none, right, wrong, bad_order;
	struct gen_boot_plan p;
	char why[MF_ERR_MAX];

	cond_table_init(&none);
	ck_assert_int_eq(gen_boot_plan(&none.table, &p, why, sizeof(why)), 0);
	/* t_hi and t_lo (40) start first, by name; then app and other. */
	ck_assert_uint_eq(p.n_order, 4);
	ck_assert_uint_eq(p.order[0], 2);
	ck_assert_uint_eq(p.order[1], 3);
	ck_assert_uint_eq(p.order[2], 0);
	ck_assert_uint_eq(p.order[3], 1);
	ck_assert_uint_eq(p.n_choice, 1);
	ck_assert_uint_eq(p.choice[0], 2); /* app: t_hi */

	cond_table_init(&right);
	cond_table_plan(&right, &p);
	/* Valid order, worse provider: only a boot that follows the plan
	 * gives app t_lo. */
	cond_table_init(&wrong);
	cond_table_plan(&wrong, &p);
	wrong.choice[0] = 3;
	/* app first: t_lo is not running at its turn, the plan cannot hold. */
	cond_table_init(&bad_order);
	cond_table_plan(&bad_order, &p);
	bad_order.order[0] = 0;
	bad_order.order[1] = 1;
	bad_order.order[2] = 2;
	bad_order.order[3] = 3;
	bad_order.choice[0] = 3;
	gen_boot_plan_free(&p);

	/* The runtime's own planning, and the plan that agrees with it. */
	EXPECT(&none.table, NULL, NULL, COND_NONE, "t_hi", 4);
	EXPECT(&right.table, NULL, NULL, COND_NONE, "t_hi", 4);

	/* The default boot follows the plan, wrong or not. */
	EXPECT(&wrong.table, NULL, NULL, COND_NONE, "t_lo", 4);
	/* A modules.conf that says only what the default says is the
	 * default; so is an extconfig.conf line no module reads. */
	EXPECT(&wrong.table, "[modules]\nautoload=yes\n", NULL, COND_NONE, "t_lo", 4);
	EXPECT(&wrong.table, NULL, "[settings]\nnobody.conf => drv\n", COND_NONE,
	       "t_lo", 4);

	/* Anything else and the runtime plans itself. */
	EXPECT(&wrong.table, "[modules]\nneverload=other\n", NULL, COND_NONE,
	       "t_hi", 3);
	EXPECT(&wrong.table, "[modules]\nneverload=not_here\n", NULL, COND_NONE,
	       "t_hi", 4);
	EXPECT(&wrong.table, "[modules]\nload=other\n", NULL, COND_NONE, "t_hi", 4);
	EXPECT(&wrong.table, "[modules]\nrequire=other\n", NULL, COND_NONE, "t_hi", 4);
	EXPECT(&wrong.table, "[uses]\nother=t_lo\n", NULL, COND_NONE, "t_hi", 4);
	EXPECT(&wrong.table, NULL, "[settings]\napp.conf => drv\n", COND_NONE,
	       "t_hi", 4);
	EXPECT(&wrong.table, "[modules]\nautoload=no\nload=t_lo\nload=t_hi\n"
	       "load=app\nload=other\n", NULL, COND_NONE, "t_hi", 4);
	EXPECT(&wrong.table, NULL, NULL, COND_PRELOAD, "t_hi", 4);
	EXPECT(&wrong.table, NULL, NULL, COND_MANIFEST, "t_hi", 5);
	EXPECT(&wrong.table, NULL, NULL, COND_TWO_TABLES, "t_hi", 5);

	/* A plan that does not fit is left where it stops fitting. */
	EXPECT(&bad_order.table, NULL, NULL, COND_NONE, "t_hi", 4);
	/* A plan that is not a plan is not followed at all: an order that
	 * names a module twice or one the catalog lacks, a choice out of
	 * range, too few choices. */
	bad_order = wrong;
	bad_order.table.modules = bad_order.mods;
	bad_order.table.boot_order = bad_order.order;
	bad_order.table.boot_choice = bad_order.choice;
	bad_order.order[1] = bad_order.order[0];
	EXPECT(&bad_order.table, NULL, NULL, COND_NONE, "t_hi", 4);
	bad_order.order[1] = 9;
	EXPECT(&bad_order.table, NULL, NULL, COND_NONE, "t_hi", 4);
	bad_order.order[1] = wrong.order[1];
	EXPECT(&bad_order.table, NULL, NULL, COND_NONE, "t_lo", 4);
	bad_order.choice[0] = 9;
	EXPECT(&bad_order.table, NULL, NULL, COND_NONE, "t_hi", 4);
	bad_order.choice[0] = wrong.choice[0];
	bad_order.table.n_boot_choice = 0;
	EXPECT(&bad_order.table, NULL, NULL, COND_NONE, "t_hi", 4);
	/* So is one whose module fails: t_lo fails, app is planned anew. */
	wrong.mods[3].descriptor = &t_lo_failing;
	EXPECT(&wrong.table, NULL, NULL, COND_NONE, "t_hi", 3);
	/* A plan that is not there is none: n_boot_order 0. */
	wrong.mods[3].descriptor = &cond_descs[3];
	wrong.table.n_boot_order = 0;
	EXPECT(&wrong.table, NULL, NULL, COND_NONE, "t_hi", 4);
}
END_TEST

/*
 * A load callback that loads a module the plan starts later: the boot must
 * not follow the plan past it (the plan's choices go module by module).
 * p1 gives svc=s at 200, p2 at 100; x and y use it.  p2's load loads x.
 * The plan is deliberately wrong for x (p2) and right for y (p1): a boot
 * that lost its place in the plan would give y x's choice, p2.
 */
static const struct mf_table_ref nest_uses[] = { { "service", "s", 0 } };
static const struct mf_table_ref p1_prov[] = { { "service", "s", 200 } };
static const struct mf_table_ref p2_prov[] = { { "service", "s", 100 } };

static int p2_load(struct mf_module *self)
{
	struct mf_request req = { .name = "x", .why = "p2 wants it" };

	return mf_load(mf_module_context(self), &req, 1, 0, NULL, NULL);
}

static const struct manifold_module nest_descs[] = {
	{ MANIFOLD_ABI_VERSION, "p1", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
	{ MANIFOLD_ABI_VERSION, "p2", MANIFOLD_BUILD_SIGNATURE, p2_load, NULL, NULL },
	{ MANIFOLD_ABI_VERSION, "x", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
	{ MANIFOLD_ABI_VERSION, "y", MANIFOLD_BUILD_SIGNATURE, NULL, NULL, NULL },
};
static const struct mf_table_module nest_mods[] = {
	{ .name = "p1", .description = "", .checksum = "", .load_priority = 40,
	  .provides = p1_prov, .n_provides = 1, .descriptor = &nest_descs[0] },
	{ .name = "p2", .description = "", .checksum = "", .load_priority = 40,
	  .provides = p2_prov, .n_provides = 1, .descriptor = &nest_descs[1] },
	{ .name = "x", .description = "", .checksum = "", .load_priority = MF_PRIO_DEFAULT,
	  .uses = nest_uses, .n_uses = 1, .descriptor = &nest_descs[2] },
	{ .name = "y", .description = "", .checksum = "", .load_priority = MF_PRIO_DEFAULT,
	  .uses = nest_uses, .n_uses = 1, .descriptor = &nest_descs[3] },
};
static const struct mf_table_provider nest_provs[] = {
	{ "module", "p1", 0, 0 }, { "module", "p2", 0, 1 },
	{ "module", "x", 0, 2 },  { "module", "y", 0, 3 },
	{ "service", "s", 200, 0 }, { "service", "s", 100, 1 },
};
static const unsigned nest_order[] = { 0, 1, 2, 3 };
static const unsigned nest_choice[] = { 1, 0 }; /* x: p2 (wrong), y: p1 */

static void note_provider(void *data, const struct mf_table_ref *use,
			  const char *provider, unsigned priority)
{
	(void)use;
	(void)priority;
	snprintf(data, 16, "%s", provider ? provider : "-");
}

START_TEST(plan_dropped_when_a_module_starts_out_of_turn)
{
	const struct mf_table table = {
		.version = MF_TABLE_VERSION, .modules = nest_mods, .n_modules = 4,
		.providers = nest_provs, .n_providers = 6,
		.boot_order = nest_order, .n_boot_order = 4,
		.boot_choice = nest_choice, .n_boot_choice = 2,
	};
	struct mf_context *ctx;
	struct mf_config *cfg;
	struct mf_module *mod;
	char x_uses[16] = "", y_uses[16] = "";

	ck_assert_int_eq(mf_context_new(&ctx), 0);
	mf_context_set_log_fn(ctx, ignore_log, NULL);
	ck_assert_int_eq(mf_catalog_add_table(ctx, &table), 0);
	ck_assert_int_eq(mf_config_new(&cfg), 0);
	ck_assert_int_eq(mf_config_apply(ctx, cfg, NULL, NULL), 0);
	ck_assert_int_eq(mf_boot(ctx, cfg, NULL, NULL), 0);
	ck_assert_int_eq(mf_module_find(ctx, "x", &mod), 0);
	mf_module_deps(mod, note_provider, x_uses);
	ck_assert_int_eq(mf_module_find(ctx, "y", &mod), 0);
	mf_module_deps(mod, note_provider, y_uses);
	/* x was loaded by p2 (planned then, by the runtime): the best. */
	ck_assert_str_eq(x_uses, "p1");
	ck_assert_str_eq(y_uses, "p1");
	mf_config_free(cfg);
	mf_context_unref(ctx);
}
END_TEST

Suite *make_bootplan_suite(void)
{
	Suite *s = suite_create("bootplan");
	TCase *tc = tcase_create("property");
	TCase *tc_cond = tcase_create("conditions");

	/* Each chunk runs in well under a second; sanitizers are slower. */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, planned_boot_equals_runtime_planning, 0, CHUNKS);
	suite_add_tcase(s, tc);
	tcase_add_test(tc_cond, plan_followed_only_for_the_default_boot);
	tcase_add_test(tc_cond, plan_dropped_when_a_module_starts_out_of_turn);
	suite_add_tcase(s, tc_cond);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_bootplan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
