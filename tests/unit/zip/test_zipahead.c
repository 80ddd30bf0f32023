// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Files deflated before the write (zipahead.h): the zip is byte for byte the one written
 * without them, whatever was handed over (files the zip does not hold, directories, the same
 * file twice, nothing), at any thread count; the deflating really happens before the write.
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
#include <time.h>
#include <unistd.h>

#include "keepset.h"
#include "testfs.h"
#include "tree.h"
#include "zipahead.h"
#include "zippool.h"
#include "zipwrite.h"

#define NFILES 240

struct fx {
	char dir[PATH_MAX];
	char tree[PATH_MAX + 8];
	char out[PATH_MAX + 16];
	struct tree *t;
	struct keepset *k;
};

/* Sizes from empty to 300 KB, text that deflates and noise that does not. */
static void make_tree(const char *root)
{
	unsigned int seed = 7;

	for (int i = 0; i < NFILES; i++) {
		size_t len = (size_t)(i % 7 == 0 ? 0 : (i * 1237) % 300000);
		unsigned char *buf = malloc(len + 1);
		char rel[64];

		for (size_t j = 0; j < len; j++)
			buf[j] = i % 3 ? (unsigned char)("slimzip deflates ahead "[j % 23])
				       : (unsigned char)rand_r(&seed);
		snprintf(rel, sizeof(rel), "d%02d/f%03d.%s", i % 13, i, i % 3 ? "txt" : "bin");
		testfs__write_bytes(root, rel, buf, len);
		free(buf);
	}
	testfs__write(root, "dropped.txt", "not in the zip, though handed over\n");
	testfs__symlink(root, "link", "d00/f000.bin");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tree_entry e;

	testfs__mkdtemp(f->dir, sizeof(f->dir), "zipahead");
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
	testfs__mkdir(f->dir, "tree");
	make_tree(f->tree);
	assert_int_equal(tree__open(f->tree, NULL, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
	for (uint32_t i = 1; i < tree__count(f->t); i++) {
		assert_int_equal(tree__get(f->t, i, &e), 0);
		if (!S_ISDIR(e.mode) && strcmp(e.path, "dropped.txt"))
			assert_int_equal(keepset__add(f->k, i, KEEP_GLOB, 0, NULL), 0);
	}
	assert_int_equal(keepset__complete_dirs(f->k), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	keepset__free(f->k);
	tree__free(f->t);
	testfs__rmtree(f->dir);
	free(f);
	return 0;
}

static char *write_zip(struct fx *f, const struct zipwrite_opts *o, size_t *len)
{
	struct zipwrite_stats st;

	unlink(f->out);
	assert_int_equal(zipwrite__write(f->k, f->out, o, &st), 0);
	assert_int_equal(st.files, NFILES + 0u);
	return testfs__read(f->out, len);
}

static void opts(struct zipwrite_opts *o, int level, int threads)
{
	zipwrite__default_opts(o);
	o->level = level;
	o->threads = threads;
	o->mtime_mode = ZIPWRITE_MTIME_FIXED;
}

/* Wait (at most 60 s: a loaded sanitized run) until the pool finished what it took. */
static void wait_done(const struct zipahead *a)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (int i = 0; i < 6000 && zipahead__done(a) < zipahead__count(a); i++)
		nanosleep(&ts, NULL);
	assert_int_equal(zipahead__done(a), zipahead__count(a));
}

/* Hand over every stride-th entry from first on (0: none), then write with it. */
static char *write_ahead(struct fx *f, int level, int ahead_level, int threads, uint32_t first,
			 uint32_t stride, size_t *len, size_t *taken)
{
	struct zipwrite_opts o;
	struct zipahead *a = NULL;
	char *zip;

	opts(&o, ahead_level, threads);
	assert_int_equal(zipahead__new(f->t, &o, &a), 0);
	for (uint32_t i = first; stride && i < tree__count(f->t); i += stride)
		assert_int_equal(zipahead__add(a, i), 0);
	/* Twice, and the root, and out of range: ignored. */
	assert_int_equal(zipahead__add(a, first), 0);
	assert_int_equal(zipahead__add(a, 0), 0);
	assert_int_equal(zipahead__add(a, (uint32_t)tree__count(f->t) + 5), 0);
	*taken = zipahead__count(a);
	/* Deflated before the write starts: the overlap is real, not deferred to the writer. */
	wait_done(a);
	opts(&o, level, threads);
	o.ahead = a;
	zip = write_zip(f, &o, len);
	zipahead__free(a);
	return zip;
}

/*
 * The first bytes of a handed-over file (zipahead__head, what the rules read instead of
 * opening it): exact, for a short file all it has, whether a worker read it or the caller's
 * thread ran the job (no workers); -ENOENT for files never handed over.
 */
static void test_head(void **state)
{
	struct fx *f = *state;
	unsigned char buf[ZIPPOOL_HEAD], want[ZIPPOOL_HEAD];
	struct zipwrite_opts o;
	struct tree_entry e;
	int64_t big, small, other;

	testfs__write(f->tree, "tiny.txt", "abc");
	keepset__free(f->k);
	tree__free(f->t);
	assert_int_equal(tree__open(f->tree, NULL, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
	for (uint32_t i = 1; i < tree__count(f->t); i++) {
		assert_int_equal(tree__get(f->t, i, &e), 0);
		if (!S_ISDIR(e.mode) && strcmp(e.path, "dropped.txt") && strcmp(e.path, "tiny.txt"))
			assert_int_equal(keepset__add(f->k, i, KEEP_GLOB, 0, NULL), 0);
	}
	assert_int_equal(keepset__complete_dirs(f->k), 0);
	big = tree__find_path(f->t, "d01/f001.txt");
	small = tree__find_path(f->t, "tiny.txt");
	other = tree__find_path(f->t, "d02/f002.txt");
	assert_true(big > 0 && small > 0 && other > 0);
	assert_int_equal(tree__get(f->t, (uint32_t)big, &e), 0);
	assert_true(e.size > ZIPPOOL_HEAD);
	memcpy(want, "slimzip deflates ahead ", ZIPPOOL_HEAD);
	for (int threads = 0; threads <= 2; threads += 2) {
		struct zipahead *a = NULL;

		opts(&o, 6, threads);
		assert_int_equal(zipahead__new(f->t, &o, &a), 0);
		if (!threads)
			zippool__stop(
				zipahead__pool(a, f->t, 6)); /* no worker: this thread runs it */
		assert_int_equal(zipahead__add(a, (uint32_t)big), 0);
		assert_int_equal(zipahead__add(a, (uint32_t)small), 0);
		assert_int_equal(zipahead__head(a, (uint32_t)big, buf, sizeof(buf)), ZIPPOOL_HEAD);
		assert_memory_equal(buf, want, ZIPPOOL_HEAD);
		assert_int_equal(zipahead__head(a, (uint32_t)big, buf, 4), 4);
		assert_int_equal(zipahead__head(a, (uint32_t)small, buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "abc", 3);
		assert_int_equal(zipahead__head(a, (uint32_t)other, buf, sizeof(buf)), -ENOENT);
		assert_int_equal(zipahead__head(NULL, (uint32_t)big, buf, sizeof(buf)), -ENOENT);
		if (threads) {
			/* Read ahead by the heads, deflated by the workers: the same zip. */
			size_t len, base_len;
			char *zip, *base;

			opts(&o, 6, threads);
			base = write_zip(f, &o, &base_len);
			o.ahead = a;
			zip = write_zip(f, &o, &len);
			assert_int_equal(len, base_len);
			assert_memory_equal(zip, base, len);
			free(zip);
			free(base);
		}
		zipahead__free(a);
	}
}

static void test_same_bytes_as_without(void **state)
{
	struct fx *f = *state;
	struct zipwrite_opts o;
	size_t base_len, len, taken;
	char *base, *zip;

	opts(&o, 6, 2);
	base = write_zip(f, &o, &base_len);
	for (int threads = 1; threads <= 3; threads++) {
		/* Everything, every other entry, every seventh from the middle, nothing. */
		static const uint32_t plans[][2] = {{1, 1}, {2, 2}, {NFILES / 2, 7}, {1, 0}};

		for (size_t p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
			zip = write_ahead(f, 6, 6, threads, plans[p][0], plans[p][1], &len, &taken);
			if (plans[p][1] == 1)
				/* every regular file (empty ones excepted), dropped.txt too */
				assert_true(taken > NFILES * 5 / 6);
			assert_int_equal(len, base_len);
			assert_memory_equal(zip, base, len);
			free(zip);
		}
	}
	free(base);
}

/* Made for another level: ignored, the zip is the level's own. Storing: nothing to take. */
static void test_other_level_or_store(void **state)
{
	struct fx *f = *state;
	struct zipwrite_opts o;
	size_t base_len, len, taken;
	char *base, *zip;

	opts(&o, 6, 2);
	base = write_zip(f, &o, &base_len);
	zip = write_ahead(f, 6, 1, 2, 1, 1, &len, &taken);
	assert_true(taken > 0);
	assert_int_equal(len, base_len);
	assert_memory_equal(zip, base, len);
	free(zip);
	free(base);

	opts(&o, 0, 2);
	base = write_zip(f, &o, &base_len);
	zip = write_ahead(f, 0, 0, 2, 1, 1, &len, &taken);
	assert_int_equal(taken, 0);
	assert_int_equal(len, base_len);
	assert_memory_equal(zip, base, len);
	free(zip);
	free(base);
}

/* Freed without a write, with work still queued: no hang, no leak (ASan). */
static void test_free_unused(void **state)
{
	struct fx *f = *state;
	struct zipwrite_opts o;
	struct zipahead *a = NULL;

	opts(&o, 9, 1);
	assert_int_equal(zipahead__new(f->t, &o, &a), 0);
	for (uint32_t i = 1; i < tree__count(f->t); i++)
		assert_int_equal(zipahead__add(a, i), 0);
	zipahead__free(a);
	zipahead__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_bytes_as_without, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_level_or_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_unused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
