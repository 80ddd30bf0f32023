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
#include "tree.h"
#include "util.h"
#include "testfs.h"
#include "tree_fixture.h"

struct fixture {
	char root[PATH_MAX];
	struct tree *t;
	struct keepset *k;
};

static int setup(void **state)
{
	static const char *const dirs[] = {"a", "a/b", "a/b/c", "x", "x/y"};
	static const char *const files[] = {"a/b/c/file", "a/side", "top", "x/y/z"};
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	testfs__mkdtemp(f->root, sizeof(f->root), "keep");
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		testfs__mkdir(f->root, dirs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		testfs__write(f->root, files[i], "");
	if (tree__open(f->root, NULL, &f->t) || keepset__new(f->t, &f->k))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tree_fixture__close(f->root, f->t, f->k);
	free(f);
	return 0;
}

static uint32_t idx(struct fixture *f, const char *rel)
{
	return tree_fixture__idx(f->t, rel);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;

	assert_ptr_equal(keepset__tree(f->k), f->t);
	assert_int_equal(keepset__count(f->k), 0);
	assert_int_equal(keepset__generation(f->k), 0);
	for (uint32_t i = 0; i < tree__count(f->t); i++) {
		assert_false(keepset__has(f->k, i));
		assert_int_equal(keepset__reasons(f->k, i), 0);
		assert_int_equal(keepset__first_pid(f->k, i), 0);
		assert_string_equal(keepset__first_comm(f->k, i), "");
	}
	/* Out of range reads are harmless. */
	assert_false(keepset__has(f->k, 9999));
	assert_int_equal(keepset__reasons(f->k, 9999), 0);
	assert_string_equal(keepset__first_comm(f->k, 9999), "");
	keepset__free(NULL);
}

static void test_reasons_or_and_first_toucher_sticks(void **state)
{
	struct fixture *f = *state;
	uint32_t file = idx(f, "a/b/c/file");

	assert_int_equal(keepset__add(f->k, file, KEEP_OPENED, 42, "python3"), 0);
	assert_int_equal(keepset__generation(f->k), 1);
	assert_int_equal(keepset__add(f->k, file, KEEP_MMAPPED, 99, "node"), 0);
	assert_int_equal(keepset__generation(f->k), 2);
	assert_true(keepset__has(f->k, file));
	assert_int_equal(keepset__reasons(f->k, file), KEEP_OPENED | KEEP_MMAPPED);
	assert_int_equal(keepset__first_pid(f->k, file), 42);
	assert_string_equal(keepset__first_comm(f->k, file), "python3");
	assert_int_equal(keepset__count(f->k), 1);
	/* Nothing new: the generation must not move, or fixpoint loops would never end. */
	assert_int_equal(keepset__add(f->k, file, KEEP_OPENED, 1, "x"), 0);
	assert_int_equal(keepset__generation(f->k), 2);
	assert_int_equal(keepset__count(f->k), 1);

	/* A first add without a toucher does not claim the slot. */
	uint32_t top = idx(f, "top");
	assert_int_equal(keepset__add(f->k, top, KEEP_GLOB, 0, NULL), 0);
	assert_int_equal(keepset__first_pid(f->k, top), 0);
	assert_int_equal(keepset__add(f->k, top, KEEP_EXECED, 7, "a-very-long-command-name"), 0);
	assert_int_equal(keepset__first_pid(f->k, top), 7);
	/* comm is the kernel's 16 bytes: 15 characters. */
	assert_string_equal(keepset__first_comm(f->k, top), "a-very-long-com");
	assert_int_equal(keepset__reasons(f->k, top), KEEP_GLOB | KEEP_EXECED);
	assert_int_equal(keepset__count(f->k), 2);
	/* The same comm is shared, not confused with another. */
	uint32_t side = idx(f, "a/side");
	assert_int_equal(keepset__add(f->k, side, KEEP_OPENED, 43, "python3"), 0);
	assert_string_equal(keepset__first_comm(f->k, side), "python3");
	assert_string_equal(keepset__first_comm(f->k, file), "python3");
	assert_int_equal(keepset__first_pid(f->k, side), 43);
}

static void test_invalid_adds(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(keepset__add(f->k, tree__count(f->t), KEEP_OPENED, 0, NULL), -EINVAL);
	assert_int_equal(keepset__add(f->k, 1, 0, 0, NULL), -EINVAL);
	assert_true(strlen(slz_errmsg()) > 0);
	assert_int_equal(keepset__count(f->k), 0);
	assert_int_equal(keepset__generation(f->k), 0);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	uint32_t top = idx(f, "top");
	uint64_t gen;

	assert_false(keepset__remove(f->k, top));
	assert_int_equal(keepset__add(f->k, top, KEEP_OPENED, 5, "sh"), 0);
	gen = keepset__generation(f->k);
	assert_true(keepset__remove(f->k, top));
	assert_false(keepset__has(f->k, top));
	assert_int_equal(keepset__reasons(f->k, top), 0);
	assert_int_equal(keepset__count(f->k), 0);
	assert_int_equal(keepset__first_pid(f->k, top), 0);
	assert_string_equal(keepset__first_comm(f->k, top), "");
	assert_int_equal(keepset__generation(f->k), gen);
	assert_false(keepset__remove(f->k, top));
	assert_false(keepset__remove(f->k, 12345));
	/* Kept again after a removal: a fresh first toucher. */
	assert_int_equal(keepset__add(f->k, top, KEEP_MMAPPED, 6, "bash"), 0);
	assert_int_equal(keepset__reasons(f->k, top), KEEP_MMAPPED);
	assert_int_equal(keepset__first_pid(f->k, top), 6);
	assert_string_equal(keepset__first_comm(f->k, top), "bash");
	assert_true(keepset__generation(f->k) > gen);
}

static void test_complete_dirs(void **state)
{
	struct fixture *f = *state;
	uint64_t gen;

	assert_int_equal(keepset__add(f->k, idx(f, "a/b/c/file"), KEEP_OPENED, 0, NULL), 0);
	assert_int_equal(keepset__add(f->k, idx(f, "x/y"), KEEP_LISTED, 0, NULL), 0);
	gen = keepset__generation(f->k);
	assert_int_equal(keepset__complete_dirs(f->k), 0);
	assert_int_equal(keepset__reasons(f->k, idx(f, "a")), KEEP_DIRECTORY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "a/b")), KEEP_DIRECTORY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "a/b/c")), KEEP_DIRECTORY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "x")), KEEP_DIRECTORY);
	/* A kept directory is not its own ancestor; siblings and the root stay out. */
	assert_int_equal(keepset__reasons(f->k, idx(f, "x/y")), KEEP_LISTED);
	assert_false(keepset__has(f->k, idx(f, "x/y/z")));
	assert_false(keepset__has(f->k, idx(f, "a/side")));
	assert_false(keepset__has(f->k, idx(f, "top")));
	assert_false(keepset__has(f->k, 0));
	assert_int_equal(keepset__count(f->k), 6);
	assert_true(keepset__generation(f->k) > gen);
	gen = keepset__generation(f->k);
	assert_int_equal(keepset__complete_dirs(f->k), 0);
	assert_int_equal(keepset__generation(f->k), gen);
}

static const char *rule_name(size_t i)
{
	return i == 0 ? "first" : i == 1 ? "second" : NULL;
}

static void test_reasons_str(void **state)
{
	char buf[256];

	assert_int_equal(keepset__reasons_str(0, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(
		keepset__reasons_str(KEEP_OPENED | KEEP_RULE(0), rule_name, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "opened,rule-first");
	/* Rules the caller cannot name are still named by position, never dropped. */
	assert_int_equal(keepset__reasons_str(KEEP_RULE(1) | KEEP_RULE(7), NULL, buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "rule-1,rule-7");
	assert_int_equal(keepset__reasons_str(UINT32_MAX, rule_name, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "opened,mmapped,execed,stat-only,keep-glob,symlink-to-kept,"
				 "link-target,directory,listed,rule-first,rule-second,rule-2,"
				 "rule-3,rule-4,rule-5,rule-6,rule-7,verify-fix");
	assert_int_equal(keepset__reasons_str(KEEP_VERIFY_FIX, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "verify-fix");
	/* Too small: whole names only, and says so. */
	assert_int_equal(keepset__reasons_str(KEEP_OPENED | KEEP_MMAPPED, NULL, buf, 12), -ENOSPC);
	assert_string_equal(buf, "opened");
	assert_int_equal(keepset__reasons_str(KEEP_OPENED, NULL, buf, 7), 0);
	assert_string_equal(buf, "opened");
	assert_int_equal(keepset__reasons_str(KEEP_OPENED, NULL, buf, 6), -ENOSPC);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasons_or_and_first_toucher_sticks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_adds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_dirs, setup, teardown),
		cmocka_unit_test(test_reasons_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
