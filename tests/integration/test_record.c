// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * slimzip record end to end: the real BPF program, real processes, real cgroups. Each case runs
 * the built slimzip binary on rec_helper (a workload touching files in known ways) and reads
 * the profile back, asserting exact paths and kinds. Needs root and BTF: skipped otherwise,
 * failed instead when SLIMZIP_REQUIRE_BPF=1.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "itest.h"
#include "profile.h"
#include "profile_io.h"
#include "record.h"

extern char **environ;

/* slimzip record's exit status when paths were truncated (EXIT_LOSS in cli.h) */
#define EXIT_LOSS_STATUS 3

static const char *slimzip;
static char helper[PATH_MAX], dso[PATH_MAX], tmp[PATH_MAX];
static char *cg2mnt;
static const char *why_unusable = "no group setup"; /* NULL once the tests can run */

static void tpath(char *buf, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", tmp, name) >= PATH_MAX)
		fail_msg("path too long");
}

static void write_file(const char *name, const char *content, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	tpath(p, name);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	chmod(p, mode);
}

static void make_dir(const char *name)
{
	char p[PATH_MAX];

	tpath(p, name);
	assert_true(!mkdir(p, 0755) || errno == EEXIST);
}

static pid_t start(char *const argv[])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(126);
	}
	return pid;
}

static int finish(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(char *const argv[])
{
	return finish(start(argv));
}

static bool wait_for_file(const char *p, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (!access(p, F_OK))
			return true;
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	return false;
}

static struct profile *load(const char *p)
{
	struct profile *prof = NULL;

	if (profile__read(p, &prof))
		fail_msg("cannot read profile %s", p);
	return prof;
}

/* Union of the kinds of every entry with this exact path (0 when absent). */
static uint32_t kinds_of(const struct profile *p, const char *path, const struct profile_entry **e)
{
	uint32_t k = 0;

	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *x = profile__entry(p, i);

		if (!strcmp(x->path, path)) {
			k |= x->kinds;
			if (e)
				*e = x;
		}
	}
	return k;
}

static void expect_kinds(const struct profile *p, const char *path, uint32_t kinds)
{
	uint32_t got = kinds_of(p, path, NULL);

	if (got != kinds) {
		char a[128], b[128];

		profile__kinds_str(kinds, a, sizeof(a));
		profile__kinds_str(got, b, sizeof(b));
		fail_msg("%s: expected kinds %s, got %s", path, a, b);
	}
}

static void expect_t(const struct profile *p, const char *name, uint32_t kinds)
{
	char path[PATH_MAX];

	tpath(path, name);
	expect_kinds(p, path, kinds);
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/slz-itest-XXXXXX";
	char *mroot = NULL;

	slimzip = getenv("SLIMZIP");
	if (itest__beside_exe(helper, sizeof(helper), "rec_helper") ||
	    itest__beside_exe(dso, sizeof(dso), "libslz_itest_dso.so"))
		return -1;
	if (!mkdtemp(tmpl) || !realpath(tmpl, tmp))
		return -1;
	if (!slimzip)
		why_unusable = "SLIMZIP is not set";
	else if (geteuid() != 0)
		why_unusable = "not root";
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		why_unusable = "no BTF";
	else if (cgroup__v2_mount(&cg2mnt, &mroot))
		why_unusable = "no cgroup v2";
	else
		why_unusable = NULL;
	free(mroot);
	if (cg2mnt)
		setenv("CGROUP2_MNT", cg2mnt, 1);
	return 0;
}

static int group_teardown(void **state)
{
	char *const argv[] = {"/bin/rm", "-rf", tmp, NULL};

	if (tmp[0])
		run(argv);
	free(cg2mnt);
	return 0;
}

static void test_workload_paths(void **state)
{
	char prof[PATH_MAX], path[PATH_MAX], name[300], real[PATH_MAX];
	const struct profile_entry *e = NULL;
	struct profile *p;

	itest__require(why_unusable);
	make_dir("sub");
	make_dir("at");
	make_dir("listed");
	write_file("sub/rel.txt", "r", 0644);
	write_file("sub/rel-stat.txt", "r", 0644);
	write_file("at/at.txt", "a", 0644);
	write_file("target.txt", "t", 0644);
	tpath(path, "link.txt");
	assert_int_equal(symlink("target.txt", path), 0);
	write_file("mm.dat", "MMAP", 0644);
	write_file("statonly.txt", "s", 0644);
	write_file("accessonly.txt", "a", 0644);
	tpath(path, "rl.lnk");
	assert_int_equal(symlink("nowhere", path), 0);
	write_file("listed/one", "1", 0644);
	write_file("gc.txt", "g", 0644);
	write_file("thr.txt", "t", 0644);
	write_file("nested.txt", "n", 0644);
	write_file("new\nline.txt", "n", 0644);
	memset(name, 'n', 255);
	name[255] = '\0';
	write_file(name, "n", 0644);
	write_file("script.sh", "#!/bin/sh\nexit 0\n", 0755);

	tpath(prof, "all.profile");
	{
		char *const argv[] = {(char *)slimzip, "record", "-o", prof, "--",
				      helper,	       "all",	 tmp,  dso,  NULL};

		assert_int_equal(run(argv), 0);
	}
	p = load(prof);
	assert_int_equal(profile__header_const(p)->exit_status, 0);
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	assert_int_equal(profile__header_const(p)->truncated_paths, 0);
	assert_string_equal(profile__header_const(p)->target_kind, "command");

	expect_t(p, "sub/rel.txt", SLZ_KIND_OPEN);
	expect_t(p, "sub/rel-stat.txt", SLZ_KIND_STAT);
	expect_t(p, "at/at.txt", SLZ_KIND_OPEN);
	expect_t(p, "target.txt", SLZ_KIND_OPEN);
	expect_t(p, "link.txt", 0);
	expect_t(p, "mm.dat", SLZ_KIND_OPEN | SLZ_KIND_MMAP);
	assert_non_null(realpath(dso, real));
	expect_kinds(p, real, SLZ_KIND_OPEN | SLZ_KIND_MMAP);
	expect_t(p, "statonly.txt", SLZ_KIND_STAT);
	expect_t(p, "accessonly.txt", SLZ_KIND_ACCESS);
	tpath(path, "accessonly.txt");
	kinds_of(p, path, &e);
	assert_true(e->flags & SLZ_EVF_PATH_ONLY);
	expect_t(p, "rl.lnk", SLZ_KIND_READLINK);
	expect_t(p, "listed", SLZ_KIND_OPEN); /* a directory listing */
	expect_t(p, "gc.txt", SLZ_KIND_OPEN);
	expect_t(p, "thr.txt", SLZ_KIND_OPEN);
	expect_t(p, "nested.txt", SLZ_KIND_OPEN);
	expect_t(p, "new\nline.txt", SLZ_KIND_OPEN);
	expect_t(p, name, SLZ_KIND_OPEN);
	/* exec: the helper binary, the script and its interpreter, the ELF interpreter */
	assert_non_null(realpath(helper, real));
	expect_kinds(p, real, SLZ_KIND_EXEC);
	expect_t(p, "script.sh", SLZ_KIND_EXEC | SLZ_KIND_OPEN); /* sh opens it too */
	assert_non_null(realpath("/bin/sh", real));
	assert_true(kinds_of(p, real, NULL) & SLZ_KIND_EXEC);
	assert_non_null(realpath("/lib64/ld-linux-x86-64.so.2", real));
	assert_true(kinds_of(p, real, NULL) & SLZ_KIND_INTERP);
	/* without --record-missing nothing failed is recorded */
	for (size_t i = 0; i < profile__count(p); i++)
		assert_false(profile__entry(p, i)->kinds & SLZ_KIND_MISSING);
	profile__free(p);
}

/*
 * How each file was opened: write, create and truncate beside open, for exactly the opens that
 * did so, and a bytecode-style temp file renamed over its final name keeps the inode that
 * prune finds the final file by.
 */
static void test_written_kinds(void **state)
{
	static const char *const existing[] = {
		"w-read.txt",	  "w-wronly.txt", "w-rdwr.txt", "w-append.txt", "w-trunc.txt",
		"w-ro-trunc.txt", "w-creat.txt",  "w-at2.txt",	"w-later.txt",
	};
	const uint32_t o = SLZ_KIND_OPEN, w = SLZ_KIND_WRITE, c = SLZ_KIND_CREATE,
		       t = SLZ_KIND_TRUNC;
	const struct profile_entry *e = NULL;
	char prof[PATH_MAX], path[PATH_MAX];
	struct profile *p;
	struct stat st;

	itest__require(why_unusable);
	make_dir("written");
	for (size_t i = 0; i < sizeof(existing) / sizeof(*existing); i++) {
		char name[64];

		snprintf(name, sizeof(name), "written/%s", existing[i]);
		write_file(name, "data", 0644);
	}
	tpath(prof, "written.profile");
	tpath(path, "written");
	{
		char *const argv[] = {(char *)slimzip, "record",  "-o", prof, "--",
				      helper,	       "written", path, NULL};

		assert_int_equal(run(argv), 0);
	}
	p = load(prof);
	expect_t(p, "written/w-read.txt", o);
	expect_t(p, "written/w-wronly.txt", o | w);
	expect_t(p, "written/w-rdwr.txt", o | w);
	expect_t(p, "written/w-new.txt", o | w | c);
	expect_t(p, "written/w-new-ro.txt", o | c);
	expect_t(p, "written/w-append.txt", o | w); /* O_CREAT of a file that exists */
	expect_t(p, "written/w-trunc.txt", o | w | t);
	expect_t(p, "written/w-ro-trunc.txt", o | t); /* Linux truncates even then */
	expect_t(p, "written/w-creat.txt", o | w | t);
	expect_t(p, "written/w-creat-new.txt", o | w | c);
	expect_t(p, "written/w-at2.txt", o | w | t);
	expect_t(p, "written/w-later.txt", o | w); /* read first: the write still shows */
	expect_t(p, "written/w-mod.pyc.4242", o | w | c);
	expect_t(p, "written/w-mod.pyc", 0);
	tpath(path, "written/w-mod.pyc.4242");
	kinds_of(p, path, &e);
	tpath(path, "written/w-mod.pyc");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(e->ino, st.st_ino);
	assert_int_equal(e->dev, st.st_dev);
	profile__free(p);
}

static void test_exit_status(void **state)
{
	char prof[PATH_MAX], plain[PATH_MAX];

	itest__require(why_unusable);
	tpath(prof, "exit.profile");
	write_file("plain.txt", "not a program", 0644);
	tpath(plain, "plain.txt");
	{
		char *const a[] = {(char *)slimzip, "record", "-o", prof, "--",
				   helper,	    "exit",   "7",  NULL};
		char *const b[] = {(char *)slimzip, "record", "-o", prof, "--",
				   helper,	    "signal", "9",  NULL};
		char *const c[] = {(char *)slimzip,    "record", "-o", prof, "--",
				   "/nonexistent/cmd", NULL};
		char *const d[] = {(char *)slimzip, "record", "-o", prof, "--", plain, NULL};
		char *const e[] = {
			(char *)slimzip, "record", "-o", "/nonexistent/dir/p", "--", helper,
			"exit",		 "0",	   NULL};

		assert_int_equal(run(a), 7);
		assert_int_equal(run(b), 128 + 9);
		assert_int_equal(run(c), 127);
		assert_int_equal(run(d), 126);
		assert_int_equal(run(e), 7); /* EXIT_OUTPUT, before the command runs */
	}
}

static void test_sigterm_forwarded(void **state)
{
	char prof[PATH_MAX], ready[PATH_MAX];
	pid_t pid;

	itest__require(why_unusable);
	make_dir("term");
	tpath(prof, "term.profile");
	tpath(ready, "term/ready");
	{
		char dir[PATH_MAX];

		tpath(dir, "term");
		char *const a[] = {(char *)slimzip, "record", "-o", prof, "--",
				   helper,	    "wait",   dir,  NULL};

		pid = start(a);
	}
	assert_true(wait_for_file(ready, 10000));
	kill(pid, SIGTERM);
	assert_int_equal(finish(pid), 128 + SIGTERM);
	assert_int_equal(access(prof, F_OK), 0);
}

/* SIGUSR1 snapshot, and a process outside the cgroup touching a file meanwhile. */
static void test_snapshot_and_outsider(void **state)
{
	char prof[PATH_MAX], ready[PATH_MAX], go[PATH_MAX], outside[PATH_MAX];
	struct profile *p;
	pid_t pid;
	int fd;

	itest__require(why_unusable);
	write_file("snap1.txt", "1", 0644);
	write_file("snap2.txt", "2", 0644);
	write_file("outside.txt", "o", 0644);
	tpath(prof, "snap.profile");
	tpath(ready, "ready");
	tpath(go, "go");
	tpath(outside, "outside.txt");
	{
		char *const a[] = {(char *)slimzip, "record",	"-o", prof, "--",
				   helper,	    "snapshot", tmp,  NULL};

		pid = start(a);
	}
	assert_true(wait_for_file(ready, 10000));
	for (int i = 0; i < 3; i++) {
		fd = open(outside, O_RDONLY);
		assert_true(fd >= 0);
		close(fd);
	}
	kill(pid, SIGUSR1);
	assert_true(wait_for_file(prof, 10000));
	p = load(prof);
	expect_t(p, "snap1.txt", SLZ_KIND_OPEN);
	expect_t(p, "snap2.txt", 0);
	expect_t(p, "outside.txt", 0);
	profile__free(p);
	write_file("go", "", 0644);
	assert_int_equal(finish(pid), 0);
	p = load(prof);
	expect_t(p, "snap1.txt", SLZ_KIND_OPEN);
	expect_t(p, "snap2.txt", SLZ_KIND_OPEN);
	expect_t(p, "outside.txt", 0);
	profile__free(p);
}

static void test_mounts(void **state)
{
	char prof[PATH_MAX], script[3 * PATH_MAX];
	struct profile *p;

	itest__require(why_unusable);
	make_dir("bsrc");
	make_dir("bmnt");
	make_dir("tmnt");
	write_file("bsrc/b.txt", "b", 0644);
	tpath(prof, "mnt.profile");
	snprintf(script, sizeof(script),
		 "set -e; cd '%s'; mount --bind bsrc bmnt; mount -t tmpfs none tmnt; "
		 "echo hi > tmnt/t.txt; cat bmnt/b.txt tmnt/t.txt > /dev/null",
		 tmp);
	{
		char *const a[] = {(char *)slimzip,
				   "record",
				   "-o",
				   prof,
				   "--",
				   "/usr/bin/unshare",
				   "-m",
				   "--propagation",
				   "private",
				   "/bin/sh",
				   "-c",
				   script,
				   NULL};

		assert_int_equal(run(a), 0);
	}
	p = load(prof);
	expect_t(p, "bmnt/b.txt", SLZ_KIND_OPEN);
	expect_t(p, "bsrc/b.txt", 0);
	expect_t(p, "tmnt/t.txt", SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_CREATE); /* echo > */
	profile__free(p);
}

static void test_record_missing(void **state)
{
	char prof[PATH_MAX], path[PATH_MAX];
	const struct profile_entry *e = NULL;
	struct profile *p;

	itest__require(why_unusable);
	tpath(prof, "missing.profile");
	{
		char *const a[] = {(char *)slimzip,
				   "record",
				   "--record-missing",
				   "-o",
				   prof,
				   "--",
				   helper,
				   "missing",
				   tmp,
				   NULL};

		assert_int_equal(run(a), 0);
	}
	p = load(prof);
	expect_t(p, "nope.txt", SLZ_KIND_MISSING);
	tpath(path, "nope.txt");
	kinds_of(p, path, &e);
	assert_int_equal(e->err, ENOENT);
	expect_t(p, "nostat.txt", SLZ_KIND_MISSING);
	profile__free(p);
}

static void test_cgroup_attach(void **state)
{
	char prof[PATH_MAX], cg[PATH_MAX], nested[PATH_MAX + 16], procs[PATH_MAX + 32];
	struct profile *p;
	pid_t pid, child;
	int fd;

	itest__require(why_unusable);
	write_file("cg.txt", "c", 0644);
	write_file("outside-cg.txt", "c", 0644);
	tpath(prof, "cg.profile");
	snprintf(cg, sizeof(cg), "%s/slz-itest-%d", cg2mnt, (int)getpid());
	snprintf(nested, sizeof(nested), "%s/inner", cg);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", nested);
	assert_int_equal(mkdir(cg, 0755), 0);
	assert_int_equal(mkdir(nested, 0755), 0);
	{
		char *const a[] = {(char *)slimzip, "record", "--cgroup", cg, "-o", prof, NULL};

		pid = start(a);
	}
	sleep(2); /* load + attach */
	child = fork();
	if (child == 0) {
		char *const a[] = {helper, "open", tmp, "cg.txt", NULL};

		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(80);
		execv(helper, a);
		_exit(81);
	}
	assert_int_equal(finish(child), 0);
	{
		char *const a[] = {helper, "open", tmp, "outside-cg.txt", NULL};

		assert_int_equal(run(a), 0);
	}
	kill(pid, SIGINT);
	assert_int_equal(finish(pid), 0);
	p = load(prof);
	expect_t(p, "cg.txt", SLZ_KIND_OPEN);
	expect_t(p, "outside-cg.txt", 0);
	assert_string_equal(profile__header_const(p)->target_kind, "cgroup");
	profile__free(p);

	/* --duration ends by itself */
	{
		char *const a[] = {(char *)slimzip, "record", "--cgroup", cg, "-o", prof,
				   "--duration",    "1",      NULL};
		time_t t0 = time(NULL);

		assert_int_equal(run(a), 0);
		assert_true(time(NULL) - t0 < 10);
	}
	rmdir(nested);
	rmdir(cg);
}

static void test_cleanup_removes_cgroups(void **state)
{
	char prof[PATH_MAX], script[PATH_MAX + 64];
	struct profile *p;
	struct stat st;
	const char *target;

	itest__require(why_unusable);
	/*
	 * The command leaves a daemon-like child behind in a nested cgroup of its own: slimzip must
	 * kill it and remove both cgroups. Only this run's cgroup is checked, so recordings other
	 * processes run at the same time cannot disturb the test.
	 */
	tpath(prof, "cleanup.prof");
	snprintf(script, sizeof(script),
		 "cg=$(sed -n 's/^0:://p' /proc/self/cgroup); d=%s$cg/nested; mkdir \"$d\" && "
		 "(echo 0 > \"$d/cgroup.procs\" && exec sleep 300) & sleep 0.2",
		 cg2mnt);
	{
		char *const a[] = {(char *)slimzip, "record", "-o",   prof, "--",
				   "/bin/sh",	    "-c",     script, NULL};

		assert_int_equal(run(a), 0);
	}
	p = load(prof);
	target = profile__header_const(p)->target;
	assert_non_null(target);
	assert_non_null(strstr(target, "/slimzip-"));
	assert_int_equal(stat(target, &st), -1);
	assert_int_equal(errno, ENOENT);
	profile__free(p);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * A path of 300 components is complete (the walk is bounded by bytes, not by depth), and one
 * longer than the walk buffer is flagged truncated and holds exactly the tail that fits.
 */
static void test_deep_paths(void **state)
{
	enum { DEEP = 300, LONG_SUB = 30, LONG_REL = 15, NAME = 100 };
	char prof[PATH_MAX], deep[PATH_MAX], full[PATH_MAX], sub[PATH_MAX], rel[PATH_MAX];
	char big[3 * PATH_MAX], name[NAME + 1], *tail;
	const struct profile_entry *e = NULL;
	size_t n = 0, found = 0;
	struct profile *p;
	struct stat st;
	int dfd, next;

	itest__require(why_unusable);
	/* tmp/deep/d/d/.../d/f.txt */
	n = (size_t)snprintf(deep, sizeof(deep), "deep");
	make_dir(deep);
	for (int i = 0; i < DEEP; i++) {
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "/d");
		make_dir(deep);
	}
	snprintf(deep + n, sizeof(deep) - n, "/f.txt");
	write_file(deep, "f", 0644);
	tpath(full, deep);
	tpath(prof, "deep.profile");
	{
		char *const a[] = {(char *)slimzip, "record", "-o", prof, "--",
				   helper,	    "deep",   tmp,  deep, NULL};

		assert_int_equal(run(a), 0);
	}
	p = load(prof);
	assert_int_equal(profile__header_const(p)->truncated_paths, 0);
	/* the open (by inode) and the access (by name, relative to the deep cwd) */
	expect_kinds(p, full, SLZ_KIND_OPEN | SLZ_KIND_ACCESS);
	for (size_t i = 0; i < profile__count(p); i++)
		assert_false(profile__entry(p, i)->flags & SLZ_EVF_TRUNCATED);
	profile__free(p);

	/* tmp/long/E{30} as the dirfd, then E{15}/leaf.txt below it: about 4.6 KB in all */
	memset(name, 'e', NAME);
	name[NAME] = '\0';
	make_dir("long");
	n = (size_t)snprintf(sub, sizeof(sub), "long");
	for (int i = 0; i < LONG_SUB; i++) {
		n += (size_t)snprintf(sub + n, sizeof(sub) - n, "/%s", name);
		make_dir(sub);
	}
	tpath(big, sub);
	dfd = open(big, O_DIRECTORY | O_RDONLY);
	assert_true(dfd >= 0);
	n = 0;
	for (int i = 0; i < LONG_REL; i++) {
		assert_true(!mkdirat(dfd, name, 0755) || errno == EEXIST);
		next = openat(dfd, name, O_DIRECTORY | O_RDONLY);
		assert_true(next >= 0);
		close(dfd);
		dfd = next;
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "%s/", name);
	}
	snprintf(rel + n, sizeof(rel) - n, "leaf.txt");
	next = openat(dfd, "leaf.txt", O_CREAT | O_WRONLY, 0644);
	assert_true(next >= 0);
	assert_int_equal(fstat(next, &st), 0);
	close(next);
	close(dfd);
	n = strlen(big);
	snprintf(big + n, sizeof(big) - n, "/%s", rel);
	assert_true(strlen(big) > SLZ_WALK_MAX);
	/* the walk keeps whole components from the right while they fit in SLZ_WALK_MAX - 1 */
	tail = big;
	while (strlen(tail) > SLZ_WALK_MAX - 1)
		tail = strchr(tail + 1, '/');
	assert_non_null(tail);

	tpath(prof, "long.profile");
	{
		char *const a[] = {(char *)slimzip, "record", "-o", prof, "--", helper,
				   "long",	    tmp,      sub,  rel,  NULL};

		assert_int_equal(run(a), EXIT_LOSS_STATUS);
	}
	p = load(prof);
	assert_true(profile__header_const(p)->truncated_paths >= 1);
	tpath(full, sub);
	expect_kinds(p, full, SLZ_KIND_OPEN); /* the dirfd itself fits */
	kinds_of(p, full, &e);
	assert_false(e->flags & SLZ_EVF_TRUNCATED);
	for (size_t i = 0; i < profile__count(p); i++) {
		e = profile__entry(p, i);
		if (!has_suffix(e->path, "/leaf.txt"))
			continue;
		found++;
		/* never a complete-looking wrong path: flagged, and exactly the tail that fits */
		assert_true(e->flags & SLZ_EVF_TRUNCATED);
		assert_string_equal(e->path, tail);
		assert_int_equal(e->ino, st.st_ino);
		assert_int_equal(e->dev, st.st_dev);
		assert_true(e->kinds & SLZ_KIND_OPEN);
	}
	assert_int_equal(found, 1);
	profile__free(p);
}

/*
 * Path-keyed dedup is keyed on the base directory's identity, not its address: a directory
 * freed and replaced (same memory, maybe the same inode number) is a new base.
 */
static void test_dedup_dir_reuse(void **state)
{
	enum { N = 30 };
	char prof[PATH_MAX], name[64], path[PATH_MAX];
	struct profile *p;

	itest__require(why_unusable);
	tpath(prof, "reuse.profile");
	{
		char *const a[] = {(char *)slimzip, "record", "-o", prof, "--",
				   helper,	    "reuse",  tmp,  "30", NULL};

		assert_int_equal(run(a), 0);
	}
	p = load(prof);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "reuse%d/same.txt", i);
		tpath(path, name);
		if (!(kinds_of(p, path, NULL) & SLZ_KIND_ACCESS))
			fail_msg("%s: access not recorded", path);
	}
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_paths),
		cmocka_unit_test(test_written_kinds),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_sigterm_forwarded),
		cmocka_unit_test(test_snapshot_and_outsider),
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_deep_paths),
		cmocka_unit_test(test_dedup_dir_reuse),
		cmocka_unit_test(test_record_missing),
		cmocka_unit_test(test_cgroup_attach),
		cmocka_unit_test(test_cleanup_removes_cgroups),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
