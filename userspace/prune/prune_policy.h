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

/*
 * The options that shape a zip, as bits of prune_policy.given: which ones the command line
 * gave (policy_cli__parse sets them), so that what a zip records of its pruning fills in the
 * others only (prune_policy__adopt).
 */
enum prune_given {
	PRUNE_GIVEN_MODES = 1u << 0,
	PRUNE_GIVEN_MTIME = 1u << 1,
	PRUNE_GIVEN_LEVEL = 1u << 2,
	PRUNE_GIVEN_KEEP = 1u << 3, /* --keep or --keep-from */
	PRUNE_GIVEN_DROP = 1u << 4,
	PRUNE_GIVEN_RULES = 1u << 5, /* any --no-rule-NAME or --no-rules */
	PRUNE_GIVEN_TREE_PATH_AS = 1u << 6,
	PRUNE_GIVEN_KEEP_CREATED = 1u << 7,
};

struct prune_policy {
	/* The tree was recorded at this absolute path (tree_opts.recorded_at); NULL: its own. */
	const char *recorded_at;
	struct globs *globs; /* --keep / --drop / --keep-from; owned, never NULL after init */
	struct rules_opts rules;
	struct zipwrite_opts zip;
	bool force;   /* plan although events were lost, paths truncated, or nothing matched */
	bool dry_run; /* plan and report, write nothing */
	/*
	 * Deflate the files the profiles resolved to while the rest of the plan runs
	 * (prune__plan_checked makes zip.ahead, prune__write_zip uses and frees it; zipahead.h):
	 * for a caller that writes the zip right after its plan, as prune and run do. Off by
	 * default: batch plans every function before it writes any zip.
	 */
	bool deflate_early;
	/* Keep the files the recorded run created (left out by default; see plan.h). */
	bool keep_created;
	/* --strict-host (default: in CI): refuse a plan that uses host packages (hostdeps.h) */
	bool strict_host;
	unsigned int given; /* enum prune_given bits */
	char *owned;	    /* recorded_at when adopted from a zip: freed by release */
	/*
	 * The host package directories the workload used (owned): recorded in the zip's comment
	 * so that verify --isolate hides them. Set from a plan (prune_policy__set_host_dirs) or
	 * adopted from a zip.
	 */
	char **host_dirs;
	size_t nhost_dirs;
};

/* Every rule on, no globs, the zip writer's defaults. 0 or -ENOMEM. */
int prune_policy__init(struct prune_policy *p);
void prune_policy__release(struct prune_policy *p); /* NULL-safe; p itself is the caller's */
/*
 * What a zip records of how it was pruned, in its archive comment: one line of JSON (no
 * newline) with the slimzip version and the options that shape the zip, e.g.
 *   {"slimzip":"0.1.0","modes":"lambda","mtime":"fixed","level":6,"keep":[],"drop":["*.md"],
 *    "rules_off":["node"],"tree_path_as":null,"keep_created":false}
 * mtime is "keep", "fixed" or the seconds of --mtime EPOCH / SOURCE_DATE_EPOCH; "host_dirs"
 * (an array of absolute paths) follows only when there are any. *out is
 * malloc'd; 0, -ENOMEM, or -E2BIG (explained) when it is longer than a zip comment can be.
 */
int prune_policy__describe(const struct prune_policy *p, const char *version, char **out);
/*
 * The members of that object (no braces) into the innermost open object of w: the prune
 * report embeds them. json_writer__error(w).
 */
struct json_writer;
int prune_policy__write_json(const struct prune_policy *p, const char *version,
			     struct json_writer *w);
/*
 * Take into p the options a zip's comment (NUL-terminated) records, except those p->given
 * says the command line gave: an explicit option wins. A comment that is not slimzip's (it
 * does not start with {"slimzip":), or none, changes nothing and sets *adopted false. 0, or
 * -EBADMSG when slimzip's comment is damaged or holds a value this version cannot take,
 * explained.
 */
int prune_policy__adopt(struct prune_policy *p, const char *comment, bool *adopted);

/* Replace p's host_dirs with copies of dirs[0..n). 0 or -ENOMEM. */
int prune_policy__set_host_dirs(struct prune_policy *p, const char *const *dirs, size_t n);

/* Walk and index dir as the tree this policy prunes (recorded where p says). See tree__open. */
int prune_policy__open_tree(const struct prune_policy *p, const char *dir, struct tree **out);

#endif
