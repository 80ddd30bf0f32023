/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A profile: the set of files a workload touched, each with the kinds of access seen.
 * Entries with a known (dev, ino) merge by identity; path-only entries merge by path.
 * Profiles are sets: merging two profiles is a union, so profiles from many hosts or many
 * runs combine without coordination.
 */
#ifndef SLIMZIP_PROFILE_H
#define SLIMZIP_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "slz_vocab.h"

#define PROFILE_FORMAT_VERSION 1
#define PROFILE_COMM_LEN       16

struct profile;

struct profile_entry {
	char *path;   /* absolute path as the kernel saw it (owned by the profile) */
	uint64_t dev; /* st_dev in userspace encoding; 0 when path-only */
	uint64_t ino; /* 0 when path-only */
	uint64_t size;
	uint64_t count; /* accesses of all kinds counted in the kernel */
	uint32_t kinds; /* SLZ_KIND_* bits */
	uint32_t flags; /* SLZ_EVF_* bits (truncated, path-only, ...) */
	uint32_t mode;	/* st_mode; 0 when unknown */
	uint32_t first_pid;
	int32_t err;	    /* errno for a missing lookup, else 0 */
	int32_t syscall_nr; /* the first syscall seen for it, -1 for exec itself or unknown */
	char first_comm[PROFILE_COMM_LEN];
};

struct profile_header {
	char *slimzip_version;
	char *kernel;
	char *hostname;
	char *boot_id;	   /* dev/ino only mean something within one boot of one host */
	char *target_kind; /* "command" or "cgroup" */
	char *target;	   /* cgroup path */
	char *command;	   /* the command line, shell-quoted (slz_shell_join; escaped on disk) */
	/*
	 * Where the deployment tree was when recorded (an absolute path; NULL: unknown): profiles
	 * of one tree recorded at two places name its files by two prefixes, so a merge of them
	 * refuses unless told how to map one onto the other (profile__remap).
	 */
	char *tree_root;
	int64_t start_unix_ms;
	int64_t end_unix_ms;
	int exit_status;      /* -1 when not a command */
	uint64_t lost_events; /* ring buffer drops */
	uint64_t dedup_full;  /* dedup map overflowed: counts are incomplete */
	uint64_t truncated_paths;
	/*
	 * Recorded by a daemon that was killed and restarted (its journal finished as
	 * incomplete): the entries it had consumed are there, but not the kernel's access
	 * counts and loss counters, nor what was still in the ring. Loss, like lost_events:
	 * prune refuses it without --force.
	 */
	uint64_t daemon_restarted;
	/*
	 * Recorded by a daemon: the targets it had refused for capacity (max-targets, a full
	 * queue of prepared slots) since it started, when it wrote this profile. Not loss of
	 * this profile (its target was followed whole), but work beside it that went unrecorded.
	 */
	uint64_t refused_targets;
	uint64_t merged_from; /* how many profiles were merged into this one (1 = recorded) */
};

int profile__new(struct profile **out);
void profile__free(struct profile *p); /* NULL-safe */

struct profile_header *profile__header(struct profile *p);
const struct profile_header *profile__header_const(const struct profile *p);
/* Replace a header string field (NULL allowed); the profile keeps its own copy. */
int profile__set_str(struct profile *p, char **field, const char *value);
/*
 * The header's facts of the machine recording now: the slimzip version, the kernel release,
 * the hostname and the boot id (without which dev/ino are not trusted). 0 or -ENOMEM.
 */
int profile__set_host(struct profile *p, const char *version);
/*
 * The tree-root header of a profile recorded over tree_dir (what `slimzip merge` compares):
 * recorded_at (--tree-path-as, tree-path-as =) when given, else tree_dir's real path (the
 * kernel names what it records by that; tree_dir as written when it cannot be resolved),
 * cleaned (pathutil.h path__clean). 0 or -ENOMEM.
 */
int profile__set_tree_root(struct profile *p, const char *tree_dir, const char *recorded_at);

/*
 * Add an access. e->path is copied. If an entry with the same identity exists, kinds and flags
 * are OR'ed, counts added, and the first toucher kept. Of two paths of one file the better
 * one stays, in either order, with its own path flags (truncated, unreachable, user-suffix):
 * a complete path the kernel walked beats the caller's spelling (user-suffix), which beats an
 * unreachable one, which beats a truncated one; of equal ones the first seen stays.
 */
int profile__add(struct profile *p, const struct profile_entry *e);
/*
 * Room for n entries in all, so adding that many does not grow the array or the indexes (a
 * reader told the count by the header). Only a hint: more may still be added. 0 or -errno.
 */
int profile__reserve(struct profile *p, size_t n);
/*
 * Start loading what profile__add(p, e) will look at first. A reader that parses a few
 * entries ahead of adding them overlaps the cache misses of a large profile's indexes.
 */
void profile__prefetch(const struct profile *p, const struct profile_entry *e);
/*
 * Adding many entries at once (a reader): profile__stage gives the next free entry (zeroed,
 * syscall_nr -1) for the caller to fill, its path pointing anywhere; profile__commit then adds
 * the staged entries in order as profile__add would, the index slots of each loaded a few
 * entries ahead, each new entry's path copied into memory p owns (the staged paths need to
 * live only until then), unless owned: every staged path already lives in memory that outlives
 * p, so none is copied. On an error *failed is the staged entry it concerns; the entries before it
 * were added. Between the two, profile__add refuses (-EBUSY). stage returns NULL without memory.
 */
struct profile_entry *profile__stage(struct profile *p);
int profile__commit(struct profile *p, bool owned, size_t *failed);
/* The hash the profile indexes a path under (in memory only; never stored). */
uint64_t profile__path_hash(const char *path);
/* The same of the first len bytes of path. */
uint64_t profile__path_hash_len(const char *path, size_t len);
size_t profile__count(const struct profile *p);
const struct profile_entry *profile__entry(const struct profile *p, size_t i);
/* The entry matching (dev, ino), or NULL. */
const struct profile_entry *profile__find_inode(const struct profile *p, uint64_t dev,
						uint64_t ino);
/*
 * The first entry (in entry order) with this path, or NULL. The first call builds the path
 * index (reading a profile does not): not concurrently with other calls on p.
 */
const struct profile_entry *profile__find_path(const struct profile *p, const char *path);
/* Add count to the entry with this identity (used when the kernel counters are read at stop). */
int profile__add_count(struct profile *p, uint64_t dev, uint64_t ino, const char *path,
		       uint64_t count);

/*
 * Union src into dst: entries as sets, access counts and loss counters added, merged_from
 * summed, start the earlier and end the later known time, exit_status the larger (a failure
 * shows). A header string dst lacks stays unset (an accumulator sets its own), one src lacks
 * stays dst's; two that differ become "mixed" (version, kernel, hostname, boot id: dev/ino of
 * two boots are not trusted, target kind) or unset (target, command: no one line is both).
 * tree_root: dst takes src's when it has none; two that differ are refused with -EXDEV
 * (explained, naming both) before anything changes. Commutative and associative on entries
 * and counters; header strings are too, but for an unset one in dst.
 */
int profile__merge(struct profile *dst, const struct profile *src);

/* One rewriting of path prefixes: FROM (an absolute path) becomes TO wherever it leads. */
struct profile_map {
	const char *from;
	const char *to;
};
/*
 * A copy of src whose paths (entries and tree_root) below or at a map's from (by whole
 * components) start with its to instead; the first matching map applies. Entries that now
 * share a path and identity merge. 0 or -errno (-EINVAL for a relative from or to, explained).
 */
int profile__remap(const struct profile *src, const struct profile_map *maps, size_t nmaps,
		   struct profile **out);
/*
 * Sort entries by path (byte order), then dev, ino, then entries with an inode before
 * path-only ones: a total order of distinct entries, so output is deterministic.
 */
int profile__sort(struct profile *p);
/* That order, for a caller sorting entries itself (the writers): <0, 0, >0. */
int profile__entry_cmp(const struct profile_entry *a, const struct profile_entry *b);
/*
 * Events were lost in the kernel (or the daemon recording it was killed: daemon_restarted):
 * some accessed files may be absent, so pruning from this profile could drop a needed file.
 * (Truncated paths are judged per entry by the resolver: an entry whose inode matched the tree is
 * fine.)
 */
bool profile__has_loss(const struct profile *p);
/* Anything a recorder should warn about: lost events, dedup overflow, truncated paths. */
bool profile__has_warnings(const struct profile *p);

/* Names of the syscalls the recorder watches ("openat"); NULL / -1 for others. */
const char *profile__syscall_name(int nr);
int profile__syscall_nr(const char *name);

/* Names of kinds, "open,mmap" ("-" for none); parse returns -EINVAL on an unknown or empty name. */
int profile__kinds_str(uint32_t kinds, char *buf, size_t len);
int profile__kinds_parse(const char *s, uint32_t *kinds);

#endif
