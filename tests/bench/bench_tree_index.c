// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory and time of the tree index: bench_tree_index N DIR [K]
 * creates N empty files spread over K directories (default 1000) in a fresh temp dir under DIR
 * (tmpfs such as /dev/shm keeps creation fast), indexes it with tree__open(), prints the
 * index's bytes per file from tree__memory() and the process's peak RSS, then removes the
 * tree. The target: <= 200 bytes per file at N = 1,000,000.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "benchtime.h"
#include "tree.h"
#include "util.h"

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int parse(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || *out == 0 ? -1 : 0;
}

static int for_each(int rootfd, uint64_t n, uint64_t k, bool create)
{
	char name[64];
	int fd, dfd;

	for (uint64_t d = 0; d < k; d++) {
		snprintf(name, sizeof(name), "dir%06" PRIu64, d);
		if (create && mkdirat(rootfd, name, 0755)) {
			perror(name);
			return -1;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "dir%06" PRIu64, i % k);
		dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY);
		if (dfd < 0) {
			perror(name);
			return -1;
		}
		snprintf(name, sizeof(name), "file-%08" PRIu64 ".py", i);
		if (create) {
			fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
			if (fd < 0) {
				perror(name);
				close(dfd);
				return -1;
			}
			close(fd);
		} else {
			unlinkat(dfd, name, 0);
		}
		close(dfd);
	}
	for (uint64_t d = 0; !create && d < k; d++) {
		snprintf(name, sizeof(name), "dir%06" PRIu64, d);
		unlinkat(rootfd, name, AT_REMOVEDIR);
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n, k = 1000, files, bytes;
	char root[4096];
	struct tree *t = NULL;
	double t0, t1, t2;
	long rss_before;
	int rootfd, err, ret = 1;

	if (argc < 3 || argc > 4 || parse(argv[1], &n) || (argc == 4 && parse(argv[3], &k))) {
		fprintf(stderr,
			"usage: %s N DIR [K]   (N files in K directories, K default 1000)\n",
			argv[0]);
		return 2;
	}
	if (k > n)
		k = n;
	snprintf(root, sizeof(root), "%s/slz-bench-XXXXXX", argv[2]);
	if (!mkdtemp(root)) {
		perror(root);
		return 1;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY);
	if (rootfd < 0) {
		perror(root);
		return 1;
	}
	t0 = bench_now_ns() / 1e9;
	if (for_each(rootfd, n, k, true))
		goto out;
	t1 = bench_now_ns() / 1e9;
	rss_before = maxrss_kib();
	err = tree__open(root, NULL, &t);
	t2 = bench_now_ns() / 1e9;
	if (err) {
		fprintf(stderr, "tree__open: %s (%s)\n", strerror(-err), slz_errmsg());
		goto out;
	}
	tree__totals(t, &files, &bytes);
	printf("files            %" PRIu64 " in %" PRIu64 " dirs (%zu entries)\n", files, k,
	       tree__count(t));
	printf("create           %.2f s\n", t1 - t0);
	printf("walk+index       %.2f s\n", t2 - t1);
	printf("tree__memory     %zu bytes\n", tree__memory(t));
	printf("bytes/file       %.1f\n", (double)tree__memory(t) / (double)files);
	printf("bytes/entry      %.1f\n", (double)tree__memory(t) / (double)tree__count(t));
	printf("maxrss           %ld KiB (before walk %ld KiB)\n", maxrss_kib(), rss_before);
	printf("maxrss/file      %.1f bytes\n",
	       (double)(maxrss_kib() - rss_before) * 1024.0 / (double)files);
	ret = files == n ? 0 : 1;
out:
	tree__free(t);
	for_each(rootfd, n, k, false);
	close(rootfd);
	rmdir(root);
	return ret;
}
