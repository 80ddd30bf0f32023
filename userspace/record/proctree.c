// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "pathutil.h"
#include "proctree.h"
#include "util.h"

int pid_list__add(struct pid_list *l, pid_t pid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		pid_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = pid;
	return 0;
}

bool pid_list__has(const struct pid_list *l, pid_t pid)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i] == pid)
			return true;
	}
	return false;
}

void pid_list__free(struct pid_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* A decimal pid > 0 at *s, ending at a character of ends (or the end); *s moves past it. */
static int parse_pid(const char **s, const char *ends, pid_t *out)
{
	const char *p = *s;
	long v = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (*p && !strchr(ends, *p))
		return -EINVAL;
	*out = (pid_t)v;
	*s = p;
	return 0;
}

int proctree__parse_stat(const char *text, pid_t *pid, pid_t *ppid)
{
	const char *p = text, *close;

	if (parse_pid(&p, " ", pid) || strncmp(p, " (", 2))
		return -EINVAL;
	close = strrchr(p, ')');
	/* ") S ppid": a state letter, then the ppid (0 for init and kthreadd). */
	if (!close || close[1] != ' ' || !close[2] || close[3] != ' ')
		return -EINVAL;
	p = close + 4;
	return parse_pid(&p, " \n", ppid);
}

int proctree__parse_procs(const char *text, struct pid_list *out)
{
	const char *p = text;
	pid_t pid;
	int err;

	while (*p) {
		if (*p == '\n') {
			p++;
			continue;
		}
		if (parse_pid(&p, "\n", &pid) || !pid)
			return slz_fail(EINVAL, "cgroup.procs: not a pid: '%.20s'", p);
		err = pid_list__add(out, pid);
		if (err)
			return err;
	}
	return 0;
}

int proctree__tree_of(const pid_t *pids, const pid_t *ppids, size_t n, pid_t root,
		      struct pid_list *out)
{
	size_t start = out->n;
	bool found = false;
	int err;

	for (size_t i = 0; i < n && !found; i++)
		found = pids[i] == root;
	if (!found)
		return -ESRCH;
	err = pid_list__add(out, root);
	/* Breadth first over the list itself: out[start..] grows as children are found. */
	for (size_t at = start; !err && at < out->n; at++) {
		for (size_t i = 0; i < n && !err; i++) {
			if (ppids[i] == out->v[at] && pids[i] != root &&
			    !pid_list__has(out, pids[i]))
				err = pid_list__add(out, pids[i]);
		}
	}
	return err;
}

/* A whole small file (/proc text), NUL-terminated, into buf; its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1 && (n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	n = n < 0 ? -errno : len;
	close(fd);
	buf[len] = '\0';
	return n;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

int proctree__descendants(const char *proc_dir, pid_t root, struct pid_list *out)
{
	struct pid_list pids = {0}, ppids = {0};
	DIR *d = opendir(proc_dir);
	struct dirent *de;
	char path[PATH_MAX], buf[1024];
	int err = 0;

	if (!d)
		return slz_fail(errno, "cannot read %s: %s", proc_dir, strerror(errno));
	while (!err && (de = readdir(d))) {
		pid_t pid, ppid;

		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/stat", proc_dir, de->d_name);
		/* Gone meanwhile, or not parsable: not a process of the tree. */
		if (read_small(path, buf, sizeof(buf)) <= 0 ||
		    proctree__parse_stat(buf, &pid, &ppid))
			continue;
		err = pid_list__add(&pids, pid);
		if (!err)
			err = pid_list__add(&ppids, ppid);
	}
	closedir(d);
	if (!err)
		err = proctree__tree_of(pids.v, ppids.v, pids.n, root, out);
	if (err == -ESRCH)
		err = slz_fail(ESRCH, "no process %d is running", (int)root);
	pid_list__free(&pids);
	pid_list__free(&ppids);
	return err;
}

int proctree__threads(const char *proc_dir, pid_t pid, struct pid_list *out)
{
	char path[PATH_MAX];
	struct dirent *de;
	const char *p;
	pid_t tid;
	int err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%d/task", proc_dir, (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && (de = readdir(d))) {
		p = de->d_name;
		if (all_digits(p) && !parse_pid(&p, "", &tid))
			err = pid_list__add(out, tid);
	}
	closedir(d);
	return err;
}

int proctree__cgroup_dir(const char *proc_dir, pid_t pid, char **dir)
{
	char path[PATH_MAX], buf[4096], *mnt = NULL, *root = NULL, *cg = NULL;
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_dir, (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT
			       ? slz_fail(ESRCH, "no process %d is running", (int)pid)
			       : slz_fail((int)-n, "cannot read %s: %s", path, strerror((int)-n));
	if (cgroup__parse_self(buf, &cg) == -ENOENT)
		return slz_fail(EOPNOTSUPP, "process %d is in no cgroup v2 (%s has no 0:: line)",
				(int)pid, path);
	free(cg);
	err = cgroup__v2_mount(&mnt, &root);
	if (!err)
		err = cgroup__self_dir(mnt, root, buf, dir);
	free(mnt);
	free(root);
	return err;
}

static int procs_below(const char *dir, struct pid_list *out, int depth)
{
	char path[PATH_MAX], *buf = NULL;
	struct dirent *de;
	size_t cap = 1 << 16;
	ssize_t n;
	int err;
	DIR *d;

	if (depth > 64)
		return 0;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	n = read_small(path, buf, cap);
	/* Removed meanwhile: nothing runs there. */
	err = n < 0 ? (n == -ENOENT ? 0 : (int)n) : proctree__parse_procs(buf, out);
	free(buf);
	if (err || n < 0)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = procs_below(path, out, depth + 1);
	}
	closedir(d);
	return err;
}

int proctree__cgroup_procs(const char *dir, struct pid_list *out)
{
	return procs_below(dir, out, 0);
}

/*
 * Whether pid descends from root now (its ppid chain, read again): 1, 0, or -ESRCH when it is
 * gone. For the processes that forked or exited between choose's two reads.
 */
static int descends_from(pid_t pid, pid_t root)
{
	char path[64], buf[1024];
	pid_t self, ppid;

	for (int hop = 0; hop < 4096 && pid > 1; hop++) {
		if (pid == root)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (read_small(path, buf, sizeof(buf)) <= 0 ||
		    proctree__parse_stat(buf, &self, &ppid))
			return hop ? 0 : -ESRCH;
		pid = ppid;
	}
	return pid == root;
}

/* Whether pid runs in dir or below it now: 1, 0, or -ESRCH when it is gone. */
static int runs_below(pid_t pid, const char *dir)
{
	char *its = NULL;
	int err = proctree__cgroup_dir("/proc", pid, &its), res;

	if (err)
		return -ESRCH;
	res = path__below(its, dir) != NULL;
	free(its);
	return res;
}

int proctree__choose(pid_t pid, struct proctree_choice *c)
{
	struct pid_list tree = {0}, procs = {0};
	int err;

	*c = (struct proctree_choice){0};
	err = proctree__cgroup_dir("/proc", pid, &c->cgroup);
	if (!err)
		err = proctree__descendants("/proc", pid, &tree);
	if (!err)
		err = proctree__cgroup_procs(c->cgroup, &procs);
	if (err)
		goto out;
	/*
	 * The two lists are read one after the other while the processes fork and exit: one that
	 * differs is asked again, so that a child forked in between, or one that exited, does not
	 * count as other work.
	 */
	for (size_t i = 0; i < procs.n; i++)
		c->others += !pid_list__has(&tree, procs.v[i]) && !descends_from(procs.v[i], pid);
	for (size_t i = 0; i < tree.n; i++)
		c->outside +=
			!pid_list__has(&procs, tree.v[i]) && !runs_below(tree.v[i], c->cgroup);
	c->tree = c->others || c->outside;
out:
	if (err)
		proctree_choice__release(c);
	pid_list__free(&tree);
	pid_list__free(&procs);
	return err;
}

void proctree_choice__release(struct proctree_choice *c)
{
	if (!c)
		return;
	free(c->cgroup);
	c->cgroup = NULL;
}
