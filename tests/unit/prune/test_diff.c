// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * slimzip diff's comparison (prune/diff.h): two profiles by path, a profile against a zip by
 * tree-relative name, and what "B needs something A lacks" means for each.
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
#include <zip.h>

#include "diff.h"
#include "profile_io.h"
#include "slz_vocab.h"
#include "util.h"
#include "testfs.h"

static char dir[PATH_MAX];

static void add(struct profile *p, const char *path, uint32_t kinds, uint64_t size)
{
	struct profile_entry e = {.path = (char *)path,
				  .kinds = kinds,
				  .count = 1,
				  .size = size,
				  .flags = SLZ_EVF_PATH_ONLY,
				  .syscall_nr = -1};

	assert_int_equal(profile__add(p, &e), 0);
}

/* A profile file in dir named name; root sets its tree-root (NULL: unknown). */
static struct diff_side *profile_side(const char *name, const char *root,
				      void (*fill)(struct profile *))
{
	char path[PATH_MAX + 64];
	struct profile *p;
	struct diff_side *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(profile__new(&p), 0);
	fill(p);
	if (root)
		assert_int_equal(profile__set_str(p, &profile__header(p)->tree_root, root), 0);
	assert_int_equal(profile__write(p, path, PROFILE_FMT_TEXT), 0);
	profile__free(p);
	assert_int_equal(diff_side__open(path, &s), 0);
	assert_false(diff_side__is_zip(s));
	return s;
}

/* A zip in dir of these names (a trailing '/' makes a directory), each holding its name. */
static struct diff_side *zip_side(const char *name, const char *const *names)
{
	char path[PATH_MAX + 64];
	struct diff_side *s;
	zip_t *za;
	int zerr;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(za);
	for (const char *const *n = names; *n; n++) {
		size_t len = strlen(*n);

		if ((*n)[len - 1] == '/') {
			assert_true(zip_dir_add(za, *n, ZIP_FL_ENC_RAW) >= 0);
		} else {
			zip_source_t *src = zip_source_buffer(za, *n, len, 0);

			assert_non_null(src);
			assert_true(zip_file_add(za, *n, src, ZIP_FL_ENC_RAW) >= 0);
		}
	}
	assert_int_equal(zip_close(za), 0);
	assert_int_equal(diff_side__open(path, &s), 0);
	assert_true(diff_side__is_zip(s));
	return s;
}

static const struct diff_item *find(const struct diff_item *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, path))
			return &v[i];
	return NULL;
}

static void fill_old(struct profile *p)
{
	add(p, "/t/app.py", SLZ_KIND_OPEN, 100);
	add(p, "/t/pkg/__init__.py", SLZ_KIND_STAT, 10);
	add(p, "/t/gone.so", SLZ_KIND_MISSING, 0);
	add(p, "/t/old.py", SLZ_KIND_OPEN, 7);
	add(p, "/usr/lib/python3.11/os.py", SLZ_KIND_OPEN, 5000);
}

static void fill_new(struct profile *p)
{
	add(p, "/t/app.py", SLZ_KIND_OPEN, 100);
	add(p, "/t/pkg/__init__.py", SLZ_KIND_OPEN | SLZ_KIND_MMAP, 10);
	add(p, "/t/gone.so", SLZ_KIND_OPEN, 30);
	add(p, "/t/new.py", SLZ_KIND_STAT, 40);
	add(p, "/t/log.txt", SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_CREATE, 0);
	add(p, "/t/nope.py", SLZ_KIND_MISSING, 0);
	add(p, "/usr/lib/python3.11/os.py", SLZ_KIND_OPEN, 5000);
}

static void test_two_profiles(void **state)
{
	struct diff_side *a = profile_side("old.txt", NULL, fill_old);
	struct diff_side *b = profile_side("new.txt", NULL, fill_new);
	struct diff_result r;
	const struct diff_item *it;

	assert_int_equal(diff__run(a, b, NULL, &r), 0);
	assert_null(r.root);
	/* Added: new.py (needed, stat-only counts), log.txt and nope.py (needed by no zip). */
	assert_int_equal(r.nadded, 3);
	it = find(r.added, r.nadded, "/t/new.py");
	assert_non_null(it);
	assert_true(it->needed);
	assert_int_equal(it->b_size, 40);
	assert_false(find(r.added, r.nadded, "/t/log.txt")->needed);
	assert_false(find(r.added, r.nadded, "/t/nope.py")->needed);
	assert_int_equal(r.added_bytes, 40);
	assert_int_equal(r.nremoved, 1);
	assert_string_equal(r.removed[0].path, "/t/old.py");
	assert_int_equal(r.removed_bytes, 7);
	/* A failed lookup in A that B opens is needed; stat -> open is a change A covers. */
	assert_int_equal(r.nchanged, 2);
	it = find(r.changed, r.nchanged, "/t/gone.so");
	assert_true(it->needed);
	assert_int_equal(it->a_kinds, SLZ_KIND_MISSING);
	assert_int_equal(it->b_kinds, SLZ_KIND_OPEN);
	it = find(r.changed, r.nchanged, "/t/pkg/__init__.py");
	assert_false(it->needed);
	assert_int_equal(r.needed, 2);
	diff_result__release(&r);
	/* The other way round: nothing of A is needed that B lacks but old.py. */
	assert_int_equal(diff__run(b, a, NULL, &r), 0);
	assert_int_equal(r.needed, 1);
	assert_true(find(r.added, r.nadded, "/t/old.py")->needed);
	diff_result__release(&r);
	/* A profile against itself: nothing at all. */
	assert_int_equal(diff__run(a, a, NULL, &r), 0);
	assert_int_equal(r.nadded + r.nremoved + r.nchanged + r.needed, 0);
	diff_result__release(&r);
	diff_side__free(a);
	diff_side__free(b);
}

static void test_zip_covers_profile(void **state)
{
	static const char *const full[] = {"app.py",  "pkg/",	"pkg/__init__.py",
					   "gone.so", "new.py", NULL};
	static const char *const lacking[] = {"app.py", "pkg/__init__.py", "gone.so", NULL};
	struct diff_side *zf = zip_side("full.zip", full), *zl = zip_side("lacking.zip", lacking);
	struct diff_side *b = profile_side("new.txt", "/t", fill_new);
	struct diff_result r;
	const struct diff_item *it;

	assert_int_equal(diff__run(zf, b, NULL, &r), 0);
	assert_string_equal(r.root, "/t");
	assert_int_equal(r.outside, 1); /* /usr/lib/...: the runtime's, not the zip's */
	assert_int_equal(r.needed, 0);
	/* In the profile, not the zip, and needed by no zip: listed, not needed. */
	assert_non_null(find(r.added, r.nadded, "log.txt"));
	assert_non_null(find(r.added, r.nadded, "nope.py"));
	assert_int_equal(r.nadded, 2);
	assert_int_equal(r.nchanged, 0); /* kinds are the profiles' */
	diff_result__release(&r);

	/* A zip lacking a file the profile only stat()ed does not cover it. */
	assert_int_equal(diff__run(zl, b, NULL, &r), 0);
	assert_int_equal(r.needed, 1);
	it = find(r.added, r.nadded, "new.py");
	assert_non_null(it);
	assert_true(it->needed);
	/* pkg/ is no entry of lacking.zip, but pkg/__init__.py implies it. */
	assert_null(find(r.added, r.nadded, "pkg"));
	diff_result__release(&r);

	/* A zip B against a profile A: every entry is needed; sizes are the zip's. */
	assert_int_equal(diff__run(b, zl, NULL, &r), 0);
	assert_int_equal(r.needed, 0);
	it = find(r.removed, r.nremoved, "new.py");
	assert_non_null(it);
	assert_int_equal(it->a_size, 40);
	diff_result__release(&r);
	diff_side__free(b);

	/* A root given wins over the header; a profile with no root cannot meet a zip. */
	b = profile_side("noroot.txt", NULL, fill_new);
	assert_int_equal(diff__run(zl, b, NULL, &r), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "--tree-path-as"));
	struct diff_opts o = {.root = "/t"};
	assert_int_equal(diff__run(zl, b, &o, &r), 0);
	assert_int_equal(r.needed, 1);
	diff_result__release(&r);
	diff_side__free(b);

	/* Two zips: by name, a changed size is a change. */
	assert_int_equal(diff__run(zl, zf, NULL, &r), 0);
	assert_int_equal(r.needed, 1); /* new.py; pkg/ is implied by pkg/__init__.py */
	assert_true(find(r.added, r.nadded, "new.py")->needed);
	diff_result__release(&r);
	diff_side__free(zf);
	diff_side__free(zl);
}

static void test_bad_inputs_named(void **state)
{
	char path[PATH_MAX + 64];
	struct diff_side *s = (struct diff_side *)1;

	snprintf(path, sizeof(path), "%s/nothing.zip", dir);
	assert_int_equal(diff_side__open(path, &s), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(slz_errmsg(), "nothing.zip"));
	testfs__write(dir, "broken.zip", "PK\003\004 not really a zip");
	snprintf(path, sizeof(path), "%s/broken.zip", dir);
	assert_true(diff_side__open(path, &s) < 0);
	assert_non_null(strstr(slz_errmsg(), "broken.zip"));
	testfs__write(dir, "garbage.txt", "hello\n");
	snprintf(path, sizeof(path), "%s/garbage.txt", dir);
	assert_int_equal(diff_side__open(path, &s), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "garbage.txt"));
}

static int setup(void **state)
{
	testfs__mkdtemp(dir, sizeof(dir), "diff");
	return 0;
}

static int teardown(void **state)
{
	testfs__rmtree(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_profiles),
		cmocka_unit_test(test_zip_covers_profile),
		cmocka_unit_test(test_bad_inputs_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
