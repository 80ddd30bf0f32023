/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The names of what the daemon writes, as pure functions (no I/O):
 *   STATE/profiles/NAME.profile           a finished target (epoch 0)
 *   STATE/profiles/NAME@N.profile         epoch N > 0 of a checkpointed target
 *   STATE/profiles/STEM@snapshot.profile  SIGUSR1's snapshot (STEM: NAME or NAME@N)
 *   STATE/zips/STEM.zip                   the zip of a [function] without output =
 *   STATE/journal/STEM.journal            a live target's profile so far (crash safety)
 * '@' is outside the target name alphabet (registry.h), so every file names one target and
 * one epoch. A [function]'s output may hold {target}, which becomes STEM.
 */
#ifndef SLIMZIP_DAEMON_PATHS_H
#define SLIMZIP_DAEMON_PATHS_H

#include <stdbool.h>
#include <stdint.h>

enum daemon_file {
	DAEMON_FILE_PROFILE,
	DAEMON_FILE_SNAPSHOT,
	DAEMON_FILE_ZIP,
	DAEMON_FILE_JOURNAL, /* STATE/journal/STEM.journal: a live target's profile so far */
};

/* The stem of a target's epoch: "NAME" for epoch 0, "NAME@N" after. out: 256 + 11 bytes. */
#define DAEMON_STEM_MAX (255 + 12)
void daemon_path__stem(const char *name, uint32_t epoch, char *out);
/* STATE/profiles/... or STATE/zips/... for a stem; *out malloc'd. 0 or -ENOMEM. */
int daemon_path__file(const char *state_dir, enum daemon_file kind, const char *stem, char **out);
/*
 * A [function]'s output with every {target} replaced by stem (other text as it is). 0,
 * -ENOMEM, or -ENAMETOOLONG over PATH_MAX, explained.
 */
int daemon_path__output(const char *tpl, const char *stem, char **out);

#endif
