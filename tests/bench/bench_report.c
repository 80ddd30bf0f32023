// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where `slimzip report PROFILE` spends its time, by phase (not a test; issue 13):
 *   bench_report N PROFILE
 * runs the report's library work N times, each in a fresh child process (so every run pays its
 * own page faults, as the command does): profile__read (read, parse, index), the summary
 * (profile_summary__compute, sort by bytes) and the frees, and prints per phase the median
 * and the minimum in ms of CPU time (user + system: a busy box stretches wall time, not this),
 * with the child's minor page faults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "profile.h"
#include "profile_io.h"
#include "profile_summary.h"

enum { READ, SUMMARY, FREE, TOTAL, NPHASES };
static const char *const names[NPHASES] = {"read+parse+index", "summary", "free", "total"};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_once(const char *path, double out[NPHASES + 1])
{
	struct profile_summary s = {0};
	struct profile *p = NULL;
	struct rusage ru;
	double t0 = now_ms(), t1, t2, t3;

	if (profile__read(path, &p))
		return 1;
	t1 = now_ms();
	if (profile_summary__compute(p, 0, &s))
		return 1;
	profile_summary__sort_by_bytes(&s);
	t2 = now_ms();
	profile_summary__free(&s);
	profile__free(p);
	t3 = now_ms();
	getrusage(RUSAGE_SELF, &ru);
	out[READ] = t1 - t0;
	out[SUMMARY] = t2 - t1;
	out[FREE] = t3 - t2;
	out[TOTAL] = t3 - t0;
	out[NPHASES] = (double)ru.ru_minflt;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc == 3 ? strtol(argv[1], NULL, 10) : 0;
	double *v[NPHASES + 1];

	if (n < 1) {
		fprintf(stderr, "usage: bench_report N PROFILE\n");
		return 2;
	}
	for (int k = 0; k <= NPHASES; k++)
		v[k] = calloc((size_t)n, sizeof(double));
	for (long i = 0; i < n; i++) {
		int fd[2], status;
		double r[NPHASES + 1];
		pid_t pid;

		if (pipe(fd))
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (!pid) {
			close(fd[0]);
			_exit(run_once(argv[2], r) ||
			      write(fd[1], r, sizeof(r)) != (ssize_t)sizeof(r));
		}
		close(fd[1]);
		if (read(fd[0], r, sizeof(r)) != (ssize_t)sizeof(r) ||
		    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "bench_report: run %ld failed\n", i);
			return 1;
		}
		close(fd[0]);
		for (int k = 0; k <= NPHASES; k++)
			v[k][i] = r[k];
	}
	for (int k = 0; k <= NPHASES; k++) {
		qsort(v[k], (size_t)n, sizeof(double), cmp);
		if (k < NPHASES)
			printf("%-17s median %7.2f ms  min %7.2f ms\n", names[k], v[k][n / 2],
			       v[k][0]);
		else
			printf("%-17s median %7.0f\n", "minor faults", v[k][n / 2]);
	}
	return 0;
}
