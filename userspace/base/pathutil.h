/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Lexical path rules every layer shares: is a path below a directory, a path's clean spelling,
 * and how many symlinks one path may cross. Lexical only: no component is looked up, so ".."
 * is left for whoever knows the links (the tree's resolver).
 */
#ifndef SLIMZIP_PATHUTIL_H
#define SLIMZIP_PATHUTIL_H

#include <stddef.h>

/*
 * The kernel's MAXSYMLINKS: crossing more symlinks than this while resolving one path is a loop
 * (ELOOP). The tree's resolver and the extractor stop where the workload itself would.
 */
#define SLZ_LINK_HOPS_MAX 40

/*
 * The part of the absolute path abs below the directory dir: "" for dir itself, "/..." below
 * it, NULL when abs is neither. Trailing '/' of dir do not count ("/var/task/" is "/var/task"),
 * so dir "/" holds every absolute path; a NULL or empty dir holds nothing.
 */
const char *path__below(const char *abs, const char *dir);

/*
 * Clean p in place: empty and "." components go ("a//./b/" becomes "a/b"), a leading '/' stays
 * one ("//x" becomes "/x", "/" stays "/"), ".." stays. Returns the new length.
 */
size_t path__clean(char *p);

#endif
