// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A loop of getppid(), the cheapest syscall there is, for scripts/bench-syscalls.
 *   sysloop ITERATIONS ROUNDS
 * Each round makes ITERATIONS raw getppid syscalls (no libc caching) and is timed on its own;
 * prints "ns/call: MEDIAN min MIN max MAX rounds R", then "all: " and the ns/call of every
 * round, for callers that pool rounds from several processes. What a tracer adds to it is what
 * it charges every syscall it does not care about. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "benchtime.h"

int main(int argc, char **argv)
{
	long iters, rounds, i, r;
	double *ns;

	if (argc != 3) {
		fprintf(stderr, "usage: sysloop ITERATIONS ROUNDS\n");
		return 2;
	}
	if (bench_parse_rounds("sysloop", argv[1], argv[2], &iters, &rounds))
		return 2;
	ns = calloc((size_t)rounds, sizeof(*ns));
	if (!ns)
		return 1;
	for (i = 0; i < iters / 10; i++) /* warm up */
		syscall(SYS_getppid);
	for (r = 0; r < rounds; r++) {
		double t0 = bench_now_ns();

		for (i = 0; i < iters; i++)
			syscall(SYS_getppid);
		ns[r] = (bench_now_ns() - t0) / (double)iters;
	}
	bench_print_rounds(ns, rounds, "ns/call", 1);
	free(ns);
	return 0;
}
