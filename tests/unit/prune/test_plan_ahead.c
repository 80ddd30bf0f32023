// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prune's overlap (prune_policy.deflate_early): the plan hands the files the profile resolved
 * to the zip's deflaters before its rules run, and the zip written afterwards is the one
 * written without the overlap, byte for byte, even when --drop removes a file it handed over.
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
#include <unistd.h>

#include "plan.h"
#include "prune_write.h"
#include "slz_vocab.h"
#include "testfs.h"
#include "util.h"
#include "zipahead.h"

struct fx {
	char dir[PATH_MAX];
	char tree[PATH_MAX * 2];
	char out[PATH_MAX * 2];
	struct profile *p;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char big[20000];

	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = "import os, sys\n"[i % 15];
	big[sizeof(big) - 1] = '\0';
	testfs__mkdtemp(f->dir, sizeof(f->dir), "planahead");
	testfs__mkdir(f->dir, "tree");
	testfs__path(f->tree, sizeof(f->tree), f->dir, "tree");
	testfs__path(f->out, sizeof(f->out), f->dir, "out.zip");
	testfs__write(f->tree, "handler.py", big);
	testfs__write(f->tree, "pkg/__init__.py", big);
	testfs__write(f->tree, "pkg/mod.py", "x = 1\n");
	testfs__write(f->tree, "pkg/README.md", big);
	testfs__write(f->tree, "unused/u.py", big);
	assert_int_equal(profile__new(&f->p), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs__rmtree(f->dir);
	profile__free(f->p);
	free(f);
	return 0;
}

static void touched(struct fx *f, const char *rel)
{
	char path[PATH_MAX * 3];
	struct profile_entry e = {.path = path, .kinds = SLZ_KIND_OPEN, .flags = SLZ_EVF_PATH_ONLY};

	snprintf(path, sizeof(path), "%s/%s", f->tree, rel);
	assert_int_equal(profile__add(f->p, &e), 0);
}

/* prune's sequence (cmd_prune.c): plan, then write; *handed: files deflated early. */
static char *prune(struct fx *f, bool early, size_t *len, size_t *handed)
{
	const struct profile *p = f->p;
	struct prune_policy pol;
	struct prune_plan pl = {0};
	struct zipwrite_stats zs;
	struct tree *t = NULL;
	char *zip;

	assert_int_equal(prune_policy__init(&pol), 0);
	pol.deflate_early = early;
	pol.zip.mtime_mode = ZIPWRITE_MTIME_FIXED;
	assert_int_equal(globs__add(pol.globs, GLOB_DROP, "**/*.md"), 0);
	assert_int_equal(prune_policy__open_tree(&pol, f->tree, &t), 0);
	assert_int_equal(prune__plan_checked(t, &pol, &p, 1, NULL, &pl), 0);
	*handed = pol.zip.ahead ? zipahead__count(pol.zip.ahead) : 0;
	unlink(f->out);
	assert_int_equal(prune__write_zip(&pl, &pol, "test", f->out, &zs), 0);
	assert_null(pol.zip.ahead); /* one write's: freed by it */
	zip = testfs__read(f->out, len);
	prune_plan__release(&pl);
	tree__free(t);
	prune_policy__release(&pol);
	return zip;
}

static void test_overlap_same_zip(void **state)
{
	struct fx *f = *state;
	size_t base_len, len, handed;
	char *base, *zip;

	touched(f, "handler.py");
	touched(f, "pkg/mod.py");
	touched(f, "pkg/README.md"); /* handed over, then dropped by --drop */
	base = prune(f, false, &base_len, &handed);
	assert_int_equal(handed, 0);
	zip = prune(f, true, &len, &handed);
	/*
	 * The profile's three files before the rules, and pkg/__init__.py as the Python rule
	 * keeps it (rules_opts.on_keep), before the ELF rule reads.
	 */
	assert_int_equal(handed, 4);
	assert_int_equal(len, base_len);
	assert_memory_equal(zip, base, len);
	free(zip);
	free(base);
}

/* A refused plan writes nothing and keeps no deflaters; a dry run makes none. */
static void test_refused_or_dry_run(void **state)
{
	struct fx *f = *state;
	const struct profile *p = f->p;
	struct prune_policy pol;
	struct prune_plan pl = {0};
	struct tree *t = NULL;

	touched(f, "nowhere.py");
	assert_int_equal(prune_policy__init(&pol), 0);
	pol.deflate_early = true;
	assert_int_equal(prune_policy__open_tree(&pol, f->tree, &t), 0);
	assert_int_equal(prune__plan_checked(t, &pol, &p, 1, NULL, &pl), -ENODATA);
	assert_null(pol.zip.ahead);
	prune_plan__release(&pl);
	touched(f, "handler.py");
	pol.dry_run = true;
	assert_int_equal(prune__plan_checked(t, &pol, &p, 1, NULL, &pl), 0);
	assert_null(pol.zip.ahead);
	prune_plan__release(&pl);
	tree__free(t);
	prune_policy__release(&pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overlap_same_zip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_or_dry_run, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
