// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip report PROFILE...: what a profile holds, at a glance. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "host.h"
#include "humanize.h"
#include "json.h"
#include "options.h"
#include "profiles.h"
#include "profile_summary.h"
#include "report.h"
#include "resolve.h"
#include "util.h"

static const char *const kind_labels[] = {
	"opened",   "mmapped", "executed", "interpreter", "stat",      "access",
	"readlink", "missing", "written",  "created",	  "truncated",
};
_Static_assert(ARRAY_SIZE(kind_labels) == SUMMARY_KINDS, "a label for every kind of access");

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip report [--top N] [--depth N] [--format text|json] [--tree DIR]\n"
		"                      PROFILE...\n"
		"       slimzip report --html OUT.html [--tree DIR] PROFILE|REPORT...\n"
		"\n"
		"Summarize one profile, or the union of several: files by kind of access,\n"
		"loss counters, and the directories with the most files and bytes. With\n"
		"--html, write one self-contained page (a treemap of the bytes, kept and\n"
		"dropped, package totals, Lambda's limits, verify's missing files) of\n"
		"profiles, or of a prune --report and/or a verify --report.\n"
		"\n"
		"  --top N             directories to list (default 10)\n"
		"  --depth N           group by the first N path components (default: parent dir)\n"
		"  --format F          text (default) or json\n"
		"  --html OUT          the HTML page to OUT ('-': stdout)\n"
		"  --tree DIR          only what lies in the tree DIR (matched as prune does);\n"
		"                      with --html, the tree's files used and not used\n"
		"  --tree-path-as PATH DIR was at PATH when recorded (default: the profile's\n"
		"                      tree root)\n");
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

/* report --tree: an entry counts when prune would match it to the tree (or it is below it). */
struct in_tree {
	const struct tree *t;
	struct resolve_opts o;
};

static bool entry_in_tree(const struct profile_entry *e, void *ctx)
{
	const struct in_tree *it = ctx;
	bool by_inode;
	int64_t idx = resolve__entry(it->t, e, &it->o, &by_inode);

	/* -ENOENT: below the tree, no such entry (a failed lookup of a file the tree lacks). */
	return idx >= 0 || idx == -ENOENT;
}

struct report_cli {
	uint64_t top, depth;
	int fmt;
	const char *html, *tree_dir, *tree_path_as;
	const char **profiles, **reports;
	enum report_input *report_kinds;
	size_t nprofiles, nreports;
};

static int open_tree(const struct report_cli *rc, const struct profile *p, struct tree **t)
{
	const char *root = p ? profile__header_const(p)->tree_root : NULL;
	TREE_OPTS(o, .recorded_at = rc->tree_path_as ? rc->tree_path_as : root);
	int err = tree__open(rc->tree_dir, &o, t);

	if (err) {
		cli_error("cannot read the tree %s: %s", rc->tree_dir,
			  *slz_errmsg() ? slz_errmsg() : strerror(-err));
		return cli_exit_for(err, CLI_STAGE_INPUT);
	}
	return EXIT_OK;
}

static int write_html(const struct report_cli *rc, const struct profile *p)
{
	struct report_model *m = NULL;
	struct tree *t = NULL;
	int err, ret = EXIT_OK;

	if (report_model__new(&m)) {
		cli_error("out of memory");
		return EXIT_FAILURE_GENERIC;
	}
	if (p && rc->tree_dir && (ret = open_tree(rc, p, &t)))
		goto out;
	err = p ? report_model__add_profile(m, p, t) : 0;
	for (size_t i = 0; !err && i < rc->nreports; i++)
		err = report_model__add_report(m, rc->reports[i], rc->report_kinds[i]);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = err == -EEXIST ? EXIT_USAGE : cli_exit_for(err, CLI_STAGE_INPUT);
		goto out;
	}
	err = report_html__write(m, rc->html);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_OUTPUT);
	}
out:
	tree__free(t);
	report_model__free(m);
	return ret;
}

static int summarize(const struct report_cli *rc, const struct profile *p)
{
	struct profile_summary s = {0};
	struct tree *t = NULL;
	struct in_tree it = {0};
	int err, ret;

	if (rc->tree_dir && (ret = open_tree(rc, p, &t)))
		return ret;
	if (t) {
		const char *b = profile__header_const(p)->boot_id;
		char now[64];

		it.t = t;
		it.o.match_inodes = b && !host__boot_id(now, sizeof(now)) && !strcmp(b, now);
	}
	err = profile_summary__compute_filtered(p, (unsigned int)rc->depth,
						t ? entry_in_tree : NULL, &it, &s);
	slz_errclear();
	ret = EXIT_OK;
	if (err) {
		cli_error("cannot summarize: %s", strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_INPUT); /* only out of memory: 1 */
	} else if (rc->fmt == 1 && print_json(p, &s, rc->top)) {
		cli_error("cannot write the report to stdout");
		ret = EXIT_OUTPUT;
	} else if (rc->fmt != 1) {
		print_text(p, &s, rc->top);
	}
	profile_summary__free(&s);
	tree__free(t);
	return ret;
}

/* Sort the operands: profiles for profiles__load, reports (--html only) by their kind. */
static int classify(struct report_cli *rc, int n, char **paths)
{
	rc->profiles = calloc((size_t)n, sizeof(*rc->profiles));
	rc->reports = calloc((size_t)n, sizeof(*rc->reports));
	rc->report_kinds = calloc((size_t)n, sizeof(*rc->report_kinds));
	if (!rc->profiles || !rc->reports || !rc->report_kinds) {
		cli_error("out of memory");
		return EXIT_FAILURE_GENERIC;
	}
	for (int i = 0; i < n; i++) {
		enum report_input kind;
		int err = report_input__detect(paths[i], &kind);

		if (err) {
			cli_error("%s", slz_errmsg());
			return cli_exit_for(err, CLI_STAGE_INPUT);
		}
		if (kind == REPORT_INPUT_PROFILE) {
			rc->profiles[rc->nprofiles++] = paths[i];
			continue;
		}
		if (!rc->html) {
			cli_error("%s is a %s report, which report reads with --html only (try "
				  "'slimzip report --html OUT.html %s')",
				  paths[i], kind == REPORT_INPUT_PRUNE ? "prune" : "verify",
				  paths[i]);
			return EXIT_USAGE;
		}
		rc->reports[rc->nreports] = paths[i];
		rc->report_kinds[rc->nreports++] = kind;
	}
	if (rc->nprofiles && rc->nreports && rc->report_kinds[0] == REPORT_INPUT_PRUNE) {
		cli_error("give profiles or a prune report, not both: the report holds what "
			  "its profile said");
		return EXIT_USAGE;
	}
	if (rc->tree_dir && !rc->nprofiles) {
		cli_error("--tree restricts a profile: give one (a report holds its tree already)");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	enum { OPT_HTML = 256, OPT_TREE, OPT_TREE_PATH_AS };
	static const struct option opts[] = {
		{"top", required_argument, NULL, 't'},
		{"depth", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"html", required_argument, NULL, OPT_HTML},
		{"tree", required_argument, NULL, OPT_TREE},
		{"tree-path-as", required_argument, NULL, OPT_TREE_PATH_AS},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const formats[] = {"text", "json", NULL};
	struct report_cli rc = {.top = 10};
	struct profile *p = NULL;
	struct cli_getopt g;
	int c, err, ret = EXIT_OK;

	if (cli_getopt__init(&g, "report", "h", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		err = 0;
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case 't':
			err = args__u64("--top", optarg, 1, 1000000, &rc.top);
			break;
		case 'd':
			err = args__u64("--depth", optarg, 0, 4096, &rc.depth);
			break;
		case 'f':
			err = rc.fmt = args__choice("--format", optarg, formats);
			break;
		case OPT_HTML:
			rc.html = optarg;
			break;
		case OPT_TREE:
			rc.tree_dir = optarg;
			break;
		case OPT_TREE_PATH_AS:
			if (optarg[0] != '/') {
				cli_error("--tree-path-as needs an absolute path, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			rc.tree_path_as = optarg;
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
		cli_error("report needs a PROFILE%s (try 'slimzip report --help')",
			  rc.html ? " or REPORT" : "");
		return EXIT_USAGE;
	}
	if (rc.html && rc.fmt) {
		cli_error("--html and --format are two outputs: give one");
		return EXIT_USAGE;
	}
	if (rc.tree_path_as && !rc.tree_dir) {
		cli_error("--tree-path-as says where --tree DIR was recorded: give --tree too");
		return EXIT_USAGE;
	}
	/* An output that cannot be written is refused before any input is read. */
	if (rc.html && strcmp(rc.html, "-") && atomic_file__check_writable(rc.html)) {
		cli_error("%s", slz_errmsg());
		return EXIT_OUTPUT;
	}
	ret = classify(&rc, argc - optind, argv + optind);
	if (ret)
		goto out;
	if (rc.nprofiles) {
		err = profiles__load(rc.profiles, rc.nprofiles, &p);
		if (err) {
			cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
			ret = cli_exit_for(err, CLI_STAGE_INPUT);
			goto out;
		}
	}
	ret = rc.html ? write_html(&rc, p) : summarize(&rc, p);
out:
	free(rc.profiles);
	free(rc.reports);
	free(rc.report_kinds);
	profile__free(p);
	return ret;
}
