/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * prune is policy -> plan -> write. The plan step decides which entries of an opened tree go
 * into the zip, in data-flow order:
 *   profiles (one scan each) and a seed keep set -> --keep globs -> closure rules + symlink
 *   closure (to a fixpoint) -> files the run created left out -> directories on the way ->
 *   --drop globs -> links leading out
 * and counts on the way everything the summary and the report show. The writer then takes the
 * plan's keep set: zipwrite__write(plan.keep, out, &policy.zip, &stats), or nothing for
 * --dry-run. `slimzip prune` and `run` plan from profiles; `verify --fix` from a seed (what the
 * zip holds plus what was missing) on the tree it opened already.
 */
#ifndef SLIMZIP_PRUNE_PLAN_H
#define SLIMZIP_PRUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostdeps.h"
#include "keepset.h"
#include "prune_policy.h"
#include "profile.h"
#include "resolve.h"
#include "rules.h"
#include "tree.h"

/*
 * What each kept regular file is kept for, counted once under the first class its reasons
 * reach in this order: what the workload used, what the user asked for, what a rule added,
 * what was only probed. Stat-only bytes are the ones worth a look: a program that stats a
 * whole data directory to list it (botocore's service models) keeps all of it.
 */
enum prune_kept_class {
	PRUNE_KEPT_USED,      /* opened, mapped or executed */
	PRUNE_KEPT_GLOB,      /* --keep */
	PRUNE_KEPT_RULES,     /* a closure rule */
	PRUNE_KEPT_STAT_ONLY, /* only stat()ed, access()ed or readlink()ed */
	PRUNE_KEPT_OTHER,     /* symlink targets, verify --fix */
	PRUNE_KEPT_CLASSES,
};

/* Stat-only bytes below one directory (a tree index). */
struct prune_dir_bytes {
	uint32_t dir;
	uint64_t files, bytes;
};
#define PRUNE_STAT_DIRS_MAX 3

struct prune_plan {
	const struct tree *tree;      /* planned on; the caller's */
	struct keepset *keep;	      /* what goes into the zip; the plan's */
	struct resolve_stats resolve; /* summed over the profiles */
	struct rules_stats rules;
	bool match_inodes; /* every profile came from this boot: dev/ino were used */
	uint64_t glob_kept, glob_dropped;
	uint64_t before_files, before_bytes; /* regular files in the tree */
	uint64_t after_files, after_bytes;   /* regular files kept */
	uint64_t dropped_touched;	     /* files the workload touched that --drop removed */
	uint32_t first_dropped_touched;	     /* tree index of the first one */
	uint64_t links_outside;		     /* symlinks left out: their target leaves the tree */
	uint32_t first_link_outside;	     /* tree index of the first one, for the message */
	/* Kept names that are not valid UTF-8: stored as raw bytes, read differently by tools. */
	uint64_t non_utf8_names;
	uint32_t first_non_utf8; /* tree index of the first one */
	uint64_t kept_files[PRUNE_KEPT_CLASSES], kept_bytes[PRUNE_KEPT_CLASSES];
	/*
	 * Where the stat-only bytes are: the deepest directories that hold most of them, largest
	 * first (prune_plan__count_kept).
	 */
	struct prune_dir_bytes stat_dirs[PRUNE_STAT_DIRS_MAX];
	size_t nstat_dirs;
	/*
	 * Files the recorded run wrote, by the profiles' create/write/truncate kinds (matched to
	 * the tree as the profile's other accesses are: by inode on this boot, so a temp file
	 * renamed over its final name counts for the final name, else by path). A file the run
	 * created is left out after the closure: logs and caches are the run's output, not the
	 * function's code, and Lambda's /var/task is read-only. It stays when --keep-created, a
	 * --keep glob or the seed asks for it, and when it is bytecode (a .pyc in __pycache__/ or
	 * beside its source) whose source .py stays: Lambda could not write it itself. A file
	 * opened for writing or truncated that the run did not create is kept, and counted, since
	 * what the zip gets is what the run left in it. Directories always stay: a workload that
	 * writes into logs/ needs it to exist. written[] marks tree entries (PLAN_WRITTEN_* bits);
	 * NULL when no profile wrote anything in the tree.
	 */
	uint8_t *written;
	uint64_t created_left_out;	 /* files the run created, left out of the zip */
	uint32_t first_created_left_out; /* tree index of the first one */
	uint64_t created_kept;		 /* created, kept anyway: --keep-created, --keep, seed */
	uint64_t created_bytecode_kept;	 /* created, kept: bytecode of a kept source */
	uint64_t modified;		 /* kept files the run wrote or truncated, not created */
	uint32_t first_modified;	 /* tree index of the first one */
	/*
	 * What the profiles used outside the tree, by whether Lambda has it (hostdeps.h); the
	 * plan's. NULL without profiles.
	 */
	struct hostdeps *host;
	/*
	 * Why an entry the earlier stages kept is out of the zip (PLAN_LEFT_OUT_*, one per
	 * tree entry; 0 for everything never kept): the report names it. Files the run created
	 * are marked in written[] instead.
	 */
	uint8_t *left_out;
};

enum plan_left_out {
	PLAN_LEFT_OUT_DROP = 1,	 /* a --drop glob */
	PLAN_LEFT_OUT_LINK = 2,	 /* a symlink leading out of the tree */
	PLAN_LEFT_OUT_LAYER = 3, /* a layer holds it (prune_plan__drop) */
};

/* Bits of prune_plan.written[idx]. */
enum plan_written {
	PLAN_WRITTEN_CREATED = 1u << 0,	 /* a profile says the run created it */
	PLAN_WRITTEN_MODIFIED = 1u << 1, /* opened for writing or truncated, not created */
	PLAN_WRITTEN_LEFT_OUT = 1u << 2, /* created, and left out by the plan */
};

/* "used", "--keep", "rules", "stat-only", "other": for the summary and the report. */
const char *prune_kept_class__name(enum prune_kept_class c);
/*
 * Fill kept_files, kept_bytes and stat_dirs from the plan's keep set (prune__plan does, as its
 * last step). 0 or -ENOMEM.
 */
int prune_plan__count_kept(struct prune_plan *r);

/*
 * Plan the zip of t under policy pol from nprofiles profiles (matched as sets; none is fine)
 * and seed (a keep set over t whose entries are kept with their reasons; NULL for none).
 * Refusals, which pol->force overrides: -EBADMSG when a profile recorded loss or has truncated
 * paths that matched nothing by inode (always, for a profile of another boot, whose inodes are
 * not used), -ENODATA when files the profiles touched lie below directories the walk could not
 * list (they would be missing silently), or when neither --keep nor a seed asked for files and
 * either the profiles stand for files none of which lies in the tree (a wrong --tree) or they
 * stand for no file at all (a header-only profile: the zip would be empty); slz_errmsg() says
 * why and what to do. Else 0 or another -errno. The plan is filled as far as it got; release
 * it either way. The host dependencies (out->host) are classified, never refused here: the
 * caller decides (--strict-host, hostdeps__refuse).
 */
int prune__plan(const struct tree *t, const struct prune_policy *pol,
		const struct profile *const *profiles, size_t nprofiles, const struct keepset *seed,
		struct prune_plan *out);
void prune_plan__release(struct prune_plan *pl); /* NULL-safe; frees the keep set, written[] */
/*
 * Leave out of a plan every entry drop keeps (a keep set over the plan's tree: what a shared
 * layer holds for this function), and the directories that were kept only on the way to them
 * and lead to nothing else now; a directory kept for itself (listed, --keep) stays. The counts
 * that follow from the keep set (after_files, after_bytes, kept_*, stat_dirs) are recounted;
 * before_* and the resolve and rule counts stay what the workload's plan said. 0, -EINVAL
 * (another tree), -ENOMEM.
 */
int prune_plan__drop(struct prune_plan *pl, const struct keepset *drop);

#endif
