// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * slimzip prune --tree DIR --profile P -o OUT.zip   and
 * slimzip run   --tree DIR -o OUT.zip -- CMD...     (record + prune in one process).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cancel.h"
#include "cli.h"
#include "config.h"
#include "options.h"
#include "policy.h"
#include "profile_io.h"
#include "profiles.h"
#include "progress_print.h"
#include "prune_print.h"
#include "prune_report.h"
#include "prune_write.h"
#include "recorder.h"
#include "util.h"

/* The shared policy options come from policy.h; these are prune's and run's own. */
enum {
	OPT_TREE = 256,
	OPT_PROFILE,
	OPT_WHITELIST,
	OPT_REPORT,
	OPT_ENFORCE_LIMITS,
	OPT_PROFILE_OUT,
	OPT_FORMAT,
	OPT_IGNORE_EXIT,
	OPT_MAX_FILES,
	OPT_RINGBUF_MB,
	OPT_USER,
	OPT_JSON,
};

/* Both commands' own: the tree and what to write. */
#define COMMON_OPTIONS                                                                             \
	{"tree", required_argument, NULL, OPT_TREE}, {"output", required_argument, NULL, 'o'},     \
		{"whitelist-out", required_argument, NULL, OPT_WHITELIST},                         \
		{"report", required_argument, NULL, OPT_REPORT},                                   \
		{"json", required_argument, NULL, OPT_JSON},                                       \
		{"enforce-lambda-limits", no_argument, NULL, OPT_ENFORCE_LIMITS},                  \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

/* Their help: the tree and the zip, the shared policy options, the side outputs. */
static void common_usage(FILE *f)
{
	fputs("  --tree DIR             the deployment tree to prune (required)\n"
	      "  -o, --output OUT.zip   the zip to write (required unless --dry-run)\n",
	      f);
	policy_cli__usage(f, POLICY_PRUNE, 25);
	fputs("  --whitelist-out FILE   write kept tree-relative paths, one per line (zip -@ "
	      "input)\n"
	      "  --report FILE.json     per kept entry: why it was kept, first process, size\n"
	      "  --json FILE            the summary's numbers as JSON (before, after, the zip)\n"
	      "  (each output takes - for stdout; the summary then goes to stderr)\n"
	      "  --enforce-lambda-limits  exit 9 when the zip exceeds AWS Lambda's limits\n",
	      f);
}

struct prune_cli {
	struct prune_policy pol;
	const char *tree_dir;
	const char *out_zip; /* ignored with --dry-run */
	const char **profiles;
	size_t nprofiles, profiles_cap;
	const char *whitelist_out;
	const char *report_out;
	const char *json_out; /* --json: the summary as JSON */
	bool enforce_limits;
	bool runs; /* run: a workload owns stdout */
	const char *cmd;
	/* run only */
	const char *profile_out;
	enum profile_format profile_fmt;
	bool ignore_exit;
	uint64_t max_files, ringbuf_mb;
	const char *user; /* --user USER */
	char **argv;
	/* The command's own arguments, from its name ("prune", "run"): the report names them. */
	char **cmd_argv;
	int cmd_argc;
	struct option *opts; /* the command's getopt_long table */
};

/* Options both commands take; returns 1 when c was not one of them, 0 or -errno otherwise. */
static int common_option(struct prune_cli *pc, int c, const char *arg)
{
	switch (c) {
	case OPT_TREE:
		pc->tree_dir = arg;
		return 0;
	case 'o':
		pc->out_zip = arg;
		return 0;
	case OPT_WHITELIST:
		pc->whitelist_out = arg;
		return 0;
	case OPT_REPORT:
		pc->report_out = arg;
		return 0;
	case OPT_JSON:
		pc->json_out = arg;
		return 0;
	case OPT_ENFORCE_LIMITS:
		pc->enforce_limits = true;
		return 0;
	default:
		return policy_cli__parse(&pc->pol, c, arg);
	}
}

/* own: the command's own options; the shared ones are added to them. */
static int prune_cli_init(struct prune_cli *pc, const struct option *own)
{
	int err;

	memset(pc, 0, sizeof(*pc));
	err = policy_cli__init(&pc->pol);
	if (err)
		return err;
	pc->opts = policy_cli__options(POLICY_PRUNE, own);
	return pc->opts ? 0 : slz_fail(ENOMEM, "out of memory");
}

static void prune_cli_free(struct prune_cli *pc)
{
	prune_policy__release(&pc->pol);
	free(pc->profiles);
	free(pc->opts);
}

/*
 * Checks after parsing: required options present, outputs writable before any work. 0 or the
 * exit code, the message printed.
 */
static int prune_cli_validate(struct prune_cli *pc)
{
	struct stat st;
	const struct cli_output outs[] = {
		{"-o", pc->pol.dry_run ? NULL : pc->out_zip},
		{"--whitelist-out", pc->whitelist_out},
		{"--report", pc->report_out},
		{"--profile-out", pc->profile_out},
		{"--json", pc->json_out},
	};
	int ret = cli_streams_choose(pc->cmd, pc->runs, outs, ARRAY_SIZE(outs));

	if (ret)
		return ret;
	if (!pc->tree_dir) {
		cli_error("--tree DIR is required: the deployment tree to prune");
		return EXIT_USAGE;
	}
	if (stat(pc->tree_dir, &st) || !S_ISDIR(st.st_mode)) {
		cli_error("--tree: '%s' is not a directory (give the deployment tree to prune)",
			  pc->tree_dir);
		return EXIT_BAD_INPUT;
	}
	if (!pc->pol.dry_run && !pc->out_zip) {
		cli_error("-o OUT.zip is required (or --dry-run to write nothing)");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++) {
		if (outs[i].path && atomic_file__check_writable(outs[i].path)) {
			cli_error("%s", slz_errmsg()); /* it names the output and the reason */
			return EXIT_OUTPUT;
		}
	}
	return EXIT_OK;
}

/* Report a failed option (err > 0: getopt did not know it) and give the exit code. */
static int option_failed(int err, const char *cmd, char **argv, const struct option *opts)
{
	if (err > 0)
		args__bad_option(cmd, argv, optind, optopt, opts);
	cli_error("%s", slz_errmsg());
	return cli_exit_for(err < 0 ? err : -EINVAL, CLI_STAGE_ARGS);
}

/* A command's own options: 0 when taken, 1 when c is not one of them, or -errno. */
typedef int (*own_option_fn)(struct prune_cli *pc, int c, const char *arg);

/*
 * Set pc up and parse argv up to the first operand: the command's own options first, then
 * those both commands take, then the shared policy ones. -1 to go on, or the exit code (after
 * --help, or a bad option explained).
 */
static int parse_args(struct prune_cli *pc, int argc, char **argv, const char *cmd,
		      const struct option *own, own_option_fn own_option, void (*usage)(FILE *f))
{
	static const int repeatable[] = {OPT_PROFILE, 0};
	struct cli_getopt g;
	int c, err;

	if (prune_cli_init(pc, own) || cli_getopt__init(&g, cmd, "+ho:", pc->opts, repeatable)) {
		cli_error("%s", slz_errmsg());
		return EXIT_USAGE;
	}
	pc->cmd = cmd;
	pc->cmd_argv = argv;
	pc->cmd_argc = argc;
	pc->runs = !strcmp(cmd, "run");
	while ((c = cli_getopt__next(&g, argc, argv)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == CLI_GETOPT_TWICE)
			return EXIT_USAGE;
		err = own_option(pc, c, optarg);
		if (err > 0)
			err = common_option(pc, c, optarg);
		if (err)
			return option_failed(err, cmd, argv, pc->opts);
	}
	return -1;
}

/* prune_cli_validate(), then the warnings the options earn; 0 or the exit code. */
static int validated(struct prune_cli *pc)
{
	int ret = prune_cli_validate(pc);

	if (!ret && pc->pol.zip.mtime_mode == ZIPWRITE_MTIME_EPOCH &&
	    pc->pol.zip.epoch < ZIPWRITE_FIXED_MTIME)
		cli_warn("entry time %lld is before 1980, the first time a zip can hold: "
			 "1980-01-01 is used",
			 (long long)pc->pol.zip.epoch);
	return ret;
}

static volatile sig_atomic_t interrupted;
/* The zip writer's cancel token: static so that the signal handler reaches it. */
static struct slz_cancel zip_cancel = SLZ_CANCEL_INIT;

static void on_interrupt(int sig)
{
	interrupted = sig;
	slz_cancel__request(&zip_cancel);
}

/*
 * Open the tree, plan, and write unless --dry-run; the interrupt handlers cover it all. Every
 * signal that ends a process by default and that a user or a terminal sends to stop one
 * cancels the writer, which removes its temp file (a SIGKILL's leftover is removed by the
 * next writer of the same zip: util.h atomic_file).
 * *stage says what failed, for the exit code.
 */
static int plan_and_write(struct prune_cli *pc, const struct profile *p, struct tree **t,
			  struct prune_plan *pl, struct zipwrite_stats *zs, enum cli_stage *stage)
{
	static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = on_interrupt}, old[ARRAY_SIZE(stop_signals)];
	int err;

	pc->pol.zip.cancel = &zip_cancel;
	/* The zip is written right after the plan: its files deflate while the plan runs. */
	pc->pol.deflate_early = true;
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++) {
		sigaction(stop_signals[i], NULL, &old[i]);
		/* An ignored SIGHUP is nohup's request; the other ignores a shell made on its own.
		 */
		if (stop_signals[i] != SIGHUP || old[i].sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
	}
	*stage = CLI_STAGE_PLAN;
	err = prune_policy__open_tree(&pc->pol, pc->tree_dir, t);
	/* --strict-host refuses here (ENOPKG, exit 10): nothing is written. */
	if (!err)
		err = prune__plan_checked(*t, &pc->pol, &p, 1, NULL, pl);
	/* A kept name the whitelist cannot hold is refused before anything is written. */
	if (!err && pc->whitelist_out) {
		*stage = CLI_STAGE_INPUT;
		err = prune_report__check_whitelist(pl, pc->whitelist_out);
	}
	/* The zip records what shaped it, so that verify --fix rewrites it the same way. */
	if (!err && !pc->pol.dry_run) {
		err = prune__write_zip(pl, &pc->pol, SLIMZIP_VERSION, pc->out_zip, zs);
		*stage = zs->failed_writing ? CLI_STAGE_OUTPUT : CLI_STAGE_INPUT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], &old[i], NULL);
	/* A signal that came when nothing could be cancelled (a --dry-run) still stops prune. */
	if (!err && interrupted)
		err = -ECANCELED;
	return err;
}

/* Everything after the profile exists: prune, write the side outputs, print, pick the code. */
static int prune_and_report(struct prune_cli *pc, const struct profile *p)
{
	struct tree *t = NULL;
	struct prune_plan pl = {0};
	struct zipwrite_stats zs = {0};
	enum cli_stage stage;
	int err, ret = EXIT_OK;
	struct prune_report_run run = {
		.version = SLIMZIP_VERSION,
		.argv = (const char *const *)pc->cmd_argv,
		.argc = (size_t)pc->cmd_argc,
		.pol = &pc->pol,
	};

	/* The walk and the zip on a terminal's stderr (progress_print.h); gone before the summary.
	 */
	pc->pol.zip.meter = cli_progress_begin();
	err = plan_and_write(pc, p, &t, &pl, &zs, &stage);
	cli_progress_end();
	pc->pol.zip.meter = NULL;
	if (err == -ECANCELED) {
		cli_error("interrupted: no zip was written");
		ret = 128 + (interrupted ? interrupted : SIGINT);
		goto out;
	}
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, stage);
		goto out;
	}
	if ((pc->report_out &&
	     (err = prune_report__write_json(&pl, &zs, p, &run, pc->report_out))) ||
	    (pc->whitelist_out && (err = prune_report__write_whitelist(&pl, pc->whitelist_out))) ||
	    (pc->json_out &&
	     (err = prune_print__json(pc->cmd, &pc->pol, pc->out_zip, &pl, &zs, pc->json_out)))) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_OUTPUT);
		goto out;
	}
	if (pc->pol.dry_run)
		prune_print__dry_run(&pl);
	prune_print__warnings(&pc->pol, &pl, &zs, p);
	prune_print__host(&pl);
	if (prune_print__summary(&pc->pol, pc->out_zip, &pl, &zs)) {
		cli_warn("the pruned package exceeds an AWS Lambda limit");
		if (pc->enforce_limits)
			ret = EXIT_LIMIT;
	}
out:
	prune_plan__release(&pl);
	tree__free(t);
	return ret;
}

static void prune_usage(FILE *f)
{
	fprintf(f, "usage: slimzip prune --tree DIR --profile PROFILE [--profile P2...] -o OUT.zip "
		   "[options]\n\n"
		   "Write a zip of DIR holding only what the profiles used (profiles merge as "
		   "sets),\nplus what the closure rules say must travel with it.\n\n"
		   "  --profile FILE         a profile from 'slimzip record' (repeatable)\n");
	common_usage(f);
}

static int prune_option(struct prune_cli *pc, int c, const char *arg)
{
	if (c != OPT_PROFILE)
		return 1;
	if (slz_grow((void **)&pc->profiles, &pc->profiles_cap, pc->nprofiles + 1,
		     sizeof(*pc->profiles)))
		return slz_fail(ENOMEM, "out of memory");
	pc->profiles[pc->nprofiles++] = arg;
	return 0;
}

int cmd_prune(int argc, char **argv)
{
	static const struct option own[] = {
		COMMON_OPTIONS,
		{"profile", required_argument, NULL, OPT_PROFILE},
		{0},
	};
	struct prune_cli pc;
	struct profile *p = NULL;
	int err, ret;

	ret = parse_args(&pc, argc, argv, "prune", own, prune_option, prune_usage);
	if (ret >= 0)
		goto out;
	if (optind < argc) {
		cli_error("unexpected argument '%s' (try 'slimzip prune --help')", argv[optind]);
		ret = EXIT_USAGE;
		goto out;
	}
	if (!pc.nprofiles) {
		cli_error("--profile PROFILE is required (record one with 'slimzip record')");
		ret = EXIT_USAGE;
		goto out;
	}
	ret = validated(&pc);
	if (ret)
		goto out;
	err = profiles__load(pc.profiles, pc.nprofiles, &p);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_for(err, CLI_STAGE_INPUT);
		goto out;
	}
	ret = prune_and_report(&pc, p);
out:
	profile__free(p);
	prune_cli_free(&pc);
	return ret;
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip run --tree DIR -o OUT.zip [options] -- CMD [ARGS...]\n\n"
		"Record CMD (and everything it starts) in a fresh cgroup, then prune DIR to "
		"what it used.\nA failing CMD writes no zip: its profile would be incomplete.\n\n"
		"  --profile-out FILE     also keep the recorded profile\n"
		"  --format text|json     format of --profile-out (default text)\n"
		"  --ignore-exit          prune even when CMD exits non-zero\n"
		"  --max-files N          distinct files the kernel can deduplicate (default "
		"1048576)\n"
		"  --ringbuf-mb N         kernel-to-user buffer in MiB (default 4)\n"
		"  --user USER            run CMD as USER (a name, UID or UID:GID), like strace "
		"-u\n");
	common_usage(f);
}

static int run_option(struct prune_cli *pc, int c, const char *arg)
{
	int err;

	switch (c) {
	case OPT_PROFILE_OUT:
		pc->profile_out = arg;
		return 0;
	case OPT_FORMAT:
		err = profile__parse_format(arg, &pc->profile_fmt);
		return err ? slz_fail(err, "--format: %s", slz_errmsg()) : 0;
	case OPT_IGNORE_EXIT:
		pc->ignore_exit = true;
		return 0;
	case OPT_MAX_FILES:
		return args__u64("--max-files", arg, 1024, 1u << 28, &pc->max_files);
	case OPT_RINGBUF_MB:
		return args__u64("--ringbuf-mb", arg, 1, 1024, &pc->ringbuf_mb);
	case OPT_USER:
		pc->user = arg;
		return 0;
	default:
		return 1;
	}
}

int cmd_run(int argc, char **argv)
{
	static const struct option own[] = {
		COMMON_OPTIONS,
		{"profile-out", required_argument, NULL, OPT_PROFILE_OUT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"ignore-exit", no_argument, NULL, OPT_IGNORE_EXIT},
		{"max-files", required_argument, NULL, OPT_MAX_FILES},
		{"ringbuf-mb", required_argument, NULL, OPT_RINGBUF_MB},
		{"user", required_argument, NULL, OPT_USER},
		{0},
	};
	struct record_opts ro = {.hook = cli.record_hook};
	struct launch_user user = {0};
	struct prune_cli pc;
	struct profile *p = NULL;
	int err = 0, ret, status = -1;
	sigset_t oldmask;

	ret = parse_args(&pc, argc, argv, "run", own, run_option, run_usage);
	if (ret >= 0)
		goto out;
	if (optind >= argc) {
		cli_error("run needs a command after '--' (try 'slimzip run --help')");
		ret = EXIT_USAGE;
		goto out;
	}
	if (pc.user && (ret = cli_user_lookup(NULL, pc.user, &user)))
		goto out;
	ret = validated(&pc);
	if (ret)
		goto out;

	ro.argv = argv + optind;
	ro.user = pc.user ? &user : NULL;
	ro.max_files = (uint32_t)pc.max_files;
	ro.ringbuf_bytes = (uint32_t)(pc.ringbuf_mb << 20);
	ro.signal_fd = cli_signals_take(&oldmask);
	err = ro.signal_fd < 0 ? ro.signal_fd : recorder__record(&ro, &p, &status);
	cli_signals_release(ro.signal_fd, &oldmask);
	if (err) {
		cli_error("%s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		ret = cli_exit_recording(err, status, CLI_STAGE_RECORD);
		goto out;
	}
	/* The run recorded over --tree (or where --tree-path-as says): merge compares it. */
	err = profile__set_tree_root(p, pc.tree_dir, pc.pol.recorded_at);
	if (err) {
		cli_error("out of memory");
		ret = cli_exit_for(err, CLI_STAGE_RECORD);
		goto out;
	}
	if (pc.profile_out && (err = profile__write(p, pc.profile_out, pc.profile_fmt))) {
		cli_error("%s", slz_errmsg());
		ret = cli_exit_for(err, CLI_STAGE_OUTPUT);
		goto out;
	}
	if (profile__has_warnings(p))
		cli_warn("%" PRIu64 " events lost, %" PRIu64 " dedup overflows, %" PRIu64
			 " truncated paths while recording",
			 profile__header_const(p)->lost_events,
			 profile__header_const(p)->dedup_full,
			 profile__header_const(p)->truncated_paths);
	if (status != 0 && !pc.ignore_exit) {
		cli_error(
			"'%s' exited with status %d: no zip written, since a failed run's profile "
			"is incomplete (pass --ignore-exit to prune anyway)",
			ro.argv[0], status);
		ret = status;
		goto out;
	}
	ret = prune_and_report(&pc, p);
out:
	launch_user__release(&user);
	profile__free(p);
	prune_cli_free(&pc);
	return ret;
}
