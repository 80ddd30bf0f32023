// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The rules table and its dispatcher: names, switching a rule off by name, stats per rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"
#include "testfs.h"
#include "rules_fixture.h"

static int setup(void **state)
{
	*state = rules_fixture__new("rules-table");
	return 0;
}

/* A Python package inside an npm-style package: both rules have something to add. */
static void mixed_tree(struct fx *f)
{
	file(f, "package.json", "{\"name\":\"app\"}");
	file(f, "app/package.json", "{\"name\":\"inner\"}");
	file(f, "app/__init__.py", "");
	file(f, "app/mod.py", "x = 1\n");
	file(f, "app/__pycache__/mod.cpython-311.pyc", "pyc");
	file(f, "unused.txt", "");
	open_tree(f);
	keep(f, "app/mod.py");
}

/* Entries kept with reason, counted over the whole tree. */
static uint64_t with_reason(const struct fx *f, uint32_t reason)
{
	uint64_t n = 0;

	for (size_t i = 0; i < tree__count(f->t); i++)
		n += (keepset__reasons(f->k, (uint32_t)i) & reason) != 0;
	return n;
}

static void test_table_names(void **state)
{
	assert_int_equal(rules__count(), 3);
	assert_string_equal(rules__name(0), "python");
	assert_string_equal(rules__name(1), "node");
	assert_string_equal(rules__name(2), "elf");
	assert_null(rules__name(rules__count()));
	for (size_t i = 0; i < rules__count(); i++)
		assert_int_equal(rules__find(rules__name(i)), (int)i);
	assert_int_equal(rules__find("nosuch"), -ENOENT);
	assert_int_equal(rules__find(""), -ENOENT);
}

static void test_stats_per_rule(void **state)
{
	struct fx *f = *state;
	static const char *const py[] = {"app/__init__.py", "app/__pycache__/mod.cpython-311.pyc",
					 NULL};
	static const char *const node[] = {"app/package.json", "package.json", NULL};

	mixed_tree(f);
	assert_int_equal(apply(f, true, true, true), 0);
	assert_added(f, rules__reason_named("python"), py);
	assert_added(f, rules__reason_named("node"), node);
	/* Each rule's count is what it added, not what the others did. */
	assert_int_equal(added(f, "python"), 2);
	assert_int_equal(added(f, "node"), 2);
	assert_int_equal(added(f, "elf"), 0);
	assert_int_equal(added(f, "python"), with_reason(f, rules__reason_named("python")));
	assert_int_equal(added(f, "node"), with_reason(f, rules__reason_named("node")));
	for (size_t i = rules__count(); i < RULES_MAX; i++)
		assert_int_equal(f->st.added[i], 0);
	assert_true(f->st.rounds >= 1);
}

static void test_rule_off_by_name_adds_nothing(void **state)
{
	struct fx *f = *state;
	struct rules_opts o = {.off = 1u << rules__find("node")};
	static const char *const none[] = {NULL};
	static const char *const py[] = {"app/__init__.py", "app/__pycache__/mod.cpython-311.pyc",
					 NULL};

	mixed_tree(f);
	assert_int_equal(rules__apply(f->k, &o, &f->st), 0);
	assert_added(f, rules__reason_named("node"), none);
	assert_int_equal(added(f, "node"), 0);
	/* The others still run. */
	assert_added(f, rules__reason_named("python"), py);
	assert_int_equal(added(f, "python"), 2);
}

static void test_all_off_runs_no_round(void **state)
{
	struct fx *f = *state;
	struct rules_opts o = {.off = RULES_ALL_OFF};

	mixed_tree(f);
	f->st.rounds = 7; /* apply resets what it reports */
	assert_int_equal(rules__apply(f->k, &o, &f->st), 0);
	assert_int_equal(f->st.rounds, 0);
	assert_int_equal(keepset__count(f->k), 1);
	/* NULL stats are allowed. */
	o.off = 0;
	assert_int_equal(rules__apply(f->k, &o, NULL), 0);
	assert_int_equal(keepset__count(f->k), 5);
}

static void test_stats_add_sums_rounds(void **state)
{
	struct rules_stats sum = {0}, a = {0}, b = {0};

	a.added[0] = 2;
	a.added[2] = 1;
	a.unresolved[2] = 5;
	a.unreadable = 1;
	a.rounds = 2;
	b.added[0] = 3;
	b.unresolved[2] = 6; /* recounted over the grown keepset: the later count stands */
	b.bad_lines = 4;
	b.rounds = 1;
	rules_stats__add(&sum, &a);
	rules_stats__add(&sum, &b);
	assert_int_equal(sum.added[0], 5);
	assert_int_equal(sum.added[1], 0);
	assert_int_equal(sum.added[2], 1);
	assert_int_equal(sum.unresolved[2], 6);
	assert_int_equal(sum.unreadable, 0);
	assert_int_equal(sum.bad_lines, 4);
	assert_int_equal(sum.rounds, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_names),
		cmocka_unit_test_setup_teardown(test_stats_per_rule, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_rule_off_by_name_adds_nothing, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_all_off_runs_no_round, setup,
						rules_fixture__teardown),
		cmocka_unit_test(test_stats_add_sums_rounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
