/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kept files of one function's plan grouped into units that move whole into a shared
 * Lambda layer, never as loose files:
 *   - a Python top-level package: a top-level directory that has __init__.py or kept *.py /
 *     *.so below it, its __pycache__ inside, and its *.dist-info / *.egg-info directory
 *     (matched by RECORD, by top_level.txt, or by name: PyYAML-6.0.egg-info for yaml);
 *   - a Python top-level module: x.py (or x.*.so) with __pycache__/x.*.pyc and its metadata;
 *   - a Node package: node_modules/NAME or node_modules/@SCOPE/NAME, nested node_modules
 *     included, with the packages it requires (package.json dependencies that this plan
 *     keeps at the top of node_modules): from /opt/nodejs/node_modules a bare require never
 *     reaches /var/task/node_modules, so the layer may take it only with all of them;
 *   - a shared object lib/NAME.so* with the symlinks in lib/ that lead to it, unless one of
 *     its DT_NEEDED resolves through an rpath / runpath that points into the tree ($ORIGIN,
 *     or an absolute path under it): moved away from what it finds there, it would not load.
 * Everything else (the function's own code, data, node_modules/.bin, directories on the way)
 * stays in the function. Only the tree's top level is looked at, since that is /var/task,
 * where Lambda's sys.path, node_modules and lib/ are.
 *
 * A unit's identity is its kind, its tree-relative paths and a 128-bit hash of every kept
 * entry's name, type and content: the same package at two versions, or with two different
 * sets of kept files, is two units.
 */
#ifndef SLIMZIP_LAYER_UNITS_H
#define SLIMZIP_LAYER_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "keepset.h"

enum unit_kind {
	UNIT_PY_PACKAGE,
	UNIT_PY_MODULE,
	UNIT_NODE_PACKAGE,
	UNIT_SHARED_OBJECT,
	UNIT_KINDS,
};

/* Hex of the 128-bit hash, NUL-terminated. */
#define UNIT_HASH_LEN 32

struct unit {
	enum unit_kind kind;
	const char *name; /* "yaml", "six", "@scope/pkg", "libyaml-0.so.2" */
	/*
	 * Its key, "KIND:ROOT" ("py-package:yaml", "node:node_modules/chalk"): with hash, what
	 * makes two functions' units the same one.
	 */
	const char *key;
	char hash[UNIT_HASH_LEN + 1];
	const uint32_t *entries; /* tree indices, ascending: files, directories, symlinks */
	size_t nentries;
	uint64_t files, bytes; /* regular files and their bytes */
	const size_t *deps;    /* node packages: the units (indices) it requires directly */
	size_t ndeps;
};

struct units;

/*
 * Group what keep holds (a plan's keep set) into units, reading the tree's metadata files,
 * package.json files and ELF headers, and hashing every kept file of a unit. 0 or -errno
 * (a file that cannot be read, explained; -ENOMEM).
 */
int units__group(const struct keepset *keep, struct units **out);
void units__free(struct units *u); /* NULL-safe */
/* Units in the order of their first entry in the tree. */
size_t units__count(const struct units *u);
const struct unit *units__get(const struct units *u, size_t i);
/* The unit index of tree entry idx, or -1 when it stays in the function. */
int64_t units__owner(const struct units *u, uint32_t idx);
const struct keepset *units__keep(const struct units *u);
/* "py-package", "py-module", "node", "shared-object". */
const char *unit_kind__name(enum unit_kind k);

#endif
