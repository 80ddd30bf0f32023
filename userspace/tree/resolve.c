// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Profile entries to tree entries: by identity when it can be trusted, else by path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pathutil.h"
#include "slz_vocab.h"
#include "resolve.h"
#include "util.h"

int resolve__relative(const struct tree *t, const char *abs, const struct resolve_opts *o,
		      char **rel)
{
	const char *rest = NULL;
	char *out;

	*rel = NULL;
	if (!abs || abs[0] != '/')
		return slz_fail(EINVAL, "recorded path '%s' is not absolute", abs ? abs : "(null)");
	/* The recorded location first: recorded at "/" (an image), the real path is inside it. */
	if (!(o && o->at_real_path))
		rest = path__below(abs, tree__recorded_at(t));
	if (!rest)
		rest = path__below(abs, tree__root(t));
	if (!rest)
		return -EXDEV; /* the common case for runtime files: no message needed */
	out = strdup(rest);
	if (!out)
		return -ENOMEM;
	/* Lexical clean-up only: ".." must meet the real directories, so tree__resolve gets it. */
	path__clean(out);
	if (out[0] == '/')
		memmove(out, out + 1, strlen(out));
	*rel = out;
	return 0;
}

static uint32_t reasons_for(uint32_t kinds, bool is_dir)
{
	uint32_t r = 0;

	if (kinds & SLZ_KIND_OPEN)
		r |= is_dir ? KEEP_LISTED : KEEP_OPENED;
	if (kinds & SLZ_KIND_MMAP)
		r |= KEEP_MMAPPED;
	if (kinds & (SLZ_KIND_EXEC | SLZ_KIND_INTERP))
		r |= KEEP_EXECED;
	if (!r && (kinds & (SLZ_KIND_STAT | SLZ_KIND_ACCESS | SLZ_KIND_READLINK)))
		r |= KEEP_STAT_ONLY;
	return r;
}

static int keep(struct keepset *k, uint32_t idx, uint32_t kinds, const struct profile_entry *e)
{
	struct tree_entry te;
	char comm[PROFILE_COMM_LEN + 1];
	uint32_t r;
	int err;

	if (idx == 0)
		return 0; /* the root is implicit in the zip */
	err = tree__get(keepset__tree(k), idx, &te);
	if (err)
		return err;
	r = reasons_for(kinds, S_ISDIR(te.mode));
	if (!r)
		return 0;
	/* first_comm is a fixed array that may lack its NUL when the name fills it. */
	memcpy(comm, e->first_comm, PROFILE_COMM_LEN);
	comm[PROFILE_COMM_LEN] = '\0';
	return keepset__add(k, idx, r, e->first_pid, comm);
}

/*
 * A hard-linked inode: every link of it in the tree. The kernel deduplicates by inode, so once
 * one name was recorded, accesses through the other names were never reported: any of them may
 * be the one the workload uses. (A zip has no hard links; each name becomes a copy.)
 */
static int keep_inode(struct keepset *k, uint32_t first, uint32_t kinds,
		      const struct profile_entry *e)
{
	const struct tree *t = keepset__tree(k);
	int err;

	for (int64_t idx = first; idx >= 0; idx = tree__next_link(t, (uint32_t)idx)) {
		err = keep(k, (uint32_t)idx, kinds, e);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The directory the walk could not list that rel (a path the tree lacks) lies under, or -ENOENT:
 * the deepest ancestor the tree has decides (through in-tree links, as the lookup went).
 */
static int64_t unlistable_above(const struct tree *t, char *rel, const struct tree_resolve_opts *o)
{
	struct tree_resolve_opts dir = *o;
	struct tree_entry e;
	char *slash;

	dir.follow_last = true;
	while ((slash = strrchr(rel, '/'))) {
		int64_t idx;

		*slash = '\0';
		idx = tree__resolve_opts(t, rel, &dir);
		if (idx == -ENOENT)
			continue;
		if (idx < 0 || tree__get(t, (uint32_t)idx, &e))
			return -ENOENT;
		return S_ISDIR(e.mode) && (e.flags & TREE_F_UNREADABLE) ? idx : -ENOENT;
	}
	return -ENOENT; /* directly in the root, which the walk always lists */
}

static bool entry_is_dir(const struct tree *t, uint32_t idx)
{
	struct tree_entry e;

	return !tree__get(t, idx, &e) && S_ISDIR(e.mode);
}

int64_t resolve__entry(const struct tree *t, const struct profile_entry *e,
		       const struct resolve_opts *o, bool *by_inode)
{
	struct tree_resolve_opts tro = {.at_real_path = o && o->at_real_path};
	char *rel = NULL;
	int64_t idx;
	int err;

	*by_inode = false;
	if (o && o->match_inodes && e->dev && e->ino && !(e->flags & SLZ_EVF_PATH_ONLY)) {
		idx = tree__find_inode(t, e->dev, e->ino);
		if (idx >= 0) {
			*by_inode = true;
			return idx;
		}
	}
	if (e->flags & (SLZ_EVF_TRUNCATED | SLZ_EVF_UNREACHABLE) || !e->path || e->path[0] != '/')
		return -EINVAL;
	err = resolve__relative(t, e->path, o, &rel);
	if (err)
		return err;
	idx = tree__find_path(t, rel);
	/* Not a physical path: a path-only entry spelled through an in-tree symlink. */
	if (idx < 0)
		idx = tree__resolve_opts(t, rel, &tro);
	free(rel);
	return idx;
}

/* Of a path below the tree that matched nothing: count it, and whether it lies unlisted. */
static int count_unmatched(const struct tree *t, const struct profile_entry *e,
			   const struct resolve_opts *o, struct resolve_stats *st)
{
	struct tree_resolve_opts tro = {.at_real_path = o && o->at_real_path};
	char *rel = NULL;
	int64_t dir;
	int err;

	if (!st->unmatched_in_tree++)
		st->first_unmatched = e->path;
	err = resolve__relative(t, e->path, o, &rel);
	if (err)
		return err == -ENOMEM ? err : 0;
	dir = unlistable_above(t, rel, &tro);
	free(rel);
	if (dir >= 0 && !st->under_unlistable++) {
		st->first_under_unlistable = e->path;
		st->first_unlistable_dir = (uint32_t)dir;
	}
	return 0;
}

int resolve__profile(struct keepset *k, const struct profile *p, const struct resolve_opts *o,
		     struct resolve_stats *st)
{
	const struct tree *t = keepset__tree(k);
	struct resolve_stats local = {0};
	size_t n = profile__count(p);
	int err = 0;

	if (!st)
		st = &local;
	for (size_t i = 0; i < n; i++) {
		const struct profile_entry *e = profile__entry(p, i);
		uint32_t kinds = e->kinds & SLZ_KIND_ALL & ~SLZ_KIND_MISSING;
		bool by_inode;
		int64_t idx;

		st->entries++;
		st->touched += (e->kinds & ~SLZ_KIND_MISSING) != 0;
		/* Failed lookups only are never matched: what they name was not there. */
		idx = kinds ? resolve__entry(t, e, o, &by_inode) : -EINVAL;
		/* A truncated path is harmless when the file is in the tree by its inode. */
		if ((e->flags & SLZ_EVF_TRUNCATED) && idx < 0 &&
		    !(e->ino && tree__find_inode(t, e->dev, e->ino) >= 0))
			st->truncated_unresolved++;
		if (!kinds) {
			if (e->kinds & SLZ_KIND_MISSING)
				st->missing++;
			else
				st->unusable++;
			continue;
		}
		switch (idx) {
		case -ENOMEM:
			err = -ENOMEM;
			goto out;
		case -EINVAL:
			st->unusable++;
			continue;
		case -EXDEV: /* not under the tree, or through a link that leaves it */
			st->outside_tree++;
			continue;
		default:
			break;
		}
		if (idx < 0) {
			err = count_unmatched(t, e, o, st);
			if (err)
				goto out;
			continue;
		}
		err = by_inode ? keep_inode(k, (uint32_t)idx, kinds, e) : keep(k, idx, kinds, e);
		if (err)
			goto out;
		if (by_inode)
			st->by_inode++;
		else
			st->by_path++;
		st->matched_dirs += entry_is_dir(t, (uint32_t)idx);
	}
out:
	if (err == -ENOMEM)
		return slz_fail(ENOMEM, "out of memory matching the profile to the tree");
	return err;
}

struct link_pair {
	uint32_t link;
	uint32_t target;
};

int resolve__symlink_closure(struct keepset *k, uint64_t *added)
{
	const struct tree *t = keepset__tree(k);
	uint64_t before = keepset__count(k), gen;
	struct link_pair *pairs = NULL;
	size_t npairs = 0, cap = 0, n = tree__count(t);
	struct tree_entry e;
	int err = 0;

	/* Resolve every in-tree link once; the fixpoint below only looks at the pairs. */
	for (size_t i = 1; i < n; i++) {
		int64_t r;

		err = tree__get(t, i, &e);
		if (err)
			goto out;
		if (!S_ISLNK(e.mode) || !e.link_target)
			continue;
		r = tree__resolve(t, e.path, true);
		if (r == -ENOMEM) {
			err = slz_fail(ENOMEM, "out of memory resolving symlinks");
			goto out;
		}
		if (r <= 0)
			continue; /* outside, dangling, looping, or the root itself */
		err = slz_grow((void **)&pairs, &cap, npairs + 1, sizeof(*pairs));
		if (err)
			goto out;
		pairs[npairs].link = i;
		pairs[npairs].target = (uint32_t)r;
		npairs++;
	}
	do {
		gen = keepset__generation(k);
		err = keepset__complete_dirs(k);
		if (err)
			goto out;
		/*
		 * Only entries not yet kept get a closure reason: otherwise a link and its target
		 * would each credit the other, and the report would explain nothing.
		 */
		for (size_t j = 0; j < npairs; j++) {
			bool link = keepset__has(k, pairs[j].link);
			bool target = keepset__has(k, pairs[j].target);

			if (link && !target) {
				err = keepset__add(k, pairs[j].target, KEEP_LINK_TARGET, 0, NULL);
				if (err)
					goto out;
			}
			if (target && !link) {
				err = keepset__add(k, pairs[j].link, KEEP_SYMLINK, 0, NULL);
				if (err)
					goto out;
			}
		}
	} while (keepset__generation(k) != gen);
out:
	free(pairs);
	if (added)
		*added = keepset__count(k) - before;
	return err;
}
