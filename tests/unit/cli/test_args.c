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

/* Unset or empty leaves the value alone; set, it is args__u64's, named by the variable. */
static void test_env_u64(void **state)
{
	uint64_t v = 42;

	unsetenv("SLZ_TEST_ARGS_N");
	assert_int_equal(args__env_u64("SLZ_TEST_ARGS_N", 1, 9, &v), 0);
	assert_int_equal(v, 42);
	setenv("SLZ_TEST_ARGS_N", "", 1);
	assert_int_equal(args__env_u64("SLZ_TEST_ARGS_N", 1, 9, &v), 0);
	assert_int_equal(v, 42);
	setenv("SLZ_TEST_ARGS_N", "7", 1);
	assert_int_equal(args__env_u64("SLZ_TEST_ARGS_N", 1, 9, &v), 0);
	assert_int_equal(v, 7);
	setenv("SLZ_TEST_ARGS_N", "0", 1);
	assert_int_equal(args__env_u64("SLZ_TEST_ARGS_N", 1, 9, &v), -EINVAL);
	assert_int_equal(v, 7);
	assert_non_null(strstr(slz_errmsg(), "SLZ_TEST_ARGS_N"));
	unsetenv("SLZ_TEST_ARGS_N");
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

static void test_bad_option_messages(void **state)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 1},
		{"tree", required_argument, NULL, 2},
		{"tree-path-as", required_argument, NULL, 3},
		{0},
	};
	char *argv[] = {"prune", "--dryrun", "--tree", "--dry-run=1", "--zzzzzz", "-q", NULL};

	/* optind points past the offending argument, as getopt_long leaves it. */
	assert_int_equal(args__bad_option("prune", argv, 2, 0, opts), -EINVAL);
	assert_string_equal(slz_errmsg(), "unknown option '--dryrun' (did you mean --dry-run? see "
					  "'slimzip prune --help')");
	assert_int_equal(args__bad_option("prune", argv, 3, 2, opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "option '--tree' needs a value"));
	assert_int_equal(args__bad_option("prune", argv, 4, 1, opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "option '--dry-run' takes no value"));
	assert_int_equal(args__bad_option("prune", argv, 5, 0, opts), -EINVAL);
	assert_null(strstr(slz_errmsg(), "did you mean"));
	assert_non_null(strstr(slz_errmsg(), "'--zzzzzz'"));
	assert_int_equal(args__bad_option("prune", argv, 6, 'q', opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "'-q'"));

	/* -xq after --dry-run: getopt has not moved past the cluster, optind-1 is --dry-run. */
	char *cluster[] = {"prune", "--dry-run", "-xq", NULL};
	assert_int_equal(args__bad_option("prune", cluster, 2, 'x', opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "'-x'"));
	/* An unambiguous prefix is the option itself; an ambiguous one is called so. */
	char *prefix[] = {"prune", "--dry", "--tree-p", "--tre", NULL};
	assert_int_equal(args__bad_option("prune", prefix, 2, 1, opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "option '--dry-run' takes no value"));
	assert_int_equal(args__bad_option("prune", prefix, 3, 3, opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "option '--tree-path-as' needs a value"));
	assert_int_equal(args__bad_option("prune", prefix, 4, 0, opts), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "'--tre' is ambiguous"));
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

static void check_join(char *const *argv, const char *want)
{
	char *got = slz_shell_join(argv);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_shell_join_quotes_what_needs_it(void **state)
{
	char *plain[] = {"/usr/bin/python3", "-S", "handler.py", "--x=a,b:c+d@e%f", NULL};
	char *spaces[] = {"python3", "-c", "import json, sqlite3", NULL};
	char *quote[] = {"echo", "it's", "", "$HOME", "a*b", "tab\there", NULL};
	char *none[] = {NULL};

	check_join(plain, "/usr/bin/python3 -S handler.py --x=a,b:c+d@e%f");
	check_join(spaces, "python3 -c 'import json, sqlite3'");
	check_join(quote, "echo 'it'\\''s' '' '$HOME' 'a*b' 'tab\there'");
	check_join(none, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_accepts_in_range),
		cmocka_unit_test(test_u64_rejects_and_names_value),
		cmocka_unit_test(test_env_u64),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_bad_option_messages),
		cmocka_unit_test(test_fail_can_wrap_its_own_message),
		cmocka_unit_test(test_atomic_file_leaves_nothing_on_abort),
		cmocka_unit_test(test_shell_join_quotes_what_needs_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
