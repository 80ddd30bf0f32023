/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The options that fill a prune_policy, shared by prune, run and verify: one table (with the
 * help text), one parser. The closure rules' options come from the rules table: --no-rule-NAME
 * for each rule, and --no-rules. verify takes the options that shape a rewritten zip, prune and
 * run take them all.
 */
#ifndef SLIMZIP_CLI_POLICY_H
#define SLIMZIP_CLI_POLICY_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "prune_policy.h"

/* getopt_long values of the shared options start here; a command's own stay below it. */
#define POLICY_OPT_BASE 0x1000

/* Which commands take an option. */
enum policy_cmd {
	POLICY_PRUNE = 1u << 0, /* prune and run */
	POLICY_VERIFY = 1u << 1,
};

/*
 * The defaults (prune_policy__init()) with SOURCE_DATE_EPOCH applied, and --strict-host on
 * when the environment says it is a CI job (CI set, and not "false" or "0"), as every command
 * starts.
 * 0 or -errno, explained by slz_errmsg(); release p either way.
 */
int policy_cli__init(struct prune_policy *p);
/*
 * The getopt_long table of a command: its own options (own, ended by an all-zero entry) and
 * the shared ones cmd takes. One malloc'd block, names included: free() it. NULL when out of
 * memory.
 */
struct option *policy_cli__options(enum policy_cmd cmd, const struct option *own);
/*
 * Take one getopt_long result into p: 1 when c is not a shared option, else 0 or -errno with
 * slz_errmsg() naming the option (-ENOENT for a --keep-from file that cannot be read).
 */
int policy_cli__parse(struct prune_policy *p, int c, const char *arg);
/* Whether shared option c may come more than once (--keep, --drop, --keep-from add up). */
bool policy_cli__repeatable(int c);
/* The help of the shared options cmd takes, descriptions from column col. */
void policy_cli__usage(FILE *f, enum policy_cmd cmd, int col);

#endif
