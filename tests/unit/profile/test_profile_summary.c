// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/stat.h>

#include "slz_vocab.h"
#include "profile_summary.h"

static void add(struct profile *p, const char *path, uint64_t ino, uint32_t kinds, uint32_t mode,
		uint64_t size)
{
	struct profile_entry e = {.path = (char *)path,
				  .dev = 1,
				  .ino = ino,
				  .kinds = kinds,
				  .mode = mode,
				  .size = size};

	if (!ino)
		e.flags = SLZ_EVF_PATH_ONLY;
	assert_int_equal(profile__add(p, &e), 0);
}

static void test_counts_kinds_and_groups_dirs(void **state)
{
	struct profile_summary s;
	struct profile *p;

	assert_int_equal(profile__new(&p), 0);
	add(p, "/task/pkg/a.py", 1, SLZ_KIND_STAT, S_IFREG | 0644, 100);
	add(p, "/task/pkg/__pycache__/a.pyc", 2, SLZ_KIND_OPEN, S_IFREG | 0644, 300);
	add(p, "/task/pkg/b.py", 3, SLZ_KIND_OPEN | SLZ_KIND_STAT, S_IFREG | 0644, 50);
	add(p, "/task/lib/big.so", 4, SLZ_KIND_OPEN | SLZ_KIND_MMAP, S_IFREG | 0755, 10000);
	add(p, "/task/pkg", 5, SLZ_KIND_OPEN, S_IFDIR | 0755, 4096);
	add(p, "/task/nothere.py", 0, SLZ_KIND_MISSING, 0, 0);

	assert_int_equal(profile_summary__compute(p, 0, &s), 0);
	assert_int_equal(s.files, 5);
	assert_int_equal(s.bytes, 10450); /* directories do not count as bytes */
	assert_int_equal(s.missing, 1);
	assert_int_equal(s.directories, 1);
	assert_int_equal(s.stat_only, 1);
	assert_int_equal(s.by_kind[0], 4); /* open */
	assert_int_equal(s.by_kind[1], 1); /* mmap */
	assert_int_equal(s.ndirs, 3);
	assert_string_equal(s.dirs[0].path, "/task/pkg");
	assert_int_equal(s.dirs[0].files, 2);
	profile_summary__sort_by_bytes(&s);
	assert_string_equal(s.dirs[0].path, "/task/lib");
	assert_int_equal(s.dirs[0].bytes, 10000);
	profile_summary__free(&s);

	/* Depth 2 folds everything under /task/<top-level>. */
	assert_int_equal(profile_summary__compute(p, 2, &s), 0);
	assert_int_equal(s.ndirs, 2);
	assert_string_equal(s.dirs[0].path, "/task/pkg");
	assert_int_equal(s.dirs[0].files, 3);
	profile_summary__free(&s);
	profile__free(p);
}

/*
 * A file opened (entry by inode) and access()ed (entry by path only) is one file with both
 * kinds, not two files; a directory only stat'ed is a directory, not a stat-only file.
 */
static void test_groups_entries_by_path(void **state)
{
	struct profile_summary s;
	struct profile *p;

	assert_int_equal(profile__new(&p), 0);
	add(p, "/etc/gitconfig", 7, SLZ_KIND_OPEN, S_IFREG | 0644, 120);
	add(p, "/etc/gitconfig", 0, SLZ_KIND_ACCESS, 0, 0);
	add(p, "/etc/only-access", 0, SLZ_KIND_ACCESS, 0, 0);
	add(p, "/etc/passwd", 8, SLZ_KIND_STAT, S_IFREG | 0644, 30);
	add(p, "/etc/passwd", 0, SLZ_KIND_READLINK, 0, 0);
	add(p, "/usr/share/git-core", 9, SLZ_KIND_STAT, S_IFDIR | 0755, 4096);
	add(p, "/usr/share/git-core", 0, SLZ_KIND_ACCESS, 0, 0);
	assert_int_equal(profile__count(p), 7);

	assert_int_equal(profile_summary__compute(p, 0, &s), 0);
	assert_int_equal(s.files, 4); /* distinct paths */
	assert_int_equal(s.bytes, 150);
	assert_int_equal(s.directories, 1);
	assert_int_equal(s.missing, 0);
	assert_int_equal(s.by_kind[0], 1); /* open */
	assert_int_equal(s.by_kind[4], 2); /* stat */
	assert_int_equal(s.by_kind[5], 3); /* access */
	assert_int_equal(s.by_kind[6], 1); /* readlink */
	/* /etc/only-access and /etc/passwd; not the opened gitconfig, not the directory. */
	assert_int_equal(s.stat_only, 2);
	assert_int_equal(s.ndirs, 1);
	assert_string_equal(s.dirs[0].path, "/etc");
	assert_int_equal(s.dirs[0].files, 3);
	assert_int_equal(s.dirs[0].bytes, 150);
	profile_summary__free(&s);
	profile__free(p);
}

static void test_empty_profile(void **state)
{
	struct profile_summary s;
	struct profile *p;

	/* No directory at all: nothing may reach qsort as a NULL array (UBSan, ASan build). */
	assert_int_equal(profile__new(&p), 0);
	add(p, "/gone", 0, SLZ_KIND_MISSING, 0, 0);
	assert_int_equal(profile_summary__compute(p, 0, &s), 0);
	assert_int_equal(s.files, 0);
	assert_int_equal(s.missing, 1);
	assert_int_equal(s.ndirs, 0);
	profile_summary__sort_by_bytes(&s);
	profile_summary__free(&s);
	profile__free(p);
}

/*
 * Entries in path order are grouped by runs, others through a hash table: both count a path
 * seen by inode and by path only once, with the inode's mode, and give the same directories.
 */
static void test_path_order_and_any_order_agree(void **state)
{
	static const struct {
		const char *path;
		uint64_t ino;
		uint32_t kinds, mode;
	} in[] = {
		{"/t/a/x.py", 0, SLZ_KIND_ACCESS, 0},
		{"/t/a/x.py", 7, SLZ_KIND_OPEN, S_IFREG | 0644},
		{"/t/a/y.py", 8, SLZ_KIND_STAT, S_IFREG | 0644},
		{"/t/b/z.so", 9, SLZ_KIND_MMAP, S_IFREG | 0755},
		{"/t/b/z.so", 0, SLZ_KIND_MISSING, 0},
		{"/t/c", 10, SLZ_KIND_OPEN, S_IFDIR | 0755},
	};
	size_t n = sizeof(in) / sizeof(in[0]);
	struct profile_summary s[2];
	struct profile *p[2];

	(void)state;
	for (int o = 0; o < 2; o++) {
		assert_int_equal(profile__new(&p[o]), 0);
		/* o 0 in path order, o 1 backwards */
		for (size_t i = 0; i < n; i++) {
			size_t k = o ? n - 1 - i : i;

			add(p[o], in[k].path, in[k].ino, in[k].kinds, in[k].mode, 10 * (k + 1));
		}
		assert_int_equal(profile_summary__compute(p[o], 0, &s[o]), 0);
	}
	for (int o = 0; o < 2; o++) {
		assert_int_equal(s[o].files, 4);
		assert_int_equal(s[o].bytes, 20 + 30 + 40);
		assert_int_equal(s[o].missing, 0);
		assert_int_equal(s[o].directories, 1);
		assert_int_equal(s[o].stat_only, 1);
		assert_int_equal(s[o].ndirs, 2);
		assert_string_equal(s[o].dirs[0].path, "/t/a");
		assert_int_equal(s[o].dirs[0].files, 2);
		assert_string_equal(s[o].dirs[1].path, "/t/b");
		assert_int_equal(s[o].dirs[1].bytes, 40);
		profile_summary__free(&s[o]);
		profile__free(p[o]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_kinds_and_groups_dirs),
		cmocka_unit_test(test_groups_entries_by_path),
		cmocka_unit_test(test_empty_profile),
		cmocka_unit_test(test_path_order_and_any_order_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
