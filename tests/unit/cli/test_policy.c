// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The shared option parser of prune, run and verify: one table, one parser, one help. */
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

#include "policy.h"
#include "util.h"

enum { OWN_TREE = 256 };

static const struct option own[] = {
	{"tree", required_argument, NULL, OWN_TREE},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static const struct option *find(const struct option *opts, const char *name)
{
	for (const struct option *o = opts; o->name; o++) {
		if (!strcmp(o->name, name))
			return o;
	}
	return NULL;
}

/*
 * Run getopt_long over words (NULL-terminated) with cmd's table, as a command does; the
 * command's own --tree lands in *tree. 0, or the first failure of the parser.
 */
static int parse(enum policy_cmd cmd, struct prune_policy *p, const char **tree, char **words)
{
	struct option *opts = policy_cli__options(cmd, own);
	char *argv[32] = {"slimzip"};
	int argc = 1, c, err = 0;

	assert_non_null(opts);
	for (; words[argc - 1]; argc++)
		argv[argc] = words[argc - 1];
	optind = 1;
	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == OWN_TREE) {
			*tree = optarg;
			continue;
		}
		err = policy_cli__parse(p, c, optarg);
		/* Anything the table does not know is the command's business, or a bad option. */
		if (err > 0)
			err = -EINVAL;
	}
	free(opts);
	return err;
}

static void test_options_by_command(void **state)
{
	static const char *const both[] = {
		"keep-created", "drop",		  "level",	  "mtime",	 "modes",
		"tree-path-as", "no-rule-python", "no-rule-node", "no-rule-elf", "no-rules"};
	static const char *const prune_only[] = {"keep",  "keep-from",	 "dry-run",
						 "force", "strict-host", "no-strict-host"};
	struct option *p = policy_cli__options(POLICY_PRUNE, own);
	struct option *v = policy_cli__options(POLICY_VERIFY, own);

	assert_non_null(p);
	assert_non_null(v);
	/* The command's own come first, unchanged. */
	assert_string_equal(p[0].name, "tree");
	assert_int_equal(p[0].val, OWN_TREE);
	assert_string_equal(v[1].name, "help");
	for (size_t i = 0; i < sizeof(both) / sizeof(*both); i++) {
		assert_non_null(find(p, both[i]));
		assert_non_null(find(v, both[i]));
		assert_true(find(p, both[i])->val >= POLICY_OPT_BASE);
	}
	for (size_t i = 0; i < sizeof(prune_only) / sizeof(*prune_only); i++) {
		assert_non_null(find(p, prune_only[i]));
		assert_null(find(v, prune_only[i]));
	}
	/* One --no-rule-NAME per rule of the table. */
	for (size_t i = 0; i < rules__count(); i++) {
		char name[64];

		snprintf(name, sizeof(name), "no-rule-%s", rules__name(i));
		assert_non_null(find(v, name));
		assert_int_equal(find(v, name)->has_arg, no_argument);
	}
	free(p);
	free(v);
}

static void test_parse_fills_the_policy(void **state)
{
	char *words[] = {"--keep",
			 "lib/**",
			 "--drop",
			 "*.md",
			 "--level",
			 "3",
			 "--mtime",
			 "fixed",
			 "--tree",
			 "/t",
			 "--tree-path-as",
			 "/var/task",
			 "--no-rule-node",
			 "--force",
			 "--dry-run",
			 "--modes",
			 "keep",
			 "--keep-created",
			 NULL};
	struct prune_policy p;
	const char *tree = NULL;

	assert_int_equal(policy_cli__init(&p), 0);
	assert_int_equal(parse(POLICY_PRUNE, &p, &tree, words), 0);
	assert_string_equal(tree, "/t");
	assert_int_equal(globs__count(p.globs), 2);
	assert_int_equal(globs__action(p.globs, 0), GLOB_KEEP);
	assert_string_equal(globs__pattern(p.globs, 0), "lib/**");
	assert_int_equal(globs__action(p.globs, 1), GLOB_DROP);
	assert_int_equal(p.zip.level, 3);
	assert_int_equal(p.zip.mtime_mode, ZIPWRITE_MTIME_FIXED);
	assert_int_equal(p.zip.modes, ZIPWRITE_MODES_KEEP);
	assert_string_equal(p.recorded_at, "/var/task");
	/* Off by name: only node's bit. */
	assert_int_equal(p.rules.off, 1u << rules__find("node"));
	assert_true(p.force);
	assert_true(p.dry_run);
	assert_true(p.keep_created);
	assert_true(p.given & PRUNE_GIVEN_KEEP_CREATED);
	prune_policy__release(&p);
}

/* --strict-host: on in CI (CI set and not "false" or "0"), the options win either way. */
static void test_strict_host_and_ci(void **state)
{
	static const struct {
		const char *ci; /* NULL: unset */
		bool strict;
	} envs[] = {{NULL, false}, {"", false},	   {"false", false},
		    {"0", false},  {"true", true}, {"1", true}};
	char *on[] = {"--strict-host", NULL}, *off[] = {"--no-strict-host", NULL};
	char *both[] = {"--no-strict-host", "--strict-host", NULL};
	const char *tree = NULL;
	struct prune_policy p;

	for (size_t i = 0; i < sizeof(envs) / sizeof(*envs); i++) {
		if (envs[i].ci)
			setenv("CI", envs[i].ci, 1);
		else
			unsetenv("CI");
		assert_int_equal(policy_cli__init(&p), 0);
		if (p.strict_host != envs[i].strict)
			fail_msg("CI=%s: strict_host %d", envs[i].ci ? envs[i].ci : "(unset)",
				 p.strict_host);
		assert_int_equal(parse(POLICY_PRUNE, &p, &tree, envs[i].strict ? off : on), 0);
		assert_true(p.strict_host == !envs[i].strict);
		prune_policy__release(&p);
	}
	assert_int_equal(policy_cli__init(&p), 0);
	assert_int_equal(parse(POLICY_PRUNE, &p, &tree, both), 0);
	assert_true(p.strict_host); /* the last one given */
	prune_policy__release(&p);
	unsetenv("CI");
}

static void test_defaults_and_no_rules(void **state)
{
	char *words[] = {"--no-rule-elf", "--no-rules", NULL};
	struct prune_policy p;
	const char *tree = NULL;

	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(policy_cli__init(&p), 0);
	assert_int_equal(p.rules.off, 0); /* every rule on */
	assert_int_equal(p.zip.level, ZIPWRITE_DEFAULT_LEVEL);
	assert_int_equal(p.zip.mtime_mode, ZIPWRITE_MTIME_KEEP);
	assert_int_equal(p.zip.modes, ZIPWRITE_MODES_LAMBDA); /* what Lambda needs */
	assert_null(p.recorded_at);
	assert_false(p.force || p.dry_run);
	assert_int_equal(globs__count(p.globs), 0);
	assert_int_equal(parse(POLICY_VERIFY, &p, &tree, words), 0);
	assert_int_equal(p.rules.off, RULES_ALL_OFF);
	prune_policy__release(&p);

	/* SOURCE_DATE_EPOCH switches the default entry time. */
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(policy_cli__init(&p), 0);
	assert_int_equal(p.zip.mtime_mode, ZIPWRITE_MTIME_EPOCH);
	assert_int_equal(p.zip.epoch, 1700000000);
	prune_policy__release(&p);
	setenv("SOURCE_DATE_EPOCH", "soon", 1);
	assert_int_equal(policy_cli__init(&p), -EINVAL);
	prune_policy__release(&p);
	unsetenv("SOURCE_DATE_EPOCH");
}

/* Each bad value is refused, naming the option. */
static void test_errors_name_the_option(void **state)
{
	static const struct {
		const char *opt, *value, *word;
		int err;
	} cases[] = {
		{"--level", "12", "--level", -EINVAL},
		{"--mtime", "soon", "soon", -EINVAL},
		{"--modes", "0644", "--modes: '0644' is not lambda or keep", -EINVAL},
		{"--keep", "a[b", "--keep", -EINVAL},
		{"--drop", "!x", "--drop", -EINVAL},
		{"--tree-path-as", "var/task", "not an absolute path", -EINVAL},
		{"--keep-from", "/nonexistent/list", "--keep-from", -ENOENT},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *words[] = {(char *)cases[i].opt, (char *)cases[i].value, NULL};
		struct prune_policy p;
		const char *tree = NULL;

		assert_int_equal(policy_cli__init(&p), 0);
		assert_int_equal(parse(POLICY_PRUNE, &p, &tree, words), cases[i].err);
		if (!strstr(slz_errmsg(), cases[i].word))
			fail_msg("%s %s: message '%s' lacks '%s'", cases[i].opt, cases[i].value,
				 slz_errmsg(), cases[i].word);
		prune_policy__release(&p);
	}
}

static void test_not_ours(void **state)
{
	struct prune_policy p;

	assert_int_equal(policy_cli__init(&p), 0);
	/* A command's own options and getopt's '?' are left to the command. */
	assert_int_equal(policy_cli__parse(&p, 'o', "x"), 1);
	assert_int_equal(policy_cli__parse(&p, '?', NULL), 1);
	assert_int_equal(policy_cli__parse(&p, OWN_TREE, "x"), 1);
	/* Past the last rule's option there is nothing. */
	assert_int_equal(policy_cli__parse(&p, POLICY_OPT_BASE + 1000, NULL), 1);
	assert_int_equal(p.rules.off, 0);
	prune_policy__release(&p);
}

static char *usage_of(enum policy_cmd cmd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	policy_cli__usage(f, cmd, 25);
	fclose(f);
	return buf;
}

static void test_usage_from_the_tables(void **state)
{
	char *p = usage_of(POLICY_PRUNE), *v = usage_of(POLICY_VERIFY);

	/* The rules' line comes from the rules table. */
	assert_non_null(strstr(p, "  --no-rule-python, --no-rule-node, --no-rule-elf, --no-rules\n"
				  "                         switch closure rules off"));
	assert_non_null(strstr(v, "--no-rule-elf, --no-rules\n"));
	/* Descriptions start at the column; a long name keeps two spaces. */
	assert_non_null(strstr(
		p,
		"\n  --level 0-9            deflate level N as in zip -N; 0 stores (default 6)\n"));
	assert_non_null(strstr(p, "\n  --mtime keep|fixed|EPOCH  entry times: the files' own"));
	assert_non_null(strstr(p, "SOURCE_DATE_EPOCH\n                         switches to it)"));
	assert_non_null(strstr(p, "  --keep GLOB "));
	/* verify is shown only what it takes. */
	assert_null(strstr(v, "--keep "));
	assert_null(strstr(v, "--keep-from"));
	assert_non_null(strstr(v, "  --keep-created "));
	assert_null(strstr(v, "--force"));
	assert_null(strstr(v, "--dry-run"));
	assert_non_null(strstr(v, "  --drop GLOB "));
	assert_non_null(strstr(v, "\n  --modes lambda|keep    entry modes: what Lambda needs"));
	free(p);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_by_command),
		cmocka_unit_test(test_parse_fills_the_policy),
		cmocka_unit_test(test_strict_host_and_ci),
		cmocka_unit_test(test_defaults_and_no_rules),
		cmocka_unit_test(test_errors_name_the_option),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_usage_from_the_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
