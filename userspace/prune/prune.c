// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slz_vocab.h"
#include "prune.h"
#include "util.h"
#include "zipname.h"

/* Closure rules and the symlink closure feed each other (a link to a kept .so, a .so that
 * needs a library reached through a link): alternate them until neither adds anything. */
#define CLOSURE_MAX_ROUNDS 32

int prune__boot_id(char *buf, size_t len)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool same_boot(const struct profile *p)
{
	const char *recorded = profile__header_const(p)->boot_id;
	char now[64];

	return recorded && !prune__boot_id(now, sizeof(now)) && !strcmp(recorded, now);
}

static uint64_t count_truncated_unresolved(const struct profile *p, const struct tree *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);

		/* A truncated path is harmless when the file was still found by its inode. */
		if ((e->flags & SLZ_EVF_TRUNCATED) &&
		    !(e->ino && tree__find_inode(t, e->dev, e->ino) >= 0))
			n++;
	}
	return n;
}

/* Profile entries that stand for a file touched (failed lookups excluded). */
static uint64_t touched_entries(const struct profile *p)
{
	uint64_t n = 0;

	for (size_t i = 0; i < profile__count(p); i++)
		n += (profile__entry(p, i)->kinds & ~SLZ_KIND_MISSING) != 0;
	return n;
}

#define TOUCHED_REASONS (KEEP_OPENED | KEEP_MMAPPED | KEEP_EXECED | KEEP_STAT_ONLY | KEEP_LISTED)

/*
 * Apply --drop, counting files the workload itself touched that it removes: a program may
 * survive their absence silently (try: import ... except ImportError), so the user is told.
 */
static int drop_and_count(struct globs *g, struct prune_result *r)
{
	size_t n = tree__count(r->tree);
	bool *touched = calloc(n, sizeof(*touched));
	int err;

	if (!touched)
		return -ENOMEM;
	for (size_t i = 1; i < n; i++)
		touched[i] = keepset__reasons(r->keep, (uint32_t)i) & TOUCHED_REASONS;
	err = globs__apply_drop(g, r->keep, &r->glob_dropped);
	for (size_t i = 1; !err && i < n; i++) {
		struct tree_entry e;

		if (!touched[i] || keepset__has(r->keep, (uint32_t)i) ||
		    tree__get(r->tree, (uint32_t)i, &e) || S_ISDIR(e.mode))
			continue;
		if (!r->dropped_touched++)
			r->first_dropped_touched = (uint32_t)i;
	}
	free(touched);
	return err;
}

static int add_extra(struct keepset *k, const struct prune_opts *o)
{
	const struct tree *t = keepset__tree(k);

	for (size_t i = 0; i < o->n_extra_keep; i++) {
		int64_t idx = tree__find_path(t, o->extra_keep[i]);
		int err;

		if (idx < 0)
			continue; /* gone from the tree since: nothing to add */
		err = keepset__add(k, (uint32_t)idx, KEEP_VERIFY_FIX, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

static int closure(struct keepset *k, const struct prune_opts *o, struct prune_result *r)
{
	for (int round = 0; round < CLOSURE_MAX_ROUNDS; round++) {
		uint64_t gen = keepset__generation(k);
		struct rules_stats st = {0};
		int err;

		err = rules__apply(k, &o->rules, &st);
		if (err)
			return err;
		rules_stats__add(&r->rules, &st);
		err = resolve__symlink_closure(k, NULL);
		if (err)
			return err;
		if (keepset__generation(k) == gen)
			return 0;
	}
	return slz_fail(ELOOP, "closure rules did not settle after %d rounds", CLOSURE_MAX_ROUNDS);
}

/*
 * A symlink whose target is absolute or climbs out of the tree would dangle (or point at
 * whatever the target system has) once deployed, and verify would refuse to extract it: it is
 * left out and named in the result. Two tests: the link's own text (what the zip writer
 * checks), and its resolution through the tree's other links (what the extractor checks).
 */
static void drop_links_outside(struct prune_result *r)
{
	struct tree_entry e;

	for (size_t i = 1; i < tree__count(r->tree); i++) {
		int64_t to;

		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e) ||
		    !S_ISLNK(e.mode))
			continue;
		/* The text alone can look inside while a link on the way (d -> .) leads out. */
		to = tree__resolve(r->tree, e.path, true);
		if (!e.link_target || zipname__check_link(e.path, e.link_target) || to == -EXDEV ||
		    to == -ELOOP) {
			keepset__remove(r->keep, (uint32_t)i);
			if (!r->links_outside++)
				r->first_link_outside = (uint32_t)i;
		}
	}
	slz_errclear();
}

static void totals(struct prune_result *r)
{
	struct tree_entry e;

	tree__totals(r->tree, &r->before_files, &r->before_bytes);
	for (size_t i = 0; i < tree__count(r->tree); i++) {
		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e))
			continue;
		if (S_ISREG(e.mode)) {
			r->after_files++;
			r->after_bytes += e.size;
		}
	}
}

int prune__run(const struct profile *p, const struct prune_opts *o, struct prune_result *r)
{
	TREE_OPTS(to, .recorded_at = o->recorded_at);
	struct resolve_opts ro = {0};
	uint64_t touched;
	int err;

	memset(r, 0, sizeof(*r));
	if (profile__has_loss(p) && !o->force)
		return slz_fail(
			EBADMSG,
			"the profile recorded %llu lost events: files the workload needed "
			"may be missing from it; record again (larger --ringbuf-mb) or pass "
			"--force to prune anyway",
			(unsigned long long)profile__header_const(p)->lost_events);
	err = tree__open(o->tree_dir, &to, &r->tree);
	if (err)
		return err;
	err = keepset__new(r->tree, &r->keep);
	if (err)
		return err;

	r->match_inodes = same_boot(p);
	ro.match_inodes = r->match_inodes;
	err = resolve__profile(r->keep, p, &ro, &r->resolve);
	if (err)
		return err;
	r->truncated_unresolved = count_truncated_unresolved(p, r->tree);
	if (r->truncated_unresolved && !o->force)
		return slz_fail(
			EBADMSG,
			"%llu profile paths were truncated (deeper than the recorder can "
			"walk) and match no file of the tree by inode; pass --force to prune "
			"anyway, or --keep what lies under them",
			(unsigned long long)r->truncated_unresolved);
	err = add_extra(r->keep, o);
	if (!err && o->globs)
		err = globs__apply_keep(o->globs, r->keep, &r->glob_kept);
	if (err)
		return err;
	/* Nothing matched and nothing was asked for by --keep: most likely the wrong tree. */
	touched = touched_entries(p);
	if (!o->force && !r->resolve.by_inode && !r->resolve.by_path && !r->glob_kept &&
	    !o->n_extra_keep && touched)
		return slz_fail(
			ENODATA,
			"none of the %llu files in the profile lies in %s: is it the tree "
			"that was recorded? (recorded at another path: --tree-path-as PATH; "
			"--force writes the zip anyway)",
			(unsigned long long)touched, tree__root(r->tree));
	err = closure(r->keep, o, r);
	if (!err)
		err = keepset__complete_dirs(r->keep);
	/* Drops come last: they beat every other reason to keep. */
	if (!err && o->globs)
		err = drop_and_count(o->globs, r);
	if (err)
		return err;
	drop_links_outside(r);
	totals(r);
	if (o->dry_run)
		return 0;
	return zipwrite__write(r->keep, o->out_zip, &o->zip, &r->zip);
}

void prune_result__free(struct prune_result *r)
{
	if (!r)
		return;
	keepset__free(r->keep);
	tree__free(r->tree);
	r->keep = NULL;
	r->tree = NULL;
}
