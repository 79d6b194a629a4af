/* SPDX-License-Identifier: MIT */
/*
 * Console tables (see console_cmd.h): every column as wide as its widest
 * cell, so a name is never cut and never pushes the columns after it out of
 * line; on a terminal too narrow for the whole row, the one flexible column
 * (a description) gives up its width and its longer cells end in "...".
 *
 * Widths count characters, not bytes: a description is UTF-8 text, and a
 * cut never splits a character.
 */
#include <string.h>

#include "frontend/console_cmd.h"

#define CUT_MARK "..."

size_t console_text_columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void console_table_init(struct console_table *t, unsigned n_cols, const char *indent, int flex,
		unsigned right)
{
	memset(t, 0, sizeof(*t));
	t->n_cols = n_cols < CONSOLE_TABLE_MAX_COLS ? n_cols : CONSOLE_TABLE_MAX_COLS;
	t->indent = indent;
	t->flex = flex;
	t->right = right;
}

void console_table_row(struct console_table *t, const char *const cells[])
{
	for (unsigned i = 0; i < t->n_cols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		size_t w = console_text_columns(s);

		if (w > t->widths[i])
			t->widths[i] = w;
		mf_strbuf_add(&t->cells, s, strlen(s) + 1);
	}
	t->n_rows++;
}

size_t console_table_rows(const struct console_table *t)
{
	return t->n_rows;
}

/* The byte length of @s's first @cols characters. */
static size_t bytes_of_columns(const char *s, size_t cols)
{
	size_t i = 0;

	while (s[i] && cols) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		cols--;
	}
	return i;
}

/* How wide the flexible column may be on @width columns. */
static size_t flex_width(const struct console_table *t, unsigned width)
{
	size_t others = strlen(t->indent), w;

	if (t->flex < 0 || !width)
		return t->flex < 0 ? 0 : t->widths[t->flex];
	for (unsigned i = 0; i < t->n_cols; i++)
		if ((int)i != t->flex)
			others += t->widths[i] + 1;
	w = others < width ? width - others : 0;
	if (w < CONSOLE_TABLE_FLEX_MIN)
		w = CONSOLE_TABLE_FLEX_MIN;
	return w < t->widths[t->flex] ? w : t->widths[t->flex];
}

static void put_cell(struct mf_strbuf *out, const char *s, size_t width, bool right,
		     bool last)
{
	size_t cols = console_text_columns(s);

	if (cols > width) {
		/* Cut, with a mark that says so. */
		size_t keep = width > strlen(CUT_MARK) ? width - strlen(CUT_MARK) : 0;

		mf_strbuf_add(out, s, bytes_of_columns(s, keep));
		mf_strbuf_add(out, CUT_MARK, width - keep < strlen(CUT_MARK) ?
			      width - keep : strlen(CUT_MARK));
		return;
	}
	if (right)
		mf_strbuf_pad(out, ' ', width - cols);
	mf_strbuf_puts(out, s);
	if (!right && !last)
		mf_strbuf_pad(out, ' ', width - cols);
}

void console_table_render(const struct console_table *t, unsigned width, size_t first,
			  size_t end, struct mf_strbuf *out)
{
	size_t widths[CONSOLE_TABLE_MAX_COLS];
	const char *cell = mf_strbuf_str(&t->cells);

	if (t->cells.oom) {
		out->oom = true;
		return;
	}
	memcpy(widths, t->widths, sizeof(widths));
	if (t->flex >= 0)
		widths[t->flex] = flex_width(t, width);
	for (size_t row = 0; row < t->n_rows && row < end; row++) {
		for (unsigned i = 0; i < t->n_cols; i++) {
			bool last = i + 1 == t->n_cols;

			if (row >= first) {
				if (i == 0)
					mf_strbuf_puts(out, t->indent);
				put_cell(out, cell, widths[i], t->right & (1u << i), last);
				mf_strbuf_addch(out, last ? '\n' : ' ');
			}
			cell += strlen(cell) + 1;
		}
	}
}

void console_table_fini(struct console_table *t)
{
	mf_strbuf_release(&t->cells);
}
