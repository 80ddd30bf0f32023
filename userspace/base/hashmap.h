/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An index from a 64-bit hash to 32-bit element numbers, for tables whose elements live in an
 * array owned by the caller (profile entries, tree entries). Collisions are resolved by the
 * caller's equality callback, so the index stores only an 8-byte slot per element (at most
 * 75% of slots in use).
 */
#ifndef SLIMZIP_HASHMAP_H
#define SLIMZIP_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idxmap;
typedef bool (*idxmap_eq_fn)(uint32_t idx, const void *key, void *ctx);

int idxmap__new(struct idxmap **out);
void idxmap__free(struct idxmap *m); /* NULL-safe */
/*
 * Room for n elements without growing (a reader that knows its count up front skips the
 * rehash at every doubling). Only ever grows; 0 or -ENOMEM.
 */
int idxmap__reserve(struct idxmap *m, size_t n);
/* Insert idx under hash. Duplicates are allowed; find returns the first inserted. */
int idxmap__insert(struct idxmap *m, uint64_t hash, uint32_t idx);
/* Returns the element number whose hash matches and eq() accepts, or -ENOENT. */
int64_t idxmap__find(const struct idxmap *m, uint64_t hash, idxmap_eq_fn eq, const void *key,
		     void *ctx);
/*
 * Start loading the slot a find or insert of hash begins at. A loop over many new keys that
 * calls this a few keys ahead overlaps the cache misses that otherwise come one at a time.
 */
void idxmap__prefetch(const struct idxmap *m, uint64_t hash);
size_t idxmap__count(const struct idxmap *m);
size_t idxmap__bytes(const struct idxmap *m);

#endif
