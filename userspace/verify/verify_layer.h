/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * verify --layer, inside verify: Lambda layers as Lambda lays them out. Each layer zip is
 * extracted, in order, into one directory (later files replace earlier ones), which each run
 * sees read-only at /opt in its private mount namespace, with the paths Lambda's runtimes
 * search there (AWS's "Layer paths for each Lambda runtime"): /opt/python and
 * /opt/python/lib/python3.N/site-packages (PYTHONPATH here, as verify runs a plain python),
 * /opt/nodejs/nodeNN/node_modules and /opt/nodejs/node_modules (NODE_PATH), /opt/lib
 * (LD_LIBRARY_PATH), /opt/bin (PATH), each after what the caller's environment has. Private
 * to the verify library.
 */
#ifndef SLIMZIP_VERIFY_LAYER_H
#define SLIMZIP_VERIFY_LAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "verify.h"

#define LAYER_MOUNT "/opt"

#define LAYER_VARS 4 /* PYTHONPATH, NODE_PATH, LD_LIBRARY_PATH, PATH */

struct layers {
	char *dir;   /* the extracted layers, NULL when none */
	int lock_fd; /* keeps dir ours (owned__mkdtemp) */
	char **envp; /* the environment of every run: the caller's, the layer paths added */
	char *vars[LAYER_VARS]; /* the entries of envp made here */
	/* Where the runtimes look in the layers, relative to dir ("python", ...). */
	char **py, **node;
	size_t npy, nnode;
};

/*
 * Extract o->layers into a fresh directory in parent (a "slimzip-verify-" one, swept like
 * the zip's), each at most max_bytes, and build the runs' environment. Nothing to do without
 * layers. 0 or -errno, explained naming the layer; l is released either way on failure.
 */
int layers__prepare(const struct verify_opts *o, const char *parent, uint64_t max_bytes,
		    struct layers *l);
void layers__release(struct layers *l);
/* In the child, in its private mount namespace: the layers at /opt, read-only, and the
 * environment. 0 or -errno. */
int layers__enter(const struct layers *l);
/* Whether the layers hold tree-relative rel where the runtime finds it (see above). */
bool layers__provide(const struct layers *l, const char *rel);

#endif
