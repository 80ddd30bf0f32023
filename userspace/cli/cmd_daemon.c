// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * slimzip daemon: the daemon (userspace/daemon/daemon.h) with the process around it: its
 * signals blocked and read through a signalfd, its log on stderr (or syslog once detached),
 * its state changes told to systemd (sd_notify) and, without --foreground, to the parent
 * that waits for it to be ready before it exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "args.h"
#include "cli.h"
#include "notify.h"
#include "daemon.h"
#include "options.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip daemon [--config FILE] [--state-dir DIR] [--runtime-dir DIR] "
		"[--foreground]\n"
		"\n"
		"Load the recorder once and follow many targets (cgroups) at once, each into a\n"
		"profile of its own: STATE/profiles/NAME.profile when it finishes, and a zip when\n"
		"a [function] of the config maps it. Targets come from 'slimzip ctl add',\n"
		"'slimzip record --daemon' and the config's [watch] rules (docs/CONFIG.md); the\n"
		"control socket speaks docs/PROTOCOL.md.\n"
		"\n"
		"      --config FILE      the config (default: none, every default)\n"
		"      --state-dir DIR    profiles and zips (default the config's, %s)\n"
		"      --runtime-dir DIR  the control socket's directory (default %s)\n"
		"      --foreground       stay in the foreground, log to stderr (systemd's way);\n"
		"                         otherwise detach once ready and log to syslog\n"
		"\n"
		"SIGTERM/SIGINT finish every target and exit 0; SIGHUP re-reads the config (a bad\n"
		"one is refused and the old one stays); SIGUSR1 snapshots every target to\n"
		"STATE/profiles/NAME@snapshot.profile. Requires root, BTF and cgroup v2.\n",
		CONF_DEFAULT_STATE_DIR, CONF_DEFAULT_RUNTIME_DIR);
}

/*
 * Every target, and every slot the recorder keeps prepared for the kernel, holds an fd (its
 * dedup map), beside the clients' sockets: the common soft limit of 1024 is below what
 * max-targets allows. The daemon uses epoll only, so a high limit costs nothing (select()'s
 * FD_SETSIZE does not apply). Whatever the config says now, SIGHUP may raise it.
 */
#define DAEMON_FDS_WANTED (CONF_MAX_TARGETS + 64 /* prepared */ + 1024 /* clients, files */)

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= DAEMON_FDS_WANTED)
		return;
	if (rl.rlim_max < DAEMON_FDS_WANTED) {
		struct rlimit want = {DAEMON_FDS_WANTED, DAEMON_FDS_WANTED};

		/* Root may raise the hard limit too; if not, as far as it goes. */
		if (!setrlimit(RLIMIT_NOFILE, &want))
			return;
	}
	rl.rlim_cur = rl.rlim_max < DAEMON_FDS_WANTED ? rl.rlim_max : DAEMON_FDS_WANTED;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		cli_warn("daemon: cannot raise the open file limit to %d: %s; fewer targets may "
			 "be followed",
			 DAEMON_FDS_WANTED, strerror(errno));
}

struct daemon_cli {
	bool detached; /* log to syslog */
	int ready_fd;  /* the waiting parent's pipe, -1 once told */
};

static void on_log(void *ctx, enum daemon_log_level level, const char *msg)
{
	const struct daemon_cli *dc = ctx;

	if (dc->detached) {
		syslog(level == DAEMON_LOG_ERR	  ? LOG_ERR
		       : level == DAEMON_LOG_WARN ? LOG_WARNING
						  : LOG_INFO,
		       "%s", msg);
		return;
	}
	if (level == DAEMON_LOG_INFO && cli.quiet)
		return;
	if (level == DAEMON_LOG_WARN)
		cli_warn("daemon: %s", msg);
	else
		cli_info("daemon: %s", msg);
}

/* Detach from the terminal once the parent knows we are ready: stdio to /dev/null. */
static void detach(struct daemon_cli *dc)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ok = 'R';

	if (write(dc->ready_fd, &ok, 1) < 0) {
		/* The parent is gone: nobody to tell. */
	}
	close(dc->ready_fd);
	dc->ready_fd = -1;
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	openlog("slimzip", LOG_PID, LOG_DAEMON);
	dc->detached = true;
}

static void on_notify(void *ctx, const char *state)
{
	struct daemon_cli *dc = ctx;

	/* A manager that cannot be told finds out by its own timeout: nothing to add here. */
	notify__send(state);
	if (dc->ready_fd >= 0 && !strncmp(state, "READY=1", 7))
		detach(dc);
}

/* Without --foreground: the parent waits for READY (exit 0) or the child's failure. */
static int fork_and_wait(struct daemon_cli *dc, bool *is_child)
{
	int p[2], status;
	pid_t pid;
	char c;

	*is_child = false;
	if (pipe2(p, O_CLOEXEC)) {
		cli_error("daemon: pipe: %s", strerror(errno));
		return EXIT_FAILURE_GENERIC;
	}
	pid = fork();
	if (pid < 0) {
		cli_error("daemon: fork: %s", strerror(errno));
		return EXIT_FAILURE_GENERIC;
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		dc->ready_fd = p[1];
		*is_child = true;
		return EXIT_OK;
	}
	close(p[1]);
	if (read(p[0], &c, 1) == 1) {
		close(p[0]);
		return EXIT_OK;
	}
	close(p[0]);
	/* It failed before it was ready: it said why on our stderr; its code is ours. */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return EXIT_FAILURE_GENERIC;
	return WEXITSTATUS(status);
}

/* The exit code of a daemon that could not start. */
static int start_failure(int err)
{
	if (err == -EINVAL || err == -ENAMETOOLONG)
		return EXIT_USAGE; /* the config or an option */
	if (err == -EADDRINUSE)
		return EXIT_DAEMON;
	return cli_exit_for(err, CLI_STAGE_RECORD);
}

/*
 * daemon_opts.prune_delay_ms, the tests' hold on each prune (tests/e2e/daemon_prune.sh): read
 * here because library code has no inputs from the environment.
 */
#define PRUNE_DELAY_ENV "SLIMZIP_TEST_PRUNE_DELAY_MS"

int cmd_daemon(int argc, char **argv)
{
	enum { OPT_CONFIG = 256, OPT_STATE, OPT_RUNTIME, OPT_FOREGROUND };
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"state-dir", required_argument, NULL, OPT_STATE},
		{"runtime-dir", required_argument, NULL, OPT_RUNTIME},
		{"foreground", no_argument, NULL, OPT_FOREGROUND},
		{0},
	};
	struct daemon_cli dc = {.ready_fd = -1};
	struct daemon_opts o = {.hook = cli.record_hook,
				.signal_fd = -1,
				.log = on_log,
				.notify = on_notify,
				.ctx = &dc};
	struct daemon *d = NULL;
	bool foreground = false, child;
	uint64_t delay_ms = 0;
	sigset_t mask, old;
	struct cli_getopt g;
	int c, at, err, rc;

	if (cli_getopt__init(&g, "daemon", ":h", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	for (at = optind; (c = cli_getopt__next(&g, argc, argv)) != -1; at = optind) {
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_CONFIG:
			o.config = optarg;
			break;
		case OPT_STATE:
			o.state_dir = optarg;
			break;
		case OPT_RUNTIME:
			o.runtime_dir = optarg;
			break;
		case OPT_FOREGROUND:
			foreground = true;
			break;
		case ':':
			cli_error("daemon: option '%s' needs a value", argv[at]);
			return EXIT_USAGE;
		default:
			cli_error("daemon: unknown option '%s' (try 'slimzip daemon --help')",
				  argv[at]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("daemon: unexpected argument '%s' (try 'slimzip daemon --help')",
			  argv[optind]);
		return EXIT_USAGE;
	}
	if (args__env_u64(PRUNE_DELAY_ENV, 0, UINT_MAX, &delay_ms)) {
		cli_error("%s", slz_errmsg());
		return EXIT_USAGE;
	}
	o.prune_delay_ms = (unsigned int)delay_ms;
	if ((o.state_dir && o.state_dir[0] != '/') || (o.runtime_dir && o.runtime_dir[0] != '/')) {
		cli_error("daemon: '%s' is not an absolute path; give the directory from /",
			  o.state_dir && o.state_dir[0] != '/' ? o.state_dir : o.runtime_dir);
		return EXIT_USAGE;
	}
	if (!foreground) {
		rc = fork_and_wait(&dc, &child);
		if (rc || !child)
			return rc;
	}
	daemon__signals(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, &old)) {
		cli_error("daemon: sigprocmask: %s", strerror(errno));
		return EXIT_FAILURE_GENERIC;
	}
	o.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o.signal_fd < 0) {
		cli_error("daemon: signalfd: %s", strerror(errno));
		return EXIT_FAILURE_GENERIC;
	}
	raise_fd_limit();
	slz_errclear();
	err = daemon__new(&o, &d);
	if (err) {
		cli_error("daemon: %s", *slz_errmsg() ? slz_errmsg() : strerror(-err));
		close(o.signal_fd);
		return start_failure(err);
	}
	err = daemon__run(d);
	if (err)
		on_log(&dc, DAEMON_LOG_ERR, slz_errmsg());
	daemon__free(d);
	close(o.signal_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (dc.detached)
		closelog();
	return err ? EXIT_FAILURE_GENERIC : EXIT_OK;
}
