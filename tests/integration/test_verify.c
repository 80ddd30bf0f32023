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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prune.h"
#include "recorder.h"
#include "testfs.h"
#include "util.h"
#include "verify.h"

struct fx {
	char root[PATH_MAX]; /* temp dir: tree/ and the zip */
	char tree[PATH_MAX + 8];
	char zip[PATH_MAX + 16];
	char need[PATH_MAX + 32]; /* absolute path of tree/data/need.txt */
	struct verify_round last;
	char last_missing[8][PATH_MAX];
	char last_via[8][32];
	unsigned int rounds_seen;
};

static void require_bpf(void)
{
	const char *req = getenv("SLIMZIP_REQUIRE_BPF");
	int err = recorder__check_support();

	if (!err)
		return;
	if (req && !strcmp(req, "1"))
		fail_msg("verify test cannot run: %s (SLIMZIP_REQUIRE_BPF=1)", slz_errmsg());
	skip();
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
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs__rmtree(f->root);
	free(f);
	return 0;
}

/* Write the zip from an explicit keep list, the way prune would from a profile. */
static void make_zip(struct fx *f, const char *const *keep, size_t n, struct globs *g)
{
	struct prune_opts o = {.tree_dir = f->tree,
			       .out_zip = f->zip,
			       .extra_keep = keep,
			       .n_extra_keep = n,
			       .globs = g};
	struct prune_result r;
	struct profile *p;

	zipwrite__default_opts(&o.zip);
	assert_int_equal(profile__new(&p), 0);
	assert_int_equal(prune__run(p, &o, &r), 0);
	prune_result__free(&r);
	profile__free(p);
}

static void on_round(const struct verify_round *r, void *ctx)
{
	struct fx *f = ctx;

	f->last = *r;
	f->rounds_seen++;
	for (size_t i = 0; i < r->nmissing && i < 8; i++) {
		snprintf(f->last_missing[i], PATH_MAX, "%s", r->missing[i].path);
		snprintf(f->last_via[i], 32, "%s", r->missing[i].via);
	}
}

static struct verify_opts opts(struct fx *f, char *const *argv)
{
	struct verify_opts o = {.zip_path = f->zip,
				.tree_dir = f->tree,
				.argv = argv,
				.on_round = on_round,
				.on_round_ctx = f};

	zipwrite__default_opts(&o.zip);
	return o;
}

static void test_clean_zip_verifies(void **state)
{
	struct fx *f = *state;
	const char *keep[] = {"data/need.txt"};
	char *argv[] = {"/bin/cat", f->need, NULL};
	struct verify_opts o = opts(f, argv);
	struct verify_result res;

	require_bpf();
	make_zip(f, keep, 1, NULL);
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.rounds, 1);
	assert_int_equal(res.cmd_status, 0);
	assert_int_equal(res.nmissing, 0);
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
	make_zip(f, keep, 1, NULL);
	/* Without --fix: named, via the failing open, and the zip untouched. */
	assert_int_equal(verify__run(&o, &res), 0);
	assert_int_equal(res.nmissing, 1);
	assert_int_not_equal(res.cmd_status, 0);
	assert_string_equal(f->last_missing[0], "data/need.txt");
	assert_string_equal(f->last_via[0], "openat");
	assert_false(res.fixed);

	/* With --fix: a second round on the rewritten zip is clean. */
	o.fix = true;
	f->rounds_seen = 0;
	assert_int_equal(verify__run(&o, &res), 0);
	assert_true(res.fixed);
	assert_int_equal(res.rounds, 2);
	assert_int_equal(f->rounds_seen, 2);
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
	struct globs *g;

	require_bpf();
	assert_int_equal(globs__new(&g), 0);
	assert_int_equal(globs__add(g, GLOB_DROP, "need.txt"), 0);
	make_zip(f, keep, 1, g);
	o.fix = true;
	o.max_rounds = 3;
	o.globs = g;
	assert_int_equal(verify__run(&o, &res), 0);
	/* The file stays missing: a --drop beats what verify asks for, and the loop stops at once.
	 */
	assert_int_equal(res.nmissing, 1);
	assert_int_equal(res.rounds, 1);
	assert_string_equal(f->last_missing[0], "data/need.txt");
	globs__free(g);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
