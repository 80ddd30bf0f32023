/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon: one BPF recorder for many targets, an epoll loop over its ring buffer, the
 * caller's signalfd and the control socket (docs/PROTOCOL.md), and the state directory where
 * each finished target's profile (and zip, when a [function] maps it) is written.
 *
 *   daemon__new    config, directories, recorder loaded, socket listening (then READY=1)
 *   daemon__run    serve until SIGTERM/SIGINT: every target is finished, then it returns 0
 *   daemon__free
 *
 * Like every library here it never prints: what a running daemon has to say (a target
 * finished, a refused prune, a bad config on SIGHUP) goes to the caller's log callback, and
 * its state changes (READY=1, STATUS=..., STOPPING=1, in sd_notify's words) to the notify
 * callback. Signals are the caller's: it blocks SIGTERM, SIGINT, SIGHUP and SIGUSR1
 * (daemon__signals) and hands over a signalfd for them.
 */
#ifndef SLIMZIP_DAEMON_H
#define SLIMZIP_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "recorder.h"

enum daemon_log_level {
	DAEMON_LOG_ERR,
	DAEMON_LOG_WARN,
	DAEMON_LOG_INFO,
};

struct daemon_opts {
	enum recorder_hook hook; /* the recorder's (recorder_config.hook) */
	/*
	 * A test hook: the prune worker sleeps this long (ms) before each prune, so tests show a
	 * slow prune holds up nothing else without a tree big enough to take seconds. The CLI
	 * takes it from SLIMZIP_TEST_PRUNE_DELAY_MS; 0 for everyone else.
	 */
	unsigned int prune_delay_ms;
	const char *config;	 /* the config file; NULL: the defaults (docs/CONFIG.md) */
	const char *state_dir;	 /* beats the config's state-dir; NULL: the config's */
	const char *runtime_dir; /* beats runtime-dir (and moves the default socket with it) */
	int signal_fd;		 /* a non-blocking signalfd for daemon__signals(); the caller's */
	void (*log)(void *ctx, enum daemon_log_level level, const char *msg);
	/* sd_notify's words: "READY=1\nSTATUS=...", "STATUS=...", "STOPPING=1". */
	void (*notify)(void *ctx, const char *state);
	void *ctx;
};

struct daemon;

/* The signals daemon__run reads from opts.signal_fd. */
void daemon__signals(sigset_t *set);

/*
 * Read the config (and check what only the host can tell: the group exists, every watch's
 * parent is a cgroup), make the state and runtime directories, load the recorder and listen
 * on the control socket. Then opts.notify gets READY=1. -errno, explained: -EINVAL for the
 * config, -EPERM/-EOPNOTSUPP from the recorder, -EADDRINUSE when another daemon serves the
 * socket.
 */
int daemon__new(const struct daemon_opts *opts, struct daemon **out);
/* Serve until a stop signal, then finish every target (profiles, zips) and return 0. */
int daemon__run(struct daemon *d);
void daemon__free(struct daemon *d); /* NULL-safe: detaches the recorder, removes the socket */

/*
 * Where the watch rules plug in (the kernel's discovery of new cgroups: docs/CONFIG.md
 * [watch]; the recorder's born and ended records, recorder__on_cgroup). A cgroup that rule w
 * matched was born: it becomes a target named by the rule's template, pruned with the rule's
 * function. slot: the one the kernel took for it (released when the target is refused), or
 * UINT32_MAX for an existing cgroup a scan found (the recorder gives one). cgroup is its v2
 * path. 0, or -errno (-ENOSPC for capacity, counted), explained and logged. Safe inside
 * recorder__consume's callback.
 */
int daemon__target_born(struct daemon *d, const struct conf_watch *w, uint32_t slot,
			uint64_t cgroup_id, const char *cgroup);
/*
 * A watched cgroup ended (its ended record): its target is finished once the ring is read
 * (the profile needs recorder__consume, which may be the caller). Safe inside the callback.
 */
int daemon__target_ended(struct daemon *d, uint64_t cgroup_id);

#endif
