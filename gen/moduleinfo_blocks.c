/* SPDX-License-Identifier: MIT */
/*
 * Finding a module source's comment blocks (gen/moduleinfo_blocks.h): the
 * source is scanned as C, string literals and other comments skipped, so a
 * block quoted in a string is not one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "moduleinfo.h"
#include "moduleinfo_blocks.h"

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
static int match_block(const struct xdiag *d, const char *body,
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
	if (p < body_end && !xml_is_space(*p) && *p != '*')
		return 0; /* MODULEINFOX: some other comment */
	if (body_end - p < 2 || body_end[-1] != '*' || body_end[-2] != '*')
		return xdiag_fail(d, line, "%s block does not end with '***/'",
				  keyword);
	blk->text = p;
	blk->len = (size_t)(body_end - 2 - p);
	blk->start = line;
	blk->line = line + xml_count_lines(body, p);
	return 1;
}

/*
 * Scan the C source as C (literals and // comments skipped, so a
 * "/" "*** MODULEINFO" inside a string is not a block) and find both blocks.
 * A block absent leaves its .text NULL.
 */
int gen_find_blocks(const struct xdiag *d, const char *src, size_t len,
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

			line += xml_count_lines(p, q);
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
			return xdiag_fail(d, line, "unterminated comment");
		for (i = 0; i < 2; i++) {
			struct block blk;

			r = match_block(d, body, close, line, keywords[i], &blk);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			if (blocks[i]->text)
				return xdiag_fail(
					d, line,
					"second %s block (first at line %u)",
					keywords[i], blocks[i]->start);
			*blocks[i] = blk;
			break;
		}
		line += xml_count_lines(p, close + 2);
		p = close + 2;
	}
	if (!info->text)
		return xdiag_fail(d, 1, "no MODULEINFO block");
	return 0;
}

int gen_moduleinfo_find(const char *path, const char *src, size_t len,
			char *err, size_t errlen)
{
	struct xdiag d = {path, err, errlen};
	struct block info, doc;
	int r = gen_find_blocks(&d, src, len, &info, &doc);

	if (r < 0 && !info.text && !doc.text && err &&
	    strstr(err, ": no MODULEINFO block"))
		return 0;
	return r < 0 ? r : 1;
}

