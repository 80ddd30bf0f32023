// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip batch MANIFEST: many functions recorded at once, one zip each (userspace/batch). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "batch.h"
#include "cli.h"
#include "config.h"
#include "humanize.h"
#include "sam.h"
#include "util.h"

#define DEFAULT_OUTDIR	  "slimzip-out"
#define SAM_COMMANDS_NAME "slimzip.ini" /* the commands beside a template, by default */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip batch MANIFEST [-j N] [-o OUTDIR]\n"
		"       slimzip batch template.yaml [--commands FILE] [-j N] [-o OUTDIR]\n"
		"\n"
		"Record every command of every [function NAME] section of MANIFEST, each in a\n"
		"cgroup of its own and up to N at a time, through one loaded BPF program; merge\n"
		"each function's profiles and prune its tree to its zip (output =, or\n"
		"OUTDIR/functions/NAME.zip) as slimzip prune would. Commands run with /bin/sh -c\n"
		"in the manifest's directory. A failing function is named and does not stop the\n"
		"others. Host packages are refused unless the section says strict-host = no.\n"
		"An AWS SAM template (*.yaml, *.yml) gives each function's tree "
		"(.aws-sam/build/ID\n"
		"after sam build, else CodeUri); the commands come from a manifest whose sections\n"
		"are named by logical id and may leave tree out (default: " SAM_COMMANDS_NAME
		" beside\n"
		"the template); commands then run in the template's directory.\n"
		"\n"
		"  --commands FILE   the commands of a template's functions\n"
		"  -j, --jobs N      commands at once (default: the number of CPUs)\n"
		"  -o, --outdir DIR  where zips go by default (default " DEFAULT_OUTDIR ")\n"
		"\n"
		"Exit status: 0 when every function got its zip, else the code its first failure\n"
		"would give under slimzip run (a command's own status, 3 loss, 10 host "
		"packages).\n");
}

static void on_command(const char *function, const char *command, int status, void *ctx)
{
	(void)ctx;
	if (cli.quiet)
		return;
	fprintf(stderr, "slimzip: [%s] ", function);
	cli_name(stderr, command);
	fprintf(stderr, status ? ": exit %d\n" : ": ok\n", status);
}

static int exit_for(const struct batch_function_result *f)
{
	switch (f->stage) {
	case BATCH_OK:
		return EXIT_OK;
	case BATCH_RECORD:
		return f->cmd_status ? f->cmd_status : cli_exit_for(f->err, CLI_STAGE_RECORD);
	case BATCH_PLAN:
		return cli_exit_for(f->err, CLI_STAGE_PLAN);
	case BATCH_OUTPUT:
		return cli_exit_for(f->err, CLI_STAGE_OUTPUT);
	case BATCH_STOPPED:
	default:
		return EXIT_FAILURE_GENERIC;
	}
}

static void print_result(const struct batch_result *res)
{
	char b1[32], b2[32];

	for (size_t i = 0; i < res->n; i++) {
		const struct batch_function_result *f = &res->functions[i];

		if (f->stage == BATCH_OK) {
			printf("%-20s ok      %s files -> %s", f->name,
			       humanize_count(f->after_files, b1, sizeof(b1)),
			       humanize_bytes(f->zip_bytes, b2, sizeof(b2)));
			printf(" (of %s files)  ", humanize_count(f->before_files, b1, sizeof(b1)));
			cli_name(stdout, f->zip);
			putchar('\n');
			continue;
		}
		printf("%-20s FAILED  %s", f->name, batch_stage__name(f->stage));
		if (f->failed_command) {
			fputs(" `", stdout);
			cli_name(stdout, f->failed_command);
			putchar('`');
			if (f->cmd_status)
				printf(" (exit %d)", f->cmd_status);
		}
		if (f->message) {
			fputs(": ", stdout);
			cli_name(stdout, f->message);
		}
		putchar('\n');
	}
	printf("\nslimzip batch: %zu of %zu functions zipped\n", res->n - res->failed, res->n);
}

static bool is_template(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && !strcmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(path + n - 4, ".yml"));
}

/*
 * A SAM template and the commands of its functions as one manifest; the template's functions
 * that have no commands are named (they are not recorded).
 */
static int load_sam(const char *template, const char *dir, const char *commands, struct conf **m)
{
	struct sam *s = NULL;
	char *beside = NULL;
	int err = sam__parse_file(template, &s);

	if (!err && !commands) {
		if (asprintf(&beside, "%s/" SAM_COMMANDS_NAME, dir) < 0)
			err = slz_fail(ENOMEM, "out of memory");
		commands = beside;
	}
	if (!err && access(commands, F_OK))
		err = slz_fail(ENOENT,
			       "no commands for the template's functions: write %s with a "
			       "[function LogicalId] section and command = ... per function, or "
			       "give --commands FILE",
			       commands);
	if (!err)
		err = conf__parse_file(commands, CONF_SAM_COMMANDS, m);
	if (!err)
		err = conf__apply_sam(*m, s, dir);
	for (size_t i = 0; !err && i < sam__count(s); i++) {
		const struct sam_function *f = sam__function(s, i);

		if (!conf__find_function(*m, f->logical_id))
			cli_info("note: %s has no commands in %s: not recorded%s%s", f->logical_id,
				 commands, f->skip_reason ? "; it is " : "",
				 f->skip_reason ? f->skip_reason : "");
	}
	if (err) {
		conf__free(*m);
		*m = NULL;
	}
	free(beside);
	sam__free(s);
	return err;
}

int cmd_batch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"jobs", required_argument, NULL, 'j'},
		{"outdir", required_argument, NULL, 'o'},
		{"commands", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct batch_opts bo = {
		.outdir = DEFAULT_OUTDIR, .version = SLIMZIP_VERSION, .on_command = on_command};
	struct batch_result res = {0};
	struct conf *m = NULL;
	char *dir_copy = NULL, base[PATH_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t jobs = cpus > 0 ? (uint64_t)cpus : 1;
	const char *commands = NULL;
	sigset_t old;
	int c, err, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "j:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (args__u64("--jobs", optarg, 1, 1024, &jobs)) {
				cli_error("%s", slz_errmsg());
				return EXIT_USAGE;
			}
			break;
		case 'o':
			bo.outdir = optarg;
			break;
		case 'c':
			commands = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("batch takes one manifest (got %d arguments); see slimzip batch --help",
			  argc - optind);
		return EXIT_USAGE;
	}
	dir_copy = strdup(argv[optind]);
	if (!dir_copy || !realpath(dirname(dir_copy), base)) {
		cli_error("cannot find the directory of %s", argv[optind]);
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	err = is_template(argv[optind]) ? load_sam(argv[optind], base, commands, &m)
					: conf__parse_file(argv[optind], CONF_MANIFEST, &m);
	if (err) {
		cli_error("%s", slz_errmsg());
		ret = cli_exit_for(err, CLI_STAGE_INPUT);
		goto out;
	}
	if (commands && !is_template(argv[optind])) {
		cli_error("--commands goes with a SAM template; %s is a manifest", argv[optind]);
		ret = EXIT_USAGE;
		goto out;
	}
	bo.manifest = m;
	bo.base_dir = base;
	bo.jobs = (unsigned int)jobs;
	bo.signal_fd = cli_signals_take(&old);
	if (bo.signal_fd < 0) {
		cli_error("%s", slz_errmsg());
		ret = EXIT_FAILURE_GENERIC;
		goto out;
	}
	err = batch__run(&bo, &res);
	cli_signals_release(bo.signal_fd, &old);
	if (err) {
		cli_error("%s", slz_errmsg());
		ret = cli_exit_for(err, CLI_STAGE_RECORD);
		goto out;
	}
	print_result(&res);
	if (res.signal) {
		cli_error("interrupted by signal %d: no zip was written", res.signal);
		ret = 128 + res.signal;
	}
	for (size_t i = 0; !ret && i < res.n; i++)
		ret = exit_for(&res.functions[i]);
out:
	batch_result__release(&res);
	conf__free(m);
	free(dir_copy);
	return ret;
}
