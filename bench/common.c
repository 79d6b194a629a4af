/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

volatile unsigned long bench_touches;

/*
 * Wall time; with BENCH_CLOCK=cpu this process's CPU time (user and
 * system), for a machine shared with other work, where the wall clock
 * counts their time too.
 */
uint64_t bench_now_ns(void)
{
	static int cpu = -1;
	struct timespec ts;

	if (cpu < 0)
		cpu = getenv("BENCH_CLOCK") && strcmp(getenv("BENCH_CLOCK"), "cpu") == 0;
	clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A volatile counter: the compiler may not drop or merge the calls. */
void bench_touch(unsigned id)
{
	(void)id;
	bench_touches++;
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int bench_info_load(const char *path, struct bench_info *info)
{
	char line[256];
	FILE *fp = fopen(path, "r");
	unsigned lineno = 0;

	memset(info, 0, sizeof(*info));
	if (!fp) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *eq = strchr(line, '='), *nl = strchr(line, '\n');

		lineno++;
		if (nl)
			*nl = '\0';
		if (!eq) {
			fprintf(stderr, "bench: %s:%u: not key=value\n", path, lineno);
			fclose(fp);
			return -EINVAL;
		}
		*eq++ = '\0';
		if (strcmp(line, "n") == 0)
			info->n = (unsigned)strtoul(eq, NULL, 10);
		else if (strcmp(line, "width") == 0)
			info->width = (unsigned)strtoul(eq, NULL, 10);
		else if (strcmp(line, "deep") == 0)
			snprintf(info->deep, sizeof(info->deep), "%s", eq);
		else if (strcmp(line, "bottom") == 0)
			snprintf(info->bottom, sizeof(info->bottom), "%s", eq);
	}
	fclose(fp);
	if (!info->n || !info->width || !info->deep[0] || !info->bottom[0]) {
		fprintf(stderr, "bench: %s: missing n, width, deep or bottom\n", path);
		return -EINVAL;
	}
	return 0;
}

long bench_module_index(const char *name)
{
	char *end;
	long v;

	if (strncmp(name, "bm_", 3) != 0 || name[3] < '0' || name[3] > '9')
		return -1;
	v = strtol(name + 3, &end, 10);
	return *end ? -1 : v;
}

void bench_result(const char *metric, unsigned n, char kind, double value,
		  const char *note)
{
	printf("%s %u %c %.1f%s%s\n", metric, n, kind, value, note ? " " : "",
	       note ? note : "");
	fflush(stdout);
}
