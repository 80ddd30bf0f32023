/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Progress of long work (the tree walk, the zip writer, verify's rounds, batch's functions)
 * for a caller that shows it. Library code never prints and holds no global state, so the
 * caller hands a struct slz_progress to the work in its options struct and the work calls
 * slz_progress__update() once per unit of work (a directory listed, a file zipped, a round
 * started, a function recorded). NULL means no progress: one test, nothing else.
 *
 * The work does not throttle: it reports every unit, and the callback decides when to draw
 * (cli/progress_print.c draws at most ~10 times a second). A callback must therefore be cheap.
 * It runs on the thread that does the work, which is the thread of the call that took the
 * options (the zip writer's pool threads never call it).
 *
 * In base/ beside the cancel token because every layer's long work takes the same hook.
 */
#ifndef SLIMZIP_PROGRESS_H
#define SLIMZIP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct slz_progress_state {
	const char *phase; /* "walking tree", "zipping", "verify round", "batch" */
	const char *unit;  /* what done and total count: "files", "functions", "rounds" */
	uint64_t done;
	uint64_t total;	      /* 0: not known (a walk does not know how much is left) */
	uint64_t bytes_done;  /* with bytes_total: bytes of the work so far */
	uint64_t bytes_total; /* 0: the work has no bytes to show */
};

/*
 * st NULL: someone else's output follows (verify's and batch's workloads write to the same
 * terminal), so a drawn line should be cleared now.
 */
typedef void (*slz_progress_fn)(const struct slz_progress_state *st, void *ctx);

struct slz_progress {
	slz_progress_fn update;
	void *ctx;
};

/* Report one step; NULL-safe (p NULL or its update NULL: nothing). */
static inline void slz_progress__update(const struct slz_progress *p,
					const struct slz_progress_state *st)
{
	if (p && p->update)
		p->update(st, p->ctx);
}

/* Other output follows: a caller's drawn line should go now. NULL-safe. */
static inline void slz_progress__pause(const struct slz_progress *p)
{
	slz_progress__update(p, NULL);
}

#endif
