/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to the zip writer: one tree file, read whole into memory, deflated with libdeflate
 * into the raw deflate stream a zip entry holds, with its CRC-32. libdeflate's compressor is
 * not thread-safe and costs some 300 KiB of tables at level 6, so each thread that deflates
 * owns one (zippool's workers, and the writer thread when it does a job itself), made once
 * and used for every file that thread takes.
 *
 * Levels: zip level N means what zip -N means, output no larger than zlib's at N, for the
 * least CPU: each is the lowest libdeflate level that measured no larger than zlib's N on every
 * corpus (zipdeflate.c's table, zipdeflate__libdeflate_level; 6 is libdeflate's 7). Level 0
 * (store) never gets here. Files above the in-memory limit stream through libzip's zlib at N
 * itself, which keeps the same promise. libdeflate's 10-12 are not needed for it.
 *
 * Stored fallback, as Info-ZIP does: a file deflate does not make smaller is stored (method 0),
 * so an entry is never larger than its file. The result depends on the bytes and the level
 * only, never on the thread or the order: the zip stays deterministic.
 */
#ifndef SLIMZIP_ZIPDEFLATE_H
#define SLIMZIP_ZIPDEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zipdeflate;

struct zipdeflate_out {
	unsigned char *data; /* malloc'd: the raw deflate stream, or the file itself when stored */
	size_t len;
	uint32_t crc;
	bool stored;
};

/* The libdeflate level zip level 1..9 deflates with; -EINVAL for any other. */
int zipdeflate__libdeflate_level(int level);

/* A compressor for one thread at zip level 1..9. 0, -EINVAL (level) or -ENOMEM. */
int zipdeflate__new(int level, struct zipdeflate **out);

/*
 * Deflate the len bytes at in (len > 0), taking them over: in ends up as out->data (stored)
 * or freed. 0, or -ENOMEM with in freed and out untouched.
 */
int zipdeflate__buffer(struct zipdeflate *z, unsigned char *in, size_t len,
		       struct zipdeflate_out *out);

/* NULL-safe. */
void zipdeflate__free(struct zipdeflate *z);

#endif
