// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The plan and what the tree hides from it: directories the walk cannot list (as a user who
 * may not read them), profile entries that match nothing, names that are not UTF-8.
 */
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

#include "plan.h"
#include "slz_vocab.h"
#include "util.h"
#include "testfs.h"

struct fx {
	char dir[PATH_MAX];
	char tree[PATH_MAX * 2];
	struct profile *p;
	struct prune_policy pol;
	struct tree *t;
	struct prune_plan pl;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "plantree");
	assert_int_equal(chmod(f->dir, 0755), 0); /* the nobody run must reach the tree */
	testfs__mkdir(f->dir, "tree");
	testfs__path(f->tree, sizeof(f->tree), f->dir, "tree");
	assert_int_equal(chmod(f->tree, 0755), 0);
	testfs__write(f->tree, "pkg/a.py", "a");
	testfs__write(f->tree, "pkg/secret/s.py", "s");
	testfs__write(f->tree, "closed/c.py", "c");
	assert_int_equal(profile__new(&f->p), 0);
	assert_int_equal(prune_policy__init(&f->pol), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	prune_plan__release(&f->pl);
	tree__free(f->t);
	testfs__rmtree(f->dir);
	profile__free(f->p);
	prune_policy__release(&f->pol);
	free(f);
	return 0;
}

static void touched(struct fx *f, const char *rel)
{
	char path[PATH_MAX * 3];
	struct profile_entry e = {.path = path, .kinds = SLZ_KIND_OPEN, .flags = SLZ_EVF_PATH_ONLY};

	snprintf(path, sizeof(path), "%s/%s", f->tree, rel);
	assert_int_equal(profile__add(f->p, &e), 0);
}

static int plan(struct fx *f)
{
	const struct profile *p = f->p;

	prune_plan__release(&f->pl);
	tree__free(f->t);
	f->t = NULL;
	if (prune_policy__open_tree(&f->pol, f->tree, &f->t))
		return -1000;
	return prune__plan(f->t, &f->pol, &p, 1, NULL, &f->pl);
}

/* Run by testfs__as_nobody: each failed expectation is its own exit status. */
static int unlistable_check(void *arg)
{
	struct fx *f = arg;
	char dir[PATH_MAX * 3];

	if (plan(f) != -ENODATA)
		return 10;
	if (!strstr(slz_errmsg(), "1 file the profile touched lies below directories that cannot "
				  "be listed") ||
	    !strstr(slz_errmsg(), "pkg/secret/s.py, below pkg/secret/") ||
	    !strstr(slz_errmsg(), "--force"))
		return 11;
	f->pol.force = true;
	if (plan(f))
		return 12;
	/* Counted apart from the rest of what matched nothing, with examples. */
	snprintf(dir, sizeof(dir), "%s/pkg/secret/s.py", f->tree);
	if (f->pl.resolve.under_unlistable != 1 || f->pl.resolve.unmatched_in_tree != 2 ||
	    !f->pl.resolve.first_under_unlistable ||
	    strcmp(f->pl.resolve.first_under_unlistable, dir))
		return 13;
	if (f->pl.resolve.first_unlistable_dir != tree__find_path(f->t, "pkg/secret"))
		return 14;
	if (!keepset__has(f->pl.keep, (uint32_t)tree__find_path(f->t, "pkg/a.py")))
		return 15;
	return 0;
}

/*
 * A touched file below a directory the walk could not list would be silently missing: refused
 * unless --force. One that is simply gone (pkg/gone.py) is only counted.
 */
static void test_touched_below_unlistable_refused(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX * 3];

	touched(f, "pkg/a.py");
	touched(f, "pkg/secret/s.py");
	touched(f, "pkg/gone.py");
	testfs__path(p, sizeof(p), f->tree, "pkg/secret");
	assert_int_equal(chmod(p, 0711), 0); /* searchable, not listable */
	testfs__path(p, sizeof(p), f->tree, "closed");
	assert_int_equal(chmod(p, 0), 0); /* nothing touched below: no refusal for it */
	testfs__as_nobody(unlistable_check, f);
	if (geteuid() != 0)
		return;
	/* As root everything is listed: nothing refused, nothing under an unlistable directory. */
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.resolve.under_unlistable, 0);
	assert_int_equal(f->pl.resolve.unmatched_in_tree, 1);
}

/* The first entry matching nothing is kept as the example the summary shows. */
static void test_unmatched_example(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX * 3];

	touched(f, "pkg/a.py");
	touched(f, "pkg/gone.py");
	touched(f, "pkg/gone2.py");
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.resolve.unmatched_in_tree, 2);
	snprintf(want, sizeof(want), "%s/pkg/gone.py", f->tree);
	assert_string_equal(f->pl.resolve.first_unmatched, want);
	assert_int_equal(f->pl.resolve.under_unlistable, 0);
	assert_null(f->pl.resolve.first_under_unlistable);
}

/* Kept names that are not UTF-8 are counted, the first one named: zip tools disagree on them. */
static void test_non_utf8_names_counted(void **state)
{
	struct fx *f = *state;

	testfs__write(f->tree, "pkg/caf\xe9.py", "x");
	testfs__write(f->tree, "pkg/na\xefve.py", "y");
	testfs__write(f->tree, "pkg/caf\xc3\xa9-ok.py", "z"); /* UTF-8: fine */
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "pkg/*"), 0);
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.non_utf8_names, 2);
	assert_int_equal(f->pl.first_non_utf8, tree__find_path(f->t, "pkg/caf\xe9.py"));
	/* Not kept, not counted. */
	assert_int_equal(globs__add(f->pol.globs, GLOB_DROP, "pkg/*\xe9*"), 0);
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.non_utf8_names, 1);
	assert_int_equal(f->pl.first_non_utf8, tree__find_path(f->t, "pkg/na\xefve.py"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_touched_below_unlistable_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unmatched_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_utf8_names_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
