// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark helper for scripts/bench-zip: zip a whole tree the way `slimzip prune --keep '**'`
 * would (tree walk, keep everything, zipwrite), so the bench can compare against Info-ZIP
 * before the CLI exists.
 * usage: bench_zipwrite TREE OUT.zip [LEVEL]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "keepset.h"
#include "tree.h"
#include "util.h"
#include "zipwrite.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct zipwrite_opts opts;
	struct zipwrite_stats st;
	struct keepset *k = NULL;
	struct tree *t = NULL;
	double t0, t1, t2;
	int err;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_zipwrite TREE OUT.zip [LEVEL]\n");
		return 2;
	}
	zipwrite__default_opts(&opts);
	if (argc == 4)
		opts.level = atoi(argv[3]);
	t0 = now();
	err = tree__open(argv[1], &t);
	if (!err)
		err = keepset__new(t, &k);
	for (uint32_t i = 1; !err && i < tree__count(t); i++)
		err = keepset__add(k, i, KEEP_GLOB, 0, NULL);
	t1 = now();
	if (!err)
		err = zipwrite__write(k, argv[2], &opts, &st);
	t2 = now();
	if (err) {
		fprintf(stderr, "bench_zipwrite: %s (%d)\n", slz_errmsg(), err);
		goto out;
	}
	printf("walk %.3f s, write %.3f s: %llu entries (%llu files, %llu dirs, %llu symlinks), "
	       "%llu bytes in, %llu bytes zip\n",
	       t1 - t0, t2 - t1, (unsigned long long)st.entries, (unsigned long long)st.files,
	       (unsigned long long)st.dirs, (unsigned long long)st.symlinks,
	       (unsigned long long)st.bytes_in, (unsigned long long)st.zip_size);
out:
	keepset__free(k);
	tree__free(t);
	return err ? 1 : 0;
}
