/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What test_tree.c (the index and its queries) and test_tree_walk.c (the walk's robustness:
 * unreadable entries, deferred lstats, mounts, reads beneath the root) share: one temp tree per
 * test under root, and helpers that fail the running test on error. Include after cmocka.h.
 */
#ifndef SLZ_TREE_TEST_H
#define SLZ_TREE_TEST_H

#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "testfs.h"
#include "tree.h"

/* Every test builds its own tree under a fresh temp dir (world-searchable for the nobody run). */
static char root[PATH_MAX];

static inline void pathf(char *out, const char *rel)
{
	testfs__path(out, PATH_MAX, root, rel);
}

static inline void mkd(const char *rel)
{
	testfs__mkdir(root, rel);
}

static inline void mkf(const char *rel, const char *content)
{
	testfs__write(root, rel, content ?: "");
}

static inline void mkl(const char *target, const char *rel)
{
	testfs__symlink(root, rel, target);
}

static inline int setup(void **state)
{
	testfs__mkdtemp(root, sizeof(root), "tree");
	return chmod(root, 0755);
}

static inline int teardown(void **state)
{
	testfs__rmtree(root);
	return 0;
}

static inline struct tree *index_tree(void)
{
	struct tree *t = NULL;

	assert_int_equal(tree__open(root, NULL, &t), 0);
	assert_non_null(t);
	return t;
}

static inline struct tree_entry get(const struct tree *t, int64_t idx)
{
	struct tree_entry e;

	assert_true(idx >= 0);
	assert_int_equal(tree__get(t, idx, &e), 0);
	return e;
}

static inline int64_t must_find(const struct tree *t, const char *rel)
{
	int64_t idx = tree__find_path(t, rel);

	if (idx < 0)
		fail_msg("'%s' not in the tree (%lld)", rel, (long long)idx);
	return idx;
}

#endif
