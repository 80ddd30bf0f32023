/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A zip as `slimzip prune` makes it, for every caller that prunes (prune and run, batch, the
 * daemon): the plan with the host check that decides whether it may be written, then the write
 * with the policy recorded in the zip's comment. One sequence, so a zip made by batch or the
 * daemon is refused, described and read back by verify exactly as one made by prune.
 */
#ifndef SLIMZIP_PRUNE_WRITE_H
#define SLIMZIP_PRUNE_WRITE_H

#include "plan.h"
#include "prune_policy.h"
#include "zipwrite.h"

/*
 * prune__plan, then the host check: under pol->strict_host a plan that used host packages is
 * refused (-ENOPKG, explained: nothing may be written); else their package directories go into
 * the policy (prune_policy__set_host_dirs), so the zip's comment names them for verify
 * --isolate. Else as prune__plan; release *out either way.
 */
int prune__plan_checked(const struct tree *t, struct prune_policy *pol,
			const struct profile *const *profiles, size_t nprofiles,
			const struct keepset *seed, struct prune_plan *out);
/*
 * Write pl's zip to out_zip: the policy described into the archive comment (version: the
 * slimzip version that writes it; pol->zip.comment is left as it was), then zipwrite__write
 * (atomic: a temp file renamed). 0 or -errno as zipwrite__write; zs->failed_writing says
 * whether the output (not the tree) failed.
 */
int prune__write_zip(const struct prune_plan *pl, struct prune_policy *pol, const char *version,
		     const char *out_zip, struct zipwrite_stats *zs);

#endif
