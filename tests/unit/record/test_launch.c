// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * launch: real processes started with clone3. Everything but the cgroup placement runs without
 * root (cgroup_fd -1); the cgroup tests need root and skip without it, or fail when
 * SLIMZIP_REQUIRE_BPF=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "launch.h"
#include "util.h"
#include "testfs.h"

static char tmp[PATH_MAX];

static void tpath(char *buf, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", tmp, name) >= PATH_MAX)
		fail_msg("path too long");
}

/* No child of this process is left, running or zombie. */
static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Start argv (cgroup_fd -1 unless given) and wait for it; returns the shell-style status. */
static int run(char *const *argv, int cgroup_fd)
{
	struct launch_opts o = {.argv = argv, .cgroup_fd = cgroup_fd};
	pid_t pid = -1;
	int pidfd = -1, status = -1, st = -1;

	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_true(pid > 0);
	assert_true(pidfd >= 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_no_children();
	return st;
}

static void test_status_of(void **state)
{
	assert_int_equal(launch__status_of(CLD_EXITED, 0), 0);
	assert_int_equal(launch__status_of(CLD_EXITED, 7), 7);
	assert_int_equal(launch__status_of(CLD_EXITED, 255), 255);
	assert_int_equal(launch__status_of(CLD_KILLED, SIGTERM), 143);
	assert_int_equal(launch__status_of(CLD_KILLED, SIGKILL), 137);
	assert_int_equal(launch__status_of(CLD_KILLED, SIGINT), 130);
	assert_int_equal(launch__status_of(CLD_DUMPED, SIGSEGV), 139);
	assert_int_equal(launch__status_of(CLD_DUMPED, SIGABRT), 134);
}

static void test_exec_status(void **state)
{
	assert_int_equal(launch__exec_status(ENOENT), 127);
	assert_int_equal(launch__exec_status(ENOTDIR), 127);
	assert_int_equal(launch__exec_status(EACCES), 126);
	assert_int_equal(launch__exec_status(EPERM), 126);
	assert_int_equal(launch__exec_status(ENOEXEC), 126);
	assert_int_equal(launch__exec_status(ETXTBSY), 126);
}

static void test_exit_codes(void **state)
{
	char *exit7[] = {"/bin/sh", "-c", "exit 7", NULL};
	char *exit0[] = {"/bin/sh", "-c", "exit 0", NULL};
	char *exit255[] = {"/bin/sh", "-c", "exit 255", NULL};
	/* argv[0] without a slash is looked up in PATH. */
	char *from_path[] = {"sh", "-c", "exit 3", NULL};
	/* The command's own 127 is passed through as its status, not as a start failure. */
	char *own127[] = {"/bin/sh", "-c", "exit 127", NULL};

	assert_int_equal(run(exit7, -1), 7);
	assert_int_equal(run(exit0, -1), 0);
	assert_int_equal(run(exit255, -1), 255);
	assert_int_equal(run(from_path, -1), 3);
	assert_int_equal(run(own127, -1), 127);
}

/*
 * A command that kills itself with SIGTERM gives 143. The parent blocks SIGTERM (as the
 * recorder does for its signalfd); the child must start with an empty mask or it would survive.
 */
static void test_self_sigterm_with_parent_mask(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "kill -TERM $$; exit 3", NULL};
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old), 0);
	assert_int_equal(run(argv, -1), 143);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

static int setup_stdout(void *ctx)
{
	int fd = open(ctx, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -errno;
	if (dup2(fd, 1) < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The command starts with child_sigmask (grep run directly: a shell might reset its mask). */
static void test_child_sigmask(void **state)
{
	char *argv[] = {"grep", "^SigBlk:", "/proc/self/status", NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = -1, .child_setup = setup_stdout};
	char out[PATH_MAX];
	sigset_t mask;
	pid_t pid;
	int pidfd, status, st;

	tpath(out, "sigblk");
	o.child_ctx = out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1); /* signal 10: bit 9 */
	o.child_sigmask = &mask;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_int_equal(st, 0);
	assert_string_equal(testfs__slurp(out), "SigBlk:\t0000000000000200\n");

	/* NULL: an empty mask, whatever the parent blocks. */
	o.child_sigmask = NULL;
	assert_int_equal(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &mask, NULL), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_int_equal(st, 0);
	assert_string_equal(testfs__slurp(out), "SigBlk:\t0000000000000000\n");
	unlink(out);
}

/*
 * The command starts with default dispositions, whatever the launcher ignores (a script's
 * background job inherits SIGINT and SIGQUIT ignored and would never stop on them), but for
 * child_ignore. grep runs directly: a shell might change what it ignores.
 */
static void test_child_dispositions(void **state)
{
	char *argv[] = {"grep", "^SigIgn:", "/proc/self/status", NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = -1, .child_setup = setup_stdout};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_usr2;
	char out[PATH_MAX];
	sigset_t keep;
	pid_t pid;
	int pidfd, status, st;

	tpath(out, "sigign");
	o.child_ctx = out;
	assert_int_equal(sigaction(SIGINT, &ign, &old_int), 0);
	assert_int_equal(sigaction(SIGUSR2, &ign, &old_usr2), 0);
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_int_equal(st, 0);
	assert_string_equal(testfs__slurp(out), "SigIgn:\t0000000000000000\n");

	/* child_ignore: those and only those (SIGHUP is signal 1: bit 0). */
	sigemptyset(&keep);
	sigaddset(&keep, SIGHUP);
	o.child_ignore = &keep;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_int_equal(st, 0);
	assert_string_equal(testfs__slurp(out), "SigIgn:\t0000000000000001\n");
	assert_int_equal(sigaction(SIGINT, &old_int, NULL), 0);
	assert_int_equal(sigaction(SIGUSR2, &old_usr2, NULL), 0);
	unlink(out);
}

/*
 * The command dies with its launcher (PR_SET_PDEATHSIG): a process launches sleep (as user u,
 * or as we run) and exits without waiting; the orphan is handed to us (a subreaper) and must
 * have died of SIGKILL.
 */
static void dies_with_launcher(const struct launch_user *u)
{
	int pfd[2], st = 0;
	pid_t mid, orphan = -1, got = 0;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(pfd), 0);
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		char *argv[] = {"sleep", "100", NULL};
		struct launch_opts o = {.argv = argv, .cgroup_fd = -1, .user = u};
		pid_t pid = -1;
		int pidfd, status;

		if (launch__start(&o, &pid, &pidfd, &status))
			_exit(1);
		_exit(write(pfd[1], &pid, sizeof(pid)) == sizeof(pid) ? 0 : 1);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &orphan, sizeof(orphan)), sizeof(orphan));
	close(pfd[0]);
	assert_int_equal(waitpid(mid, &st, 0), mid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < 500 && got == 0; i++) {
		got = waitpid(orphan, &st, WNOHANG);
		if (!got)
			usleep(10000);
	}
	if (got != orphan) { /* it outlived its launcher: do not leave it behind */
		kill(orphan, SIGKILL);
		waitpid(orphan, NULL, 0);
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_int_equal(got, orphan);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_no_children();
}

static void test_dies_with_launcher(void **state)
{
	dies_with_launcher(NULL);
}

/* A user's name, uid or UID:GID; an unknown or malformed one is refused, naming it. */
static void test_user_lookup(void **state)
{
	static const char *const bad[] = {"", "1:", ":1", "1:x", "x:1", "1:2:3", "4294967295:0"};
	struct launch_user u;
	bool has0 = false;

	assert_int_equal(launch_user__lookup("root", &u), 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	/* Its supplementary groups, with the primary one, as initgroups() gives them. */
	for (size_t i = 0; i < u.ngroups; i++)
		has0 = has0 || u.groups[i] == 0;
	assert_true(has0);
	launch_user__release(&u);
	launch_user__release(&u); /* idempotent */
	launch_user__release(NULL);

	/* A uid the passwd file lists: its entry's group. */
	assert_int_equal(launch_user__lookup("0", &u), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_true(u.ngroups >= 1);
	launch_user__release(&u);

	/* One it does not list (Lambda's, say): that uid and a group of the same number. */
	assert_int_equal(launch_user__lookup("3999999999", &u), 0);
	assert_int_equal(u.uid, 3999999999u);
	assert_int_equal(u.gid, 3999999999u);
	assert_int_equal(u.ngroups, 0);
	launch_user__release(&u);

	/* UID:GID: exactly those, no supplementary group. */
	assert_int_equal(launch_user__lookup("12345:678", &u), 0);
	assert_int_equal(u.uid, 12345);
	assert_int_equal(u.gid, 678);
	assert_int_equal(u.ngroups, 0);
	launch_user__release(&u);

	slz_errclear();
	assert_int_equal(launch_user__lookup("slimzip-no-such-user", &u), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "'slimzip-no-such-user'"));
	assert_non_null(strstr(slz_errmsg(), "getent passwd"));
	launch_user__release(&u);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		slz_errclear();
		assert_int_equal(launch_user__lookup(bad[i], &u), -EINVAL);
		assert_true(slz_errmsg()[0] != '\0');
		launch_user__release(&u);
	}
}

/* The owner's bits for the owner, the group's for a member, the others' for the rest. */
static void test_user_may(void **state)
{
	gid_t groups[] = {20, 30};
	struct launch_user u = {.uid = 1000, .gid = 10, .groups = groups, .ngroups = 2};
	struct launch_user root = {.uid = 0};
	struct stat st = {.st_mode = S_IFDIR | 0750, .st_uid = 1000, .st_gid = 99};

	assert_true(launch_user__may(&u, &st, 7));
	st.st_uid = 1; /* not the owner, not in group 99: the others' bits, none */
	assert_false(launch_user__may(&u, &st, 1));
	st.st_gid = 30; /* a supplementary group */
	assert_true(launch_user__may(&u, &st, 5));
	assert_false(launch_user__may(&u, &st, 2));
	st.st_gid = 10; /* the primary group */
	assert_true(launch_user__may(&u, &st, 1));
	st.st_mode =
		S_IFDIR | 0071; /* the owner's bits rule the owner, even when others get more */
	st.st_uid = 1000;
	assert_false(launch_user__may(&u, &st, 1));
	st.st_uid = 1;
	st.st_gid = 99;
	assert_true(launch_user__may(&u, &st, 1));
	assert_false(launch_user__may(&u, &st, 4));
	/* root reads anything and enters any directory, but runs only what some x bit allows. */
	st.st_mode = S_IFDIR | 0;
	assert_true(launch_user__may(&root, &st, 5));
	st.st_mode = S_IFREG | 0600;
	assert_true(launch_user__may(&root, &st, 6));
	assert_false(launch_user__may(&root, &st, 1));
	st.st_mode = S_IFREG | 0700;
	assert_true(launch_user__may(&root, &st, 1));
}

/*
 * As a user: its uid, gid and only its groups (none beyond the gid for UID:GID), set after
 * child_setup, which still runs privileged (it opens the output as we are); the command still
 * dies with its launcher, although the kernel clears the parent-death signal on the switch.
 */
static void test_runs_as_user(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "echo $(id -u) $(id -g) $(id -G)", NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = -1, .child_setup = setup_stdout};
	struct launch_user u;
	char out[PATH_MAX];
	pid_t pid;
	int pidfd, status, st;

	testfs__require_root("running as another user");
	tpath(out, "user.out");
	o.child_ctx = out;
	assert_int_equal(launch_user__lookup("12345:678", &u), 0);
	o.user = &u;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_int_equal(st, 0);
	assert_string_equal(testfs__slurp(out), "12345 678 678\n");
	dies_with_launcher(&u);
	launch_user__release(&u);
	unlink(out);
	assert_no_children();
}

/* In the child: give up the effective uid (not the real one), so setgroups is refused. */
static int setup_lose_privilege(void *ctx)
{
	return syscall(SYS_setresuid, -1, 4242, -1) ? -errno : 0;
}

/* A switch the kernel refuses: the command never runs, status 1, the user named. */
static void test_user_switch_refused(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = -1, .child_setup = setup_lose_privilege};
	struct launch_user u;
	pid_t pid = -1;
	int pidfd = -1, status = -1;

	testfs__require_root("running as another user");
	assert_int_equal(launch_user__lookup("12345:678", &u), 0);
	o.user = &u;
	slz_errclear();
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -EPERM);
	assert_int_equal(status, 1);
	assert_int_equal(pidfd, -1);
	assert_non_null(strstr(slz_errmsg(), "as user 12345:678"));
	launch_user__release(&u);
	assert_no_children();
}

static void test_missing_binary(void **state)
{
	char *by_name[] = {"slimzip-test-no-such-command", NULL};
	char *by_path[] = {"/nonexistent/slimzip-no-such", NULL};
	char *not_dir[] = {"/etc/passwd/sh", NULL};
	struct launch_opts o = {.argv = by_name, .cgroup_fd = -1};
	pid_t pid = -1;
	int pidfd = -1, status = -1;

	/*
	 * execvp reports EACCES when a PATH directory cannot be searched (root's PATH seen by
	 * another user), so the PATH lookup runs on a PATH every user can search.
	 */
	char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	assert_int_equal(setenv("PATH", "/usr/bin:/bin", 1), 0);
	slz_errclear();
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -ENOENT);
	if (saved)
		setenv("PATH", saved, 1);
	else
		unsetenv("PATH");
	free(saved);
	assert_int_equal(status, 127);
	assert_int_equal(pid, -1);
	assert_int_equal(pidfd, -1);
	assert_non_null(strstr(slz_errmsg(), "slimzip-test-no-such-command"));
	/* The child that failed to exec has been reaped: nothing runs, no zombie. */
	assert_no_children();

	o.argv = by_path;
	status = -1;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -ENOENT);
	assert_int_equal(status, 127);
	assert_no_children();

	o.argv = not_dir;
	status = -1;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -ENOTDIR);
	assert_int_equal(status, 127);
	assert_no_children();
}

static void test_not_executable(void **state)
{
	char file[PATH_MAX];
	char *argv[] = {file, NULL};
	char *dir_argv[] = {tmp, NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = -1};
	pid_t pid = -1;
	int pidfd = -1, status = -1, fd;

	tpath(file, "noexec.sh");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	close(fd);
	/* No execute bit for anyone: EACCES even for root. */
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -EACCES);
	assert_int_equal(status, 126);
	assert_int_equal(pidfd, -1);
	assert_no_children();

	/* A directory is not executable either. */
	o.argv = dir_argv;
	status = -1;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -EACCES);
	assert_int_equal(status, 126);
	assert_no_children();

	/* Once executable, the same file runs. */
	assert_int_equal(chmod(file, 0755), 0);
	assert_int_equal(run(argv, -1), 0);
	unlink(file);
}

static int setup_fails(void *ctx)
{
	return -EPERM;
}

static int setup_chdir(void *ctx)
{
	return chdir(ctx) ? -errno : 0;
}

static void test_child_setup(void **state)
{
	char out[PATH_MAX];
	char *argv[] = {"/bin/sh", "-c", "pwd > pwd.out", NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = -1, .child_setup = setup_fails};
	pid_t pid = -1;
	int pidfd = -1, status = -1, st;

	/* A failing setup is reported as such (status 1) and the command never runs. */
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -EPERM);
	assert_int_equal(status, 1);
	assert_int_equal(pidfd, -1);
	assert_no_children();
	tpath(out, "pwd.out");
	assert_int_equal(access(out, F_OK), -1);

	/* A working setup runs in the child before exec, and only in the child. */
	o.child_setup = setup_chdir;
	o.child_ctx = tmp;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	close(pidfd);
	assert_int_equal(st, 0);
	assert_non_null(strstr(testfs__slurp(out), tmp));
	assert_int_equal(unlink(out), 0);
	assert_no_children();
}

static void test_no_command(void **state)
{
	char *empty[] = {NULL};
	struct launch_opts o = {.argv = empty, .cgroup_fd = -1};
	pid_t pid;
	int pidfd, status;

	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -EINVAL);
	o.argv = NULL;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), -EINVAL);
	assert_no_children();
}

/* A directory fd that is not a cgroup cannot be started in: an error, and no child. */
static void test_not_a_cgroup_fd(void **state)
{
	char *argv[] = {"/bin/true", NULL};
	struct launch_opts o = {.argv = argv};
	pid_t pid = -1;
	int pidfd = -1, status = -1;

	o.cgroup_fd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(o.cgroup_fd >= 0);
	assert_true(launch__start(&o, &pid, &pidfd, &status) < 0);
	assert_int_equal(pidfd, -1);
	assert_true(slz_errmsg()[0] != '\0');
	close(o.cgroup_fd);
	assert_no_children();
}

/*
 * A private cgroup below our own, for the tests that start commands in one. Made in the
 * per-test setup and destroyed in the teardown, which cmocka runs even when the test fails.
 */
struct cg {
	char *mnt, *root, *path;
	int fd;
};

static int cg_setup(void **state)
{
	struct cg *c = calloc(1, sizeof(*c));
	char *parent = NULL;

	if (!c)
		return -1;
	c->fd = -1;
	*state = c;
	if (geteuid() != 0)
		return 0; /* the test skips or fails in testfs__require_root() */
	if (cgroup__v2_mount(&c->mnt, &c->root) ||
	    cgroup__self_dir(c->mnt, c->root, testfs__slurp("/proc/self/cgroup"), &parent) ||
	    cgroup__create(parent, &c->path, &c->fd)) {
		fprintf(stderr, "cgroup setup: %s\n", slz_errmsg());
		free(parent);
		return -1;
	}
	free(parent);
	return 0;
}

static int cg_teardown(void **state)
{
	struct cg *c = *state;
	int err = 0;

	if (c->path) {
		err = cgroup__destroy(c->path);
		if (!err && access(c->path, F_OK) == 0)
			err = -EEXIST;
		if (err)
			fprintf(stderr, "cgroup teardown %s: %d %s\n", c->path, err, slz_errmsg());
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c->mnt);
	free(c->root);
	free(c);
	/* Killed commands are reaped by the test; a leftover would be a leak. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		err = -ECHILD;
	return err ? -1 : 0;
}

/* The path /proc/<pid>/cgroup shows for a cgroup directory: mount root + path below mount. */
static char *cg_expected(const struct cg *c)
{
	const char *below = c->path + strlen(c->mnt);
	char *e = NULL;

	assert_true(!strncmp(c->path, c->mnt, strlen(c->mnt)));
	assert_true(asprintf(&e, "%s%s", strcmp(c->root, "/") ? c->root : "", below) > 0);
	return e;
}

static void test_runs_in_cgroup(void **state)
{
	char out[PATH_MAX], cmd[PATH_MAX + 64];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	char *got = NULL, *want;
	struct cg c;

	testfs__require_root("cgroup test");
	c = *(struct cg *)*state;
	tpath(out, "cgroup.out");
	snprintf(cmd, sizeof(cmd), "cat /proc/self/cgroup > '%s'", out);
	assert_int_equal(run(argv, c.fd), 0);
	want = cg_expected(&c);
	assert_int_equal(cgroup__parse_self(testfs__slurp(out), &got), 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	unlink(out);
	/* Started without a cgroup fd, the command stays in ours. */
	assert_int_equal(run(argv, -1), 0);
	assert_int_equal(cgroup__parse_self(testfs__slurp(out), &got), 0);
	{
		char *mine = NULL;

		assert_int_equal(cgroup__parse_self(testfs__slurp("/proc/self/cgroup"), &mine), 0);
		assert_string_equal(got, mine);
		free(mine);
	}
	free(got);
	unlink(out);
}

/* While it runs, the command is listed in the cgroup's cgroup.procs; killed, it gives 137. */
static void test_running_child_in_cgroup_procs(void **state)
{
	char *argv[] = {"sleep", "100", NULL};
	struct launch_opts o = {.argv = argv};
	char procs[PATH_MAX], line[32];
	pid_t pid = -1;
	int pidfd = -1, status = -1, st = -1;
	struct cg c;

	testfs__require_root("cgroup test");
	c = *(struct cg *)*state;
	o.cgroup_fd = c.fd;
	assert_int_equal(launch__start(&o, &pid, &pidfd, &status), 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", c.path);
	snprintf(line, sizeof(line), "%d\n", (int)pid);
	assert_string_equal(testfs__slurp(procs), line);
	assert_int_equal(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
	assert_int_equal(launch__wait(pidfd, &st), 0);
	assert_int_equal(st, 137);
	close(pidfd);
	assert_no_children();
}

static int group_setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/slz-test-launch-XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int group_teardown(void **state)
{
	/* What a failed test may have left behind. */
	const char *files[] = {"sigblk",  "sigign",	"noexec.sh",
			       "pwd.out", "cgroup.out", "user.out"};
	char p[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		tpath(p, files[i]);
		unlink(p);
	}
	return rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_of),
		cmocka_unit_test(test_exec_status),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_self_sigterm_with_parent_mask),
		cmocka_unit_test(test_child_sigmask),
		cmocka_unit_test(test_child_dispositions),
		cmocka_unit_test(test_dies_with_launcher),
		cmocka_unit_test(test_user_lookup),
		cmocka_unit_test(test_user_may),
		cmocka_unit_test(test_runs_as_user),
		cmocka_unit_test(test_user_switch_refused),
		cmocka_unit_test(test_missing_binary),
		cmocka_unit_test(test_not_executable),
		cmocka_unit_test(test_child_setup),
		cmocka_unit_test(test_no_command),
		cmocka_unit_test(test_not_a_cgroup_fd),
		cmocka_unit_test_setup_teardown(test_runs_in_cgroup, cg_setup, cg_teardown),
		cmocka_unit_test_setup_teardown(test_running_child_in_cgroup_procs, cg_setup,
						cg_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
