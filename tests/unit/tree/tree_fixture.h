/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers of the unit tests that index a temp tree and keep entries of it (the prune and rules
 * areas). Like testfs, every helper fails the running cmocka test on error.
 */
#ifndef SLZ_TREE_FIXTURE_H
#define SLZ_TREE_FIXTURE_H

#include <stdint.h>

struct keepset;
struct tree;

/* The index of rel in t; fails the test when t has no such path. */
uint32_t tree_fixture__idx(const struct tree *t, const char *rel);
/* Free k and t (either may be NULL) and remove the temp directory root with all it holds. */
void tree_fixture__close(const char *root, struct tree *t, struct keepset *k);

#endif
