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
 *
 * With a user (launch_user__lookup), the child takes that user's uid, primary gid and
 * supplementary groups after child_setup and just before exec, as strace -u does, and like
 * strace it leaves the environment alone (HOME, USER, LOGNAME stay the caller's).
 */
#ifndef SLIMZIP_LAUNCH_H
#define SLIMZIP_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Whom the command runs as. Looked up by the caller before launching: the user database
 * (NSS) may not be used in a child cloned from a threaded process.
 */
struct launch_user {
	char *name; /* as given (a name, UID or UID:GID), for messages */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups (the primary one included, as initgroups does) */
	size_t ngroups;
};

/*
 * spec: a user name, a numeric uid (its passwd entry's gid and groups when it has one, else
 * gid = uid and no supplementary group) or UID:GID (exactly those, no supplementary group).
 * 0, or -ENOENT for a user the system does not know, -EINVAL for a malformed spec, -ENOMEM;
 * explained naming spec. launch_user__release() frees it either way.
 */
int launch_user__lookup(const char *spec, struct launch_user *u);
void launch_user__release(struct launch_user *u); /* NULL-safe, idempotent */
/*
 * Whether u is granted the permission bits want (a mask of 4 read, 2 write, 1 search/execute)
 * by st's owner, group and mode, as the kernel decides without ACLs: the owner's bits when u
 * owns it, else the group's when u is in its group, else the others'. uid 0 gets everything
 * but execution of a file no x bit allows.
 */
bool launch_user__may(const struct launch_user *u, const struct stat *st, unsigned int want);

struct launch_opts {
	char *const *argv;	       /* argv[0] is looked up in PATH like execvp */
	int cgroup_fd;		       /* directory fd of the cgroup to start in, or -1 */
	int (*child_setup)(void *ctx); /* in the child before exec; 0 or -errno */
	void *child_ctx;
	const sigset_t *child_sigmask;	/* the mask the command starts with (NULL: empty) */
	const sigset_t *child_ignore;	/* signals it starts ignoring (NULL: none) */
	const struct launch_user *user; /* run as this user, after child_setup (NULL: ours) */
};

/*
 * Start the command. On success *pid and *pidfd are set and 0 is returned. When the command
 * cannot be started the child has been reaped, -errno is returned with a message and
 * *status holds the exit code a shell would give (127 not found, 126 not executable, 1 setup
 * or the switch to the user).
 */
int launch__start(const struct launch_opts *o, pid_t *pid, int *pidfd, int *status);
/* Wait for the child behind pidfd; returns its shell-style status (128+N for signal N). */
int launch__wait(int pidfd, int *status);
/* The shell-style status of a waitid() result. */
int launch__status_of(int code, int value);
/* The shell-style status for an exec errno: 127 for not found, 126 otherwise. */
int launch__exec_status(int err);

#endif
