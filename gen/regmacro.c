/* SPDX-License-Identifier: MIT */
/*
 * The registration macro of a module, read as text (gen/regmacro.h): no C
 * preprocessor runs, so only what the macro's arguments spell out
 * literally is understood, which is how trees of that kind write it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>

#include "util/alloc.h"
#include "regmacro.h"

#define MACRO "AST_MODULE_INFO"
#define PRIO_PREFIX "AST_MODPRI_"

/* Past a comment or a literal at @p, or @p itself when it is neither. */
static const char *skip_noise(const char *p, const char *end)
{
	char quote;

	if (p + 1 < end && p[0] == '/' && p[1] == '*') {
		for (p += 2; p + 1 < end && !(p[0] == '*' && p[1] == '/'); p++)
			;
		return p + 1 < end ? p + 2 : end;
	}
	if (p + 1 < end && p[0] == '/' && p[1] == '/') {
		while (p < end && *p != '\n')
			p++;
		return p;
	}
	if (*p != '"' && *p != '\'')
		return p;
	quote = *p++;
	while (p < end && *p != quote && *p != '\n') {
		if (*p == '\\' && p + 1 < end)
			p++;
		p++;
	}
	return p < end && *p == quote ? p + 1 : p;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The string literals of [s, e) joined, escapes read; NULL if [s, e) is not
 * only literals and blanks.  *nomem set when allocation failed. */
static char *literals(const char *s, const char *e, bool *nomem)
{
	char *out = mf_malloc((size_t)(e - s) + 1), *o = out;

	if (!out) {
		*nomem = true;
		return NULL;
	}
	while (s < e) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (*s != '"')
			goto not_literal;
		for (s++; s < e && *s != '"'; s++) {
			char c = *s;

			if (c == '\\' && s + 1 < e) {
				c = *++s;
				if (c == 'n' || c == 't')
					c = ' ';
			}
			if ((unsigned char)c < ' ')
				c = ' ';
			*o++ = c;
		}
		if (s >= e)
			goto not_literal;
		s++;
	}
	*o = '\0';
	if (o == out)
		goto not_literal;
	return out;

not_literal:
	mf_free(out);
	return NULL;
}

static int read_arg(const char *s, const char *e, struct gen_regmacro *out,
		    char *err, size_t errlen)
{
	bool nomem = false;
	const char *p;

	/* Blanks and comments before the argument are not part of it. */
	for (;;) {
		while (s < e && isspace((unsigned char)*s))
			s++;
		if (s + 1 < e && s[0] == '/' && (s[1] == '*' || s[1] == '/'))
			s = skip_noise(s, e);
		else
			break;
	}
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s < e && *s == '.') {
		size_t n = strlen(".load_pri");

		if ((size_t)(e - s) <= n || memcmp(s, ".load_pri", n) != 0 ||
		    is_ident(s[n]))
			return 0;
		for (p = s + n; p < e && (isspace((unsigned char)*p) || *p == '=');)
			p++;
		if ((size_t)(e - p) > strlen(PRIO_PREFIX) &&
		    memcmp(p, PRIO_PREFIX, strlen(PRIO_PREFIX)) == 0) {
			char word[64];
			size_t i, wl = (size_t)(e - p) - strlen(PRIO_PREFIX);

			if (wl < sizeof(word)) {
				for (i = 0; i < wl; i++)
					word[i] = (char)tolower(
						(unsigned char)p[strlen(PRIO_PREFIX) + i]);
				word[wl] = '\0';
				if (mf_load_priority_parse(word, &out->load_priority) == 0) {
					out->has_priority = true;
					return 0;
				}
			}
		}
		snprintf(err, errlen, "bad .load_pri '%.*s' in " MACRO
			 " (want " PRIO_PREFIX "<level>)", (int)(e - p), p);
		return -EINVAL;
	}
	if (s < e && *s == '"') {
		if (out->description)
			return 0;
		out->description = literals(s, e, &nomem);
		return nomem ? -ENOMEM : 0;
	}
	for (p = s; p < e; p++) {
		size_t n = strlen("AST_MODFLAG_GLOBAL_SYMBOLS");

		if ((p == s || !is_ident(p[-1])) && (size_t)(e - p) >= n &&
		    memcmp(p, "AST_MODFLAG_GLOBAL_SYMBOLS", n) == 0 &&
		    (p + n == e || !is_ident(p[n])))
			out->export_globals = true;
	}
	return 0;
}

int gen_regmacro_read(const char *src, size_t len, struct gen_regmacro *out,
		      char *err, size_t errlen)
{
	const char *p = src, *end = src + len, *q, *arg;
	unsigned line = 1, depth;
	int r;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		q = skip_noise(p, end);
		if (q != p) {
			for (; p < q; p++)
				line += *p == '\n';
			continue;
		}
		if (*p == '\n')
			line++;
		if (!is_ident(*p) || (p > src && is_ident(p[-1])) ||
		    (size_t)(end - p) < strlen(MACRO) ||
		    memcmp(p, MACRO, strlen(MACRO)) != 0) {
			p++;
			continue;
		}
		for (q = p; q < end && is_ident(*q); q++)
			;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != '(') {
			p = q;
			continue;
		}
		out->line = line;
		arg = ++q;
		for (depth = 1; q < end && depth; ) {
			const char *n = skip_noise(q, end);

			if (n != q) {
				q = n;
				continue;
			}
			if (*q == '(' || *q == '{')
				depth++;
			else if (*q == ')' || *q == '}')
				depth--;
			if ((*q == ',' && depth == 1) || depth == 0) {
				r = read_arg(arg, q, out, err, errlen);
				if (r < 0) {
					gen_regmacro_free(out);
					return r;
				}
				arg = q + 1;
			}
			q++;
		}
		return 0;
	}
	return 0;
}

void gen_regmacro_free(struct gen_regmacro *rm)
{
	mf_free(rm->description);
	rm->description = NULL;
}
