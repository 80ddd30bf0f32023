// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdlib.h>

#include "zipdeflate.h"

struct zipdeflate {
	struct libdeflate_compressor *c;
};

int zipdeflate__new(int level, struct zipdeflate **out)
{
	struct zipdeflate *z;

	*out = NULL;
	if (level < 1 || level > 9)
		return -EINVAL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	z->c = libdeflate_alloc_compressor(level);
	if (!z->c) {
		free(z);
		return -ENOMEM;
	}
	*out = z;
	return 0;
}

/*
 * Incompressible data (random bytes, compressed images and archives) costs level 6 some 60 MB/s
 * of CPU for nothing (scripts/gen-tree's assets, BENCHMARKS.md "prune at 1M files", sixth
 * session). A file of SAMPLE_MIN bytes or more whose three SAMPLE_LEN samples (start, middle,
 * end) all fail to shrink by 1/SAMPLE_GAIN is stored without deflating the rest: a file that
 * compresses anywhere it is sampled is deflated whole as before. The answer depends on the
 * bytes and the level only, so the zip stays deterministic.
 */
#define SAMPLE_MIN  (1U << 20)
#define SAMPLE_LEN  (64U << 10)
#define SAMPLE_GAIN 50

static bool incompressible(struct zipdeflate *z, const unsigned char *in, size_t len,
			   unsigned char *scratch)
{
	const size_t at[] = {0, len / 2 - SAMPLE_LEN / 2, len - SAMPLE_LEN};

	if (len < SAMPLE_MIN)
		return false;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (libdeflate_deflate_compress(z->c, in + at[i], SAMPLE_LEN, scratch,
						SAMPLE_LEN - SAMPLE_LEN / SAMPLE_GAIN))
			return false;
	return true;
}

int zipdeflate__buffer(struct zipdeflate *z, unsigned char *in, size_t len,
		       struct zipdeflate_out *out)
{
	unsigned char *def = NULL, *shrunk;
	size_t n = 0;

	/*
	 * Room for one byte less than the file: libdeflate answers 0 when the stream does not
	 * fit, which is exactly "deflate does not shrink it" (Info-ZIP stores those too), and
	 * the buffer never exceeds the file. A 1-byte file cannot shrink: no buffer at all.
	 */
	if (len > 1) {
		def = malloc(len - 1);
		if (!def) {
			free(in);
			return -ENOMEM;
		}
		if (!incompressible(z, in, len, def))
			n = libdeflate_deflate_compress(z->c, in, len, def, len - 1);
	}
	out->crc = (uint32_t)libdeflate_crc32(0, in, len);
	if (!n) {
		free(def);
		out->data = in;
		out->len = len;
		out->stored = true;
		return 0;
	}
	free(in);
	/* Give back what the stream did not use: these buffers wait in the pool's budget. */
	shrunk = realloc(def, n);
	out->data = shrunk ? shrunk : def;
	out->len = n;
	out->stored = false;
	return 0;
}

void zipdeflate__free(struct zipdeflate *z)
{
	if (!z)
		return;
	libdeflate_free_compressor(z->c);
	free(z);
}
