// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The plan's step for files the recorded run wrote: created files left out (unless
 * --keep-created, --keep or the seed asks, or they are bytecode of a kept source), modified
 * ones kept and counted. Real temp trees, synthetic profiles as the recorder writes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "plan.h"
#include "slz_vocab.h"
#include "util.h"
#include "testfs.h"

#define OPENED	(SLZ_KIND_OPEN)
#define CREATED (SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_CREATE)
#define WRITTEN (SLZ_KIND_OPEN | SLZ_KIND_WRITE)

struct fx {
	char dir[PATH_MAX];
	char tree[PATH_MAX * 2];
	char boot[64];
	struct profile *p;
	struct prune_policy pol;
	struct tree *t;
	struct prune_plan pl;
};

/*
 * Record an open of rel as the recorder would. as (NULL: rel) is the path the open named: a
 * temp file renamed to rel afterwards carries rel's inode under the temp's name.
 */
static void open_as(struct fx *f, const char *rel, const char *as, uint32_t kinds)
{
	struct profile_entry e = {.kinds = kinds, .count = 1, .first_pid = 42, .syscall_nr = -1};
	char path[PATH_MAX * 2], real[PATH_MAX * 2];
	struct stat st;

	testfs__path(real, sizeof(real), f->tree, rel);
	testfs__path(path, sizeof(path), f->tree, as ? as : rel);
	assert_int_equal(lstat(real, &st), 0);
	e.path = path;
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	e.mode = st.st_mode;
	e.size = (uint64_t)st.st_size;
	strcpy(e.first_comm, "python3");
	assert_int_equal(profile__add(f->p, &e), 0);
}

static void open_file(struct fx *f, const char *rel, uint32_t kinds)
{
	open_as(f, rel, NULL, kinds);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "written");
	testfs__mkdir(f->dir, "tree");
	testfs__path(f->tree, sizeof(f->tree), f->dir, "tree");
	testfs__write(f->tree, "handler.py", "import pkg.mod\n");
	testfs__write(f->tree, "pkg/__init__.py", "");
	testfs__write(f->tree, "pkg/mod.py", "X = 1\n");
	testfs__write(f->tree, "pkg/__pycache__/mod.cpython-311.pyc", "pyc");
	testfs__write(f->tree, "pkg/gen.py", "Y = 2\n");
	testfs__write(f->tree, "pkg/__pycache__/gen.cpython-311.pyc", "pyc");
	testfs__write(f->tree, "legacy.py", "Z = 3\n");
	testfs__write(f->tree, "legacy.pyc", "pyc");
	testfs__write(f->tree, "logs/app.log", "line\n");
	testfs__write(f->tree, "cache/data.json", "{}");
	testfs__write(f->tree, "config.ini", "[a]\n");
	testfs__write(f->tree, "state.db", "");
	assert_int_equal(profile__new(&f->p), 0);
	assert_int_equal(host__boot_id(f->boot, sizeof(f->boot)), 0);
	assert_int_equal(profile__set_str(f->p, &profile__header(f->p)->boot_id, f->boot), 0);
	assert_int_equal(prune_policy__init(&f->pol), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	prune_plan__release(&f->pl);
	tree__free(f->t);
	testfs__rmtree(f->dir);
	profile__free(f->p);
	prune_policy__release(&f->pol);
	free(f);
	return 0;
}

static int plan_seeded(struct fx *f, const struct keepset *seed)
{
	const struct profile *p = f->p;

	prune_plan__release(&f->pl);
	if (!f->t)
		assert_int_equal(prune_policy__open_tree(&f->pol, f->tree, &f->t), 0);
	return prune__plan(f->t, &f->pol, &p, 1, seed, &f->pl);
}

static int plan(struct fx *f)
{
	return plan_seeded(f, NULL);
}

static uint32_t idx_of(const struct fx *f, const char *rel)
{
	int64_t idx = tree__find_path(f->t, rel);

	assert_true(idx > 0);
	return (uint32_t)idx;
}

static bool kept(const struct fx *f, const char *rel)
{
	return keepset__has(f->pl.keep, idx_of(f, rel));
}

static const char *path_at(const struct fx *f, uint32_t idx)
{
	struct tree_entry e;

	assert_int_equal(tree__get(f->t, idx, &e), 0);
	return e.path;
}

/* The workload of the issue: a handler that logs and caches, both files new. */
static void log_and_cache(struct fx *f)
{
	open_file(f, "handler.py", OPENED);
	open_file(f, "logs/app.log", CREATED);
	/* tempfile + os.replace: created under the temp name, found by its inode */
	open_as(f, "cache/data.json", "cache/tmpk2x9.json", CREATED);
}

static void test_created_files_left_out_and_listed(void **state)
{
	struct fx *f = *state;

	log_and_cache(f);
	assert_int_equal(plan(f), 0);
	assert_true(kept(f, "handler.py"));
	assert_false(kept(f, "logs/app.log"));
	assert_false(kept(f, "cache/data.json"));
	/* A workload that writes into them needs the directories. */
	assert_true(kept(f, "logs"));
	assert_true(kept(f, "cache"));
	assert_int_equal(f->pl.created_left_out, 2);
	assert_string_equal(path_at(f, f->pl.first_created_left_out), "cache/data.json");
	assert_non_null(f->pl.written);
	assert_int_equal(f->pl.written[idx_of(f, "logs/app.log")],
			 PLAN_WRITTEN_CREATED | PLAN_WRITTEN_LEFT_OUT);
	assert_int_equal(f->pl.written[idx_of(f, "cache/data.json")],
			 PLAN_WRITTEN_CREATED | PLAN_WRITTEN_LEFT_OUT);
	assert_int_equal(f->pl.written[idx_of(f, "handler.py")], 0);
	assert_int_equal(f->pl.modified, 0);
	/* The totals are of what the zip holds. */
	assert_int_equal(f->pl.after_files, 1);
}

static void test_keep_created_keeps_them(void **state)
{
	struct fx *f = *state;

	log_and_cache(f);
	f->pol.keep_created = true;
	assert_int_equal(plan(f), 0);
	assert_true(kept(f, "logs/app.log"));
	assert_true(kept(f, "cache/data.json"));
	assert_int_equal(f->pl.created_left_out, 0);
	assert_int_equal(f->pl.created_kept, 2);
}

/* A run that used only what it created leaves nothing: refused, naming --keep-created. */
static void test_only_created_files_refused(void **state)
{
	struct fx *f = *state;

	open_file(f, "logs/app.log", CREATED);
	assert_int_equal(plan(f), -ENODATA);
	assert_non_null(strstr(slz_errmsg(), "created by the run"));
	assert_non_null(strstr(slz_errmsg(), "--keep-created"));
	f->pol.keep_created = true;
	assert_int_equal(plan(f), 0);
	assert_true(kept(f, "logs/app.log"));
}

/* The user asked: a --keep glob, or verify --fix's seed, beats the created rule. */
static void test_keep_glob_and_seed_beat_it(void **state)
{
	struct fx *f = *state;
	struct keepset *seed = NULL;

	log_and_cache(f);
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "logs/"), 0);
	assert_int_equal(plan(f), 0);
	assert_true(kept(f, "logs/app.log"));
	assert_false(kept(f, "cache/data.json"));
	assert_int_equal(f->pl.created_kept, 1);
	assert_int_equal(f->pl.created_left_out, 1);

	assert_int_equal(keepset__new(f->t, &seed), 0);
	assert_int_equal(keepset__add(seed, idx_of(f, "cache/data.json"), KEEP_VERIFY_FIX, 0, NULL),
			 0);
	assert_int_equal(plan_seeded(f, seed), 0);
	assert_true(kept(f, "cache/data.json"));
	keepset__free(seed);
}

/*
 * Bytecode the run compiled for a source the zip keeps stays (Lambda could not write it), in
 * __pycache__/ or beside the source, even with the Python rule off; bytecode of a source the
 * run generated itself goes with its source.
 */
static void test_bytecode_of_kept_source_kept(void **state)
{
	struct fx *f = *state;

	f->pol.rules.off = RULES_ALL_OFF;
	open_file(f, "handler.py", OPENED);
	open_file(f, "pkg/mod.py", OPENED);
	open_as(f, "pkg/__pycache__/mod.cpython-311.pyc",
		"pkg/__pycache__/mod.cpython-311.pyc.140012345", CREATED);
	open_file(f, "legacy.py", OPENED);
	open_file(f, "legacy.pyc", CREATED);
	open_file(f, "pkg/gen.py", CREATED);
	open_as(f, "pkg/__pycache__/gen.cpython-311.pyc",
		"pkg/__pycache__/gen.cpython-311.pyc.140099999", CREATED);
	assert_int_equal(plan(f), 0);
	assert_true(kept(f, "pkg/__pycache__/mod.cpython-311.pyc"));
	assert_true(kept(f, "legacy.pyc"));
	assert_false(kept(f, "pkg/gen.py"));
	assert_false(kept(f, "pkg/__pycache__/gen.cpython-311.pyc"));
	assert_int_equal(f->pl.created_bytecode_kept, 2);
	assert_int_equal(f->pl.created_left_out, 2);
}

/* Files that existed and were written or truncated: kept, counted, the first one named. */
static void test_modified_files_kept_and_counted(void **state)
{
	struct fx *f = *state;

	open_file(f, "handler.py", OPENED);
	open_file(f, "config.ini", OPENED); /* read first, written later: two entries */
	open_file(f, "config.ini", WRITTEN);
	open_file(f, "state.db", SLZ_KIND_OPEN | SLZ_KIND_TRUNC);
	assert_int_equal(plan(f), 0);
	assert_true(kept(f, "config.ini"));
	assert_true(kept(f, "state.db"));
	assert_int_equal(f->pl.modified, 2);
	assert_string_equal(path_at(f, f->pl.first_modified), "config.ini");
	assert_int_equal(f->pl.written[idx_of(f, "state.db")], PLAN_WRITTEN_MODIFIED);
	assert_int_equal(f->pl.created_left_out, 0);
	/* A file created and written again later is a created one, not a modified one. */
	open_file(f, "logs/app.log", CREATED);
	open_file(f, "logs/app.log", WRITTEN);
	assert_int_equal(plan(f), 0);
	assert_false(kept(f, "logs/app.log"));
	assert_int_equal(f->pl.modified, 2);
}

/*
 * A profile of another boot is matched by path: a created file under its own name is left
 * out; a temp renamed over its final name names nothing in the tree, so the final file is not
 * in the profile at all, and a .pyc stays only when the Python rule keeps it for its source.
 */
static void test_other_boot_by_path(void **state)
{
	struct fx *f = *state;

	assert_int_equal(profile__set_str(f->p, &profile__header(f->p)->boot_id, "another-boot"),
			 0);
	log_and_cache(f);
	open_file(f, "pkg/mod.py", OPENED);
	open_as(f, "pkg/__pycache__/mod.cpython-311.pyc",
		"pkg/__pycache__/mod.cpython-311.pyc.140012345", CREATED);
	assert_int_equal(plan(f), 0);
	assert_false(f->pl.match_inodes);
	assert_false(kept(f, "logs/app.log"));
	assert_false(kept(f, "cache/data.json"));
	assert_int_equal(f->pl.created_left_out, 1);
	assert_true(kept(f, "pkg/__pycache__/mod.cpython-311.pyc"));
	assert_int_equal(f->pl.created_bytecode_kept, 0);
}

/* A run that wrote nothing in the tree: no marks, nothing counted. */
static void test_nothing_written(void **state)
{
	struct fx *f = *state;

	open_file(f, "handler.py", OPENED);
	assert_int_equal(plan(f), 0);
	assert_null(f->pl.written);
	assert_int_equal(f->pl.created_left_out + f->pl.created_kept + f->pl.modified, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_only_created_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_files_left_out_and_listed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keep_created_keeps_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_glob_and_seed_beat_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytecode_of_kept_source_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modified_files_kept_and_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_boot_by_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_written, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
