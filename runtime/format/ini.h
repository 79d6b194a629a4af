/* SPDX-License-Identifier: MIT */
/*
 * The line reader shared by manifold's INI-like formats: manifests
 * (manifest.c), modules.conf and extconfig.conf (config.c).  Private to
 * runtime/ and gen/; not part of the API.
 *
 * mf_ini_parse() owns everything that is the same in every format: cutting
 * the buffer into lines, the per-line byte checks, trimming, comments,
 * "[name]" headers and the "key=value" split, each with its error message.
 * What a section or a key means stays in the format's file, behind two
 * callbacks.  Messages are "PATH:LINE: reason", written with mf_ini_fail().
 */
#ifndef MANIFOLD_INI_H
#define MANIFOLD_INI_H

#include <stdbool.h>
#include <stddef.h>

#include <manifold/manifest.h>

/* Longest accepted line in any format, excluding its terminator. */
#define MF_INI_LINE_MAX MF_MANIFEST_LINE_MAX
/* Longest module name, as for the registry's fixed-size name fields. */
#define MF_INI_MODULE_NAME_MAX 63

/* Asterisk-style extras; manifests use none of them. */
enum mf_ini_flags {
	/*
	 * "key=value ; comment": a ';' after a blank ends the line's text,
	 * and "\;" stands for a literal ';'.  Without it "a ; b" is a value.
	 */
	MF_INI_INLINE_COMMENTS = 1u << 0,
	/* "key => value" reads as "key=value" (Asterisk's object arrow). */
	MF_INI_ARROW = 1u << 1,
	/*
	 * "#include", "#tryinclude" and "#exec" are errors, not comments, so
	 * that an Asterisk file relying on them is not half read in silence.
	 */
	MF_INI_REFUSE_DIRECTIVES = 1u << 2,
};

struct mf_ini;

/*
 * Callbacks return 0 to go on, or a negative errno (after mf_ini_fail() or
 * mf_ini_nomem()) to stop the parse with that value.  Their strings are the
 * current line's, trimmed, non-empty and writable until they return.
 */
typedef int (*mf_ini_section_fn)(struct mf_ini *ini, char *name);
typedef int (*mf_ini_entry_fn)(struct mf_ini *ini, char *key, char *value);

struct mf_ini {
	/* Set by the caller. */
	const char *path; /* names the input in messages */
	char *err;	  /* may be NULL */
	size_t errlen;
	unsigned flags; /* enum mf_ini_flags */
	mf_ini_section_fn section;
	mf_ini_entry_fn entry;
	void *data; /* the format's parser state */

	/* Kept by mf_ini_parse(). */
	unsigned line;	 /* current line, 1-based; 0 before the first */
	bool in_section; /* a header was accepted: entries may follow */
	/*
	 * strlen() of the current callback's strings, measured anyway: of the
	 * section's name or the entry's key, and of the entry's value.
	 */
	size_t key_len, value_len;
};

/*
 * Run @buf through the callbacks, line by line, stopping at the first error.
 * Text before the first accepted header is an error ("text before the first
 * section").  Returns 0 or that error.  Does not clear ini->err on success.
 */
int mf_ini_parse(struct mf_ini *ini, const char *buf, size_t len);
/*
 * mf_ini_parse() without a copy of each line: the lines are cut in @buf
 * itself, which must hold @len + 1 bytes (the last line's terminator may be
 * the one past the end).  The callbacks' strings point into @buf and stay
 * there after they return, until the caller frees @buf.  For a format that
 * keeps its strings where they were read (none does today: manifest.c
 * copies what it keeps, config.c too).
 */
int mf_ini_parse_in_place(struct mf_ini *ini, char *buf, size_t len);

/* Write "PATH:LINE: reason" into ini->err; always returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int
mf_ini_fail_at(const struct mf_ini *ini, unsigned line, const char *fmt, ...);
#define mf_ini_fail(ini, ...) mf_ini_fail_at((ini), (ini)->line, __VA_ARGS__)
/* "PATH:LINE: out of memory", or "PATH: out of memory" outside any line
 * (line 0); always returns -ENOMEM. */
int mf_ini_nomem(const struct mf_ini *ini);

/*
 * Read a whole file of at most @max bytes into a new buffer (*buf, to free;
 * *len bytes, not terminated).  0, or a negative errno with "PATH: reason"
 * in err: "PATH: <strerror>", "PATH: Is a directory" (-EISDIR),
 * "PATH: file too large (max N bytes)" (-EFBIG).
 */
int mf_ini_read_file(const char *path, size_t max, char **buf, size_t *len,
		     char *err, size_t errlen);

/* 1 to 63 of [a-z0-9_], not starting with a digit. */
bool mf_ini_name_is_module(const char *s);
/* [a-z][a-z0-9_]*: a type (module, function ...), a driver, a level. */
bool mf_ini_name_is_type(const char *s);
/* Printable ASCII without blanks or '/', not "." or "..". */
bool mf_ini_name_is_file(const char *s);
/* yes/no, true/false, 1/0 (lower case only).  0 or -EINVAL. */
int mf_ini_parse_bool(const char *s, bool *out);

static inline bool mf_ini_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Printable ASCII other than space: what names and file names are made of. */
static inline bool mf_ini_is_graph(char c)
{
	return c > ' ' && c < 0x7f;
}

#endif
