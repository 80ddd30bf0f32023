// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Profile reader (text and JSON Lines, detected from the first byte). Oracle: whatever parses
 * must write back in both formats and re-read to the same set (header and every entry field),
 * so the writer never produces what the reader rejects or reads differently.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_io.h"

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_same(const struct profile *a, const struct profile *b)
{
	const struct profile_header *ha = profile__header_const(a), *hb = profile__header_const(b);

	if (profile__count(a) != profile__count(b) || !str_eq(ha->kernel, hb->kernel) ||
	    !str_eq(ha->slimzip_version, hb->slimzip_version) ||
	    !str_eq(ha->hostname, hb->hostname) || !str_eq(ha->boot_id, hb->boot_id) ||
	    !str_eq(ha->target_kind, hb->target_kind) || !str_eq(ha->command, hb->command) ||
	    !str_eq(ha->target, hb->target) || ha->start_unix_ms != hb->start_unix_ms ||
	    ha->end_unix_ms != hb->end_unix_ms || ha->lost_events != hb->lost_events ||
	    ha->dedup_full != hb->dedup_full || ha->truncated_paths != hb->truncated_paths ||
	    ha->merged_from != hb->merged_from || ha->exit_status != hb->exit_status)
		abort();
	for (size_t i = 0; i < profile__count(a); i++) {
		const struct profile_entry *x = profile__entry(a, i), *y = profile__entry(b, i);

		if (strcmp(x->path, y->path) || x->dev != y->dev || x->ino != y->ino ||
		    x->size != y->size || x->count != y->count || x->kinds != y->kinds ||
		    x->flags != y->flags || x->mode != y->mode || x->first_pid != y->first_pid ||
		    x->err != y->err || x->syscall_nr != y->syscall_nr ||
		    strncmp(x->first_comm, y->first_comm, sizeof(x->first_comm)))
			abort();
	}
}

static void round_trip(const struct profile *p, enum profile_format fmt)
{
	struct profile *q = NULL;
	char *buf = NULL, *again = NULL;
	size_t len = 0, again_len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (profile__write_stream(p, f, fmt)) {
		fclose(f);
		free(buf);
		return; /* out of memory in the writer: not a finding */
	}
	fclose(f);
	f = fmemopen(buf, len, "r");
	if (!f || profile__read_stream(f, "round-trip", &q))
		abort(); /* written, but not readable again */
	fclose(f);
	check_same(p, q);
	/* What was read back writes the same bytes: the format is canonical. */
	f = open_memstream(&again, &again_len);
	if (f && !profile__write_stream(q, f, fmt)) {
		fclose(f);
		if (again_len != len || memcmp(again, buf, len))
			abort();
	} else if (f) {
		fclose(f);
	}
	free(again);
	profile__free(q);
	free(buf);
}

/*
 * The same bytes as an append-only log (the daemon's journal): it differs from a profile
 * only in a cut last line, which it drops. Whatever the plain reader takes, the log reader
 * takes untorn; whatever it tears, the plain reader refuses; what it reads round-trips.
 */
static void as_log(const uint8_t *data, size_t size, bool plain_ok)
{
	struct profile *q = NULL;
	bool torn = false;
	FILE *f = fmemopen((void *)data, size, "r");
	int err;

	if (!f)
		return;
	err = profile__read_log_stream(f, "fuzz-log", &q, &torn);
	fclose(f);
	if (plain_ok != (!err && !torn))
		abort();
	if (!err && torn && !profile__sort(q))
		round_trip(q, PROFILE_FMT_TEXT);
	profile__free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	bool plain_ok;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	plain_ok = !profile__read_stream(f, "fuzz", &p);
	if (plain_ok) {
		/* Sorted as the writer sorts, so entry i of both sides is the same file. */
		if (!profile__sort(p)) {
			round_trip(p, PROFILE_FMT_TEXT);
			round_trip(p, PROFILE_FMT_JSON);
		}
	}
	profile__free(p);
	fclose(f);
	as_log(data, size, plain_ok);
	return 0;
}
