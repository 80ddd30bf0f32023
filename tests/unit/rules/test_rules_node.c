// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"
#include "testfs.h"
#include "rules_fixture.h"

static int setup(void **state)
{
	*state = rules_fixture__new("rules-node");
	return 0;
}

/* npm layout: nested node_modules, a pnpm-style symlinked package, a linked package.json. */
static void node_tree(struct fx *f)
{
	file(f, "package.json", "{\"name\":\"app\"}");
	file(f, "src/app.js", "require('a')");
	file(f, "node_modules/a/package.json", "{\"name\":\"a\"}");
	file(f, "node_modules/a/index.js", "");
	file(f, "node_modules/a/lib/util.js", "");
	file(f, "node_modules/a/node_modules/b/package.json", "{\"name\":\"b\"}");
	file(f, "node_modules/a/node_modules/b/lib/deep/x.js", "");
	file(f, "node_modules/a/node_modules/b/README.md", "");
	file(f, "node_modules/c/package.json", "{\"name\":\"c\"}");
	file(f, "node_modules/c/index.js", "");
	file(f, "node_modules/.pnpm/d@1.0.0/node_modules/d/package.json", "{\"name\":\"d\"}");
	file(f, "node_modules/.pnpm/d@1.0.0/node_modules/d/index.js", "");
	testfs__symlink(f->root, "node_modules/d", ".pnpm/d@1.0.0/node_modules/d");
	file(f, "shared/e.json", "{\"name\":\"e\"}");
	file(f, "node_modules/e/index.js", "");
	testfs__symlink(f->root, "node_modules/e/package.json", "../../shared/e.json");
	open_tree(f);
}

static void test_nested_file_keeps_every_package_json_above(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"node_modules/a/node_modules/b/package.json",
		"node_modules/a/package.json",
		"package.json",
		NULL,
	};

	node_tree(f);
	keep(f, "node_modules/a/node_modules/b/lib/deep/x.js");
	assert_int_equal(apply(f, false, true, false), 0);
	assert_added(f, rules__reason_named("node"), want);
	assert_int_equal(added(f, "node"), 3);
	assert_int_equal(added(f, "python") + added(f, "elf"), 0);
}

static void test_sibling_files_share_the_walk(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {"node_modules/a/package.json", "package.json", NULL};

	node_tree(f);
	keep(f, "node_modules/a/index.js");
	keep(f, "node_modules/a/lib/util.js");
	keep(f, "src/app.js");
	assert_int_equal(apply(f, false, true, false), 0);
	assert_added(f, rules__reason_named("node"), want);
}

static void test_pnpm_real_path_keeps_store_package_json(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"node_modules/.pnpm/d@1.0.0/node_modules/d/package.json",
		"package.json",
		NULL,
	};

	node_tree(f);
	keep(f, "node_modules/.pnpm/d@1.0.0/node_modules/d/index.js");
	assert_int_equal(apply(f, false, true, false), 0);
	assert_added(f, rules__reason_named("node"), want);
}

static void test_linked_package_json_keeps_its_target(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"node_modules/e/package.json",
		"shared/e.json",
		"package.json",
		NULL,
	};

	node_tree(f);
	keep(f, "node_modules/e/index.js");
	assert_int_equal(apply(f, false, true, false), 0);
	assert_added(f, rules__reason_named("node"), want);
}

static void test_kept_package_json_is_not_re_added(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {"package.json", NULL};

	node_tree(f);
	keep(f, "node_modules/c/package.json");
	keep(f, "node_modules/c/index.js");
	assert_int_equal(apply(f, false, true, false), 0);
	assert_added(f, rules__reason_named("node"), want);
	assert_int_equal(
		keepset__reasons(f->k, tree__find_path(f->t, "node_modules/c/package.json")),
		KEEP_OPENED);
}

static void test_rule_off_adds_nothing(void **state)
{
	struct fx *f = *state;
	static const char *const none[] = {NULL};

	node_tree(f);
	keep(f, "node_modules/a/node_modules/b/lib/deep/x.js");
	assert_int_equal(apply(f, true, false, true), 0);
	assert_added(f, rules__reason_named("node"), none);
	assert_int_equal(keepset__count(f->k), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nested_file_keeps_every_package_json_above,
						setup, rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_sibling_files_share_the_walk, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_pnpm_real_path_keeps_store_package_json, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_linked_package_json_keeps_its_target, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_kept_package_json_is_not_re_added, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_rule_off_adds_nothing, setup,
						rules_fixture__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
