/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * From a profile (absolute paths and (dev, ino) as the kernel saw them) to tree entries.
 *
 * Each profile entry is matched by (dev, ino) first, when opts->match_inodes and the entry has
 * an identity, then by path: the tree prefix (tree__recorded_at(), or the tree's real path) is
 * stripped and the rest looked up exactly, else resolved component by component through in-tree
 * symlinks (path-only entries carry the user's spelling, links included). A hard-linked inode keeps
 * every one of its links: the kernel reports an inode once, so accesses through the other names
 * were never seen (a zip has no hard links; each name becomes a copy).
 *
 * Kinds map to reasons: open -> opened (a directory: listed), mmap -> mmapped, exec and interp
 * -> execed, stat/access/readlink with nothing else -> stat-only. An entry that is only
 * SLZ_KIND_MISSING is never kept (it is counted); one that also has other kinds is kept for
 * those. The root itself (index 0) is never added: it has no name in the zip.
 */
#ifndef SLIMZIP_RESOLVE_H
#define SLIMZIP_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "keepset.h"
#include "profile.h"
#include "tree.h"

struct resolve_opts {
	/* dev/ino mean nothing across boots or hosts: false when the profile's boot_id differs. */
	bool match_inodes;
	/*
	 * The profile was recorded with the tree at its real path (verify's runs): paths (and
	 * absolute link targets) under tree__recorded_at() are not the tree's then.
	 */
	bool at_real_path;
};

/* Every profile entry is counted in exactly one of the fields after `entries`. */
struct resolve_stats {
	uint64_t touched; /* entries that stand for a file touched (not failed lookups only) */
	/*
	 * Truncated paths (deeper than the recorder walks) whose inode is not in the tree either,
	 * whether or not inodes could be trusted: what they name cannot be known.
	 */
	uint64_t truncated_unresolved;
	/*
	 * Of unmatched_in_tree: entries below a directory the walk could not list (as a user who
	 * may not read it), so the file may well be there, and would be silently missing.
	 */
	uint64_t under_unlistable;
	/* Examples for the messages: the profile's own paths (valid while it is), NULL if none. */
	const char *first_unmatched;	    /* the first unmatched_in_tree entry */
	const char *first_under_unlistable; /* the first under_unlistable entry */
	uint32_t first_unlistable_dir;	    /* tree index of the directory that one lies under */
	uint64_t entries;		    /* profile entries looked at */
	uint64_t by_inode;		    /* matched by (dev, ino) */
	uint64_t by_path;		    /* matched by path */
	/*
	 * Of by_inode and by_path: entries that matched a directory (the tree root included).
	 * A run started inside the tree touches its root and nothing else: that is no match.
	 */
	uint64_t matched_dirs;
	uint64_t outside_tree;	    /* not under the tree (the runtime's own files): ignored */
	uint64_t unmatched_in_tree; /* under the tree root but no such entry (tree changed?) */
	uint64_t missing;	    /* failed lookups only (SLZ_KIND_MISSING): never kept */
	uint64_t unusable; /* truncated/unreachable path without an inode match, or no kind */
};

/*
 * Keep what the profile says was touched. o NULL means {false, false}; st may be NULL (it is
 * added to, so one stats struct can sum several profiles). 0 or -errno.
 */
int resolve__profile(struct keepset *k, const struct profile *p, const struct resolve_opts *o,
		     struct resolve_stats *st);

/*
 * Symlink closure, to run after the rules (and before globs__apply_drop): a kept symlink keeps
 * its in-tree target (KEEP_LINK_TARGET), a symlink whose in-tree target is kept is kept
 * (KEEP_SYMLINK), and every ancestor directory is kept (keepset__complete_dirs), repeated until
 * nothing changes, so link chains and links to directories on the way are covered. *added
 * (NULL allowed) counts entries newly kept. 0 or -errno.
 */
int resolve__symlink_closure(struct keepset *k, uint64_t *added);

/*
 * The tree entry profile entry e stands for, matched as resolve__profile matches: by (dev, ino)
 * when o->match_inodes and e has an identity (*by_inode set; a hard-linked inode's other
 * names follow with tree__next_link), else by its path, through in-tree symlinks. The index,
 * or -EXDEV (not under the tree, or through a link that leaves it), -EINVAL (a truncated,
 * unreachable or relative path without an inode match), -ENOMEM, another -errno of the
 * lookup (-ENOENT: below the tree, but no such entry). o may be NULL.
 */
int64_t resolve__entry(const struct tree *t, const struct profile_entry *e,
		       const struct resolve_opts *o, bool *by_inode);

/*
 * An absolute recorded path as a tree-relative one: the prefix tree__recorded_at() (unless
 * o->at_real_path) or tree__root() is stripped, "//" and "." components are removed, ".." is
 * kept for tree__resolve(). o may be NULL. *rel is malloc'ed ("" for the root itself). 0,
 * -EXDEV when abs is not under the tree, -EINVAL when abs is not absolute, -ENOMEM.
 */
int resolve__relative(const struct tree *t, const char *abs, const struct resolve_opts *o,
		      char **rel);

#endif
