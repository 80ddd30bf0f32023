/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The prune pipeline, one pass in data-flow order:
 *   tree walk -> resolve the profile -> --keep globs -> closure rules + symlink closure (to a
 *   fixpoint) -> directories on the way -> --drop globs -> zip (or nothing, for --dry-run).
 * Shared by `slimzip prune`, `slimzip run` and `slimzip verify --fix`.
 */
#ifndef SLIMZIP_PRUNE_H
#define SLIMZIP_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "globs.h"
#include "keepset.h"
#include "profile.h"
#include "resolve.h"
#include "rules.h"
#include "tree.h"
#include "zipwrite.h"

struct prune_opts {
	const char *tree_dir;
	const char *out_zip;	 /* ignored with dry_run */
	const char *recorded_at; /* tree_opts.recorded_at of the tree it opens */
	struct globs *globs;	 /* --keep / --drop / --keep-from, NULL for none */
	struct rules_opts rules;
	struct zipwrite_opts zip;
	bool force;   /* prune although events were lost or paths were truncated */
	bool dry_run; /* resolve and report, write nothing */
	/* Extra tree-relative paths to keep (verify --fix), with KEEP_VERIFY_FIX. */
	const char *const *extra_keep;
	size_t n_extra_keep;
};

struct prune_result {
	struct tree *tree;
	struct keepset *keep;
	struct resolve_stats resolve;
	struct rules_stats rules;
	struct zipwrite_stats zip;
	bool match_inodes;	       /* the profile came from this boot: dev/ino were used */
	uint64_t truncated_unresolved; /* truncated profile paths that matched nothing */
	uint64_t glob_kept, glob_dropped;
	uint64_t before_files, before_bytes; /* regular files in the tree */
	uint64_t after_files, after_bytes;   /* regular files kept */
	uint64_t dropped_touched;	     /* files the workload touched that --drop removed */
	uint32_t first_dropped_touched;	     /* tree index of the first one */
	uint64_t links_outside;		     /* symlinks left out: their target leaves the tree */
	uint32_t first_link_outside;	     /* tree index of the first one, for the message */
};

/*
 * Run the pipeline. Returns 0, -EBADMSG when the profile recorded loss (or has truncated paths
 * that matched nothing) and force is off (slz_errmsg says why and that --force overrides),
 * -ENODATA when none of the profile's files lies in the tree (a wrong --tree: also overridden
 * by force), or another -errno. The result is filled as far as the pipeline got; free it
 * either way.
 */
int prune__run(const struct profile *p, const struct prune_opts *o, struct prune_result *r);
void prune_result__free(struct prune_result *r); /* NULL-safe; frees the contents */

/* This machine's boot id, for deciding whether a profile's dev/ino can be trusted. */
int prune__boot_id(char *buf, size_t len);

#endif
