// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Open+close storm over a small set of (cached) files, for scripts/bench-overhead.
 *   openstorm ITERATIONS ROUNDS FILE...
 * Each round opens and closes ITERATIONS files (cycling through FILE...) and is timed on its own;
 * prints "ns/iter: MEDIAN min MIN max MAX rounds R" (median over the rounds), then "all: " and the
 * ns/iter of every round, for callers that pool rounds from several processes. The timing
 * is taken inside the process so a tracer's start-up and shutdown are not counted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	int nfiles;
	double *ns;

	if (argc < 4) {
		fprintf(stderr, "usage: openstorm ITERATIONS ROUNDS FILE...\n");
		return 2;
	}
	iters = strtol(argv[1], NULL, 10);
	rounds = strtol(argv[2], NULL, 10);
	nfiles = argc - 3;
	if (iters < 1 || rounds < 1) {
		fprintf(stderr, "openstorm: bad ITERATIONS or ROUNDS\n");
		return 2;
	}
	ns = calloc((size_t)rounds, sizeof(*ns));
	if (!ns)
		return 1;
	/* warm the dentry/inode caches (and any dedup map) before timing */
	for (i = 0; i < nfiles; i++) {
		int fd = open(argv[3 + i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "openstorm: %s: %s\n", argv[3 + i], strerror(errno));
			return 1;
		}
		close(fd);
	}
	for (r = 0; r < rounds; r++) {
		double t0 = now_ns();

		for (i = 0; i < iters; i++) {
			int fd = open(argv[3 + i % nfiles], O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				fprintf(stderr, "openstorm: open: %s\n", strerror(errno));
				return 1;
			}
			close(fd);
		}
		ns[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(ns, (size_t)rounds, sizeof(*ns), cmp_double);
	printf("ns/iter: %.0f min %.0f max %.0f rounds %ld\nall:", ns[rounds / 2], ns[0],
	       ns[rounds - 1], rounds);
	for (r = 0; r < rounds; r++)
		printf(" %.0f", ns[r]);
	printf("\n");
	free(ns);
	return 0;
}
