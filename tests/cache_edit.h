/* SPDX-License-Identifier: MIT */
/*
 * Editing a module cache file in place (its format: runtime/modcache.c), for
 * the suites that tell a manifest taken from the cache from one read from its
 * file by a text or an image that differs from the file's, to the byte as
 * long.  An image holds its text as the parser cut it ("key=value" reads
 * "key\0value"), and its sum must be taken again once edited.
 */
#ifndef MANIFOLD_TEST_CACHE_EDIT_H
#define MANIFOLD_TEST_CACHE_EDIT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_image.h"
#include "test_file.h"

enum cache_edit_where {
	/* the texts, every image dropped (<ilen> 0): the texts are parsed */
	CACHE_EDIT_TEXTS_DROP_IMAGES,
	/* the texts, the images left as they are (and standing for them) */
	CACHE_EDIT_TEXTS,
	/* the images, the texts left as they are */
	CACHE_EDIT_IMAGES,
};

/* Replace every @from (@len bytes) in @buf with @to, as long: how many. */
static inline unsigned cache_edit_replace(char *buf, size_t blen, const char *from,
					  const char *to, size_t len)
{
	unsigned n = 0;

	for (size_t i = 0; len && i + len <= blen; i++)
		if (memcmp(buf + i, from, len) == 0) {
			memcpy(buf + i, to, len);
			i += len - 1;
			n++;
		}
	return n;
}

/*
 * The cache file @path again from @buf (@len bytes): every image dropped,
 * or kept with its sum taken anew.  Texts and images keep their lengths.
 */
static inline void cache_edit_rewrite(const char *path, const char *buf, size_t len,
				      bool keep_images)
{
	char *out = malloc(len + 4096), *o = out;
	const char *p = buf, *end = buf + len, *nl;
	FILE *fp;

	ck_assert_ptr_nonnull(out);
	/* The header's three lines, as they are. */
	for (int i = 0; i < 3; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ck_assert_ptr_nonnull(nl);
		memcpy(o, p, (size_t)(nl + 1 - p));
		o += nl + 1 - p;
		p = nl + 1;
	}
	while (p < end) {
		char line[512], name[80], f[6][48];
		unsigned long long size, ilen;
		const char *text, *image;

		nl = memchr(p, '\n', (size_t)(end - p));
		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_lt((size_t)(nl - p), sizeof(line));
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		ck_assert_int_eq(sscanf(line, "%79s %47s %47s %llu %47s %47s %47s %47s %llu",
					name, f[0], f[1], &size, f[2], f[3], f[4], f[5], &ilen),
				 9);
		text = nl + 1;
		image = text + size + 1;
		ck_assert(image + ilen < end);
		p = image + ilen + 1;
		if (!keep_images)
			ilen = 0;
		o += sprintf(o, "%s %s %s %llu %s %s %s %s %llu %ju\n", name, f[0], f[1], size,
			     f[2], f[3], f[4], f[5], ilen,
			     (uintmax_t)(ilen ? mf_manifest_image_sum(image, ilen) : 0));
		memcpy(o, text, size + 1);
		o += size + 1;
		memcpy(o, image, ilen);
		o += ilen;
		*o++ = '\n';
	}
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(out, 1, (size_t)(o - out), fp), (size_t)(o - out));
	ck_assert_int_eq(fclose(fp), 0);
	free(out);
}

/* Replace every @from with @to (as long) where @where says, in the cache
 * file @path; there must be one at least. */
static inline void cache_edit(const char *path, const char *from, const char *to,
			      enum cache_edit_where where)
{
	char f[256], t[256], *buf;
	size_t flen = strlen(from), len;

	buf = test_read_file(path, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(flen, strlen(to));
	ck_assert_uint_lt(flen, sizeof(f));
	memcpy(f, from, flen);
	memcpy(t, to, flen);
	for (size_t i = 0; where == CACHE_EDIT_IMAGES && i < flen; i++) {
		f[i] = f[i] == '=' ? '\0' : f[i];
		t[i] = t[i] == '=' ? '\0' : t[i];
	}
	ck_assert_msg(cache_edit_replace(buf, len, f, t, flen) > 0,
		      "'%s' is not in the cache", from);
	cache_edit_rewrite(path, buf, len, where != CACHE_EDIT_TEXTS_DROP_IMAGES);
	free(buf);
}

#endif
