// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A loop of getppid(), the cheapest syscall there is, for scripts/bench-syscalls.
 *   sysloop ITERATIONS ROUNDS
 * Each round makes ITERATIONS raw getppid syscalls (no libc caching) and is timed on its own;
 * prints "ns/call: MEDIAN min MIN max MAX rounds R", then "all: " and the ns/call of every
 * round, for callers that pool rounds from several processes. What a tracer adds to it is what
 * it charges every syscall it does not care about. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long iters, rounds, i, r;
	double *ns;

	if (argc != 3) {
		fprintf(stderr, "usage: sysloop ITERATIONS ROUNDS\n");
		return 2;
	}
	iters = strtol(argv[1], NULL, 10);
	rounds = strtol(argv[2], NULL, 10);
	if (iters < 1 || rounds < 1) {
		fprintf(stderr, "sysloop: bad ITERATIONS or ROUNDS\n");
		return 2;
	}
	ns = calloc((size_t)rounds, sizeof(*ns));
	if (!ns)
		return 1;
	for (i = 0; i < iters / 10; i++) /* warm up */
		syscall(SYS_getppid);
	for (r = 0; r < rounds; r++) {
		double t0 = now_ns();

		for (i = 0; i < iters; i++)
			syscall(SYS_getppid);
		ns[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(ns, (size_t)rounds, sizeof(*ns), cmp_double);
	printf("ns/call: %.1f min %.1f max %.1f rounds %ld\nall:", ns[rounds / 2], ns[0],
	       ns[rounds - 1], rounds);
	for (r = 0; r < rounds; r++)
		printf(" %.1f", ns[r]);
	printf("\n");
	free(ns);
	return 0;
}
