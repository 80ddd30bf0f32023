// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bigarr.h"

/*
 * Before every array: its usable bytes and, for a mapping, the mapping's length (0: malloc).
 * A mapping's header sits at the end of a page of its own before the array, so the array
 * starts at a huge page boundary and an array of N huge pages (a power-of-two hash table of
 * 2 MiB or more) takes N, not N + 1 with 16 bytes in the last.
 */
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

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Where the mapping of a mapped array begins: the header's page. */
static void *map_base(const void *buf)
{
	return (char *)buf - page_size();
}

/*
 * A header page and len bytes (a multiple of BIGARR_HUGE) after it at a BIGARR_HUGE boundary,
 * advised to huge pages: a huge page needs an aligned 2 MiB of the mapping, which mmap alone
 * does not promise. The advice is only advice: a host without THP still gets the mapping.
 * The header page's address, or NULL.
 */
static void *map_aligned(size_t len)
{
	size_t page = page_size(), total, head, tail;
	char *raw, *p;

	if (len > SIZE_MAX - BIGARR_HUGE - page)
		return NULL;
	total = len + BIGARR_HUGE + page;
	raw = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)round_huge((uintptr_t)raw + page);
	head = (size_t)(p - page - raw);
	tail = total - head - page - len;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(p + len, tail);
	/* The header page too: one VMA, which mremap needs to move or grow the mapping whole. */
	madvise(p - page, page + len, MADV_HUGEPAGE);
	return p - page;
}

/* A mapping of its own for bytes, its header in the page before. */
static void *alloc_mapped(size_t bytes)
{
	size_t len = round_huge(bytes);
	char *base = map_aligned(len);
	struct bigarr_hdr *h;

	if (!base)
		return NULL;
	h = (struct bigarr_hdr *)(base + page_size()) - 1;
	h->size = len;
	h->maplen = len + page_size();
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
	void *dst, *base;
	size_t len;

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
	len = round_huge(bytes);
	/* In place when the addresses after the mapping are free: nothing moves. */
	base = mremap(map_base(buf), h->maplen, len + page_size(), 0);
	if (base == MAP_FAILED) {
		/*
		 * Elsewhere, at an aligned place reserved first: MREMAP_FIXED replaces the
		 * reservation with the moved pages (page tables move, no byte is copied).
		 */
		dst = map_aligned(len);
		if (!dst)
			return NULL;
		base = mremap(map_base(buf), h->maplen, len + page_size(),
			      MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (base == MAP_FAILED) {
			munmap(dst, len + page_size());
			return NULL;
		}
	}
	nh = (struct bigarr_hdr *)((char *)base + page_size()) - 1;
	madvise(base, len + page_size(), MADV_HUGEPAGE);
	nh->size = len;
	nh->maplen = len + page_size();
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
		munmap(map_base(buf), h->maplen);
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
