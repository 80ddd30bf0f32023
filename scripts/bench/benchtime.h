/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The timing the bench helpers share (openstorm, sysloop, runloop, manyfiles, and
 * tests/bench: bench_levels, the tree benches): the clocks, ITERATIONS and ROUNDS read from
 * the command line, and the report of the rounds' times, median first. Static inline, so each helper stays one `cc -O2 FILE.c` (bench-overhead,
 * bench-syscalls compile them that way) and the header sits beside them.
 */
#ifndef SLIMZIP_BENCHTIME_H
#define SLIMZIP_BENCHTIME_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns: the timing is taken inside the process, so a tracer's start-up and
 * shutdown are not counted. */
static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* This thread's CPU time in ns: what other work on a busy box adds least to. */
static inline double bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The whole process's CPU time in ns, every thread's (the tree walk's stat threads). */
static inline double bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * ITERATIONS and ROUNDS (both at least 1) from it and ro; 0, or 2 (the exit status of a usage
 * error) after "NAME: bad ITERATIONS or ROUNDS" on stderr.
 */
static inline int bench_parse_rounds(const char *name, const char *it, const char *ro,
				     long *iters, long *rounds)
{
	*iters = strtol(it, NULL, 10);
	*rounds = strtol(ro, NULL, 10);
	if (*iters < 1 || *rounds < 1) {
		fprintf(stderr, "%s: bad ITERATIONS or ROUNDS\n", name);
		return 2;
	}
	return 0;
}

/*
 * Sort the per-round times ns[0..rounds) and print "UNIT: MEDIAN min MIN max MAX rounds R",
 * then "all:" and every round's time, with prec decimals: callers pool rounds from several
 * processes out of the second line.
 */
static inline void bench_print_rounds(double *ns, long rounds, const char *unit, int prec)
{
	qsort(ns, (size_t)rounds, sizeof(*ns), bench_cmp_double);
	printf("%s: %.*f min %.*f max %.*f rounds %ld\nall:", unit, prec, ns[rounds / 2], prec,
	       ns[0], prec, ns[rounds - 1], rounds);
	for (long r = 0; r < rounds; r++)
		printf(" %.*f", prec, ns[r]);
	printf("\n");
}

#endif
