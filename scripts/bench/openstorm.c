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
#include <unistd.h>

#include "benchtime.h"

int main(int argc, char **argv)
{
	long iters, rounds, i, r;
	int nfiles;
	double *ns;

	if (argc < 4) {
		fprintf(stderr, "usage: openstorm ITERATIONS ROUNDS FILE...\n");
		return 2;
	}
	if (bench_parse_rounds("openstorm", argv[1], argv[2], &iters, &rounds))
		return 2;
	nfiles = argc - 3;
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
		double t0 = bench_now_ns();

		for (i = 0; i < iters; i++) {
			int fd = open(argv[3 + i % nfiles], O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				fprintf(stderr, "openstorm: open: %s\n", strerror(errno));
				return 1;
			}
			close(fd);
		}
		ns[r] = (bench_now_ns() - t0) / (double)iters;
	}
	bench_print_rounds(ns, rounds, "ns/iter", 0);
	free(ns);
	return 0;
}
