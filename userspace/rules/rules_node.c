// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Node: module resolution reads package.json ("main", "exports", "type") of the package a file
 * belongs to and of every node_modules level above it, and "type" alone changes how a .js file
 * is parsed. A kept file therefore keeps every package.json between it and the tree root.
 * The rule keeps no state; its mark on a directory means "walked up from already".
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "rules_entries.h"

static int node_entry(struct rules_ctx *c, uint32_t idx)
{
	struct tree_entry e = rules_ctx__entry(c, idx);
	char path[RULES_PATH_MAX];
	uint32_t d;

	if (!e.mode || S_ISDIR(e.mode))
		return 0;
	for (d = e.parent; d < c->n; d = e.parent) {
		int64_t pj;
		int err;

		/* Everything above a walked directory has been walked too. */
		if (rules_ctx__mark(c, d))
			break;
		e = rules_ctx__entry(c, d);
		if (!rules__join(path, sizeof(path), e.path, "package.json",
				 strlen("package.json")) &&
		    (pj = tree__find_path(c->t, path)) >= 0 &&
		    !S_ISDIR(rules_ctx__entry(c, (uint32_t)pj).mode)) {
			err = rules_ctx__keep_entry(c, (uint32_t)pj);
			if (err < 0)
				return err;
		}
		if (d == 0 || e.parent == d)
			break;
	}
	return 0;
}

static int node_run(struct rules_ctx *c)
{
	return rules_ctx__scan(c, node_entry);
}

const struct rule rule_node = {.name = "node", .run = node_run};
