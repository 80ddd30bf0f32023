// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Merging profiles as slimzip merge does: a set union (A with A is A, counts doubled),
 * commutative and associative on entries and counters, headers reconciled, tree roots that
 * disagree refused unless mapped (profile__remap).
 */
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

#include "profile_io.h"
#include "profiles.h"
#include "slz_vocab.h"
#include "util.h"
#include "testfs.h"

static void add(struct profile *p, const char *path, uint64_t ino, uint32_t kinds, uint64_t count)
{
	struct profile_entry e = {.path = (char *)path,
				  .dev = ino ? 7 : 0,
				  .ino = ino,
				  .kinds = kinds,
				  .count = count,
				  .flags = ino ? 0 : SLZ_EVF_PATH_ONLY,
				  .syscall_nr = -1};

	assert_int_equal(profile__add(p, &e), 0);
}

static struct profile *make(int which)
{
	struct profile *p;

	assert_int_equal(profile__new(&p), 0);
	switch (which) {
	case 0:
		add(p, "/t/a.py", 1, SLZ_KIND_OPEN, 2);
		add(p, "/t/shared.py", 2, SLZ_KIND_STAT, 1);
		add(p, "/t/gone.so", 0, SLZ_KIND_MISSING, 1);
		profile__header(p)->lost_events = 1;
		profile__header(p)->start_unix_ms = 2000;
		profile__header(p)->end_unix_ms = 3000;
		break;
	case 1:
		add(p, "/t/b.py", 3, SLZ_KIND_OPEN | SLZ_KIND_MMAP, 1);
		add(p, "/t/shared.py", 2, SLZ_KIND_OPEN, 4);
		profile__header(p)->dedup_full = 2;
		profile__header(p)->start_unix_ms = 1000;
		profile__header(p)->end_unix_ms = 2500;
		break;
	default:
		add(p, "/t/gone.so", 0, SLZ_KIND_MISSING | SLZ_KIND_ACCESS, 3);
		add(p, "/t/c.py", 4, SLZ_KIND_EXEC, 1);
		profile__header(p)->truncated_paths = 5;
		profile__header(p)->daemon_restarted = 1;
		profile__header(p)->end_unix_ms = 9000;
		break;
	}
	assert_int_equal(profile__set_str(p, &profile__header(p)->hostname, "vm"), 0);
	return p;
}

/* The entries and counters of p as one string: what two equal merges must share. */
static char *fingerprint(struct profile *p)
{
	const struct profile_header *h = profile__header_const(p);
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	assert_int_equal(profile__sort(p), 0);
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);

		fprintf(f, "%s %llu %llu %x %llu %x\n", e->path, (unsigned long long)e->dev,
			(unsigned long long)e->ino, e->kinds, (unsigned long long)e->count,
			e->flags);
	}
	fprintf(f,
		"lost %llu dedup %llu trunc %llu restarted %llu merged %llu start %lld end %lld\n",
		(unsigned long long)h->lost_events, (unsigned long long)h->dedup_full,
		(unsigned long long)h->truncated_paths, (unsigned long long)h->daemon_restarted,
		(unsigned long long)h->merged_from, (long long)h->start_unix_ms,
		(long long)h->end_unix_ms);
	fclose(f);
	return s;
}

/* A fresh union of the profiles made by which[0..n), merged in that order. */
static char *union_of(const int *which, size_t n)
{
	struct profile *acc = make(which[0]);
	char *s;

	for (size_t i = 1; i < n; i++) {
		struct profile *more = make(which[i]);

		assert_int_equal(profile__merge(acc, more), 0);
		profile__free(more);
	}
	s = fingerprint(acc);
	profile__free(acc);
	return s;
}

static void test_merge_with_itself_doubles_counts_only(void **state)
{
	struct profile *a = make(0), *b = make(0);
	const struct profile_entry *e;

	assert_int_equal(profile__merge(a, b), 0);
	assert_int_equal(profile__count(a), 3);
	e = profile__find_path(a, "/t/a.py");
	assert_non_null(e);
	assert_int_equal(e->count, 4);
	assert_int_equal(e->kinds, SLZ_KIND_OPEN);
	assert_int_equal(profile__header(a)->lost_events, 2);
	assert_int_equal(profile__header(a)->merged_from, 2);
	assert_int_equal(profile__header(a)->start_unix_ms, 2000);
	assert_int_equal(profile__header(a)->end_unix_ms, 3000);
	assert_string_equal(profile__header(a)->hostname, "vm");
	profile__free(a);
	profile__free(b);
}

static void test_merge_is_commutative_and_associative(void **state)
{
	static const int ab[] = {0, 1}, ba[] = {1, 0};
	static const int abc[] = {0, 1, 2}, cba[] = {2, 1, 0}, bca[] = {1, 2, 0};
	char *x = union_of(ab, 2), *y = union_of(ba, 2);
	struct profile *a = make(0), *bc = make(1), *c = make(2);
	char *left, *right;

	assert_string_equal(x, y);
	assert_non_null(strstr(x, "/t/shared.py 7 2 11 5 0")); /* open|stat, 1 + 4 */
	free(x);
	free(y);
	x = union_of(abc, 3);
	y = union_of(cba, 3);
	assert_string_equal(x, y);
	free(y);
	y = union_of(bca, 3);
	assert_string_equal(x, y);
	/* (A u B) u C, as above, against A u (B u C). */
	assert_int_equal(profile__merge(bc, c), 0);
	assert_int_equal(profile__merge(a, bc), 0);
	right = fingerprint(a);
	left = x;
	assert_string_equal(left, right);
	assert_non_null(strstr(left, "lost 1 dedup 2 trunc 5 restarted 1 merged 3 start 1000 "
				     "end 9000"));
	free(left);
	free(right);
	free(y);
	profile__free(a);
	profile__free(bc);
	profile__free(c);
}

static void test_header_strings_reconciled(void **state)
{
	struct profile *a = make(0), *b = make(1);
	struct profile_header *h = profile__header(a);

	profile__set_str(a, &h->command, "python3 one.py");
	profile__set_str(b, &profile__header(b)->command, "python3 two.py");
	profile__set_str(b, &profile__header(b)->hostname, "ci");
	profile__set_str(a, &h->kernel, "6.1");
	profile__set_str(b, &profile__header(b)->kernel, "6.1");
	h->exit_status = 0;
	profile__header(b)->exit_status = 3;
	assert_int_equal(profile__merge(a, b), 0);
	assert_null(h->command); /* no one command line is both */
	assert_string_equal(h->hostname, "mixed");
	assert_string_equal(h->kernel, "6.1");
	assert_int_equal(h->exit_status, 3); /* a failure shows */
	profile__free(a);
	profile__free(b);
}

static void test_tree_roots_refused_unless_mapped(void **state)
{
	static const struct profile_map maps[] = {{"/home/ci/build/", "/var/task"}};
	struct profile *a = make(0), *b = NULL, *m = NULL;
	const struct profile_entry *e;
	size_t before;

	assert_int_equal(profile__new(&b), 0);
	add(b, "/home/ci/build/pkg/x.py", 9, SLZ_KIND_OPEN, 1);
	add(b, "/home/ci/buildx/y.py", 10, SLZ_KIND_OPEN, 1);
	add(b, "/home/ci/build", 11, SLZ_KIND_OPEN, 1);
	profile__set_str(a, &profile__header(a)->tree_root, "/var/task");
	profile__set_str(b, &profile__header(b)->tree_root, "/home/ci/build");
	before = profile__count(a);
	assert_int_equal(profile__merge(a, b), -EXDEV);
	assert_non_null(strstr(slz_errmsg(), "/home/ci/build"));
	assert_non_null(strstr(slz_errmsg(), "/var/task"));
	assert_int_equal(profile__count(a), before); /* refused before anything changed */
	assert_int_equal(profile__header(a)->merged_from, 1);

	assert_int_equal(profile__remap(b, maps, 1, &m), 0);
	assert_string_equal(profile__header(m)->tree_root, "/var/task");
	assert_non_null(profile__find_path(m, "/var/task/pkg/x.py"));
	assert_non_null(profile__find_path(m, "/var/task"));
	/* Whole components only: /home/ci/buildx is another directory. */
	assert_non_null(profile__find_path(m, "/home/ci/buildx/y.py"));
	assert_int_equal(profile__merge(a, m), 0);
	e = profile__find_path(a, "/var/task/pkg/x.py");
	assert_non_null(e);
	assert_int_equal(e->ino, 9);
	/* A relative map is refused, named. */
	profile__free(m);
	m = NULL;
	static const struct profile_map bad[] = {{"build", "/var/task"}};
	assert_int_equal(profile__remap(b, bad, 1, &m), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(slz_errmsg(), "build"));
	profile__free(a);
	profile__free(b);
}

static void test_remap_to_and_from_root(void **state)
{
	static const struct profile_map up[] = {{"/", "/srv"}}, down[] = {{"/srv", "/"}};
	struct profile *p, *m, *back;

	assert_int_equal(profile__new(&p), 0);
	add(p, "/a/b", 1, SLZ_KIND_OPEN, 1);
	add(p, "/", 2, SLZ_KIND_OPEN, 1);
	assert_int_equal(profile__remap(p, up, 1, &m), 0);
	assert_non_null(profile__find_path(m, "/srv/a/b"));
	assert_non_null(profile__find_path(m, "/srv"));
	assert_int_equal(profile__remap(m, down, 1, &back), 0);
	assert_non_null(profile__find_path(back, "/a/b"));
	assert_non_null(profile__find_path(back, "/"));
	profile__free(p);
	profile__free(m);
	profile__free(back);
}

static void test_load_mapped_names_both_files(void **state)
{
	static const struct profile_map maps[] = {{"/home/ci/build", "/var/task"}};
	char dir[PATH_MAX], a[PATH_MAX + 8], b[PATH_MAX + 8];
	const char *paths[] = {a, b};
	struct profile *p = make(0), *q = NULL, *m = NULL;

	testfs__mkdtemp(dir, sizeof(dir), "merge");
	snprintf(a, sizeof(a), "%s/a.txt", dir);
	snprintf(b, sizeof(b), "%s/b.txt", dir);
	profile__set_str(p, &profile__header(p)->tree_root, "/var/task");
	assert_int_equal(profile__write(p, a, PROFILE_FMT_TEXT), 0);
	assert_int_equal(profile__new(&q), 0);
	add(q, "/home/ci/build/x.py", 5, SLZ_KIND_OPEN, 1);
	profile__set_str(q, &profile__header(q)->tree_root, "/home/ci/build");
	assert_int_equal(profile__write(q, b, PROFILE_FMT_JSON), 0);
	assert_int_equal(profiles__load(paths, 2, &m), -EXDEV);
	assert_null(m);
	assert_non_null(strstr(slz_errmsg(), a));
	assert_non_null(strstr(slz_errmsg(), b));
	assert_non_null(strstr(slz_errmsg(), "--map /home/ci/build=/var/task"));
	assert_int_equal(profiles__load_mapped(paths, 2, maps, 1, &m), 0);
	assert_int_equal(profile__count(m), 4);
	assert_non_null(profile__find_path(m, "/var/task/x.py"));
	assert_string_equal(profile__header(m)->tree_root, "/var/task");
	profile__free(p);
	profile__free(q);
	profile__free(m);
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_with_itself_doubles_counts_only),
		cmocka_unit_test(test_merge_is_commutative_and_associative),
		cmocka_unit_test(test_header_strings_reconciled),
		cmocka_unit_test(test_tree_roots_refused_unless_mapped),
		cmocka_unit_test(test_remap_to_and_from_root),
		cmocka_unit_test(test_load_mapped_names_both_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
