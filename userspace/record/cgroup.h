/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2 plumbing for the recorder: find the unified hierarchy, create a private child
 * cgroup to start a command in, and tear it down (kill leftovers, remove nested children).
 */
#ifndef SLIMZIP_CGROUP_H
#define SLIMZIP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where cgroup v2 is mounted (/sys/fs/cgroup or /sys/fs/cgroup/unified). -EOPNOTSUPP if none. */
int cgroup__v2_mount(char **mount_point, char **mount_root);
/* The cgroup v2 path of this process ("0::/a/b" in /proc/self/cgroup gives "/a/b"). */
int cgroup__parse_self(const char *proc_self_cgroup, char **path);
/*
 * The directory of this process's own cgroup: mount_point + path relative to mount_root.
 * Falls back to mount_point when the path is not below mount_root (another namespace).
 */
int cgroup__self_dir(const char *mount_point, const char *mount_root, const char *proc_self_cgroup,
		     char **dir);
/*
 * The directory of this process's own cgroup v2 (cgroup__v2_mount, /proc/self/cgroup,
 * cgroup__self_dir): where a recorder creates the cgroups of the commands it starts. *dir is
 * malloc'd. 0, -EOPNOTSUPP (no cgroup v2), -ENOMEM.
 */
int cgroup__own_dir(char **dir);
/*
 * Resolve a user-given cgroup: a directory on a cgroup2 filesystem, or a path relative to the
 * cgroup2 mount ("/system.slice/foo.service"). -ENOENT / -ENOTDIR with a message.
 */
int cgroup__resolve(const char *user_path, char **dir);
/*
 * Create a new child "slimzip-<pid>-<n>" of parent; returns its path and a directory fd (for
 * CLONE_INTO_CGROUP) that holds the owner's lock on it (util.h owned__lock): keep it open
 * until the cgroup is destroyed, or another slimzip may take it for a leftover.
 */
int cgroup__create(const char *parent, char **path, int *dirfd);
/*
 * Destroy the leftovers in parent of slimzips that were killed: every "slimzip-<pid>-<n>"
 * whose pid is gone and whose lock is free (util.h owned__sweep), with whatever still runs in
 * it. Returns how many were removed, or -errno when parent cannot be read.
 */
int cgroup__remove_stale(const char *parent);
/* The cgroup id the BPF helpers report: the inode number of the cgroup directory. */
int cgroup__id(const char *path, uint64_t *id);
/*
 * The cgroups below dir (a cgroup v2 directory): its children, or with recursive every
 * descendant (parents before their children), each with its directory, its name and its id.
 * For a caller that watches dir and takes the cgroups that exist already as targets.
 * Free the list with cgroup_list__free.
 */
struct cgroup_entry {
	char *dir;	  /* dir/NAME[/...] */
	const char *name; /* its last component, inside dir */
	uint64_t id;	  /* as cgroup__id gives it */
};
struct cgroup_list {
	struct cgroup_entry *v;
	size_t n, cap;
};
int cgroup__children(const char *dir, bool recursive, struct cgroup_list *out);
void cgroup_list__free(struct cgroup_list *l); /* NULL-safe; leaves it empty */
/* Kill everything in the cgroup and below (cgroup.kill, or SIGKILL per pid on old kernels). */
int cgroup__kill(const char *path);
/*
 * Send sig to every process in the cgroup and below (cgroup.procs of each), once each, until
 * a pass over them finds none it has not signalled yet (so that children forked meanwhile get
 * it too). Returns how many processes were signalled, or -errno.
 */
int cgroup__signal(const char *path, int sig);
/* Whether a process runs in the cgroup or below (cgroup.events): 1, 0 (or gone), -errno. */
int cgroup__populated(const char *path);
/* Wait until no process is left in the cgroup or below. -ETIMEDOUT after timeout_ms. */
int cgroup__wait_empty(const char *path, int timeout_ms);
/* rmdir nested children depth first, then the cgroup itself. */
int cgroup__remove(const char *path);
/* kill + wait + remove, for a cgroup slimzip created. */
int cgroup__destroy(const char *path);

#endif
