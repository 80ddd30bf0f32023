// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip record: run a command (or follow a cgroup) and write the profile of what it touched. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "args.h"
#include "cli.h"
#include "client.h"
#include "container.h"
#include "options.h"
#include "record_print.h"
#include "proctree.h"
#include "profile_io.h"
#include "recorder.h"
#include "util.h"

#define DEFAULT_OUTPUT "slimzip.profile"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip record [options] -- CMD [ARGS...]\n"
		"       slimzip record --cgroup PATH [--duration SECONDS] [options]\n"
		"       slimzip record --pid PID | --container NAME [--duration SECONDS] "
		"[options]\n"
		"       slimzip record --daemon [--name NAME] [--socket PATH] [-o PROFILE] -- CMD\n"
		"\n"
		"Record every file CMD and all its descendants open, map, execute, stat, access "
		"or\n"
		"readlink. CMD runs in a fresh cgroup v2 child; its stdin/stdout/stderr are "
		"passed\n"
		"through, SIGINT/SIGTERM/SIGHUP/SIGQUIT are forwarded to all its processes (its "
		"cgroup)\n"
		"and its exit status is returned; if record is killed, CMD dies with it.\n"
		"With --cgroup, follow an existing cgroup and everything below it until "
		"SIGINT/SIGTERM\n"
		"or the duration ends. With --pid, follow a running process until it exits: its\n"
		"cgroup when that holds only it and its descendants, else its process tree (said "
		"on\n"
		"stderr). When CMD exits, whatever it left running in the background is killed\n"
		"(its cgroup is removed) unless --wait-children. SIGUSR1 writes a snapshot of the\n"
		"profile so far to the output.\n"
		"\n"
		"  -o, --output PROFILE  where to write the profile (default ./" DEFAULT_OUTPUT
		"; - for stdout)\n"
		"      --format F        text (default) or json\n"
		"      --record-missing  also record lookups that failed (ENOENT/ENOTDIR)\n"
		"      --max-files N     distinct (file, kind) entries the kernel keeps (default "
		"%u)\n"
		"      --ringbuf-mb N    kernel-to-user event buffer in MiB (default %u)\n"
		"      --cgroup PATH     follow this cgroup (a directory, or a path below the\n"
		"                        cgroup v2 mount) instead of running a command\n"
		"      --pid PID         follow this running process (and what it starts) until "
		"it\n"
		"                        exits\n"
		"      --container NAME  follow a docker or podman container (name or id): the\n"
		"                        cgroup of its init process, until that exits\n"
		"      --duration S      with --cgroup, --pid or --container: stop after S "
		"seconds\n"
		"                        (30, 30s, 5m, 2h)\n"
		"      --wait-children   when CMD exits, record on until what it started in the\n"
		"                        background has exited too, instead of killing it\n"
		"      --wait-timeout S  with --wait-children: wait at most S, then kill the rest\n"
		"      --user USER       run CMD as USER (a name, UID or UID:GID) with its "
		"groups,\n"
		"                        like strace -u; the environment is left as it is\n"
		"      --daemon          record through a running 'slimzip daemon' (no BPF load\n"
		"                        of its own): CMD's cgroup is registered with it first\n"
		"      --name NAME       with --daemon: the target's name (default: its cgroup's)\n"
		"      --socket PATH     with --daemon: the daemon's socket "
		"(default " CLIENT_DEFAULT_SOCKET ")\n"
		"      --tree-root DIR   the tree CMD works on, named in the profile's tree-root\n"
		"                        header ('slimzip merge' refuses to mix two trees)\n"
		"      --json FILE       the summary as JSON: entries, loss counters, duration,\n"
		"                        exit status, the profile's path ('-': stdout)\n"
		"\n"
		"Requires root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN), BTF and cgroup v2.\n"
		"Exit status: CMD's own status (127 not found, 126 not executable, 128+N for "
		"signal\n"
		"N); otherwise 0, or 3 when events were lost or paths truncated (the profile is\n"
		"written but must not be trusted for pruning). A full dedup map (--max-files) "
		"loses\n"
		"no file, only access counts: it warns and exits 0.\n",
		RECORDER_DEFAULT_MAX_FILES, RECORDER_DEFAULT_RINGBUF >> 20);
}

struct snap_ctx {
	const char *output;
	enum profile_format fmt;
	const char *tree_root; /* --tree-root, as given */
	const char *json;      /* --json FILE: the summary as JSON (record_print.h) */
};

static int write_snapshot(struct profile *p, void *ctx)
{
	const struct snap_ctx *c = ctx;
	/* A snapshot is the profile so far: the same headers as the final one. */
	int err = c->tree_root ? profile__set_tree_root(p, c->tree_root, NULL) : 0;

	if (!err)
		err = profile__write(p, c->output, c->fmt);

	if (err)
		cli_warn("snapshot: %s", slz_errmsg());
	else if (!cli.quiet)
		cli_info("snapshot of %zu files written to %s", profile__count(p), c->output);
	return err;
}

/*
 * The stop signals (and SIGUSR1) that cli_signals_take() found ignored and switched to the
 * default action, given back at release. A shell starts a background command of a script
 * with SIGINT and SIGQUIT ignored, without anyone asking for it, and a recording must still
 * stop when the script sends it one. SIGHUP is left ignored: that is what nohup asks for, and
 * the recorder honours it (the command starts ignoring it too).
 */
static sigset_t was_ignored;

static void signals_restore(const sigset_t *old)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};

	/* Before unblocking: what came meanwhile is discarded, as it would have been. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&was_ignored, sig) == 1)
			sigaction(sig, &ign, NULL);
	}
	sigemptyset(&was_ignored);
	sigprocmask(SIG_SETMASK, old, NULL);
}

int cli_signals_take(sigset_t *old)
{
	struct sigaction sa, dfl = {.sa_handler = SIG_DFL};
	sigset_t mask;
	int fd, low;

	recorder__signals(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, old))
		return slz_fail(errno, "sigprocmask: %s", strerror(errno));
	sigemptyset(&was_ignored);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGHUP || sigismember(&mask, sig) != 1 || sigaction(sig, NULL, &sa) ||
		    sa.sa_handler != SIG_IGN)
			continue;
		if (!sigaction(sig, &dfl, NULL))
			sigaddset(&was_ignored, sig);
	}
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd == 0) { /* stdin was closed: move it, 0 means none to record_opts */
		low = fd;
		fd = fcntl(low, F_DUPFD_CLOEXEC, 3);
		close(low);
	}
	if (fd < 0) {
		int err = slz_fail(errno, "signalfd: %s", strerror(errno));

		signals_restore(old);
		return err;
	}
	return fd;
}

void cli_signals_release(int fd, const sigset_t *old)
{
	if (fd < 0)
		return;
	close(fd);
	signals_restore(old);
}

int cli_user_lookup(const char *cmd, const char *spec, struct launch_user *u)
{
	int err = launch_user__lookup(spec, u);

	if (!err)
		return EXIT_OK;
	if (cmd)
		cli_error("%s: %s", cmd, slz_errmsg());
	else
		cli_error("%s", slz_errmsg());
	launch_user__release(u);
	return err == -ENOENT || err == -EINVAL ? EXIT_USAGE : cli_exit_for(err, CLI_STAGE_RECORD);
}

enum {
	OPT_FORMAT = 256,
	OPT_RECORD_MISSING,
	OPT_MAX_FILES,
	OPT_RINGBUF_MB,
	OPT_CGROUP,
	OPT_DURATION,
	OPT_USER,
	OPT_DAEMON,
	OPT_NAME,
	OPT_SOCKET,
	OPT_TREE_ROOT,
	OPT_JSON,
	OPT_PID,
	OPT_CONTAINER,
	OPT_WAIT_CHILDREN,
	OPT_WAIT_TIMEOUT,
};

/* record --daemon's own options, and which of record's it cannot take (daemon-wide ones). */
struct daemon_args {
	bool on;
	const char *name, *socket;
	const char *conflict;  /* the first option --daemon cannot take */
	const char *container; /* --container (not a daemon option: kept here with the others) */
	bool wait_timeout;     /* --wait-timeout was given */
};

/* One option's value into o / sc; 0, or the exit code after printing why it is refused. */
static int record_option(int c, const char *val, struct record_opts *o, struct snap_ctx *sc,
			 bool *has_duration, const char **user, struct daemon_args *da)
{
	static const char *const daemon_wide[] = {
		[OPT_RECORD_MISSING - OPT_FORMAT] = "--record-missing",
		[OPT_MAX_FILES - OPT_FORMAT] = "--max-files",
		[OPT_RINGBUF_MB - OPT_FORMAT] = "--ringbuf-mb",
		[OPT_CGROUP - OPT_FORMAT] = "--cgroup",
		[OPT_DURATION - OPT_FORMAT] = "--duration",
		[OPT_PID - OPT_FORMAT] = "--pid",
		[OPT_CONTAINER - OPT_FORMAT] = "--container",
		[OPT_WAIT_CHILDREN - OPT_FORMAT] = "--wait-children",
		[OPT_WAIT_TIMEOUT - OPT_FORMAT] = "--wait-timeout",
	};
	uint64_t v;

	if (c >= OPT_FORMAT && c - OPT_FORMAT < (int)ARRAY_SIZE(daemon_wide) &&
	    daemon_wide[c - OPT_FORMAT] && !da->conflict)
		da->conflict = daemon_wide[c - OPT_FORMAT];
	switch (c) {
	case OPT_DAEMON:
		da->on = true;
		break;
	case OPT_NAME:
		da->name = val;
		break;
	case OPT_SOCKET:
		da->socket = val;
		break;
	case 'o':
		if (!*val) {
			cli_error("record: --output needs a file name");
			return EXIT_USAGE;
		}
		sc->output = val;
		break;
	case OPT_FORMAT:
		if (profile__parse_format(val, &sc->fmt)) {
			cli_error("record: invalid --format '%s' (text or json)", val);
			return EXIT_USAGE;
		}
		break;
	case OPT_RECORD_MISSING:
		o->record_missing = true;
		break;
	case OPT_MAX_FILES:
		if (args__u64("--max-files", val, 1024, 1u << 28, &v)) {
			cli_error("record: %s", slz_errmsg());
			return EXIT_USAGE;
		}
		o->max_files = (uint32_t)v;
		break;
	case OPT_RINGBUF_MB:
		if (args__u64("--ringbuf-mb", val, 1, 1024, &v)) {
			cli_error("record: %s", slz_errmsg());
			return EXIT_USAGE;
		}
		o->ringbuf_bytes = (uint32_t)(v << 20);
		break;
	case OPT_CGROUP:
		o->cgroup_path = val;
		break;
	case OPT_DURATION:
		if (args__duration("--duration", val, &o->duration_s)) {
			cli_error("record: %s", slz_errmsg());
			return EXIT_USAGE;
		}
		*has_duration = true;
		break;
	case OPT_USER:
		*user = val;
		break;
	case OPT_PID:
		if (args__u64("--pid", val, 1, INT32_MAX, &v)) {
			cli_error("record: %s", slz_errmsg());
			return EXIT_USAGE;
		}
		o->pid = (pid_t)v;
		break;
	case OPT_CONTAINER:
		if (!*val) {
			cli_error("record: --container needs a container name or id");
			return EXIT_USAGE;
		}
		da->container = val;
		break;
	case OPT_WAIT_CHILDREN:
		o->wait_children = true;
		break;
	case OPT_WAIT_TIMEOUT:
		if (args__duration("--wait-timeout", val, &o->wait_timeout_s)) {
			cli_error("record: %s", slz_errmsg());
			return EXIT_USAGE;
		}
		da->wait_timeout = true;
		break;
	case OPT_TREE_ROOT:
		/* A tree that is not here (recorded for another place) must say where it is. */
		if (val[0] != '/' && access(val, F_OK)) {
			cli_error("record: --tree-root '%s' is neither a directory here nor an "
				  "absolute path; give the tree's directory",
				  val);
			return EXIT_USAGE;
		}
		sc->tree_root = val;
		break;
	case OPT_JSON:
		if (!*val) {
			cli_error("record: --json needs a file name ('-' for stdout)");
			return EXIT_USAGE;
		}
		sc->json = val;
		break;
	}
	return 0;
}

/* --json FILE can take a new file, and is not on stdout beside a profile there. */
static int check_json_out(const struct snap_ctx *sc)
{
	const struct cli_output outs[] = {{"-o", sc->output}, {"--json", sc->json}};

	if (!sc->json)
		return EXIT_OK;
	if (cli_streams_choose("record", true, outs, ARRAY_SIZE(outs)))
		return EXIT_USAGE;
	if (strcmp(sc->json, "-") && atomic_file__check_writable(sc->json)) {
		cli_error("record: --json %s is not writable: %s", sc->json, slz_errmsg());
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}

int cli_record_summary(const char *path, int fmt, const char *json, const struct profile *p,
		       bool daemon, int rc)
{
	const struct record_summary s = {
		.profile = p,
		.path = path,
		.format = fmt == PROFILE_FMT_JSON ? "json" : "text",
		.daemon = daemon,
		.exit_code = rc,
	};

	record_print__verbose(&s);
	if (json && record_print__json(&s, json)) {
		cli_error("record: --json: %s", slz_errmsg());
		return EXIT_OUTPUT;
	}
	return rc;
}

static int record_summary(const struct snap_ctx *sc, const struct profile *p, bool daemon, int rc)
{
	return cli_record_summary(sc->output, sc->fmt, sc->json, p, daemon, rc);
}

/* Which target the options name: exactly one of a command, --cgroup, --pid, --container. */
static int check_modes(const struct record_opts *o, const struct daemon_args *da, bool has_duration)
{
	const char *given[4];
	int n = 0;

	if (o->argv)
		given[n++] = "a command";
	if (o->cgroup_path)
		given[n++] = "--cgroup";
	if (o->pid)
		given[n++] = "--pid";
	if (da->container)
		given[n++] = "--container";
	if (!n) {
		cli_error("record: give a command after '--', --cgroup PATH, --pid PID or "
			  "--container NAME (try --help)");
		return EXIT_USAGE;
	}
	if (n > 1) {
		cli_error("record: give one of a command, --cgroup, --pid or --container, not "
			  "both %s and %s",
			  given[0], given[1]);
		return EXIT_USAGE;
	}
	if (has_duration && o->argv) {
		cli_error("record: --duration only applies with --cgroup, --pid or --container");
		return EXIT_USAGE;
	}
	if ((o->wait_children || da->wait_timeout) && !o->argv) {
		cli_error("record: %s only applies to a command (--cgroup, --pid and --container "
			  "end when told to, or when the process exits)",
			  o->wait_children ? "--wait-children" : "--wait-timeout");
		return EXIT_USAGE;
	}
	if (da->wait_timeout && !o->wait_children) {
		cli_error("record: --wait-timeout bounds --wait-children; give both");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * --pid and --container: which process, and whether to follow its cgroup (*cgroup, set in
 * o->cgroup_path) or its process tree, said on stderr. 0, or the exit code after one line.
 */
static int resolve_pid(struct record_opts *o, const char *container, char **cgroup)
{
	struct proctree_choice c;
	const char *tool;
	pid_t pid;
	int err;

	if (container) {
		err = container__init_pid(container, &pid, &tool);
		if (err) {
			cli_error("record: --container: %s", slz_errmsg());
			return err == -ENOENT || err == -ESRCH
				       ? EXIT_USAGE
				       : cli_exit_for(err, CLI_STAGE_RECORD);
		}
		/* The container's cgroup holds only its work: the whole container is followed. */
		err = proctree__cgroup_dir("/proc", pid, cgroup);
		if (err) {
			cli_error("record: --container %s (pid %d, from %s): %s", container,
				  (int)pid, tool, slz_errmsg());
			return err == -ESRCH ? EXIT_USAGE : cli_exit_for(err, CLI_STAGE_RECORD);
		}
		if (cli.verbose)
			cli_info("container %s: init pid %d (%s), cgroup %s", container, (int)pid,
				 tool, *cgroup);
		o->pid = pid;
		o->cgroup_path = *cgroup;
		return 0;
	}
	if (!o->pid)
		return 0;
	err = proctree__choose(o->pid, &c);
	if (err) {
		cli_error("record: --pid %d: %s", (int)o->pid, slz_errmsg());
		return err == -ESRCH ? EXIT_USAGE : cli_exit_for(err, CLI_STAGE_RECORD);
	}
	if (!c.tree) {
		*cgroup = c.cgroup;
		o->cgroup_path = c.cgroup;
		if (cli.verbose)
			cli_info("following pid %d through its cgroup %s", (int)o->pid, c.cgroup);
		return 0;
	}
	if (cli.quiet)
		; /* -q: the choice goes unsaid */
	else if (c.others)
		cli_info("following pid %d and its children: its cgroup %s also holds %zu other "
			 "process%s",
			 (int)o->pid, c.cgroup, c.others, c.others == 1 ? "" : "es");
	else
		cli_info("following pid %d and its children: %zu of them run outside its cgroup %s",
			 (int)o->pid, c.outside, c.cgroup);
	proctree_choice__release(&c);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"record-missing", no_argument, NULL, OPT_RECORD_MISSING},
		{"max-files", required_argument, NULL, OPT_MAX_FILES},
		{"ringbuf-mb", required_argument, NULL, OPT_RINGBUF_MB},
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"user", required_argument, NULL, OPT_USER},
		{"daemon", no_argument, NULL, OPT_DAEMON},
		{"name", required_argument, NULL, OPT_NAME},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"tree-root", required_argument, NULL, OPT_TREE_ROOT},
		{"json", required_argument, NULL, OPT_JSON},
		{"pid", required_argument, NULL, OPT_PID},
		{"container", required_argument, NULL, OPT_CONTAINER},
		{"wait-children", no_argument, NULL, OPT_WAIT_CHILDREN},
		{"wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT},
		{0},
	};
	struct record_opts o = {.hook = cli.record_hook};
	struct snap_ctx sc = {DEFAULT_OUTPUT, PROFILE_FMT_TEXT};
	struct profile *p = NULL;
	struct launch_user user = {0};
	const char *user_spec = NULL;
	const struct profile_header *h;
	struct daemon_args da = {.socket = CLIENT_DEFAULT_SOCKET};
	bool has_duration = false, timed_out = false;
	char *pid_cgroup = NULL;
	struct cli_getopt g;
	int c, at, err, status = -1, rc, sfd;
	sigset_t oldmask;

	/*
	 * '+': the first word that is not an option starts the command, as does '--'. Messages
	 * name the whole word being read (getopt's optind stays on it while inside it).
	 */
	if (cli_getopt__init(&g, "record", "+:ho:", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	for (at = optind; (c = cli_getopt__next(&g, argc, argv)) != -1; at = optind) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == CLI_GETOPT_TWICE)
			return EXIT_USAGE;
		if (c == '?') {
			cli_error("record: unknown option '%s' (try 'slimzip record --help')",
				  argv[at]);
			return EXIT_USAGE;
		}
		if (c == ':') {
			cli_error("record: option '%s' needs a value", argv[at]);
			return EXIT_USAGE;
		}
		rc = record_option(c, optarg, &o, &sc, &has_duration, &user_spec, &da);
		if (rc)
			return rc;
	}
	/* getopt takes a lone '-' for the command; record refuses it unless '--' came first. */
	if (optind == at && optind < argc && !strcmp(argv[optind], "-")) {
		cli_error("record: unknown option '-' (try 'slimzip record --help')");
		return EXIT_USAGE;
	}
	if (optind < argc)
		o.argv = argv + optind;
	rc = check_modes(&o, &da, has_duration);
	if (rc)
		return rc;
	if (da.on && da.conflict) {
		cli_error("record: --daemon records with the daemon's settings; %s does not apply",
			  da.conflict);
		return EXIT_USAGE;
	}
	if (!da.on && (da.name || strcmp(da.socket, CLIENT_DEFAULT_SOCKET))) {
		cli_error("record: %s only applies with --daemon", da.name ? "--name" : "--socket");
		return EXIT_USAGE;
	}
	if (user_spec && !o.argv) {
		cli_error("record: --user runs a command as a user; it does not apply to %s",
			  o.cgroup_path	 ? "--cgroup"
			  : da.container ? "--container"
					 : "--pid");
		return EXIT_USAGE;
	}
	if (user_spec && (rc = cli_user_lookup("record", user_spec, &user)))
		return rc;
	o.user = user_spec ? &user : NULL;
	if (strcmp(sc.output, "-") && atomic_file__check_writable(sc.output)) {
		cli_error("record: output %s is not writable: %s", sc.output, slz_errmsg());
		launch_user__release(&user);
		return EXIT_OUTPUT;
	}
	if ((rc = check_json_out(&sc))) {
		launch_user__release(&user);
		return rc;
	}
	if (da.on) {
		const struct record_daemon_opts ro = {
			.argv = o.argv,
			.name = da.name,
			.socket = da.socket,
			.output = sc.output,
			.format = (int)sc.fmt,
			.user = o.user,
			.tree_root = sc.tree_root,
			.json = sc.json,
		};

		rc = cli_record_daemon(&ro);
		launch_user__release(&user);
		return rc;
	}
	rc = resolve_pid(&o, da.container, &pid_cgroup);
	if (rc) {
		launch_user__release(&user);
		return rc;
	}
	o.on_snapshot = write_snapshot;
	o.snapshot_ctx = &sc;
	o.wait_timed_out = &timed_out;

	o.signal_fd = sfd = cli_signals_take(&oldmask);
	if (sfd < 0) {
		cli_error("record: %s", slz_errmsg());
		launch_user__release(&user);
		free(pid_cgroup);
		return EXIT_FAILURE_GENERIC;
	}
	slz_errclear();
	err = recorder__record(&o, &p, &status);
	cli_signals_release(sfd, &oldmask);
	launch_user__release(&user);
	free(pid_cgroup);
	if (timed_out)
		cli_warn("what CMD left running was still running after --wait-timeout and was "
			 "killed: the profile ends there");
	if (err) {
		cli_error("record: %s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		return cli_exit_recording(err, status,
					  o.argv ? CLI_STAGE_RECORD : CLI_STAGE_CGROUP);
	}
	err = sc.tree_root ? profile__set_tree_root(p, sc.tree_root, NULL) : 0;
	if (!err)
		err = profile__write(p, sc.output, sc.fmt);
	if (err) {
		cli_error("record: %s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		profile__free(p);
		return cli_exit_for(err, CLI_STAGE_OUTPUT);
	}
	h = profile__header_const(p);
	rc = o.argv ? status : EXIT_OK;
	if (h->lost_events) {
		cli_warn("%" PRIu64 " events were lost: the profile is incomplete (record again "
			 "with a larger --ringbuf-mb)",
			 h->lost_events);
		if (!rc)
			rc = EXIT_LOSS;
	}
	if (h->truncated_paths) {
		/* Deeper than the in-kernel walk: no buffer size helps, only a shorter path. */
		cli_warn(
			"%" PRIu64 " paths were too deep for the recorder and were truncated: "
			"prune refuses them unless their inode is in the tree; record with the "
			"tree at a shorter path (then prune with --tree-path-as), --keep what lies "
			"below them, or make the tree shallower",
			h->truncated_paths);
		if (!rc)
			rc = EXIT_LOSS;
	}
	if (h->dedup_full)
		/*
		 * No file is lost (events still flow), only access counts: a warning, exit 0,
		 * and prune of this profile needs no --force either.
		 */
		cli_warn("the dedup map filled up (%" PRIu64 " times): access counts are "
			 "incomplete and every access of a new file cost an event, but no file is "
			 "missing (a larger --max-files avoids it)",
			 h->dedup_full);
	rc = record_summary(&sc, p, false, rc);
	profile__free(p);
	return rc;
}
