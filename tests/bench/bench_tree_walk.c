// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tree walk and index alone, on an existing tree: bench_tree_walk DIR [REPS] runs
 * tree__open(DIR) REPS times (default 1) and prints each run's wall and CPU seconds, and one
 * digest of every entry's fields (path, link text, dev, ino, size, mtime, mode, nlink, parent,
 * flags) in index order: two builds that index a tree alike print the same digest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtime.h"
#include "tree.h"
#include "util.h"

static uint64_t digest(const struct tree *t)
{
	uint64_t h = 0;
	struct tree_entry e;

	for (size_t i = 0; i < tree__count(t); i++) {
		uint64_t f[9];

		if (tree__get(t, (uint32_t)i, &e))
			return 0;
		f[0] = e.dev;
		f[1] = e.ino;
		f[2] = e.size;
		f[3] = (uint64_t)e.mtime_sec;
		f[4] = e.mtime_nsec;
		f[5] = e.mode;
		f[6] = e.nlink;
		f[7] = e.parent;
		f[8] = e.flags;
		h = slz_hash_bytes(e.path, strlen(e.path), h);
		if (e.link_target)
			h = slz_hash_bytes(e.link_target, strlen(e.link_target), h);
		h = slz_hash_bytes(f, sizeof(f), h);
	}
	return h;
}

int main(int argc, char **argv)
{
	long reps = argc == 3 ? strtol(argv[2], NULL, 10) : 1;

	if (argc < 2 || argc > 3 || reps < 1) {
		fprintf(stderr, "usage: %s DIR [REPS]\n", argv[0]);
		return 2;
	}
	for (long r = 0; r < reps; r++) {
		struct tree *t = NULL;
		double w0 = bench_now_ns(), c0 = bench_cpu_ns();
		int err = tree__open(argv[1], NULL, &t);
		double w1 = bench_now_ns(), c1 = bench_cpu_ns();
		uint64_t files, bytes;

		if (err) {
			fprintf(stderr, "tree__open: %s (%s)\n", strerror(-err), slz_errmsg());
			return 1;
		}
		tree__totals(t, &files, &bytes);
		printf("walk+index %.3f s wall, %.3f s cpu: %zu entries, %" PRIu64
		       " files, %" PRIu64 " bytes, digest %016" PRIx64 "\n",
		       (w1 - w0) / 1e9, (c1 - c0) / 1e9, tree__count(t), files, bytes, digest(t));
		tree__free(t);
	}
	return 0;
}
