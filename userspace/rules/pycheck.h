/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which kept Python bytecode a zip would leave stale. A timestamp-based .pyc (PEP 552 flags
 * word 0) records its source's mtime and size; Python recompiles it when they differ, which
 * fails on a read-only deployment. The zip writer reports these counts as warnings.
 */
#ifndef SLIMZIP_PYCHECK_H
#define SLIMZIP_PYCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keepset.h"
#include "rules.h"

/*
 * Count, over the kept regular files of k (read through root_fd, the tree's root directory):
 * - mtimes_kept false (the zip normalizes mtimes): every timestamp-based .pyc, into
 *   *pyc_timestamp; each one will be found stale.
 * - mtimes_kept true: every kept regular .py with an odd-second mtime that has a kept
 *   timestamp-based __pycache__ .pyc, into *py_odd_mtime, once per .py however many pycs
 *   share it; DOS time rounds the .py mtime down to even seconds.
 * The other count is 0. Unreadable pycs count as not timestamp-based. A pyc's header comes from
 * head (NULL: none) when it has it, so a file the zip reads anyway is not opened again. 0, or
 * -ENOMEM (the counts then hold what was counted so far).
 */
int pycheck__count(const struct keepset *k, int root_fd, rules_head_fn *head, void *head_arg,
		   bool mtimes_kept, uint64_t *pyc_timestamp, uint64_t *py_odd_mtime);

/* path (relative to root_fd, not followed if a symlink) is a .pyc with flags word 0. */
bool pycheck__is_timestamp_based(int root_fd, const char *path, uint64_t dev, uint64_t ino);

/*
 * "<dir>/__pycache__/<stem>.<tag>.pyc" -> "<dir>/<stem>.py" in buf (module names hold no dot,
 * so the stem ends at the first one); false when path is not a __pycache__ entry or buf is too
 * small. The Python closure rule finds a pyc's source with it too.
 */
bool pycheck__source_path(const char *path, char *buf, size_t len);

#endif
