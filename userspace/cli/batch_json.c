// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "batch_json.h"
#include "config.h"
#include "json_out.h"

struct ctx {
	const struct batch_result *res;
	bool layer;
	int exit_code;
};

static void function(struct json_writer *w, const struct batch_function_result *f, bool layer)
{
	json_writer__begin_object(w);
	json_writer__string_field(w, "name", f->name);
	json_writer__string_field(w, "status", batch_stage__name(f->stage));
	json_writer__string_field(w, "zip", f->zip);
	json_writer__string_field(w, "profile", f->profile);
	json_writer__uint_field(w, "commands", f->commands);
	json_writer__uint_field(w, "profile_entries", f->profile_entries);
	json_writer__uint_field(w, "lost_events", f->lost_events);
	json_writer__string_field(w, "failed_command", f->failed_command);
	json_writer__int_field(w, "cmd_status", f->cmd_status);
	json_writer__string_field(w, "message", f->message);
	batch_sizes__write(w, "before", f->before_files, f->before_bytes);
	batch_sizes__write(w, "after", f->after_files, f->after_bytes);
	json_writer__uint_field(w, "zip_bytes", f->zip_bytes);
	json_writer__key(w, "host_packages");
	json_writer__bool(w, f->host_packages);
	json_writer__key(w, "verified");
	json_writer__bool(w, f->verified);
	json_writer__uint_field(w, "verify_missing", f->verify_missing);
	if (layer) {
		batch_function_layer__write(w, f);
	} else {
		json_writer__key(w, "layer");
		json_writer__null(w);
	}
	json_writer__end_object(w);
}

static int fill(struct json_writer *w, const void *arg)
{
	const struct ctx *c = arg;
	const struct batch_result *res = c->res;

	json_writer__begin_object(w);
	json_writer__string_field(w, "command", "batch");
	json_writer__string_field(w, "version", SLIMZIP_VERSION);
	json_writer__int_field(w, "exit_code", c->exit_code);
	json_writer__int_field(w, "signal", res->signal);
	json_writer__key(w, "daemon");
	json_writer__bool(w, res->daemon);
	json_writer__key(w, "functions");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < res->n; i++)
		function(w, &res->functions[i], c->layer);
	json_writer__end_array(w);
	json_writer__key(w, "layers");
	json_writer__begin_array(w);
	for (size_t l = 0; l < res->nlayers; l++) {
		const struct batch_layer *L = &res->layers[l];

		json_writer__begin_object(w);
		json_writer__string_field(w, "name", L->name);
		json_writer__string_field(w, "zip", L->zip);
		json_writer__uint_field(w, "zip_bytes", L->zip_bytes);
		json_writer__uint_field(w, "units", L->units);
		json_writer__uint_field(w, "files", L->files);
		json_writer__uint_field(w, "bytes", L->bytes);
		json_writer__uint_field(w, "users", L->users);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__key(w, "not_in_layer");
	json_writer__begin_array(w);
	for (size_t i = 0; i < res->ndropped; i++)
		json_writer__string(w, res->dropped[i]);
	json_writer__end_array(w);
	json_writer__string_field(w, "manifest", res->manifest_json);
	batch_totals__write(w, res);
	return json_writer__end_object(w);
}

int batch_json__write(const struct batch_result *res, bool layer, int exit_code, const char *path)
{
	const struct ctx c = {res, layer, exit_code};

	return json_out__write(path, fill, &c);
}
