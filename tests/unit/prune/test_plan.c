// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The plan step (and the writer after it) on real temp trees with synthetic profiles. */
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

#include "host.h"
#include "plan.h"
#include "slz_vocab.h"
#include "util.h"
#include "testfs.h"

struct fx {
	char dir[PATH_MAX];	 /* holds tree/ and outputs */
	char tree[PATH_MAX * 2]; /* realpath of the tree */
	char out[PATH_MAX * 2];	 /* the zip */
	char boot[64];
	struct profile *p;
	struct prune_policy pol;
	struct tree *t;
	struct prune_plan pl;
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
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
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

/* Open the tree under the policy (once) and plan from profile p. */
static int plan_from(struct fx *f, const struct profile *p)
{
	prune_plan__release(&f->pl);
	if (!f->t)
		assert_int_equal(prune_policy__open_tree(&f->pol, f->tree, &f->t), 0);
	return prune__plan(f->t, &f->pol, &p, 1, NULL, &f->pl);
}

static int plan(struct fx *f)
{
	return plan_from(f, f->p);
}

static bool kept(const struct prune_plan *r, const char *rel)
{
	int64_t idx = tree__find_path(r->tree, rel);

	assert_true(idx >= 0);
	return keepset__has(r->keep, (uint32_t)idx);
}

static uint32_t why(const struct prune_plan *r, const char *rel)
{
	return keepset__reasons(r->keep, (uint32_t)tree__find_path(r->tree, rel));
}

/* The zip the writer makes of the plan. */
static int write_plan(struct fx *f, struct zipwrite_stats *zs)
{
	return zipwrite__write(f->pl.keep, f->out, &f->pol.zip, zs);
}

static void add_path_only(struct profile *p, const char *path, uint32_t kinds, uint32_t flags)
{
	struct profile_entry e = {.path = (char *)path, .kinds = kinds, .flags = flags};

	assert_int_equal(profile__add(p, &e), 0);
}

static void test_keeps_touched_and_closure_drops_rest(void **state)
{
	struct fx *f = *state;
	struct prune_plan *r = &f->pl;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	touch(f, "pkg/__pycache__/used.cpython-311.pyc", SLZ_KIND_OPEN);
	touch(f, "pkg/used.py", SLZ_KIND_STAT);
	touch(f, "empty-listed", SLZ_KIND_OPEN);
	assert_int_equal(plan(f), 0);
	assert_true(r->match_inodes);
	assert_ptr_equal(r->tree, f->t);
	assert_true(kept(r, "handler.py"));
	assert_true(why(r, "pkg/used.py") & KEEP_STAT_ONLY);
	/* The Python rule brings the package's __init__.py nobody touched in this profile. */
	assert_true(why(r, "pkg/__init__.py") & rules__reason_named("python"));
	assert_true(why(r, "pkg") & KEEP_DIRECTORY);
	assert_true(why(r, "empty-listed") & KEEP_LISTED);
	assert_false(kept(r, "pkg/unused.py"));
	assert_false(kept(r, "big/blob.bin"));
	assert_false(kept(r, "big"));
	assert_int_equal(r->before_files, 7);
	assert_int_equal(r->after_files, 4);
	assert_int_equal(r->rules.added[rules__find("python")], 1);
	/* Planning writes nothing. */
	assert_int_equal(access(f->out, F_OK), -1);
}

/* One scan of the profile gives every count the summary needs. */
static void test_one_scan_counts(void **state)
{
	struct fx *f = *state;
	struct resolve_stats *st = &f->pl.resolve;
	struct profile_entry e = {0};
	char path[PATH_MAX * 3];
	struct stat st_blob;

	touch(f, "handler.py", SLZ_KIND_OPEN);	/* by inode */
	touch(f, "pkg/used.py", SLZ_KIND_STAT); /* by inode */
	snprintf(path, sizeof(path), "%s/pkg/unused.py", f->tree);
	add_path_only(f->p, path, SLZ_KIND_OPEN, SLZ_EVF_PATH_ONLY); /* by path */
	snprintf(path, sizeof(path), "%s/pkg/gone.py", f->tree);
	add_path_only(f->p, path, SLZ_KIND_OPEN, SLZ_EVF_PATH_ONLY); /* unmatched in the tree */
	add_path_only(f->p, "/usr/lib/python3.11/os.py", SLZ_KIND_OPEN, SLZ_EVF_PATH_ONLY);
	snprintf(path, sizeof(path), "%s/pkg/nothere.py", f->tree);
	add_path_only(f->p, path, SLZ_KIND_MISSING, SLZ_EVF_PATH_ONLY); /* a failed lookup */
	add_path_only(f->p, "/no/kind/at/all", 0, SLZ_EVF_PATH_ONLY);	/* unusable */
	/* Truncated, but its inode is in the tree: harmless, and matched by it. */
	snprintf(path, sizeof(path), "%s/big/blob.bin", f->tree);
	assert_int_equal(stat(path, &st_blob), 0);
	e = (struct profile_entry){.path = "ig/blob.bin",
				   .dev = st_blob.st_dev,
				   .ino = st_blob.st_ino,
				   .kinds = SLZ_KIND_MMAP,
				   .flags = SLZ_EVF_TRUNCATED};
	assert_int_equal(profile__add(f->p, &e), 0);
	/* Truncated and nowhere in the tree: unresolved, even as a failed lookup. */
	e = (struct profile_entry){.path = "ep/tail.py",
				   .dev = 1,
				   .ino = 999999999,
				   .kinds = SLZ_KIND_MISSING,
				   .flags = SLZ_EVF_TRUNCATED};
	assert_int_equal(profile__add(f->p, &e), 0);
	/* A truncated failed lookup of a file the tree has by inode: not looked up, harmless. */
	snprintf(path, sizeof(path), "%s/pkg/__init__.py", f->tree);
	assert_int_equal(stat(path, &st_blob), 0);
	e = (struct profile_entry){.path = "g/__init__.py",
				   .dev = st_blob.st_dev,
				   .ino = st_blob.st_ino,
				   .kinds = SLZ_KIND_MISSING,
				   .flags = SLZ_EVF_TRUNCATED};
	assert_int_equal(profile__add(f->p, &e), 0);
	f->pol.force = true; /* that one would be refused: counted here */
	assert_int_equal(plan(f), 0);
	assert_int_equal(st->entries, 10);
	assert_int_equal(st->touched, 6);
	assert_int_equal(st->by_inode, 3);
	assert_int_equal(st->by_path, 1);
	assert_int_equal(st->unmatched_in_tree, 1);
	assert_int_equal(st->outside_tree, 1);
	assert_int_equal(st->missing, 3);
	assert_int_equal(st->unusable, 1);
	assert_int_equal(st->truncated_unresolved, 1);
	assert_true(kept(&f->pl, "pkg/unused.py"));
	assert_true(why(&f->pl, "big/blob.bin") & KEEP_MMAPPED);
}

static void test_writes_zip_with_kept_entries(void **state)
{
	struct fx *f = *state;
	struct zipwrite_stats zs = {0};
	zip_t *za;
	int zerr;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(plan(f), 0);
	assert_int_equal(write_plan(f, &zs), 0);
	za = zip_open(f->out, ZIP_RDONLY, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), 1);
	assert_string_equal(zip_get_name(za, 0, 0), "handler.py");
	assert_int_equal(zs.entries, 1);
	zip_discard(za);
}

static void test_refuses_lost_events_unless_forced(void **state)
{
	struct fx *f = *state;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	profile__header(f->p)->lost_events = 3;
	assert_int_equal(plan(f), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "3 lost events"));
	assert_non_null(strstr(slz_errmsg(), "--force"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_true(kept(&f->pl, "handler.py"));
}

/* A profile recovered from the journal of a killed daemon is refused like lost events. */
static void test_refuses_daemon_restarted_unless_forced(void **state)
{
	struct fx *f = *state;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	profile__header(f->p)->daemon_restarted = 1;
	assert_int_equal(plan(f), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "daemon that was killed"));
	assert_non_null(strstr(slz_errmsg(), "--force"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_true(kept(&f->pl, "handler.py"));
}

static void test_truncated_paths_refused_unless_inode_matches(void **state)
{
	struct fx *f = *state;
	struct profile_entry e = {.path = "deep/tail.py",
				  .kinds = SLZ_KIND_OPEN,
				  .flags = SLZ_EVF_TRUNCATED,
				  .dev = 1,
				  .ino = 999999999};
	struct profile *q;

	assert_int_equal(profile__add(f->p, &e), 0);
	assert_int_equal(plan(f), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "1 profile paths were truncated"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.resolve.truncated_unresolved, 1);
	f->pol.force = false;

	/* The same kind of entry whose inode is in the tree is harmless. */
	profile__free(f->p);
	assert_int_equal(profile__new(&f->p), 0);
	profile__set_str(f->p, &profile__header(f->p)->boot_id, f->boot);
	touch(f, "pkg/used.py", SLZ_KIND_OPEN);
	assert_int_equal(profile__new(&q), 0);
	profile__set_str(q, &profile__header(q)->boot_id, f->boot);
	e = *profile__entry(f->p, 0);
	e.path = "kg/used.py";
	e.flags = SLZ_EVF_TRUNCATED;
	assert_int_equal(profile__add(q, &e), 0);
	assert_int_equal(plan_from(f, q), 0);
	assert_true(kept(&f->pl, "pkg/used.py"));
	assert_int_equal(f->pl.resolve.truncated_unresolved, 0);
	profile__free(q);
}

static void test_drop_beats_rules_and_keep_adds(void **state)
{
	struct fx *f = *state;

	touch(f, "pkg/used.py", SLZ_KIND_OPEN);
	assert_int_equal(globs__add(f->pol.globs, GLOB_DROP, "__init__.py"), 0);
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "big/**"), 0);
	assert_int_equal(plan(f), 0);
	assert_false(kept(&f->pl, "pkg/__init__.py"));
	assert_true(why(&f->pl, "big/blob.bin") & KEEP_GLOB);
	assert_int_equal(f->pl.glob_dropped, 1);
	assert_int_equal(f->pl.glob_kept, 1);
}

static void test_rules_off_by_policy(void **state)
{
	struct fx *f = *state;

	touch(f, "pkg/used.py", SLZ_KIND_OPEN);
	f->pol.rules.off = 1u << rules__find("python");
	assert_int_equal(plan(f), 0);
	assert_false(kept(&f->pl, "pkg/__init__.py"));
	assert_int_equal(f->pl.rules.added[rules__find("python")], 0);
}

static void test_other_boot_matches_by_path_only(void **state)
{
	struct fx *f = *state;
	struct profile_entry e;
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
	assert_int_equal(plan(f), 0);
	assert_false(f->pl.match_inodes);
	assert_false(kept(&f->pl, "big/blob.bin"));
	assert_true(kept(&f->pl, "handler.py"));
}

static void test_recorded_at_maps_recorded_location(void **state)
{
	struct fx *f = *state;

	profile__set_str(f->p, &profile__header(f->p)->boot_id, "another-host");
	add_path_only(f->p, "/var/task/pkg/used.py", SLZ_KIND_OPEN, SLZ_EVF_PATH_ONLY);
	/* The policy's recorded location is the tree's: it opens the tree. */
	f->pol.recorded_at = "/var/task/";
	assert_int_equal(plan(f), 0);
	assert_string_equal(tree__recorded_at(f->t), "/var/task");
	assert_true(kept(&f->pl, "pkg/used.py"));
	assert_int_equal(f->pl.resolve.by_path, 1);
}

/* verify --fix's way: a seed keep set on the tree already open, no profile. */
static void test_seed_keep_set(void **state)
{
	struct fx *f = *state;
	struct keepset *seed;

	assert_int_equal(prune_policy__open_tree(&f->pol, f->tree, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &seed), 0);
	assert_int_equal(keepset__add(seed, (uint32_t)tree__find_path(f->t, "pkg/unused.py"),
				      KEEP_VERIFY_FIX, 0, NULL),
			 0);
	assert_int_equal(prune__plan(f->t, &f->pol, NULL, 0, seed, &f->pl), 0);
	assert_int_equal(why(&f->pl, "pkg/unused.py"), KEEP_VERIFY_FIX);
	/* Planned like the rest: the rules and the directories on the way come along. */
	assert_true(why(&f->pl, "pkg/__init__.py") & rules__reason_named("python"));
	assert_true(why(&f->pl, "pkg") & KEEP_DIRECTORY);
	assert_false(f->pl.match_inodes);
	assert_int_equal(f->pl.resolve.entries, 0);
	/* The seed is the caller's and stays as it was. */
	assert_int_equal(keepset__count(seed), 1);
	/* A seed over another tree is refused. */
	{
		struct tree *other;

		prune_plan__release(&f->pl);
		assert_int_equal(tree__open(f->tree, NULL, &other), 0);
		assert_int_equal(prune__plan(other, &f->pol, NULL, 0, seed, &f->pl), -EINVAL);
		prune_plan__release(&f->pl);
		tree__free(other);
	}
	keepset__free(seed);
}

/* Several profiles are matched as sets; inodes are trusted only when each is from this boot. */
static void test_several_profiles(void **state)
{
	struct fx *f = *state;
	struct profile *q;
	const struct profile *both[2];
	char path[PATH_MAX * 2];

	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(profile__new(&q), 0);
	profile__set_str(q, &profile__header(q)->boot_id, f->boot);
	snprintf(path, sizeof(path), "%s/big/blob.bin", f->tree);
	add_path_only(q, path, SLZ_KIND_MMAP, SLZ_EVF_PATH_ONLY);
	both[0] = f->p;
	both[1] = q;
	assert_int_equal(prune_policy__open_tree(&f->pol, f->tree, &f->t), 0);
	assert_int_equal(prune__plan(f->t, &f->pol, both, 2, NULL, &f->pl), 0);
	assert_true(kept(&f->pl, "handler.py"));
	assert_true(kept(&f->pl, "big/blob.bin"));
	assert_int_equal(f->pl.resolve.entries, 2);
	assert_true(f->pl.match_inodes);
	prune_plan__release(&f->pl);
	/* One of them with loss refuses the whole plan. */
	profile__header(q)->lost_events = 1;
	assert_int_equal(prune__plan(f->t, &f->pol, both, 2, NULL, &f->pl), -EBADMSG);
	prune_plan__release(&f->pl);
	profile__header(q)->lost_events = 0;
	profile__set_str(q, &profile__header(q)->boot_id, "another-boot");
	assert_int_equal(prune__plan(f->t, &f->pol, both, 2, NULL, &f->pl), 0);
	assert_false(f->pl.match_inodes);
	profile__free(q);
}

/* Links whose text looks inside but which lead out through another link are left out too. */
static void test_links_leading_out_are_left_out(void **state)
{
	struct fx *f = *state;

	testfs__symlink(f->tree, "d", ".");
	testfs__symlink(f->tree, "x",
			"d/d/d/d/d/d/d/d/d/d/../../../../../../../../../../etc/hostname");
	testfs__symlink(f->tree, "y", "/etc/hostname");
	testfs__symlink(f->tree, "ok", "handler.py");
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "x"), 0);
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "y"), 0);
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "ok"), 0);
	assert_int_equal(plan(f), 0);
	assert_false(kept(&f->pl, "x"));
	assert_false(kept(&f->pl, "y"));
	assert_true(kept(&f->pl, "ok"));
	assert_true(kept(&f->pl, "handler.py")); /* the link's target comes along */
	assert_int_equal(f->pl.links_outside, 2);
}

static void test_profile_matching_nothing_refused_unless_forced(void **state)
{
	struct fx *f = *state;

	add_path_only(f->p, "/elsewhere/app.py", SLZ_KIND_OPEN, SLZ_EVF_PATH_ONLY);
	assert_int_equal(plan(f), -ENODATA);
	assert_non_null(strstr(slz_errmsg(), "none of the 1 files"));
	assert_non_null(strstr(slz_errmsg(), "--tree-path-as"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	/* A --keep that matches is the user asking for files: no refusal then. */
	f->pol.force = false;
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "handler.py"), 0);
	assert_int_equal(plan(f), 0);
	assert_true(kept(&f->pl, "handler.py"));
}

static void test_empty_profile_refused_unless_keep_or_force(void **state)
{
	struct fx *f = *state;

	/* A header-only profile (a cut one, a recording of nothing): the zip would be empty. */
	assert_int_equal(plan(f), -ENODATA);
	assert_non_null(strstr(slz_errmsg(), "no file the workload touched"));
	assert_non_null(strstr(slz_errmsg(), "record it again"));
	/* Failed lookups only are no file either. */
	add_path_only(f->p, "/gone.py", SLZ_KIND_MISSING, SLZ_EVF_PATH_ONLY);
	assert_int_equal(plan(f), -ENODATA);
	assert_non_null(strstr(slz_errmsg(), "1 entries"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_int_equal(keepset__count(f->pl.keep), 0);
	assert_int_equal(f->pl.resolve.touched, 0);
	/* --keep asking for files is the user's own choice of what the zip holds. */
	f->pol.force = false;
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "handler.py"), 0);
	assert_int_equal(plan(f), 0);
	assert_true(kept(&f->pl, "handler.py"));
}

static void test_truncated_paths_refused_on_another_boot(void **state)
{
	struct fx *f = *state;
	struct profile_entry e;

	/* The file's own (dev, ino), truncated path: harmless on this boot... */
	touch(f, "pkg/used.py", SLZ_KIND_OPEN);
	e = *profile__entry(f->p, 0);
	e.path = "kg/used.py";
	e.flags = SLZ_EVF_TRUNCATED;
	profile__free(f->p);
	assert_int_equal(profile__new(&f->p), 0);
	assert_int_equal(profile__add(f->p, &e), 0);
	assert_int_equal(profile__set_str(f->p, &profile__header(f->p)->boot_id, f->boot), 0);
	touch(f, "handler.py", SLZ_KIND_OPEN); /* found by path on any boot */
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.resolve.truncated_unresolved, 0);
	/* ...but from another boot that inode may be any file: refused, exit 3 in the CLI. */
	assert_int_equal(profile__set_str(f->p, &profile__header(f->p)->boot_id, "another-boot"),
			 0);
	assert_int_equal(plan(f), -EBADMSG);
	assert_false(f->pl.match_inodes);
	assert_non_null(strstr(slz_errmsg(), "1 profile paths were truncated"));
	assert_non_null(strstr(slz_errmsg(), "another boot"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.resolve.truncated_unresolved, 1);
	/* Not kept by inode either: inodes of another boot are not used at all. */
	assert_int_equal(f->pl.resolve.by_inode, 0);
	assert_int_equal(f->pl.resolve.by_path, 1);
}

static void test_drop_of_touched_files_counted(void **state)
{
	struct fx *f = *state;

	touch(f, "pkg/used.py", SLZ_KIND_STAT);
	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(globs__add(f->pol.globs, GLOB_DROP, "pkg/used.py"), 0);
	assert_int_equal(globs__add(f->pol.globs, GLOB_DROP, "big/**"), 0); /* untouched */
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.dropped_touched, 1);
	assert_int_equal(f->pl.first_dropped_touched, tree__find_path(f->t, "pkg/used.py"));
}

static void test_only_directories_matched_is_nothing(void **state)
{
	struct fx *f = *state;

	/* A command run inside the tree lists its cwd (the root) and a directory, no file. */
	touch(f, "", SLZ_KIND_OPEN);
	touch(f, "pkg", SLZ_KIND_STAT);
	assert_int_equal(plan(f), -ENODATA);
	assert_int_equal(f->pl.resolve.matched_dirs, 2);
	assert_non_null(strstr(slz_errmsg(), "only 2 directories"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.after_files, 0);
	/* One file is a match. */
	f->pol.force = false;
	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.resolve.matched_dirs, 2);
}

static void test_no_file_left_is_refused(void **state)
{
	struct fx *f = *state;

	touch(f, "handler.py", SLZ_KIND_OPEN);
	assert_int_equal(globs__add(f->pol.globs, GLOB_DROP, "*.py"), 0);
	assert_int_equal(plan(f), -ENODATA);
	assert_non_null(strstr(slz_errmsg(), "would hold no file"));
	f->pol.force = true;
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.after_files, 0);
}

static void test_kept_bytes_by_class(void **state)
{
	struct fx *f = *state;

	put(f, "data/a/x/model.json", "0123456789");	       /* 10 bytes, only stat()ed */
	put(f, "data/b/x/model.json", "01234567890123456789"); /* 20 */
	put(f, "data/b/x/other.json", "0123");		       /* 4 */
	put(f, "conf.ini", "k=v\n");			       /* 4, --keep */
	touch(f, "handler.py", SLZ_KIND_OPEN);		       /* 16 */
	touch(f, "pkg/used.py", SLZ_KIND_STAT);		       /* source of a used pyc: rule */
	touch(f, "pkg/__pycache__/used.cpython-311.pyc", SLZ_KIND_OPEN);
	touch(f, "big/blob.bin", SLZ_KIND_STAT | SLZ_KIND_MMAP); /* used */
	touch(f, "data/a/x/model.json", SLZ_KIND_STAT);
	touch(f, "data/b/x/model.json", SLZ_KIND_STAT);
	touch(f, "data/b/x/other.json", SLZ_KIND_ACCESS);
	assert_int_equal(globs__add(f->pol.globs, GLOB_KEEP, "conf.ini"), 0);
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.kept_files[PRUNE_KEPT_USED], 3);
	assert_int_equal(f->pl.kept_bytes[PRUNE_KEPT_USED], 16 + 3 + 10);
	assert_int_equal(f->pl.kept_files[PRUNE_KEPT_GLOB], 1);
	/* pkg/used.py was only stat()ed, but the Python rule needs it: a rule's, not stat-only. */
	assert_true(why(&f->pl, "pkg/used.py") & KEEP_STAT_ONLY);
	assert_true(why(&f->pl, "pkg/used.py") & ~(KEEP_STAT_ONLY | KEEP_DIRECTORY));
	assert_int_equal(f->pl.kept_files[PRUNE_KEPT_STAT_ONLY], 3);
	assert_int_equal(f->pl.kept_bytes[PRUNE_KEPT_STAT_ONLY], 34);
	/* Every kept file is counted in exactly one class. */
	{
		uint64_t files = 0, bytes = 0;

		for (size_t c = 0; c < PRUNE_KEPT_CLASSES; c++) {
			files += f->pl.kept_files[c];
			bytes += f->pl.kept_bytes[c];
		}
		assert_int_equal(files, f->pl.after_files);
		assert_int_equal(bytes, f->pl.after_bytes);
	}
	/* All stat-only bytes lie below data/, which splits evenly-ish below: data/ it is. */
	assert_int_equal(f->pl.nstat_dirs, 1);
	assert_int_equal(f->pl.stat_dirs[0].dir, tree__find_path(f->t, "data"));
	assert_int_equal(f->pl.stat_dirs[0].bytes, 34);
	assert_int_equal(f->pl.stat_dirs[0].files, 3);
	assert_string_equal(prune_kept_class__name(PRUNE_KEPT_STAT_ONLY), "stat-only");
}

static void test_stat_dirs_follow_the_bytes_down(void **state)
{
	struct fx *f = *state;
	char big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(f, "vendor/lib/data/m1.json", big);
	put(f, "vendor/lib/data/m2.json", big);
	put(f, "other/a.txt", big + 100); /* 99 bytes */
	put(f, "third/b.txt", big + 150); /* 49 */
	touch(f, "handler.py", SLZ_KIND_OPEN);
	touch(f, "vendor/lib/data/m1.json", SLZ_KIND_STAT);
	touch(f, "vendor/lib/data/m2.json", SLZ_KIND_STAT);
	assert_int_equal(plan(f), 0);
	/* One directory holds them all: the walk goes down to it. */
	assert_int_equal(f->pl.nstat_dirs, 1);
	assert_int_equal(f->pl.stat_dirs[0].dir, tree__find_path(f->t, "vendor/lib/data"));
	assert_int_equal(f->pl.stat_dirs[0].bytes, 2 * (sizeof(big) - 1));
	/* Spread over four top-level directories: the largest three, largest first. */
	touch(f, "other/a.txt", SLZ_KIND_STAT);
	touch(f, "third/b.txt", SLZ_KIND_STAT);
	touch(f, "pkg/unused.py", SLZ_KIND_STAT);
	assert_int_equal(plan(f), 0);
	assert_int_equal(f->pl.nstat_dirs, 3);
	assert_int_equal(f->pl.stat_dirs[0].dir, tree__find_path(f->t, "vendor/lib/data"));
	assert_int_equal(f->pl.stat_dirs[1].dir, tree__find_path(f->t, "other"));
	assert_int_equal(f->pl.stat_dirs[1].bytes, 99);
	assert_int_equal(f->pl.stat_dirs[2].dir, tree__find_path(f->t, "third"));
	assert_int_equal(f->pl.stat_dirs[2].bytes, 49);
}

static void test_missing_tree_is_an_error(void **state)
{
	struct fx *f = *state;

	assert_true(prune_policy__open_tree(&f->pol, "/nonexistent/tree", &f->t) < 0);
	assert_null(f->t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keeps_touched_and_closure_drops_rest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_scan_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_zip_with_kept_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_lost_events_unless_forced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuses_daemon_restarted_unless_forced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated_paths_refused_unless_inode_matches,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_beats_rules_and_keep_adds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rules_off_by_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_boot_matches_by_path_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recorded_at_maps_recorded_location, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seed_keep_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_profiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_leading_out_are_left_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_profile_matching_nothing_refused_unless_forced,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_profile_refused_unless_keep_or_force,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_paths_refused_on_another_boot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drop_of_touched_files_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_tree_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_directories_matched_is_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_file_left_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_bytes_by_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat_dirs_follow_the_bytes_down, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
