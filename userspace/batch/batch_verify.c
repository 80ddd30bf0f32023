// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* batch --verify: every function's commands re-run on its zip, its layer at /opt (verify/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "util.h"
#include "verify.h"

/* The first missing file a round names, for the summary. */
static void on_round(const struct verify_round *r, void *ctx)
{
	struct batch_function_result *f = ctx;

	if (r->nmissing && !f->verify_first_missing)
		f->verify_first_missing = strdup(r->missing[0].path);
}

/*
 * One command on the function's zip, as `slimzip verify` runs it: the zip extracted and
 * mounted over the tree, its layer read-only at /opt. The command runs as batch ran it:
 * /bin/sh -c in the manifest's directory.
 */
static int verify_command(const struct batch_opts *o, const struct conf_function *fn,
			  struct batch_plan *bp, const char *layer, const char *cmd,
			  struct batch_function_result *f)
{
	char *script = NULL;
	char *argv[] = {"/bin/sh", "-c", NULL, NULL};
	const char *layers[] = {layer};
	struct verify_opts vo = {
		.hook = o->hook,
		.tree_dir = fn->tree,
		.zip_path = f->zip,
		.policy = &bp->pol,
		.layers = layer ? layers : NULL,
		.nlayers = layer ? 1 : 0,
		.signal_fd = o->signal_fd,
		.on_round = on_round,
		.on_round_ctx = f,
	};
	struct verify_result vr = {0};
	int err;

	/* cd first: a command's paths are the manifest's directory's, as when it was recorded. */
	if (asprintf(&script, "cd '%s' && %s", o->base_dir, cmd) < 0)
		return -ENOMEM;
	argv[2] = script;
	vo.argv = argv;
	err = verify__run(&vo, &vr);
	free(script);
	if (err)
		return err;
	f->verify_status = vr.cmd_status;
	f->verify_missing += vr.nmissing + vr.nhost_missing;
	return vr.cmd_status || vr.nmissing || vr.nhost_missing || vr.lost_events ? 1 : 0;
}

int batch__verify(const struct batch_opts *o, struct batch_result *res, struct batch_plan *plans,
		  const struct layer_choice *c)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct conf_function *fn = conf__function(o->manifest, i);
		struct batch_function_result *f = &res->functions[i];
		const char *layer = NULL;
		int r = 0;

		if (f->stage != BATCH_OK || !f->zip)
			continue;
		if (c && c->fns && c->fns[i].layer >= 0)
			layer = res->layers[c->fns[i].layer].zip;
		for (size_t k = 0; r == 0 && k < fn->n_commands; k++) {
			r = verify_command(o, fn, &plans[i], layer, fn->commands[k], f);
			if (r)
				f->failed_command = fn->commands[k];
		}
		if (r < 0 && (r == -ENOMEM || r == -EINTR))
			return r;
		if (r) {
			const char *cmd = f->failed_command;

			batch__fail(res, i, BATCH_VERIFY, r < 0 ? r : 0);
			f->failed_command = cmd;
			f->cmd_status = f->verify_status;
			if (!f->message && f->verify_missing &&
			    asprintf(&f->message,
				     "its zip lacks %zu files the tree has (first: %s)",
				     f->verify_missing,
				     f->verify_first_missing ? f->verify_first_missing : "?") < 0)
				f->message = NULL;
		} else {
			f->verified = true;
		}
	}
	return 0;
}
