// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's targets: capacity, unique names, lookups, attribution, templates, collisions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

static const struct target_info *add(struct registry *r, const char *name, const char *cgroup,
				     uint64_t id)
{
	const struct target_spec spec = {
		.name = name, .slot = (uint32_t)id, .cgroup_id = id, .cgroup = cgroup, .now_ns = 5};
	const struct target_info *t = NULL;

	if (registry__add(r, &spec, &t))
		fail_msg("add %s: %s", name, slz_errmsg());
	return t;
}

static int try_add(struct registry *r, const char *name, const char *cgroup, uint64_t id)
{
	const struct target_spec spec = {
		.name = name, .cgroup_id = id, .cgroup = cgroup, .source = TARGET_EXPLICIT};

	return registry__add(r, &spec, NULL);
}

static void test_add_find_remove(void **state)
{
	struct registry *r;
	const struct target_info *a, *b;
	const struct target_spec spec = {.name = "w1",
					 .slot = 7,
					 .cgroup_id = 300,
					 .cgroup = "/ci//job1/",
					 .source = TARGET_WATCH,
					 .watch = "ci",
					 .linger_ns = 10,
					 .now_ns = 1000};

	assert_int_equal(registry__new(4, &r), 0);
	assert_int_equal(registry__add(r, &spec, &a), 0);
	assert_string_equal(a->name, "w1");
	assert_string_equal(a->cgroup, "/ci/job1");
	assert_int_equal(a->slot, 7);
	assert_int_equal(a->cgroup_id, 300);
	assert_int_equal(a->state, TARGET_LIVE);
	assert_int_equal(a->source, TARGET_WATCH);
	assert_string_equal(a->watch, "ci");
	assert_int_equal(a->epoch, 0);
	assert_int_equal(a->created_ns, 1000);
	assert_int_equal(a->populated_ns, 1000);
	b = add(r, "b", "/b", 301);
	assert_null(b->watch);
	assert_ptr_equal(registry__find(r, "w1"), a);
	assert_ptr_equal(registry__find_cgroup(r, 301), b);
	assert_null(registry__find(r, "W1"));
	assert_null(registry__find_cgroup(r, 302));
	assert_int_equal(registry__count(r), 2);
	assert_ptr_equal(registry__at(r, 0), a);
	assert_ptr_equal(registry__at(r, 1), b);
	assert_null(registry__at(r, 2));

	assert_int_equal(registry__remove(r, a), 0);
	assert_null(registry__find(r, "w1"));
	assert_int_equal(registry__count(r), 1);
	assert_ptr_equal(registry__at(r, 0), b);
	assert_int_equal(registry__remove(r, a), -ENOENT);
	/* The name and the cgroup are free again. */
	a = add(r, "w1", "/ci/job1", 300);
	assert_int_equal(registry__active(r), 2);
	registry__free(r);
	registry__free(NULL);
}

static void test_unique_and_valid(void **state)
{
	struct registry *r;
	char long_name[TARGET_NAME_MAX + 2];

	assert_int_equal(registry__new(8, &r), 0);
	add(r, "a", "/a", 1);
	assert_int_equal(try_add(r, "a", "/other", 2), -EEXIST);
	assert_non_null(strstr(slz_errmsg(), "a target named a exists already (cgroup /a)"));
	assert_int_equal(try_add(r, "b", "/a", 1), -EEXIST);
	assert_non_null(strstr(slz_errmsg(), "cgroup /a is followed already, as target a"));
	assert_int_equal(try_add(r, "", "/c", 3), -EINVAL);
	assert_int_equal(try_add(r, ".", "/c", 3), -EINVAL);
	assert_int_equal(try_add(r, "..", "/c", 3), -EINVAL);
	assert_int_equal(try_add(r, "a/b", "/c", 3), -EINVAL);
	assert_int_equal(try_add(r, "a b", "/c", 3), -EINVAL);
	assert_int_equal(try_add(r, "c", "relative", 3), -EINVAL);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(try_add(r, long_name, "/c", 3), -EINVAL);
	long_name[TARGET_NAME_MAX] = '\0';
	assert_int_equal(try_add(r, long_name, "/c", 3), 0);
	assert_int_equal(try_add(r, "ok.name_1+y-z", "/d", 4), 0);
	/* '@' separates a name from its epoch in file names: never part of one. */
	assert_int_equal(try_add(r, "a@1", "/e", 5), -EINVAL);
	assert_true(target_name__valid("..."));
	assert_false(target_name__valid("\xc3\xa9"));
	registry__free(r);
}

static void test_capacity(void **state)
{
	struct registry *r;
	const struct target_info *a;

	assert_int_equal(registry__new(2, &r), 0);
	a = add(r, "a", "/a", 1);
	add(r, "b", "/b", 2);
	assert_int_equal(try_add(r, "c", "/c", 3), -ENOSPC);
	assert_non_null(strstr(slz_errmsg(), "target c refused: 2 targets are live"));
	assert_int_equal(try_add(r, "d", "/d", 4), -ENOSPC);
	assert_int_equal(registry__refused(r), 2);
	/* Finishing still holds a slot; finished does not, though it keeps its name. */
	assert_int_equal(registry__set_state(r, a, TARGET_FINISHING), 0);
	assert_int_equal(try_add(r, "c", "/c", 3), -ENOSPC);
	assert_int_equal(registry__set_state(r, a, TARGET_FINISHED), 0);
	assert_int_equal(registry__active(r), 1);
	assert_int_equal(try_add(r, "a", "/a2", 5), -EEXIST);
	assert_int_equal(try_add(r, "c", "/c", 3), 0);
	assert_int_equal(registry__count(r), 3);
	/* Removing a finished target frees no slot twice. */
	assert_int_equal(registry__remove(r, registry__find(r, "a")), 0);
	assert_int_equal(registry__active(r), 2);
	/* A smaller capacity keeps what is there and refuses what is new. */
	registry__set_capacity(r, 1);
	assert_int_equal(registry__count(r), 2);
	assert_int_equal(try_add(r, "e", "/e", 6), -ENOSPC);
	assert_int_equal(registry__refused(r), 4);
	registry__free(r);
}

static void test_states_and_epochs(void **state)
{
	struct registry *r;
	const struct target_info *a;
	uint32_t epoch = 0;

	assert_int_equal(registry__new(2, &r), 0);
	a = add(r, "a", "/a", 1);
	assert_int_equal(registry__checkpoint(r, a, &epoch), 0);
	assert_int_equal(epoch, 1);
	assert_int_equal(registry__checkpoint(r, a, NULL), 0);
	assert_int_equal(a->epoch, 2);
	assert_int_equal(registry__set_state(r, a, TARGET_LIVE), -EINVAL);
	assert_int_equal(registry__set_state(r, a, TARGET_FINISHING), 0);
	assert_int_equal(registry__checkpoint(r, a, NULL), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "target a is finishing"));
	assert_int_equal(registry__set_state(r, a, TARGET_LIVE), -EINVAL);
	assert_int_equal(registry__set_state(r, a, TARGET_FINISHED), 0);
	assert_int_equal(registry__set_state(r, a, TARGET_FINISHING), -EINVAL);
	/* live -> finished in one step. */
	a = add(r, "b", "/b", 2);
	assert_int_equal(registry__set_state(r, a, TARGET_FINISHED), 0);
	assert_string_equal(target_state__name(TARGET_FINISHING), "finishing");
	assert_string_equal(target_source__name(TARGET_ALL), "all");
	registry__free(r);
}

static void test_attribution(void **state)
{
	struct registry *r;
	const struct target_info *ci, *job, *deep, *root;

	assert_int_equal(registry__new(8, &r), 0);
	assert_null(registry__attribute(r, "/ci/job1"));
	ci = add(r, "ci", "/ci", 1);
	deep = add(r, "deep", "/ci/job1/step/x", 3);
	job = add(r, "job", "/ci/job1", 2);
	assert_ptr_equal(registry__attribute(r, "/ci"), ci);
	assert_ptr_equal(registry__attribute(r, "/ci/job2"), ci);
	assert_ptr_equal(registry__attribute(r, "/ci/job1"), job);
	assert_ptr_equal(registry__attribute(r, "/ci/job1/step"), job);
	assert_ptr_equal(registry__attribute(r, "/ci/job1/step/x/y"), deep);
	/* Whole components only. */
	assert_ptr_equal(registry__attribute(r, "/ci/job10"), ci);
	assert_null(registry__attribute(r, "/cix"));
	assert_null(registry__attribute(r, "/"));
	/* A finished target attributes nothing: its ancestor takes over. */
	assert_int_equal(registry__set_state(r, job, TARGET_FINISHING), 0);
	assert_ptr_equal(registry__attribute(r, "/ci/job1/step"), job);
	assert_int_equal(registry__set_state(r, job, TARGET_FINISHED), 0);
	assert_ptr_equal(registry__attribute(r, "/ci/job1/step"), ci);
	/* --all's root holds everything the others do not. */
	root = add(r, "root", "/", 4);
	assert_ptr_equal(registry__attribute(r, "/other/x"), root);
	assert_ptr_equal(registry__attribute(r, "/ci/job1"), ci);
	registry__free(r);
}

static void test_linger(void **state)
{
	struct registry *r;
	const struct target_spec spec = {
		.name = "w", .cgroup_id = 1, .cgroup = "/w", .linger_ns = 100, .now_ns = 1000};
	const struct target_info *w, *e, *x;
	size_t pos = 0;

	assert_int_equal(registry__new(4, &r), 0);
	assert_int_equal(registry__add(r, &spec, &w), 0);
	e = add(r, "explicit", "/e", 2); /* linger 0: never */
	/* Never populated: lingers from its creation. */
	assert_null(registry__next_expired(r, 1099, &pos));
	pos = 0;
	assert_ptr_equal(registry__next_expired(r, 1100, &pos), w);
	assert_null(registry__next_expired(r, 1100, &pos));
	registry__set_populated(r, w, true, 1200);
	pos = 0;
	assert_null(registry__next_expired(r, 5000, &pos));
	/* Empty from 1300 on: the last time it held a process. */
	registry__set_populated(r, w, false, 1300);
	/* A second "empty" says nothing new. */
	registry__set_populated(r, w, false, 1350);
	assert_int_equal(w->populated_ns, 1300);
	pos = 0;
	assert_null(registry__next_expired(r, 1399, &pos));
	pos = 0;
	x = registry__next_expired(r, 1400, &pos);
	assert_ptr_equal(x, w);
	assert_int_equal(registry__set_state(r, w, TARGET_FINISHING), 0);
	pos = 0;
	assert_null(registry__next_expired(r, 99999, &pos));
	(void)e;
	registry__free(r);
}

static void name_for(struct registry *r, const char *tpl, const char *name, const char *want)
{
	const struct name_vars v = {.name = name, .watch = "ci", .id = 4242, .parent = "runner"};
	char out[TARGET_NAME_MAX + 1];

	assert_int_equal(registry__name_for(r, tpl, &v, out), 0);
	assert_string_equal(out, want);
	assert_true(target_name__valid(out));
}

static void test_templates(void **state)
{
	struct registry *r;

	assert_int_equal(registry__new(8, &r), 0);
	name_for(r, "{name}", "job-1.scope", "job-1.scope");
	name_for(r, "{watch}-{name}", "j", "ci-j");
	name_for(r, "{parent}/{id}", "j", "runner_2F4242");
	name_for(r, "x{id}y", "j", "x4242y");
	/* What is not safe in a file name becomes hex. */
	name_for(r, "{name}", "a b:c\xff", "a_20b_3Ac_FF");
	/* '@' too: it separates a name from its epoch in the state directory's file names. */
	name_for(r, "{name}", "job@2", "job_402");
	name_for(r, "{name}", ".", "_2E");
	name_for(r, "{name}", "..", "_2E_2E");
	name_for(r, "{name}", "", "_");
	{
		const struct name_vars v = {.name = "x", .watch = "w", .id = 1, .parent = ""};
		char out[TARGET_NAME_MAX + 1];

		assert_int_equal(registry__name_for(r, "{parent}", &v, out), 0);
		assert_string_equal(out, "_");
		assert_int_equal(registry__name_for(r, "{nope}", &v, out), -EINVAL);
	}
	registry__free(r);
}

static void test_long_and_collisions(void **state)
{
	struct registry *r;
	char name[400], want[TARGET_NAME_MAX + 1];

	assert_int_equal(registry__new(16, &r), 0);
	name_for(r, "{name}", "job", "job");
	add(r, "job", "/1", 1);
	name_for(r, "{name}", "job", "job-2");
	add(r, "job-2", "/2", 2);
	add(r, "job-3", "/3", 3);
	name_for(r, "{name}", "job", "job-4");
	/* The first free suffix, not one past the highest. */
	assert_int_equal(registry__remove(r, registry__find(r, "job-2")), 0);
	name_for(r, "{name}", "job", "job-2");

	/* Cut at TARGET_NAME_MAX, never inside an escape, and cut again to fit a suffix. */
	memset(name, 'a', 300);
	name[300] = '\0';
	memset(want, 'a', TARGET_NAME_MAX);
	want[TARGET_NAME_MAX] = '\0';
	name_for(r, "{name}", name, want);
	add(r, want, "/long", 10);
	memset(want + TARGET_NAME_MAX - 2, '\0', 2);
	strcat(want, "-2");
	name_for(r, "{name}", name, want);
	memset(name, 'a', 253);
	name[253] = ' ';
	name[254] = '\0';
	memset(want, 'a', 253);
	want[253] = '\0';
	name_for(r, "{name}", name, want);
	registry__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_remove), cmocka_unit_test(test_unique_and_valid),
		cmocka_unit_test(test_capacity),	cmocka_unit_test(test_states_and_epochs),
		cmocka_unit_test(test_attribution),	cmocka_unit_test(test_linger),
		cmocka_unit_test(test_templates),	cmocka_unit_test(test_long_and_collisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
