/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the recorder's integration tests share: draining the ring, files made, entries found. */
#ifndef SLIMZIP_ITEST_H
#define SLIMZIP_ITEST_H

#include <stddef.h>

#include "profile.h"
#include "recorder.h"

/* Consume until the ring is empty; a consume error fails the test. */
void itest__drain(struct recorder *r);
/* dir/PREFIX0 .. dir/PREFIX(n-1), each holding "x". */
void itest__make_files(const char *dir, const char *prefix, int n);
/* p's entry for dir/name, or NULL. */
const struct profile_entry *itest__entry_of(const struct profile *p, const char *dir,
					    const char *name);
/* How many entries of p are files dir/PREFIX*. */
size_t itest__count_prefixed(const struct profile *p, const char *dir, const char *prefix);

#endif
