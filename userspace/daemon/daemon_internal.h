/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's parts, shared by its files: daemon.c (life cycle, loop, signals, reload),
 * daemon_sock.c (the socket and its clients), daemon_methods.c (one function per request),
 * daemon_output.c (profiles of finished targets), daemon_prune.c (their zips, on a worker
 * thread), daemon_journal.c (crash safety), daemon_watch.c (discovery).
 */
#ifndef SLIMZIP_DAEMON_INTERNAL_H
#define SLIMZIP_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "daemon.h"
#include "proto.h"
#include "recorder.h"
#include "registry.h"

/* The per-task programs stay attached this long after the daemon's last target or watch. */
#define DAEMON_DETACH_LINGER_MS 2000
/* Finished targets stay visible in List and Status, the most recent this many. */
#define DAEMON_FINISHED_KEEP	64
/* A client whose replies pile up past this (it sends and never reads) is dropped. */
#define DAEMON_CLIENT_OUT_MAX	(4u << 20)

/* What epoll's data.ptr points at: each source begins with its kind. */
enum daemon_source {
	SRC_RING,
	SRC_SIGNAL,
	SRC_LISTEN,
	SRC_CLIENT,
	SRC_PRUNE, /* the prune worker's eventfd: results to apply */
};

struct daemon_client {
	enum daemon_source kind; /* SRC_CLIENT */
	int fd;
	uid_t uid;
	bool root;     /* uid 0: may name files the daemon writes (Snapshot's output) */
	bool closing;  /* close once out is sent; read nothing more */
	bool want_out; /* registered for EPOLLOUT */
	/*
	 * A Finish or Checkpoint whose reply waits for its zip (this prune job); no request
	 * after it is read until the reply is queued, so replies keep their order. 0: none.
	 */
	uint64_t wait_job;
	enum proto_method wait_method;
	bool eof; /* it sent all it will (shut its side) while waiting: close after the reply */
	struct proto_framer *framer;
	char *out; /* replies not yet written */
	size_t out_len, out_off;
	struct daemon_client *next;
};

/* A watched parent cgroup: one recorder watch, whatever the count of rules naming it. */
struct daemon_watch {
	char *parent;		 /* the rules' parent (a cleaned cgroup v2 path) */
	uint64_t cgroup_id;	 /* the parent's when it was watched (made again: a new one) */
	uint32_t id;		 /* the recorder's watch id */
	uint64_t refused_logged; /* refusals the log has told of */
	bool keep;		 /* sync_watches: still in the config */
};

/* What the daemon knows of a target beside the registry: its times and its results. */
struct daemon_target {
	const struct target_info *t;
	uint64_t serial;		/* never reused: names it to a prune landing later */
	const struct conf_function *fn; /* the [function] that prunes it, NULL: none */
	int64_t start_ms;		/* wall clock, for the profile header */
	char *dir;			/* its cgroup's directory (cgroup.events), NULL: unknown */
	char *profile;			/* the last profile written (finish, checkpoint) */
	char *zip;			/* the last zip written */
	char *refusal;			/* why the last prune wrote no zip, NULL: it did */
	uint64_t lost_events, dedup_full, truncated_paths; /* of the last profile */
	uint64_t prune_job;    /* the last prune job of its profiles (0: none yet) */
	uint32_t npruning;     /* its jobs not landed yet */
	bool ended;	       /* its cgroup is gone: finish it once the ring is read */
	int journal_fd;	       /* the live epoch's journal (O_APPEND), -1: none */
	off_t journal_len;     /* its bytes up to the last whole line */
	bool journal_unsynced; /* lines since the last fdatasync */
	struct daemon_target *next;
};

struct daemon {
	struct daemon_opts opts;
	struct conf *conf;
	char *conf_path;  /* absolute, NULL: defaults */
	char *conf_error; /* why the last SIGHUP kept the old config, NULL: it did not */
	char *state_dir;  /* the effective ones (options beat the config) */
	char *runtime_dir;
	char *socket_path;
	bool has_group;
	gid_t group;
	struct registry *reg;
	struct recorder *rec;
	struct daemon_target *targets; /* every registry target, newest first */
	/* The live target in each recorder slot whose journal takes its entries. */
	struct daemon_target *by_slot[CONF_MAX_TARGETS];
	size_t nfinished;
	int epfd, listen_fd;
	enum daemon_source ring_src, signal_src, listen_src;
	struct daemon_client *clients;
	bool stop;
	bool stopping; /* SIGTERM: every target finished, the prunes drain, nothing new is added */
	struct daemon_pruner *pruner;
	enum daemon_source prune_src;
	uint64_t next_serial;
	uint64_t finished_total, zips_total, refused_total;
	uint64_t recovered_total;     /* journals of a killed daemon finished as incomplete */
	struct daemon_watch *watches; /* the watched parents */
	size_t nwatches;
	uint32_t next_watch;	    /* the next recorder watch id (never reused) */
	uint64_t refused_gone;	    /* refusals of watches removed on SIGHUP */
	uint64_t truncated_cgroups; /* born cgroups whose path was too long to follow */
	uint64_t all_refused_logged, ended_lost_logged;
};

/* Logging through the caller's callback: one line, printf-style. */
void daemon__log(struct daemon *d, enum daemon_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* STATUS= for sd_notify: the target counts. */
void daemon__notify_status(struct daemon *d);

/* What a Finish or Checkpoint reply tells of one profile written. */
struct daemon_outcome {
	const struct target_info *t; /* NULL: the target was removed before its zip landed */
	const char *function;	     /* the [function] that pruned it, NULL: none */
	const char *profile, *zip, *refusal;
	uint32_t epoch; /* the profile's */
	uint64_t lost_events, dedup_full, truncated_paths;
};

/* daemon_sock.c */
int daemon_sock__listen(struct daemon *d);
/* Make the socket's owner and mode follow the config's group (at start and reload). */
int daemon_sock__apply_group(struct daemon *d);
void daemon_sock__close(struct daemon *d);
void daemon_sock__accept(struct daemon *d);
/* The client became readable or writable (events: epoll's). */
void daemon_sock__client_event(struct daemon *d, struct daemon_client *c, uint32_t events);
/* Prune job job landed: the clients waiting for it get their replies, and are read again. */
void daemon_sock__answer_job(struct daemon *d, uint64_t job, const struct daemon_outcome *o);

/* daemon_methods.c: handle one request; *buf and *len the reply (NULL for none: oneway). */
int daemon_methods__handle(struct daemon *d, struct daemon_client *c,
			   const struct proto_request *req, char **buf, size_t *len);
/* The reply to a Finish or Checkpoint (method) of what o says. */
int daemon_methods__outcome_reply(enum proto_method method, const struct daemon_outcome *o,
				  char **buf, size_t *len);

/* daemon_output.c */
struct daemon_target *daemon_target__find(struct daemon *d, const struct target_info *t);
/*
 * Add a live target to the registry (and the recorder): the one way in (Add, Register, watch).
 * spec->slot UINT32_MAX: the recorder gives one (recorder__add_target); else the slot the
 * kernel already took for a born cgroup, which is released when the target is refused.
 */
int daemon_target__add(struct daemon *d, const struct target_spec *spec,
		       const struct conf_function *fn, struct daemon_target **out);
/* Finish the targets whose cgroup ended (daemon__target_ended), outside recorder__consume. */
void daemon_target__finish_ended(struct daemon *d);
/* Stop following t and forget it, writing nothing (Remove). */
int daemon_target__remove(struct daemon *d, struct daemon_target *dt);
/* Finish: drain, write the profile, prune when a [function] maps it, free the slot. */
int daemon_target__finish(struct daemon *d, struct daemon_target *dt);
/* Close the epoch: its profile (and zip) written, a new epoch begins. */
int daemon_target__checkpoint(struct daemon *d, struct daemon_target *dt);
/* Watched targets that stayed unpopulated for their linger end (once a second is enough). */
void daemon_target__expire(struct daemon *d);
/* The profile so far, to path (atomically). */
int daemon_target__snapshot(struct daemon *d, struct daemon_target *dt, const char *path);
/* p's header as the daemon writes it for dt: host, cgroup, start and now as end. */
int daemon_target__fill_header(struct profile *p, const struct daemon_target *dt);
/* A profile of what the target recorded so far, its header filled in (loss counters too). */
int daemon_target__profile(struct daemon *d, struct daemon_target *dt, struct profile **out);
void daemon_target__free(struct daemon_target *dt);

/* daemon_watch.c: the [watch] rules and all = yes on the recorder's discovery. */
/*
 * Make the recorder's watches and all switch the config's, then add the cgroups that exist
 * already (at start, and on SIGHUP once the new config is in d->conf). Removed watches stop
 * finding new cgroups; their live targets run on. 0, or the first failure (logged).
 */
int daemon_watch__apply(struct daemon *d);
struct daemon_watch_counts {
	uint64_t watch_refused; /* new cgroups of watched parents refused (capacity) */
	uint64_t all_refused;	/* under all = yes, below no watched parent */
	uint64_t ended_lost;	/* end markers lost to a full ring */
	uint64_t truncated;	/* born cgroups not followed: path too long */
};
void daemon_watch__counts(struct daemon *d, struct daemon_watch_counts *out);
/*
 * Every target refused for capacity since the start: Add/Register (the registry's), and
 * new cgroups the kernel refused (watches', all's). Each profile's header carries it.
 */
uint64_t daemon__refused_targets(struct daemon *d);
/* Status's "watched": each watched parent and the new cgroups below it refused (capacity). */
void daemon_watch__write_parents(struct daemon *d, struct json_writer *w);
/* Log the refusals and lost end markers that came since the last call (once a second). */
void daemon_watch__check_loss(struct daemon *d);
void daemon_watch__free(struct daemon *d);

/* daemon_prune.c: zips written by one worker thread, off the loop. */
/* The worker and its eventfd (in the epoll set, SRC_PRUNE). */
int daemon_prune__start(struct daemon *d);
/*
 * Queue the prune of dt's profile *p (taken; the epoch's stem names the zip) with what it
 * needs of dt's [function] copied now. dt->prune_job names the job; its state shows
 * "pruning" until it lands. 0, or -errno explained (nothing queued, *p kept).
 */
int daemon_prune__submit(struct daemon *d, struct daemon_target *dt, struct profile **p,
			 const char *stem);
/* The eventfd is readable: apply every result that came (zips, refusals, replies). */
void daemon_prune__landed(struct daemon *d);
/* Jobs queued, running, or done and not yet applied. */
size_t daemon_prune__pending(const struct daemon *d);
/* Stop the worker (after the job it runs) and drop the jobs left. NULL-safe in d->pruner. */
void daemon_prune__free(struct daemon *d);

/* daemon_journal.c: crash safety. */
/*
 * Begin dt's journal of its current epoch: the header written atomically, then an O_APPEND
 * fd that daemon_journal__on_entry writes each new entry to. Logged on failure (the target is
 * followed anyway, without crash safety).
 */
int daemon_journal__open(struct daemon *d, struct daemon_target *dt);
/* The recorder's entry callback (recorder__on_entry; ctx is the daemon). */
void daemon_journal__on_entry(struct recorder *r, uint32_t slot, const struct profile_entry *e,
			      void *ctx);
/* fdatasync the journals that grew since the last call (once a second: power loss). */
void daemon_journal__sync(struct daemon *d);
/* Close dt's journal, leaving the file (d may be NULL: the daemon is going). */
void daemon_journal__close(struct daemon *d, struct daemon_target *dt);
/* The journal of dt's current epoch is no longer needed: its profile is written. */
void daemon_journal__drop(struct daemon *d, struct daemon_target *dt);
/* At start: finish every journal a killed daemon left as an incomplete profile. */
int daemon_journal__recover(struct daemon *d);
/* The cgroup v2 path of a directory on the cgroup2 mount (MOUNT/a/b is /a/b). */
int daemon__cgroup_path(const char *dir, char **out);

#endif
