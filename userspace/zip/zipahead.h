/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Deflating a zip's files before the zip is written: the plan knows most of its kept files
 * (those the profile resolved to) long before its rules, sorting and counts are done, so it
 * hands them here as it learns them and the pool's workers deflate them while the plan goes
 * on. zipwrite__write (zipwrite_opts.ahead) then takes each finished file by its tree index
 * when its turn in name order comes, adds the kept files nobody handed over to the same pool,
 * and drops what was handed over but is not kept after all (a --drop, a file the run created).
 *
 * Each file is deflated on its own with the zip's level, as without a zipahead, so the zip's
 * bytes are the same either way. What waits in memory is the pool's budget (zippool.c): a
 * file handed over once the budget is full waits, unread, for the writer to make room.
 * One zipahead serves one write of one tree; it owns its threads from zipahead__new() on.
 */
#ifndef SLIMZIP_ZIPAHEAD_H
#define SLIMZIP_ZIPAHEAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tree.h"
#include "zipwrite.h"

struct zipahead;
struct zippool;
struct zippool_job;

/*
 * For the zip of a tree t written with opts (its level, threads and cancel token are taken;
 * opts->cancel must outlive it). Level 0 (store) deflates nothing: every add is then a no-op.
 * The workers start here. 0 or -errno (the tree's root cannot be opened: explained).
 */
int zipahead__new(const struct tree *t, const struct zipwrite_opts *opts, struct zipahead **out);

/*
 * The tree's entry idx will be in the zip (most likely): a regular file the pool takes
 * (zippool__takes) is deflated from now on; anything else, or an index handed over before,
 * is ignored. 0, or -ENOMEM (then the writer simply deflates it in its turn).
 */
int zipahead__add(struct zipahead *a, uint32_t idx);

/* Files handed over that the pool took (regular, small enough, not handed over before). */
size_t zipahead__count(const struct zipahead *a);

/*
 * A rules_head_fn, a being the struct zipahead (NULL: none): up to len (<= ZIPPOOL_HEAD) first
 * bytes of entry idx as its job read it (zippool__head(), which may read the file on this
 * thread: call it from the thread that plans and writes), or -ENOENT when idx was not handed
 * over, could not be read or finds the budget full: the caller reads it itself. The closure rules'
 * and the .pyc check's looks at kept files' first bytes come here, so a file the zip reads anyway
 * is opened once.
 */
ssize_t zipahead__head(void *a, uint32_t idx, void *buf, size_t len);

/* Files handed over and finished (deflated, or failed: the writer reports it). */
size_t zipahead__done(const struct zipahead *a);

/* Joins the workers; NULL-safe. */
void zipahead__free(struct zipahead *a);

/*
 * For zipwrite.c: the pool, when a deflates for the zip of tree t at level (else NULL: the
 * writer makes its own), and the job of idx (NULL: none handed over).
 */
struct zippool *zipahead__pool(const struct zipahead *a, const struct tree *t, int level);
struct zippool_job *zipahead__job(const struct zipahead *a, uint32_t idx);
/* Discard every job handed over whose entry is not (keep[idx] false) in the zip. */
void zipahead__settle(struct zipahead *a, const struct keepset *k);

#endif
