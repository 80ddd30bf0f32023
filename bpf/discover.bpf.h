/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Targets found in the kernel, for record.bpf.c: cgroup_mkdir makes a new cgroup a target when
 * its parent is watched (or under watch_all), before the directory is visible to anyone, so no
 * task can enter it unrecorded; cgroup_rmdir ends a target. Both announce it in the ring buffer
 * the file events travel in, so a reader sees a target born before its first event and ended
 * after its last one.
 *
 * The kernel only publishes: each (slot, generation) comes from the `prepared` queue, whose
 * dedup map and zeroed counters userspace installed when it queued the pair. An empty queue or
 * a full ring refuses the cgroup and counts it (per watch, or all_refused): never silently.
 *
 * A task's cgroup that is not a target itself (a child of a target that no watch names) is
 * attributed by current_target()'s walk up the ancestors: the deepest target wins, wherever
 * the task is at the moment of each access.
 */
#ifndef SLIMZIP_BPF_DISCOVER_H
#define SLIMZIP_BPF_DISCOVER_H

/* Parent cgroup id -> its watch: a new child of that parent becomes a target. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLZ_MAX_WATCHES);
	__type(key, __u64);
	__type(value, struct slz_watch);
} watches SEC(".maps");

/* (slot, generation) pairs ready to be taken, each with its dedup map in `seen` already. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, SLZ_MAX_TARGETS);
	__type(value, struct slz_target);
} prepared SEC(".maps");

/* Set by userspace: every new cgroup of the v2 hierarchy is a target. */
volatile __u32 watch_all;
/* New cgroups refused under watch_all whose parent no watch names. */
volatile __u64 all_refused;
/* rmdirs of targets whose ended record found the ring full (the reader learns it otherwise). */
volatile __u64 ended_lost;

/*
 * Only the v2 hierarchy counts: on a hybrid host the tracepoints fire for every v1 hierarchy
 * too, whose cgroup ids are numbered apart (kernfs ids are per hierarchy) and may equal a v2
 * cgroup's. The default hierarchy is the one with id 0 ("0::/path" in /proc/PID/cgroup).
 */
static __always_inline bool cgroup_is_v2(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == 0;
}

/* Before 6.15 kernfs_node's parent was called parent. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline __u64 kn_parent_id(struct kernfs_node *kn)
{
	struct kernfs_node *p;

	if (bpf_core_field_exists(kn->__parent))
		p = BPF_CORE_READ(kn, __parent);
	else
		p = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
	return p ? BPF_CORE_READ(p, id) : 0;
}

static __always_inline void refuse(struct slz_watch *w)
{
	if (w)
		__sync_fetch_and_add(&w->refused, 1);
	else
		__sync_fetch_and_add(&all_refused, 1);
}

/* The fields born and ended records share. */
static __always_inline void cgroup_rec_fill(struct slz_cgroup_rec *rec, struct cgroup *cgrp,
					    const char *path, __u64 id, const struct slz_target *t,
					    __u32 kind)
{
	struct kernfs_node *kn = BPF_CORE_READ(cgrp, kn);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	long n;

	rec->parent_id = kn_parent_id(kn);
	rec->level = (__u64)BPF_CORE_READ(cgrp, level);
	rec->pad0 = 0;
	rec->cgroup_id = id;
	rec->target = t->slot;
	rec->kind = kind;
	rec->pid = pid_tgid >> 32;
	rec->tid = (__u32)pid_tgid;
	rec->watch = SLZ_WATCH_ALL;
	rec->flags = 0;
	rec->pad1 = 0;
	rec->gen = t->gen;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	n = bpf_probe_read_kernel_str(rec->name, sizeof(rec->name), BPF_CORE_READ(kn, name));
	rec->name_len = n > 0 ? (__u32)n - 1 : 0;
	if (n <= 0)
		rec->name[0] = '\0';
	n = bpf_probe_read_kernel_str(rec->path, sizeof(rec->path), path);
	rec->path_len = n > 0 ? (__u32)n - 1 : 0;
	if (n <= 0)
		rec->path[0] = '\0';
	/* The tracepoint's buffer is as long as ours: a full one may have lost its tail. */
	if (rec->path_len >= sizeof(rec->path) - 1)
		rec->flags |= SLZ_CGF_PATH_TRUNCATED;
}

/*
 * Runs with the parent locked, before the new directory is activated: whatever this publishes
 * is in place before any task can be moved into the cgroup.
 */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(slz_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct slz_cgroup_rec *rec;
	struct slz_watch *w;
	struct slz_target t;
	__u64 id, parent_id;

	if (!cgroup_is_v2(cgrp))
		return 0;
	parent_id = kn_parent_id(BPF_CORE_READ(cgrp, kn));
	w = bpf_map_lookup_elem(&watches, &parent_id);
	if (!w && !watch_all)
		return 0;
	if (bpf_map_pop_elem(&prepared, &t)) {
		refuse(w);
		return 0;
	}
	/* The record first: a target the reader never hears of must not exist. */
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		bpf_map_push_elem(&prepared, &t, 0);
		refuse(w);
		return 0;
	}
	id = BPF_CORE_READ(cgrp, kn, id);
	cgroup_rec_fill(rec, cgrp, path, id, &t, SLZ_REC_BORN);
	if (w)
		rec->watch = w->id;
	if (bpf_map_update_elem(&targets, &id, &t, BPF_NOEXIST)) {
		bpf_ringbuf_discard(rec, 0);
		bpf_map_push_elem(&prepared, &t, 0);
		refuse(w);
		return 0;
	}
	/* Answers cached before this (for any cgroup) are not used again. */
	__sync_fetch_and_add(&targets_version, 1);
	/* Woken at once: the reader refills the queue and sets the target up. */
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * Fires once the cgroup is empty and gone: every task that was in it has exited or moved, so
 * each event recorded for it was reserved in the ring before this record.
 */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(slz_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	struct slz_cgroup_rec *rec;
	struct slz_target *t;
	__u64 id;

	if (!cgroup_is_v2(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	t = bpf_map_lookup_elem(&targets, &id);
	if (!t)
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&ended_lost, 1);
		return 0;
	}
	cgroup_rec_fill(rec, cgrp, path, id, t, SLZ_REC_ENDED);
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	return 0;
}

#endif /* SLIMZIP_BPF_DISCOVER_H */
