/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The recorder: loads the BPF program, follows target cgroups (and everything below them) and
 * turns the kernel's events into profiles, one per target.
 *
 * Two levels:
 *  - recorder__record() (recorder_session.c): everything `slimzip record` does, reusable by
 *    `run` and `verify`: start a command in a fresh cgroup (or attach to an existing cgroup),
 *    forward the signals the caller hands over, snapshot on SIGUSR1, stop, clean up, return
 *    the profile and the command's status.
 *  - recorder__open/add_target/remove_target/reset_target/poll/profiles/free (recorder.c,
 *    recorder_collect.c): the pieces, for a caller with its own loop and many targets.
 *  - recorder__on_cgroup/add_watch/remove_watch/set_all (recorder_discover.c): targets the
 *    kernel finds itself as cgroups are made (recorder_config.discover).
 */
#ifndef SLIMZIP_RECORDER_H
#define SLIMZIP_RECORDER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launch.h"
#include "profile.h"

#define RECORDER_DEFAULT_MAX_FILES (1u << 20)
/*
 * 4 MiB: the loop drains the ring every 50 ms and is woken once an eighth of it waits, so
 * 200,000 new files opened back to back lost nothing even with 1 MiB on the busy 2-core VM
 * (test_record_sizing holds the default to it). The 64 MiB of old, mapped twice into the
 * recorder, took 128 of `record -- /bin/true`'s 137 MiB peak RSS and ~25 ms to create, map
 * and unmap. A loss is still counted and refused by prune; --ringbuf-mb raises it.
 */
#define RECORDER_DEFAULT_RINGBUF   (4u << 20)
#define RECORDER_DEFAULT_PREPARED  64
/*
 * A target's first dedup map: 64K entries are 1 MiB of hash buckets where the cap's 1M are 16
 * MiB (zeroed at creation: 13-29 ms of `record -- /bin/true`; a daemon's 64 prepared slots
 * held 1 GiB of kernel memory). The map is made 4x bigger as the target's events near it.
 */
#define RECORDER_INITIAL_FILES	   (1u << 16)

/*
 * How the kernel side sees file syscalls. Both record the same; they differ in what every
 * other syscall of the host pays while attached (BENCHMARKS.md, scripts/bench-overhead).
 */
enum recorder_hook {
	/*
	 * For a one-shot recording (recorder_config.one_shot) sys_exit, else per-syscall when
	 * tracefs offers the syscall tracepoints, else sys_exit. The library never reads
	 * RECORDER_HOOK_ENV: the CLI parses it (recorder_hook__from_env) and passes the hook down.
	 */
	RECORDER_HOOK_AUTO = 0,
	/* One tp_btf/sys_exit program, entered by every syscall of every task. */
	RECORDER_HOOK_SYS_EXIT,
	/*
	 * tracepoint/syscalls/sys_exit_NAME, one program per file syscall: other syscalls never
	 * enter BPF. Needs tracefs (mounted at /sys/kernel/tracing).
	 */
	RECORDER_HOOK_PER_SYSCALL,
};
#define RECORDER_HOOK_ENV "SLIMZIP_RECORD_HOOK"

struct recorder_config {
	bool record_missing; /* also record ENOENT/ENOTDIR lookups as SLZ_KIND_MISSING */
	/*
	 * Dedup entries of each target ((file, kind) pairs it may touch before its map is full);
	 * 0 = RECORDER_DEFAULT_MAX_FILES. A full map costs that target an event per access of a
	 * new file and its access counts, nothing more; other targets have maps of their own.
	 * Each map starts small and grows (recorder_grow.c) up to this cap.
	 */
	uint32_t max_files;
	/*
	 * The first size of each target's dedup map, 0: RECORDER_INITIAL_FILES or, for a big
	 * ring, room for one and a half rings of events (so the map cannot fill before userspace
	 * has seen the events that fill it: recorder_grow.c). At most max_files. Tests set it
	 * small to make maps grow.
	 */
	uint32_t initial_files;
	uint32_t ringbuf_bytes; /* rounded up to a power of two; 0 = RECORDER_DEFAULT_RINGBUF */
	/*
	 * Attach the cgroup programs: targets found in the kernel (recorder__add_watch,
	 * recorder__set_all) and an ended record for every target whose cgroup is removed.
	 * Off, nothing is attached to cgroup_mkdir/rmdir.
	 */
	bool discover;
	/*
	 * Targets at most, explicit and discovered (0: SLZ_MAX_TARGETS, also the most allowed).
	 * A cgroup the kernel finds beyond it is refused and counted (recorder__refused).
	 */
	uint32_t max_targets;
	/*
	 * Discovery: slots kept prepared for the kernel to take, each with its empty dedup map
	 * (0: RECORDER_DEFAULT_PREPARED). More new cgroups than this between two
	 * recorder__consume calls are refused and counted: consume often, or raise it.
	 */
	uint32_t prepared;
	enum recorder_hook hook; /* RECORDER_HOOK_AUTO: see there */
	/*
	 * The recorder lives for one command (recorder__record: record, run, verify). AUTO then
	 * takes sys_exit: its one link detaches at once, where closing the 14 per-syscall links
	 * waits a tracepoint grace period each (0.5-1 s at the end of every run on this kernel,
	 * BENCHMARKS.md), which a daemon or a batch pays once and a one-shot run every time.
	 */
	bool one_shot;
	/*
	 * The caller tags no process trees (recorder__tag_task, recorder__tag_tree fail): the
	 * fork program is not loaded. A command's or a cgroup's record has no use for it.
	 */
	bool no_task_tags;
	/*
	 * Keep the per-task programs attached this long after the last target, watch or all
	 * goes (0: detach at once). A daemon serving a stream of short jobs, one at a time,
	 * would otherwise attach and detach for each: the per-syscall hook's detach takes about
	 * a second (a grace period per link) and the next attach waits for it. Checked in
	 * recorder__consume/poll, so a caller that lingers must keep consuming.
	 */
	uint32_t detach_linger_ms;
};

struct recorder;

/*
 * Privileges and kernel support, cheap enough to check before anything expensive:
 * -EPERM (not root / missing CAP_BPF, CAP_PERFMON), -EOPNOTSUPP (no BTF). recorder__open()
 * and recorder__record() check it themselves.
 */
int recorder__check_support(void);

/*
 * Check privileges and kernel support, then open and load the BPF program (attaching the
 * cgroup programs under discover; the others wait for a target: recorder__attached).
 * -EPERM (not root / missing CAP_BPF, CAP_PERFMON), -EOPNOTSUPP (no BTF, program refused).
 */
int recorder__open(const struct recorder_config *c, struct recorder **out);
void recorder__free(struct recorder *r); /* NULL-safe; detaches */

/*
 * Targets. Each followed cgroup (and everything below it) holds a slot, at most
 * SLZ_MAX_TARGETS at once; its events go to the slot's profile only. Every add and reset
 * starts a new generation of the slot: events of an older one still in the ring buffer (of a
 * removed target, or from before a reset) are dropped when consumed, never credited to the
 * slot's new owner (recorder__stale_events counts them). Each costs O(1), whatever the
 * target recorded: its dedup map is replaced, not emptied.
 */
/* Follow a cgroup (by id: the inode number of its directory); *slot is the lowest free one. */
int recorder__add_target(struct recorder *r, uint64_t cgroup_id, uint32_t *slot);
/* Stop following the target in slot, and free its profile: the slot is free again. */
int recorder__remove_target(struct recorder *r, uint32_t slot);
/*
 * A new epoch for the target in slot, which keeps its slot and cgroup: its profile and
 * counters start empty and the next access to a file seen before is an event again. Take the
 * old epoch's profile first (recorder__consume, then recorder__profile) to keep it.
 */
int recorder__reset_target(struct recorder *r, uint32_t slot);
/* The slot of the target following cgroup_id (explicit or discovered); -ENOENT when none. */
int recorder__find_target(const struct recorder *r, uint64_t cgroup_id, uint32_t *slot);
/* Events dropped because their slot's generation had moved on (for diagnostics). */
uint64_t recorder__stale_events(const struct recorder *r);

/* The fd to watch for events (epoll-able); call recorder__consume() when it is readable. */
int recorder__epoll_fd(const struct recorder *r);
/*
 * Move every available event into the per-target profiles. Returns events handled or -errno.
 * A target whose event cannot be stored (out of memory) has lost its profile: that target's
 * recorder__profile() fails from then on (until a reset); consuming goes on for the others.
 */
int recorder__consume(struct recorder *r);
/* Wait up to timeout_ms for events and consume them. */
int recorder__poll(struct recorder *r, int timeout_ms);
/*
 * A new profile of everything recorded so far for slot: entries with the kernel's access
 * counts and the loss counters in the header. Recording goes on; call again for a later view.
 */
int recorder__profile(struct recorder *r, uint32_t slot, struct profile **out);
/*
 * The same for n slots at once (out[i] for slots[i]): one pass over the state the targets
 * share serves them all. On failure no profile is returned.
 */
int recorder__profiles(struct recorder *r, const uint32_t *slots, size_t n, struct profile **out);
/*
 * Called inside recorder__consume for every event that went into a target's profile, right
 * after profile__add took it: e is the entry as the event carried it (path, kinds, flags,
 * identity; count 0: the kernel's counts are read with the profile), slot its target's. The
 * ring buffer's consumer position moves past the event only once this returns, so a caller
 * that must not lose what was consumed (the daemon's journal) has the entry before the kernel
 * may reuse its bytes. e and its path are the recorder's until the call returns. The callback
 * must not consume, add, remove or reset targets (it runs inside the ring's reader).
 */
typedef void (*recorder_entry_fn)(struct recorder *r, uint32_t slot, const struct profile_entry *e,
				  void *ctx);
/* Set (or, fn NULL, clear) the entry callback. */
void recorder__on_entry(struct recorder *r, recorder_entry_fn fn, void *ctx);

/*
 * Targets found in the kernel (recorder_config.discover). At cgroup_mkdir, before the new
 * directory is visible, a child of a watched parent (or, with recorder__set_all, any new
 * cgroup of the v2 hierarchy; v1 hierarchies never count) becomes a target in a slot the
 * recorder prepared. A "born" record tells the caller, in recorder__consume's order: before
 * any of its events, and the slot is then a target like one of recorder__add_target (profiles,
 * remove, reset). At cgroup_rmdir of any target an "ended" record follows its last event. A
 * cgroup below a target that is no target itself is attributed to its nearest target
 * ancestor, wherever its task is at each access. No prepared slot left (capacity, or a burst
 * larger than recorder_config.prepared) or a full ring refuses the cgroup: it is counted per
 * watch (recorder__refused), never silent.
 *
 * Cgroups that exist when a watch is added are the caller's (cgroup__children lists them):
 * add the watch first, then scan; a child made in between is both listed and born, and
 * recorder__add_target says -EEXIST for it (the born record is on its way).
 */
#define RECORDER_WATCH_ALL UINT32_MAX /* the watch id of a target recorder__set_all made */

enum recorder_cgroup_kind {
	RECORDER_CGROUP_BORN,
	RECORDER_CGROUP_ENDED,
};

struct recorder_cgroup_event {
	enum recorder_cgroup_kind kind;
	uint32_t slot;	    /* the target's */
	uint64_t cgroup_id; /* the cgroup's */
	uint64_t parent_id;
	uint32_t watch_id; /* born: the parent's watch; RECORDER_WATCH_ALL when none */
	uint32_t level;	   /* depth in the v2 hierarchy: 1 for a child of its root */
	const char *name;  /* born: the directory's name; ended: "" */
	/* Its path in the v2 hierarchy ("/a/b", from its root, not the mount point). */
	const char *path;
	bool path_truncated; /* path is the head of a longer one (over 1023 bytes) */
	uint32_t pid;	     /* tgid of the task that made or removed it */
	char comm[16];
};

/*
 * Called from recorder__consume for each born and ended record, with the recorder (to take a
 * profile, remove or reset targets). A born target the caller does not want (its name matches
 * no rule) is removed here; an ended one stays until the caller removes it. A negative return
 * stops recorder__consume, which returns it (the record counts as delivered).
 */
typedef int (*recorder_cgroup_fn)(struct recorder *r, const struct recorder_cgroup_event *ev,
				  void *ctx);
/* Set (or, fn NULL, clear) the callback; recorder__add_watch and set_all need one. */
void recorder__on_cgroup(struct recorder *r, recorder_cgroup_fn fn, void *ctx);
/*
 * Watch a parent cgroup (a cgroup v2 directory, or a path below the v2 mount, as
 * cgroup__resolve takes it): its new children become targets carrying watch_id. One watch per
 * parent: a caller with several rules on one parent watches it once and matches names itself.
 * -EINVAL (no discover, no callback, watch_id RECORDER_WATCH_ALL), -EEXIST (the parent or the
 * id is watched already), -ENOSPC (SLZ_MAX_WATCHES), -ENOENT (no such cgroup).
 */
int recorder__add_watch(struct recorder *r, const char *parent, uint32_t watch_id);
/* Stop watching; its targets stay. Read its refusals first: they go with it. -ENOENT. */
int recorder__remove_watch(struct recorder *r, uint32_t watch_id);
/* Every new v2 cgroup a target (on), or only watched parents' children (off). */
int recorder__set_all(struct recorder *r, bool on);
/*
 * Cgroups refused since the watch was added (RECORDER_WATCH_ALL: under set_all, with a
 * parent no watch names). -ENOENT for an unknown watch.
 */
int recorder__refused(const struct recorder *r, uint32_t watch_id, uint64_t *n);
/* Targets whose ended record was lost to a full ring (their end is to be found otherwise). */
uint64_t recorder__ended_lost(const struct recorder *r);

/*
 * Process-tree targets (recorder_tasks.c, bpf/tasktag.bpf.h): a target that no cgroup names,
 * whose tasks carry its tag (slot and generation) in task storage and pass it on to every
 * child and thread they start (a fork program, attached with the first tag and left attached
 * until recorder__free). A tag outlives exec; it takes precedence over the task's cgroup.
 * Tags are not taken back when the target is removed: the events of a tagged task then carry
 * the old generation and are dropped as stale. For one-shot recorders (record --pid).
 */
int recorder__add_task_target(struct recorder *r, uint32_t *slot);
/* Tag the task behind pidfd (of a process, or of one thread: PIDFD_THREAD) for slot. */
int recorder__tag_task(struct recorder *r, uint32_t slot, int pidfd);
/*
 * Tag root, every thread of it and every descendant that runs (walking /proc until a pass
 * finds nothing new), after attaching the fork program so that none forked meanwhile is
 * missed. -ESRCH when root is not running.
 */
int recorder__tag_tree(struct recorder *r, uint32_t slot, pid_t root);

/* The hook recorder__open chose (never RECORDER_HOOK_AUTO), and its name. */
enum recorder_hook recorder__hook(const struct recorder *r);

/*
 * Whether the running kernel's bpf_rdonly_cast casts to void (6.17 on), which picks the
 * programs' direct read of the fd table (record.bpf.c fd_direct); from the release alone.
 */
bool recorder__kernel_casts_to_void(void);
const char *recorder_hook__name(enum recorder_hook h);
/*
 * The hook RECORDER_HOOK_ENV's value asks for (NULL or empty: RECORDER_HOOK_AUTO); -EINVAL,
 * explained, for any other value. The CLI checks the environment with it before any command,
 * so that a typo is a usage error (exit 2), not a failed recording.
 */
int recorder_hook__from_env(const char *value, enum recorder_hook *out);

/*
 * Whether the programs every task runs (the syscall exit hook, sched_process_exec) are attached:
 * only while at least one target, watch or set_all exists, since an attached syscall program
 * puts every task of the host on the syscall slow path. recorder__add_target, add_watch and
 * set_all attach them before they return; removing the last detaches them (their links close
 * in the background, which takes the per-syscall hook a tracepoint grace period each). Prepared
 * slots alone do not count. The cgroup programs (discover) stay attached from open to free.
 */
bool recorder__attached(const struct recorder *r);

/*
 * The capacity of the dedup map of the target in slot now (0: no target there): it starts at
 * recorder_config.initial_files and grows up to max_files as the target records.
 */
uint32_t recorder__dedup_capacity(const struct recorder *r, uint32_t slot);

/*
 * The kernel's id of the dedup map the programs find for slot now (*id = 0: none), as the
 * BPF map ids bpftool shows; for tests. 0 or -errno.
 */
int recorder__dedup_map_id(const struct recorder *r, uint32_t slot, uint32_t *id);

/* BPF load time of recorder__open, for diagnostics. */
double recorder__load_seconds(const struct recorder *r);
/*
 * Whether recorder__open loaded the programs through the light loader (a one-shot recorder on
 * the sys_exit hook without discover: the kernel applied the CO-RE relocations, libbpf read no
 * vmlinux BTF) rather than the regular skeleton; for diagnostics and tests.
 */
bool recorder__light(const struct recorder *r);

/* The signals recorder__record() reads from record_opts.signal_fd. */
void recorder__signals(sigset_t *set);

struct record_opts {
	/* The hook (recorder_config.hook); the CLI takes it from RECORDER_HOOK_ENV. */
	enum recorder_hook hook;
	char *const *argv;	 /* command mode: the command to start in a fresh cgroup */
	const char *cgroup_path; /* cgroup mode (argv == NULL): an existing cgroup to follow */
	/*
	 * pid mode (argv == NULL): stop when this process exits. With cgroup_path, follow that
	 * cgroup (the process's own, record --pid/--container); without, the process's tree
	 * (recorder__tag_tree). A pid that is not running: -ESRCH.
	 */
	pid_t pid;
	uint64_t duration_s; /* cgroup and pid mode: stop after this long (0: until SIGINT/SIGTERM)
			      */
	/*
	 * Command mode: once the command exits, go on recording until its cgroup is empty (what
	 * it started in the background has exited too) instead of killing what is left; at most
	 * wait_timeout_s (0: no bound), after which the rest is killed as without the option and
	 * *wait_timed_out (when not NULL) is set.
	 */
	bool wait_children;
	uint64_t wait_timeout_s;
	bool *wait_timed_out;
	bool record_missing;
	uint32_t max_files;
	uint32_t ringbuf_bytes;
	/*
	 * A signalfd (non-blocking) for the signals of recorder__signals(), which the caller has
	 * blocked; it stays the caller's. 0 or less: none (a zeroed struct holds 0), and the call
	 * handles no signal.
	 */
	int signal_fd;
	/*
	 * When not NULL: set to the first of SIGINT, SIGTERM, SIGHUP, SIGQUIT the call acted on
	 * (forwarded, or stopped by), 0 when none came; a caller that must stop on a signal
	 * (verify) reads it.
	 */
	int *stop_signal;
	/* Runs in the child once it is in the cgroup, before exec (verify: mount namespace). */
	int (*child_setup)(void *ctx);
	void *child_ctx;
	/* Command mode: run it as this user, after child_setup (launch.h; NULL: as we run). */
	const struct launch_user *user;
	/*
	 * SIGUSR1: called with a snapshot of the profile so far, the caller's to complete (a
	 * header the recorder does not know, like tree-root) and write; recording continues.
	 */
	int (*on_snapshot)(struct profile *p, void *ctx);
	void *snapshot_ctx;
};

/*
 * Record. The call reads signal_fd while it runs and consumes what it reads: in command mode
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to every process of the command (its
 * cgroup and below; not a terminal's own ^C, which reached them already), in cgroup mode they
 * stop recording; SIGUSR1 takes a snapshot. One of the four that came before recording began
 * (while the program loaded, or before the call) ends it with -EINTR and *cmd_status 128+N,
 * and no command is started. A signal the caller ignores (SIG_IGN) is not acted on, and the
 * command starts ignoring it too; every other signal has its default action in the command,
 * and its mask is empty. Leftover cgroups of killed recorders in the parent cgroup are
 * destroyed first (cgroup__remove_stale); the command dies with the calling thread.
 * On success *out is the profile (header filled in) and *cmd_status the command's shell-style
 * status (-1 in cgroup mode). When the command cannot be started, -errno is returned and
 * *cmd_status is 127/126.
 */
int recorder__record(const struct record_opts *o, struct profile **out, int *cmd_status);

#endif
