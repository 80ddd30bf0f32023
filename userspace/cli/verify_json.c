// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify --json FILE: the summary's numbers, kept round by round as they are printed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "json_out.h"
#include "util.h"
#include "verify_print.h"
#include "verify_report.h"

static void clear_last(struct verify_json *j)
{
	for (size_t i = 0; i < j->npackages; i++) {
		free(j->packages[i].name);
		free(j->packages[i].where);
	}
	free(j->packages);
	j->packages = NULL;
	j->npackages = 0;
	for (size_t i = 0; i < j->nhost_missing * 2; i++)
		free(j->host_missing[i]);
	free(j->host_missing);
	j->host_missing = NULL;
	j->nhost_missing = 0;
}

/* The round's packages, as the text groups them (verify_groups__make). */
static int keep_last(struct verify_json *j, const struct verify_round *r)
{
	struct verify_group *g = NULL;
	size_t ng = 0;
	int err = verify_groups__make(r->missing, r->nmissing, &g, &ng);

	if (!err && ng && !(j->packages = calloc(ng, sizeof(*j->packages))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < ng; i++) {
		struct verify_json_package *p = &j->packages[j->npackages++];

		p->name = strdup(g[i].name);
		p->where = strdup(g[i].where);
		p->kind = g[i].kind;
		p->own_dir = g[i].own_dir;
		p->nfiles = g[i].nfiles;
		if (!p->name || !p->where)
			err = -ENOMEM;
	}
	verify_groups__free(g, ng);
	if (!err && r->nhost_missing &&
	    !(j->host_missing = calloc(r->nhost_missing * 2, sizeof(char *))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < r->nhost_missing; i++) {
		j->host_missing[2 * i] = strdup(r->host_missing[i].package);
		j->host_missing[2 * i + 1] = strdup(r->host_missing[i].path);
		j->nhost_missing++;
		if (!j->host_missing[2 * i] || !j->host_missing[2 * i + 1])
			err = -ENOMEM;
	}
	return err;
}

void verify_json__add_round(struct verify_json *j, const struct verify_round *r)
{
	struct verify_json_round *grown;

	if (j->err)
		return;
	grown = realloc(j->rounds, (j->nrounds + 1) * sizeof(*grown));
	if (!grown) {
		j->err = -ENOMEM;
		return;
	}
	j->rounds = grown;
	j->rounds[j->nrounds++] = (struct verify_json_round){
		.round = r->round,
		.cmd_status = r->cmd_status,
		.diag_status = r->diag_status,
		.nmissing = r->nmissing,
		.nhost_missing = r->nhost_missing,
		.lost_events = r->lost_events,
		.entries_before = r->zip_entries_before,
		.entries_after = r->zip_entries_after,
		.added = r->added,
	};
	/* Only the last round's packages are the verdict's: an earlier round's were fixed. */
	clear_last(j);
	j->err = keep_last(j, r);
}

static void write_round(struct json_writer *w, const struct verify_json_round *r)
{
	json_writer__begin_object(w);
	json_writer__uint_field(w, "round", r->round);
	json_writer__int_field(w, "cmd_status", r->cmd_status);
	json_writer__key(w, "diagnosis_status");
	if (r->diag_status < 0)
		json_writer__null(w);
	else
		json_writer__int(w, r->diag_status);
	json_writer__uint_field(w, "missing", r->nmissing);
	json_writer__uint_field(w, "host_missing", r->nhost_missing);
	json_writer__uint_field(w, "lost_events", r->lost_events);
	json_writer__uint_field(w, "entries_before", r->entries_before);
	json_writer__uint_field(w, "entries_after", r->entries_after);
	json_writer__uint_field(w, "added", r->added);
	json_writer__end_object(w);
}

struct json_ctx {
	const struct verify_json *j;
	const struct verify_opts *o;
	const struct verify_json_end *end;
};

static int fill(struct json_writer *w, const void *ctx)
{
	const struct json_ctx *c = ctx;
	const struct verify_json *j = c->j;
	const struct verify_json_round *last = j->nrounds ? &j->rounds[j->nrounds - 1] : NULL;
	uint64_t added = 0;
	struct stat st;

	for (size_t i = 0; i < j->nrounds; i++)
		added += j->rounds[i].added;
	json_writer__begin_object(w);
	json_writer__string_field(w, "command", "verify");
	json_writer__string_field(w, "version", SLIMZIP_VERSION);
	json_writer__string_field(w, "verdict", c->end->verdict);
	json_writer__int_field(w, "exit_code", c->end->exit_code);
	json_writer__string_field(w, "message", c->end->message);
	json_writer__key(w, "zip");
	json_writer__begin_object(w);
	json_writer__string_field(w, "path", c->o->zip_path);
	/* As the last round left it: what unzip -Z1 lists and the file's size now. */
	json_writer__key(w, "entries");
	if (last)
		json_writer__uint(w, last->entries_after);
	else
		json_writer__null(w);
	json_writer__key(w, "bytes");
	if (!stat(c->o->zip_path, &st))
		json_writer__uint(w, (uint64_t)st.st_size);
	else
		json_writer__null(w);
	json_writer__end_object(w);
	json_writer__string_field(w, "tree", c->o->tree_dir);
	json_writer__key(w, "fix");
	json_writer__bool(w, c->o->fix);
	json_writer__key(w, "fixed");
	json_writer__bool(w, c->end->res->fixed);
	json_writer__uint_field(w, "added", added);
	json_writer__uint_field(w, "modes_closed", c->end->res->modes_closed);
	json_writer__key(w, "rounds");
	json_writer__begin_array(w);
	for (size_t i = 0; i < j->nrounds; i++)
		write_round(w, &j->rounds[i]);
	json_writer__end_array(w);
	json_writer__key(w, "missing");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", last ? last->nmissing : 0);
	json_writer__key(w, "by_package");
	json_writer__begin_array(w);
	for (size_t i = 0; i < j->npackages; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "package", j->packages[i].name);
		json_writer__string_field(w, "kind", hostdeps__kind_name(j->packages[i].kind));
		json_writer__string_field(w, "where", j->packages[i].where);
		json_writer__key(w, "own_dir");
		json_writer__bool(w, j->packages[i].own_dir);
		json_writer__uint_field(w, "files", j->packages[i].nfiles);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
	json_writer__key(w, "host_missing");
	json_writer__begin_array(w);
	for (size_t i = 0; i < j->nhost_missing; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "package", j->host_missing[2 * i]);
		json_writer__string_field(w, "path", j->host_missing[2 * i + 1]);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	return json_writer__end_object(w);
}

int verify_json__write(const struct verify_json *j, const struct verify_opts *o,
		       const struct verify_json_end *end, const char *path)
{
	const struct json_ctx c = {j, o, end};

	if (j->err)
		return slz_fail(-j->err, "cannot keep verify's rounds for %s: %s", path,
				strerror(-j->err));
	return json_out__write(path, fill, &c);
}

void verify_json__release(struct verify_json *j)
{
	clear_last(j);
	free(j->rounds);
	j->rounds = NULL;
	j->nrounds = 0;
}
