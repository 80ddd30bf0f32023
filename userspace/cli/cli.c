// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI's one way to speak: error and warning lines, libbpf's output, exit codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "escape.h"
#include "progress_print.h"
#include "util.h"

struct cli_global cli;

FILE *cli_out(void)
{
	return cli.summary ? cli.summary : stdout;
}

int cli_streams_choose(const char *cmd, bool workload, const struct cli_output *outs, size_t n)
{
	const char *first = NULL;

	cli.summary = workload ? stderr : stdout;
	for (size_t i = 0; i < n; i++) {
		if (!outs[i].path || strcmp(outs[i].path, "-"))
			continue;
		/* Two outputs on one stream could not be told apart again. */
		if (first) {
			cli_error(
				"%s: %s and %s both write to stdout ('-'): give one of them a file",
				cmd, first, outs[i].option);
			return EXIT_USAGE;
		}
		first = outs[i].option;
		cli.summary = stderr;
	}
	return EXIT_OK;
}

int cli_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && cli.verbose < 2)
		return 0;
	if (!cli.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * One line on stderr. Messages quote names from the tree, the profile and the zip: the whole
 * line goes through the terminal escaping, so none of them can move the cursor, retitle the
 * window or start a forged line.
 */
static void put_line(FILE *f, const char *prefix, const char *msg, int n)
{
	fprintf(f, "slimzip: %s", prefix);
	if (n < 0)
		fputs("(out of memory while explaining)", f);
	else
		escape__term(f, msg, (size_t)n, false);
	fputc('\n', f);
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL, *line = NULL;
	size_t len = 0;
	int n = vasprintf(&msg, fmt, ap);
	FILE *f;

	/* A progress line would otherwise run into the message; the next update redraws it. */
	cli_progress__clear(cli.progress);
	/*
	 * The line is escaped into memory and written with one write(): stderr is unbuffered, so
	 * the escaping's per-character output was one syscall per character, and the lines of
	 * jobs sharing a terminal or a CI log could interleave mid-line. Without the memory,
	 * straight to stderr as before.
	 */
	f = open_memstream(&line, &len);
	if (f) {
		put_line(f, prefix, msg, n);
		if (fclose(f) == 0)
			fwrite(line, 1, len, stderr);
		else
			put_line(stderr, prefix, msg, n);
	} else {
		put_line(stderr, prefix, msg, n);
	}
	free(line);
	free(msg);
}

void cli_name(FILE *f, const char *name)
{
	escape__term(f, name, strlen(name), true);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

/*
 * The one mapping of library failures to exit codes, for every command. One row per errno
 * the layers below return, one column per stage: the same errno means one thing while loading
 * the recorder (EACCES: privileges, 4), another while reading the tree (unreadable input, 6)
 * and another while writing an output (7). Any errno not listed is an unexpected failure (1),
 * an output failure (7) while writing, a bad argument (2) while taking options.
 */
static const struct {
	int err;
	/* ARGS, INPUT, PLAN, RECORD, CGROUP, OUTPUT, VERIFY */
	unsigned char code[CLI_STAGES];
} exit_table[] = {
	{ENOMEM, {1, 1, 1, 1, 1, 1, 1}},
	/* The recorder says EPERM for missing capabilities and a refused BPF load. */
	{EPERM, {6, 6, 6, 4, 4, 7, 4}},
	{EACCES, {6, 6, 6, 4, 4, 7, 6}},
	/* No BTF, no cgroup v2, a program the kernel refuses. */
	{EOPNOTSUPP, {2, 6, 6, 5, 5, 7, 5}},
	{ENOSYS, {2, 6, 6, 5, 5, 7, 5}},
	/* The plan's refusal for recorded loss or unmatched truncated paths. */
	{EBADMSG, {2, 6, 3, 1, 1, 7, 6}},
	/* The plan's refusals: nothing of the profile in the tree, touched files unlistable. */
	{ENODATA, {2, 6, 6, 1, 1, 7, 6}},
	/* --strict-host: the plan uses host packages that Lambda lacks (hostdeps__refuse). */
	{ENOPKG, {2, 6, 10, 1, 1, 7, 6}},
	/* A --keep-from file that is not there; a record --cgroup PATH that names no cgroup. */
	{ENOENT, {6, 6, 6, 1, 2, 7, 6}},
	{ENOTDIR, {6, 6, 6, 1, 2, 7, 6}},
	{EINVAL, {2, 6, 6, 1, 1, 7, 6}},
	{EFBIG, {2, 6, 6, 1, 1, 7, 6}},
	{EXDEV, {2, 6, 6, 1, 1, 7, 6}},
	{ELOOP, {2, 6, 6, 1, 1, 7, 6}},
	{ENAMETOOLONG, {2, 6, 6, 1, 1, 7, 6}},
	/* A tree file swapped or changed while it was read. */
	{ESTALE, {2, 6, 6, 1, 1, 7, 6}},
	{EAGAIN, {2, 6, 6, 1, 1, 7, 6}},
	{EEXIST, {2, 6, 6, 1, 1, 7, 6}},
	{EISDIR, {6, 6, 6, 1, 1, 7, 6}},
	{EIO, {6, 6, 6, 1, 1, 7, 6}},
	/* Only ever about a place slimzip writes to. */
	{EROFS, {7, 7, 7, 1, 1, 7, 7}},
	{ENOSPC, {7, 7, 7, 1, 1, 7, 7}},
	{EDQUOT, {7, 7, 7, 1, 1, 7, 7}},
};

int cli_exit_for(int err, enum cli_stage stage)
{
	err = err < 0 ? -err : err;
	if (!err)
		return EXIT_OK;
	if (stage >= CLI_STAGES)
		return EXIT_FAILURE_GENERIC;
	for (size_t i = 0; i < ARRAY_SIZE(exit_table); i++)
		if (exit_table[i].err == err)
			return exit_table[i].code[stage];
	return stage == CLI_STAGE_OUTPUT ? EXIT_OUTPUT
	       : stage == CLI_STAGE_ARGS ? EXIT_USAGE
					 : EXIT_FAILURE_GENERIC;
}

int cli_exit_recording(int err, int cmd_status, enum cli_stage stage)
{
	/* The command ran, or could not (126, 127), or died (128+N): its status says it all. */
	return cmd_status > 0 ? cmd_status : cli_exit_for(err, stage);
}
