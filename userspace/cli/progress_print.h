/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The progress line of long work (base/progress.h) on a terminal: one line on stderr,
 * rewritten in place with \r at most every CLI_PROGRESS_INTERVAL_MS, cleared before any other
 * message (cli_error, cli_warn, cli_info clear it) and when the work ends, so that what stays
 * on the screen and every byte of a redirected stderr are what they were without it.
 *
 * Shown only when stderr is a terminal, TERM is not "dumb" and -q was not given: a pipe, a
 * file or a CI log gets nothing. --json FILE and "-" outputs go to files or stdout, never to
 * stderr, so they do not change it.
 */
#ifndef SLIMZIP_PROGRESS_PRINT_H
#define SLIMZIP_PROGRESS_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "progress.h"

#define CLI_PROGRESS_INTERVAL_MS 100

struct cli_progress;
typedef uint64_t (*cli_clock_fn)(void *ctx);

/*
 * A printer drawing on out, reading the time from clock (NULL: slz_mono_ms), at most width
 * columns wide (0: 79). NULL when out of memory (then there is no progress, nothing fails).
 */
struct cli_progress *cli_progress__new(FILE *out, size_t width, cli_clock_fn clock,
				       void *clock_ctx);
/* Clear the line and free; NULL-safe. */
void cli_progress__free(struct cli_progress *p);
/* The hook to put into a library's options struct; NULL for a NULL printer. */
const struct slz_progress *cli_progress__hook(struct cli_progress *p);
/* Erase the drawn line, if any (the next update draws again). NULL-safe. */
void cli_progress__clear(struct cli_progress *p);
/*
 * The text of a line: "walking tree: 12,345 files", "zipping: 210/392 files, 81.0 MiB/183
 * MiB", "verify round 2/5". Returns buf.
 */
const char *cli_progress__format(const struct slz_progress_state *st, char *buf, size_t len);

/*
 * For commands: a printer on stderr when progress is to be shown (see above), made the one
 * cli_error() and friends clear; NULL otherwise. cli_progress_end() clears and frees it.
 */
const struct slz_progress *cli_progress_begin(void);
void cli_progress_end(void);

#endif
