/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Targets and deduplication for record.bpf.c: which target slot (and generation) the current
 * task belongs to, and whether this (file, kind) is new for that target.
 *
 * The answer for a cgroup is cached per CPU and in an LRU map, each answer tagged with the
 * targets_version it was computed under, so userspace changes targets in O(1) by bumping it.
 * Each slot's dedup map is an inner map of `seen`, created by userspace per generation; keys
 * carry the generation, and so do the entries of the per-CPU cache of recent keys, so neither
 * the map a racing program wrote into nor a cached key can hide a file from a new generation.
 */
#ifndef SLIMZIP_BPF_TARGETS_H
#define SLIMZIP_BPF_TARGETS_H

/* The cgroup levels searched for a target above the current cgroup. */
#define MAX_CGROUP_LEVELS 64

#include "tasktag.bpf.h"

/* Target cgroups: cgroup id -> slot and generation. Descendants match through the caches below. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLZ_MAX_TARGETS);
	__type(key, __u64);
	__type(value, struct slz_target);
} targets SEC(".maps");

/* What current_target() found for a cgroup, and under which targets_version. */
struct target_answer {
	__u32 slot1; /* slot + 1 of the deepest target at or above the cgroup, 0: none */
	__u32 gen;
	__u32 version;
};

/*
 * cgroup id -> answer. An answer of an older targets_version counts as a miss, so changing the
 * targets costs userspace one increment instead of clearing this map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct target_answer);
} target_cache SEC(".maps");

/*
 * A target's dedup map: one entry per (file, kind) of one generation, the value counts accesses.
 * This is the template of the inner maps: userspace creates one such map per target
 * generation, with the per-target capacity (--max-files) as max_entries. The kernel does not
 * compare a hash map's capacity with its template's, so the template is as small as it can
 * be: libbpf creates it at load only to destroy it, and even unpreallocated a hash map of 1M
 * entries zeroes 16 MiB of buckets (47 ms of a 330 ms `record -- /bin/true` under strace).
 */
struct seen_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct slz_seen_key);
	__type(value, __u64);
};

/* Slot -> that target's dedup map; empty while the slot is free. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SLZ_MAX_TARGETS);
	__type(key, __u32);
	__array(values, struct seen_map);
} seen SEC(".maps");

/*
 * Slot 0's first dedup map as a map of its own the programs name directly, when userspace says
 * so (seen0_direct, the light loader's): installing a map in seen waits for an RCU grace
 * period (6-11 ms of `record -- /bin/true` here), which a one-shot record's one target then
 * never pays. Userspace sizes it before the load; once slot 0 gets another map (a new
 * generation, a growth) it installs that one in seen and sets seen0_moved, and the programs
 * look in seen for slot 0 as for every other slot.
 */
struct seen_map seen0 SEC(".maps");
const volatile bool seen0_direct = false;
volatile __u32 seen0_moved;

struct level_ctx {
	__u32 found; /* slot + 1 of the deepest target seen so far */
	__u32 gen;
};

static long level_step(__u32 level, struct level_ctx *c)
{
	__u64 id = bpf_get_current_ancestor_cgroup_id(level);
	struct slz_target *t;

	if (!id)
		return 1;
	t = bpf_map_lookup_elem(&targets, &id);
	if (t) {
		c->found = t->slot + 1;
		c->gen = t->gen;
	}
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slz_cpu_state);
} cpu_state SEC(".maps");

/*
 * Bumped by userspace after every change of the targets: answers cached under an older value
 * (per CPU and in target_cache) are not used again.
 */
volatile __u32 targets_version;

static __always_inline struct slz_cpu_state *cpu_state_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/* The dedup map of a target slot; NULL while the slot is free. */
static __always_inline void *seen_map_of(__u32 slot)
{
	/*
	 * One test of (slot | seen0_moved): a test of slot alone would teach the verifier that
	 * slot is 0 on one side, and it would then walk the rest of the caller twice.
	 */
	if (seen0_direct && (slot | seen0_moved) == 0)
		return &seen0;
	return bpf_map_lookup_elem(&seen, &slot);
}

/* Move a hot slot's pending count into its dedup map (best effort: a deleted key loses it). */
static __always_inline void hot_flush(struct slz_hot_slot *hs)
{
	void *map;
	__u64 *cnt;

	if (!hs->pending)
		return;
	map = seen_map_of(hs->slot);
	if (map) {
		cnt = bpf_map_lookup_elem(map, &hs->key);
		if (cnt)
			__sync_fetch_and_add(cnt, hs->pending);
	}
	hs->pending = 0;
}

/*
 * The check word of a cached answer; never 0, so a zeroed or half-written entry never passes.
 * (Programs on syscall tracepoints are not preempted in practice; the check makes a torn
 * per-CPU entry harmless should one ever be.)
 */
static __always_inline __u64 answer_check(__u64 cg, __u64 serial, __u32 version, __u32 slot1,
					  __u32 gen)
{
	__u64 h = (cg ^ ((__u64)version << 32 | slot1)) * 0x9e3779b97f4a7c15ULL;

	h = (h ^ serial) * 0x9e3779b97f4a7c15ULL;
	return ((h ^ gen) * 0x9e3779b97f4a7c15ULL) | 1;
}

/*
 * The serial number of the task's default-hierarchy cgroup (ut: an untrusted task pointer):
 * the kernel numbers every cgroup from one 64-bit counter and never reuses a number, so it
 * names a cgroup as well as its id does. The hit path compares it instead of the id because
 * the id (cgroup->kn->id) costs a CO-RE relocation of struct cgroup, whose name shares a slot
 * of the kernel's 31-entry candidate cache with struct file's: the light loader then scanned
 * vmlinux's ~127k types twice at every load (BENCHMARKS.md, issue 13). The number is read
 * through the cgroup's own css, its first member (self) since 3.16; a kernel where it is not
 * (the css does not point back at the cgroup) gets 0, and 0 never hits.
 */
static __always_inline __u64 cgroup_serial(struct task_struct *ut)
{
	struct cgroup_subsys_state *css = (void *)ut->cgroups->dfl_cgrp;

	return css && (void *)css->cgroup == (void *)css ? css->serial_nr : 0;
}

/*
 * The target slot of the current task and its generation, or -1. Its tag first (the one task
 * storage lookup an untagged task pays), then the per-CPU answer, then
 * the LRU cache, then the walk up the cgroup levels. targets_version is read before the walk:
 * an answer computed from targets that changed meanwhile is stored under the older version.
 */
static __always_inline int target_lookup(__u32 *gen)
{
	__u64 serial = cgroup_serial(current_task_untrusted());
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 version = targets_version;
	struct slz_cpu_state *cs;
	struct level_ctx c = {};
	struct target_answer *a;
	int tagged = task_tag_target(gen);

	/* A process-tree target's task (tasktag.bpf.h) is its target's wherever its cgroup is. */
	if (tagged >= 0)
		return tagged;
	cs = cpu_state_get();
	if (cs && cs->cgroup_id == cg && cs->version == version &&
	    cs->check == answer_check(cs->cgroup_id, cs->cgroup_serial, cs->version, cs->slot1,
				      cs->gen)) {
		*gen = cs->gen;
		return (int)cs->slot1 - 1;
	}
	a = bpf_map_lookup_elem(&target_cache, &cg);
	if (a && a->version == version) {
		c.found = a->slot1;
		c.gen = a->gen;
	} else {
		struct target_answer na = {};

		bpf_loop(MAX_CGROUP_LEVELS, level_step, &c, 0);
		na.slot1 = c.found;
		na.gen = c.gen;
		na.version = version;
		bpf_map_update_elem(&target_cache, &cg, &na, BPF_ANY);
	}
	if (cs) {
		cs->check = 0;
		cs->cgroup_id = cg;
		cs->cgroup_serial = serial;
		cs->version = version;
		cs->slot1 = c.found;
		cs->gen = c.gen;
		cs->check = answer_check(cg, serial, version, c.found, c.gen);
	}
	*gen = c.gen;
	return (int)c.found - 1;
}

/*
 * target_lookup as one word, gen << 32 | (slot + 1), 0 for none. A global function: the
 * verifier checks the lookup (and its bpf_loop over the levels) once, not again for each
 * syscall kind that slz_sys_exit's switch reaches it with.
 */
__noinline __u64 current_target_word(void)
{
	__u32 gen = 0;
	int slot = target_lookup(&gen);

	return slot < 0 ? 0 : (__u64)gen << 32 | (__u32)(slot + 1);
}

static __always_inline int current_target(__u32 *gen)
{
	__u64 w = current_target_word();

	*gen = w >> 32;
	return (int)(__u32)w - 1;
}

/*
 * The hit path's target test, without a helper or a function call: the current task's
 * cgroup serial number read through ut (the current task as an untrusted pointer), compared
 * with this CPU's cached answer. A task with any task-local storage might carry a tag
 * (task_tag_target comes first), so it goes the full way; so does any miss. The answer is the
 * one target_lookup gives: a task without local storage has no tag, and the per-CPU answer is
 * target_lookup's own second step, cached with the serial read there. -1 when the current
 * task is no target's.
 */
static __always_inline int current_target_hot(struct task_struct *ut, struct slz_cpu_state *cs,
					      __u32 *gen)
{
	if (cs && !ut->bpf_storage) {
		__u64 serial = cgroup_serial(ut);
		__u32 version = targets_version;

		if (serial && cs->cgroup_serial == serial && cs->version == version &&
		    cs->check == answer_check(cs->cgroup_id, serial, version, cs->slot1, cs->gen)) {
			*gen = cs->gen;
			return (int)cs->slot1 - 1;
		}
	}
	return current_target(gen);
}

/* A key's hash: picks its hot slot (top bits) and is the slot's check word (never 0). */
static __always_inline __u64 key_hash(const struct slz_seen_key *k, __u32 slot)
{
	return ((k->ino ^ (k->dev << 7) ^ ((__u64)k->kind << 13) ^ ((__u64)k->gen << 17) ^
		 ((__u64)slot << 53)) *
		0x9e3779b97f4a7c15ULL) |
	       1;
}

static __always_inline bool key_eq(const struct slz_seen_key *a, const struct slz_seen_key *b)
{
	return a->ino == b->ino && a->dev == b->dev && a->kind == b->kind && a->gen == b->gen;
}

/*
 * Count an access of k by the target in slot. Returns false when there is nothing more to do
 * (seen before, or the slot's map is gone: the target was removed while we ran); true when the
 * caller emits an event. *inserted tells whether k is now in the slot's map (to undo on a
 * drop: seen_forget); false means the map is full. The map itself is not handed back: with
 * seen0 it is one of two maps, and a register that may hold either would have the verifier
 * walk the rest of the caller once for each.
 */
/* The hot slot of k in cs (h is key_hash(k, slot)). */
static __always_inline struct slz_hot_slot *hot_slot_of(struct slz_cpu_state *cs, __u64 h)
{
	return &cs->hot[(h >> 58) & (SLZ_HOT_SLOTS - 1)];
}

/*
 * seen_new's first step on its own, for the hit path: true when this CPU's cache holds k for
 * slot, which then counts the access. False sends the caller the whole way (seen_new, which
 * tests the cache again: only a miss pays twice).
 */
static __always_inline bool seen_hot(struct slz_cpu_state *cs, __u32 slot,
				     const struct slz_seen_key *k)
{
	__u64 h = key_hash(k, slot);
	struct slz_hot_slot *hs = hot_slot_of(cs, h);

	if (hs->check == h && hs->slot == slot && key_eq(&hs->key, k)) {
		hs->pending++;
		return true;
	}
	return false;
}

static __always_inline bool seen_new_body(__u32 slot, struct slz_seen_key *k, bool *inserted)
{
	struct slz_cpu_state *cs = cpu_state_get();
	__u64 h = key_hash(k, slot);
	struct slz_hot_slot *hs = cs ? hot_slot_of(cs, h) : NULL;
	__u64 one = 1, *cnt;
	void *map;
	long err;

	if (hs && hs->check == h && hs->slot == slot && key_eq(&hs->key, k)) {
		hs->pending++;
		return false;
	}
	map = seen_map_of(slot);
	if (!map)
		return false;
	cnt = bpf_map_lookup_elem(map, k);
	if (!cnt) {
		err = bpf_map_update_elem(map, k, &one, BPF_NOEXIST);
		if (!err) {
			*inserted = true;
			return true;
		}
		cnt = bpf_map_lookup_elem(map, k); /* another CPU inserted it first? */
		if (!cnt) {
			*inserted = false;
			return true;
		}
	}
	__sync_fetch_and_add(cnt, 1);
	/* Known to the map, so safe to answer from this CPU's cache from now on. */
	if (hs) {
		hs->check = 0;
		hot_flush(hs);
		hs->key = *k;
		hs->slot = slot;
		hs->check = h;
	}
	return false;
}

/*
 * seen_new_body as a global function: 0 seen before (or no map), 1 new and inserted, 2 new but
 * the map is full. The verifier checks it once instead of inside each handler that counts an
 * access (record_file, record_user_path, record_stat), where its paths (seen0 or the slot's
 * inner map, the cache slot's flush into either) multiplied the handler's.
 */
__noinline int seen_new_global(__u32 slot, struct slz_seen_key *k)
{
	bool inserted = false;

	if (!k || !seen_new_body(slot, k, &inserted))
		return 0;
	return inserted ? 1 : 2;
}

static __always_inline bool seen_new(__u32 slot, struct slz_seen_key *k, bool *inserted)
{
	int r = seen_new_global(slot, k);

	*inserted = r == 1;
	return r != 0;
}

/* Undo seen_new's insertion of k (its event was not sent). */
static __always_inline void seen_forget(__u32 slot, const struct slz_seen_key *k)
{
	void *map = seen_map_of(slot);

	if (map)
		bpf_map_delete_elem(map, k);
}

#endif /* SLIMZIP_BPF_TARGETS_H */
