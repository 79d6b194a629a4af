/* SPDX-License-Identifier: MIT */
/* A growable string (see strbuf.h). */
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/strbuf.h"

/* Room for @n more bytes and the NUL; false (and oom) when there is none. */
static bool reserve(struct mf_strbuf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	if (n > (size_t)-1 / 2 - b->len) {
		b->oom = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = mf_realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void mf_strbuf_add(struct mf_strbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void mf_strbuf_puts(struct mf_strbuf *b, const char *s)
{
	mf_strbuf_add(b, s, strlen(s));
}

void mf_strbuf_addch(struct mf_strbuf *b, char c)
{
	mf_strbuf_add(b, &c, 1);
}

void mf_strbuf_pad(struct mf_strbuf *b, char c, size_t n)
{
	if (!reserve(b, n))
		return;
	memset(b->p + b->len, c, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void mf_strbuf_vprintf(struct mf_strbuf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	if (b->oom)
		return;
	/* Try in the room there is; when it is short, grow and print again. */
	va_copy(again, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	if (n >= 0 && (!b->p || (size_t)n >= b->cap - b->len) && reserve(b, (size_t)n))
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, again);
	va_end(again);
	if (n < 0 || b->oom) {
		/* An encoding error, or no room: the text is as it was. */
		if (b->p)
			b->p[b->len] = '\0';
		b->oom = true;
		return;
	}
	b->len += (size_t)n;
}

void mf_strbuf_printf(struct mf_strbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mf_strbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *mf_strbuf_str(const struct mf_strbuf *b)
{
	return b->p ? b->p : "";
}

void mf_strbuf_reset(struct mf_strbuf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->p)
		b->p[0] = '\0';
}

char *mf_strbuf_take(struct mf_strbuf *b)
{
	char *text = b->oom ? NULL : b->p ? b->p : mf_strdup("");

	if (b->oom)
		mf_free(b->p);
	*b = (struct mf_strbuf)MF_STRBUF_INIT;
	return text;
}

void mf_strbuf_release(struct mf_strbuf *b)
{
	mf_free(b->p);
	*b = (struct mf_strbuf)MF_STRBUF_INIT;
}
