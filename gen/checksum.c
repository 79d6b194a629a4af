/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen checksum: give a loadable module's manifest the checksum of
 * the module file it describes, after that file is linked.
 *
 *   manifold-gen checksum -o OUT MANIFEST MODULE.so
 *   manifold-gen checksum MODULE.so          (print the checksum only)
 *
 * The manifest is read, checked to be the one of MODULE (its name must be the
 * file's name without .so), and written again in canonical form with
 * checksum=sha256:<hex> of the file's bytes.  The runtime computes the same
 * digest with the same code (runtime/util/sha256.c) before it maps the file, and
 * refuses the module when the two differ.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "util/sha256.h"

static void usage(FILE *fp)
{
	fputs("usage: manifold-gen checksum -o OUT MANIFEST MODULE.so\n"
	      "       manifold-gen checksum MODULE.so\n"
	      "  Write MANIFEST to OUT with checksum=sha256:<hex> of MODULE.so,\n"
	      "  or print that checksum.  MANIFEST must name the module of\n"
	      "  MODULE.so (its file name without .so).\n"
	      "\n"
	      "  -o, --output OUT  the manifest with its checksum (written\n"
	      "                    atomically: OUT.tmp, then renamed)\n"
	      "  -h, --help        this text\n",
	      fp);
}

static int file_checksum(const char *path, char text[MF_SHA256_TEXT_SIZE])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return r;
	}
	r = mf_sha256_fd(fd, text);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
	close(fd);
	return r;
}

/* "dir/func_cut.so" is the file of module "func_cut". */
static int check_names(const char *so_path, const struct mf_manifest *m)
{
	const char *base = strrchr(so_path, '/');
	size_t len;

	base = base ? base + 1 : so_path;
	len = strlen(base);
	if (len > 3 && strcmp(base + len - 3, ".so") == 0 &&
	    strlen(m->name) == len - 3 && strncmp(base, m->name, len - 3) == 0)
		return 0;
	fprintf(stderr, "%s: describes module '%s', not the file %s (want %s.so)\n",
		m->path, m->name, so_path, m->name);
	return -EINVAL;
}

static int write_manifest(FILE *fp, void *data)
{
	return mf_manifest_write(data, fp);
}

int gen_checksum_main(int argc, char **argv)
{
	char text[MF_SHA256_TEXT_SIZE], err[MF_ERR_MAX];
	struct mf_manifest *m = NULL;
	const char *out = NULL;
	int i, r;

	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0; /* a fresh scan for every call (tests call us repeatedly) */
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	i = optind;
	if (!out && argc - i == 1) {
		if (file_checksum(argv[i], text) < 0)
			return 1;
		printf("%s\n", text);
		return 0;
	}
	if (!out || argc - i != 2) {
		usage(stderr);
		return 2;
	}

	r = mf_manifest_load(argv[i], &m, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", r == -ENOMEM ? strerror(ENOMEM) : err);
		return 1;
	}
	r = check_names(argv[i + 1], m);
	if (r == 0)
		r = file_checksum(argv[i + 1], text);
	if (r < 0)
		goto out;
	r = mf_manifest_set_checksum(m, text);
	if (r < 0) {
		fprintf(stderr, "manifold-gen checksum: %s\n", strerror(-r));
		goto out;
	}
	r = gen_write_file(out, write_manifest, m);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", out, strerror(-r));
out:
	mf_manifest_free(m);
	return r < 0 ? 1 : 0;
}
