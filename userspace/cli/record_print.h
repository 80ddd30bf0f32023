/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* record's summary: the -v line and record --json FILE, from one set of numbers. */
#ifndef SLIMZIP_CLI_RECORD_PRINT_H
#define SLIMZIP_CLI_RECORD_PRINT_H

#include <stdbool.h>

#include "profile.h"

struct record_summary {
	const struct profile *profile; /* as written */
	const char *path;	       /* -o ("-": stdout) */
	const char *format;	       /* "text" or "json" */
	bool daemon;		       /* recorded through the daemon (--daemon) */
	int exit_code;		       /* slimzip's */
};

/* -v: "recorded N files to PATH". */
void record_print__verbose(const struct record_summary *s);
/*
 * --json FILE: one object: the profile (path, format, entries), what was recorded (target
 * kind, command, cgroup), the command's exit status and slimzip's exit code, the duration and
 * the loss counters, the same numbers the warnings print. 0, or -errno explained.
 */
int record_print__json(const struct record_summary *s, const char *path);

#endif
