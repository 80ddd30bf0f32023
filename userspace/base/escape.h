/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Escaping for the profile formats and for the terminal. Text: backslash, newline, tab, carriage
 * return and other control bytes become \\, \n, \t, \r, \xHH, so one file is one line whatever its
 * name. Bytes >= 0x80 pass through unchanged.
 * JSON: RFC 8259 string escaping; a byte that is not part of valid UTF-8 becomes the lone
 * surrogate \udcHH (Python's "surrogateescape"), so any file name round-trips.
 */
#ifndef SLIMZIP_ESCAPE_H
#define SLIMZIP_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * For a terminal: \n, \t, \r and \xHH for other control bytes (as the text escaping writes
 * them), and \xHH also for every byte that is not part of valid UTF-8 and for the C1 controls
 * (U+0080-U+009F, which some terminals obey like ESC), so no escape sequence and no forged line
 * reach the terminal from a file name. With backslash, '\' becomes \\ as well and the text reads
 * back to the bytes (names listed one a line); without, a message keeps the backslashes it
 * quotes. Every name and message the CLI prints goes through here. 0 or -EIO.
 */
int escape__term(FILE *f, const char *s, size_t len, bool backslash);
/* Whether s (len bytes) is valid UTF-8 (what zip tools agree on for names). */
bool escape__is_utf8(const char *s, size_t len);

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
