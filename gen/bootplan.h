/* SPDX-License-Identifier: MIT */
/*
 * The boot plan of a registry table (gen/bootplan.c): what a boot with the
 * default configuration (autoload, nothing else) starts and which provider
 * each [uses] line gets, found by running the runtime's own boot over the
 * table, so that the plan is what the runtime would do by construction.
 * `manifold-gen registry` writes it into the table (boot_order[] and
 * boot_choice[] of <manifold/table.h>).
 */
#ifndef MANIFOLD_GEN_BOOTPLAN_H
#define MANIFOLD_GEN_BOOTPLAN_H

#include <stddef.h>

#include <manifold/table.h>

/*
 * Indexes count the table's embedded modules only (those with a
 * descriptor), in table order.  order[k] is the k-th module to start;
 * choice holds, module after module in start order, the module chosen for
 * each of its [uses] lines.  Both are NULL when empty.
 */
struct gen_boot_plan {
	unsigned *order;
	size_t n_order;
	unsigned *choice;
	size_t n_choice;
};

/*
 * Plan the default boot of @table, whose embedded modules have a non-NULL
 * descriptor (any pointer: it is never called) and whose loadable ones NULL.
 * 0 with @plan filled; 1 when no plan can be made because an embedded
 * module would not start, @why (if @why_len) saying which and why; negative
 * errno (-ENOMEM) otherwise.  @plan is empty unless 0 is returned.
 */
int gen_boot_plan(const struct mf_table *table, struct gen_boot_plan *plan,
		  char *why, size_t why_len);
void gen_boot_plan_free(struct gen_boot_plan *plan);

#endif
