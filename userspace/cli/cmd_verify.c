// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip verify OUT.zip --tree DIR [--fix] -- CMD...: does the pruned package still work? */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "cli.h"
#include "config.h"
#include "options.h"
#include "policy.h"
#include "progress_print.h"
#include "util.h"
#include "verify.h"
#include "verify_print.h"
#include "verify_report.h"
#include "zipcdir.h"

/* verify's own options; the shared ones, for --fix, come from policy.h. */
enum {
	OPT_TREE = 256,
	OPT_FIX,
	OPT_ROUNDS,
	OPT_MAX_EXTRACT,
	OPT_EXTRACT_DIR,
	OPT_USER,
	OPT_NO_MODE_CHECK,
	OPT_ISOLATE,
	OPT_NO_ISOLATE,
	OPT_ISOLATE_DIR,
	OPT_LAYER,
	OPT_REPORT,
	OPT_KEEP_OUT,
	OPT_JSON,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip verify OUT.zip --tree DIR [--fix] -- CMD [ARGS...]\n\n"
		"Run CMD with the pruned zip mounted over DIR (private mount namespace) and name\n"
		"every file it wanted that DIR has and the zip lacks. Exit 0 only when CMD "
		"succeeds\n"
		"and nothing is missing; 8 when files are missing; CMD's status when it failed\n"
		"without a missing file to blame. --fix rewrites OUT.zip with the options it was\n"
		"pruned with (slimzip records them in the zip's comment); one given below wins.\n"
		"SIGINT/SIGTERM/SIGHUP/SIGQUIT reach CMD and stop verify (exit 128+N): no "
		"diagnosis\n"
		"run, no further --fix round.\n"
		"First, without running anything, every entry's mode is checked: a file Lambda's\n"
		"unprivileged user could not read (or run, or a directory it could not enter) is\n"
		"named and verify exits 8, unless --no-mode-check.\n\n"
		"  --tree DIR             the original deployment tree the zip was pruned from\n"
		"  --fix                  add the missing files (and their closure), rewrite\n"
		"                         OUT.zip, and verify again until clean or --max-rounds\n"
		"  --max-rounds N         bound on --fix rounds (default 5)\n"
		"  --max-extract BYTES    refuse a zip that extracts to more (default: the larger\n"
		"                         of the tree's size and Lambda's 262144000 bytes)\n"
		"  --extract-dir DIR      extract into DIR (default: beside OUT.zip)\n"
		"  --user USER            run CMD as USER (a name, UID or UID:GID) with its "
		"groups,\n"
		"                         like strace -u, as Lambda runs it as a user of its own\n"
		"  --no-mode-check        run CMD even when Lambda's unprivileged user could not\n"
		"                         use some entries (they are still named; exit 8 "
		"otherwise)\n"
		"  --isolate              hide the host package directories the workload used\n"
		"                         (the zip names them) from the proof run, as Lambda\n"
		"                         lacks them: a host package is named missing (default)\n"
		"  --no-isolate           let the proof run see the host's packages\n"
		"  --isolate-dir DIR      also hide DIR (repeatable)\n"
		"  --layer ZIP            a Lambda layer, extracted and mounted read-only at /opt\n"
		"                         in both runs with Lambda's search paths (PYTHONPATH,\n"
		"                         NODE_PATH, LD_LIBRARY_PATH, PATH); repeatable up to 5,\n"
		"                         later layers overwrite earlier ones, as on Lambda\n"
		"  --report FILE.json     what ran, each round, every missing file with its\n"
		"                         package, --fix's additions and the verdict ('-': "
		"stdout)\n"
		"  --keep-out FILE        with --fix: the files it added, as a keep list for\n"
		"                         prune --keep-from (check it in beside the function)\n"
		"  --json FILE            the summary as JSON: verdict, rounds, missing files by\n"
		"                         package, --fix's additions, the zip ('-': stdout)\n");
	policy_cli__usage(f, POLICY_VERIFY, 25);
}

/*
 * The zip is extracted beside itself (or in --extract-dir): that place must take new files,
 * checked before any work like every output.
 */
static int check_extract_dir(const struct verify_opts *vo)
{
	char *copy = strdup(vo->zip_path), *probe = NULL;
	const char *dir = vo->extract_dir;
	struct stat st;
	int err;

	if (!copy)
		return EXIT_FAILURE_GENERIC;
	if (!dir)
		dir = dirname(copy);
	else if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		cli_error("--extract-dir: '%s' is not a directory", dir);
		free(copy);
		return EXIT_USAGE;
	}
	err = asprintf(&probe, "%s/slimzip-verify", dir) < 0 ? -ENOMEM
							     : atomic_file__check_writable(probe);
	if (err)
		cli_error("verify extracts the zip into %s, which takes no new file: %s (give "
			  "--extract-dir DIR)",
			  dir, slz_errmsg());
	free(probe);
	free(copy);
	return err ? EXIT_OUTPUT : EXIT_OK;
}

/*
 * The options the zip records of its pruning (its comment) fill in those not given here, so
 * --fix rewrites it as it was made; a zip without them (another tool's) changes nothing. With
 * describe (--fix, --report), *comment is what the rewritten zip records in turn.
 */
static int adopt_recorded(const struct verify_opts *vo, struct prune_policy *pol, bool describe,
			  char **comment)
{
	char *recorded = NULL;
	bool adopted = false;
	int err;

	/* A zip whose end record cannot be read: the extraction explains that, as before. */
	if (!zipcdir__comment(vo->zip_path, &recorded))
		err = prune_policy__adopt(pol, recorded, &adopted);
	else
		err = 0;
	free(recorded);
	if (err) {
		cli_error("%s: %s", vo->zip_path, slz_errmsg());
		return EXIT_BAD_INPUT;
	}
	if (describe && (err = prune_policy__describe(pol, SLIMZIP_VERSION, comment))) {
		cli_error("%s", slz_errmsg());
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* verify --isolate and --layer: what the runs see of the host, as the options give it. */
struct isolate {
	bool off;	    /* --no-isolate */
	const char **given; /* --isolate-dir DIR */
	size_t ngiven, cap;
	const char **all;		       /* what vo->hide_dirs points at */
	const char *layers[VERIFY_MAX_LAYERS]; /* --layer ZIP, in order */
	size_t nlayers;
};

static int isolate_option(struct isolate *is, int c, const char *arg)
{
	switch (c) {
	case OPT_ISOLATE:
	case OPT_NO_ISOLATE:
		is->off = c == OPT_NO_ISOLATE;
		return 0;
	case OPT_LAYER:
		if (is->nlayers == VERIFY_MAX_LAYERS)
			return slz_fail(EINVAL,
					"--layer %s: Lambda takes at most %d layers per function",
					arg, VERIFY_MAX_LAYERS);
		is->layers[is->nlayers++] = arg;
		return 0;
	case OPT_ISOLATE_DIR:
		if (arg[0] != '/')
			return slz_fail(EINVAL, "--isolate-dir: '%s' is not an absolute path", arg);
		if (slz_grow((void **)&is->given, &is->cap, is->ngiven + 1, sizeof(*is->given)))
			return slz_fail(ENOMEM, "out of memory");
		is->given[is->ngiven++] = arg;
		return 0;
	default:
		return 1;
	}
}

/* The zip's host package directories (adopted into pol) and --isolate-dir, unless off. */
static int isolate_dirs(struct isolate *is, const struct prune_policy *pol, struct verify_opts *vo)
{
	size_t n = pol->nhost_dirs + is->ngiven;

	if (is->off || !n)
		return 0;
	is->all = calloc(n, sizeof(*is->all));
	if (!is->all)
		return slz_fail(ENOMEM, "out of memory");
	for (size_t i = 0; i < pol->nhost_dirs; i++)
		is->all[i] = pol->host_dirs[i];
	for (size_t i = 0; i < is->ngiven; i++)
		is->all[pol->nhost_dirs + i] = is->given[i];
	vo->hide_dirs = is->all;
	vo->nhide_dirs = n;
	return 0;
}

/* verify's output files (its summary goes to stderr, beside the command's own output). */
struct verify_cli_outs {
	const char *report;   /* --report FILE.json */
	const char *keep_out; /* --keep-out FILE, with --fix */
	const char *json;     /* --json FILE: the summary (verify_json.c) */
};

/* Every output can take a new file, checked before any run, like every command's outputs. */
static int check_outputs(const struct verify_cli_outs *outs)
{
	const struct cli_output o[] = {
		{"--report", outs->report}, {"--keep-out", outs->keep_out}, {"--json", outs->json}};

	for (size_t i = 0; i < ARRAY_SIZE(o); i++) {
		if (o[i].path && atomic_file__check_writable(o[i].path)) {
			cli_error("%s: %s", o[i].option, slz_errmsg());
			return EXIT_OUTPUT;
		}
	}
	return EXIT_OK;
}

/* How verify ended: slimzip's exit code, the report's verdict, the last line (malloc'd). */
struct verdict {
	int exit;
	const char *name;
	char *msg; /* NULL when verified */
};

/* The missing files' line, with the host packages hidden as well when there are any. */
static int missing_msg(const struct verify_opts *vo, const struct verify_result *res, char **msg)
{
	char host[96] = "";

	if (res->nhost_missing)
		snprintf(host, sizeof(host), "; and %zu host package%s hidden by --isolate",
			 res->nhost_missing, res->nhost_missing == 1 ? " is" : "s are");
	if (!vo->fix)
		return asprintf(msg,
				"%zu file%s missing from %s (rerun with --fix to add them, or "
				"--keep them when pruning)%s",
				res->nmissing, res->nmissing == 1 ? " is" : "s are", vo->zip_path,
				host);
	return asprintf(msg,
			"%zu file%s still missing after %u round%s of --fix (a --drop keeps "
			"them out, or --max-rounds was reached)%s",
			res->nmissing, res->nmissing == 1 ? "" : "s", res->rounds,
			res->rounds == 1 ? "" : "s", host);
}

/* The verdict, in the order that decides it: the first that holds names the exit code. */
static void judge(const struct verify_opts *vo, const struct verify_result *res, int err,
		  struct verdict *v)
{
	int n = 0;

	*v = (struct verdict){.exit = EXIT_VERIFY_MISSING, .name = "missing"};
	if (err) {
		/* As if the signal had ended verify: 128+N, like a shell reports. */
		v->exit = res->signal ? 128 + res->signal : cli_exit_for(err, CLI_STAGE_VERIFY);
		v->name = res->signal ? "interrupted" : "error";
		n = asprintf(&v->msg, "%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
	} else if (res->modes_closed && !vo->ignore_modes) {
		v->name = "modes";
		n = asprintf(&v->msg,
			     "Lambda's unprivileged user could not use %" PRIu64 " entr%s of %s "
			     "(named above): prune with --modes lambda (the default), or give "
			     "--no-mode-check to run the proof anyway",
			     res->modes_closed, res->modes_closed == 1 ? "y" : "ies", vo->zip_path);
	} else if (res->nmissing) {
		n = missing_msg(vo, res, &v->msg);
	} else if (res->nhost_missing) {
		/* What Lambda would lack, in one line. */
		v->name = "host-missing";
		n = asprintf(
			&v->msg,
			"%zu host package%s the workload used %s not in %s (hidden by "
			"--isolate: Lambda lacks the build machine's packages); ship %s in the "
			"tree or a layer (%s)",
			res->nhost_missing, res->nhost_missing == 1 ? "" : "s",
			res->nhost_missing == 1 ? "is" : "are", vo->zip_path,
			res->nhost_missing == 1 ? "it" : "them",
			vo->fix ? "--fix adds a copy only when the tree has one"
				: "--no-isolate lets the host's copy pass");
	} else if (res->lost_events) {
		v->exit = EXIT_LOSS;
		v->name = "lost-events";
		n = asprintf(&v->msg,
			     "%" PRIu64 " events were lost in the last round: its verdict cannot "
			     "be trusted (rerun verify; close other heavy tracers)",
			     res->lost_events);
	} else if (res->cmd_status) {
		v->exit = res->cmd_status;
		v->name = "command-failed";
		n = asprintf(&v->msg,
			     "%s failed (status %d) with no missing file to blame: the failure "
			     "may not come from pruning",
			     vo->argv[0], res->cmd_status);
	} else {
		v->exit = EXIT_OK;
		v->name = "verified";
	}
	if (n < 0)
		v->msg = NULL;
}

/*
 * --keep-out, then --report (which records the keep list's failure as its verdict): each
 * whole or not at all. The keep list only when verify ran to its end: a list cut short by an
 * error would look complete. The exit code: v's, or EXIT_OUTPUT after one line.
 */
static int write_outputs(const struct verify_opts *vo, const struct verify_cli_outs *outs,
			 const struct verify_print *vp, const char *policy,
			 const struct verify_result *res, int err, struct verdict *v)
{
	struct verify_report_run run = {
		.version = SLIMZIP_VERSION,
		.opts = vo,
		.policy = policy,
		.res = res,
		.err = err,
	};
	int werr = vp->log_err, ret = v->exit;

	if (werr) {
		cli_error("cannot keep verify's rounds for %s: %s",
			  outs->keep_out ? outs->keep_out : outs->report, strerror(-werr));
		return EXIT_FAILURE_GENERIC;
	}
	if (outs->keep_out && !err &&
	    (werr = verify_log__write_keep(vp->log, vo->zip_path, outs->keep_out))) {
		cli_error("--keep-out: %s", slz_errmsg());
		ret = EXIT_OUTPUT;
		free(v->msg);
		v->msg = strdup(slz_errmsg());
		v->name = "error";
	}
	run.verdict = v->name;
	run.exit_code = ret;
	run.message = v->msg;
	if (outs->report && verify_log__write_report(vp->log, &run, outs->report)) {
		cli_error("--report: %s", slz_errmsg());
		ret = EXIT_OUTPUT;
	}
	/* Last: its verdict and exit code are those of everything before, --report's included. */
	if (outs->json) {
		const struct verify_json_end end = {
			.res = res,
			.verdict = ret == v->exit ? v->name : "error",
			.exit_code = ret,
			.message = ret == v->exit ? v->msg : slz_errmsg(),
		};

		if (verify_json__write(&vp->json, vo, &end, outs->json)) {
			cli_error("--json: %s", slz_errmsg());
			ret = EXIT_OUTPUT;
		}
	}
	return ret;
}

/*
 * For tests only (docs/DEVELOPING.md): the bytes of memory verify takes as available
 * (verify_opts.mem_available) instead of /proc/meminfo's MemAvailable, so a test reaches the
 * fallback of a host low on memory without being one. Not an option: the fallback is for
 * hosts that lack the memory, not a choice; read here because library code has no inputs
 * from the environment.
 */
#define VERIFY_MEM_ENV "SLIMZIP_TEST_MEM_AVAILABLE"

static int verify_cli(int argc, char **argv, struct verify_opts *vo, struct prune_policy *pol,
		      const struct option *opts, struct launch_user *user, struct isolate *is)
{
	const char *user_spec = NULL;
	struct verify_result res = {0};
	struct verify_cli_outs outs = {0};
	struct verify_print vp = {0};
	struct verdict verdict;
	char *comment = NULL;
	struct stat st;
	sigset_t oldmask;
	static const int repeatable[] = {OPT_ISOLATE_DIR, OPT_LAYER, 0};
	struct cli_getopt g;
	uint64_t v;
	int c, err = 0, ret;

	/* Options and the zip come before '--', the command after it: parse only the first part. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			vo->argv = argv + i + 1;
			argc = i;
			break;
		}
	}
	if (!vo->argv) {
		/* Without '--' the command's own options would be taken for ours. */
		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
				usage(stdout);
				return EXIT_OK;
			}
		}
		cli_error("verify needs '--' before the command: slimzip verify OUT.zip --tree DIR "
			  "-- "
			  "CMD [ARGS...]");
		return EXIT_USAGE;
	}
	if (cli_getopt__init(&g, "verify", "h", opts, repeatable))
		return EXIT_FAILURE_GENERIC;
	if (args__env_u64(VERIFY_MEM_ENV, 1, UINT64_MAX, &vo->mem_available)) {
		cli_error("%s", slz_errmsg());
		return EXIT_USAGE;
	}
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case OPT_TREE:
			vo->tree_dir = optarg;
			break;
		case OPT_FIX:
			vo->fix = true;
			break;
		case OPT_ROUNDS:
			err = args__u64("--max-rounds", optarg, 1, 100, &v);
			vo->max_rounds = (unsigned int)v;
			break;
		case OPT_MAX_EXTRACT:
			err = args__u64("--max-extract", optarg, 1, UINT64_MAX, &vo->max_extract);
			break;
		case OPT_EXTRACT_DIR:
			vo->extract_dir = optarg;
			break;
		case OPT_USER:
			user_spec = optarg;
			break;
		case OPT_NO_MODE_CHECK:
			vo->ignore_modes = true;
			break;
		case OPT_REPORT:
			outs.report = optarg;
			break;
		case OPT_KEEP_OUT:
			outs.keep_out = optarg;
			break;
		case OPT_JSON:
			outs.json = optarg;
			break;
		case OPT_ISOLATE:
		case OPT_NO_ISOLATE:
		case OPT_ISOLATE_DIR:
		case OPT_LAYER:
			err = isolate_option(is, c, optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err = policy_cli__parse(pol, c, optarg);
			if (err <= 0)
				break;
			args__bad_option("verify", argv, optind, optopt, opts);
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
		if (err) {
			cli_error("%s", slz_errmsg());
			return EXIT_USAGE;
		}
	}
	/* The command's stdout is its own: verify's rounds and verdict go to stderr. */
	{
		const struct cli_output o[] = {{"--report", outs.report},
					       {"--keep-out", outs.keep_out},
					       {"--json", outs.json}};

		ret = cli_streams_choose("verify", true, o, ARRAY_SIZE(o));
		if (ret)
			return ret;
	}
	if (outs.keep_out && !vo->fix) {
		cli_error("--keep-out lists the files --fix adds: give --fix too (or drop "
			  "--keep-out)");
		return EXIT_USAGE;
	}
	if (optind < argc)
		vo->zip_path = argv[optind++];
	if (optind < argc) {
		cli_error("unexpected argument '%s' before '--' (try 'slimzip verify --help')",
			  argv[optind]);
		return EXIT_USAGE;
	}
	if (!vo->zip_path || !vo->tree_dir || !vo->argv || !vo->argv[0]) {
		cli_error("verify needs OUT.zip, --tree DIR and a command after '--' (try 'slimzip "
			  "verify --help')");
		return EXIT_USAGE;
	}
	if (user_spec && (ret = cli_user_lookup(NULL, user_spec, user)))
		return ret;
	vo->user = user_spec ? user : NULL;
	if (stat(vo->zip_path, &st) || !S_ISREG(st.st_mode)) {
		cli_error("%s: no such zip file (give the zip 'slimzip prune' or 'run' wrote)",
			  vo->zip_path);
		return EXIT_BAD_INPUT;
	}
	if (stat(vo->tree_dir, &st) || !S_ISDIR(st.st_mode)) {
		cli_error("--tree: '%s' is not a directory", vo->tree_dir);
		return EXIT_BAD_INPUT;
	}
	for (size_t i = 0; i < is->nlayers; i++) {
		if (stat(is->layers[i], &st) || !S_ISREG(st.st_mode)) {
			cli_error("--layer %s: no such zip file (give a Lambda layer zip: python/, "
				  "nodejs/node_modules/, lib/, bin/)",
				  is->layers[i]);
			return EXIT_BAD_INPUT;
		}
	}
	vo->layers = is->layers;
	vo->nlayers = is->nlayers;
	if (vo->fix && (err = atomic_file__check_writable(vo->zip_path))) {
		cli_error("--fix must rewrite %s: %s", vo->zip_path, slz_errmsg());
		return EXIT_OUTPUT;
	}
	ret = check_outputs(&outs);
	if (ret)
		return ret;
	ret = check_extract_dir(vo);
	if (ret)
		return ret;
	ret = adopt_recorded(vo, pol, vo->fix || outs.report, &comment);
	if (ret != EXIT_OK)
		return ret;
	if (isolate_dirs(is, pol, vo)) {
		free(comment);
		cli_error("%s", slz_errmsg());
		return EXIT_FAILURE_GENERIC;
	}
	pol->zip.comment = vo->fix ? comment : NULL;
	vp.o = vo;
	vp.report = outs.report;
	vp.json.on = outs.json != NULL;
	if ((outs.report || outs.keep_out) && verify_log__new(&vp.log)) {
		free(comment);
		cli_error("out of memory");
		return EXIT_FAILURE_GENERIC;
	}
	vo->on_round = verify_print__round;
	vo->on_diagnosis = verify_print__diagnosis;
	vo->on_round_ctx = &vp;
	vo->on_modes = verify_print__modes;
	vo->signal_fd = cli_signals_take(&oldmask);
	/* The walk, the rounds and --fix's zips on a terminal; verify pauses it for each run. */
	pol->zip.meter = cli_progress_begin();
	err = vo->signal_fd < 0 ? vo->signal_fd : verify__run(vo, &res);
	cli_progress_end();
	pol->zip.meter = NULL;
	cli_signals_release(vo->signal_fd, &oldmask);
	pol->zip.comment = NULL;
	judge(vo, &res, err, &verdict);
	if (verdict.msg)
		cli_error("%s", verdict.msg);
	ret = write_outputs(vo, &outs, &vp, comment, &res, err, &verdict);
	free(verdict.msg);
	free(comment);
	verify_log__free(vp.log);
	verify_json__release(&vp.json);
	if (ret == EXIT_OK && !verdict.msg && !cli.quiet) {
		fprintf(cli_out(), "verified: ");
		cli_name(cli_out(), vo->argv[0]);
		fprintf(cli_out(), " works from ");
		cli_name(cli_out(), vo->zip_path);
		fprintf(cli_out(), "%s\n", res.fixed ? " (after --fix)" : "");
	}
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option own[] = {
		{"tree", required_argument, NULL, OPT_TREE},
		{"fix", no_argument, NULL, OPT_FIX},
		{"max-rounds", required_argument, NULL, OPT_ROUNDS},
		{"max-extract", required_argument, NULL, OPT_MAX_EXTRACT},
		{"extract-dir", required_argument, NULL, OPT_EXTRACT_DIR},
		{"user", required_argument, NULL, OPT_USER},
		{"no-mode-check", no_argument, NULL, OPT_NO_MODE_CHECK},
		{"isolate", no_argument, NULL, OPT_ISOLATE},
		{"no-isolate", no_argument, NULL, OPT_NO_ISOLATE},
		{"isolate-dir", required_argument, NULL, OPT_ISOLATE_DIR},
		{"layer", required_argument, NULL, OPT_LAYER},
		{"report", required_argument, NULL, OPT_REPORT},
		{"keep-out", required_argument, NULL, OPT_KEEP_OUT},
		{"json", required_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct prune_policy pol;
	struct verify_opts vo = {.hook = cli.record_hook, .policy = &pol};
	struct launch_user user = {0};
	struct isolate is = {0};
	struct option *opts = NULL;
	int ret;

	if (policy_cli__init(&pol)) {
		cli_error("%s", slz_errmsg());
		ret = EXIT_USAGE;
		goto out;
	}
	opts = policy_cli__options(POLICY_VERIFY, own);
	if (!opts) {
		cli_error("out of memory");
		ret = EXIT_FAILURE_GENERIC;
		goto out;
	}
	ret = verify_cli(argc, argv, &vo, &pol, opts, &user, &is);
out:
	launch_user__release(&user);
	free(is.given);
	free(is.all);
	free(opts);
	prune_policy__release(&pol);
	return ret;
}
