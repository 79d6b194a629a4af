/* SPDX-License-Identifier: MIT */
/*
 * Reading a whole file into memory, for the suites that compare what a tool
 * or the image wrote: one reader for all of them.  Reads until the end
 * rather than trusting the size, so that pipes and files still being
 * written read as they are.
 */
#ifndef MANIFOLD_TEST_FILE_H
#define MANIFOLD_TEST_FILE_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file @path, NUL-terminated, *@len bytes (@len may be NULL); NULL and
 * a length of 0 when it cannot be opened (errno says why).  Caller frees. */
static inline char *test_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (len)
		*len = 0;
	if (!fp)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
	} while (got > 0);
	ck_assert_int_eq(ferror(fp), 0);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* The same, for a file the test needs: the test fails without it. */
static inline char *test_read_file_or_fail(const char *path, size_t *len)
{
	char *buf = test_read_file(path, len);

	ck_assert_msg(buf != NULL, "cannot open %s: %s", path, strerror(errno));
	return buf;
}

#endif
