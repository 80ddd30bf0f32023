// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify_report: missing files grouped by package, the rounds kept, the keep list written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "globs.h"
#include "util.h"
#include "verify_report.h"
#include "testfs.h"

static const char *const paths[] = {
	"yaml/nodes.py",
	"node_modules/@s/n/index.js",
	"six.py",
	"__pycache__/six.cpython-311.pyc",
	"lib/libyaml-0.so.2",
	"yaml/composer.py",
	"node_modules/@s/n/lib/a.js",
	"need.txt",
	"PyYAML-6.0.dist-info/RECORD",
};
#define NPATHS ARRAY_SIZE(paths)

/* Missing files as verify makes them: the path's package by the path alone (no tree). */
static void make_missing(struct verify_missing *m)
{
	for (size_t i = 0; i < NPATHS; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].path = strdup(paths[i]);
		assert_non_null(m[i].path);
		m[i].via = "openat";
		m[i].added = i % 2 == 0;
		assert_int_equal(hostdeps__tree_package(NULL, m[i].path, &m[i].pkg), 0);
	}
}

static void free_missing(struct verify_missing *m)
{
	for (size_t i = 0; i < NPATHS; i++)
		free(m[i].path);
}

static void test_groups(void **state)
{
	static const struct {
		const char *name, *kind, *where;
		bool own_dir;
		size_t files;
		const char *first;
	} want[] = {
		{"@s/n", "node", "node_modules/@s/n", true, 2, "node_modules/@s/n/index.js"},
		{"PyYAML", "python", "PyYAML-6.0.dist-info", true, 1,
		 "PyYAML-6.0.dist-info/RECORD"},
		{"lib", "lib", "lib", true, 1, "lib/libyaml-0.so.2"},
		{"need.txt", "file", "", false, 1, "need.txt"},
		/* A module and its bytecode: one package, at the tree's top. */
		{"six", "python", "", false, 2, "__pycache__/six.cpython-311.pyc"},
		/* Without the tree, yaml/ is a directory; its files in path order. */
		{"yaml", "dir", "yaml", true, 2, "yaml/composer.py"},
	};
	struct verify_missing m[NPATHS];
	struct verify_group *g;
	size_t ng;

	make_missing(m);
	assert_int_equal(verify_groups__make(m, NPATHS, &g, &ng), 0);
	assert_int_equal(ng, ARRAY_SIZE(want));
	for (size_t i = 0; i < ng; i++) {
		assert_string_equal(g[i].name, want[i].name);
		assert_string_equal(hostdeps__kind_name(g[i].kind), want[i].kind);
		assert_string_equal(g[i].where, want[i].where);
		assert_int_equal(g[i].own_dir, want[i].own_dir);
		assert_int_equal(g[i].nfiles, want[i].files);
		assert_string_equal(m[g[i].files[0]].path, want[i].first);
	}
	assert_string_equal(m[g[5].files[1]].path, "yaml/nodes.py");
	verify_groups__free(g, ng);
	assert_int_equal(verify_groups__make(m, 0, &g, &ng), 0);
	assert_null(g);
	assert_int_equal(ng, 0);
	verify_groups__free(NULL, 3);
	free_missing(m);
}

/* The log owns copies: the round verify hands out is freed right after on_round. */
static void test_log_and_keep_list(void **state)
{
	char dir[PATH_MAX], keep[PATH_MAX + 16];
	struct verify_missing m[NPATHS];
	struct verify_host_missing hm = {.package = (char *)"certifi", .path = (char *)"/usr/x"};
	struct verify_round r = {.round = 1,
				 .diag_status = -1,
				 .missing = m,
				 .nmissing = NPATHS,
				 .host_missing = &hm,
				 .nhost_missing = 1};
	struct verify_log *l;
	struct globs *gl;
	char *text;
	size_t added = 0;

	testfs__mkdtemp(dir, sizeof(dir), "vrep");
	make_missing(m);
	assert_int_equal(verify_log__new(&l), 0);
	assert_int_equal(verify_log__add_round(l, &r), 0);
	free_missing(m);
	memset(m, 0, sizeof(m));
	for (size_t i = 0; i < NPATHS; i++)
		added += i % 2 == 0;
	assert_int_equal(verify_log__nadded(l), added);

	snprintf(keep, sizeof(keep), "%s/keep.txt", dir);
	assert_int_equal(verify_log__write_keep(l, "out\n.zip", keep), 0);
	text = testfs__read(keep, NULL);
	/* The zip's name cannot end the comment line; each added path anchored, in order. */
	assert_non_null(strstr(text, "# Files slimzip verify --fix added to out?.zip.\n"));
	assert_non_null(strstr(text,
			       "\n/yaml/nodes.py\n/six.py\n/lib/libyaml-0.so.2\n"
			       "/node_modules/@s/n/lib/a.js\n/PyYAML-6.0.dist-info/RECORD\n"));
	assert_null(strstr(text, "composer"));
	assert_null(strstr(text, "need.txt"));
	free(text);
	/* It is what --keep-from reads: every added path matches one of its lines. */
	assert_int_equal(globs__new(&gl), 0);
	assert_int_equal(globs__add_file(gl, GLOB_KEEP, keep), 0);
	assert_int_equal(globs__count(gl), added);
	for (size_t i = 0, j = 0; i < NPATHS; i++)
		if (i % 2 == 0)
			assert_int_equal(globs__match(globs__pattern(gl, j++), paths[i], false), 1);
	globs__free(gl);

	/* An output that cannot be made: an error naming it, nothing written. */
	snprintf(keep, sizeof(keep), "%s/no/such/keep.txt", dir);
	assert_true(verify_log__write_keep(l, "out.zip", keep) < 0);
	assert_non_null(strstr(slz_errmsg(), "keep.txt"));
	verify_log__free(l);
	verify_log__free(NULL);
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_log_and_keep_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
