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
	*state = rules_fixture__new("rules-py");
	return 0;
}

/* A site-packages style tree: packages, byte code, two distributions, one unrelated. */
static void python_tree(struct fx *f)
{
	file(f, "app.py", "import pkg.sub.mod\n");
	file(f, "pkg/__init__.py", "");
	file(f, "pkg/__pycache__/__init__.cpython-311.pyc", "pyc");
	file(f, "pkg/data.txt", "data");
	file(f, "pkg/sub/__init__.py", "");
	file(f, "pkg/sub/mod.py", "x = 1\n");
	file(f, "pkg/sub/other.py", "y = 1\n");
	file(f, "pkg/sub/__pycache__/mod.cpython-311.pyc", "pyc");
	file(f, "pkg/sub/__pycache__/mod.cpython-311.opt-1.pyc", "pyc");
	file(f, "pkg/sub/__pycache__/other.cpython-311.pyc", "pyc");
	file(f, "pkg/sub/__pycache__/modx.cpython-311.pyc", "pyc");
	file(f, "pkg/with,comma.py", "");
	file(f, "bin/pkg-tool", "#!/bin/sh\n");
	file(f, "pkg-1.0.dist-info/METADATA", "Name: pkg\n");
	file(f, "pkg-1.0.dist-info/INSTALLER", "pip\n");
	file(f, "pkg-1.0.dist-info/RECORD",
	     "pkg/__init__.py,sha256=abc,0\r\n"
	     "pkg/sub/__init__.py,,\n"
	     "pkg/sub/mod.py,sha256=def,6\n"
	     "\"pkg/with,comma.py\",,\n"
	     "bin/pkg-tool,,\n"
	     "../../outside/file,,\n"
	     "pkg-1.0.dist-info/RECORD,,\n");
	file(f, "toplib/__init__.py", "");
	file(f, "toplib/core.py", "");
	file(f, "toplib.cpython-311-x86_64-linux-gnu.so", "not really");
	file(f, "toplib-2.0.dist-info/METADATA", "Name: toplib\n");
	file(f, "toplib-2.0.dist-info/top_level.txt", "toplib\n\n");
	file(f, "unrelated.py", "");
	file(f, "unrelated-1.0.dist-info/RECORD", "unrelated.py,,\n");
	file(f, "ns/pkg2/__init__.py", "");
	file(f, "ns/pkg2/m.py", "");
	open_tree(f);
}

/* On the python tree, keeping rel alone makes the python rule add exactly want. */
static void keep_alone_adds(struct fx *f, const char *rel, const char *const *want)
{
	python_tree(f);
	keep(f, rel);
	assert_int_equal(apply(f, true, false, false), 0);
	assert_added(f, rules__reason_named("python"), want);
}

static void test_pyc_keeps_source_inits_and_distribution(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"pkg/sub/mod.py",
		"pkg/sub/__pycache__/mod.cpython-311.opt-1.pyc",
		"pkg/sub/__init__.py",
		"pkg/__init__.py",
		"pkg/__pycache__/__init__.cpython-311.pyc",
		"pkg-1.0.dist-info",
		"pkg-1.0.dist-info/METADATA",
		"pkg-1.0.dist-info/INSTALLER",
		"pkg-1.0.dist-info/RECORD",
		NULL,
	};

	keep_alone_adds(f, "pkg/sub/__pycache__/mod.cpython-311.pyc", want);
	assert_int_equal(added(f, "python"), 9);
	assert_int_equal(added(f, "node") + added(f, "elf"), 0);
	/* The kept pyc keeps its own reason only. */
	assert_int_equal(
		keepset__reasons(f->k,
				 tree__find_path(f->t, "pkg/sub/__pycache__/mod.cpython-311.pyc")),
		KEEP_OPENED);
	assert_true(f->st.rounds >= 1);
}

static void test_record_maps_quoted_and_script_paths(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"pkg-1.0.dist-info",
		"pkg-1.0.dist-info/METADATA",
		"pkg-1.0.dist-info/INSTALLER",
		"pkg-1.0.dist-info/RECORD",
		"pkg/__init__.py",
		"pkg/__pycache__/__init__.cpython-311.pyc",
		NULL,
	};

	/* Owned through a quoted RECORD path holding a comma. */
	keep_alone_adds(f, "pkg/with,comma.py", want);
}

static void test_script_outside_package_keeps_distribution(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"pkg-1.0.dist-info",
		"pkg-1.0.dist-info/METADATA",
		"pkg-1.0.dist-info/INSTALLER",
		"pkg-1.0.dist-info/RECORD",
		NULL,
	};

	keep_alone_adds(f, "bin/pkg-tool", want);
}

static void test_top_level_maps_package_and_extension(void **state)
{
	struct fx *f = *state;
	static const char *const want_pkg[] = {
		"toplib/__init__.py",
		"toplib-2.0.dist-info",
		"toplib-2.0.dist-info/METADATA",
		"toplib-2.0.dist-info/top_level.txt",
		NULL,
	};

	keep_alone_adds(f, "toplib/core.py", want_pkg);
}

static void test_top_level_extension_module(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"toplib-2.0.dist-info",
		"toplib-2.0.dist-info/METADATA",
		"toplib-2.0.dist-info/top_level.txt",
		NULL,
	};

	keep_alone_adds(f, "toplib.cpython-311-x86_64-linux-gnu.so", want);
}

static void test_metadata_read_keeps_whole_dist_info_only(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"pkg-1.0.dist-info",
		"pkg-1.0.dist-info/INSTALLER",
		"pkg-1.0.dist-info/RECORD",
		NULL,
	};

	keep_alone_adds(f, "pkg-1.0.dist-info/METADATA", want);
}

static void test_init_walk_stops_at_namespace_directory(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {"ns/pkg2/__init__.py", NULL};

	keep_alone_adds(f, "ns/pkg2/m.py", want);
}

static void test_source_keeps_only_its_own_pycs(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"pkg/sub/__pycache__/other.cpython-311.pyc",
		"pkg/sub/__init__.py",
		"pkg/__init__.py",
		"pkg/__pycache__/__init__.cpython-311.pyc",
		/* other.py is in no RECORD, but the package's __init__.py is: transitively kept. */
		"pkg-1.0.dist-info",
		"pkg-1.0.dist-info/METADATA",
		"pkg-1.0.dist-info/INSTALLER",
		"pkg-1.0.dist-info/RECORD",
		NULL,
	};

	keep_alone_adds(f, "pkg/sub/other.py", want);
}

/*
 * A module's compilations are found by name in a sorted __pycache__: names sorting right
 * before and after "<stem>." ('-' and '_' around '.', a longer stem, no dot, upper case)
 * are not its own; a dotted name under the stem's prefix is, as it always was. Two modules
 * of one directory share its sorted list.
 */
static void test_pycs_found_by_name_among_neighbours(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = {
		"A.cpython-311.pyc",	   "a",
		"a-b.cpython-311.pyc",	   "a.cpython-311.pyc",
		"a.cpython-311.opt-2.pyc", "a.b.cpython-311.pyc",
		"a.cpython-311.pyc.x",	   "a_b.cpython-311.pyc",
		"ab.cpython-311.pyc",	   "b.cpython-311.pyc",
	};
	static const char *const want[] = {
		"lib/__pycache__/a.cpython-311.pyc",
		"lib/__pycache__/a.cpython-311.opt-2.pyc",
		"lib/__pycache__/a.b.cpython-311.pyc",
		"lib/__pycache__/a_b.cpython-311.pyc",
		NULL,
	};
	char rel[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(rel, sizeof(rel), "lib/__pycache__/%s", names[i]);
		file(f, rel, "pyc");
	}
	file(f, "lib/a.py", "");
	file(f, "lib/a_b.py", "");
	file(f, "lib/ab.py", "");
	open_tree(f);
	keep(f, "lib/a.py");
	keep(f, "lib/a_b.py");
	assert_int_equal(apply(f, true, false, false), 0);
	assert_added(f, rules__reason_named("python"), want);
}

/* Many modules in one package: each gets exactly its compilation. */
static void test_pycs_of_many_modules(void **state)
{
	struct fx *f = *state;
	enum { N = 1000 };
	char rel[128];

	for (int i = 0; i < N; i++) {
		snprintf(rel, sizeof(rel), "big/m%d.py", i);
		file(f, rel, "");
		snprintf(rel, sizeof(rel), "big/__pycache__/m%d.cpython-311.pyc", i);
		file(f, rel, "pyc");
	}
	open_tree(f);
	for (int i = 0; i < N; i += 2) {
		snprintf(rel, sizeof(rel), "big/m%d.py", i);
		keep(f, rel);
	}
	assert_int_equal(apply(f, true, false, false), 0);
	for (int i = 0; i < N; i++) {
		snprintf(rel, sizeof(rel), "big/__pycache__/m%d.cpython-311.pyc", i);
		assert_int_equal(keepset__has(f->k, (uint32_t)tree__find_path(f->t, rel)),
				 i % 2 == 0);
	}
}

static void test_rule_off_adds_nothing(void **state)
{
	struct fx *f = *state;
	static const char *const none[] = {NULL};

	python_tree(f);
	keep(f, "pkg/sub/__pycache__/mod.cpython-311.pyc");
	assert_int_equal(apply(f, false, true, true), 0);
	assert_added(f, rules__reason_named("python"), none);
	assert_int_equal(keepset__count(f->k), 1);
	assert_int_equal(apply(f, false, false, false), 0);
	assert_int_equal(f->st.rounds, 0);
	assert_int_equal(keepset__count(f->k), 1);
}

static void test_pth_at_root_and_its_directories(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {"extra.pth", "vendor", "abs", NULL};
	char line[256];

	file(f, "app.py", "");
	file(f, "vendor/x.py", "");
	file(f, "abs/y.py", "");
	file(f, "sub/nested.pth", "vendor\n");
	snprintf(line, sizeof(line),
		 "# comment\nvendor\r\nimport os; os.getcwd()\nmissing\n%s/abs\n", f->root);
	file(f, "extra.pth", line);
	open_tree(f);
	keep(f, "app.py");
	assert_int_equal(apply(f, true, false, false), 0);
	assert_added(f, rules__reason_named("python"), want);
}

static void test_garbage_metadata_is_skipped(void **state)
{
	struct fx *f = *state;
	static const char junk[] = "\x01\x02\x00\xff,,\n,,\ngood.py,,\n"
				   "\"also\"\"bad\x00\",,\n\"open,,\nnever.py";
	static const char top[] = "\x00\x01\n../..\n/\n";
	static const char *const want[] = {"bad-1.0.dist-info", "bad-1.0.dist-info/RECORD", NULL};

	file(f, "good.py", "");
	testfs__write_bytes(f->root, "bad-1.0.dist-info/RECORD", junk, sizeof(junk) - 1);
	testfs__write_bytes(f->root, "worse-1.0.dist-info/top_level.txt", top, sizeof(top) - 1);
	testfs__write_bytes(f->root, "odd.egg-info", "Name: odd\n", 10);
	open_tree(f);
	keep(f, "good.py");
	assert_int_equal(apply(f, true, false, false), 0);
	assert_added(f, rules__reason_named("python"), want);
	assert_int_equal(f->st.bad_lines, 4);
}

static void test_real_compileall_byte_code(void **state)
{
	struct fx *f = *state;
	int64_t src;
	size_t pycs = 0;

	if (access("/usr/bin/python3", X_OK))
		skip();
	file(f, "lib/a.py", "A = 1\n");
	file(f, "lib/b.py", "B = 1\n");
	testfs__run("/usr/bin/python3 -m compileall -q -o 0 -o 1 %s/lib >/dev/null", f->root);
	open_tree(f);
	keep(f, "lib/a.py");
	assert_int_equal(apply(f, true, false, false), 0);
	for (size_t i = 0; i < tree__count(f->t); i++) {
		struct tree_entry e;
		bool is_a;

		tree__get(f->t, (uint32_t)i, &e);
		if (!strstr(e.path, "__pycache__/"))
			continue;
		is_a = !strncmp(e.path, "lib/__pycache__/a.", 18);
		pycs += is_a;
		assert_int_equal(keepset__has(f->k, (uint32_t)i), is_a);
	}
	assert_int_equal(pycs, 2);

	/* And the other way: the byte code alone brings its source back. */
	keepset__free(f->k);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
	for (size_t i = 0; i < tree__count(f->t); i++) {
		struct tree_entry e;

		tree__get(f->t, (uint32_t)i, &e);
		if (!strncmp(e.path, "lib/__pycache__/b.", 18))
			keepset__add(f->k, (uint32_t)i, KEEP_OPENED, 0, NULL);
	}
	assert_int_equal(apply(f, true, false, false), 0);
	src = tree__find_path(f->t, "lib/b.py");
	assert_int_equal(keepset__reasons(f->k, (uint32_t)src), rules__reason_named("python"));
	assert_false(keepset__has(f->k, tree__find_path(f->t, "lib/a.py")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pyc_keeps_source_inits_and_distribution, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_record_maps_quoted_and_script_paths, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_script_outside_package_keeps_distribution,
						setup, rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_top_level_maps_package_and_extension, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_top_level_extension_module, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_metadata_read_keeps_whole_dist_info_only,
						setup, rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_init_walk_stops_at_namespace_directory, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_source_keeps_only_its_own_pycs, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_rule_off_adds_nothing, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_pth_at_root_and_its_directories, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_garbage_metadata_is_skipped, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_pycs_found_by_name_among_neighbours, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_pycs_of_many_modules, setup,
						rules_fixture__teardown),
		cmocka_unit_test_setup_teardown(test_real_compileall_byte_code, setup,
						rules_fixture__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
