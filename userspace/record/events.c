// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel records into profile terms (events.h). */
#include <errno.h>
#include <string.h>

#include "events.h"
#include "pathutil.h"
#include "util.h"

int event__route(const struct slz_event *ev, size_t size, uint32_t *slot, uint32_t *gen)
{
	if (size < SLZ_EVENT_HDR_SIZE || ev->target >= SLZ_MAX_TARGETS ||
	    (ev->kind & SLZ_REC_CONTROL))
		return -EINVAL;
	*slot = ev->target;
	*gen = ev->gen;
	return 0;
}

/*
 * Paths built from a user string keep its spelling; drop empty and "." components (always
 * safe). ".." is kept: resolving it lexically is wrong when the component before is a symlink.
 */
static void identity(uint64_t dev, uint64_t ino, struct event_identity *id)
{
	*id = (struct event_identity){0};
	if (dev == SLZ_DEV_PATH_HASH) {
		id->by_path = true;
		id->path_hash = ino;
	} else {
		id->dev = slz_dev_to_user(dev);
		id->ino = ino;
	}
}

void event__identity(const struct slz_event *ev, struct event_identity *id)
{
	identity(ev->dev, ev->ino, id);
}

void event__key_identity(const struct slz_seen_key *k, struct event_identity *id)
{
	identity(k->dev, k->ino, id);
}

int event__entry(const struct slz_event *ev, size_t size, char *path, struct profile_entry *e)
{
	struct event_identity id;
	size_t len;

	if (size < SLZ_EVENT_HDR_SIZE || (ev->kind & SLZ_REC_CONTROL))
		return -EINVAL;
	len = ev->path_len;
	if (len > size - SLZ_EVENT_HDR_SIZE)
		len = size - SLZ_EVENT_HDR_SIZE;
	if (len > SLZ_EVENT_PATH_CAP)
		len = SLZ_EVENT_PATH_CAP;
	/* A path stops at a NUL, as the C strings of the profile do. */
	len = strnlen(ev->path, len);
	if (!len)
		return -EINVAL;
	memcpy(path, ev->path, len);
	path[len] = '\0';
	/*
	 * Paths built from a user string keep its spelling minus empty and "." components (always
	 * safe); ".." stays, since resolving it lexically is wrong after a symlink.
	 */
	if (path[0] == '/')
		path__clean(path);
	*e = (struct profile_entry){
		.path = path,
		.size = ev->size,
		.kinds = ev->kind,
		.flags = ev->flags,
		.mode = ev->mode,
		.first_pid = ev->pid,
		.err = ev->err,
		.syscall_nr = ev->syscall_nr,
	};
	memcpy(e->first_comm, ev->comm,
	       sizeof(e->first_comm) < sizeof(ev->comm) ? sizeof(e->first_comm) : sizeof(ev->comm));
	e->first_comm[PROFILE_COMM_LEN - 1] = '\0';
	event__identity(ev, &id);
	if (id.by_path) {
		e->flags |= SLZ_EVF_PATH_ONLY;
	} else {
		e->dev = id.dev;
		e->ino = id.ino;
	}
	return 0;
}
