/* SPDX-License-Identifier: MIT */
/*
 * A small line editor for the image's interactive console (and `manifold
 * -r`): raw terminal input, one line at a time, with the keys of a shell.
 *
 *   left/right, ctrl-b/ctrl-f   move          home/end, ctrl-a/ctrl-e  ends
 *   backspace, delete, ctrl-d   erase         ctrl-u / ctrl-k  to start / end
 *   ctrl-w                      erase a word  ctrl-c  drop the line
 *   up/down                     this session's history
 *   tab                         complete the word before the cursor
 *   ctrl-d on an empty line     end of input
 *
 * The terminal is raw only while a line is read, so command output and
 * signals behave as usual in between.  Lines are edited as bytes on one
 * terminal row: enough for console commands, which are short and ASCII.
 */
#ifndef MANIFOLD_LINEEDIT_H
#define MANIFOLD_LINEEDIT_H

#include <stddef.h>

/* Longest line, in bytes; typing beyond it rings the bell. */
#define MF_LINEEDIT_MAX 4096
/* Lines of history kept; the oldest go first. */
#define MF_LINEEDIT_HISTORY 200

struct mf_lineedit;

/*
 * Completion: call @add once per candidate for the word that ends at the end
 * of @line (the text before the cursor).  Same shape as
 * mf_console_complete(), with the context in @data.
 */
typedef int (*mf_lineedit_complete_fn)(void *data, const char *line,
				       void (*add)(void *list, const char *candidate),
				       void *list);

/* Edit on terminal @in_fd, echo to @out_fd.  0, -ENOTTY, -ENOMEM. */
int mf_lineedit_new(int in_fd, int out_fd, struct mf_lineedit **out);
void mf_lineedit_free(struct mf_lineedit *le);
void mf_lineedit_set_completion(struct mf_lineedit *le,
				mf_lineedit_complete_fn fn, void *data);

/*
 * Show @prompt and read one line into *line (allocated, no newline; the
 * caller frees it).  Returns 1 for a line, 0 at end of input, or a negative
 * errno.  Non-empty lines go into the history.
 */
int mf_lineedit_read(struct mf_lineedit *le, const char *prompt, char **line);

#endif
