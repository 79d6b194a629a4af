/* SPDX-License-Identifier: MIT */
/*
 * The dependency graph of a manifest set, as `kconfig` and `check` see it.
 *
 * A module "needs" each line of its [uses] except those it provides itself
 * (a module that offers service=timer and uses service=timer is satisfied by
 * itself).  A need is met by any of its providers: the modules whose
 * [provides] name the same type=name, plus, for module=X, module X itself.
 * So the graph is an AND-OR graph: every need of a module must be met, each
 * by one provider of the builder's choice.
 */
#ifndef MANIFOLD_GEN_DEPGRAPH_H
#define MANIFOLD_GEN_DEPGRAPH_H

#include <stddef.h>

#include <manifold/manifest.h>

/* "MODULE_" plus the longest accepted name, upper-cased. */
#define DG_SYMBOL_MAX 96

/* One [uses] line and the modules that can meet it. */
struct dg_need {
	const struct mf_ref *ref;
	size_t *providers; /* module indices, ascending (= by name), no repeats */
	size_t n_providers;
};

struct dg_module {
	const struct mf_manifest *m;
	char symbol[DG_SYMBOL_MAX]; /* Kconfig symbol without CONFIG_ */
	struct dg_need *needs;	    /* in [uses] order */
	size_t n_needs;
};

/* One thing provided: a [provides] line or the implied module=<name>. */
struct dg_provision {
	const char *type;
	const char *name;
	unsigned priority;
	unsigned line; /* 0 for the implied module=<name> */
	size_t module;
};

struct depgraph {
	struct dg_module *mods; /* same order as the input: by name */
	size_t n;
	/* Sorted by type, name, priority (highest first), module. */
	struct dg_provision *provs;
	size_t n_provs;
};

/*
 * Build the graph of mods[0..n), which must be sorted by name with no name
 * twice (callers judge duplicates first).  The graph points into the
 * manifests: keep them alive as long as it.  0, -ENOMEM or -EINVAL (a name
 * that does not fit a Kconfig symbol, or mods not sorted and unique).
 */
int dg_build(struct depgraph *g, struct mf_manifest *const *mods, size_t n);
void dg_free(struct depgraph *g);

/* Index of the module called @name, or -1. */
long dg_find(const struct depgraph *g, const char *name);

/*
 * The provisions of type=name: returns how many and sets *first to the index
 * of the first in g->provs (they are adjacent, best priority first).
 */
size_t dg_lookup(const struct depgraph *g, const char *type, const char *name,
		 size_t *first);

/* "MODULE_" + upper-cased @name into buf; 0 or -EINVAL when it does not fit
 * or holds a character a Kconfig symbol cannot. */
int dg_symbol(const char *name, char *buf, size_t len);

/*
 * A cycle that no choice of providers avoids for at least one module on it:
 * path[0..len) with path[0] the smallest name, the edge path[i] ->
 * path[i+1 mod len] being a [uses] line of path[i] that path[i+1] meets.
 * line is that [uses] line of path[0].
 */
struct dg_cycle {
	size_t *path;
	size_t len;
	unsigned line;
};

/*
 * Find the modules in an unavoidable cycle (every choice of providers leads
 * from the module back to itself) and list, once each, the elementary cycles
 * through them along which that happens, sorted.  At most @max cycles are
 * listed; *truncated tells whether more were left out.  0 or -ENOMEM.
 */
int dg_cycles(const struct depgraph *g, size_t max, struct dg_cycle **out,
	      size_t *n_out, int *truncated);
void dg_cycles_free(struct dg_cycle *cycles, size_t n);

/* Three-valued module selection, as in a Kconfig .config. */
enum dg_tristate { DG_N = 0, DG_M = 1, DG_Y = 2 };

#endif
