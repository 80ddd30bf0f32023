// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process-tree targets (bpf/tasktag.bpf.h): a target no cgroup names, whose tasks carry its
 * tag in task storage; record --pid follows a process this way when its cgroup holds other work.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>

#include "proctree.h"
#include "record.skel.h"
#include "recorder_internal.h"
#include "util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for one thread, not its thread group */
#endif

/*
 * Kernfs ids count up from 1 within a boot: none reaches the top bit, so a key there never
 * matches a task's cgroup and the slot is reached through task tags only.
 */
#define TASK_TARGET_KEY (1ull << 63)

int recorder__add_task_target(struct recorder *r, uint32_t *slot)
{
	uint64_t key = TASK_TARGET_KEY;
	uint32_t s;

	while (!recorder__find_target(r, key, &s))
		key++;
	return recorder__add_target(r, key, slot);
}

static int attach_fork(struct recorder *r)
{
	if (r->fork_link.link || r->fork_link.fd >= 0)
		return 0;
	if (!r->task_tags)
		return slz_fail(EOPNOTSUPP,
				"this recorder was opened without process-tree targets");
	return recorder__attach_prog(r->skel->progs.slz_fork, r->fork_fd, &r->fork_link);
}

int recorder__tag_task(struct recorder *r, uint32_t slot, int pidfd)
{
	struct slz_target v = {.slot = slot};
	int err;

	if (slot >= SLZ_MAX_TARGETS || !r->targets[slot].used)
		return slz_fail(EINVAL, "slot %u is no target", slot);
	v.gen = r->targets[slot].gen;
	err = attach_fork(r);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.task_tags), &pidfd, &v, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Tag every thread of pid not in tagged yet (and add it there); *found tells whether there was
 * one. A thread (or the process) gone meanwhile is no error.
 */
static int tag_threads(struct recorder *r, uint32_t slot, pid_t pid, struct pid_list *tagged,
		       bool *found)
{
	struct pid_list tids = {0};
	int err = proctree__threads("/proc", pid, &tids);

	if (err == -ESRCH)
		return 0;
	for (size_t i = 0; !err && i < tids.n; i++) {
		pid_t tid = tids.v[i];
		int fd;

		if (pid_list__has(tagged, tid))
			continue;
		*found = true;
		fd = (int)syscall(SYS_pidfd_open, tid, tid == pid ? 0 : PIDFD_THREAD);
		if (fd < 0) {
			if (errno != ESRCH)
				err = slz_fail(errno, "pidfd_open(%d): %s", (int)tid,
					       strerror(errno));
			continue;
		}
		err = recorder__tag_task(r, slot, fd);
		if (err == -ESRCH || err == -ENOENT)
			err = 0;
		else if (err)
			err = slz_fail(-err, "cannot tag task %d: %s", (int)tid, strerror(-err));
		close(fd);
		if (!err)
			err = pid_list__add(tagged, tid);
	}
	pid_list__free(&tids);
	return err;
}

/* A bound on the passes over /proc: each pass only finds what forked during the last. */
#define TAG_PASSES 64

int recorder__tag_tree(struct recorder *r, uint32_t slot, pid_t root)
{
	struct pid_list tagged = {0}, tree = {0};
	bool found = true;
	int err;

	/*
	 * Attach the fork program first, then walk: from the moment a task is tagged, every child
	 * it forks is tagged by slz_fork before it runs, and a child forked before its parent was
	 * tagged exists by then and is found by the next pass. So walk again until a pass finds
	 * no task of the tree untagged (threads included). Walking before the attach would miss the
	 * children forked in between, by any parent, with no pass left to find them.
	 */
	err = attach_fork(r);
	for (int pass = 0; !err && found && pass < TAG_PASSES; pass++) {
		found = false;
		tree.n = 0;
		err = proctree__descendants("/proc", root, &tree);
		if (err == -ESRCH && pass)
			err = 0; /* root exited meanwhile: what it left is tagged */
		for (size_t i = 0; !err && i < tree.n; i++)
			err = tag_threads(r, slot, tree.v[i], &tagged, &found);
	}
	pid_list__free(&tagged);
	pid_list__free(&tree);
	return err;
}
