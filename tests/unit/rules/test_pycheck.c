// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keepset.h"
#include "pycheck.h"
#include "tree.h"
#include "util.h"
#include "testfs.h"

/*
 * The tree every test starts from, with real bytecode from the system Python:
 *   pkg/odd.py    odd mtime, timestamp pycs
 *   pkg/even.py   even mtime, timestamp pycs
 *   pkg/hashed.py odd mtime, checked-hash pycs: validated by content, immune to mtimes
 * Each is compiled at opt levels 0 and 1: two pycs share one source.
 */
struct fixture {
	char root[PATH_MAX];
	int root_fd;
	struct tree *t;
	struct keepset *k;
};

static void set_mtime(const char *root, const char *rel, time_t sec)
{
	struct timespec ts[2] = {{.tv_sec = sec}, {.tv_sec = sec}};
	char p[PATH_MAX];

	testfs__path(p, sizeof(p), root, rel);
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* Explicit modes, and no SOURCE_DATE_EPOCH: it would turn the default into checked-hash. */
static void compile(const char *root, const char *rel, const char *mode)
{
	testfs__run("cd '%s' && env -u SOURCE_DATE_EPOCH -u PYTHONPYCACHEPREFIX /usr/bin/python3 "
		    "-m compileall -q -o 0 -o 1 --invalidation-mode %s %s",
		    root, mode, rel);
}

/* The pyc of stem at opt level 0 (its tag depends on the Python version), tree-relative. */
static void pyc_of(const char *root, const char *stem, char *out, size_t len)
{
	char pat[PATH_MAX];
	size_t found = 0;
	glob_t g;

	snprintf(pat, sizeof(pat), "%s/pkg/__pycache__/%s.*.pyc", root, stem);
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *rel = g.gl_pathv[i] + strlen(root) + 1;

		if (strstr(rel, ".opt-"))
			continue;
		assert_true(strlen(rel) < len);
		strcpy(out, rel);
		found++;
	}
	globfree(&g);
	assert_int_equal(found, 1);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	testfs__mkdtemp(f->root, sizeof(f->root), "pycheck");
	testfs__write(f->root, "pkg/odd.py", "x = 1\n");
	testfs__write(f->root, "pkg/even.py", "y = 2\n");
	testfs__write(f->root, "pkg/hashed.py", "z = 3\n");
	compile(f->root, "pkg/odd.py pkg/even.py", "timestamp");
	compile(f->root, "pkg/hashed.py", "checked-hash");
	set_mtime(f->root, "pkg/odd.py", 1700000001);
	set_mtime(f->root, "pkg/even.py", 1700000002);
	set_mtime(f->root, "pkg/hashed.py", 1700000003);
	f->root_fd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = f;
	return f->root_fd < 0 ? -1 : 0;
}

/* (Re)read the tree: tests change it after setup, and the tree records mtimes when opened. */
static void open_tree(struct fixture *f)
{
	keepset__free(f->k);
	tree__free(f->t);
	f->k = NULL;
	f->t = NULL;
	assert_int_equal(tree__open(f->root, NULL, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
}

static void keep_all(struct fixture *f)
{
	for (uint32_t i = 1; i < tree__count(f->t); i++)
		assert_int_equal(keepset__add(f->k, i, KEEP_OPENED, 0, NULL), 0);
}

static void drop(struct fixture *f, const char *rel)
{
	int64_t i = tree__find_path(f->t, rel);

	assert_true(i > 0);
	assert_true(keepset__remove(f->k, (uint32_t)i));
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	keepset__free(f->k);
	tree__free(f->t);
	close(f->root_fd);
	testfs__rmtree(f->root);
	free(f);
	return 0;
}

/* The check as zipwrite makes it: with the identity the walk saw (lstat now; 0 when absent). */
static bool is_ts(const struct fixture *f, const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st = {0};

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	lstat(path, &st);
	return pycheck__is_timestamp_based(f->root_fd, rel, st.st_dev, st.st_ino);
}

static void test_timestamp_vs_hash(void **state)
{
	struct fixture *f = *state;
	char odd[PATH_MAX], hashed[PATH_MAX];

	pyc_of(f->root, "odd", odd, sizeof(odd));
	pyc_of(f->root, "hashed", hashed, sizeof(hashed));
	assert_true(is_ts(f, odd));
	assert_false(is_ts(f, hashed));
	/* Missing, too short for a header, and a symlink (never followed): not timestamp-based. */
	assert_false(is_ts(f, "pkg/__pycache__/none.pyc"));
	testfs__write(f->root, "pkg/__pycache__/short.cpython-311.pyc", "\x6f\x0d\x0d\x0a");
	assert_false(is_ts(f, "pkg/__pycache__/short.cpython-311.pyc"));
	testfs__symlink(f->root, "pkg/__pycache__/link.cpython-311.pyc",
			odd + strlen("pkg/__pycache__/"));
	assert_false(is_ts(f, "pkg/__pycache__/link.cpython-311.pyc"));
	/* A file replaced since the walk (another inode) is not read at all. */
	{
		char path[PATH_MAX * 2];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", f->root, odd);
		assert_int_equal(stat(path, &st), 0);
		assert_false(
			pycheck__is_timestamp_based(f->root_fd, odd, st.st_dev, st.st_ino + 1));
	}
}

static void test_source_path(void **state)
{
	char buf[64];

	(void)state;
	assert_true(pycheck__source_path("pkg/__pycache__/mod.cpython-311.pyc", buf, sizeof(buf)));
	assert_string_equal(buf, "pkg/mod.py");
	assert_true(
		pycheck__source_path("a/b/__pycache__/m.cpython-311.opt-1.pyc", buf, sizeof(buf)));
	assert_string_equal(buf, "a/b/m.py");
	assert_true(pycheck__source_path("__pycache__/top.cpython-311.pyc", buf, sizeof(buf)));
	assert_string_equal(buf, "top.py");
	/* Legacy pycs beside their source, look-alike directories, no stem. */
	assert_false(pycheck__source_path("pkg/mod.pyc", buf, sizeof(buf)));
	assert_false(pycheck__source_path("mod.pyc", buf, sizeof(buf)));
	assert_false(pycheck__source_path("pkg/x__pycache__/m.cpython-311.pyc", buf, sizeof(buf)));
	assert_false(pycheck__source_path("pkg/__pycache__/.cpython-311.pyc", buf, sizeof(buf)));
	/* Does not fit: refused rather than truncated. */
	assert_false(pycheck__source_path("pkg/__pycache__/mod.cpython-311.pyc", buf, 10));
	assert_true(pycheck__source_path("pkg/__pycache__/mod.cpython-311.pyc", buf, 11));
}

static void test_count_mtime_modes(void **state)
{
	struct fixture *f = *state;
	uint64_t ts = 99, odd = 99;

	open_tree(f);
	keep_all(f);
	/* Kept mtimes: only odd.py goes stale, counted once for its two pycs. */
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, true, &ts, &odd), 0);
	assert_int_equal(ts, 0);
	assert_int_equal(odd, 1);
	/* Normalized mtimes: every timestamp pyc (odd and even, 2 each) goes stale, not hashed. */
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, false, &ts, &odd), 0);
	assert_int_equal(ts, 4);
	assert_int_equal(odd, 0);
}

static void test_count_even_mtime(void **state)
{
	struct fixture *f = *state;
	uint64_t ts, odd;

	set_mtime(f->root, "pkg/odd.py", 1700000000);
	open_tree(f);
	keep_all(f);
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, true, &ts, &odd), 0);
	assert_int_equal(odd, 0);
}

/* A head source that has every file: a hash-based header for each, whatever the file says. */
static ssize_t hashed_head(void *arg, uint32_t idx, void *buf, size_t len)
{
	size_t *asked = arg;

	(void)idx;
	(*asked)++;
	memset(buf, 0, len);
	((unsigned char *)buf)[4] = 1; /* flags: hash-based */
	return (ssize_t)len;
}

/* The headers come from head when it has them: no pyc is read, and none counts. */
static void test_count_from_head(void **state)
{
	struct fixture *f = *state;
	uint64_t ts = 99, odd = 99;
	size_t asked = 0, pycs = 0;
	struct tree_entry e;

	open_tree(f);
	keep_all(f);
	for (uint32_t i = 1; i < tree__count(f->t); i++) {
		assert_int_equal(tree__get(f->t, i, &e), 0);
		pycs += S_ISREG(e.mode) && strlen(e.path) > 4 &&
			!strcmp(e.path + strlen(e.path) - 4, ".pyc");
	}
	assert_true(pycs >= 4);
	assert_int_equal(pycheck__count(f->k, f->root_fd, hashed_head, &asked, false, &ts, &odd),
			 0);
	assert_int_equal(ts, 0);
	assert_int_equal(asked, pycs);
}

/* Drop every pyc of stem (all opt levels) from the keepset. */
static void drop_pycs(struct fixture *f, const char *stem)
{
	char prefix[64];
	struct tree_entry e;
	int dropped = 0;

	snprintf(prefix, sizeof(prefix), "pkg/__pycache__/%s.", stem);
	for (uint32_t i = 1; i < tree__count(f->t); i++) {
		assert_int_equal(tree__get(f->t, i, &e), 0);
		if (!strncmp(e.path, prefix, strlen(prefix)))
			dropped += keepset__remove(f->k, i);
	}
	assert_int_equal(dropped, 2);
}

static void test_count_only_kept(void **state)
{
	struct fixture *f = *state;
	uint64_t ts, odd;

	/* The source is not kept: nothing of it is extracted to go stale. */
	open_tree(f);
	keep_all(f);
	drop(f, "pkg/odd.py");
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, true, &ts, &odd), 0);
	assert_int_equal(odd, 0);
	/* Its pycs are not kept: Python compiles the source afresh, nothing is stale. */
	open_tree(f);
	keep_all(f);
	drop_pycs(f, "odd");
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, true, &ts, &odd), 0);
	assert_int_equal(odd, 0);
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, false, &ts, &odd), 0);
	assert_int_equal(ts, 2);
	/* A source that is not a regular file is not counted (nor followed). */
	open_tree(f);
	testfs__run("cd '%s/pkg' && mv odd.py real.py && ln -s real.py odd.py", f->root);
	open_tree(f);
	keep_all(f);
	assert_int_equal(pycheck__count(f->k, f->root_fd, NULL, NULL, true, &ts, &odd), 0);
	assert_int_equal(odd, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timestamp_vs_hash, setup, teardown),
		cmocka_unit_test(test_source_path),
		cmocka_unit_test_setup_teardown(test_count_mtime_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_from_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_even_mtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_only_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
