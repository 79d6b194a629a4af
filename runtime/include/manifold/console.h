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
 * Run one command line.  Returns 0, or a negative errno when the command
 * failed or was not understood (its output says why).  Blank lines and
 * comments (#) do nothing.
 */
int mf_console_exec(struct mf_context *ctx, const char *line, mf_out_fn out,
		    void *data);

/* An mf_event_fn that prints events as the console shows them. */
void mf_console_print_event(void *out_pair, const struct mf_event *ev);

/* The argument of mf_console_print_event: an output function and its data. */
struct mf_console_out {
	mf_out_fn out;
	void *data;
};

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
