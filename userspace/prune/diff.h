/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * slimzip diff A B: what B uses or holds that A lacks, and the other way round. Each side is
 * a profile (text or JSON) or a zip. Two profiles compare by their absolute paths; as soon as
 * a zip takes part, both sides compare by tree-relative path, which is how prune names a zip's
 * entries (resolve__relative strips where the tree was recorded, and an entry's name is that
 * relative path): a profile path at or below the root loses the root, one outside it is not
 * the zip's business and only counted (outside).
 *
 * "B needs nothing A lacks" (the exit status of slimzip diff) means: every path B needs is one
 * A provides. A profile needs and provides a path it opened, mapped, executed, stat()ed,
 * access()ed or readlink()ed, unless the run created it (the zip leaves it out, the function
 * makes it); a failed lookup (missing) is needed by nobody: the file must not be in the zip.
 * A zip needs and provides each of its entries. A directory is provided as well by anything
 * provided below it. So a zip A covers a profile B when each file B touched in the tree,
 * stat-only ones included, is an entry of A.
 */
#ifndef SLIMZIP_DIFF_H
#define SLIMZIP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diff_side;

/*
 * Open path as a side: a zip when it starts like one (a local header or an empty zip's end
 * record), else a profile (profile__read). 0, or -errno with slz_errmsg() naming path.
 */
int diff_side__open(const char *path, struct diff_side **out);
void diff_side__free(struct diff_side *s); /* NULL-safe */
bool diff_side__is_zip(const struct diff_side *s);

/* One path of the comparison. Kinds are a profile's (0 for a zip's entry). */
struct diff_item {
	char *path;
	uint32_t a_kinds, b_kinds;
	uint64_t a_size, b_size; /* bytes where known (a zip's entry, a profile's size column) */
	bool needed;		 /* added, and B needs it: A does not provide it */
};

struct diff_result {
	struct diff_item *added; /* in B, not in A (by path, directories implied) */
	size_t nadded;
	struct diff_item *removed; /* in A, not in B */
	size_t nremoved;
	/* In both: two profiles' kinds differ, or two zips' sizes. */
	struct diff_item *changed;
	size_t nchanged;
	uint64_t added_bytes, removed_bytes;
	size_t needed;	  /* added items B needs that A does not provide */
	size_t outside;	  /* profile entries outside the tree root (a zip takes part) */
	const char *root; /* the tree root stripped from profile paths, NULL for none */
};

struct diff_opts {
	/*
	 * Where the tree was recorded, for a profile compared with a zip (--tree-path-as). NULL:
	 * the profile's tree-root header, else the zip comment's tree_path_as; without any, a
	 * profile cannot meet a zip: -EINVAL, explained.
	 */
	const char *root;
};

/* Compare a with b into *r (diff_result__release frees it). o may be NULL. 0 or -errno. */
int diff__run(const struct diff_side *a, const struct diff_side *b, const struct diff_opts *o,
	      struct diff_result *r);
void diff_result__release(struct diff_result *r);

/* Whether a profile entry of these kinds needs (and provides) its file; see above. */
bool diff__kinds_need(uint32_t kinds);

#endif
