// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip diff A B: what B uses that A lacks (profiles, zips, or one of each; prune/diff.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "diff.h"
#include "humanize.h"
#include "json.h"
#include "options.h"
#include "profile.h"
#include "util.h"

/* Exit status: B needs files A does not provide (diff.h says what "needs" means). */
#define EXIT_DIFF_NEEDS 1

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip diff [--format text|json] [--tree-path-as DIR] A B\n"
		"\n"
		"Compare two profiles, two zips, or a profile and a zip: files added (in B, not\n"
		"A), removed, changed kind (profiles) or size (zips), with bytes where known.\n"
		"Exit 0 when B needs nothing A lacks, 1 when it does (a zip A must hold every\n"
		"file profile B touched in the tree, stat-only ones too; failed lookups and files\n"
		"the run created are needed by nobody), 6 when A or B cannot be read.\n"
		"\n"
		"  --format F          text (default) or json\n"
		"  --tree-path-as DIR  where the tree was when the profile was recorded: stripped\n"
		"                      from its paths to meet a zip's names (default: the\n"
		"                      profile's tree-root, else the zip's recorded "
		"--tree-path-as)\n");
}

static void kinds_text(uint32_t kinds, bool zip, char *buf, size_t len)
{
	if (zip)
		snprintf(buf, len, "entry");
	else if (profile__kinds_str(kinds, buf, len))
		snprintf(buf, len, "?");
}

static void print_items(const char *mark, const struct diff_item *v, size_t n, bool a_zip,
			bool b_zip, bool changed)
{
	char ka[128], kb[128], sz[32];

	for (size_t i = 0; i < n; i++) {
		const struct diff_item *it = &v[i];
		bool from_a = !strcmp(mark, "-");

		printf("%s ", mark);
		cli_name(stdout, it->path);
		if (changed) {
			kinds_text(it->a_kinds, a_zip, ka, sizeof(ka));
			kinds_text(it->b_kinds, b_zip, kb, sizeof(kb));
			if (a_zip && b_zip)
				printf("  %" PRIu64 " -> %" PRIu64 " bytes", it->a_size,
				       it->b_size);
			else
				printf("  %s -> %s", ka, kb);
		} else {
			kinds_text(from_a ? it->a_kinds : it->b_kinds, from_a ? a_zip : b_zip, ka,
				   sizeof(ka));
			printf("  %s", ka);
			if (from_a ? it->a_size : it->b_size)
				printf("  %s", humanize_bytes(from_a ? it->a_size : it->b_size, sz,
							      sizeof(sz)));
		}
		if (it->needed)
			fputs("  (needed)", stdout);
		else if (!changed && !from_a && !b_zip && !diff__kinds_need(it->b_kinds))
			/* Listed, yet no zip needs it: say why, or it reads like a new file. */
			fputs((it->b_kinds & SLZ_KIND_CREATE) ? "  (not needed: the run created it)"
							      : "  (not needed: a failed lookup)",
			      stdout);
		putchar('\n');
	}
}

static void print_text(const struct diff_result *r, bool a_zip, bool b_zip)
{
	char b1[32], b2[32];

	print_items("+", r->added, r->nadded, a_zip, b_zip, false);
	print_items("-", r->removed, r->nremoved, a_zip, b_zip, false);
	print_items("~", r->changed, r->nchanged, a_zip, b_zip, true);
	printf("diff: %zu added (%s), %zu removed (%s), %zu changed", r->nadded,
	       humanize_bytes(r->added_bytes, b1, sizeof(b1)), r->nremoved,
	       humanize_bytes(r->removed_bytes, b2, sizeof(b2)), r->nchanged);
	if (r->outside)
		printf(", %zu profile entries outside the tree (not compared)", r->outside);
	if (r->needed)
		printf("; B needs %zu file%s A lacks\n", r->needed, r->needed == 1 ? "" : "s");
	else
		printf("; B needs nothing A lacks\n");
}

static void json_kinds(struct json_writer *w, const char *key, uint32_t kinds, bool zip)
{
	char buf[128];

	json_writer__key(w, key);
	if (zip) {
		json_writer__null(w);
		return;
	}
	kinds_text(kinds, false, buf, sizeof(buf));
	json_writer__string(w, buf);
}

static void json_items(struct json_writer *w, const char *key, const struct diff_item *v, size_t n,
		       bool a_zip, bool b_zip, int which)
{
	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "path", v[i].path);
		if (which != 'b') {
			json_kinds(w, "a_kinds", v[i].a_kinds, a_zip);
			json_writer__uint_field(w, "a_size", v[i].a_size);
		}
		if (which != 'a') {
			json_kinds(w, "b_kinds", v[i].b_kinds, b_zip);
			json_writer__uint_field(w, "b_size", v[i].b_size);
		}
		json_writer__key(w, "needed");
		json_writer__bool(w, v[i].needed);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static int print_json(const struct diff_result *r, const char *a, const char *b, bool a_zip,
		      bool b_zip)
{
	struct json_writer *w = NULL;
	int err = json_writer__new(stdout, &w);

	if (err)
		return err;
	json_writer__begin_object(w);
	json_writer__string_field(w, "a", a);
	json_writer__string_field(w, "a_type", a_zip ? "zip" : "profile");
	json_writer__string_field(w, "b", b);
	json_writer__string_field(w, "b_type", b_zip ? "zip" : "profile");
	json_writer__string_field(w, "tree_root", r->root);
	json_items(w, "added", r->added, r->nadded, a_zip, b_zip, 'b');
	json_items(w, "removed", r->removed, r->nremoved, a_zip, b_zip, 'a');
	json_items(w, "changed", r->changed, r->nchanged, a_zip, b_zip, 0);
	json_writer__uint_field(w, "added_bytes", r->added_bytes);
	json_writer__uint_field(w, "removed_bytes", r->removed_bytes);
	json_writer__uint_field(w, "outside_tree", r->outside);
	json_writer__uint_field(w, "needed", r->needed);
	err = json_writer__end_object(w);
	json_writer__free(w);
	return err;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"tree-path-as", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const formats[] = {"text", "json", NULL};
	struct diff_side *a = NULL, *b = NULL;
	struct diff_opts o = {0};
	struct diff_result r = {0};
	struct cli_getopt g;
	int fmt = 0, c, err = 0, ret;

	if (cli_getopt__init(&g, "diff", "h", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case 'f':
			err = fmt = args__choice("--format", optarg, formats);
			break;
		case 't':
			o.root = optarg;
			if (optarg[0] != '/')
				err = slz_fail(EINVAL,
					       "--tree-path-as %s is not an absolute path (where "
					       "the tree was when the profile was recorded)",
					       optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			args__bad_option("diff", argv, optind, optopt, opts);
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
		if (err < 0) {
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_error("diff compares two files, A and B, not %d (try 'slimzip diff --help')",
			  argc - optind);
		return EXIT_USAGE;
	}
	err = diff_side__open(argv[optind], &a);
	if (!err)
		err = diff_side__open(argv[optind + 1], &b);
	if (!err)
		err = diff__run(a, b, &o, &r);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_INPUT);
		goto out;
	}
	ret = r.needed ? EXIT_DIFF_NEEDS : EXIT_OK;
	if (fmt == 1) {
		if (print_json(&r, argv[optind], argv[optind + 1], diff_side__is_zip(a),
			       diff_side__is_zip(b))) {
			cli_error("cannot write the diff to stdout");
			ret = EXIT_OUTPUT;
		}
	} else {
		print_text(&r, diff_side__is_zip(a), diff_side__is_zip(b));
	}
out:
	diff_result__release(&r);
	diff_side__free(a);
	diff_side__free(b);
	return ret;
}
