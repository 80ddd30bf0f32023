// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reading JSON Lines profiles: one flat object per line, the header first. Values go through
 * the same checks as the text format's (profile_fmt.c); keys of other versions are skipped
 * whatever their value, so a newer writer's additions do not stop this reader.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "profile_fmt.h"
#include "util.h"

/* Arrays and objects under unknown keys are skipped to this depth, then refused. */
#define SKIP_DEPTH_MAX 32

static void skip_ws(char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r')
		(*p)++;
}

/*
 * A string (or null, when null_ok) decoded in place: *out points into the line (now ending at
 * the string's end), or is NULL for null. Decoding never grows the text, so the decoded bytes
 * fit where the literal was; one without a backslash is its own decoding (only the closing
 * quote becomes a NUL). On any failure *out is NULL.
 */
static int json_string(struct profile_reader *rd, char **p, const char *what, bool null_ok,
		       char **out)
{
	char *start = *p + 1, *q, *dec;
	const char *r = *p;
	size_t len;
	int err;

	*out = NULL;
	if (null_ok && !strncmp(*p, "null", 4)) {
		*p += 4;
		return 0;
	}
	if (**p != '"')
		return profile_reader__bad(rd, "%s: expected a string%s", what,
					   null_ok ? " or null" : "");
	for (q = start; *q && *q != '"' && *q != '\\'; q++)
		;
	if (*q == '"') {
		*q = '\0';
		*p = q + 1;
		*out = start;
		return 0;
	}
	err = escape__json_decode(&r, &dec, &len);
	if (err == -ENOMEM)
		return slz_fail(ENOMEM, "out of memory reading %s", rd->name);
	if (err)
		return profile_reader__bad(rd,
					   "%s: bad JSON string (unknown escape or no closing "
					   "quote)",
					   what);
	/* A C string ends at the first NUL: the rest would be lost without a word. */
	if (memchr(dec, '\0', len)) {
		free(dec);
		return profile_reader__bad(rd,
					   "%s: the string holds \\u0000 (a NUL byte), which no "
					   "name or path can hold",
					   what);
	}
	/* r is past the closing quote, at least len + 2 bytes after *p. */
	memcpy(start, dec, len + 1);
	free(dec);
	*p = (char *)r;
	*out = start;
	return 0;
}

/* An integer's text into buf ('-' and digits only: no fraction, no exponent). */
static int json_number(struct profile_reader *rd, char **p, const char *what, char *buf, size_t len)
{
	char *s = *p + (**p == '-');
	const char *start = s;
	size_t n;

	while (*s >= '0' && *s <= '9')
		s++;
	n = (size_t)(s - *p);
	if (s == start || *s == '.' || *s == 'e' || *s == 'E')
		return profile_reader__bad(rd, "%s: expected an integer", what);
	if (n >= len)
		return profile_reader__bad(rd, "%s: number out of range", what);
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = s;
	return 0;
}

static int json_u64(struct profile_reader *rd, char **p, const char *what, uint64_t *out)
{
	char num[32];
	int err = json_number(rd, p, what, num, sizeof(num));

	if (!err && profile_fmt__u64(num, out))
		err = profile_reader__bad(rd, "%s: expected a number from 0 to %llu", what,
					  (unsigned long long)UINT64_MAX);
	return err;
}

typedef int (*json_field_fn)(struct profile_reader *rd, const char *key, char **p, void *ctx);

static int json_members(struct profile_reader *rd, char **p, json_field_fn fn, void *ctx);

/* Right after a list's '[' or '{': whether close ends it at once (then consumed). */
static bool list_empty(char **p, char close)
{
	skip_ws(p);
	if (**p != close)
		return false;
	(*p)++;
	return true;
}

/* After a list's item: 1 when close ends the list (consumed), 0 after a ',', else refused. */
static int list_next(struct profile_reader *rd, char **p, char close)
{
	skip_ws(p);
	if (**p == close) {
		(*p)++;
		return 1;
	}
	if (*(*p)++ != ',')
		return profile_reader__bad(rd, close == ']' ? "expected ',' or ']'"
							    : "expected ',' or '}'");
	return 0;
}

/* Skip a value of any type (the value of a key this version does not know). */
static int json_skip(struct profile_reader *rd, char **p, int depth)
{
	static const char *const literals[] = {"true", "false", "null"};
	char *s = NULL;
	int err = 0;

	if (depth > SKIP_DEPTH_MAX)
		return profile_reader__bad(rd, "JSON nested too deeply");
	switch (**p) {
	case '"':
		return json_string(rd, p, "a value", false, &s);
	case '{':
		return json_members(rd, p, NULL, &depth);
	case '[':
		(*p)++;
		if (list_empty(p, ']'))
			return 0;
		do {
			skip_ws(p);
			err = json_skip(rd, p, depth + 1);
			if (err)
				return err;
		} while (!(err = list_next(rd, p, ']')));
		return err < 0 ? err : 0;
	case 't':
	case 'f':
	case 'n':
		for (size_t i = 0; i < ARRAY_SIZE(literals); i++) {
			if (!strncmp(*p, literals[i], strlen(literals[i]))) {
				*p += strlen(literals[i]);
				return 0;
			}
		}
		return profile_reader__bad(rd, "bad JSON value");
	default:
		/* Any JSON number: an unknown key may hold a fraction. */
		if (**p != '-' && (**p < '0' || **p > '9'))
			return profile_reader__bad(rd, "bad JSON value");
		(*p)++;
		while ((**p >= '0' && **p <= '9') || **p == '.' || **p == 'e' || **p == 'E' ||
		       **p == '+' || **p == '-')
			(*p)++;
		return 0;
	}
}

/* '{' members '}' at *p; fn NULL skips every value (ctx then points at the depth). */
static int json_members(struct profile_reader *rd, char **p, json_field_fn fn, void *ctx)
{
	int err;

	if (**p != '{')
		return profile_reader__bad(rd, "expected a JSON object");
	(*p)++;
	if (list_empty(p, '}'))
		return 0;
	do {
		char *key;

		skip_ws(p);
		err = json_string(rd, p, "a key", false, &key);
		if (err)
			return err;
		skip_ws(p);
		if (**p != ':')
			return profile_reader__bad(rd, "expected ':' after a key");
		(*p)++;
		skip_ws(p);
		err = fn ? fn(rd, key, p, ctx) : json_skip(rd, p, *(int *)ctx + 1);
		if (err)
			return err;
	} while (!(err = list_next(rd, p, '}')));
	return err < 0 ? err : 0;
}

/* One object filling the whole line: nothing but blanks may follow it. */
static int json_object(struct profile_reader *rd, char *line, json_field_fn fn, void *ctx)
{
	char *p = line;
	int err;

	skip_ws(&p);
	err = json_members(rd, &p, fn, ctx);
	if (err)
		return err;
	skip_ws(&p);
	if (*p)
		return profile_reader__bad(rd, "characters after the JSON object (one object per "
					       "line)");
	return 0;
}

static int header_field(struct profile_reader *rd, const char *key, char **p, void *ctx)
{
	const struct header_key *k;
	char num[32], what[48], *s = NULL;
	uint64_t version;
	int err;

	(void)ctx;
	if (!strcmp(key, "slimzip_profile")) {
		err = json_number(rd, p, "\"slimzip_profile\"", num, sizeof(num));
		if (err)
			return err;
		if (profile_fmt__u64(num, &version) || version != PROFILE_FORMAT_VERSION)
			return slz_fail(EBADMSG,
					"%s: profile format version %s is not supported (this "
					"slimzip reads version %d)",
					rd->name, num, PROFILE_FORMAT_VERSION);
		rd->json_version = true;
		return 0;
	}
	k = profile_fmt__header_key(key, true);
	if (!k)
		return json_skip(rd, p, 0);
	snprintf(what, sizeof(what), "\"%s\"", k->json);
	if (k->kind == HDR_STR || k->kind == HDR_TIME) {
		err = json_string(rd, p, what, true, &s);
		/* null: no string, or the unknown time (the writer spells it "-"). */
		if (!err)
			err = profile_fmt__header_set(rd, k, !s && k->kind == HDR_TIME ? "-" : s);
		return err;
	}
	err = json_number(rd, p, what, num, sizeof(num));
	return err ? err : profile_fmt__header_set(rd, k, num);
}

struct json_entry {
	struct profile_entry *e; /* staged in the profile */
	uint64_t mode, pid;	 /* as read: checked by profile_fmt__entry_check */
};

/* "kinds": an array of kind names, each one name. */
static int kinds_array(struct profile_reader *rd, char **p, uint32_t *kinds)
{
	if (**p != '[')
		return profile_reader__bad(rd, "\"kinds\": expected an array of kind names");
	(*p)++;
	skip_ws(p);
	if (**p == ']') {
		(*p)++;
		return 0;
	}
	for (;;) {
		uint32_t k;
		char *s;
		int err;

		skip_ws(p);
		err = json_string(rd, p, "\"kinds\"", false, &s);
		if (err)
			return err;
		err = strchr(s, ',') || profile__kinds_parse(s, &k) || !k;
		if (err)
			return profile_reader__bad(rd, "unknown access kind");
		*kinds |= k;
		skip_ws(p);
		if (**p == ']') {
			(*p)++;
			return 0;
		}
		if (*(*p)++ != ',')
			return profile_reader__bad(rd, "\"kinds\": expected ',' or ']'");
	}
}

enum entry_key {
	EK_KINDS,
	EK_DEV,
	EK_FLAGS,
	EK_COMM,
	EK_PATH,
	EK_INO,
	EK_COUNT,
	EK_SIZE,
	EK_MODE,
	EK_PID
};

/* An entry's keys and how messages name them (spelled out: a snprintf a field was ~4%). */
static const struct {
	const char *key, *what;
} entry_keys[] = {
	[EK_KINDS] = {"kinds", "\"kinds\""}, [EK_DEV] = {"dev", "\"dev\""},
	[EK_FLAGS] = {"flags", "\"flags\""}, [EK_COMM] = {"comm", "\"comm\""},
	[EK_PATH] = {"path", "\"path\""},    [EK_INO] = {"ino", "\"ino\""},
	[EK_COUNT] = {"count", "\"count\""}, [EK_SIZE] = {"size", "\"size\""},
	[EK_MODE] = {"mode", "\"mode\""},    [EK_PID] = {"pid", "\"pid\""},
};

static int entry_field(struct profile_reader *rd, const char *key, char **p, void *ctx)
{
	struct json_entry *je = ctx;
	struct profile_entry *e = je->e;
	const char *what;
	char *s = NULL;
	size_t k;
	int err;

	/* The first byte settles all but two pairs (comm/count, path/pid). */
	for (k = 0; k < ARRAY_SIZE(entry_keys); k++) {
		if (entry_keys[k].key[0] == key[0] && !strcmp(entry_keys[k].key, key))
			break;
	}
	if (k == ARRAY_SIZE(entry_keys))
		return json_skip(rd, p, 0);
	what = entry_keys[k].what;
	switch ((enum entry_key)k) {
	case EK_KINDS:
		return kinds_array(rd, p, &e->kinds);
	case EK_INO:
		return json_u64(rd, p, what, &e->ino);
	case EK_COUNT:
		return json_u64(rd, p, what, &e->count);
	case EK_SIZE:
		return json_u64(rd, p, what, &e->size);
	case EK_MODE:
		return json_u64(rd, p, what, &je->mode);
	case EK_PID:
		return json_u64(rd, p, what, &je->pid);
	default:
		break;
	}
	err = json_string(rd, p, what, false, &s);
	if (err)
		return err;
	switch ((enum entry_key)k) {
	case EK_DEV:
		return profile_fmt__dev_parse(s, &e->dev)
			       ? profile_reader__bad(rd, "bad dev (MAJOR:MINOR)")
			       : 0;
	case EK_FLAGS:
		return profile_fmt__flags_parse(rd, s, e);
	case EK_COMM:
		return profile_fmt__comm_set(rd, e, s, strlen(s));
	default:
		e->path = s; /* in the line, which the profile owns */
		return 0;
	}
}

int profile_fmt__json_line(struct profile_reader *rd, char *line, bool first)
{
	struct json_entry je = {0};
	int err;

	if (first) {
		err = json_object(rd, line, header_field, NULL);
		if (!err && !rd->json_version)
			err = profile_reader__bad(rd, "the JSON header has no \"slimzip_profile\" "
						      "version");
		return err;
	}
	je.e = profile__stage(rd->p);
	if (!je.e)
		return slz_fail(ENOMEM, "out of memory reading %s", rd->name);
	err = json_object(rd, line, entry_field, &je);
	return err ? err : profile_fmt__entry_check(rd, je.e, je.mode, je.pid);
}
