/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What prune and run print about a plan: the summary and --dry-run on cli_out() (stdout for
 * prune, stderr for run: cli.h), warnings on stderr.
 */
#ifndef SLIMZIP_CLI_PRUNE_PRINT_H
#define SLIMZIP_CLI_PRUNE_PRINT_H

#include <stdbool.h>

#include "plan.h"
#include "profile.h"
#include "prune_policy.h"
#include "zipwrite.h"

/* --dry-run: "+ path  [reasons]" or "- path" for every entry, names escaped. */
void prune_print__dry_run(const struct prune_plan *r);
/*
 * The summary table (nothing with -q): before and after, the zip (out_zip; none with
 * pol->dry_run), the Lambda limits, what kept what, what the zip may lack (unlisted
 * directories, unmatched profile entries, names that are not UTF-8), the files the run created
 * that it leaves out (and the bytecode it keeps), the largest packages.
 * True when a Lambda limit is exceeded.
 */
bool prune_print__summary(const struct prune_policy *pol, const char *out_zip,
			  const struct prune_plan *r, const struct zipwrite_stats *zs);
/*
 * --json PATH: the summary's numbers as one JSON object (command, before, after, the zip's
 * entries and bytes, the Lambda limits, what kept what), written atomically ("-": stdout).
 * 0 or -errno with slz_errmsg() naming PATH.
 */
int prune_print__json(const char *cmd, const struct prune_policy *pol, const char *out_zip,
		      const struct prune_plan *r, const struct zipwrite_stats *zs,
		      const char *path);
/* The warnings of a plan and its zip (zs: zeros for --dry-run), p the profile planned from. */
void prune_print__warnings(const struct prune_policy *pol, const struct prune_plan *r,
			   const struct zipwrite_stats *zs, const struct profile *p);
/*
 * The host packages the workload used, which Lambda lacks (stderr, one warning naming them);
 * nothing when there is none.
 */
void prune_print__host(const struct prune_plan *r);

#endif
