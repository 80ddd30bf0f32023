// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The writer's options: defaults, --mtime and SOURCE_DATE_EPOCH. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "zipwrite.h"

void zipwrite__default_opts(struct zipwrite_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->level = ZIPWRITE_DEFAULT_LEVEL;
	opts->mtime_mode = ZIPWRITE_MTIME_KEEP;
}

static int parse_epoch(const char *what, const char *expect, const char *value, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = value[0] >= '0' && value[0] <= '9' ? strtoll(value, &end, 10) : -1;
	if (v < 0 || errno || *end)
		return slz_fail(EINVAL, "%s: '%s' is not %s", what, value, expect);
	*out = v;
	return 0;
}

int zipwrite__parse_mtime(const char *value, struct zipwrite_opts *opts)
{
	if (!strcmp(value, "keep")) {
		opts->mtime_mode = ZIPWRITE_MTIME_KEEP;
	} else if (!strcmp(value, "fixed")) {
		opts->mtime_mode = ZIPWRITE_MTIME_FIXED;
	} else {
		int err = parse_epoch("--mtime", "keep, fixed or a number of seconds", value,
				      &opts->epoch);

		if (err)
			return err;
		opts->mtime_mode = ZIPWRITE_MTIME_EPOCH;
	}
	return 0;
}

int zipwrite__opts_from_env(struct zipwrite_opts *opts)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int err;

	if (!sde || !*sde)
		return 0;
	err = parse_epoch("SOURCE_DATE_EPOCH", "a number of seconds since 1970", sde, &opts->epoch);
	if (!err)
		opts->mtime_mode = ZIPWRITE_MTIME_EPOCH;
	return err;
}
