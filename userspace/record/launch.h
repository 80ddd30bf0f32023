/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Start a command directly inside a cgroup (clone3 + CLONE_INTO_CGROUP, so not a single
 * instruction of it runs outside), with a pidfd for the event loop. Exec failures are reported
 * back through a close-on-exec pipe, so "not found" is told apart from the command's own 127.
 *
 * The command starts as an interactive shell would start it, whatever the caller inherited:
 * every signal has its default action (but those in child_ignore) and the mask is
 * child_sigmask (empty by default). It is killed (SIGKILL) when the thread that launched it
 * dies, so a killed recorder cannot leave it running unnoticed (PR_SET_PDEATHSIG; only the
 * command itself: what it forks is the cgroup's business).
 */
#ifndef SLIMZIP_LAUNCH_H
#define SLIMZIP_LAUNCH_H

#include <signal.h>
#include <sys/types.h>

struct launch_opts {
	char *const *argv;	       /* argv[0] is looked up in PATH like execvp */
	int cgroup_fd;		       /* directory fd of the cgroup to start in, or -1 */
	int (*child_setup)(void *ctx); /* in the child before exec; 0 or -errno */
	void *child_ctx;
	const sigset_t *child_sigmask; /* the mask the command starts with (NULL: empty) */
	const sigset_t *child_ignore;  /* signals it starts ignoring (NULL: none) */
};

/*
 * Start the command. On success *pid and *pidfd are set and 0 is returned. When the command
 * cannot be started the child has been reaped, -errno is returned with a message and
 * *status holds the exit code a shell would give (127 not found, 126 not executable, 1 setup).
 */
int launch__start(const struct launch_opts *o, pid_t *pid, int *pidfd, int *status);
/* Wait for the child behind pidfd; returns its shell-style status (128+N for signal N). */
int launch__wait(int pidfd, int *status);
/* The shell-style status of a waitid() result. */
int launch__status_of(int code, int value);
/* The shell-style status for an exec errno: 127 for not found, 126 otherwise. */
int launch__exec_status(int err);

#endif
