// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "zipdeflate.h"

/*
 * A file up to SMALL_MAX bytes is read into the compressor's own in[] and deflated into its
 * out[], and only the result is copied into a buffer of its exact size: two malloc()s, a
 * realloc() and a free() fewer per small file. On the 1M-file tree of scripts/bench-zip
 * --scale the glibc arenas' bookkeeping of those buffers (malloc_consolidate, unlink_chunk,
 * _int_free) was a third of the writer's time once the deflaters were done, as it freed what
 * they had shrunk (BENCHMARKS.md, issue 13, seventh session).
 */
#define SMALL_MAX (64U << 10)

struct zipdeflate {
	struct libdeflate_compressor *c;
	unsigned char in[SMALL_MAX], out[SMALL_MAX];
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

unsigned char *zipdeflate__scratch(struct zipdeflate *z, size_t len)
{
	return len <= SMALL_MAX ? z->in : NULL;
}

/* zipdeflate__buffer of the bytes in z->in: the result copied out, z->in kept. */
static int small_buffer(struct zipdeflate *z, size_t len, struct zipdeflate_out *out)
{
	size_t n = len > 1 ? libdeflate_deflate_compress(z->c, z->in, len, z->out, len - 1) : 0;
	unsigned char *data = malloc(n ? n : len);

	if (!data)
		return -ENOMEM;
	memcpy(data, n ? z->out : z->in, n ? n : len);
	out->crc = (uint32_t)libdeflate_crc32(0, z->in, len);
	out->data = data;
	out->len = n ? n : len;
	out->stored = !n;
	return 0;
}

int zipdeflate__buffer(struct zipdeflate *z, unsigned char *in, size_t len,
		       struct zipdeflate_out *out)
{
	unsigned char *def = NULL, *shrunk;
	size_t n = 0;

	if (in == z->in)
		return small_buffer(z, len, out);
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
