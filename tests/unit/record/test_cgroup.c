// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup: the real cgroup v2 hierarchy. Finding the mount and resolving paths need no root;
 * creating, killing and removing cgroups do, and skip without it (fail when
 * SLIMZIP_REQUIRE_BPF=1). Every cgroup made here is named slimzip-<our pid>-N and the last test
 * checks that none is left anywhere in the hierarchy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "launch.h"
#include "util.h"
#include "testfs.h"

static char *mnt, *mnt_root, *self_dir;

static char *join(const char *a, const char *b)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", a, b) > 0);
	return p;
}

static bool exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

static int populated(const char *cg)
{
	char *ev = join(cg, "cgroup.events");
	const char *s = strstr(testfs__slurp(ev), "populated ");

	free(ev);
	assert_non_null(s);
	return s[10] - '0';
}

/* Counts directories named slimzip-<our pid>-* anywhere below dir. */
static int count_ours(const char *dir)
{
	char prefix[64];
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "slimzip-%d-", (int)getpid());
	while ((de = readdir(d))) {
		char *c;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
		c = join(dir, de->d_name);
		n += count_ours(c);
		free(c);
	}
	closedir(d);
	return n;
}

/* A child that sleeps until killed; in cgroup_fd when given (via launch), else in ours. */
static pid_t start_sleeper(int cgroup_fd, int *pidfd)
{
	char *argv[] = {"sleep", "1000", NULL};
	struct launch_opts o = {.argv = argv, .cgroup_fd = cgroup_fd};
	pid_t pid = -1;
	int status;

	assert_int_equal(launch__start(&o, &pid, pidfd, &status), 0);
	return pid;
}

static void move_to(const char *cg, pid_t pid)
{
	char *procs = join(cg, "cgroup.procs");
	char num[32];
	int fd = open(procs, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	snprintf(num, sizeof(num), "%d", (int)pid);
	assert_int_equal(write(fd, num, strlen(num)), (ssize_t)strlen(num));
	close(fd);
	free(procs);
}

static bool in_procs(const char *cg, pid_t pid)
{
	char *procs = join(cg, "cgroup.procs");
	char *text = testfs__slurp(procs), *line, *save = NULL;
	bool found = false;

	free(procs);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		found |= atoi(line) == pid;
	return found;
}

/* The cgroup each test works in, destroyed by the teardown even when the test fails. */
struct cg {
	char *path;
	int fd;
};

static int cg_setup(void **state)
{
	struct cg *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->fd = -1;
	*state = c;
	if (geteuid() != 0 || !self_dir)
		return 0; /* the test skips or fails in testfs__require_root() */
	if (cgroup__create(self_dir, &c->path, &c->fd)) {
		fprintf(stderr, "cgroup__create: %s\n", slz_errmsg());
		return -1;
	}
	return 0;
}

static int cg_teardown(void **state)
{
	struct cg *c = *state;
	int err = 0;

	if (c->path && exists(c->path)) {
		err = cgroup__destroy(c->path);
		if (err)
			fprintf(stderr, "cgroup__destroy %s: %s\n", c->path, slz_errmsg());
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c);
	return err ? -1 : 0;
}

static void test_v2_mount(void **state)
{
	struct statfs sfs;

	assert_non_null(mnt);
	assert_int_equal(statfs(mnt, &sfs), 0);
	assert_int_equal(sfs.f_type, CGROUP2_SUPER_MAGIC);
	assert_int_equal(mnt_root[0], '/');
	/* Our own cgroup directory exists, on the same cgroup2 filesystem, below the mount. */
	assert_non_null(self_dir);
	assert_int_equal(strncmp(self_dir, mnt, strlen(mnt)), 0);
	assert_int_equal(statfs(self_dir, &sfs), 0);
	assert_int_equal(sfs.f_type, CGROUP2_SUPER_MAGIC);
	{
		char *procs = join(self_dir, "cgroup.procs");

		assert_true(exists(procs));
		free(procs);
	}
}

static void test_resolve(void **state)
{
	char *dir = NULL;

	/* "/" relative to the mount is the mount itself. */
	assert_int_equal(cgroup__resolve("/", &dir), 0);
	assert_string_equal(dir, mnt);
	free(dir);
	/* An absolute cgroup2 directory resolves to itself. */
	assert_int_equal(cgroup__resolve(mnt, &dir), 0);
	assert_string_equal(dir, mnt);
	free(dir);
	/* Not a cgroup: a message naming the path. */
	slz_errclear();
	assert_int_equal(cgroup__resolve("/slimzip-test-no-such-cgroup", &dir), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "slimzip-test-no-such-cgroup"));
	/* ... as the user gave it, leading '/' included. */
	assert_non_null(strstr(slz_errmsg(), "'/slimzip-test-no-such-cgroup' is not a cgroup v2"));
	/* A real directory that is not on cgroup2 is looked up below the mount, and is not there.
	 */
	assert_int_equal(cgroup__resolve("/usr", &dir), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), "'/usr' is not a cgroup v2 directory"));
}

static void test_create_id_remove(void **state)
{
	const struct cg *c = *state;
	char prefix[PATH_MAX], *second = NULL;
	struct stat st, fst;
	uint64_t id = 0;
	int fd2 = -1;

	testfs__require_root("cgroup test");
	snprintf(prefix, sizeof(prefix), "%s/slimzip-%d-", self_dir, (int)getpid());
	assert_int_equal(strncmp(c->path, prefix, strlen(prefix)), 0);
	assert_int_equal(stat(c->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* The fd is the same directory, and holds the owner's lock: nobody else can take it. */
	assert_int_equal(fstat(c->fd, &fst), 0);
	assert_int_equal(fst.st_ino, st.st_ino);
	assert_int_equal(fst.st_dev, st.st_dev);
	assert_int_equal(fcntl(c->fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	{
		int other = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		assert_true(other >= 0);
		assert_int_equal(owned__lock(other), -EWOULDBLOCK);
		close(other);
	}
	/* The id is the inode number; cross-check with the kernel's file handle (the cgroup id). */
	assert_int_equal(cgroup__id(c->path, &id), 0);
	assert_int_equal(id, st.st_ino);
	{
		struct {
			struct file_handle fh;
			uint64_t cgid;
		} h = {.fh.handle_bytes = sizeof(uint64_t)};
		int mount_id;

		assert_int_equal(name_to_handle_at(AT_FDCWD, c->path, &h.fh, &mount_id, 0), 0);
		assert_int_equal(h.fh.handle_bytes, sizeof(uint64_t));
		assert_int_equal(h.cgid, id);
	}
	assert_true(cgroup__id("/sys/fs/cgroup/slimzip-no-such", &id) < 0);
	/* A second cgroup gets a different name and id. */
	assert_int_equal(cgroup__create(self_dir, &second, &fd2), 0);
	assert_string_not_equal(second, c->path);
	{
		uint64_t id2;

		assert_int_equal(cgroup__id(second, &id2), 0);
		assert_true(id2 != id);
	}
	assert_int_equal(cgroup__remove(second), 0);
	assert_false(exists(second));
	close(fd2);
	free(second);
	/* An empty cgroup is simply removed; removing again is not an error. */
	assert_int_equal(cgroup__remove(c->path), 0);
	assert_false(exists(c->path));
	assert_int_equal(cgroup__remove(c->path), 0);
}

static void test_create_under_missing_parent(void **state)
{
	char *path = NULL;
	int fd = -1;

	testfs__require_root("cgroup test");
	slz_errclear();
	assert_int_equal(cgroup__create("/sys/fs/cgroup/slimzip-no-such-parent/x", &path, &fd),
			 -ENOENT);
	assert_null(path);
	assert_int_equal(fd, -1);
	assert_true(slz_errmsg()[0] != '\0');
}

/*
 * A process moved in by pid and another started in a nested child by launch: kill reaches
 * both, wait_empty sees the cgroup drain, remove takes the nested child and the cgroup.
 */
static void test_kill_wait_remove_nested(void **state)
{
	const struct cg *c = *state;
	char *nested = join(c->path, "inner");
	char *deeper = join(nested, "deeper");
	pid_t moved, launched;
	int moved_fd, launched_fd, nested_fd, st;

	testfs__require_root("cgroup test");
	assert_int_equal(mkdir(nested, 0755), 0);
	assert_int_equal(mkdir(deeper, 0755), 0);
	assert_int_equal(populated(c->path), 0);
	/* An empty cgroup is empty right away. */
	assert_int_equal(cgroup__wait_empty(c->path, 0), 0);

	moved = start_sleeper(-1, &moved_fd);
	move_to(c->path, moved);
	assert_true(in_procs(c->path, moved));
	nested_fd = open(deeper, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(nested_fd >= 0);
	launched = start_sleeper(nested_fd, &launched_fd);
	close(nested_fd);
	assert_true(in_procs(deeper, launched));
	assert_int_equal(populated(c->path), 1);
	assert_int_equal(populated(nested), 1);

	/* Still running: wait_empty times out, and remove refuses a busy cgroup. */
	slz_errclear();
	assert_int_equal(cgroup__wait_empty(c->path, 20), -ETIMEDOUT);
	assert_true(slz_errmsg()[0] != '\0');
	assert_int_equal(cgroup__remove(c->path), -EBUSY);
	assert_true(exists(c->path));
	assert_true(exists(deeper)); /* the busy leaf was not removed either */
	assert_int_equal(kill(moved, 0), 0);

	assert_int_equal(cgroup__kill(c->path), 0);
	assert_int_equal(cgroup__wait_empty(c->path, 5000), 0);
	assert_int_equal(populated(c->path), 0);
	assert_int_equal(launch__wait(moved_fd, &st), 0);
	assert_int_equal(st, 128 + SIGKILL);
	assert_int_equal(launch__wait(launched_fd, &st), 0);
	assert_int_equal(st, 128 + SIGKILL);
	close(moved_fd);
	close(launched_fd);

	assert_int_equal(cgroup__remove(c->path), 0);
	assert_false(exists(deeper));
	assert_false(exists(nested));
	assert_false(exists(c->path));
	free(nested);
	free(deeper);
}

/* destroy = kill + wait + remove, with processes and a tree of empty cgroups below. */
static void test_destroy(void **state)
{
	const struct cg *c = *state;
	const char *dirs[] = {"a", "a/b", "a/b/c", "a/b2", "z"};
	pid_t pid;
	int pidfd, st;

	testfs__require_root("cgroup test");
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = join(c->path, dirs[i]);

		assert_int_equal(mkdir(d, 0755), 0);
		free(d);
	}
	pid = start_sleeper(c->fd, &pidfd);
	assert_true(in_procs(c->path, pid));
	assert_int_equal(cgroup__destroy(c->path), 0);
	assert_false(exists(c->path));
	assert_int_equal(launch__wait(pidfd, &st), 0);
	assert_int_equal(st, 137);
	close(pidfd);
	/* Nothing of it is left: not even under another name. */
	assert_int_equal(count_ours(self_dir), 0);
	/* Killing, waiting for and removing a cgroup that is gone is harmless. */
	assert_int_equal(cgroup__kill(c->path), 0);
	assert_int_equal(cgroup__wait_empty(c->path, 0), 0);
	assert_int_equal(cgroup__destroy(c->path), 0);
}

/*
 * A signal reaches every process of the cgroup and its children, once, and nothing outside:
 * what a ^C does to a terminal's foreground job, for the command's whole tree.
 */
static void test_signal_tree(void **state)
{
	const struct cg *c = *state;
	char *nested = join(c->path, "inner");
	pid_t top, below, outside;
	int top_fd, below_fd, out_fd, nested_fd, st;

	testfs__require_root("cgroup test");
	assert_int_equal(mkdir(nested, 0755), 0);
	nested_fd = open(nested, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(nested_fd >= 0);
	top = start_sleeper(c->fd, &top_fd);
	below = start_sleeper(nested_fd, &below_fd);
	outside = start_sleeper(-1, &out_fd);
	close(nested_fd);
	assert_true(in_procs(c->path, top));
	assert_true(in_procs(nested, below));

	assert_int_equal(cgroup__signal(c->path, SIGTERM), 2);
	assert_int_equal(launch__wait(top_fd, &st), 0);
	assert_int_equal(st, 128 + SIGTERM);
	assert_int_equal(launch__wait(below_fd, &st), 0);
	assert_int_equal(st, 128 + SIGTERM);
	assert_int_equal(kill(outside, 0), 0);
	/* An empty cgroup: nobody to signal; a missing one is not an error either. */
	assert_int_equal(cgroup__wait_empty(c->path, 5000), 0);
	assert_int_equal(cgroup__signal(c->path, SIGTERM), 0);
	assert_int_equal(cgroup__signal("/sys/fs/cgroup/slimzip-no-such", SIGTERM), 0);

	kill(outside, SIGKILL);
	assert_int_equal(launch__wait(out_fd, &st), 0);
	close(top_fd);
	close(below_fd);
	close(out_fd);
	free(nested);
}

/* A pid that is gone: a child of ours that exited and was reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static char *make_cg(const char *parent, const char *fmt, int pid)
{
	char name[64], *p;

	snprintf(name, sizeof(name), fmt, pid);
	p = join(parent, name);
	assert_int_equal(mkdir(p, 0755), 0);
	return p;
}

/*
 * Leftovers of killed recorders are destroyed with what runs in them; a cgroup of a live pid,
 * one whose lock is held (its owner lives in another pid namespace) and one not named the way
 * slimzip names them are left alone.
 */
static void test_remove_stale(void **state)
{
	const struct cg *c = *state;
	pid_t dead = dead_pid();
	char *stale, *nested, *locked, *live, *other;
	int fd, lock_fd, pidfd, st;

	testfs__require_root("cgroup test");
	/* In the test's own cgroup, so that the teardown removes whatever is left. */
	stale = make_cg(c->path, "slimzip-%d-0", dead);
	nested = join(stale, "inner");
	assert_int_equal(mkdir(nested, 0755), 0);
	fd = open(nested, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	start_sleeper(fd, &pidfd);
	close(fd);
	locked = make_cg(c->path, "slimzip-%d-1", dead);
	lock_fd = open(locked, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(lock_fd >= 0);
	assert_int_equal(owned__lock(lock_fd), 0);
	live = make_cg(c->path, "slimzip-%d-0", (int)getpid());
	other = make_cg(c->path, "slimzip-%d-x.y", dead);

	assert_int_equal(cgroup__remove_stale(c->path), 1);
	assert_false(exists(stale));
	assert_int_equal(launch__wait(pidfd, &st), 0);
	assert_int_equal(st, 128 + SIGKILL);
	assert_true(exists(locked));
	assert_true(exists(live));
	assert_true(exists(other));
	/* Unlocked, the leftover goes too. */
	close(lock_fd);
	assert_int_equal(cgroup__remove_stale(c->path), 1);
	assert_false(exists(locked));
	assert_true(exists(live));

	close(pidfd);
	free(stale);
	free(nested);
	free(locked);
	free(live);
	free(other);
}

/* A parent with no child yet (a watch's, at the daemon's start): an empty list, no qsort(NULL). */
static void test_children_of_empty_dir(void **state)
{
	struct cgroup_list l;
	char dir[PATH_MAX];

	testfs__mkdtemp(dir, sizeof(dir), "cgchildren");
	assert_int_equal(cgroup__children(dir, false, &l), 0);
	assert_int_equal(l.n, 0);
	cgroup_list__free(&l);
	assert_int_equal(cgroup__children(dir, true, &l), 0);
	assert_int_equal(l.n, 0);
	cgroup_list__free(&l);
	testfs__rmtree(dir);
}

static void test_no_leftovers(void **state)
{
	testfs__require_root("cgroup test");
	assert_int_equal(count_ours(mnt), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static int group_setup(void **state)
{
	if (cgroup__v2_mount(&mnt, &mnt_root)) {
		fprintf(stderr, "no cgroup v2: %s\n", slz_errmsg());
		return -1;
	}
	if (cgroup__self_dir(mnt, mnt_root, testfs__slurp("/proc/self/cgroup"), &self_dir))
		return -1;
	return count_ours(mnt) ? -1 : 0;
}

static int group_teardown(void **state)
{
	free(mnt);
	free(mnt_root);
	free(self_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_mount),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test_setup_teardown(test_create_id_remove, cg_setup, cg_teardown),
		cmocka_unit_test(test_create_under_missing_parent),
		cmocka_unit_test_setup_teardown(test_kill_wait_remove_nested, cg_setup,
						cg_teardown),
		cmocka_unit_test_setup_teardown(test_destroy, cg_setup, cg_teardown),
		cmocka_unit_test_setup_teardown(test_signal_tree, cg_setup, cg_teardown),
		cmocka_unit_test_setup_teardown(test_remove_stale, cg_setup, cg_teardown),
		cmocka_unit_test(test_children_of_empty_dir),
		cmocka_unit_test(test_no_leftovers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
