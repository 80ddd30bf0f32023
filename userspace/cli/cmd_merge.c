// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip merge -o OUT PROFILE...: the union of profiles as one profile file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "options.h"
#include "profile_io.h"
#include "profiles.h"
#include "util.h"

#define MAX_MAPS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip merge -o OUT [--format text|json] [--map FROM=TO]... PROFILE...\n"
		"\n"
		"Write the union of the profiles as one profile: every file any of them touched,\n"
		"kinds joined, access counts and loss counters summed. Profiles whose tree roots\n"
		"(the tree-root header) differ are refused unless --map rewrites one onto the "
		"other.\n"
		"\n"
		"  -o, --output OUT   the merged profile (written atomically; '-': stdout)\n"
		"  --format F         text (default) or json\n"
		"  --map FROM=TO      rewrite paths at or below FROM to lie below TO (repeatable;\n"
		"                     the first that matches applies), e.g. "
		"/home/ci/build=/var/task\n");
}

/* "FROM=TO" into a map pointing into arg (the '=' becomes a NUL). */
static int parse_map(char *arg, struct profile_map *m)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1] || arg[0] != '/' || eq[1] != '/')
		return slz_fail(EINVAL,
				"--map '%s' is not FROM=TO with two absolute paths (e.g. "
				"--map /home/ci/build=/var/task)",
				arg);
	*eq = '\0';
	m->from = arg;
	m->to = eq + 1;
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{"map", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const formats[] = {"text", "json", NULL};
	struct profile_map maps[MAX_MAPS];
	struct profile *p = NULL;
	const char *output = NULL;
	size_t nmaps = 0;
	static const int repeatable[] = {'m', 0};
	struct cli_getopt g;
	int fmt = 0, c, err = 0, ret = EXIT_OK;

	if (cli_getopt__init(&g, "merge", "ho:", opts, repeatable))
		return EXIT_FAILURE_GENERIC;
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case 'o':
			output = optarg;
			break;
		case 'f':
			err = fmt = args__choice("--format", optarg, formats);
			break;
		case 'm':
			if (nmaps == MAX_MAPS)
				err = slz_fail(EINVAL, "at most %d --map options", MAX_MAPS);
			else
				err = parse_map(optarg, &maps[nmaps++]);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			args__bad_option("merge", argv, optind, optopt, opts);
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
		if (err < 0) {
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
	}
	if (!output) {
		cli_error("merge needs -o OUT, the merged profile (try 'slimzip merge --help')");
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		cli_error("merge needs a PROFILE to merge (try 'slimzip merge --help')");
		return EXIT_USAGE;
	}
	/* Before any work: an output that cannot be written fails first (and leaves nothing). */
	if (strcmp(output, "-") && atomic_file__check_writable(output)) {
		cli_error("merge: output %s is not writable: %s", output, slz_errmsg());
		return EXIT_OUTPUT;
	}
	err = profiles__load_mapped((const char *const *)argv + optind, (size_t)(argc - optind),
				    maps, nmaps, &p);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		return cli_exit_for(err, CLI_STAGE_INPUT);
	}
	err = profile__write(p, output, fmt == 1 ? PROFILE_FMT_JSON : PROFILE_FMT_TEXT);
	if (err) {
		cli_error("cannot write %s: %s", output,
			  *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_OUTPUT);
	}
	profile__free(p);
	return ret;
}
