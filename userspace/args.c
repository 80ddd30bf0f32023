// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "util.h"

int args__u64(const char *opt, const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	/* strtoull accepts " -1" and wraps it; only plain digits are numbers here. */
	if (!value || !isdigit((unsigned char)value[0]))
		goto bad;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return slz_fail(EINVAL, "%s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64, opt,
			value ? value : "", min, max);
}

int args__duration(const char *opt, const char *value, uint64_t *seconds)
{
	static const struct {
		char suffix;
		uint64_t mult;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char num[32];
	size_t len = value ? strlen(value) : 0;
	uint64_t mult = 1, v;

	if (!len || len >= sizeof(num))
		goto bad;
	memcpy(num, value, len + 1);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (num[len - 1] == units[i].suffix) {
			mult = units[i].mult;
			num[--len] = '\0';
			break;
		}
	}
	if (args__u64(opt, num, 1, UINT64_MAX / 86400, &v))
		goto bad;
	*seconds = v * mult;
	return 0;
bad:
	return slz_fail(EINVAL, "%s: '%s' is not a duration (use e.g. 30, 30s, 5m, 2h)", opt,
			value ? value : "");
}

int args__choice(const char *opt, const char *value, const char *const *choices)
{
	char list[256] = "";
	size_t used = 0;

	for (int i = 0; choices[i]; i++) {
		if (value && !strcmp(value, choices[i]))
			return i;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
					 choices[i]);
		if (used >= sizeof(list))
			break;
	}
	return slz_fail(EINVAL, "%s: '%s' is not one of: %s", opt, value ? value : "", list);
}
