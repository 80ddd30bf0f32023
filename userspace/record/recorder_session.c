// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * recorder__record(): the whole life cycle of one `slimzip record`, built on the recorder's
 * public pieces: cgroup set-up, the command, signals, snapshots, the header of the profile.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "config.h"
#include "cgroup.h"
#include "host.h"
#include "launch.h"
#include "recorder.h"
#include "util.h"

/*
 * Events are sent without waking us (a wakeup per new file is a cross-CPU wakeup each), so
 * the loop drains the ring at least this often; a full-ish ring still wakes it at once.
 */
#define POLL_INTERVAL_MS 50

static int fill_header(struct profile *p, const struct record_opts *o, const char *cgdir,
		       int64_t start_ms, int status)
{
	struct profile_header *h = profile__header(p);
	char *cmd = NULL, *tree = NULL;
	int err;

	if (o->argv && !(cmd = slz_shell_join(o->argv)))
		return -ENOMEM;
	err = profile__set_host(p, SLIMZIP_VERSION);
	if (!err)
		err = profile__set_str(p, &h->target_kind,
				       o->argv ? "command"
				       : cgdir ? "cgroup"
					       : "process");
	if (!err && !cgdir && asprintf(&tree, "pid %d and its descendants", (int)o->pid) < 0)
		err = -ENOMEM;
	if (!err)
		err = profile__set_str(p, &h->target, cgdir ? cgdir : tree);
	if (!err)
		err = profile__set_str(p, &h->command, cmd);
	h->start_unix_ms = start_ms;
	h->end_unix_ms = slz_unix_ms();
	h->exit_status = o->argv ? status : -1;
	free(cmd);
	free(tree);
	return err;
}

struct record_state {
	const struct record_opts *o;
	struct recorder *r;
	uint32_t slot;
	const char *cgdir;
	int64_t start_ms;
	pid_t pid;
	int pidfd;
	bool exited, stop;
	bool waiting; /* wait_children: the command exited, its cgroup is not empty yet */
	int status;
};

static int take_snapshot(struct record_state *s)
{
	struct profile *p = NULL;
	int err;

	if (!s->o->on_snapshot)
		return 0;
	err = recorder__consume(s->r);
	if (err < 0)
		return err;
	err = recorder__profile(s->r, s->slot, &p);
	if (!err)
		err = fill_header(p, s->o, s->cgdir, s->start_ms, -1);
	if (!err) {
		profile__sort(p);
		err = s->o->on_snapshot(p, s->o->snapshot_ctx);
	}
	profile__free(p);
	return err;
}

/* Whether the caller ignores sig: then it is not acted on, as if it had been discarded. */
static bool ignored(int sig)
{
	struct sigaction sa;

	return !sigaction(sig, NULL, &sa) && sa.sa_handler == SIG_IGN;
}

static void on_signal(struct record_state *s, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (ignored(sig))
		return;
	if (sig == SIGUSR1) {
		take_snapshot(s); /* a failed snapshot must not end the recording */
		return;
	}
	if (s->o->stop_signal && !*s->o->stop_signal)
		*s->o->stop_signal = sig;
	if (!s->o->argv) {
		s->stop = true;
		return;
	}
	if (s->exited && !s->waiting)
		return;
	/*
	 * A terminal's ^C already reached every process of the command in our process group (the
	 * terminal's foreground group): sending it again would be a second ^C.
	 */
	if (si->ssi_code == SI_KERNEL && getpgid(s->pid) == getpgrp())
		return;
	/*
	 * Everything the command runs, as one: a shell waiting for its child does not act on a
	 * signal until the child is done, so the signal must reach the child too. The cgroup
	 * rather than a process group: ours is shared with the terminal's other jobs (a pipeline
	 * around slimzip), and a group of its own would take the terminal away from the command.
	 */
	if (cgroup__signal(s->cgdir, sig) <= 0 && !s->exited)
		syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0);
}

void recorder__signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
}

/*
 * Signals that came before recording began: nothing to forward them to yet, so a stop signal
 * ends the call, as it would have ended the process had it not been blocked (one the process
 * ignores would have been discarded). A SIGUSR1 has nothing to snapshot.
 */
static int early_signals(const struct record_opts *o, int sfd, int *cmd_status)
{
	struct signalfd_siginfo si;
	int sig, stop = 0;

	if (sfd < 0)
		return 0;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		sig = (int)si.ssi_signo;
		if (sig == SIGUSR1 || stop || ignored(sig))
			continue;
		stop = sig;
	}
	if (!stop)
		return 0;
	*cmd_status = 128 + stop;
	if (o->stop_signal && !*o->stop_signal)
		*o->stop_signal = stop;
	return slz_fail(EINTR, "interrupted by signal %d (%s) before recording began", stop,
			strsignal(stop));
}

/* The signals of the call that the caller ignores: the command starts ignoring them too. */
static void child_ignores(sigset_t *ignore)
{
	sigset_t ours;

	sigemptyset(ignore);
	recorder__signals(&ours);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&ours, sig) == 1 && ignored(sig))
			sigaddset(ignore, sig);
	}
}

static int event_loop(struct record_state *s, int sfd, int tfd)
{
	struct epoll_event evs[4], ev = {.events = EPOLLIN};
	int efd = epoll_create1(EPOLL_CLOEXEC), err = 0;
	int fds[4] = {recorder__epoll_fd(s->r), sfd, s->pidfd, tfd};

	if (efd < 0)
		return slz_fail(errno, "epoll: %s", strerror(errno));
	for (int i = 0; i < 4; i++) {
		if (fds[i] < 0)
			continue;
		ev.data.fd = fds[i];
		if (epoll_ctl(efd, EPOLL_CTL_ADD, fds[i], &ev)) {
			err = slz_fail(errno, "epoll: %s", strerror(errno));
			goto out;
		}
	}
	while (!s->exited && !s->stop) {
		int n = epoll_wait(efd, evs, 4, POLL_INTERVAL_MS);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = slz_fail(errno, "epoll: %s", strerror(errno));
			break;
		}
		/* The kernel side wakes us only when the ring fills: drain on every turn. */
		err = recorder__consume(s->r);
		if (err < 0)
			goto out;
		err = 0;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == fds[0]) {
				continue; /* drained above */
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
					on_signal(s, &si);
			} else if (fd == s->pidfd && !s->o->argv) {
				s->exited = true; /* --pid: not our child, nothing to reap */
			} else if (fd == s->pidfd) {
				err = launch__wait(s->pidfd, &s->status);
				if (err)
					goto out;
				s->exited = true;
			} else if (fd == tfd) {
				s->stop = true;
			}
		}
	}
out:
	close(efd);
	return err;
}

/*
 * --wait-children: after the command, record on until its cgroup is empty. cgroup.events
 * changes wake epoll (EPOLLPRI: kernfs notifies a change of "populated"); the loop reads it
 * again on every turn anyway, so a missed notification costs one poll interval at most.
 */
static int wait_children(struct record_state *s, int sfd)
{
	struct epoll_event evs[4], ev = {.events = EPOLLIN};
	int efd = epoll_create1(EPOLL_CLOEXEC), evfd = -1, tfd = -1, err = 0, fds[4];
	char *events = NULL;

	if (efd < 0)
		return slz_fail(errno, "epoll: %s", strerror(errno));
	if (asprintf(&events, "%s/cgroup.events", s->cgdir) < 0) {
		err = -ENOMEM;
		goto out;
	}
	evfd = open(events, O_RDONLY | O_CLOEXEC);
	if (s->o->wait_timeout_s) {
		struct itimerspec its = {.it_value = {.tv_sec = (time_t)s->o->wait_timeout_s}};

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
			err = slz_fail(errno, "timerfd: %s", strerror(errno));
			goto out;
		}
	}
	fds[0] = recorder__epoll_fd(s->r);
	fds[1] = sfd;
	fds[2] = evfd;
	fds[3] = tfd;
	for (int i = 0; i < 4; i++) {
		if (fds[i] < 0)
			continue;
		ev.events = fds[i] == evfd ? EPOLLPRI : EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(efd, EPOLL_CTL_ADD, fds[i], &ev)) {
			err = slz_fail(errno, "epoll: %s", strerror(errno));
			goto out;
		}
	}
	s->waiting = true;
	while (cgroup__populated(s->cgdir) > 0) {
		int n = epoll_wait(efd, evs, 4, POLL_INTERVAL_MS);

		if (n < 0 && errno != EINTR) {
			err = slz_fail(errno, "epoll: %s", strerror(errno));
			break;
		}
		err = recorder__consume(s->r);
		if (err < 0)
			break;
		err = 0;
		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (evs[i].data.fd == sfd) {
				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
					on_signal(s, &si);
			} else if (evs[i].data.fd == tfd && tfd >= 0) {
				if (s->o->wait_timed_out)
					*s->o->wait_timed_out = true;
				goto out;
			}
		}
	}
out:
	s->waiting = false;
	if (tfd >= 0)
		close(tfd);
	if (evfd >= 0)
		close(evfd);
	free(events);
	close(efd);
	return err;
}

/* --pid without a cgroup: a process-tree target, root and what runs below it tagged. */
static int follow_tree(struct record_state *s)
{
	int err = recorder__add_task_target(s->r, &s->slot);

	if (!err)
		err = recorder__tag_tree(s->r, s->slot, s->o->pid);
	return err;
}

int recorder__record(const struct record_opts *o, struct profile **out, int *cmd_status)
{
	struct recorder_config cfg = {
		.hook = o->hook,
		.record_missing = o->record_missing,
		.max_files = o->max_files,
		.ringbuf_bytes = o->ringbuf_bytes,
		.one_shot = true,
		/* One target: the command's cgroup, the given one or the tree. */
		.max_targets = 1,
		.no_task_tags = o->argv || o->cgroup_path};
	struct record_state s = {.o = o, .pidfd = -1, .status = -1, .start_ms = slz_unix_ms()};
	char *parent = NULL, *cgdir = NULL;
	struct recorder *r = NULL;
	struct profile *p = NULL;
	int cgfd = -1, sfd = o->signal_fd > 0 ? o->signal_fd : -1, tfd = -1, err, e;
	bool created = false;
	sigset_t cignore;
	uint64_t cgid;

	*out = NULL;
	*cmd_status = -1;
	if (o->stop_signal)
		*o->stop_signal = 0;
	if (!o->argv == !(o->cgroup_path || o->pid) || (o->argv && o->pid))
		return slz_fail(EINVAL, "record needs either a command, a cgroup or a pid");
	if (o->wait_timed_out)
		*o->wait_timed_out = false;
	if (o->pid > 0) {
		/* Opened first: a pid reused after this cannot be taken for the process. */
		s.pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
		if (s.pidfd < 0)
			return errno == ESRCH
				       ? slz_fail(ESRCH, "no process %d is running", (int)o->pid)
				       : slz_fail(errno, "pidfd_open(%d): %s", (int)o->pid,
						  strerror(errno));
	}
	err = recorder__check_support();
	if (err)
		return err;
	if (o->argv) {
		err = cgroup__own_dir(&parent);
		if (err)
			goto out;
	} else if (o->cgroup_path) {
		err = cgroup__resolve(o->cgroup_path, &cgdir);
		if (err)
			goto out;
	}
	err = recorder__open(&cfg, &r);
	if (err)
		goto out;
	s.r = r;
	if (o->argv) {
		/* What killed slimzips left here (their commands included): ours would be next. */
		cgroup__remove_stale(parent);
		err = cgroup__create(parent, &cgdir, &cgfd);
		if (err)
			goto out;
		created = true;
	}
	s.cgdir = cgdir;
	if (cgdir) {
		err = cgroup__id(cgdir, &cgid);
		if (!err)
			err = recorder__add_target(r, cgid, &s.slot);
	} else {
		err = follow_tree(&s);
	}
	if (err)
		goto out;

	err = early_signals(o, sfd, cmd_status);
	if (err)
		goto out;
	if (o->argv) {
		struct launch_opts so = {
			.argv = o->argv,
			.cgroup_fd = cgfd,
			.child_setup = o->child_setup,
			.child_ctx = o->child_ctx,
			.child_ignore = &cignore,
			.user = o->user,
		};

		child_ignores(&cignore);
		err = launch__start(&so, &s.pid, &s.pidfd, cmd_status);
		if (err)
			goto out;
	} else if (o->duration_s) {
		struct itimerspec its = {.it_value = {.tv_sec = (time_t)o->duration_s}};

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
			err = slz_fail(errno, "timerfd: %s", strerror(errno));
			goto out;
		}
	}
	err = event_loop(&s, sfd, tfd);
	if (!err && created && s.exited && o->wait_children)
		err = wait_children(&s, sfd);
	if (err)
		goto out;
	if (created) {
		/* Leftover daemons die with the cgroup; their last events are in the ring already.
		 */
		err = cgroup__destroy(cgdir);
		created = false;
		if (err)
			goto out;
	}
	err = recorder__consume(r);
	if (err < 0)
		goto out;
	err = recorder__profile(r, s.slot, &p);
	if (!err)
		err = fill_header(p, o, cgdir, s.start_ms, s.status);
	if (err)
		goto out;
	profile__sort(p);
	*out = p;
	p = NULL;
	*cmd_status = o->argv ? s.status : -1;
out:
	if (s.pidfd >= 0 && !s.exited && o->argv) {
		/* An error while the command runs: do not leave it behind. */
		syscall(SYS_pidfd_send_signal, s.pidfd, SIGKILL, NULL, 0);
		launch__wait(s.pidfd, &s.status);
	}
	if (created && (e = cgroup__destroy(cgdir)) && !err)
		err = e;
	if (sfd >= 0) {
		struct signalfd_siginfo si;

		/* Signals of this call are consumed by it rather than delivered once unblocked. */
		while (read(sfd, &si, sizeof(si)) > 0)
			;
	}
	if (tfd >= 0)
		close(tfd);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (cgfd >= 0)
		close(cgfd);
	profile__free(p);
	recorder__free(r);
	free(parent);
	free(cgdir);
	return err;
}
