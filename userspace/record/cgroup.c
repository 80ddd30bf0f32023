// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "mountinfo.h"
#include "pathutil.h"
#include "util.h"

int cgroup__v2_mount(char **mount_point, char **mount_root)
{
	struct mount_info m;
	int err = mountinfo__find_self("cgroup2", &m);

	if (err == -ENOENT)
		return slz_fail(EOPNOTSUPP,
				"no cgroup v2 hierarchy is mounted (see /proc/self/mountinfo); "
				"mount one with 'mount -t cgroup2 none /sys/fs/cgroup'");
	if (err)
		return err;
	*mount_point = m.mount_point;
	*mount_root = m.root;
	m.mount_point = m.root = NULL;
	mountinfo__clear(&m);
	return 0;
}

int cgroup__parse_self(const char *text, char **path)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len >= 3 && !strncmp(line, "0::", 3)) {
			*path = strndup(line + 3, len - 3);
			return *path ? 0 : -ENOMEM;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int cgroup__self_dir(const char *mount_point, const char *mount_root, const char *proc_self_cgroup,
		     char **dir)
{
	char *cg = NULL;
	const char *rel;
	int err;

	err = cgroup__parse_self(proc_self_cgroup, &cg);
	if (err == -ENOENT) {
		*dir = strdup(mount_point);
		return *dir ? 0 : -ENOMEM;
	}
	if (err)
		return err;
	/* The path is relative to our cgroup namespace root; mount_root is relative to the same. */
	rel = path__below(cg, mount_root);
	if (!rel)
		rel = "";
	/* A path ending in " (deleted)" or an unrelated root: start at the mount point. */
	if (strstr(rel, " (deleted)"))
		rel = "";
	while (*rel == '/')
		rel++;
	if (asprintf(dir, "%s%s%s", mount_point, *rel ? "/" : "", rel) < 0)
		err = -ENOMEM;
	free(cg);
	return err;
}

static bool is_cgroup2_dir(const char *path)
{
	struct statfs sfs;
	struct stat st;

	return !statfs(path, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC && !stat(path, &st) &&
	       S_ISDIR(st.st_mode);
}

int cgroup__own_dir(char **dir)
{
	char *mnt = NULL, *root = NULL, buf[4096];
	ssize_t n = -1;
	int fd, err;

	*dir = NULL;
	err = cgroup__v2_mount(&mnt, &root);
	if (err)
		return err;
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	/* Unreadable: the mount point itself, as for a process of another namespace. */
	buf[n > 0 ? n : 0] = '\0';
	err = cgroup__self_dir(mnt, root, buf, dir);
	free(mnt);
	free(root);
	return err;
}

int cgroup__resolve(const char *user_path, char **dir)
{
	char *mnt = NULL, *root = NULL, *joined = NULL, *real;
	const char *rel = user_path;
	int err;

	if (is_cgroup2_dir(user_path)) {
		real = realpath(user_path, NULL);
		if (!real)
			return -ENOMEM;
		*dir = real;
		return 0;
	}
	err = cgroup__v2_mount(&mnt, &root);
	if (err)
		return err;
	while (*rel == '/')
		rel++;
	if (asprintf(&joined, "%s/%s", mnt, rel) < 0) {
		err = -ENOMEM;
		goto out;
	}
	if (!is_cgroup2_dir(joined)) {
		/* Name the path as the user gave it, not its mount-relative remainder. */
		err = slz_fail(ENOENT,
			       "'%s' is not a cgroup v2 directory (cgroup v2 is mounted at %s)",
			       user_path, mnt);
		goto out;
	}
	*dir = realpath(joined, NULL);
	err = *dir ? 0 : -ENOMEM;
out:
	free(joined);
	free(mnt);
	free(root);
	return err;
}

int cgroup__create(const char *parent, char **path, int *dirfd)
{
	static atomic_uint seq;
	char *p = NULL;
	int fd, err;

	for (int tries = 0; tries < 100; tries++) {
		free(p);
		if (asprintf(&p, "%s/slimzip-%d-%u", parent, (int)getpid(),
			     atomic_fetch_add(&seq, 1)) < 0)
			return -ENOMEM;
		if (mkdir(p, 0755)) {
			err = errno;
			if (err == EEXIST)
				continue;
			free(p);
			return slz_fail(err, "cannot create a cgroup under %s: %s", parent,
					strerror(err));
		}
		/* Not O_PATH: an flock needs a real open file. */
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && !owned__lock(fd)) {
			*path = p;
			*dirfd = fd;
			return 0;
		}
		err = errno;
		if (fd >= 0)
			close(fd);
		/*
		 * Between mkdir and the lock the directory is unowned: a sweeper in another pid
		 * namespace, to whom our pid is nobody's, may have locked it (EWOULDBLOCK) or
		 * removed it (ENOENT). Not ours any more: take the next name.
		 */
		if (err == EWOULDBLOCK || err == ENOENT)
			continue;
		rmdir(p);
		free(p);
		return slz_fail(err, "cannot open the new cgroup: %s", strerror(err));
	}
	free(p);
	return slz_fail(EEXIST, "cannot create a unique cgroup under %s", parent);
}

int cgroup__id(const char *path, uint64_t *id)
{
	struct stat st;

	if (stat(path, &st))
		return slz_fail(errno, "cannot stat cgroup %s: %s", path, strerror(errno));
	*id = st.st_ino;
	return 0;
}

static int write_file(const char *dir, const char *name, const char *value)
{
	char *p = NULL;
	int fd, err = 0;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = open(p, O_WRONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Calls fn on every child cgroup directory of path (full path), depth first when post. */
static int for_children(const char *path, int (*fn)(const char *child))
{
	DIR *d = opendir(path);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char *c = NULL;
		int e;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&c, "%s/%s", path, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		e = fn(c);
		if (e && !err)
			err = e;
		free(c);
	}
	closedir(d);
	return err;
}

struct pid_set {
	pid_t *pids;
	size_t n, cap;
	int sig;
	size_t sent; /* in this pass */
};

static bool pid_set__has(const struct pid_set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->pids[i] == pid)
			return true;
	}
	return false;
}

/* One pass over path and its children: signal every listed pid not signalled before. */
static int signal_pass(const char *path, struct pid_set *s)
{
	char *p = NULL, line[32];
	DIR *d;
	FILE *f;
	int err = 0;

	if (asprintf(&p, "%s/cgroup.procs", path) < 0)
		return -ENOMEM;
	f = fopen(p, "re");
	free(p);
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		pid_t pid = (pid_t)atoi(line);

		if (pid <= 0 || pid_set__has(s, pid))
			continue;
		err = slz_grow((void **)&s->pids, &s->cap, s->n + 1, sizeof(*s->pids));
		if (err)
			break;
		s->pids[s->n++] = pid;
		/*
		 * The pid was read from the cgroup a moment ago; it cannot be another process's
		 * unless it exited and the pid space wrapped around in between.
		 */
		if (!kill(pid, s->sig))
			s->sent++;
	}
	fclose(f);
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	for (struct dirent *de; !err && (de = readdir(d));) {
		char *c = NULL;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&c, "%s/%s", path, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		err = signal_pass(c, s);
		free(c);
	}
	closedir(d);
	return err;
}

int cgroup__signal(const char *path, int sig)
{
	struct pid_set s = {.sig = sig};
	size_t total = 0;
	int err = 0;

	/* A bound on the passes: a fork bomb must not keep us here. */
	for (int pass = 0; pass < 16; pass++) {
		s.sent = 0;
		err = signal_pass(path, &s);
		total += s.sent;
		if (err || !s.sent)
			break;
	}
	free(s.pids);
	if (err)
		return slz_fail(err, "cannot signal the processes of cgroup %s: %s", path,
				strerror(-err));
	return total > INT_MAX ? INT_MAX : (int)total;
}

int cgroup__kill(const char *path)
{
	int err = write_file(path, "cgroup.kill", "1");

	if (err == -ENOENT) { /* before Linux 5.14 */
		err = cgroup__signal(path, SIGKILL);
		err = err < 0 ? err : 0;
	}
	if (err == -ENOENT)
		err = 0;
	return err ? slz_fail(err, "cannot kill the processes of cgroup %s: %s", path,
			      strerror(-err))
		   : 0;
}

int cgroup__populated(const char *path)
{
	char *p = NULL, line[64];
	int res = 0;
	FILE *f;

	if (asprintf(&p, "%s/cgroup.events", path) < 0)
		return -ENOMEM;
	f = fopen(p, "re");
	free(p);
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "populated ", 10))
			res = atoi(line + 10) != 0;
	}
	fclose(f);
	return res;
}

int cgroup__wait_empty(const char *path, int timeout_ms)
{
	for (int waited = 0;; waited++) {
		int r = cgroup__populated(path);

		if (r <= 0)
			return r;
		if (waited >= timeout_ms)
			return slz_fail(ETIMEDOUT, "processes are still running in cgroup %s",
					path);
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
}

int cgroup__remove(const char *path)
{
	int err = for_children(path, cgroup__remove);

	if (rmdir(path) && errno != ENOENT) {
		err = -errno;
		return slz_fail(err, "cannot remove cgroup %s: %s", path, strerror(-err));
	}
	return err;
}

int cgroup__destroy(const char *path)
{
	int err = cgroup__kill(path), e;

	e = cgroup__wait_empty(path, 5000);
	if (!err)
		err = e;
	e = cgroup__remove(path);
	return err ? err : e;
}

int cgroup__remove_stale(const char *parent)
{
	return owned__sweep_dirs(parent, "slimzip-", cgroup__destroy);
}

static int entry_by_name(const void *a, const void *b)
{
	return strcmp(((const struct cgroup_entry *)a)->name,
		      ((const struct cgroup_entry *)b)->name);
}

/* Deeper than the kernel's own nesting limit in practice; bounds the recursion. */
#define CGROUP_LIST_DEPTH 64

static int list_below(const char *dir, bool recursive, int depth, struct cgroup_list *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t start = out->n, end;
	int err = 0;

	if (!d) {
		/* A descendant removed while we looked is no error; the top one is. */
		if (depth && errno == ENOENT)
			return 0;
		return slz_fail(errno, "cannot list cgroup %s: %s", dir, strerror(errno));
	}
	while (!err && (de = readdir(d))) {
		struct cgroup_entry *e;
		struct stat st;
		char *c = NULL;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* removed meanwhile */
		if (asprintf(&c, "%s/%s", dir, de->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		err = slz_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v));
		if (err) {
			free(c);
			break;
		}
		e = &out->v[out->n++];
		e->dir = c;
		e->name = c + strlen(dir) + 1;
		e->id = st.st_ino;
	}
	closedir(d);
	if (err)
		return err;
	end = out->n;
	/* No child yet: out->v may still be NULL, which qsort must not get even for 0 items. */
	if (end > start)
		qsort(out->v + start, end - start, sizeof(*out->v), entry_by_name);
	for (size_t i = start; recursive && depth < CGROUP_LIST_DEPTH && i < end && !err; i++)
		err = list_below(out->v[i].dir, true, depth + 1, out);
	return err;
}

int cgroup__children(const char *dir, bool recursive, struct cgroup_list *out)
{
	int err;

	*out = (struct cgroup_list){0};
	err = list_below(dir, recursive, 0, out);
	if (err)
		cgroup_list__free(out);
	return err;
}

void cgroup_list__free(struct cgroup_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].dir);
	free(l->v);
	*l = (struct cgroup_list){0};
}
