// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>

#include "profile_io.h"
#include "profiles.h"
#include "util.h"

int profiles__load(const char *const *paths, size_t n, struct profile **merged)
{
	struct profile *p = NULL, *more = NULL;
	int err = 0;

	*merged = NULL;
	if (!n)
		return slz_fail(EINVAL, "no profile to read");
	for (size_t i = 0; i < n && !err; i++) {
		err = profile__read(paths[i], p ? &more : &p);
		if (!err && more) {
			err = profile__merge(p, more);
			profile__free(more);
			more = NULL;
		}
	}
	if (err) {
		profile__free(p);
		return err;
	}
	*merged = p;
	return 0;
}
