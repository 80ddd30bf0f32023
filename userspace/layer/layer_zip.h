/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A layer's zip, laid out as Lambda mounts a layer at /opt: Python units under python/
 * (/opt/python is on sys.path), Node packages under nodejs/node_modules/ (NODE_PATH), shared
 * objects under lib/ (LD_LIBRARY_PATH). Every unit is read from the tree of the function that
 * keeps it first, and written through the one zip writer with the caller's options, so the
 * same units with the same files give the same bytes, run after run: an unchanged layer keeps
 * its hash and needs no new version.
 *
 * The units' entries are first copied into a staging directory beside the zip (their modes
 * and mtimes with them; the directories the layout adds get ZIPWRITE_FIXED_MTIME), which
 * zipwrite__write then takes as its tree; the directory is named and locked as a temp
 * (".slimzip-layer<pid>-XXXXXX", owned__mkdtemp), removed afterwards, and swept by the next
 * run when a killed one left it.
 */
#ifndef SLIMZIP_LAYER_ZIP_H
#define SLIMZIP_LAYER_ZIP_H

#include "layer_choice.h"
#include "zipwrite.h"

/* Where entry path (tree-relative) of a unit of kind k lands in a layer. malloc'd, or NULL. */
char *layer__path(enum unit_kind k, const char *path);

/*
 * Write layer L to out (atomic: nothing is left on failure). opts->comment is the zip's
 * comment (the caller's: it names the layer). 0 or -errno as zipwrite__write, or the staging
 * copy's failure, explained; st may be NULL.
 */
int layer__write_zip(const struct layer_def *L, const char *out, const struct zipwrite_opts *opts,
		     struct zipwrite_stats *st);

#endif
