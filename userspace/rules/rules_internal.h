/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared machinery of the closure rules: the per-run context, an in-tree path walker that
 * remembers the symlinks it crossed, and safe reads of tree files. Not part of the public API.
 */
#ifndef SLIMZIP_RULES_INTERNAL_H
#define SLIMZIP_RULES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"

/* Longest tree-relative path a rule builds; longer ones are skipped like missing files. */
#define RULES_PATH_MAX 4096

/* Per-entry bits in rules_ctx.done. */
enum rules_done {
	DONE_PYTHON = 1u << 0, /* kept entry already handled by the Python rule */
	DONE_NODE = 1u << 1,
	DONE_ELF = 1u << 2,
	DIR_PYTHON = 1u << 3, /* directory already walked up for __init__.py */
	DIR_NODE = 1u << 4,   /* directory already walked up for package.json */
};

struct idxvec {
	uint32_t *v;
	size_t n, cap;
};

struct py_state;
struct elf_state;

struct rules_ctx {
	struct keepset *k;
	const struct tree *t;
	struct rules_stats *st;
	uint32_t n;	  /* tree__count() */
	int rootfd;	  /* O_PATH of the tree root, for reads that cannot leave it */
	const char *root; /* tree__root() */
	size_t rootlen;
	const char *root_as; /* rules_opts.root_as, NULL when unset */
	size_t root_as_len;
	uint8_t *done;	       /* enum rules_done bits per entry */
	uint32_t *first_child; /* directory listing index, built on first use */
	uint32_t *next_sibling;
	struct py_state *py;
	struct elf_state *elf;
};

#define RULES_NONE UINT32_MAX

int idxvec__push(struct idxvec *v, uint32_t idx);
void idxvec__release(struct idxvec *v);

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
 * Resolve a tree-relative path component by component, "." and ".." included, following
 * symlinks (the last one only when follow_last). Every symlink crossed is appended to links
 * when links is not NULL. Index, or -ENOENT, -ENOTDIR, -ELOOP, -EXDEV (leaves the tree),
 * -ENAMETOOLONG, -ENOMEM.
 */
int64_t rules_ctx__walk(struct rules_ctx *c, const char *path, bool follow_last,
			struct idxvec *links);
/* Keep idx for reason; 1 when newly kept (counted in *added), 0 when it already was. */
int rules_ctx__keep(struct rules_ctx *c, uint32_t idx, uint32_t reason, uint64_t *added);
/* Walk path (following the last link) and keep every link crossed plus the final entry. */
int rules_ctx__keep_path(struct rules_ctx *c, const char *path, uint32_t reason, uint64_t *added);
/* Keep idx; when it is a symlink, also the chain and the in-tree target. */
int rules_ctx__keep_entry(struct rules_ctx *c, uint32_t idx, uint32_t reason, uint64_t *added);

/* Build the child lists once; 0 or -ENOMEM. Then iterate first_child/next_sibling. */
int rules_ctx__children(struct rules_ctx *c);

/* Open a regular file entry read-only without leaving the tree. fd or -errno. */
int rules_ctx__open(struct rules_ctx *c, uint32_t idx);
/* Read a whole regular file entry of at most max bytes, NUL-terminated. 0 or -errno. */
int rules_ctx__read(struct rules_ctx *c, uint32_t idx, size_t max, char **buf, size_t *len);

/*
 * Call fn for each kept entry not yet marked with done_bit, marking it first, until a scan finds
 * none: entries fn adds are handled in the same call. 0 or the first error of fn.
 */
int rules_ctx__scan(struct rules_ctx *c, uint8_t done_bit,
		    int (*fn)(struct rules_ctx *c, uint32_t idx));

/* One round of each rule, each to its own fixpoint; state lives in c->py / c->elf. */
int rules_python__run(struct rules_ctx *c);
void rules_python__release(struct rules_ctx *c);
int rules_node__run(struct rules_ctx *c);
int rules_elf__run(struct rules_ctx *c);
void rules_elf__release(struct rules_ctx *c);

#endif
