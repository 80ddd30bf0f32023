// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's file names: epochs after '@', snapshots, zips, the {target} template. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_paths.h"
#include "registry.h"

static void file_is(const char *state, enum daemon_file kind, const char *stem, const char *want)
{
	char *got = NULL;

	assert_int_equal(daemon_path__file(state, kind, stem, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_stems(void **state)
{
	char stem[DAEMON_STEM_MAX];
	char name[TARGET_NAME_MAX + 1];

	daemon_path__stem("ci-1", 0, stem);
	assert_string_equal(stem, "ci-1");
	daemon_path__stem("ci-1", 3, stem);
	assert_string_equal(stem, "ci-1@3");
	/* The longest name with the largest epoch still fits whole. */
	memset(name, 'x', TARGET_NAME_MAX);
	name[TARGET_NAME_MAX] = '\0';
	daemon_path__stem(name, UINT32_MAX, stem);
	assert_int_equal(strlen(stem), TARGET_NAME_MAX + strlen("@4294967295"));
	assert_string_equal(stem + TARGET_NAME_MAX, "@4294967295");
	/* '@' cannot be in a name, so a stem reads back one way only. */
	assert_false(target_name__valid("ci-1@3"));
}

static void test_files(void **state)
{
	file_is("/var/lib/slimzip", DAEMON_FILE_PROFILE, "ci-1",
		"/var/lib/slimzip/profiles/ci-1.profile");
	file_is("/var/lib/slimzip", DAEMON_FILE_PROFILE, "ci-1@2",
		"/var/lib/slimzip/profiles/ci-1@2.profile");
	file_is("/var/lib/slimzip", DAEMON_FILE_SNAPSHOT, "ci-1",
		"/var/lib/slimzip/profiles/ci-1@snapshot.profile");
	file_is("/var/lib/slimzip", DAEMON_FILE_ZIP, "ci-1@2", "/var/lib/slimzip/zips/ci-1@2.zip");
	file_is("/var/lib/slimzip", DAEMON_FILE_JOURNAL, "ci-1@2",
		"/var/lib/slimzip/journal/ci-1@2.journal");
	file_is("/", DAEMON_FILE_PROFILE, "a", "/profiles/a.profile");
}

static void output_is(const char *tpl, const char *stem, const char *want)
{
	char *got = NULL;

	assert_int_equal(daemon_path__output(tpl, stem, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_output_template(void **state)
{
	char *got = (char *)1, *tpl;

	output_is("/srv/zips/orders.zip", "ci-1", "/srv/zips/orders.zip");
	output_is("/srv/zips/{target}.zip", "ci-1", "/srv/zips/ci-1.zip");
	output_is("/srv/{target}/{target}.zip", "ci-1@2", "/srv/ci-1@2/ci-1@2.zip");
	/* Other braces are text: only {target} is a variable. */
	output_is("/srv/{name}{target", "x", "/srv/{name}{target");
	output_is("/srv/{target}}", "x", "/srv/x}");
	/* Too long once expanded: refused, nothing handed out. */
	tpl = malloc(PATH_MAX);
	assert_non_null(tpl);
	memset(tpl, 'a', PATH_MAX - 20);
	strcpy(tpl + PATH_MAX - 20, "{target}");
	assert_int_equal(daemon_path__output(tpl, "a-target-name-of-30-bytes-xyz", &got),
			 -ENAMETOOLONG);
	assert_null(got);
	free(tpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stems),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_output_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
