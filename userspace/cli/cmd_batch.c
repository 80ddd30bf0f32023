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
#include "batch_json.h"
#include "cli.h"
#include "progress_print.h"
#include "client.h"
#include "config.h"
#include "humanize.h"
#include "options.h"
#include "sam.h"
#include "util.h"

#define DEFAULT_OUTDIR	  "slimzip-out"
#define SAM_COMMANDS_NAME "slimzip.ini" /* the commands beside a template, by default */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip batch MANIFEST [-j N] [-o OUTDIR] [--layer [--layer-min-users K]\n"
		"                     [--max-unzipped BYTES]] [--verify] [--json FILE]\n"
		"                     [--socket PATH | --no-daemon]\n"
		"       slimzip batch template.yaml [--commands FILE] [-j N] [-o OUTDIR] "
		"[--layer]\n"
		"                     [--verify] [--json FILE]\n"
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
		"  --socket PATH     record through the daemon at PATH (default: the one at\n"
		"                    " CLIENT_DEFAULT_SOCKET " when it answers, else a\n"
		"                    private BPF program)\n"
		"  --no-daemon       always load a private BPF program\n"
		"  -j, --jobs N      commands at once (default: the number of CPUs)\n"
		"  -o, --outdir DIR  where zips go by default (default " DEFAULT_OUTDIR ")\n"
		"  --json FILE       the table as JSON: every function's stage, sizes and zip,\n"
		"                    the layers, the totals, the exit code ('-': stdout)\n"
		"  --layer           put what several functions keep alike (whole Python packages\n"
		"                    and modules, Node packages with what they require, lib/*.so)\n"
		"                    in a shared layer per runtime, OUTDIR/layers/NAME.zip, laid\n"
		"                    out for /opt; each function's zip leaves it out; who uses\n"
		"                    what goes to OUTDIR/manifest.json\n"
		"  --layer-min-users K  functions that must keep the same unit (default 2)\n"
		"  --max-unzipped BYTES a function plus its layers, unzipped, at most (default\n"
		"                    Lambda's 262144000); one over it is left out of the layer\n"
		"  --verify          re-run each function's commands on its zip, its layer at\n"
		"                    /opt, as slimzip verify --layer does; one that fails or\n"
		"                    misses a file is named (exit 8 for missing files)\n"
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
	case BATCH_VERIFY:
		if (f->verify_missing)
			return EXIT_VERIFY_MISSING;
		if (f->cmd_status)
			return f->cmd_status;
		return f->err ? cli_exit_for(f->err, CLI_STAGE_VERIFY) : EXIT_FAILURE_GENERIC;
	case BATCH_STOPPED:
	default:
		return EXIT_FAILURE_GENERIC;
	}
}

/* --layer: the function's files and bytes before and after, and what its layer serves it. */
static void print_layer_fn(const struct batch_function_result *f)
{
	char b1[32], b2[32], b3[32], b4[32];

	fprintf(cli_out(), "%-20s         before %s files %s, after %s files %s", "",
		humanize_count(f->before_files, b1, sizeof(b1)),
		humanize_bytes(f->before_bytes, b2, sizeof(b2)),
		humanize_count(f->after_files, b3, sizeof(b3)),
		humanize_bytes(f->after_bytes, b4, sizeof(b4)));
	if (f->layer)
		fprintf(cli_out(), " + layer %s: %" PRIu64 " units, %s files %s", f->layer,
			f->layer_units, humanize_count(f->layer_files, b1, sizeof(b1)),
			humanize_bytes(f->layer_bytes, b2, sizeof(b2)));
	else if (f->layer_state && !strcmp(f->layer_state, "too-big"))
		fprintf(cli_out(),
			"; left out of the layer: %s unzipped with it is over --max-unzipped "
			"(keeps its own copy)",
			humanize_bytes(f->with_layer, b1, sizeof(b1)));
	else if (f->layer_state && !strcmp(f->layer_state, "too-many-layers"))
		fprintf(cli_out(),
			"; left out of the layer: its %zu own layers leave no room (Lambda takes "
			"5; keeps its own copy)",
			f->own_layers);
	fputc('\n', cli_out());
}

static void print_layers(const struct batch_result *res)
{
	char b1[32], b2[32], b3[32], b4[32];
	uint64_t after = res->total_zip_bytes + res->total_layer_zip_bytes;

	for (size_t l = 0; l < res->nlayers; l++) {
		const struct batch_layer *L = &res->layers[l];

		fprintf(cli_out(),
			"layer %-14s %zu units, %s files %s -> %s, used by %zu functions  ",
			L->name, L->units, humanize_count(L->files, b1, sizeof(b1)),
			humanize_bytes(L->bytes, b2, sizeof(b2)),
			humanize_bytes(L->zip_bytes, b3, sizeof(b3)), L->users);
		cli_name(cli_out(), L->zip ? L->zip : "(not written)");
		fputc('\n', cli_out());
		if (L->over_warn)
			cli_warn(
				"layer %s: its zip is %s, over 50 MB: Lambda takes it from S3 only",
				L->name, humanize_bytes(L->zip_bytes, b1, sizeof(b1)));
	}
	if (!res->nlayers)
		fprintf(cli_out(), "no layer: no unit is kept alike by enough functions\n");
	for (size_t i = 0; i < res->ndropped; i++) {
		fputs("not in a layer: ", cli_out());
		cli_name(cli_out(), res->dropped[i]);
		fputc('\n', cli_out());
	}
	fprintf(cli_out(),
		"deployed: before %s (%zu full trees), after %s (function zips %s + layers %s)\n",
		humanize_bytes(res->total_before_bytes, b1, sizeof(b1)), res->n - res->failed,
		humanize_bytes(after, b2, sizeof(b2)),
		humanize_bytes(res->total_zip_bytes, b3, sizeof(b3)),
		humanize_bytes(res->total_layer_zip_bytes, b4, sizeof(b4)));
	if (res->manifest_json) {
		fputs("manifest: ", cli_out());
		cli_name(cli_out(), res->manifest_json);
		fputc('\n', cli_out());
	}
}

static void print_result(const struct batch_result *res, bool layer)
{
	char b1[32], b2[32];

	for (size_t i = 0; i < res->n; i++) {
		const struct batch_function_result *f = &res->functions[i];

		if (f->stage == BATCH_OK) {
			fprintf(cli_out(), "%-20s ok      %s files -> %s", f->name,
				humanize_count(f->after_files, b1, sizeof(b1)),
				humanize_bytes(f->zip_bytes, b2, sizeof(b2)));
			fprintf(cli_out(), " (of %s files)  ",
				humanize_count(f->before_files, b1, sizeof(b1)));
			cli_name(cli_out(), f->zip);
			if (f->verified)
				fputs("  verified", cli_out());
			fputc('\n', cli_out());
			if (layer)
				print_layer_fn(f);
			continue;
		}
		fprintf(cli_out(), "%-20s FAILED  %s", f->name, batch_stage__name(f->stage));
		if (f->failed_command) {
			fputs(" `", cli_out());
			cli_name(cli_out(), f->failed_command);
			fputc('`', cli_out());
			if (f->cmd_status)
				fprintf(cli_out(), " (exit %d)", f->cmd_status);
		}
		if (f->message) {
			fputs(": ", cli_out());
			cli_name(cli_out(), f->message);
		}
		fputc('\n', cli_out());
	}
	if (layer) {
		fputc('\n', cli_out());
		print_layers(res);
	}
	fprintf(cli_out(), "\nslimzip batch: %zu of %zu functions zipped\n", res->n - res->failed,
		res->n);
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
		{"layer", no_argument, NULL, 'L'},
		{"verify", no_argument, NULL, 'V'},
		{"layer-min-users", required_argument, NULL, 'K'},
		{"max-unzipped", required_argument, NULL, 'M'},
		{"socket", required_argument, NULL, 'S'},
		{"no-daemon", no_argument, NULL, 'N'},
		{"json", required_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct batch_opts bo = {.hook = cli.record_hook,
				.outdir = DEFAULT_OUTDIR,
				.version = SLIMZIP_VERSION,
				.on_command = on_command};
	struct batch_result res = {0};
	struct conf *m = NULL;
	char *dir_copy = NULL, base[PATH_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t jobs = cpus > 0 ? (uint64_t)cpus : 1, min_users = 0, max_unzipped = 0;
	const char *commands = NULL, *json = NULL;
	sigset_t old;
	struct cli_getopt g;
	int c, err, ret = EXIT_OK;

	if (cli_getopt__init(&g, "batch", "j:o:h", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
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
		case 'L':
			bo.layer = true;
			break;
		case 'V':
			bo.verify = true;
			break;
		case 'K':
		case 'M':
			if (c == 'K' ? args__u64("--layer-min-users", optarg, 1, 1u << 20,
						 &min_users)
				     : args__u64("--max-unzipped", optarg, 1, UINT64_MAX,
						 &max_unzipped)) {
				cli_error("%s", slz_errmsg());
				return EXIT_USAGE;
			}
			break;
		case 'S':
			bo.socket = optarg;
			break;
		case 'N':
			bo.no_daemon = true;
			break;
		case 'J':
			json = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			args__bad_option("batch", argv, optind, optopt, opts);
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
	}
	/* The functions' commands own stdout: batch's table goes to stderr. */
	cli_streams_choose("batch", true, NULL, 0);
	if (json && strcmp(json, "-") && atomic_file__check_writable(json)) {
		cli_error("batch: --json: %s", slz_errmsg());
		return EXIT_OUTPUT;
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
	if ((min_users || max_unzipped) && !bo.layer) {
		cli_error("--layer-min-users and --max-unzipped shape the layer: add --layer");
		ret = EXIT_USAGE;
		goto out;
	}
	bo.layer_min_users = (unsigned int)min_users;
	bo.max_unzipped = max_unzipped;
	bo.manifest = m;
	bo.base_dir = base;
	bo.jobs = (unsigned int)jobs;
	bo.signal_fd = cli_signals_take(&old);
	if (bo.signal_fd < 0) {
		cli_error("%s", slz_errmsg());
		ret = EXIT_FAILURE_GENERIC;
		goto out;
	}
	if (bo.socket && bo.no_daemon) {
		cli_error("batch: --socket names a daemon to record through, --no-daemon says not "
			  "to use one: give one of them");
		ret = EXIT_USAGE;
		goto out;
	}
	/* On a terminal: commands ended and functions zipped, paused for each command's line. */
	bo.progress = cli_progress_begin();
	err = batch__run(&bo, &res);
	cli_progress_end();
	bo.progress = NULL;
	cli_signals_release(bo.signal_fd, &old);
	if (err) {
		cli_error("%s", slz_errmsg());
		ret = !res.daemon      ? cli_exit_for(err, CLI_STAGE_RECORD)
		      : err == -EACCES ? EXIT_PERMISSION
				       : EXIT_DAEMON;
		goto out;
	}
	if (res.daemon)
		cli_info("recorded through the daemon at %s",
			 bo.socket ? bo.socket : CLIENT_DEFAULT_SOCKET);
	print_result(&res, bo.layer);
	if (res.signal) {
		cli_error("interrupted by signal %d: no zip was written", res.signal);
		ret = 128 + res.signal;
	}
	for (size_t i = 0; !ret && i < res.n; i++)
		ret = exit_for(&res.functions[i]);
	if (json && batch_json__write(&res, bo.layer, ret, json)) {
		cli_error("batch: --json: %s", slz_errmsg());
		ret = EXIT_OUTPUT;
	}
out:
	batch_result__release(&res);
	conf__free(m);
	free(dir_copy);
	return ret;
}
