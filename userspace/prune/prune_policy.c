// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "prune_policy.h"
#include "util.h"

int prune_policy__init(struct prune_policy *p)
{
	memset(p, 0, sizeof(*p));
	zipwrite__default_opts(&p->zip);
	if (globs__new(&p->globs))
		return slz_fail(ENOMEM, "out of memory");
	return 0;
}

void prune_policy__release(struct prune_policy *p)
{
	if (!p)
		return;
	globs__free(p->globs);
	p->globs = NULL;
}

int prune_policy__open_tree(const struct prune_policy *p, const char *dir, struct tree **out)
{
	TREE_OPTS(o, .recorded_at = p->recorded_at);

	return tree__open(dir, &o, out);
}
