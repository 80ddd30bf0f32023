/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A growing list of 32-bit element numbers (tree entries met on the way, a walk's stack). */
#ifndef SLIMZIP_IDXVEC_H
#define SLIMZIP_IDXVEC_H

#include <stddef.h>
#include <stdint.h>

struct idxvec {
	uint32_t *v;
	size_t n, cap;
};

/* Append idx. 0 or -ENOMEM. */
int idxvec__push(struct idxvec *v, uint32_t idx);
/* Free the elements and empty v, which can be used again. */
void idxvec__release(struct idxvec *v);

#endif
