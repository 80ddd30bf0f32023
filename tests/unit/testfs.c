// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testfs.h"

void testfs__mkdtemp(char *out, size_t len, const char *tag)
{
	char raw[PATH_MAX], real[PATH_MAX];
	int n = snprintf(raw, sizeof(raw), "%s/slz-%s-XXXXXX", getenv("TMPDIR") ?: "/tmp", tag);

	assert_true(n > 0 && (size_t)n < sizeof(raw));
	if (!mkdtemp(raw))
		fail_msg("mkdtemp %s: %s", raw, strerror(errno));
	/* The realpath: trees report their root resolved, so tests compare against this. */
	if (!realpath(raw, real))
		fail_msg("realpath %s: %s", raw, strerror(errno));
	assert_true(strlen(real) < len);
	strcpy(out, real);
}

void testfs__path(char *out, size_t len, const char *root, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", root, rel);

	if (n < 0 || (size_t)n >= len)
		fail_msg("path too long: %s/%s", root, rel);
}

static void mkdir_p(char *path, size_t from)
{
	/* Each prefix ending before a '/' past from, then path itself. */
	for (char *slash = strchr(path + from, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
}

void testfs__write_bytes(const char *root, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX * 2];
	FILE *fp;

	testfs__path(path, sizeof(path), root, rel);
	mkdir_p(path, strlen(root) + 1);
	fp = fopen(path, "w");
	if (!fp)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	/* Whatever the umask: tests that drop privileges read these. */
	assert_int_equal(chmod(path, 0644), 0);
}

void testfs__write(const char *root, const char *rel, const char *content)
{
	testfs__write_bytes(root, rel, content, strlen(content));
}

void testfs__mkdir(const char *root, const char *rel)
{
	char path[PATH_MAX * 2];

	testfs__path(path, sizeof(path), root, rel);
	if (mkdir(path, 0755))
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

void testfs__mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX * 2];

	testfs__path(path, sizeof(path), root, rel);
	mkdir_p(path, strlen(root) + 1);
	if (mkdir(path, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

void testfs__symlink(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX * 2];

	testfs__path(path, sizeof(path), root, rel);
	if (symlink(target, path))
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

static char rm_failed[PATH_MAX];

static int open_cb(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	/* Called before nftw lists the directory, so a chmod 0 one is entered after all. */
	if (type == FTW_D || type == FTW_DNR)
		chmod(p, 0755);
	return 0;
}

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	int ret = (type == FTW_DP || type == FTW_D || type == FTW_DNR) ? rmdir(p) : unlink(p);

	if (ret)
		snprintf(rm_failed, sizeof(rm_failed), "%s: %s", p, strerror(errno));
	return ret;
}

void testfs__rmtree(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) && errno == ENOENT)
		return;
	nftw(dir, open_cb, 16, FTW_PHYS);
	rm_failed[0] = '\0';
	if (nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS))
		fail_msg("rmtree %s: %s", dir, rm_failed[0] ? rm_failed : strerror(errno));
}

char *testfs__read(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	FILE *fp = fopen(path, "rb");

	if (!fp)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_non_null(buf);
	for (;;) {
		n += fread(buf + n, 1, cap - n - 1, fp);
		if (n < cap - 1)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		assert_non_null(buf);
	}
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void testfs__run(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	assert_true(ret >= 0);
	ret = system(cmd);
	if (ret)
		fail_msg("command failed (status %d): %s", ret, cmd);
	free(cmd);
}

void testfs__require_root(const char *why)
{
	const char *req = getenv("SLIMZIP_REQUIRE_BPF");

	if (geteuid() == 0)
		return;
	if (req && !strcmp(req, "1"))
		fail_msg("%s needs root (SLIMZIP_REQUIRE_BPF=1)", why);
	skip();
}

void testfs__as_nobody(int (*check)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		assert_int_equal(check(arg), 0);
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(99);
		_exit(check(arg));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

char *testfs__slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}
