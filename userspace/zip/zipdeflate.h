/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to the zip writer: one tree file, read whole into memory, deflated with libdeflate
 * into the raw deflate stream a zip entry holds, with its CRC-32. libdeflate's compressor is
 * not thread-safe and costs some 300 KiB of tables at level 6, so each thread that deflates
 * owns one (zippool's workers, and the writer thread when it does a job itself), made once
 * and used for every file that thread takes.
 *
 * Levels: zip level N is libdeflate's level N, the mapping users of zip -N and zlib expect
 * for the trade of CPU for size. Measured against zlib's N on four corpora (scripts/bench-levels:
 * py-raster's kept files, scripts/gen-tree's tree, the node and python fixtures; BENCHMARKS.md,
 * "The level mapping"): at 6, 0.3-1.9% smaller on shared objects, the generated and the Python
 * trees, 0.36% larger on node's small JavaScript files, for less CPU. A stricter rule (the
 * lowest libdeflate level never larger than zlib's N anywhere: 7 for 6) was measured and not
 * taken: +34% CPU on py-raster for 0.4% fewer bytes. Level 0 (store) never gets here; files
 * above the in-memory limit stream through libzip's zlib at N. libdeflate's 10-12 are not
 * offered: zlib's scale, and so zip's, ends at 9.
 *
 * Stored fallback, as Info-ZIP does: a file deflate does not make smaller is stored (method 0),
 * so an entry is never larger than its file; a large file that no sample of shrinks is stored
 * without deflating the rest (zipdeflate.c: incompressible()). The result depends on the bytes and
 * the level only, never on the thread or the order: the zip stays deterministic.
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
