/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What tree.c (the index and its queries) and tree_walk.c (the walk that fills it) share. */
#ifndef SLIMZIP_TREE_INTERNAL_H
#define SLIMZIP_TREE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "progress.h"

/* Offset 0 of the arena is the root's "" and never a symlink text. */
#define NO_LINK	     0
/* Internal node flags, above the TREE_F_* ones, cleared before the index is built. */
#define NODE_PENDING (1u << 15) /* a listed regular file not stat-ed yet */
#define NODE_GONE    (1u << 14) /* removed before it was stat-ed: dropped from the index */

struct node {
	uint64_t ino;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t parent;
	uint32_t path_off;
	uint32_t link_off;
	uint16_t dev_idx;
	uint16_t flags;
};

/* The children [first, end) of dir, some of them NODE_PENDING, listed together. */
struct pending_dir {
	uint32_t dir, first, end;
};

struct tree {
	char *root;
	size_t root_len;
	char *recorded_at; /* cleaned tree_opts.recorded_at, NULL when it is root */
	struct node *nodes;
	size_t count, cap;
	char *arena;
	size_t arena_len, arena_cap;
	uint64_t *devs;
	size_t ndevs, devs_cap;
	struct idxmap *by_path;
	struct idxmap *by_inode;
	/* Non-directory entries with nlink > 1, sorted by (dev, ino, index): hard link groups. */
	uint32_t *links;
	size_t nlinks;
	uint64_t files, bytes;
	/* During tree__open only: the directories whose files wait for their lstat. */
	struct pending_dir *pend;
	size_t npend, pend_cap;
	size_t npending;
	bool lstat_inline; /* tree_opts.lstat_inline */
};

static inline const char *node_path(const struct tree *t, uint32_t idx)
{
	return t->arena + t->nodes[idx].path_off;
}

/*
 * Walk the tree below rootfd (root_st: its fstat) into t's entry array, sorted by path, every
 * entry's fields from its lstat. 0, or -errno explained.
 */
int tree_walk__run(struct tree *t, int rootfd, const struct stat *root_st,
		   const struct slz_progress *progress);

#endif
