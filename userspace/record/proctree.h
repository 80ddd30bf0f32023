/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Processes as record --pid sees them: a process's cgroup (the "0::" line of /proc/PID/cgroup),
 * its descendants (every /proc/N/stat's ppid: this kernel has no /proc/N/task/N/children,
 * CONFIG_PROC_CHILDREN being off), its threads, and the processes of a cgroup and below
 * (cgroup.procs). The parsers take text, the readers a /proc directory, so both are tested on
 * fixture files.
 */
#ifndef SLIMZIP_PROCTREE_H
#define SLIMZIP_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pid_list {
	pid_t *v;
	size_t n, cap;
};
int pid_list__add(struct pid_list *l, pid_t pid); /* 0 or -ENOMEM */
bool pid_list__has(const struct pid_list *l, pid_t pid);
void pid_list__free(struct pid_list *l); /* NULL-safe; leaves it empty */

/*
 * The pid and ppid of a /proc/N/stat text, "pid (comm) state ppid ...". comm may hold spaces
 * and parentheses: it ends at the last ')'. -EINVAL when the text is not of that shape.
 */
int proctree__parse_stat(const char *text, pid_t *pid, pid_t *ppid);
/* The pids of a cgroup.procs text, one per line, appended to out. -EINVAL on a bad line. */
int proctree__parse_procs(const char *text, struct pid_list *out);
/*
 * root and its descendants among n (pid, ppid) pairs, root first and every parent before its
 * children; a pid whose parent is outside the tree is not in it (reparented to a subreaper
 * or init, it left the tree). -ESRCH when root is not among the pairs.
 */
int proctree__tree_of(const pid_t *pids, const pid_t *ppids, size_t n, pid_t root,
		      struct pid_list *out);
/* The same, read from proc_dir ("/proc"): every N/stat that can be read. */
int proctree__descendants(const char *proc_dir, pid_t root, struct pid_list *out);
/* The threads of pid (the entries of proc_dir/pid/task). -ESRCH when pid is gone. */
int proctree__threads(const char *proc_dir, pid_t pid, struct pid_list *out);
/*
 * The cgroup v2 directory of pid: proc_dir/pid/cgroup's "0::" line below the v2 mount
 * (cgroup__self_dir). -ESRCH (no such process, explained), -EOPNOTSUPP (no cgroup v2).
 */
int proctree__cgroup_dir(const char *proc_dir, pid_t pid, char **dir);
/* Every process in the cgroup directory dir and in the cgroups below it. */
int proctree__cgroup_procs(const char *dir, struct pid_list *out);

/* How record --pid follows a process: its cgroup, or its process tree. */
struct proctree_choice {
	bool tree;	/* follow the process tree (task tags), not the cgroup */
	char *cgroup;	/* pid's cgroup directory (followed when !tree) */
	size_t others;	/* processes in the cgroup (and below) outside pid's tree */
	size_t outside; /* processes of pid's tree in no cgroup below it */
};
/*
 * Decide: pid's cgroup when it and the cgroups below it hold exactly pid's tree, else the tree.
 * -ESRCH when pid does not exist (explained). Release with proctree_choice__release.
 */
int proctree__choose(pid_t pid, struct proctree_choice *c);
void proctree_choice__release(struct proctree_choice *c); /* NULL-safe */

#endif
