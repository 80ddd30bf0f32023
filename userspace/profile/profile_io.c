// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Profile files, version 1 (docs/profile-format.md). Text: '#' header lines "key: value", then
 * one line per file "KINDS MAJ:MIN INO COUNT MODE SIZE FLAGS PID COMM PATH". JSON Lines: a header
 * object, then one object per file. Both are written sorted by path so equal sets give equal bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "slz_vocab.h"
#include "escape.h"
#include "json.h"
#include "profile_io.h"
#include "util.h"

#define TEXT_MAGIC "# slimzip profile v"

/* The name of each flag in both formats, in the order lists are written; never a bit position. */
static const struct {
	uint32_t flag;
	const char *name;
} flag_names[] = {
	{SLZ_EVF_TRUNCATED, "truncated"},
	{SLZ_EVF_PATH_ONLY, "path-only"},
	{SLZ_EVF_UNREACHABLE, "unreachable"},
	{SLZ_EVF_USER_SUFFIX, "user-suffix"},
};

int profile__parse_format(const char *s, enum profile_format *fmt)
{
	if (!strcmp(s, "text"))
		*fmt = PROFILE_FMT_TEXT;
	else if (!strcmp(s, "json"))
		*fmt = PROFILE_FMT_JSON;
	else
		return slz_fail(EINVAL, "unknown profile format '%s' (use text or json)", s);
	return 0;
}

static void format_time(int64_t unix_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;

	if (!unix_ms || !gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
}

static int parse_time(const char *s, int64_t *unix_ms)
{
	struct tm tm = {0};
	int ms = 0;

	if (!strcmp(s, "-")) {
		*unix_ms = 0;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*unix_ms = (int64_t)timegm(&tm) * 1000 + ms;
	return 0;
}

static void flags_str(const struct profile_entry *e, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
		if (e->flags & flag_names[i].flag)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 flag_names[i].name);
	}
	if (e->err)
		used += (size_t)snprintf(buf + used, len - used, "%serrno=%d", used ? "," : "",
					 e->err);
	if (profile__syscall_name(e->syscall_nr))
		used += (size_t)snprintf(buf + used, len - used, "%svia=%s", used ? "," : "",
					 profile__syscall_name(e->syscall_nr));
	if (!used)
		snprintf(buf, len, "-");
}

static int flags_parse(char *s, struct profile_entry *e)
{
	char *save = NULL;

	e->flags = 0;
	e->err = 0;
	e->syscall_nr = -1;
	if (!strcmp(s, "-"))
		return 0;
	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		if (!strncmp(tok, "errno=", 6)) {
			e->err = atoi(tok + 6);
			continue;
		}
		if (!strncmp(tok, "via=", 4)) {
			e->syscall_nr = profile__syscall_nr(tok + 4);
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(flag_names); i++) {
			if (!strcmp(tok, flag_names[i].name))
				break;
		}
		/* Unknown flags from a newer writer are ignored rather than fatal. */
		if (i < ARRAY_SIZE(flag_names))
			e->flags |= flag_names[i].flag;
	}
	return 0;
}

struct header_field {
	const char *key;
	size_t str_off; /* offset of a char * field, or SIZE_MAX */
};

#define HSTR(k, f)                                                                                 \
	{                                                                                          \
		k, offsetof(struct profile_header, f)                                              \
	}
static const struct header_field header_strings[] = {
	HSTR("slimzip-version", slimzip_version),
	HSTR("kernel", kernel),
	HSTR("hostname", hostname),
	HSTR("boot-id", boot_id),
	HSTR("target-kind", target_kind),
	HSTR("target", target),
	HSTR("command", command),
};

static char **hstr(struct profile_header *h, size_t off)
{
	return (char **)((char *)h + off);
}

static void write_text_header(const struct profile *p, FILE *f)
{
	const struct profile_header *h = profile__header_const(p);
	char start[64], end[64];

	fprintf(f, "%s%d\n", TEXT_MAGIC, PROFILE_FORMAT_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(header_strings); i++) {
		const char *v = *hstr((struct profile_header *)h, header_strings[i].str_off);

		fprintf(f, "# %s: ", header_strings[i].key);
		if (v)
			escape__text(f, v, strlen(v), false);
		else
			fputc('-', f);
		fputc('\n', f);
	}
	format_time(h->start_unix_ms, start, sizeof(start));
	format_time(h->end_unix_ms, end, sizeof(end));
	fprintf(f, "# start: %s\n# end: %s\n# exit-status: %d\n", start, end, h->exit_status);
	fprintf(f, "# lost-events: %" PRIu64 "\n# dedup-full: %" PRIu64 "\n", h->lost_events,
		h->dedup_full);
	fprintf(f, "# truncated-paths: %" PRIu64 "\n# merged-from: %" PRIu64 "\n",
		h->truncated_paths, h->merged_from);
	fprintf(f, "# files: %zu\n# columns: kinds dev ino count mode size flags pid comm path\n",
		profile__count(p));
}

static void write_text_entry(const struct profile_entry *e, FILE *f)
{
	char kinds[128], flags[128];
	const char *comm = e->first_comm[0] ? e->first_comm : "-";

	profile__kinds_str(e->kinds, kinds, sizeof(kinds));
	flags_str(e, flags, sizeof(flags));
	fprintf(f, "%s %u:%u %" PRIu64 " %" PRIu64 " %o %" PRIu64 " %s %u ", kinds, major(e->dev),
		minor(e->dev), e->ino, e->count, e->mode, e->size, flags, e->first_pid);
	escape__text(f, comm, strnlen(comm, PROFILE_COMM_LEN), true);
	fputc(' ', f);
	escape__text(f, e->path, strlen(e->path), false);
	fputc('\n', f);
}

/* The JSON name of a header key: its text name with dashes as underscores. */
static void json_key(const char *text_key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", text_key);
	for (char *c = buf; *c; c++)
		*c = *c == '-' ? '_' : *c;
}

static void write_json_header(const struct profile *p, struct json_writer *w)
{
	const struct profile_header *h = profile__header_const(p);
	char start[64], end[64];

	format_time(h->start_unix_ms, start, sizeof(start));
	format_time(h->end_unix_ms, end, sizeof(end));
	json_writer__begin_object(w);
	json_writer__int_field(w, "slimzip_profile", PROFILE_FORMAT_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(header_strings); i++) {
		char key[32];

		json_key(header_strings[i].key, key, sizeof(key));
		json_writer__string_field(
			w, key, *hstr((struct profile_header *)h, header_strings[i].str_off));
	}
	json_writer__string_field(w, "start", start);
	json_writer__string_field(w, "end", end);
	json_writer__int_field(w, "exit_status", h->exit_status);
	json_writer__uint_field(w, "lost_events", h->lost_events);
	json_writer__uint_field(w, "dedup_full", h->dedup_full);
	json_writer__uint_field(w, "truncated_paths", h->truncated_paths);
	json_writer__uint_field(w, "merged_from", h->merged_from);
	json_writer__uint_field(w, "files", profile__count(p));
	json_writer__end_object(w);
}

static void write_json_entry(const struct profile_entry *e, struct json_writer *w)
{
	char kinds[128], flags[128], dev[32], *save = NULL;

	profile__kinds_str(e->kinds, kinds, sizeof(kinds));
	flags_str(e, flags, sizeof(flags));
	snprintf(dev, sizeof(dev), "%u:%u", major(e->dev), minor(e->dev));
	json_writer__begin_object(w);
	json_writer__key(w, "kinds");
	json_writer__begin_array(w);
	for (char *k = strtok_r(kinds, ",", &save); k && strcmp(k, "-");
	     k = strtok_r(NULL, ",", &save))
		json_writer__string(w, k);
	json_writer__end_array(w);
	json_writer__string_field(w, "dev", dev);
	json_writer__uint_field(w, "ino", e->ino);
	json_writer__uint_field(w, "count", e->count);
	json_writer__uint_field(w, "mode", e->mode);
	json_writer__uint_field(w, "size", e->size);
	json_writer__string_field(w, "flags", flags);
	json_writer__uint_field(w, "pid", e->first_pid);
	json_writer__key(w, "comm");
	json_writer__string_len(w, e->first_comm, strnlen(e->first_comm, PROFILE_COMM_LEN));
	json_writer__string_field(w, "path", e->path);
	json_writer__end_object(w);
}

static int entry_ptr_cmp(const void *a, const void *b)
{
	const struct profile_entry *x = *(const struct profile_entry *const *)a;
	const struct profile_entry *y = *(const struct profile_entry *const *)b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int profile__write_stream(const struct profile *p, FILE *f, enum profile_format fmt)
{
	const struct profile_entry **order;
	struct json_writer *w = NULL;
	size_t n = profile__count(p);
	int err = 0;

	/* Sorted output without reordering the caller's profile (it may still be recording). */
	order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = profile__entry(p, i);
	qsort(order, n, sizeof(*order), entry_ptr_cmp);
	if (fmt == PROFILE_FMT_JSON) {
		err = json_writer__new(f, &w);
		if (err)
			goto out;
		write_json_header(p, w);
		for (size_t i = 0; i < n; i++)
			write_json_entry(order[i], w);
		err = json_writer__error(w);
	} else {
		write_text_header(p, f);
		for (size_t i = 0; i < n; i++)
			write_text_entry(order[i], f);
	}
out:
	json_writer__free(w);
	free(order);
	if (err)
		return err;
	return ferror(f) ? -EIO : 0;
}

int profile__write(const struct profile *p, const char *path, enum profile_format fmt)
{
	struct atomic_file *af = NULL;
	int err;

	if (!strcmp(path, "-")) {
		err = profile__write_stream(p, stdout, fmt);
		if (!err && fflush(stdout))
			err = -errno;
		return err ? slz_fail(err, "cannot write the profile to stdout: %s", strerror(-err))
			   : 0;
	}
	err = atomic_file__open(path, &af);
	if (err)
		return err;
	err = profile__write_stream(p, atomic_file__stream(af), fmt);
	if (err) {
		atomic_file__abort(af);
		return slz_fail(err, "cannot write profile %s: %s", path, strerror(-err));
	}
	return atomic_file__commit(af);
}

/* ---- reading ---- */

struct reader {
	const char *name;
	size_t lineno;
	struct profile *p;
};

static int bad(const struct reader *r, const char *what)
{
	return slz_fail(EBADMSG, "%s:%zu: %s (is this a slimzip profile?)", r->name, r->lineno,
			what);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno || *end) ? -EINVAL : 0;
}

static int parse_dev(const char *s, uint64_t *dev)
{
	unsigned int maj, min;
	int used = 0;

	if (sscanf(s, "%u:%u%n", &maj, &min, &used) != 2 || s[used])
		return -EINVAL;
	*dev = (maj || min) ? makedev(maj, min) : 0;
	return 0;
}

static int text_header_line(struct reader *r, char *line)
{
	struct profile_header *h = profile__header(r->p);
	char *colon = strstr(line, ": ");
	const char *key = line + 2, *val;
	int err = 0;

	if (!colon)
		return 0; /* a comment */
	*colon = '\0';
	val = colon + 2;
	for (size_t i = 0; i < ARRAY_SIZE(header_strings); i++) {
		if (strcmp(key, header_strings[i].key))
			continue;
		char *copy = strdup(val);

		if (!copy)
			return -ENOMEM;
		if (escape__text_decode(copy) < 0) {
			free(copy);
			return bad(r, "bad escape in header");
		}
		err = profile__set_str(r->p, hstr(h, header_strings[i].str_off),
				       strcmp(copy, "-") ? copy : NULL);
		free(copy);
		return err;
	}
	if (!strcmp(key, "start"))
		err = parse_time(val, &h->start_unix_ms);
	else if (!strcmp(key, "end"))
		err = parse_time(val, &h->end_unix_ms);
	else if (!strcmp(key, "exit-status"))
		h->exit_status = atoi(val);
	else if (!strcmp(key, "lost-events"))
		err = parse_u64(val, &h->lost_events);
	else if (!strcmp(key, "dedup-full"))
		err = parse_u64(val, &h->dedup_full);
	else if (!strcmp(key, "truncated-paths"))
		err = parse_u64(val, &h->truncated_paths);
	else if (!strcmp(key, "merged-from"))
		err = parse_u64(val, &h->merged_from);
	/* Other keys (files, columns, keys of newer versions) carry nothing to keep. */
	return err ? bad(r, "bad header value") : 0;
}

static int text_entry_line(struct reader *r, char *line)
{
	struct profile_entry e = {0};
	char *field[10];
	char *s = line, *end;
	uint64_t pid;
	unsigned long mode;
	long n;

	/* Nine space-separated fields, then the path, which may itself contain spaces. */
	for (int i = 0; i < 9; i++) {
		char *sp = strchr(s, ' ');

		if (!sp)
			return bad(r, "expected 10 fields: kinds dev ino count mode size flags pid "
				      "comm path");
		*sp = '\0';
		field[i] = s;
		s = sp + 1;
	}
	field[9] = s;
	if (profile__kinds_parse(field[0], &e.kinds))
		return bad(r, "unknown access kind");
	errno = 0;
	mode = strtoul(field[4], &end, 8);
	if (parse_dev(field[1], &e.dev) || parse_u64(field[2], &e.ino) ||
	    parse_u64(field[3], &e.count) || parse_u64(field[5], &e.size) ||
	    parse_u64(field[7], &pid) || pid > UINT32_MAX || errno || *end || end == field[4] ||
	    mode > 0177777)
		return bad(r, "bad number");
	e.mode = (uint32_t)mode;
	e.first_pid = (uint32_t)pid;
	flags_parse(field[6], &e);
	if (escape__text_decode(field[8]) < 0)
		return bad(r, "bad escape in comm");
	if (strcmp(field[8], "-"))
		snprintf(e.first_comm, sizeof(e.first_comm), "%s", field[8]);
	n = escape__text_decode(field[9]);
	if (n <= 0)
		return bad(r, "bad or empty path");
	if ((size_t)n != strlen(field[9]))
		return bad(r, "path contains a NUL byte");
	e.path = field[9];
	if (!e.ino)
		e.flags |= SLZ_EVF_PATH_ONLY;
	return profile__add(r->p, &e);
}

/* ---- a small reader for the flat JSON objects this module writes ---- */

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r')
		(*p)++;
}

typedef int (*json_field_fn)(struct reader *r, const char *key, const char **p, void *ctx);

static int json_object(struct reader *r, const char *line, json_field_fn fn, void *ctx)
{
	const char *p = line;
	int err;

	skip_ws(&p);
	if (*p++ != '{')
		return bad(r, "expected a JSON object");
	skip_ws(&p);
	if (*p == '}')
		return 0;
	for (;;) {
		char *key;
		size_t klen;

		skip_ws(&p);
		if (escape__json_decode(&p, &key, &klen))
			return bad(r, "bad JSON key");
		skip_ws(&p);
		if (*p++ != ':') {
			free(key);
			return bad(r, "expected ':'");
		}
		skip_ws(&p);
		err = fn(r, key, &p, ctx);
		free(key);
		if (err)
			return err;
		skip_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}')
			return 0;
		return bad(r, "expected ',' or '}'");
	}
}

static int json_string(struct reader *r, const char **p, char **out)
{
	size_t len;

	if (!strncmp(*p, "null", 4)) {
		*p += 4;
		*out = NULL;
		return 0;
	}
	if (escape__json_decode(p, out, &len))
		return bad(r, "bad JSON string");
	if (strlen(*out) != len) {
		free(*out);
		return bad(r, "string contains a NUL byte");
	}
	return 0;
}

static int json_number(struct reader *r, const char **p, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(*p, &end, 10);
	if (end == *p || errno)
		return bad(r, "bad JSON number");
	*p = end;
	return 0;
}

static int json_header_field(struct reader *r, const char *key, const char **p, void *ctx)
{
	struct profile_header *h = profile__header(r->p);
	int64_t num;
	char *s;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(header_strings); i++) {
		char k[32];

		json_key(header_strings[i].key, k, sizeof(k));
		if (strcmp(key, k))
			continue;
		err = json_string(r, p, &s);
		if (!err)
			err = profile__set_str(r->p, hstr(h, header_strings[i].str_off), s);
		free(s);
		return err;
	}
	if (!strcmp(key, "start") || !strcmp(key, "end")) {
		err = json_string(r, p, &s);
		if (err)
			return err;
		err = parse_time(s ? s : "-",
				 !strcmp(key, "start") ? &h->start_unix_ms : &h->end_unix_ms);
		free(s);
		return err ? bad(r, "bad time") : 0;
	}
	err = json_number(r, p, &num);
	if (err)
		return err;
	if (!strcmp(key, "slimzip_profile") && num != PROFILE_FORMAT_VERSION)
		return slz_fail(EBADMSG,
				"%s: profile format version %" PRId64 " is not supported (this "
				"slimzip reads version %d)",
				r->name, num, PROFILE_FORMAT_VERSION);
	if (num < 0 && strcmp(key, "exit_status"))
		return bad(r, "negative counter");
	if (!strcmp(key, "exit_status"))
		h->exit_status = (int)num;
	else if (!strcmp(key, "lost_events"))
		h->lost_events = (uint64_t)num;
	else if (!strcmp(key, "dedup_full"))
		h->dedup_full = (uint64_t)num;
	else if (!strcmp(key, "truncated_paths"))
		h->truncated_paths = (uint64_t)num;
	else if (!strcmp(key, "merged_from"))
		h->merged_from = (uint64_t)num;
	return 0;
}

static int json_entry_field(struct reader *r, const char *key, const char **p, void *ctx)
{
	struct profile_entry *e = ctx;
	int64_t num;
	char *s = NULL;
	int err = 0;

	if (!strcmp(key, "kinds")) {
		if (*(*p)++ != '[')
			return bad(r, "expected an array of kinds");
		skip_ws(p);
		while (**p != ']') {
			uint32_t k;

			err = json_string(r, p, &s);
			if (err)
				return err;
			if (!s || profile__kinds_parse(s, &k)) {
				free(s);
				return bad(r, "unknown access kind");
			}
			free(s);
			e->kinds |= k;
			skip_ws(p);
			if (**p == ',')
				(*p)++;
			skip_ws(p);
		}
		(*p)++;
		return 0;
	}
	if (!strcmp(key, "dev") || !strcmp(key, "flags") || !strcmp(key, "comm") ||
	    !strcmp(key, "path")) {
		err = json_string(r, p, &s);
		if (err)
			return err;
		if (!strcmp(key, "dev"))
			err = (!s || parse_dev(s, &e->dev)) ? bad(r, "bad dev") : 0;
		else if (!strcmp(key, "flags"))
			err = s ? flags_parse(s, e) : 0;
		else if (!strcmp(key, "comm"))
			snprintf(e->first_comm, sizeof(e->first_comm), "%s", s ? s : "");
		else {
			free(e->path);
			e->path = s;
			return 0;
		}
		free(s);
		return err;
	}
	err = json_number(r, p, &num);
	if (err)
		return err;
	if (num < 0)
		return bad(r, "negative number");
	if (!strcmp(key, "ino"))
		e->ino = (uint64_t)num;
	else if (!strcmp(key, "count"))
		e->count = (uint64_t)num;
	else if (!strcmp(key, "pid"))
		e->first_pid = (uint32_t)num;
	else if (!strcmp(key, "mode"))
		e->mode = (uint32_t)num;
	else if (!strcmp(key, "size"))
		e->size = (uint64_t)num;
	return 0;
}

static int json_line(struct reader *r, char *line, bool first)
{
	struct profile_entry e = {.syscall_nr = -1};
	int err;

	if (first)
		return json_object(r, line, json_header_field, NULL);
	err = json_object(r, line, json_entry_field, &e);
	if (!err && (!e.path || !e.path[0]))
		err = bad(r, "entry without a path");
	if (!err) {
		if (!e.ino)
			e.flags |= SLZ_EVF_PATH_ONLY;
		err = profile__add(r->p, &e);
	}
	free(e.path);
	return err;
}

int profile__read_stream(FILE *f, const char *name, struct profile **out)
{
	struct reader r = {.name = name};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool json = false;
	int err;

	err = profile__new(&r.p);
	if (err)
		return err;
	while ((len = getline(&line, &cap, f)) >= 0) {
		r.lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			err = bad(&r, "line contains a NUL byte");
			goto out;
		}
		if (r.lineno == 1) {
			if (line[0] == '{') {
				json = true;
			} else if (strncmp(line, TEXT_MAGIC, strlen(TEXT_MAGIC))) {
				err = bad(&r, "missing '# slimzip profile v1' first line");
				goto out;
			} else if (atoi(line + strlen(TEXT_MAGIC)) != PROFILE_FORMAT_VERSION) {
				err = slz_fail(EBADMSG,
					       "%s: profile format version %s is not supported "
					       "(this slimzip reads version %d)",
					       name, line + strlen(TEXT_MAGIC),
					       PROFILE_FORMAT_VERSION);
				goto out;
			}
		}
		if (!len)
			continue;
		if (json)
			err = json_line(&r, line, r.lineno == 1);
		else if (line[0] == '#')
			err = r.lineno == 1 ? 0 : text_header_line(&r, line);
		else
			err = text_entry_line(&r, line);
		if (err)
			goto out;
	}
	if (ferror(f)) {
		err = slz_fail(EIO, "cannot read %s: %s", name, strerror(errno));
		goto out;
	}
	if (r.lineno == 0) {
		err = slz_fail(EBADMSG, "%s is empty (is this a slimzip profile?)", name);
		goto out;
	}
	*out = r.p;
	r.p = NULL;
out:
	free(line);
	profile__free(r.p);
	return err;
}

int profile__read(const char *path, struct profile **out)
{
	FILE *f;
	int err;

	if (!strcmp(path, "-"))
		return profile__read_stream(stdin, "<stdin>", out);
	f = fopen(path, "re");
	if (!f)
		return slz_fail(errno, "cannot open profile %s: %s", path, strerror(errno));
	err = profile__read_stream(f, path, out);
	fclose(f);
	return err;
}
