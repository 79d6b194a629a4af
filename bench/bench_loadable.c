/* SPDX-License-Identifier: MIT */
/*
 * bench_loadable MODE INFO DIR [REPS]: the loadable image's costs, for the N
 * module files of DIR (bm_NNNNN.so + bm_NNNNN.manifest with its checksum).
 *
 * A mapped file stays mapped for the life of the process (musl's dlclose()
 * unmaps nothing), so every measurement that maps files runs in a fresh
 * process: the caller (bench/run.sh) runs each mode several times.  This
 * program is linked dynamically against musl and exports its symbols, as
 * the host-modules image is, and the module files are built as that board
 * builds them: floor and manifold map the same files with the same libc.
 *
 *   floor         dlopen + dlsym + the load function, for every file.
 *   floor-sum     the same after checking each file's SHA-256 against the
 *                 sum its manifest gives (the sums are read beforehand).
 *   boot          the image's path: a context, mf_moddir_set(),
 *                 mf_moddir_refresh() (the directory's index, current:
 *                 one file read), an empty configuration (autoload)
 *                 applied, mf_boot().  The loadable backend checks every
 *                 file's SHA-256 before mapping it: "with checksums".
 *   boot-nosum    the same with MF_MODDIR_NO_CHECKSUM (the image's -K):
 *                 each file is checked with one fstatat() and mapped.
 *   boot-listed   boot-nosum without an index (removed first, not timed):
 *                 the directory is listed, every manifest opened, read
 *                 and parsed, and the index written, as a first boot after
 *                 an install that did not run manifold-gen index.
 *   index         write the index (DIR/modules.index) for the above, as
 *                 the build does; not a measurement.
 *   deep          mf_load() of the top module with the largest closure,
 *                 after the directory was read (not timed), without
 *                 checksums (MF_MODDIR_NO_CHECKSUM) as its floor.
 *   deep-floor    dlopen + dlsym + load of the files that load started,
 *                 in its order (found by a dry run, not timed).
 *   refresh       REPS times mf_moddir_refresh() of an unchanged directory
 *                 whose N manifests are in the catalog already; its floor:
 *                 open + read + close of the N manifests, REPS times.
 *   count-refresh K, count-load K, count-load-nodir K
 *                 not timed: after the setup, K refreshes of the unchanged
 *                 directory, or K loads and unloads of an embedded module
 *                 (with the module directory set, or without one).  Run
 *                 under strace with K = 0 and K = 1000 (bench/run.sh), the
 *                 difference is the system calls of K operations.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/manifold.h>
#include <manifold/moddir.h>
#include <manifold/module.h>
#include <manifold/table.h>

#include "bench.h"
#include "util/sha256.h"

struct tally {
	unsigned started, failed;
	char **order; /* names of WOULD_START events, for deep-floor */
	unsigned n_order;
};

static void on_event(void *data, const struct mf_event *ev)
{
	struct tally *t = data;

	if (ev->kind == MF_EVENT_START)
		t->started++;
	else if (ev->kind == MF_EVENT_FAIL) {
		t->failed++;
		fprintf(stderr, "bench: %s: %s\n", ev->module, ev->detail);
	} else if (ev->kind == MF_EVENT_WOULD_START && t->order) {
		t->order[t->n_order] = strdup(ev->module);
		if (!t->order[t->n_order++])
			bench_die("out of memory");
	}
}

static char *path_of(const char *dir, const char *name, const char *ext)
{
	size_t len = strlen(dir) + strlen(name) + strlen(ext) + 3;
	char *p = malloc(len);

	if (!p)
		bench_die("out of memory");
	snprintf(p, len, "%s/%s%s", dir, name, ext);
	return p;
}

static void module_name(const struct bench_info *info, unsigned i, char *buf,
			size_t len)
{
	snprintf(buf, len, "bm_%0*u", (int)info->width, i);
}

/* ---- floors ------------------------------------------------------------- */

/* The checksum= line of a manifest, or "" when it has none. */
static void manifest_checksum(const char *path, char *out, size_t len)
{
	char line[512];
	FILE *fp = fopen(path, "r");

	out[0] = '\0';
	if (!fp)
		bench_die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, "checksum=", 9) == 0) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line + 9) >= len)
				bench_die("%s: checksum too long", path);
			memcpy(out, line + 9, strlen(line + 9) + 1);
		}
	fclose(fp);
}

static void map_one(const char *path, const char *name)
{
	char symbol[128];
	const struct manifold_module *desc;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		bench_die("dlopen %s: %s", path, dlerror());
	snprintf(symbol, sizeof(symbol), MF_MODULE_SYMBOL_PREFIX "%s", name);
	desc = dlsym(h, symbol);
	if (!desc || !desc->load)
		bench_die("%s: no %s", path, symbol);
	desc->load(NULL);
}

static void floor_boot(const struct bench_info *info, const char *dir, bool sums)
{
	char (*want)[MF_SHA256_TEXT_SIZE] = NULL;
	char **paths = calloc(info->n, sizeof(*paths));
	char name[64], got[MF_SHA256_TEXT_SIZE];
	unsigned long before = bench_touches;
	uint64_t t0, t1;

	if (!paths || (sums && !(want = calloc(info->n, sizeof(*want)))))
		bench_die("out of memory");
	for (unsigned i = 0; i < info->n; i++) {
		module_name(info, i, name, sizeof(name));
		paths[i] = path_of(dir, name, ".so");
		if (sums) {
			char *mp = path_of(dir, name, ".manifest");

			manifest_checksum(mp, want[i], sizeof(want[i]));
			free(mp);
		}
	}
	t0 = bench_now_ns();
	for (unsigned i = 0; i < info->n; i++) {
		module_name(info, i, name, sizeof(name));
		if (sums) {
			int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

			if (fd < 0 || mf_sha256_fd(fd, got) < 0)
				bench_die("%s: cannot read", paths[i]);
			close(fd);
			if (strcmp(got, want[i]) != 0)
				bench_die("%s: checksum mismatch", paths[i]);
		}
		map_one(paths[i], name);
	}
	t1 = bench_now_ns();
	if (bench_touches - before != info->n)
		bench_die("floor: %lu loads for %u modules", bench_touches - before, info->n);
	bench_result(sums ? "boot.loadable.sum" : "boot.loadable", info->n, 'f',
		     (double)(t1 - t0), NULL);
	/* The same floor for the boot that reads every manifest. */
	if (!sums)
		bench_result("boot.loadable.listed", info->n, 'f',
			     (double)(t1 - t0), NULL);
	for (unsigned i = 0; i < info->n; i++)
		free(paths[i]);
	free(paths);
	free(want);
}

/* ---- manifold ------------------------------------------------------------ */

static struct mf_context *context_with_dir(const char *dir, unsigned flags,
					   struct tally *t)
{
	struct mf_context *ctx;
	int err = mf_context_new(&ctx);

	if (err == 0)
		err = mf_moddir_set(ctx, dir, flags);
	if (err == 0) {
		err = mf_moddir_refresh(ctx, on_event, t);
		err = err > 0 ? 0 : err;
	}
	if (err < 0 || t->failed)
		bench_die("%s: %s", dir, err < 0 ? strerror(-err) : "refused files");
	return ctx;
}

static void boot_checked(struct mf_context *ctx, struct mf_config *cfg,
			 const struct bench_info *info, struct tally *t)
{
	int err = mf_config_apply(ctx, cfg, on_event, t);

	if (err == 0)
		err = mf_boot(ctx, cfg, on_event, t);
	if (err < 0 || t->started != info->n || t->failed)
		bench_die("boot: %s; %u of %u modules started, %u failures",
			  strerror(-err), t->started, info->n, t->failed);
}

/* boot, boot-nosum, boot-listed: see the top of this file. */
static void manifold_boot(const struct bench_info *info, const char *dir,
			  struct mf_config *cfg, const char *metric,
			  unsigned flags, bool listed)
{
	struct tally t = { 0 };
	unsigned long before = bench_touches;
	uint64_t t0, t1;
	struct mf_context *ctx;

	if (listed) {
		char *index = path_of(dir, "modules", ".index");

		if (unlink(index) < 0)
			bench_die("%s: %s", index, strerror(errno));
		free(index);
	}
	t0 = bench_now_ns();
	ctx = context_with_dir(dir, flags, &t);

	boot_checked(ctx, cfg, info, &t);
	t1 = bench_now_ns();
	if (bench_touches - before != info->n)
		bench_die("boot: %lu loads for %u modules", bench_touches - before, info->n);
	bench_result(metric, info->n, 'm', (double)(t1 - t0), NULL);
	mf_context_unref(ctx);
}

/* Write the directory's index, so that the boots measured find it. */
static void write_index(const char *dir)
{
	struct tally t = { 0 };

	mf_context_unref(context_with_dir(dir, MF_MODDIR_NO_CHECKSUM, &t));
}

/* ---- system calls (counted by strace around this process) ---------------- */

/* One embedded module, as an image's table has it. */
static const struct manifold_module embedded_desc = {
	.abi_version = MANIFOLD_ABI_VERSION,
	.name = "bench_embedded",
	.build_signature = MANIFOLD_BUILD_SIGNATURE,
};
static const struct mf_table_module embedded_mods[] = {
	{ .name = "bench_embedded", .description = "an embedded module", .checksum = "",
	  .load_priority = MF_PRIO_DEFAULT, .descriptor = &embedded_desc },
};
static const struct mf_table_provider embedded_providers[] = {
	{ .type = "module", .name = "bench_embedded", .priority = 0, .module = 0 },
};
static const struct mf_table embedded_table = {
	.version = MF_TABLE_VERSION,
	.modules = embedded_mods,
	.n_modules = 1,
	.providers = embedded_providers,
	.n_providers = 1,
};

static void count_ops(const char *dir, const char *what, unsigned k)
{
	struct tally t = { 0 };
	struct mf_context *ctx;
	int err;

	if (strcmp(what, "load-nodir") == 0) {
		if (mf_context_new(&ctx) < 0)
			bench_die("out of memory");
	} else {
		ctx = context_with_dir(dir, MF_MODDIR_NO_CHECKSUM, &t);
	}
	if (mf_catalog_add_table(ctx, &embedded_table) < 0)
		bench_die("cannot add the embedded table");
	for (unsigned i = 0; i < k; i++) {
		if (strcmp(what, "refresh") == 0) {
			err = mf_moddir_refresh(ctx, on_event, &t);
		} else {
			struct mf_request req = { .name = "bench_embedded", .why = "bench" };

			err = mf_load(ctx, &req, 1, 0, on_event, &t);
			if (err == 0)
				err = mf_unload(ctx, "bench_embedded", 0, on_event, &t);
		}
		if (err != 0 || t.failed)
			bench_die("%s %u: %s", what, i, strerror(-err));
	}
	mf_context_unref(ctx);
}

static void manifold_deep(const struct bench_info *info, const char *dir,
			  bool floor)
{
	struct tally t = { 0 };
	/* Without checksums, as the floor: it maps the files unverified. */
	struct mf_context *ctx = context_with_dir(dir, MF_MODDIR_NO_CHECKSUM, &t);
	struct mf_request req = { .name = info->deep, .why = "bench" };
	char note[32];
	uint64_t t0, t1;
	int err;

	if (floor) {
		t.order = calloc(info->n, sizeof(*t.order));
		if (!t.order)
			bench_die("out of memory");
		err = mf_load(ctx, &req, 1, MF_OP_DRY_RUN, on_event, &t);
		if (err < 0 || t.failed || t.n_order < 2)
			bench_die("load -n %s: %s", info->deep, strerror(-err));
		t0 = bench_now_ns();
		for (unsigned i = 0; i < t.n_order; i++) {
			char *path = path_of(dir, t.order[i], ".so");

			map_one(path, t.order[i]);
			free(path);
		}
		t1 = bench_now_ns();
		bench_result("load.deep.loadable", info->n, 'f', (double)(t1 - t0), NULL);
		for (unsigned i = 0; i < t.n_order; i++)
			free(t.order[i]);
		free(t.order);
	} else {
		t0 = bench_now_ns();
		err = mf_load(ctx, &req, 1, 0, on_event, &t);
		t1 = bench_now_ns();
		if (err < 0 || t.failed || t.started < 2)
			bench_die("load %s: %s", info->deep, strerror(-err));
		snprintf(note, sizeof(note), "k=%u", t.started);
		bench_result("load.deep.loadable", info->n, 'm', (double)(t1 - t0), note);
	}
	mf_context_unref(ctx);
}

static void refresh(const struct bench_info *info, const char *dir, unsigned reps)
{
	struct tally t = { 0 };
	struct mf_context *ctx = context_with_dir(dir, 0, &t);
	char **paths = calloc(info->n, sizeof(*paths)), name[64], buf[4096];

	if (!paths)
		bench_die("out of memory");
	for (unsigned i = 0; i < info->n; i++) {
		module_name(info, i, name, sizeof(name));
		paths[i] = path_of(dir, name, ".manifest");
	}
	for (unsigned r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns(), t1;
		int c = mf_moddir_refresh(ctx, on_event, &t);

		t1 = bench_now_ns();
		if (c != 0 || t.failed)
			bench_die("refresh of an unchanged directory: %d changes", c);
		bench_result("refresh", info->n, 'm', (double)(t1 - t0), NULL);

		t0 = bench_now_ns();
		for (unsigned i = 0; i < info->n; i++) {
			int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

			if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
				bench_die("%s: cannot read", paths[i]);
			close(fd);
		}
		t1 = bench_now_ns();
		bench_result("refresh", info->n, 'f', (double)(t1 - t0), NULL);
	}
	for (unsigned i = 0; i < info->n; i++)
		free(paths[i]);
	free(paths);
	mf_context_unref(ctx);
}

int main(int argc, char **argv)
{
	struct bench_info info;
	struct mf_config *cfg;
	const char *mode, *dir;

	if (argc != 4 && argc != 5) {
		fputs("usage: bench_loadable floor|floor-sum|boot|boot-nosum|boot-listed|index|deep|"
		      "deep-floor|refresh|count-refresh|count-load|count-load-nodir INFO DIR "
		      "[REPS]\n", stderr);
		return 2;
	}
	mode = argv[1];
	dir = argv[3];
	if (bench_info_load(argv[2], &info) < 0)
		return 1;
	if (mf_config_new(&cfg) < 0)
		bench_die("out of memory");
	if (strcmp(mode, "floor") == 0)
		floor_boot(&info, dir, false);
	else if (strcmp(mode, "floor-sum") == 0)
		floor_boot(&info, dir, true);
	else if (strcmp(mode, "boot") == 0)
		manifold_boot(&info, dir, cfg, "boot.loadable.sum", 0, false);
	else if (strcmp(mode, "boot-nosum") == 0)
		manifold_boot(&info, dir, cfg, "boot.loadable",
			      MF_MODDIR_NO_CHECKSUM, false);
	else if (strcmp(mode, "boot-listed") == 0)
		manifold_boot(&info, dir, cfg, "boot.loadable.listed",
			      MF_MODDIR_NO_CHECKSUM, true);
	else if (strcmp(mode, "index") == 0)
		write_index(dir);
	else if (strncmp(mode, "count-", 6) == 0)
		count_ops(dir, mode + 6, argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 0);
	else if (strcmp(mode, "deep") == 0)
		manifold_deep(&info, dir, false);
	else if (strcmp(mode, "deep-floor") == 0)
		manifold_deep(&info, dir, true);
	else if (strcmp(mode, "refresh") == 0)
		refresh(&info, dir, argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 3);
	else
		bench_die("unknown mode '%s'", mode);
	mf_config_free(cfg);
	return 0;
}
