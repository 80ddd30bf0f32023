/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Extract a zip into a directory for `slimzip verify`, refusing anything that could write
 * outside it (zip-slip): absolute names, ".." components, NUL bytes, symlinks leaving the
 * destination, and entries reached through a symlink. Modes, symlinks and mtimes are restored
 * the way zipwrite stored them (DOS times read as UTC).
 */
#ifndef SLIMZIP_EXTRACT_H
#define SLIMZIP_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

struct extract_stats {
	uint64_t entries;
	uint64_t files;
	uint64_t dirs;
	uint64_t symlinks;
	uint64_t bytes; /* file contents written */
};

/*
 * Extract every entry of zip_path below dest_dir, which is created when missing; an entry that
 * already exists there (other than a directory) is an error. Permission bits are restored
 * without setuid/setgid/sticky. 0 or -errno: -EINVAL for an unsafe name, -EXDEV for a symlink
 * leaving dest_dir (resolved through the archive's other symlinks, as the kernel will once they
 * exist), -ELOOP for a chain of more than 40 symlinks, -EEXIST for a clash; slz_errmsg() names
 * the entry. stats may be NULL.
 * Sets TZ to UTC while reading the zip's directory (see zipwrite__utc_enter()).
 */
int extract__zip(const char *zip_path, const char *dest_dir, struct extract_stats *stats);

/*
 * 0 when name (len bytes, as stored) is a safe relative entry name: not empty, no leading
 * '/', no NUL, no "." / ".." / empty component (a trailing '/' marks a directory). -EINVAL
 * otherwise, explained with slz_fail().
 */
int extract__check_name(const char *name, size_t len);

/*
 * 0 when a symlink stored as entry `name` (relative to the archive root) with this target
 * stays inside the root, judged lexically from the entry's depth; -EXDEV for an absolute
 * target or one that climbs above the root, -EINVAL for an empty one. Lexically only: it cannot
 * know that a component is another symlink (d -> . makes d/d/../.. climb out), so it is no
 * safety check for an archive; extract__zip() resolves links through each other instead.
 */
int extract__check_link(const char *name, const char *target);

#endif
