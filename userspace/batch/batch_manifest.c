// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OUTDIR/manifest.json of batch --layer: which function uses which layer, sizes before/after. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "json.h"
#include "util.h"

static void function(struct json_writer *w, const struct batch_opts *o,
		     const struct batch_result *res, size_t i)
{
	const struct conf_function *fn = conf__function(o->manifest, i);
	const struct batch_function_result *f = &res->functions[i];

	json_writer__begin_object(w);
	json_writer__string_field(w, "name", f->name);
	json_writer__string_field(w, "status", batch_stage__name(f->stage));
	json_writer__string_field(w, "zip", f->zip);
	json_writer__string_field(w, "runtime", fn->runtime);
	if (o->verify) {
		json_writer__key(w, "verified");
		json_writer__bool(w, f->verified);
	}
	batch_sizes__write(w, "before", f->before_files, f->before_bytes);
	json_writer__key(w, "after");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", f->after_files);
	json_writer__uint_field(w, "bytes", f->after_bytes);
	json_writer__uint_field(w, "zip_bytes", f->zip_bytes);
	json_writer__end_object(w);
	/* Its layers as Lambda counts them: the user's own, then batch's. */
	json_writer__key(w, "layers");
	json_writer__begin_array(w);
	for (size_t l = 0; l < fn->n_layers; l++)
		json_writer__string(w, fn->layers[l]);
	if (f->layer && f->stage == BATCH_OK)
		json_writer__string(w, f->layer);
	json_writer__end_array(w);
	batch_function_layer__write(w, f);
	json_writer__end_object(w);
}

static void names(struct json_writer *w, const struct batch_result *res, const size_t *fns,
		  size_t n)
{
	json_writer__key(w, "users");
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++)
		json_writer__string(w, res->functions[fns[i]].name);
	json_writer__end_array(w);
}

static void layer(struct json_writer *w, const struct batch_result *res,
		  const struct layer_choice *c, size_t l)
{
	const struct layer_def *L = &c->layers[l];
	const struct batch_layer *bl = &res->layers[l];

	json_writer__begin_object(w);
	json_writer__string_field(w, "name", L->name);
	json_writer__string_field(w, "zip", bl->zip);
	json_writer__uint_field(w, "zip_bytes", bl->zip_bytes);
	json_writer__uint_field(w, "files", L->files);
	json_writer__uint_field(w, "bytes", L->bytes);
	json_writer__key(w, "users");
	json_writer__begin_array(w);
	for (size_t f = 0; f < c->nfns; f++)
		if (c->fns[f].layer == (int)l)
			json_writer__string(w, res->functions[f].name);
	json_writer__end_array(w);
	json_writer__key(w, "units");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < L->n; i++) {
		const struct unit *u = L->units[i].unit;

		json_writer__begin_object(w);
		json_writer__string_field(w, "kind", unit_kind__name(u->kind));
		json_writer__string_field(w, "name", u->name);
		json_writer__string_field(w, "key", u->key);
		json_writer__string_field(w, "hash", u->hash);
		json_writer__uint_field(w, "files", u->files);
		json_writer__uint_field(w, "bytes", u->bytes);
		names(w, res, L->units[i].users, L->units[i].nusers);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
}

static int write_all(FILE *out, const struct batch_opts *o, const struct batch_result *res,
		     const struct layer_choice *c)
{
	struct json_writer *w = NULL;
	int err = json_writer__new(out, &w);

	if (err)
		return err;
	json_writer__begin_object(w);
	json_writer__key(w, "functions");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < res->n; i++)
		function(w, o, res, i);
	json_writer__end_array(w);
	json_writer__key(w, "layers");
	json_writer__begin_array(w);
	for (size_t l = 0; l < c->nlayers && l < res->nlayers; l++)
		layer(w, res, c, l);
	json_writer__end_array(w);
	json_writer__key(w, "dropped");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < c->ndropped; i++) {
		const struct layer_dropped *d = &c->dropped[i];

		json_writer__begin_object(w);
		json_writer__string_field(w, "key", d->unit->key);
		json_writer__string_field(w, "hash", d->unit->hash);
		json_writer__string_field(w, "layer", layer_runtime__name(d->runtime));
		json_writer__uint_field(w, "kept_by", d->kept_by);
		json_writer__string_field(w, "reason", layer_drop_reason__name(d->reason));
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	batch_totals__write(w, res);
	json_writer__end_object(w);
	err = json_writer__error(w);
	json_writer__free(w);
	return err;
}

int batch__write_manifest(const struct batch_opts *o, struct batch_result *res,
			  const struct layer_choice *c)
{
	struct atomic_file *af = NULL;
	char *path = NULL;
	int err;

	if (asprintf(&path, "%s/manifest.json", o->outdir) < 0)
		return slz_fail(ENOMEM, "out of memory");
	err = atomic_file__open(path, &af);
	if (!err) {
		err = write_all(atomic_file__stream(af), o, res, c);
		if (err) {
			atomic_file__abort(af);
			err = slz_fail(err, "cannot write %s: %s", path, strerror(-err));
		} else {
			err = atomic_file__commit(af);
		}
	}
	if (err) {
		free(path);
		return err;
	}
	res->manifest_json = path;
	return 0;
}
