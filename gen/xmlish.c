/* SPDX-License-Identifier: MIT */
/*
 * The XML-ish reader of gen/xmlish.h: a tokenizer and a block reader.
 *
 * The tokenizer yields text, opening tags (with their attributes) and
 * closing tags; it decodes entities, skips comments and hands CDATA out as
 * text, counting source lines as it goes so that every message names the
 * line in the .c file.  The block reader keeps a stack of open elements to
 * check nesting and collects each top-level element with its own text and
 * the first element nested in it (so an interpreter can refuse one).
 *
 * Pieces, in file order: growable strings; messages; the tokenizer; the
 * block reader.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "xmlish.h"

/* ---- growable strings -------------------------------------------------- */

int xbuf_add(struct xbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = mf_realloc(b->s, cap);
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int xbuf_addc(struct xbuf *b, char c)
{
	return xbuf_add(b, &c, 1);
}

char *xbuf_steal(struct xbuf *b)
{
	char *s = b->s ? b->s : mf_strdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void xbuf_free(struct xbuf *b)
{
	mf_free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* ---- messages ---------------------------------------------------------- */

int xdiag_fail(const struct xdiag *d, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(d->err, d->errlen, "%s:%u: ", d->path, line);
	if (n < 0 || (size_t)n >= d->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int xdiag_nomem(const struct xdiag *d, unsigned line)
{
	xdiag_fail(d, line, "out of memory");
	return -ENOMEM;
}

/* ---- tokenizer --------------------------------------------------------- */

enum xtok_kind { XT_EOF, XT_TEXT, XT_OPEN, XT_CLOSE };

struct xtok {
	enum xtok_kind kind;
	unsigned line;
	struct xtag tag; /* XT_OPEN; XT_CLOSE uses tag.name only */
	struct xbuf text; /* XT_TEXT, decoded */
};

struct xlex {
	const struct xdiag *d;
	const char *p, *end;
	unsigned line;
};

static void xtag_free(struct xtag *t)
{
	size_t i;

	for (i = 0; i < t->n_attrs; i++) {
		mf_free(t->attrs[i].name);
		mf_free(t->attrs[i].value);
	}
	mf_free(t->attrs);
	mf_free(t->name);
	memset(t, 0, sizeof(*t));
}

static void xtok_free(struct xtok *t)
{
	xtag_free(&t->tag);
	xbuf_free(&t->text);
}

static bool starts(const struct xlex *lx, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, s, n) == 0;
}

/* Move the cursor to @to, counting the lines passed. */
static void advance(struct xlex *lx, const char *to)
{
	lx->line += xml_count_lines(lx->p, to);
	lx->p = to;
}

static const char *find(const struct xlex *lx, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	for (p = lx->p; (size_t)(lx->end - p) >= n; p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.';
}

static void skip_space(struct xlex *lx)
{
	const char *p = lx->p;

	while (p < lx->end && xml_is_space(*p))
		p++;
	advance(lx, p);
}

/*
 * The name at the cursor into *out: 0, or -EINVAL (nothing consumed, with
 * @what in the message) when there is none, or -ENOMEM.
 */
static int lex_name(struct xlex *lx, unsigned line, const char *what,
		    char **out)
{
	const char *p = lx->p;

	if (p >= lx->end || !is_name_start(*p)) {
		if (p < lx->end && (*p < ' ' || *p > '~'))
			return xdiag_fail(lx->d, line, "bad byte 0x%02x %s",
					  (unsigned char)*p, what);
		return xdiag_fail(lx->d, line, "bad character '%c' %s",
				  p < lx->end ? *p : ' ', what);
	}
	while (p < lx->end && is_name_char(*p))
		p++;
	*out = mf_strndup(lx->p, (size_t)(p - lx->p));
	if (!*out)
		return xdiag_nomem(lx->d, line);
	lx->p = p;
	return 0;
}

static int put_utf8(struct xbuf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return xbuf_add(b, u, n);
}

/* "#NN" or "#xHH" (without '&' and ';'): the code point, or 0 if invalid. */
static unsigned long char_ref(const char *s, size_t n)
{
	unsigned long cp = 0;
	unsigned base = 10;
	size_t i = 1;

	if (n > 1 && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i >= n || n - i > 8)
		return 0;
	for (; i < n; i++) {
		char c = s[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return 0;
		cp = cp * base + v;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return cp;
}

/*
 * Decode the entity at *pp (which points at '&') into @out and move *pp past
 * it.  @line is the line the entity sits on, for the message.
 */
static int decode_entity(const struct xdiag *d, const char **pp,
			 const char *end, unsigned line, struct xbuf *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
		{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
	};
	const char *s = *pp + 1, *semi = s;
	unsigned long cp;
	size_t n, i;

	while (semi < end && semi - s < 12 && *semi != ';' &&
	       !xml_is_space(*semi) && *semi != '&' && *semi != '<')
		semi++;
	if (semi >= end || *semi != ';')
		return xdiag_fail(d, line, "bad entity '%.*s' (missing ';')",
				  (int)(semi - *pp), *pp);
	n = (size_t)(semi - s);
	*pp = semi + 1;
	if (n > 0 && s[0] == '#') {
		cp = char_ref(s, n);
		if (cp == 0)
			return xdiag_fail(d, line,
					  "bad character reference '&%.*s;'",
					  (int)n, s);
		return put_utf8(out, cp) < 0 ? xdiag_nomem(d, line) : 0;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && memcmp(named[i].name, s, n) == 0)
			return xbuf_addc(out, named[i].c) < 0 ?
				       xdiag_nomem(d, line) : 0;
	return xdiag_fail(d, line, "unknown entity '&%.*s;'", (int)n, s);
}

/* Decode raw [p, end) (entities) into @out; @line is the line of *p. */
static int decode(const struct xdiag *d, const char *p, const char *end,
		  unsigned line, struct xbuf *out)
{
	int r;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if (xbuf_add(out, p, (size_t)(stop - p)) < 0)
			return xdiag_nomem(d, line);
		line += xml_count_lines(p, stop);
		p = stop;
		if (!amp)
			break;
		r = decode_entity(d, &p, end, line, out);
		if (r < 0)
			return r;
	}
	/* Make "nothing added" a real empty string too. */
	return xbuf_add(out, "", 0) < 0 ? xdiag_nomem(d, line) : 0;
}

static int lex_attr(struct xlex *lx, struct xtag *tag)
{
	const struct xdiag *d = lx->d;
	struct xattr *attrs, *a;
	const char *q;
	struct xbuf val = {0};
	unsigned line = lx->line;
	char *name, what[64];
	char quote;
	size_t i;
	int r;

	snprintf(what, sizeof(what), "in <%.40s>", tag->name);
	r = lex_name(lx, line, what, &name);
	if (r < 0)
		return r;
	for (i = 0; i < tag->n_attrs; i++) {
		if (strcmp(tag->attrs[i].name, name) == 0) {
			r = xdiag_fail(d, line,
				       "duplicate attribute '%s' in <%s>", name,
				       tag->name);
			goto err_name;
		}
	}
	skip_space(lx);
	if (lx->p >= lx->end || *lx->p != '=') {
		r = xdiag_fail(d, line, "attribute '%s' in <%s> has no value",
			       name, tag->name);
		goto err_name;
	}
	lx->p++;
	skip_space(lx);
	if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\'')) {
		r = xdiag_fail(d, lx->line,
			       "value of attribute '%s' must be quoted", name);
		goto err_name;
	}
	quote = *lx->p++;
	for (q = lx->p; q < lx->end && *q != quote && *q != '<'; q++)
		;
	if (q >= lx->end || *q != quote) {
		r = xdiag_fail(d, lx->line,
			       "unterminated value of attribute '%s'", name);
		goto err_name;
	}
	r = decode(d, lx->p, q, lx->line, &val);
	if (r < 0)
		goto err_val;
	advance(lx, q + 1);

	attrs = mf_realloc(tag->attrs, (tag->n_attrs + 1) * sizeof(*attrs));
	if (!attrs) {
		r = xdiag_nomem(d, line);
		goto err_val;
	}
	tag->attrs = attrs;
	a = &tag->attrs[tag->n_attrs++];
	a->name = name;
	a->value = xbuf_steal(&val);
	return 0;

err_val:
	xbuf_free(&val);
err_name:
	mf_free(name);
	return r;
}

/* "<name attr='v' ...>" or ".../>"; the cursor is just past '<'. */
static int lex_open(struct xlex *lx, struct xtok *t)
{
	const struct xdiag *d = lx->d;
	int r;

	t->kind = XT_OPEN;
	t->tag.line = t->line;
	r = lex_name(lx, t->line, "after '<'", &t->tag.name);
	if (r < 0)
		return r;
	for (;;) {
		const char *before = lx->p;

		skip_space(lx);
		if (lx->p >= lx->end)
			return xdiag_fail(d, t->line, "unterminated tag <%s",
					  t->tag.name);
		if (*lx->p == '>') {
			lx->p++;
			return 0;
		}
		if (*lx->p == '/') {
			if (lx->p + 1 >= lx->end || lx->p[1] != '>')
				return xdiag_fail(d, lx->line,
						  "stray '/' in <%s>",
						  t->tag.name);
			lx->p += 2;
			t->tag.self_closing = true;
			return 0;
		}
		if (lx->p == before)
			return xdiag_fail(
				d, lx->line,
				"missing space before attribute in <%s>",
				t->tag.name);
		r = lex_attr(lx, &t->tag);
		if (r < 0)
			return r;
	}
}

/* "</name>"; the cursor is just past "</". */
static int lex_close(struct xlex *lx, struct xtok *t)
{
	int r;

	t->kind = XT_CLOSE;
	t->tag.line = t->line;
	r = lex_name(lx, t->line, "after '</'", &t->tag.name);
	if (r < 0)
		return r;
	skip_space(lx);
	if (lx->p >= lx->end || *lx->p != '>')
		return xdiag_fail(lx->d, t->line, "bad closing tag </%s",
				  t->tag.name);
	lx->p++;
	return 0;
}

/*
 * Next token.  Comments are skipped here; CDATA comes out as text.  On
 * error the caller still frees *t.
 */
static int lex_next(struct xlex *lx, struct xtok *t)
{
	const struct xdiag *d = lx->d;
	const char *stop;
	int r;

	memset(t, 0, sizeof(*t));
	for (;;) {
		t->line = lx->line;
		if (lx->p >= lx->end) {
			t->kind = XT_EOF;
			return 0;
		}
		if (*lx->p != '<') {
			stop = memchr(lx->p, '<', (size_t)(lx->end - lx->p));
			if (!stop)
				stop = lx->end;
			t->kind = XT_TEXT;
			r = decode(d, lx->p, stop, lx->line, &t->text);
			if (r < 0)
				return r;
			advance(lx, stop);
			return 0;
		}
		if (starts(lx, "<!--")) {
			lx->p += 4;
			stop = find(lx, "-->");
			if (!stop)
				return xdiag_fail(d, t->line,
						  "unterminated comment");
			advance(lx, stop + 3);
			continue;
		}
		if (starts(lx, "<![CDATA[")) {
			lx->p += 9;
			stop = find(lx, "]]>");
			if (!stop)
				return xdiag_fail(d, t->line,
						  "unterminated CDATA");
			t->kind = XT_TEXT;
			if (xbuf_add(&t->text, lx->p, (size_t)(stop - lx->p)) < 0 ||
			    xbuf_add(&t->text, "", 0) < 0)
				return xdiag_nomem(d, t->line);
			advance(lx, stop + 3);
			return 0;
		}
		if (starts(lx, "</")) {
			lx->p += 2;
			return lex_close(lx, t);
		}
		if (starts(lx, "<?") || starts(lx, "<!"))
			return xdiag_fail(d, t->line,
					  "unsupported markup '%.2s'", lx->p);
		lx->p++;
		return lex_open(lx, t);
	}
}

/* ---- block reader ------------------------------------------------------ */

void xblock_free(struct xblock *b)
{
	size_t i;

	for (i = 0; i < b->count; i++) {
		xtag_free(&b->items[i].tag);
		xbuf_free(&b->items[i].text);
		mf_free(b->items[i].child);
	}
	mf_free(b->items);
	b->items = NULL;
	b->count = 0;
}

struct open_elem {
	const char *name; /* borrowed from the element's tag or child copy */
	char *owned;	  /* nested names are copied here */
	unsigned line;
};

static bool all_space(const char *s)
{
	for (; *s; s++)
		if (!xml_is_space(*s))
			return false;
	return true;
}

/* Handle one token at the current depth (the size of the open stack). */
static int block_token(const struct xdiag *d, struct xtok *t,
		       struct xblock *out, struct open_elem *stack,
		       size_t *depth)
{
	struct xelem *cur = out->count ? &out->items[out->count - 1] : NULL;
	struct xelem *items;

	switch (t->kind) {
	case XT_TEXT:
		if (*depth == 0) {
			const char *s = t->text.s;

			if (all_space(s))
				return 0;
			/* Point at the text, not at the line break before it. */
			while (xml_is_space(*s))
				s++;
			return xdiag_fail(
				d, t->line + xml_count_lines(t->text.s, s),
				"text outside an element");
		}
		if (*depth == 1 &&
		    xbuf_add(&cur->text, t->text.s, t->text.len) < 0)
			return xdiag_nomem(d, t->line);
		return 0;
	case XT_OPEN:
		if (*depth == 0) {
			items = mf_realloc(out->items,
					(out->count + 1) * sizeof(*items));
			if (!items)
				return xdiag_nomem(d, t->line);
			out->items = items;
			cur = &out->items[out->count++];
			memset(cur, 0, sizeof(*cur));
			cur->tag = t->tag;
			memset(&t->tag, 0, sizeof(t->tag));
			if (cur->tag.self_closing)
				return 0;
			stack[*depth].name = cur->tag.name;
			stack[*depth].owned = NULL;
		} else {
			if (*depth == 1 && !cur->child) {
				cur->child = mf_strdup(t->tag.name);
				if (!cur->child)
					return xdiag_nomem(d, t->line);
				cur->child_line = t->line;
			}
			if (t->tag.self_closing)
				return 0;
			stack[*depth].owned = t->tag.name;
			stack[*depth].name = t->tag.name;
			t->tag.name = NULL;
		}
		stack[(*depth)++].line = t->line;
		return 0;
	case XT_CLOSE:
		if (*depth == 0)
			return xdiag_fail(d, t->line, "</%s> without <%s>",
					  t->tag.name, t->tag.name);
		if (strcmp(stack[*depth - 1].name, t->tag.name) != 0)
			return xdiag_fail(d, t->line,
					  "</%s> closes <%s> (line %u)",
					  t->tag.name, stack[*depth - 1].name,
					  stack[*depth - 1].line);
		mf_free(stack[--*depth].owned);
		return 0;
	case XT_EOF:
		break;
	}
	return 0;
}

int xblock_read(const struct xdiag *d, const char *text, size_t len,
		unsigned line, struct xblock *out)
{
	struct xlex lx = {d, text, text + len, line};
	struct open_elem *stack = NULL;
	size_t depth = 0, cap = 0;
	struct xtok t;
	int r;

	out->items = NULL;
	out->count = 0;
	for (;;) {
		r = lex_next(&lx, &t);
		if (r < 0)
			goto err_tok;
		if (t.kind == XT_EOF)
			break;
		if (depth == cap) {
			struct open_elem *s;

			cap = cap ? cap * 2 : 8;
			s = mf_realloc(stack, cap * sizeof(*s));
			if (!s) {
				r = xdiag_nomem(d, t.line);
				goto err_tok;
			}
			stack = s;
		}
		r = block_token(d, &t, out, stack, &depth);
		if (r < 0)
			goto err_tok;
		xtok_free(&t);
	}
	if (depth > 0) {
		r = xdiag_fail(d, stack[depth - 1].line, "unclosed <%s>",
			       stack[depth - 1].name);
		goto err_stack;
	}
	mf_free(stack);
	return 0;

err_tok:
	xtok_free(&t);
err_stack:
	while (depth > 0)
		mf_free(stack[--depth].owned);
	mf_free(stack);
	xblock_free(out);
	return r;
}

const char *xtag_attr(const struct xtag *tag, const char *name)
{
	size_t i;

	for (i = 0; i < tag->n_attrs; i++)
		if (strcmp(tag->attrs[i].name, name) == 0)
			return tag->attrs[i].value;
	return NULL;
}
