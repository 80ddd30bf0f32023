// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The deployment tree: one walk, then a compact index.
 *
 * Layout, chosen for ~1e6 entries: every relative path (and symlink text) lives NUL-terminated
 * in one arena and entries store 32-bit offsets into it; devices are interned in a tiny table;
 * two idxmaps (path -> index, (dev, ino) -> index) hold only 8-byte slots. Entries are sorted by
 * path bytes once the walk is done, so index order is the deterministic zip order and a
 * directory always precedes its contents. The walk that fills it is tree_walk.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashmap.h"
#include "pathutil.h"
#include "tree.h"
#include "tree_internal.h"
#include "util.h"

struct pkey {
	const char *s;
	size_t len;
};

struct ikey {
	uint64_t dev;
	uint64_t ino;
};

static uint64_t path_hash(const char *s, size_t len)
{
	return slz_hash_bytes(s, len, 0);
}

static uint64_t inode_hash(uint64_t dev, uint64_t ino)
{
	return slz_hash_u64(slz_hash_u64(dev) ^ ino);
}

static bool path_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct tree *t = ctx;
	const struct pkey *k = key;
	const char *p = node_path(t, idx);

	return strncmp(p, k->s, k->len) == 0 && p[k->len] == '\0';
}

static bool inode_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct tree *t = ctx;
	const struct ikey *k = key;
	const struct node *n = &t->nodes[idx];

	return n->ino == k->ino && t->devs[n->dev_idx] == k->dev;
}

static int64_t find_path_len(const struct tree *t, const char *s, size_t len)
{
	struct pkey k = {s, len};

	return idxmap__find(t->by_path, path_hash(s, len), path_eq, &k, (void *)t);
}

static int cmp_links(const void *a, const void *b, void *ctx)
{
	const struct tree *t = ctx;
	const struct node *na = &t->nodes[*(const uint32_t *)a];
	const struct node *nb = &t->nodes[*(const uint32_t *)b];
	uint64_t da = t->devs[na->dev_idx], db = t->devs[nb->dev_idx];

	if (da != db)
		return da < db ? -1 : 1;
	if (na->ino != nb->ino)
		return na->ino < nb->ino ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* The (dev, ino) map, built on a thread of its own beside the path map (build_index). */
static void *index_inodes(void *arg)
{
	struct tree *t = arg;
	intptr_t err = idxmap__reserve(t->by_inode, t->count);

	/* Inserting in index order makes find_inode return the first path of a hard link. */
	for (size_t i = 0; !err && i < t->count; i++)
		err = idxmap__insert(t->by_inode,
				     inode_hash(t->devs[t->nodes[i].dev_idx], t->nodes[i].ino), i);
	return (void *)err;
}

/*
 * Below this many entries a thread for the inode map costs more than it saves (tens of
 * microseconds against milliseconds); test_tree_walk's 6,000-file tree takes the thread.
 */
#define INDEX_THREAD_MIN 4096

/* Everything that depends on the final (sorted) indexes. */
static int build_index(struct tree *t)
{
	pthread_t th;
	bool threaded;
	void *ret;
	void *p;
	int err, ierr;

	/* Shrink to fit: the walk's doubling slack would otherwise count against the budget. */
	p = realloc(t->nodes, t->count * sizeof(*t->nodes));
	if (p) {
		t->nodes = p;
		t->cap = t->count;
	}
	p = realloc(t->arena, t->arena_len);
	if (p) {
		t->arena = p;
		t->arena_cap = t->arena_len;
	}
	err = idxmap__new(&t->by_path);
	if (err)
		return err;
	err = idxmap__new(&t->by_inode);
	if (err)
		return err;
	/*
	 * The two maps are independent: a large tree builds them at once (0.5 s of one thread
	 * at 1M entries, the second core idle then); a small one, or no thread, in turn.
	 */
	threaded = t->count >= INDEX_THREAD_MIN && !pthread_create(&th, NULL, index_inodes, t);
	err = idxmap__reserve(t->by_path, t->count);
	for (size_t i = 0; !err && i < t->count; i++) {
		const char *path = node_path(t, i);

		err = idxmap__insert(t->by_path, path_hash(path, strlen(path)), i);
	}
	if (threaded)
		pthread_join(th, &ret);
	else
		ret = err ? NULL : index_inodes(t);
	ierr = (int)(intptr_t)ret;
	if (err || ierr)
		return err ? err : ierr;
	for (size_t i = 0; i < t->count; i++) {
		struct node *n = &t->nodes[i];

		if (S_ISREG(n->mode)) {
			t->files++;
			t->bytes += n->size;
		}
		if (!S_ISDIR(n->mode) && n->nlink > 1)
			t->nlinks++;
	}
	if (t->nlinks) {
		size_t j = 0;

		t->links = malloc(t->nlinks * sizeof(*t->links));
		if (!t->links)
			return -ENOMEM;
		for (size_t i = 0; i < t->count; i++) {
			if (!S_ISDIR(t->nodes[i].mode) && t->nodes[i].nlink > 1)
				t->links[j++] = i;
		}
		qsort_r(t->links, t->nlinks, sizeof(*t->links), cmp_links, t);
	}
	/* Link flags need the finished index: resolve each symlink now, once. */
	for (size_t i = 0; i < t->count; i++) {
		int64_t r;

		if (!S_ISLNK(t->nodes[i].mode) || t->nodes[i].link_off == NO_LINK)
			continue;
		/* Against the real root only: the flags describe the tree where it is. */
		r = tree__resolve_opts(
			t, node_path(t, i),
			&(struct tree_resolve_opts){.follow_last = true, .at_real_path = true});
		if (r == -ENOMEM)
			return -ENOMEM;
		if (r == -EXDEV)
			t->nodes[i].flags |= TREE_F_LINK_OUTSIDE;
		else if (r < 0)
			t->nodes[i].flags |= TREE_F_LINK_LOOP;
	}
	return 0;
}

/* o's field, or 0 when o is NULL or older than the field (its sz ends before it). */
#define OPT(o, field)                                                                              \
	((o) && (o)->sz >= offsetof(struct tree_opts, field) + sizeof((o)->field) ? (o)->field : 0)

/* Where the tree was recorded, cleaned once; NULL (and no error) when that is its root. */
static int set_recorded_at(struct tree *t, const char *at)
{
	if (!at || !*at)
		return 0;
	if (at[0] != '/')
		return slz_fail(EINVAL, "the recorded location '%s' of the tree is not absolute",
				at);
	t->recorded_at = strdup(at);
	if (!t->recorded_at)
		return -ENOMEM;
	path__clean(t->recorded_at);
	if (!strcmp(t->recorded_at, t->root)) {
		free(t->recorded_at);
		t->recorded_at = NULL;
	}
	return 0;
}

int tree__open(const char *root, const struct tree_opts *o, struct tree **out)
{
	struct tree *t = NULL;
	struct stat st;
	const struct slz_progress *progress = OPT(o, progress);
	int rootfd = -1, err;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->root = realpath(root, NULL);
	if (!t->root) {
		err = slz_fail(errno, "cannot resolve tree root '%s': %s", root, strerror(errno));
		goto err;
	}
	t->root_len = strlen(t->root);
	t->lstat_inline = OPT(o, lstat_inline);
	err = set_recorded_at(t, OPT(o, recorded_at));
	if (err)
		goto err;
	rootfd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || fstat(rootfd, &st)) {
		err = slz_fail(errno, "cannot open tree root '%s': %s", t->root, strerror(errno));
		goto err;
	}
	err = tree_walk__run(t, rootfd, &st, progress);
	if (err)
		goto err;
	if (t->nodes[0].flags & TREE_F_UNREADABLE) {
		err = slz_fail(EACCES, "cannot list tree root '%s'", t->root);
		goto err;
	}
	err = build_index(t);
	if (err)
		goto err;
	close(rootfd);
	*out = t;
	return 0;
err:
	if (err == -ENOMEM)
		slz_fail(ENOMEM, "out of memory indexing tree '%s'", root);
	if (rootfd >= 0)
		close(rootfd);
	tree__free(t);
	return err;
}

void tree__free(struct tree *t)
{
	if (!t)
		return;
	idxmap__free(t->by_path);
	idxmap__free(t->by_inode);
	free(t->pend);
	free(t->links);
	free(t->devs);
	free(t->arena);
	free(t->nodes);
	free(t->root);
	free(t->recorded_at);
	free(t);
}

const char *tree__root(const struct tree *t)
{
	return t->root;
}

const char *tree__recorded_at(const struct tree *t)
{
	return t->recorded_at ? t->recorded_at : t->root;
}

size_t tree__count(const struct tree *t)
{
	return t->count;
}

int tree__get(const struct tree *t, uint32_t idx, struct tree_entry *out)
{
	const struct node *n;

	if (idx >= t->count)
		return -ENOENT;
	n = &t->nodes[idx];
	out->path = t->arena + n->path_off;
	out->link_target = n->link_off != NO_LINK ? t->arena + n->link_off : NULL;
	out->dev = t->devs[n->dev_idx];
	out->ino = n->ino;
	out->size = n->size;
	out->mtime_sec = n->mtime_sec;
	out->mtime_nsec = n->mtime_nsec;
	out->mode = n->mode;
	out->nlink = n->nlink;
	out->parent = n->parent;
	out->flags = n->flags;
	return 0;
}

int64_t tree__find_path(const struct tree *t, const char *relpath)
{
	if (!relpath)
		return -EINVAL;
	return find_path_len(t, relpath, strlen(relpath));
}

int64_t tree__find_inode(const struct tree *t, uint64_t dev, uint64_t ino)
{
	struct ikey k = {dev, ino};

	return idxmap__find(t->by_inode, inode_hash(dev, ino), inode_eq, &k, (void *)t);
}

int64_t tree__next_link(const struct tree *t, uint32_t idx)
{
	size_t lo = 0, hi = t->nlinks;

	if (idx >= t->count || S_ISDIR(t->nodes[idx].mode) || t->nodes[idx].nlink <= 1)
		return -ENOENT;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_links(&t->links[mid], &idx, (void *)t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo + 1 >= t->nlinks)
		return -ENOENT;
	if (t->nodes[t->links[lo + 1]].ino != t->nodes[idx].ino ||
	    t->nodes[t->links[lo + 1]].dev_idx != t->nodes[idx].dev_idx)
		return -ENOENT;
	return t->links[lo + 1];
}

void tree__totals(const struct tree *t, uint64_t *files, uint64_t *bytes)
{
	if (files)
		*files = t->files;
	if (bytes)
		*bytes = t->bytes;
}

size_t tree__memory(const struct tree *t)
{
	return sizeof(*t) + t->root_len + 1 + (t->recorded_at ? strlen(t->recorded_at) + 1 : 0) +
	       t->cap * sizeof(*t->nodes) + t->arena_cap + t->devs_cap * sizeof(*t->devs) +
	       t->nlinks * sizeof(*t->links) + idxmap__bytes(t->by_path) +
	       idxmap__bytes(t->by_inode);
}
