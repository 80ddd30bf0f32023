/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading and writing profiles; the format is documented in docs/profile-format.md. */
#ifndef SLIMZIP_PROFILE_IO_H
#define SLIMZIP_PROFILE_IO_H

#include <stdbool.h>
#include <stddef.h>
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

/*
 * An append-only log of entries (the daemon's journal): a text profile whose header has no
 * files count (it cannot know it when it begins), followed by entry lines in the text format's
 * own syntax, one per profile__add, appended as they come. An identity that comes twice merges
 * as profile__add merges, so the log reads back as the profile it accompanied (without the
 * kernel's access counts, which it never held).
 */
/* The header of p without its files line. 0, -EIO, or the failure explained. */
int profile__write_log_header(const struct profile *p, FILE *f);
/* One entry's line, newline included, in *line (malloc'd, *len bytes). 0 or -ENOMEM. */
int profile__entry_line(const struct profile_entry *e, char **line, size_t *len);
/*
 * Read a log. A last line without its newline (its writer was killed mid-write) is dropped
 * and *torn set; everything else is checked as profile__read_stream checks it.
 */
int profile__read_log_stream(FILE *f, const char *name, struct profile **out, bool *torn);

#endif
