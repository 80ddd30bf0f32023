/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * verify --isolate, inside verify: the host package directories the proof run must not see
 * (an empty read-only tmpfs over each, in its private mount namespace, as on Lambda, which has
 * none of the build machine's packages), and the host packages a round found missing. Private
 * to the verify library; verify.h says what callers see.
 */
#ifndef SLIMZIP_VERIFY_HOST_H
#define SLIMZIP_VERIFY_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "tree.h"
#include "verify.h"

/* The directories one proof run hides: real paths, sorted, none below another. */
struct hidden_dirs {
	char **dirs;
	size_t n;
};

/*
 * The directories of o->hide_dirs that exist and can be hidden: each is resolved (realpath),
 * and skipped when it holds the tree, the extraction directory or the working directory (the
 * command could not start), lies inside the tree (the tree's own files are the zip's), or lies
 * below another one hidden already. 0 or -ENOMEM.
 */
int hidden_dirs__prepare(const struct verify_opts *o, const char *tree_root, const char *extracted,
			 struct hidden_dirs *out);
void hidden_dirs__release(struct hidden_dirs *h);
/* In the child, in its private mount namespace: mount the tmpfs over each. 0 or -errno. */
int hidden_dirs__mount(const struct hidden_dirs *h);

struct host_missing_list {
	struct verify_host_missing *items;
	size_t n, cap;
};

/*
 * Failed lookups of the proof run below a hidden directory of paths the host has (a Node
 * require() looks each candidate up): those host packages are missing.
 */
int host_missing__from_lookups(struct host_missing_list *l, const struct hidden_dirs *h,
			       const struct profile *proof);
/*
 * Files the diagnosis run (on the original tree, unhidden) used below a hidden directory: the
 * host packages the proof run could not see (Python lists a directory and looks up only the
 * names it found there, so the hidden one shows no failed lookup), named as prune's
 * classification (prune/hostdeps.h) names them, each once.
 */
int host_missing__from_diagnosis(struct host_missing_list *l, const struct hidden_dirs *h,
				 const struct profile *diag, const struct tree *t);
void host_missing__clear(struct host_missing_list *l);

typedef int (*tree_copy_fn)(uint32_t idx, const struct profile_entry *e, void *ctx);
/*
 * The tree's own copies of the host files the diagnosis run used below a hidden directory: a
 * tree directory holding an entry named like the package (vendor/hostonly beside the host's
 * dist-packages/hostonly) stands for the package directory, and each file at the same path
 * below it that the zip lacks is passed to add (the case where a host copy shadowed the
 * tree's when the workload was recorded). 0 or the first error of add, or -ENOMEM.
 */
int host_missing__tree_copies(const struct hidden_dirs *h, const struct profile *diag,
			      const struct tree *t, const bool *in_zip, tree_copy_fn add,
			      void *ctx);

#endif
