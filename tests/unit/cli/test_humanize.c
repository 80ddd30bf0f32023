// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "humanize.h"

static void test_humanize(void **state)
{
	char b[32];

	assert_string_equal(humanize_bytes(512, b, sizeof(b)), "512 B");
	assert_string_equal(humanize_bytes(1536, b, sizeof(b)), "1.50 KiB");
	assert_string_equal(humanize_bytes(52428800, b, sizeof(b)), "50.0 MiB");
	assert_string_equal(humanize_count(1234567, b, sizeof(b)), "1,234,567");
	assert_string_equal(humanize_count(999, b, sizeof(b)), "999");
}

static void test_humanize_edges(void **state)
{
	char b[32];

	assert_string_equal(humanize_count(0, b, sizeof(b)), "0");
	assert_string_equal(humanize_count(1000, b, sizeof(b)), "1,000");
	assert_string_equal(humanize_bytes(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(humanize_bytes(1024, b, sizeof(b)), "1.00 KiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_humanize),
		cmocka_unit_test(test_humanize_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
