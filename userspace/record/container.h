/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record --container: a docker or podman container's init pid, asked of whichever CLI is on
 * PATH (`docker inspect --format '{{.State.Pid}}' NAME`, then podman's). Its cgroup is the
 * container's (proctree__cgroup_dir).
 */
#ifndef SLIMZIP_CONTAINER_H
#define SLIMZIP_CONTAINER_H

#include <sys/types.h>

/*
 * The pid of name's (a name or an id) init process and the tool that knew it ("docker" or
 * "podman", static). -ENOENT when neither tool is on PATH or neither knows a running
 * container of that name, -ESRCH when it is not running; explained, with the tools' own
 * first line of error.
 */
int container__init_pid(const char *name, pid_t *pid, const char **tool);

#endif
