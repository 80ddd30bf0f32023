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

/* Directories that hold packages rather than being one: look one level further in. */
static bool is_container(const char *name, size_t len)
{
	static const char *const containers[] = {"node_modules", "site-packages", "dist-packages",
						 "python",	 "vendor",	  "lib",
						 "lib64",	 "nodejs"};

	for (size_t i = 0; i < ARRAY_SIZE(containers); i++) {
		if (strlen(containers[i]) == len && !strncmp(name, containers[i], len))
			return true;
	}
	/* python3.11 in a Lambda layer's python/lib/python3.11/site-packages. */
	return len > 6 && !strncmp(name, "python", 6);
}

char *prune_report__package_of(const char *relpath)
{
	const char *end = relpath;

	for (;;) {
		const char *slash = strchr(end, '/');
		size_t len = (size_t)((slash ? slash : end + strlen(end)) - end);

		if (!slash)
			/* A file at this level is its own package ("handler.py"). */
			return strdup(relpath);
		if (!is_container(end, len))
			return strndup(relpath, (size_t)(slash - relpath));
		/* Scoped npm packages are two components: node_modules/@scope/name. */
		if (len == 12 && !strncmp(end, "node_modules", 12) && slash[1] == '@') {
			const char *next = strchr(slash + 1, '/');

			if (next && strchr(next + 1, '/'))
				return strndup(relpath, (size_t)(strchr(next + 1, '/') - relpath));
		}
		end = slash + 1;
	}
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
		char *name;
		uint64_t h;
		int64_t at;

		if (tree__get(r->tree, (uint32_t)i, &e) || !S_ISREG(e.mode))
			continue;
		name = prune_report__package_of(e.path);
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
			t.pk[at] = (struct package_bytes){.name = name};
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

static int write_report(struct json_writer *w, const struct prune_plan *r,
			const struct zipwrite_stats *zs, const struct profile *p)
{
	struct tree_entry e;

	json_writer__begin_object(w);
	json_writer__uint_field(w, "slimzip_report", 1);
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
	json_writer__key(w, "matched_by_inode");
	json_writer__bool(w, r->match_inodes);
	json_writer__key(w, "rules");
	json_writer__begin_object(w);
	for (size_t i = 0; i < rules__count(); i++)
		json_writer__uint_field(w, rules__name(i), r->rules.added[i]);
	json_writer__end_object(w);
	json_writer__uint_field(w, "lost_events", p ? profile__header_const(p)->lost_events : 0);
	write_kept_by(w, r);
	write_written(w, r);
	write_host(w, r);
	json_writer__key(w, "kept");
	json_writer__begin_array_lines(w);
	for (size_t i = 1; i < tree__count(r->tree); i++) {
		if (keepset__has(r->keep, (uint32_t)i) && !tree__get(r->tree, (uint32_t)i, &e))
			write_kept(w, r, (uint32_t)i, &e);
	}
	json_writer__end_array(w);
	return json_writer__end_object(w);
}

int prune_report__write_json(const struct prune_plan *r, const struct zipwrite_stats *zs,
			     const struct profile *p, const char *path)
{
	struct atomic_file *af = NULL;
	struct json_writer *w = NULL;
	int err = atomic_file__open(path, &af);

	if (err)
		return err;
	err = json_writer__new(atomic_file__stream(af), &w);
	if (!err)
		err = write_report(w, r, zs, p);
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
