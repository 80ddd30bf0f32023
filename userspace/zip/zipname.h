/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which entry names and symlink targets a zip may hold: the rules the writer applies to the
 * links it stores and the extractor to everything it reads, in one place so the two agree.
 */
#ifndef SLIMZIP_ZIPNAME_H
#define SLIMZIP_ZIPNAME_H

#include <stddef.h>

/*
 * 0 when name (len bytes, as stored) is a safe relative entry name: not empty, no leading
 * '/', no NUL, no "." / ".." / empty component (a trailing '/' marks a directory). -EINVAL
 * otherwise, or -ENAMETOOLONG for a component longer than NAME_MAX, explained with slz_fail().
 */
int zipname__check_name(const char *name, size_t len);

/*
 * 0 when a symlink stored as entry `name` (relative to the archive root) with this target
 * stays inside the root, judged lexically from the entry's depth; -EXDEV for an absolute
 * target or one that climbs above the root, -EINVAL for an empty one. Lexically only: it cannot
 * know that a component is another symlink (d -> . makes d/d/../.. climb out), so it is no
 * safety check for an archive; extract__zip() resolves links through each other instead.
 */
int zipname__check_link(const char *name, const char *target);

#endif
