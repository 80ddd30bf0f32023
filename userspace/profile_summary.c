// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record.h"
#include "hashmap.h"
#include "profile_summary.h"
#include "util.h"

struct dir_table {
	struct summary_dir *dirs;
	size_t count, cap;
	struct idxmap *index;
};

static bool dir_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct dir_table *t = ctx;

	return !strcmp(t->dirs[idx].path, key);
}

/* The grouping key of path: its parent, or its first depth components. */
static char *group_of(const char *path, unsigned int depth)
{
	const char *end;

	if (!depth) {
		end = strrchr(path, '/');
		if (!end || end == path)
			return strdup("/");
		return strndup(path, (size_t)(end - path));
	}
	end = path;
	for (unsigned int i = 0; i < depth; i++) {
		const char *next = strchr(end + 1, '/');

		if (!next) {
			/* The file itself sits above the requested depth: group by its parent. */
			return group_of(path, 0);
		}
		end = next;
	}
	return strndup(path, (size_t)(end - path));
}

static int account(struct dir_table *t, const char *path, unsigned int depth, uint64_t bytes)
{
	char *key = group_of(path, depth);
	uint64_t h;
	int64_t i;
	int err;

	if (!key)
		return -ENOMEM;
	h = slz_hash_bytes(key, strlen(key), 0);
	i = idxmap__find(t->index, h, dir_eq, key, t);
	if (i < 0) {
		err = slz_grow((void **)&t->dirs, &t->cap, t->count + 1, sizeof(*t->dirs));
		if (!err)
			err = idxmap__insert(t->index, h, (uint32_t)t->count);
		if (err) {
			free(key);
			return err;
		}
		i = (int64_t)t->count++;
		t->dirs[i] = (struct summary_dir){.path = key};
	} else {
		free(key);
	}
	t->dirs[i].files++;
	t->dirs[i].bytes += bytes;
	return 0;
}

static int by_files(const void *a, const void *b)
{
	const struct summary_dir *x = a, *y = b;

	if (x->files != y->files)
		return x->files > y->files ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int by_bytes(const void *a, const void *b)
{
	const struct summary_dir *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return by_files(a, b);
}

int profile_summary__compute(const struct profile *p, unsigned int depth,
			     struct profile_summary *out)
{
	struct dir_table t = {0};
	int err;

	memset(out, 0, sizeof(*out));
	err = idxmap__new(&t.index);
	if (err)
		return err;
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);
		uint64_t bytes = S_ISREG(e->mode) ? e->size : 0;

		if (e->kinds == SLZ_KIND_MISSING) {
			out->missing++;
			continue;
		}
		out->files++;
		out->bytes += bytes;
		out->directories += S_ISDIR(e->mode);
		out->truncated += !!(e->flags & SLZ_EVF_TRUNCATED);
		for (int k = 0; k < SUMMARY_KINDS; k++)
			out->by_kind[k] += !!(e->kinds & (1u << k));
		if (!(e->kinds &
		      ~(SLZ_KIND_STAT | SLZ_KIND_ACCESS | SLZ_KIND_READLINK | SLZ_KIND_MISSING)))
			out->stat_only++;
		if (S_ISDIR(e->mode))
			continue;
		err = account(&t, e->path, depth, bytes);
		if (err)
			goto err;
	}
	qsort(t.dirs, t.count, sizeof(*t.dirs), by_files);
	out->dirs = t.dirs;
	out->ndirs = t.count;
	idxmap__free(t.index);
	return 0;
err:
	for (size_t i = 0; i < t.count; i++)
		free(t.dirs[i].path);
	free(t.dirs);
	idxmap__free(t.index);
	return err;
}

void profile_summary__sort_by_bytes(struct profile_summary *s)
{
	qsort(s->dirs, s->ndirs, sizeof(*s->dirs), by_bytes);
}

void profile_summary__free(struct profile_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndirs; i++)
		free(s->dirs[i].path);
	free(s->dirs);
	s->dirs = NULL;
	s->ndirs = 0;
}
