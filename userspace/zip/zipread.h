/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading one tree file into a zip entry, on the writer's thread or in a pool worker: opened
 * beneath the tree root the way the walk saw it (tree__open_beneath()), and refused once it is
 * not the size the walk saw, since the sizes go into the headers and a changed file would make
 * a corrupt zip.
 */
#ifndef SLIMZIP_ZIPREAD_H
#define SLIMZIP_ZIPREAD_H

#include <stdint.h>
#include <sys/types.h>
#include <zip.h>

struct zipread {
	int fd; /* -1 when closed */
	uint64_t size, done;
};

/* Open root_fd/path, the file (dev, ino) of size bytes. 0, -ESTALE when another file is there
 * now, or -errno; not explained (the caller names the file). */
int zipread__open(struct zipread *r, int root_fd, const char *path, uint64_t dev, uint64_t ino,
		  uint64_t size);

/* Up to len more bytes: their count (0 at the end), -errno of read(), or -EAGAIN when the file
 * turns out longer or shorter than size. */
ssize_t zipread__next(struct zipread *r, void *buf, size_t len);

/* Idempotent. */
void zipread__close(struct zipread *r);

/* Answer libzip's ZIP_SOURCE_STAT (data, len) for a source of size bytes; errors go to error. */
zip_int64_t zipread__stat(void *data, zip_uint64_t len, zip_error_t *error, uint64_t size);

#endif
