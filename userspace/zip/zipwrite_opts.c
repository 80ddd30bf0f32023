// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The writer's options: defaults, --mtime, --modes and SOURCE_DATE_EPOCH. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "zipwrite.h"

void zipwrite__default_opts(struct zipwrite_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->level = ZIPWRITE_DEFAULT_LEVEL;
	opts->mtime_mode = ZIPWRITE_MTIME_KEEP;
	opts->modes = ZIPWRITE_MODES_LAMBDA;
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

static const char *const modes_names[] = {
	[ZIPWRITE_MODES_LAMBDA] = "lambda",
	[ZIPWRITE_MODES_KEEP] = "keep",
};

int zipwrite__parse_modes(const char *value, struct zipwrite_opts *opts)
{
	for (size_t i = 0; i < ARRAY_SIZE(modes_names); i++)
		if (!strcmp(value, modes_names[i])) {
			opts->modes = (enum zipwrite_modes)i;
			return 0;
		}
	return slz_fail(EINVAL, "--modes: '%s' is not lambda or keep", value);
}

const char *zipwrite__modes_name(enum zipwrite_modes modes)
{
	return (unsigned int)modes < ARRAY_SIZE(modes_names) ? modes_names[modes] : NULL;
}

uint32_t zipwrite__entry_mode(const struct zipwrite_opts *opts, uint32_t mode, bool *closed)
{
	bool dir = S_ISDIR(mode), exec = dir || (mode & 0111);
	uint32_t perm = mode & 0777;

	if (opts->modes == ZIPWRITE_MODES_LAMBDA)
		perm = exec ? 0755 : 0644;
	/* Lambda runs the function as a user that owns nothing of the tree: "others" is it. */
	if (closed)
		*closed = !(perm & S_IROTH) || (exec && !(perm & S_IXOTH));
	return perm;
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
