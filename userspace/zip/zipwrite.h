/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Write the kept entries of a tree into a deterministic zip: entries sorted by name, Unix modes
 * in the external attributes, DOS times in UTC and one extra field per entry, Info-ZIP's "UT"
 * extended timestamp (the UTC mtime, in both headers), so that any unzip restores the true
 * mtime in any time zone. The same tree and keepset give the same bytes on any machine and in
 * any time zone.
 */
#ifndef SLIMZIP_ZIPWRITE_H
#define SLIMZIP_ZIPWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "cancel.h"
#include "dostime.h"
#include "keepset.h"
#include "progress.h"

struct zipahead;

enum zipwrite_mtime {
	ZIPWRITE_MTIME_KEEP,  /* each entry's own mtime (DOS time: 2 s granularity) */
	ZIPWRITE_MTIME_FIXED, /* every entry gets ZIPWRITE_FIXED_MTIME */
	ZIPWRITE_MTIME_EPOCH, /* every entry gets opts.epoch (the CLI maps SOURCE_DATE_EPOCH) */
};

/* What the permission bits of entries are (symlinks are always 0777, as links). */
enum zipwrite_modes {
	/*
	 * What AWS Lambda needs, whatever the tree's umask was: files 0644, executables (any x
	 * bit set) and directories 0755. The default: the same tree gives the same bytes.
	 */
	ZIPWRITE_MODES_LAMBDA,
	ZIPWRITE_MODES_KEEP, /* the tree's own bits (setuid, setgid and sticky dropped) */
};

/* The earliest time a zip can hold (1980-01-01 UTC), for entries whose time says nothing. */
#define ZIPWRITE_FIXED_MTIME   DOSTIME_MIN
/*
 * The default level, the one place it is set (prune's --help prints it; the man page and
 * README name it in words). On py-raster's kept files (issue 13, BENCHMARKS.md) libdeflate's
 * 5 already makes a smaller zip than Info-ZIP's -6, with some 14% less CPU than 6.
 */
#define ZIPWRITE_DEFAULT_LEVEL 6

/* fraction in [0, 1]; called on the thread of zipwrite__write(), often enough to draw a bar. */
typedef void (*zipwrite_progress_fn)(double fraction, void *ctx);

struct zipwrite_opts {
	/*
	 * 0 = store, 1..9 = deflate level: libdeflate's level of the same number for files up
	 * to 64 MiB (zipdeflate.h), zlib's through libzip for the larger ones, which stream.
	 */
	int level;
	enum zipwrite_mtime mtime_mode;
	enum zipwrite_modes modes;
	/* The archive comment (prune_policy__describe: how the zip was pruned); NULL for none. */
	const char *comment;
	int64_t epoch; /* seconds since 1970 UTC, for ZIPWRITE_MTIME_EPOCH */
	/*
	 * Threads deflating files ahead of the writer, 0 = one per online CPU. The bytes do not
	 * depend on it: every file is deflated on its own with the same settings.
	 */
	int threads;
	zipwrite_progress_fn progress; /* NULL for none */
	void *progress_ctx;
	/*
	 * Files zipped and bytes read, once per file and read (phase "zipping"), for a progress
	 * line; also the tree walk's (prune_policy__open_tree). NULL for none.
	 */
	const struct slz_progress *meter;
	/* Owned by the caller, who may set it from a signal handler; NULL: not cancellable. */
	const struct slz_cancel *cancel;
	/*
	 * Files of the zip handed over before the write and deflated meanwhile (zipahead.h,
	 * the caller's); NULL for none. Used when made for this tree at this level, else
	 * ignored: the bytes are the same either way.
	 */
	struct zipahead *ahead;
};

struct zipwrite_stats {
	uint64_t entries; /* files + dirs + symlinks */
	uint64_t files;
	uint64_t dirs;
	uint64_t symlinks;
	uint64_t skipped;  /* kept fifos, sockets, devices: never zipped */
	uint64_t bytes_in; /* uncompressed bytes: file contents plus link targets */
	uint64_t zip_size; /* bytes of the final zip */
	/*
	 * Timestamp-based .pyc files (flags word 0 in the header) in a zip whose mtimes were
	 * normalized (fixed/epoch): Python will find each of them stale and recompile, or fail
	 * to on a read-only filesystem. 0 in keep mode.
	 */
	uint64_t pyc_timestamp;
	/*
	 * Keep mode: kept .py files with an odd-second mtime that have a kept timestamp-based
	 * __pycache__ .pyc. DOS time rounds the .py mtime down to even seconds, so after
	 * extraction the .pyc no longer matches its source. 0 in fixed/epoch mode.
	 */
	uint64_t py_odd_mtime;
	/*
	 * ZIPWRITE_MODES_KEEP: kept files not readable by others, executables and directories not
	 * executable (or directories not readable) by others, which Lambda's unprivileged user
	 * cannot use; closed_first is the tree index of the first of them in entry order (0: none).
	 * Always 0 under ZIPWRITE_MODES_LAMBDA.
	 */
	uint64_t modes_closed;
	uint32_t modes_closed_first;
	/*
	 * Set on failure only (the rest is then left as it was): true when the zip itself could
	 * not be written (its directory gone, the disk full, ...), false when the tree was at
	 * fault (a file unreadable, changed, too long a name) or the write was cancelled.
	 */
	bool failed_writing;
};

/* level 6, keep mtimes, Lambda's modes, threads per CPU, no progress, not cancellable. */
void zipwrite__default_opts(struct zipwrite_opts *opts);
/* --mtime VALUE: "keep", "fixed" or seconds since 1970. -EINVAL naming the value. */
int zipwrite__parse_mtime(const char *value, struct zipwrite_opts *opts);
/* --modes VALUE: "lambda" or "keep". -EINVAL naming the value. */
int zipwrite__parse_modes(const char *value, struct zipwrite_opts *opts);
/* The option's name of a mode ("lambda", "keep"), NULL for none. */
const char *zipwrite__modes_name(enum zipwrite_modes modes);
/*
 * The permission bits a file (S_IFREG) or directory (S_IFDIR) of the tree with this mode gets
 * in the zip under opts->modes; *closed (may be NULL) says whether those bits shut Lambda's
 * unprivileged user out (see zipwrite_stats.modes_closed).
 */
uint32_t zipwrite__entry_mode(const struct zipwrite_opts *opts, uint32_t mode, bool *closed);
/* SOURCE_DATE_EPOCH, when set, switches to its time. -EINVAL when it is not a number. */
int zipwrite__opts_from_env(struct zipwrite_opts *opts);

/*
 * Write every kept entry of k (the root itself excluded) to out_path: a temp file beside it,
 * fsynced and renamed on success; on any failure (I/O error, ENOSPC, cancel) neither out_path
 * nor a temp file is left behind. Kept directories become "name/" entries, symlinks are
 * stored as links (the target text is the content); a symlink whose target leaves the tree
 * fails with -EXDEV since it would dangle in the deployment. Entries over 4 GiB and archives
 * of more than 65,535 entries use zip64.
 * Touches no process state (TZ included): writes may run on several threads at once.
 * 0 or -errno (-ECANCELED once opts->cancel is requested); stats may be NULL, and on failure
 * only stats->failed_writing is set.
 */
int zipwrite__write(const struct keepset *k, const char *out_path, const struct zipwrite_opts *opts,
		    struct zipwrite_stats *stats);

#endif
