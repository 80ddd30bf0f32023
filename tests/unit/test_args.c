// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "util.h"

static void test_u64_accepts_in_range(void **state)
{
	uint64_t v;

	assert_int_equal(args__u64("--level", "9", 0, 9, &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(args__u64("--level", "0", 0, 9, &v), 0);
	assert_int_equal(v, 0);
}

static void test_u64_rejects_and_names_value(void **state)
{
	const char *bad[] = {"10", "-1", " 1", "1x", "", "0x10", "99999999999999999999999"};
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(args__u64("--level", bad[i], 0, 9, &v), -EINVAL);
		assert_non_null(strstr(slz_errmsg(), "--level"));
		assert_non_null(strstr(slz_errmsg(), bad[i]));
	}
	assert_int_equal(v, 42);
}

static void test_duration_units(void **state)
{
	uint64_t s;

	assert_int_equal(args__duration("--duration", "30", &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(args__duration("--duration", "5m", &s), 0);
	assert_int_equal(s, 300);
	assert_int_equal(args__duration("--duration", "2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(args__duration("--duration", "0", &s), -EINVAL);
	assert_int_equal(args__duration("--duration", "m", &s), -EINVAL);
	assert_int_equal(args__duration("--duration", "3w", &s), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "'3w'"));
}

static void test_fail_can_wrap_its_own_message(void **state)
{
	slz_fail(EINVAL, "inner %s", "reason");
	assert_int_equal(slz_fail(EINVAL, "--opt: %s", slz_errmsg()), -EINVAL);
	assert_string_equal(slz_errmsg(), "--opt: inner reason");
}

static void test_choice(void **state)
{
	const char *const fmts[] = {"text", "json", NULL};

	assert_int_equal(args__choice("--format", "json", fmts), 1);
	assert_int_equal(args__choice("--format", "xml", fmts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "text, json"));
}

static void test_atomic_file_leaves_nothing_on_abort(void **state)
{
	char dir[] = "/tmp/slz-args-XXXXXX", dest[256], tmp[300];
	struct atomic_file *af;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(dest, sizeof(dest), "%s/out", dir);
	assert_int_equal(atomic_file__open(dest, &af), 0);
	snprintf(tmp, sizeof(tmp), "%s", atomic_file__temp_path(af));
	fputs("partial", atomic_file__stream(af));
	atomic_file__abort(af);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(dest, F_OK), -1);

	assert_int_equal(atomic_file__open(dest, &af), 0);
	fputs("whole", atomic_file__stream(af));
	assert_int_equal(atomic_file__commit(af), 0);
	f = fopen(dest, "r");
	assert_non_null(f);
	assert_non_null(fgets(tmp, sizeof(tmp), f));
	assert_string_equal(tmp, "whole");
	fclose(f);
	unlink(dest);
	assert_int_equal(atomic_file__check_writable(dir), -EISDIR);
	rmdir(dir);
	assert_true(atomic_file__check_writable("/nonexistent-dir/x") < 0);
	assert_non_null(strstr(slz_errmsg(), "/nonexistent-dir/x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_accepts_in_range),
		cmocka_unit_test(test_u64_rejects_and_names_value),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_fail_can_wrap_its_own_message),
		cmocka_unit_test(test_atomic_file_leaves_nothing_on_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
