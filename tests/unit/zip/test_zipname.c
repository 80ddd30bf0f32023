// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "util.h"
#include "zipname.h"

static void test_check_name(void **state)
{
	static const char *const good[] = {"a", "a/b", "a/", "a/b/", "..a", "a..", "a/.b"};
	static const char *const bad[] = {"",	  "/a", "a//b", "./a",	 "a/./b",
					  "a/..", "..", "/",	"a/../b"};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (zipname__check_name(good[i], strlen(good[i])))
			fail_msg("%s rejected", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (zipname__check_name(bad[i], strlen(bad[i])) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(zipname__check_name("a\0b", 3), -EINVAL);
}

static void test_check_link(void **state)
{
	assert_int_equal(zipname__check_link("l", "a"), 0);
	assert_int_equal(zipname__check_link("a/b/l", "../../x"), 0);
	assert_int_equal(zipname__check_link("a/b/l", "./../c/./d"), 0);
	assert_int_equal(zipname__check_link("a/b/l", "../../../x"), -EXDEV);
	assert_int_equal(zipname__check_link("l", ".."), -EXDEV);
	/* Climbing out and back in still escapes on the way (the root's name is unknown). */
	assert_int_equal(zipname__check_link("a/l", "../../tree/x"), -EXDEV);
	assert_int_equal(zipname__check_link("l", "/abs"), -EXDEV);
	assert_int_equal(zipname__check_link("l", ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_name),
		cmocka_unit_test(test_check_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
