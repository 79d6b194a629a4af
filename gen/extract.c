/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen extract: a module source's MODULEINFO and DOCUMENTATION
 * comment blocks -> the module's manifest.
 *
 * The blocks are XML-ish, so they are read as XML, not line by line: a small
 * tokenizer (tags, attributes in either quoting, entities, comments, CDATA)
 * feeds a block reader that checks nesting and collects the top-level
 * elements; two interpreters turn those into a struct gen_moduleinfo.  Every
 * mistake is "SOURCE:LINE: reason" with the line in the .c file, including
 * the ones only the manifest parser can see: extract re-parses its own output
 * and maps a complaint about manifest line N back to the element it came from.
 *
 * Pieces, in file order: growable strings; the C scan that finds the blocks
 * (skipping string literals and other comments); the tokenizer; the block
 * reader; MODULEINFO and DOCUMENTATION; gen_moduleinfo_parse(); the
 * round-trip self-check and error re-mapping; the subcommand.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/ini.h" /* the manifest's own name rules */
#include "gen.h"
#include "moduleinfo.h"

/* ---- growable strings -------------------------------------------------- */

struct sbuf {
	char *s; /* NUL-terminated once anything was added */
	size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
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

static int sbuf_addc(struct sbuf *b, char c)
{
	return sbuf_add(b, &c, 1);
}

/* Give the string away (an empty one if nothing was added). */
static char *sbuf_steal(struct sbuf *b)
{
	char *s = b->s ? b->s : strdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

static void sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* ---- diagnostics ------------------------------------------------------- */

/* Where messages go: "path:line: reason" into err[0..errlen). */
struct diag {
	const char *path;
	char *err;
	size_t errlen;
};

/* Always returns -EINVAL so callers can "return fail(...)". */
__attribute__((format(printf, 3, 4))) static int
fail(const struct diag *d, unsigned line, const char *fmt, ...)
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

static int fail_nomem(const struct diag *d, unsigned line)
{
	fail(d, line, "out of memory");
	return -ENOMEM;
}

/* ---- finding the blocks in the C source -------------------------------- */

struct block {
	const char *text; /* between the keyword and the closing "***" "/" */
	size_t len;
	unsigned line;	/* line of text[0] */
	unsigned start; /* line of the opening "/" "***" */
};

static unsigned count_lines(const char *p, const char *end)
{
	unsigned n = 0;

	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip a string or character literal starting at *p; stops at end of line. */
static const char *skip_literal(const char *p, const char *end)
{
	char quote = *p++;

	while (p < end && *p != quote && *p != '\n') {
		if (*p == '\\' && p + 1 < end)
			p++;
		p++;
	}
	return p < end && *p == quote ? p + 1 : p;
}

/*
 * If the comment body [body, body_end) opens with "** KEYWORD" (a block),
 * fill *blk.  Returns 1 for a block, 0 for an ordinary comment, -EINVAL for
 * a block without its closing stars.
 */
static int match_block(const struct diag *d, const char *body,
		       const char *body_end, unsigned line,
		       const char *keyword, struct block *blk)
{
	size_t klen = strlen(keyword);
	const char *p = body + 2;

	if (body_end - body < 2 || body[0] != '*' || body[1] != '*')
		return 0;
	while (p < body_end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(body_end - p) < klen || memcmp(p, keyword, klen) != 0)
		return 0;
	p += klen;
	if (p < body_end && !is_space(*p) && *p != '*')
		return 0; /* MODULEINFOX: some other comment */
	if (body_end - p < 2 || body_end[-1] != '*' || body_end[-2] != '*')
		return fail(d, line, "%s block does not end with '***/'",
			    keyword);
	blk->text = p;
	blk->len = (size_t)(body_end - 2 - p);
	blk->start = line;
	blk->line = line + count_lines(body, p);
	return 1;
}

/*
 * Scan the C source as C (literals and // comments skipped, so a
 * "/" "*** MODULEINFO" inside a string is not a block) and find both blocks.
 * A block absent leaves its .text NULL.
 */
static int find_blocks(const struct diag *d, const char *src, size_t len,
		       struct block *info, struct block *doc)
{
	static const char *const keywords[2] = {"MODULEINFO", "DOCUMENTATION"};
	struct block *blocks[2] = {info, doc};
	const char *p = src, *end = src + len;
	unsigned line = 1;
	int i, r;

	info->text = doc->text = NULL;
	while (p < end) {
		const char *body, *close;

		if (*p == '"' || *p == '\'') {
			const char *q = skip_literal(p, end);

			line += count_lines(p, q);
			p = q;
			continue;
		}
		if (*p == '\n')
			line++;
		if (*p != '/' || p + 1 >= end || (p[1] != '*' && p[1] != '/')) {
			p++;
			continue;
		}
		if (p[1] == '/') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		body = p + 2;
		close = body;
		while (close + 1 < end && !(close[0] == '*' && close[1] == '/'))
			close++;
		if (close + 1 >= end)
			return fail(d, line, "unterminated comment");
		for (i = 0; i < 2; i++) {
			struct block blk;

			r = match_block(d, body, close, line, keywords[i], &blk);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			if (blocks[i]->text)
				return fail(d, line,
					    "second %s block (first at line %u)",
					    keywords[i], blocks[i]->start);
			*blocks[i] = blk;
			break;
		}
		line += count_lines(p, close + 2);
		p = close + 2;
	}
	if (!info->text)
		return fail(d, 1, "no MODULEINFO block");
	return 0;
}

/* ---- tokenizer --------------------------------------------------------- */

struct xattr {
	char *name;
	char *value; /* entities decoded */
};

struct xtag {
	char *name;
	unsigned line;
	struct xattr *attrs;
	size_t n_attrs;
	bool self_closing;
};

enum xtok_kind { XT_EOF, XT_TEXT, XT_OPEN, XT_CLOSE };

struct xtok {
	enum xtok_kind kind;
	unsigned line;
	struct xtag tag; /* XT_OPEN; XT_CLOSE uses tag.name only */
	struct sbuf text; /* XT_TEXT, decoded */
};

struct xlex {
	const struct diag *d;
	const char *p, *end;
	unsigned line;
};

static void xtag_free(struct xtag *t)
{
	size_t i;

	for (i = 0; i < t->n_attrs; i++) {
		free(t->attrs[i].name);
		free(t->attrs[i].value);
	}
	free(t->attrs);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

static void xtok_free(struct xtok *t)
{
	xtag_free(&t->tag);
	sbuf_free(&t->text);
}

static bool starts(const struct xlex *lx, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, s, n) == 0;
}

/* Move the cursor to @to, counting the lines passed. */
static void advance(struct xlex *lx, const char *to)
{
	lx->line += count_lines(lx->p, to);
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

	while (p < lx->end && is_space(*p))
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
			return fail(lx->d, line, "bad byte 0x%02x %s",
				    (unsigned char)*p, what);
		return fail(lx->d, line, "bad character '%c' %s",
			    p < lx->end ? *p : ' ', what);
	}
	while (p < lx->end && is_name_char(*p))
		p++;
	*out = strndup(lx->p, (size_t)(p - lx->p));
	if (!*out)
		return fail_nomem(lx->d, line);
	lx->p = p;
	return 0;
}

static int put_utf8(struct sbuf *b, unsigned long cp)
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
	return sbuf_add(b, u, n);
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
static int decode_entity(const struct diag *d, const char **pp,
			 const char *end, unsigned line, struct sbuf *out)
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

	while (semi < end && semi - s < 12 && *semi != ';' && !is_space(*semi) &&
	       *semi != '&' && *semi != '<')
		semi++;
	if (semi >= end || *semi != ';')
		return fail(d, line, "bad entity '%.*s' (missing ';')",
			    (int)(semi - *pp), *pp);
	n = (size_t)(semi - s);
	*pp = semi + 1;
	if (n > 0 && s[0] == '#') {
		cp = char_ref(s, n);
		if (cp == 0)
			return fail(d, line, "bad character reference '&%.*s;'",
				    (int)n, s);
		return put_utf8(out, cp) < 0 ? fail_nomem(d, line) : 0;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && memcmp(named[i].name, s, n) == 0)
			return sbuf_addc(out, named[i].c) < 0 ?
				       fail_nomem(d, line) : 0;
	return fail(d, line, "unknown entity '&%.*s;'", (int)n, s);
}

/* Decode raw [p, end) (entities) into @out; @line is the line of *p. */
static int decode(const struct diag *d, const char *p, const char *end,
		  unsigned line, struct sbuf *out)
{
	int r;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if (sbuf_add(out, p, (size_t)(stop - p)) < 0)
			return fail_nomem(d, line);
		line += count_lines(p, stop);
		p = stop;
		if (!amp)
			break;
		r = decode_entity(d, &p, end, line, out);
		if (r < 0)
			return r;
	}
	/* Make "nothing added" a real empty string too. */
	return sbuf_add(out, "", 0) < 0 ? fail_nomem(d, line) : 0;
}

static int lex_attr(struct xlex *lx, struct xtag *tag)
{
	const struct diag *d = lx->d;
	struct xattr *attrs, *a;
	const char *q;
	struct sbuf val = {0};
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
			r = fail(d, line, "duplicate attribute '%s' in <%s>",
				 name, tag->name);
			goto err_name;
		}
	}
	skip_space(lx);
	if (lx->p >= lx->end || *lx->p != '=') {
		r = fail(d, line, "attribute '%s' in <%s> has no value", name,
			 tag->name);
		goto err_name;
	}
	lx->p++;
	skip_space(lx);
	if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\'')) {
		r = fail(d, lx->line, "value of attribute '%s' must be quoted",
			 name);
		goto err_name;
	}
	quote = *lx->p++;
	for (q = lx->p; q < lx->end && *q != quote && *q != '<'; q++)
		;
	if (q >= lx->end || *q != quote) {
		r = fail(d, lx->line, "unterminated value of attribute '%s'",
			 name);
		goto err_name;
	}
	r = decode(d, lx->p, q, lx->line, &val);
	if (r < 0)
		goto err_val;
	advance(lx, q + 1);

	attrs = realloc(tag->attrs, (tag->n_attrs + 1) * sizeof(*attrs));
	if (!attrs) {
		r = fail_nomem(d, line);
		goto err_val;
	}
	tag->attrs = attrs;
	a = &tag->attrs[tag->n_attrs++];
	a->name = name;
	a->value = sbuf_steal(&val);
	return 0;

err_val:
	sbuf_free(&val);
err_name:
	free(name);
	return r;
}

/* "<name attr='v' ...>" or ".../>"; the cursor is just past '<'. */
static int lex_open(struct xlex *lx, struct xtok *t)
{
	const struct diag *d = lx->d;
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
			return fail(d, t->line, "unterminated tag <%s",
				    t->tag.name);
		if (*lx->p == '>') {
			lx->p++;
			return 0;
		}
		if (*lx->p == '/') {
			if (lx->p + 1 >= lx->end || lx->p[1] != '>')
				return fail(d, lx->line, "stray '/' in <%s>",
					    t->tag.name);
			lx->p += 2;
			t->tag.self_closing = true;
			return 0;
		}
		if (lx->p == before)
			return fail(d, lx->line,
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
		return fail(lx->d, t->line, "bad closing tag </%s",
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
	const struct diag *d = lx->d;
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
				return fail(d, t->line, "unterminated comment");
			advance(lx, stop + 3);
			continue;
		}
		if (starts(lx, "<![CDATA[")) {
			lx->p += 9;
			stop = find(lx, "]]>");
			if (!stop)
				return fail(d, t->line, "unterminated CDATA");
			t->kind = XT_TEXT;
			if (sbuf_add(&t->text, lx->p, (size_t)(stop - lx->p)) < 0 ||
			    sbuf_add(&t->text, "", 0) < 0)
				return fail_nomem(d, t->line);
			advance(lx, stop + 3);
			return 0;
		}
		if (starts(lx, "</")) {
			lx->p += 2;
			return lex_close(lx, t);
		}
		if (starts(lx, "<?") || starts(lx, "<!"))
			return fail(d, t->line, "unsupported markup '%.2s'",
				    lx->p);
		lx->p++;
		return lex_open(lx, t);
	}
}

/* ---- block reader ------------------------------------------------------ */

/* One top-level element of a block. */
struct xelem {
	struct xtag tag;
	struct sbuf text; /* character data directly inside, decoded */
	char *child;	  /* first nested element, NULL when none */
	unsigned child_line;
};

struct xblock {
	struct xelem *items;
	size_t count;
};

static void xblock_free(struct xblock *b)
{
	size_t i;

	for (i = 0; i < b->count; i++) {
		xtag_free(&b->items[i].tag);
		sbuf_free(&b->items[i].text);
		free(b->items[i].child);
	}
	free(b->items);
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
		if (!is_space(*s))
			return false;
	return true;
}

/* Handle one token at the current depth (the size of the open stack). */
static int block_token(const struct diag *d, struct xtok *t,
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
			while (is_space(*s))
				s++;
			return fail(d, t->line + count_lines(t->text.s, s),
				    "text outside an element");
		}
		if (*depth == 1 &&
		    sbuf_add(&cur->text, t->text.s, t->text.len) < 0)
			return fail_nomem(d, t->line);
		return 0;
	case XT_OPEN:
		if (*depth == 0) {
			items = realloc(out->items,
					(out->count + 1) * sizeof(*items));
			if (!items)
				return fail_nomem(d, t->line);
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
				cur->child = strdup(t->tag.name);
				if (!cur->child)
					return fail_nomem(d, t->line);
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
			return fail(d, t->line, "</%s> without <%s>", t->tag.name,
				    t->tag.name);
		if (strcmp(stack[*depth - 1].name, t->tag.name) != 0)
			return fail(d, t->line, "</%s> closes <%s> (line %u)",
				    t->tag.name, stack[*depth - 1].name,
				    stack[*depth - 1].line);
		free(stack[--*depth].owned);
		return 0;
	case XT_EOF:
		break;
	}
	return 0;
}

/*
 * Read a whole block into its top-level elements, checking that every
 * element is closed by its own closing tag.
 */
static int block_read(const struct diag *d, const struct block *blk,
		      struct xblock *out)
{
	struct xlex lx = {d, blk->text, blk->text + blk->len, blk->line};
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
			s = realloc(stack, cap * sizeof(*s));
			if (!s) {
				r = fail_nomem(d, t.line);
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
		r = fail(d, stack[depth - 1].line, "unclosed <%s>",
			 stack[depth - 1].name);
		goto err_stack;
	}
	free(stack);
	return 0;

err_tok:
	xtok_free(&t);
err_stack:
	while (depth > 0)
		free(stack[--depth].owned);
	free(stack);
	xblock_free(out);
	return r;
}

/* ---- MODULEINFO -------------------------------------------------------- */

enum mi_attr { MA_TYPE = 1, MA_PRIORITY = 2 };

enum mi_kind {
	MI_DEPEND,
	MI_USE,
	MI_CANUSE,
	MI_PROVIDES,
	MI_SUPPORT_LEVEL,
	MI_LOAD_PRIORITY,
	MI_EXPORT_GLOBALS,
	MI_DESCRIPTION,
	MI_CONFIG,
	MI_DEFAULTENABLED,
	MI_CONFLICT,
	MI_REPLACEMENT,
	MI_DEPRECATED_IN,
	MI_COUNT,
};

static const struct {
	const char *name;
	unsigned attrs;	 /* enum mi_attr bits allowed */
	bool repeatable; /* else a second one is an error */
} mi_elems[MI_COUNT] = {
	[MI_DEPEND] = {"depend", MA_TYPE, true},
	[MI_USE] = {"use", MA_TYPE, true},
	[MI_CANUSE] = {"canuse", MA_TYPE, true},
	[MI_PROVIDES] = {"provides", MA_TYPE | MA_PRIORITY, true},
	[MI_SUPPORT_LEVEL] = {"support_level", 0, false},
	[MI_LOAD_PRIORITY] = {"load_priority", 0, false},
	[MI_EXPORT_GLOBALS] = {"export_globals", 0, false},
	[MI_DESCRIPTION] = {"description", 0, false},
	[MI_CONFIG] = {"config", 0, true},
	[MI_DEFAULTENABLED] = {"defaultenabled", 0, false},
	[MI_CONFLICT] = {"conflict", 0, true},
	[MI_REPLACEMENT] = {"replacement", 0, false},
	[MI_DEPRECATED_IN] = {"deprecated_in", 0, false},
};

struct mi_ctx {
	const struct diag *d;
	struct gen_moduleinfo *out;
	const char *const *tree;
	size_t n_tree;
	unsigned seen[MI_COUNT]; /* line of the first one, 0 if none */
};

static const char *attr_get(const struct xtag *tag, const char *name)
{
	size_t i;

	for (i = 0; i < tag->n_attrs; i++)
		if (strcmp(tag->attrs[i].name, name) == 0)
			return tag->attrs[i].value;
	return NULL;
}

/* A value goes on one manifest line: no control characters at all. */
static int check_value(const struct diag *d, unsigned line, const char *what,
		       const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f)
			return fail(d, line, "control character 0x%02x in %s",
				    (unsigned char)*v, what);
	return 0;
}

/*
 * The element's text, trimmed; runs of whitespace inside become one space
 * when @fold (a description wrapped over lines).  Checked for control
 * characters.  Empty is an error unless @may_be_empty.
 */
static int elem_text(const struct mi_ctx *c, const struct xelem *e, bool fold,
		     bool may_be_empty, char **out)
{
	const char *s = e->text.s ? e->text.s : "";
	struct sbuf b = {0};
	char what[64];
	int r;

	while (is_space(*s))
		s++;
	for (; *s; s++) {
		if (fold && is_space(*s)) {
			while (is_space(s[1]))
				s++;
			if (s[1] == '\0')
				break;
			r = sbuf_addc(&b, ' ');
		} else {
			r = sbuf_addc(&b, *s);
		}
		if (r < 0)
			goto nomem;
	}
	while (b.len > 0 && is_space(b.s[b.len - 1]))
		b.s[--b.len] = '\0';
	if (b.len == 0 && !may_be_empty) {
		sbuf_free(&b);
		return fail(c->d, e->tag.line, "empty <%s>", e->tag.name);
	}
	snprintf(what, sizeof(what), "<%s>", e->tag.name);
	r = check_value(c->d, e->tag.line, what, b.s ? b.s : "");
	if (r < 0) {
		sbuf_free(&b);
		return r;
	}
	*out = sbuf_steal(&b);
	if (!*out)
		goto nomem;
	return 0;

nomem:
	sbuf_free(&b);
	return fail_nomem(c->d, e->tag.line);
}

static bool in_tree(const struct mi_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_tree; i++)
		if (strcmp(c->tree[i], name) == 0)
			return true;
	return false;
}

/*
 * Add type=name to a list.  The same entry twice is merged (a function
 * documented in two languages, or named in MODULEINFO and DOCUMENTATION);
 * the same entry with two priorities is an error.
 */
static int refs_add(const struct diag *d, struct mf_ref_list *list,
		    const char *type, const char *name, unsigned priority,
		    unsigned line)
{
	struct mf_ref *items, *ref;
	size_t i;

	for (i = 0; i < list->count; i++) {
		ref = &list->items[i];
		if (strcmp(ref->type, type) != 0 || strcmp(ref->name, name) != 0)
			continue;
		if (ref->priority == priority)
			return 0;
		return fail(d, line,
			    "%s=%s with priority %u here and %u at line %u",
			    type, name, priority, ref->priority, ref->line);
	}
	items = realloc(list->items, (list->count + 1) * sizeof(*items));
	if (!items)
		return fail_nomem(d, line);
	list->items = items;
	ref = &list->items[list->count];
	ref->type = strdup(type);
	ref->name = strdup(name);
	ref->priority = priority;
	ref->line = line;
	if (!ref->type || !ref->name) {
		free(ref->type);
		free(ref->name);
		return fail_nomem(d, line);
	}
	list->count++;
	return 0;
}

static int strv_add(const struct diag *d, unsigned line, char ***v, size_t *n,
		    char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		free(s);
		return fail_nomem(d, line);
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

static int parse_yes_no(const struct mi_ctx *c, const struct xelem *e,
			const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return fail(c->d, e->tag.line, "<%s> must be yes or no, not '%s'",
			    e->tag.name, v);
	return 0;
}

/* Decimal 0..MF_PRIORITY_MAX, nothing else. */
static int parse_priority(const struct mi_ctx *c, unsigned line,
			  const char *s, unsigned *out)
{
	unsigned long v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && v <= MF_PRIORITY_MAX; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p || v > MF_PRIORITY_MAX)
		return fail(c->d, line, "bad priority '%s' (want 0..%d)", s,
			    MF_PRIORITY_MAX);
	*out = (unsigned)v;
	return 0;
}

/* <depend>, <use>, <canuse>, <provides>: text is the name. */
static int mi_ref(struct mi_ctx *c, enum mi_kind k, const struct xelem *e,
		  char *name)
{
	struct mf_manifest *m = &c->out->manifest;
	const char *type = attr_get(&e->tag, "type");
	const char *prio = attr_get(&e->tag, "priority");
	unsigned line = e->tag.line, priority = 0;
	int r;

	if (type) {
		r = check_value(c->d, line, "type", type);
		if (r < 0)
			return r;
		if (*type == '\0')
			return fail(c->d, line, "empty type in <%s>",
				    e->tag.name);
	}
	switch (k) {
	case MI_DEPEND:
		if (type && strcmp(type, "module") != 0)
			return fail(c->d, line,
				    "<depend> type must be \"module\", not "
				    "\"%s\"",
				    type);
		/* A library or build dependency is none of the loader's business. */
		if (!type && !in_tree(c, name))
			return 0;
		return refs_add(c->d, &m->uses, "module", name, 0, line);
	case MI_USE:
		if (!type)
			return fail(c->d, line,
				    "<use> needs a type attribute");
		if (strcmp(type, "external") == 0)
			return 0; /* an optional library */
		return refs_add(c->d, &m->uses, type, name, 0, line);
	case MI_CANUSE:
		return refs_add(c->d, &m->canuse, type ? type : "module", name,
				0, line);
	case MI_PROVIDES:
		if (!type)
			return fail(c->d, line,
				    "<provides> needs a type attribute");
		if (prio) {
			r = parse_priority(c, line, prio, &priority);
			if (r < 0)
				return r;
		}
		return refs_add(c->d, &m->provides, type, name, priority, line);
	default:
		return 0;
	}
}

static int mi_elem(struct mi_ctx *c, enum mi_kind k, const struct xelem *e)
{
	struct gen_moduleinfo *out = c->out;
	struct mf_manifest *m = &out->manifest;
	unsigned line = e->tag.line;
	bool yes = true;
	char *v = NULL;
	int r;

	r = elem_text(c, e, k == MI_DESCRIPTION, k == MI_EXPORT_GLOBALS, &v);
	if (r < 0)
		return r;

	switch (k) {
	case MI_DEPEND:
	case MI_USE:
	case MI_CANUSE:
	case MI_PROVIDES:
		r = mi_ref(c, k, e, v);
		break;
	case MI_SUPPORT_LEVEL:
		if (mf_support_level_parse(v, &m->support_level) < 0)
			r = fail(c->d, line,
				 "bad <support_level> '%s' (want core, "
				 "extended, deprecated or external)",
				 v);
		out->lines.support_level = line;
		break;
	case MI_LOAD_PRIORITY:
		if (mf_load_priority_parse(v, &m->load_priority) < 0)
			r = fail(c->d, line,
				 "bad <load_priority> '%s' (want a level name "
				 "or 0..255)",
				 v);
		out->lines.load_priority = line;
		break;
	case MI_EXPORT_GLOBALS:
		if (*v)
			r = parse_yes_no(c, e, v, &yes);
		m->export_globals = yes;
		out->lines.export_globals = line;
		break;
	case MI_DESCRIPTION:
		m->description = v;
		out->lines.description = line;
		return 0;
	case MI_CONFIG: {
		unsigned *lines = realloc(out->lines.configs,
					  (m->n_configs + 1) * sizeof(*lines));

		if (!lines) {
			r = fail_nomem(c->d, line);
			break;
		}
		out->lines.configs = lines;
		lines[m->n_configs] = line;
		return strv_add(c->d, line, &m->configs, &m->n_configs, v);
	}
	case MI_DEFAULTENABLED:
		r = parse_yes_no(c, e, v, &yes);
		out->defaultenabled = yes;
		break;
	case MI_CONFLICT:
		if (!mf_ini_name_is_module(v)) {
			r = fail(c->d, line, "bad module name '%s' in <conflict>",
				 v);
			break;
		}
		return strv_add(c->d, line, &out->conflicts, &out->n_conflicts,
				v);
	case MI_REPLACEMENT:
		if (!mf_ini_name_is_module(v)) {
			r = fail(c->d, line,
				 "bad module name '%s' in <replacement>", v);
			break;
		}
		out->replacement = v;
		return 0;
	case MI_DEPRECATED_IN:
		/* A version: "21", "13.2.0"; one word. */
		if (strpbrk(v, " \t")) {
			r = fail(c->d, line, "bad version '%s' in <deprecated_in>",
				 v);
			break;
		}
		out->deprecated_in = v;
		return 0;
	case MI_COUNT:
		break;
	}
	free(v);
	return r;
}

static int moduleinfo_read(struct mi_ctx *c, const struct xblock *b)
{
	size_t i, j;
	int r;

	for (i = 0; i < b->count; i++) {
		const struct xelem *e = &b->items[i];
		enum mi_kind k;

		for (k = 0; k < MI_COUNT; k++)
			if (strcmp(e->tag.name, mi_elems[k].name) == 0)
				break;
		if (k == MI_COUNT)
			return fail(c->d, e->tag.line,
				    "unknown element <%s> in MODULEINFO",
				    e->tag.name);
		if (c->seen[k] && !mi_elems[k].repeatable)
			return fail(c->d, e->tag.line,
				    "second <%s> (first at line %u)",
				    e->tag.name, c->seen[k]);
		if (!c->seen[k])
			c->seen[k] = e->tag.line;
		if (e->child)
			return fail(c->d, e->child_line,
				    "unexpected <%s> inside <%s>", e->child,
				    e->tag.name);
		for (j = 0; j < e->tag.n_attrs; j++) {
			const char *a = e->tag.attrs[j].name;
			unsigned bit = strcmp(a, "type") == 0	   ? MA_TYPE :
				       strcmp(a, "priority") == 0 ? MA_PRIORITY :
								    0;

			if (!(bit & mi_elems[k].attrs))
				return fail(c->d, e->tag.line,
					    "unknown attribute '%s' on <%s>", a,
					    e->tag.name);
		}
		r = mi_elem(c, k, e);
		if (r < 0)
			return r;
	}
	if (!c->seen[MI_SUPPORT_LEVEL])
		return fail(c->d, c->out->lines.block,
			    "MODULEINFO has no <support_level>");
	return 0;
}

/* ---- DOCUMENTATION ----------------------------------------------------- */

/*
 * Top-level documentation elements that name something the module
 * registers, and the [provides] type each gives.  The others (configInfo,
 * info, managerEvent, ...) only document and give nothing.
 */
static const struct {
	const char *element;
	const char *type;
} doc_provides[] = {
	{"application", "application"},
	{"function", "function"},
	{"manager", "manager"},
	{"agi", "agi"},
};

static int documentation_read(struct mi_ctx *c, const struct xblock *b)
{
	size_t i, j;
	int r;

	for (i = 0; i < b->count; i++) {
		const struct xelem *e = &b->items[i];
		const char *name = attr_get(&e->tag, "name");

		if (!name)
			continue;
		for (j = 0; j < sizeof(doc_provides) / sizeof(doc_provides[0]);
		     j++) {
			if (strcmp(e->tag.name, doc_provides[j].element) != 0)
				continue;
			if (*name == '\0')
				return fail(c->d, e->tag.line,
					    "empty name in <%s>", e->tag.name);
			r = check_value(c->d, e->tag.line, "name", name);
			if (r < 0)
				return r;
			r = refs_add(c->d, &c->out->manifest.provides,
				     doc_provides[j].type, name, 0,
				     e->tag.line);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- gen_moduleinfo_parse() -------------------------------------------- */

static void ref_list_release(struct mf_ref_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->items[i].type);
		free(l->items[i].name);
	}
	free(l->items);
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void gen_moduleinfo_free(struct gen_moduleinfo *info)
{
	struct mf_manifest *m = &info->manifest;

	free(m->path);
	free(m->name);
	free(m->checksum);
	free(m->description);
	strv_free(m->configs, m->n_configs);
	ref_list_release(&m->uses);
	ref_list_release(&m->canuse);
	ref_list_release(&m->provides);
	free(info->lines.configs);
	strv_free(info->conflicts, info->n_conflicts);
	free(info->replacement);
	free(info->deprecated_in);
	memset(m, 0, sizeof(*m));
	memset(&info->lines, 0, sizeof(info->lines));
	info->conflicts = NULL;
	info->n_conflicts = 0;
	info->replacement = info->deprecated_in = NULL;
}

int gen_moduleinfo_parse(const char *path, const char *src, size_t len,
			 const char *const *tree_modules, size_t n_tree,
			 struct gen_moduleinfo *out)
{
	struct diag d = {path, out->err, sizeof(out->err)};
	struct mi_ctx c = {&d, out, tree_modules, n_tree, {0}};
	struct block info, doc;
	struct xblock xb;
	int r;

	memset(out, 0, sizeof(*out));
	out->defaultenabled = -1;
	out->manifest.support_level = MF_SUPPORT_CORE;
	out->manifest.load_priority = MF_PRIO_DEFAULT;
	out->manifest.path = strdup(path);
	if (!out->manifest.path) {
		r = fail_nomem(&d, 1);
		goto err;
	}
	r = find_blocks(&d, src, len, &info, &doc);
	if (r < 0)
		goto err;
	out->lines.block = info.start;

	r = block_read(&d, &info, &xb);
	if (r < 0)
		goto err;
	r = moduleinfo_read(&c, &xb);
	xblock_free(&xb);
	if (r < 0)
		goto err;

	if (doc.text) {
		r = block_read(&d, &doc, &xb);
		if (r < 0)
			goto err;
		r = documentation_read(&c, &xb);
		xblock_free(&xb);
		if (r < 0)
			goto err;
	}
	return 0;

err:
	gen_moduleinfo_free(out);
	return r;
}

/* ---- self-check: the manifest must read back as written ----------------- */

/* Name the manifest goes by while it is checked (never printed). */
#define CHECK_PATH "<manifest>"

/* The source line of the [uses]/[canuse]/[provides] entry "type=name[:N]". */
static unsigned ref_line(const struct mf_ref_list *l, const char *entry)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		const struct mf_ref *r = &l->items[i];
		size_t tl = strlen(r->type), nl = strlen(r->name);

		if (strncmp(entry, r->type, tl) == 0 && entry[tl] == '=' &&
		    strncmp(entry + tl + 1, r->name, nl) == 0 &&
		    (entry[tl + 1 + nl] == '\0' || entry[tl + 1 + nl] == ':'))
			return r->line;
	}
	return 0;
}

/* Line @n (1-based) of @text: its start and length, or NULL. */
static const char *nth_line(const char *text, unsigned n, size_t *len)
{
	const char *p = text, *nl;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (--n == 0) {
			*len = (size_t)(nl - p);
			return p;
		}
		if (!*nl)
			break;
	}
	return NULL;
}

/*
 * Which source line produced line @mline of the manifest @text: found by
 * content, so it does not depend on the writer's order.  0 when unknown.
 */
static unsigned source_line(const struct gen_moduleinfo *info,
			    const char *text, unsigned mline)
{
	const struct mf_manifest *m = &info->manifest;
	const struct mf_ref_list *section = NULL; /* NULL: [module] */
	char entry[MF_MANIFEST_LINE_MAX + 1];
	unsigned same = 0; /* earlier lines equal to this one */
	const char *target, *p;
	size_t len, plen, i;
	unsigned n;

	target = nth_line(text, mline, &len);
	if (!target || len > MF_MANIFEST_LINE_MAX)
		return 0;
	memcpy(entry, target, len);
	entry[len] = '\0';
	for (n = 1; n < mline; n++) {
		p = nth_line(text, n, &plen);
		if (plen == len && memcmp(p, entry, len) == 0)
			same++;
		else if (plen == 6 && memcmp(p, "[uses]", 6) == 0)
			section = &m->uses;
		else if (plen == 8 && memcmp(p, "[canuse]", 8) == 0)
			section = &m->canuse;
		else if (plen == 10 && memcmp(p, "[provides]", 10) == 0)
			section = &m->provides;
	}
	if (section)
		return ref_line(section, entry);
	if (strncmp(entry, "support_level=", 14) == 0)
		return info->lines.support_level;
	if (strncmp(entry, "load_priority=", 14) == 0)
		return info->lines.load_priority;
	if (strncmp(entry, "export_globals=", 15) == 0)
		return info->lines.export_globals;
	if (strncmp(entry, "description=", 12) == 0)
		return info->lines.description;
	/* A repeated config line is the same-numbered <config>. */
	if (strncmp(entry, "config=", 7) == 0)
		for (i = 0; i < m->n_configs; i++)
			if (strcmp(entry + 7, m->configs[i]) == 0 && same-- == 0)
				return info->lines.configs[i];
	return 0;
}

/*
 * The manifest parser's "<manifest>:N: reason" as "SOURCE:LINE: reason",
 * LINE being the element that gave manifest line N (or the MODULEINFO line).
 */
static int remap_error(const struct diag *d, const struct gen_moduleinfo *info,
		       const char *text, const char *perr)
{
	size_t plen = strlen(CHECK_PATH);
	unsigned mline = 0, line = 0;
	const char *reason = perr;
	char *end;

	if (strncmp(perr, CHECK_PATH ":", plen + 1) == 0) {
		mline = (unsigned)strtoul(perr + plen + 1, &end, 10);
		if (strncmp(end, ": ", 2) == 0)
			reason = end + 2;
	}
	if (mline)
		line = source_line(info, text, mline);
	return fail(d, line ? line : info->lines.block, "%s", reason);
}

static int write_manifest(const struct mf_manifest *m, char **text, size_t *len)
{
	FILE *fp = open_memstream(text, len);
	int r;

	if (!fp)
		return -ENOMEM;
	r = mf_manifest_write(m, fp);
	/* glibc's fclose() reports a failed final realloc only by NULL. */
	if ((fclose(fp) != 0 || !*text) && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(*text);
		*text = NULL;
	}
	return r;
}

int gen_extract_manifest(const char *path, const char *src, size_t len,
			 const char *name, const char *const *tree_modules,
			 size_t n_tree, char **text, size_t *text_len,
			 char *err, size_t errlen)
{
	struct diag d = {path, err, errlen};
	struct gen_moduleinfo *info;
	struct mf_manifest *back = NULL;
	char perr[MF_ERR_MAX];
	char *again = NULL;
	size_t again_len;
	int r;

	*text = NULL;
	info = calloc(1, sizeof(*info));
	if (!info)
		return fail_nomem(&d, 1);
	r = gen_moduleinfo_parse(path, src, len, tree_modules, n_tree, info);
	if (r < 0) {
		snprintf(err, errlen, "%s", info->err);
		goto out_info;
	}
	info->manifest.name = strdup(name);
	if (!info->manifest.name) {
		r = fail_nomem(&d, info->lines.block);
		goto out_parsed;
	}

	r = write_manifest(&info->manifest, text, text_len);
	if (r == -EINVAL) {
		/* Only a value with a line break is unwritable: none gets here. */
		r = fail(&d, info->lines.block, "manifest cannot be written");
		goto out_parsed;
	}
	if (r < 0) {
		r = fail_nomem(&d, info->lines.block);
		goto out_parsed;
	}
	r = mf_manifest_parse(CHECK_PATH, *text, *text_len, &back, perr,
			      sizeof(perr));
	if (r == -EINVAL)
		r = remap_error(&d, info, *text, perr);
	else if (r < 0)
		r = fail_nomem(&d, info->lines.block);
	if (r < 0)
		goto out_text;
	/* What the parser understood must write back to the same bytes. */
	r = write_manifest(back, &again, &again_len);
	if (r < 0) {
		r = fail_nomem(&d, info->lines.block);
		goto out_back;
	}
	if (again_len != *text_len || memcmp(again, *text, again_len) != 0) {
		r = fail(&d, info->lines.block,
			 "internal error: the manifest does not read back as "
			 "written");
		goto out_again;
	}
	free(again);
	mf_manifest_free(back);
	gen_moduleinfo_free(info);
	free(info);
	return 0;

out_again:
	free(again);
out_back:
	mf_manifest_free(back);
out_text:
	free(*text);
	*text = NULL;
out_parsed:
	gen_moduleinfo_free(info);
out_info:
	free(info);
	return r;
}

/* ---- the subcommand ---------------------------------------------------- */

static void extract_usage(FILE *fp)
{
	fputs("usage: manifold-gen extract --name NAME [--modules A,B,...] "
	      "[-o OUT] SOURCE.c\n"
	      "  Write the manifest of module NAME from the MODULEINFO and\n"
	      "  DOCUMENTATION blocks of SOURCE.c (to stdout without -o).\n"
	      "  --modules  every module name in the tree: a <depend> on one\n"
	      "             of them is a runtime dependency\n",
	      fp);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct sbuf b = {0};
	char chunk[8192];
	size_t n;
	int r = 0;

	if (!fp)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (sbuf_add(&b, chunk, n) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0 && ferror(fp))
		r = -EIO;
	fclose(fp);
	if (r == 0 && !b.s && sbuf_add(&b, "", 0) < 0)
		r = -ENOMEM;
	if (r < 0) {
		sbuf_free(&b);
		return r;
	}
	*len = b.len;
	*buf = sbuf_steal(&b);
	return 0;
}

/* Split "a,b,,c" into its non-empty items (pointing into @list). */
static int split_list(char *list, char ***items, size_t *n)
{
	char *save = NULL, *tok;
	char **v;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = realloc(*items, (*n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*items = v;
		v[(*n)++] = tok;
	}
	return 0;
}

struct text_out {
	const char *text;
	size_t len;
};

static int write_text(FILE *fp, void *data)
{
	const struct text_out *t = data;

	return fwrite(t->text, 1, t->len, fp) == t->len ? 0 : -EIO;
}

int gen_extract_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"modules", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *output = NULL, *source;
	char *modules = NULL, **tree = NULL, *src = NULL, *text = NULL;
	char err[MF_ERR_MAX];
	size_t n_tree = 0, len, text_len;
	struct text_out t;
	int c, r, status = 2;

	optind = 0; /* a fresh scan for every call (tests call us repeatedly) */
	while ((c = getopt_long(argc, argv, "n:m:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'm':
			modules = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			extract_usage(stdout);
			return 0;
		default:
			extract_usage(stderr);
			return 2;
		}
	}
	if (!name || optind != argc - 1) {
		fprintf(stderr, "manifold-gen extract: %s\n",
			!name ? "--name is required" :
				"exactly one SOURCE.c is required");
		extract_usage(stderr);
		return 2;
	}
	source = argv[optind];
	status = 1;
	if (modules) {
		modules = strdup(modules);
		if (!modules || split_list(modules, &tree, &n_tree) < 0) {
			fprintf(stderr, "manifold-gen extract: out of memory\n");
			goto out;
		}
	}
	r = read_file(source, &src, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", source, strerror(-r));
		goto out;
	}
	r = gen_extract_manifest(source, src, len, name,
				 (const char *const *)tree, n_tree, &text,
				 &text_len, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	t.text = text;
	t.len = text_len;
	if (output) {
		r = gen_write_file(output, write_text, &t);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", output, strerror(-r));
			goto out;
		}
	} else if (write_text(stdout, &t) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "manifold-gen extract: writing stdout: %s\n",
			strerror(errno));
		goto out;
	}
	status = 0;
out:
	free(text);
	free(src);
	free(tree);
	free(modules);
	return status;
}
