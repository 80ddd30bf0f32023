// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
	int stage; /* 0: child_setup, 1: exec */
	int err;
};

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
		*status = launch__exec_status(rep.err);
		return slz_fail(rep.err, "cannot run '%s': %s", o->argv[0], strerror(rep.err));
	}
	*pid = (pid_t)ret;
	*pidfd = fd;
	return 0;
}
