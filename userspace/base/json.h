/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The project's one JSON writer: streaming, compact, to a FILE *. It places the commas and
 * colons and escapes strings (escape__json: RFC 8259, a byte that is not part of valid UTF-8 as
 * the lone surrogate \udcHH), so producers only say what they write. Each completed top-level
 * value ends with a newline: a run of them is JSON Lines, a single one a document.
 *
 * Errors are kept: a misuse (a value where a key is due, a key outside an object, an end that
 * does not match the open container) makes the writer fail with -EINVAL, nesting deeper than
 * JSON_MAX_DEPTH with -E2BIG, a failed stream with -EIO. After the first error nothing more
 * is written; every call returns that error, so a producer may check each call or only the
 * last one (json_writer__error).
 */
#ifndef SLIMZIP_JSON_H
#define SLIMZIP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer;

int json_writer__new(FILE *f, struct json_writer **out);
void json_writer__free(struct json_writer *w); /* NULL-safe; writes nothing */

int json_writer__begin_object(struct json_writer *w);
int json_writer__end_object(struct json_writer *w);
int json_writer__begin_array(struct json_writer *w);
/*
 * An array with each element on a line of its own ("[\n" a ",\n" b "\n]"): long lists in
 * reports stay readable and diffable line by line; still one JSON value.
 */
int json_writer__begin_array_lines(struct json_writer *w);
int json_writer__end_array(struct json_writer *w);
/* The key of the next member of the innermost object. */
int json_writer__key(struct json_writer *w, const char *key);

/* A NUL-terminated string; NULL writes null. */
int json_writer__string(struct json_writer *w, const char *s);
/* len bytes of s, NUL bytes included (as \u0000). */
int json_writer__string_len(struct json_writer *w, const char *s, size_t len);
int json_writer__int(struct json_writer *w, int64_t v);
int json_writer__uint(struct json_writer *w, uint64_t v);
int json_writer__bool(struct json_writer *w, bool v);
int json_writer__null(struct json_writer *w);

/* A member of the innermost object in one call: its key, then the value as above. */
int json_writer__string_field(struct json_writer *w, const char *key, const char *s);
int json_writer__int_field(struct json_writer *w, const char *key, int64_t v);
int json_writer__uint_field(struct json_writer *w, const char *key, uint64_t v);

/* The first error so far, 0 when none. */
int json_writer__error(const struct json_writer *w);

#endif
