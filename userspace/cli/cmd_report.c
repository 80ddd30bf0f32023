// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip report PROFILE...: what a profile holds, at a glance. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "humanize.h"
#include "json.h"
#include "options.h"
#include "profiles.h"
#include "profile_summary.h"
#include "util.h"

static const char *const kind_labels[] = {
	"opened",   "mmapped", "executed", "interpreter", "stat",      "access",
	"readlink", "missing", "written",  "created",	  "truncated",
};
_Static_assert(ARRAY_SIZE(kind_labels) == SUMMARY_KINDS, "a label for every kind of access");

static void usage(FILE *f)
{
	fprintf(f, "usage: slimzip report [--top N] [--depth N] [--format text|json] PROFILE...\n"
		   "\n"
		   "Summarize one profile, or the union of several: files by kind of access,\n"
		   "loss counters, and the directories with the most files and bytes.\n"
		   "\n"
		   "  --top N         directories to list (default 10)\n"
		   "  --depth N       group by the first N path components (default: parent dir)\n"
		   "  --format F      text (default) or json\n");
}

static void print_dirs(const struct profile_summary *s, size_t top, const char *title)
{
	char b1[32], b2[32];

	printf("\ntop directories by %s:\n  %10s %10s  %s\n", title, "files", "bytes", "directory");
	for (size_t i = 0; i < s->ndirs && i < top; i++) {
		printf("  %10s %10s  ", humanize_count(s->dirs[i].files, b1, sizeof(b1)),
		       humanize_bytes(s->dirs[i].bytes, b2, sizeof(b2)));
		cli_name(stdout, s->dirs[i].path);
		putchar('\n');
	}
}

static void print_text(const struct profile *p, struct profile_summary *s, size_t top)
{
	const struct profile_header *h = profile__header_const(p);
	char b1[32], b2[32];

	/* A merged header keeps the first profile's strings: naming only its command would lie. */
	if (h->merged_from > 1)
		printf("target:   %" PRIu64 " profiles merged\n", h->merged_from);
	else {
		/* Header strings come from the profile file: escaped like names. */
		fputs("target:   ", stdout);
		cli_name(stdout, h->target_kind ? h->target_kind : "-");
		putchar(' ');
		cli_name(stdout, h->command ? h->command : (h->target ? h->target : "-"));
		putchar('\n');
	}
	/* A merged header keeps the first profile's times and status: they describe no union. */
	if (h->start_unix_ms && h->end_unix_ms && h->merged_from <= 1) {
		printf("duration: %.1f s, exit status %d, kernel ",
		       (double)(h->end_unix_ms - h->start_unix_ms) / 1000, h->exit_status);
		cli_name(stdout, h->kernel ? h->kernel : "-");
		putchar('\n');
	}
	printf("files:    %s (%s), %" PRIu64 " directories, %" PRIu64 " failed lookups\n",
	       humanize_count(s->files, b1, sizeof(b1)), humanize_bytes(s->bytes, b2, sizeof(b2)),
	       s->directories, s->missing);
	printf("\nby kind of access (a file can have several):\n");
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		if (s->by_kind[k])
			printf("  %-12s %10s\n", kind_labels[k],
			       humanize_count(s->by_kind[k], b1, sizeof(b1)));
	}
	printf("  %-12s %10s  (the folk atime method misses these)\n", "stat-only",
	       humanize_count(s->stat_only, b1, sizeof(b1)));
	if (profile__has_warnings(p))
		printf("\nWARNING: %" PRIu64 " events lost, %" PRIu64 " dedup overflows, %" PRIu64
		       " truncated paths: the profile may be incomplete\n",
		       h->lost_events, h->dedup_full, h->truncated_paths);
	else
		printf("\nloss:     none (0 events lost, 0 truncated paths)\n");
	print_dirs(s, top, "files");
	profile_summary__sort_by_bytes(s);
	print_dirs(s, top, "bytes");
}

static void json_dirs(struct json_writer *w, const char *key, const struct profile_summary *s,
		      size_t top)
{
	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 0; i < s->ndirs && i < top; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "path", s->dirs[i].path);
		json_writer__uint_field(w, "files", s->dirs[i].files);
		json_writer__uint_field(w, "bytes", s->dirs[i].bytes);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static int print_json(const struct profile *p, struct profile_summary *s, size_t top)
{
	const struct profile_header *h = profile__header_const(p);
	struct json_writer *w = NULL;
	int err = json_writer__new(stdout, &w);

	if (err)
		return err;
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", s->files);
	json_writer__uint_field(w, "bytes", s->bytes);
	json_writer__uint_field(w, "directories", s->directories);
	json_writer__uint_field(w, "missing", s->missing);
	json_writer__uint_field(w, "stat_only", s->stat_only);
	json_writer__key(w, "by_kind");
	json_writer__begin_object(w);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		json_writer__uint_field(w, kind_labels[k], s->by_kind[k]);
	json_writer__end_object(w);
	json_writer__uint_field(w, "lost_events", h->lost_events);
	json_writer__uint_field(w, "dedup_full", h->dedup_full);
	json_writer__uint_field(w, "truncated_paths", h->truncated_paths);
	json_dirs(w, "top_by_files", s, top);
	profile_summary__sort_by_bytes(s);
	json_dirs(w, "top_by_bytes", s, top);
	err = json_writer__end_object(w);
	json_writer__free(w);
	return err;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"top", required_argument, NULL, 't'},
		{"depth", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const formats[] = {"text", "json", NULL};
	struct profile_summary s = {0};
	struct profile *p = NULL;
	uint64_t top = 10, depth = 0;
	struct cli_getopt g;
	int fmt = 0, c, err, ret = EXIT_OK;

	if (cli_getopt__init(&g, "report", "h", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case 't':
			err = args__u64("--top", optarg, 1, 1000000, &top);
			break;
		case 'd':
			err = args__u64("--depth", optarg, 0, 4096, &depth);
			break;
		case 'f':
			err = fmt = args__choice("--format", optarg, formats);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			args__bad_option("report", argv, optind, optopt, opts);
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
		if (err < 0) {
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("report needs a PROFILE (try 'slimzip report --help')");
		return EXIT_USAGE;
	}
	err = profiles__load((const char *const *)argv + optind, (size_t)(argc - optind), &p);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_INPUT);
		goto out;
	}
	err = profile_summary__compute(p, (unsigned int)depth, &s);
	if (err) {
		cli_error("cannot summarize: %s", strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_INPUT); /* only out of memory: 1 */
		goto out;
	}
	if (fmt == 1 && print_json(p, &s, top)) {
		cli_error("cannot write the report to stdout");
		ret = EXIT_OUTPUT;
	} else if (fmt != 1) {
		print_text(p, &s, top);
	}
out:
	profile_summary__free(&s);
	profile__free(p);
	return ret;
}
