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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "idxvec.h"
#include "tree.h"
#include "util.h"
#include "testfs.h"
#include "tree_test.h"

static void test_basic_index_and_order(void **state)
{
	/* '-' and '.' sort before '/', so "a-c" and "a.txt" come between "a" and "a/b". */
	mkd("a");
	mkf("a/b", "hello");
	mkf("a-c", NULL);
	mkf("a.txt", "xy");
	mkf("a0", NULL);
	mkd("empty");
	struct tree *t = index_tree();
	const char *want[] = {"", "a", "a-c", "a.txt", "a/b", "a0", "empty"};
	char real[PATH_MAX];
	uint64_t files, bytes;

	assert_int_equal(tree__count(t), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct tree_entry e = get(t, i);

		assert_string_equal(e.path, want[i]);
		assert_int_equal(tree__find_path(t, want[i]), i);
	}
	struct tree_entry r = get(t, 0);
	assert_true(S_ISDIR(r.mode));
	assert_int_equal(r.parent, 0);
	assert_int_equal(get(t, must_find(t, "a/b")).parent, must_find(t, "a"));
	assert_int_equal(get(t, must_find(t, "a0")).parent, 0);
	struct tree_entry b = get(t, must_find(t, "a/b"));
	assert_true(S_ISREG(b.mode));
	assert_int_equal(b.size, 5);
	assert_null(b.link_target);
	assert_int_equal(b.flags, 0);
	struct stat st;
	char p[PATH_MAX];
	pathf(p, "a/b");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(b.ino, st.st_ino);
	assert_int_equal(b.dev, st.st_dev);
	assert_int_equal(b.mtime_sec, st.st_mtim.tv_sec);
	assert_int_equal(b.mtime_nsec, st.st_mtim.tv_nsec);
	assert_int_equal(tree__find_inode(t, st.st_dev, st.st_ino), must_find(t, "a/b"));
	assert_int_equal(tree__find_inode(t, st.st_dev, 0xdeadbeefULL), -ENOENT);
	/* Only exact relative paths are found. */
	assert_int_equal(tree__find_path(t, "/a/b"), -ENOENT);
	assert_int_equal(tree__find_path(t, "a/"), -ENOENT);
	assert_int_equal(tree__find_path(t, "a/b/c"), -ENOENT);
	assert_int_equal(tree__find_path(t, "A"), -ENOENT);
	assert_true(S_ISDIR(get(t, must_find(t, "empty")).mode));
	tree__totals(t, &files, &bytes);
	assert_int_equal(files, 4);
	assert_int_equal(bytes, 7);
	assert_non_null(realpath(root, real));
	assert_string_equal(tree__root(t), real);
	assert_true(tree__memory(t) > 0);
	assert_int_equal(tree__get(t, tree__count(t), &r), -ENOENT);
	tree__free(t);
	tree__free(NULL);
}

static void test_symlinks_inside(void **state)
{
	char abs[PATH_MAX];

	mkd("d");
	mkd("d/sub");
	mkf("d/sub/f", "x");
	mkf("top", NULL);
	mkl("sub/f", "d/lf");  /* relative, to a file */
	mkl("d/sub", "dl");    /* relative, to a directory */
	mkl("dl", "chain");    /* link to a link */
	mkl("../top", "d/up"); /* relative with .. */
	pathf(abs, "d/sub/f");
	mkl(abs, "absin"); /* absolute but inside the tree */
	struct tree *t = index_tree();
	int64_t f = must_find(t, "d/sub/f"), sub = must_find(t, "d/sub");

	struct tree_entry lf = get(t, must_find(t, "d/lf"));
	assert_true(S_ISLNK(lf.mode));
	assert_string_equal(lf.link_target, "sub/f");
	assert_int_equal(lf.flags, 0);
	assert_int_equal(tree__resolve(t, "d/lf", true), f);
	assert_int_equal(tree__resolve(t, "d/lf", false), must_find(t, "d/lf"));
	assert_int_equal(tree__resolve(t, "dl", true), sub);
	assert_int_equal(tree__resolve(t, "dl/f", false), f);
	assert_int_equal(tree__resolve(t, "chain/f", false), f);
	assert_int_equal(tree__resolve(t, "chain", false), must_find(t, "chain"));
	assert_int_equal(tree__resolve(t, "chain", true), sub);
	/* ".." after a link goes to the physical parent, as in the kernel: dl/.. is d. */
	assert_int_equal(tree__resolve(t, "dl/..", true), must_find(t, "d"));
	assert_int_equal(tree__resolve(t, "d/up", true), must_find(t, "top"));
	assert_int_equal(tree__resolve(t, "absin", true), f);
	assert_int_equal(get(t, must_find(t, "absin")).flags, 0);
	assert_int_equal(tree__resolve(t, "./d//sub/./f", false), f);
	assert_int_equal(tree__resolve(t, "/d/sub/f", false), f);
	assert_int_equal(tree__resolve(t, "", false), 0);
	assert_int_equal(tree__resolve(t, "d/..", false), 0);
	/* A trailing '/' demands a directory and follows a final link. */
	assert_int_equal(tree__resolve(t, "dl/", false), sub);
	assert_int_equal(tree__resolve(t, "d/sub/f/", false), -ENOTDIR);
	assert_int_equal(tree__resolve(t, "d/lf/", false), -ENOTDIR);
	assert_int_equal(tree__resolve(t, "d/sub/f/x", false), -ENOTDIR);
	assert_int_equal(tree__resolve(t, "d/nope", false), -ENOENT);
	assert_int_equal(tree__resolve(t, "dl/nope", false), -ENOENT);
	tree__free(t);
}

/* The resolver can list the links it crossed: what the closure rules keep with a file. */
static void test_resolve_lists_links_crossed(void **state)
{
	struct idxvec links = {0};
	struct tree_resolve_opts o = {.follow_last = true, .links = &links};
	char abs[PATH_MAX];

	mkd("real");
	mkd("real/lib");
	mkf("real/lib/x.so.1.2", "x");
	mkl("x.so.1.2", "real/lib/x.so.1");
	mkl("x.so.1", "real/lib/x.so");
	mkl("real", "cur");
	pathf(abs, "cur/lib");
	mkl(abs, "abslib"); /* absolute, inside: the links after it are listed too */
	mkl("nowhere", "dead");
	struct tree *t = index_tree();
	int64_t x = must_find(t, "real/lib/x.so.1.2");

	/* In order: the directory link, then the chain of the last component. */
	assert_int_equal(tree__resolve_opts(t, "cur/lib/x.so", &o), x);
	assert_int_equal(links.n, 3);
	assert_int_equal(links.v[0], must_find(t, "cur"));
	assert_int_equal(links.v[1], must_find(t, "real/lib/x.so"));
	assert_int_equal(links.v[2], must_find(t, "real/lib/x.so.1"));
	idxvec__release(&links);
	assert_int_equal(tree__resolve_opts(t, "abslib/x.so.1", &o), x);
	assert_int_equal(links.n, 3);
	assert_int_equal(links.v[0], must_find(t, "abslib"));
	assert_int_equal(links.v[1], must_find(t, "cur"));
	assert_int_equal(links.v[2], must_find(t, "real/lib/x.so.1"));
	idxvec__release(&links);
	/* Not following the last link lists only those on the way. */
	o.follow_last = false;
	assert_int_equal(tree__resolve_opts(t, "cur/lib/x.so", &o), must_find(t, "real/lib/x.so"));
	assert_int_equal(links.n, 1);
	idxvec__release(&links);
	/* A physical path crosses none; a dangling one fails like tree__resolve. */
	assert_int_equal(tree__resolve_opts(t, "real/lib/x.so.1.2", &o), x);
	assert_int_equal(links.n, 0);
	o.follow_last = true;
	assert_int_equal(tree__resolve_opts(t, "dead", &o), -ENOENT);
	assert_int_equal(tree__resolve_opts(t, "dead", NULL), must_find(t, "dead"));
	idxvec__release(&links);
	tree__free(t);
}

static void test_symlinks_leaving_and_looping(void **state)
{
	mkd("d");
	mkl("/etc/passwd", "abs_out");
	mkl("../../outside", "d/rel_out");
	mkl("..", "d/toroot");
	mkl("loop_b", "loop_a");
	mkl("loop_a", "loop_b");
	mkl("self", "self");
	mkl("nowhere", "dangling");
	mkl("abs_out/x", "through_out");
	struct tree *t = index_tree();

	assert_int_equal(tree__resolve(t, "abs_out", true), -EXDEV);
	assert_int_equal(tree__resolve(t, "abs_out", false), must_find(t, "abs_out"));
	assert_int_equal(tree__resolve(t, "d/rel_out", true), -EXDEV);
	assert_int_equal(tree__resolve(t, "through_out", true), -EXDEV);
	assert_int_equal(tree__resolve(t, "..", true), -EXDEV);
	assert_int_equal(tree__resolve(t, "d/../..", true), -EXDEV);
	/* A link to the root is inside; climbing above it is not. */
	assert_int_equal(tree__resolve(t, "d/toroot", true), 0);
	assert_int_equal(tree__resolve(t, "d/toroot/d/toroot/..", true), -EXDEV);
	assert_int_equal(tree__resolve(t, "loop_a", true), -ELOOP);
	assert_int_equal(tree__resolve(t, "loop_a/x", false), -ELOOP);
	assert_int_equal(tree__resolve(t, "self", true), -ELOOP);
	assert_int_equal(tree__resolve(t, "dangling", true), -ENOENT);
	assert_int_equal(get(t, must_find(t, "abs_out")).flags, TREE_F_LINK_OUTSIDE);
	assert_int_equal(get(t, must_find(t, "d/rel_out")).flags, TREE_F_LINK_OUTSIDE);
	assert_int_equal(get(t, must_find(t, "through_out")).flags, TREE_F_LINK_OUTSIDE);
	assert_int_equal(get(t, must_find(t, "d/toroot")).flags, 0);
	assert_int_equal(get(t, must_find(t, "loop_a")).flags, TREE_F_LINK_LOOP);
	assert_int_equal(get(t, must_find(t, "loop_b")).flags, TREE_F_LINK_LOOP);
	assert_int_equal(get(t, must_find(t, "self")).flags, TREE_F_LINK_LOOP);
	assert_int_equal(get(t, must_find(t, "dangling")).flags, TREE_F_LINK_LOOP);
	assert_string_equal(get(t, must_find(t, "abs_out")).link_target, "/etc/passwd");
	/* The walk never followed anything: nothing of /etc got in. */
	assert_int_equal(tree__find_path(t, "abs_out/passwd"), -ENOENT);
	assert_int_equal(tree__count(t), 10);
	tree__free(t);
}

static void test_link_chain_bound(void **state)
{
	char name[32], target[32];

	/* l0 -> l1 -> ... -> l40 -> f: 41 follows, one more than the kernel allows. */
	mkf("f", NULL);
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		if (i == 40)
			snprintf(target, sizeof(target), "f");
		else
			snprintf(target, sizeof(target), "l%d", i + 1);
		mkl(target, name);
	}
	struct tree *t = index_tree();

	assert_int_equal(tree__resolve(t, "l1", true), must_find(t, "f")); /* 40 follows */
	assert_int_equal(tree__resolve(t, "l0", true), -ELOOP);		   /* 41 */
	assert_int_equal(get(t, must_find(t, "l0")).flags, TREE_F_LINK_LOOP);
	assert_int_equal(get(t, must_find(t, "l1")).flags, 0);
	tree__free(t);
}

static struct tree *open_recorded_at(const char *at)
{
	TREE_OPTS(o, .recorded_at = at);
	struct tree *t = NULL;

	assert_int_equal(tree__open(root, &o, &t), 0);
	return t;
}

static void test_recorded_at(void **state)
{
	static const char *const spellings[] = {"/var/task", "/var/task/", "/var//task/./"};
	TREE_OPTS(rel, .recorded_at = "var/task");
	struct tree *t;

	mkd("lib");
	mkf("lib/x.so", NULL);
	mkl("/var/task/lib/x.so", "alias_link");
	mkl("/var/task", "alias_root");
	mkl("/var/taskforce/x", "not_alias");

	/* Without a recorded location, the tree was recorded where it is. */
	t = index_tree();
	assert_string_equal(tree__recorded_at(t), tree__root(t));
	assert_int_equal(tree__resolve(t, "alias_link", true), -EXDEV);
	tree__free(t);
	t = open_recorded_at("");
	assert_string_equal(tree__recorded_at(t), tree__root(t));
	tree__free(t);

	for (size_t i = 0; i < sizeof(spellings) / sizeof(*spellings); i++) {
		t = open_recorded_at(spellings[i]);
		/* One name, cleaned once. */
		assert_string_equal(tree__recorded_at(t), "/var/task");
		assert_int_equal(tree__resolve(t, "alias_link", true), must_find(t, "lib/x.so"));
		assert_int_equal(tree__resolve(t, "alias_root/lib", true), must_find(t, "lib"));
		assert_int_equal(tree__resolve(t, "not_alias", true), -EXDEV);
		/* As the tree is on this machine, /var/task is somewhere else. */
		assert_int_equal(
			tree__resolve_opts(t, "alias_link",
					   &(struct tree_resolve_opts){.follow_last = true,
								       .at_real_path = true}),
			-EXDEV);
		/* Flags are computed against the real root only. */
		assert_int_equal(get(t, must_find(t, "alias_link")).flags, TREE_F_LINK_OUTSIDE);
		tree__free(t);
	}

	/* A relative location names nothing. */
	t = NULL;
	assert_int_equal(tree__open(root, &rel, &t), -EINVAL);
	assert_null(t);
	assert_non_null(strstr(slz_errmsg(), "var/task"));
	/* An options struct of an older, smaller size: its missing fields are zero. */
	rel.sz = offsetof(struct tree_opts, recorded_at);
	assert_int_equal(tree__open(root, &rel, &t), 0);
	assert_string_equal(tree__recorded_at(t), tree__root(t));
	tree__free(t);
}

static void test_hard_links(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	struct stat st;

	mkd("z");
	mkf("z/one", "data");
	pathf(a, "z/one");
	pathf(b, "b_link");
	pathf(c, "z/zz_link");
	assert_int_equal(link(a, b), 0);
	assert_int_equal(link(a, c), 0);
	mkf("single", NULL);
	assert_int_equal(stat(a, &st), 0);
	struct tree *t = index_tree();
	int64_t first = must_find(t, "b_link"), one = must_find(t, "z/one"),
		zz = must_find(t, "z/zz_link");

	assert_true(first < one && one < zz);
	assert_int_equal(tree__find_inode(t, st.st_dev, st.st_ino), first);
	assert_int_equal(get(t, one).nlink, 3);
	assert_int_equal(get(t, zz).ino, st.st_ino);
	/* Every path of the inode is reachable from the first. */
	assert_int_equal(tree__next_link(t, first), one);
	assert_int_equal(tree__next_link(t, one), zz);
	assert_int_equal(tree__next_link(t, zz), -ENOENT);
	assert_int_equal(tree__next_link(t, must_find(t, "single")), -ENOENT);
	assert_int_equal(tree__next_link(t, 0), -ENOENT);
	uint64_t files, bytes;
	tree__totals(t, &files, &bytes);
	assert_int_equal(files, 4);
	assert_int_equal(bytes, 12);
	tree__free(t);
}

static void test_odd_names(void **state)
{
	char longname[256];
	char rel[300];

	memset(longname, 'n', 255);
	longname[255] = '\0';
	mkf("new\nline", NULL);
	mkf("with space", NULL);
	mkf("caf\xc3\xa9 \xe2\x98\x83", NULL);
	mkf("-dash", NULL);
	mkf("back\\slash", NULL);
	mkf("star*?[x]", NULL);
	mkd("d");
	snprintf(rel, sizeof(rel), "d/%s", longname);
	mkf(rel, NULL);
	mkf("\xff\xfe invalid utf8", NULL);
	struct tree *t = index_tree();

	must_find(t, "new\nline");
	must_find(t, "with space");
	must_find(t, "caf\xc3\xa9 \xe2\x98\x83");
	must_find(t, "-dash");
	must_find(t, "back\\slash");
	must_find(t, "star*?[x]");
	must_find(t, "\xff\xfe invalid utf8");
	assert_int_equal(strlen(get(t, must_find(t, rel)).path), 257);
	assert_int_equal(tree__resolve(t, rel, true), must_find(t, rel));
	/* Byte order: 0xff sorts after everything ASCII. */
	assert_int_equal(tree__count(t) - 1, must_find(t, "\xff\xfe invalid utf8"));
	tree__free(t);
}

static void test_special_files(void **state)
{
	char p[PATH_MAX];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	pathf(p, "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	pathf(p, "sock");
	if (strlen(p) < sizeof(sa.sun_path)) {
		strcpy(sa.sun_path, p);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	mkf("plain", NULL);
	struct tree *t = index_tree();

	struct tree_entry e = get(t, must_find(t, "fifo"));
	assert_true(S_ISFIFO(e.mode));
	assert_int_equal(e.flags, TREE_F_SPECIAL);
	if (strlen(p) < sizeof(sa.sun_path))
		assert_int_equal(get(t, must_find(t, "sock")).flags, TREE_F_SPECIAL);
	assert_int_equal(get(t, must_find(t, "plain")).flags, 0);
	uint64_t files;
	tree__totals(t, &files, NULL);
	assert_int_equal(files, 1);
	tree__free(t);
}

static void test_deep_path_beyond_path_max(void **state)
{
	char name[201];
	int fd, next, depth = 25; /* 25 * 201 bytes: a relative path far beyond PATH_MAX */

	memset(name, 'd', 200);
	name[200] = '\0';
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int i = 0; i < depth; i++) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	next = openat(fd, "leaf", O_CREAT | O_WRONLY, 0644);
	assert_true(next >= 0);
	close(next);
	close(fd);
	struct tree *t = index_tree();

	assert_int_equal(tree__count(t), 1 + depth + 1);
	for (size_t i = 0; i < tree__count(t); i++)
		assert_int_equal(get(t, i).flags, 0);
	struct tree_entry leaf = get(t, tree__count(t) - 1);
	assert_int_equal(strlen(leaf.path), depth * 201 + 4);
	assert_true(S_ISREG(leaf.mode));
	assert_int_equal(tree__resolve(t, leaf.path, true), tree__count(t) - 1);
	/* No single open takes a path that long: tree__open_beneath() goes component-wise. */
	fd = open(root, O_RDONLY | O_DIRECTORY);
	next = tree__open_beneath(fd, leaf.path, leaf.dev, leaf.ino);
	assert_true(next >= 0);
	close(next);
	close(fd);
	tree__free(t);
	/* The teardown's nftw cannot remove what it cannot name: cut the chain first. */
	char p[PATH_MAX];
	pathf(p, name);
	testfs__run("rm -rf '%s'", p);
}

static void test_open_errors(void **state)
{
	char p[PATH_MAX];
	struct tree *t = (struct tree *)0x1;

	pathf(p, "missing");
	slz_errclear();
	assert_int_equal(tree__open(p, NULL, &t), -ENOENT);
	assert_null(t);
	assert_non_null(strstr(slz_errmsg(), "missing"));
	mkf("file", NULL);
	pathf(p, "file");
	assert_int_equal(tree__open(p, NULL, &t), -ENOTDIR);
	assert_null(t);
}

static void test_root_through_symlink(void **state)
{
	char p[PATH_MAX], real[PATH_MAX];
	struct tree *t;

	mkd("real");
	mkf("real/x", NULL);
	mkl("real", "via");
	pathf(p, "via");
	assert_int_equal(tree__open(p, NULL, &t), 0);
	pathf(p, "real");
	assert_non_null(realpath(p, real));
	assert_string_equal(tree__root(t), real);
	assert_int_equal(tree__count(t), 2);
	must_find(t, "x");
	tree__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_index_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_lists_links_crossed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_leaving_and_looping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_chain_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_path_beyond_path_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_through_symlink, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
