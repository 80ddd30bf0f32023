// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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

#include "keepset.h"
#include "profile.h"
#include "slz_vocab.h"
#include "resolve.h"
#include "tree.h"
#include "util.h"
#include "testfs.h"
#include "tree_fixture.h"

/*
 * The fixture tree (real files, so dev/ino come from stat()):
 *   app/main.py  app/data/  bin/tool  stat_only  unused.txt  hard1  sub/hard2 (hard link)
 *   lib/libx.so.1.2  lib/libx.so.1 -> libx.so.1.2  lib/libx.so -> libx.so.1
 *   current -> lib   abs_link -> <root>/app/main.py   alias_link -> /var/task/bin/tool
 *   dead -> nowhere  out -> /etc/passwd
 */
struct fixture {
	char root[PATH_MAX];
	struct tree *t;
	struct keepset *k;
	struct profile *p;
	uint64_t bogus_ino;
};

/* Each file holds its own name. */
static void mkf(struct fixture *f, const char *rel)
{
	testfs__write(f->root, rel, rel);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char abs[PATH_MAX + 64], hard2[PATH_MAX + 64];

	if (!f)
		return -1;
	testfs__mkdtemp(f->root, sizeof(f->root), "resolve");
	testfs__mkdir(f->root, "app");
	mkf(f, "app/main.py");
	testfs__mkdir(f->root, "app/data");
	testfs__mkdir(f->root, "bin");
	mkf(f, "bin/tool");
	mkf(f, "stat_only");
	mkf(f, "unused.txt");
	mkf(f, "hard1");
	testfs__mkdir(f->root, "sub");
	testfs__path(abs, sizeof(abs), f->root, "hard1");
	testfs__path(hard2, sizeof(hard2), f->root, "sub/hard2");
	assert_int_equal(link(abs, hard2), 0);
	testfs__mkdir(f->root, "lib");
	mkf(f, "lib/libx.so.1.2");
	testfs__symlink(f->root, "lib/libx.so.1", "libx.so.1.2");
	testfs__symlink(f->root, "lib/libx.so", "libx.so.1");
	testfs__symlink(f->root, "current", "lib");
	testfs__path(abs, sizeof(abs), f->root, "app/main.py");
	testfs__symlink(f->root, "abs_link", abs);
	testfs__symlink(f->root, "alias_link", "/var/task/bin/tool");
	testfs__symlink(f->root, "dead", "nowhere");
	testfs__symlink(f->root, "out", "/etc/passwd");
	if (tree__open(f->root, NULL, &f->t) || keepset__new(f->t, &f->k) || profile__new(&f->p))
		return -1;
	/* A realpath'ed root, so profile paths look like the kernel's. */
	snprintf(f->root, sizeof(f->root), "%s", tree__root(f->t));
	f->bogus_ino = 1u << 30;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	profile__free(f->p);
	tree_fixture__close(f->root, f->t, f->k);
	free(f);
	return 0;
}

/* The same tree indexed again as recorded at at (NULL: where it is), with an empty keepset. */
static void reopen_at(struct fixture *f, const char *at)
{
	TREE_OPTS(o, .recorded_at = at);

	keepset__free(f->k);
	tree__free(f->t);
	assert_int_equal(tree__open(f->root, &o, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
}

static uint32_t idx(struct fixture *f, const char *rel)
{
	return tree_fixture__idx(f->t, rel);
}

/* Add a profile entry. real: take dev/ino from this tree path; else a unique bogus identity
 * (or none when path_only). */
static void add(struct fixture *f, const char *path, const char *real, bool path_only,
		uint32_t kinds, uint32_t pid, const char *comm)
{
	struct profile_entry e = {
		.path = (char *)path, .kinds = kinds, .count = 1, .first_pid = pid};

	if (real) {
		char p[PATH_MAX + 64];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", f->root, real);
		assert_int_equal(lstat(p, &st), 0);
		e.dev = st.st_dev;
		e.ino = st.st_ino;
		e.mode = st.st_mode;
	} else if (path_only) {
		e.flags = SLZ_EVF_PATH_ONLY;
	} else {
		e.dev = 0xfffff;
		e.ino = f->bogus_ino++;
		e.mode = S_IFREG | 0644;
	}
	if (comm)
		snprintf(e.first_comm, sizeof(e.first_comm), "%s", comm);
	assert_int_equal(profile__add(f->p, &e), 0);
}

static char *in(struct fixture *f, const char *rel)
{
	static char bufs[8][PATH_MAX + 64];
	static int n;
	char *b = bufs[n++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s%s%s", f->root, *rel ? "/" : "", rel);
	return b;
}

static void assert_partition(const struct resolve_stats *st)
{
	assert_int_equal(st->entries, st->by_inode + st->by_path + st->outside_tree +
					      st->unmatched_in_tree + st->missing + st->unusable);
}

static void test_inode_then_path(void **state)
{
	struct fixture *f = *state;
	struct resolve_opts o = {.match_inodes = true};
	struct resolve_stats st = {0};
	struct profile_entry trunc = {.path = "/x/main.py",
				      .dev = 0xfffff,
				      .ino = 7,
				      .kinds = SLZ_KIND_OPEN,
				      .flags = SLZ_EVF_TRUNCATED};

	/* By inode, although the recorded path is nonsense here. */
	add(f, "/somewhere/else/main.py", "app/main.py", false, SLZ_KIND_OPEN, 10, "python3");
	/* By path: the identity is unknown to this tree. */
	add(f, in(f, "bin/tool"), NULL, false, SLZ_KIND_EXEC, 11, "sh");
	add(f, in(f, "app/data"), "app/data", false, SLZ_KIND_OPEN, 12, "python3");
	add(f, in(f, "stat_only"), "stat_only", false, SLZ_KIND_STAT, 0, NULL);
	add(f, in(f, "unused.txt"), NULL, true, SLZ_KIND_ACCESS | SLZ_KIND_READLINK, 0, NULL);
	add(f, in(f, "lib/libx.so.1.2"), "lib/libx.so.1.2", false,
	    SLZ_KIND_MMAP | SLZ_KIND_STAT | SLZ_KIND_INTERP, 13, "ld");
	/* A path-only lookup spelled through an in-tree directory link. */
	add(f, in(f, "current/libx.so.1"), NULL, true, SLZ_KIND_ACCESS, 0, NULL);
	/* Never kept: failed lookups. One that also succeeded once is kept for that. */
	add(f, in(f, "nope.py"), NULL, true, SLZ_KIND_MISSING, 0, NULL);
	add(f, in(f, "hard1"), NULL, true, SLZ_KIND_MISSING | SLZ_KIND_ACCESS, 0, NULL);
	/* Outside the tree, absent inside it, through a link that leaves, truncated. */
	add(f, "/usr/lib/libc.so.6", NULL, false, SLZ_KIND_MMAP, 0, NULL);
	add(f, in(f, "gone.py"), NULL, false, SLZ_KIND_OPEN, 0, NULL);
	add(f, in(f, "out"), NULL, true, SLZ_KIND_ACCESS, 0, NULL); /* the link itself: kept */
	add(f, in(f, "out/x"), NULL, true, SLZ_KIND_ACCESS, 0, NULL);
	add(f, in(f, "dead/x"), NULL, true, SLZ_KIND_ACCESS, 0, NULL);
	assert_int_equal(profile__add(f->p, &trunc), 0);

	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.entries, 15);
	assert_int_equal(st.by_inode, 4);
	assert_int_equal(st.by_path, 5);
	assert_int_equal(st.outside_tree, 2);
	assert_int_equal(st.unmatched_in_tree, 1 + 1);
	assert_int_equal(st.missing, 1);
	assert_int_equal(st.unusable, 1);
	assert_partition(&st);

	uint32_t main_py = idx(f, "app/main.py");
	assert_int_equal(keepset__reasons(f->k, main_py), KEEP_OPENED);
	assert_int_equal(keepset__first_pid(f->k, main_py), 10);
	assert_string_equal(keepset__first_comm(f->k, main_py), "python3");
	assert_int_equal(keepset__reasons(f->k, idx(f, "bin/tool")), KEEP_EXECED);
	assert_string_equal(keepset__first_comm(f->k, idx(f, "bin/tool")), "sh");
	assert_int_equal(keepset__reasons(f->k, idx(f, "app/data")), KEEP_LISTED);
	assert_int_equal(keepset__reasons(f->k, idx(f, "stat_only")), KEEP_STAT_ONLY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "unused.txt")), KEEP_STAT_ONLY);
	/* stat alongside a real use is not "stat-only". */
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib/libx.so.1.2")),
			 KEEP_MMAPPED | KEEP_EXECED);
	/* The link the user named, not its target (the closure adds that). */
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib/libx.so.1")), KEEP_STAT_ONLY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "hard1")), KEEP_STAT_ONLY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "out")), KEEP_STAT_ONLY);
	assert_false(keepset__has(f->k, idx(f, "current")));
	assert_false(keepset__has(f->k, idx(f, "sub/hard2")));
	assert_false(keepset__has(f->k, idx(f, "lib/libx.so")));
	assert_false(keepset__has(f->k, idx(f, "app")));
	assert_int_equal(keepset__count(f->k), 9);

	/* Stats add up across calls. */
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.entries, 30);
	assert_int_equal(keepset__count(f->k), 9);
}

static void test_match_inodes_false(void **state)
{
	struct fixture *f = *state;
	struct resolve_opts o = {.match_inodes = false};
	struct resolve_stats st = {0};

	add(f, "/somewhere/else/main.py", "app/main.py", false, SLZ_KIND_OPEN, 0, NULL);
	add(f, in(f, "bin/tool"), "bin/tool", false, SLZ_KIND_EXEC, 0, NULL);
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.by_inode, 0);
	assert_int_equal(st.by_path, 1);
	assert_int_equal(st.outside_tree, 1);
	assert_false(keepset__has(f->k, idx(f, "app/main.py")));
	assert_int_equal(keepset__reasons(f->k, idx(f, "bin/tool")), KEEP_EXECED);
	/* No options at all means the same: paths only. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(resolve__profile(f->k, f->p, NULL, &st), 0);
	assert_int_equal(st.by_inode, 0);
	assert_int_equal(st.outside_tree, 1);
	/* With inodes trusted, the same profile finds main.py. */
	o.match_inodes = true;
	memset(&st, 0, sizeof(st));
	assert_int_equal(resolve__profile(f->k, f->p, &o, NULL), 0);
	assert_int_equal(keepset__reasons(f->k, idx(f, "app/main.py")), KEEP_OPENED);
}

static void test_recorded_at(void **state)
{
	struct fixture *f = *state;
	struct resolve_opts o = {.match_inodes = true};
	struct resolve_stats st = {0};

	reopen_at(f, "/var/task/");

	add(f, "/var/task/app/main.py", NULL, false, SLZ_KIND_OPEN, 0, NULL);
	add(f, "/var/task//bin/./tool", NULL, true, SLZ_KIND_ACCESS, 0, NULL);
	add(f, "/var/task", NULL, false, SLZ_KIND_OPEN, 0, NULL); /* the root: implicit */
	add(f, "/var/taskforce/app/main.py", NULL, false, SLZ_KIND_OPEN, 0, NULL);
	add(f, "/var/task/app/../stat_only", NULL, true, SLZ_KIND_ACCESS, 0, NULL);
	add(f, "/var/task/../etc/passwd", NULL, true, SLZ_KIND_ACCESS, 0, NULL);
	/* The tree's real path still works with an alias set. */
	add(f, in(f, "unused.txt"), NULL, false, SLZ_KIND_OPEN, 0, NULL);
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.by_path, 5);
	assert_int_equal(st.outside_tree, 2);
	assert_partition(&st);
	assert_int_equal(keepset__reasons(f->k, idx(f, "app/main.py")), KEEP_OPENED);
	assert_int_equal(keepset__reasons(f->k, idx(f, "bin/tool")), KEEP_STAT_ONLY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "stat_only")), KEEP_STAT_ONLY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "unused.txt")), KEEP_OPENED);
	assert_false(keepset__has(f->k, 0));
	assert_int_equal(keepset__count(f->k), 4);

	/* Seen on this machine (verify's runs), those recorded paths are simply elsewhere. */
	memset(&st, 0, sizeof(st));
	o.at_real_path = true;
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.by_path, 1);
	assert_int_equal(st.outside_tree, 6);
	/* And so they are for a tree not recorded elsewhere. */
	reopen_at(f, NULL);
	memset(&st, 0, sizeof(st));
	o.at_real_path = false;
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.by_path, 1);
	assert_int_equal(st.outside_tree, 6);
}

static void test_hard_links(void **state)
{
	struct fixture *f = *state;
	struct resolve_opts o = {.match_inodes = true};
	struct resolve_stats st = {0};

	/*
	 * The recorded path names one of the links: every link is kept all the same, since the
	 * kernel reports an inode once, whichever name a later access used.
	 */
	add(f, in(f, "sub/hard2"), "hard1", false, SLZ_KIND_OPEN, 0, NULL);
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.by_inode, 1);
	assert_int_equal(keepset__reasons(f->k, idx(f, "sub/hard2")), KEEP_OPENED);
	assert_int_equal(keepset__reasons(f->k, idx(f, "hard1")), KEEP_OPENED);
	assert_false(keepset__has(f->k, idx(f, "unused.txt")));
	profile__free(f->p);
	assert_int_equal(profile__new(&f->p), 0);
	/* A path that names none of them (tree moved, no alias): all of them too. */
	add(f, "/elsewhere/h", "hard1", false, SLZ_KIND_MMAP, 0, NULL);
	assert_int_equal(resolve__profile(f->k, f->p, &o, &st), 0);
	assert_int_equal(st.by_inode, 2);
	assert_int_equal(keepset__reasons(f->k, idx(f, "hard1")), KEEP_OPENED | KEEP_MMAPPED);
	assert_int_equal(keepset__reasons(f->k, idx(f, "sub/hard2")), KEEP_OPENED | KEEP_MMAPPED);
}

static void keep_three(struct fixture *f)
{
	assert_int_equal(keepset__add(f->k, idx(f, "lib/libx.so.1"), KEEP_OPENED, 0, NULL), 0);
	assert_int_equal(keepset__add(f->k, idx(f, "app/main.py"), KEEP_OPENED, 0, NULL), 0);
	assert_int_equal(keepset__add(f->k, idx(f, "bin/tool"), KEEP_EXECED, 0, NULL), 0);
}

static void test_symlink_closure(void **state)
{
	struct fixture *f = *state;
	uint64_t added;

	keep_three(f);
	assert_int_equal(resolve__symlink_closure(f->k, &added), 0);
	/* A kept link keeps its target; links to kept things are kept, chains included. */
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib/libx.so.1.2")), KEEP_LINK_TARGET);
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib/libx.so")), KEEP_SYMLINK);
	/* A directory link whose target directory is kept (as an ancestor) is kept. */
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib")), KEEP_DIRECTORY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "current")), KEEP_SYMLINK);
	assert_int_equal(keepset__reasons(f->k, idx(f, "abs_link")), KEEP_SYMLINK);
	/* Kept for its own reason: the closure adds nothing circular. */
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib/libx.so.1")), KEEP_OPENED);
	assert_int_equal(keepset__reasons(f->k, idx(f, "app")), KEEP_DIRECTORY);
	assert_int_equal(keepset__reasons(f->k, idx(f, "bin")), KEEP_DIRECTORY);
	assert_false(keepset__has(f->k, idx(f, "alias_link"))); /* /var/task is not the tree */
	assert_false(keepset__has(f->k, idx(f, "dead")));
	assert_false(keepset__has(f->k, idx(f, "out")));
	assert_false(keepset__has(f->k, idx(f, "unused.txt")));
	/* libx.so.1.2, libx.so, current, abs_link, lib, app, bin */
	assert_int_equal(added, 7);
	assert_int_equal(keepset__count(f->k), 10);

	/* Settled: running it again changes nothing. */
	uint64_t gen = keepset__generation(f->k);
	assert_int_equal(resolve__symlink_closure(f->k, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(keepset__generation(f->k), gen);

	/* Recorded at /var/task, the absolute link into /var/task is an in-tree link. */
	reopen_at(f, "/var/task");
	keep_three(f);
	assert_int_equal(resolve__symlink_closure(f->k, &added), 0);
	assert_int_equal(added, 8);
	assert_int_equal(keepset__reasons(f->k, idx(f, "alias_link")), KEEP_SYMLINK);
	gen = keepset__generation(f->k);
	assert_int_equal(resolve__symlink_closure(f->k, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(keepset__generation(f->k), gen);
}

static void test_closure_keeps_link_target_directory(void **state)
{
	struct fixture *f = *state;
	uint64_t added;

	/* A kept directory link keeps its target directory (not the directory's contents). */
	assert_int_equal(keepset__add(f->k, idx(f, "current"), KEEP_STAT_ONLY, 0, NULL), 0);
	assert_int_equal(resolve__symlink_closure(f->k, &added), 0);
	assert_int_equal(keepset__reasons(f->k, idx(f, "lib")), KEEP_LINK_TARGET);
	assert_false(keepset__has(f->k, idx(f, "lib/libx.so.1.2")));
	assert_int_equal(added, 1);
}

static void test_relative(void **state)
{
	struct fixture *f = *state;
	struct resolve_opts here = {.at_real_path = true};
	char *rel = NULL;

	assert_int_equal(resolve__relative(f->t, in(f, "app/main.py"), NULL, &rel), 0);
	assert_string_equal(rel, "app/main.py");
	free(rel);
	assert_int_equal(resolve__relative(f->t, "/var/task/a", NULL, &rel), -EXDEV);
	assert_int_equal(resolve__relative(f->t, "relative/path", NULL, &rel), -EINVAL);
	assert_null(rel);

	reopen_at(f, "/var/task");
	assert_int_equal(resolve__relative(f->t, "/var/task/a//./b/../c/", NULL, &rel), 0);
	assert_string_equal(rel, "a/b/../c");
	free(rel);
	assert_int_equal(resolve__relative(f->t, "/var/task", NULL, &rel), 0);
	assert_string_equal(rel, "");
	free(rel);
	assert_int_equal(resolve__relative(f->t, in(f, "app"), NULL, &rel), 0);
	assert_string_equal(rel, "app");
	free(rel);
	assert_int_equal(resolve__relative(f->t, "/var/taskx/a", NULL, &rel), -EXDEV);
	assert_null(rel);
	/* At its real path, the recorded location is not the tree's. */
	assert_int_equal(resolve__relative(f->t, "/var/task/a", &here, &rel), -EXDEV);
	assert_int_equal(resolve__relative(f->t, in(f, "app"), &here, &rel), 0);
	assert_string_equal(rel, "app");
	free(rel);

	/* Recorded at "/" (an image): every absolute path is below it. */
	reopen_at(f, "/");
	assert_int_equal(resolve__relative(f->t, "/etc/x", NULL, &rel), 0);
	assert_string_equal(rel, "etc/x");
	free(rel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inode_then_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_inodes_false, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_closure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closure_keeps_link_target_directory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_relative, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
