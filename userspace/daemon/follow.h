/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cgroup a running daemon follows for us: the client side record --daemon and batch share.
 * Register the cgroup before anything runs in it (the reply comes once the daemon follows
 * it, so nothing of the first process is missed), then Finish it and read the profile the
 * daemon wrote, or give it up (Remove: nothing is written). One connection per request,
 * with client.c's deadline.
 */
#ifndef SLIMZIP_FOLLOW_H
#define SLIMZIP_FOLLOW_H

#include "profile.h"

struct daemon_follow;

/*
 * Whether a daemon answers Ping at socket: 0; -ENOENT / -ECONNREFUSED when none is there,
 * -EACCES when it keeps us out, -ETIMEDOUT, ... (explained naming the socket).
 */
int daemon__ping(const char *socket);
/*
 * Register cgroup (an absolute path, as the daemon resolves it) as target name (NULL: the
 * daemon names it from the directory). The daemon's refusals come back as -errno with its
 * message: -ENOSPC (TooManyTargets: max-targets), -EEXIST (the name or cgroup is taken),
 * -ENOENT (no such cgroup), -EACCES, -EINVAL; no daemon: -ENOENT / -ECONNREFUSED.
 */
int daemon_follow__start(const char *socket, const char *cgroup, const char *name,
			 struct daemon_follow **out);
/* The target's name (the daemon's, which it chose when none was asked for). */
const char *daemon_follow__name(const struct daemon_follow *f);
/*
 * Finish the target (its processes should be gone: their last events are then read) and read
 * the profile the daemon wrote into *out. Once called, the target is the daemon's: free does
 * not remove it. *path_out (may be NULL): the profile's path, valid until free.
 */
int daemon_follow__finish(struct daemon_follow *f, struct profile **out, const char **path_out);
/* NULL-safe. A target neither finished nor given up is removed (nothing written). */
void daemon_follow__free(struct daemon_follow *f);

#endif
