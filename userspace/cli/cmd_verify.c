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
#include "util.h"
#include "verify.h"
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
		"                         later layers overwrite earlier ones, as on Lambda\n");
	policy_cli__usage(f, POLICY_VERIFY, 25);
}

static void print_diagnosis(const struct verify_round *r, void *ctx)
{
	const struct verify_opts *o = ctx;

	/* The command prints again: say which run the output below comes from. */
	fflush(cli_out());
	if (!cli.quiet)
		cli_info("verify: %s exited %d on the pruned tree; running it on the original "
			 "tree to name what the zip lacks",
			 o->argv[0], r->cmd_status);
}

static void print_round(const struct verify_round *r, void *ctx)
{
	const struct verify_opts *o = ctx;

	if (!cli.quiet) {
		fprintf(cli_out(), "verify round %u: ", r->round);
		cli_name(cli_out(), o->argv[0]);
		fprintf(cli_out(), " exited with status %d; %zu missing file%s%s\n", r->cmd_status,
			r->nmissing, r->nmissing == 1 ? "" : "s",
			r->diag_status >= 0 ? " (with a diagnosis run on the original tree)" : "");
	}
	for (size_t i = 0; i < r->nmissing; i++) {
		const struct verify_missing *m = &r->missing[i];
		char comm[sizeof(m->comm) + 1];

		/* On cli_out(), one per line, so scripts can collect them; names escaped. */
		fprintf(cli_out(), "missing: ");
		cli_name(cli_out(), m->path);
		if (m->pid) {
			/* The process named itself: its name is as untrusted as a file's. */
			snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(m->comm), m->comm);
			fprintf(cli_out(), ", wanted by ");
			cli_name(cli_out(), comm);
			fprintf(cli_out(), " (%u) via %s\n", m->pid, m->via);
		} else {
			fprintf(cli_out(), ", wanted via %s\n", m->via);
		}
	}
	for (size_t i = 0; i < r->nhost_missing; i++) {
		fprintf(cli_out(), "missing host package ");
		cli_name(cli_out(), r->host_missing[i].package);
		fprintf(cli_out(), " (");
		cli_name(cli_out(), r->host_missing[i].path);
		fprintf(cli_out(), ")\n");
	}
	if (r->lost_events)
		cli_warn("%" PRIu64 " events were lost in this round: the list may be incomplete",
			 r->lost_events);
	if (o->fix && r->nmissing && !cli.quiet) {
		fprintf(cli_out(), "fixed: ");
		cli_name(cli_out(), o->zip_path);
		fprintf(cli_out(), " now holds %" PRIu64 " entries (was %" PRIu64 ")\n",
			r->zip_entries_after, r->zip_entries_before);
	}
	fflush(cli_out());
}

/* How a class of zipcheck.h reads in the warning: singular, plural, what others lack. */
static const char *const mode_class_words[ZIPCHECK_CLASSES][3] = {
	[ZIPCHECK_UNREADABLE] = {"file", "files", "readable"},
	[ZIPCHECK_UNEXECUTABLE] = {"executable", "executables", "executable"},
	[ZIPCHECK_CLOSED_DIR] = {"directory", "directories", "readable and searchable"},
};

/* One warning per class of entries Lambda's unprivileged user could not use, naming them. */
static void print_modes(const struct zipcheck_result *zc, void *ctx)
{
	const struct verify_opts *o = ctx;

	for (int c = 0; c < ZIPCHECK_CLASSES; c++) {
		const char *const *w = mode_class_words[c];
		char *names = NULL;
		size_t len = 0;
		FILE *f;

		if (!zc->count[c])
			continue;
		f = open_memstream(&names, &len);
		if (!f)
			continue;
		for (int i = 0; i < ZIPCHECK_NAMES && i < (int)zc->count[c]; i++)
			fprintf(f, "%s%s (%04o)", i ? ", " : "", zc->first[c][i].name,
				(unsigned int)zc->first[c][i].mode);
		if (zc->count[c] > ZIPCHECK_NAMES)
			fprintf(f, " and %" PRIu64 " more", zc->count[c] - ZIPCHECK_NAMES);
		if (fclose(f) == 0)
			cli_warn("%" PRIu64 " %s in %s %s not %s by others, so not by Lambda's "
				 "unprivileged user: %s",
				 zc->count[c], zc->count[c] == 1 ? w[0] : w[1], o->zip_path,
				 zc->count[c] == 1 ? "is" : "are", w[2], names);
		free(names);
	}
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
 * --fix, *comment is what the rewritten zip records in turn.
 */
static int adopt_recorded(const struct verify_opts *vo, struct prune_policy *pol, char **comment)
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
	if (vo->fix && (err = prune_policy__describe(pol, SLIMZIP_VERSION, comment))) {
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

/* The host packages still missing at the end, in one line: what Lambda would lack. */
static void host_missing_error(const struct verify_opts *vo, const struct verify_result *res)
{
	cli_error("%zu host package%s the workload used %s not in %s (hidden by --isolate: Lambda "
		  "lacks the build machine's packages); ship %s in the tree or a layer (%s)",
		  res->nhost_missing, res->nhost_missing == 1 ? "" : "s",
		  res->nhost_missing == 1 ? "is" : "are", vo->zip_path,
		  res->nhost_missing == 1 ? "it" : "them",
		  vo->fix ? "--fix adds a copy only when the tree has one"
			  : "--no-isolate lets the host's copy pass");
}

static int verify_cli(int argc, char **argv, struct verify_opts *vo, struct prune_policy *pol,
		      const struct option *opts, struct launch_user *user, struct isolate *is)
{
	const char *user_spec = NULL;
	struct verify_result res = {0};
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
	cli_streams_choose("verify", true, NULL, 0);
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
	ret = check_extract_dir(vo);
	if (ret)
		return ret;
	ret = adopt_recorded(vo, pol, &comment);
	if (ret != EXIT_OK)
		return ret;
	if (isolate_dirs(is, pol, vo)) {
		free(comment);
		cli_error("%s", slz_errmsg());
		return EXIT_FAILURE_GENERIC;
	}
	pol->zip.comment = comment;
	vo->on_round = print_round;
	vo->on_diagnosis = print_diagnosis;
	vo->on_round_ctx = vo;
	vo->on_modes = print_modes;
	vo->signal_fd = cli_signals_take(&oldmask);
	err = vo->signal_fd < 0 ? vo->signal_fd : verify__run(vo, &res);
	cli_signals_release(vo->signal_fd, &oldmask);
	pol->zip.comment = NULL;
	free(comment);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		if (res.signal) /* as if the signal had ended verify: 128+N, like a shell reports */
			return 128 + res.signal;
		return cli_exit_for(err, CLI_STAGE_VERIFY);
	}
	if (res.modes_closed && !vo->ignore_modes) {
		cli_error(
			"Lambda's unprivileged user could not use %" PRIu64 " entr%s of %s (named "
			"above): prune with --modes lambda (the default), or give --no-mode-check "
			"to run the proof anyway",
			res.modes_closed, res.modes_closed == 1 ? "y" : "ies", vo->zip_path);
		return EXIT_VERIFY_MISSING;
	}
	if (res.nmissing) {
		char host[96] = "";

		/* One line: the host packages hidden as well, when there are any. */
		if (res.nhost_missing)
			snprintf(host, sizeof(host), "; and %zu host package%s hidden by --isolate",
				 res.nhost_missing, res.nhost_missing == 1 ? " is" : "s are");
		if (!vo->fix)
			cli_error("%zu file%s missing from %s (rerun with --fix to add them, or "
				  "--keep them when pruning)%s",
				  res.nmissing, res.nmissing == 1 ? " is" : "s are", vo->zip_path,
				  host);
		else
			cli_error("%zu file%s still missing after %u round%s of --fix (a --drop "
				  "keeps them out, or --max-rounds was reached)%s",
				  res.nmissing, res.nmissing == 1 ? "" : "s", res.rounds,
				  res.rounds == 1 ? "" : "s", host);
		return EXIT_VERIFY_MISSING;
	}
	if (res.nhost_missing) {
		host_missing_error(vo, &res);
		return EXIT_VERIFY_MISSING;
	}
	if (res.lost_events) {
		cli_error("%" PRIu64 " events were lost in the last round: its verdict cannot be "
			  "trusted (rerun verify; close other heavy tracers)",
			  res.lost_events);
		return EXIT_LOSS;
	}
	if (res.cmd_status) {
		cli_error("%s failed (status %d) with no missing file to blame: the failure may "
			  "not come from pruning",
			  vo->argv[0], res.cmd_status);
		return res.cmd_status;
	}
	if (!cli.quiet) {
		fprintf(cli_out(), "verified: ");
		cli_name(cli_out(), vo->argv[0]);
		fprintf(cli_out(), " works from ");
		cli_name(cli_out(), vo->zip_path);
		fprintf(cli_out(), "%s\n", res.fixed ? " (after --fix)" : "");
	}
	return EXIT_OK;
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
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct prune_policy pol;
	struct verify_opts vo = {.policy = &pol};
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
