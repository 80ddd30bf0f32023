// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "zipahead.h"
#include "zippool.h"

struct zipahead {
	const struct tree *tree;
	int root_fd;
	int level;
	struct zippool *pool;	     /* NULL when storing */
	struct zippool_job **by_idx; /* per tree entry: its job, NULL when none */
	uint32_t *added;	     /* the indices handed over, in order */
	size_t nadded, cap;
};

int zipahead__new(const struct tree *t, const struct zipwrite_opts *opts, struct zipahead **out)
{
	struct zipahead *a;
	int err;

	*out = NULL;
	if (opts->level < 0 || opts->level > 9)
		return slz_fail(EINVAL, "compression level %d is out of range (0-9)", opts->level);
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->tree = t;
	a->root_fd = -1;
	a->level = opts->level;
	if (opts->level == 0) {
		*out = a;
		return 0;
	}
	a->root_fd = open(tree__root(t), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->root_fd < 0) {
		err = slz_fail(errno, "cannot open the tree %s: %s", tree__root(t),
			       strerror(errno));
		goto err;
	}
	/* Pointers per entry: 8 MiB for a 1M-entry tree, touched only where files are kept. */
	a->by_idx = calloc(tree__count(t) ? tree__count(t) : 1, sizeof(*a->by_idx));
	err = a->by_idx ? zippool__new(a->root_fd, opts->level, opts->cancel, &a->pool) : -ENOMEM;
	if (err)
		goto err;
	zippool__start(a->pool, opts->threads);
	*out = a;
	return 0;
err:
	zipahead__free(a);
	return err;
}

int zipahead__add(struct zipahead *a, uint32_t idx)
{
	struct tree_entry e;
	struct zippool_job *job;
	int err;

	if (!a->pool || idx == 0 || idx >= tree__count(a->tree) || a->by_idx[idx] ||
	    tree__get(a->tree, idx, &e) || !S_ISREG(e.mode) || (e.flags & TREE_F_UNREADABLE) ||
	    !zippool__takes(e.size))
		return 0;
	err = slz_grow((void **)&a->added, &a->cap, a->nadded + 1, sizeof(*a->added));
	if (err)
		return -ENOMEM;
	job = zippool__add(a->pool, &e);
	if (!job)
		return -ENOMEM;
	a->by_idx[idx] = job;
	a->added[a->nadded++] = idx;
	return 0;
}

size_t zipahead__count(const struct zipahead *a)
{
	return a->nadded;
}

ssize_t zipahead__head(void *ahead, uint32_t idx, void *buf, size_t len)
{
	struct zipahead *a = ahead;

	if (!a || !a->pool || idx >= tree__count(a->tree) || !a->by_idx[idx])
		return -ENOENT;
	return zippool__head(a->pool, a->by_idx[idx], buf, len);
}

size_t zipahead__done(const struct zipahead *a)
{
	return a->pool ? zippool__done(a->pool) : 0;
}

struct zippool *zipahead__pool(const struct zipahead *a, const struct tree *t, int level)
{
	return a && a->tree == t && a->level == level ? a->pool : NULL;
}

struct zippool_job *zipahead__job(const struct zipahead *a, uint32_t idx)
{
	return a->pool && idx < tree__count(a->tree) ? a->by_idx[idx] : NULL;
}

void zipahead__settle(struct zipahead *a, const struct keepset *k)
{
	for (size_t i = 0; i < a->nadded; i++) {
		uint32_t idx = a->added[i];

		if (!keepset__has(k, idx)) {
			zippool__discard(a->pool, a->by_idx[idx]);
			a->by_idx[idx] = NULL;
		}
	}
}

void zipahead__free(struct zipahead *a)
{
	if (!a)
		return;
	zippool__free(a->pool);
	if (a->root_fd >= 0)
		close(a->root_fd);
	free(a->by_idx);
	free(a->added);
	free(a);
}
