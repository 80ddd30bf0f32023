// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "json_out.h"
#include "record_print.h"

void record_print__verbose(const struct record_summary *s)
{
	if (!cli.quiet && cli.verbose)
		cli_warn("recorded %zu files to %s", profile__count(s->profile), s->path);
}

static int summary_json(struct json_writer *w, const void *ctx)
{
	const struct record_summary *s = ctx;
	const struct profile_header *h = profile__header_const(s->profile);
	bool process;

	json_writer__begin_object(w);
	json_writer__string_field(w, "command", "record");
	json_writer__string_field(w, "version", SLIMZIP_VERSION);
	json_writer__key(w, "profile");
	json_writer__begin_object(w);
	json_writer__string_field(w, "path", s->path);
	json_writer__string_field(w, "format", s->format);
	json_writer__uint_field(w, "entries", profile__count(s->profile));
	json_writer__end_object(w);
	json_writer__key(w, "target");
	json_writer__begin_object(w);
	json_writer__string_field(w, "kind", h->target_kind);
	json_writer__string_field(w, "command", h->command);
	/* A process tree's target is no cgroup: the header's words for it go under its own key. */
	process = h->target_kind && !strcmp(h->target_kind, "process");
	json_writer__string_field(w, "cgroup", process ? NULL : h->target);
	json_writer__string_field(w, "process", process ? h->target : NULL);
	json_writer__string_field(w, "tree_root", h->tree_root);
	json_writer__key(w, "daemon");
	json_writer__bool(w, s->daemon);
	json_writer__end_object(w);
	/* The command's own status (null for a cgroup), apart from slimzip's exit code. */
	json_writer__key(w, "exit_status");
	if (h->exit_status < 0)
		json_writer__null(w);
	else
		json_writer__int(w, h->exit_status);
	json_writer__int_field(w, "exit_code", s->exit_code);
	json_writer__int_field(w, "start_unix_ms", h->start_unix_ms);
	json_writer__int_field(w, "end_unix_ms", h->end_unix_ms);
	json_writer__int_field(w, "duration_ms", h->end_unix_ms - h->start_unix_ms);
	json_writer__key(w, "loss");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "lost_events", h->lost_events);
	json_writer__uint_field(w, "truncated_paths", h->truncated_paths);
	json_writer__uint_field(w, "daemon_restarted", h->daemon_restarted);
	json_writer__end_object(w);
	/* Not loss: no file is missing, only access counts (record warns and exits 0). */
	json_writer__uint_field(w, "dedup_full", h->dedup_full);
	json_writer__uint_field(w, "refused_targets", h->refused_targets);
	return json_writer__end_object(w);
}

int record_print__json(const struct record_summary *s, const char *path)
{
	return json_out__write(path, summary_json, s);
}
