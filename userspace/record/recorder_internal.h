/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The recorder's state, shared by recorder.c (life cycle, targets, consuming events),
 * recorder_load.c (the hook's choice, the light or regular load, attach and detach),
 * recorder_collect.c (profiles with the kernel's counts) and recorder_discover.c (watches,
 * prepared slots, born and ended records). Not for other modules.
 */
#ifndef SLIMZIP_RECORDER_INTERNAL_H
#define SLIMZIP_RECORDER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "events.h"
#include "hashmap.h"
#include "record.h"
#include "recorder.h"

/* A path-keyed dedup entry: the kernel knows only a hash of the path, userspace the path. */
struct path_key {
	uint64_t hash;
	char *path;
};

/* One target slot: its holder, its current generation and what that generation recorded. */
struct target {
	bool used;
	bool prepared; /* queued for the kernel to take: gen and seen_fd are ready, no cgroup */
	uint32_t gen;
	uint64_t cgroup_id;
	int seen_fd;		 /* this generation's dedup map (the kernel holds it too), or -1 */
	struct profile *profile; /* NULL until its first event */
	int err;		 /* an event could not be stored: the profile is incomplete */
	struct path_key *paths;	 /* this generation's path keys, freed with it */
	size_t npaths, paths_cap;
	struct idxmap *path_idx;
	/* The dedup map's growth (recorder_grow.c). */
	uint32_t seen_cap;	    /* its capacity */
	uint64_t nevents;	    /* events of this generation consumed */
	bool grow_failed;	    /* growing failed once: not tried again this generation */
	uint64_t counts_lost;	    /* growths that could not keep every count (as dedup_full) */
	struct seen_count *carried; /* counts left in maps this generation outgrew */
	size_t ncarried, carried_cap;
};

/* A dedup key and its access count. */
struct seen_count {
	struct slz_seen_key key;
	uint64_t count;
};

/* How to create a dedup map the program accepts as an inner map of `seen`. */
struct seen_spec {
	enum bpf_map_type type;
	uint32_t key_size, value_size, flags;
	uint32_t initial, max_entries; /* a target's first map, and the most it grows to */
	uint32_t ring_events;	       /* the most events the ring holds at once */
};

/* The per-syscall hook's programs (one per file syscall) and the exec program, at most. */
#define RECORDER_TASK_PROGS 16

/*
 * An attached program: a libbpf link, or the fd of a BPF link the light loader's programs
 * were attached by (recorder_load.c: they have no bpf_program fd for libbpf to attach).
 */
struct rec_link {
	struct bpf_link *link; /* NULL: none */
	int fd;		       /* -1: none */
};

/* The light loader's programs at most: sys_exit, exec, fork. */
#define RECORDER_LIGHT_PROGS	  4
/* The cgroup answers a one-shot record's programs cache (recorder_load.c: configure). */
#define RECORDER_ONE_SHOT_CGROUPS 4096

/* A watched parent cgroup. */
struct watch {
	bool used;
	uint32_t id;
	uint64_t cgroup_id;
};

struct recorder {
	struct record_bpf *skel;
	struct ring_buffer *rb;
	struct target targets[SLZ_MAX_TARGETS];
	struct seen_spec seen_spec;
	uint32_t last_gen; /* generations are never reused, so never shared by two slots */
	uint64_t stale_events;
	uint32_t capacity; /* targets at most (used + prepared) */
	uint32_t nused, nprepared;
	/* Discovery (recorder_discover.c). */
	bool discover;
	bool all;
	uint32_t want_prepared;
	struct watch watches[SLZ_MAX_WATCHES];
	uint32_t nwatches;
	recorder_cgroup_fn cgroup_fn;
	void *cgroup_ctx;
	int cgroup_err;		    /* what cgroup_fn returned to stop recorder__consume */
	recorder_entry_fn entry_fn; /* recorder__on_entry */
	void *entry_ctx;
	/*
	 * The programs every task runs: the hook's syscall programs and sched_process_exec,
	 * attached while a target, a watch or all exists (links NULL otherwise).
	 */
	enum recorder_hook hook;
	struct bpf_program *task_progs[RECORDER_TASK_PROGS];
	int task_fds[RECORDER_TASK_PROGS]; /* the light loader's program fds, else -1 */
	struct rec_link task_links[RECORDER_TASK_PROGS];
	uint32_t ntask_progs;
	bool attached;
	uint32_t linger_ms;	/* recorder_config.detach_linger_ms */
	uint64_t idle_since_ms; /* CLOCK_MONOTONIC when nothing needed the links, 0: needed */
	/* Links being closed by detach_thread (recorder_load.c: detach_task_progs), joined before
	 * reuse.
	 */
	struct rec_link dying[RECORDER_TASK_PROGS];
	uint32_t ndying;
	bool detaching;
	pthread_t detach_thread;
	/*
	 * The first generation's dedup map, created on premade_thread while the skeleton loads
	 * (recorder_load.c: premade_start) and installed there in seen's slot 0 (premade_in_slot0)
	 * through outer_fd, recorder.c's own descriptor of seen; under the light loader it is a
	 * dup of seen0, which the programs reference directly and nothing installs. Taken by
	 * recorder_slot__new_generation.
	 */
	bool premaking;
	bool premade_in_slot0;
	pthread_t premade_thread;
	int premade_fd; /* -1: none (not started, taken, or failed) */
	int outer_fd;	/* seen, while premade_thread may use it; else -1 */
	bool task_tags; /* slz_fork is loaded: process trees can be tagged */
	int fork_fd;	/* slz_fork's fd from the light loader, else -1 */
	struct rec_link fork_link;
	struct rec_link cgroup_links[2]; /* slz_cgroup_mkdir, slz_cgroup_rmdir (discover) */
	/*
	 * Loaded by the light loader (recorder_load.c: load_light): the kernel applied the CO-RE
	 * relocations; the object holds the map fds, these the programs'.
	 */
	bool light;
	int light_fds[RECORDER_LIGHT_PROGS];
	uint32_t nlight_fds;
	/*
	 * Slot 0's first map is the programs' seen0, not in seen (light loads: bpf/targets.bpf.h),
	 * until recorder_slot__install puts another in seen and sets seen0_moved.
	 */
	bool seen0_direct, seen0_moved;
	int ncpus;
	double load_s;
	char path_buf[EVENT_PATH_BUF]; /* the path of the event being consumed */
};

/*
 * A fresh generation for slot: a new empty dedup map in the kernel's slot and zeroed counters,
 * published to the programs only once a targets entry names it. The previous map's fd (or -1)
 * comes back in *old_fd for the caller to close.
 */
int recorder_slot__new_generation(struct recorder *r, uint32_t slot, uint32_t *gen, int *old_fd);
/*
 * Make fd slot's dedup map in the kernel (seen's entry; for slot 0 while seen0 is direct, also
 * the move off seen0). Returns once no program runs with the slot's previous map. 0 or -errno.
 */
int recorder_slot__install(struct recorder *r, uint32_t slot, int fd);
/* A new dedup map of this many entries: its fd, or -errno. */
int seen_map__create(const struct seen_spec *sp, uint32_t entries);
/* Set up sp from the program's template, the caps and the ring's size. 0 or -errno, explained. */
int seen_spec__init(struct seen_spec *sp, struct bpf_map *inner, uint32_t initial,
		    uint32_t max_entries, uint32_t ring_bytes);
/*
 * One more event of t's current generation (in slot) consumed: when the events its map may
 * already hold come near its capacity, a map 4x bigger takes its place (recorder_grow.c).
 */
void recorder_slot__count_event(struct recorder *r, uint32_t slot);
/* The counts t's outgrown maps kept, forgotten (a new generation). */
void target__drop_carried(struct target *t);
/* Free the slot's kernel side: its dedup map leaves `seen` and its fd is closed. */
void recorder_slot__release(struct recorder *r, uint32_t slot);
/* A target from now on: slot holds cgroup_id (its generation is set already). */
void recorder_slot__occupy(struct recorder *r, uint32_t slot, uint64_t cgroup_id);
/*
 * Attach the programs every task runs (the hook's, sched_process_exec) when a target, a watch or
 * set_all exists, detach them when none does. 0 or -errno, explained.
 */
int recorder__sync_attach(struct recorder *r);
/* Answers cached in the kernel under the previous targets are not used again. */
void recorder__targets_changed(struct recorder *r);
/*
 * Keep the kernel's queue of prepared slots filled (while a watch or set_all is on), within
 * the capacity. 0 or -errno, explained.
 */
int recorder__refill(struct recorder *r);
/* Take a prepared slot back from the kernel's queue for an explicit target; -ENOSPC: none. */
int recorder__take_prepared(struct recorder *r, uint32_t *slot);
/* A born or ended record (its kind has SLZ_REC_CONTROL), from the ring. */
int recorder__on_cgroup_rec(struct recorder *r, const void *data, size_t size);

/*
 * Open and load the BPF object for c (recorder_load.c): the hook's programs, the sizes, the
 * first dedup map made (and installed in slot 0) beside the load, discover's programs
 * attached. ring_bytes: the ring's size, a power of two. 0 or -errno, explained.
 */
int recorder__load(struct recorder *r, const struct recorder_config *c, uint32_t ring_bytes,
		   uint32_t max_files);
/* Detach and free everything recorder__load made (the ring is the caller's, freed before). */
void recorder__unload(struct recorder *r);
/*
 * The premade map's fd for slot (the caller's now), or -1; *installed: it is already slot's
 * in seen (recorder_load.c).
 */
int recorder__premade_take(struct recorder *r, uint32_t slot, bool *installed);
/* Attach prog (fd: the light loader's, or -1 for libbpf's own) into *link. 0 or -errno. */
int recorder__attach_prog(struct bpf_program *prog, int fd, struct rec_link *link);

/* The path behind a path key of t's current generation, or NULL. */
const char *target__path(const struct target *t, uint64_t hash);

#endif
