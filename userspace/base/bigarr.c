// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bigarr.h"

/* Before every array: its usable bytes and, for a mapping, the mapping's length (0: malloc). */
struct bigarr_hdr {
	size_t size;
	size_t maplen;
};
_Static_assert(sizeof(struct bigarr_hdr) == 16, "the header keeps arrays 16-byte aligned");

static struct bigarr_hdr *hdr_of(const void *buf)
{
	return (struct bigarr_hdr *)buf - 1;
}

static size_t round_huge(size_t n)
{
	return (n + BIGARR_HUGE - 1) & ~(BIGARR_HUGE - 1);
}

/*
 * len bytes (a multiple of BIGARR_HUGE) at a BIGARR_HUGE boundary, advised to huge pages: a
 * huge page needs an aligned 2 MiB of the mapping, which mmap alone does not promise. The
 * advice is only advice: a host without THP still gets the mapping.
 */
static void *map_aligned(size_t len)
{
	char *raw, *p;
	size_t head, tail;

	if (len > SIZE_MAX - BIGARR_HUGE)
		return NULL;
	raw = mmap(NULL, len + BIGARR_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)round_huge((uintptr_t)raw);
	head = (size_t)(p - raw);
	tail = BIGARR_HUGE - head;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(p + len, tail);
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

/* A mapping of its own for bytes + the header. */
static void *alloc_mapped(size_t bytes)
{
	size_t len = round_huge(bytes + sizeof(struct bigarr_hdr));
	struct bigarr_hdr *h = map_aligned(len);

	if (!h)
		return NULL;
	h->size = len - sizeof(*h);
	h->maplen = len;
	return h + 1;
}

void *bigarr__alloc(size_t size)
{
	struct bigarr_hdr *h;

	if (!size)
		size = 1;
	/* Room for the header and the rounding to a huge page, so nothing below overflows. */
	if (size > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	if (size + sizeof(*h) >= BIGARR_HUGE) {
		void *p = alloc_mapped(size);

		if (!p)
			errno = ENOMEM;
		return p;
	}
	h = malloc(size + sizeof(*h));
	if (!h)
		return NULL;
	h->size = size;
	h->maplen = 0;
	return h + 1;
}

/* buf with room for bytes, moved or not; NULL (buf untouched) without memory. */
static void *resize(void *buf, size_t bytes)
{
	struct bigarr_hdr *h, *nh;
	size_t len;
	void *dst;

	if (!buf)
		return bigarr__alloc(bytes);
	h = hdr_of(buf);
	if (bytes <= h->size)
		return buf;
	if (bytes > SIZE_MAX / 2)
		return NULL;
	if (!h->maplen) {
		void *n;

		if (bytes + sizeof(*h) < BIGARR_HUGE) {
			nh = realloc(h, bytes + sizeof(*h));
			if (!nh)
				return NULL;
			nh->size = bytes;
			return nh + 1;
		}
		/* Across the threshold: the one copy, of less than 2 MiB. */
		n = alloc_mapped(bytes);
		if (!n)
			return NULL;
		memcpy(n, buf, h->size);
		free(h);
		return n;
	}
	len = round_huge(bytes + sizeof(*h));
	/* In place when the addresses after the mapping are free: nothing moves. */
	nh = mremap(h, h->maplen, len, 0);
	if (nh == MAP_FAILED) {
		/*
		 * Elsewhere, at an aligned place reserved first: MREMAP_FIXED replaces the
		 * reservation with the moved pages (page tables move, no byte is copied).
		 */
		dst = map_aligned(len);
		if (!dst)
			return NULL;
		nh = mremap(h, h->maplen, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (nh == MAP_FAILED) {
			munmap(dst, len);
			return NULL;
		}
	}
	madvise(nh, len, MADV_HUGEPAGE);
	nh->size = len - sizeof(*nh);
	nh->maplen = len;
	return nh + 1;
}

int bigarr__grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *nbuf;

	if (need <= *cap)
		return 0;
	if (!elem)
		return -EINVAL;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 4 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	nbuf = resize(*buf, ncap * elem);
	if (!nbuf)
		return -ENOMEM;
	*buf = nbuf;
	/* A mapping is rounded up to huge pages: what it holds beyond ncap is room too. */
	*cap = hdr_of(nbuf)->size / elem;
	return 0;
}

void bigarr__free(void *buf)
{
	struct bigarr_hdr *h;

	if (!buf)
		return;
	h = hdr_of(buf);
	if (h->maplen)
		munmap(h, h->maplen);
	else
		free(h);
}

size_t bigarr__size(const void *buf)
{
	return buf ? hdr_of(buf)->size : 0;
}

bool bigarr__mapped(const void *buf)
{
	return buf && hdr_of(buf)->maplen;
}
