/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The CLI layer: the only code that prints. Each subcommand is one entry of main.c's table. */
#ifndef SLIMZIP_CLI_H
#define SLIMZIP_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "recorder.h"

/*
 * Exit codes. A recorded command's own non-zero status passes through unchanged (127 when it
 * cannot be found, 126 when it cannot be executed, 128+N when it died of signal N) and takes
 * precedence over EXIT_LOSS.
 */
enum slz_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_GENERIC = 1, /* an unexpected failure: out of memory, an internal error */
	EXIT_USAGE = 2,		  /* bad arguments */
	EXIT_LOSS = 3,		  /* events lost / truncated paths; prune refuses without --force */
	EXIT_PERMISSION = 4,	  /* not root, or missing CAP_BPF / CAP_PERFMON / CAP_SYS_ADMIN */
	EXIT_UNSUPPORTED = 5,	  /* no BTF, no cgroup v2, the kernel refused the BPF program */
	EXIT_BAD_INPUT = 6,	  /* unreadable or malformed profile, tree or zip */
	EXIT_OUTPUT = 7, /* an output cannot be written (checked first; or its disk fails) */
	EXIT_VERIFY_MISSING = 8, /* verify: files the original tree has were looked up in vain */
	EXIT_LIMIT = 9,		 /* prune: the zip exceeds a limit the user asked to enforce */
	/* prune/run --strict-host (default in CI): the workload used host packages Lambda lacks */
	EXIT_HOST_DEPENDENCY = 10,
	/* ctl, record --daemon: no daemon answers at the socket, or it refused the request */
	EXIT_DAEMON = 11,
	EXIT_CMD_NOT_FOUND = 127,
	EXIT_CMD_NOT_EXEC = 126,
};

struct cli_global {
	int verbose; /* -v: libbpf debug output and more detail */
	bool quiet;
	FILE *summary; /* slimzip's own report of what it did; NULL: stdout (cli_out()) */
	/* The progress line on a terminal (progress_print.h), cleared by every message; NULL. */
	struct cli_progress *progress;
	/* SLIMZIP_RECORD_HOOK (RECORDER_HOOK_ENV), parsed once by main(): every recorder's hook. */
	enum recorder_hook record_hook;
};

extern struct cli_global cli;

/*
 * Streams: a command that runs a workload (record, run, verify, batch) leaves stdout to the
 * workload's own bytes and prints its summary on stderr; one that runs none (prune, report,
 * diff, merge) prints it on stdout, unless one of its outputs is "-" (stdout), which then takes
 * stdout alone. cli_out() is where the summary goes.
 */
FILE *cli_out(void);
/* One output option of a command and the path it was given (NULL: not given). */
struct cli_output {
	const char *option; /* "-o", "--report" */
	const char *path;
};
/*
 * Choose cli_out() for cmd: stderr when workload or when an output is "-", stdout otherwise.
 * At most one output can be "-": EXIT_USAGE after one line naming two, else EXIT_OK.
 */
int cli_streams_choose(const char *cmd, bool workload, const struct cli_output *outs, size_t n);

/*
 * Print "slimzip: <msg>" to stderr (one line); msg is a printf format whose result is escaped
 * for the terminal (escape__term(): control bytes, invalid UTF-8 and C1 controls as \xNN, \n,
 * \t, \r), so names go in raw. cli_warn() says "warning: " first; cli_info() is for notes.
 */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Print a name (a path, a command, a package) escaped for the terminal as messages are, and
 * with backslashes doubled, so a listed name reads back to its bytes.
 */
void cli_name(FILE *f, const char *name);
/*
 * Where a failure happened: the same errno means different things at different stages
 * (EACCES is missing privileges while loading the recorder, an unreadable tree while pruning,
 * an unwritable output while writing one).
 */
enum cli_stage {
	CLI_STAGE_ARGS,	  /* taking an option: its value is wrong (2), a file it names unreadable */
	CLI_STAGE_INPUT,  /* reading what the user gave: profiles, the tree, a zip */
	CLI_STAGE_PLAN,	  /* opening the tree and planning: INPUT, plus the plan's refusals */
	CLI_STAGE_RECORD, /* capabilities, BPF, cgroups, launching the command */
	CLI_STAGE_CGROUP, /* RECORD for record --cgroup PATH: a missing cgroup is a bad argument */
	CLI_STAGE_OUTPUT, /* writing the zip, a profile, a report, a whitelist */
	CLI_STAGE_VERIFY, /* verify__run(), whose stages interleave: each errno's likely meaning */
	CLI_STAGES,
};

/*
 * The exit code for a library failure err (-errno) at stage: the one mapping every command
 * uses (README's exit-code table). 0 for 0.
 */
int cli_exit_for(int err, enum cli_stage stage);
/*
 * The same for a failure of a recording whose command reported cmd_status (-1: it never
 * started): a command that ran, could not run (126, 127) or died (128+N) gives its status.
 */
int cli_exit_recording(int err, int cmd_status, enum cli_stage stage);
/* libbpf's print callback: nothing without -v, debug lines only with -vv. */
int cli_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

/*
 * For the commands that record (record, run, verify; in cmd_record.c): block the signals a
 * recording handles (recorder__signals) and return a signalfd for them (never fd 0, which
 * option structs take for none), or -errno with a message. Those of them found ignored but
 * SIGHUP (a script's background job ignores SIGINT and SIGQUIT unasked; nohup's SIGHUP is
 * meant) get their default action back meanwhile. cli_signals_release() closes it and restores
 * *old and the ignores; a signal no recording read is then delivered as if never blocked.
 */
int cli_signals_take(sigset_t *old);
void cli_signals_release(int fd, const sigset_t *old);
/*
 * For --user USER of record, run and verify (in cmd_record.c): look the user up
 * (launch_user__lookup) before anything starts. EXIT_OK, or the exit code after one line
 * naming it (2 for a user the system does not know or a malformed one); cmd prefixes the
 * message when not NULL.
 */
struct launch_user;
int cli_user_lookup(const char *cmd, const char *spec, struct launch_user *u);

/*
 * For ctl and record --daemon (in cmd_ctl.c): send req to the daemon at socket and take its
 * reply into *a. EXIT_OK, or the exit code after one line (cmd: what to name in it) saying
 * why: no daemon there or it refused (11), not allowed (4), a request it calls invalid (2).
 */
struct proto_request;
struct proto_answer;
int cli_daemon_call(const char *cmd, const char *socket, const struct proto_request *req,
		    struct proto_answer *a);
/* record --daemon (cmd_record_daemon.c): the command in a cgroup the daemon follows. */
struct record_daemon_opts {
	char *const *argv;
	const char *name;   /* NULL: the daemon names it after the cgroup */
	const char *socket; /* the daemon's control socket */
	const char *output; /* the profile ("-": stdout) */
	int format;	    /* enum profile_format */
	const struct launch_user *user;
	const char *tree_root; /* --tree-root, or NULL */
	const char *json;      /* --json FILE, or NULL */
};
int cli_record_daemon(const struct record_daemon_opts *o);
/*
 * record's summary of the profile p written to path (in cmd_record.c): the -v line and --json
 * FILE (record_print.h; json NULL: none). rc, or EXIT_OUTPUT after one line when the JSON
 * cannot be written.
 */
struct profile;
int cli_record_summary(const char *path, int fmt, const char *json, const struct profile *p,
		       bool daemon, int rc);

int cmd_record(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
