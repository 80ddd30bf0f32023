// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A plan minus what a layer holds: prune_plan__drop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plan.h"
#include "util.h"

int prune_plan__drop(struct prune_plan *pl, const struct keepset *drop)
{
	size_t n = tree__count(pl->tree);
	/* Ancestors of what went: only they may have become empty. */
	uint8_t *touched = NULL, *has_child = NULL;
	struct tree_entry e;
	int err = 0;

	if (keepset__tree(drop) != pl->tree)
		return slz_fail(EINVAL,
				"the entries to leave out are of another tree than the plan");
	touched = calloc(n ? n : 1, 1);
	has_child = calloc(n ? n : 1, 1);
	if (!touched || !has_child) {
		err = slz_fail(ENOMEM, "out of memory leaving the layer's files out");
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		if (!keepset__has(drop, (uint32_t)i) || !keepset__remove(pl->keep, (uint32_t)i))
			continue;
		if (pl->left_out)
			pl->left_out[i] = PLAN_LEFT_OUT_LAYER;
		for (uint32_t d = (uint32_t)i; d && !tree__get(pl->tree, d, &e);) {
			d = e.parent;
			touched[d] = 1;
		}
	}
	/*
	 * Children come after their parents: walking backwards, a directory's children are
	 * settled before it is. One that was kept only on the way to what went goes too, so
	 * the zip holds no empty yaml/ of a package its layer has; one the workload listed stays.
	 */
	for (size_t i = n; i-- > 1;) {
		if (!keepset__has(pl->keep, (uint32_t)i) || tree__get(pl->tree, (uint32_t)i, &e))
			continue;
		if (S_ISDIR(e.mode) && touched[i] && !has_child[i] &&
		    keepset__reasons(pl->keep, (uint32_t)i) == KEEP_DIRECTORY) {
			keepset__remove(pl->keep, (uint32_t)i);
			continue;
		}
		has_child[e.parent] = 1;
	}
	pl->after_files = pl->after_bytes = 0;
	for (size_t i = 1; i < n; i++) {
		if (!keepset__has(pl->keep, (uint32_t)i) || tree__get(pl->tree, (uint32_t)i, &e))
			continue;
		if (S_ISREG(e.mode)) {
			pl->after_files++;
			pl->after_bytes += e.size;
		}
	}
	memset(pl->kept_files, 0, sizeof(pl->kept_files));
	memset(pl->kept_bytes, 0, sizeof(pl->kept_bytes));
	pl->nstat_dirs = 0;
	err = prune_plan__count_kept(pl);
out:
	free(touched);
	free(has_child);
	return err;
}
