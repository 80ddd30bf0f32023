// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libdeflate.h>
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
