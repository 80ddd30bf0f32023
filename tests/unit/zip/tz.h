/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Switching TZ inside a zip test, to show that the zip code does not depend on it. Fine in a
 * test; library code never touches TZ.
 */
#ifndef SLZ_TEST_ZIP_TZ_H
#define SLZ_TEST_ZIP_TZ_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Traps, as Unix times: 2021-03-14 02:30 UTC is a wall-clock time New York skips (spring
 * forward), 2021-11-07 01:30 UTC one it has twice (fall back).
 */
#define TZ_NY_GAP   1615689000
#define TZ_NY_TWICE 1636248600

/* Set TZ for the process; returns the old value (NULL when unset) to hand to tz_restore(). */
static inline char *tz_set(const char *tz)
{
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;

	if (setenv("TZ", tz, 1))
		abort();
	tzset();
	return saved;
}

static inline void tz_restore(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

#endif
