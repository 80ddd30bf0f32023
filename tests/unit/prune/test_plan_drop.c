// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* prune_plan__drop: a function's plan minus what its layer holds. */
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

#include "plan.h"
#include "slz_vocab.h"
#include "testfs.h"
#include "util.h"

static void touch(struct profile *p, const char *tree, const char *rel)
{
	char path[PATH_MAX * 2];
	struct profile_entry e = {.path = path, .kinds = SLZ_KIND_OPEN, .flags = SLZ_EVF_PATH_ONLY};

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	assert_int_equal(profile__add(p, &e), 0);
}

static uint32_t idx(const struct tree *t, const char *rel)
{
	int64_t i = tree__find_path(t, rel);

	assert_true(i > 0);
	return (uint32_t)i;
}

static void test_drop(void **state)
{
	char dir[PATH_MAX];
	struct profile *p = NULL;
	const struct profile *pp;
	struct prune_policy pol;
	struct prune_plan pl = {0};
	struct tree *t = NULL, *other = NULL;
	struct keepset *drop = NULL, *wrong = NULL;
	static const char *const used[] = {"app.py",  "yaml/__init__.py", "yaml/loader.py",
					   "lib",     "lib/libx.so.1",	  "pkg/a.py",
					   "pkg/b.py"};
	static const char *const layer[] = {"yaml", "yaml/__init__.py", "yaml/loader.py",
					    "lib/libx.so.1", "pkg/b.py"};

	(void)state;
	testfs__mkdtemp(dir, sizeof(dir), "plandrop");
	testfs__write(dir, "app.py", "import yaml\n");
	testfs__write(dir, "yaml/__init__.py", "X = 1\n");
	testfs__write(dir, "yaml/loader.py", "Y = 2\n");
	testfs__write(dir, "lib/libx.so.1", "ELF?");
	testfs__write(dir, "pkg/a.py", "a");
	testfs__write(dir, "pkg/b.py", "bb");
	assert_int_equal(profile__new(&p), 0);
	for (size_t i = 0; i < ARRAY_SIZE(used); i++)
		touch(p, dir, used[i]);
	assert_int_equal(prune_policy__init(&pol), 0);
	pol.rules.off = RULES_ALL_OFF;
	assert_int_equal(prune_policy__open_tree(&pol, dir, &t), 0);
	pp = p;
	assert_int_equal(prune__plan(t, &pol, &pp, 1, NULL, &pl), 0);
	assert_int_equal(pl.after_files, 6);
	assert_true(keepset__has(pl.keep, idx(t, "yaml")));

	assert_int_equal(keepset__new(t, &drop), 0);
	for (size_t i = 0; i < ARRAY_SIZE(layer); i++)
		assert_int_equal(keepset__add(drop, idx(t, layer[i]), KEEP_GLOB, 0, NULL), 0);
	assert_int_equal(prune_plan__drop(&pl, drop), 0);
	/* What the layer holds is gone, and the directory that only led to it. */
	for (size_t i = 0; i < ARRAY_SIZE(layer); i++)
		assert_false(keepset__has(pl.keep, idx(t, layer[i])));
	/* lib/ was listed by the workload: it stays, empty. pkg/ still leads to pkg/a.py. */
	assert_true(keepset__has(pl.keep, idx(t, "lib")));
	assert_true(keepset__has(pl.keep, idx(t, "pkg")));
	assert_true(keepset__has(pl.keep, idx(t, "pkg/a.py")));
	assert_true(keepset__has(pl.keep, idx(t, "app.py")));
	assert_int_equal(pl.after_files, 2);
	assert_int_equal(pl.after_bytes, strlen("import yaml\n") + 1);
	assert_int_equal(pl.kept_files[PRUNE_KEPT_USED], 2);
	assert_int_equal(pl.before_files, 6);

	/* A keep set of another tree is refused, naming the mistake. */
	assert_int_equal(tree__open(dir, NULL, &other), 0);
	assert_int_equal(keepset__new(other, &wrong), 0);
	assert_int_equal(prune_plan__drop(&pl, wrong), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "another tree"));

	keepset__free(wrong);
	tree__free(other);
	keepset__free(drop);
	prune_plan__release(&pl);
	tree__free(t);
	prune_policy__release(&pol);
	profile__free(p);
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
