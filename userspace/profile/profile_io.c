// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Profile files, version 1 (docs/profile-format.md). Text: '#' header lines "key: value", then
 * one line per file "KINDS MAJ:MIN INO COUNT MODE SIZE FLAGS PID COMM PATH". JSON Lines: a header
 * object, then one object per file. Both are written sorted by path so equal sets give equal bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "slz_vocab.h"
#include "escape.h"
#include "json.h"
#include "profile_fmt.h"
#include "profile_io.h"
#include "util.h"

#define TEXT_MAGIC "# slimzip profile v"

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

/* A text value: "-" stands for none, so a value that is "-" itself is written escaped. */
static void write_text_value(FILE *f, const char *v, size_t len, bool escape_space)
{
	if (!v || !len)
		fputs(v ? "" : "-", f);
	else if (len == 1 && v[0] == '-')
		fputs("\\x2d", f);
	else
		escape__text(f, v, len, escape_space);
}

/* One header key's value as text (strings unescaped; the caller escapes for its format). */
static int header_value(const struct profile *p, const struct header_key *k, char *buf, size_t len,
			const char **str)
{
	const struct profile_header *h = profile__header_const(p);
	const void *field = profile_fmt__header_field(h, k);

	*str = NULL;
	switch (k->kind) {
	case HDR_STR:
		*str = *(char *const *)field;
		return 0;
	case HDR_TIME:
		return profile_fmt__time_str(*(const int64_t *)field, buf, len);
	case HDR_INT:
		snprintf(buf, len, "%d", *(const int *)field);
		return 0;
	case HDR_U64:
		snprintf(buf, len, "%" PRIu64, *(const uint64_t *)field);
		return 0;
	case HDR_FILES:
		snprintf(buf, len, "%zu", profile__count(p));
		return 0;
	}
	return -EINVAL;
}

/* with_count: the files line, which an append-only log cannot know when it begins. */
static int write_text_header(const struct profile *p, FILE *f, bool with_count)
{
	fprintf(f, "%s%d\n", TEXT_MAGIC, PROFILE_FORMAT_VERSION);
	for (size_t i = 0; i < profile_fmt__nheader_keys; i++) {
		const struct header_key *k = &profile_fmt__header_keys[i];
		const char *str;
		char buf[64];
		int err = header_value(p, k, buf, sizeof(buf), &str);

		if (err)
			return slz_fail(err,
					"cannot write the profile: its %s time is outside years "
					"0-9999",
					k->text);
		if (k->kind == HDR_FILES && !with_count)
			continue;
		fprintf(f, "# %s: ", k->text);
		if (k->kind == HDR_STR)
			write_text_value(f, str, str ? strlen(str) : 0, false);
		else
			fputs(buf, f);
		fputc('\n', f);
	}
	fputs("# columns: kinds dev ino count mode size flags pid comm path\n", f);
	return 0;
}

static void write_text_entry(const struct profile_entry *e, FILE *f)
{
	char kinds[128], flags[128];
	size_t comm_len = strnlen(e->first_comm, PROFILE_COMM_LEN);

	profile__kinds_str(e->kinds, kinds, sizeof(kinds));
	profile_fmt__flags_str(e, flags, sizeof(flags));
	fprintf(f, "%s %u:%u %" PRIu64 " %" PRIu64 " %o %" PRIu64 " %s %u ", kinds, major(e->dev),
		minor(e->dev), e->ino, e->count, e->mode, e->size, flags, e->first_pid);
	write_text_value(f, comm_len ? e->first_comm : NULL, comm_len, true);
	fputc(' ', f);
	escape__text(f, e->path, strlen(e->path), false);
	fputc('\n', f);
}

int profile__write_log_header(const struct profile *p, FILE *f)
{
	int err = write_text_header(p, f, false);

	if (err)
		return err;
	return ferror(f) ? -EIO : 0;
}

int profile__entry_line(const struct profile_entry *e, char **line, size_t *len)
{
	FILE *f = open_memstream(line, len);

	if (!f)
		return -ENOMEM;
	write_text_entry(e, f);
	if (ferror(f) | fclose(f)) {
		free(*line);
		*line = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int write_json_header(const struct profile *p, struct json_writer *w)
{
	const struct profile_header *h = profile__header_const(p);

	json_writer__begin_object(w);
	json_writer__int_field(w, "slimzip_profile", PROFILE_FORMAT_VERSION);
	for (size_t i = 0; i < profile_fmt__nheader_keys; i++) {
		const struct header_key *k = &profile_fmt__header_keys[i];
		const void *field = profile_fmt__header_field(h, k);
		const char *str;
		char buf[64];
		int err = header_value(p, k, buf, sizeof(buf), &str);

		if (err)
			return slz_fail(err,
					"cannot write the profile: its %s time is outside years "
					"0-9999",
					k->text);
		if (k->kind == HDR_STR)
			json_writer__string_field(w, k->json, str);
		else if (k->kind == HDR_TIME)
			json_writer__string_field(w, k->json, buf);
		else if (k->kind == HDR_INT)
			json_writer__int_field(w, k->json, *(const int *)field);
		else if (k->kind == HDR_U64)
			json_writer__uint_field(w, k->json, *(const uint64_t *)field);
		else
			json_writer__uint_field(w, k->json, profile__count(p));
	}
	json_writer__end_object(w);
	return 0;
}

static void write_json_entry(const struct profile_entry *e, struct json_writer *w)
{
	char kinds[128], flags[128], dev[32], *save = NULL;

	profile__kinds_str(e->kinds, kinds, sizeof(kinds));
	profile_fmt__flags_str(e, flags, sizeof(flags));
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
	return profile__entry_cmp(*(const struct profile_entry *const *)a,
				  *(const struct profile_entry *const *)b);
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
		if (!err)
			err = write_json_header(p, w);
		for (size_t i = 0; !err && i < n; i++)
			write_json_entry(order[i], w);
		if (!err)
			err = json_writer__error(w);
	} else {
		err = write_text_header(p, f, true);
		for (size_t i = 0; !err && i < n; i++)
			write_text_entry(order[i], f);
	}
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

#define bad profile_reader__bad

/* "# key: value" (other '#' lines are comments). */
static int text_header_line(struct profile_reader *rd, char *line)
{
	const struct header_key *k;
	char *colon = strstr(line, ": ");
	const char *val;
	char *copy;
	long n;
	int err;

	if (line[1] != ' ' || !colon || colon == line + 2)
		return 0; /* a comment */
	*colon = '\0';
	val = colon + 2;
	k = profile_fmt__header_key(line + 2, false);
	if (!k)
		return 0; /* a key of a later version: nothing to keep */
	if (k->kind != HDR_STR)
		return profile_fmt__header_set(rd, k, val);
	/* "-" is none; an escaped "\x2d" is the string "-". */
	if (!strcmp(val, "-"))
		return profile_fmt__header_set(rd, k, NULL);
	copy = strdup(val);
	if (!copy)
		return slz_fail(ENOMEM, "out of memory reading %s", rd->name);
	n = escape__text_decode(copy);
	if (n < 0)
		err = bad(rd, "bad escape in the value of '%s'", k->text);
	else if ((size_t)n != strlen(copy))
		err = bad(rd, "the value of '%s' holds a NUL byte", k->text);
	else
		err = profile_fmt__header_set(rd, k, copy);
	free(copy);
	return err;
}

/* Octal digits only, as the writer's %o gives them. */
static int parse_octal(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7' || v > UINT64_MAX >> 3)
			return -EINVAL;
		v = v << 3 | (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * Entry lines parsed but not yet added: their adds come BATCH lines later, after
 * profile__prefetch started loading the index slots each will touch. A 200k-entry profile's
 * indexes are 4 MiB each, and a new entry's lookups miss the cache, one after the other when
 * each line was added as soon as it was read. The entries' strings point into their lines.
 */
#define BATCH 16

struct pending {
	char *line;
	size_t cap;
	struct profile_entry e;
	uint64_t mode, pid;
	size_t lineno;
};

struct batch {
	struct pending p[BATCH];
	size_t n;
};

/* Add the pending entries in the order they were read; errors name each one's line. */
static int batch_flush(struct profile_reader *rd, struct batch *b)
{
	size_t lineno = rd->lineno;
	int err = 0;

	for (size_t i = 0; i < b->n && !err; i++) {
		struct pending *pe = &b->p[i];

		rd->lineno = pe->lineno;
		err = profile_fmt__entry_add(rd, &pe->e, pe->mode, pe->pid);
	}
	rd->lineno = lineno;
	b->n = 0;
	return err;
}

/* Parse an entry line into pe (its strings stay in the line); adding is batch_flush's. */
static int text_entry_line(struct profile_reader *rd, char *line, struct pending *pe)
{
	struct profile_entry e = {0};
	uint64_t mode, pid;
	char *field[10];
	char *s = line;
	long n;
	int err;

	/* Nine space-separated fields, then the path, which may itself contain spaces. */
	for (int i = 0; i < 9; i++) {
		char *sp = strchr(s, ' ');

		if (!sp)
			return bad(rd,
				   "expected 10 fields: kinds dev ino count mode size flags pid "
				   "comm path");
		*sp = '\0';
		field[i] = s;
		s = sp + 1;
	}
	field[9] = s;
	if (profile__kinds_parse(field[0], &e.kinds))
		return bad(rd, "unknown access kind");
	if (profile_fmt__dev_parse(field[1], &e.dev))
		return bad(rd, "bad dev (MAJOR:MINOR)");
	if (profile_fmt__u64(field[2], &e.ino) || profile_fmt__u64(field[3], &e.count) ||
	    parse_octal(field[4], &mode) || profile_fmt__u64(field[5], &e.size) ||
	    profile_fmt__u64(field[7], &pid))
		return bad(rd, "bad number");
	err = profile_fmt__flags_parse(rd, field[6], &e);
	if (err)
		return err;
	/* "-" is no comm; an escaped "\x2d" is the name "-". */
	if (strcmp(field[8], "-")) {
		n = escape__text_decode(field[8]);
		if (n < 0)
			return bad(rd, "bad escape in comm");
		err = profile_fmt__comm_set(rd, &e, field[8], (size_t)n);
		if (err)
			return err;
	}
	n = escape__text_decode(field[9]);
	if (n < 0)
		return bad(rd, "bad escape in the path");
	if ((size_t)n != strlen(field[9]))
		return bad(rd, "the path holds a NUL byte");
	e.path = field[9];
	pe->e = e;
	pe->mode = mode;
	pe->pid = pid;
	pe->lineno = rd->lineno;
	profile__prefetch(rd->p, &pe->e);
	return 0;
}

/* The first line: "# slimzip profile vN" with N this reader's version, or a JSON header. */
static int first_line(struct profile_reader *rd, const char *line, bool *json)
{
	const char *v = line + strlen(TEXT_MAGIC);
	uint64_t version;

	if (line[0] == '{') {
		*json = true;
		return 0;
	}
	if (strncmp(line, TEXT_MAGIC, strlen(TEXT_MAGIC)) || !*v ||
	    strspn(v, "0123456789") != strlen(v))
		return bad(rd, "missing '# slimzip profile v1' first line");
	if (profile_fmt__u64(v, &version) || version != PROFILE_FORMAT_VERSION)
		return slz_fail(
			EBADMSG,
			"%s: profile format version %s is not supported (this slimzip reads "
			"version %d)",
			rd->name, v, PROFILE_FORMAT_VERSION);
	return 0;
}

/* getline failed: the end of the file, or an error that must not pass for one. */
static int read_failed(struct profile_reader *rd, FILE *f, int saved_errno)
{
	if (!ferror(f) && feof(f))
		return 0;
	/* getline's ENOMEM sets neither flag: whatever follows would be lost without a word. */
	if (saved_errno == ENOMEM)
		return slz_fail(ENOMEM, "out of memory reading %s at line %zu", rd->name,
				rd->lineno + 1);
	return slz_fail(saved_errno ? saved_errno : EIO, "cannot read %s: %s", rd->name,
			strerror(saved_errno ? saved_errno : EIO));
}

/* After the last line: the entry count the header announced came. */
static int check_complete(const struct profile_reader *rd)
{
	if (!rd->lineno)
		return slz_fail(EBADMSG, "%s is empty (is this a slimzip profile?)", rd->name);
	if (rd->has_files && rd->entry_lines < rd->files)
		return slz_fail(EBADMSG,
				"%s is truncated: its header announces %" PRIu64
				" files but it holds only %" PRIu64 "; record the profile again",
				rd->name, rd->files, rd->entry_lines);
	if (rd->has_files && rd->entry_lines > rd->files)
		return slz_fail(EBADMSG,
				"%s is damaged: its header announces %" PRIu64
				" files but it holds %" PRIu64
				" (two profiles in one file? pass each with its own --profile); "
				"record the profile again",
				rd->name, rd->files, rd->entry_lines);
	return 0;
}

/* log: an append-only log (profile__read_log); a cut last line is dropped, *torn said. */
static int read_stream(FILE *f, const char *name, bool log, bool *torn, struct profile **out)
{
	struct profile_reader rd = {.name = name};
	struct batch *b = calloc(1, sizeof(*b));
	char *line;
	ssize_t len;
	bool json = false;
	int err;

	*out = NULL;
	err = b ? profile__new(&rd.p) : -ENOMEM;
	if (err) {
		free(b);
		return slz_fail(err, "out of memory reading %s", name);
	}
	for (;;) {
		struct pending *pe = &b->p[b->n];

		errno = 0;
		len = getline(&pe->line, &pe->cap, f);
		line = pe->line;
		if (len < 0) {
			err = read_failed(&rd, f, errno);
			break;
		}
		rd.lineno++;
		if ((size_t)len != strlen(line)) {
			err = bad(&rd, "line contains a NUL byte");
			break;
		}
		/* Every line the writer writes ends in a newline: one that does not was cut. */
		if (line[len - 1] != '\n' && log && rd.lineno > 1) {
			/* A writer killed mid-line: what it wrote whole is the log. */
			*torn = true;
			break;
		}
		if (line[len - 1] != '\n') {
			err = slz_fail(EBADMSG,
				       "%s:%zu: the last line has no newline: the profile is "
				       "truncated; record it again",
				       name, rd.lineno);
			break;
		}
		line[--len] = '\0';
		/* CRLF line ends (a file edited on Windows) read as LF ones. */
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (rd.lineno == 1 && (err = first_line(&rd, line, &json)))
			break;
		if (!len || (rd.lineno == 1 && !json))
			continue;
		if (!json && line[0] != '#') {
			rd.entry_lines++;
			err = text_entry_line(&rd, line, pe);
			if (!err && ++b->n == BATCH)
				err = batch_flush(&rd, b);
		} else {
			/* Whatever a header or JSON line changes, it changes after the entries
			 * above. */
			err = batch_flush(&rd, b);
			if (err)
				break;
			if (json) {
				rd.entry_lines += rd.lineno > 1;
				err = profile_fmt__json_line(&rd, line, rd.lineno == 1);
			} else {
				err = text_header_line(&rd, line);
			}
		}
		if (err)
			break;
	}
	if (!err)
		err = batch_flush(&rd, b);
	if (!err)
		err = check_complete(&rd);
	if (!err) {
		*out = rd.p;
		rd.p = NULL;
	}
	for (size_t i = 0; i < BATCH; i++)
		free(b->p[i].line);
	free(b);
	profile__free(rd.p);
	return err;
}

int profile__read_stream(FILE *f, const char *name, struct profile **out)
{
	return read_stream(f, name, false, NULL, out);
}

int profile__read_log_stream(FILE *f, const char *name, struct profile **out, bool *torn)
{
	*torn = false;
	return read_stream(f, name, true, torn, out);
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
