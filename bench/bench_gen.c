/* SPDX-License-Identifier: MIT */
/*
 * bench_gen GEN DIR REPS: time what the build runs of manifold-gen for the
 * tree in DIR (written by gen_tree), REPS times:
 *
 *   gen.extract   one `extract` per module source, a process each (how
 *                 the build ran it before extract --tree)
 *   gen.extract_tree  one `extract --tree` over the whole tree, every
 *                 manifest written (the output folder emptied first,
 *                 outside the timing), as the Makefile runs it now
 *   gen.check     `check --config` of the manifests against an all-y .config
 *   gen.registry  `registry --embedded` of every module
 *   gen.kconfig   `kconfig` of the manifests
 *   gen           extract_tree, check, registry and kconfig together:
 *                 what a build of the tree runs
 *
 * Each run is a real process, started with posix_spawn() and waited for,
 * one after the other (a build with -j would overlap the extracts; the sum
 * is the work, which is what has to grow linearly).  The outputs go to
 * DIR/gen/, apart from what the benchmarks build from, so a measurement
 * never makes the build redo anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			bench_die("out of memory");
	}
	s->v[s->n] = str ? strdup(str) : NULL;
	if (str && !s->v[s->n])
		bench_die("out of memory");
	s->n++;
	s->v[s->n] = NULL;
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Run argv to completion; it must exit 0.  @quiet: its stdout goes away. */
static void run(char **argv, int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, err;

	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		bench_die("%s: %s", argv[0], strerror(err));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_die("%s %s failed (status %d)", argv[0], argv[1], status);
}

static void read_names(struct strv *names)
{
	char line[256];
	FILE *fp = fopen("modules.list", "r");

	if (!fp)
		bench_die("modules.list: %s", strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			strv_push(names, line);
	}
	fclose(fp);
}

/* argv = @head (NULL-terminated) followed by every manifest path. */
static void command(struct strv *cmd, const char *const *head,
		    const struct strv *manifests)
{
	strv_free(cmd);
	for (; *head; head++)
		strv_push(cmd, *head);
	for (size_t i = 0; i < manifests->n; i++)
		strv_push(cmd, manifests->v[i]);
}

int main(int argc, char **argv)
{
	struct strv names = { 0 }, manifests = { 0 }, cmd = { 0 };
	char gen[PATH_MAX], buf[PATH_MAX];
	unsigned reps;
	uint64_t t[5], tree[2];

	if (argc != 4) {
		fputs("usage: bench_gen MANIFOLD-GEN DIR REPS\n", stderr);
		return 2;
	}
	if (!realpath(argv[1], gen))
		bench_die("%s: %s", argv[1], strerror(errno));
	if (chdir(argv[2]) < 0)
		bench_die("%s: %s", argv[2], strerror(errno));
	reps = (unsigned)strtoul(argv[3], NULL, 10);
	read_names(&names);
	if (!names.n || !reps)
		bench_die("%s: no modules (or no repetitions)", argv[2]);
	if ((mkdir("gen", 0755) < 0 && errno != EEXIST) ||
	    (mkdir("gen/manifests", 0755) < 0 && errno != EEXIST) ||
	    (mkdir("gen/tree", 0755) < 0 && errno != EEXIST))
		bench_die("%s/gen: %s", argv[2], strerror(errno));
	for (size_t i = 0; i < names.n; i++) {
		snprintf(buf, sizeof(buf), "gen/manifests/%s.manifest", names.v[i]);
		strv_push(&manifests, buf);
	}

	for (unsigned r = 0; r < reps; r++) {
		/* Every manifest written, as in a first build. */
		for (size_t i = 0; i < names.n; i++) {
			snprintf(buf, sizeof(buf), "gen/tree/%s.manifest", names.v[i]);
			unlink(buf);
		}
		tree[0] = bench_now_ns();
		run((char *[]){ gen, "extract", "--tree", "-o", "gen/tree", "src",
				NULL }, 0);
		tree[1] = bench_now_ns();
		t[0] = bench_now_ns();
		for (size_t i = 0; i < names.n; i++) {
			snprintf(buf, sizeof(buf), "src/%s.c", names.v[i]);
			run((char *[]){ gen, "extract", "--name", names.v[i], "-o",
					manifests.v[i], buf, NULL }, 0);
		}
		t[1] = bench_now_ns();
		command(&cmd, (const char *const[]){ gen, "check", "--config",
						     "all-y.config", NULL }, &manifests);
		run(cmd.v, 1);
		t[2] = bench_now_ns();
		command(&cmd, (const char *const[]){ gen, "registry", "-o",
						     "gen/registry.c", "-H", "gen/registry.h",
						     "--embedded", "@modules.list", NULL },
			&manifests);
		run(cmd.v, 0);
		t[3] = bench_now_ns();
		command(&cmd, (const char *const[]){ gen, "kconfig", "-o",
						     "gen/Kconfig.modules", NULL }, &manifests);
		run(cmd.v, 0);
		t[4] = bench_now_ns();

		bench_result("gen.extract", (unsigned)names.n, 'm', (double)(t[1] - t[0]), NULL);
		bench_result("gen.check", (unsigned)names.n, 'm', (double)(t[2] - t[1]), NULL);
		bench_result("gen.registry", (unsigned)names.n, 'm', (double)(t[3] - t[2]), NULL);
		bench_result("gen.kconfig", (unsigned)names.n, 'm', (double)(t[4] - t[3]), NULL);
		bench_result("gen.extract_tree", (unsigned)names.n, 'm',
			     (double)(tree[1] - tree[0]), NULL);
		bench_result("gen", (unsigned)names.n, 'm',
			     (double)(tree[1] - tree[0] + t[4] - t[1]), NULL);
	}
	strv_free(&cmd);
	strv_free(&manifests);
	strv_free(&names);
	return 0;
}
