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

struct cli_global cli;

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
static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);

	fprintf(stderr, "slimzip: %s", prefix);
	if (n < 0)
		fputs("(out of memory while explaining)", stderr);
	else
		escape__term(stderr, msg, (size_t)n);
	fputc('\n', stderr);
	free(msg);
}

void cli_name(FILE *f, const char *name)
{
	escape__term(f, name, strlen(name));
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

int cli_exit_for(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return EXIT_OK;
	case EPERM:
	case EACCES:
		return EXIT_PERMISSION;
	case ENOSYS:
	case EOPNOTSUPP:
		return EXIT_UNSUPPORTED;
	case EINVAL:
	case EFBIG:
	case EBADMSG:
	case ENOENT:
	case ENOTDIR:
		return EXIT_BAD_INPUT;
	case EROFS:
	case ENOSPC:
	case EDQUOT:
		return EXIT_OUTPUT;
	default:
		return EXIT_FAILURE_GENERIC;
	}
}
