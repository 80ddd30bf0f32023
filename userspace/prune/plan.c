// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "host.h"
#include "plan.h"
#include "pycheck.h"
#include "util.h"
#include "zipahead.h"
#include "zipname.h"

static bool same_boot(const struct profile *p)
{
	const char *recorded = profile__header_const(p)->boot_id;
	char now[64];

	return recorded && !host__boot_id(now, sizeof(now)) && !strcmp(recorded, now);
}

#define TOUCHED_REASONS (KEEP_OPENED | KEEP_MMAPPED | KEEP_EXECED | KEEP_STAT_ONLY | KEEP_LISTED)

/*
 * Apply --drop, counting files the workload itself touched that it removes: a program may
 * survive their absence silently (try: import ... except ImportError), so the user is told.
 */
static int drop_and_count(struct globs *g, struct prune_plan *r)
{
	size_t n = tree__count(r->tree);
	/* 1: kept before the drop, 2: touched by the workload too. */
	uint8_t *was = calloc(n, sizeof(*was));
	int err;

	if (!was)
		return -ENOMEM;
	for (size_t i = 1; i < n; i++)
		was[i] = keepset__has(r->keep, (uint32_t)i) |
			 (keepset__reasons(r->keep, (uint32_t)i) & TOUCHED_REASONS ? 2 : 0);
	err = globs__apply_drop(g, r->keep, &r->glob_dropped);
	for (size_t i = 1; !err && i < n; i++) {
		struct tree_entry e;

		if (!was[i] || keepset__has(r->keep, (uint32_t)i))
			continue;
		r->left_out[i] = PLAN_LEFT_OUT_DROP;
		if (!(was[i] & 2) || tree__get(r->tree, (uint32_t)i, &e) || S_ISDIR(e.mode))
			continue;
		if (!r->dropped_touched++)
			r->first_dropped_touched = (uint32_t)i;
	}
	free(was);
	return err;
}

/*
 * Closure rules and the symlink closure feed each other (a link to a kept .so, a .so that
 * needs a library reached through a link): rules__apply alternates them until neither adds
 * anything, in one run, so no rule reads a file twice.
 */
static void deflate_kept(void *ahead, uint32_t idx)
{
	/* -ENOMEM only means the writer deflates that file itself. */
	(void)zipahead__add(ahead, idx);
}

/* ahead: the deflaters of this tree's zip (prune__plan checked), or NULL. */
static int closure(struct keepset *k, const struct rules_opts *rules, struct zipahead *ahead,
		   struct prune_plan *r)
{
	struct rules_opts o = *rules;
	struct rules_stats st = {0};
	int err;

	o.symlinks = true;
	if (ahead) {
		o.on_keep = deflate_kept;
		o.on_keep_arg = ahead;
		o.head = zipahead__head;
		o.head_arg = ahead;
	}
	err = rules__apply(k, &o, &st);
	if (!err)
		rules_stats__add(&r->rules, &st);
	return err;
}

/*
 * A symlink whose target is absolute or climbs out of the tree would dangle (or point at
 * whatever the target system has) once deployed, and verify would refuse to extract it: it is
 * left out and named in the result. Two tests: the link's own text (what the zip writer
 * checks), and its resolution through the tree's other links (what the extractor checks).
 */
static void drop_links_outside(struct prune_plan *r)
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
			r->left_out[i] = PLAN_LEFT_OUT_LINK;
			if (!r->links_outside++)
				r->first_link_outside = (uint32_t)i;
		}
	}
	slz_errclear();
}

static void totals(struct prune_plan *r)
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

/* Entries whose path lost its head: only an inode of this boot can say what they are. */
static uint64_t count_truncated(const struct profile *p)
{
	uint64_t n = 0;

	for (size_t i = 0; i < profile__count(p); i++)
		n += !!(profile__entry(p, i)->flags & SLZ_EVF_TRUNCATED);
	return n;
}

/* Profile entries that matched a tree entry other than a directory. */
static uint64_t matched_files(const struct resolve_stats *st)
{
	return st->by_inode + st->by_path - st->matched_dirs;
}

/* The refusals the profiles earn before anything is matched: recorded loss. */
static int refuse_loss(const struct profile *const *profiles, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct profile_header *h = profile__header_const(profiles[i]);

		if (h->daemon_restarted && !h->lost_events)
			return slz_fail(EBADMSG,
					"the profile was recorded by a daemon that was killed and "
					"restarted (daemon-restarted: %llu): what it recorded last "
					"may be missing; record again or pass --force to prune "
					"anyway",
					(unsigned long long)h->daemon_restarted);
		if (profile__has_loss(profiles[i]))
			return slz_fail(
				EBADMSG,
				"the profile recorded %llu lost events: files the workload needed "
				"may be missing from it; record again (larger --ringbuf-mb) or "
				"pass "
				"--force to prune anyway",
				(unsigned long long)profile__header_const(profiles[i])
					->lost_events);
	}
	return 0;
}

/*
 * Files the workload touched that lie below a directory the walk could not list: they may be
 * there, but the zip would silently lack them. Refused unless --force.
 */
static int refuse_unlistable(const struct prune_plan *r)
{
	const struct resolve_stats *st = &r->resolve;
	struct tree_entry d = {.path = "?"};

	if (!st->under_unlistable)
		return 0;
	tree__get(r->tree, st->first_unlistable_dir, &d);
	return slz_fail(ENODATA,
			"%llu file%s the profile touched lie%s below directories that cannot be "
			"listed (first: %s, below %s/): the zip would lack %s; prune as a user "
			"who can list the tree, or pass --force to prune without %s",
			(unsigned long long)st->under_unlistable,
			st->under_unlistable == 1 ? "" : "s", st->under_unlistable == 1 ? "s" : "",
			st->first_under_unlistable, d.path,
			st->under_unlistable == 1 ? "it" : "them",
			st->under_unlistable == 1 ? "it" : "them");
}

/* Kept names that are not valid UTF-8: zip tools read them differently (CP437, locale). */
static void count_non_utf8(struct prune_plan *r)
{
	struct tree_entry e;

	for (size_t i = 1; i < tree__count(r->tree); i++) {
		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e) ||
		    escape__is_utf8(e.path, strlen(e.path)))
			continue;
		if (!r->non_utf8_names++)
			r->first_non_utf8 = (uint32_t)i;
	}
}

/* Mark every tree entry a written profile entry stands for (bits), as resolve matches it. */
static int mark_written(struct prune_plan *r, const struct profile_entry *e, bool inodes,
			uint8_t bits)
{
	struct resolve_opts ro = {.match_inodes = inodes};
	struct tree_entry te;
	bool by_inode;
	int64_t idx = resolve__entry(r->tree, e, &ro, &by_inode);

	if (idx == -ENOMEM)
		return -ENOMEM;
	if (idx >= 0 && by_inode) {
		/* A hard-linked inode: each name was written through the one inode. */
		for (; idx >= 0; idx = tree__next_link(r->tree, (uint32_t)idx))
			r->written[idx] |= bits;
		return 0;
	}
	if (idx > 0 && !tree__get(r->tree, (uint32_t)idx, &te) && !S_ISDIR(te.mode))
		r->written[idx] |= bits;
	return 0;
}

/* Which tree files the profiles say the run created or modified; r->written stays NULL if none. */
static int find_written(struct prune_plan *r, const struct profile *const *profiles, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool inodes = same_boot(profiles[i]);

		for (size_t j = 0; j < profile__count(profiles[i]); j++) {
			const struct profile_entry *e = profile__entry(profiles[i], j);
			uint8_t bits = e->kinds & SLZ_KIND_CREATE ? PLAN_WRITTEN_CREATED
								  : PLAN_WRITTEN_MODIFIED;
			int err;

			if (!(e->kinds & SLZ_KIND_WRITTEN))
				continue;
			if (!r->written) {
				r->written = calloc(tree__count(r->tree), 1);
				if (!r->written)
					return -ENOMEM;
			}
			err = mark_written(r, e, inodes, bits);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Compiled bytecode of a source the zip keeps: <dir>/__pycache__/<stem>.<tag>.pyc or, the
 * older layout, <stem>.pyc beside <stem>.py.
 */
static bool bytecode_of_kept_source(const struct prune_plan *r, const char *path)
{
	char src[4096];
	size_t len = strlen(path);
	int64_t idx;

	if (len < 5 || strcmp(path + len - 4, ".pyc"))
		return false;
	if (!pycheck__source_path(path, src, sizeof(src))) {
		if (len >= sizeof(src))
			return false;
		memcpy(src, path, len - 1); /* x.pyc -> x.py */
		src[len - 1] = '\0';
	}
	idx = tree__find_path(r->tree, src);
	return idx > 0 && keepset__has(r->keep, (uint32_t)idx);
}

/*
 * Leave out what the run created (see struct prune_plan), and count what it modified. Sources
 * are judged before bytecode, so the .pyc of a .py the run generated goes with it.
 */
static int leave_out_created(struct prune_plan *r, const struct prune_policy *pol,
			     const struct profile *const *profiles, size_t n)
{
	const uint32_t asked = KEEP_GLOB | KEEP_VERIFY_FIX;
	size_t count = tree__count(r->tree);
	int err = find_written(r, profiles, n);

	if (err || !r->written)
		return err;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < count; i++) {
			struct tree_entry e;
			bool pyc;

			if (!(r->written[i] & PLAN_WRITTEN_CREATED) ||
			    !keepset__has(r->keep, (uint32_t)i) ||
			    tree__get(r->tree, (uint32_t)i, &e))
				continue;
			pyc = strlen(e.path) > 4 && !strcmp(e.path + strlen(e.path) - 4, ".pyc");
			if (pyc != (pass == 1))
				continue;
			if (pol->keep_created || (keepset__reasons(r->keep, (uint32_t)i) & asked)) {
				r->created_kept++;
			} else if (pyc && bytecode_of_kept_source(r, e.path)) {
				r->created_bytecode_kept++;
			} else {
				keepset__remove(r->keep, (uint32_t)i);
				r->written[i] |= PLAN_WRITTEN_LEFT_OUT;
				if (!r->created_left_out++)
					r->first_created_left_out = (uint32_t)i;
			}
		}
	}
	for (size_t i = 1; i < count; i++) {
		if (r->written[i] != PLAN_WRITTEN_MODIFIED || !keepset__has(r->keep, (uint32_t)i))
			continue;
		if (!r->modified++)
			r->first_modified = (uint32_t)i;
	}
	return 0;
}

/* The profiles' entries outside the tree, classified by what Lambda has (hostdeps.h). */
static int plan_host(const struct tree *t, const struct profile *const *profiles, size_t n,
		     struct prune_plan *r)
{
	int err;

	if (!n)
		return 0;
	err = hostdeps__new(t, &r->host);
	for (size_t i = 0; !err && i < n; i++)
		err = hostdeps__add_profile(r->host, profiles[i], same_boot(profiles[i]));
	if (!err)
		err = hostdeps__classify(r->host);
	return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory classifying host files") : err;
}

/*
 * What is kept before the rules run (the profiles' files, the seed, --keep) is most of the zip:
 * hand its files to the zip's deflaters now, so they work while the closure, the drops and the
 * counts go on. A file dropped later is discarded by the writer; a failure here only means the
 * writer deflates that file itself.
 */
static void deflate_early(struct zipahead *ahead, struct prune_plan *r)
{
	size_t n = tree__count(r->tree);

	if (!ahead)
		return;
	for (size_t i = 1; i < n; i++)
		if (keepset__has(r->keep, (uint32_t)i) &&
		    zipahead__add(ahead, (uint32_t)i) == -ENOMEM)
			break;
}

int prune__plan(const struct tree *t, const struct prune_policy *pol,
		const struct profile *const *profiles, size_t nprofiles, const struct keepset *seed,
		struct prune_plan *r)
{
	struct zipahead *ahead;
	int err;

	memset(r, 0, sizeof(*r));
	r->tree = t;
	if (!pol->force && (err = refuse_loss(profiles, nprofiles)))
		return err;
	err = keepset__new(t, &r->keep);
	if (err)
		return err;
	r->left_out = calloc(tree__count(t) ? tree__count(t) : 1, 1);
	if (!r->left_out)
		return -ENOMEM;
	r->match_inodes = nprofiles > 0;
	for (size_t i = 0; i < nprofiles; i++) {
		struct resolve_opts ro = {.match_inodes = same_boot(profiles[i])};
		uint64_t truncated_before = r->resolve.truncated_unresolved;

		r->match_inodes &= ro.match_inodes;
		err = resolve__profile(r->keep, profiles[i], &ro, &r->resolve);
		if (err)
			return err;
		/*
		 * The resolver tells a truncated path harmless when its inode is in the tree, even
		 * when inodes cannot be trusted: from another boot, that inode may be any file.
		 */
		if (!ro.match_inodes)
			r->resolve.truncated_unresolved =
				truncated_before + count_truncated(profiles[i]);
	}
	err = plan_host(t, profiles, nprofiles, r);
	if (err)
		return err;
	if (r->resolve.truncated_unresolved && !pol->force)
		return slz_fail(
			EBADMSG,
			"%llu profile paths were truncated (deeper than the recorder can "
			"walk) and match no file of the tree by inode%s; pass --force to prune "
			"anyway, or --keep what lies under them",
			(unsigned long long)r->resolve.truncated_unresolved,
			r->match_inodes ? ""
					: " (a profile from another boot is matched by path only)");
	if (!pol->force && (err = refuse_unlistable(r)))
		return err;
	if (seed)
		err = keepset__merge(r->keep, seed);
	if (!err && pol->globs)
		err = globs__apply_keep(pol->globs, r->keep, &r->glob_kept);
	if (err)
		return err;
	/*
	 * A profile of no file at all (a header-only or cut profile, a recording that saw
	 * nothing) would give an empty zip: refused like a wrong tree unless --keep asked for
	 * files.
	 */
	if (!pol->force && nprofiles && !r->resolve.touched && !r->glob_kept && !seed)
		return slz_fail(ENODATA,
				"the profile holds no file the workload touched (%llu entries, "
				"none but failed lookups): there is nothing to keep; record it "
				"again, or --keep what the zip must hold (--force writes the zip "
				"anyway)",
				(unsigned long long)r->resolve.entries);
	/*
	 * Nothing matched and nothing was asked for by --keep: most likely the wrong tree. A
	 * match of directories only is no match: a command started inside the tree touches the
	 * tree's root (its cwd) even when it uses nothing there.
	 */
	if (!pol->force && !matched_files(&r->resolve) && !r->glob_kept && !seed &&
	    r->resolve.touched)
		return r->resolve.matched_dirs
			       ? slz_fail(ENODATA,
					  "of the %llu files in the profile only %llu "
					  "director%s of %s matched, no file: is it the tree that "
					  "was recorded? (recorded at another path: --tree-path-as "
					  "PATH; --force writes the zip anyway)",
					  (unsigned long long)r->resolve.touched,
					  (unsigned long long)r->resolve.matched_dirs,
					  r->resolve.matched_dirs == 1 ? "y" : "ies", tree__root(t))
			       : slz_fail(ENODATA,
					  "none of the %llu files in the profile lies in %s: is "
					  "it the tree that was recorded? (recorded at another "
					  "path: --tree-path-as PATH; --force writes the zip "
					  "anyway)",
					  (unsigned long long)r->resolve.touched, tree__root(t));
	/* Only deflaters of this tree's zip: another tree's heads would be other files' bytes. */
	ahead = zipahead__pool(pol->zip.ahead, t, pol->zip.level) ? pol->zip.ahead : NULL;
	deflate_early(ahead, r);
	err = closure(r->keep, &pol->rules, ahead, r);
	if (!err)
		err = leave_out_created(r, pol, profiles, nprofiles);
	if (!err)
		err = keepset__complete_dirs(r->keep);
	/* Drops come last: they beat every other reason to keep. */
	if (!err && pol->globs)
		err = drop_and_count(pol->globs, r);
	if (err)
		return err;
	drop_links_outside(r);
	totals(r);
	count_non_utf8(r);
	/*
	 * Whatever matched, a zip without a single file cannot be a function: refused (after
	 * --drop, which may have removed everything the profile asked for).
	 */
	if (!pol->force && !r->after_files && !seed)
		return r->created_left_out
			       ? slz_fail(ENODATA,
					  "the zip would hold no file: the %llu file%s the "
					  "workload used %s created by the run itself, and left "
					  "out (--keep-created keeps them; --force writes the zip "
					  "anyway)",
					  (unsigned long long)r->created_left_out,
					  r->created_left_out == 1 ? "" : "s",
					  r->created_left_out == 1 ? "was" : "were")
			       : slz_fail(ENODATA,
					  "the zip would hold no file (%llu entries kept, none a "
					  "regular file): nothing the workload used is left; "
					  "check the profile, --tree and --drop (--force writes "
					  "the zip anyway)",
					  (unsigned long long)keepset__count(r->keep));
	return prune_plan__count_kept(r);
}

void prune_plan__release(struct prune_plan *pl)
{
	if (!pl)
		return;
	keepset__free(pl->keep);
	pl->keep = NULL;
	free(pl->written);
	pl->written = NULL;
	free(pl->left_out);
	pl->left_out = NULL;
	hostdeps__free(pl->host);
	pl->host = NULL;
}
