/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the kernel's records mean in the profile's terms: a ring-buffer event becomes a profile
 * entry, a dedup-map key names the entry its access count belongs to. Pure functions of the
 * bytes they are given (no BPF, no recorder state), so they are tested with hand-built events.
 */
#ifndef SLIMZIP_EVENTS_H
#define SLIMZIP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "record.h"

/* Bytes of the buffer event__entry() writes a path into: the longest event path and a NUL. */
#define EVENT_PATH_BUF (SLZ_EVENT_PATH_CAP + 1)

/*
 * The target slot and generation a record of size bytes (as the ring buffer handed it) is for.
 * -EINVAL when it is shorter than the event header, names no possible slot, or is a born or
 * ended record (SLZ_REC_CONTROL), which is no file event.
 */
int event__route(const struct slz_event *ev, size_t size, uint32_t *slot, uint32_t *gen);

/*
 * The profile entry an event describes. Its path is copied into path (EVENT_PATH_BUF bytes),
 * never past the bytes the record holds, and normalised when absolute (empty and "." components
 * dropped; ".." kept, since the component before it may be a symlink); e->path points there.
 * dev becomes the userspace st_dev encoding. An event the kernel keyed by path (it knew no
 * inode) gets SLZ_EVF_PATH_ONLY and dev = ino = 0. -EINVAL for a record shorter than the
 * header, without a path, or of a born or ended record: there is nothing to add.
 */
int event__entry(const struct slz_event *ev, size_t size, char *path, struct profile_entry *e);

/*
 * Whom a kernel access count belongs to. Keys by inode give the entry's (dev, ino) in userspace
 * encoding; a key by path gives the hash its event carried, which names the path.
 */
struct event_identity {
	bool by_path;
	uint64_t path_hash; /* by_path */
	uint64_t dev, ino;  /* otherwise */
};

/* The identity of a path-keyed event (ev->ino is its hash) or of an event keyed by inode. */
void event__identity(const struct slz_event *ev, struct event_identity *id);
void event__key_identity(const struct slz_seen_key *k, struct event_identity *id);

#endif
