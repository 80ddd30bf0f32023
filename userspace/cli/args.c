// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <stdbool.h>
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

int args__env_u64(const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *value = getenv(name);

	return value && *value ? args__u64(name, value, min, max, out) : 0;
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

/* Edit distance between short option names, for "did you mean". */
static size_t distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), prev[64], cur[64];

	if (la >= ARRAY_SIZE(prev) || lb >= ARRAY_SIZE(prev))
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*prev));
	}
	return prev[lb];
}

static bool is_long_option_for(const char *arg, int optopt, const struct option *opts)
{
	size_t n;

	if (!arg || strncmp(arg, "--", 2))
		return false;
	n = strcspn(arg + 2, "=");
	for (const struct option *o = opts; o->name; o++) {
		if (o->val == optopt && !strncmp(o->name, arg + 2, n))
			return true;
	}
	return false;
}

int args__bad_option(const char *cmd, char *const *argv, int optind, int optopt,
		     const struct option *opts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	const struct option *best = NULL, *prefixed = NULL;
	size_t best_d = SIZE_MAX, n, nprefixed = 0;

	/*
	 * A short option (or one inside a cluster like -xq, where getopt has not moved past the
	 * word yet, so argv[optind - 1] is the word before): name it by optopt.
	 */
	if (optopt && optopt < 256 && !is_long_option_for(arg, optopt, opts))
		return slz_fail(EINVAL,
				"option '-%c' is unknown or needs a value (see 'slimzip %s "
				"--help')",
				optopt, cmd);
	if (!arg || strncmp(arg, "--", 2))
		return slz_fail(EINVAL, "bad option '%s' (see 'slimzip %s --help')", arg ? arg : "",
				cmd);
	n = strcspn(arg + 2, "=");
	for (const struct option *o = opts; o->name; o++) {
		size_t d = distance(arg + 2, n, o->name);

		if (!strncmp(o->name, arg + 2, n)) {
			/* getopt takes an unambiguous prefix as the option itself. */
			if (strlen(o->name) == n) {
				prefixed = o;
				nprefixed = 1;
				break;
			}
			prefixed = nprefixed++ ? prefixed : o;
		}
		if (d < best_d) {
			best_d = d;
			best = o;
		}
	}
	if (nprefixed == 1) {
		if (prefixed->has_arg == required_argument && !arg[2 + n])
			return slz_fail(EINVAL,
					"option '--%s' needs a value (see 'slimzip %s --help')",
					prefixed->name, cmd);
		return slz_fail(EINVAL, "option '--%s' takes no value (see 'slimzip %s --help')",
				prefixed->name, cmd);
	}
	if (nprefixed > 1)
		return slz_fail(EINVAL,
				"option '%.*s' is ambiguous (--%s and others; see 'slimzip %s "
				"--help')",
				(int)(n + 2), arg, prefixed->name, cmd);
	if (best && best_d <= 2)
		return slz_fail(EINVAL,
				"unknown option '%.*s' (did you mean --%s? see 'slimzip %s "
				"--help')",
				(int)(n + 2), arg, best->name, cmd);
	return slz_fail(EINVAL, "unknown option '%.*s' (see 'slimzip %s --help')", (int)(n + 2),
			arg, cmd);
}
