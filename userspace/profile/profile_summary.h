/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Aggregates over a profile for `slimzip report`: files per kind, busiest directories. */
#ifndef SLIMZIP_PROFILE_SUMMARY_H
#define SLIMZIP_PROFILE_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define SUMMARY_KINDS SLZ_KINDS

struct summary_dir {
	char *path;
	uint64_t files;
	uint64_t bytes;
};

struct profile_summary {
	/*
	 * Counts are of distinct paths: a file seen by inode (open) and by path only (access,
	 * readlink) has two entries but counts once, with the union of their kinds.
	 */
	uint64_t files;	      /* paths that are not only failed lookups (directories included) */
	uint64_t bytes;	      /* sum of sizes of regular files */
	uint64_t missing;     /* paths seen only by failed lookups */
	uint64_t directories; /* paths that are directories */
	uint64_t truncated;
	uint64_t by_kind[SUMMARY_KINDS]; /* paths having each kind bit */
	uint64_t stat_only;		 /* non-directory paths never opened, mmapped or executed */
	struct summary_dir *dirs;	 /* sorted by files, then bytes, then path */
	size_t ndirs;
};

/*
 * depth 0 groups files by their parent directory; depth N by their first N path components
 * (so depth 3 turns /var/task/numpy/core/x.so into /var/task/numpy).
 */
int profile_summary__compute(const struct profile *p, unsigned int depth,
			     struct profile_summary *out);
/*
 * The same over the entries keep (with ctx) says yes to: report --tree counts only what lies
 * in a tree. The header (and its loss counters) stays the whole profile's.
 */
typedef bool profile_summary_filter(const struct profile_entry *e, void *ctx);
int profile_summary__compute_filtered(const struct profile *p, unsigned int depth,
				      profile_summary_filter *keep, void *ctx,
				      struct profile_summary *out);
/* Re-sort dirs by bytes (then files, then path). */
void profile_summary__sort_by_bytes(struct profile_summary *s);
void profile_summary__free(struct profile_summary *s); /* NULL-safe, frees the contents */

#endif
