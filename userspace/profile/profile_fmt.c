// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The field rules both profile formats share (profile_fmt.h, docs/profile-format.md). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "slz_vocab.h"
#include "profile_fmt.h"
#include "util.h"

/* The most entries a header's files count reserves up front (profile__reserve). */
#define RESERVE_MAX (1u << 18)

/* errno values are small positive numbers (the kernel's MAX_ERRNO). */
#define ERRNO_MAX 4095

int profile_reader__bad(const struct profile_reader *rd, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return slz_fail(EBADMSG, "%s:%zu: %s (is this a slimzip profile?)", rd->name, rd->lineno,
			what);
}

#define HKEY(t, j, kind, f)                                                                        \
	{                                                                                          \
		t, j, kind, offsetof(struct profile_header, f)                                     \
	}
const struct header_key profile_fmt__header_keys[] = {
	HKEY("slimzip-version", "slimzip_version", HDR_STR, slimzip_version),
	HKEY("kernel", "kernel", HDR_STR, kernel),
	HKEY("hostname", "hostname", HDR_STR, hostname),
	HKEY("boot-id", "boot_id", HDR_STR, boot_id),
	HKEY("target-kind", "target_kind", HDR_STR, target_kind),
	HKEY("target", "target", HDR_STR, target),
	HKEY("command", "command", HDR_STR, command),
	HKEY("start", "start", HDR_TIME, start_unix_ms),
	HKEY("end", "end", HDR_TIME, end_unix_ms),
	HKEY("exit-status", "exit_status", HDR_INT, exit_status),
	HKEY("lost-events", "lost_events", HDR_U64, lost_events),
	HKEY("dedup-full", "dedup_full", HDR_U64, dedup_full),
	HKEY("truncated-paths", "truncated_paths", HDR_U64, truncated_paths),
	HKEY("daemon-restarted", "daemon_restarted", HDR_U64, daemon_restarted),
	HKEY("refused-targets", "refused_targets", HDR_U64, refused_targets),
	HKEY("merged-from", "merged_from", HDR_U64, merged_from),
	HKEY("tree-root", "tree_root", HDR_STR, tree_root),
	{"files", "files", HDR_FILES, 0},
};
const size_t profile_fmt__nheader_keys = ARRAY_SIZE(profile_fmt__header_keys);

const struct header_key *profile_fmt__header_key(const char *name, bool json)
{
	for (size_t i = 0; i < ARRAY_SIZE(profile_fmt__header_keys); i++) {
		const struct header_key *k = &profile_fmt__header_keys[i];

		if (!strcmp(name, json ? k->json : k->text))
			return k;
	}
	return NULL;
}

void *profile_fmt__header_field(const struct profile_header *h, const struct header_key *k)
{
	return (char *)h + k->off;
}

int profile_fmt__u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A decimal int, '-' allowed (exit-status is -1 when not a command). */
static int parse_int(const char *s, int *out)
{
	bool neg = *s == '-';
	uint64_t v;

	if (profile_fmt__u64(s + neg, &v) || v > (uint64_t)INT_MAX + neg)
		return -EINVAL;
	*out = neg ? (int)-(int64_t)v : (int)v;
	return 0;
}

int profile_fmt__dev_parse(const char *s, uint64_t *dev)
{
	const char *colon = strchr(s, ':');
	char maj[24];
	uint64_t a, b;

	if (!colon || (size_t)(colon - s) >= sizeof(maj))
		return -EINVAL;
	memcpy(maj, s, (size_t)(colon - s));
	maj[colon - s] = '\0';
	if (profile_fmt__u64(maj, &a) || profile_fmt__u64(colon + 1, &b) || a > UINT32_MAX ||
	    b > UINT32_MAX)
		return -EINVAL;
	*dev = (a || b) ? makedev((unsigned int)a, (unsigned int)b) : 0;
	return 0;
}

int profile_fmt__time_str(int64_t unix_ms, char *buf, size_t len)
{
	int64_t secs = unix_ms / 1000;
	int ms = (int)(unix_ms % 1000);
	struct tm tm;
	time_t t;

	/* Floor division: before 1970 the milliseconds still count up from the second. */
	if (ms < 0) {
		secs--;
		ms += 1000;
	}
	t = (time_t)secs;
	if (!unix_ms) {
		snprintf(buf, len, "-");
		return 0;
	}
	/* Four-digit years only: what the reader takes back. */
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -ERANGE;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return 0;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int profile_fmt__time_parse(const char *s, int64_t *unix_ms)
{
	/* YYYY-MM-DDTHH:MM:SS.mmmZ: the positions of the separators and of each number. */
	static const char form[] = "0000-00-00T00:00:00.000Z";
	struct tm tm = {0}, back;
	int ms;
	time_t t;

	if (!strcmp(s, "-")) {
		*unix_ms = 0;
		return 0;
	}
	if (strlen(s) != sizeof(form) - 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(form) - 1; i++) {
		if (form[i] != '0' && s[i] != form[i])
			return -EINVAL;
	}
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	ms = digits(s + 20, 3);
	if (tm.tm_year < -1900 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 ||
	    tm.tm_min < 0 || tm.tm_sec < 0 || ms < 0)
		return -EINVAL;
	back = tm;
	t = timegm(&tm);
	/* timegm normalises (Feb 30 -> Mar 2): a date that moved was not a real one. */
	if (tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon || tm.tm_mday != back.tm_mday ||
	    tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -EINVAL;
	*unix_ms = (int64_t)t * 1000 + ms;
	return 0;
}

int profile_fmt__header_set(struct profile_reader *rd, const struct header_key *k,
			    const char *value)
{
	struct profile_header *h = profile__header(rd->p);
	void *field = profile_fmt__header_field(h, k);
	uint64_t u;
	int err = 0;

	switch (k->kind) {
	case HDR_STR:
		err = profile__set_str(rd->p, field, value);
		return err ? slz_fail(err, "out of memory reading %s", rd->name) : 0;
	case HDR_TIME:
		err = profile_fmt__time_parse(value, field);
		return err ? profile_reader__bad(rd,
						 "bad time in '%s' (the form is "
						 "2026-11-24T20:16:32.272Z, UTC, or '-')",
						 k->text)
			   : 0;
	case HDR_INT:
		err = parse_int(value, field);
		break;
	case HDR_U64:
		err = profile_fmt__u64(value, field);
		break;
	case HDR_FILES:
		err = profile_fmt__u64(value, &u);
		if (!err) {
			rd->files = u;
			rd->has_files = true;
			/*
			 * Sized once instead of doubling the entries and rehashing both indexes
			 * all the way up. Only a hint: a failure, or a damaged count, is the end
			 * check's to report; a huge count reserves at most RESERVE_MAX.
			 */
			profile__reserve(rd->p, u < RESERVE_MAX ? (size_t)u : RESERVE_MAX);
		}
		break;
	}
	return err ? profile_reader__bad(rd, "bad number in '%s'", k->text) : 0;
}

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

void profile_fmt__flags_str(const struct profile_entry *e, char *buf, size_t len)
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

int profile_fmt__flags_parse(struct profile_reader *rd, char *s, struct profile_entry *e)
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
			uint64_t v;

			if (profile_fmt__u64(tok + 6, &v) || !v || v > ERRNO_MAX)
				return profile_reader__bad(rd, "bad errno= in the flags (a number "
							       "from 1 to 4095)");
			e->err = (int32_t)v;
			continue;
		}
		if (!strncmp(tok, "via=", 4)) {
			/* A syscall this build does not watch (another architecture): unknown. */
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

int profile_fmt__comm_set(struct profile_reader *rd, struct profile_entry *e, const char *s,
			  size_t len)
{
	if (len >= PROFILE_COMM_LEN)
		return profile_reader__bad(rd, "comm longer than %d bytes", PROFILE_COMM_LEN - 1);
	if (memchr(s, '\0', len))
		return profile_reader__bad(rd, "comm holds a NUL byte");
	memset(e->first_comm, 0, sizeof(e->first_comm));
	memcpy(e->first_comm, s, len);
	return 0;
}

int profile_fmt__entry_check(struct profile_reader *rd, struct profile_entry *e, uint64_t mode,
			     uint64_t pid)
{
	if (mode > 0177777)
		return profile_reader__bad(rd, "mode out of range (st_mode is at most 177777 "
					       "octal)");
	if (pid > UINT32_MAX)
		return profile_reader__bad(rd, "pid out of range (at most %" PRIu32 ")",
					   UINT32_MAX);
	if (!e->path || !e->path[0])
		return profile_reader__bad(rd, "entry without a path");
	e->mode = (uint32_t)mode;
	e->first_pid = (uint32_t)pid;
	if (!e->ino)
		e->flags |= SLZ_EVF_PATH_ONLY;
	return 0;
}

int profile_fmt__entry_add(struct profile_reader *rd, struct profile_entry *e, uint64_t mode,
			   uint64_t pid)
{
	int err = profile_fmt__entry_check(rd, e, mode, pid);

	if (err)
		return err;
	err = profile__add(rd->p, e);
	return err ? slz_fail(err, "%s:%zu: cannot add the entry: %s", rd->name, rd->lineno,
			      strerror(-err))
		   : 0;
}
