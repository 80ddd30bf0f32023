/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every closure rule shares: the entry a rule registers with, the per-run context, path
 * walks that remember the symlinks they crossed, and safe reads of tree files. The
 * context knows no rule: each rule's private state sits in a slot indexed by its position in
 * the table, and the dispatcher says which rule is running. Not part of the public API.
 */
#ifndef SLIMZIP_RULES_CTX_H
#define SLIMZIP_RULES_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idxvec.h"
#include "keepset.h"
#include "rules.h"
#include "tree.h"

/* Longest tree-relative path a rule builds; longer ones are skipped like missing files. */
#define RULES_PATH_MAX 4096

struct rules_ctx;

/*
 * One closure rule: an entry of rules.c's table. run does one round, to the rule's own
 * fixpoint; release frees what run left in the rule's state slot (NULL when it keeps none).
 */
struct rule {
	const char *name; /* --no-rule-NAME, the report's key */
	int (*run)(struct rules_ctx *c);
	void (*release)(void *state);
};

struct rules_ctx {
	struct keepset *k;
	const struct tree *t;
	struct rules_stats *st;
	uint32_t n;	  /* tree__count() */
	int rootfd;	  /* O_PATH of the tree root, for reads that cannot leave it */
	const char *root; /* tree__root() */
	/* Per entry, bit i for the rule at position i: done, it handled the entry
	 * (rules_ctx__scan); mark, the rule's own use (rules_ctx__mark). */
	uint8_t *done;
	uint8_t *mark;
	uint32_t *first_child; /* directory listing index, built on first use */
	uint32_t *next_sibling;
	void *state[RULES_MAX]; /* each rule's private state by position, NULL until it sets it */
	unsigned int cur;	/* the position of the rule running now */
	uint32_t reason;	/* and its reason bit */
	const struct rules_opts *o; /* rules__apply's: on_keep, head */
};

#define RULES_NONE UINT32_MAX

/* The running rule's state slot: NULL until the rule stores its state there. */
void **rules_ctx__state(struct rules_ctx *c);
/* Set the running rule's own mark on entry idx; true when it was set already. */
bool rules_ctx__mark(struct rules_ctx *c, uint32_t idx);

/* Entry idx; a failure (impossible for idx < n) yields an empty entry with mode 0. */
struct tree_entry rules_ctx__entry(const struct rules_ctx *c, uint32_t idx);
/* Last path component of a tree path. */
const char *rules__basename(const char *path);
bool rules__has_suffix(const char *s, const char *suffix);
/* dir + "/" + name (or name alone when dir is the root ""). -ENAMETOOLONG when it does not fit. */
int rules__join(char *out, size_t len, const char *dir, const char *name, size_t namelen);
/* An absolute path as a tree path (see rules.h); NULL when it cannot be one. */
const char *rules_ctx__map_abs(const struct rules_ctx *c, const char *abs);

/*
 * Keeping, for the running rule (its reason bit, counted in its stats.added): path walked
 * (following the last link), with every link crossed plus the final entry; or entry idx and,
 * when it is a symlink, the chain and the in-tree target. 0 or -ENOMEM.
 */
int rules_ctx__keep_path(struct rules_ctx *c, const char *path);
int rules_ctx__keep_entry(struct rules_ctx *c, uint32_t idx);
/* The running rule looked a name up and the tree lacks it (its stats.unresolved). */
void rules_ctx__unresolved(struct rules_ctx *c);

/* Build the child lists once; 0 or -ENOMEM. Then iterate first_child/next_sibling. */
int rules_ctx__children(struct rules_ctx *c);

/* Open a regular file entry read-only without leaving the tree. fd or -errno. */
int rules_ctx__open(struct rules_ctx *c, uint32_t idx);
/* Read a whole regular file entry of at most max bytes, NUL-terminated. 0 or -errno. */
int rules_ctx__read(struct rules_ctx *c, uint32_t idx, size_t max, char **buf, size_t *len);

/*
 * Call fn for each kept entry the running rule has not handled yet, marking it done first, until
 * a scan finds none: entries fn adds are handled in the same call. 0 or the first error of fn.
 */
int rules_ctx__scan(struct rules_ctx *c, int (*fn)(struct rules_ctx *c, uint32_t idx));

#endif
