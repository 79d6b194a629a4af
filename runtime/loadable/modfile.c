/* SPDX-License-Identifier: MIT */
/*
 * What makes a file of the module directory acceptable before anything is
 * read from it: a regular file (a symbolic link could point anywhere, a FIFO
 * could block the loader), which neither group nor others may write.  A
 * module file is code the image will run with its own privileges, and a
 * manifest decides which file that is, so a file that someone else can
 * change is as good as theirs.  The administrator may turn the permission
 * check off (MF_MODDIR_NO_PERM_CHECK), never the others.
 *
 * The checks are made on the descriptor that is then read, not only on the
 * path, so a file swapped between the check and the read is caught.  The
 * module directory names its manifests from the directory it holds open
 * (mf_modfile_openat()), so that what it checks and reads is one and the
 * same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "loadable/loadable.h"

int mf_modfile_judge(const char *path, const struct stat *st, unsigned flags,
		     char *err, size_t errlen)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s: is a symbolic link; module files and "
			 "manifests must be regular files", path);
		return -ELOOP;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	/* Whoever owns a file can make it say anything, whatever its mode:
	 * only root and the image's own user may own what the image runs. */
	if (st->st_uid != 0 && st->st_uid != geteuid() && !(flags & MF_MODDIR_NO_PERM_CHECK)) {
		snprintf(err, errlen, "%s: owned by uid %u, neither root nor this "
			 "image's user (uid %u); refused", path, (unsigned)st->st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(flags & MF_MODDIR_NO_PERM_CHECK)) {
		snprintf(err, errlen, "%s: writable by group or others (mode %04o); "
			 "refused",
			 path, (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int mf_modfile_statat(int dirfd, const char *name, const char *path,
		      unsigned flags, struct stat *st, char *err, size_t errlen)
{
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		st->st_mode = 0;
		return r;
	}
	return mf_modfile_judge(path, st, flags, err, errlen);
}

int mf_modfile_openat(int dirfd, const char *name, const char *path,
		      unsigned flags, struct stat *seen, char *err, size_t errlen)
{
	struct stat lst, st;
	int fd, r;

	if (seen)
		seen->st_mode = 0;
	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (seen)
		*seen = lst;
	/* The type first, on the path: only a regular file gets opened. */
	if (S_ISLNK(lst.st_mode) || !S_ISREG(lst.st_mode))
		return mf_modfile_judge(path, &lst, flags, err, errlen);
	/* O_NONBLOCK: should a FIFO take the file's place after lstat, the
	 * open must not wait for a writer. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path,
			 errno == ELOOP ? "became a symbolic link" : strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto err_close;
	}
	if (seen)
		*seen = st;
	if (!S_ISREG(st.st_mode) || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino) {
		snprintf(err, errlen, "%s: replaced while being checked", path);
		r = -EAGAIN;
		goto err_close;
	}
	/* Judged on the descriptor that is then read. */
	r = mf_modfile_judge(path, &st, flags, err, errlen);
	if (r < 0)
		goto err_close;
	return fd;

err_close:
	close(fd);
	return r;
}

int mf_modfile_open(const char *path, unsigned flags, char *err, size_t errlen)
{
	return mf_modfile_openat(AT_FDCWD, path, path, flags, NULL, err, errlen);
}

int mf_modfile_readat(int dirfd, const char *name, const char *path,
		      unsigned flags, size_t max, char **buf, size_t *len,
		      struct stat *seen, char *err, size_t errlen)
{
	struct stat st;
	size_t have = 0, cap;
	char *p = NULL;
	int fd, r;

	fd = mf_modfile_openat(dirfd, name, path, flags, &st, err, errlen);
	if (seen)
		*seen = st;
	if (fd < 0)
		return fd;
	/*
	 * Room for the size the descriptor says and one byte more, so that
	 * the read that finds the end needs no more room: one block of the
	 * right size, where doubling from a page made a module cache of a
	 * thousand manifests take eight blocks the C library mapped and
	 * unmapped.  A file that grew since is read on as it grows; one of
	 * @max bytes or more is refused either way, unread when it says so.
	 */
	if ((uintmax_t)st.st_size >= max) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		r = -EFBIG;
		goto err_close;
	}
	cap = (size_t)st.st_size + 1;
	p = mf_malloc(cap + 1);
	if (!p) {
		r = -ENOMEM;
		goto err_close;
	}
	for (;;) {
		ssize_t n;

		if (have == cap) {
			char *q;

			if (cap >= max) {
				snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
				r = -EFBIG;
				goto err_free;
			}
			cap = cap <= max / 2 ? cap * 2 : max;
			q = mf_realloc(p, cap + 1);
			if (!q) {
				r = -ENOMEM;
				goto err_free;
			}
			p = q;
		}
		n = read(fd, p + have, cap - have);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto err_free;
		}
		have += (size_t)n;
	}
	close(fd);
	p[have] = '\0';
	*buf = p;
	*len = have;
	return 0;

err_free:
	mf_free(p);
err_close:
	close(fd);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
	return r;
}

int mf_modfile_checksum(const char *path, unsigned flags,
			char text[MF_SHA256_TEXT_SIZE], char *err, size_t errlen)
{
	int fd = mf_modfile_open(path, flags, err, errlen);
	int r;

	if (fd < 0)
		return fd;
	r = mf_sha256_fd(fd, text);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	close(fd);
	return r;
}
