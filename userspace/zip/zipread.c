// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"
#include "zipread.h"

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Files from this size on are read in pieces: readahead of the whole file helps them. */
#define SEQUENTIAL_MIN (1U << 20)

int zipread__open(struct zipread *r, int root_fd, const struct tree_entry *e)
{
	struct stat st;

	/* One fstat for both checks: still the walk's file (dev, ino) and not rewritten since. */
	r->fd = tree__open_beneath_nonblock(root_fd, e->path, e->dev, e->ino, &st);
	r->size = e->size;
	r->done = 0;
	r->checked = false;
	if (r->fd < 0)
		return r->fd;
	/* Rewritten since the walk: the zip would get new bytes under the old mtime. */
	if ((uint64_t)st.st_size != e->size || st.st_mtim.tv_sec != e->mtime_sec ||
	    (uint32_t)st.st_mtim.tv_nsec != e->mtime_nsec) {
		zipread__close(r);
		return -ESTALE;
	}
	r->mtime = st.st_mtim;
	r->ctime = st.st_ctim;
	if (e->size >= SEQUENTIAL_MIN)
		posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* All of it read: is it still the file that was opened, untouched meanwhile? */
static int check_unchanged(struct zipread *r)
{
	struct stat st;

	if (fstat(r->fd, &st))
		return -errno;
	if ((uint64_t)st.st_size != r->size || !same_time(&st.st_mtim, &r->mtime) ||
	    !same_time(&st.st_ctim, &r->ctime))
		return -EAGAIN;
	r->checked = true;
	return 0;
}

ssize_t zipread__next(struct zipread *r, void *buf, size_t len)
{
	bool cleared = false;
	ssize_t n;
	int err;

	for (;;) {
		n = read(r->fd, buf, len);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		/* O_NONBLOCK is still on (zipread__open): a file system that honours it on a
		 * regular file has it taken off, and the read is made again, once. */
		if (errno != EAGAIN)
			return -errno;
		/* Still EAGAIN in blocking mode: a read error, not a file that changed. */
		if (cleared)
			return -EIO;
		if (fcntl(r->fd, F_SETFL, 0))
			return -EIO;
		cleared = true;
	}
	if ((n == 0 && len && r->done != r->size) || r->done + (uint64_t)n > r->size)
		return -EAGAIN;
	r->done += (uint64_t)n;
	if (r->done == r->size && !r->checked && (err = check_unchanged(r)))
		return err;
	return n;
}

void zipread__close(struct zipread *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

zip_int64_t zipread__stat(void *data, zip_uint64_t len, zip_error_t *error, uint64_t size)
{
	zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, error);

	if (!st)
		return -1;
	zip_stat_init(st);
	st->valid = ZIP_STAT_SIZE;
	st->size = size;
	return sizeof(*st);
}
