// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Profiles out of the recorder: a copy of what a target's events built, plus the access counts
 * the kernel kept (each target's dedup map, and the hits still pending in the CPUs' hot caches)
 * and its counters. The caches are shared by all targets: one read of them serves every slot
 * asked for at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "record.skel.h"
#include "recorder_internal.h"
#include "util.h"

/* One dedup key's count into p, when the key is of t's current generation. */
static void add_key_count(const struct target *t, struct profile *p, const struct slz_seen_key *k,
			  uint64_t count)
{
	struct event_identity id;

	/* A program that raced a reset or removal may have left a key of an older generation. */
	if (k->gen != t->gen || !count)
		return;
	event__key_identity(k, &id);
	if (id.by_path) {
		const char *path = target__path(t, id.path_hash);

		if (path)
			profile__add_count(p, 0, 0, path, count);
	} else {
		profile__add_count(p, id.dev, id.ino, "", count);
	}
}

/* The access counts in a target's dedup map; batched where the kernel supports it. */
static int add_map_counts(const struct target *t, struct profile *p)
{
	enum { BATCH = 4096 };
	struct slz_seen_key *keys = malloc(BATCH * sizeof(*keys));
	uint64_t *vals = malloc(BATCH * sizeof(*vals));
	struct slz_seen_key k, next;
	uint64_t out_batch, in_batch;
	bool first = true, batched = true;
	int fd = t->seen_fd, err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);

		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, vals,
					   &count, &opts);
		if (err && errno != ENOENT) {
			if (first) {
				batched = false;
				err = 0;
				break;
			}
			err = -errno;
			goto out;
		}
		for (__u32 i = 0; i < count; i++)
			add_key_count(t, p, &keys[i], vals[i]);
		if (err) { /* ENOENT: that was the last batch */
			err = 0;
			break;
		}
		in_batch = out_batch;
		first = false;
	}
	if (batched)
		goto out;
	first = true;
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		uint64_t v;

		first = false;
		k = next;
		if (!bpf_map_lookup_elem(fd, &next, &v))
			add_key_count(t, p, &next, v);
	}
out:
	free(keys);
	free(vals);
	return err;
}

/*
 * Hits still pending in the CPUs' hot caches (not yet moved into a dedup map), for every slot
 * asked for: out_of[slot] is its profile, or NULL.
 */
static int add_pending_counts(struct recorder *r, struct profile *const *out_of)
{
	struct slz_cpu_state *percpu = calloc((size_t)r->ncpus, sizeof(*percpu));
	uint32_t zero = 0;
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.cpu_state), &zero, percpu)) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < r->ncpus; c++) {
		for (int i = 0; i < SLZ_HOT_SLOTS; i++) {
			const struct slz_hot_slot *hs = &percpu[c].hot[i];

			if (hs->pending && hs->slot < SLZ_MAX_TARGETS && out_of[hs->slot])
				add_key_count(&r->targets[hs->slot], out_of[hs->slot], &hs->key,
					      hs->pending);
		}
	}
out:
	free(percpu);
	return err;
}

static int read_stats(struct recorder *r, uint32_t slot, struct slz_stats *sum)
{
	struct slz_stats *percpu = calloc((size_t)r->ncpus, sizeof(*percpu));

	memset(sum, 0, sizeof(*sum));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.stats), &slot, percpu)) {
		free(percpu);
		return -errno;
	}
	for (int c = 0; c < r->ncpus; c++) {
		sum->events += percpu[c].events;
		sum->ringbuf_drops += percpu[c].ringbuf_drops;
		sum->dedup_full += percpu[c].dedup_full;
		sum->truncated += percpu[c].truncated;
	}
	free(percpu);
	return 0;
}

/* A copy of what slot's events built so far, with its dedup map's counts and its counters. */
static int collect(struct recorder *r, uint32_t slot, struct profile **out)
{
	const struct target *t = &r->targets[slot];
	struct profile *p = NULL;
	struct profile_header *h;
	struct slz_stats st;
	int err;

	err = profile__new(&p);
	if (!err && t->profile)
		err = profile__merge(p, t->profile);
	if (!err)
		err = add_map_counts(t, p);
	/* What the maps this generation outgrew counted after their copy (recorder_grow.c). */
	for (size_t i = 0; !err && i < t->ncarried; i++)
		add_key_count(t, p, &t->carried[i].key, t->carried[i].count);
	if (!err)
		err = read_stats(r, slot, &st);
	if (err) {
		profile__free(p);
		return slz_fail(err, "cannot collect the profile: %s", strerror(-err));
	}
	h = profile__header(p);
	/*
	 * Execs the sys_exit hook could not note (bpf/record.bpf.c: exec_notes_lost, no memory
	 * for the task's note) are not attributable to a target: every profile counts them, so
	 * none is pruned as complete without --force.
	 */
	h->lost_events = st.ringbuf_drops +
			 __atomic_load_n(&r->skel->bss->exec_notes_lost, __ATOMIC_SEQ_CST);
	h->dedup_full = st.dedup_full + t->counts_lost;
	h->truncated_paths = st.truncated;
	h->merged_from = 1;
	*out = p;
	return 0;
}

static int check_slot(const struct recorder *r, uint32_t slot, struct profile *const *out_of)
{
	const struct target *t = slot < SLZ_MAX_TARGETS ? &r->targets[slot] : NULL;

	if (!t || !t->used)
		return slz_fail(ENOENT, "no target in slot %u", slot);
	if (t->err)
		return slz_fail(t->err,
				"the profile of target %u is incomplete: one of its events could "
				"not be stored (%s)",
				slot, strerror(-t->err));
	if (out_of[slot])
		return slz_fail(EINVAL, "target %u asked for twice", slot);
	return 0;
}

int recorder__profiles(struct recorder *r, const uint32_t *slots, size_t n, struct profile **out)
{
	struct profile **out_of;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	out_of = calloc(SLZ_MAX_TARGETS, sizeof(*out_of));
	if (!out_of)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		err = check_slot(r, slots[i], out_of);
		if (!err)
			err = collect(r, slots[i], &out[i]);
		if (!err)
			out_of[slots[i]] = out[i];
	}
	if (!err && (err = add_pending_counts(r, out_of)))
		err = slz_fail(err, "cannot collect the profile: %s", strerror(-err));
	free(out_of);
	if (err) {
		for (size_t i = 0; i < n; i++) {
			profile__free(out[i]);
			out[i] = NULL;
		}
	}
	return err;
}

int recorder__profile(struct recorder *r, uint32_t slot, struct profile **out)
{
	return recorder__profiles(r, &slot, 1, out);
}

void recorder__on_entry(struct recorder *r, recorder_entry_fn fn, void *ctx)
{
	r->entry_fn = fn;
	r->entry_ctx = fn ? ctx : NULL;
}
