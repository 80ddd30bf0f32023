/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How to prune: everything prune, run and verify --fix decide by options, in one struct. The
 * CLI fills it with one option parser (cli/policy.c); the plan step and the writer read it.
 */
#ifndef SLIMZIP_PRUNE_POLICY_H
#define SLIMZIP_PRUNE_POLICY_H

#include <stdbool.h>

#include "globs.h"
#include "rules.h"
#include "tree.h"
#include "zipwrite.h"

struct prune_policy {
	/* The tree was recorded at this absolute path (tree_opts.recorded_at); NULL: its own. */
	const char *recorded_at;
	struct globs *globs; /* --keep / --drop / --keep-from; owned, never NULL after init */
	struct rules_opts rules;
	struct zipwrite_opts zip;
	bool force;   /* plan although events were lost, paths truncated, or nothing matched */
	bool dry_run; /* plan and report, write nothing */
};

/* Every rule on, no globs, the zip writer's defaults. 0 or -ENOMEM. */
int prune_policy__init(struct prune_policy *p);
void prune_policy__release(struct prune_policy *p); /* NULL-safe; p itself is the caller's */
/* Walk and index dir as the tree this policy prunes (recorded where p says). See tree__open. */
int prune_policy__open_tree(const struct prune_policy *p, const char *dir, struct tree **out);

#endif
