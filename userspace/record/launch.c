// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "launch.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* What the child reports through the pipe before it dies; nothing at all means exec worked. */
struct child_report {
	int stage; /* 0: child_setup, 1: exec, 2: the switch to the user */
	int err;
};

void launch_user__release(struct launch_user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->groups);
	memset(u, 0, sizeof(*u));
}

/* A uid or gid: decimal digits only, and not (id_t)-1, which the set*id calls read as "keep". */
static bool parse_id(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (!len || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The supplementary groups initgroups() would give name (the primary gid included). */
static int user_groups(const char *name, gid_t gid, struct launch_user *u)
{
	int n = 32;

	for (;;) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));
		int got = n;

		if (!g)
			return -ENOMEM;
		u->groups = g;
		if (getgrouplist(name, gid, g, &got) >= 0) {
			u->ngroups = (size_t)got;
			return 0;
		}
		/* got is now the count needed; a library that does not say so gets more room. */
		n = got > n ? got : n * 2;
		if (n > 65536)
			return slz_fail(E2BIG, "--user %s: too many groups", name);
	}
}

int launch_user__lookup(const char *spec, struct launch_user *u)
{
	struct passwd pw, *found = NULL;
	const char *colon;
	char *buf = NULL;
	size_t blen = 1024;
	uint32_t uid, gid;
	bool numeric;
	int err;

	memset(u, 0, sizeof(*u));
	if (!spec || !*spec)
		return slz_fail(EINVAL, "--user needs a user name or a numeric uid");
	u->name = strdup(spec);
	if (!u->name)
		return -ENOMEM;
	colon = strchr(spec, ':');
	if (colon) {
		if (!parse_id(spec, (size_t)(colon - spec), &uid) ||
		    !parse_id(colon + 1, strlen(colon + 1), &gid))
			return slz_fail(EINVAL, "--user: '%s' is not a user name, UID or UID:GID",
					spec);
		u->uid = uid;
		u->gid = gid;
		return 0;
	}
	numeric = parse_id(spec, strlen(spec), &uid);
	for (;;) {
		char *nb = realloc(buf, blen);

		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		err = numeric ? getpwuid_r(uid, &pw, buf, blen, &found)
			      : getpwnam_r(spec, &pw, buf, blen, &found);
		if (err != ERANGE || blen >= (1u << 20))
			break;
		blen *= 2;
	}
	if (err) {
		err = slz_fail(err, "--user %s: cannot read the user database: %s", spec,
			       strerror(err));
	} else if (!found && numeric) {
		/* A uid the system has no name for (Lambda's own, say): it and its own group. */
		u->uid = uid;
		u->gid = uid;
	} else if (!found) {
		err = slz_fail(ENOENT,
			       "--user: no user '%s' on this system (give a name 'getent passwd' "
			       "lists, a numeric uid or UID:GID)",
			       spec);
	} else {
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		err = user_groups(pw.pw_name, pw.pw_gid, u);
	}
	free(buf);
	return err;
}

static bool user_in_group(const struct launch_user *u, gid_t gid)
{
	if (u->gid == gid)
		return true;
	for (size_t i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}

bool launch_user__may(const struct launch_user *u, const struct stat *st, unsigned int want)
{
	unsigned int bits;

	want &= 7;
	if (u->uid == 0)
		return !(want & 1) || S_ISDIR(st->st_mode) || (st->st_mode & 0111);
	if (st->st_uid == u->uid)
		bits = (st->st_mode >> 6) & 7;
	else if (user_in_group(u, st->st_gid))
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & want) == want;
}

int launch__exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

int launch__status_of(int code, int value)
{
	if (code == CLD_EXITED)
		return value & 0xff;
	return 128 + value;
}

int launch__wait(int pidfd, int *status)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (!waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED))
			break;
		if (errno != EINTR)
			return slz_fail(errno, "waiting for the command failed: %s",
					strerror(errno));
	}
	*status = launch__status_of(si.si_code, si.si_status);
	return 0;
}

static void child_report(int fd, int stage, int err)
{
	struct child_report r = {stage, err};
	ssize_t n = write(fd, &r, sizeof(r));

	(void)n;
}

/*
 * execvp() reports EACCES when PATH holds a directory it may not search, even if the command
 * exists nowhere; shells say "not found" (127) then. Only when some PATH entry really holds the
 * name is it a permission problem. Runs in the child: stack buffers only, no allocation.
 */
static int exec_errno(const char *cmd, int err)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];
	struct stat st;

	if (err != EACCES || strchr(cmd, '/'))
		return err;
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		size_t len;

		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (len + strlen(cmd) + 2 > sizeof(buf))
			continue;
		memcpy(buf, len ? p : ".", len ? len : 1);
		len = len ? len : 1;
		buf[len] = '/';
		strcpy(buf + len + 1, cmd);
		if (!stat(buf, &st))
			return EACCES;
	}
	return ENOENT;
}

/* Every signal's default action, but those in ignore: what exec keeps of the parent's. */
static void child_dispositions(const sigset_t *ignore)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};

	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sa.sa_handler = ignore && sigismember(ignore, sig) == 1 ? SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL); /* EINVAL for the C library's own: they stay its own */
	}
}

/*
 * In the child, just before exec: the user's groups, gid and uid, in that order (each needs
 * the privilege the next one gives up). Raw system calls: glibc's wrappers apply a change to
 * every thread of the process as glibc knows it, the launcher's, and this child was cloned
 * behind glibc's back with one thread. errno, or 0.
 */
static int child_become(const struct launch_user *u, pid_t parent)
{
	if (syscall(SYS_setgroups, u->ngroups, u->groups) ||
	    syscall(SYS_setresgid, u->gid, u->gid, u->gid) ||
	    syscall(SYS_setresuid, u->uid, u->uid, u->uid))
		return errno;
	/* The kernel clears the parent-death signal when credentials change: arm it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		return errno;
	if (getppid() != parent)
		_exit(1);
	return 0;
}

static __attribute__((noreturn)) void child_main(const struct launch_opts *o, pid_t parent,
						 int report_fd)
{
	sigset_t empty;
	int err;

	/*
	 * Die with the launcher; if it died before the line above took effect we were already
	 * reparented, and nobody would ever wait for us.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	/* All signals are blocked here (see launch__start): no handler of the parent's can run. */
	child_dispositions(o->child_ignore);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, o->child_sigmask ? o->child_sigmask : &empty, NULL);
	if (o->child_setup) {
		err = o->child_setup(o->child_ctx);
		if (err) {
			child_report(report_fd, 0, err < 0 ? -err : err);
			_exit(1);
		}
	}
	if (o->user) {
		err = child_become(o->user, parent);
		if (err) {
			child_report(report_fd, 2, err);
			_exit(1);
		}
	}
	execvp(o->argv[0], o->argv);
	err = exec_errno(o->argv[0], errno);
	child_report(report_fd, 1, err);
	_exit(launch__exec_status(err));
}

int launch__start(const struct launch_opts *o, pid_t *pid, int *pidfd, int *status)
{
	struct clone_args ca = {};
	struct child_report rep;
	int pipefd[2], fd = -1, st, clone_err;
	pid_t parent = getpid();
	sigset_t all, old;
	ssize_t n;
	long ret;

	*status = -1;
	if (!o->argv || !o->argv[0])
		return slz_fail(EINVAL, "no command to run");
	if (pipe2(pipefd, O_CLOEXEC))
		return slz_fail(errno, "pipe: %s", strerror(errno));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&fd;
	ca.exit_signal = SIGCHLD;
	if (o->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)o->cgroup_fd;
	}
	/*
	 * As posix_spawn does: the child starts with every signal blocked until it has reset the
	 * dispositions, so none of our handlers runs in it. Only this thread's mask, for a moment.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = syscall(SYS_clone3, &ca, sizeof(ca));
	clone_err = errno;
	if (ret == 0) {
		close(pipefd[0]);
		child_main(o, parent, pipefd[1]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0) {
		int err = clone_err;

		close(pipefd[0]);
		close(pipefd[1]);
		if (err == ENOSYS || err == E2BIG)
			return slz_fail(EOPNOTSUPP,
					"clone3 with CLONE_INTO_CGROUP is not supported "
					"(needs Linux 5.7)");
		return slz_fail(err, "cannot start the command in its cgroup: %s", strerror(err));
	}
	close(pipefd[1]);
	do {
		n = read(pipefd[0], &rep, sizeof(rep));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(rep)) {
		launch__wait(fd, &st);
		close(fd);
		if (rep.stage == 0) {
			*status = 1;
			return slz_fail(rep.err, "preparing the command failed: %s",
					strerror(rep.err));
		}
		if (rep.stage == 2) {
			*status = 1;
			return slz_fail(rep.err, "cannot run '%s' as user %s (uid %u, gid %u): %s",
					o->argv[0], o->user->name, (unsigned int)o->user->uid,
					(unsigned int)o->user->gid, strerror(rep.err));
		}
		*status = launch__exec_status(rep.err);
		return slz_fail(rep.err, "cannot run '%s': %s", o->argv[0], strerror(rep.err));
	}
	*pid = (pid_t)ret;
	*pidfd = fd;
	return 0;
}
