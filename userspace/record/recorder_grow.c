// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Dedup maps that grow: each target's map starts at the first size (recorder_config.
 * initial_files) and is replaced by one 4x bigger, up to max_files, as its events near it.
 *
 * Why it cannot fill before userspace acts: the kernel inserts a key only together with an
 * event (a key whose event the full ring refused is deleted again), so the keys of a
 * generation are at most the events userspace consumed plus those still in the ring, and the
 * ring holds at most ring_events. Growing once consumed + ring_events reaches the capacity
 * keeps every insertion below it, whatever the burst. Should it fill anyway (a bigger map
 * could not be made, or the cap is reached), the kernel still sends the event and counts
 * dedup_full: files are never lost, and the profile says its counts are incomplete.
 *
 * The swap keeps every count and key: the bigger map gets a copy of the old one's entries,
 * then takes its place in `seen` (the update returns once no program runs with the old map),
 * then what the programs added to the old map meanwhile moves over: keys new since the copy
 * into the new map, counts added to copied keys into the target's carried counts, which
 * recorder_collect.c adds to the profile. The generation stays the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "record.skel.h"
#include "recorder_internal.h"
#include "util.h"

#define GROWTH 4

int seen_map__create(const struct seen_spec *sp, uint32_t entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = sp->flags);

	return bpf_map_create(sp->type, "slz_seen", sp->key_size, sp->value_size, entries, &mo);
}

/*
 * Every dedup map userspace creates must match the template of the inner maps in type, key,
 * value and flags; libbpf drops the template once the outer map exists, so its spec is kept.
 * The capacity is free (the kernel compares it only for arrays). (libbpf 1.1 cannot resize
 * an inner map template: it crashes on one.)
 */
int seen_spec__init(struct seen_spec *sp, struct bpf_map *inner, uint32_t initial,
		    uint32_t max_entries, uint32_t ring_bytes)
{
	/* The smallest record: the event header, a one-byte path, the ring's 8-byte header. */
	uint32_t rec = (uint32_t)((SLZ_EVENT_HDR_SIZE + 1 + 7) & ~7ul) + 8;

	if (!inner)
		return slz_fail(EINVAL, "the BPF program has no dedup map template");
	*sp = (struct seen_spec){
		.type = bpf_map__type(inner),
		.key_size = bpf_map__key_size(inner),
		.value_size = bpf_map__value_size(inner),
		.flags = bpf_map__map_flags(inner),
		.max_entries = max_entries,
		.ring_events = ring_bytes / rec,
	};
	if (!initial) {
		uint64_t want = (uint64_t)sp->ring_events * 3 / 2;

		initial = want > RECORDER_INITIAL_FILES ? (uint32_t)want : RECORDER_INITIAL_FILES;
	}
	sp->initial = initial < max_entries ? initial : max_entries;
	return 0;
}

void target__drop_carried(struct target *t)
{
	free(t->carried);
	t->carried = NULL;
	t->ncarried = t->carried_cap = 0;
	t->nevents = 0;
	t->grow_failed = false;
	t->counts_lost = 0;
}

static int carry(struct target *t, const struct slz_seen_key *k, uint64_t count)
{
	int err = slz_grow((void **)&t->carried, &t->carried_cap, t->ncarried + 1,
			   sizeof(*t->carried));

	if (err)
		return err;
	t->carried[t->ncarried++] = (struct seen_count){*k, count};
	return 0;
}

/* All entries of a dedup map, about cap of them, into a new array (sorted by key). */
struct entries {
	struct slz_seen_key *keys;
	uint64_t *vals;
	size_t n, cap;
};

static void entries_free(struct entries *e)
{
	free(e->keys);
	free(e->vals);
	*e = (struct entries){0};
}

static int entries_reserve(struct entries *e, size_t need)
{
	size_t kc = e->cap, vc = e->cap;
	int err;

	err = slz_grow((void **)&e->keys, &kc, need, sizeof(*e->keys));
	if (!err)
		err = slz_grow((void **)&e->vals, &vc, need, sizeof(*e->vals));
	e->cap = kc < vc ? kc : vc;
	return err;
}

static int read_entries(int fd, size_t hint, struct entries *e)
{
	uint64_t in_batch = 0, out_batch = 0;
	bool first = true;
	int err;

	e->n = 0;
	if ((err = entries_reserve(e, hint + 1024)))
		return err;
	for (;;) {
		__u32 count;
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);

		if (e->cap - e->n < 1024 && (err = entries_reserve(e, e->cap * 2)))
			return err;
		count = (__u32)(e->cap - e->n);
		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, e->keys + e->n,
					   e->vals + e->n, &count, &opts);
		if (err && errno == ENOSPC && count == 0) {
			/* One bucket holds more than the room left. */
			if ((err = entries_reserve(e, e->cap * 2)))
				return err;
			continue;
		}
		if (err && errno != ENOENT)
			return -errno;
		e->n += count;
		if (err)
			return 0; /* ENOENT: that was the last batch */
		in_batch = out_batch;
		first = false;
	}
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct slz_seen_key));
}

/* Sort e by key (values along), for looking keys up while moving the late additions. */
static int entries_sort(struct entries *e)
{
	struct seen_count *tmp = malloc((e->n ? e->n : 1) * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++)
		tmp[i] = (struct seen_count){e->keys[i], e->vals[i]};
	qsort(tmp, e->n, sizeof(*tmp), key_cmp);
	for (size_t i = 0; i < e->n; i++) {
		e->keys[i] = tmp[i].key;
		e->vals[i] = tmp[i].count;
	}
	free(tmp);
	return 0;
}

/* e into the map that is not the programs' yet (BPF_ANY: nothing else writes it). */
static int write_entries(int fd, const struct entries *e)
{
	__u32 count = (__u32)e->n;

	if (!e->n || !bpf_map_update_batch(fd, e->keys, e->vals, &count, NULL))
		return 0;
	/* Batches unsupported, or stopped at an unknown point: all of it one by one. */
	for (size_t i = 0; i < e->n; i++) {
		if (bpf_map_update_elem(fd, &e->keys[i], &e->vals[i], BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * What the programs added to the old map since the copy (late, read after the swap) moves on:
 * a key the copy lacks into the new map (or, if a program put it there first, its count into
 * carried); a copied key's added count into carried.
 */
static int move_late(struct target *t, int new_fd, const struct entries *copy,
		     const struct entries *late)
{
	int err = 0;

	for (size_t i = 0; i < late->n && !err; i++) {
		const struct slz_seen_key *k = &late->keys[i];
		const struct slz_seen_key *c = bsearch(k, copy->keys, copy->n, sizeof(*k), key_cmp);

		if (c) {
			uint64_t before = copy->vals[c - copy->keys];

			if (late->vals[i] > before)
				err = carry(t, k, late->vals[i] - before);
		} else if (bpf_map_update_elem(new_fd, k, &late->vals[i], BPF_NOEXIST)) {
			err = carry(t, k, late->vals[i]);
		}
	}
	return err;
}

static int grow(struct recorder *r, uint32_t slot)
{
	struct target *t = &r->targets[slot];
	uint64_t want = (uint64_t)t->seen_cap * GROWTH;
	uint32_t cap = want < r->seen_spec.max_entries ? (uint32_t)want : r->seen_spec.max_entries;
	struct entries copy = {0}, late = {0};
	int fd, err;

	fd = seen_map__create(&r->seen_spec, cap);
	if (fd < 0)
		return fd;
	err = read_entries(t->seen_fd, t->seen_cap, &copy);
	if (!err)
		err = write_entries(fd, &copy);
	if (!err)
		err = entries_sort(&copy);
	if (!err)
		err = recorder_slot__install(r, slot, fd);
	if (err) {
		close(fd);
		goto out;
	}
	/*
	 * The new map is the programs' from here. Should the late additions not move, their
	 * files are not lost (the next access is an event again) but counts are: the profile
	 * then says so as a full map would (dedup_full).
	 */
	err = read_entries(t->seen_fd, copy.n, &late);
	if (!err)
		err = move_late(t, fd, &copy, &late);
	if (err)
		t->counts_lost++;
	close(t->seen_fd);
	t->seen_fd = fd;
	t->seen_cap = cap;
out:
	entries_free(&copy);
	entries_free(&late);
	return err;
}

void recorder_slot__count_event(struct recorder *r, uint32_t slot)
{
	struct target *t = &r->targets[slot];

	t->nevents++;
	if (t->grow_failed || t->seen_cap >= r->seen_spec.max_entries || t->seen_fd < 0 ||
	    t->nevents + r->seen_spec.ring_events < t->seen_cap)
		return;
	/* A failure keeps what it says in the slot (grow); not tried again this generation. */
	if (grow(r, slot))
		t->grow_failed = true;
}

uint32_t recorder__dedup_capacity(const struct recorder *r, uint32_t slot)
{
	if (slot >= SLZ_MAX_TARGETS || !r->targets[slot].used)
		return 0;
	return r->targets[slot].seen_cap;
}

int recorder__dedup_map_id(const struct recorder *r, uint32_t slot, uint32_t *id)
{
	*id = 0;
	if (slot >= SLZ_MAX_TARGETS)
		return -EINVAL;
	if (!slot && r->seen0_direct && !r->seen0_moved) {
		struct bpf_map_info info = {0};
		uint32_t len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_map__fd(r->skel->maps.seen0), &info, &len))
			return -errno;
		*id = info.id;
		return 0;
	}
	/* A map-in-map lookup from userspace gives the inner map's id. */
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.seen), &slot, id))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}
