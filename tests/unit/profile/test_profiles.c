// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Several profile files read as one: what prune and report both do with their arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "profile_io.h"
#include "profiles.h"
#include "slz_vocab.h"
#include "util.h"
#include "testfs.h"

static char dir[PATH_MAX];
static char a[PATH_MAX + 16], b[PATH_MAX + 16], bad[PATH_MAX + 16];

/* A profile file at path with one path-only entry per name, and lost events. */
static void write_profile(const char *path, const char *const *names, uint64_t lost)
{
	struct profile *p;

	assert_int_equal(profile__new(&p), 0);
	profile__header(p)->lost_events = lost;
	for (const char *const *n = names; *n; n++) {
		struct profile_entry e = {
			.path = (char *)*n, .kinds = SLZ_KIND_OPEN, .flags = SLZ_EVF_PATH_ONLY};

		assert_int_equal(profile__add(p, &e), 0);
	}
	assert_int_equal(profile__write(p, path, PROFILE_FMT_TEXT), 0);
	profile__free(p);
}

static int setup(void **state)
{
	static const char *const one[] = {"/t/a", "/t/shared", NULL};
	static const char *const two[] = {"/t/b", "/t/shared", NULL};

	testfs__mkdtemp(dir, sizeof(dir), "profiles");
	snprintf(a, sizeof(a), "%s/a.profile", dir);
	snprintf(b, sizeof(b), "%s/b.profile", dir);
	snprintf(bad, sizeof(bad), "%s/bad.profile", dir);
	write_profile(a, one, 1);
	write_profile(b, two, 2);
	testfs__write(dir, "bad.profile", "not a profile\n");
	return 0;
}

static int teardown(void **state)
{
	testfs__rmtree(dir);
	return 0;
}

static void test_one_and_several(void **state)
{
	const char *paths[] = {a, b};
	struct profile *p;

	assert_int_equal(profiles__load(paths, 1, &p), 0);
	assert_int_equal(profile__count(p), 2);
	profile__free(p);
	/* Merged as sets: the shared file once; loss adds up. */
	assert_int_equal(profiles__load(paths, 2, &p), 0);
	assert_int_equal(profile__count(p), 3);
	assert_non_null(profile__find_path(p, "/t/a"));
	assert_non_null(profile__find_path(p, "/t/b"));
	assert_int_equal(profile__header_const(p)->lost_events, 3);
	assert_int_equal(profile__header_const(p)->merged_from, 2);
	profile__free(p);
}

static void test_failures_name_the_file(void **state)
{
	const char *paths[] = {a, bad};
	const char *none[] = {"/nonexistent/x.profile"};
	struct profile *p = (struct profile *)1;

	assert_true(profiles__load(paths, 2, &p) < 0);
	assert_null(p);
	assert_non_null(strstr(slz_errmsg(), "bad.profile"));
	assert_int_equal(profiles__load(none, 1, &p), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "/nonexistent/x.profile"));
	assert_int_equal(profiles__load(paths, 0, &p), -EINVAL);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_and_several),
		cmocka_unit_test(test_failures_name_the_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
