// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record --daemon: today's record (exit status, signals forwarded, -o profile, loss -> 3)
 * through a running daemon instead of a BPF load of its own. The command's cgroup is made
 * here and registered with the daemon (Register) before the command starts in it (clone3
 * CLONE_INTO_CGROUP, launch.h): the daemon follows it from its first instruction.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include <json-c/json.h>

#include "cgroup.h"
#include "cli.h"
#include "follow.h"
#include "launch.h"
#include "profile_io.h"
#include "proto.h"
#include "recorder.h"
#include "util.h"

/* A fresh cgroup beside ours, as record makes one: *dir and its locked *fd. */
static int make_cgroup(char **dir, int *fd)
{
	char *parent = NULL;
	int err = cgroup__own_dir(&parent);

	if (!err) {
		/* What killed slimzips left here (their commands included) goes first. */
		cgroup__remove_stale(parent);
		err = cgroup__create(parent, dir, fd);
	}
	free(parent);
	return err;
}

static bool ignored(int sig)
{
	struct sigaction sa;

	return !sigaction(sig, NULL, &sa) && sa.sa_handler == SIG_IGN;
}

/* One request about target name; the answer in *a when EXIT_OK. */
static int call(const struct record_daemon_opts *o, enum proto_method m, const char *name,
		const char *output, struct proto_answer *a)
{
	struct proto_request req = {.method = m, .name = (char *)name, .output = (char *)output};

	return cli_daemon_call("record", o->socket, &req, a);
}

struct run {
	const struct record_daemon_opts *o;
	const char *cgdir, *name;
	pid_t pid;
	int pidfd, status;
	bool exited;
};

static void on_signal(struct run *r, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (ignored(sig))
		return;
	if (sig == SIGUSR1) {
		struct proto_answer a;
		char *out = NULL;

		/* The daemon writes it: the path must mean the same to it. */
		if (!strcmp(r->o->output, "-"))
			return;
		out = r->o->output[0] == '/' ? strdup(r->o->output) : realpath(".", NULL);
		if (out && r->o->output[0] != '/') {
			char *joined = NULL;

			if (asprintf(&joined, "%s/%s", out, r->o->output) < 0)
				joined = NULL;
			free(out);
			out = joined;
		}
		if (out && !call(r->o, PROTO_SNAPSHOT, r->name, out, &a) && !cli.quiet)
			cli_info("snapshot written to %s", out);
		proto_answer__release(&a);
		free(out);
		return;
	}
	if (r->exited)
		return;
	/* A terminal's ^C reached the command's processes already (record does the same). */
	if (si->ssi_code == SI_KERNEL && getpgid(r->pid) == getpgrp())
		return;
	if (cgroup__signal(r->cgdir, sig) <= 0)
		syscall(SYS_pidfd_send_signal, r->pidfd, sig, NULL, 0);
}

static int wait_command(struct run *r, int sfd)
{
	while (!r->exited) {
		struct pollfd p[2] = {{.fd = r->pidfd, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return slz_fail(errno, "poll: %s", strerror(errno));
		}
		if (p[1].revents)
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				on_signal(r, &si);
		if (p[0].revents) {
			int err = launch__wait(r->pidfd, &r->status);

			if (err)
				return err;
			r->exited = true;
		}
	}
	return 0;
}

/* The daemon's profile of the target, made a command's and written to -o. */
static int write_output(const struct record_daemon_opts *o, struct profile *p, int status,
			const struct profile_header **hout)
{
	struct profile_header *h;
	char *cmd = NULL;
	int err;

	h = profile__header(p);
	cmd = slz_shell_join(o->argv);
	err = cmd ? 0 : -ENOMEM;
	if (!err)
		err = profile__set_str(p, &h->target_kind, "command");
	if (!err)
		err = profile__set_str(p, &h->command, cmd);
	free(cmd);
	h->exit_status = status;
	if (!err && o->tree_root)
		err = profile__set_tree_root(p, o->tree_root, NULL);
	if (!err)
		err = profile__write(p, o->output, (enum profile_format)o->format);
	if (err) {
		cli_error("record: %s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		return cli_exit_for(err, CLI_STAGE_OUTPUT);
	}
	*hout = profile__header_const(p);
	return EXIT_OK;
}

/* The exit code of a failed exchange with the daemon (follow.h's errnos), as ctl's. */
static int daemon_exit(int err)
{
	cli_error("record: %s", slz_errmsg());
	return err == -EACCES ? EXIT_PERMISSION : err == -EINVAL ? EXIT_USAGE : EXIT_DAEMON;
}

/* The signals the caller ignores: the command starts ignoring them too, as record's does. */
static void child_ignores(sigset_t *ignore)
{
	sigset_t ours;

	sigemptyset(ignore);
	recorder__signals(&ours);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&ours, sig) == 1 && ignored(sig))
			sigaddset(ignore, sig);
}

int cli_record_daemon(const struct record_daemon_opts *o)
{
	struct run r = {.o = o, .pidfd = -1, .status = -1};
	const struct profile_header *h = NULL;
	struct daemon_follow *f = NULL;
	struct profile *p = NULL;
	char *cgdir = NULL;
	int cgfd = -1, sfd, rc, err, launch_status = -1;
	sigset_t oldmask, cignore;
	struct signalfd_siginfo si;

	sfd = cli_signals_take(&oldmask);
	if (sfd < 0) {
		cli_error("record: %s", slz_errmsg());
		return EXIT_FAILURE_GENERIC;
	}
	err = make_cgroup(&cgdir, &cgfd);
	if (err) {
		cli_error("record: %s", slz_errmsg());
		rc = cli_exit_for(err, CLI_STAGE_RECORD);
		goto out;
	}
	r.cgdir = cgdir;
	err = daemon_follow__start(o->socket, cgdir, o->name, &f);
	if (err) {
		rc = daemon_exit(err);
		goto out;
	}
	r.name = daemon_follow__name(f);
	/* A stop signal before the command started: nothing to forward it to. */
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGUSR1 && !ignored((int)si.ssi_signo)) {
			rc = 128 + (int)si.ssi_signo;
			goto out;
		}
	}
	{
		struct launch_opts lo = {
			.argv = o->argv,
			.cgroup_fd = cgfd,
			.child_ignore = &cignore,
			.user = o->user,
		};

		child_ignores(&cignore);
		err = launch__start(&lo, &r.pid, &r.pidfd, &launch_status);
	}
	if (err) {
		cli_error("record: %s", slz_errmsg());
		rc = cli_exit_recording(err, launch_status, CLI_STAGE_RECORD);
		goto out;
	}
	err = wait_command(&r, sfd);
	if (err) {
		cli_error("record: %s", slz_errmsg());
		rc = EXIT_FAILURE_GENERIC;
		goto out;
	}
	/* What the command left running dies with it, as under record; its events are in. */
	cgroup__kill(cgdir);
	cgroup__wait_empty(cgdir, 5000);
	err = daemon_follow__finish(f, &p, NULL);
	if (err) {
		rc = daemon_exit(err);
		rc = r.status > 0 ? r.status : rc;
		goto out;
	}
	rc = write_output(o, p, r.status, &h);
	if (rc)
		goto out;
	rc = r.status;
	if (h->lost_events) {
		cli_warn("%" PRIu64 " events were lost: the profile is incomplete", h->lost_events);
		if (!rc)
			rc = EXIT_LOSS;
	}
	if (h->truncated_paths) {
		cli_warn("%" PRIu64 " paths were too deep for the recorder and were truncated: "
			 "prune refuses them unless their inode is in the tree",
			 h->truncated_paths);
		if (!rc)
			rc = EXIT_LOSS;
	}
	if (h->dedup_full)
		cli_warn("the dedup map filled up (%" PRIu64 " times): access counts are "
			 "incomplete, but no file is missing",
			 h->dedup_full);
	rc = cli_record_summary(o->output, o->format, o->json, p, true, rc);
out:
	if (r.pidfd >= 0 && !r.exited) {
		syscall(SYS_pidfd_send_signal, r.pidfd, SIGKILL, NULL, 0);
		launch__wait(r.pidfd, &r.status);
	}
	/* Not finished (a target that never will be): the daemon forgets it, writes nothing. */
	daemon_follow__free(f);
	if (cgdir)
		cgroup__destroy(cgdir);
	if (r.pidfd >= 0)
		close(r.pidfd);
	if (cgfd >= 0)
		close(cgfd);
	profile__free(p);
	free(cgdir);
	cli_signals_release(sfd, &oldmask);
	return rc;
}
