// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "testfs.h"
#include "ziptest.h"

int ziptest__setup(void **state, const char *tag)
{
	struct ziptest_fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	testfs__mkdtemp(f->dir, sizeof(f->dir), tag);
	snprintf(f->root, sizeof(f->root), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
	snprintf(f->out2, sizeof(f->out2), "%s/out2.zip", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/dest", f->dir);
	testfs__mkdir(f->dir, "tree");
	*state = f;
	return 0;
}

int ziptest__teardown(void **state)
{
	struct ziptest_fx *f = *state;

	testfs__rmtree(f->dir);
	free(f);
	return 0;
}

bool ziptest__have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}
