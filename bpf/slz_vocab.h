/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The profile vocabulary: the kinds of access and the flags of an entry. The kernel side sets
 * them in events, the profile model stores them, and the file formats name them (profile.c and
 * profile_io.c hold the name of each bit): a file that needs only these includes this header,
 * not the kernel wire structs of record.h.
 */
#ifndef SLIMZIP_BPF_SLZ_VOCAB_H
#define SLIMZIP_BPF_SLZ_VOCAB_H

/*
 * Each kind of access is deduplicated separately: a file that is stat()ed then opened shows twice.
 * An open also says how it opened the file: SLZ_KIND_OPEN always, plus WRITE, CREATE and TRUNC
 * as they apply. Those travel together in one event (its kind is their union) and are
 * deduplicated as that combination, so a file read first and written later still shows the
 * write, while repeated opens of one way cost one dedup entry.
 */
enum slz_kind {
	SLZ_KIND_OPEN = 1u << 0,     /* open/openat/openat2/creat that succeeded (files and dirs) */
	SLZ_KIND_MMAP = 1u << 1,     /* file-backed mmap */
	SLZ_KIND_EXEC = 1u << 2,     /* the executed binary, or the #! script itself */
	SLZ_KIND_INTERP = 1u << 3,   /* the ELF interpreter the kernel mapped at exec */
	SLZ_KIND_STAT = 1u << 4,     /* stat/lstat/newfstatat/statx that succeeded */
	SLZ_KIND_ACCESS = 1u << 5,   /* access/faccessat/faccessat2 that succeeded */
	SLZ_KIND_READLINK = 1u << 6, /* readlink/readlinkat that succeeded */
	SLZ_KIND_MISSING = 1u << 7,  /* a lookup that failed with ENOENT or ENOTDIR */
	SLZ_KIND_WRITE = 1u << 8,    /* opened for writing (O_WRONLY, O_RDWR: FMODE_WRITE) */
	SLZ_KIND_CREATE = 1u << 9,   /* this open created the file (FMODE_CREATED; creat() too) */
	SLZ_KIND_TRUNC = 1u << 10,   /* O_TRUNC of a regular file that existed before the open */
};
/* How many kinds there are: the bits below SLZ_KIND_ALL. */
#define SLZ_KINDS	 11
#define SLZ_KIND_ALL	 ((1u << SLZ_KINDS) - 1)
/* The kinds that say the workload wrote a file; never without SLZ_KIND_OPEN. */
#define SLZ_KIND_WRITTEN (SLZ_KIND_WRITE | SLZ_KIND_CREATE | SLZ_KIND_TRUNC)

enum slz_event_flags {
	/* Longer than SLZ_WALK_MAX bytes (or SLZ_WALK_STEPS steps): the head is missing. */
	SLZ_EVF_TRUNCATED = 1u << 0,
	/* dev/ino are unknown (access, readlink, missing, script): identity is the path alone. */
	SLZ_EVF_PATH_ONLY = 1u << 1,
	/* The walk ended on a dentry that is not the task's root (detached mount, other namespace).
	 */
	SLZ_EVF_UNREACHABLE = 1u << 2,
	/* The path is base + '/' + a user string that was not normalised ("." and ".." kept). */
	SLZ_EVF_USER_SUFFIX = 1u << 3,
};

#endif /* SLIMZIP_BPF_SLZ_VOCAB_H */
