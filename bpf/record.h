/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between record.bpf.c and userspace: plain fixed-width structs only, so the same
 * bytes mean the same thing on both sides of the ring buffer and the maps.
 */
#ifndef SLIMZIP_BPF_RECORD_H
#define SLIMZIP_BPF_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "slz_vocab.h"

#define SLZ_COMM_LEN	   16
/* The in-kernel path walk builds at most this many bytes (PATH_MAX including the NUL). */
#define SLZ_WALK_MAX	   4096
/*
 * An event path is a walked base directory plus, for lookups known only by name (access,
 * readlink, failed lookups, #! scripts), the user's relative string appended after a '/'.
 */
#define SLZ_EVENT_PATH_CAP (2 * SLZ_WALK_MAX)
/*
 * Components the walk buffer can hold: each takes at least 2 bytes ("/x"), so only the byte
 * limit SLZ_WALK_MAX decides truncation. Longer paths lose their head and carry
 * SLZ_EVF_TRUNCATED; never a silently wrong path.
 */
#define SLZ_MAX_DEPTH	   (SLZ_WALK_MAX / 2)
/*
 * Mount crossings one walk allows on top of that: a crossing writes nothing, and stacked mounts
 * cost one each. Beyond this the walk stops and flags SLZ_EVF_TRUNCATED.
 */
#define SLZ_MAX_MOUNT_HOPS 1024
/* Iterations of the walk loop (one more than the components, to see the root). */
#define SLZ_WALK_STEPS	   (SLZ_MAX_DEPTH + SLZ_MAX_MOUNT_HOPS + 1)
/*
 * Targets one BPF instance can serve (a daemon tracing many functions uses the same program).
 * Each target holds a slot, and each slot a generation: a number new on every add and reset
 * (never 0, never reused by another slot), carried by the slot's events and dedup keys. Events
 * and keys of an older generation (a removed target, the epoch before a reset) are told apart
 * from the slot's current ones however late they are read.
 */
#define SLZ_MAX_TARGETS	   1024
/* Stats slot for activity that matched no target (only counted, never reported as files). */
#define SLZ_STATS_SLOTS	   (SLZ_MAX_TARGETS + 1)

/* Value of the targets map (cgroup id -> target). */
struct slz_target {
	__u32 slot;
	__u32 gen;
};

/*
 * dev in kernel encoding (major << 20 | minor); userspace converts with slz_dev_to_user().
 * Path-only events (SLZ_EVF_PATH_ONLY) carry their dedup key instead: dev = SLZ_DEV_PATH_HASH
 * and ino = the path hash, so userspace can match the kernel's per-key access counts.
 */
struct slz_event {
	__u64 dev;
	__u64 ino;
	__u64 size;
	__u64 cgroup_id;
	__u32 target;
	__u32 kind;
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 mode; /* i_mode, 0 when path-only */
	__u32 flags;
	__s32 syscall_nr; /* -1 for accesses made by exec itself */
	__s32 err;	  /* positive errno for SLZ_KIND_MISSING, else 0 */
	__u32 path_len;	  /* bytes used in path[], no terminating NUL counted */
	__u32 gen;	  /* the generation of slot `target` it was recorded for */
	char comm[SLZ_COMM_LEN];
	char path[SLZ_EVENT_PATH_CAP];
};

#define SLZ_EVENT_HDR_SIZE ((unsigned long)&((struct slz_event *)0)->path)

/*
 * Key of a target's dedup map. Each slot has a map of its own (an inner map of an array of
 * maps, created by userspace per generation), so one target's entries never take another's
 * room, and removing or resetting a target replaces one map. One entry per (file, kind), where
 * an open's kind is the combination it opened with (SLZ_KIND_OPEN plus WRITE, CREATE, TRUNC).
 */
struct slz_seen_key {
	__u64 dev; /* kernel encoding, or SLZ_DEV_PATH_HASH */
	/*
	 * Inode number, or a 64-bit hash of the user string and the stable identity of the
	 * directory it is relative to (i_ino, s_dev, i_generation and the mount's id), never of
	 * kernel pointers, whose addresses are reused once freed.
	 */
	__u64 ino;
	/*
	 * The target's generation: a program that read the target before a reset or a removal
	 * and writes into the map that replaced the old one leaves a key the new generation never
	 * matches (and userspace does not count).
	 */
	__u32 gen;
	__u32 kind;
};
#define SLZ_DEV_PATH_HASH (~0ULL)

/*
 * Per-CPU state, one map value per CPU: the last cgroup -> target answer, and a small
 * direct-mapped cache of dedup keys seen recently on this CPU. A repeated access that hits the
 * cache only bumps `pending` here, without the dedup map lookup and its atomic add. A key
 * enters the cache only once its target's dedup map holds it, so a cache hit never hides a new
 * file; the key holds its target's generation, so after a removal or a reset no cached key
 * matches any more. Pending counts move into the dedup map when a cache slot is reused;
 * userspace adds what is left when it collects a profile.
 */
#define SLZ_HOT_SLOTS 64

struct slz_hot_slot {
	struct slz_seen_key key;
	__u32 slot; /* the target slot whose dedup map holds key */
	__u32 pad;
	__u64 pending;
	/*
	 * A hash of key and slot, written after them (0 while they are being written): an entry
	 * torn by a program interrupting the write never matches, it only costs a map lookup.
	 */
	__u64 check;
};

struct slz_cpu_state {
	__u64 cgroup_id;     /* last cgroup asked about on this CPU */
	__u64 cgroup_serial; /* its serial number (targets.bpf.h: cgroup_serial), 0: unknown */
	__u32 version;	     /* targets_version when that answer was cached */
	__u32 slot1;	     /* its target slot + 1, 0: not a target */
	__u32 gen;	     /* that target's generation */
	__u32 pad;
	__u64 check; /* a hash of the five above, written last, as for the hot slots */
	struct slz_hot_slot hot[SLZ_HOT_SLOTS];
};

/*
 * Per-target counters, in a per-CPU array indexed by target slot; userspace sums the CPUs and
 * zeroes a slot's counters for each new generation. (A program still running for the previous
 * generation at that moment may add to them: counters can be high by a count, files are exact.)
 */
struct slz_stats {
	__u64 events;	     /* handed to the ring buffer */
	__u64 ringbuf_drops; /* reserve/output failures: events lost */
	__u64 dedup_full; /* this target's dedup map full: event sent anyway, counts incomplete */
	__u64 truncated;  /* paths emitted with SLZ_EVF_TRUNCATED */
};

/*
 * Targets found by the kernel (discover.bpf.h). A watched parent cgroup makes each new child a
 * target; with watch_all every new cgroup of the v2 hierarchy is one. The kernel does not
 * create maps: it takes a prepared (slot, generation) from the `prepared` queue, whose dedup
 * map userspace made beforehand, and publishes it in `targets`. At most this many watches.
 */
#define SLZ_MAX_WATCHES 256
/* The watch id of targets made by watch_all under a parent that no watch names. */
#define SLZ_WATCH_ALL	0xffffffffu

/* Value of the watches map (parent cgroup id -> watch). */
struct slz_watch {
	__u32 id;
	__u32 pad;
	__u64 refused; /* children not made targets: no prepared slot, or the ring was full */
};

/*
 * Records of the ring that are not file events carry SLZ_REC_CONTROL in the field where an
 * event has its kind (file kinds are below 1 << SLZ_KINDS), so a reader tells them apart by
 * that one field.
 */
#define SLZ_REC_CONTROL (1u << 31)
enum slz_rec_kind {
	/* A cgroup became a target: its events follow this record in the ring. */
	SLZ_REC_BORN = SLZ_REC_CONTROL | 1,
	/* A target's cgroup was removed: every event recorded for it precedes this record. */
	SLZ_REC_ENDED = SLZ_REC_CONTROL | 2,
};

#define SLZ_CGROUP_NAME_MAX 256	 /* a kernfs name (NAME_MAX) and its NUL */
#define SLZ_CGROUP_PATH_MAX 1024 /* the tracepoint's path (TRACE_CGROUP_PATH_LEN) */

enum slz_cgroup_rec_flags {
	SLZ_CGF_PATH_TRUNCATED = 1u << 0, /* path is the head of a longer one */
};

/*
 * A born or ended record. cgroup_id, target, kind and gen sit where struct slz_event has them
 * (checked below), so one look at kind routes a record; the rest is its own.
 */
struct slz_cgroup_rec {
	__u64 parent_id; /* the parent cgroup's id */
	__u64 level;	 /* depth in the v2 hierarchy (its root is 0) */
	__u64 pad0;
	__u64 cgroup_id;
	__u32 target; /* the slot it holds */
	__u32 kind;   /* SLZ_REC_BORN or SLZ_REC_ENDED */
	__u32 pid;    /* tgid of the task doing the mkdir or rmdir */
	__u32 tid;
	__u32 watch;	/* the watch of the parent, SLZ_WATCH_ALL when none (BORN) */
	__u32 flags;	/* slz_cgroup_rec_flags */
	__u32 name_len; /* bytes of name, no NUL counted */
	__u32 path_len; /* bytes of path, no NUL counted */
	__u32 pad1;
	__u32 gen; /* the slot's generation */
	char comm[SLZ_COMM_LEN];
	char name[SLZ_CGROUP_NAME_MAX]; /* the directory's name, NUL-terminated (BORN) */
	char path[SLZ_CGROUP_PATH_MAX]; /* its path in the v2 hierarchy ("/a/b"), NUL-terminated */
};

#define SLZ_SAME_OFFSET(f)                                                                         \
	(__builtin_offsetof(struct slz_cgroup_rec, f) == __builtin_offsetof(struct slz_event, f))
_Static_assert(SLZ_SAME_OFFSET(cgroup_id) && SLZ_SAME_OFFSET(target) && SLZ_SAME_OFFSET(kind) &&
		       SLZ_SAME_OFFSET(gen),
	       "a born/ended record routes like an event");
/* The bytes a reader needs to see a record's kind. */
#define SLZ_REC_KIND_END (__builtin_offsetof(struct slz_event, kind) + sizeof(__u32))

#endif /* SLIMZIP_BPF_RECORD_H */
