// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where a plan's kept bytes come from: per reason class, and where the stat-only ones lie. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "plan.h"
#include "util.h"

#define USED_REASONS	    (KEEP_OPENED | KEEP_MMAPPED | KEEP_EXECED | KEEP_LISTED)
#define RULE_REASONS	    (((1u << KEEP_RULES_MAX) - 1) << KEEP_RULE_SHIFT)
/*
 * A directory stands for the stat-only bytes below it when it holds at least this share
 * (in tenths) of its parent's: the walk down stops where they spread out, so botocore's
 * 900 service models show as botocore/data, not as one of the 900.
 */
#define CONCENTRATED_TENTHS 9

static const char *const class_names[PRUNE_KEPT_CLASSES] = {
	[PRUNE_KEPT_USED] = "used",   [PRUNE_KEPT_GLOB] = "--keep",
	[PRUNE_KEPT_RULES] = "rules", [PRUNE_KEPT_STAT_ONLY] = "stat-only",
	[PRUNE_KEPT_OTHER] = "other",
};

const char *prune_kept_class__name(enum prune_kept_class c)
{
	return c < PRUNE_KEPT_CLASSES ? class_names[c] : "?";
}

static enum prune_kept_class class_of(uint32_t reasons)
{
	if (reasons & USED_REASONS)
		return PRUNE_KEPT_USED;
	if (reasons & KEEP_GLOB)
		return PRUNE_KEPT_GLOB;
	if (reasons & RULE_REASONS)
		return PRUNE_KEPT_RULES;
	if (reasons & KEEP_STAT_ONLY)
		return PRUNE_KEPT_STAT_ONLY;
	return PRUNE_KEPT_OTHER;
}

struct dir_sums {
	uint64_t *bytes, *files;
	uint32_t *best; /* the child directory with the most stat-only bytes; 0: none */
};

/* Follow the largest child while it holds nearly all of its parent's stat-only bytes. */
static uint32_t concentrate(const struct dir_sums *s, uint32_t d)
{
	while (s->best[d] && s->bytes[s->best[d]] * 10 >= s->bytes[d] * CONCENTRATED_TENTHS &&
	       s->bytes[d])
		d = s->best[d];
	return d;
}

static void add_dir(struct prune_plan *r, const struct dir_sums *s, uint32_t d)
{
	size_t i = r->nstat_dirs;

	if (!s->bytes[d] || i == PRUNE_STAT_DIRS_MAX)
		return;
	r->stat_dirs[i] = (struct prune_dir_bytes){d, s->files[d], s->bytes[d]};
	r->nstat_dirs++;
}

static void top_stat_dirs(struct prune_plan *r, const struct dir_sums *s, size_t n)
{
	uint32_t top = concentrate(s, 0);
	uint32_t pick[PRUNE_STAT_DIRS_MAX] = {0};

	if (top) {
		add_dir(r, s, top);
		return;
	}
	/* Spread from the root on: its largest children, each followed down. */
	for (size_t i = 1; i < n; i++) {
		struct tree_entry e;
		uint32_t c = (uint32_t)i;

		if (!s->bytes[i] || tree__get(r->tree, c, &e) || e.parent != 0)
			continue;
		for (size_t k = 0; k < PRUNE_STAT_DIRS_MAX; k++) {
			uint32_t t = pick[k];

			if (t && s->bytes[t] >= s->bytes[c])
				continue;
			pick[k] = c;
			c = t;
			if (!c)
				break;
		}
	}
	for (size_t k = 0; k < PRUNE_STAT_DIRS_MAX && pick[k]; k++)
		add_dir(r, s, concentrate(s, pick[k]));
}

int prune_plan__count_kept(struct prune_plan *r)
{
	size_t n = tree__count(r->tree);
	struct dir_sums s = {
		.bytes = calloc(n, sizeof(*s.bytes)),
		.files = calloc(n, sizeof(*s.files)),
		.best = calloc(n, sizeof(*s.best)),
	};
	struct tree_entry e;
	int err = 0;

	if (!s.bytes || !s.files || !s.best) {
		err = slz_fail(ENOMEM, "out of memory counting the kept bytes");
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		enum prune_kept_class c;
		uint64_t size;

		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e) ||
		    !S_ISREG(e.mode))
			continue;
		c = class_of(keepset__reasons(r->keep, (uint32_t)i));
		r->kept_files[c]++;
		r->kept_bytes[c] += e.size;
		if (c != PRUNE_KEPT_STAT_ONLY)
			continue;
		/* Every directory up to the root (index 0) holds these bytes. */
		size = e.size;
		for (uint32_t d = e.parent;; d = e.parent) {
			s.bytes[d] += size;
			s.files[d]++;
			if (!d || tree__get(r->tree, d, &e))
				break;
		}
	}
	/* Children come after their parents, so each directory's parent is complete here. */
	for (size_t i = 1; i < n; i++) {
		if (!s.bytes[i] || tree__get(r->tree, (uint32_t)i, &e))
			continue;
		if (!s.best[e.parent] || s.bytes[i] > s.bytes[s.best[e.parent]])
			s.best[e.parent] = (uint32_t)i;
	}
	top_stat_dirs(r, &s, n);
out:
	free(s.bytes);
	free(s.files);
	free(s.best);
	return err;
}
