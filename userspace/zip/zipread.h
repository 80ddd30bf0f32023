/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading one tree file into a zip entry, on the writer's thread or in a pool worker: opened
 * beneath the tree root the way the walk saw it (tree__open_beneath()), and refused once it is
 * not the size the walk saw, since the sizes go into the headers and a changed file would make
 * a corrupt zip, or once it was rewritten while it was read (same size, other bytes: an entry
 * mixing two versions would pass every check of the zip).
 */
#ifndef SLIMZIP_ZIPREAD_H
#define SLIMZIP_ZIPREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <zip.h>

#include "tree.h"

struct zipread {
	int fd; /* -1 when closed */
	uint64_t size, done;
	/* The file's times when it was opened: a rewrite while it is read changes them. */
	struct timespec mtime, ctime;
	bool checked; /* read to its end and found unchanged */
};

/*
 * Open root_fd/e->path, the file the walk saw as e. 0, -ESTALE when another file is there now
 * or this one is no longer the size or mtime e says (rewritten since the walk), or -errno; not
 * explained (the caller names the file).
 */
int zipread__open(struct zipread *r, int root_fd, const struct tree_entry *e);

/*
 * Up to len more bytes: their count (0 at the end), -errno of read(), or -EAGAIN when the file
 * turns out longer or shorter than its size, or, once all of it is read, when its mtime or
 * ctime moved since the open: rewritten meanwhile, so the bytes read may mix two versions.
 * (Timestamps have the kernel's tick as their grain: a rewrite within the tick of the open
 * goes unseen.)
 */
ssize_t zipread__next(struct zipread *r, void *buf, size_t len);

/* Idempotent. */
void zipread__close(struct zipread *r);

/* Answer libzip's ZIP_SOURCE_STAT (data, len) for a source of size bytes; errors go to error. */
zip_int64_t zipread__stat(void *data, zip_uint64_t len, zip_error_t *error, uint64_t size);

#endif
