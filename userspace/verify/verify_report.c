// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify's findings grouped by package, its rounds as JSON, --fix's additions as a keep list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "globs.h"
#include "json.h"
#include "util.h"
#include "verify_report.h"

/* A missing file's group key, compared piece by piece: kind, container, name. */
static int key_cmp(const struct verify_missing *a, const struct verify_missing *b)
{
	const struct tree_package *x = &a->pkg, *y = &b->pkg;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c || x->name_len != y->name_len)
		return c ? c : (x->name_len < y->name_len ? -1 : 1);
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	n = x->container_len < y->container_len ? x->container_len : y->container_len;
	c = memcmp(a->path, b->path, n);
	if (c || x->container_len != y->container_len)
		return c ? c : (x->container_len < y->container_len ? -1 : 1);
	return 0;
}

/* qsort has no context argument: the array being sorted travels in the index pairs. */
struct order {
	const struct verify_missing *m;
	size_t i;
};

static int order_cmp(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;
	int c = key_cmp(&a->m[a->i], &b->m[b->i]);

	return c ? c : strcmp(a->m[a->i].path, b->m[b->i].path);
}

/*
 * How well a file's root names its package's directory: 2 when it is named like the package
 * (yaml, lib, node_modules/@s/n), 1 for another one of its own (PyYAML-6.0.dist-info), 0 none.
 */
static int own_dir_rank(const struct verify_missing *v)
{
	const struct tree_package *p = &v->pkg;

	if (!p->root_len)
		return 0;
	return p->root_len == (size_t)(p->name - v->path) + p->name_len ? 2 : 1;
}

static int group_open(struct verify_group *g, const struct verify_missing *v)
{
	const struct tree_package *p = &v->pkg;

	memset(g, 0, sizeof(*g));
	g->kind = p->kind;
	g->name = strndup(p->name, p->name_len);
	g->where = strndup(v->path, p->container_len);
	return g->name && g->where ? 0 : -ENOMEM;
}

int verify_groups__make(const struct verify_missing *m, size_t n, struct verify_group **out,
			size_t *ngroups)
{
	struct verify_group *g = NULL;
	struct order *ord;
	size_t ng = 0;
	int err = 0, rank = 0;

	*out = NULL;
	*ngroups = 0;
	if (!n)
		return 0;
	ord = calloc(n, sizeof(*ord));
	g = calloc(n, sizeof(*g)); /* at most one group per file */
	if (!ord || !g) {
		free(ord);
		free(g);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (struct order){m, i};
	qsort(ord, n, sizeof(*ord), order_cmp);
	for (size_t i = 0; !err && i < n; i++) {
		const struct verify_missing *v = &m[ord[i].i];
		struct verify_group *cur;

		if (!ng || key_cmp(&m[g[ng - 1].files[0]], v)) {
			size_t size = 1;

			/* Sorted: the group's files follow one another. */
			while (i + size < n && !key_cmp(&m[ord[i + size].i], v))
				size++;
			rank = 0;
			err = group_open(&g[ng++], v);
			if (!err && !(g[ng - 1].files = calloc(size, sizeof(size_t))))
				err = -ENOMEM;
			if (err)
				break;
		}
		cur = &g[ng - 1];
		cur->files[cur->nfiles++] = ord[i].i;
		/* The best-named directory of the package's own names it for all of its files. */
		if (own_dir_rank(v) > rank) {
			char *where = strndup(v->path, v->pkg.root_len);

			if (!where) {
				err = -ENOMEM;
				break;
			}
			free(cur->where);
			cur->where = where;
			cur->own_dir = true;
			rank = own_dir_rank(v);
		}
	}
	free(ord);
	if (err) {
		verify_groups__free(g, ng);
		return err;
	}
	*out = g;
	*ngroups = ng;
	return 0;
}

void verify_groups__free(struct verify_group *g, size_t n)
{
	if (!g)
		return;
	for (size_t i = 0; i < n; i++) {
		free(g[i].name);
		free(g[i].where);
		free(g[i].files);
	}
	free(g);
}

struct verify_log {
	struct verify_round *rounds;
	size_t n, cap;
};

int verify_log__new(struct verify_log **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void round_release(struct verify_round *r)
{
	for (size_t i = 0; i < r->nmissing; i++)
		free(r->missing[i].path);
	for (size_t i = 0; i < r->nhost_missing; i++) {
		free(r->host_missing[i].package);
		free(r->host_missing[i].path);
	}
	free(r->missing);
	free(r->host_missing);
}

void verify_log__free(struct verify_log *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		round_release(&l->rounds[i]);
	free(l->rounds);
	free(l);
}

/* A copy of v whose path (and the package's pieces, which point into it) are its own. */
static int missing_copy(struct verify_missing *d, const struct verify_missing *v)
{
	*d = *v;
	d->path = strdup(v->path);
	if (!d->path)
		return -ENOMEM;
	d->pkg.name = d->path + (v->pkg.name - v->path);
	return 0;
}

int verify_log__add_round(struct verify_log *l, const struct verify_round *r)
{
	struct verify_round *c;
	int err = slz_grow((void **)&l->rounds, &l->cap, l->n + 1, sizeof(*l->rounds));

	if (err)
		return err;
	c = &l->rounds[l->n];
	*c = *r;
	c->missing = r->nmissing ? calloc(r->nmissing, sizeof(*c->missing)) : NULL;
	c->host_missing =
		r->nhost_missing ? calloc(r->nhost_missing, sizeof(*c->host_missing)) : NULL;
	c->nmissing = c->nhost_missing = 0;
	if ((r->nmissing && !c->missing) || (r->nhost_missing && !c->host_missing))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < r->nmissing; i++) {
		err = missing_copy(&c->missing[i], &r->missing[i]);
		c->nmissing += !err;
	}
	for (size_t i = 0; !err && i < r->nhost_missing; i++) {
		struct verify_host_missing *h = &c->host_missing[i];

		h->package = strdup(r->host_missing[i].package);
		h->path = strdup(r->host_missing[i].path);
		h->from_diagnosis = r->host_missing[i].from_diagnosis;
		c->nhost_missing++;
		if (!h->package || !h->path)
			err = -ENOMEM;
	}
	if (err) {
		round_release(c);
		return err;
	}
	l->n++;
	return 0;
}

size_t verify_log__nadded(const struct verify_log *l)
{
	size_t n = 0;

	for (size_t i = 0; l && i < l->n; i++)
		for (size_t j = 0; j < l->rounds[i].nmissing; j++)
			n += l->rounds[i].missing[j].added;
	return n;
}

static void write_strings(struct json_writer *w, const char *key, const char *const *v, size_t n)
{
	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++)
		json_writer__string(w, v[i]);
	json_writer__end_array(w);
}

static void write_options(struct json_writer *w, const struct verify_report_run *run)
{
	const struct verify_opts *o = run->opts;
	size_t argc = 0;

	while (o->argv && o->argv[argc])
		argc++;
	json_writer__string_field(w, "zip", o->zip_path);
	json_writer__string_field(w, "tree", o->tree_dir);
	write_strings(w, "argv", (const char *const *)o->argv, argc);
	json_writer__key(w, "options");
	json_writer__begin_object(w);
	json_writer__key(w, "fix");
	json_writer__bool(w, o->fix);
	json_writer__uint_field(w, "max_rounds",
				o->fix ? (o->max_rounds ? o->max_rounds : VERIFY_DEFAULT_ROUNDS)
				       : 1);
	json_writer__uint_field(w, "max_extract", o->max_extract);
	json_writer__string_field(w, "extract_dir", o->extract_dir);
	json_writer__string_field(w, "user", o->user ? o->user->name : NULL);
	json_writer__key(w, "mode_check");
	json_writer__bool(w, !o->ignore_modes);
	write_strings(w, "isolate_dirs", o->hide_dirs, o->nhide_dirs);
	write_strings(w, "layers", o->layers, o->nlayers);
	/* One line of JSON as the zip's comment records it: a string, read back with a parser. */
	json_writer__string_field(w, "pruned_with", run->policy);
	json_writer__end_object(w);
}

static void write_missing(struct json_writer *w, const struct verify_missing *v)
{
	char comm[sizeof(v->comm) + 1];

	json_writer__begin_object(w);
	json_writer__string_field(w, "path", v->path);
	json_writer__key(w, "package");
	json_writer__string_len(w, v->pkg.name, v->pkg.name_len);
	json_writer__string_field(w, "package_kind", hostdeps__kind_name(v->pkg.kind));
	json_writer__string_field(w, "via", v->via);
	if (v->pid) {
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(v->comm), v->comm);
		json_writer__string_field(w, "comm", comm);
		json_writer__uint_field(w, "pid", v->pid);
	}
	json_writer__key(w, "from_diagnosis");
	json_writer__bool(w, v->from_diagnosis);
	json_writer__key(w, "added");
	json_writer__bool(w, v->added);
	json_writer__end_object(w);
}

static int write_groups(struct json_writer *w, const struct verify_round *r)
{
	struct verify_group *g;
	size_t ng;
	int err = verify_groups__make(r->missing, r->nmissing, &g, &ng);

	if (err)
		return err;
	json_writer__key(w, "packages");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < ng; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "package", g[i].name);
		json_writer__string_field(w, "kind", hostdeps__kind_name(g[i].kind));
		json_writer__string_field(w, "where", g[i].where);
		json_writer__key(w, "own_dir");
		json_writer__bool(w, g[i].own_dir);
		json_writer__uint_field(w, "files", g[i].nfiles);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	verify_groups__free(g, ng);
	return 0;
}

static int write_round(struct json_writer *w, const struct verify_round *r)
{
	int err;

	json_writer__begin_object(w);
	json_writer__uint_field(w, "round", r->round);
	json_writer__int_field(w, "exit_status", r->cmd_status);
	json_writer__key(w, "diagnosis_status");
	if (r->diag_status >= 0)
		json_writer__int(w, r->diag_status);
	else
		json_writer__null(w);
	json_writer__uint_field(w, "missing_count", r->nmissing);
	json_writer__uint_field(w, "host_missing_count", r->nhost_missing);
	json_writer__uint_field(w, "lost_events", r->lost_events);
	json_writer__uint_field(w, "zip_entries_before", r->zip_entries_before);
	json_writer__uint_field(w, "zip_entries_after", r->zip_entries_after);
	json_writer__uint_field(w, "added", r->added);
	json_writer__key(w, "missing");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < r->nmissing; i++)
		write_missing(w, &r->missing[i]);
	json_writer__end_array(w);
	err = write_groups(w, r);
	json_writer__key(w, "host_missing");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < r->nhost_missing; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "package", r->host_missing[i].package);
		json_writer__string_field(w, "path", r->host_missing[i].path);
		json_writer__key(w, "from_diagnosis");
		json_writer__bool(w, r->host_missing[i].from_diagnosis);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
	return err;
}

static int write_report(struct json_writer *w, const struct verify_log *l,
			const struct verify_report_run *run)
{
	const struct verify_result *res = run->res;
	int err = 0;

	json_writer__begin_object(w);
	json_writer__string_field(w, "command", "verify");
	json_writer__string_field(w, "version", run->version);
	write_options(w, run);
	json_writer__key(w, "rounds");
	json_writer__begin_array(w);
	for (size_t i = 0; !err && i < l->n; i++)
		err = write_round(w, &l->rounds[i]);
	json_writer__end_array(w);
	/* --fix's additions over all rounds: what --keep-out lists. */
	json_writer__key(w, "added");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->rounds[i].nmissing; j++)
			if (l->rounds[i].missing[j].added)
				json_writer__string(w, l->rounds[i].missing[j].path);
	json_writer__end_array(w);
	json_writer__key(w, "fixed");
	json_writer__bool(w, res->fixed);
	json_writer__uint_field(w, "modes_closed", res->modes_closed);
	json_writer__key(w, "signal");
	if (res->signal)
		json_writer__int(w, res->signal);
	else
		json_writer__null(w);
	json_writer__string_field(w, "verdict", run->verdict);
	json_writer__int_field(w, "exit_code", run->exit_code);
	json_writer__string_field(w, "message", run->message);
	json_writer__end_object(w);
	return err ? err : json_writer__error(w);
}

/* Write through atomic_file with fn, or nothing at all. 0, or -errno explained. */
static int write_atomic(const char *path, int (*fn)(FILE *f, const void *a, const void *b),
			const void *a, const void *b)
{
	struct atomic_file *af = NULL;
	int err = atomic_file__open(path, &af);

	if (err)
		return err; /* explained: the file and why */
	err = fn(atomic_file__stream(af), a, b);
	if (!err && ferror(atomic_file__stream(af)))
		err = -EIO;
	if (err) {
		atomic_file__abort(af);
		return slz_fail(-err, "cannot write %s: %s", path, strerror(-err));
	}
	return atomic_file__commit(af);
}

static int report_fn(FILE *f, const void *a, const void *b)
{
	struct json_writer *w = NULL;
	int err = json_writer__new(f, &w);

	if (!err)
		err = write_report(w, a, b);
	json_writer__free(w);
	return err;
}

int verify_log__write_report(const struct verify_log *l, const struct verify_report_run *run,
			     const char *path)
{
	return write_atomic(path, report_fn, l, run);
}

static int keep_fn(FILE *f, const void *a, const void *b)
{
	const struct verify_log *l = a;
	const char *zip = b;
	int err = 0;

	/* The zip's name on a comment line must not end the comment: newlines become '?'. */
	fputs("# Files slimzip verify --fix added to ", f);
	for (const char *c = zip; *c; c++)
		fputc(*c == '\n' || *c == '\r' ? '?' : *c, f);
	fputs(".\n# Keep them when pruning the next build: slimzip prune --keep-from FILE\n", f);
	for (size_t i = 0; !err && i < l->n; i++) {
		for (size_t j = 0; !err && j < l->rounds[i].nmissing; j++) {
			const struct verify_missing *v = &l->rounds[i].missing[j];
			char *line;

			if (!v->added)
				continue;
			err = globs__literal(v->path, &line);
			if (!err)
				fprintf(f, "%s\n", line);
			free(line);
		}
	}
	return err;
}

int verify_log__write_keep(const struct verify_log *l, const char *zip, const char *path)
{
	return write_atomic(path, keep_fn, l, zip);
}
