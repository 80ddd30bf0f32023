// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "slz_vocab.h"
#include "bigarr.h"
#include "hashmap.h"
#include "profile_summary.h"
#include "util.h"

struct dir_table {
	struct summary_dir *dirs;
	size_t count, cap;
	struct idxmap *index;
	int64_t last; /* the group the previous path counted in, or -1 */
};

/* A grouping key being looked up: the first len bytes of a path. */
struct dir_key {
	const char *s;
	size_t len;
};

static bool dir_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct dir_table *t = ctx;
	const struct dir_key *k = key;
	const char *d = t->dirs[idx].path;

	return !strncmp(d, k->s, k->len) && !d[k->len];
}

/*
 * The length of path's grouping key: its parent, or its first depth components. "/" (a file
 * at the root, or no slash) is the one key that is not a prefix: *root says so.
 */
static size_t group_len(const char *path, unsigned int depth, bool *root)
{
	const char *end;

	*root = false;
	if (depth) {
		end = path;
		for (unsigned int i = 0; i < depth; i++) {
			const char *next = strchr(end + 1, '/');

			/* The file itself sits above the requested depth: group by its parent. */
			if (!next)
				return group_len(path, 0, root);
			end = next;
		}
		return (size_t)(end - path);
	}
	end = strrchr(path, '/');
	if (!end || end == path) {
		*root = true;
		return 1;
	}
	return (size_t)(end - path);
}

/*
 * The group a path counts in. A profile's entries come sorted by path, so most paths share
 * the previous one's group: that is tried first, without a hash or an allocation.
 */
static int account(struct dir_table *t, const char *path, unsigned int depth, uint64_t bytes)
{
	bool root;
	size_t len = group_len(path, depth, &root);
	struct dir_key k = {root ? "/" : path, len};
	uint64_t h = 0;
	int64_t i = t->last;

	if (i < 0 || !dir_eq((uint32_t)i, &k, t)) {
		h = profile__path_hash_len(k.s, len);
		i = idxmap__find(t->index, h, dir_eq, &k, t);
	}
	if (i < 0) {
		char *key = strndup(k.s, len);
		int err = key ? slz_grow((void **)&t->dirs, &t->cap, t->count + 1, sizeof(*t->dirs))
			      : -ENOMEM;

		if (!err)
			err = idxmap__insert(t->index, h, (uint32_t)t->count);
		if (err) {
			free(key);
			return err;
		}
		i = (int64_t)t->count++;
		t->dirs[i] = (struct summary_dir){.path = key};
	}
	t->last = i;
	t->dirs[i].files++;
	t->dirs[i].bytes += bytes;
	return 0;
}

static int by_files(const void *a, const void *b)
{
	const struct summary_dir *x = a, *y = b;

	if (x->files != y->files)
		return x->files > y->files ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int by_bytes(const void *a, const void *b)
{
	const struct summary_dir *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return by_files(a, b);
}

/* One path of the profile: the union of its entries (by inode and by path only). */
struct path_agg {
	const char *path; /* borrowed from the profile */
	uint32_t kinds;
	uint32_t flags;
	uint32_t mode;
	uint64_t size;
	bool by_inode; /* mode and size come from an entry identified by inode */
};

struct path_table {
	struct path_agg *paths;
	size_t count, cap;
	struct idxmap *index;
};

static bool path_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct path_table *t = ctx;

	return !strcmp(t->paths[idx].path, key);
}

/* Entry e joins group a. */
static void path_join(struct path_agg *a, const struct profile_entry *e)
{
	bool by_inode = e->ino && !(e->flags & SLZ_EVF_PATH_ONLY);

	a->kinds |= e->kinds;
	a->flags |= e->flags;
	/* Mode and size from the entry that knows them, preferring the inode's own. */
	if (e->mode && (!a->mode || (by_inode && !a->by_inode))) {
		a->mode = e->mode;
		a->size = e->size;
		a->by_inode = by_inode;
	}
}

/* Whether the entries come in path order (as every profile slimzip writes does). */
static bool sorted_by_path(const struct profile *p)
{
	for (size_t i = 1; i < profile__count(p); i++) {
		if (strcmp(profile__entry(p, i - 1)->path, profile__entry(p, i)->path) > 0)
			return false;
	}
	return true;
}

/* What the summary does with each path's group, in the order of their first entries. */
typedef int path_fn(const struct path_agg *a, void *ctx);

/*
 * The same file can be in a profile twice: once by inode (opened) and once by path only
 * (access, readlink), so counting entries would count it twice. Group entries by path: in path
 * order, a group is a run of equal paths and needs no index (a hash of every path and a cache
 * miss each, ~a fifth of a 200k-entry report) nor a table (each group is counted when its run
 * ends: a 200k-entry profile's table was 8 MiB of fresh pages); otherwise through a hash table.
 * Either way the groups come in the order of their first entries.
 */
static int group_paths(const struct profile *p, profile_summary_filter *keep, void *ctx,
		       struct path_table *t, path_fn *fn, void *fn_ctx)
{
	size_t n = profile__count(p);
	int err;

	if (sorted_by_path(p)) {
		struct path_agg a = {0};

		for (size_t i = 0; i < n; i++) {
			const struct profile_entry *e = profile__entry(p, i);

			if (keep && !keep(e, ctx))
				continue;
			if (!a.path || strcmp(a.path, e->path)) {
				if (a.path && (err = fn(&a, fn_ctx)))
					return err;
				a = (struct path_agg){.path = e->path};
			}
			path_join(&a, e);
		}
		return a.path ? fn(&a, fn_ctx) : 0;
	}
	err = bigarr__grow((void **)&t->paths, &t->cap, n, sizeof(*t->paths));
	if (!err)
		err = idxmap__new(&t->index);
	/* Sized for one path per entry, the usual case, instead of growing to it. */
	if (!err)
		err = idxmap__reserve(t->index, n);
	if (err)
		return err;
	/* Hashes computed AHEAD entries early, their slots prefetched (profile__prefetch's why). */
	enum { AHEAD = 8 };
	uint64_t ahead[AHEAD];

	for (size_t i = 0; i < n + AHEAD; i++) {
		const struct profile_entry *e;
		uint64_t h;
		int64_t j;

		if (i < n) {
			e = profile__entry(p, i);
			ahead[i % AHEAD] = profile__path_hash(e->path);
			idxmap__prefetch(t->index, ahead[i % AHEAD]);
		}
		if (i < AHEAD)
			continue;
		e = profile__entry(p, i - AHEAD);
		h = ahead[(i - AHEAD) % AHEAD];
		if (keep && !keep(e, ctx))
			continue;
		j = idxmap__find(t->index, h, path_eq, e->path, t);
		if (j < 0) {
			err = idxmap__insert(t->index, h, (uint32_t)t->count);
			if (err)
				return err;
			j = (int64_t)t->count++;
			t->paths[j] = (struct path_agg){.path = e->path};
		}
		path_join(&t->paths[j], e);
	}
	for (size_t i = 0; i < t->count; i++) {
		err = fn(&t->paths[i], fn_ctx);
		if (err)
			return err;
	}
	return 0;
}

/* The summary being computed: what each path's group adds to it. */
struct summing {
	struct profile_summary *out;
	struct dir_table *dirs;
	unsigned int depth;
};

static int count_path(const struct path_agg *a, void *ctx)
{
	const uint32_t reads = SLZ_KIND_OPEN | SLZ_KIND_MMAP | SLZ_KIND_EXEC | SLZ_KIND_INTERP;
	struct summing *sm = ctx;
	struct profile_summary *out = sm->out;
	uint64_t bytes = S_ISREG(a->mode) ? a->size : 0;

	if (a->kinds == SLZ_KIND_MISSING) {
		out->missing++;
		return 0;
	}
	out->files++;
	out->bytes += bytes;
	out->truncated += !!(a->flags & SLZ_EVF_TRUNCATED);
	/* The kinds it has, not every kind: most paths have one. */
	for (uint32_t k = a->kinds & ((1u << SUMMARY_KINDS) - 1); k; k &= k - 1)
		out->by_kind[__builtin_ctz(k)]++;
	if (S_ISDIR(a->mode)) {
		out->directories++;
		return 0;
	}
	if (!(a->kinds & reads))
		out->stat_only++;
	return account(sm->dirs, a->path, sm->depth, bytes);
}

int profile_summary__compute(const struct profile *p, unsigned int depth,
			     struct profile_summary *out)
{
	return profile_summary__compute_filtered(p, depth, NULL, NULL, out);
}

int profile_summary__compute_filtered(const struct profile *p, unsigned int depth,
				      profile_summary_filter *keep, void *ctx,
				      struct profile_summary *out)
{
	struct dir_table t = {.last = -1};
	struct path_table pt = {0};
	struct summing sm = {out, &t, depth};
	int err;

	memset(out, 0, sizeof(*out));
	err = idxmap__new(&t.index);
	if (!err)
		err = group_paths(p, keep, ctx, &pt, count_path, &sm);
	if (err)
		goto err;
	/* No directory (an empty profile, failed lookups only) leaves t.dirs NULL: not for qsort.
	 */
	if (t.count > 1)
		qsort(t.dirs, t.count, sizeof(*t.dirs), by_files);
	out->dirs = t.dirs;
	out->ndirs = t.count;
	idxmap__free(t.index);
	bigarr__free(pt.paths);
	idxmap__free(pt.index);
	return 0;
err:
	for (size_t i = 0; i < t.count; i++)
		free(t.dirs[i].path);
	free(t.dirs);
	idxmap__free(t.index);
	bigarr__free(pt.paths);
	idxmap__free(pt.index);
	memset(out, 0, sizeof(*out));
	return err;
}

void profile_summary__sort_by_bytes(struct profile_summary *s)
{
	if (s->ndirs > 1)
		qsort(s->dirs, s->ndirs, sizeof(*s->dirs), by_bytes);
}

void profile_summary__free(struct profile_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndirs; i++)
		free(s->dirs[i].path);
	free(s->dirs);
	s->dirs = NULL;
	s->ndirs = 0;
}
