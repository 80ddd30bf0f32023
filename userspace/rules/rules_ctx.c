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

#include "rules_ctx.h"
#include "util.h"

/* ld.so and the kernel give up after 40 links; a tree should not need more. */
#define MAX_LINK_HOPS 40

int idxvec__push(struct idxvec *v, uint32_t idx)
{
	if (slz_grow((void **)&v->v, &v->cap, v->n + 1, sizeof(*v->v)))
		return -ENOMEM;
	v->v[v->n++] = idx;
	return 0;
}

void idxvec__release(struct idxvec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

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

/* abs with prefix (a directory path) taken off, or NULL when abs is not below it. */
static const char *below(const char *abs, const char *prefix, size_t len)
{
	if (len <= 1 || strncmp(abs, prefix, len) || (abs[len] != '/' && abs[len] != '\0'))
		return NULL;
	return abs + len;
}

const char *rules_ctx__map_abs(const struct rules_ctx *c, const char *abs)
{
	const char *in;

	if (abs[0] != '/')
		return NULL;
	/* Where the workload ran first; only then the image-style reading from the root. */
	if ((in = below(abs, c->root, c->rootlen)) ||
	    (c->root_as && (in = below(abs, c->root_as, c->root_as_len))))
		abs = in;
	while (*abs == '/')
		abs++;
	return abs;
}

/* True when only slashes follow p: the component just taken was the last one. */
static bool at_end(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

int64_t rules_ctx__walk(struct rules_ctx *c, const char *path, bool follow_last,
			struct idxvec *links)
{
	char done[RULES_PATH_MAX], rest[RULES_PATH_MAX], tmp[RULES_PATH_MAX];
	size_t dlen = 0, plen = strlen(path);
	int hops = 0;
	const char *p;

	if (plen >= sizeof(rest))
		return -ENAMETOOLONG;
	memcpy(rest, path, plen + 1);
	done[0] = '\0';
	p = rest;
	for (;;) {
		const char *comp, *next;
		struct tree_entry e;
		size_t clen;
		int64_t idx;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		next = strchrnul(p, '/');
		clen = next - comp;
		p = next;
		if (clen == 1 && comp[0] == '.')
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			/* done holds no symlinks, so a textual ".." is the kernel's ".." here. */
			char *slash;

			if (!dlen)
				return -EXDEV;
			slash = strrchr(done, '/');
			dlen = slash ? (size_t)(slash - done) : 0;
			done[dlen] = '\0';
			continue;
		}
		if (rules__join(tmp, sizeof(tmp), done, comp, clen))
			return -ENAMETOOLONG;
		idx = tree__find_path(c->t, tmp);
		if (idx < 0)
			return -ENOENT;
		e = rules_ctx__entry(c, (uint32_t)idx);
		last = at_end(next);
		if (S_ISLNK(e.mode) && (!last || follow_last)) {
			if (++hops > MAX_LINK_HOPS)
				return -ELOOP;
			if (links && idxvec__push(links, (uint32_t)idx))
				return -ENOMEM;
			if (!e.link_target || !e.link_target[0])
				return -ENOENT;
			if (e.link_target[0] == '/') {
				/* Absolute link text: the tree decides whether it stays inside. */
				int64_t r = tree__resolve_as(c->t, tmp, true, c->root_as);
				struct tree_entry re;

				if (r < 0)
					return r;
				re = rules_ctx__entry(c, (uint32_t)r);
				dlen = strlen(re.path);
				if (dlen >= sizeof(done))
					return -ENAMETOOLONG;
				memcpy(done, re.path, dlen + 1);
				continue;
			}
			/* Splice the link text in front of what is left, relative to done. */
			if (strlen(e.link_target) + 1 + strlen(next) + 1 > sizeof(tmp))
				return -ENAMETOOLONG;
			strcpy(tmp, e.link_target);
			strcat(tmp, "/");
			strcat(tmp, next);
			strcpy(rest, tmp);
			p = rest;
			continue;
		}
		if (!last && !S_ISDIR(e.mode))
			return -ENOTDIR;
		dlen = strlen(tmp);
		memcpy(done, tmp, dlen + 1);
	}
	return dlen ? tree__find_path(c->t, done) : 0;
}

/* Keep idx for the running rule; 1 when newly kept, 0 when it already was. */
static int keep(struct rules_ctx *c, uint32_t idx)
{
	int err;

	/* Entries kept already keep their own reasons: the report says why they are there. */
	if (keepset__has(c->k, idx))
		return 0;
	err = keepset__add(c->k, idx, c->reason, 0, NULL);
	if (err)
		return err;
	c->st->added[c->cur]++;
	return 1;
}

int rules_ctx__keep_path(struct rules_ctx *c, const char *path)
{
	struct idxvec links = {0};
	int64_t idx;
	int err = 0;

	idx = rules_ctx__walk(c, path, true, &links);
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
