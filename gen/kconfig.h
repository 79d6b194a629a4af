/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen kconfig's state, shared by the menu writer (gen/kconfig.c)
 * and the dependency-graph choices it rests on (gen/kconfig_graph.c):
 * which provider alternatives and which conflicts the menu can state
 * without a cycle Kconfig would refuse.
 */
#ifndef MANIFOLD_GEN_KCONFIG_H
#define MANIFOLD_GEN_KCONFIG_H

#include "depgraph.h"
#include "gen.h"

enum default_kind { DEF_NONE, DEF_M, DEF_Y };

struct kconfig {
	const struct gen_manifest_set *set;
	struct depgraph g;
	/* keep[i][k][j]: provider j of need k of module i stays an
	 * alternative (see prune_cycles) */
	unsigned char ***keep;
	enum default_kind *def;
	const char **def_why; /* where the default came from, for help */
	/* conflict[i][c]: the menu enforces [menu] conflict c of module i
	 * (see add_conflicts) */
	unsigned char **conflict;
};

/* gen/kconfig_graph.c */
int keep_alloc(struct kconfig *kc);
void keep_free(struct kconfig *kc);
int prune_cycles(struct kconfig *kc);
int add_conflicts(struct kconfig *kc);
void conflict_free(struct kconfig *kc);

#endif
