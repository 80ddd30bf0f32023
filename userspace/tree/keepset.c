// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parallel arrays over tree indexes: 12 bytes per tree entry whatever is kept. Commands are
 * interned (a workload has few distinct comms), so the first toucher costs one index, not 16
 * bytes, per entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hashmap.h"
#include "keepset.h"
#include "util.h"

#define COMM_LEN 16

struct keepset {
	const struct tree *t;
	size_t n;
	uint32_t *reasons;
	uint32_t *pid;
	uint32_t *comm; /* 1 + index into comms; 0 when none */
	char (*comms)[COMM_LEN];
	size_t ncomms, comms_cap;
	struct idxmap *comm_index;
	uint64_t count;
	uint64_t generation;
};

int keepset__new(const struct tree *t, struct keepset **out)
{
	struct keepset *k;
	int err = -ENOMEM;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->t = t;
	k->n = tree__count(t);
	k->reasons = calloc(k->n, sizeof(*k->reasons));
	k->pid = calloc(k->n, sizeof(*k->pid));
	k->comm = calloc(k->n, sizeof(*k->comm));
	if (!k->reasons || !k->pid || !k->comm)
		goto err;
	err = idxmap__new(&k->comm_index);
	if (err)
		goto err;
	*out = k;
	return 0;
err:
	keepset__free(k);
	return slz_fail(err, "out of memory for the keep set of %zu entries", tree__count(t));
}

void keepset__free(struct keepset *k)
{
	if (!k)
		return;
	idxmap__free(k->comm_index);
	free(k->comms);
	free(k->comm);
	free(k->pid);
	free(k->reasons);
	free(k);
}

const struct tree *keepset__tree(const struct keepset *k)
{
	return k->t;
}

static bool comm_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct keepset *k = ctx;

	return strncmp(k->comms[idx], key, COMM_LEN) == 0;
}

/* 1 + the interned index of comm. */
static int intern_comm(struct keepset *k, const char *comm, uint32_t *out)
{
	size_t len = strnlen(comm, COMM_LEN - 1);
	uint64_t h = slz_hash_bytes(comm, len, 0);
	int64_t found;
	int err;

	found = idxmap__find(k->comm_index, h, comm_eq, comm, k);
	if (found >= 0) {
		*out = (uint32_t)found + 1;
		return 0;
	}
	err = slz_grow((void **)&k->comms, &k->comms_cap, k->ncomms + 1, sizeof(*k->comms));
	if (err)
		return err;
	memset(k->comms[k->ncomms], 0, COMM_LEN);
	memcpy(k->comms[k->ncomms], comm, len);
	err = idxmap__insert(k->comm_index, h, k->ncomms);
	if (err)
		return err;
	*out = ++k->ncomms;
	return 0;
}

int keepset__add(struct keepset *k, uint32_t idx, uint32_t reason, uint32_t pid, const char *comm)
{
	uint32_t old;
	int err;

	if (idx >= k->n)
		return slz_fail(EINVAL, "keep: index %u out of range (tree has %zu entries)", idx,
				k->n);
	if (!reason)
		return slz_fail(EINVAL, "keep: no reason given for entry %u", idx);
	old = k->reasons[idx];
	if ((old | reason) != old) {
		k->reasons[idx] = old | reason;
		k->generation++;
		if (!old)
			k->count++;
	}
	/* The first add that knows who touched the file wins; later ones only add reasons. */
	if (!k->pid[idx] && !k->comm[idx] && (pid || (comm && *comm))) {
		k->pid[idx] = pid;
		if (comm && *comm) {
			err = intern_comm(k, comm, &k->comm[idx]);
			if (err)
				return slz_fail(err, "out of memory recording who touched entry %u",
						idx);
		}
	}
	return 0;
}

int keepset__merge(struct keepset *dst, const struct keepset *src)
{
	if (dst->t != src->t)
		return slz_fail(EINVAL, "keep: cannot merge keep sets of two different trees");
	for (size_t i = 0; i < src->n; i++) {
		int err;

		if (!src->reasons[i])
			continue;
		err = keepset__add(dst, (uint32_t)i, src->reasons[i], src->pid[i],
				   keepset__first_comm(src, (uint32_t)i));
		if (err)
			return err;
	}
	return 0;
}

bool keepset__remove(struct keepset *k, uint32_t idx)
{
	if (idx >= k->n || !k->reasons[idx])
		return false;
	/* Generation counts additions only, so a fixpoint loop that also drops still ends. */
	k->reasons[idx] = 0;
	k->pid[idx] = 0;
	k->comm[idx] = 0;
	k->count--;
	return true;
}

bool keepset__has(const struct keepset *k, uint32_t idx)
{
	return idx < k->n && k->reasons[idx];
}

uint32_t keepset__reasons(const struct keepset *k, uint32_t idx)
{
	return idx < k->n ? k->reasons[idx] : 0;
}

uint32_t keepset__first_pid(const struct keepset *k, uint32_t idx)
{
	return idx < k->n ? k->pid[idx] : 0;
}

const char *keepset__first_comm(const struct keepset *k, uint32_t idx)
{
	if (idx >= k->n || !k->comm[idx])
		return "";
	return k->comms[k->comm[idx] - 1];
}

uint64_t keepset__count(const struct keepset *k)
{
	return k->count;
}

uint64_t keepset__generation(const struct keepset *k)
{
	return k->generation;
}

int keepset__complete_dirs(struct keepset *k)
{
	struct tree_entry e;
	int err;

	/*
	 * Tree order puts every parent before its children, so one pass from the end reaches
	 * each ancestor after all of its descendants have been seen.
	 */
	for (size_t i = k->n; i-- > 1;) {
		if (!k->reasons[i])
			continue;
		err = tree__get(k->t, i, &e);
		if (err)
			return err;
		if (e.parent == 0)
			continue;
		err = keepset__add(k, e.parent, KEEP_DIRECTORY, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

/* The names of the bits below the rules' range; KEEP_VERIFY_FIX comes after it. */
static const char *const reason_names[] = {
	"opened",	   "mmapped",	  "execed",    "stat-only", "keep-glob",
	"symlink-to-kept", "link-target", "directory", "listed",
};
_Static_assert(ARRAY_SIZE(reason_names) == KEEP_RULE_SHIFT, "a reason bit without a name");
_Static_assert(KEEP_VERIFY_FIX == 1u << (KEEP_RULE_SHIFT + KEEP_RULES_MAX), "reason bits overlap");

/* Bit i's name into name; false for a bit that means nothing. */
static bool reason_name(size_t i, const char *(*rule_name)(size_t i), char *name, size_t len)
{
	const char *rule;

	if (i < KEEP_RULE_SHIFT) {
		snprintf(name, len, "%s", reason_names[i]);
	} else if (i < KEEP_RULE_SHIFT + KEEP_RULES_MAX) {
		rule = rule_name ? rule_name(i - KEEP_RULE_SHIFT) : NULL;
		if (rule)
			snprintf(name, len, "rule-%s", rule);
		else
			snprintf(name, len, "rule-%zu", i - KEEP_RULE_SHIFT);
	} else if (1u << i == KEEP_VERIFY_FIX) {
		snprintf(name, len, "verify-fix");
	} else {
		return false;
	}
	return true;
}

int keepset__reasons_str(uint32_t reasons, const char *(*rule_name)(size_t i), char *buf,
			 size_t len)
{
	size_t used = 0;
	bool full = false;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < 32; i++) {
		char name[64];
		int n;

		if (!(reasons & (1u << i)) || !reason_name(i, rule_name, name, sizeof(name)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= len - used) {
			/* Whole names only: a cut-off name would read as a different reason. */
			buf[used] = '\0';
			full = true;
			break;
		}
		used += n;
	}
	return full ? -ENOSPC : 0;
}
