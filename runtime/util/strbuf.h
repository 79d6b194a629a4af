/* SPDX-License-Identifier: MIT */
/*
 * A growable string: text appended piece by piece, always NUL-terminated,
 * on the runtime's allocator.  One helper for everything that builds text
 * before sending it whole (the console's JSON and dot output and tables,
 * the control socket's answers and lines).
 *
 * Out of memory is sticky: a failed append sets @oom, every later append
 * does nothing, and the writer checks once at the end instead of at every
 * call.  mf_strbuf_reset() clears it.
 *
 *	struct mf_strbuf b = MF_STRBUF_INIT;
 *
 *	mf_strbuf_puts(&b, "[");
 *	mf_strbuf_printf(&b, "%u", n);
 *	if (b.oom) ... else send(mf_strbuf_str(&b));
 *	mf_strbuf_release(&b);
 */
#ifndef MANIFOLD_STRBUF_H
#define MANIFOLD_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct mf_strbuf {
	char *p;    /* NULL until the first append */
	size_t len; /* bytes of text, without the NUL */
	size_t cap; /* bytes allocated */
	bool oom;   /* an append failed: the text is incomplete */
};

#define MF_STRBUF_INIT { NULL, 0, 0, false }

/* Append @n bytes of @s (which may hold no NUL). */
void mf_strbuf_add(struct mf_strbuf *b, const char *s, size_t n);
void mf_strbuf_puts(struct mf_strbuf *b, const char *s);
void mf_strbuf_addch(struct mf_strbuf *b, char c);
/* Append @n copies of @c (padding). */
void mf_strbuf_pad(struct mf_strbuf *b, char c, size_t n);
/* Append as printf() would print, whatever the length. */
void mf_strbuf_printf(struct mf_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mf_strbuf_vprintf(struct mf_strbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* The text so far; "" before anything was appended.  Valid until the next
 * append. */
const char *mf_strbuf_str(const struct mf_strbuf *b);
/* Empty the text and forget an earlier failure; the memory stays for reuse. */
void mf_strbuf_reset(struct mf_strbuf *b);
/*
 * The text as a string the caller frees with mf_free(), leaving @b empty
 * (and owning nothing).  NULL when an append failed or memory is short;
 * @b is emptied either way.
 */
char *mf_strbuf_take(struct mf_strbuf *b);
/* Free the memory; @b is empty and reusable afterwards. */
void mf_strbuf_release(struct mf_strbuf *b);

#endif
