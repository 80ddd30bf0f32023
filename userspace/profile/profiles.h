/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Several profile files as one profile, for every command that reads them (prune, report).
 */
#ifndef SLIMZIP_PROFILES_H
#define SLIMZIP_PROFILES_H

#include <stddef.h>

#include "profile.h"

/*
 * Read the n profiles at paths and merge them as sets into *merged (profile__merge: the first
 * one's header strings, loss counters summed). n must be at least 1. 0, or -errno with
 * slz_errmsg() naming the file (and line) that failed; *merged is NULL then.
 */
int profiles__load(const char *const *paths, size_t n, struct profile **merged);
/*
 * The same, each profile rewritten by maps first (profile__remap; NULL/0: none). Two whose
 * tree roots still differ are refused (-EXDEV), the message naming both files and both roots.
 */
int profiles__load_mapped(const char *const *paths, size_t n, const struct profile_map *maps,
			  size_t nmaps, struct profile **merged);

#endif
