// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * verify__run through the library: the real recorder, a real private mount namespace, zips
 * written by the real prune pipeline. Needs root; SLIMZIP_REQUIRE_BPF=1 turns a skip into a
 * failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"
#include "plan.h"
#include "recorder.h"
#include "testfs.h"
#include "util.h"
#include "verify.h"

struct fx {
	char root[PATH_MAX]; /* temp dir: tree/ and the zip */
	char tree[PATH_MAX + 8];
	char zip[PATH_MAX + 16];
	char need[PATH_MAX + 32]; /* absolute path of tree/data/need.txt */
	struct prune_policy pol;  /* how the zip is pruned and verify --fix rewrites it */
	struct verify_round last;
	char last_missing[8][PATH_MAX];
	char last_via[8][32];
	char last_package[8][64]; /* each missing file's package: "KIND:NAME" */
	unsigned int rounds_seen;
	unsigned int added_seen;      /* missing files --fix said it added, over all rounds */
	struct zipcheck_result modes; /* a copy of what on_modes was called with (names not kept) */
	char modes_first[PATH_MAX];   /* its first unreadable file */
	unsigned int modes_seen;
};

/* Asked at each test: the recorder's support, in the words of its error. */
static void require_bpf(void)
{
	itest__require(recorder__check_support() ? slz_errmsg() : NULL);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->root, sizeof(f->root), "verify");
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->root);
	snprintf(f->zip, sizeof(f->zip), "%s/out.zip", f->root);
	testfs__write(f->root, "tree/data/need.txt", "needed\n");
	testfs__write(f->root, "tree/data/extra.txt", "extra\n");
	testfs__write(f->root, "tree/unused.bin", "unused\n");
	snprintf(f->need, sizeof(f->need), "%s/data/need.txt", f->tree);
	assert_int_equal(prune_policy__init(&f->pol), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs__rmtree(f->root);
	prune_policy__release(&f->pol);
	free(f);
	return 0;
}

/* Write the zip from an explicit keep list, planned under f->pol like prune would. */
static void make_zip(struct fx *f, const char *const *keep, size_t n)
{
	struct prune_plan pl;
	struct keepset *seed;
	struct tree *t;

	assert_int_equal(prune_policy__open_tree(&f->pol, f->tree, &t), 0);
	assert_int_equal(keepset__new(t, &seed), 0);
	for (size_t i = 0; i < n; i++) {
		int64_t idx = tree__find_path(t, keep[i]);

		assert_true(idx > 0);
		assert_int_equal(keepset__add(seed, (uint32_t)idx, KEEP_GLOB, 0, NULL), 0);
	}
	assert_int_equal(prune__plan(t, &f->pol, NULL, 0, seed, &pl), 0);
	assert_int_equal(zipwrite__write(pl.keep, f->zip, &f->pol.zip, NULL), 0);
	prune_plan__release(&pl);
	keepset__free(seed);
	tree__free(t);
}

static void on_round(const struct verify_round *r, void *ctx)
{
	struct fx *f = ctx;

	f->last = *r;
	f->rounds_seen++;
	for (size_t i = 0; i < r->nmissing && i < 8; i++) {
		snprintf(f->last_missing[i], PATH_MAX, "%s", r->missing[i].path);
		snprintf(f->last_via[i], 32, "%s", r->missing[i].via);
		snprintf(f->last_package[i], 64, "%s:%.*s",
			 hostdeps__kind_name(r->missing[i].pkg.kind),
			 (int)r->missing[i].pkg.name_len, r->missing[i].pkg.name);
	}
	for (size_t i = 0; i < r->nmissing; i++)
		f->added_seen += r->missing[i].added;
}

static void on_modes(const struct zipcheck_result *zc, void *ctx)
{
	struct fx *f = ctx;

	f->modes = *zc;
	memset(f->modes.first, 0, sizeof(f->modes.first));
	snprintf(f->modes_first, sizeof(f->modes_first), "%s",
		 zc->first[ZIPCHECK_UNREADABLE][0].name ? zc->first[ZIPCHECK_UNREADABLE][0].name
							: "");
	f->modes_seen++;
}

static struct verify_opts opts(struct fx *f, char *const *argv)
{
	struct verify_opts o = {.zip_path = f->zip,
				.tree_dir = f->tree,
				.argv = argv,
				.policy = &f->pol,
				.on_round = on_round,
				.on_modes = on_modes,
				.on_round_ctx = f};

	return o;
}

/* verify__run(o) passes in one round: the command exits 0 and nothing is missing. */
static void assert_passes(const struct verify_opts *o, struct verify_result *res)
{
	assert_int_equal(verify__run(o, res), 0);
	assert_int_equal(res->rounds, 1);
	assert_int_equal(res->cmd_status, 0);
	assert_int_equal(res->nmissing, 0);
}

static void test_clean_zip_verifies(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt"};
	char *argv[] = {"/bin/cat", f->need, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	require_bpf();
	make_zip(f, keep, 1);
	assert_passes(&o, &res);
	assert_false(res.fixed);
	/* A clean proof run needs no diagnosis run. */
	assert_int_equal(f->last.diag_status, -1);
}

static void test_missing_file_named_and_fixed(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/extra.txt"};
	char *argv[] = {"/bin/cat", f->need, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	require_bpf();
	make_zip(f, keep, 1);
	/* Without --fix: named, via the failing open, and the zip untouched. */
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.nmissing, 1);
	assert_int_not_equal(res.cmd_status, 0);
	assert_string_equal(f->last_missing[0], "data/need.txt");
	assert_string_equal(f->last_via[0], "openat");
	/* Its package: the top-level directory data/ (no __init__.py makes it Python's). */
	assert_string_equal(f->last_package[0], "dir:data");
	assert_int_equal(f->added_seen, 0);
	assert_false(res.fixed);

	/* With --fix: a second round on the rewritten zip is clean. */
	o.fix = true;
	f->rounds_seen = 0;
	assert_int_equal(verify__run(&o, &res), 0);
	assert_true(res.fixed);
	assert_int_equal(res.rounds, 2);
	assert_int_equal(f->rounds_seen, 2);
	assert_int_equal(f->added_seen, 1); /* need.txt, said added in the first round */
	assert_int_equal(res.nmissing, 0);
	assert_int_equal(res.cmd_status, 0);
	assert_true(f->last.zip_entries_after >= 3); /* data/, extra.txt, need.txt */
}

static void test_fix_respects_drop(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/extra.txt"};
	char *argv[] = {"/bin/cat", f->need, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	require_bpf();
	assert_int_equal(globs__add(f->pol.globs, GLOB_DROP, "need.txt"), 0);
	make_zip(f, keep, 1);
	o.fix = true;
	o.max_rounds = 3;
	assert_int_equal(verify__run(&o, &res), 0);
	/* The file stays missing: a --drop beats what verify asks for, and the loop stops at once.
	 */
	assert_int_equal(res.nmissing, 1);
	assert_int_equal(res.rounds, 1);
	assert_string_equal(f->last_missing[0], "data/need.txt");
	assert_int_equal(f->added_seen, 0); /* not added: nothing for --keep-out to list */
}

/*
 * A zip keeping a 0600 file (--modes keep): named by the static check before any run, and
 * verify ends there; with ignore_modes the proof runs (as root, who reads it) and passes.
 */
static void test_modes_checked_before_runs(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt"};
	char *argv[] = {"/bin/cat", f->need, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	require_bpf();
	assert_int_equal(chmod(f->need, 0600), 0);
	f->pol.zip.modes = ZIPWRITE_MODES_KEEP;
	make_zip(f, keep, 1);
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.modes_closed, 1);
	assert_int_equal(res.rounds, 0);
	assert_int_equal(f->rounds_seen, 0);
	assert_int_equal(f->modes_seen, 1);
	assert_int_equal(f->modes.count[ZIPCHECK_UNREADABLE], 1);
	assert_int_equal(f->modes.count[ZIPCHECK_CLOSED_DIR], 0);
	assert_string_equal(f->modes_first, "data/need.txt");

	o.ignore_modes = true;
	assert_passes(&o, &res);
	assert_int_equal(res.modes_closed, 1);

	/* Lambda's modes (the default): nothing to name, and the proof runs. */
	f->pol.zip.modes = ZIPWRITE_MODES_LAMBDA;
	make_zip(f, keep, 1);
	o.ignore_modes = false;
	f->modes_seen = 0;
	assert_passes(&o, &res);
	assert_int_equal(res.modes_closed, 0);
	assert_int_equal(f->modes_seen, 0);
}

/*
 * With a user, the proof runs as that user: it reads the zip's 0644 copy of a file the tree
 * holds as 0600, and is refused the zip's 0600 copy under --modes keep (ignore_modes), as
 * Lambda's user would be.
 */
static void test_runs_as_user(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt"};
	char script[PATH_MAX + 64];
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;
	struct launch_user u;

	require_bpf();
	snprintf(script, sizeof(script), "test \"$(id -u):$(id -g)\" = 12345:678 && cat '%s'",
		 f->need);
	assert_int_equal(chmod(f->root, 0755), 0);
	assert_int_equal(chmod(f->need, 0600), 0);
	assert_int_equal(launch_user__lookup("12345:678", &u), 0);
	o.user = &u;
	make_zip(f, keep, 1);
	assert_passes(&o, &res);

	f->pol.zip.modes = ZIPWRITE_MODES_KEEP;
	make_zip(f, keep, 1);
	o.ignore_modes = true;
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.modes_closed, 1);
	assert_int_not_equal(res.cmd_status, 0); /* cat: Permission denied */
	assert_int_equal(res.nmissing, 0);
	launch_user__release(&u);
}

/* A directory above the tree that the user cannot search: refused before any run, named. */
static void test_user_cannot_reach_tree(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt"};
	char *argv[] = {"/bin/cat", f->need, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;
	struct launch_user u;

	require_bpf();
	make_zip(f, keep, 1);
	assert_int_equal(chmod(f->root, 0700), 0);
	assert_int_equal(launch_user__lookup("12345:678", &u), 0);
	o.user = &u;
	slz_errclear();
	assert_int_equal(verify__run(&o, &res), -EACCES);
	assert_non_null(strstr(slz_errmsg(), f->root));
	assert_non_null(strstr(slz_errmsg(), "mode 0700"));
	assert_int_equal(f->rounds_seen, 0);
	/* A group that may search it is enough: the group's bits decide for a member. */
	assert_int_equal(chown(f->root, 0, 678), 0);
	assert_int_equal(chmod(f->root, 0710), 0);
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.cmd_status, 0);
	launch_user__release(&u);
}

/*
 * A workload that logs and caches: it looks its log and its cache up, appends to the log and
 * writes the cache through a temp file, as the recorded run did (so the tree has both). A zip
 * without them (prune leaves created files out) verifies: what the proof run made itself is
 * not missing, neither from its failed lookups nor from the diagnosis run's accesses.
 */
static void test_files_the_run_makes_are_not_missing(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt", "logs", "cache"};
	char script[4 * PATH_MAX];
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	require_bpf();
	testfs__write(f->root, "tree/logs/app.log", "first run\n");
	testfs__write(f->root, "tree/cache/data.json", "{}\n");
	snprintf(script, sizeof(script),
		 "cd '%s' && { test -e logs/app.log || echo new log; } && echo run >> logs/app.log "
		 "&& { test -e cache/data.json || { echo '{}' > cache/t.$$ && mv cache/t.$$ "
		 "cache/data.json; }; } && cat data/need.txt",
		 f->tree);
	make_zip(f, keep, 3);
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.cmd_status, 0);
	if (res.nmissing)
		fail_msg("%zu missing, first %s", res.nmissing, f->last_missing[0]);
	assert_int_equal(f->last.diag_status, -1);

	/* A file that is really missing fails the proof run: only it is named, after diagnosis. */
	{
		const char *keep2[] = {"data/extra.txt", "logs", "cache"};

		make_zip(f, keep2, 3);
	}
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_not_equal(res.cmd_status, 0);
	assert_int_not_equal(f->last.diag_status, -1);
	assert_int_equal(res.nmissing, 1);
	assert_string_equal(f->last_missing[0], "data/need.txt");
}

/*
 * The proof run passes, and sees its tree on a tmpfs exactly when expect_tmpfs (verify
 * extracted onto a tmpfs of its own), with mem_available as verify_opts has it.
 */
static void proof_on_tmpfs(struct fx *f, uint64_t mem_available, bool expect_tmpfs)
{
	char script[2 * PATH_MAX];
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	o.mem_available = mem_available;
	snprintf(script, sizeof(script), "cat '%s' && test \"$(stat -f -c %%T '%s')\" %s tmpfs",
		 f->need, f->tree, expect_tmpfs ? "=" : "!=");
	assert_passes(&o, &res);
}

/* No directory of verify's (extraction or mount) is left beside the zip. */
static void assert_no_extraction_left(struct fx *f)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q slimzip-verify-", f->root);
	assert_int_not_equal(system(cmd), 0);
	assert_int_not_equal(system("grep -q ' slimzip-verify ' /proc/self/mountinfo"), 0);
}

/*
 * The extraction is a tmpfs of its own when memory allows, and plain directories beside the zip
 * when it does not (verify_opts.mem_available stands for a host low on memory): the same
 * verdict either way, and nothing left behind. The library takes that from its caller only:
 * the CLI's test variable in the environment changes nothing here. The tree here is on the
 * test's TMPDIR: when that is itself a tmpfs the two cannot be told apart, and the test says so
 * and skips.
 */
static void test_extraction_falls_back_without_memory(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt"};
	char probe[PATH_MAX + 64];

	require_bpf();
	snprintf(probe, sizeof(probe), "test \"$(stat -f -c %%T '%s')\" = tmpfs", f->root);
	if (system(probe) == 0)
		skip();
	make_zip(f, keep, 1);
	proof_on_tmpfs(f, 0, true);
	assert_no_extraction_left(f);
	/* 1 MiB available: less than the zip plus the 64 MiB headroom. */
	proof_on_tmpfs(f, 1 << 20, false);
	assert_no_extraction_left(f);
	setenv("SLIMZIP_TEST_MEM_AVAILABLE", "1048576", 1);
	proof_on_tmpfs(f, 0, true);
	unsetenv("SLIMZIP_TEST_MEM_AVAILABLE");
	assert_no_extraction_left(f);
}

static void test_rmtree(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX * 2];

	testfs__write(f->root, "x/a/b/c.txt", "c");
	testfs__symlink(f->root, "x/a/link", "/etc");
	snprintf(dir, sizeof(dir), "%s/x", f->root);
	assert_int_equal(verify__rmtree(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(access("/etc/hostname", F_OK), 0); /* the link was not followed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rmtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_zip_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_named_and_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_respects_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_checked_before_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_as_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_cannot_reach_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_the_run_makes_are_not_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_extraction_falls_back_without_memory, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
