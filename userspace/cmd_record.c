// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Placeholder until the record command lands; it fails loudly rather than pretending. */
#include "cli.h"

int cmd_record(int argc, char **argv)
{
	cli_error("'record' is not built yet");
	return EXIT_FAILURE_GENERIC;
}
