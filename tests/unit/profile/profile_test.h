/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the profile readers' tests share: the text magic and a read from bytes in memory. */
#ifndef SLIMZIP_PROFILE_TEST_H
#define SLIMZIP_PROFILE_TEST_H

#include <stdio.h>
#include <string.h>

#include "profile_io.h"

#define MAGIC "# slimzip profile v1\n"

/* profile__read_stream of len bytes at buf, named input.profile in messages. */
static inline int read_buf(const char *buf, size_t len, struct profile **out)
{
	FILE *f = fmemopen((void *)buf, len, "r");
	int err;

	assert_non_null(f);
	err = profile__read_stream(f, "input.profile", out);
	fclose(f);
	return err;
}

#endif
