// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "keepset.h"
#include "tree.h"
#include "testfs.h"
#include "tree_fixture.h"

uint32_t tree_fixture__idx(const struct tree *t, const char *rel)
{
	int64_t i = tree__find_path(t, rel);

	if (i < 0)
		fail_msg("'%s' not in tree", rel);
	return (uint32_t)i;
}

void tree_fixture__close(const char *root, struct tree *t, struct keepset *k)
{
	keepset__free(k);
	tree__free(t);
	testfs__rmtree(root);
}
