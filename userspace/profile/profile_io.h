/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading and writing profiles; the format is documented in docs/profile-format.md. */
#ifndef SLIMZIP_PROFILE_IO_H
#define SLIMZIP_PROFILE_IO_H

#include <stdio.h>

#include "profile.h"

enum profile_format {
	PROFILE_FMT_TEXT,
	PROFILE_FMT_JSON, /* JSON Lines: a header object, then one object per file */
};

int profile__parse_format(const char *s, enum profile_format *fmt);
int profile__write_stream(const struct profile *p, FILE *f, enum profile_format fmt);
/* Atomic: temp file beside path, fsync, rename. "-" writes to stdout. */
int profile__write(const struct profile *p, const char *path, enum profile_format fmt);
/* Format detected from the first byte. Errors name the file and line via slz_errmsg(). */
int profile__read(const char *path, struct profile **out);
int profile__read_stream(FILE *f, const char *name, struct profile **out);

#endif
