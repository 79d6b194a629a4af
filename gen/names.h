/* SPDX-License-Identifier: MIT */
/*
 * The module names of a set (a tree, or a --modules list), and the one
 * question a <depend> asks of them: is this a module of the set, and if
 * not, does it look like a slip for one (case, or one edit away)?
 */
#ifndef MANIFOLD_GEN_NAMES_H
#define MANIFOLD_GEN_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct gen_names {
	const char *const *v; /* not owned */
	size_t n;
	bool sorted; /* by strcmp(): lookups bisect, else they walk */
};

bool gen_names_has(const struct gen_names *names, const char *name);

/*
 * A module of the set that @name could be a slip for: the same but for
 * case, or one insertion, deletion or substitution away.  NULL if none.
 */
const char *gen_names_near(const struct gen_names *names, const char *name);

#endif

/*
 * The Kconfig symbol a board sets when it offers what a [requires] line
 * asks for: library=sqlite3 -> HAVE_SQLITE3, other=x -> HAVE_OTHER_X (any
 * byte but [A-Za-z0-9] becomes '_').  The length it needs, as snprintf().
 */
size_t gen_have_symbol(const char *type, const char *name, char *buf,
		       size_t size);
