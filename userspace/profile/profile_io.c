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
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "slz_vocab.h"
#include "bigarr.h"
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

/*
 * One header key's value as text (strings unescaped; the caller escapes for its format). 0, or
 * -ERANGE explained: a time the four-digit years of both formats cannot hold.
 */
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
		if (profile_fmt__time_str(*(const int64_t *)field, buf, len))
			return slz_fail(ERANGE,
					"cannot write the profile: its %s time is outside years "
					"0-9999",
					k->text);
		return 0;
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
			return err;
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
			return err;
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

/*
 * The file is read in chunks (struct chunk, below): entry lines are parsed in place by one
 * forward scan (fields split at spaces, numbers by hand), the entries staged in the profile
 * with their paths pointing into the chunk, and added a batch at a time (profile__commit:
 * index slots loaded ahead, each path copied once into the profile's path chunks). getline, a
 * strchr and a strlen per field, sscanf-like helpers and a malloc of every path were most of
 * reading a 200k-entry profile.
 */

/* Decimal digits only, within uint64_t (profile_fmt__u64 over [s, end)). */
static bool scan_u64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	/* 19 digits cannot overflow (10^19 - 1 < 2^64): the division only for longer ones. */
	if (end - s <= 19) {
		for (; s < end; s++) {
			unsigned int d = (unsigned int)(*s - '0');

			if (d > 9)
				return false;
			v = v * 10 + d;
		}
		*out = v;
		return true;
	}
	for (; s < end; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Octal digits only, as the writer's %o gives them. */
static bool scan_octal(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '7' || v > UINT64_MAX >> 3)
			return false;
		v = v << 3 | (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* "MAJOR:MINOR" as profile_fmt__dev_parse reads it. */
static bool scan_dev(const char *s, const char *end, uint64_t *dev)
{
	const char *colon = memchr(s, ':', (size_t)(end - s));
	uint64_t a, b;

	if (!colon || colon - s >= 24 || !scan_u64(s, colon, &a) || !scan_u64(colon + 1, end, &b) ||
	    a > UINT32_MAX || b > UINT32_MAX)
		return false;
	*dev = (a || b) ? makedev((unsigned int)a, (unsigned int)b) : 0;
	return true;
}

/*
 * The kinds and flags columns repeat from line to line (most files are "open" and
 * "via=openat"): the last spelling of each and what it parsed to are kept.
 */
struct text_cache {
	char kinds[64], flags[64];
	size_t kinds_len, flags_len; /* 0: nothing kept */
	uint32_t kinds_val;
	struct profile_entry flags_val; /* flags, err, syscall_nr */
};

/*
 * The first nine spaces of [line, end) become NULs: field[i] starts each of the nine fields
 * and the path after them (field[9]), fend[i] ends the nine. Eight bytes a step (an exact
 * test of every byte for ' ', the lowest first): a byte at a time this loop was a tenth of
 * reading a 200k-entry profile. -1 when the line has fewer than nine spaces.
 */
static int split_fields(char *line, char *end, char *field[10], char *fend[9])
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, spaces = 0x2020202020202020ULL;
	char *p = line;
	int i = 0;

	field[0] = line;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i < 9 && end - p >= 8; p += 8) {
		uint64_t w, x, m;

		memcpy(&w, p, 8);
		x = w ^ spaces;
		/* The high bit of each byte of x that is zero, i.e. of each space of w. */
		m = ~(((x & low7) + low7) | x | low7);
		for (; m && i < 9; m &= m - 1) {
			char *sp = p + (__builtin_ctzll(m) >> 3);

			*sp = '\0';
			fend[i] = sp;
			field[++i] = sp + 1;
		}
	}
	/* The nine found within a word: the rest of it is the path's. */
	if (i == 9)
		return 0;
#endif
	for (; i < 9 && p < end; p++) {
		if (*p == ' ') {
			*p = '\0';
			fend[i] = p;
			field[++i] = p + 1;
		}
	}
	return i == 9 ? 0 : -1;
}

/* Parse an entry line (NUL-terminated at end) into a staged entry of rd->p. */
static int text_entry_line(struct profile_reader *rd, char *line, char *end, struct text_cache *c)
{
	struct profile_entry *e;
	uint64_t mode, pid;
	char *field[10], *fend[9];
	size_t n;
	long dn;
	int err;

	/* Nine space-separated fields, then the path, which may itself contain spaces. */
	if (split_fields(line, end, field, fend))
		return bad(rd,
			   "expected 10 fields: kinds dev ino count mode size flags pid comm path");
	e = profile__stage(rd->p);
	if (!e)
		return slz_fail(ENOMEM, "out of memory reading %s", rd->name);
	n = (size_t)(fend[0] - field[0]);
	if (n && n == c->kinds_len && !memcmp(field[0], c->kinds, n)) {
		e->kinds = c->kinds_val;
	} else {
		if (profile__kinds_parse(field[0], &e->kinds))
			return bad(rd, "unknown access kind");
		c->kinds_len = n < sizeof(c->kinds) ? n : 0;
		memcpy(c->kinds, field[0], c->kinds_len);
		c->kinds_val = e->kinds;
	}
	if (!scan_dev(field[1], fend[1], &e->dev))
		return bad(rd, "bad dev (MAJOR:MINOR)");
	if (!scan_u64(field[2], fend[2], &e->ino) || !scan_u64(field[3], fend[3], &e->count) ||
	    !scan_octal(field[4], fend[4], &mode) || !scan_u64(field[5], fend[5], &e->size) ||
	    !scan_u64(field[7], fend[7], &pid))
		return bad(rd, "bad number");
	n = (size_t)(fend[6] - field[6]);
	if (n && n == c->flags_len && !memcmp(field[6], c->flags, n)) {
		e->flags = c->flags_val.flags;
		e->err = c->flags_val.err;
		e->syscall_nr = c->flags_val.syscall_nr;
	} else {
		bool keep = n < sizeof(c->flags);

		/* Parsed in place (strtok): the cache copies the spelling first. */
		if (keep)
			memcpy(c->flags, field[6], n);
		c->flags_len = 0;
		err = profile_fmt__flags_parse(rd, field[6], e);
		if (err)
			return err;
		c->flags_len = keep ? n : 0;
		c->flags_val = *e;
	}
	/* "-" is no comm; an escaped "\x2d" is the name "-". */
	n = (size_t)(fend[8] - field[8]);
	if (n != 1 || field[8][0] != '-') {
		if (memchr(field[8], '\\', n)) {
			dn = escape__text_decode(field[8]);
			if (dn < 0)
				return bad(rd, "bad escape in comm");
			n = (size_t)dn;
		}
		err = profile_fmt__comm_set(rd, e, field[8], n);
		if (err)
			return err;
	}
	/* The line holds no NUL (read_stream checked): only an escape can put one in. */
	if (memchr(field[9], '\\', (size_t)(end - field[9]))) {
		dn = escape__text_decode(field[9]);
		if (dn < 0)
			return bad(rd, "bad escape in the path");
		if (memchr(field[9], '\0', (size_t)dn))
			return bad(rd, "the path holds a NUL byte");
	}
	e->path = field[9];
	return profile_fmt__entry_check(rd, e, mode, pid);
}

/* Add the staged entries; an error names the line of the entry it concerns. */
static int commit_staged(struct profile_reader *rd, const size_t *lines, size_t nlines)
{
	size_t failed = 0;
	int err = profile__commit(rd->p, false, &failed);

	if (!err)
		return 0;
	return slz_fail(err, "%s:%zu: cannot add the entry: %s", rd->name,
			failed < nlines ? lines[failed] : rd->lineno, strerror(-err));
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

/*
 * The file comes through one buffer of READ_CHUNK bytes (more only for a longer line),
 * refilled once its whole lines are parsed: the bytes are parsed while the copy from the page
 * cache still has them in the cache. Reading the whole file into one buffer first cost a page
 * of fresh memory per 4 KiB and a second trip through memory for every byte (the copy was the
 * largest single cost of reading a 200k-entry profile). The staged entries' paths point into
 * the buffer: they are added (and their paths copied) before it moves on.
 */
#define READ_CHUNK (256u << 10)

struct chunk {
	FILE *f;
	char *buf;
	size_t cap, pos, fill; /* [pos, fill) not parsed yet; buf[fill] is a NUL */
	char *nul;	       /* the first NUL byte in [pos, fill), or NULL */
	bool eof;
};

/* Keep [pos, fill), moved to the start, and read more after it (growing for a long line). */
static int chunk_refill(struct chunk *c, const char *name)
{
	size_t keep = c->fill - c->pos, room, got;

	if (c->pos) {
		memmove(c->buf, c->buf + c->pos, keep);
		if (c->nul)
			c->nul -= c->pos;
		c->pos = 0;
		c->fill = keep;
	}
	if (keep + 1 >= c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : READ_CHUNK;
		char *nb = ncap > c->cap ? realloc(c->buf, ncap) : NULL;

		if (!nb)
			return slz_fail(ENOMEM, "out of memory reading %s", name);
		if (c->nul)
			c->nul = nb + (c->nul - c->buf);
		c->buf = nb;
		c->cap = ncap;
	}
	room = c->cap - 1 - c->fill;
	got = fread(c->buf + c->fill, 1, room, c->f);
	if (got < room) {
		if (ferror(c->f)) {
			int e = errno ? errno : EIO;

			return slz_fail(e, "cannot read %s: %s", name, strerror(e));
		}
		c->eof = true;
	}
	if (!c->nul)
		c->nul = memchr(c->buf + c->fill, '\0', got);
	c->fill += got;
	c->buf[c->fill] = '\0';
	return 0;
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

/* Staged entries added at once: 320 KiB of them, within a core's L2 cache. */
#define COMMIT_BATCH 4096

/* Room for one more line number (the staged entries' lines, for messages). */
static int note_line(size_t **lines, size_t *n, size_t *cap, size_t lineno)
{
	if (slz_grow((void **)lines, cap, *n + 1, sizeof(**lines)))
		return -ENOMEM;
	(*lines)[(*n)++] = lineno;
	return 0;
}

/* log: an append-only log (profile__read_log); a cut last line is dropped, *torn said. */
static int read_stream(FILE *f, const char *name, bool log, bool *torn, struct profile **out)
{
	struct profile_reader rd = {.name = name};
	struct text_cache cache = {0};
	struct chunk c = {.f = f};
	size_t *lines = NULL, nlines = 0, lines_cap = 0;
	bool json = false;
	int err;

	*out = NULL;
	err = profile__new(&rd.p);
	if (err)
		return slz_fail(err, "out of memory reading %s", name);
	err = chunk_refill(&c, name);
	while (!err) {
		char *pos = c.buf + c.pos, *bufend = c.buf + c.fill, *nul = c.nul;
		char *nl = memchr(pos, '\n', (size_t)(bufend - pos));
		char *line = pos, *end = nl ? nl : bufend;
		size_t len = (size_t)(end - line);

		if (!nl && !c.eof) {
			/* The buffer moves: what points into it is added first. */
			err = commit_staged(&rd, lines, nlines);
			nlines = 0;
			if (!err)
				err = chunk_refill(&c, name);
			if (err)
				break;
			continue;
		}
		if (pos == bufend)
			break;
		c.pos = nl ? (size_t)(nl + 1 - c.buf) : c.fill;
		rd.lineno++;
		if (nul && nul < end + (nl != NULL)) {
			err = bad(&rd, "line contains a NUL byte");
			break;
		}
		/* Every line the writer writes ends in a newline: one that does not was cut. */
		if (!nl && log && rd.lineno > 1) {
			/* A writer killed mid-line: what it wrote whole is the log. */
			*torn = true;
			break;
		}
		if (!nl) {
			err = slz_fail(EBADMSG,
				       "%s:%zu: the last line has no newline: the profile is "
				       "truncated; record it again",
				       name, rd.lineno);
			break;
		}
		*end = '\0';
		/* CRLF line ends (a file edited on Windows) read as LF ones. */
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		end = line + len;
		if (rd.lineno == 1 && (err = first_line(&rd, line, &json)))
			break;
		if (!len || (rd.lineno == 1 && !json))
			continue;
		if (json ? rd.lineno > 1 : line[0] != '#') {
			/* An entry: staged, added with the others (commit_staged). */
			rd.entry_lines++;
			err = note_line(&lines, &nlines, &lines_cap, rd.lineno);
			if (err) {
				err = slz_fail(ENOMEM, "out of memory reading %s", name);
				break;
			}
			err = json ? profile_fmt__json_line(&rd, line, false)
				   : text_entry_line(&rd, line, end, &cache);
			/*
			 * Added COMMIT_BATCH at a time, while the staged entries are still in
			 * the cache (all at the end re-read 16 MiB of a 200k-entry profile's
			 * entries from memory), and the line numbers stay a small array.
			 */
			if (!err && nlines == COMMIT_BATCH) {
				err = commit_staged(&rd, lines, nlines);
				nlines = 0;
			}
		} else {
			/* Whatever a header line changes, it changes after the entries above. */
			err = commit_staged(&rd, lines, nlines);
			nlines = 0;
			if (err)
				break;
			err = json ? profile_fmt__json_line(&rd, line, true)
				   : text_header_line(&rd, line);
		}
		if (err)
			break;
	}
	if (!err)
		err = commit_staged(&rd, lines, nlines);
	if (!err)
		err = check_complete(&rd);
	if (!err) {
		*out = rd.p;
		rd.p = NULL;
	}
	free(lines);
	free(c.buf);
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
