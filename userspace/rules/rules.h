/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Closure rules: files that must travel together with a kept file even though the workload
 * never touched them on the recorded run (issue #4). Each rule only ever adds entries, with its
 * own reason bit, and rules__apply() repeats them until the keepset stops growing. The rules
 * are the entries of one table (rules.c; rules_ctx.h says what an entry holds), in this order:
 *
 * Python (reason rule-python)
 *   - a kept __pycache__/x.<tag>.pyc keeps x.py beside the __pycache__ directory; a kept x.py
 *     keeps every __pycache__/x.*.pyc (all tags: the deployed interpreter loads one of them and
 *     would otherwise recompile on every cold start of a read-only deployment);
 *   - every kept file keeps the __init__.py of its directory and of each parent directory, up to
 *     the first directory without one;
 *   - a kept file owned by a distribution keeps that distribution's whole *.dist-info or
 *     *.egg-info. Ownership comes from RECORD (CSV, paths relative to the directory holding the
 *     dist-info), else installed-files.txt (egg-info, relative to itself), else top_level.txt
 *     (names of top-level packages and modules next to the dist-info). Files inside a
 *     dist-info are owned by it, so reading METADATA keeps the rest;
 *   - *.pth files at the tree root, and the directories their path lines name.
 * Node (reason rule-node)
 *   - every package.json in the directory of a kept file and in each directory above it.
 * ELF (reason rule-elf), for every kept ET_EXEC/ET_DYN file that libelf can read:
 *   - each DT_NEEDED library found in the tree, searched like ld.so: DT_RPATH (only when there
 *     is no DT_RUNPATH), then DT_RUNPATH, with $ORIGIN/${ORIGIN} as the object's directory,
 *     then lib, lib64, usr/lib, usr/lib64 and their multiarch subdirectory (x86_64-linux-gnu,
 *     aarch64-linux-gnu, i386-linux-gnu by e_machine). The first candidate that is an ELF of
 *     the same class and machine wins; names not found are counted, not errors (they come
 *     from the runtime image);
 *   - PT_INTERP when it lies in the tree;
 *   - for a library with a DT_SONAME, the symlinks in its directory that lead to it
 *     (libfoo.so.1 -> libfoo.so.1.2.3, libfoo.so -> libfoo.so.1);
 *   - a kept symlink whose in-tree target is an ELF file keeps the whole chain and the target.
 *   Every symlink met on the way to a kept file (directory links included) is kept too.
 *
 * Absolute paths found inside files (RPATH, PT_INTERP, RECORD, .pth) name the tree's own copy
 * when they lie under the tree's real path or under tree__recorded_at(); otherwise they are read
 * relative to the tree root, as in a container image or chroot. Keeping a file too many is the
 * safe mistake for a pruner.
 * Files are only ever read inside the tree; unreadable or malformed files are skipped and
 * counted, never fatal.
 */
#ifndef SLIMZIP_RULES_H
#define SLIMZIP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keepset.h"

/* A bound on rounds of all rules; each rule reaches its own fixpoint inside one round. */
#define RULES_MAX_ROUNDS 64
/* Room in the per-rule arrays below; rules__count() of them are registered (rules.c's table). */
#define RULES_MAX	 KEEP_RULES_MAX

/*
 * Up to len first bytes of kept file idx as another reader already has them (prune: the zip's
 * deflaters, zipahead__head()): their count, or -ENOENT when the caller must read the file
 * itself.
 */
typedef ssize_t rules_head_fn(void *arg, uint32_t idx, void *buf, size_t len);
/* The most first bytes a rule asks for: a .pyc's header (PEP 552). */
#define RULES_HEAD_MAX 16

struct rules_opts {
	/*
	 * Bit i switches off the rule at position i of the table (see rules__find()); 0 runs them
	 * all, RULES_ALL_OFF none.
	 */
	uint32_t off;
	/*
	 * Run the symlink closure (resolve__symlink_closure) after each round too, until neither
	 * adds anything: one run to the end, in which no rule reads a file it has seen again
	 * (the ELF rule read every kept file once per run: twice when a link kept one more).
	 */
	bool symlinks;
	/*
	 * Called with each entry a rule newly keeps, as it keeps it (prune hands the file to the
	 * zip's deflaters there, so they work while the other rules still read); NULL for none.
	 */
	void (*on_keep)(void *arg, uint32_t idx);
	void *on_keep_arg;
	/*
	 * Where kept files' first bytes come from before a rule reads them itself; NULL for none.
	 * The ELF rule's test of every kept file for the ELF magic asks here first, and opens
	 * only the files that are ELF objects.
	 */
	rules_head_fn *head;
	void *head_arg;
};

#define RULES_ALL_OFF UINT32_MAX

/* Per-rule arrays are indexed by the rule's position in the table (rules__name(i)). */
struct rules_stats {
	uint64_t added[RULES_MAX]; /* entries newly kept by each rule */
	/*
	 * Names a rule looked for and the tree lacks, for rules that look names up (ELF: DT_NEEDED
	 * names, expected from the runtime image); 0 for the others.
	 */
	uint64_t unresolved[RULES_MAX];
	uint64_t unreadable; /* files a rule wanted to read but could not open or parse */
	uint64_t bad_lines;  /* RECORD rows and .pth lines skipped as malformed */
	uint32_t rounds;     /* rounds run until nothing changed */
};

/* How many rules the table holds (at most RULES_MAX). */
size_t rules__count(void);
/* The name of rule i ("python"): its --no-rule-NAME option and its key in reports. */
const char *rules__name(size_t i);
/*
 * The keep reason of what the rule called name adds (KEEP_RULE(its position), which
 * keepset__reasons_str names with rules__name), 0 when there is no such rule.
 */
uint32_t rules__reason_named(const char *name);
/* The position of the rule called name, or -ENOENT. */
int rules__find(const char *name);

/*
 * Apply the rules o does not switch off to k until the keepset stops growing. Entries already
 * kept are left as they are; new ones get the rule's reason bit. st may be NULL. 0, -ENOMEM, or
 * -ELOOP when RULES_MAX_ROUNDS did not settle (a bug: every round that continues adds at least
 * one entry).
 */
int rules__apply(struct keepset *k, const struct rules_opts *o, struct rules_stats *st);

/*
 * Fold the stats of a later rules__apply() on the same, grown keepset into dst: additions and
 * rounds add up; unresolved, unreadable and bad_lines are recounted by every call over the whole
 * keepset, so src's replace dst's.
 */
void rules_stats__add(struct rules_stats *dst, const struct rules_stats *src);

#endif
