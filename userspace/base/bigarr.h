/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Large arrays: a 200k-entry profile's entry array (16 MiB) and its indexes (4 MiB each). From
 * BIGARR_HUGE bytes up an array is an anonymous mapping of its own, 2 MiB-aligned and advised
 * to transparent huge pages (MADV_HUGEPAGE: hosts often enable THP on "madvise" only), grown in
 * place or moved by mremap, which moves page tables and copies nothing; below that, malloc.
 * A fresh 16 MiB array costs 4,096 page faults in 4 KiB pages and 8 in huge pages: the faults
 * of the entry array and the indexes were about a third of `slimzip report`'s time.
 *
 * Every function keeps the array's size in a 16-byte header before it, so free and grow need
 * only the pointer. Contents past what was written are unspecified (not zeroed). Not for
 * memory another thread may be reading while it grows (a move changes the address).
 */
#ifndef SLIMZIP_BIGARR_H
#define SLIMZIP_BIGARR_H

#include <stdbool.h>
#include <stddef.h>

#define BIGARR_HUGE ((size_t)2 << 20) /* the x86-64 transparent huge page */

/* size bytes (at least 1), 16-byte aligned, or NULL with errno ENOMEM. */
void *bigarr__alloc(size_t size);
/*
 * slz_grow's contract over bigarr memory: room for need elements of elem bytes in *buf (NULL:
 * none yet), *cap elements now, at least doubling. 0 or -ENOMEM (overflow or no memory), and
 * then *buf and *cap are unchanged and the array still holds what it held.
 */
int bigarr__grow(void **buf, size_t *cap, size_t need, size_t elem);
/* NULL-safe; only for what bigarr__alloc/grow returned. */
void bigarr__free(void *buf);
/* The usable bytes of buf (0 for NULL). */
size_t bigarr__size(const void *buf);
/* Whether buf is a mapping of its own (BIGARR_HUGE bytes or more), for tests. */
bool bigarr__mapped(const void *buf);

#endif
