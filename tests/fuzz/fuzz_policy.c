// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The policy a zip's comment records (prune_policy__adopt): the comment comes from whatever
 * zip verify is given. Input: the comment's bytes. Oracle: a comment that is taken describes
 * (prune_policy__describe) into one that is taken again, into a policy that describes the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prune_policy.h"

static char *describe(const struct prune_policy *p)
{
	char *s = NULL;

	/* Only a comment over 64 KiB (many long patterns) may not fit back. */
	if (prune_policy__describe(p, "0", &s) && s)
		abort();
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prune_policy a, b;
	char *comment, *d1 = NULL, *d2 = NULL;
	bool adopted = false;
	int err;

	if (size > 65535)
		return 0;
	comment = strndup((const char *)data, size);
	if (!comment || prune_policy__init(&a) || prune_policy__init(&b))
		abort();
	err = prune_policy__adopt(&a, comment, &adopted);
	if (err && err != -EBADMSG && err != -ENOMEM)
		abort();
	if (!err && adopted) {
		d1 = describe(&a);
		if (d1) {
			if (prune_policy__adopt(&b, d1, &adopted) || !adopted)
				abort();
			d2 = describe(&b);
			if (!d2 || strcmp(d1, d2))
				abort();
		}
	}
	free(d1);
	free(d2);
	prune_policy__release(&a);
	prune_policy__release(&b);
	free(comment);
	return 0;
}
