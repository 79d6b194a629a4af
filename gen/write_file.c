/* SPDX-License-Identifier: MIT */
/*
 * Atomic output for generated files: write PATH.tmp, check that every byte
 * reached the disk, then rename it over PATH.  A build interrupted half-way,
 * or a full disk, leaves the previous PATH (or none), never a truncated one
 * that make would take as up to date.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "gen.h"

static int write_file(const char *path, int (*write_fn)(FILE *fp, void *data),
		      void *data, bool sync)
{
	size_t len = strlen(path);
	char *tmp;
	FILE *fp;
	int r;

	tmp = mf_malloc(len + sizeof(".tmp"));
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", sizeof(".tmp"));

	fp = fopen(tmp, "w");
	if (!fp) {
		r = -errno;
		goto err_tmp;
	}
	r = write_fn(fp, data);
	if (r < 0)
		goto err_file;
	/* Errors stick to the stream: check once, after the last write. */
	errno = 0;
	if (fflush(fp) != 0 || ferror(fp)) {
		r = errno ? -errno : -EIO;
		goto err_file;
	}
	if (sync && fsync(fileno(fp)) != 0) {
		r = -errno;
		goto err_file;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		r = -errno;
		goto err_unlink;
	}
	fp = NULL;
	if (rename(tmp, path) != 0) {
		r = -errno;
		goto err_unlink;
	}
	mf_free(tmp);
	return 0;

err_file:
	fclose(fp);
err_unlink:
	unlink(tmp);
err_tmp:
	mf_free(tmp);
	return r;
}

int gen_write_file(const char *path, int (*write_fn)(FILE *fp, void *data),
		   void *data)
{
	return write_file(path, write_fn, data, true);
}

int gen_write_file_nosync(const char *path,
			  int (*write_fn)(FILE *fp, void *data), void *data)
{
	return write_file(path, write_fn, data, false);
}
