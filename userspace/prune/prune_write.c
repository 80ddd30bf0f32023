// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "hostdeps.h"
#include "prune_write.h"
#include "util.h"
#include "zipahead.h"

/* The host packages of a plan: refused under strict_host, else recorded in the policy. */
static int host_checked(struct prune_policy *pol, const struct prune_plan *pl)
{
	size_t n = hostdeps__ndirs(pl->host);
	const char **dirs;
	int err;

	if (pol->strict_host && (err = hostdeps__refuse(pl->host)))
		return err;
	dirs = n ? calloc(n, sizeof(*dirs)) : NULL;
	if (n && !dirs)
		return slz_fail(ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		dirs[i] = hostdeps__dir(pl->host, i);
	err = prune_policy__set_host_dirs(pol, dirs, n);
	free(dirs);
	return err ? slz_fail(ENOMEM, "out of memory") : 0;
}

int prune__plan_checked(const struct tree *t, struct prune_policy *pol,
			const struct profile *const *profiles, size_t nprofiles,
			const struct keepset *seed, struct prune_plan *out)
{
	int err = 0;

	zipahead__free(pol->zip.ahead);
	pol->zip.ahead = NULL;
	if (pol->deflate_early && !pol->dry_run && pol->zip.level > 0)
		err = zipahead__new(t, &pol->zip, &pol->zip.ahead);
	if (!err)
		err = prune__plan(t, pol, profiles, nprofiles, seed, out);
	if (!err)
		err = host_checked(pol, out);
	/* Refused: nothing will be written, so nothing is deflated on. */
	if (err) {
		zipahead__free(pol->zip.ahead);
		pol->zip.ahead = NULL;
	}
	return err;
}

int prune__write_zip(const struct prune_plan *pl, struct prune_policy *pol, const char *version,
		     const char *out_zip, struct zipwrite_stats *zs)
{
	const char *given = pol->zip.comment;
	char *comment = NULL;
	int err = prune_policy__describe(pol, version, &comment);

	if (err)
		return err;
	pol->zip.comment = comment;
	err = zipwrite__write(pl->keep, out_zip, &pol->zip, zs);
	pol->zip.comment = given;
	/* Made for this one write by prune__plan_checked. */
	zipahead__free(pol->zip.ahead);
	pol->zip.ahead = NULL;
	free(comment);
	return err;
}
