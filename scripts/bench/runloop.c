// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Run a command N times in a row (fresh process each time), for scripts/bench-overhead.
 *   runloop N CMD [ARGS...]
 * The command's stdout goes to /dev/null (stderr is kept). Prints
 * "ms/run: MEDIAN min MIN total TOTAL_MS runs N failed F", then "all: " and every run's ms. Timing
 * is inside the process so that, when runloop itself runs under a tracer, the tracer's start-up is
 * not counted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "benchtime.h"

static double now_ms(void)
{
	return bench_now_ns() / 1e6;
}

int main(int argc, char **argv)
{
	long n, i, failed = 0;
	double *ms, t_all;

	if (argc < 3) {
		fprintf(stderr, "usage: runloop N CMD [ARGS...]\n");
		return 2;
	}
	n = strtol(argv[1], NULL, 10);
	if (n < 1) {
		fprintf(stderr, "runloop: bad N\n");
		return 2;
	}
	ms = calloc((size_t)n, sizeof(*ms));
	if (!ms)
		return 1;
	t_all = now_ms();
	for (i = 0; i < n; i++) {
		double t0 = now_ms();
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("runloop: fork");
			return 1;
		}
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0)
				dup2(fd, 1);
			execvp(argv[2], argv + 2);
			perror("runloop: exec");
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("runloop: waitpid");
			return 1;
		}
		ms[i] = now_ms() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	t_all = now_ms() - t_all;
	qsort(ms, (size_t)n, sizeof(*ms), bench_cmp_double);
	printf("ms/run: %.2f min %.2f total %.1f runs %ld failed %ld\nall:", ms[n / 2], ms[0],
	       t_all, n, failed);
	for (i = 0; i < n; i++)
		printf(" %.2f", ms[i]);
	printf("\n");
	free(ms);
	return failed ? 1 : 0;
}
