/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fixture of the rules unit tests (python, node, elf): a temp tree, its index, a keepset
 * over it and the stats of the last rules__apply(). The helpers the test bodies call keep their
 * short names so the tests read as lists of kept and expected paths. Like testfs, every helper
 * fails the running cmocka test on error.
 */
#ifndef SLZ_RULES_FIXTURE_H
#define SLZ_RULES_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"

/* A scratch tree per test (or per group), removed afterwards. */
struct fx {
	char root[PATH_MAX];
	struct tree *t;
	struct keepset *k;
	struct rules_stats st;
};

/* A zeroed fixture over a fresh temp directory slz-<tag>-XXXXXX; no tree is open yet. */
struct fx *rules_fixture__new(const char *tag);
/* Free the keepset and the tree, remove the temp directory and free f. */
void rules_fixture__free(struct fx *f);
/* cmocka teardown of a fixture that setup made with rules_fixture__new(). */
int rules_fixture__teardown(void **state);

/* Write root/rel, creating missing parent directories. */
void file(struct fx *f, const char *rel, const char *content);
/* Index the tree at root and start an empty keepset over it. */
void open_tree(struct fx *f);
/* Keep rel as opened by a process; fails the test when the tree has no rel. */
void keep(struct fx *f, const char *rel);
/* The position of the rule called name in the table; fails the test when there is none. */
int rule_pos(const char *name);
/* Entries the rule called name added in the last apply(). */
uint64_t added(const struct fx *f, const char *rule);
/* rules__apply() with these rules on (switched off by name otherwise), stats into f->st. */
int apply(struct fx *f, bool python, bool node, bool elf);
/* Exactly the entries in want (NULL-terminated) carry reason; every other kept entry does not. */
void assert_added(struct fx *f, uint32_t reason, const char *const *want);

#endif
