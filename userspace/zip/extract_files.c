// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The files' data of an extraction, on several threads: each takes the next file entry,
 * reads its raw bytes (the deflate stream, or the stored bytes) with pread() from the zip's own
 * descriptor at the data offset its local header gives, so the threads share no lock (a zip_t
 * is not thread-safe: reading through libzip under one lock kept the second thread waiting),
 * then inflates them with its own libdeflate decompressor into a buffer of the declared size,
 * checks the CRC-32 and writes the file. The declared size bounds the buffer, so a bomb fails
 * at the first byte too many. Only once the data is whole and checked is the file created: a
 * damaged entry leaves no file. Entries above INFLATE_MAX, or of another method than store and
 * deflate, stream through libzip (zlib) under the lock instead, so memory stays bounded
 * whatever an entry declares. Each thread keeps the directory of its last file open: the
 * entries of one directory come together, so a file costs one openat, not one per component.
 */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract_internal.h"
#include "util.h"
#include "zipcdir.h"

#define INFLATE_MAX (64ULL << 20)
#define COPY_BUFFER (256 * 1024)
#define MAX_THREADS 16
/*
 * Bytes of local extra fields read in the same pread() as the data: slimzip's UT field (9),
 * Info-ZIP's UT and ux (28), a zip64 field (20) fit. A longer extra area costs a second read.
 */
#define LOCAL_SLACK 128

struct xpool {
	pthread_mutex_t zmu; /* za: one reader at a time */
	pthread_mutex_t mu;  /* next and the first failure */
	zip_t *za;
	int zip_fd; /* the same zip, read with pread() by every thread at once */
	uint64_t zip_size;
	int dest_fd;
	bool replace; /* extract_opts.replace */
	const struct ent *ents;
	uint64_t n, next;
	uint64_t fail_idx; /* n when nothing failed */
	int fail_err;
	char *fail_msg; /* the failing thread's slz_errmsg(), for the caller's thread */
};

/* One thread's decompressor and buffers, grown to the largest entry it took. */
struct xworker {
	struct xpool *p;
	struct libdeflate_decompressor *d;
	unsigned char *raw, *out;
	size_t raw_cap, out_cap;
	char *copy;	      /* COPY_BUFFER, for streamed entries */
	struct dircache dirs; /* the directory of the last file */
};

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Up to len bytes at off, fewer only at the end of the file: how many, or -errno. */
static ssize_t pread_full(int fd, unsigned char *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* The whole buffer, through short writes and signals. 0 or -errno. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

static int more_than_declared(const struct ent *e)
{
	return slz_fail(EINVAL,
			"entry %s holds more than the %llu bytes it declares: the zip is damaged "
			"or hostile",
			e->name, (unsigned long long)e->size);
}

static int fewer_than_declared(const struct ent *e, uint64_t done)
{
	return slz_fail(EINVAL, "entry %s holds %llu bytes, not the %llu it declares", e->name,
			(unsigned long long)done, (unsigned long long)e->size);
}

static int check_crc(const struct ent *e, uint32_t crc)
{
	if (crc == e->crc)
		return 0;
	return slz_fail(EINVAL, "entry %s is corrupt: its CRC-32 is %08x, not the %08x it declares",
			e->name, crc, e->crc);
}

static int open_file(const struct xpool *p, int dfd, const char *base, const struct ent *e)
{
	int fd;

	/* What an earlier archive put here gives way (never a directory: unlinkat refuses one). */
	if (p->replace && unlinkat(dfd, base, 0) && errno != ENOENT)
		return slz_fail(errno, "cannot replace %s: %s", e->name, strerror(errno));
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? slz_fail(errno, "cannot create %s: %s", e->name, strerror(errno)) : fd;
}

/* Mode, mtime and close of a file whose data is written; the file goes again on failure. */
static int finish_file(int dfd, const char *base, int fd, const struct ent *e, int err)
{
	struct timespec ts[2] = {{.tv_sec = e->mtime}, {.tv_sec = e->mtime}};

	if (!err && (fchmod(fd, e->mode) || futimens(fd, ts)))
		err = slz_fail(errno, "cannot set the mode or mtime of %s: %s", e->name,
			       strerror(errno));
	if (close(fd) && !err)
		err = slz_fail(errno, "cannot write %s: %s", e->name, strerror(errno));
	/* No damaged file stays behind, however the caller cleans up. */
	if (err)
		unlinkat(dfd, base, 0);
	return err;
}

/*
 * A large entry, or one of a method libdeflate does not speak, through libzip as it comes,
 * holding it to its declared size (never a byte more is written) and CRC-32.
 */
static int stream_file(struct xworker *w, zip_uint64_t zi, int dfd, const char *base,
		       const struct ent *e)
{
	uint32_t crc = 0; /* libdeflate_crc32()'s starting value */
	zip_file_t *zf = NULL;
	uint64_t done = 0;
	zip_int64_t n = 0;
	int fd, err = 0;

	fd = open_file(w->p, dfd, base, e);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&w->p->zmu);
	zf = zip_fopen_index(w->p->za, zi, 0);
	if (!zf) {
		err = slz_fail(EINVAL, "cannot read entry %s: %s", e->name, zip_strerror(w->p->za));
		goto out;
	}
	while ((n = zip_fread(zf, w->copy, COPY_BUFFER)) > 0) {
		if ((uint64_t)n > e->size - done) {
			err = more_than_declared(e);
			goto out;
		}
		done += (uint64_t)n;
		crc = (uint32_t)libdeflate_crc32(crc, w->copy, (size_t)n);
		err = write_all(fd, (const unsigned char *)w->copy, (size_t)n);
		if (err) {
			err = slz_fail(-err, "cannot write %s: %s", e->name, strerror(-err));
			goto out;
		}
	}
	if (n < 0)
		err = slz_fail(EINVAL, "entry %s is corrupt: %s", e->name, zip_file_strerror(zf));
	else if (done != e->size)
		err = fewer_than_declared(e, done);
	else
		err = check_crc(e, crc);
out:
	if (zf)
		zip_fclose(zf);
	pthread_mutex_unlock(&w->p->zmu);
	return finish_file(dfd, base, fd, e, err);
}

static int no_local_header(const struct ent *e)
{
	return slz_fail(EINVAL,
			"entry %s is corrupt: no local header of that name where the central "
			"directory says",
			e->name);
}

static int data_ends_early(const struct ent *e, uint64_t done)
{
	return slz_fail(EINVAL, "entry %s is corrupt: its data ends after %llu of %llu bytes",
			e->name, (unsigned long long)done, (unsigned long long)e->comp_size);
}

/*
 * The entry's raw bytes, comp_size of them, into w->raw; *data points at them. One pread()
 * takes the local header, its name, LOCAL_SLACK bytes of extra fields and the data together;
 * the header must repeat the central directory's name and method and not be encrypted. The
 * sizes are the central directory's (a data descriptor's zeros in the local header do not
 * matter), the data offset the local header's (its extra field may differ from the central one).
 */
static int read_raw(struct xworker *w, const struct ent *e, const unsigned char **data)
{
	const struct xpool *p = w->p;
	uint64_t head = ZIPCDIR_LOCAL_HDR + (uint64_t)e->name_len, want, skip;
	ssize_t got;
	int err;

	/* Declared by the entry, so bounded by the zip before anything is allocated. */
	if (e->comp_size > p->zip_size || e->local_off > p->zip_size)
		return slz_fail(
			EINVAL,
			"entry %s declares %llu bytes of data, more than the zip holds: the "
			"zip is damaged or hostile",
			e->name, (unsigned long long)e->comp_size);
	want = head + LOCAL_SLACK + e->comp_size;
	err = slz_grow((void **)&w->raw, &w->raw_cap, want, 1);
	if (err)
		return slz_fail(-err, "cannot extract %s: out of memory", e->name);
	got = pread_full(p->zip_fd, w->raw, want, e->local_off);
	if (got < 0)
		return slz_fail((int)-got, "cannot read entry %s: %s", e->name,
				strerror((int)-got));
	if ((uint64_t)got < head || memcmp(w->raw, "PK\3\4", 4) ||
	    get16(w->raw + 26) != e->name_len ||
	    memcmp(w->raw + ZIPCDIR_LOCAL_HDR, e->name, e->name_len))
		return no_local_header(e);
	if (get16(w->raw + 6) & 1)
		return slz_fail(EINVAL, "entry %s is encrypted: refusing it", e->name);
	if (get16(w->raw + 8) != (uint16_t)e->method)
		return slz_fail(EINVAL,
				"entry %s is corrupt: its local header names another compression "
				"method than the central directory",
				e->name);
	skip = head + get16(w->raw + 28);
	if (skip + e->comp_size <= (uint64_t)got) {
		*data = w->raw + skip;
		return 0;
	}
	/* The file ended first: the data is cut short. */
	if ((uint64_t)got < want)
		return data_ends_early(e, (uint64_t)got > skip ? (uint64_t)got - skip : 0);
	/* An extra area longer than LOCAL_SLACK: the data again, from where it starts. */
	got = pread_full(p->zip_fd, w->raw, e->comp_size, e->local_off + skip);
	if (got < 0)
		return slz_fail((int)-got, "cannot read entry %s: %s", e->name,
				strerror((int)-got));
	if ((uint64_t)got != e->comp_size)
		return data_ends_early(e, (uint64_t)got);
	*data = w->raw;
	return 0;
}

/* A stored or deflated entry: whole in memory, checked, then written. */
static int inflate_file(struct xworker *w, int dfd, const char *base, const struct ent *e)
{
	const unsigned char *data = NULL, *raw = NULL;
	size_t got = 0;
	int fd, err;

	err = read_raw(w, e, &raw);
	if (err)
		return err;
	data = raw;
	if (e->method == ZIP_CM_STORE) {
		if (e->comp_size > e->size)
			return more_than_declared(e);
		if (e->comp_size < e->size)
			return fewer_than_declared(e, e->comp_size);
	} else {
		enum libdeflate_result r;

		err = slz_grow((void **)&w->out, &w->out_cap, e->size ? e->size : 1, 1);
		if (err)
			return slz_fail(-err, "cannot extract %s: out of memory", e->name);
		/* The buffer is the declared size: a stream inflating to more stops there. */
		r = libdeflate_deflate_decompress(w->d, raw, e->comp_size, w->out, e->size, &got);
		if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
			return more_than_declared(e);
		if (r != LIBDEFLATE_SUCCESS)
			return slz_fail(EINVAL,
					"entry %s is corrupt: its deflate stream is damaged",
					e->name);
		if (got != e->size)
			return fewer_than_declared(e, got);
		data = w->out;
	}
	err = check_crc(e, (uint32_t)libdeflate_crc32(0, data, e->size));
	if (err)
		return err;
	fd = open_file(w->p, dfd, base, e);
	if (fd < 0)
		return fd;
	err = write_all(fd, data, e->size);
	if (err)
		err = slz_fail(-err, "cannot write %s: %s", e->name, strerror(-err));
	return finish_file(dfd, base, fd, e, err);
}

static int write_one(struct xworker *w, uint64_t i)
{
	const struct ent *e = &w->p->ents[i];
	const char *base = NULL;
	int dfd, err;

	dfd = dircache__parent(&w->dirs, w->p->dest_fd, e->name, e->name_len, &base);
	if (dfd < 0)
		return slz_fail(-dfd,
				"cannot create the directories of %s: %s (is a parent a file or a "
				"symlink?)",
				e->name, strerror(-dfd));
	if (e->size <= INFLATE_MAX && (e->method == ZIP_CM_STORE || e->method == ZIP_CM_DEFLATE))
		err = inflate_file(w, dfd, base, e);
	else
		err = stream_file(w, i, dfd, base, e);
	if (dfd != w->p->dest_fd && dfd != w->dirs.fd)
		close(dfd);
	return err;
}

/*
 * Take file entries in order until none is left or one before the next has failed: entries
 * before a failure are still written, so the failure reported is the first in entry order
 * however the threads interleave.
 */
static void *xworker_run(void *arg)
{
	struct xworker w = {.p = arg, .dirs = DIRCACHE_INIT};
	struct xpool *p = w.p;
	int err = 0;

	w.d = libdeflate_alloc_decompressor();
	w.copy = malloc(COPY_BUFFER);
	for (;;) {
		uint64_t i;

		pthread_mutex_lock(&p->mu);
		while (p->next < p->n && p->ents[p->next].kind != E_FILE)
			p->next++;
		i = p->next;
		if (i >= p->n || i > p->fail_idx) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		p->next++;
		pthread_mutex_unlock(&p->mu);

		err = w.d && w.copy ? write_one(&w, i) : slz_fail(ENOMEM, "out of memory");
		if (!err)
			continue;
		pthread_mutex_lock(&p->mu);
		if (i < p->fail_idx) {
			free(p->fail_msg);
			p->fail_msg = strdup(slz_errmsg());
			p->fail_idx = i;
			p->fail_err = err;
		}
		pthread_mutex_unlock(&p->mu);
	}
	libdeflate_free_decompressor(w.d);
	dircache__release(&w.dirs);
	free(w.raw);
	free(w.out);
	free(w.copy);
	return NULL;
}

int extract_files__write(zip_t *za, int zip_fd, uint64_t zip_size, int dest_fd, bool replace,
			 const struct ent *ents, uint64_t n, int threads)
{
	struct xpool p = {.za = za,
			  .zip_fd = zip_fd,
			  .zip_size = zip_size,
			  .dest_fd = dest_fd,
			  .replace = replace,
			  .ents = ents,
			  .n = n,
			  .fail_idx = n};
	pthread_t tids[MAX_THREADS];
	int nthreads = threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN), started = 0;
	uint64_t files = 0;

	for (uint64_t i = 0; i < n; i++)
		files += ents[i].kind == E_FILE;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if ((uint64_t)nthreads > files)
		nthreads = (int)files;
	/* Default attributes: neither call can fail on Linux. */
	pthread_mutex_init(&p.zmu, NULL);
	pthread_mutex_init(&p.mu, NULL);
	/* The calling thread is one of the workers; the others are extra. */
	for (; started < nthreads - 1; started++)
		if (pthread_create(&tids[started], NULL, xworker_run, &p))
			break; /* fewer threads: the work gets done all the same */
	xworker_run(&p);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_mutex_destroy(&p.zmu);
	if (p.fail_idx == n)
		return 0;
	/* The worker's message lives in its thread: say it again on this one. */
	if (p.fail_msg)
		slz_fail(-p.fail_err, "%s", p.fail_msg);
	else
		slz_fail(-p.fail_err, "cannot extract %s: out of memory", ents[p.fail_idx].name);
	free(p.fail_msg);
	return p.fail_err;
}
