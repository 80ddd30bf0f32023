/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * slimzip batch: many functions at once. Every command of every [function] section of a
 * manifest runs in a cgroup of its own, up to `jobs` at a time, all followed by one loaded BPF
 * program, a target per command: a running daemon's (each cgroup registered with it before its
 * command starts, finished when it ends: daemon/follow.h) or else a private recorder's; a
 * function's commands' profiles merge, and
 * each function whose commands all succeeded is pruned to its zip exactly as `slimzip prune`
 * prunes (prune__plan_checked, prune__write_zip), with the section's options. A failure of one
 * function (a command's status, a refusal, an unwritable zip) is recorded with its name and
 * does not stop the others.
 *
 * Commands run through /bin/sh -c in the manifest's directory (where the paths of a manifest
 * are taken from), with the environment batch was given. What a command leaves running in its
 * cgroup when it exits is killed with the cgroup, as `slimzip record` does.
 */
#ifndef SLIMZIP_BATCH_H
#define SLIMZIP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "progress.h"
#include "recorder.h"

enum batch_stage {
	BATCH_OK,
	BATCH_RECORD,  /* a command could not start, or failed (cmd_status says how) */
	BATCH_PLAN,    /* opening the tree, planning, a refusal (loss, host packages, ...) */
	BATCH_OUTPUT,  /* the zip could not be written */
	BATCH_STOPPED, /* a stop signal came before the function was done */
	BATCH_VERIFY,  /* --verify: a command failed on the zip, or found files missing */
};

struct batch_function_result {
	const char *name; /* the section's */
	enum batch_stage stage;
	int err;		    /* -errno of the failing stage, 0 */
	int cmd_status;		    /* the failing command's shell-style status, else 0 */
	const char *failed_command; /* the manifest's text of it, or NULL */
	char *message;		    /* what went wrong (slz_errmsg at the time), or NULL */
	char *zip;		    /* the zip written, or NULL */
	char *profile;		    /* OUTDIR/profiles/NAME.profile (merged), or NULL */
	uint64_t commands;	    /* commands run */
	uint64_t profile_entries;   /* in the merged profile */
	uint64_t lost_events;
	uint64_t before_files, before_bytes, after_files, after_bytes, zip_bytes;
	bool host_packages; /* the plan used host packages (refused unless strict-host = no) */
	/*
	 * --layer: the layer it uses (a batch_result.layers name) or NULL; layer_state is
	 * layer_fn_state__name's word (in, unused, too-big, too-many-layers), NULL without
	 * --layer. with_layer: for too-big, its unzipped size with the layer. layer_units,
	 * layer_files and layer_bytes: what the layer serves it instead of its zip (after_* are
	 * then what its own zip holds).
	 */
	const char *layer;
	const char *layer_state;
	uint64_t with_layer;
	uint64_t layer_units, layer_files, layer_bytes;
	size_t own_layers; /* the user's layers it has (layers =, SAM's Layers) */
	/* --verify: it passed; the files its runs missed, the first of them (or NULL). */
	bool verified;
	int verify_status;
	size_t verify_missing;
	char *verify_first_missing;
};

/* A shared layer batch --layer wrote. */
struct batch_layer {
	const char *name; /* "python", "nodejs" */
	char *zip;	  /* OUTDIR/layers/NAME.zip */
	uint64_t zip_bytes, files, bytes;
	size_t units, users;
	bool over_warn; /* its zip is over 50 MB (LAYER_WARN_ZIP_BYTES): worth a look */
};

struct batch_result {
	struct batch_function_result *functions; /* in the manifest's order */
	size_t n;
	unsigned int failed; /* functions whose stage is not BATCH_OK */
	int signal;	     /* the stop signal that ended the run early, else 0 */
	/* --layer */
	struct batch_layer *layers;
	size_t nlayers;
	/* Units enough functions kept that the layer does not hold, "KEY (why)", and how many. */
	char **dropped;
	size_t ndropped;
	char *manifest_json; /* OUTDIR/manifest.json, when written */
	/* All functions zipped: their trees' bytes, and their zips' plus the layers' zip bytes. */
	uint64_t total_before_bytes, total_zip_bytes, total_layer_zip_bytes;
	/*
	 * Recorded through a running daemon, not a private recorder (when batch__run fails:
	 * the daemon's failure, not the batch's).
	 */
	bool daemon;
};

/*
 * The parts batch's two JSON documents share (OUTDIR/manifest.json and the CLI's --json
 * summary), written once so both say the same: {"files","bytes"} under key; a function's
 * "layer" object (its name only when the function was zipped); the "totals" object.
 */
struct json_writer;
void batch_sizes__write(struct json_writer *w, const char *key, uint64_t files, uint64_t bytes);
void batch_function_layer__write(struct json_writer *w, const struct batch_function_result *f);
void batch_totals__write(struct json_writer *w, const struct batch_result *res);

typedef void (*batch_command_fn)(const char *function, const char *command, int status, void *ctx);

struct batch_opts {
	enum recorder_hook hook;     /* the recorder's (recorder_config.hook), verify's too */
	const struct conf *manifest; /* CONF_MANIFEST */
	const char *base_dir;	     /* where commands run: the manifest's directory */
	const char *outdir;	     /* zips default to OUTDIR/functions/NAME.zip */
	unsigned int jobs;	     /* commands at once, >= 1 */
	const char *version;	     /* the slimzip version the zips' comments name */
	/*
	 * A signalfd for SIGINT, SIGTERM, SIGHUP, SIGQUIT (blocked by the caller), or <= 0: on
	 * one, the running commands get it, nothing new starts, and no zip is written.
	 */
	int signal_fd;
	batch_command_fn on_command; /* after each command ends (the CLI prints it) */
	void *ctx;
	/*
	 * Commands ended of all ("batch: 3/6 commands recorded", after each on_command, which it
	 * pauses for) and functions zipped ("batch zipping"); NULL: none.
	 */
	const struct slz_progress *progress;
	/*
	 * --layer: the units at least layer_min_users functions keep go to a shared layer per
	 * runtime (OUTDIR/layers/NAME.zip, layer/layer_choice.h), each function's zip leaves
	 * them out, and OUTDIR/manifest.json says who uses what. max_unzipped: a function's
	 * unzipped size plus its layers' at most (0: Lambda's 262,144,000).
	 */
	bool layer;
	/* Re-run each zipped function's commands on its zip (and layer) as verify does. */
	bool verify;
	unsigned int layer_min_users; /* 0: 2 */
	uint64_t max_unzipped;
	/*
	 * Recording: through the daemon at socket (NULL: CLIENT_DEFAULT_SOCKET, used only when a
	 * daemon answers there; a socket given must answer), each command's cgroup registered
	 * with it, or, no_daemon, through a private recorder.
	 */
	const char *socket;
	bool no_daemon;
};

/*
 * Run the batch. 0 when it ran (each function's outcome is in *res, which the caller releases
 * with batch_result__release even on failure), or -errno when nothing could run (the recorder
 * cannot load: -EPERM, -EOPNOTSUPP; out of memory), explained.
 */
int batch__run(const struct batch_opts *o, struct batch_result *res);
void batch_result__release(struct batch_result *res); /* NULL-safe */
/* "recording", "pruning", "writing", "stopped", "verifying", "ok". */
const char *batch_stage__name(enum batch_stage s);

#endif
