// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Many distinct files, for scripts/bench-overhead (lost-events check).
 *   manyfiles create DIR N   create DIR/f000000 .. DIR/f(N-1) (empty)
 *   manyfiles open DIR N     open and close each of them once, as fast as possible
 * "open" prints "opened N files in MS ms (NS ns/open)". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchtime.h"

int main(int argc, char **argv)
{
	long n, i;
	int create, dfd;
	double t0;
	char name[32];

	if (argc != 4 || (strcmp(argv[1], "create") && strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: manyfiles create|open DIR N\n");
		return 2;
	}
	create = !strcmp(argv[1], "create");
	n = strtol(argv[3], NULL, 10);
	dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || n < 1 || n > 9999999) {
		fprintf(stderr, "manyfiles: %s: %s\n", argv[2],
			dfd < 0 ? strerror(errno) : "bad N");
		return 2;
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		int fd;

		snprintf(name, sizeof(name), "f%07ld", i);
		fd = openat(dfd, name,
			    create ? O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC : O_RDONLY | O_CLOEXEC,
			    0644);
		if (fd < 0) {
			fprintf(stderr, "manyfiles: %s/%s: %s\n", argv[2], name, strerror(errno));
			return 1;
		}
		close(fd);
	}
	if (!create) {
		double dt = bench_now_ns() - t0;

		printf("opened %ld files in %.0f ms (%.0f ns/open)\n", n, dt / 1e6, dt / (double)n);
	}
	close(dfd);
	return 0;
}
