// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hashmap.h"
#include "json.h"
#include "prune_report.h"
#include "util.h"

char *prune_report__package_name(const struct tree *t, const char *relpath, enum hostdep_kind *kind)
{
	struct tree_package tp;
	char *out;

	if (hostdeps__tree_package(t, relpath, &tp))
		return NULL;
	if (kind)
		*kind = tp.kind;
	if (!tp.container_len)
		return strndup(tp.name, tp.name_len);
	if (asprintf(&out, "%.*s/%.*s", (int)tp.container_len, relpath, (int)tp.name_len, tp.name) <
	    0)
		return NULL;
	return out;
}

struct pk_table {
	struct package_bytes *pk;
	size_t n, cap;
	struct idxmap *index;
};

static bool pk_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct pk_table *t = ctx;

	return !strcmp(t->pk[idx].name, key);
}

static int pk_cmp(const void *a, const void *b)
{
	return strcmp(((const struct package_bytes *)a)->name,
		      ((const struct package_bytes *)b)->name);
}

int prune_report__packages(const struct prune_plan *r, struct package_bytes **out, size_t *n)
{
	struct pk_table t = {0};
	struct tree_entry e;
	int err = idxmap__new(&t.index);

	for (size_t i = 1; !err && i < tree__count(r->tree); i++) {
		enum hostdep_kind kind = HOSTDEP_TOP_FILE;
		char *name;
		uint64_t h;
		int64_t at;

		if (tree__get(r->tree, (uint32_t)i, &e) || !S_ISREG(e.mode))
			continue;
		name = prune_report__package_name(r->tree, e.path, &kind);
		if (!name) {
			err = -ENOMEM;
			break;
		}
		h = slz_hash_bytes(name, strlen(name), 0);
		at = idxmap__find(t.index, h, pk_eq, name, &t);
		if (at < 0) {
			err = slz_grow((void **)&t.pk, &t.cap, t.n + 1, sizeof(*t.pk));
			if (!err)
				err = idxmap__insert(t.index, h, (uint32_t)t.n);
			if (err) {
				free(name);
				break;
			}
			at = (int64_t)t.n++;
			t.pk[at] = (struct package_bytes){.name = name, .kind = kind};
		} else {
			free(name);
		}
		if (keepset__has(r->keep, (uint32_t)i)) {
			t.pk[at].kept_bytes += e.size;
			t.pk[at].kept_files++;
		} else {
			t.pk[at].dropped_bytes += e.size;
			t.pk[at].dropped_files++;
		}
	}
	idxmap__free(t.index);
	if (err) {
		prune_report__free_packages(t.pk, t.n);
		return err;
	}
	if (t.n > 1) /* a tree without files leaves t.pk NULL: not for qsort */
		qsort(t.pk, t.n, sizeof(*t.pk), pk_cmp);
	*out = t.pk;
	*n = t.n;
	return 0;
}

void prune_report__free_packages(struct package_bytes *pk, size_t n)
{
	for (size_t i = 0; pk && i < n; i++)
		free(pk[i].name);
	free(pk);
}

static const char *type_name(uint32_t mode)
{
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISLNK(mode))
		return "symlink";
	return S_ISREG(mode) ? "file" : "other";
}

static int write_kept(struct json_writer *w, const struct prune_plan *r, uint32_t idx,
		      const struct tree_entry *e)
{
	char reasons[256];
	uint32_t pid = keepset__first_pid(r->keep, idx);

	keepset__reasons_str(keepset__reasons(r->keep, idx), rules__name, reasons, sizeof(reasons));
	json_writer__begin_object(w);
	json_writer__string_field(w, "path", e->path);
	json_writer__string_field(w, "type", type_name(e->mode));
	json_writer__uint_field(w, "size", S_ISREG(e->mode) ? e->size : 0);
	json_writer__key(w, "why");
	json_writer__begin_array(w);
	for (char *save = NULL, *tok = strtok_r(reasons, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		json_writer__string(w, tok);
	json_writer__end_array(w);
	if (pid) {
		json_writer__uint_field(w, "first_pid", pid);
		json_writer__string_field(w, "first_comm", keepset__first_comm(r->keep, idx));
	}
	return json_writer__end_object(w);
}

/* Bytes kept per reason class, and the directories the stat-only bytes lie in. */
static void write_kept_by(struct json_writer *w, const struct prune_plan *r)
{
	struct tree_entry e;

	json_writer__key(w, "kept_by");
	json_writer__begin_object(w);
	for (size_t c = 0; c < PRUNE_KEPT_CLASSES; c++) {
		json_writer__key(w, prune_kept_class__name(c));
		json_writer__begin_object(w);
		json_writer__uint_field(w, "files", r->kept_files[c]);
		json_writer__uint_field(w, "bytes", r->kept_bytes[c]);
		json_writer__end_object(w);
	}
	json_writer__end_object(w);
	json_writer__key(w, "stat_only_dirs");
	json_writer__begin_array(w);
	for (size_t i = 0; i < r->nstat_dirs; i++) {
		if (tree__get(r->tree, r->stat_dirs[i].dir, &e))
			continue;
		json_writer__begin_object(w);
		json_writer__string_field(w, "dir", e.path);
		json_writer__uint_field(w, "files", r->stat_dirs[i].files);
		json_writer__uint_field(w, "bytes", r->stat_dirs[i].bytes);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

/*
 * Tree paths whose written[] mark has all of bits and none of without (and that the zip keeps,
 * with kept), as a JSON array.
 */
static void write_marked(struct json_writer *w, const struct prune_plan *r, const char *key,
			 uint8_t bits, uint8_t without, bool kept)
{
	struct tree_entry e;

	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 1; r->written && i < tree__count(r->tree); i++) {
		if ((r->written[i] & (bits | without)) == bits &&
		    (!kept || keepset__has(r->keep, (uint32_t)i)) &&
		    !tree__get(r->tree, (uint32_t)i, &e))
			json_writer__string(w, e.path);
	}
	json_writer__end_array(w);
}

/*
 * What the run wrote: the files it created that the zip leaves out, and the kept ones it
 * modified (opened for writing or truncated without creating them).
 */
static void write_written(struct json_writer *w, const struct prune_plan *r)
{
	write_marked(w, r, "created_left_out", PLAN_WRITTEN_LEFT_OUT, 0, false);
	json_writer__uint_field(w, "created_kept", r->created_kept + r->created_bytecode_kept);
	write_marked(w, r, "modified", PLAN_WRITTEN_MODIFIED, PLAN_WRITTEN_CREATED, true);
}

/*
 * "host": what the workload used outside the tree: the host packages Lambda lacks, and how
 * many entries were expected (the runtime's own) or other.
 */
static void write_host(struct json_writer *w, const struct prune_plan *r)
{
	struct hostdeps_counts c;

	hostdeps__counts(r->host, &c);
	json_writer__key(w, "host");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "outside_tree", c.outside);
	json_writer__uint_field(w, "expected", c.expected);
	json_writer__uint_field(w, "other", c.other);
	json_writer__key(w, "packages");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < hostdeps__count(r->host); i++) {
		const struct hostdep_package *p = hostdeps__package(r->host, i);

		json_writer__begin_object(w);
		json_writer__string_field(w, "package", p->name);
		json_writer__string_field(w, "kind", hostdeps__kind_name(p->kind));
		json_writer__string_field(w, "dir", p->dir);
		json_writer__uint_field(w, "files", p->files);
		json_writer__uint_field(w, "bytes", p->bytes);
		json_writer__string_field(w, "first_path", p->first_path);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
}

const char *prune_report__dropped_why(const struct prune_plan *r, uint32_t idx)
{
	if (r->written && (r->written[idx] & PLAN_WRITTEN_LEFT_OUT))
		return "created-by-run";
	switch (r->left_out ? r->left_out[idx] : 0) {
	case PLAN_LEFT_OUT_DROP:
		return "drop";
	case PLAN_LEFT_OUT_LINK:
		return "link-outside";
	case PLAN_LEFT_OUT_LAYER:
		return "layer";
	default:
		/* Never asked for: the workload did not touch it and no rule or --keep named it. */
		return "not-used";
	}
}

/* Files and symlinks are what a reader misses; a directory left out holds them. */
static bool listed_dropped(const struct tree_entry *e)
{
	return S_ISREG(e->mode) || S_ISLNK(e->mode);
}

static void write_dropped(struct json_writer *w, const struct prune_plan *r)
{
	struct tree_entry e;

	json_writer__key(w, "dropped");
	json_writer__begin_array_lines(w);
	for (size_t i = 1; i < tree__count(r->tree); i++) {
		if (keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e) ||
		    !listed_dropped(&e))
			continue;
		json_writer__begin_object(w);
		json_writer__string_field(w, "path", e.path);
		json_writer__string_field(w, "type", type_name(e.mode));
		json_writer__uint_field(w, "size", S_ISREG(e.mode) ? e.size : 0);
		json_writer__string_field(w, "why", prune_report__dropped_why(r, (uint32_t)i));
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

/* One name's files and bytes, in first-seen order (a handful of names: a linear table). */
struct reason_sum {
	char name[64];
	uint64_t files, bytes;
};

struct reason_sums {
	struct reason_sum *v;
	size_t n, cap;
};

static int reason_add(struct reason_sums *s, const char *name, uint64_t bytes)
{
	size_t i = 0;
	int err;

	while (i < s->n && strcmp(s->v[i].name, name))
		i++;
	if (i == s->n) {
		err = slz_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
		if (err)
			return err;
		memset(&s->v[i], 0, sizeof(s->v[i]));
		snprintf(s->v[i].name, sizeof(s->v[i].name), "%s", name);
		s->n++;
	}
	s->v[i].files++;
	s->v[i].bytes += bytes;
	return 0;
}

static void write_sums(struct json_writer *w, const char *key, const struct reason_sums *s)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	for (size_t i = 0; i < s->n; i++) {
		json_writer__key(w, s->v[i].name);
		json_writer__begin_object(w);
		json_writer__uint_field(w, "files", s->v[i].files);
		json_writer__uint_field(w, "bytes", s->v[i].bytes);
		json_writer__end_object(w);
	}
	json_writer__end_object(w);
}

/*
 * Regular files' bytes by reason: a kept file counts under each of its reasons (a file both
 * opened and added by a rule counts twice: the classes of kept_by are the disjoint view), a
 * left-out one under its one reason for being out.
 */
static int write_by_reason(struct json_writer *w, const struct prune_plan *r)
{
	struct reason_sums kept = {0}, dropped = {0};
	struct tree_entry e;
	int err = 0;

	for (size_t i = 1; !err && i < tree__count(r->tree); i++) {
		char reasons[256];

		if (tree__get(r->tree, (uint32_t)i, &e) || !S_ISREG(e.mode))
			continue;
		if (!keepset__has(r->keep, (uint32_t)i)) {
			err = reason_add(&dropped, prune_report__dropped_why(r, (uint32_t)i),
					 e.size);
			continue;
		}
		keepset__reasons_str(keepset__reasons(r->keep, (uint32_t)i), rules__name, reasons,
				     sizeof(reasons));
		for (char *save = NULL, *tok = strtok_r(reasons, ",", &save); !err && tok;
		     tok = strtok_r(NULL, ",", &save))
			err = reason_add(&kept, tok, e.size);
	}
	if (!err) {
		json_writer__key(w, "bytes_by_reason");
		json_writer__begin_object(w);
		write_sums(w, "kept", &kept);
		write_sums(w, "dropped", &dropped);
		json_writer__end_object(w);
	}
	free(kept.v);
	free(dropped.v);
	return err;
}

static int write_packages(struct json_writer *w, const struct prune_plan *r)
{
	struct package_bytes *pk = NULL;
	size_t n = 0;
	int err = prune_report__packages(r, &pk, &n);

	if (err)
		return err;
	json_writer__key(w, "packages");
	json_writer__begin_array_lines(w);
	for (size_t i = 0; i < n; i++) {
		json_writer__begin_object(w);
		json_writer__string_field(w, "package", pk[i].name);
		json_writer__string_field(w, "kind", hostdeps__kind_name(pk[i].kind));
		json_writer__uint_field(w, "kept_files", pk[i].kept_files);
		json_writer__uint_field(w, "kept_bytes", pk[i].kept_bytes);
		json_writer__uint_field(w, "dropped_files", pk[i].dropped_files);
		json_writer__uint_field(w, "dropped_bytes", pk[i].dropped_bytes);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	prune_report__free_packages(pk, n);
	return 0;
}

/* The command as given and the policy it resolved to (the zip comment's members and more). */
static void write_command(struct json_writer *w, const struct prune_report_run *run)
{
	json_writer__key(w, "command");
	json_writer__begin_object(w);
	json_writer__key(w, "argv");
	json_writer__begin_array(w);
	for (size_t i = 0; run && i < run->argc; i++)
		json_writer__string(w, run->argv[i]);
	json_writer__end_array(w);
	json_writer__key(w, "policy");
	if (run && run->pol) {
		json_writer__begin_object(w);
		prune_policy__write_json(run->pol, run->version, w);
		json_writer__key(w, "force");
		json_writer__bool(w, run->pol->force);
		json_writer__key(w, "dry_run");
		json_writer__bool(w, run->pol->dry_run);
		json_writer__key(w, "strict_host");
		json_writer__bool(w, run->pol->strict_host);
		json_writer__end_object(w);
	} else {
		json_writer__null(w);
	}
	json_writer__end_object(w);
}

static int write_report(struct json_writer *w, const struct prune_plan *r,
			const struct zipwrite_stats *zs, const struct profile *p,
			const struct prune_report_run *run)
{
	struct tree_entry e;
	int err;

	json_writer__begin_object(w);
	json_writer__uint_field(w, "slimzip_report", PRUNE_REPORT_SCHEMA);
	json_writer__string_field(w, "kind", "prune");
	json_writer__string_field(w, "version", run ? run->version : NULL);
	write_command(w, run);
	json_writer__string_field(w, "tree", tree__root(r->tree));
	json_writer__key(w, "before");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", r->before_files);
	json_writer__uint_field(w, "bytes", r->before_bytes);
	json_writer__end_object(w);
	json_writer__key(w, "after");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "files", r->after_files);
	json_writer__uint_field(w, "bytes", r->after_bytes);
	json_writer__uint_field(w, "entries", keepset__count(r->keep));
	json_writer__end_object(w);
	json_writer__uint_field(w, "zip_bytes", zs ? zs->zip_size : 0);
	json_writer__key(w, "lambda_limits");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "zipped_bytes", LAMBDA_ZIPPED_LIMIT);
	json_writer__uint_field(w, "unzipped_bytes", LAMBDA_UNZIPPED_LIMIT);
	json_writer__end_object(w);
	json_writer__key(w, "matched_by_inode");
	json_writer__bool(w, r->match_inodes);
	json_writer__key(w, "rules");
	json_writer__begin_object(w);
	for (size_t i = 0; i < rules__count(); i++)
		json_writer__uint_field(w, rules__name(i), r->rules.added[i]);
	json_writer__end_object(w);
	json_writer__uint_field(w, "lost_events", p ? profile__header_const(p)->lost_events : 0);
	write_kept_by(w, r);
	err = write_by_reason(w, r);
	if (!err)
		err = write_packages(w, r);
	if (err)
		return err;
	write_written(w, r);
	write_host(w, r);
	json_writer__key(w, "kept");
	json_writer__begin_array_lines(w);
	for (size_t i = 1; i < tree__count(r->tree); i++) {
		if (keepset__has(r->keep, (uint32_t)i) && !tree__get(r->tree, (uint32_t)i, &e))
			write_kept(w, r, (uint32_t)i, &e);
	}
	json_writer__end_array(w);
	write_dropped(w, r);
	return json_writer__end_object(w);
}

int prune_report__write_json(const struct prune_plan *r, const struct zipwrite_stats *zs,
			     const struct profile *p, const struct prune_report_run *run,
			     const char *path)
{
	struct atomic_file *af = NULL;
	struct json_writer *w = NULL;
	int err = atomic_file__open(path, &af);

	if (err)
		return err;
	err = json_writer__new(atomic_file__stream(af), &w);
	if (!err)
		err = write_report(w, r, zs, p, run);
	json_writer__free(w);
	if (err) {
		atomic_file__abort(af);
		return err == -ENOMEM ? err : slz_fail(EIO, "cannot write report %s", path);
	}
	return atomic_file__commit(af);
}

int prune_report__check_whitelist(const struct prune_plan *r, const char *path)
{
	struct tree_entry e;

	for (size_t i = 1; i < tree__count(r->tree); i++) {
		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e))
			continue;
		/* zip -@ reads names literally, one per line: a newline cannot be expressed. */
		if (strchr(e.path, '\n'))
			return slz_fail(
				EINVAL,
				"kept path '%s' holds a newline, which the whitelist %s (one "
				"path a line, for zip -@) cannot express: rename it, --drop "
				"it, or use --report instead",
				e.path, path);
	}
	return 0;
}

int prune_report__write_whitelist(const struct prune_plan *r, const char *path)
{
	struct atomic_file *af = NULL;
	struct tree_entry e;
	FILE *f;
	int err = prune_report__check_whitelist(r, path);

	if (!err)
		err = atomic_file__open(path, &af);
	if (err)
		return err;
	f = atomic_file__stream(af);
	for (size_t i = 1; i < tree__count(r->tree); i++) {
		if (!keepset__has(r->keep, (uint32_t)i) || tree__get(r->tree, (uint32_t)i, &e))
			continue;
		fprintf(f, "%s\n", e.path);
	}
	return atomic_file__commit(af);
}
