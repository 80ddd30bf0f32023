// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The helpers every rule shares. Each rule handles a kept entry once (its bit in done), because
 * what a rule derives from an entry depends only on the tree, never on what else is kept: the
 * fixpoint is then just "repeat until nothing new is kept".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathutil.h"
#include "rules_ctx.h"
#include "util.h"

void **rules_ctx__state(struct rules_ctx *c)
{
	return &c->state[c->cur];
}

bool rules_ctx__mark(struct rules_ctx *c, uint32_t idx)
{
	uint8_t bit = (uint8_t)(1u << c->cur);
	bool was = c->mark[idx] & bit;

	c->mark[idx] |= bit;
	return was;
}

void rules_ctx__unresolved(struct rules_ctx *c)
{
	c->st->unresolved[c->cur]++;
}

struct tree_entry rules_ctx__entry(const struct rules_ctx *c, uint32_t idx)
{
	struct tree_entry e;

	if (tree__get(c->t, idx, &e))
		memset(&e, 0, sizeof(e));
	if (!e.path)
		e.path = "";
	return e;
}

const char *rules__basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

bool rules__has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !memcmp(s + ls - lx, suffix, lx);
}

int rules__join(char *out, size_t len, const char *dir, const char *name, size_t namelen)
{
	size_t dl = strlen(dir);
	size_t need = dl + (dl ? 1 : 0) + namelen + 1;

	if (need > len)
		return -ENAMETOOLONG;
	memcpy(out, dir, dl);
	if (dl)
		out[dl++] = '/';
	memcpy(out + dl, name, namelen);
	out[dl + namelen] = '\0';
	return 0;
}

const char *rules_ctx__map_abs(const struct rules_ctx *c, const char *abs)
{
	const char *in;

	if (abs[0] != '/')
		return NULL;
	/* Where the workload ran first; only then the image-style reading from the root. */
	if ((in = path__below(abs, c->root)) || (in = path__below(abs, tree__recorded_at(c->t))))
		abs = in;
	while (*abs == '/')
		abs++;
	return abs;
}

/* Keep idx for the running rule; 1 when newly kept, 0 when it already was. */
static int keep(struct rules_ctx *c, uint32_t idx)
{
	int err;

	/*
	 * Entries kept already keep their own reasons (the report says why they are there), but
	 * one the workload only probed gets the rule's too: the source Python stats beside the
	 * bytecode it runs is needed, not merely stat()ed, and the summary's stat-only bytes
	 * must not send the user to --drop it. It is not counted as the rule's addition.
	 */
	if (keepset__has(c->k, idx))
		return keepset__reasons(c->k, idx) == KEEP_STAT_ONLY
			       ? keepset__add(c->k, idx, c->reason, 0, NULL)
			       : 0;
	err = keepset__add(c->k, idx, c->reason, 0, NULL);
	if (err)
		return err;
	c->st->added[c->cur]++;
	if (c->o->on_keep)
		c->o->on_keep(c->o->on_keep_arg, idx);
	return 1;
}

int rules_ctx__keep_path(struct rules_ctx *c, const char *path)
{
	struct idxvec links = {0};
	int64_t idx;
	int err = 0;

	idx = tree__resolve_opts(c->t, path,
				 &(struct tree_resolve_opts){.follow_last = true, .links = &links});
	/* A dangling chain keeps nothing: the rule asked for the file, not for the links. */
	if (idx < 0) {
		err = idx == -ENOMEM ? -ENOMEM : 0;
		goto out;
	}
	for (size_t i = 0; i < links.n; i++) {
		err = keep(c, links.v[i]);
		if (err < 0)
			goto out;
	}
	err = keep(c, (uint32_t)idx);
	if (err > 0)
		err = 0;
out:
	idxvec__release(&links);
	return err;
}

int rules_ctx__keep_entry(struct rules_ctx *c, uint32_t idx)
{
	struct tree_entry e = rules_ctx__entry(c, idx);
	int err;

	err = keep(c, idx);
	if (err < 0 || !S_ISLNK(e.mode))
		return err < 0 ? err : 0;
	return rules_ctx__keep_path(c, e.path);
}

int rules_ctx__children(struct rules_ctx *c)
{
	if (c->first_child)
		return 0;
	c->first_child = malloc(sizeof(*c->first_child) * c->n);
	c->next_sibling = malloc(sizeof(*c->next_sibling) * c->n);
	if (!c->first_child || !c->next_sibling) {
		free(c->first_child);
		free(c->next_sibling);
		c->first_child = c->next_sibling = NULL;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->n; i++)
		c->first_child[i] = c->next_sibling[i] = RULES_NONE;
	/* Backwards, so that each list comes out in index order. */
	for (uint32_t i = c->n; i-- > 1;) {
		struct tree_entry e = rules_ctx__entry(c, i);

		if (e.parent >= c->n || e.parent == i)
			continue;
		c->next_sibling[i] = c->first_child[e.parent];
		c->first_child[e.parent] = i;
	}
	return 0;
}

/* RESOLVE_BENEATH keeps a read inside the tree even if a directory was swapped for a link. */
int rules_ctx__open(struct rules_ctx *c, uint32_t idx)
{
	struct tree_entry e = rules_ctx__entry(c, idx);

	if (!S_ISREG(e.mode) || !e.path[0])
		return -EINVAL;
	/* Read what the tree indexed, not whatever replaced it since. */
	return tree__open_beneath(c->rootfd, e.path, e.dev, e.ino);
}

int rules_ctx__read(struct rules_ctx *c, uint32_t idx, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = NULL;
	int fd, err = 0;

	fd = rules_ctx__open(c, idx);
	if (fd < 0)
		return fd;
	b = malloc(cap + 1);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= max) {
				err = -EFBIG;
				goto out;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return err;
}

int rules_ctx__scan(struct rules_ctx *c, int (*fn)(struct rules_ctx *c, uint32_t idx))
{
	uint8_t bit = (uint8_t)(1u << c->cur);
	bool again = true;

	while (again) {
		again = false;
		for (uint32_t i = 0; i < c->n; i++) {
			int err;

			if ((c->done[i] & bit) || !keepset__has(c->k, i))
				continue;
			c->done[i] |= bit;
			again = true;
			err = fn(c, i);
			if (err < 0)
				return err;
		}
	}
	return 0;
}
