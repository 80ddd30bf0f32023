// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip: record what a workload touches, prune a deployment tree to it, verify the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "config.h"
#include "recorder.h"
#include "util.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{"record", cmd_record, "record the files a command or a cgroup touches into a profile"},
	{"report", cmd_report, "summarize a profile: files by kind, top directories"},
	{"prune", cmd_prune, "write a zip of a deployment tree holding only what a profile used"},
	{"run", cmd_run, "record a command and prune a tree to what it used, in one go"},
	{"verify", cmd_verify, "re-run a command on a pruned zip and name any missing file"},
	{"batch", cmd_batch, "record and prune many functions of a manifest at once"},
	{"diff", cmd_diff, "what profile or zip B needs that A lacks (exit 1 when anything)"},
	{"merge", cmd_merge, "the union of several profiles as one profile file"},
	{"daemon", cmd_daemon, "one recorder for many targets, served on a control socket"},
	{"ctl", cmd_ctl, "control a running daemon: add, finish, list targets, ..."},
	{"help", cmd_help, "show these commands, or the options of one ('help record')"},
	{"version", cmd_version, "print slimzip's version (as --version does)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: slimzip [-v] [-q] <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f,
		"\nRun 'slimzip help <command>' or 'slimzip <command> --help' for the options of "
		"one command.\n");
}

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t c = 0; c < ARRAY_SIZE(subcommands); c++) {
		if (!strcmp(name, subcommands[c].name))
			return &subcommands[c];
	}
	return NULL;
}

/* "unknown command 'x' (commands: record, report, ...)", the list taken from the table. */
static int unknown_command(const char *name)
{
	char list[256] = "";
	size_t len = 0;

	for (size_t c = 0; c < ARRAY_SIZE(subcommands) && len < sizeof(list); c++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", c ? ", " : "",
					subcommands[c].name);
	cli_error("unknown command '%s' (commands: %s)", name, list);
	return EXIT_USAGE;
}

static int print_version(void)
{
	printf("slimzip %s\n", SLIMZIP_VERSION);
	return EXIT_OK;
}

/* slimzip version: what --version prints, for those who type it as a command (go, docker). */
static int cmd_version(int argc, char **argv)
{
	if (argc > 1) {
		cli_error("version takes no arguments, not '%s'", argv[1]);
		return EXIT_USAGE;
	}
	return print_version();
}

/* slimzip help [COMMAND]: the main usage, or COMMAND --help. */
static int cmd_help(int argc, char **argv)
{
	const struct subcommand *sub;
	char help_opt[] = "--help";
	char *sub_argv[3];

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2) {
		cli_error("help takes one command, not '%s'", argv[2]);
		return EXIT_USAGE;
	}
	sub = find_subcommand(argv[1]);
	if (!sub)
		return unknown_command(argv[1]);
	sub_argv[0] = argv[1];
	sub_argv[1] = help_opt;
	sub_argv[2] = NULL;
	return sub->run(2, sub_argv);
}

/* The environment's knobs a command would read later, checked before any command runs. */
static bool env_is_bad(void)
{
	if (!recorder_hook__from_env(getenv(RECORDER_HOOK_ENV), &cli.record_hook))
		return false;
	cli_error("%s", slz_errmsg());
	return true;
}

int main(int argc, char **argv)
{
	const struct subcommand *sub;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli.verbose++;
		} else if (!strcmp(a, "-vv")) {
			cli.verbose += 2;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli.quiet = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			return print_version();
		} else {
			cli_error("unknown option '%s' (try 'slimzip --help')", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}

	libbpf_set_print(cli_libbpf_print);
	if (env_is_bad())
		return EXIT_USAGE;

	sub = find_subcommand(argv[i]);
	if (!sub)
		return unknown_command(argv[i]);
	return sub->run(argc - i, argv + i);
}
