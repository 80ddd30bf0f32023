/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The options prune, run and verify share, in one table with one parser. The closure rules'
 * options come from the rules table: --no-rule-NAME for each rule, and --no-rules.
 */
#ifndef SLIMZIP_CLI_POLICY_H
#define SLIMZIP_CLI_POLICY_H

#include <getopt.h>
#include <stdio.h>

#include "rules.h"

/* getopt_long values of the shared options start here; a command's own stay below it. */
#define POLICY_OPT_BASE 0x1000

/*
 * A command's getopt_long table: its own options (own, ended by an all-zero entry) followed by
 * the shared ones. One malloc'd block, names included: free() it. NULL when out of memory.
 */
struct option *policy_cli__options(const struct option *own);
/* Parse one getopt_long result: 1 when c is not a shared option, else 0 or -errno. */
int policy_cli__parse(struct rules_opts *rules, int c, const char *arg);
/* The shared options' help, descriptions starting at column col. */
void policy_cli__usage(FILE *f, int col);

#endif
