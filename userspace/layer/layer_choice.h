/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which units go to a shared layer (batch --layer): one layer per runtime, python (for
 * /opt/python) and nodejs (/opt/nodejs/node_modules), with shared objects in its lib/. A unit
 * (units.h) goes to its runtime's layer when at least min_users functions of that runtime
 * keep the same one (same key, same hash); a Node package only together with every package it
 * requires (a function takes it from the layer only when it takes its whole closure from
 * there too), so a package whose closure is not shared stays in each function.
 *
 * Lambda's limits, per function: its own unzipped size plus its layers' at most max_unzipped
 * bytes, at most max_layers layers counting its own (conf's layers =, SAM's Layers). A
 * function that would break one is left out of the layer: it keeps its own copy of every
 * unit. Leaving it out can leave a unit with fewer than min_users users; such a unit is
 * dropped from the layer (and stays in the functions that use it), which shrinks the layer
 * and is checked again, until nothing changes. The function that breaks a limit first in the
 * given order is left out first, so the same input gives the same layers. Pure: no files.
 */
#ifndef SLIMZIP_LAYER_CHOICE_H
#define SLIMZIP_LAYER_CHOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "units.h"

enum layer_runtime {
	LAYER_PYTHON,
	LAYER_NODEJS,
	LAYER_RUNTIMES,
	LAYER_NONE = -1,
};

#define LAYER_MAX_UNZIPPED	262144000ULL /* Lambda: function plus layers, unzipped */
#define LAYER_MAX_LAYERS	5
#define LAYER_WARN_ZIP_BYTES	52428800ULL /* a layer zip above this is worth a warning */
#define LAYER_DEFAULT_MIN_USERS 2

struct layer_fn_in {
	const char *name;
	const char *runtime;	   /* "python3.12", "nodejs20.x"; NULL: from its units' kinds */
	uint64_t bytes;		   /* its unzipped size with no layer (plan.after_bytes) */
	size_t own_layers;	   /* the user's layers it has already */
	const struct units *units; /* NULL: the function takes no part (it failed before) */
	/*
	 * Per unit of units, or NULL: the function's own entry point (the script its command
	 * runs), which stays in its zip whoever else keeps the same file: moved to /opt it would
	 * not be where the command looks for it.
	 */
	const bool *stays;
};

struct layer_choice_opts {
	unsigned int min_users; /* >= 1 */
	uint64_t max_unzipped;
	unsigned int max_layers; /* >= 1 */
};

enum layer_fn_state {
	LAYER_FN_IN,	   /* uses the layer */
	LAYER_FN_UNUSED,   /* keeps no unit that is shared (or has no runtime layer) */
	LAYER_FN_TOO_BIG,  /* left out: with the layer it would be over max_unzipped */
	LAYER_FN_TOO_MANY, /* left out: its own layers leave no room for one more */
	LAYER_FN_NO_PART,  /* units was NULL */
};

struct layer_fn_out {
	enum layer_runtime runtime;
	enum layer_fn_state state;
	int layer;	     /* index into layer_choice.layers, -1 when none */
	uint64_t with_layer; /* LAYER_FN_TOO_BIG: its unzipped size with the layer */
	bool *moved;	     /* per unit of its units: the layer serves it */
	uint64_t moved_files, moved_bytes;
	size_t moved_units;
};

struct layer_unit {
	const struct unit *unit; /* the copy of the first user, whose tree the layer reads */
	const struct units *set; /* the units unit is of (its tree: units__keep) */
	size_t from;		 /* that function */
	size_t *users;		 /* functions the layer serves it to, ascending */
	size_t nusers;
};

enum layer_drop_reason {
	LAYER_DROP_CLOSURE, /* a package it requires is not shared by enough of its users */
	LAYER_DROP_LIMITS,  /* its users were left out of the layer by a limit */
};

/* A unit min_users functions kept that is not in the layer after all, and why. */
struct layer_dropped {
	const struct unit *unit; /* the first user's copy */
	enum layer_runtime runtime;
	size_t kept_by; /* how many functions keep it */
	enum layer_drop_reason reason;
};

struct layer_def {
	enum layer_runtime runtime;
	const char *name;	  /* "python", "nodejs" */
	struct layer_unit *units; /* in the order of first use: function, then unit */
	size_t n;
	uint64_t files, bytes; /* unzipped */
	size_t users;	       /* functions that use it */
};

struct layer_choice {
	struct layer_def *layers; /* only those with units, python first */
	size_t nlayers;
	struct layer_fn_out *fns; /* per function given */
	size_t nfns;
	struct layer_dropped *dropped;
	size_t ndropped;
};

/* The runtime's layer: "python..." and "nodejs..." name one, anything else none. */
enum layer_runtime layer_runtime__parse(const char *runtime);
const char *layer_runtime__name(enum layer_runtime rt); /* "python", "nodejs", "none" */
/* "in", "unused", "too-big", "too-many-layers", "failed". */
const char *layer_fn_state__name(enum layer_fn_state s);
const char *layer_drop_reason__name(enum layer_drop_reason r); /* "closure", "limits" */

/* Choose. 0, -EINVAL (an option out of range, explained), -ENOMEM. Release *out always. */
int layer__choose(const struct layer_fn_in *fns, size_t n, const struct layer_choice_opts *o,
		  struct layer_choice *out);
void layer_choice__release(struct layer_choice *c); /* NULL-safe */

#endif
