/* SPDX-License-Identifier: MIT */
/*
 * What the console's files share (not part of the API): a command's view of
 * the line it runs, the command table, the helpers that print, and the
 * table layout.  Where each piece lives:
 *
 *   console.c          the command table, the interpreter, help, load/unload/refresh
 *   console_show.c     module show (table and JSON), api show, memory, call
 *   console_explain.c  module users, deps, why, graph
 *   console_complete.c tab completion over the command table
 *   console_table.c    columns sized to their content and the terminal
 *
 * A new command is a handler in the file of its concept and one row of
 * commands[] in console.c; help and completion read that row, and
 * tests/check_console.c holds docs/admin.md to it.
 */
#ifndef MANIFOLD_CONSOLE_CMD_H
#define MANIFOLD_CONSOLE_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <manifold/console.h>

#include "util/strbuf.h"

#define CONSOLE_MAX_WORDS 32
#define CONSOLE_LINE_MAX 1024
/* The name column of the event lines is at least this wide, so that boot
 * lines of short names look as they always did. */
#define CONSOLE_NAME_MIN 24

struct command;

struct cmd_ctx {
	struct mf_context *ctx;
	mf_out_fn out;
	void *data;
	unsigned width;	 /* the terminal's columns; 0: no limit */
	unsigned name_width; /* event lines' name column (mf_console_out) */
	const struct command *cmd;
	int argc;
	char **argv;	  /* words after the command's own */
	const char *rest; /* raw text after the command's own words */
	bool oom_said;	  /* "out of memory" printed already */
};

/*
 * One row of the command table.  usage reads "SYNTAX  SUMMARY": the syntax
 * ends at the first run of two spaces, and is what a usage error shows.
 */
struct command {
	const char *words[3];
	const char *usage;
	int (*run)(struct cmd_ctx *c);
	unsigned flags; /* CMD_* */
};

/* Complete module names after the command's words. */
#define CMD_MODULE_ARG 1u
/*
 * Read-only: runs under the context lock, so that what it shows is one
 * consistent state.  Operations take the lock themselves: a forced unload
 * must release it while it waits for users to go.
 */
#define CMD_LOCKED 2u

extern const struct command console_commands[];
extern const size_t console_n_commands;

/* How many of cmd->words are set (1 to 3). */
size_t console_cmd_words(const struct command *cmd);

void console_say(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A command line that cannot be run: say what is wrong, naming the command,
 * then how it is used.  Returns -EINVAL; nothing has changed.
 */
int console_bad(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *console_level_name(enum mf_support_level l);
/* Send @b as console output and empty it; -ENOMEM (said once) if it is
 * incomplete. */
int console_flush(struct cmd_ctx *c, struct mf_strbuf *b);
/* The event printer's output for what this command starts or stops. */
struct mf_console_out console_events(struct cmd_ctx *c);
/* Why @name names no module, or NULL when it names one. */
const char *console_name_problem(struct cmd_ctx *c, const char *name);

int cmd_module_show(struct cmd_ctx *c);
int cmd_module_users(struct cmd_ctx *c);
int cmd_module_deps(struct cmd_ctx *c);
int cmd_module_why(struct cmd_ctx *c);
int cmd_module_graph(struct cmd_ctx *c);
int cmd_api_show(struct cmd_ctx *c);
int cmd_memory(struct cmd_ctx *c);
int cmd_call(struct cmd_ctx *c);

/* ---- tables (console_table.c) ------------------------------------------- */

/*
 * Rows of cells printed in columns as wide as their widest cell (a header
 * is a row like the others), so that every name is printed whole.  One
 * column may be flexible: when a row would be wider than the terminal
 * (@width), that column narrows, down to CONSOLE_TABLE_FLEX_MIN, and its
 * longer cells end in "...".  Without a width nothing is cut.  The last
 * column is not padded.
 */
#define CONSOLE_TABLE_MAX_COLS 8
#define CONSOLE_TABLE_FLEX_MIN 12

struct console_table {
	unsigned n_cols;
	const char *indent;		       /* before each row; "" for none */
	int flex;			       /* the flexible column, or -1 */
	unsigned right;			       /* bit i: column i aligned right */
	size_t widths[CONSOLE_TABLE_MAX_COLS]; /* in characters */
	struct mf_strbuf cells;		       /* each cell's text and its NUL */
	size_t n_rows;
};

void console_table_init(struct console_table *t, unsigned n_cols, const char *indent,
			int flex, unsigned right);
/* Add one row of n_cols cells (NULL prints as empty). */
void console_table_row(struct console_table *t, const char *const cells[]);
size_t console_table_rows(const struct console_table *t);
/*
 * Append rows [first, end) (end may be SIZE_MAX: to the last), laid out
 * for @width columns (0: no limit) over the whole table, to @out.  A table
 * that ran out of memory makes @out incomplete (out->oom).
 */
void console_table_render(const struct console_table *t, unsigned width, size_t first,
			  size_t end, struct mf_strbuf *out);
void console_table_fini(struct console_table *t);
/* Characters in UTF-8 text (bytes that do not continue a sequence). */
size_t console_text_columns(const char *s);

#endif
