// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a zip records of its pruning (prune_policy__describe) and taking it back (__adopt). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune_policy.h"
#include "util.h"

static char *describe(const struct prune_policy *p)
{
	char *s = NULL;

	assert_int_equal(prune_policy__describe(p, "9.8.7", &s), 0);
	assert_non_null(s);
	return s;
}

static void test_describe_defaults(void **state)
{
	struct prune_policy p;
	char *s;

	assert_int_equal(prune_policy__init(&p), 0);
	s = describe(&p);
	assert_string_equal(s, "{\"slimzip\":\"9.8.7\",\"modes\":\"lambda\",\"mtime\":\"keep\","
			       "\"level\":6,\"keep\":[],\"drop\":[],\"rules_off\":[],"
			       "\"tree_path_as\":null,\"keep_created\":false}");
	free(s);
	prune_policy__release(&p);
}

/* Everything that shapes a zip: described, adopted by a fresh policy, described the same. */
static void test_round_trip(void **state)
{
	struct prune_policy a, b;
	bool adopted = false;
	char *sa, *sb;

	assert_int_equal(prune_policy__init(&a), 0);
	assert_int_equal(zipwrite__parse_modes("keep", &a.zip), 0);
	assert_int_equal(zipwrite__parse_mtime("fixed", &a.zip), 0);
	a.zip.level = 3;
	assert_int_equal(globs__add(a.globs, GLOB_KEEP, "lib/**"), 0);
	assert_int_equal(globs__add(a.globs, GLOB_DROP, "*.md"), 0);
	assert_int_equal(globs__add(a.globs, GLOB_DROP, "docs/\"q\"\\x"), 0);
	a.rules.off = 1u << rules__find("node");
	a.recorded_at = "/var/task";
	a.keep_created = true;
	sa = describe(&a);
	assert_null(strchr(sa, '\n'));

	assert_int_equal(prune_policy__init(&b), 0);
	assert_int_equal(prune_policy__adopt(&b, sa, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(b.zip.modes, ZIPWRITE_MODES_KEEP);
	assert_int_equal(b.zip.mtime_mode, ZIPWRITE_MTIME_FIXED);
	assert_int_equal(b.zip.level, 3);
	assert_int_equal(globs__count(b.globs), 3);
	assert_string_equal(globs__pattern(b.globs, 2), "docs/\"q\"\\x");
	assert_int_equal(globs__action(b.globs, 2), GLOB_DROP);
	assert_int_equal(b.rules.off, 1u << rules__find("node"));
	assert_string_equal(b.recorded_at, "/var/task");
	assert_true(b.keep_created);
	sb = describe(&b);
	assert_string_equal(sa, sb);
	free(sa);
	free(sb);
	prune_policy__release(&a);
	prune_policy__release(&b);

	/* SOURCE_DATE_EPOCH or --mtime EPOCH: the seconds. */
	assert_int_equal(prune_policy__init(&a), 0);
	assert_int_equal(zipwrite__parse_mtime("1700000000", &a.zip), 0);
	sa = describe(&a);
	assert_non_null(strstr(sa, "\"mtime\":1700000000,"));
	assert_int_equal(prune_policy__init(&b), 0);
	assert_int_equal(prune_policy__adopt(&b, sa, &adopted), 0);
	assert_int_equal(b.zip.mtime_mode, ZIPWRITE_MTIME_EPOCH);
	assert_int_equal(b.zip.epoch, 1700000000);
	free(sa);
	prune_policy__release(&a);
	prune_policy__release(&b);
}

/* An option given on the command line wins over what the zip recorded. */
static void test_given_wins(void **state)
{
	const char *rec = "{\"slimzip\":\"0.1.0\",\"modes\":\"keep\",\"mtime\":\"fixed\","
			  "\"level\":1,\"keep\":[\"k\"],\"drop\":[\"d\"],\"rules_off\":[\"elf\"],"
			  "\"tree_path_as\":\"/var/task\",\"keep_created\":true}";
	struct prune_policy p;
	bool adopted;

	assert_int_equal(prune_policy__init(&p), 0);
	p.given = PRUNE_GIVEN_MTIME | PRUNE_GIVEN_DROP | PRUNE_GIVEN_TREE_PATH_AS;
	assert_int_equal(globs__add(p.globs, GLOB_DROP, "mine"), 0);
	p.recorded_at = "/opt/fn";
	assert_int_equal(prune_policy__adopt(&p, rec, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(p.zip.mtime_mode, ZIPWRITE_MTIME_KEEP); /* given */
	assert_int_equal(p.zip.modes, ZIPWRITE_MODES_KEEP);	 /* recorded */
	assert_int_equal(p.zip.level, 1);			 /* recorded */
	assert_int_equal(p.rules.off, 1u << rules__find("elf")); /* recorded */
	assert_string_equal(p.recorded_at, "/opt/fn");		 /* given */
	assert_true(p.keep_created);				 /* recorded */
	/* The given drop only, and the recorded keep. */
	assert_int_equal(globs__count(p.globs), 2);
	assert_string_equal(globs__pattern(p.globs, 0), "mine");
	assert_string_equal(globs__pattern(p.globs, 1), "k");
	assert_int_equal(globs__action(p.globs, 1), GLOB_KEEP);
	prune_policy__release(&p);

	/* Not keeping what the run created is an explicit choice too: false given, true recorded.
	 */
	assert_int_equal(prune_policy__init(&p), 0);
	p.given = PRUNE_GIVEN_KEEP_CREATED;
	assert_int_equal(prune_policy__adopt(&p, rec, &adopted), 0);
	assert_false(p.keep_created);
	prune_policy__release(&p);
}

/* Another tool's comment, or none: nothing changes, nothing fails. */
static void test_foreign_comments(void **state)
{
	static const char *const foreign[] = {"", "made by zip 3.0", "{\"name\":\"x\"}",
					      "{ \"slimzip\": 1 }"};
	struct prune_policy p;
	bool adopted = true;
	char *before, *after;

	assert_int_equal(prune_policy__init(&p), 0);
	before = describe(&p);
	assert_int_equal(prune_policy__adopt(&p, NULL, &adopted), 0);
	assert_false(adopted);
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++) {
		adopted = true;
		assert_int_equal(prune_policy__adopt(&p, foreign[i], &adopted), 0);
		assert_false(adopted);
	}
	after = describe(&p);
	assert_string_equal(before, after);
	free(before);
	free(after);
	prune_policy__release(&p);
}

/*
 * The host package directories verify --isolate hides: described only when there are any
 * (a zip without host packages keeps its comment), taken back whatever the command line gave.
 */
static void test_host_dirs(void **state)
{
	static const char *const dirs[] = {"/usr/lib/python3/dist-packages", "/srv/\"n\"/x"};
	struct prune_policy a, b;
	bool adopted = false;
	char *sa, *sb;

	assert_int_equal(prune_policy__init(&a), 0);
	assert_int_equal(prune_policy__set_host_dirs(&a, dirs, 2), 0);
	sa = describe(&a);
	assert_non_null(strstr(sa, ",\"keep_created\":false,\"host_dirs\":[\"/usr/lib/python3/"
				   "dist-packages\",\"/srv/\\\"n\\\"/x\"]}"));
	assert_int_equal(prune_policy__init(&b), 0);
	b.given = ~0u; /* every option given: host_dirs is still taken */
	assert_int_equal(prune_policy__adopt(&b, sa, &adopted), 0);
	assert_true(adopted);
	assert_int_equal(b.nhost_dirs, 2);
	assert_string_equal(b.host_dirs[0], dirs[0]);
	assert_string_equal(b.host_dirs[1], dirs[1]);
	sb = describe(&b);
	assert_string_equal(sa, sb);
	free(sb);
	/* Cleared: the comment is the one without them. */
	assert_int_equal(prune_policy__set_host_dirs(&b, NULL, 0), 0);
	sb = describe(&b);
	assert_null(strstr(sb, "host_dirs"));
	free(sb);
	free(sa);
	prune_policy__release(&a);
	prune_policy__release(&b);
	prune_policy__release(&b); /* released twice: nothing left to free */
}

/* slimzip's comment, damaged: refused with a message saying so. */
static void test_damaged(void **state)
{
	static const char *const bad[] = {
		"{\"slimzip\":\"0.1.0\",\"level\":12}",
		"{\"slimzip\":\"0.1.0\",\"modes\":\"loose\"}",
		"{\"slimzip\":\"0.1.0\",\"mtime\":\"soon\"}",
		"{\"slimzip\":\"0.1.0\",\"drop\":\"*.md\"}",
		"{\"slimzip\":\"0.1.0\",\"rules_off\":[\"cobol\"]}",
		"{\"slimzip\":\"0.1.0\",\"tree_path_as\":\"var/task\"}",
		"{\"slimzip\":\"0.1.0\",\"keep_created\":\"yes\"}",
		"{\"slimzip\":\"0.1.0\",\"keep_created\":tru}",
		"{\"slimzip\":\"0.1.0\",\"host_dirs\":\"/usr/lib\"}",
		"{\"slimzip\":\"0.1.0\",\"host_dirs\":[\"usr/lib\"]}",
		"{\"slimzip\":\"0.1.0\",\"level\":6",
		"{\"slimzip\":\"0.1.0\" \"level\":6}",
		"{\"slimzip\":\"0.1.0\",\"keep\":[\"a\",]}",
		"{\"slimzip\":\"0.1.0\",\"keep\":[\"a\\u0000b\"]}",
		"{\"slimzip\":\"0.1.0\"} trailing",
		"{\"slimzip\":",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct prune_policy p;
		bool adopted;

		assert_int_equal(prune_policy__init(&p), 0);
		if (prune_policy__adopt(&p, bad[i], &adopted) != -EBADMSG)
			fail_msg("'%s' was not refused", bad[i]);
		assert_non_null(strstr(slz_errmsg(), "is damaged"));
		prune_policy__release(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe_defaults), cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_given_wins),	  cmocka_unit_test(test_foreign_comments),
		cmocka_unit_test(test_damaged),		  cmocka_unit_test(test_host_dirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
