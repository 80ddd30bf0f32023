/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to profile/: what the text and the JSON Lines formats share, so the two cannot
 * drift apart: the header keys (one table for both formats and both directions), the codecs
 * of times, devices, numbers and flags, and one check of every entry field. Each rule here is
 * stated in docs/profile-format.md.
 */
#ifndef SLIMZIP_PROFILE_FMT_H
#define SLIMZIP_PROFILE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* One profile being read: where we are, and what the header announced. */
struct profile_reader {
	const char *name; /* the file, for messages */
	size_t lineno;
	struct profile *p;
	uint64_t entry_lines; /* entry lines read so far */
	uint64_t files;	      /* the header's files count, when has_files */
	bool has_files;
	bool json_version; /* the JSON header named its "slimzip_profile" version */
};

/* "NAME:LINE: what (is this a slimzip profile?)" as -EBADMSG. */
int profile_reader__bad(const struct profile_reader *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum header_kind {
	HDR_STR,   /* a string; "-" in text (null in JSON) for none */
	HDR_TIME,  /* int64_t unix ms, written as UTC text; "-" for unknown (0) */
	HDR_INT,   /* int */
	HDR_U64,   /* uint64_t */
	HDR_FILES, /* the entry count: written from the profile, checked by the reader */
};

struct header_key {
	const char *text; /* "boot-id" */
	const char *json; /* "boot_id" */
	enum header_kind kind;
	size_t off; /* of the field in struct profile_header (not for HDR_FILES) */
};

/* Every header key, in the order both writers write them. */
extern const struct header_key profile_fmt__header_keys[];
extern const size_t profile_fmt__nheader_keys;

/* The key named name (text or JSON spelling), or NULL for a key of another version. */
const struct header_key *profile_fmt__header_key(const char *name, bool json);
/* The field a key stands for (HDR_STR: char *, HDR_TIME: int64_t, ...). */
void *profile_fmt__header_field(const struct profile_header *h, const struct header_key *k);
/*
 * Set a header field from its value as text: a decoded string (NULL for none) for HDR_STR, the
 * UTC time or "-" for HDR_TIME, a decimal number for the others. 0 or -errno (with a message).
 */
int profile_fmt__header_set(struct profile_reader *rd, const struct header_key *k,
			    const char *value);

/* "2026-11-24T20:16:32.272Z" ("-" for 0, the unknown time); -ERANGE outside years 0-9999. */
int profile_fmt__time_str(int64_t unix_ms, char *buf, size_t len);
/* Exactly that form, a real date and time; "-" gives 0. 0 or -EINVAL. */
int profile_fmt__time_parse(const char *s, int64_t *unix_ms);

/* Decimal digits only (no sign, no space), within uint64_t. 0 or -EINVAL. */
int profile_fmt__u64(const char *s, uint64_t *out);
/* "MAJOR:MINOR", each decimal within 32 bits, into the userspace st_dev. 0 or -EINVAL. */
int profile_fmt__dev_parse(const char *s, uint64_t *dev);

/* The flags column: names, errno=N, via=SYSCALL ("-" for none). */
void profile_fmt__flags_str(const struct profile_entry *e, char *buf, size_t len);
/* Parse it in place into e->flags, e->err, e->syscall_nr; a bad errno= is refused. */
int profile_fmt__flags_parse(struct profile_reader *rd, char *s, struct profile_entry *e);
/* The first process's command name: at most PROFILE_COMM_LEN - 1 bytes, no NUL. */
int profile_fmt__comm_set(struct profile_reader *rd, struct profile_entry *e, const char *s,
			  size_t len);
/*
 * The checks of an entry both readers filled (mode and pid come as read, wider than their
 * fields): st_mode within 16 bits, a pid within 32 bits, a non-empty path; ino 0 makes it
 * path-only. Then the entry is added to rd->p. 0 or -errno (with a message).
 */
int profile_fmt__entry_add(struct profile_reader *rd, struct profile_entry *e, uint64_t mode,
			   uint64_t pid);
/* Those checks alone (the text reader stages its entries and adds them in bulk). */
int profile_fmt__entry_check(struct profile_reader *rd, struct profile_entry *e, uint64_t mode,
			     uint64_t pid);

/*
 * One JSON Lines line (the header when first), parsed in place: an entry is staged in rd->p
 * (profile__stage), its path pointing into line, which must stay until the entry is committed
 * (profile__commit copies it). profile_json.c.
 */
int profile_fmt__json_line(struct profile_reader *rd, char *line, bool first);

#endif
