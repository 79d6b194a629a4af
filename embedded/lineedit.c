/* SPDX-License-Identifier: MIT */
/*
 * The console's line editor (see lineedit.h).  Each key edits a buffer, and
 * the row is then redrawn whole: carriage return, prompt, text, erase to the
 * end of the row, cursor back to its place.  Redrawing everything costs a
 * few dozen bytes per key and leaves no state to get wrong.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lineedit.h"

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f
/* How long the bytes after an ESC may take to come, in ms: a lone ESC
 * key must not swallow the next key typed. */
#define ESC_WAIT_MS 100

enum key {
	K_NONE = 256,
	K_UP,
	K_DOWN,
	K_LEFT,
	K_RIGHT,
	K_HOME,
	K_END,
	K_DELETE,
};

struct mf_lineedit {
	int in, out;
	struct termios cooked;
	mf_lineedit_complete_fn complete;
	void *complete_data;

	const char *prompt;
	char buf[MF_LINEEDIT_MAX + 1];
	size_t len, pos;

	char *history[MF_LINEEDIT_HISTORY];
	size_t n_history;
	size_t hist_pos;  /* n_history: the line being typed */
	char *scratch;	  /* that line, while browsing the history */
};

int mf_lineedit_new(int in_fd, int out_fd, struct mf_lineedit **out)
{
	struct mf_lineedit *le;
	struct termios t;

	if (tcgetattr(in_fd, &t) < 0)
		return -ENOTTY;
	le = calloc(1, sizeof(*le));
	if (!le)
		return -ENOMEM;
	le->in = in_fd;
	le->out = out_fd;
	le->cooked = t;
	*out = le;
	return 0;
}

void mf_lineedit_free(struct mf_lineedit *le)
{
	if (!le)
		return;
	for (size_t i = 0; i < le->n_history; i++)
		free(le->history[i]);
	free(le->scratch);
	free(le);
}

void mf_lineedit_set_completion(struct mf_lineedit *le,
				mf_lineedit_complete_fn fn, void *data)
{
	le->complete = fn;
	le->complete_data = data;
}

/* ---- terminal ------------------------------------------------------------ */

static void put(struct mf_lineedit *le, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(le->out, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the terminal is gone; reading will say so */
		s += w;
		n -= (size_t)w;
	}
}

static void puts_le(struct mf_lineedit *le, const char *s)
{
	put(le, s, strlen(s));
}

/*
 * No echo, no line discipline, no signals from keys: every byte comes to us.
 * Output processing stays on, so "\n" still goes out as CR LF.  TCSADRAIN,
 * not TCSAFLUSH: keys typed ahead (or pasted) must not be lost.
 */
static int raw_on(struct mf_lineedit *le)
{
	struct termios raw;

	if (tcgetattr(le->in, &le->cooked) < 0)
		return -errno;
	raw = le->cooked;
	raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
	raw.c_cflag |= CS8;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	return tcsetattr(le->in, TCSADRAIN, &raw) < 0 ? -errno : 0;
}

static void raw_off(struct mf_lineedit *le)
{
	tcsetattr(le->in, TCSADRAIN, &le->cooked);
}

static void refresh(struct mf_lineedit *le)
{
	char tail[32];

	put(le, "\r", 1);
	puts_le(le, le->prompt);
	put(le, le->buf, le->len);
	puts_le(le, "\x1b[K");
	if (le->pos < le->len) {
		snprintf(tail, sizeof(tail), "\x1b[%zuD", le->len - le->pos);
		puts_le(le, tail);
	}
}

/* One byte; 0 at end of input, -errno on error. */
static int read_byte(struct mf_lineedit *le, unsigned char *c)
{
	for (;;) {
		ssize_t n = read(le->in, c, 1);

		if (n == 1)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* The byte after an ESC, if it comes soon; 0 when it does not. */
static int read_byte_soon(struct mf_lineedit *le, unsigned char *c)
{
	struct pollfd p = { .fd = le->in, .events = POLLIN };

	if (poll(&p, 1, ESC_WAIT_MS) <= 0)
		return 0;
	return read_byte(le, c);
}

/* A key: a byte, or one of enum key for the escape sequences we know. */
static int read_key(struct mf_lineedit *le)
{
	unsigned char c, a, b;
	int r = read_byte(le, &c);

	if (r <= 0)
		return r == 0 ? -ENODATA : r;
	if (c != KEY_ESC)
		return c;
	if (read_byte_soon(le, &a) <= 0 || (a != '[' && a != 'O') ||
	    read_byte_soon(le, &b) <= 0)
		return K_NONE;
	switch (b) {
	case 'A': return K_UP;
	case 'B': return K_DOWN;
	case 'C': return K_RIGHT;
	case 'D': return K_LEFT;
	case 'H': return K_HOME;
	case 'F': return K_END;
	}
	if (a == '[' && b >= '0' && b <= '9') {
		unsigned char t;

		/* ESC [ n ~, as sent for home, end and delete */
		if (read_byte_soon(le, &t) <= 0 || t != '~')
			return K_NONE;
		switch (b) {
		case '1': case '7': return K_HOME;
		case '4': case '8': return K_END;
		case '3': return K_DELETE;
		}
	}
	return K_NONE;
}

/* ---- editing ------------------------------------------------------------- */

static void bell(struct mf_lineedit *le)
{
	put(le, "\a", 1);
}

static bool insert(struct mf_lineedit *le, const char *s, size_t n)
{
	if (le->len + n > MF_LINEEDIT_MAX) {
		bell(le);
		return false;
	}
	memmove(le->buf + le->pos + n, le->buf + le->pos, le->len - le->pos);
	memcpy(le->buf + le->pos, s, n);
	le->len += n;
	le->pos += n;
	le->buf[le->len] = '\0';
	return true;
}

/* Remove the bytes [from, to). */
static void erase(struct mf_lineedit *le, size_t from, size_t to)
{
	memmove(le->buf + from, le->buf + to, le->len - to);
	le->len -= to - from;
	le->buf[le->len] = '\0';
	if (le->pos > to)
		le->pos -= to - from;
	else if (le->pos > from)
		le->pos = from;
}

static void set_text(struct mf_lineedit *le, const char *s)
{
	size_t n = strlen(s);

	if (n > MF_LINEEDIT_MAX)
		n = MF_LINEEDIT_MAX;
	memcpy(le->buf, s, n);
	le->buf[n] = '\0';
	le->len = le->pos = n;
}

static void word_erase(struct mf_lineedit *le)
{
	size_t from = le->pos;

	while (from > 0 && le->buf[from - 1] == ' ')
		from--;
	while (from > 0 && le->buf[from - 1] != ' ')
		from--;
	erase(le, from, le->pos);
}

/* ---- history ------------------------------------------------------------- */

static void history_add(struct mf_lineedit *le, const char *line)
{
	char *copy;

	if (!line[0] || (le->n_history &&
			 strcmp(le->history[le->n_history - 1], line) == 0))
		return;
	copy = strdup(line);
	if (!copy)
		return; /* history is a comfort; no memory, no entry */
	if (le->n_history == MF_LINEEDIT_HISTORY) {
		free(le->history[0]);
		memmove(le->history, le->history + 1,
			(MF_LINEEDIT_HISTORY - 1) * sizeof(*le->history));
		le->n_history--;
	}
	le->history[le->n_history++] = copy;
}

static void history_move(struct mf_lineedit *le, bool up)
{
	if (up ? le->hist_pos == 0 : le->hist_pos == le->n_history) {
		bell(le);
		return;
	}
	if (le->hist_pos == le->n_history) {
		/* Leaving the line being typed: keep it to come back to. */
		free(le->scratch);
		le->scratch = strdup(le->buf);
	}
	le->hist_pos += up ? (size_t)-1 : 1;
	set_text(le, le->hist_pos == le->n_history ?
		 (le->scratch ? le->scratch : "") : le->history[le->hist_pos]);
}

/* ---- completion ---------------------------------------------------------- */

struct candidates {
	char **items;
	size_t n, cap;
	const char *prefix;
};

static void add_candidate(void *list, const char *candidate)
{
	struct candidates *c = list;

	if (strncmp(candidate, c->prefix, strlen(c->prefix)) != 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i], candidate) == 0)
			return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->items, cap * sizeof(*c->items));

		if (!p)
			return;
		c->items = p;
		c->cap = cap;
	}
	c->items[c->n] = strdup(candidate);
	if (c->items[c->n])
		c->n++;
}

/*
 * Tab: one candidate completes the word (and adds a space); several extend
 * it to what they share, or, when they share no more, are listed.
 */
static void complete(struct mf_lineedit *le)
{
	char before[MF_LINEEDIT_MAX + 1];
	struct candidates c = { 0 };
	size_t start = le->pos, common;

	if (!le->complete) {
		bell(le);
		return;
	}
	while (start > 0 && le->buf[start - 1] != ' ' && le->buf[start - 1] != '\t')
		start--;
	memcpy(before, le->buf, le->pos);
	before[le->pos] = '\0';
	c.prefix = before + start;
	le->complete(le->complete_data, before, add_candidate, &c);
	if (c.n == 0) {
		bell(le);
		goto out;
	}
	common = strlen(c.items[0]);
	for (size_t i = 1; i < c.n; i++) {
		size_t k = 0;

		while (k < common && c.items[i][k] == c.items[0][k])
			k++;
		common = k;
	}
	if (c.n == 1) {
		if (insert(le, c.items[0] + (le->pos - start), common - (le->pos - start)))
			insert(le, " ", 1);
	} else if (common > le->pos - start) {
		insert(le, c.items[0] + (le->pos - start), common - (le->pos - start));
	} else {
		put(le, "\n", 1);
		for (size_t i = 0; i < c.n; i++) {
			puts_le(le, c.items[i]);
			puts_le(le, i + 1 < c.n ? "  " : "\n");
		}
	}
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.items[i]);
	free(c.items);
}

/* ---- the loop ------------------------------------------------------------ */

int mf_lineedit_read(struct mf_lineedit *le, const char *prompt, char **line)
{
	int err = raw_on(le), key;

	if (err < 0)
		return err;
	le->prompt = prompt;
	le->len = le->pos = 0;
	le->buf[0] = '\0';
	le->hist_pos = le->n_history;
	refresh(le);
	for (;;) {
		key = read_key(le);
		if (key < 0) {
			err = key == -ENODATA ? 0 : key;
			break;
		}
		if (key == '\r' || key == '\n') {
			err = 1;
			break;
		}
		if (key == KEY_CTRL('d') && le->len == 0) {
			err = 0;
			break;
		}
		switch (key) {
		case KEY_CTRL('a'): case K_HOME: le->pos = 0; break;
		case KEY_CTRL('e'): case K_END: le->pos = le->len; break;
		case KEY_CTRL('b'): case K_LEFT: if (le->pos) le->pos--; break;
		case KEY_CTRL('f'): case K_RIGHT: if (le->pos < le->len) le->pos++; break;
		case KEY_CTRL('h'): case KEY_DEL:
			if (le->pos)
				erase(le, le->pos - 1, le->pos);
			break;
		case KEY_CTRL('d'): case K_DELETE:
			if (le->pos < le->len)
				erase(le, le->pos, le->pos + 1);
			break;
		case KEY_CTRL('u'): erase(le, 0, le->pos); break;
		case KEY_CTRL('k'): erase(le, le->pos, le->len); break;
		case KEY_CTRL('w'): word_erase(le); break;
		case KEY_CTRL('l'): puts_le(le, "\x1b[H\x1b[2J"); break;
		case K_UP: history_move(le, true); break;
		case K_DOWN: history_move(le, false); break;
		case '\t': complete(le); break;
		case KEY_CTRL('c'):
			/* Drop the line, as a shell does, and start afresh. */
			puts_le(le, "^C\n");
			le->len = le->pos = 0;
			le->buf[0] = '\0';
			le->hist_pos = le->n_history;
			break;
		default:
			if (key >= ' ' && key < KEY_DEL) {
				char ch = (char)key;

				insert(le, &ch, 1);
			} else if (key >= 0x80 && key < K_NONE) {
				/* UTF-8 bytes pass through as they are */
				char ch = (char)key;

				insert(le, &ch, 1);
			}
			break;
		}
		refresh(le);
	}
	/* The cursor to the end, then a new row for what comes next. */
	le->pos = le->len;
	refresh(le);
	put(le, "\n", 1);
	raw_off(le);
	if (err == 1) {
		*line = strdup(le->buf);
		if (!*line)
			return -ENOMEM;
		history_add(le, le->buf);
	}
	return err;
}
