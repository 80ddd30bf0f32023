/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Aggregates over a profile for `slimzip report`: files per kind, busiest directories. */
#ifndef SLIMZIP_PROFILE_SUMMARY_H
#define SLIMZIP_PROFILE_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define SUMMARY_KINDS 8

struct summary_dir {
	char *path;
	uint64_t files;
	uint64_t bytes;
};

struct profile_summary {
	uint64_t files;	      /* entries that are not failed lookups */
	uint64_t bytes;	      /* sum of sizes of regular files */
	uint64_t missing;     /* failed lookups */
	uint64_t directories; /* entries that are directories */
	uint64_t truncated;
	uint64_t by_kind[SUMMARY_KINDS]; /* entries having each kind bit */
	uint64_t stat_only;		 /* entries seen only by stat/access/readlink */
	struct summary_dir *dirs;	 /* sorted by files, then bytes, then path */
	size_t ndirs;
};

/*
 * depth 0 groups files by their parent directory; depth N by their first N path components
 * (so depth 3 turns /var/task/numpy/core/x.so into /var/task/numpy).
 */
int profile_summary__compute(const struct profile *p, unsigned int depth,
			     struct profile_summary *out);
/* Re-sort dirs by bytes (then files, then path). */
void profile_summary__sort_by_bytes(struct profile_summary *s);
void profile_summary__free(struct profile_summary *s); /* NULL-safe, frees the contents */

#endif
