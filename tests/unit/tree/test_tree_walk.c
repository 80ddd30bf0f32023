// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tree.h"
#include "util.h"
#include "testfs.h"
#include "tree_test.h"

/*
 * Unreadable entries need a caller without CAP_DAC_OVERRIDE: testfs__as_nobody runs the walk
 * in a child that became nobody when we are root.
 */
static int unreadable_check(void *arg)
{
	struct tree *t = NULL;
	struct tree_entry e;
	int64_t i;

	if (tree__open(root, NULL, &t))
		return 10;
	i = tree__find_path(t, "closed");
	if (i < 0 || tree__get(t, i, &e) || !(e.flags & TREE_F_UNREADABLE) || !S_ISDIR(e.mode))
		return 11;
	/* Its contents could not be listed, so they are absent, not guessed. */
	if (tree__find_path(t, "closed/inner") != -ENOENT)
		return 12;
	i = tree__find_path(t, "secret");
	if (i < 0 || tree__get(t, i, &e) || !(e.flags & TREE_F_UNREADABLE))
		return 13;
	i = tree__find_path(t, "listonly/child");
	if (i < 0 || tree__get(t, i, &e) || !(e.flags & TREE_F_UNREADABLE))
		return 14;
	i = tree__find_path(t, "ok");
	if (i < 0 || tree__get(t, i, &e) || e.flags)
		return 15;
	i = tree__find_path(t, "listonly");
	if (i < 0 || tree__get(t, i, &e) || (e.flags & TREE_F_UNREADABLE))
		return 16;
	tree__free(t);
	return 0;
}

static void test_unreadable_entries(void **state)
{
	char p[PATH_MAX];

	mkd("closed");
	mkf("closed/inner", NULL);
	mkf("secret", NULL);
	mkf("ok", NULL);
	mkd("listonly");
	mkf("listonly/child", NULL);
	pathf(p, "closed");
	assert_int_equal(chmod(p, 0), 0);
	pathf(p, "secret");
	assert_int_equal(chmod(p, 0), 0);
	pathf(p, "listonly");
	assert_int_equal(chmod(p, 0444), 0); /* r without x: names but no stat */
	testfs__as_nobody(unreadable_check, NULL);
}

/* Reading what the walk indexed: never through a directory swapped for a link since. */
static void open_beneath_after_swap(int (*open_beneath)(int root_fd, const char *relpath,
							uint64_t dev, uint64_t ino))
{
	char from[PATH_MAX], to[PATH_MAX], outside[PATH_MAX];
	struct tree *t;
	struct tree_entry e;
	int rootfd, fd;

	mkf("sub/secret", "harmless-file-abcdef\n");
	mkf("outside/secret", "TOP-SECRET-ROOT-ONLY\n");
	mkf("top.txt", "top\n");
	t = index_tree();
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);

	e = get(t, must_find(t, "sub/secret"));
	fd = open_beneath(rootfd, e.path, e.dev, e.ino);
	assert_true(fd >= 0);
	close(fd);
	e = get(t, must_find(t, "top.txt"));
	fd = open_beneath(rootfd, e.path, e.dev, e.ino);
	assert_true(fd >= 0);
	close(fd);

	/* The directory becomes a link to a place with a same-named file. */
	pathf(from, "sub");
	pathf(to, "sub.orig");
	pathf(outside, "outside");
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(symlink(outside, from), 0);
	e = get(t, must_find(t, "sub/secret"));
	assert_true(open_beneath(rootfd, e.path, e.dev, e.ino) < 0);
	/* A file replaced since (written aside and renamed over it: a new inode) is stale. */
	mkf("top.new", "new\n");
	pathf(from, "top.new");
	pathf(to, "top.txt");
	assert_int_equal(rename(from, to), 0);
	e = get(t, must_find(t, "top.txt"));
	assert_int_equal(open_beneath(rootfd, e.path, e.dev, e.ino), -ESTALE);
	close(rootfd);
	tree__free(t);
}

/* Every field of every entry of a and b, which index the same tree. */
static void assert_same_index(const struct tree *a, const struct tree *b)
{
	assert_int_equal(tree__count(a), tree__count(b));
	for (size_t i = 0; i < tree__count(a); i++) {
		struct tree_entry x = get(a, i), y = get(b, i);

		assert_string_equal(x.path, y.path);
		if (x.link_target || y.link_target) {
			assert_non_null(x.link_target);
			assert_non_null(y.link_target);
			assert_string_equal(x.link_target, y.link_target);
		}
		assert_int_equal(x.dev, y.dev);
		assert_int_equal(x.ino, y.ino);
		assert_int_equal(x.size, y.size);
		assert_int_equal(x.mtime_sec, y.mtime_sec);
		assert_int_equal(x.mtime_nsec, y.mtime_nsec);
		assert_int_equal(x.mode, y.mode);
		assert_int_equal(x.nlink, y.nlink);
		assert_int_equal(x.parent, y.parent);
		assert_int_equal(x.flags, y.flags);
	}
}

/* Each entry is what lstat says of its path now (for a tree nothing changes under). */
static void assert_index_is_lstat(const struct tree *t)
{
	for (size_t i = 1; i < tree__count(t); i++) {
		struct tree_entry e = get(t, i);
		char p[PATH_MAX];
		struct stat st;

		pathf(p, e.path);
		assert_int_equal(lstat(p, &st), 0);
		assert_int_equal(e.dev, st.st_dev);
		assert_int_equal(e.ino, st.st_ino);
		assert_int_equal(e.mode, st.st_mode);
		assert_int_equal(e.nlink, st.st_nlink);
		assert_int_equal(e.mtime_sec, st.st_mtim.tv_sec);
		assert_int_equal(e.mtime_nsec, st.st_mtim.tv_nsec);
		if (!S_ISDIR(st.st_mode))
			assert_int_equal(e.size, st.st_size);
		assert_int_equal(tree__find_inode(t, st.st_dev, st.st_ino) >= 0, true);
	}
}

#define MANY_DIRS    4
#define MANY_PER_DIR 1500 /* 6,000 regular files: past the threshold where threads start */

/*
 * Regular files are lstat-ed after the listing, on several threads once there are thousands:
 * the index is the one lstat-ing each entry as it is listed gives (the path DT_UNKNOWN entries
 * take), field for field, and what lstat says of each path.
 */
static void test_deferred_lstat_matches_inline(void **state)
{
	TREE_OPTS(inline_opts, .lstat_inline = true);
	struct tree *a, *b = NULL;
	char rel[64], p[PATH_MAX], q[PATH_MAX];

	for (int d = 0; d < MANY_DIRS; d++) {
		snprintf(rel, sizeof(rel), "d%d", d);
		mkd(rel);
		for (int i = 0; i < MANY_PER_DIR; i++) {
			snprintf(rel, sizeof(rel), "d%d/f%04d%s", d, i, i % 3 ? ".py" : ".so");
			mkf(rel, i % 5 ? "some text\n" : "");
			if (i % 7 == 0) {
				pathf(p, rel);
				assert_int_equal(chmod(p, i % 2 ? 0755 : 0600), 0);
			}
		}
	}
	mkd("d0/sub");
	mkf("d0/sub/deeper.txt", "x");
	mkl("../d1/f0001.py", "d0/link");
	pathf(p, "d2/f0002.py");
	pathf(q, "d3/hard");
	assert_int_equal(link(p, q), 0);
	pathf(p, "d3/fifo");
	assert_int_equal(mkfifo(p, 0644), 0);

	a = index_tree();
	assert_int_equal(tree__open(root, &inline_opts, &b), 0);
	assert_int_equal(tree__count(a), 1 + MANY_DIRS + MANY_DIRS * MANY_PER_DIR + 5);
	assert_same_index(a, b);
	assert_index_is_lstat(a);
	/* The hard link's two names are one inode, found from either. */
	assert_int_equal(tree__next_link(a, must_find(a, "d2/f0002.py")), must_find(a, "d3/hard"));
	assert_true(get(a, must_find(a, "d3/fifo")).flags & TREE_F_SPECIAL);
	tree__free(a);
	tree__free(b);
}

static int many_unreadable_check(void *arg)
{
	char rel[64];
	struct tree *t = NULL;
	struct tree_entry e;
	int64_t i;

	if (tree__open(root, NULL, &t))
		return 10;
	for (int n = 0; n < MANY_PER_DIR; n++) {
		snprintf(rel, sizeof(rel), "listonly/f%04d", n);
		i = tree__find_path(t, rel);
		if (i < 0 || tree__get(t, i, &e) || !(e.flags & TREE_F_UNREADABLE) ||
		    !S_ISREG(e.mode))
			return 11;
		snprintf(rel, sizeof(rel), "open%d/f%04d", n % 3, n);
		i = tree__find_path(t, rel);
		if (i < 0 || tree__get(t, i, &e) || e.flags || e.size != 2 || !e.ino)
			return 12;
	}
	i = tree__find_path(t, "open0/secret");
	if (i < 0 || tree__get(t, i, &e) || !(e.flags & TREE_F_UNREADABLE) || e.size != 2)
		return 13;
	tree__free(t);
	return 0;
}

/*
 * A directory that can be listed but not searched, among others, on the threaded path: its
 * files keep their names, flagged unreadable, and the other directories' files are whole.
 */
static void test_deferred_lstat_unreadable(void **state)
{
	char rel[64], p[PATH_MAX];

	mkd("listonly");
	for (int d = 0; d < 3; d++) {
		snprintf(rel, sizeof(rel), "open%d", d);
		mkd(rel);
	}
	for (int n = 0; n < MANY_PER_DIR; n++) {
		snprintf(rel, sizeof(rel), "listonly/f%04d", n);
		mkf(rel, "x\n");
		snprintf(rel, sizeof(rel), "open%d/f%04d", n % 3, n);
		mkf(rel, "x\n");
		snprintf(rel, sizeof(rel), "open%d/g%04d", n % 3, n);
		mkf(rel, "y\n");
	}
	mkf("open0/secret", "s\n");
	pathf(p, "open0/secret");
	assert_int_equal(chmod(p, 0), 0);
	pathf(p, "listonly");
	assert_int_equal(chmod(p, 0444), 0);
	testfs__as_nobody(many_unreadable_check, NULL);
	pathf(p, "listonly");
	assert_int_equal(chmod(p, 0755), 0);
}

/*
 * rel is on another file system than the tree's root (root_dev) and indexed as what lstat says
 * of it, size bytes, found by its inode too: 0, else which of the three failed (1-3).
 */
static int indexed_as_mounted(const struct tree *t, const char *rel, uint64_t root_dev,
			      uint64_t size)
{
	char p[PATH_MAX];
	struct tree_entry e;
	struct stat st;
	int64_t i;

	pathf(p, rel);
	if (stat(p, &st) || st.st_dev == root_dev)
		return 1;
	i = tree__find_path(t, rel);
	if (i < 0 || tree__get(t, i, &e) || e.dev != st.st_dev || e.ino != st.st_ino ||
	    e.size != size)
		return 2;
	return tree__find_inode(t, st.st_dev, st.st_ino) != i ? 3 : 0;
}

static int mounts_check(void)
{
	struct tree *t = NULL;
	struct tree_entry e, r, in;
	int64_t i;
	int err;

	if (tree__open(root, NULL, &t))
		return 10;
	r = get(t, 0);
	/* The tmpfs: its root and files carry its device, not the tree's. */
	if ((err = indexed_as_mounted(t, "mnt/inside.txt", r.dev, 7)))
		return 10 + err;
	i = tree__find_path(t, "mnt");
	if (i < 0 || tree__get(t, i, &e) ||
	    tree__get(t, tree__find_path(t, "mnt/inside.txt"), &in) || e.dev != in.dev ||
	    !S_ISDIR(e.mode))
		return 14;
	/* A file mounted over another: listed with the hidden file's d_ino, indexed as the
	 * mounted one, which is what a workload opening the path reads. */
	if ((err = indexed_as_mounted(t, "over.txt", r.dev, 7)))
		return 14 + err;
	tree__free(t);
	return 0;
}

/*
 * Mount points inside the tree (a tmpfs on a directory, a file bind-mounted over a file), in a
 * mount namespace of a child so that nothing outlives the test.
 */
static void test_mount_points_inside(void **state)
{
	char p[PATH_MAX], q[PATH_MAX];
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		skip();
		return;
	}
	mkd("mnt");
	mkf("over.txt", "hidden, longer than the other\n");
	mkf("plain.txt", "plain\n");
	/*
	 * The mounted file comes from another file system outside the tree (a tmpfs on a sibling
	 * directory), so it has another device and no other name in the tree.
	 */
	snprintf(q, sizeof(q), "%s.over", root);
	assert_int_equal(mkdir(q, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(98);
		pathf(p, "mnt");
		if (mount("slz-test", p, "tmpfs", 0, "size=1m"))
			_exit(97);
		mkf("mnt/inside.txt", "inside\n");
		if (mount("slz-test", q, "tmpfs", 0, "size=1m"))
			_exit(96);
		testfs__write(q, "file", "outside");
		strcat(q, "/file");
		pathf(p, "over.txt");
		if (mount(q, p, NULL, MS_BIND, NULL))
			_exit(96);
		_exit(mounts_check());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(q);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * The walk reopens every directory by its path (to list it, and again for its files' lstats):
 * never through a directory swapped for a link since, at any depth, nor above the root.
 */
static void open_dir_beneath_after_swap(bool walk)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct stat st, rst;
	int rootfd, fd;

	mkf("a/b/c/file", "inside\n");
	mkf("outside/b/c/file", "outside\n");
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	fd = tree__open_dir_beneath(rootfd, "a/b/c", walk);
	assert_true(fd >= 0);
	assert_int_equal(faccessat(fd, "file", F_OK, 0), 0);
	close(fd);
	fd = tree__open_dir_beneath(rootfd, "", walk);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fstat(rootfd, &rst), 0);
	assert_int_equal(st.st_ino, rst.st_ino);
	close(fd);
	assert_true(tree__open_dir_beneath(rootfd, "..", walk) < 0);
	assert_true(tree__open_dir_beneath(rootfd, "a/b/c/file", walk) < 0);

	/* A directory in the middle becomes a link to a look-alike: c is not reached through it. */
	pathf(from, "a/b");
	pathf(to, "a/b.orig");
	assert_int_equal(rename(from, to), 0);
	pathf(to, "outside/b");
	assert_int_equal(symlink(to, from), 0);
	assert_true(tree__open_dir_beneath(rootfd, "a/b/c", walk) < 0);
	/* Nor the last one, relative or absolute. */
	mkl("../outside/b", "a/rel");
	assert_true(tree__open_dir_beneath(rootfd, "a/rel", walk) < 0);
	assert_true(tree__open_dir_beneath(rootfd, "a/b", walk) < 0);
	fd = tree__open_dir_beneath(rootfd, "a/b.orig/c", walk);
	assert_true(fd >= 0);
	close(fd);
	close(rootfd);
}

static void test_open_dir_beneath_after_swap(void **state)
{
	open_dir_beneath_after_swap(false);
}

/* The component-at-a-time path of kernels without openat2 and of PATH_MAX paths. */
static void test_open_dir_beneath_without_openat2(void **state)
{
	open_dir_beneath_after_swap(true);
}

static void test_open_beneath_after_swap(void **state)
{
	open_beneath_after_swap(tree__open_beneath);
}

/* The same guarantees without openat2 (kernels before 5.6, seccomp filters, valgrind). */
static void test_open_beneath_without_openat2(void **state)
{
	open_beneath_after_swap(tree__open_beneath_walk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unreadable_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_beneath_after_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_beneath_without_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir_beneath_after_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir_beneath_without_openat2, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deferred_lstat_matches_inline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deferred_lstat_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_points_inside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
