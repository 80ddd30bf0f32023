// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The workload of the record integration tests: each mode touches files in a known way so the
 * test can assert the exact paths and kinds the recorder saw.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;

static void path(char *buf, size_t len, const char *name)
{
	if (snprintf(buf, len, "%s/%s", dir, name) >= (int)len)
		exit(89);
}

static void touch_open(const char *name)
{
	char p[4096];
	int fd;

	path(p, sizeof(p), name);
	fd = open(p, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "rec_helper: open %s: %s\n", p, strerror(errno));
		exit(90);
	}
	close(fd);
}

static void *thread_main(void *arg)
{
	touch_open("thr.txt");
	return NULL;
}

static void wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Exec path in a child through the raw syscall nr (execve or execveat); its exit status. */
static int exec_child(long nr, const char *path)
{
	char *const argv[] = {(char *)path, NULL}, *const envp[] = {NULL};
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		if (nr == SYS_execve)
			syscall(SYS_execve, path, argv, envp);
		else
			syscall(SYS_execveat, AT_FDCWD, path, argv, envp, 0);
		_exit(100);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void nested_cgroup_child(void)
{
	char line[4096] = "", cg[4096], procs[4200];
	FILE *f = fopen("/proc/self/cgroup", "r");
	const char *mnt = getenv("CGROUP2_MNT");
	int fd;

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3))
			break;
	}
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(cg, sizeof(cg), "%s%s/nested", mnt ? mnt : "/sys/fs/cgroup", line + 3);
	if (mkdir(cg, 0755) && errno != EEXIST)
		_exit(91);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(92);
	close(fd);
	touch_open("nested.txt");
	_exit(0);
}

static int mode_all(const char *dso)
{
	char p[4096], name[300];
	struct stat st;
	pthread_t t;
	pid_t pid;
	DIR *d;
	void *h;
	int fd, dfd;
	char *m;

	/* relative open after chdir; relative stat */
	path(p, sizeof(p), "sub");
	if (chdir(p))
		return 93;
	close(open("rel.txt", O_RDONLY));
	stat("rel-stat.txt", &st);
	/* openat with a dirfd */
	path(p, sizeof(p), "at");
	dfd = open(p, O_DIRECTORY | O_RDONLY);
	close(openat(dfd, "at.txt", O_RDONLY));
	close(dfd);
	/* through a symlink: the target is recorded */
	touch_open("link.txt");
	/* mmap, used after the fd is closed */
	path(p, sizeof(p), "mm.dat");
	fd = open(p, O_RDONLY);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED || m[0] != 'M')
		return 94;
	munmap(m, 4096);
	/* an anonymous mapping is nothing */
	munmap(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 4096);
	/* dlopen */
	h = dlopen(dso, RTLD_NOW);
	if (!h)
		return 95;
	/* stat-only, access-only, readlink */
	path(p, sizeof(p), "statonly.txt");
	if (stat(p, &st))
		return 96;
	path(p, sizeof(p), "accessonly.txt");
	if (access(p, R_OK))
		return 97;
	path(p, sizeof(p), "rl.lnk");
	if (readlink(p, name, sizeof(name)) < 0)
		return 98;
	/* a directory listing */
	path(p, sizeof(p), "listed");
	d = opendir(p);
	if (!d)
		return 99;
	while (readdir(d))
		;
	closedir(d);
	/* a grandchild */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();

		if (g == 0) {
			touch_open("gc.txt");
			_exit(0);
		}
		wait_child(g);
		_exit(0);
	}
	wait_child(pid);
	/* a thread */
	pthread_create(&t, NULL, thread_main, NULL);
	pthread_join(t, NULL);
	/* odd names */
	touch_open("new\nline.txt");
	memset(name, 'n', 255);
	name[255] = '\0';
	touch_open(name);
	/* a #! script */
	pid = fork();
	if (pid == 0) {
		path(p, sizeof(p), "script.sh");
		execl(p, p, (char *)NULL);
		_exit(100);
	}
	wait_child(pid);
	/* a grandchild in a nested cgroup */
	pid = fork();
	if (pid == 0)
		nested_cgroup_child();
	wait_child(pid);
	return 0;
}

/* Touch snap1, say so, wait for the go file, touch snap2. */
static int mode_snapshot(void)
{
	char p[4096];

	touch_open("snap1.txt");
	path(p, sizeof(p), "ready");
	close(open(p, O_CREAT | O_WRONLY, 0644));
	path(p, sizeof(p), "go");
	for (int i = 0; i < 2000 && access(p, F_OK); i++)
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	touch_open("snap2.txt");
	return 0;
}

static int mode_wait(void)
{
	char p[4096];

	path(p, sizeof(p), "ready");
	close(open(p, O_CREAT | O_WRONLY, 0644));
	sleep(20);
	return 0;
}

static int mode_missing(void)
{
	char p[4096];
	struct stat st;

	path(p, sizeof(p), "nope.txt");
	if (open(p, O_RDONLY) >= 0)
		return 101;
	path(p, sizeof(p), "nostat.txt");
	if (!stat(p, &st))
		return 102;
	return 0;
}

/* Open DIR/DEEP (under hundreds of short directories), then access it from its own directory. */
static int mode_deep(const char *deep)
{
	char p[4096], *slash;
	int fd;

	path(p, sizeof(p), deep);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return 103;
	close(fd);
	slash = strrchr(p, '/');
	*slash = '\0';
	if (chdir(p) || access(slash + 1, R_OK))
		return 104;
	return 0;
}

/* Open DIR/SUB as a dirfd and REL below it: together longer than the kernel's walk buffer. */
static int mode_long(const char *sub, const char *rel)
{
	char p[4096];
	int dfd, fd;

	path(p, sizeof(p), sub);
	dfd = open(p, O_DIRECTORY | O_RDONLY);
	if (dfd < 0)
		return 105;
	fd = openat(dfd, rel, O_RDONLY);
	if (fd < 0)
		return 106;
	close(fd);
	close(dfd);
	return 0;
}

/*
 * The same relative name looked up from N directories in turn, each removed while it is still
 * the cwd so its dentry is freed as soon as we leave it: the next directory's dentry may reuse
 * that memory (and, on ext4, its inode number), which must not make the next lookup look seen.
 */
static int mode_reuse(int n)
{
	char p[4096], name[64];
	int fd;

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "reuse%d", i);
		path(p, sizeof(p), name);
		if (mkdir(p, 0755) || chdir(p))
			return 107;
		fd = open("same.txt", O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			return 108;
		close(fd);
		if (access("same.txt", R_OK) || unlink("same.txt") || rmdir(p) || chdir(dir))
			return 109;
		/* an RCU grace period, so the dentry's memory is back in the slab */
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	return 0;
}

/*
 * Once DIR/GO exists (so several workloads can start together), do OP to DIR/PREFIX<FIRST> ..
 * DIR/PREFIX<FIRST+N-1> (FIRST: 0 unless given): "open" creates and opens each, "stat" and
 * "access" need them to exist.
 */
static int mode_many(const char *op, const char *prefix, int first, int n, const char *go)
{
	char p[4096], name[256];
	struct stat st;
	int fd;

	path(p, sizeof(p), go);
	for (int i = 0; i < 3000 && access(p, F_OK); i++)
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	for (int i = first; i < first + n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		path(p, sizeof(p), name);
		if (!strcmp(op, "open")) {
			fd = open(p, O_CREAT | O_RDONLY, 0644);
			if (fd < 0)
				return 110;
			close(fd);
		} else if (!strcmp(op, "stat")) {
			if (stat(p, &st))
				return 111;
		} else if (!strcmp(op, "access")) {
			if (access(p, R_OK))
				return 112;
		} else {
			return 2;
		}
	}
	return 0;
}

/*
 * One process, several steps: for each i in 1..N, once DIR/stepI exists, open DIR/NAME twice,
 * then create DIR/doneI. The test changes the targets between the steps while this process
 * keeps running, with whatever the programs cached for it: it waits without sleeping (access
 * in a loop, for at most 20 s), so between the test's change and its next open little else
 * runs on its CPU that could replace those caches.
 */
static int mode_steps(const char *name, int n)
{
	char p[4096], f[64];
	struct timespec t0, now;

	for (int i = 1; i <= n; i++) {
		snprintf(f, sizeof(f), "step%d", i);
		path(p, sizeof(p), f);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (access(p, F_OK)) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > 20)
				return 120;
		}
		touch_open(name);
		touch_open(name);
		snprintf(f, sizeof(f), "done%d", i);
		path(p, sizeof(p), f);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	return 0;
}

/*
 * Open DIR/A, move this process into the cgroup directory CG (its cgroup.procs), then open
 * DIR/B: each open is attributed to the cgroup the process is in when it makes it.
 */
static int mode_move(const char *a, const char *cg, const char *b)
{
	char procs[4200];
	int fd;

	touch_open(a);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "rec_helper: move to %s: %s\n", cg, strerror(errno));
		return 119;
	}
	close(fd);
	touch_open(b);
	return 0;
}

static int open_at(const char *name, int flags)
{
	char p[4096];

	path(p, sizeof(p), name);
	return open(p, flags, 0644);
}

/* Open (and close) DIR/NAME with flags; exit 113 when it fails. */
static void open_close(const char *name, int flags)
{
	int fd = open_at(name, flags);

	if (fd < 0) {
		fprintf(stderr, "rec_helper: open %s: %s\n", name, strerror(errno));
		exit(113);
	}
	close(fd);
}

/*
 * Files opened each way a workload writes (the w-*.txt that are not created here exist
 * already): read, write, read-write, create, truncate, creat() of an existing and of a new
 * file, openat2 with O_TRUNC, a read and then a write, and a temp file renamed over its final
 * name, the way Python writes bytecode.
 */
static int mode_written(void)
{
	struct open_how how = {.flags = O_WRONLY | O_TRUNC};
	char p[4096], q[4096];
	int fd;

	open_close("w-read.txt", O_RDONLY);
	open_close("w-wronly.txt", O_WRONLY);
	open_close("w-rdwr.txt", O_RDWR);
	open_close("w-new.txt", O_WRONLY | O_CREAT | O_EXCL);
	open_close("w-new-ro.txt", O_RDONLY | O_CREAT);
	open_close("w-append.txt", O_WRONLY | O_CREAT | O_APPEND);
	open_close("w-trunc.txt", O_WRONLY | O_TRUNC);
	open_close("w-ro-trunc.txt", O_RDONLY | O_TRUNC);
	path(p, sizeof(p), "w-creat.txt");
	fd = creat(p, 0644);
	if (fd < 0)
		return 114;
	close(fd);
	path(p, sizeof(p), "w-creat-new.txt");
	fd = creat(p, 0644);
	if (fd < 0)
		return 115;
	close(fd);
	path(p, sizeof(p), "w-at2.txt");
	fd = (int)syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof(how));
	if (fd < 0)
		return 116;
	close(fd);
	open_close("w-later.txt", O_RDONLY);
	open_close("w-later.txt", O_WRONLY | O_APPEND);
	/* importlib's _write_atomic: "<name>.<id>" with O_EXCL, then os.replace */
	fd = open_at("w-mod.pyc.4242", O_WRONLY | O_CREAT | O_EXCL);
	if (fd < 0 || write(fd, "pyc", 3) != 3)
		return 117;
	close(fd);
	path(p, sizeof(p), "w-mod.pyc.4242");
	path(q, sizeof(q), "w-mod.pyc");
	if (rename(p, q))
		return 118;
	return 0;
}

/*
 * Each file syscall the recorder hooks, made directly (glibc would turn stat, access, open and
 * creat into their *at forms): one file per syscall, named after it, then a missing one each
 * (recorded under --record-missing), a relative lookup from a dirfd, and fstat-like calls
 * with AT_EMPTY_PATH, which are no lookups. The same run under both hooks records the same.
 */
static int mode_syscalls(void)
{
	struct open_how how = {.flags = O_RDONLY};
	char p[4096], buf[64];
	struct statx stx;
	struct stat st;
	int fd, dfd;
	void *m;

#define P(name) (path(p, sizeof(p), name), p)
#define CLOSE(expr)                                                                                \
	do {                                                                                       \
		int f_ = (int)(expr);                                                              \
		if (f_ < 0)                                                                        \
			return 120;                                                                \
		close(f_);                                                                         \
	} while (0)
	CLOSE(syscall(SYS_open, P("sc-open"), O_RDONLY));
	CLOSE(syscall(SYS_creat, P("sc-creat"), 0644));
	CLOSE(syscall(SYS_openat, AT_FDCWD, P("sc-openat"), O_RDWR));
	CLOSE(syscall(SYS_openat2, AT_FDCWD, P("sc-openat2"), &how, sizeof(how)));
	fd = open(P("sc-mmap"), O_RDONLY);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fd < 0 || m == MAP_FAILED)
		return 121;
	munmap(m, 4096);
	if (syscall(SYS_stat, P("sc-stat"), &st) || syscall(SYS_lstat, P("sc-lstat"), &st) ||
	    syscall(SYS_newfstatat, AT_FDCWD, P("sc-fstatat"), &st, 0) ||
	    syscall(SYS_statx, AT_FDCWD, P("sc-statx"), 0, STATX_BASIC_STATS, &stx) ||
	    syscall(SYS_access, P("sc-access"), R_OK) ||
	    syscall(SYS_faccessat, AT_FDCWD, P("sc-faccessat"), R_OK) ||
	    syscall(SYS_faccessat2, AT_FDCWD, P("sc-faccessat2"), R_OK, 0) ||
	    syscall(SYS_readlink, P("sc-readlink"), buf, sizeof(buf)) < 0 ||
	    syscall(SYS_readlinkat, AT_FDCWD, P("sc-readlinkat"), buf, sizeof(buf)) < 0)
		return 122;
	/* fstat in disguise: nothing */
	if (syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) ||
	    syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return 123;
	close(fd);
	/* relative to a dirfd */
	dfd = open(P("sc-dir"), O_DIRECTORY | O_RDONLY);
	if (dfd < 0)
		return 124;
	CLOSE(openat(dfd, "in-openat", O_RDONLY));
	if (syscall(SYS_newfstatat, dfd, "in-fstatat", &st, 0) ||
	    syscall(SYS_faccessat2, dfd, "in-faccessat2", F_OK, 0))
		return 125;
	close(dfd);
	/* missing, one per syscall that looks a path up */
	syscall(SYS_open, P("no-open"), O_RDONLY);
	syscall(SYS_openat, AT_FDCWD, P("no-openat"), O_RDONLY);
	syscall(SYS_openat2, AT_FDCWD, P("no-openat2"), &how, sizeof(how));
	syscall(SYS_stat, P("no-stat"), &st);
	syscall(SYS_lstat, P("no-lstat"), &st);
	syscall(SYS_newfstatat, AT_FDCWD, P("no-fstatat"), &st, 0);
	syscall(SYS_statx, AT_FDCWD, P("no-statx"), 0, STATX_BASIC_STATS, &stx);
	syscall(SYS_access, P("no-access"), F_OK);
	syscall(SYS_faccessat, AT_FDCWD, P("no-faccessat"), F_OK);
	syscall(SYS_faccessat2, AT_FDCWD, P("no-faccessat2"), F_OK, 0);
	syscall(SYS_readlink, P("no-readlink"), buf, sizeof(buf));
	syscall(SYS_readlinkat, AT_FDCWD, P("no-readlinkat"), buf, sizeof(buf));
	syscall(SYS_open, P("sc-open/below"), O_RDONLY); /* ENOTDIR */
	/* exec: a #! script by execve, a binary by execveat, one that fails (nothing ran) */
	if (exec_child(SYS_execve, P("sc-script.sh")) || exec_child(SYS_execveat, "/bin/true") ||
	    !exec_child(SYS_execve, P("no-exec")))
		return 126;
	/*
	 * A 32-bit image (it returns as the ia32 execve), there when the test could write one
	 * this kernel runs; not looked for first (that would be a recorded lookup): the test
	 * checks the exec in the profile.
	 */
	(void)exec_child(SYS_execve, P("sc-i386"));
#undef CLOSE
#undef P
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
			"usage: rec_helper "
			"all|written|syscalls|snapshot|wait|missing|deep|long|reuse|open|many|move|"
			"steps|exit|signal "
			"ARG\n");
		return 2;
	}
	dir = argv[2];
	if (!strcmp(argv[1], "all"))
		return mode_all(argc > 3 ? argv[3] : "");
	if (!strcmp(argv[1], "written"))
		return mode_written();
	if (!strcmp(argv[1], "syscalls"))
		return mode_syscalls();
	if (!strcmp(argv[1], "snapshot"))
		return mode_snapshot();
	if (!strcmp(argv[1], "wait"))
		return mode_wait();
	if (!strcmp(argv[1], "missing"))
		return mode_missing();
	if (!strcmp(argv[1], "deep") && argc > 3)
		return mode_deep(argv[3]);
	if (!strcmp(argv[1], "long") && argc > 4)
		return mode_long(argv[3], argv[4]);
	if (!strcmp(argv[1], "reuse"))
		return mode_reuse(argc > 3 ? atoi(argv[3]) : 1);
	if (!strcmp(argv[1], "many") && argc > 6)
		return mode_many(argv[3], argv[4], argc > 7 ? atoi(argv[7]) : 0, atoi(argv[5]),
				 argv[6]);
	if (!strcmp(argv[1], "steps") && argc > 4)
		return mode_steps(argv[3], atoi(argv[4]));
	if (!strcmp(argv[1], "move") && argc > 5)
		return mode_move(argv[3], argv[4], argv[5]);
	if (!strcmp(argv[1], "open")) {
		touch_open(argc > 3 ? argv[3] : "x");
		return 0;
	}
	if (!strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (!strcmp(argv[1], "signal"))
		raise(atoi(argv[2]));
	return 2;
}
