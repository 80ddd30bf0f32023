// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The prune pipeline on real temp trees with synthetic profiles (no BPF needed). */
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
#include <zip.h>

#include "slz_vocab.h"
#include "prune.h"
#include "util.h"
#include "testfs.h"

struct fx {
	char dir[PATH_MAX];	 /* holds tree/ and outputs */
	char tree[PATH_MAX * 2]; /* realpath of the tree */
	char boot[64];
	struct profile *p;
	struct globs *g;
};

static void put(struct fx *f, const char *rel, const char *content)
{
	testfs__write(f->tree, rel, content);
}

/* Record an access the way the recorder would: real dev/ino, absolute path. */
static void touch(struct fx *f, const char *rel, uint32_t kind)
{
	struct profile_entry e = {.kinds = kind, .count = 1, .first_pid = 42, .syscall_nr = -1};
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->tree, rel);
	assert_int_equal(lstat(path, &st), 0);
	e.path = path;
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	e.mode = st.st_mode;
	e.size = (uint64_t)st.st_size;
	strcpy(e.first_comm, "python3");
	assert_int_equal(profile__add(f->p, &e), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	testfs__mkdtemp(f->dir, sizeof(f->dir), "prune");
	testfs__mkdir(f->dir, "tree");
	testfs__path(f->tree, sizeof(f->tree), f->dir, "tree");
	put(f, "handler.py", "import pkg.used\n");
	put(f, "pkg/__init__.py", "");
	put(f, "pkg/used.py", "X = 1\n");
	put(f, "pkg/unused.py", "Y = 2\n");
	put(f, "pkg/__pycache__/used.cpython-311.pyc", "pyc");
	put(f, "big/blob.bin", "0123456789");
	put(f, "empty-listed/.keep", "");
	assert_int_equal(profile__new(&f->p), 0);
	assert_int_equal(prune__boot_id(f->boot, sizeof(f->boot)), 0);
	assert_int_equal(profile__set_str(f->p, &profile__header(f->p)->boot_id, f->boot), 0);
	assert_int_equal(globs__new(&f->g), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs__rmtree(f->dir);
	profile__free(f->p);
	globs__free(f->g);
	free(f);
	return 0;
}

static struct prune_opts opts(struct fx *f, bool dry)
{
	static char out[PATH_MAX + 16];
	struct prune_opts o = {.tree_dir = f->tree, .dry_run = dry, .globs = f->g};

	snprintf(out, sizeof(out), "%s/out.zip", f->dir);
	o.out_zip = out;
	zipwrite__default_opts(&o.zip);
	return o;
}

static bool kept(const struct prune_result *r, const char *rel)
{
	int64_t idx = tree__find_path(r->tree, rel);

	assert_true(idx >= 0);
	return keepset__has(r->keep, (uint32_t)idx);
}

static uint32_t why(const struct prune_result *r, const char *rel)
{
	return keepset__reasons(r->keep, (uint32_t)tree__find_path(r->tree, rel));
}

static void test_keeps_touched_and_closure_drops_rest(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct prune_result r;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	touch(f, "pkg/__pycache__/used.cpython-311.pyc", SLZ_KIND_OPEN);
	touch(f, "pkg/used.py", SLZ_KIND_STAT);
	touch(f, "empty-listed", SLZ_KIND_OPEN);
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_true(r.match_inodes);
	assert_true(kept(&r, "handler.py"));
	assert_true(why(&r, "pkg/used.py") & KEEP_STAT_ONLY);
	/* The Python rule brings the package's __init__.py nobody touched in this profile. */
	assert_true(why(&r, "pkg/__init__.py") & KEEP_RULE_PYTHON);
	assert_true(why(&r, "pkg") & KEEP_DIRECTORY);
	assert_true(why(&r, "empty-listed") & KEEP_LISTED);
	assert_false(kept(&r, "pkg/unused.py"));
	assert_false(kept(&r, "big/blob.bin"));
	assert_false(kept(&r, "big"));
	assert_int_equal(r.before_files, 7);
	assert_int_equal(r.after_files, 4);
	/* Dry run writes nothing. */
	assert_int_equal(access(o.out_zip, F_OK), -1);
	prune_result__free(&r);
}

static void test_writes_zip_with_kept_entries(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, false);
	struct prune_result r;
	zip_t *za;
	int zerr;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	za = zip_open(o.out_zip, ZIP_RDONLY, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), 1);
	assert_string_equal(zip_get_name(za, 0, 0), "handler.py");
	assert_int_equal(r.zip.entries, 1);
	zip_discard(za);
	prune_result__free(&r);
}

static void test_refuses_lost_events_unless_forced(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, false);
	struct prune_result r;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	profile__header(f->p)->lost_events = 3;
	assert_int_equal(prune__run(f->p, &o, &r), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "--force"));
	prune_result__free(&r);
	assert_int_equal(access(o.out_zip, F_OK), -1); /* no partial output */
	o.force = true;
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_int_equal(access(o.out_zip, F_OK), 0);
	prune_result__free(&r);
}

static void test_truncated_paths_refused_unless_inode_matches(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct profile_entry e = {.path = "deep/tail.py",
				  .kinds = SLZ_KIND_OPEN,
				  .flags = SLZ_EVF_TRUNCATED,
				  .dev = 1,
				  .ino = 999999999};
	struct prune_result r;

	assert_int_equal(profile__add(f->p, &e), 0);
	assert_int_equal(prune__run(f->p, &o, &r), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "truncated"));
	prune_result__free(&r);

	/* The same kind of entry whose inode is in the tree is harmless. */
	profile__free(f->p);
	assert_int_equal(profile__new(&f->p), 0);
	profile__set_str(f->p, &profile__header(f->p)->boot_id, f->boot);
	touch(f, "pkg/used.py", SLZ_KIND_OPEN);
	struct profile *q;
	assert_int_equal(profile__new(&q), 0);
	profile__set_str(q, &profile__header(q)->boot_id, f->boot);
	e = *profile__entry(f->p, 0);
	e.path = "kg/used.py";
	e.flags = SLZ_EVF_TRUNCATED;
	assert_int_equal(profile__add(q, &e), 0);
	assert_int_equal(prune__run(q, &o, &r), 0);
	assert_true(kept(&r, "pkg/used.py"));
	prune_result__free(&r);
	profile__free(q);
}

static void test_drop_beats_rules_and_keep_adds(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct prune_result r;

	touch(f, "pkg/used.py", SLZ_KIND_OPEN);
	assert_int_equal(globs__add(f->g, GLOB_DROP, "__init__.py"), 0);
	assert_int_equal(globs__add(f->g, GLOB_KEEP, "big/**"), 0);
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_false(kept(&r, "pkg/__init__.py"));
	assert_true(why(&r, "big/blob.bin") & KEEP_GLOB);
	assert_int_equal(r.glob_dropped, 1);
	prune_result__free(&r);
}

static void test_other_boot_matches_by_path_only(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct profile_entry e;
	struct prune_result r;
	struct stat st;
	char path[PATH_MAX * 2];

	profile__set_str(f->p, &profile__header(f->p)->boot_id, "another-boot");
	/* Right inode, wrong path: must not match when dev/ino cannot be trusted. */
	snprintf(path, sizeof(path), "%s/big/blob.bin", f->tree);
	assert_int_equal(stat(path, &st), 0);
	e = (struct profile_entry){.path = "/elsewhere/blob.bin",
				   .dev = st.st_dev,
				   .ino = st.st_ino,
				   .kinds = SLZ_KIND_OPEN};
	assert_int_equal(profile__add(f->p, &e), 0);
	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_false(r.match_inodes);
	assert_false(kept(&r, "big/blob.bin"));
	assert_true(kept(&r, "handler.py"));
	prune_result__free(&r);
}

static void test_tree_path_as_maps_recorded_location(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct profile_entry e = {.path = "/var/task/pkg/used.py",
				  .kinds = SLZ_KIND_OPEN,
				  .flags = SLZ_EVF_PATH_ONLY};
	struct prune_result r;

	profile__set_str(f->p, &profile__header(f->p)->boot_id, "another-host");
	assert_int_equal(profile__add(f->p, &e), 0);
	o.recorded_at = "/var/task";
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_true(kept(&r, "pkg/used.py"));
	assert_int_equal(r.resolve.by_path, 1);
	prune_result__free(&r);
}

static void test_extra_keep_for_verify_fix(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	const char *extra[] = {"pkg/unused.py", "no/such/file"};
	struct prune_result r;

	o.extra_keep = extra;
	o.n_extra_keep = 2;
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_true(why(&r, "pkg/unused.py") & KEEP_VERIFY_FIX);
	prune_result__free(&r);
}

/* Links whose text looks inside but which lead out through another link are left out too. */
static void test_links_leading_out_are_left_out(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct prune_result r;

	testfs__symlink(f->tree, "d", ".");
	testfs__symlink(f->tree, "x",
			"d/d/d/d/d/d/d/d/d/d/../../../../../../../../../../etc/hostname");
	testfs__symlink(f->tree, "y", "/etc/hostname");
	testfs__symlink(f->tree, "ok", "handler.py");
	assert_int_equal(globs__add(f->g, GLOB_KEEP, "x"), 0);
	assert_int_equal(globs__add(f->g, GLOB_KEEP, "y"), 0);
	assert_int_equal(globs__add(f->g, GLOB_KEEP, "ok"), 0);
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_false(kept(&r, "x"));
	assert_false(kept(&r, "y"));
	assert_true(kept(&r, "ok"));
	assert_true(kept(&r, "handler.py")); /* the link's target comes along */
	assert_int_equal(r.links_outside, 2);
	prune_result__free(&r);
}

static void test_profile_matching_nothing_refused_unless_forced(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, false);
	struct profile_entry e = {
		.path = "/elsewhere/app.py", .kinds = SLZ_KIND_OPEN, .flags = SLZ_EVF_PATH_ONLY};
	struct prune_result r;

	assert_int_equal(profile__add(f->p, &e), 0);
	assert_int_equal(prune__run(f->p, &o, &r), -ENODATA);
	assert_non_null(strstr(slz_errmsg(), "--tree-path-as"));
	prune_result__free(&r);
	assert_int_equal(access(o.out_zip, F_OK), -1);
	o.force = true;
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	prune_result__free(&r);
	/* A --keep that matches is the user asking for files: no refusal then. */
	o.force = false;
	assert_int_equal(globs__add(f->g, GLOB_KEEP, "handler.py"), 0);
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_true(kept(&r, "handler.py"));
	prune_result__free(&r);
}

static void test_drop_of_touched_files_counted(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct prune_result r;

	touch(f, "pkg/used.py", SLZ_KIND_STAT);
	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(globs__add(f->g, GLOB_DROP, "pkg/used.py"), 0);
	assert_int_equal(globs__add(f->g, GLOB_DROP, "big/**"), 0); /* untouched: not counted */
	assert_int_equal(prune__run(f->p, &o, &r), 0);
	assert_int_equal(r.dropped_touched, 1);
	assert_int_equal(r.first_dropped_touched, tree__find_path(r.tree, "pkg/used.py"));
	prune_result__free(&r);
}

static void test_missing_tree_is_an_error(void **state)
{
	struct fx *f = *state;
	struct prune_opts o = opts(f, true);
	struct prune_result r;

	o.tree_dir = "/nonexistent/tree";
	assert_true(prune__run(f->p, &o, &r) < 0);
	prune_result__free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keeps_touched_and_closure_drops_rest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writes_zip_with_kept_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_lost_events_unless_forced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated_paths_refused_unless_inode_matches,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_beats_rules_and_keep_adds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_boot_matches_by_path_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tree_path_as_maps_recorded_location, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_extra_keep_for_verify_fix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_leading_out_are_left_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_profile_matching_nothing_refused_unless_forced,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_of_touched_files_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_tree_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
