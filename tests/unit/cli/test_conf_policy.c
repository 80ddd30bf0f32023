// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A [function] section prunes exactly as `slimzip prune` with the same options: the policy
 * conf_function__policy fills describes (prune_policy__describe: what a zip records) the same
 * as the one prune's option parser fills, and says it gave the same options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "policy.h"
#include "util.h"

static const struct option own[] = {{0}};

/* words: prune's options, NULL-terminated, parsed as cmd_prune does. */
static void cli_policy(struct prune_policy *p, char **words)
{
	struct option *opts = policy_cli__options(POLICY_PRUNE, own);
	char *argv[32] = {"slimzip"};
	int argc = 1, c;

	assert_non_null(opts);
	assert_int_equal(policy_cli__init(p), 0);
	for (; words[argc - 1]; argc++)
		argv[argc] = words[argc - 1];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1)
		if (policy_cli__parse(p, c, optarg))
			fail_msg("option refused: %s", slz_errmsg());
	free(opts);
}

static void conf_policy(struct prune_policy *p, const char *section)
{
	struct conf *c = NULL;

	if (conf__parse_string(section, "t.conf", "/", CONF_DAEMON, &c))
		fail_msg("refused: %s", slz_errmsg());
	assert_int_equal(policy_cli__init(p), 0);
	assert_int_equal(conf_function__policy(conf__function(c, 0), p), 0);
	conf__free(c);
}

static void same(const char *section, char **words)
{
	struct prune_policy a, b;
	char *da = NULL, *db = NULL;

	conf_policy(&a, section);
	cli_policy(&b, words);
	assert_int_equal(prune_policy__describe(&a, "1", &da), 0);
	assert_int_equal(prune_policy__describe(&b, "1", &db), 0);
	assert_string_equal(da, db);
	assert_int_equal(a.given, b.given);
	assert_int_equal(a.rules.off, b.rules.off);
	assert_int_equal(a.keep_created, b.keep_created);
	assert_int_equal(a.strict_host, b.strict_host);
	free(da);
	free(db);
	prune_policy__release(&a);
	prune_policy__release(&b);
}

static void test_same_as_prune(void **state)
{
	unsetenv("SOURCE_DATE_EPOCH");
	unsetenv("CI");
	same("[function f]\ntree = /t\n", (char *[]){NULL});
	same("[function f]\ntree = /t\n"
	     "keep = *.json\nkeep = lib/**\ndrop = tests/\ndrop = *.md\n"
	     "rules = python\nmodes = keep\nmtime = fixed\nlevel = 0\n"
	     "tree-path-as = /var/task\nkeep-created = yes\nstrict-host = yes\n",
	     (char *[]){"--keep-created", "--strict-host",  "--keep",
			"*.json",	  "--drop",	    "tests/",
			"--keep",	  "lib/**",	    "--drop",
			"*.md",		  "--no-rule-node", "--no-rule-elf",
			"--modes",	  "keep",	    "--mtime",
			"fixed",	  "--level",	    "0",
			"--tree-path-as", "/var/task",	    NULL});
	same("[function f]\ntree = /t\nrules = none\nmtime = 1700000000\n",
	     (char *[]){"--no-rules", "--mtime", "1700000000", NULL});
	same("[function f]\ntree = /t\nrules = node, elf\nmodes = lambda\n",
	     (char *[]){"--no-rule-python", "--modes", "lambda", NULL});
}

/* $CI makes host packages refused under a section as under prune; strict-host = no beats it. */
static void test_ci(void **state)
{
	setenv("CI", "true", 1);
	same("[function f]\ntree = /t\n", (char *[]){NULL});
	same("[function f]\ntree = /t\nstrict-host = no\n", (char *[]){"--no-strict-host", NULL});
	unsetenv("CI");
}

/* SOURCE_DATE_EPOCH applies under a section as under prune, and an mtime key beats it. */
static void test_source_date_epoch(void **state)
{
	setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
	same("[function f]\ntree = /t\n", (char *[]){NULL});
	same("[function f]\ntree = /t\nmtime = keep\n", (char *[]){"--mtime", "keep", NULL});
	unsetenv("SOURCE_DATE_EPOCH");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_prune),
		cmocka_unit_test(test_ci),
		cmocka_unit_test(test_source_date_epoch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
