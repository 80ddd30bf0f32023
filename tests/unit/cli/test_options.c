// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli_getopt: -q/-v after the subcommand, and a one-value option given twice refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cli.h"
#include "options.h"

enum { OPT_TREE = 256, OPT_PROFILE, OPT_DRY };

static const struct option opts[] = {
	{"tree", required_argument, NULL, OPT_TREE},
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"dry-run", no_argument, NULL, OPT_DRY},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{0},
};
static const int repeatable[] = {OPT_PROFILE, 0};

static int reset(void **state)
{
	memset(&cli, 0, sizeof(cli));
	return 0;
}

static void test_quiet_and_verbose_after_the_subcommand(void **state)
{
	char *argv[] = {"prune", "--tree", "t", "-q", "-vv", "--verbose", "--quiet", NULL};
	struct cli_getopt g;

	assert_int_equal(cli_getopt__init(&g, "prune", "+ho:", opts, repeatable), 0);
	assert_int_equal(cli_getopt__next(&g, 7, argv), OPT_TREE);
	assert_string_equal(optarg, "t");
	assert_int_equal(cli_getopt__next(&g, 7, argv), -1);
	assert_true(cli.quiet);
	assert_int_equal(cli.verbose, 3);
}

static void test_one_value_option_twice_is_refused(void **state)
{
	char *argv[] = {"prune", "--tree", "a", "--tree=b", NULL};
	char *shortv[] = {"prune", "-o", "a.zip", "--output", "b.zip", NULL};
	struct cli_getopt g;

	assert_int_equal(cli_getopt__init(&g, "prune", "+ho:", opts, repeatable), 0);
	assert_int_equal(cli_getopt__next(&g, 4, argv), OPT_TREE);
	assert_int_equal(cli_getopt__next(&g, 4, argv), CLI_GETOPT_TWICE);
	/* -o and --output are one option. */
	assert_int_equal(cli_getopt__init(&g, "prune", "+ho:", opts, repeatable), 0);
	assert_int_equal(cli_getopt__next(&g, 5, shortv), 'o');
	assert_int_equal(cli_getopt__next(&g, 5, shortv), CLI_GETOPT_TWICE);
}

static void test_repeatable_and_flags_may_repeat(void **state)
{
	char *argv[] = {"prune",     "--profile", "a",	"--profile", "b",
			"--dry-run", "--dry-run", "-h", NULL};
	struct cli_getopt g;

	assert_int_equal(cli_getopt__init(&g, "prune", "+ho:", opts, repeatable), 0);
	assert_int_equal(cli_getopt__next(&g, 8, argv), OPT_PROFILE);
	assert_int_equal(cli_getopt__next(&g, 8, argv), OPT_PROFILE);
	assert_string_equal(optarg, "b");
	assert_int_equal(cli_getopt__next(&g, 8, argv), OPT_DRY);
	assert_int_equal(cli_getopt__next(&g, 8, argv), OPT_DRY);
	assert_int_equal(cli_getopt__next(&g, 8, argv), 'h');
	assert_int_equal(cli_getopt__next(&g, 8, argv), -1);
}

/* '+' still stops at the command, so the workload's own -q is its own. */
static void test_leading_flags_kept(void **state)
{
	char *argv[] = {"run", "--tree", "t", "python3", "-q", NULL};
	struct cli_getopt g;

	assert_int_equal(cli_getopt__init(&g, "run", "+ho:", opts, NULL), 0);
	assert_int_equal(cli_getopt__next(&g, 5, argv), OPT_TREE);
	assert_int_equal(cli_getopt__next(&g, 5, argv), -1);
	assert_int_equal(optind, 3);
	assert_false(cli.quiet);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_quiet_and_verbose_after_the_subcommand, reset),
		cmocka_unit_test_setup(test_one_value_option_twice_is_refused, reset),
		cmocka_unit_test_setup(test_repeatable_and_flags_may_repeat, reset),
		cmocka_unit_test_setup(test_leading_flags_kept, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
