// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slz_vocab.h"
#include "prune_report.h"
#include "util.h"
#include "testfs.h"

static void test_package_of(void **state)
{
	static const char *const cases[][2] = {
		{"handler.py", "handler.py"},
		{"numpy/core/x.so", "numpy"},
		{"node_modules/lodash/index.js", "node_modules/lodash"},
		{"node_modules/@aws-sdk/client-s3/dist/index.js",
		 "node_modules/@aws-sdk/client-s3"},
		{"python/lib/python3.11/site-packages/yaml/x.py",
		 "python/lib/python3.11/site-packages/yaml"},
		{"lib/libfoo.so", "lib/libfoo.so"},
		{"vendor/textkit/a.py", "vendor/textkit"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = prune_report__package_of(cases[i][0]);

		assert_non_null(got);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
}

static void test_report_and_whitelist(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct prune_policy pol;
	struct prune_plan r;
	struct zipwrite_stats zs = {.zip_size = 1234};
	struct tree *t;
	struct profile *p;
	struct profile_entry e = {
		.kinds = SLZ_KIND_MMAP, .first_pid = 7, .flags = SLZ_EVF_PATH_ONLY};
	struct package_bytes *pk;
	size_t n;
	char *json;

	testfs__mkdtemp(dir, sizeof(dir), "rep");
	testfs__mkdir(dir, "lib");
	testfs__write(dir, "lib/a \"q\".so", "12345");
	testfs__write(dir, "unused.txt", "123");

	assert_int_equal(profile__new(&p), 0);
	snprintf(path, sizeof(path), "%s/lib/a \"q\".so", dir);
	e.path = path;
	strcpy(e.first_comm, "node");
	assert_int_equal(profile__add(p, &e), 0);
	assert_int_equal(prune_policy__init(&pol), 0);
	assert_int_equal(prune_policy__open_tree(&pol, dir, &t), 0);
	assert_int_equal(prune__plan(t, &pol, (const struct profile *const *)&p, 1, NULL, &r), 0);

	snprintf(path, sizeof(path), "%s/../slz-rep-report.json", dir);
	assert_int_equal(prune_report__write_json(&r, &zs, p, path), 0);
	json = testfs__read(path, NULL);
	unlink(path);
	assert_non_null(strstr(json, "\"before\":{\"files\":2,\"bytes\":8}"));
	assert_non_null(strstr(json, "\"after\":{\"files\":1,\"bytes\":5"));
	assert_non_null(strstr(json, "\"zip_bytes\":1234,"));
	/* The rules by name, from their table. */
	assert_non_null(strstr(json, "\"rules\":{\"python\":0,\"node\":0,\"elf\":0}"));
	assert_non_null(strstr(json,
			       "{\"path\":\"lib/a \\\"q\\\".so\",\"type\":\"file\",\"size\":5,"
			       "\"why\":[\"mmapped\"],\"first_pid\":7,\"first_comm\":\"node\"}"));
	assert_non_null(strstr(json, "{\"path\":\"lib\",\"type\":\"dir\",\"size\":0,\"why\":"
				     "[\"directory\"]}"));
	assert_null(strstr(json, "unused.txt"));
	free(json);

	snprintf(path, sizeof(path), "%s/../slz-rep-white.txt", dir);
	assert_int_equal(prune_report__write_whitelist(&r, path), 0);
	json = testfs__read(path, NULL);
	unlink(path);
	assert_string_equal(json, "lib\nlib/a \"q\".so\n");
	free(json);

	assert_int_equal(prune_report__packages(&r, &pk, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pk[0].name, "lib/a \"q\".so");
	assert_int_equal(pk[0].kept_bytes, 5);
	assert_string_equal(pk[1].name, "unused.txt");
	assert_int_equal(pk[1].dropped_bytes, 3);
	prune_report__free_packages(pk, n);

	prune_plan__release(&r);
	tree__free(t);
	prune_policy__release(&pol);
	profile__free(p);
	testfs__rmtree(dir);
}

/* The report lists what the run created and the zip leaves out, and what it modified. */
static void test_report_lists_written_files(void **state)
{
	static const struct {
		const char *rel;
		uint32_t kinds;
	} opens[] = {
		{"handler.py", SLZ_KIND_OPEN},
		{"logs/app.log", SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_CREATE},
		{"logs/old.log", SLZ_KIND_OPEN | SLZ_KIND_CREATE},
		{"conf.ini", SLZ_KIND_OPEN | SLZ_KIND_WRITE},
		{"state", SLZ_KIND_OPEN | SLZ_KIND_TRUNC},
	};
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct zipwrite_stats zs = {0};
	struct prune_policy pol;
	struct prune_plan r;
	struct profile *p;
	struct tree *t;
	char *json;

	testfs__mkdtemp(dir, sizeof(dir), "rep-written");
	assert_int_equal(profile__new(&p), 0);
	for (size_t i = 0; i < sizeof(opens) / sizeof(*opens); i++) {
		struct profile_entry e = {.kinds = opens[i].kinds, .first_pid = 7};

		testfs__write(dir, opens[i].rel, "x");
		snprintf(path, sizeof(path), "%s/%s", dir, opens[i].rel);
		e.path = path;
		assert_int_equal(profile__add(p, &e), 0);
	}
	assert_int_equal(prune_policy__init(&pol), 0);
	assert_int_equal(prune_policy__open_tree(&pol, dir, &t), 0);
	assert_int_equal(prune__plan(t, &pol, (const struct profile *const *)&p, 1, NULL, &r), 0);
	snprintf(path, sizeof(path), "%s/../slz-rep-written.json", dir);
	assert_int_equal(prune_report__write_json(&r, &zs, p, path), 0);
	json = testfs__read(path, NULL);
	unlink(path);
	assert_non_null(strstr(json, "\"created_left_out\":[\"logs/app.log\",\"logs/old.log\"],"
				     "\"created_kept\":0,\"modified\":[\"conf.ini\",\"state\"]"));
	assert_null(strstr(json, "{\"path\":\"logs/app.log\""));
	assert_non_null(strstr(json, "{\"path\":\"conf.ini\""));
	free(json);
	prune_plan__release(&r);
	tree__free(t);
	prune_policy__release(&pol);
	profile__free(p);
	testfs__rmtree(dir);
}

static void test_packages_of_a_tree_without_files(void **state)
{
	char dir[PATH_MAX];
	struct prune_policy pol;
	struct prune_plan r;
	struct package_bytes *pk = NULL;
	struct profile *p;
	struct tree *t;
	size_t n = 1;

	/* No file, no package: the empty list must not reach qsort as NULL (UBSan). */
	testfs__mkdtemp(dir, sizeof(dir), "rep-empty");
	assert_int_equal(profile__new(&p), 0);
	assert_int_equal(prune_policy__init(&pol), 0);
	pol.force = true; /* a profile of nothing is refused otherwise */
	assert_int_equal(prune_policy__open_tree(&pol, dir, &t), 0);
	assert_int_equal(prune__plan(t, &pol, (const struct profile *const *)&p, 1, NULL, &r), 0);
	assert_int_equal(prune_report__packages(&r, &pk, &n), 0);
	assert_int_equal(n, 0);
	prune_report__free_packages(pk, n);
	prune_plan__release(&r);
	tree__free(t);
	prune_policy__release(&pol);
	profile__free(p);
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_package_of),
		cmocka_unit_test(test_report_and_whitelist),
		cmocka_unit_test(test_report_lists_written_files),
		cmocka_unit_test(test_packages_of_a_tree_without_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
