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

#include "globs.h"
#include "keepset.h"
#include "tree.h"
#include "util.h"
#include "testfs.h"

struct match_case {
	const char *pattern;
	const char *path;
	bool is_dir;
	int want;
};

static const struct match_case cases[] = {
	/* No '/': the basename at any depth. */
	{"x.py", "x.py", false, 1},
	{"x.py", "a/b/x.py", false, 1},
	{"x.py", "a/x.pyc", false, 0},
	{"*.py", "a/b/mod.py", false, 1},
	{"*.py", "a/b/mod.pyc", false, 0},
	{"*.py", ".py", false, 1},
	{"__pycache__", "pkg/__pycache__/m.cpython-311.pyc", false, 1}, /* under a matched dir */
	{"__pycache__", "pkg/__pycache__x/m.pyc", false, 0},
	/* '*' and '?' never cross '/'. */
	{"a/*", "a/b", false, 1},
	{"a/*.txt", "a/b/c.txt", false, 0},
	{"a*b", "a/b", false, 0},
	{"a?b", "a/b", false, 0},
	{"a?b", "axb", false, 1},
	{"a?b", "ab", false, 0},
	{"?", "\xc3\xa9", false, 1}, /* one UTF-8 character */
	{"caf?", "caf\xc3\xa9", false, 1},
	{"caf??", "caf\xc3\xa9", false, 0},
	{"*\xc3\xa9*", "xx\xc3\xa9yy", false, 1},
	{"*", "anything/at/all", false, 1},
	{"a*", "abc", false, 1},
	{"*c", "abc", false, 1},
	{"a*c*e", "abxcyde", false, 1},
	{"a*c*e", "abxcyd", false, 0},
	{"***", "x", false, 1},
	/* Brackets. */
	{"[abc].py", "b.py", false, 1},
	{"[abc].py", "d.py", false, 0},
	{"[a-c]x", "bx", false, 1},
	{"[!a-c]x", "bx", false, 0},
	{"[!a-c]x", "dx", false, 1},
	{"[^a-c]x", "dx", false, 1},
	{"[]]", "]", false, 1},
	{"[!]]", "a", false, 1},
	{"[a-]", "-", false, 1},
	{"[[:digit:]]*", "9lives", false, 1},
	{"[[:digit:]]*", "lives", false, 0},
	{"[[:upper:][:digit:]]", "Q", false, 1},
	{"[\xc3\xa9]", "\xc3\xa9", false, 1},
	{"[\\]]", "]", false, 1},
	{"a[/]b", "a/b", false, -EINVAL}, /* '/' splits the set: unclosed */
	/* Escapes. */
	{"\\*", "*", false, 1},
	{"\\*", "x", false, 0},
	{"a\\?", "a?", false, 1},
	{"a\\?", "ab", false, 0},
	{"\\!bang", "!bang", false, 1},
	{"\\#hash", "#hash", false, 1},
	/* '**' as whole components. */
	{"a/**/b", "a/b", false, 1},
	{"a/**/b", "a/x/b", false, 1},
	{"a/**/b", "a/x/y/z/b", false, 1},
	{"a/**/b", "a/x/y/z/c", false, 0},
	{"a/**/b", "z/a/b", false, 0},
	{"**/x.py", "x.py", false, 1},
	{"**/x.py", "d/e/x.py", false, 1},
	{"**/lib/*.so", "usr/lib/libz.so", false, 1},
	{"**/lib/*.so", "usr/lib/x/libz.so", false, 0},
	{"dir/**", "dir/a", false, 1},
	{"dir/**", "dir/a/b/c", false, 1},
	{"dir/**", "dir", true, 0}, /* inside dir, not dir itself */
	{"dir/**", "dirx/a", false, 0},
	{"/**", "a/b", false, 1},
	{"**", "a/b", false, 1},
	{"a/**/**/b", "a/b", false, 1},
	{"a/**/x/**/b", "a/1/x/2/3/b", false, 1},
	{"a/**/x/**/b", "a/1/y/2/3/b", false, 0},
	{"a**b", "axxb", false, 1}, /* inside a component: an ordinary '*' */
	{"a**b", "ax/b", false, 0},
	/* Anchoring. */
	{"/setup.py", "setup.py", false, 1},
	{"/setup.py", "pkg/setup.py", false, 0},
	{"./setup.py", "setup.py", false, 1},
	{"./setup.py", "pkg/setup.py", false, 0},
	{"lib/x", "lib/x", false, 1},
	{"lib/x", "usr/lib/x", false, 0}, /* a '/' in the middle anchors, as in gitignore */
	{"lib/x", "lib/x/deeper", false, 1},
	{"lib//x", "lib/x", false, 1},
	/* Directories and what is under them. */
	{"node_modules", "a/node_modules/b/index.js", false, 1},
	{"build/", "build", true, 1},
	{"build/", "build", false, 0},
	{"build/", "src/build/out.o", false, 1},
	{"build/", "src/build", false, 0},
	{"tests", "tests/unit/x.c", false, 1},
	{"/tests", "src/tests/unit/x.c", false, 0},
	/* Odd names. */
	{"with space", "d/with space", false, 1},
	{"new?line", "new\nline", false, 1},
	{"*", "", true, 0}, /* the root has no name */
	/* Invalid patterns. */
	{"[abc", "a", false, -EINVAL},
	{"a/[b/c", "a/b", false, -EINVAL},
	{"[[:nope:]]", "a", false, -EINVAL},
	{"[[:alpha:]", "a", false, -EINVAL},
	{"x\\", "x", false, -EINVAL},
	{"", "x", false, -EINVAL},
	{"/", "x", false, -EINVAL},
	{"!x", "x", false, -EINVAL},
	{"a/../b", "b", false, -EINVAL},
	{"a/./b", "a/b", false, -EINVAL},
};

static void test_match_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct match_case *c = &cases[i];
		int got = globs__match(c->pattern, c->path, c->is_dir);

		if (got != c->want)
			fail_msg("pattern '%s' path '%s' dir %d: got %d want %d", c->pattern,
				 c->path, c->is_dir, got, c->want);
	}
}

static void test_invalid_names_pattern(void **state)
{
	struct globs *g;

	assert_int_equal(globs__new(&g), 0);
	assert_int_equal(globs__add(g, GLOB_KEEP, "lib/[oops"), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "lib/[oops"));
	assert_non_null(strstr(slz_errmsg(), "unclosed"));
	assert_int_equal(globs__add(g, GLOB_DROP, "[[:bogus:]]"), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "bogus"));
	assert_int_equal(globs__add(g, 7, "x"), -EINVAL);
	assert_int_equal(globs__count(g), 0);
	assert_int_equal(globs__add(g, GLOB_KEEP, "ok/*"), 0);
	assert_int_equal(globs__count(g), 1);
	assert_string_equal(globs__pattern(g, 0), "ok/*");
	assert_int_equal(globs__action(g, 0), GLOB_KEEP);
	assert_null(globs__pattern(g, 1));
	globs__free(g);
	globs__free(NULL);
}

static char tmpdir[PATH_MAX];

static int setup(void **state)
{
	testfs__mkdtemp(tmpdir, sizeof(tmpdir), "globs");
	return 0;
}

static int teardown(void **state)
{
	testfs__rmtree(tmpdir);
	return 0;
}

static void test_keep_from_file(void **state)
{
	char p[PATH_MAX + 64];
	struct globs *g;

	testfs__write(tmpdir, "patterns",
		      "# a comment\n"
		      "\n"
		      "   \t\n"
		      "  *.py  \n"
		      "\t# indented comment\n"
		      "lib/**\r\n"
		      "trailing\\ \n"
		      "\\#literal\n");
	snprintf(p, sizeof(p), "%s/patterns", tmpdir);
	assert_int_equal(globs__new(&g), 0);
	assert_int_equal(globs__add_file(g, GLOB_KEEP, p), 0);
	assert_int_equal(globs__count(g), 4);
	assert_string_equal(globs__pattern(g, 0), "*.py");
	assert_string_equal(globs__pattern(g, 1), "lib/**");
	assert_string_equal(globs__pattern(g, 2), "trailing\\ ");
	assert_string_equal(globs__pattern(g, 3), "\\#literal");
	assert_int_equal(globs__match("trailing\\ ", "trailing ", false), 1);
	assert_int_equal(globs__match("trailing\\ ", "trailing", false), 0);

	/* A bad line names the file and the line number; patterns before it stay. */
	testfs__write(tmpdir, "bad", "ok\n\n[bad\n");
	snprintf(p, sizeof(p), "%s/bad", tmpdir);
	assert_int_equal(globs__add_file(g, GLOB_DROP, p), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "bad:3:"));
	assert_non_null(strstr(slz_errmsg(), "[bad"));

	snprintf(p, sizeof(p), "%s/absent", tmpdir);
	assert_int_equal(globs__add_file(g, GLOB_KEEP, p), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "absent"));
	globs__free(g);
}

static void test_apply_keep_and_drop(void **state)
{
	static const char *const dirs[] = {"app", "app/__pycache__", "lib", "lib/sub", "tests"};
	static const char *const files[] = {"app/main.py",  "app/__pycache__/main.cpython-311.pyc",
					    "app/README",   "lib/a.so",
					    "lib/sub/b.so", "tests/test_x.py",
					    "top.txt"};
	struct tree *t;
	struct keepset *k;
	struct globs *g;
	uint64_t n;

	testfs__mkdir(tmpdir, "tree");
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), "tree/%s", dirs[i]);
		testfs__mkdir(tmpdir, rel);
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), "tree/%s", files[i]);
		testfs__write(tmpdir, rel, "x");
	}
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/tree", tmpdir);
	assert_int_equal(tree__open(p, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	assert_int_equal(globs__new(&g), 0);
	assert_int_equal(globs__add(g, GLOB_KEEP, "*.py"), 0);
	assert_int_equal(globs__add(g, GLOB_KEEP, "/lib"), 0);
	assert_int_equal(globs__add(g, GLOB_KEEP, "nothing-matches-this"), 0);
	assert_int_equal(globs__add(g, GLOB_DROP, "tests/"), 0);
	assert_int_equal(globs__add(g, GLOB_DROP, "sub"), 0);

	/* Something kept for another reason: the drop must win over it. */
	int64_t sub_b = tree__find_path(t, "lib/sub/b.so");
	assert_int_equal(keepset__add(k, sub_b, KEEP_OPENED, 1, "x"), 0);

	assert_int_equal(globs__apply_keep(g, k, &n), 0);
	/* app/main.py, tests/test_x.py, lib, lib/a.so, lib/sub, lib/sub/b.so */
	assert_int_equal(n, 6);
	assert_int_equal(globs__hits(g, 0), 2);
	assert_int_equal(globs__hits(g, 1), 1); /* lib itself; its contents inherit */
	assert_int_equal(globs__hits(g, 2), 0);
	assert_int_equal(keepset__reasons(k, tree__find_path(t, "lib/sub/b.so")),
			 KEEP_OPENED | KEEP_GLOB);
	assert_int_equal(keepset__reasons(k, tree__find_path(t, "lib/a.so")), KEEP_GLOB);
	assert_int_equal(keepset__reasons(k, tree__find_path(t, "app/main.py")), KEEP_GLOB);
	assert_false(keepset__has(k, tree__find_path(t, "app/README")));
	assert_false(keepset__has(k, tree__find_path(t, "app/__pycache__/main.cpython-311.pyc")));
	assert_false(keepset__has(k, tree__find_path(t, "app")));
	assert_false(keepset__has(k, 0));
	assert_int_equal(keepset__count(k), 6);

	assert_int_equal(globs__apply_drop(g, k, &n), 0);
	assert_int_equal(n, 3); /* tests/test_x.py, lib/sub, lib/sub/b.so */
	assert_int_equal(globs__hits(g, 3), 1);
	assert_int_equal(globs__hits(g, 4), 1);
	assert_false(keepset__has(k, tree__find_path(t, "tests/test_x.py")));
	assert_false(keepset__has(k, tree__find_path(t, "lib/sub")));
	assert_false(keepset__has(k, sub_b));
	assert_true(keepset__has(k, tree__find_path(t, "lib/a.so")));
	assert_true(keepset__has(k, tree__find_path(t, "app/main.py")));
	assert_int_equal(keepset__count(k), 3);
	/* Keep hits survive a drop pass: each action counts its own patterns. */
	assert_int_equal(globs__hits(g, 0), 2);

	globs__free(g);
	keepset__free(k);
	tree__free(t);
}

/* globs__literal: a line of a --keep-from file that names one path, through the file reader. */
static void test_literal_round_trip(void **state)
{
	static const char *const names[] = {
		"plain.py", "a b/c*d?[e]\\f", "dir/ lead", "trail ", "tab\tx",
		"#hash",    "!bang",	      "a/**/b",	   "x\ny",   "cr\r",
	};
	char p[PATH_MAX + 64];
	struct globs *g;
	FILE *f;

	snprintf(p, sizeof(p), "%s/keep.txt", tmpdir);
	f = fopen(p, "w");
	assert_non_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *lit;

		assert_int_equal(globs__literal(names[i], &lit), 0);
		assert_int_equal(lit[0], '/');
		assert_null(strchr(lit, '\n'));
		fprintf(f, "%s\n", lit);
		free(lit);
	}
	fclose(f);
	assert_int_equal(globs__new(&g), 0);
	assert_int_equal(globs__add_file(g, GLOB_KEEP, p), 0);
	assert_int_equal(globs__count(g), ARRAY_SIZE(names));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *pat = globs__pattern(g, i);

		if (globs__match(pat, names[i], false) != 1)
			fail_msg("'%s' does not match '%s'", pat, names[i]);
		/* Only that path: not a sibling, not one at another depth. */
		assert_int_equal(globs__match(pat, "other", false), 0);
		if (!strchr(names[i], '/')) {
			char deeper[64];

			snprintf(deeper, sizeof(deeper), "sub/%s", names[i]);
			assert_int_equal(globs__match(pat, deeper, false), 0);
		}
	}
	/* '*' and '?' stay literal: a name they would have matched as wildcards does not. */
	assert_int_equal(globs__match(globs__pattern(g, 1), "a b/cXdY[e]\\f", false), 0);
	globs__free(g);
	{
		char *lit = (char *)"x";

		assert_int_equal(globs__literal("", &lit), -EINVAL);
		assert_null(lit);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_invalid_names_pattern),
		cmocka_unit_test_setup_teardown(test_keep_from_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keep_and_drop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
