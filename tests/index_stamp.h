/* SPDX-License-Identifier: MIT */
/*
 * For tests that write a module index by hand (check_modindex,
 * check_security): give it the directory's mtime as it is now, in place, as
 * mf_modindex_write() does after its rename (runtime/modindex.c), so that
 * the runtime takes it as current.
 */
#ifndef MANIFOLD_TEST_INDEX_STAMP_H
#define MANIFOLD_TEST_INDEX_STAMP_H

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_file.h"

static inline void index_stamp(const char *dir, const char *index_path)
{
	char *text = test_read_file(index_path, NULL), *at, stamp[64];
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(text);
	at = strstr(text, "\ndirectory-mtime ");
	ck_assert_msg(at != NULL, "%s: no directory-mtime line", index_path);
	ck_assert_int_eq(stat(dir, &st), 0);
	snprintf(stamp, sizeof(stamp), "directory-mtime %019jd.%09ld",
		 (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	fd = open(index_path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, stamp, strlen(stamp), at + 1 - text),
			 (ssize_t)strlen(stamp));
	ck_assert_int_eq(close(fd), 0);
	free(text);
}

#endif
