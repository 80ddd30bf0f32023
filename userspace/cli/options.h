/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every command's getopt_long loop goes through here, so that what holds for all of them is
 * done once: -q/--quiet and -v/--verbose are taken after the subcommand too (main.c takes them
 * before it), and an option that takes one value given twice is refused by name (exit 2)
 * instead of the last one silently winning.
 */
#ifndef SLIMZIP_CLI_OPTIONS_H
#define SLIMZIP_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

/* The command's options plus the global ones; more than any command has. */
#define CLI_GETOPT_MAX 128

/* cli_getopt__next(): an option of one value given a second time, already explained. */
#define CLI_GETOPT_TWICE (-2)

struct cli_getopt {
	const char *cmd; /* for messages: "prune" */
	const int *repeatable;
	struct option all[CLI_GETOPT_MAX + 1];
	char shortopts[64];
	int seen[CLI_GETOPT_MAX];
	int nseen;
};

/*
 * Set g up for cmd's table opts (ended by an all-zero entry) and getopt's shortopts (its
 * leading '+', '-' or ':' kept in front); repeatable: the values of the options that take a
 * value and may come more than once (--profile, --keep), ended by 0, or NULL (the shared policy
 * options say their own: policy_cli__repeatable). Resets getopt (optind = 1, opterr = 0). 0, or
 * -E2BIG for a table too large (a programming error).
 */
int cli_getopt__init(struct cli_getopt *g, const char *cmd, const char *shortopts,
		     const struct option *opts, const int *repeatable);
/*
 * getopt_long() over g's table: the same results, except that -q and -v are applied to cli
 * and skipped, and a second occurrence of a one-value option gives CLI_GETOPT_TWICE after one
 * line naming it (return EXIT_USAGE then).
 */
int cli_getopt__next(struct cli_getopt *g, int argc, char **argv);

#endif
