// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON parts manifest.json and batch --json share (batch.h). */
#include "batch.h"
#include "json.h"

void batch_sizes__write(struct json_writer *w, const char *key, uint64_t files, uint64_t bytes)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", files);
	json_writer__uint_field(w, "bytes", bytes);
	json_writer__end_object(w);
}

void batch_function_layer__write(struct json_writer *w, const struct batch_function_result *f)
{
	json_writer__key(w, "layer");
	json_writer__begin_object(w);
	/* A function that was not zipped uses no layer, whatever the choice had it share. */
	json_writer__string_field(w, "name", f->stage == BATCH_OK ? f->layer : NULL);
	json_writer__string_field(w, "state", f->layer_state);
	json_writer__uint_field(w, "units", f->layer_units);
	json_writer__uint_field(w, "files", f->layer_files);
	json_writer__uint_field(w, "bytes", f->layer_bytes);
	if (f->with_layer)
		json_writer__uint_field(w, "with_layer_bytes", f->with_layer);
	json_writer__end_object(w);
}

void batch_totals__write(struct json_writer *w, const struct batch_result *res)
{
	json_writer__key(w, "totals");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "functions", res->n);
	json_writer__uint_field(w, "zipped", res->n - res->failed);
	json_writer__uint_field(w, "before_bytes", res->total_before_bytes);
	json_writer__uint_field(w, "zip_bytes", res->total_zip_bytes);
	json_writer__uint_field(w, "layer_zip_bytes", res->total_layer_zip_bytes);
	json_writer__uint_field(w, "after_bytes",
				res->total_zip_bytes + res->total_layer_zip_bytes);
	json_writer__end_object(w);
}
