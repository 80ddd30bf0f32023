/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Lambda's layout, the one definition batch --layer's layer zips (layer/) and verify --layer's
 * lookups (verify/verify_layer.c) share: where a layer mounted at /opt puts what a function's
 * tree holds (python/ on sys.path, nodejs/node_modules/ where a bare require reaches, lib/ and
 * bin/ on LD_LIBRARY_PATH and PATH), and which tree file a handler names. Lexical only.
 */
#ifndef SLIMZIP_LAMBDA_LAYOUT_H
#define SLIMZIP_LAMBDA_LAYOUT_H

#include <stddef.h>

enum lambda_area {
	LAMBDA_PYTHON, /* python/REL: /opt/python is on sys.path */
	LAMBDA_NODE,   /* the tree's node_modules/X is nodejs/node_modules/X */
	LAMBDA_OPT,    /* lib/X and bin/X lie where /opt/lib and /opt/bin are searched */
};

/* The layer's directories of the areas, as Lambda searches them (unversioned). */
#define LAMBDA_PYTHON_DIR "python"
#define LAMBDA_NODE_DIR	  "nodejs/node_modules"

/*
 * The areas that may serve the tree path rel, in the order to look: node_modules/... (and
 * node_modules itself) only the Node one; lib/... and bin/... /opt's own, then python/ (a
 * Python package may be named lib); anything else python/. Returns how many (1 or 2).
 */
size_t lambda_layout__areas(const char *rel, enum lambda_area out[2]);
/*
 * rel as a path inside area a's directory: node_modules/X is X, node_modules itself ".";
 * others as they are. Points into rel (or at a static ".").
 */
const char *lambda_layout__inner(enum lambda_area a, const char *rel);
/*
 * The path in a layer zip of the tree path rel served from area a: "python/REL",
 * "nodejs/node_modules/X" for node_modules/X, REL itself under LAMBDA_OPT. malloc'd, NULL
 * when out of memory (or rel is no path of a: LAMBDA_NODE outside node_modules/).
 */
char *lambda_layout__layer_path(enum lambda_area a, const char *rel);

/* At most this many files a handler can name (index.js, index.mjs, index.cjs). */
#define LAMBDA_HANDLER_FILES 3
/*
 * The tree files a function's Handler may name, as the runtime looks it up from the task
 * root: Python's "pkg.mod.fn" (or "pkg/mod.fn") is pkg/mod.py; Node's "src/app.fn" is
 * src/app.js, .mjs or .cjs. runtime ("python3.12", "nodejs20.x", or NULL: both kinds)
 * chooses. Fills out[] with malloc'd tree-relative paths; returns how many (0 for a handler
 * without a "module.function" shape), or -ENOMEM.
 */
int lambda_layout__handler_files(const char *handler, const char *runtime,
				 char *out[LAMBDA_HANDLER_FILES]);

#endif
