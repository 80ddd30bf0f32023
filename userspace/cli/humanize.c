// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "humanize.h"

const char *humanize_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len,
			 v < 10	   ? "%.2f %s"
			 : v < 100 ? "%.1f %s"
				   : "%.0f %s",
			 v, units[u]);
	return buf;
}

const char *humanize_count(uint64_t n, char *buf, size_t len)
{
	char raw[32];
	size_t digits, w = 0;

	snprintf(raw, sizeof(raw), "%" PRIu64, n);
	digits = strlen(raw);
	for (size_t i = 0; i < digits && w + 2 < len; i++) {
		if (i && (digits - i) % 3 == 0)
			buf[w++] = ',';
		buf[w++] = raw[i];
	}
	buf[w] = '\0';
	return buf;
}
