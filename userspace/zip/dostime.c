// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>

#include "dostime.h"

#define DAY 86400

/* Days before each month of a common year. */
static const uint16_t month_start[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static bool leap_year(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Leap days in the years 1..y-1 (y >= 1: DOS years are 1979..2108 after carries). */
static int64_t leap_days_before(int64_t y)
{
	y--;
	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to January 1st of year y. */
static int64_t days_before_year(int64_t y)
{
	return 365 * (y - 1970) + leap_days_before(y) - leap_days_before(1970);
}

static int64_t days_before_month(int64_t y, int mon0)
{
	return month_start[mon0] + (mon0 >= 2 && leap_year(y));
}

void dostime__from_unix(int64_t t, uint16_t *dos_time, uint16_t *dos_date)
{
	int64_t days, secs, y;
	int mon0 = 11;

	if (t < DOSTIME_MIN)
		t = DOSTIME_MIN;
	if (t > DOSTIME_MAX)
		t = DOSTIME_MAX;
	days = t / DAY; /* t > 0: no rounding toward zero to undo */
	secs = t % DAY;
	/* 365 days a year overestimates the year by at most one from 1980 to 2107. */
	y = 1970 + days / 365;
	if (days_before_year(y) > days)
		y--;
	days -= days_before_year(y);
	while (mon0 > 0 && days_before_month(y, mon0) > days)
		mon0--;
	days -= days_before_month(y, mon0);
	*dos_date = (uint16_t)(((y - 1980) << 9) | ((mon0 + 1) << 5) | (days + 1));
	*dos_time = (uint16_t)(((secs / 3600) << 11) | ((secs / 60 % 60) << 5) | (secs % 60 / 2));
}

int64_t dostime__to_unix(uint16_t dos_time, uint16_t dos_date)
{
	int64_t y = 1980 + ((dos_date >> 9) & 0x7f);
	int mon0 = ((dos_date >> 5) & 0xf) - 1; /* -1..14 */
	int64_t days;

	/* Month 0 is December of the year before, 13..15 fall into the next year. */
	if (mon0 < 0) {
		mon0 += 12;
		y--;
	} else if (mon0 >= 12) {
		mon0 -= 12;
		y++;
	}
	days = days_before_year(y) + days_before_month(y, mon0) + (dos_date & 0x1f) - 1;
	return days * DAY + ((dos_time >> 11) & 0x1f) * 3600 + ((dos_time >> 5) & 0x3f) * 60 +
	       (dos_time & 0x1f) * 2;
}

void dostime__ut_field(int64_t t, unsigned char ut[DOSTIME_UT_LEN])
{
	uint32_t v = t < 0 ? 0 : t > INT32_MAX ? INT32_MAX : (uint32_t)t;

	ut[0] = 1;
	for (int i = 0; i < 4; i++)
		ut[1 + i] = (unsigned char)(v >> (8 * i));
}
