/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which tree entries go into the zip, and why. Every stage (resolve, globs, closure rules,
 * directory completion) adds entries with a reason bit; the report prints the reasons.
 */
#ifndef SLIMZIP_KEEPSET_H
#define SLIMZIP_KEEPSET_H

#include <stdbool.h>
#include <stdint.h>

#include "tree.h"

enum keep_reason {
	KEEP_OPENED = 1u << 0,
	KEEP_MMAPPED = 1u << 1,
	KEEP_EXECED = 1u << 2,
	KEEP_STAT_ONLY = 1u << 3,   /* stat, access or readlink only */
	KEEP_GLOB = 1u << 4,	    /* --keep / --keep-from */
	KEEP_SYMLINK = 1u << 5,	    /* symlink whose in-tree target is kept */
	KEEP_LINK_TARGET = 1u << 6, /* target of a kept symlink */
	KEEP_DIRECTORY = 1u << 7,   /* on the way to a kept entry */
	KEEP_LISTED = 1u << 8,	    /* directory opened for listing */
	/* bits 9..16: KEEP_RULE(i), below */
	KEEP_VERIFY_FIX = 1u << 17, /* added by verify --fix */
};

/*
 * Closure rules own a range of reason bits, one per position in the rules table (rules/ sits
 * above this layer, so the keep set knows a rule by its position and the report asks the
 * table for its name): a new rule needs no new bit here.
 */
#define KEEP_RULES_MAX	8
#define KEEP_RULE_SHIFT 9
#define KEEP_RULE(i)	(1u << (KEEP_RULE_SHIFT + (i)))

struct keepset;

int keepset__new(const struct tree *t, struct keepset **out);
void keepset__free(struct keepset *k); /* NULL-safe */
const struct tree *keepset__tree(const struct keepset *k);
/* Mark idx kept for reason; the first pid/comm stick (pid 0 / NULL when not from a profile). */
int keepset__add(struct keepset *k, uint32_t idx, uint32_t reason, uint32_t pid, const char *comm);
/* Add every entry src keeps to dst, with its reasons and first pid/comm. Same tree only. */
int keepset__merge(struct keepset *dst, const struct keepset *src);
/*
 * Remove idx entirely (--drop); returns true when it had been kept. The first pid/comm are
 * forgotten too. Removal does not change the generation (it counts additions only).
 */
bool keepset__remove(struct keepset *k, uint32_t idx);
bool keepset__has(const struct keepset *k, uint32_t idx);
uint32_t keepset__reasons(const struct keepset *k, uint32_t idx);
uint32_t keepset__first_pid(const struct keepset *k, uint32_t idx);
const char *keepset__first_comm(const struct keepset *k, uint32_t idx); /* "" when none */
/* How many entries are kept; generation changes whenever something is added (for fixpoints). */
uint64_t keepset__count(const struct keepset *k);
uint64_t keepset__generation(const struct keepset *k);
/*
 * Keep every directory on the way to a kept entry (reason KEEP_DIRECTORY). The root (index 0)
 * is never added: it has no name in the zip.
 */
int keepset__complete_dirs(struct keepset *k);
/*
 * Names of reasons, "opened,rule-python"; for the report. A rule's bit is named "rule-" plus
 * rule_name(position) ("rule-N" when rule_name is NULL or has no name for it). 0, or -ENOSPC when
 * buf was too small (it then holds the names that fitted).
 */
int keepset__reasons_str(uint32_t reasons, const char *(*rule_name)(size_t i), char *buf,
			 size_t len);

#endif
