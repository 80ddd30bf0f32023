// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tree.h"
#include "zipread.h"

int zipread__open(struct zipread *r, int root_fd, const char *path, uint64_t dev, uint64_t ino,
		  uint64_t size)
{
	r->fd = tree__open_beneath(root_fd, path, dev, ino);
	r->size = size;
	r->done = 0;
	if (r->fd < 0)
		return r->fd;
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

ssize_t zipread__next(struct zipread *r, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(r->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((n == 0 && len && r->done != r->size) || r->done + (uint64_t)n > r->size)
		return -EAGAIN;
	r->done += (uint64_t)n;
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
