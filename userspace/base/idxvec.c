// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "idxvec.h"
#include "util.h"

int idxvec__push(struct idxvec *v, uint32_t idx)
{
	if (slz_grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v)))
		return -ENOMEM;
	v->v[v->n++] = idx;
	return 0;
}

void idxvec__release(struct idxvec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}
