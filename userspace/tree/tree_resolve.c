// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one in-tree symlink resolver: a path is walked component by component through the index,
 * links spliced in as the kernel would, and nothing on disk is touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idxvec.h"
#include "pathutil.h"
#include "tree.h"
#include "util.h"

struct sbuf {
	char *s;
	size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *s, size_t len)
{
	int err = slz_grow((void **)&b->s, &b->cap, b->len + len + 1, 1);

	if (err)
		return err;
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
	return 0;
}

/* The in-tree spelling of an absolute link text ("" or "/..."), or NULL when it leads out. */
static const char *inside(const struct tree *t, const char *target, bool at_real_path)
{
	const char *in = path__below(target, tree__root(t));

	return in || at_real_path ? in : path__below(target, tree__recorded_at(t));
}

int64_t tree__resolve_opts(const struct tree *t, const char *relpath,
			   const struct tree_resolve_opts *o)
{
	struct sbuf rest = {0}, cand = {0}, next = {0};
	bool follow_last = o && o->follow_last;
	uint32_t cur = 0;
	size_t pos = 0;
	int hops = 0;
	int64_t ret;

	if (!relpath)
		return -EINVAL;
	ret = sbuf_add(&rest, relpath, strlen(relpath));
	if (ret)
		goto out;
	for (;;) {
		const char *p = rest.s + pos, *e, *q, *target;
		struct tree_entry n, c;
		bool last, trailing;
		size_t clen;
		int64_t idx;

		while (*p == '/')
			p++;
		if (!*p) {
			ret = cur;
			break;
		}
		e = strchrnul(p, '/');
		clen = e - p;
		for (q = e; *q == '/'; q++)
			;
		last = !*q;
		/* "dir/" follows a final symlink and must name a directory, as in the kernel. */
		trailing = last && *e == '/';
		pos = q - rest.s;
		if (clen == 1 && p[0] == '.')
			continue;
		if (tree__get(t, cur, &c)) {
			ret = -ENOENT;
			break;
		}
		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			/* Climbing above the root leaves the tree, whatever comes after. */
			if (cur == 0) {
				ret = -EXDEV;
				break;
			}
			cur = c.parent;
			continue;
		}
		cand.len = 0;
		if (cur != 0) {
			ret = sbuf_add(&cand, c.path, strlen(c.path));
			if (!ret)
				ret = sbuf_add(&cand, "/", 1);
			if (ret)
				break;
		}
		ret = sbuf_add(&cand, p, clen);
		if (ret)
			break;
		idx = tree__find_path(t, cand.s);
		if (idx < 0 || tree__get(t, (uint32_t)idx, &n)) {
			ret = -ENOENT;
			break;
		}
		if (S_ISLNK(n.mode) && (!last || follow_last || trailing)) {
			if (++hops > SLZ_LINK_HOPS_MAX || !n.link_target) {
				ret = n.link_target ? -ELOOP : -ENOENT;
				break;
			}
			if (o && o->links && (ret = idxvec__push(o->links, (uint32_t)idx)))
				break;
			target = n.link_target;
			if (target[0] == '/') {
				target = inside(t, target, o && o->at_real_path);
				if (!target) {
					ret = -EXDEV;
					break;
				}
				cur = 0;
			}
			/* Splice: the link text replaces the component, relative to its directory.
			 */
			next.len = 0;
			ret = sbuf_add(&next, target, strlen(target));
			/* A trailing '/' after the link still demands a directory at the end. */
			if (!ret && (!last || trailing))
				ret = sbuf_add(&next, "/", 1);
			if (!ret)
				ret = sbuf_add(&next, rest.s + pos, rest.len - pos);
			if (ret)
				break;
			{
				struct sbuf tmp = rest;

				rest = next;
				next = tmp;
			}
			pos = 0;
			continue;
		}
		if ((!last || trailing) && !S_ISDIR(n.mode)) {
			ret = -ENOTDIR;
			break;
		}
		cur = (uint32_t)idx;
	}
out:
	free(rest.s);
	free(cand.s);
	free(next.s);
	return ret;
}

int64_t tree__resolve(const struct tree *t, const char *relpath, bool follow_last)
{
	return tree__resolve_opts(t, relpath,
				  &(struct tree_resolve_opts){.follow_last = follow_last});
}
