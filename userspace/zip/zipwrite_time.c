// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Zip timestamps: DOS time in UTC, for the writer and the extractor alike. */
#include "util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zipwrite.h"

/* 2107-12-31 23:59:58 UTC: the last time a DOS timestamp can hold. */
#define DOS_TIME_MAX 4354819198LL

int64_t zipwrite__clamp_time(int64_t t)
{
	if (t < ZIPWRITE_FIXED_MTIME)
		return ZIPWRITE_FIXED_MTIME;
	if (t > DOS_TIME_MAX)
		return DOS_TIME_MAX;
	return t;
}

void zipwrite__dos_time(int64_t t, uint16_t *dos_time, uint16_t *dos_date)
{
	time_t tt = (time_t)zipwrite__clamp_time(t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	*dos_date = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
	*dos_time = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec >> 1));
}

int64_t zipwrite__unix_time(uint16_t dos_time, uint16_t dos_date)
{
	struct tm tm = {
		.tm_year = ((dos_date >> 9) & 0x7f) + 80,
		.tm_mon = ((dos_date >> 5) & 0xf) - 1,
		.tm_mday = dos_date & 0x1f,
		.tm_hour = (dos_time >> 11) & 0x1f,
		.tm_min = (dos_time >> 5) & 0x3f,
		.tm_sec = (dos_time & 0x1f) * 2,
	};

	return (int64_t)timegm(&tm);
}

int zipwrite__utc_enter(char **saved)
{
	const char *tz = getenv("TZ");

	*saved = NULL;
	if (tz) {
		/* NULL in *saved means "TZ was unset", which leave() restores by unsetting it. */
		*saved = strdup(tz);
		if (!*saved)
			return -ENOMEM;
	}
	if (setenv("TZ", "UTC0", 1)) {
		free(*saved);
		*saved = NULL;
		return -errno;
	}
	tzset();
	return 0;
}

void zipwrite__utc_leave(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
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
