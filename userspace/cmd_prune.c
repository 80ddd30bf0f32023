// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Placeholder until the prune command lands; it fails loudly rather than pretending. */
#include "cli.h"

int cmd_prune(int argc, char **argv)
{
	cli_error("'prune' is not built yet");
	return EXIT_FAILURE_GENERIC;
}

int cmd_run(int argc, char **argv)
{
	cli_error("'run' is not built yet");
	return EXIT_FAILURE_GENERIC;
}
