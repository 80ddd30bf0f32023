/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process-tree targets (record --pid when the process's cgroup holds other work too): a task
 * is a target's because it carries the target's tag, not because of where its cgroup is.
 *
 * The tag is task-local storage (slot and generation, struct slz_target). Userspace tags the
 * process and its descendants that exist (bpf_map_update_elem with a pidfd as the key) after
 * slz_fork is attached, and slz_fork copies a parent's tag to every child it forks (threads
 * too: clone with CLONE_THREAD passes through the same tracepoint), before the child can run:
 * trace_sched_process_fork comes before wake_up_new_task. The storage belongs to the
 * task_struct, which exec keeps, so a tagged process stays tagged across exec.
 *
 * A task with no task-local storage at all (task->bpf_storage NULL: no tag) pays nothing on the
 * syscall hit path (current_target_hot); any other untagged task pays one bpf_task_storage_get
 * without F_CREATE in current_target().
 */
#ifndef SLIMZIP_BPF_TASKTAG_H
#define SLIMZIP_BPF_TASKTAG_H

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct slz_target);
} task_tags SEC(".maps");

/* The current task's tag: its target slot (and *gen), or -1 when it carries none. */
static __always_inline int task_tag_target(__u32 *gen)
{
	struct slz_target *t = bpf_task_storage_get(&task_tags, bpf_get_current_task_btf(), 0, 0);

	if (!t)
		return -1;
	*gen = t->gen;
	return (int)t->slot;
}

/* Attached only while a process-tree target exists (recorder__tag_task). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(slz_fork, struct task_struct *parent, struct task_struct *child)
{
	struct slz_target *t = bpf_task_storage_get(&task_tags, parent, 0, 0);
	struct slz_target copy;

	if (!t)
		return 0;
	copy = *t;
	bpf_task_storage_get(&task_tags, child, &copy, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}

#endif /* SLIMZIP_BPF_TASKTAG_H */
