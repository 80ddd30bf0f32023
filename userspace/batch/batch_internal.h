/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What batch.c's prune part shares with batch --layer (batch_layer.c) and manifest.json
 * (batch_manifest.c): every function is planned first, then the layer is chosen from all the
 * plans, then each zip is written from its plan minus what its layer holds.
 */
#ifndef SLIMZIP_BATCH_INTERNAL_H
#define SLIMZIP_BATCH_INTERNAL_H

#include <stdbool.h>

#include "batch.h"
#include "layer_choice.h"
#include "plan.h"
#include "prune_policy.h"

/* One function between its plan and its zip. */
struct batch_plan {
	struct prune_policy pol;
	bool pol_ready; /* pol was initialised: release it */
	struct tree *t;
	struct prune_plan pl;
	bool planned;	     /* pl is a plan the zip may be written from */
	struct units *units; /* --layer: pl's kept files as units */
};

/* Record a failure of function fn (the first one sticks), as the recording part does. */
void batch__fail(struct batch_result *res, size_t fn, enum batch_stage stage, int err);

/*
 * --layer on the planned functions: group, choose (into *c, the caller releases it), write
 * each layer's zip to OUTDIR/layers/NAME.zip, and take what a function's layer holds out of
 * its plan. A function whose units cannot be read, or whose layer cannot be written, fails
 * (it gets no zip). 0, or -errno when nothing of it could run (-ENOMEM, a bad option).
 */
int batch__layers(const struct batch_opts *o, struct batch_result *res, struct batch_plan *plans,
		  struct layer_choice *c);

/*
 * --verify: each zipped function's commands re-run on its zip with its layer at /opt, as
 * `slimzip verify` runs them; one that fails, or that looks up a file its zip lacks, is
 * failed with BATCH_VERIFY (its zip stays). 0, or -ENOMEM / -EINTR (a stop signal).
 */
int batch__verify(const struct batch_opts *o, struct batch_result *res, struct batch_plan *plans,
		  const struct layer_choice *c);

/* OUTDIR/manifest.json from the results and the choice, atomically. 0 or -errno, explained. */
int batch__write_manifest(const struct batch_opts *o, struct batch_result *res,
			  const struct layer_choice *c);

#endif
