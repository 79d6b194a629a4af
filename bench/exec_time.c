// SPDX-License-Identifier: MIT
/*
 * exec_time RUNS PROGRAM [ARG...]: the least wall time, in microseconds, of
 * RUNS runs of PROGRAM (fork, exec, wait), its input /dev/null and its
 * output discarded.  For bench/exec.sh: the whole-process figure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	double least = 0;
	int runs;

	if (argc < 3 || (runs = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: exec_time RUNS PROGRAM [ARG...]\n");
		return 2;
	}
	for (int i = 0; i < runs; i++) {
		double t0 = now_us(), t;
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "exec_time: %s failed\n", argv[2]);
			return 1;
		}
		t = now_us() - t0;
		if (i == 0 || t < least)
			least = t;
	}
	printf("%.0f\n", least);
	return 0;
}
