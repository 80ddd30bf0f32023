// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "zipsource.h"

void zipsource__progress(struct writer *w, uint64_t files, uint64_t bytes)
{
	double f;

	w->progress_done += files * PROGRESS_ENTRY_WEIGHT + bytes;
	w->files_done += files;
	w->bytes_done += bytes;
	/* The meter throttles itself (progress.h): every file is reported. */
	if (w->meter)
		slz_progress__update(w->meter,
				     &(struct slz_progress_state){.phase = "zipping",
								  .unit = "files",
								  .done = w->files_done,
								  .total = w->files_total,
								  .bytes_done = w->bytes_done,
								  .bytes_total = w->bytes_total});
	if (!w->progress || !w->progress_total)
		return;
	f = (double)w->progress_done / (double)w->progress_total;
	if (f > 1.0)
		f = 1.0;
	/* A bar has at most a few hundred columns: more calls would only cost time. */
	if (f - w->progress_last >= 0.002 || (f >= 1.0 && w->progress_last < 1.0)) {
		w->progress_last = f;
		w->progress(f, w->progress_ctx);
	}
}

/* Remember the first file failure: later ones are consequences (libzip stops at the first). */
static zip_int64_t file_fail(struct file_src *fs, int zip_err, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static zip_int64_t file_fail(struct file_src *fs, int zip_err, int err, const char *fmt, ...)
{
	va_list ap;

	zip_error_set(&fs->error, zip_err, err);
	if (!fs->w->file_err) {
		va_start(ap, fmt);
		fs->w->file_err = slz_vfail(err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The sizes went into the headers before the data: a file that changed would corrupt the zip. */
static zip_int64_t changed_fail(struct file_src *fs)
{
	return file_fail(fs, ZIP_ER_INCONS, EAGAIN,
			 "%s changed while it was zipped (its size, %llu bytes when the tree was "
			 "read, or its modification time moved): re-run once the tree is stable",
			 fs->path, (unsigned long long)fs->size);
}

/* Opening found another file, or this one rewritten since the walk. */
static zip_int64_t open_fail(struct file_src *fs, int err)
{
	return file_fail(fs, ZIP_ER_OPEN, err, "cannot read %s: %s", fs->path,
			 err == ESTALE ? "it changed since the tree was walked (re-run once the "
					 "tree is stable)"
				       : strerror(err));
}

/* Explain a worker's failure on the writer thread, where slz_errmsg() is read. */
static zip_int64_t job_failure(struct file_src *fs, const struct zippool_result *res)
{
	switch (res->fail) {
	case ZIPPOOL_FAIL_OPEN:
		return open_fail(fs, res->err);
	case ZIPPOOL_FAIL_READ:
		return file_fail(fs, ZIP_ER_READ, res->err, "cannot read %s: %s", fs->path,
				 strerror(res->err));
	case ZIPPOOL_FAIL_CHANGED:
		return changed_fail(fs);
	case ZIPPOOL_FAIL_CANCEL:
		return file_fail(fs, ZIP_ER_CANCELLED, ECANCELED, ZIP_CANCELLED_MSG);
	default: /* ZIPPOOL_FAIL_MEMORY */
		return file_fail(fs, ZIP_ER_MEMORY, ENOMEM, "cannot compress %s: out of memory",
				 fs->path);
	}
}

static zip_int64_t unsupported(struct file_src *fs)
{
	zip_error_set(&fs->error, ZIP_ER_OPNOTSUPP, 0);
	return -1;
}

/*
 * A file the pool deflated ahead (or stores, deflate not shrinking it): hand libzip the bytes
 * with method, sizes and CRC, which it copies as they are when the source reports the
 * entry's method.
 */
static zip_int64_t job_file_cb(struct file_src *fs, void *data, zip_uint64_t len,
			       zip_source_cmd_t cmd)
{
	struct zippool *p = fs->w->pool;
	struct zippool_result res;
	size_t n;

	switch (cmd) {
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &fs->error);

		if (!st)
			return -1;
		/* libzip asks again after CLOSE, when the job is gone: answer from a copy. */
		if (!fs->have_stat) {
			if (zippool__wait(p, fs->job, &res))
				return job_failure(fs, &res);
			/*
			 * The entry's method is left to the source (ZIP_CM_DEFAULT) when it is
			 * added, before the job is done: libzip takes a deflated source's method as
			 * it is, but would deflate a stored one again. So a stored job sets its
			 * entry to store here, in the STAT that zip_close() asks first of all for
			 * this entry, before it looks at the entry's method: nothing is written
			 * yet.
			 */
			if (res.stored && zip_set_file_compression(fs->za, fs->zi, ZIP_CM_STORE, 0))
				return file_fail(fs, ZIP_ER_INTERNAL, EIO, "cannot store %s: %s",
						 fs->path, zip_strerror(fs->za));
			zip_stat_init(&fs->st);
			fs->st.valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
				       ZIP_STAT_CRC | ZIP_STAT_ENCRYPTION_METHOD;
			fs->st.size = res.size;
			fs->st.comp_size = res.len;
			fs->st.comp_method = res.stored ? ZIP_CM_STORE : ZIP_CM_DEFLATE;
			fs->st.crc = res.crc;
			fs->st.encryption_method = ZIP_EM_NONE;
			fs->have_stat = true;
		}
		*st = fs->st;
		return sizeof(*st);
	}
	case ZIP_SOURCE_OPEN:
		if (zippool__wait(p, fs->job, &res))
			return job_failure(fs, &res);
		fs->data = res.data;
		fs->len = res.len;
		fs->off = 0;
		zipsource__progress(fs->w, 1, 0);
		return 0;
	case ZIP_SOURCE_READ:
		n = fs->len - fs->off < len ? fs->len - fs->off : (size_t)len;
		memcpy(data, fs->data + fs->off, n);
		fs->off += n;
		return (zip_int64_t)n;
	case ZIP_SOURCE_CLOSE:
		fs->data = NULL;
		zippool__release(p, fs->job);
		zipsource__progress(fs->w, 0, fs->size);
		return 0;
	default: /* file_src_cb() answers the rest */
		return unsupported(fs);
	}
}

/* A file streamed from the tree on the writer's thread, deflated by libzip as it goes. */
static zip_int64_t stream_file_cb(struct file_src *fs, void *data, zip_uint64_t len,
				  zip_source_cmd_t cmd)
{
	ssize_t n;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		n = zipread__open(&fs->in, fs->w->root_fd, &fs->e);
		if (n)
			return open_fail(fs, (int)-n);
		zipsource__progress(fs->w, 1, 0);
		return 0;
	case ZIP_SOURCE_READ:
		n = zipread__next(&fs->in, data, len);
		if (n == -EAGAIN)
			return changed_fail(fs);
		if (n < 0)
			return file_fail(fs, ZIP_ER_READ, (int)-n, "cannot read %s: %s", fs->path,
					 strerror((int)-n));
		zipsource__progress(fs->w, 0, (uint64_t)n);
		return n;
	case ZIP_SOURCE_CLOSE:
		zipread__close(&fs->in);
		return 0;
	case ZIP_SOURCE_STAT:
		return zipread__stat(data, len, &fs->error, fs->size);
	default: /* file_src_cb() answers the rest */
		return unsupported(fs);
	}
}

/* The source of one file entry: streamed, or precompressed by the pool. */
static zip_int64_t file_src_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct file_src *fs = ud;

	switch (cmd) {
	case ZIP_SOURCE_READ:
		/* Checked between reads, so a cancel stops a large file midway. */
		if (slz_cancel__requested(fs->w->cancel))
			return file_fail(fs, ZIP_ER_CANCELLED, ECANCELED, ZIP_CANCELLED_MSG);
		/* fall through */
	case ZIP_SOURCE_OPEN:
	case ZIP_SOURCE_CLOSE:
	case ZIP_SOURCE_STAT:
		return fs->job ? job_file_cb(fs, data, len, cmd)
			       : stream_file_cb(fs, data, len, cmd);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&fs->error, data, len);
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_READABLE;
	case ZIP_SOURCE_FREE:
		if (fs->job)
			zippool__release(fs->w->pool, fs->job);
		zipread__close(&fs->in);
		zip_error_fini(&fs->error);
		free(fs);
		return 0;
	default:
		return unsupported(fs);
	}
}

/*
 * The archive's own source: libzip writes through it into our atomic temp file, so the
 * result is fsynced and renamed by atomic_file and nothing of libzip's temp naming remains.
 *
 * Buffered here, not by stdio: libzip seeks back after each entry's data to rewrite its local
 * header, and every fseeko() flushes a stdio buffer (whose size glibc's setvbuf() with a NULL
 * buffer leaves at 4 KiB anyway), so py-raster's 60 MB zip took 15,600 write()s and 1,035
 * lseek()s (BENCHMARKS.md, issue 13, fifth session). Here a seek only moves libzip's position:
 * a write inside or at the end of the buffered range patches the buffer, anything else
 * flushes it with pwrite() first, so the file is written in OUT_BUFFER pieces. 64 KiB, not
 * more: the kernel's copy into the page cache is fast only while the buffer is still in the
 * CPU's cache (perf, py-raster: the write path 1.35% of prune's samples at 64 KiB, 1.66% at
 * 16 KiB, 4.7% at 256 KiB and 6.1% at 1 MiB, against 2.3% for stdio's 4 KiB writes).
 *
 * Every WRITEBACK_EVERY bytes flushed it starts the writeback of what the kernel holds of the
 * file so far (sync_file_range WRITE: start, do not wait), so the disk writes while the files
 * are still deflating and the commit's fsync waits only for the last pieces. Without it, the
 * fsync wrote the whole zip after the last entry, on one thread, with both cores idle: 0.10 s
 * of prune's 1.9 s on py-raster's 60 MB zip (BENCHMARKS.md, issue 13, fourth session). Not
 * for a nameless temp (-o -, a FIFO), which is copied out and never fsynced.
 */
#define OUT_BUFFER	(64U << 10)
#define WRITEBACK_EVERY (8ULL << 20)

static int pwrite_all(int fd, const unsigned char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int out_flush(struct writer *w)
{
	int err = pwrite_all(w->out_fd, w->buf, w->buf_len, w->buf_start);

	if (err)
		return err;
	w->unsynced += w->buf_len;
	w->buf_start += w->buf_len;
	w->buf_len = 0;
	if (w->writeback && w->unsynced >= WRITEBACK_EVERY) {
		w->unsynced = 0;
		/* Only a hint: the commit's fsync still makes the zip durable. */
		(void)sync_file_range(w->out_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	return 0;
}

static int out_write(struct writer *w, const unsigned char *data, size_t len)
{
	int err;

	/*
	 * Outside the buffered range, past its room, or too big for it: what it holds goes to
	 * the file first (a write of exactly OUT_BUFFER at buf_start fits the room test but goes
	 * straight to the file, which must find the buffer empty).
	 */
	if (w->pos < w->buf_start || w->pos > w->buf_start + w->buf_len ||
	    w->pos + len > w->buf_start + OUT_BUFFER || len >= OUT_BUFFER) {
		if ((err = out_flush(w)))
			return err;
		w->buf_start = w->pos;
	}
	if (len >= OUT_BUFFER) { /* the buffer is empty here: straight to the file */
		if ((err = pwrite_all(w->out_fd, data, len, w->pos)))
			return err;
		w->unsynced += len;
		w->buf_start = w->pos + len;
	} else {
		memcpy(w->buf + (w->pos - w->buf_start), data, len);
		if (w->pos + len > w->buf_start + w->buf_len)
			w->buf_len = (size_t)(w->pos + len - w->buf_start);
	}
	w->pos += len;
	if (w->pos > w->end)
		w->end = w->pos;
	return 0;
}

zip_int64_t zipsource__out_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct writer *w = ud;
	int err;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
	case ZIP_SOURCE_CLOSE:
	case ZIP_SOURCE_BEGIN_WRITE:
	case ZIP_SOURCE_ROLLBACK_WRITE: /* atomic_file__abort() drops the temp file */
	case ZIP_SOURCE_FREE:		/* the writer outlives the archive */
		return 0;
	case ZIP_SOURCE_READ: /* a new archive: nothing to read back */
		return 0;
	case ZIP_SOURCE_SEEK:
		return 0;
	case ZIP_SOURCE_TELL:
		return 0;
	case ZIP_SOURCE_STAT:
		return zipread__stat(data, len, &w->error, 0);
	case ZIP_SOURCE_WRITE:
		if (!w->buf && !(w->buf = malloc(OUT_BUFFER))) {
			zip_error_set(&w->error, ZIP_ER_MEMORY, ENOMEM);
			return -1;
		}
		if ((err = out_write(w, data, (size_t)len))) {
			zip_error_set(&w->error, ZIP_ER_WRITE, err);
			return -1;
		}
		return (zip_int64_t)len;
	case ZIP_SOURCE_SEEK_WRITE: {
		zip_source_args_seek_t *a =
			ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, len, &w->error);
		int64_t base = a && a->whence == SEEK_CUR   ? (int64_t)w->pos
			       : a && a->whence == SEEK_END ? (int64_t)w->end
							    : 0;

		if (!a)
			return -1;
		if ((a->whence != SEEK_SET && a->whence != SEEK_CUR && a->whence != SEEK_END) ||
		    base + a->offset < 0) {
			zip_error_set(&w->error, ZIP_ER_SEEK, EINVAL);
			return -1;
		}
		w->pos = (uint64_t)(base + a->offset);
		return 0;
	}
	case ZIP_SOURCE_TELL_WRITE:
		return (zip_int64_t)w->pos;
	case ZIP_SOURCE_COMMIT_WRITE:
		/* Flush here so ENOSPC surfaces as a libzip failure, not only at commit. */
		if ((err = out_flush(w))) {
			zip_error_set(&w->error, ZIP_ER_WRITE, err);
			return -1;
		}
		w->size = w->end;
		return 0;
	case ZIP_SOURCE_REMOVE:
		w->removed = true;
		return 0;
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&w->error, data, len);
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_WRITABLE;
	default:
		zip_error_set(&w->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

zip_source_t *zipsource__file(zip_t *za, zip_uint64_t zi, struct writer *w,
			      const struct tree_entry *e, struct zippool_job *job)
{
	struct file_src *fs = calloc(1, sizeof(*fs));
	zip_source_t *src;

	if (!fs)
		return NULL;
	fs->w = w;
	fs->e = *e;
	fs->path = e->path;
	fs->size = e->size;
	fs->in.fd = -1;
	fs->job = job;
	fs->za = za;
	fs->zi = zi;
	zip_error_init(&fs->error);
	src = zip_source_function(za, file_src_cb, fs);
	if (!src)
		free(fs);
	return src;
}
