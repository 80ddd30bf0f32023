/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Extract a zip into a directory for `slimzip verify`, refusing anything that could write
 * outside it (zip-slip): absolute names, ".." components, NUL bytes, symlinks leaving the
 * destination, and entries reached through a symlink. Modes, symlinks and mtimes are restored
 * the way zipwrite stored them (DOS times read as UTC).
 */
#ifndef SLIMZIP_EXTRACT_H
#define SLIMZIP_EXTRACT_H

/*
 * Extract every entry of zip_path below dest_dir, which is created when missing; an entry that
 * already exists there (other than a directory) is an error. Permission bits are restored
 * without setuid/setgid/sticky. 0 or -errno: -EINVAL for an unsafe name, -EXDEV for a symlink
 * leaving dest_dir (resolved through the archive's other symlinks, as the kernel will once they
 * exist), -ELOOP for a chain of more than 40 symlinks, -EEXIST for a clash; slz_errmsg() names
 * the entry. Names are judged by zipname.h, mtimes read from the raw DOS
 * fields as UTC (dostime.h) whatever TZ says; nothing process-wide is touched.
 */
int extract__zip(const char *zip_path, const char *dest_dir);

/*
 * Remove dir and everything in it, as extract__zip() left it: at any depth (names longer than
 * PATH_MAX included), whatever modes the archive gave, never following a symlink. 0 (also when
 * dir does not exist) or -errno, explained naming dir.
 */
int extract__remove(const char *dir);

#endif
