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

/* One package definition: hostdeps__tree_package's, labelled with its package directory. */
static void test_package_name(void **state)
{
	static const struct {
		const char *path, *name;
		enum hostdep_kind kind;
	} cases[] = {
		{"handler.py", "handler", HOSTDEP_PYTHON},
		{"README.md", "README.md", HOSTDEP_TOP_FILE},
		{"numpy/core/x.so", "numpy", HOSTDEP_TOP_DIR}, /* no tree: no __init__.py seen */
		{"node_modules/lodash/index.js", "node_modules/lodash", HOSTDEP_NODE},
		{"node_modules/@aws-sdk/client-s3/dist/index.js", "node_modules/@aws-sdk/client-s3",
		 HOSTDEP_NODE},
		{"python/lib/python3.11/site-packages/yaml/x.py",
		 "python/lib/python3.11/site-packages/yaml", HOSTDEP_PYTHON},
		{"lib/libfoo.so", "lib", HOSTDEP_LIB},
		{"PyYAML-6.0.dist-info/METADATA", "PyYAML", HOSTDEP_PYTHON},
		{"__pycache__/six.cpython-311.pyc", "six", HOSTDEP_PYTHON},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum hostdep_kind kind = HOSTDEP_SHARED;
		char *got = prune_report__package_name(NULL, cases[i].path, &kind);

		assert_non_null(got);
		assert_string_equal(got, cases[i].name);
		assert_int_equal(kind, cases[i].kind);
		free(got);
	}
	assert_null(prune_report__package_name(NULL, "/abs", NULL));
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
	assert_int_equal(prune_report__write_json(&r, &zs, p, NULL, path), 0);
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
	/* Left out: listed among the dropped, not the kept. */
	assert_non_null(strstr(json, "\"dropped\":[\n{\"path\":\"unused.txt\",\"type\":\"file\","
				     "\"size\":3,\"why\":\"not-used\"}\n]"));
	assert_null(
		strstr(json, "{\"path\":\"unused.txt\",\"type\":\"file\",\"size\":3,\"why\":["));
	free(json);

	snprintf(path, sizeof(path), "%s/../slz-rep-white.txt", dir);
	assert_int_equal(prune_report__write_whitelist(&r, path), 0);
	json = testfs__read(path, NULL);
	unlink(path);
	assert_string_equal(json, "lib\nlib/a \"q\".so\n");
	free(json);

	assert_int_equal(prune_report__packages(&r, &pk, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pk[0].name, "lib");
	assert_int_equal(pk[0].kind, HOSTDEP_LIB);
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
	assert_int_equal(prune_report__write_json(&r, &zs, p, NULL, path), 0);
	json = testfs__read(path, NULL);
	unlink(path);
	assert_non_null(strstr(json, "\"created_left_out\":[\"logs/app.log\",\"logs/old.log\"],"
				     "\"created_kept\":0,\"modified\":[\"conf.ini\",\"state\"]"));
	/* Not among the kept (a "why" array), among the dropped (one "why"). */
	assert_null(strstr(json, "{\"path\":\"logs/app.log\",\"type\":\"file\",\"size\":1,"
				 "\"why\":["));
	assert_non_null(strstr(json, "{\"path\":\"logs/app.log\",\"type\":\"file\",\"size\":1,"
				     "\"why\":\"created-by-run\"}"));
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

/*
 * Everything left out is listed with why (never used, --drop, a link leading out, created by
 * the run), packages sum kept and dropped bytes, bytes_by_reason sums each reason, and the
 * report names the command, its policy, the version and Lambda's limits.
 */
static void test_report_dropped_and_reasons(void **state)
{
	static const struct {
		const char *rel;
		uint32_t kinds;
	} opens[] = {
		{"handler.py", SLZ_KIND_OPEN},
		{"docs/guide.md", SLZ_KIND_OPEN},
		{"logs/run.log", SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_CREATE},
		{"node_modules/left-pad/index.js", SLZ_KIND_OPEN},
	};
	static const char *const argv[] = {"prune", "--drop", "docs/guide.md", "--keep", "out"};
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct zipwrite_stats zs = {.zip_size = 99};
	struct prune_policy pol;
	struct prune_plan r;
	struct profile *p;
	struct tree *t;
	char *json;

	testfs__mkdtemp(dir, sizeof(dir), "rep-dropped");
	testfs__write(dir, "handler.py", "12");
	testfs__write(dir, "docs/guide.md", "1234");
	testfs__write(dir, "logs/run.log", "123456");
	testfs__write(dir, "node_modules/left-pad/index.js", "1");
	testfs__write(dir, "node_modules/left-pad/README", "12345678");
	testfs__symlink(dir, "out", "/etc/hostname");
	assert_int_equal(profile__new(&p), 0);
	for (size_t i = 0; i < sizeof(opens) / sizeof(*opens); i++) {
		struct profile_entry e = {.kinds = opens[i].kinds, .first_pid = 7};

		snprintf(path, sizeof(path), "%s/%s", dir, opens[i].rel);
		e.path = path;
		assert_int_equal(profile__add(p, &e), 0);
	}
	assert_int_equal(prune_policy__init(&pol), 0);
	assert_int_equal(globs__add(pol.globs, GLOB_DROP, "docs/guide.md"), 0);
	assert_int_equal(globs__add(pol.globs, GLOB_KEEP, "out"), 0);
	assert_int_equal(prune_policy__open_tree(&pol, dir, &t), 0);
	assert_int_equal(prune__plan(t, &pol, (const struct profile *const *)&p, 1, NULL, &r), 0);
	snprintf(path, sizeof(path), "%s/../slz-rep-dropped.json", dir);
	struct prune_report_run run = {.version = "9.9.9",
				       .argv = argv,
				       .argc = sizeof(argv) / sizeof(*argv),
				       .pol = &pol};
	assert_int_equal(prune_report__write_json(&r, &zs, p, &run, path), 0);
	json = testfs__read(path, NULL);
	unlink(path);
	assert_non_null(strstr(json,
			       "{\"slimzip_report\":2,\"kind\":\"prune\",\"version\":\"9.9.9\","
			       "\"command\":{\"argv\":[\"prune\",\"--drop\",\"docs/guide.md\","
			       "\"--keep\",\"out\"],\"policy\":{\"slimzip\":\"9.9.9\","));
	assert_non_null(strstr(json, "\"keep\":[\"out\"],\"drop\":[\"docs/guide.md\"],"));
	assert_non_null(strstr(json, "\"force\":false,\"dry_run\":false,\"strict_host\":false}}"));
	assert_non_null(strstr(json, "\"lambda_limits\":{\"zipped_bytes\":52428800,"
				     "\"unzipped_bytes\":262144000}"));
	/* The dropped entries in tree order, each with its one reason. */
	assert_non_null(strstr(json, "{\"path\":\"docs/guide.md\",\"type\":\"file\",\"size\":4,"
				     "\"why\":\"drop\"}"));
	assert_non_null(strstr(json, "{\"path\":\"logs/run.log\",\"type\":\"file\",\"size\":6,"
				     "\"why\":\"created-by-run\"}"));
	assert_non_null(strstr(json, "{\"path\":\"node_modules/left-pad/README\",\"type\":\"file\","
				     "\"size\":8,\"why\":\"not-used\"}"));
	assert_non_null(strstr(json, "{\"path\":\"out\",\"type\":\"symlink\",\"size\":0,"
				     "\"why\":\"link-outside\"}"));
	/* Bytes by reason: kept by each reason, dropped by its one. */
	assert_non_null(strstr(json, "\"bytes_by_reason\":{\"kept\":{\"opened\":{\"files\":2,"
				     "\"bytes\":3}},\"dropped\":{"));
	assert_non_null(strstr(json, "\"drop\":{\"files\":1,\"bytes\":4}"));
	assert_non_null(strstr(json, "\"created-by-run\":{\"files\":1,\"bytes\":6}"));
	assert_non_null(strstr(json, "\"not-used\":{\"files\":1,\"bytes\":8}"));
	/* Packages: the node_modules package kept 1 byte and dropped 8. */
	assert_non_null(strstr(json, "{\"package\":\"node_modules/left-pad\",\"kind\":\"node\","
				     "\"kept_files\":1,\"kept_bytes\":1,\"dropped_files\":1,"
				     "\"dropped_bytes\":8}"));
	assert_non_null(strstr(json,
			       "{\"package\":\"handler\",\"kind\":\"python\",\"kept_files\":1,"
			       "\"kept_bytes\":2,\"dropped_files\":0,\"dropped_bytes\":0}"));
	free(json);
	prune_plan__release(&r);
	tree__free(t);
	prune_policy__release(&pol);
	profile__free(p);
	testfs__rmtree(dir);
}

/* What a layer holds (prune_plan__drop) is left out as "layer"; the rest keeps its reason. */
static void test_dropped_for_a_layer(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct prune_policy pol;
	struct prune_plan r;
	struct keepset *layer;
	struct profile *p;
	struct tree *t;
	int64_t idx;

	testfs__mkdtemp(dir, sizeof(dir), "rep-layer");
	testfs__write(dir, "handler.py", "1");
	testfs__write(dir, "yaml/__init__.py", "12");
	assert_int_equal(profile__new(&p), 0);
	for (int i = 0; i < 2; i++) {
		struct profile_entry e = {.kinds = SLZ_KIND_OPEN, .first_pid = 7};

		snprintf(path, sizeof(path), "%s/%s", dir, i ? "yaml/__init__.py" : "handler.py");
		e.path = path;
		assert_int_equal(profile__add(p, &e), 0);
	}
	assert_int_equal(prune_policy__init(&pol), 0);
	assert_int_equal(prune_policy__open_tree(&pol, dir, &t), 0);
	assert_int_equal(prune__plan(t, &pol, (const struct profile *const *)&p, 1, NULL, &r), 0);
	idx = tree__find_path(t, "yaml/__init__.py");
	assert_true(idx > 0);
	assert_int_equal(keepset__new(t, &layer), 0);
	assert_int_equal(keepset__add(layer, (uint32_t)idx, KEEP_OPENED, 0, NULL), 0);
	assert_int_equal(prune_plan__drop(&r, layer), 0);
	assert_string_equal(prune_report__dropped_why(&r, (uint32_t)idx), "layer");
	assert_false(keepset__has(r.keep, (uint32_t)idx));
	keepset__free(layer);
	prune_plan__release(&r);
	tree__free(t);
	prune_policy__release(&pol);
	profile__free(p);
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_package_name),
		cmocka_unit_test(test_report_dropped_and_reasons),
		cmocka_unit_test(test_dropped_for_a_layer),
		cmocka_unit_test(test_report_and_whitelist),
		cmocka_unit_test(test_report_lists_written_files),
		cmocka_unit_test(test_packages_of_a_tree_without_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
