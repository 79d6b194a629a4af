/* SPDX-License-Identifier: MIT */
/*
 * The boot order: a boot executes one plan, made at boot by the resolver
 * (there is no generated one), and starts every module after the
 * providers it was given.
 *
 * property: random tables (seeded, so every case can be replayed with
 * MF_BOOTPLAN_SEED=<seed>) are booted with the default configuration,
 * then driven with a few operations (forced and plain unloads, loads, dry
 * runs) and mf_stop_all().  Each boot starts every module after each of
 * its providers, and a table booted twice gives the same events, module
 * callbacks, return values, views and api registry, byte for byte.  Some
 * modules' load callbacks fail, so the re-planning after a failure is
 * covered too.  MF_BOOTPLAN_CASES=<n> runs n cases per chunk instead of
 * 150.
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

static uint64_t case_seed(unsigned c)
{
	return SEED_BASE + c;
}

/* The boot's starts ("ev start NAME" before the first snapshot), in order. */
static int start_position(const char *tr, const char *name)
{
	const char *end = strstr(tr, "== snapshot after boot");
	size_t len = strlen(name);
	int k = 0;

	for (const char *p = tr; (p = strstr(p, "ev start ")) && p < end; k++) {
		p += strlen("ev start ");
		if (strncmp(p, name, len) == 0 && p[len] == ' ')
			return k;
	}
	return -1;
}

/*
 * Every module the boot started came after each provider it was given
 * (the "dep" lines of the snapshot after the boot).  Returns how many
 * provider lines were checked.
 */
static unsigned check_order(const struct gcase *gc, const char *tr)
{
	const char *snap = strstr(tr, "== snapshot after boot");
	const char *end = strstr(tr, "== snapshot after operations");
	char user[16] = "";
	unsigned checked = 0;

	ck_assert_ptr_nonnull(snap);
	for (const char *p = snap; p && p < end; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char prov[16];
		int at_user, at_prov;

		if (sscanf(p, "mod %15s ", user) == 1)
			continue;
		if (strncmp(p, "  dep ", 6) != 0 || !strstr(p, " -> ") ||
		    sscanf(strstr(p, " -> ") + 4, "%15[^:]", prov) != 1 ||
		    strcmp(prov, "-") == 0)
			continue;
		at_user = start_position(tr, user);
		at_prov = start_position(tr, prov);
		if (at_user < 0)
			continue;
		ck_assert_msg(at_prov >= 0 && at_prov < at_user,
			      "seed %#llx: %s started at %d, its provider %s at %d",
			      (unsigned long long)gc->seed, user, at_user, prov, at_prov);
		checked++;
	}
	return checked;
}

START_TEST(boot_order_is_right)
{
	const char *per_chunk = getenv("MF_BOOTPLAN_CASES");
	unsigned n_cases = per_chunk && atoi(per_chunk) > 0 ?
		(unsigned)atoi(per_chunk) : CASES_PER_CHUNK;
	unsigned first = (unsigned)_i * n_cases, checked = 0, with_fail = 0;
	const char *one = getenv("MF_BOOTPLAN_SEED");
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
		struct sbuf ta = { 0 }, tb = { 0 };

		run_boot(gc, &gc->table, &ta);
		run_boot(gc, &gc->table, &tb);
		ck_assert_msg(strncmp(sb_str(&ta), "add_table 0\n", 12) == 0,
			      "seed %#llx: %.80s", (unsigned long long)seed, sb_str(&ta));
		ck_assert_msg(strcmp(sb_str(&ta), sb_str(&tb)) == 0,
			      "seed %#llx: two boots of one table differ",
			      (unsigned long long)seed);
		checked += check_order(gc, sb_str(&ta));
		with_fail += gc->n_fail != 0;
		if (one && *one)
			fprintf(stderr, "%s", sb_str(&ta));
		sb_free(&ta);
		sb_free(&tb);
		free(gc);
	}
	/* Not vacuous: providers were given and some modules failed. */
	if (!(one && *one)) {
		ck_assert_uint_ge(checked, n_cases);
		ck_assert_uint_ge(with_fail, 3);
	}
}
END_TEST

Suite *make_bootplan_suite(void)
{
	Suite *s = suite_create("bootplan");
	TCase *tc = tcase_create("order");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, boot_order_is_right, 0, CHUNKS);
	suite_add_tcase(s, tc);
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
