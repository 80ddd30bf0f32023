// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of scripts/bench-syscalls' storm: a program at the per-syscall hook's busiest
 * tracepoint that does nothing. What it adds to the open+close storm is what the kernel
 * charges for entering BPF there at all (the syscall slow path of both syscalls, and the
 * perf tracepoint's dispatch at openat's exit); slimzip's hook can only add to it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_openat(void *ctx)
{
	return 0;
}
