// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The streaming JSON writer (json.h): a stack of open containers decides the punctuation. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"

struct level {
	bool object;	  /* else an array */
	bool want_value;  /* object: a key was written, its value is due */
	bool lines;	  /* array: one element per line */
	uint32_t members; /* values (array) or keys (object) so far */
};

struct json_writer {
	FILE *f;
	int err;
	unsigned int depth;
	struct level stack[JSON_MAX_DEPTH];
};

int json_writer__new(FILE *f, struct json_writer **out)
{
	struct json_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->f = f;
	*out = w;
	return 0;
}

void json_writer__free(struct json_writer *w)
{
	free(w);
}

int json_writer__error(const struct json_writer *w)
{
	return w->err;
}

static int fail(struct json_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

static int check_stream(struct json_writer *w)
{
	return ferror(w->f) ? fail(w, -EIO) : w->err;
}

/* Before a value: the comma of an array, or the key an object member needs. */
static int value_starts(struct json_writer *w)
{
	struct level *l;

	if (w->err)
		return w->err;
	if (!w->depth)
		return 0;
	l = &w->stack[w->depth - 1];
	if (l->object) {
		if (!l->want_value)
			return fail(w, -EINVAL);
		l->want_value = false;
		return 0;
	}
	if (l->members++)
		fputc(',', w->f);
	if (l->lines)
		fputc('\n', w->f);
	return 0;
}

/* After a complete value: a top-level one ends its line. */
static int value_ends(struct json_writer *w)
{
	if (!w->depth)
		fputc('\n', w->f);
	return check_stream(w);
}

static int begin(struct json_writer *w, bool object, bool lines)
{
	int err = value_starts(w);

	if (err)
		return err;
	if (w->depth == JSON_MAX_DEPTH)
		return fail(w, -E2BIG);
	w->stack[w->depth++] = (struct level){.object = object, .lines = lines};
	fputc(object ? '{' : '[', w->f);
	return check_stream(w);
}

static int end(struct json_writer *w, bool object)
{
	struct level *l;

	if (w->err)
		return w->err;
	if (!w->depth)
		return fail(w, -EINVAL);
	l = &w->stack[w->depth - 1];
	if (l->object != object || l->want_value)
		return fail(w, -EINVAL);
	w->depth--;
	if (l->lines)
		fputc('\n', w->f);
	fputc(object ? '}' : ']', w->f);
	return value_ends(w);
}

int json_writer__begin_object(struct json_writer *w)
{
	return begin(w, true, false);
}

int json_writer__end_object(struct json_writer *w)
{
	return end(w, true);
}

int json_writer__begin_array(struct json_writer *w)
{
	return begin(w, false, false);
}

int json_writer__begin_array_lines(struct json_writer *w)
{
	return begin(w, false, true);
}

int json_writer__end_array(struct json_writer *w)
{
	return end(w, false);
}

int json_writer__key(struct json_writer *w, const char *key)
{
	struct level *l;

	if (w->err)
		return w->err;
	if (!w->depth || !key)
		return fail(w, -EINVAL);
	l = &w->stack[w->depth - 1];
	if (!l->object || l->want_value)
		return fail(w, -EINVAL);
	if (l->members++)
		fputc(',', w->f);
	escape__json(w->f, key, strlen(key));
	fputc(':', w->f);
	l->want_value = true;
	return check_stream(w);
}

int json_writer__string_len(struct json_writer *w, const char *s, size_t len)
{
	int err = value_starts(w);

	if (err)
		return err;
	escape__json(w->f, s, len);
	return value_ends(w);
}

int json_writer__string(struct json_writer *w, const char *s)
{
	return s ? json_writer__string_len(w, s, strlen(s)) : json_writer__null(w);
}

/* A bare token: a number, true, false, null. */
static int token(struct json_writer *w, const char *text)
{
	int err = value_starts(w);

	if (err)
		return err;
	fputs(text, w->f);
	return value_ends(w);
}

int json_writer__int(struct json_writer *w, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return token(w, buf);
}

int json_writer__uint(struct json_writer *w, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return token(w, buf);
}

int json_writer__bool(struct json_writer *w, bool v)
{
	return token(w, v ? "true" : "false");
}

int json_writer__null(struct json_writer *w)
{
	return token(w, "null");
}

int json_writer__string_field(struct json_writer *w, const char *key, const char *s)
{
	int err = json_writer__key(w, key);

	return err ? err : json_writer__string(w, s);
}

int json_writer__int_field(struct json_writer *w, const char *key, int64_t v)
{
	int err = json_writer__key(w, key);

	return err ? err : json_writer__int(w, v);
}

int json_writer__uint_field(struct json_writer *w, const char *key, uint64_t v)
{
	int err = json_writer__key(w, key);

	return err ? err : json_writer__uint(w, v);
}
