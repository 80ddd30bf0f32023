// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "dostime.h"
#include "tz.h"

/* The fields as libc computes them in plain UTC (no leap seconds): the reference. */
static void libc_fields(int64_t t, uint16_t *dt, uint16_t *dd)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(gmtime_r(&tt, &tm));
	*dd = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
	*dt = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec >> 1));
}

static int64_t libc_unix(uint16_t dt, uint16_t dd)
{
	struct tm tm = {
		.tm_year = ((dd >> 9) & 0x7f) + 80,
		.tm_mon = ((dd >> 5) & 0xf) - 1,
		.tm_mday = dd & 0x1f,
		.tm_hour = (dt >> 11) & 0x1f,
		.tm_min = (dt >> 5) & 0x3f,
		.tm_sec = (dt & 0x1f) * 2,
	};

	return (int64_t)timegm(&tm);
}

/* Every day from 1980 to 2107, at a time of day that moves through the whole day. */
static void test_from_unix_matches_libc(void **state)
{
	char *saved = tz_set("UTC");
	uint16_t t, d, et, ed;

	for (int64_t s = DOSTIME_MIN; s <= DOSTIME_MAX; s += 86400 - 7) {
		dostime__from_unix(s, &t, &d);
		libc_fields(s, &et, &ed);
		if (t != et || d != ed)
			fail_msg("%lld: %04x %04x, libc %04x %04x", (long long)s, d, t, ed, et);
		assert_int_equal(dostime__to_unix(t, d), s & ~1LL);
	}
	tz_restore(saved);
}

/* All dates with a few times, all times with a few dates: the odd fields carry like timegm(). */
static void test_to_unix_matches_timegm(void **state)
{
	static const uint16_t times[] = {0, 0xbf7d, 0xffff, 0x0001};
	static const uint16_t dates[] = {0x0021, 0xff9f, 0x0000, 0xffff};
	char *saved = tz_set("UTC");

	for (uint32_t d = 0; d <= 0xffff; d++)
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
			if (dostime__to_unix(times[i], (uint16_t)d) !=
			    libc_unix(times[i], (uint16_t)d))
				fail_msg("date %04x time %04x", d, times[i]);
	for (uint32_t t = 0; t <= 0xffff; t++)
		for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
			if (dostime__to_unix((uint16_t)t, dates[i]) !=
			    libc_unix((uint16_t)t, dates[i]))
				fail_msg("date %04x time %04x", dates[i], t);
	tz_restore(saved);
}

static void test_clamps(void **state)
{
	uint16_t t, d;

	dostime__from_unix(DOSTIME_MIN, &t, &d);
	assert_int_equal(d, 0x21); /* 1980-01-01 */
	assert_int_equal(t, 0);
	dostime__from_unix(0, &t, &d);
	assert_int_equal(d, 0x21);
	assert_int_equal(t, 0);
	dostime__from_unix(-5000000000LL, &t, &d);
	assert_int_equal(dostime__to_unix(t, d), DOSTIME_MIN);
	dostime__from_unix(DOSTIME_MAX + 100, &t, &d);
	assert_int_equal(d, (127 << 9) | (12 << 5) | 31); /* 2107-12-31 */
	assert_int_equal(t, (23 << 11) | (59 << 5) | 29); /* 23:59:58 */
	assert_int_equal(dostime__to_unix(t, d), DOSTIME_MAX);
	dostime__from_unix(1700000001, &t, &d); /* odd seconds round down */
	assert_int_equal(dostime__to_unix(t, d), 1700000000);
	/* 2100 is no leap year: March 1st follows February 28th. */
	dostime__from_unix(4107542400LL, &t, &d); /* 2100-03-01 00:00:00 UTC */
	assert_int_equal(d, (120 << 9) | (3 << 5) | 1);
}

/*
 * A "right/" zone makes glibc's gmtime_r() and timegm() count leap seconds (27 by 2023): DOS
 * times must not move with it, nor with a zone that has DST.
 */
static void test_ignores_tz(void **state)
{
	static const char *const zones[] = {"right/America/New_York", "America/New_York",
					    "Asia/Kolkata", "right/UTC"};
	/* 2023-11-14 22:13:20 UTC */
	const uint16_t ed = (43 << 9) | (11 << 5) | 14, et = (22 << 11) | (13 << 5) | 10;
	uint16_t t, d;

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		char *saved = tz_set(zones[i]);

		dostime__from_unix(1700000000, &t, &d);
		assert_int_equal(d, ed);
		assert_int_equal(t, et);
		assert_int_equal(dostime__to_unix(et, ed), 1700000000);
		tz_restore(saved);
	}
}

/* The UT field: flags 1 and the exact second, little-endian; clamped to 32 signed bits. */
static void test_ut_field(void **state)
{
	static const struct {
		int64_t t;
		unsigned char want[DOSTIME_UT_LEN];
	} cases[] = {
		{1700000001, {1, 0x01, 0xf1, 0x53, 0x65}},
		{0, {1, 0, 0, 0, 0}},
		{-5, {1, 0, 0, 0, 0}},
		{(int64_t)1 << 40, {1, 0xff, 0xff, 0xff, 0x7f}},
	};
	unsigned char ut[DOSTIME_UT_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		dostime__ut_field(cases[i].t, ut);
		assert_memory_equal(ut, cases[i].want, DOSTIME_UT_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_unix_matches_libc),
		cmocka_unit_test(test_to_unix_matches_timegm),
		cmocka_unit_test(test_clamps),
		cmocka_unit_test(test_ignores_tz),
		cmocka_unit_test(test_ut_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
