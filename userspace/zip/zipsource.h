/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The libzip sources of one zip write (internal to zipwrite.c): each file entry's source,
 * which streams the file from the tree or hands libzip what the pool deflated ahead, with
 * every check that the file is still the one the walk saw; and the archive's own output
 * source, which writes into the writer's atomic temp file. Apart from the writer's
 * orchestration (which entries, in which order, with which attributes): this is the part
 * that speaks libzip's source protocol.
 */
#ifndef SLIMZIP_ZIPSOURCE_H
#define SLIMZIP_ZIPSOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <zip.h>

#include "cancel.h"
#include "tree.h"
#include "util.h"
#include "zippool.h"
#include "zipread.h"
#include "zipwrite.h"

/* The message of every cancelled write, from the file sources and the writer alike. */
#define ZIP_CANCELLED_MSG "cancelled: no zip was written"

/* Each file weighs this many bytes in the progress fraction, so many tiny files still move it. */
#define PROGRESS_ENTRY_WEIGHT 4096

/* State shared by the output source and every file source of one write. */
struct writer {
	const struct tree *tree;
	int root_fd;
	struct atomic_file *af;
	FILE *out;
	zip_error_t error; /* of the output source */
	uint64_t size;
	/*
	 * libzip's writes, buffered here rather than in out's stdio (zipsource.c says why):
	 * buf holds the file's bytes [buf_start, buf_start + buf_len), pos is libzip's
	 * position, end the file's size so far. out_fd is out's descriptor.
	 */
	int out_fd;
	unsigned char *buf;
	size_t buf_len;
	uint64_t buf_start, pos, end;
	/* Bytes written since the last early writeback; none for a nameless temp (-o -). */
	uint64_t unsynced;
	bool writeback;
	bool removed; /* libzip removes (never writes) an archive without entries */
	/*
	 * The last DOS time given to libzip and the time_t mktime() made of it (zipwrite.c's
	 * local_time says why it is kept); dos_last 0 means none yet.
	 */
	uint32_t dos_last;
	time_t dos_last_local;
	/* First failure of a file source; its message is already in slz_errmsg(). */
	int file_err;
	uint64_t progress_done, progress_total;
	double progress_last;
	zipwrite_progress_fn progress;
	void *progress_ctx;
	/* zipwrite_opts.meter: files started and bytes read of files_total and bytes_total. */
	const struct slz_progress *meter;
	uint64_t files_done, files_total, bytes_done, bytes_total;
	struct zippool *pool;		 /* NULL when storing or with nothing to deflate ahead */
	const struct slz_cancel *cancel; /* NULL: not cancellable */
};

struct file_src {
	struct writer *w;
	struct tree_entry e; /* what the walk saw: a file swapped or rewritten since is refused */
	const char *path;    /* e.path: tree-owned, relative to the root */
	uint64_t size;	     /* e.size */
	struct zipread in;   /* streamed on the writer's thread */
	zip_error_t error;
	struct zippool_job *job; /* precompressed: the data comes from the pool */
	zip_t *za;		 /* the archive, and the entry's index in it */
	zip_uint64_t zi;
	const unsigned char *data; /* the job's data while open */
	size_t len, off;
	bool have_stat;
	zip_stat_t st;
};

/*
 * The source of the file entry e (streamed, or precompressed by the pool when job is not
 * NULL), to be added to za as entry zi and owned by za once added; NULL when out of memory.
 * A file failure is kept in w->file_err with its message in slz_errmsg().
 */
zip_source_t *zipsource__file(zip_t *za, zip_uint64_t zi, struct writer *w,
			      const struct tree_entry *e, struct zippool_job *job);
/* The archive's output source; ud is the writer. */
zip_int64_t zipsource__out_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd);
/*
 * A file started (files 1) or bytes of input read: move the progress fraction (calls
 * w->progress when it moved) and report to w->meter.
 */
void zipsource__progress(struct writer *w, uint64_t files, uint64_t bytes);

#endif
