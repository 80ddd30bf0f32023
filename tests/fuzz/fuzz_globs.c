// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Glob patterns. Input: a pattern, a NUL byte, then a path. Oracle: globs__add and
 * globs__match agree on what is a valid pattern, and a valid pattern's verdict on a path does
 * not depend on whether the path is tried as a directory when the pattern has no trailing '/'
 * and matches an ancestor of the path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "globs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct globs *g = NULL;
	char *pattern, *path;
	size_t plen;
	int added, m1, m2;

	if (!nul || size > 8192)
		return 0;
	plen = (size_t)(nul - data);
	pattern = strndup((const char *)data, plen);
	path = strndup((const char *)nul + 1, size - plen - 1);
	if (!pattern || !path || globs__new(&g))
		goto out;
	added = globs__add(g, GLOB_KEEP, pattern);
	m1 = globs__match(pattern, path, false);
	m2 = globs__match(pattern, path, true);
	if ((added == 0) != (m1 >= 0) || (m1 < 0) != (m2 < 0))
		abort();
	/* Matching as a directory can only add matches (a trailing '/' pattern), never lose one. */
	if (m1 == 1 && m2 != 1)
		abort();
out:
	globs__free(g);
	free(pattern);
	free(path);
	return 0;
}
