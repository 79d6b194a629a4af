/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen index: write the index of a module directory, DIR/modules.index
 * (runtime/loadable/modindex.c, docs/loadable.md), as depmod writes modules.dep: once,
 * at build or install time, after the files it describes are in place.
 *
 *   manifold-gen index DIR
 *
 * Every DIR/<name>.manifest is read and parsed with the runtime's own
 * parser, and must be a regular file named after the module it describes,
 * owned by root or this user and writable by no one else (the image's own
 * checks: the index says it holds only manifests that pass them).
 * Any that is not stops the command with the file and the reason, and the
 * old index is left as it was: an index is the image's view of the
 * directory, and a build that makes a bad one should fail, not ship it.  The
 * index is written whole and at once (a temporary file, fsync(), rename()).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <manifold/manifest.h>

#include "gen.h"
#include "loadable/modindex.h"

static void usage(FILE *fp)
{
	fputs("usage: manifold-gen index DIR\n"
	      "  Write DIR/" MF_MODINDEX_NAME ", the index of the module directory\n"
	      "  DIR: the text of each DIR/<name>.manifest, which the image reads\n"
	      "  instead of the directory while the directory is unchanged.\n"
	      "  Run it after installing or removing module files.\n"
	      "  -h, --help  this help\n",
	      fp);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The base names of DIR's *.manifest files, sorted; NULL-terminated. */
static char **manifest_names(const char *dir, size_t *n)
{
	static const char suffix[] = ".manifest";
	const size_t slen = sizeof(suffix) - 1;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	*n = 0;
	if (!dp) {
		fprintf(stderr, "manifold-gen index: %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);

		if (len <= slen || strcmp(d->d_name + len - slen, suffix) != 0)
			continue;
		if (*n + 1 >= cap) {
			char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (!p)
				goto oom;
			names = p;
		}
		if (!(names[*n] = strndup(d->d_name, len - slen)))
			goto oom;
		names[++*n] = NULL;
	}
	closedir(dp);
	if (!names)
		names = calloc(1, sizeof(*names));
	if (names && *n > 1)
		qsort(names, *n, sizeof(*names), cmp_name);
	return names;
oom:
	closedir(dp);
	fprintf(stderr, "manifold-gen index: out of memory\n");
	for (size_t i = 0; i < *n; i++)
		free(names[i]);
	free(names);
	return NULL;
}

/* DIR/@name.manifest into @rec, checked as the image checks it. */
static int read_manifest(const char *dir, const char *name, struct mf_modindex_rec *rec)
{
	char path[4096], err[1024];
	struct mf_manifest *m = NULL;
	struct stat st;
	FILE *fp;
	char *text;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s.manifest", dir, name);
	if (!mf_file_name_ok(name)) {
		fprintf(stderr, "%s: '%s' is not a module name (a-z, 0-9 and _, at "
			"most 63)\n", path, name);
		return -EINVAL;
	}
	if (lstat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size >= MF_MODINDEX_TEXT_MAX) {
		fprintf(stderr, "%s: %s\n", path, S_ISREG(st.st_mode) ?
			"larger than any manifest" : "not a regular file");
		return -EINVAL;
	}
	/* The image's checks (runtime/loadable/modfile.c), for this user: the index
	 * says it holds only manifests they accept. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		fprintf(stderr, "%s: owned by uid %u, neither root nor this user "
			"(uid %u)\n", path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fprintf(stderr, "%s: writable by group or others (mode %04o)\n", path,
			(unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	fp = fopen(path, "rb");
	text = malloc((size_t)st.st_size + 1);
	len = fp && text ? fread(text, 1, (size_t)st.st_size + 1, fp) : 0;
	if (!fp || !text || ferror(fp) || len != (size_t)st.st_size) {
		fprintf(stderr, "%s: %s\n", path, fp && text ? "changed while read" :
			strerror(errno));
		if (fp)
			fclose(fp);
		free(text);
		return -EIO;
	}
	fclose(fp);
	if (mf_manifest_parse(path, text, len, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		free(text);
		return -EINVAL;
	}
	if (strcmp(m->name, name) != 0) {
		fprintf(stderr, "%s: describes module '%s'; a manifest is named after "
			"its module (%s.manifest)\n", path, m->name, m->name);
		mf_manifest_free(m);
		free(text);
		return -EINVAL;
	}
	mf_manifest_free(m);
	*rec = (struct mf_modindex_rec){ .name = name, .text = text, .len = len };
	return 0;
}

int gen_index_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mf_modindex_rec *recs = NULL;
	char **names, why[1024], checks[32];
	size_t n = 0, done = 0;
	int opt, status = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	names = manifest_names(argv[optind], &n);
	if (!names)
		return 1;
	recs = calloc(n + 1, sizeof(*recs));
	if (!recs)
		goto out;
	for (; done < n; done++)
		if (read_manifest(argv[optind], names[done], &recs[done]) < 0)
			goto out;
	mf_modindex_checks(checks, sizeof(checks), true, (unsigned)geteuid());
	if (mf_modindex_write(argv[optind], checks, recs, n, NULL, NULL, why,
			      sizeof(why)) < 0) {
		fprintf(stderr, "manifold-gen index: %s\n", why);
		goto out;
	}
	status = 0;
out:
	for (size_t i = 0; i < done; i++)
		free((char *)recs[i].text);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(recs);
	return status;
}
