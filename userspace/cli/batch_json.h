/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* batch --json FILE: the table batch prints, as one JSON object. */
#ifndef SLIMZIP_CLI_BATCH_JSON_H
#define SLIMZIP_CLI_BATCH_JSON_H

#include <stdbool.h>

#include "batch.h"

/*
 * Every function (its stage, zip, profile, commands, counts, sizes, the failing command and
 * why, --verify's and --layer's results), the layers, the units left out of them, the totals,
 * and slimzip's exit code; the numbers the table prints, unrounded. manifest.json (--layer)
 * stays the layers' record (which unit serves whom); this is the run's summary. layer: batch
 * --layer ran. 0, or -errno explained.
 */
int batch_json__write(const struct batch_result *res, bool layer, int exit_code, const char *path);

#endif
