/* SPDX-License-Identifier: MIT */
/*
 * What a module's registration macro says (AST_MODULE_INFO-style, read in
 * the asterisk dialect when MODULEINFO lacks it): a description, a load
 * priority, and whether the module exports its globals.
 *
 *   AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_GLOBAL_SYMBOLS |
 *                   AST_MODFLAG_LOAD_ORDER, "Timing: timerfd",
 *                   .load_pri = AST_MODPRI_TIMING, ...);
 *   AST_MODULE_INFO_STANDARD(ASTERISK_GPL_KEY, "Dial application");
 */
#ifndef MANIFOLD_GEN_REGMACRO_H
#define MANIFOLD_GEN_REGMACRO_H

#include <stdbool.h>
#include <stddef.h>

struct gen_regmacro {
	unsigned line;	   /* of the macro's name; 0: no macro found */
	char *description; /* the first argument made of string literals */
	bool has_priority; /* .load_pri = AST_MODPRI_<LEVEL> */
	unsigned load_priority;
	bool export_globals; /* AST_MODFLAG_GLOBAL_SYMBOLS among the flags */
};

/*
 * Find the first AST_MODULE_INFO* invocation of the C source (comments and
 * literals skipped).  0 (out->line 0 when there is none), -ENOMEM, or
 * -EINVAL with "reason" in err (a .load_pri this file cannot name).
 */
int gen_regmacro_read(const char *src, size_t len, struct gen_regmacro *out,
		      char *err, size_t errlen);

void gen_regmacro_free(struct gen_regmacro *rm);

#endif
