// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Open addressing with linear probing. A slot stores 32 bits of the hash as a fast filter and
 * the element number; the full comparison is the caller's. 8 bytes per slot, at most 75% full:
 * 10.7 to 21.3 bytes per element.
 */
#include <errno.h>
#include <stdlib.h>

#include "bigarr.h"
#include "hashmap.h"

#define EMPTY_SLOT UINT32_MAX

struct slot {
	uint32_t tag;
	uint32_t idx;
};

struct idxmap {
	struct slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count;
};

int idxmap__new(struct idxmap **out)
{
	struct idxmap *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	*out = m;
	return 0;
}

void idxmap__free(struct idxmap *m)
{
	if (!m)
		return;
	bigarr__free(m->slots);
	free(m);
}

/*
 * A slot's position derives from its 32-bit tag alone, so growing rehashes without the
 * original 64-bit hash. Tables never approach 2^32 slots, so no entropy is lost.
 */
static void place(struct slot *slots, size_t mask, uint32_t tag, uint32_t idx)
{
	size_t i = tag & mask;

	while (slots[i].idx != EMPTY_SLOT)
		i = (i + 1) & mask;
	slots[i].tag = tag;
	slots[i].idx = idx;
}

static int grow_to(struct idxmap *m, size_t ncap)
{
	struct slot *ns = ncap <= SIZE_MAX / sizeof(*ns) ? bigarr__alloc(ncap * sizeof(*ns)) : NULL;

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < ncap; i++)
		ns[i].idx = EMPTY_SLOT;
	if (m->slots) {
		/*
		 * A probe run can wrap past the end of the table; re-inserting from slot 0 would
		 * put its wrapped tail first and break "find returns the first inserted" for equal
		 * hashes. Starting just after an empty slot walks every run in insertion order.
		 */
		size_t start = 0, cap = m->mask + 1;

		while (m->slots[start].idx != EMPTY_SLOT)
			start++; /* the table is at most 75% full: an empty slot exists */
		for (size_t n = 1; n <= cap; n++) {
			const struct slot *s = &m->slots[(start + n) & m->mask];

			if (s->idx != EMPTY_SLOT)
				place(ns, ncap - 1, s->tag, s->idx);
		}
	}
	bigarr__free(m->slots);
	m->slots = ns;
	m->mask = ncap - 1;
	return 0;
}

static int grow(struct idxmap *m)
{
	return grow_to(m, m->slots ? (m->mask + 1) * 2 : 64);
}

int idxmap__reserve(struct idxmap *m, size_t n)
{
	size_t cap = 64;

	if (n > SIZE_MAX / 8)
		return -ENOMEM;
	while (n * 4 > cap * 3)
		cap *= 2;
	if (m->slots && cap <= m->mask + 1)
		return 0;
	return grow_to(m, cap);
}

int idxmap__insert(struct idxmap *m, uint64_t hash, uint32_t idx)
{
	int err;

	if (idx == EMPTY_SLOT)
		return -EOVERFLOW;
	if (!m->slots || (m->count + 1) * 4 > (m->mask + 1) * 3) {
		err = grow(m);
		if (err)
			return err;
	}
	place(m->slots, m->mask, (uint32_t)(hash >> 32), idx);
	m->count++;
	return 0;
}

int64_t idxmap__find(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *key,
		     void *ctx)
{
	uint32_t tag = (uint32_t)(hash >> 32);
	size_t i;

	if (!m->slots)
		return -ENOENT;
	for (i = tag & m->mask; m->slots[i].idx != EMPTY_SLOT; i = (i + 1) & m->mask) {
		if (m->slots[i].tag == tag && eq(m->slots[i].idx, key, ctx))
			return m->slots[i].idx;
	}
	return -ENOENT;
}

void idxmap__prefetch(const struct idxmap *m, uint64_t hash)
{
	if (m->slots)
		__builtin_prefetch(&m->slots[(uint32_t)(hash >> 32) & m->mask], 1);
}

size_t idxmap__count(const struct idxmap *m)
{
	return m->count;
}

size_t idxmap__bytes(const struct idxmap *m)
{
	return sizeof(*m) + (m->slots ? (m->mask + 1) * sizeof(struct slot) : 0);
}
