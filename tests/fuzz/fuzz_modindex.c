/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the module index reader (runtime/modindex.c), and what
 * the module directory does with an index it reads (runtime/moddir.c).
 *
 * Each input is parsed as an index file.  Besides "no crash, no leak, no
 * undefined behaviour":
 *  - a refusal says "PATH:LINE: reason", naming the index;
 *  - an accepted index has its records in strict name order, every name a
 *    module name, every text within the input;
 *  - what mf_modindex_write() makes of the records it accepted parses again
 *    into the same records;
 *  - and a context whose module directory holds the input as its index,
 *    stamped current, refreshes without a crash and leaves the index either
 *    taken (no listing) or rebuilt from the directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <manifold/moddir.h>

#include "fake_backend.h"
#include "core/internal.h"
#include "loadable/loadable.h"
#include "loadable/modindex.h"

static char dir[64], path[128];

static void quiet(void *data, const struct mf_event *ev)
{
	(void)data;
	(void)ev;
}

static void check_records(const struct mf_modindex *ix, const char *buf, size_t len)
{
	for (size_t i = 0; i < ix->n; i++) {
		const struct mf_modindex_rec *r = &ix->recs[i];

		if (!mf_file_name_ok(r->name) || (i && strcmp(ix->recs[i - 1].name, r->name) >= 0) ||
		    r->text < buf || r->text + r->len > buf + len)
			abort();
	}
}

/* Written again, the records read back the same. */
static void round_trip(const struct mf_modindex *ix)
{
	struct mf_modindex again;
	char why[512], *buf;
	FILE *fp;
	long len;

	if (mf_modindex_write(dir, ix->checks, ix->recs, ix->n, NULL, NULL, why,
			      sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_modindex: accepted records are not written: %s\n", why);
		abort();
	}
	fp = fopen(path, "rb");
	if (!fp || fseek(fp, 0, SEEK_END) < 0 || (len = ftell(fp)) < 0)
		abort();
	rewind(fp);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len)
		abort();
	fclose(fp);
	if (mf_modindex_parse(buf, (size_t)len, path, &again, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_modindex: the writer's index does not parse: %s\n", why);
		abort();
	}
	if (again.n != ix->n || strcmp(again.checks, ix->checks) != 0 || !again.dir_known)
		abort();
	for (size_t i = 0; i < ix->n; i++)
		if (strcmp(again.recs[i].name, ix->recs[i].name) != 0 ||
		    again.recs[i].len != ix->recs[i].len ||
		    memcmp(again.recs[i].text, ix->recs[i].text, ix->recs[i].len) != 0)
			abort();
	mf_modindex_fini(&again);
	free(buf);
}

/* The input as the directory's index, stamped current: a boot from it. */
static void boot_from(const uint8_t *data, size_t size)
{
	struct mf_context *ctx;
	struct stat st;
	char stamp[64], *at, *copy = malloc(size + 1);
	FILE *fp;

	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	unlink(path);
	fp = fopen(path, "wb");
	if (!fp || fwrite(copy, 1, size, fp) != size || fclose(fp) != 0)
		abort();
	at = strstr(copy, "\ndirectory-mtime ");
	if (at && (size_t)(at - copy) + 1 + 46 <= size && stat(dir, &st) == 0) {
		FILE *w = fopen(path, "r+b");

		snprintf(stamp, sizeof(stamp), "directory-mtime %019jd.%09ld",
			 (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		if (!w || fseek(w, at + 1 - copy, SEEK_SET) < 0 ||
		    fwrite(stamp, 1, strlen(stamp), w) != strlen(stamp) || fclose(w) != 0)
			abort();
	}
	free(copy);
	if (fake_context_new(&ctx) < 0 || mf_moddir_set(ctx, dir, MF_MODDIR_NO_PERM_CHECK) < 0)
		abort();
	if (mf_moddir_refresh(ctx, quiet, NULL) == -ENOMEM)
		abort();
	mf_context_unref(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_modindex ix;
	char why[512], *buf;
	int err;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/mf-fuzz-modindex-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/" MF_MODINDEX_NAME, dir);
	}
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	why[0] = '\0';
	err = mf_modindex_parse(buf, size, "fuzz.index", &ix, why, sizeof(why));
	if (err < 0) {
		if (err != -EINVAL || strncmp(why, "fuzz.index:", 11) != 0)
			abort();
	} else {
		check_records(&ix, buf, size);
		round_trip(&ix);
		mf_modindex_fini(&ix);
	}
	free(buf);
	boot_from(data, size);
	return 0;
}
