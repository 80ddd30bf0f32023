/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The zip tests' shared fixture: a scratch directory holding the tree to zip, the zips written
 * from it and the directory they are extracted to; and whether a tool the test compares with
 * (unzip, zip, python3) is installed. Helpers fail the running cmocka test on error.
 */
#ifndef SLZ_ZIPTEST_H
#define SLZ_ZIPTEST_H

#include <stdbool.h>

struct ziptest_fx {
	char dir[256];	/* $TMPDIR/slz-TAG-XXXXXX, its realpath (testfs__mkdtemp) */
	char root[320]; /* dir/tree, made empty */
	char out[320];	/* dir/out.zip, not made */
	char out2[320]; /* dir/out2.zip, not made: a second zip to compare with */
	char dest[320]; /* dir/dest, not made: where a zip is extracted */
};

/* A cmocka setup's body: *state becomes a new struct ziptest_fx in a new scratch dir TAG. */
int ziptest__setup(void **state, const char *tag);
/* Remove the scratch dir and free the fixture. */
int ziptest__teardown(void **state);
/* Whether tool is on PATH (`command -v`): a test comparing with it skips when not. */
bool ziptest__have(const char *tool);

#endif
