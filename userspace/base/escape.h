/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Escaping for the profile formats. Text: backslash, newline, tab, carriage return
 * and other control bytes become \\, \n, \t, \r, \xHH, so one file is one line whatever its
 * name. Bytes >= 0x80 pass through unchanged.
 * JSON: RFC 8259 string escaping; a byte that is not part of valid UTF-8 becomes the lone
 * surrogate \udcHH (Python's "surrogateescape"), so any file name round-trips.
 */
#ifndef SLIMZIP_ESCAPE_H
#define SLIMZIP_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write s (len bytes) escaped for a text field; if escape_space, ' ' becomes \x20. */
int escape__text(FILE *f, const char *s, size_t len, bool escape_space);
/* Decode an escaped text field in place. Returns decoded length or -EINVAL on a bad escape. */
long escape__text_decode(char *s);
/* Write s as a JSON string literal including the quotes. */
int escape__json(FILE *f, const char *s, size_t len);
/*
 * Decode a JSON string literal starting at *p (pointing at the opening quote) into a new
 * malloc'd buffer; *p advances past the closing quote. -EINVAL on malformed input.
 */
int escape__json_decode(const char **p, char **out, size_t *out_len);

#endif
