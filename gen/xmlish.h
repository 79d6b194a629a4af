/* SPDX-License-Identifier: MIT */
/*
 * A small XML-ish reader, private to gen/: it turns the text of a comment
 * block (MODULEINFO, DOCUMENTATION) into its top-level elements.
 *
 * Module sources hold XML written by hand, so this is not a general XML
 * parser: no DTD, no processing instructions, no namespaces.  It takes what
 * such blocks really contain (several elements on a line, attributes in
 * either quoting, the five named entities and character references,
 * comments, CDATA) and rejects the rest with a precise message, because a
 * typo in a block must stop the build at its source line rather than drop
 * a dependency without a word.  Nesting is checked; only the top level is
 * kept, which is all the interpreters (gen/moduleinfo.c) look at.
 *
 * Also here, because the reader's interface is built on them and its users
 * share them: growable strings and the "PATH:LINE: reason" messages.
 */
#ifndef MANIFOLD_GEN_XMLISH_H
#define MANIFOLD_GEN_XMLISH_H

#include <stdbool.h>
#include <stddef.h>

/* ---- growable strings -------------------------------------------------- */

struct xbuf {
	char *s; /* NUL-terminated once anything was added */
	size_t len, cap;
};

/* 0 or -ENOMEM (the buffer is then unchanged). */
int xbuf_add(struct xbuf *b, const char *p, size_t n);
int xbuf_addc(struct xbuf *b, char c);
/* Give the string away (an empty one if nothing was added); NULL: ENOMEM. */
char *xbuf_steal(struct xbuf *b);
void xbuf_free(struct xbuf *b);

/* ---- messages ---------------------------------------------------------- */

/* Where messages go: "path:line: reason" into err[0..errlen). */
struct xdiag {
	const char *path;
	char *err;
	size_t errlen;
};

/* Always returns -EINVAL so callers can "return xdiag_fail(...)". */
__attribute__((format(printf, 3, 4))) int
xdiag_fail(const struct xdiag *d, unsigned line, const char *fmt, ...);
/* "out of memory" at @line; returns -ENOMEM. */
int xdiag_nomem(const struct xdiag *d, unsigned line);

/* ---- characters and lines ---------------------------------------------- */

static inline bool xml_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline unsigned xml_count_lines(const char *p, const char *end)
{
	unsigned n = 0;

	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

/* ---- elements ---------------------------------------------------------- */

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

/* One top-level element of a block. */
struct xelem {
	struct xtag tag;
	struct xbuf text; /* character data directly inside, decoded */
	char *child;	  /* first nested element, NULL when none */
	unsigned child_line;
};

struct xblock {
	struct xelem *items;
	size_t count;
};

/*
 * Read text[0..len), whose first byte is on source line @line, into its
 * top-level elements, checking that every element is closed by its own
 * closing tag.  0, or -EINVAL / -ENOMEM with the message in @d and nothing
 * to release.  Release *out with xblock_free().
 */
int xblock_read(const struct xdiag *d, const char *text, size_t len,
		unsigned line, struct xblock *out);
void xblock_free(struct xblock *b);

/* The decoded value of attribute @name of @tag, or NULL when absent. */
const char *xtag_attr(const struct xtag *tag, const char *name);

#endif
