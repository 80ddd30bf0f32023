/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The path rules of hostdeps, shared by its two files (private to prune/hostdeps*.c). */
#ifndef SLIMZIP_PRUNE_HOSTDEPS_PATHS_H
#define SLIMZIP_PRUNE_HOSTDEPS_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "hostdeps.h"

bool hostpath__has_suffix(const char *c, size_t len, const char *suffix);
const char *hostpath__base_name(const char *path);
/* "x.so", "libfoo.so.1.2": named like a shared object. */
bool hostpath__so_name(const char *base);
/*
 * Where the (outermost) package directory of path ends: the offset just after its last
 * component, 0 when path lies below none; *kind says which sort.
 */
size_t hostpath__container_end(const char *path, enum hostdep_kind *kind);
/*
 * The package of path, without allocating: 1 with *kind, the package directory's length in
 * path (*dir_len) and the name (*name, *name_len: inside path) set; 0 when it has none.
 */
int hostpath__locate(const char *path, enum hostdep_kind *kind, size_t *dir_len, const char **name,
		     size_t *name_len);

#endif
