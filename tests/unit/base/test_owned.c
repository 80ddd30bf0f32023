// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leftovers of killed writers (util.h owned__*, atomic_file's temps): which names are ours,
 * and a sweep that removes a dead owner's leftover and nothing else.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testfs.h"
#include "util.h"

static char root[PATH_MAX];

static bool exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	testfs__path(p, sizeof(p), root, rel);
	return !lstat(p, &st);
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

static void test_names(void **state)
{
	assert_int_equal(owned__pid(".o.zip.tmp-123-AbC9xz", ".o.zip.tmp-"), 123);
	assert_int_equal(owned__pid("slimzip-4567-0", "slimzip-"), 4567);
	assert_int_equal(owned__pid("slimzip-verify-99-ab12CD", "slimzip-verify-"), 99);
	/* Names of before pids were in them, or of someone else: not ours to judge. */
	assert_int_equal(owned__pid(".o.zip.tmp-AbC9xz", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp-123456", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp-123-", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp-0-abcdef", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp-012-abcdef", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp--1-abcdef", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp-99999999999-abcdef", ".o.zip.tmp-"), 0);
	/* Another dest's temp that only starts like ours. */
	assert_int_equal(owned__pid(".o.zip.tmp-12-x.tmp-34-abcdef", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".o.zip.tmp-12-abc def", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid(".p.zip.tmp-12-abcdef", ".o.zip.tmp-"), 0);
	assert_int_equal(owned__pid("slimzip-verify-12-abcdef", "slimzip-"), 0);
}

static int remove_file(int dirfd, const char *name, int fd, const struct stat *st, void *ctx)
{
	(*(int *)ctx)++;
	return S_ISREG(st->st_mode) ? unlinkat(dirfd, name, 0) : -1;
}

/*
 * Only a regular file or directory of a dead pid whose lock is free is handed to fn: not a
 * live pid's, not a locked one (a live owner in another pid namespace), not a symlink.
 */
static void test_sweep(void **state)
{
	char name[PATH_MAX], p[PATH_MAX];
	pid_t dead = dead_pid();
	int calls = 0, fd;

	snprintf(name, sizeof(name), ".o.zip.tmp-%d-AAAAAA", (int)dead);
	testfs__write(root, name, "stale");
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-BBBBBB", (int)getpid());
	testfs__write(root, name, "live");
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-CCCCCC", (int)dead);
	testfs__write(root, name, "locked");
	testfs__path(p, sizeof(p), root, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(owned__lock(fd), 0);
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-DDDDDD", (int)dead);
	testfs__write(root, "target", "not a temp");
	testfs__symlink(root, name, "target");
	testfs__write(root, ".o.zip.tmp-EEEEEE", "old naming");

	assert_int_equal(owned__sweep(root, ".o.zip.tmp-", remove_file, &calls), 1);
	assert_int_equal(calls, 1);
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-AAAAAA", (int)dead);
	assert_false(exists(name));
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-BBBBBB", (int)getpid());
	assert_true(exists(name));
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-CCCCCC", (int)dead);
	assert_true(exists(name));
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-DDDDDD", (int)dead);
	assert_true(exists(name));
	assert_true(exists("target"));
	assert_true(exists(".o.zip.tmp-EEEEEE"));

	/* The lock released (its owner died): the next sweep takes it. */
	close(fd);
	assert_int_equal(owned__sweep(root, ".o.zip.tmp-", remove_file, &calls), 1);
	snprintf(name, sizeof(name), ".o.zip.tmp-%d-CCCCCC", (int)dead);
	assert_false(exists(name));
	/* A directory that cannot be read: -errno, and the error message is left alone. */
	slz_fail(EIO, "before");
	testfs__path(p, sizeof(p), root, "no-such-dir");
	assert_int_equal(owned__sweep(p, ".o.zip.tmp-", remove_file, &calls), -ENOENT);
	assert_string_equal(slz_errmsg(), "before");
}

/* atomic_file: a temp named with our pid, locked while open, and a dead writer's removed. */
static char removed[PATH_MAX];

static int remove_dir(const char *path)
{
	snprintf(removed, sizeof(removed), "%s", path);
	return rmdir(path) ? -errno : 0;
}

static void test_sweep_dirs(void **state)
{
	char name[PATH_MAX], want[PATH_MAX];
	pid_t dead = dead_pid();

	snprintf(name, sizeof(name), "slimzip-verify-%d-AAAAAA", (int)dead);
	testfs__mkdir(root, name);
	testfs__path(want, sizeof(want), root, name);
	snprintf(name, sizeof(name), "slimzip-verify-%d-BBBBBB", (int)getpid());
	testfs__mkdir(root, name);
	/* A dead owner's regular file is not a directory: the remover never sees it. */
	snprintf(name, sizeof(name), "slimzip-verify-%d-CCCCCC", (int)dead);
	testfs__write(root, name, "file");

	assert_int_equal(owned__sweep_dirs(root, "slimzip-verify-", remove_dir), 1);
	assert_string_equal(removed, want);
	assert_false(exists(want + strlen(root) + 1));
	snprintf(name, sizeof(name), "slimzip-verify-%d-BBBBBB", (int)getpid());
	assert_true(exists(name));
	snprintf(name, sizeof(name), "slimzip-verify-%d-CCCCCC", (int)dead);
	assert_true(exists(name));
}

/*
 * "-" is stdout: nothing reaches it before commit (an abort leaves it empty), the whole output
 * at commit, even after the writer seeked back (as the zip writer does).
 */
static void test_atomic_file_stdout(void **state)
{
	char path[] = "/tmp/slimzip-test-stdout-XXXXXX", got[32] = "";
	struct atomic_file *af = NULL;
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	assert_int_equal(atomic_file__check_writable("-"), 0);
	assert_int_equal(atomic_file__open("-", &af), 0);
	fputs("never", atomic_file__stream(af));
	atomic_file__abort(af);
	assert_int_equal(atomic_file__open("-", &af), 0);
	fputs("xxcde", atomic_file__stream(af));
	fseek(atomic_file__stream(af), 0, SEEK_SET);
	fputs("ab", atomic_file__stream(af));
	assert_int_equal(atomic_file__commit(af), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	unlink(path);
	assert_string_equal(got, "abcde");
	assert_int_equal(access("-", F_OK), -1);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * An existing special file is written, not replaced: a FIFO keeps being a FIFO, /dev/null stays
 * the device; nothing is left beside either. A FIFO is opened with the output, as a shell's
 * `> fifo` is before its command runs (the check before the work does not open it: a reader
 * waiting in open() would get an end of stream), so the reader sees a writer from then on and
 * the bytes only at commit; an abort ends its stream with no byte.
 */
static void test_atomic_file_special_dest(void **state)
{
	struct atomic_file *af = NULL;
	char fifo[PATH_MAX], got[32] = "";
	struct stat st;
	int rfd;
	ssize_t n;

	testfs__path(fifo, sizeof(fifo), root, "out.fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rfd >= 0);
	assert_int_equal(atomic_file__check_writable(fifo), 0);
	assert_int_equal(read(rfd, got, sizeof(got)), 0); /* the check made no writer */
	assert_int_equal(atomic_file__open(fifo, &af), 0);
	assert_null(atomic_file__temp_path(af));
	fputs("zzcde", atomic_file__stream(af));
	fseek(atomic_file__stream(af), 0, SEEK_SET);
	fputs("ab", atomic_file__stream(af));
	fflush(atomic_file__stream(af));
	/* A writer since the open, and no byte before the commit. */
	errno = 0;
	assert_int_equal(read(rfd, got, sizeof(got)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(atomic_file__commit(af), 0);
	n = read(rfd, got, sizeof(got) - 1);
	assert_int_equal(n, 5);
	got[n] = '\0';
	assert_string_equal(got, "abcde");
	assert_int_equal(read(rfd, got, sizeof(got)), 0); /* the writer is gone: end of stream */

	assert_int_equal(atomic_file__open(fifo, &af), 0);
	fputs("never", atomic_file__stream(af));
	fflush(atomic_file__stream(af));
	atomic_file__abort(af);
	assert_int_equal(read(rfd, got, sizeof(got)), 0);
	close(rfd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* Without a reader the check neither waits nor fails; without permission it fails. */
	assert_int_equal(atomic_file__check_writable(fifo), 0);
	assert_int_equal(chmod(fifo, 0400), 0);
	if (geteuid() != 0)
		assert_int_equal(atomic_file__check_writable(fifo), -EACCES);
	assert_int_equal(chmod(fifo, 0600), 0);

	assert_int_equal(atomic_file__open("/dev/null", &af), 0);
	fputs("discarded", atomic_file__stream(af));
	assert_int_equal(atomic_file__commit(af), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(atomic_file__open("/dev/null", &af), 0);
	atomic_file__abort(af);
	assert_true(S_ISCHR(st.st_mode));
	/* Only the FIFO is in the directory: no temp was made beside it. */
	assert_int_equal(entries(root), 1);
}

/* The bytes of the regular file at path (NUL-terminated in buf). */
static ssize_t read_back(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return n;
}

/*
 * A dest that reaches a descriptor's regular file through procfs, as /dev/stdout does when
 * stdout is redirected to a file: the file gets the bytes and the link stays a link (a rename
 * replaced the link, which for /dev/stdout as root is the system's), nothing left beside it.
 */
static void test_atomic_file_proc_fd_dest(void **state)
{
	char file[PATH_MAX], link[PATH_MAX], fdpath[64], got[32];
	struct atomic_file *af = NULL;
	struct stat st;
	int fd;

	testfs__path(file, sizeof(file), root, "out.txt");
	testfs__path(link, sizeof(link), root, "stdout");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	assert_int_equal(symlink(fdpath, link), 0);
	assert_int_equal(atomic_file__open(link, &af), 0);
	assert_null(atomic_file__temp_path(af));
	fputs("abc", atomic_file__stream(af));
	assert_int_equal(atomic_file__commit(af), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(read_back(file, got, sizeof(got)), 3);
	assert_string_equal(got, "abc");

	/* The descriptor's own name, and after what it holds already (a >> redirection). */
	assert_int_equal(atomic_file__open(fdpath, &af), 0);
	fputs("de", atomic_file__stream(af));
	assert_int_equal(atomic_file__commit(af), 0);
	close(fd);
	assert_int_equal(read_back(file, got, sizeof(got)), 5);
	assert_string_equal(got, "abcde");
	assert_int_equal(entries(root), 2);
}

static void test_atomic_file_sweeps(void **state)
{
	struct atomic_file *af = NULL;
	char dest[PATH_MAX], stale[PATH_MAX], prefix[64], base[NAME_MAX + 1];
	const char *temp;
	pid_t dead = dead_pid();
	int fd;

	testfs__path(dest, sizeof(dest), root, "out.zip");
	snprintf(stale, sizeof(stale), ".out.zip.tmp-%d-XyZ123", (int)dead);
	testfs__write(root, stale, "killed writer");
	assert_int_equal(atomic_file__open(dest, &af), 0);
	assert_false(exists(stale));
	temp = atomic_file__temp_path(af);
	snprintf(base, sizeof(base), "%s", strrchr(temp, '/') + 1);
	snprintf(prefix, sizeof(prefix), ".out.zip.tmp-%d-", (int)getpid());
	assert_int_equal(strncmp(base, prefix, strlen(prefix)), 0);
	assert_int_equal(owned__pid(base, ".out.zip.tmp-"), getpid());
	fd = open(temp, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(owned__lock(fd), -EWOULDBLOCK);
	close(fd);
	fputs("data", atomic_file__stream(af));
	assert_int_equal(atomic_file__commit(af), 0);
	assert_string_equal(testfs__slurp(dest), "data");
	assert_false(exists(base));
}

/* A dest name too long for a temp beside it is cut, not refused. */
static void test_long_dest_name(void **state)
{
	struct atomic_file *af = NULL;
	char name[NAME_MAX + 1], dest[PATH_MAX];

	memset(name, 'n', NAME_MAX - 4);
	strcpy(name + NAME_MAX - 4, ".zip");
	testfs__path(dest, sizeof(dest), root, name);
	assert_int_equal(atomic_file__open(dest, &af), 0);
	assert_true(strlen(strrchr(atomic_file__temp_path(af), '/') + 1) <= NAME_MAX);
	assert_int_equal(atomic_file__commit(af), 0);
	assert_true(exists(name));
}

static void test_mkdtemp(void **state)
{
	char *dir = NULL, prefix[64];
	int fd = -1, other;
	struct stat st;

	assert_int_equal(owned__mkdtemp(root, "slimzip-verify-", &dir, &fd), 0);
	snprintf(prefix, sizeof(prefix), "slimzip-verify-%d-", (int)getpid());
	assert_int_equal(strncmp(strrchr(dir, '/') + 1, prefix, strlen(prefix)), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	other = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(owned__lock(other), -EWOULDBLOCK);
	close(other);
	close(fd);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static int setup(void **state)
{
	testfs__mkdtemp(root, sizeof(root), "owned");
	return 0;
}

static int teardown(void **state)
{
	testfs__rmtree(root);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_file_sweeps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_file_stdout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_file_special_dest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_file_proc_fd_dest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_dest_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdtemp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
