// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* batch --layer: the shared layers of a batch's planned functions (layer/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "batch_internal.h"
#include "lambda_layout.h"
#include "layer_zip.h"
#include "units.h"
#include "util.h"

static int layer_zip_path(const struct batch_opts *o, const char *name, char **out)
{
	char *dir = NULL;
	int err = 0;

	if (asprintf(&dir, "%s/layers", o->outdir) < 0)
		return -ENOMEM;
	if ((mkdir(o->outdir, 0755) && errno != EEXIST) || (mkdir(dir, 0755) && errno != EEXIST))
		err = slz_fail(errno, "cannot create %s: %s", dir, strerror(errno));
	else if (asprintf(out, "%s/%s.zip", dir, name) < 0)
		err = -ENOMEM;
	free(dir);
	return err;
}

/*
 * The layer's zip, with the zip options of the function its first unit is read from (level,
 * modes, mtime as that section says) and a comment that names the layer and nothing that
 * changes from run to run, so an unchanged layer keeps its bytes.
 */
static int write_layer(const struct batch_opts *o, const struct layer_def *L,
		       const struct batch_plan *plans, struct batch_layer *out)
{
	struct zipwrite_opts zo = plans[L->units[0].from].pol.zip;
	struct zipwrite_stats st = {0};
	char *comment = NULL;
	int err;

	*out = (struct batch_layer){.name = L->name,
				    .files = L->files,
				    .bytes = L->bytes,
				    .units = L->n,
				    .users = L->users};
	err = layer_zip_path(o, L->name, &out->zip);
	if (err)
		return err;
	if (asprintf(&comment, "{\"slimzip-layer\":\"%s\",\"units\":%zu}", L->name, L->n) < 0)
		return -ENOMEM;
	zo.comment = comment;
	zo.progress = NULL;
	err = layer__write_zip(L, out->zip, &zo, &st);
	free(comment);
	if (err) {
		free(out->zip);
		out->zip = NULL;
		return err;
	}
	out->zip_bytes = st.zip_size;
	out->over_warn = st.zip_size > LAYER_WARN_ZIP_BYTES;
	return 0;
}

/* Take what the layer serves the function out of its plan. */
static int leave_out(struct batch_plan *bp, const struct layer_fn_out *fo)
{
	struct keepset *drop = NULL;
	int err = keepset__new(bp->t, &drop);

	for (size_t j = 0; !err && j < units__count(bp->units); j++) {
		const struct unit *u = units__get(bp->units, j);

		for (size_t k = 0; !err && fo->moved[j] && k < u->nentries; k++)
			err = keepset__add(drop, u->entries[k], KEEP_GLOB, 0, NULL);
	}
	if (!err)
		err = prune_plan__drop(&bp->pl, drop);
	keepset__free(drop);
	return err;
}

/* Does word (of a command) name path, a tree-relative file: "x.py", "./x.py", "src/x.py"? */
static bool names_path(const char *word, const char *path)
{
	size_t w = strlen(word), p = strlen(path);

	return w >= p && !strcmp(word + w - p, path) && (w == p || word[w - p - 1] == '/');
}

/* Mark the units holding a regular file word names (by path, or exactly that file). */
static void mark_named(const struct units *us, bool *stays, const char *word, bool exact)
{
	const struct tree *t = keepset__tree(units__keep(us));

	for (size_t j = 0; j < units__count(us); j++) {
		const struct unit *u = units__get(us, j);
		struct tree_entry e;

		for (size_t k = 0; !stays[j] && k < u->nentries; k++)
			stays[j] = !tree__get(t, u->entries[k], &e) && S_ISREG(e.mode) &&
				   (exact ? !strcmp(e.path, word) : names_path(word, e.path));
	}
}

/*
 * The units whose files a function's commands name: the script they run (python3 x.py, node
 * src/x.js), and the file a Handler names. They stay in its zip: a command looks for its script
 * where it was, not on sys.path (a module run with -m is looked up on sys.path, so /opt/python
 * serves it). The words are the commands' split at blanks and shell operators, which is enough to
 * find a file name; a unit named by accident only stays, which is safe.
 */
static int entry_points(const struct conf_function *fn, const struct units *us, bool **out)
{
	size_t nu = units__count(us);
	bool *stays = calloc(nu ? nu : 1, sizeof(*stays));
	static const char seps[] = " \t\n;&|()<>'\"`";
	char *files[LAMBDA_HANDLER_FILES];
	int nf;

	if (!stays)
		return -ENOMEM;
	for (size_t c = 0; c < fn->n_commands; c++) {
		char *copy = strdup(fn->commands[c]), *save = NULL;

		if (!copy) {
			free(stays);
			return -ENOMEM;
		}
		for (char *w = strtok_r(copy, seps, &save); w; w = strtok_r(NULL, seps, &save))
			mark_named(us, stays, w, false);
		free(copy);
	}
	/*
	 * A template's Handler names the entry point the runtime imports from the task root
	 * (app.handler: app.py or app.js): it stays too, even when no command names it.
	 */
	nf = lambda_layout__handler_files(fn->handler, fn->runtime, files);
	if (nf < 0) {
		free(stays);
		return -ENOMEM;
	}
	for (int f = 0; f < nf; f++) {
		mark_named(us, stays, files[f], true);
		free(files[f]);
	}
	*out = stays;
	return 0;
}

static int note_dropped(struct batch_result *res, const struct layer_choice *c)
{
	res->dropped = calloc(c->ndropped ? c->ndropped : 1, sizeof(*res->dropped));
	if (!res->dropped)
		return -ENOMEM;
	for (size_t i = 0; i < c->ndropped; i++) {
		const struct layer_dropped *d = &c->dropped[i];

		if (asprintf(&res->dropped[i], "%s (kept by %zu functions; %s)", d->unit->key,
			     d->kept_by,
			     d->reason == LAYER_DROP_CLOSURE
				     ? "a package it requires is not shared by them all"
				     : "functions that keep it are left out of the layer") < 0)
			return -ENOMEM;
		res->ndropped++;
	}
	return 0;
}

int batch__layers(const struct batch_opts *o, struct batch_result *res, struct batch_plan *plans,
		  struct layer_choice *c)
{
	struct layer_choice_opts co = {
		.min_users = o->layer_min_users ? o->layer_min_users : LAYER_DEFAULT_MIN_USERS,
		.max_unzipped = o->max_unzipped ? o->max_unzipped : LAYER_MAX_UNZIPPED,
		.max_layers = LAYER_MAX_LAYERS,
	};
	struct layer_fn_in *in = calloc(res->n ? res->n : 1, sizeof(*in));
	bool **stays = calloc(res->n ? res->n : 1, sizeof(*stays));
	int err = 0;

	if (!in || !stays)
		return slz_fail(ENOMEM, "out of memory choosing the layer");
	for (size_t i = 0; i < res->n; i++) {
		const struct conf_function *fn = conf__function(o->manifest, i);
		struct batch_plan *bp = &plans[i];

		res->functions[i].own_layers = fn->n_layers;
		if (res->functions[i].stage != BATCH_OK || !bp->planned)
			continue;
		err = units__group(bp->pl.keep, &bp->units);
		if (err == -ENOMEM)
			goto out;
		if (err) {
			batch__fail(res, i, BATCH_PLAN, err);
			err = 0;
			continue;
		}
		err = entry_points(fn, bp->units, &stays[i]);
		if (err)
			goto out;
		in[i] = (struct layer_fn_in){.name = fn->name,
					     .stays = stays[i],
					     .runtime = fn->runtime,
					     .bytes = bp->pl.after_bytes,
					     .own_layers = fn->n_layers,
					     .units = bp->units};
	}
	err = layer__choose(in, res->n, &co, c);
	if (err)
		goto out;
	res->layers = calloc(c->nlayers ? c->nlayers : 1, sizeof(*res->layers));
	if (!res->layers || note_dropped(res, c)) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t l = 0; l < c->nlayers; l++) {
		const struct layer_def *L = &c->layers[l];
		int lerr = write_layer(o, L, plans, &res->layers[l]);

		res->nlayers++;
		if (lerr == -ENOMEM) {
			err = lerr;
			goto out;
		}
		/* Without its layer a function would miss files: none of its users gets a zip. */
		for (size_t f = 0; lerr && f < res->n; f++)
			if (c->fns[f].layer == (int)l)
				batch__fail(res, f, BATCH_OUTPUT, lerr);
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct layer_fn_out *fo = &c->fns[i];
		struct batch_function_result *f = &res->functions[i];

		if (!in[i].units || f->stage != BATCH_OK)
			continue;
		f->layer_state = layer_fn_state__name(fo->state);
		f->with_layer = fo->with_layer;
		if (fo->layer < 0)
			continue;
		f->layer = c->layers[fo->layer].name;
		f->layer_units = fo->moved_units;
		f->layer_files = fo->moved_files;
		f->layer_bytes = fo->moved_bytes;
		err = leave_out(&plans[i], fo);
		if (err == -ENOMEM)
			goto out;
		if (err) {
			batch__fail(res, i, BATCH_PLAN, err);
			err = 0;
		}
	}
out:
	for (size_t i = 0; stays && i < res->n; i++)
		free(stays[i]);
	free(stays);
	free(in);
	return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory building the layer") : err;
}
