// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The progress hook (base/progress.h) of the tree walk and the zip writer: every unit
 * reported, counts that only grow, and a last report that is the whole (every file, every
 * byte), on the deflating pool's path and the stored one alike.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keepset.h"
#include "progress.h"
#include "testfs.h"
#include "tree.h"
#include "zipwrite.h"

struct seen {
	size_t calls, pauses;
	char phase[32];
	struct slz_progress_state last;
	bool grew; /* every report's counts >= the previous one's */
};

static void record(const struct slz_progress_state *st, void *ctx)
{
	struct seen *s = ctx;

	if (!st) {
		s->pauses++;
		return;
	}
	if (s->calls && (st->done < s->last.done || st->bytes_done < s->last.bytes_done))
		s->grew = false;
	s->calls++;
	snprintf(s->phase, sizeof(s->phase), "%s", st->phase);
	s->last = *st;
}

#define NFILES 40

static void make_tree(char *root, size_t len, uint64_t *bytes)
{
	char rel[64], *data;

	testfs__mkdtemp(root, len, "zipprogress");
	*bytes = 0;
	for (int i = 0; i < NFILES; i++) {
		size_t n = (size_t)i * 1000 + 1;

		data = malloc(n + 1);
		assert_non_null(data);
		memset(data, 'a' + i % 26, n);
		data[n] = '\0';
		snprintf(rel, sizeof(rel), "d%d/f%d.txt", i % 4, i);
		testfs__write(root, rel, data);
		*bytes += n;
		free(data);
	}
}

static void test_walk_reports(void **state)
{
	struct seen s = {.grew = true};
	const struct slz_progress p = {record, &s};
	TREE_OPTS(o, .progress = &p);
	struct tree *t = NULL;
	char root[512];
	uint64_t bytes;

	(void)state;
	make_tree(root, sizeof(root), &bytes);
	assert_int_equal(tree__open(root, &o, &t), 0);
	/* One report per directory listed: the root and d0..d3. */
	assert_int_equal(s.calls, 5);
	assert_string_equal(s.phase, "walking tree");
	assert_true(s.grew);
	assert_int_equal(s.last.done, tree__count(t));
	assert_int_equal(s.last.total, 0); /* a walk does not know what is left */
	tree__free(t);
	testfs__rmtree(root);
}

static void zip_with_meter(int level)
{
	struct seen s = {.grew = true};
	const struct slz_progress p = {record, &s};
	struct zipwrite_opts zo;
	struct zipwrite_stats st = {0};
	struct keepset *k = NULL;
	struct tree *t = NULL;
	char root[512], out[600];
	uint64_t bytes;

	make_tree(root, sizeof(root), &bytes);
	assert_int_equal(tree__open(root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	for (uint32_t i = 1; i < tree__count(t); i++)
		assert_int_equal(keepset__add(k, i, KEEP_GLOB, 0, NULL), 0);
	zipwrite__default_opts(&zo);
	zo.level = level;
	zo.meter = &p;
	snprintf(out, sizeof(out), "%s.zip", root);
	assert_int_equal(zipwrite__write(k, out, &zo, &st), 0);
	assert_string_equal(s.phase, "zipping");
	assert_true(s.grew);
	/* A start and at least one read per file; the last report is everything. */
	assert_true(s.calls >= 2 * NFILES);
	assert_int_equal(s.last.done, NFILES);
	assert_int_equal(s.last.total, NFILES);
	assert_int_equal(s.last.total, st.files);
	assert_int_equal(s.last.bytes_total, bytes);
	assert_int_equal(s.last.bytes_done, bytes);
	assert_int_equal(st.bytes_in, bytes);
	assert_int_equal(s.pauses, 0);
	keepset__free(k);
	tree__free(t);
	remove(out);
	testfs__rmtree(root);
}

static void test_zip_reports_deflated(void **state)
{
	(void)state;
	zip_with_meter(6);
}

static void test_zip_reports_stored(void **state)
{
	(void)state;
	zip_with_meter(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_reports),
		cmocka_unit_test(test_zip_reports_deflated),
		cmocka_unit_test(test_zip_reports_stored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
