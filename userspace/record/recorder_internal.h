/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The recorder's state, shared by recorder.c (life cycle, targets, consuming events) and
 * recorder_collect.c (profiles with the kernel's counts). Not for other modules.
 */
#ifndef SLIMZIP_RECORDER_INTERNAL_H
#define SLIMZIP_RECORDER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "events.h"
#include "hashmap.h"
#include "record.h"
#include "recorder.h"

/* A path-keyed dedup entry: the kernel knows only a hash of the path, userspace the path. */
struct path_key {
	uint64_t hash;
	char *path;
};

/* One target slot: its holder, its current generation and what that generation recorded. */
struct target {
	bool used;
	uint32_t gen;
	uint64_t cgroup_id;
	int seen_fd;		 /* this generation's dedup map (the kernel holds it too), or -1 */
	struct profile *profile; /* NULL until its first event */
	int err;		 /* an event could not be stored: the profile is incomplete */
	struct path_key *paths;	 /* this generation's path keys, freed with it */
	size_t npaths, paths_cap;
	struct idxmap *path_idx;
};

/* How to create a dedup map the program accepts as an inner map of `seen`. */
struct seen_spec {
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, flags;
};

struct recorder {
	struct record_bpf *skel;
	struct ring_buffer *rb;
	struct target targets[SLZ_MAX_TARGETS];
	struct seen_spec seen_spec;
	uint32_t last_gen; /* generations are never reused, so never shared by two slots */
	uint64_t stale_events;
	int ncpus;
	double load_s;
	char path_buf[EVENT_PATH_BUF]; /* the path of the event being consumed */
};

/* The path behind a path key of t's current generation, or NULL. */
const char *target__path(const struct target *t, uint64_t hash);

#endif
