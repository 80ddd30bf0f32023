// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI's one exit-code mapping and its one way of printing messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The same errno, by stage: README's exit-code table, cell by cell where it matters. */
static void test_exit_codes_by_stage(void **state)
{
	assert_int_equal(cli_exit_for(0, CLI_STAGE_OUTPUT), EXIT_OK);
	/* Privileges are the recorder's question; elsewhere EACCES is about a file. */
	assert_int_equal(cli_exit_for(-EPERM, CLI_STAGE_RECORD), EXIT_PERMISSION);
	assert_int_equal(cli_exit_for(-EACCES, CLI_STAGE_RECORD), EXIT_PERMISSION);
	assert_int_equal(cli_exit_for(-EACCES, CLI_STAGE_INPUT), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-EACCES, CLI_STAGE_OUTPUT), EXIT_OUTPUT);
	assert_int_equal(cli_exit_for(-EPERM, CLI_STAGE_VERIFY), EXIT_PERMISSION);
	assert_int_equal(cli_exit_for(-EOPNOTSUPP, CLI_STAGE_RECORD), EXIT_UNSUPPORTED);
	assert_int_equal(cli_exit_for(-EOPNOTSUPP, CLI_STAGE_VERIFY), EXIT_UNSUPPORTED);
	/* The plan's refusals. */
	assert_int_equal(cli_exit_for(-EBADMSG, CLI_STAGE_PLAN), EXIT_LOSS);
	assert_int_equal(cli_exit_for(-ENODATA, CLI_STAGE_PLAN), EXIT_BAD_INPUT);
	/* --strict-host's refusal (hostdeps__refuse): exit 10. */
	assert_int_equal(cli_exit_for(-ENOPKG, CLI_STAGE_PLAN), EXIT_HOST_DEPENDENCY);
	assert_int_equal(EXIT_HOST_DEPENDENCY, 10);
	assert_int_equal(cli_exit_for(-EBADMSG, CLI_STAGE_INPUT), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-EBADMSG, CLI_STAGE_VERIFY), EXIT_BAD_INPUT);
	/* A missing directory: the tree (6), the output's (7), the --cgroup argument (2). */
	assert_int_equal(cli_exit_for(-ENOENT, CLI_STAGE_PLAN), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-ENOENT, CLI_STAGE_OUTPUT), EXIT_OUTPUT);
	assert_int_equal(cli_exit_for(-ENOENT, CLI_STAGE_CGROUP), EXIT_USAGE);
	assert_int_equal(cli_exit_for(-ENOENT, CLI_STAGE_RECORD), EXIT_FAILURE_GENERIC);
	/* A tree file that changed, a zip too large, a path too long: the input's fault. */
	assert_int_equal(cli_exit_for(-EAGAIN, CLI_STAGE_INPUT), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-ESTALE, CLI_STAGE_INPUT), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-EFBIG, CLI_STAGE_VERIFY), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-ENAMETOOLONG, CLI_STAGE_INPUT), EXIT_BAD_INPUT);
	/* A full disk is an output's, wherever it shows. */
	assert_int_equal(cli_exit_for(-ENOSPC, CLI_STAGE_INPUT), EXIT_OUTPUT);
	assert_int_equal(cli_exit_for(-ENOSPC, CLI_STAGE_VERIFY), EXIT_OUTPUT);
	/* Out of memory, and errnos nobody expects, are unexpected failures (while writing: 7). */
	assert_int_equal(cli_exit_for(-ENOMEM, CLI_STAGE_OUTPUT), EXIT_FAILURE_GENERIC);
	assert_int_equal(cli_exit_for(-ETXTBSY, CLI_STAGE_INPUT), EXIT_FAILURE_GENERIC);
	assert_int_equal(cli_exit_for(-ETXTBSY, CLI_STAGE_OUTPUT), EXIT_OUTPUT);
	/* Options: a bad value is a bad argument, a file an option names that is not there is
	 * input. */
	assert_int_equal(cli_exit_for(-EINVAL, CLI_STAGE_ARGS), EXIT_USAGE);
	assert_int_equal(cli_exit_for(-ENOENT, CLI_STAGE_ARGS), EXIT_BAD_INPUT);
	assert_int_equal(cli_exit_for(-ENOMEM, CLI_STAGE_ARGS), EXIT_FAILURE_GENERIC);
	assert_int_equal(cli_exit_for(-ETXTBSY, CLI_STAGE_ARGS), EXIT_USAGE);
	/* Positive errnos read the same. */
	assert_int_equal(cli_exit_for(EACCES, CLI_STAGE_RECORD), EXIT_PERMISSION);
}

/* A recorded command's own status wins over the recorder's failure. */
static void test_exit_of_recordings(void **state)
{
	assert_int_equal(cli_exit_recording(-EINVAL, 127, CLI_STAGE_RECORD), 127);
	assert_int_equal(cli_exit_recording(-EINTR, 143, CLI_STAGE_RECORD), 143);
	assert_int_equal(cli_exit_recording(-EPERM, -1, CLI_STAGE_RECORD), EXIT_PERMISSION);
	assert_int_equal(cli_exit_recording(-ENOENT, -1, CLI_STAGE_CGROUP), EXIT_USAGE);
	assert_int_equal(cli_exit_recording(-ETIMEDOUT, 0, CLI_STAGE_RECORD), EXIT_FAILURE_GENERIC);
}

/* Messages are one escaped line: a name cannot reach the terminal raw or start a new line. */
static void test_messages_escaped(void **state)
{
	char path[] = "/tmp/slz-cli-XXXXXX", buf[256] = {0};
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	cli_error("cannot read %s: %s", "a\x1b[2Jb\nforged: line", "gone");
	cli_warn("%s", "caf\xe9");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	close(fd);
	unlink(path);
	assert_string_equal(buf, "slimzip: cannot read a\\x1b[2Jb\\nforged: line: gone\n"
				 "slimzip: warning: caf\\xe9\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes_by_stage),
		cmocka_unit_test(test_exit_of_recordings),
		cmocka_unit_test(test_messages_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
