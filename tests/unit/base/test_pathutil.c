// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pathutil.h"

static void test_below(void **state)
{
	assert_string_equal(path__below("/var/task/a/b", "/var/task"), "/a/b");
	assert_string_equal(path__below("/var/task", "/var/task"), "");
	assert_string_equal(path__below("/var/task/", "/var/task"), "/");
	/* A trailing '/' of the directory does not count. */
	assert_string_equal(path__below("/var/task/a", "/var/task/"), "/a");
	assert_string_equal(path__below("/var/task/a", "/var/task//"), "/a");
	assert_string_equal(path__below("/var/task", "/var/task/"), "");
	/* Components, not bytes: a sibling sharing the prefix is not below. */
	assert_null(path__below("/var/taskforce/a", "/var/task"));
	assert_null(path__below("/var/tas", "/var/task"));
	assert_null(path__below("/etc/passwd", "/var/task"));
	/* "/" holds every absolute path. */
	assert_string_equal(path__below("/etc/passwd", "/"), "/etc/passwd");
	assert_string_equal(path__below("/", "/"), "/");
	assert_string_equal(path__below("/x", "//"), "/x");
	/* No directory holds nothing. */
	assert_null(path__below("/etc/passwd", NULL));
	assert_null(path__below("/etc/passwd", ""));
}

static void clean_is(const char *in, const char *want)
{
	char buf[256];

	strcpy(buf, in);
	assert_int_equal(path__clean(buf), strlen(want));
	assert_string_equal(buf, want);
}

static void test_clean(void **state)
{
	clean_is("a//./b/", "a/b");
	clean_is("/var/task/", "/var/task");
	clean_is("/var//task/./", "/var/task");
	clean_is("//x", "/x");
	clean_is("/", "/");
	clean_is("///", "/");
	clean_is("/.", "/");
	clean_is(".", "");
	clean_is("./a", "a");
	clean_is("", "");
	/* ".." is for the tree to take: it may follow a link. */
	clean_is("a/../b", "a/../b");
	clean_is("/a/./../b//", "/a/../b");
	/* Names that only start with a dot are names. */
	clean_is("a/.x/..y/.", "a/.x/..y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_below),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
