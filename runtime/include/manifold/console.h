/* SPDX-License-Identifier: MIT */
/*
 * The administrator's console: one command interpreter for the image's
 * console and its control socket, so both speak exactly the same language.
 */
#ifndef MANIFOLD_CONSOLE_H
#define MANIFOLD_CONSOLE_H

#include <manifold/manifold.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a command's output goes; text is one or more whole lines. */
typedef void (*mf_out_fn)(void *data, const char *text);

/*
 * Where console output goes, and how it is laid out: an output function and
 * its data, and what the output is printed on.
 */
struct mf_console_out {
	mf_out_fn out;
	void *data;
	/*
	 * Event lines (mf_console_print_event()): the width of their module
	 * name column; below 24 (0 too) it is 24.  mf_console_name_width()
	 * gives one that fits every module of a context, so the columns after
	 * the name stay in line.
	 */
	unsigned name_width;
	/*
	 * The terminal's width in columns, when the output is a terminal;
	 * tables that would be wider cut their descriptions, with "..." where
	 * they do.  0: not a terminal, nothing is cut.
	 */
	unsigned width;
};

/*
 * Run one command line.  Returns 0, or a negative errno when the command
 * failed or was not understood (its output says why).  Blank lines and
 * comments (#) do nothing.  Tables are as wide as their content.
 */
int mf_console_exec(struct mf_context *ctx, const char *line, mf_out_fn out,
		    void *data);

/* mf_console_exec() for the output @o describes (name_width is chosen by
 * the console itself). */
int mf_console_run(struct mf_context *ctx, const char *line,
		   const struct mf_console_out *o);

/* An mf_event_fn that prints events as the console shows them; its data
 * is a struct mf_console_out. */
void mf_console_print_event(void *out_pair, const struct mf_event *ev);

/* The name column that fits every module of @ctx in every event line: at
 * least 24, two more than the longest name. */
unsigned mf_console_name_width(struct mf_context *ctx);

/*
 * Completion candidates for the word that ends at the end of @line: command
 * words, then module names (without ".so", loaded or not).
 */
int mf_console_complete(struct mf_context *ctx, const char *line,
			void (*fn)(void *data, const char *candidate), void *data);

#ifdef __cplusplus
}
#endif
#endif
