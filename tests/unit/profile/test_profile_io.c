// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The profile formats on hostile and damaged input: what each refuses (with the file and
 * line), what both accept alike, and what must round-trip (docs/profile-format.md). How the
 * reader takes its bytes (read errors, memory, logs, chunks) is test_profile_stream.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include "slz_vocab.h"
#include "profile.h"
#include "profile_io.h"
#include "profile_test.h"
#include "util.h"

#define JHDR "{\"slimzip_profile\":1}\n"
/* A JSON entry with every key; mode 33188 is 0100644. */
#define JENTRY(extra)                                                                              \
	"{\"kinds\":[\"open\"],\"dev\":\"8:1\",\"ino\":5,\"count\":1,\"mode\":33188,\"size\":0,"   \
	"\"flags\":\"-\",\"pid\":1,\"comm\":\"x\",\"path\":\"/p\"" extra "}\n"

static int read_string(const char *text, struct profile **out)
{
	return read_buf(text, strlen(text), out);
}

/* text is refused as malformed, and the message holds want. */
static void assert_refused(const char *text, const char *want)
{
	struct profile *p = NULL;

	assert_int_equal(read_string(text, &p), -EBADMSG);
	assert_null(p);
	if (!strstr(slz_errmsg(), want))
		fail_msg("message '%s' lacks '%s'", slz_errmsg(), want);
}

static struct profile *read_ok(const char *text)
{
	struct profile *p = NULL;

	if (read_string(text, &p))
		fail_msg("refused: %s", slz_errmsg());
	return p;
}

static void test_json_header_values_of_the_wrong_kind(void **state)
{
	/* Each crashed the reader: a pointer freed that was never set, or freed twice. */
	assert_refused("{\"slimzip_profile\":1,\"kernel\":5}\n", "input.profile:1: \"kernel\"");
	assert_refused("{\"slimzip_profile\":1,\"kernel\":\"a\\qb\"}\n", "input.profile:1");
	assert_refused("{\"slimzip_profile\":1,\"kernel\":\"a\\u0000b\"}\n",
		       "input.profile:1: \"kernel\": the string holds \\u0000");
	assert_refused("{\"slimzip_profile\":1,\"start\":7}\n", "\"start\"");
	assert_refused("{\"slimzip_profile\":1,\"start\":\"a\\u0000\"}\n", "NUL");
	assert_refused("{\"slimzip_profile\":1,\"lost_events\":\"5\"}\n", "\"lost_events\"");
	assert_refused("{\"slimzip_profile\":1,\"lost_events\":-5}\n", "lost-events");
	assert_refused("{\"slimzip_profile\":1,\"exit_status\":1.5}\n", "integer");
	/* The same in entries. */
	assert_refused(JHDR "{\"path\":5}\n", "input.profile:2: \"path\"");
	assert_refused(JHDR "{\"path\":\"/a\\u0000b\"}\n", "input.profile:2: \"path\"");
	assert_refused(JHDR "{\"path\":\"/a\",\"comm\":\"a\\u0000\"}\n", "\"comm\"");
	assert_refused(JHDR "{\"path\":\"/a\",\"dev\":null}\n", "\"dev\"");
	assert_refused(JHDR "{\"path\":\"/a\",\"kinds\":\"open\"}\n", "kinds");
	assert_refused(JHDR "{\"path\":\"/a\",\"kinds\":[\"open,mmap\"]}\n", "kind");
	assert_refused(JHDR "{\"path\":\"/a\",\"ino\":-1}\n", "\"ino\"");
	assert_refused(JHDR "{\"kinds\":[\"open\"]}\n", "without a path");
}

static void test_json_header_needs_its_version(void **state)
{
	assert_refused("{\"kernel\":\"6.18\"}\n", "input.profile:1: the JSON header has no");
	assert_refused("{}\n", "slimzip_profile");
	assert_refused("{\"slimzip_profile\":\"1\"}\n", "\"slimzip_profile\"");
	assert_refused("{\"slimzip_profile\":2}\n", "version 2 is not supported");
	assert_refused("{\"slimzip_profile\":1.0}\n", "integer");
}

static void test_json_object_fills_its_line(void **state)
{
	struct profile *p;

	assert_refused("{\"slimzip_profile\":1}garbage\n", "characters after the JSON object");
	assert_refused("{\"slimzip_profile\":1}{}\n", "characters after");
	assert_refused(JHDR JENTRY("") "{\"path\":\"/q\"} ,\n", "input.profile:3");
	assert_refused("{\"slimzip_profile\":1,}\n", "input.profile:1");
	assert_refused("{\"slimzip_profile\":1\n", "input.profile:1");
	/* Blanks after it are fine (the first byte tells the format: '{' comes first). */
	p = read_ok("{ \"slimzip_profile\" : 1 } \t\n");
	profile__free(p);
}

static void test_json_unknown_keys_are_skipped(void **state)
{
	struct profile *p;

	/* Keys of a later version, whatever their value, in the header and in entries. */
	p = read_ok("{\"slimzip_profile\":1,\"new\":{\"a\":[1,-2.5e3,true,null,\"s\"]},"
		    "\"kernel\":\"k\"}\n" JENTRY(",\"later\":[[]],\"also\":false"));
	assert_string_equal(profile__header(p)->kernel, "k");
	assert_int_equal(profile__count(p), 1);
	profile__free(p);
	assert_refused("{\"slimzip_profile\":1,\"new\":tru}\n", "bad JSON value");
	/* Lists end or go on, nothing else: in an array, in a skipped object, in an entry. */
	assert_refused("{\"slimzip_profile\":1,\"new\":[1 2]}\n", "expected ',' or ']'");
	assert_refused("{\"slimzip_profile\":1,\"new\":{\"a\":1;}}\n", "expected ',' or '}'");
	assert_refused(JHDR "{\"kinds\":[\"open\"] \"dev\":\"8:1\"}\n", "expected ',' or '}'");
	p = read_ok("{\"slimzip_profile\":1,\"new\":[ ],\"old\":{ }}\n");
	profile__free(p);
}

static void test_declared_files_must_all_be_there(void **state)
{
	struct profile *p;
	const char *line = "open 8:1 5 1 100644 0 - 1 x /p\n";
	char text[512];

	/* Cut at a line end: the header's count tells. */
	snprintf(text, sizeof(text), MAGIC "# files: 2\n%s", line);
	assert_refused(text, "input.profile is truncated: its header announces 2 files but it "
			     "holds only 1; record the profile again");
	assert_refused("{\"slimzip_profile\":1,\"files\":2}\n" JENTRY(""), "is truncated");
	assert_refused(MAGIC "# files: 1\n", "announces 1 files");
	/* Cut inside a line: the last line has no newline. */
	snprintf(text, sizeof(text), MAGIC "# files: 1\n%s", line);
	text[strlen(text) - 1] = '\0';
	assert_refused(text, "input.profile:3: the last line has no newline: the profile is "
			     "truncated; record it again");
	assert_refused("{\"slimzip_profile\":1}", "input.profile:1: the last line has no newline");
	/* More entries than announced: two files in one. */
	snprintf(text, sizeof(text), MAGIC "# files: 1\n%sopen 8:1 6 1 100644 0 - 1 x /q\n", line);
	assert_refused(text, "is damaged: its header announces 1 files but it holds 2");
	assert_refused(MAGIC "# files: many\n", "bad number in 'files'");
	/* Lines of one file count, though they merge into one entry. */
	snprintf(text, sizeof(text), MAGIC "# files: 2\n%sstat 8:1 5 1 100644 0 - 1 x /p\n", line);
	p = read_ok(text);
	assert_int_equal(profile__count(p), 1);
	profile__free(p);
	/* Header-only is a complete profile of nothing (prune refuses it, not the reader). */
	p = read_ok(MAGIC "# files: 0\n");
	assert_int_equal(profile__count(p), 0);
	profile__free(p);
	p = read_ok("{\"slimzip_profile\":1,\"files\":0}\n\n");
	assert_int_equal(profile__count(p), 0);
	profile__free(p);
	/* A hand-written profile without the count is read as it is. */
	snprintf(text, sizeof(text), MAGIC "%s", line);
	p = read_ok(text);
	assert_int_equal(profile__count(p), 1);
	profile__free(p);
}

/* One text entry line with fields replaced: the line a field's edge case is read from. */
static char *entry_text(const char *dev, const char *ino, const char *mode, const char *pid,
			const char *tail)
{
	static char text[512];

	snprintf(text, sizeof(text), MAGIC "open %s %s 1 %s 0 - %s x%s\n", dev, ino, mode, pid,
		 tail);
	return text;
}

/* Each field at its limits, past them, missing, and with a space too many (hand-parsed). */
static void test_text_fields_at_their_edges(void **state)
{
	const struct profile_entry *e;
	struct profile *p;

	p = read_ok(entry_text("4294967295:4294967295", "18446744073709551615", "177777",
			       "4294967295", " /p"));
	e = profile__entry(p, 0);
	assert_int_equal(major(e->dev), 4294967295u);
	assert_int_equal(minor(e->dev), 4294967295u);
	assert_true(e->ino == UINT64_MAX);
	assert_int_equal(e->mode, 0177777);
	assert_int_equal(e->first_pid, UINT32_MAX);
	profile__free(p);
	/* dev: both halves, decimal, each within 32 bits */
	assert_refused(entry_text("4294967296:1", "5", "100644", "1", " /p"), ":2: bad dev");
	assert_refused(entry_text("1:4294967296", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text(":1", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text("1:", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text("1", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text("1:2:3", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text("+1:2", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text("123456789012345678901234:1", "5", "100644", "1", " /p"),
		       "bad dev");
	/* numbers: digits only, within 64 bits; mode octal within st_mode; pid within 32 bits */
	assert_refused(entry_text("8:1", "18446744073709551616", "100644", "1", " /p"),
		       "bad number");
	assert_refused(entry_text("8:1", "-1", "100644", "1", " /p"), "bad number");
	assert_refused(entry_text("8:1", "5x", "100644", "1", " /p"), "bad number");
	assert_refused(entry_text("8:1", "5", "100648", "1", " /p"), "bad number");
	assert_refused(entry_text("8:1", "5", "200000", "1", " /p"), ":2: mode out of range");
	assert_refused(entry_text("8:1", "5", "100644", "4294967296", " /p"),
		       ":2: pid out of range");
	/* missing: a field left out, an empty field, no path */
	assert_refused(entry_text("8:1", "5", "100644", "1", ""), "expected 10 fields");
	assert_refused(entry_text("8:1", "5", "100644", "1", " "), "entry without a path");
	assert_refused(entry_text("8:1", "", "100644", "1", " /p"), "bad number");
	/* a space too many shifts every field after it; in the path it is the path's */
	assert_refused(entry_text(" 8:1", "5", "100644", "1", " /p"), "bad dev");
	assert_refused(entry_text("8:1", "5 ", "100644", "1", " /p"), "bad number");
	p = read_ok(entry_text("8:1", "5", "100644", "1", "  /p q "));
	assert_string_equal(profile__entry(p, 0)->path, " /p q ");
	profile__free(p);
}

/*
 * Entries are added a few lines after they are read (profile_io.c's batch): an entry refused
 * when it is added still names its own line, and the header's count only sizes the profile.
 */
static void test_batched_entries_keep_their_lines(void **state)
{
	char text[8192];
	size_t used;
	struct profile *p;

	used = (size_t)snprintf(text, sizeof(text), MAGIC "# files: 40\n");
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "open 8:1 %d 1 %s 0 - 1 x /f%d\n", i + 1,
					 i == 20 ? "777777" : "100644", i);
	/* line 1 the magic, 2 the count, then entry i on line i + 3 */
	assert_refused(text, "input.profile:23: mode out of range");
	text[0] = '\0';
	used = (size_t)snprintf(text, sizeof(text), MAGIC "# files: 99999999999999\n");
	snprintf(text + used, sizeof(text) - used, "open 8:1 5 1 100644 0 - 1 x /p\n");
	assert_refused(text, "header announces 99999999999999 files but it holds only 1");
	used = (size_t)snprintf(text, sizeof(text), MAGIC "# files: 35\n");
	for (int i = 0; i < 35; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "open 8:1 %d 1 100644 0 - 1 x /f%d\n", i % 17 + 1, i);
	/* 17 inodes, each under two paths (the first kept): merged across batches */
	p = read_ok(text);
	assert_int_equal(profile__count(p), 17);
	assert_string_equal(profile__find_inode(p, makedev(8, 1), 1)->path, "/f0");
	assert_int_equal(profile__find_inode(p, makedev(8, 1), 1)->count, 3);
	profile__free(p);
}

static void test_text_first_line_is_exact(void **state)
{
	struct profile *p;

	assert_refused("# slimzip profile v1x\n",
		       "input.profile:1: missing '# slimzip profile v1'");
	assert_refused("# slimzip profile v\n", "input.profile:1");
	assert_refused("# slimzip profile v 1\n", "input.profile:1");
	assert_refused("# slimzip profile v-1\n", "input.profile:1");
	assert_refused("# slimzip profile v2\n", "version 2 is not supported");
	assert_refused("# slimzip profile v99999999999999999999999\n", "not supported");
	p = read_ok(MAGIC);
	profile__free(p);
}

/* The same profile with every "\n" as "\r\n". */
static char *crlf(const char *text)
{
	char *out = malloc(strlen(text) * 2 + 1), *w = out;

	assert_non_null(out);
	for (const char *r = text; *r; r++) {
		if (*r == '\n')
			*w++ = '\r';
		*w++ = *r;
	}
	*w = '\0';
	return out;
}

static char *written(const struct profile *p, enum profile_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(profile__write_stream(p, f, fmt), 0);
	fclose(f);
	return buf;
}

static struct profile *sample(void)
{
	struct profile_entry e = {.path = "/task/a b.py",
				  .dev = makedev(8, 1),
				  .ino = 5,
				  .kinds = SLZ_KIND_OPEN,
				  .count = 2,
				  .mode = 0100644,
				  .size = 9,
				  .first_pid = 3,
				  .first_comm = "python3",
				  .syscall_nr = -1};
	struct profile *p;

	assert_int_equal(profile__new(&p), 0);
	assert_int_equal(profile__set_str(p, &profile__header(p)->kernel, "6.18"), 0);
	assert_int_equal(profile__set_str(p, &profile__header(p)->command, "python3 a.py"), 0);
	profile__header(p)->start_unix_ms = 1795000000123;
	assert_int_equal(profile__add(p, &e), 0);
	return p;
}

static void test_crlf_line_ends_read_as_lf(void **state)
{
	struct profile *p = sample();

	for (int fmt = PROFILE_FMT_TEXT; fmt <= PROFILE_FMT_JSON; fmt++) {
		char *lf = written(p, (enum profile_format)fmt), *cr = crlf(lf), *again;
		struct profile *q = read_ok(cr);

		/* Read back from CRLF, it writes the LF bytes again: nothing else changed. */
		again = written(q, (enum profile_format)fmt);
		assert_string_equal(again, lf);
		assert_string_equal(profile__entry(q, 0)->path, "/task/a b.py");
		free(again);
		free(cr);
		free(lf);
		profile__free(q);
	}
	profile__free(p);
}

/* The same entry fields are refused by both readers. */
static void test_both_formats_check_entry_fields_alike(void **state)
{
	struct profile *p;

	assert_refused(MAGIC "open 8:1 5 1 200000 0 - 1 x /p\n", "mode out of range");
	assert_refused(JHDR JENTRY(",\"mode\":65536"), "mode out of range");
	assert_refused(MAGIC "open 8:1 5 1 100644 0 - 4294967296 x /p\n", "pid out of range");
	assert_refused(JHDR JENTRY(",\"pid\":4294967296"), "pid out of range");
	assert_refused(MAGIC "open 8:1 5 1 100644 0 errno=x 1 x /p\n", "bad errno=");
	assert_refused(JHDR JENTRY(",\"flags\":\"errno=99999999999\""), "bad errno=");
	assert_refused(JHDR JENTRY(",\"flags\":\"errno=0\""), "bad errno=");
	assert_refused(MAGIC "open 8:1 5 1 100644 0 - 1 sixteen-bytes-xx /p\n", "comm longer");
	assert_refused(JHDR JENTRY(",\"comm\":\"sixteen-bytes-xx\""), "comm longer");
	assert_refused(MAGIC "open 8:1 5 1 100644 0 - 1 a\\x00b /p\n", "comm holds a NUL");
	assert_refused(MAGIC "open -1:1 5 1 100644 0 - 1 x /p\n", "bad dev");
	assert_refused(JHDR JENTRY(",\"dev\":\"8:-1\""), "bad dev");
	assert_refused(MAGIC "open 8:1 +5 1 100644 0 - 1 x /p\n", "bad number");
	assert_refused(MAGIC "open 8:1 5 1 100644 0 - 1 x /p\\x00q\n", "NUL");
	assert_refused(MAGIC "open, 8:1 5 1 100644 0 - 1 x /p\n", "unknown access kind");
	assert_refused(MAGIC "# exit-status: 1x\n", "bad number in 'exit-status'");
	assert_refused(MAGIC "# kernel: a\\x00b\n", "holds a NUL byte");
	/* The limits themselves are fine in both. */
	p = read_ok(MAGIC "open 8:1 18446744073709551615 1 177777 0 errno=4095 4294967295 "
			  "fifteen-bytes-x /p\n");
	assert_int_equal(profile__entry(p, 0)->ino, UINT64_MAX);
	assert_int_equal(profile__entry(p, 0)->first_pid, UINT32_MAX);
	assert_int_equal(profile__entry(p, 0)->mode, 0177777);
	profile__free(p);
	p = read_ok(JHDR JENTRY(",\"ino\":18446744073709551615,\"mode\":65535,\"pid\":4294967295"));
	assert_int_equal(profile__entry(p, 0)->ino, UINT64_MAX);
	assert_int_equal(profile__entry(p, 0)->first_pid, UINT32_MAX);
	profile__free(p);
}

static void test_times_before_1970_round_trip(void **state)
{
	/* The Moon landing, the last millisecond of 1969, the first of year 0001. */
	const int64_t times[] = {-14182939750, -1, -62135596800000 + 1};
	const char *text[] = {"1969-07-20T20:17:40.250Z", "1969-12-31T23:59:59.999Z",
			      "0001-01-01T00:00:00.001Z"};

	for (size_t i = 0; i < 3; i++) {
		struct profile *p = sample(), *q;

		profile__header(p)->start_unix_ms = times[i];
		profile__header(p)->end_unix_ms = times[i];
		for (int fmt = PROFILE_FMT_TEXT; fmt <= PROFILE_FMT_JSON; fmt++) {
			char *buf = written(p, (enum profile_format)fmt);

			assert_non_null(strstr(buf, text[i]));
			q = read_ok(buf);
			assert_int_equal(profile__header(q)->start_unix_ms, times[i]);
			assert_int_equal(profile__header(q)->end_unix_ms, times[i]);
			profile__free(q);
			free(buf);
		}
		profile__free(p);
	}
}

static void test_times_are_exact(void **state)
{
	struct profile *p = sample();
	char *buf;

	assert_refused(MAGIC "# start: 2026-02-30T00:00:00.000Z\n", "bad time in 'start'");
	assert_refused(MAGIC "# start: 2026-1-01T00:00:00.000Z\n", "bad time");
	assert_refused(MAGIC "# start: 2026-01-01T00:00: 0.000Z\n", "bad time");
	assert_refused(MAGIC "# end: 2026-01-01T24:00:00.000Z\n", "bad time in 'end'");
	assert_refused(MAGIC "# end: 2026-01-01T00:00:00.000\n", "bad time");
	/* Beyond four-digit years, the writer refuses rather than writes what cannot be read. */
	profile__header(p)->start_unix_ms = INT64_MAX;
	buf = NULL;
	{
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_int_equal(profile__write_stream(p, f, PROFILE_FMT_TEXT), -ERANGE);
		assert_non_null(strstr(slz_errmsg(), "start time"));
		fclose(f);
	}
	free(buf);
	profile__free(p);
}

/* "-" is the text format's none: a name that is "-" itself must survive both formats. */
static void test_dash_values_round_trip(void **state)
{
	struct profile *p =
		read_ok("{\"slimzip_profile\":1,\"kernel\":\"-\",\"hostname\":\"\"}\n" JENTRY(
			",\"comm\":\"-\""));

	for (int fmt = PROFILE_FMT_TEXT; fmt <= PROFILE_FMT_JSON; fmt++) {
		char *buf = written(p, (enum profile_format)fmt);
		struct profile *q = read_ok(buf);

		assert_string_equal(profile__header(q)->kernel, "-");
		assert_string_equal(profile__header(q)->hostname, "");
		assert_null(profile__header(q)->boot_id);
		assert_string_equal(profile__entry(q, 0)->first_comm, "-");
		profile__free(q);
		free(buf);
	}
	profile__free(p);
}

/*
 * The text reader keeps the last kinds and flags spellings it parsed: a line whose column
 * differs by one byte, or equals an earlier one but not the last, still gets its own values.
 * Read through a stream with no file behind it (no size known), more than the first 64 KiB.
 */
static void test_text_columns_each_line_its_own(void **state)
{
	static const char *const kinds[] = {"open", "open,mmap", "open", "stat", "stat"};
	static const char *const flags[] = {"via=openat", "via=openat", "errno=2,via=openat", "-",
					    "path-only"};
	static const uint32_t want_kinds[] = {SLZ_KIND_OPEN, SLZ_KIND_OPEN | SLZ_KIND_MMAP,
					      SLZ_KIND_OPEN, SLZ_KIND_STAT, SLZ_KIND_STAT};
	size_t n = 5 * 400, len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	struct profile *p;

	(void)state;
	assert_non_null(f);
	fprintf(f, MAGIC "# files: %zu\n", n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s 8:1 %zu 1 100644 0 %s 1 x /d/%0100zu\n", kinds[i % 5], i + 1,
			flags[i % 5], i);
	assert_int_equal(fclose(f), 0);
	assert_true(len > (64u << 10));
	p = read_ok(text);
	assert_int_equal(profile__count(p), n);
	for (size_t i = 0; i < n; i++) {
		char path[128];
		const struct profile_entry *e;

		/* path-only: known by its path alone, whatever its ino says. */
		snprintf(path, sizeof(path), "/d/%0100zu", i);
		e = i % 5 == 4 ? profile__find_path(p, path)
			       : profile__find_inode(p, makedev(8, 1), i + 1);
		assert_non_null(e);
		assert_string_equal(e->path, path);
		assert_int_equal(e->kinds, want_kinds[i % 5]);
		assert_int_equal(e->err, i % 5 == 2 ? 2 : 0);
		assert_int_equal(e->syscall_nr, i % 5 < 3 ? profile__syscall_nr("openat") : -1);
		assert_int_equal(e->flags, i % 5 == 4 ? SLZ_EVF_PATH_ONLY : 0);
	}
	profile__free(p);
	free(text);
}

/*
 * JSON strings are decoded in place: an escaped key, an escaped path beside plain ones, a
 * repeated key (the last wins), and a refused \u0000 all read as before.
 */
static void test_json_strings_in_place(void **state)
{
	struct profile *p;
	const struct profile_entry *e;

	(void)state;
	p = read_ok(JHDR
		    "{\"kinds\":[\"open\"],\"dev\":\"8:1\",\"ino\":5,\"count\":1,\"mode\":33188,"
		    "\"size\":0,\"flags\":\"-\",\"pid\":1,\"comm\":\"x\\ty\","
		    "\"p\\u0061th\":\"/p/\\u00e9 \\\"q\\\"\"}\n"
		    "{\"kinds\":[\"open\"],\"dev\":\"8:1\",\"ino\":6,\"path\":\"/first\","
		    "\"kinds\":[\"mmap\"],\"path\":\"/second\",\"pid\":1}\n");
	e = profile__find_inode(p, makedev(8, 1), 5);
	assert_non_null(e);
	assert_string_equal(e->path, "/p/\xc3\xa9 \"q\"");
	assert_string_equal(e->first_comm, "x\ty");
	e = profile__find_inode(p, makedev(8, 1), 6);
	assert_non_null(e);
	assert_string_equal(e->path, "/second");
	assert_int_equal(e->kinds, SLZ_KIND_OPEN | SLZ_KIND_MMAP);
	profile__free(p);
	assert_refused(JHDR
		       "{\"kinds\":[\"open\"],\"dev\":\"8:1\",\"ino\":5,\"path\":\"/a\\u0000b\"}\n",
		       "\\u0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_header_values_of_the_wrong_kind),
		cmocka_unit_test(test_json_header_needs_its_version),
		cmocka_unit_test(test_json_object_fills_its_line),
		cmocka_unit_test(test_json_unknown_keys_are_skipped),
		cmocka_unit_test(test_declared_files_must_all_be_there),
		cmocka_unit_test(test_text_first_line_is_exact),
		cmocka_unit_test(test_text_fields_at_their_edges),
		cmocka_unit_test(test_batched_entries_keep_their_lines),
		cmocka_unit_test(test_crlf_line_ends_read_as_lf),
		cmocka_unit_test(test_both_formats_check_entry_fields_alike),
		cmocka_unit_test(test_times_before_1970_round_trip),
		cmocka_unit_test(test_times_are_exact),
		cmocka_unit_test(test_dash_values_round_trip),
		cmocka_unit_test(test_text_columns_each_line_its_own),
		cmocka_unit_test(test_json_strings_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
