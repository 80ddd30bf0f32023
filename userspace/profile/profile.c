// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "slz_vocab.h"
#include "bigarr.h"
#include "hashmap.h"
#include "host.h"
#include "pathutil.h"
#include "profile.h"
#include "util.h"

/*
 * The entries' paths live in chunks freed with the profile, not in a malloc block each: with
 * 200,000 entries the strdup and free of every path were ~8% of reading a profile (perf), and
 * each block cost 16 bytes of malloc's bookkeeping. A path replaced by a better one stays in
 * its chunk until the profile goes. The first chunk is PATH_CHUNK (a small profile's paths),
 * the next ones 2 MiB, doubling to PATH_CHUNK_MAX: a 200k-entry profile's 6 MiB of paths sit
 * in huge pages (bigarr), not a page fault per 4 KiB.
 */
#define PATH_CHUNK     (64u << 10)
#define PATH_CHUNK_MAX (8u << 20)

struct path_chunk {
	struct path_chunk *next;
	size_t used, cap;
	char data[];
};

struct profile {
	struct profile_header hdr;
	struct profile_entry *entries;
	size_t count, cap;
	size_t staged;		  /* entries past count filled by profile__stage, not yet added */
	struct idxmap *by_inode;  /* entries with a known (dev, ino) */
	struct idxmap *path_only; /* the identities of path-only entries, by path */
	/*
	 * Every entry by path, for profile__find_path only: built on its first call, so the
	 * readers, the report and prune (which never ask) skip a 200k-entry profile's third
	 * index (a hash of every path and a cache miss an entry). NULL until then.
	 */
	struct idxmap *by_path;
	struct path_chunk *paths; /* the newest first */
	size_t chunk_next;	  /* the size of the next path chunk */
};

/* A copy of s owned by p (freed with it), or NULL. */
static char *path_copy(struct profile *p, const char *s)
{
	size_t len = strlen(s) + 1;
	struct path_chunk *c = p->paths;
	char *out;

	if (!c || c->cap - c->used < len) {
		size_t size = p->chunk_next ? p->chunk_next : PATH_CHUNK;
		size_t cap = size - sizeof(*c);
		bool own = len > cap;

		/* A path longer than a chunk gets its own, behind the current one. */
		if (own)
			cap = len;
		c = bigarr__alloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		/* After the first, a mapping's worth at least (BIGARR_HUGE): huge pages. */
		if (!own && size < PATH_CHUNK_MAX)
			p->chunk_next = size < BIGARR_HUGE ? BIGARR_HUGE : 2 * size;
		if (p->paths && own) {
			c->next = p->paths->next;
			p->paths->next = c;
		} else {
			c->next = p->paths;
			p->paths = c;
		}
	}
	out = c->data + c->used;
	memcpy(out, s, len);
	c->used += len;
	return out;
}

static bool has_inode(const struct profile_entry *e)
{
	return e->ino && !(e->flags & SLZ_EVF_PATH_ONLY);
}

static uint64_t inode_hash(uint64_t dev, uint64_t ino)
{
	return slz_hash_u64(slz_hash_u64(dev) ^ ino);
}

/*
 * Eight bytes a step, then splitmix's finaliser: slz_hash_bytes's byte-at-a-time FNV was 10% of
 * reading a 200k-entry profile, which hashes each path three times (prefetch, index,
 * summary). Private to the in-memory indexes: nothing stores these values.
 */
uint64_t profile__path_hash(const char *path)
{
	return profile__path_hash_len(path, strlen(path));
}

uint64_t profile__path_hash_len(const char *path, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; len -= 8, path += 8) {
		memcpy(&w, path, 8);
		h = (h ^ slz_hash_u64(w)) * 0xff51afd7ed558ccdULL;
	}
	w = 0;
	memcpy(&w, path, len);
	return slz_hash_u64(h ^ w);
}

static uint64_t path_hash(const char *path)
{
	return profile__path_hash(path);
}

struct inode_key {
	uint64_t dev, ino;
};

static bool inode_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct profile *p = ctx;
	const struct inode_key *k = key;

	return p->entries[idx].dev == k->dev && p->entries[idx].ino == k->ino &&
	       has_inode(&p->entries[idx]);
}

/* Path lookups that must find the path-only entry (identity by path). */
static bool path_only_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct profile *p = ctx;

	return !has_inode(&p->entries[idx]) && !strcmp(p->entries[idx].path, key);
}

static bool path_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct profile *p = ctx;

	return !strcmp(p->entries[idx].path, key);
}

int profile__new(struct profile **out)
{
	struct profile *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->hdr.exit_status = -1;
	p->hdr.merged_from = 1;
	err = idxmap__new(&p->by_inode);
	if (!err)
		err = idxmap__new(&p->path_only);
	if (err) {
		profile__free(p);
		return err;
	}
	*out = p;
	return 0;
}

static void header_free(struct profile_header *h)
{
	free(h->slimzip_version);
	free(h->kernel);
	free(h->hostname);
	free(h->boot_id);
	free(h->target_kind);
	free(h->target);
	free(h->command);
	free(h->tree_root);
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	while (p->paths) {
		struct path_chunk *next = p->paths->next;

		bigarr__free(p->paths);
		p->paths = next;
	}
	bigarr__free(p->entries);
	header_free(&p->hdr);
	idxmap__free(p->by_inode);
	idxmap__free(p->path_only);
	idxmap__free(p->by_path);
	free(p);
}

struct profile_header *profile__header(struct profile *p)
{
	return &p->hdr;
}

const struct profile_header *profile__header_const(const struct profile *p)
{
	return &p->hdr;
}

int profile__set_str(struct profile *p, char **field, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

int profile__set_tree_root(struct profile *p, const char *tree_dir, const char *recorded_at)
{
	char *root = NULL;

	if (!recorded_at)
		root = realpath(tree_dir, NULL);
	/* A tree that is not there (yet): its name as written; its prune will say what is wrong. */
	if (!root)
		root = strdup(recorded_at ? recorded_at : tree_dir);
	if (!root)
		return -ENOMEM;
	path__clean(root);
	free(p->hdr.tree_root);
	p->hdr.tree_root = root;
	return 0;
}

int profile__set_host(struct profile *p, const char *version)
{
	struct profile_header *h = profile__header(p);
	struct utsname u;
	char host[256] = "", boot[64];
	int err;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	gethostname(host, sizeof(host) - 1);
	/* Without a boot id the profile is still good: it is then matched by path only. */
	if (host__boot_id(boot, sizeof(boot)))
		boot[0] = '\0';
	err = profile__set_str(p, &h->slimzip_version, version);
	if (!err)
		err = profile__set_str(p, &h->kernel, u.release);
	if (!err)
		err = profile__set_str(p, &h->hostname, host);
	if (!err)
		err = profile__set_str(p, &h->boot_id, boot[0] ? boot : NULL);
	return err;
}

static int64_t find_identity(const struct profile *p, const struct profile_entry *e)
{
	if (has_inode(e)) {
		struct inode_key k = {e->dev, e->ino};

		return idxmap__find(p->by_inode, inode_hash(e->dev, e->ino), inode_eq, &k,
				    (void *)p);
	}
	return idxmap__find(p->path_only, path_hash(e->path), path_only_eq, e->path, (void *)p);
}

static int index_entry(struct profile *p, uint32_t idx)
{
	const struct profile_entry *e = &p->entries[idx];
	int err;

	if (has_inode(e))
		err = idxmap__insert(p->by_inode, inode_hash(e->dev, e->ino), idx);
	else
		err = idxmap__insert(p->path_only, path_hash(e->path), idx);
	if (!err && p->by_path)
		err = idxmap__insert(p->by_path, path_hash(e->path), idx);
	return err;
}

/* The flags that describe an entry's path string rather than the file. */
#define PATH_FLAGS (SLZ_EVF_TRUNCATED | SLZ_EVF_UNREACHABLE | SLZ_EVF_USER_SUFFIX)

/*
 * How well a path names its file on another boot, where only paths match (lower is better): a
 * complete path the kernel walked from the file itself, then the caller's own spelling (a
 * walked base plus the string it passed, which may go through symlinks out of the tree and
 * back), then a walk that ended outside the task's root, then a path missing its head.
 */
static int path_rank(uint32_t flags)
{
	if (flags & SLZ_EVF_TRUNCATED)
		return 3;
	if (flags & SLZ_EVF_UNREACHABLE)
		return 2;
	return (flags & SLZ_EVF_USER_SUFFIX) ? 1 : 0;
}

/* Entry idx of the same file now goes by path (a better one); its path flags come along. */
static int replace_path(struct profile *p, size_t idx, const char *path, uint32_t path_flags)
{
	struct profile_entry *n = &p->entries[idx];
	char *copy = path_copy(p, path);
	int err;

	if (!copy)
		return -ENOMEM;
	/*
	 * The old path's slot in by_path stays; path_eq no longer matches it. A path-only entry
	 * was found by this very path: its slot in path_only already fits.
	 */
	err = p->by_path ? idxmap__insert(p->by_path, path_hash(copy), (uint32_t)idx) : 0;
	if (err)
		return err;
	n->path = copy;
	n->flags = (n->flags & ~PATH_FLAGS) | path_flags;
	return 0;
}

/* e joins entry found, of the same identity. */
static int merge_into(struct profile *p, int64_t found, const struct profile_entry *e)
{
	struct profile_entry *n = &p->entries[found];

	n->kinds |= e->kinds;
	n->flags |= e->flags & ~PATH_FLAGS;
	n->count += e->count;
	if (!n->mode)
		n->mode = e->mode;
	if (!n->size)
		n->size = e->size;
	if (!n->err)
		n->err = e->err;
	if (n->syscall_nr < 0)
		n->syscall_nr = e->syscall_nr;
	if (!n->first_pid) {
		n->first_pid = e->first_pid;
		memcpy(n->first_comm, e->first_comm, sizeof(n->first_comm));
	}
	/*
	 * One file seen by two paths keeps the better one whatever the order they came in
	 * (a stat through a symlink outside the tree, then an open by the real path): a
	 * profile used on another boot finds the file by path alone. Equal ranks keep the
	 * first path seen.
	 */
	if (path_rank(e->flags) < path_rank(n->flags))
		return replace_path(p, (size_t)found, e->path, e->flags & PATH_FLAGS);
	return 0;
}

int profile__add(struct profile *p, const struct profile_entry *e)
{
	struct profile_entry *n;
	int64_t found;
	int err;

	if (!e->path)
		return -EINVAL;
	/* Staged entries sit where a new one would go. */
	if (p->staged)
		return -EBUSY;
	found = find_identity(p, e);
	if (found >= 0)
		return merge_into(p, found, e);
	if (p->count >= UINT32_MAX - 1)
		return -EOVERFLOW;
	err = bigarr__grow((void **)&p->entries, &p->cap, p->count + 1, sizeof(*p->entries));
	if (err)
		return err;
	n = &p->entries[p->count];
	*n = *e;
	n->first_comm[PROFILE_COMM_LEN - 1] = '\0';
	n->path = path_copy(p, e->path);
	if (!n->path)
		return -ENOMEM;
	err = index_entry(p, (uint32_t)p->count);
	if (err)
		return err;
	p->count++;
	return 0;
}

void profile__prefetch(const struct profile *p, const struct profile_entry *e)
{
	if (!e->path)
		return;
	if (has_inode(e))
		idxmap__prefetch(p->by_inode, inode_hash(e->dev, e->ino));
	else
		idxmap__prefetch(p->path_only, path_hash(e->path));
}

struct profile_entry *profile__stage(struct profile *p)
{
	struct profile_entry *e;

	if (p->count + p->staged >= UINT32_MAX - 1 ||
	    bigarr__grow((void **)&p->entries, &p->cap, p->count + p->staged + 1,
			 sizeof(*p->entries)))
		return NULL;
	e = &p->entries[p->count + p->staged++];
	memset(e, 0, sizeof(*e));
	e->syscall_nr = -1;
	return e;
}

/*
 * How many staged entries ahead the commit starts loading index slots: a 200k-entry profile's
 * by_inode is 4 MiB, and a new entry's lookup misses the cache.
 */
#define COMMIT_AHEAD 16

int profile__commit(struct profile *p, bool owned, size_t *failed)
{
	size_t base = p->count, n = p->staged;
	int err = 0;

	/* profile__add's refusals, for now and for what it adds later. */
	p->staged = 0;
	for (size_t i = 0; i < n && i < COMMIT_AHEAD; i++)
		profile__prefetch(p, &p->entries[base + i]);
	for (size_t i = 0; i < n; i++) {
		/*
		 * Compaction writes at count, at or before base + i: what is still to come is
		 * not overwritten.
		 */
		struct profile_entry e = p->entries[base + i];
		int64_t found;

		if (i + COMMIT_AHEAD < n)
			profile__prefetch(p, &p->entries[base + i + COMMIT_AHEAD]);
		*failed = i;
		if (!e.path)
			return -EINVAL;
		found = find_identity(p, &e);
		if (found >= 0) {
			err = merge_into(p, found, &e);
		} else {
			struct profile_entry *d = &p->entries[p->count];

			*d = e;
			d->first_comm[PROFILE_COMM_LEN - 1] = '\0';
			if (!owned && !(d->path = path_copy(p, e.path)))
				return -ENOMEM;
			err = index_entry(p, (uint32_t)p->count);
			if (!err)
				p->count++;
		}
		if (err)
			return err;
	}
	return 0;
}

int profile__reserve(struct profile *p, size_t n)
{
	int err;

	if (n > UINT32_MAX - 1)
		return -EOVERFLOW;
	err = bigarr__grow((void **)&p->entries, &p->cap, n, sizeof(*p->entries));
	if (!err)
		err = idxmap__reserve(p->by_inode, n);
	if (!err && p->by_path)
		err = idxmap__reserve(p->by_path, n);
	return err;
}

size_t profile__count(const struct profile *p)
{
	return p->count;
}

const struct profile_entry *profile__entry(const struct profile *p, size_t i)
{
	return i < p->count ? &p->entries[i] : NULL;
}

const struct profile_entry *profile__find_inode(const struct profile *p, uint64_t dev, uint64_t ino)
{
	struct inode_key k = {dev, ino};
	int64_t i = idxmap__find(p->by_inode, inode_hash(dev, ino), inode_eq, &k, (void *)p);

	return i >= 0 ? &p->entries[i] : NULL;
}

/* by_path over every entry, in entry order (find returns the first). */
static int build_by_path(struct profile *p)
{
	struct idxmap *m;
	int err = idxmap__new(&m);

	if (!err)
		err = idxmap__reserve(m, p->count);
	for (size_t i = 0; !err && i < p->count; i++)
		err = idxmap__insert(m, path_hash(p->entries[i].path), (uint32_t)i);
	if (err) {
		idxmap__free(m);
		return err;
	}
	p->by_path = m;
	return 0;
}

const struct profile_entry *profile__find_path(const struct profile *p, const char *path)
{
	int64_t i;

	/*
	 * The index no reader builds (struct profile's by_path): built here, the one change a
	 * const call makes, hence the same rule as for adds: not while another thread uses p.
	 * Without memory for it, a linear search.
	 */
	if (!p->by_path && build_by_path((struct profile *)p)) {
		for (size_t j = 0; j < p->count; j++) {
			if (!strcmp(p->entries[j].path, path))
				return &p->entries[j];
		}
		return NULL;
	}
	i = idxmap__find(p->by_path, path_hash(path), path_eq, path, (void *)p);

	return i >= 0 ? &p->entries[i] : NULL;
}

int profile__add_count(struct profile *p, uint64_t dev, uint64_t ino, const char *path,
		       uint64_t count)
{
	struct profile_entry key = {.path = (char *)path, .dev = dev, .ino = ino};
	int64_t i;

	if (!ino)
		key.flags = SLZ_EVF_PATH_ONLY;
	i = find_identity(p, &key);
	if (i < 0)
		return -ENOENT;
	p->entries[i].count += count;
	return 0;
}

/* Two header strings as one: equal ones stay, differing ones become conflict (NULL allowed). */
static int merge_str(struct profile *dst, char **field, const char *src, const char *conflict)
{
	if (!*field || !src || !strcmp(*field, src))
		return 0;
	if (conflict && !strcmp(*field, conflict))
		return 0;
	return profile__set_str(dst, field, conflict);
}

static int merge_header(struct profile *dst, const struct profile_header *s)
{
	struct profile_header *d = &dst->hdr;
	int err;

	d->lost_events += s->lost_events;
	d->dedup_full += s->dedup_full;
	d->truncated_paths += s->truncated_paths;
	d->daemon_restarted += s->daemon_restarted;
	d->refused_targets += s->refused_targets;
	d->merged_from += s->merged_from;
	/* 0 is the unknown time: it bounds nothing. */
	if (s->start_unix_ms && (!d->start_unix_ms || s->start_unix_ms < d->start_unix_ms))
		d->start_unix_ms = s->start_unix_ms;
	if (s->end_unix_ms > d->end_unix_ms)
		d->end_unix_ms = s->end_unix_ms;
	if (s->exit_status > d->exit_status)
		d->exit_status = s->exit_status;
	err = merge_str(dst, &d->slimzip_version, s->slimzip_version, "mixed");
	if (!err)
		err = merge_str(dst, &d->kernel, s->kernel, "mixed");
	if (!err)
		err = merge_str(dst, &d->hostname, s->hostname, "mixed");
	/* dev/ino from another boot or host mean nothing here: keep the boot id only if shared. */
	if (!err && d->boot_id && (!s->boot_id || strcmp(d->boot_id, s->boot_id)))
		err = profile__set_str(dst, &d->boot_id, "mixed");
	if (!err)
		err = merge_str(dst, &d->target_kind, s->target_kind, "mixed");
	if (!err)
		err = merge_str(dst, &d->target, s->target, NULL);
	if (!err)
		err = merge_str(dst, &d->command, s->command, NULL);
	if (!err && !d->tree_root && s->tree_root)
		err = profile__set_str(dst, &d->tree_root, s->tree_root);
	return err;
}

int profile__merge(struct profile *dst, const struct profile *src)
{
	int err;

	/* Refused before anything changes: the same file would go by two names. */
	if (dst->hdr.tree_root && src->hdr.tree_root &&
	    strcmp(dst->hdr.tree_root, src->hdr.tree_root))
		return slz_fail(EXDEV,
				"profiles of trees recorded at %s and at %s cannot merge: map one "
				"onto the other (merge --map %s=%s)",
				dst->hdr.tree_root, src->hdr.tree_root, src->hdr.tree_root,
				dst->hdr.tree_root);
	for (size_t i = 0; i < src->count; i++) {
		err = profile__add(dst, &src->entries[i]);
		if (err)
			return err;
	}
	return merge_header(dst, &src->hdr);
}

int profile__entry_cmp(const struct profile_entry *x, const struct profile_entry *y)
{
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	/* The same path, dev and ino once by inode and once path-only: by inode first. */
	return (int)has_inode(y) - (int)has_inode(x);
}

static int entry_cmp(const void *a, const void *b)
{
	return profile__entry_cmp(a, b);
}

int profile__sort(struct profile *p)
{
	struct idxmap *by_inode = NULL, *path_only = NULL;
	int err;

	/* An empty profile has no array at all: qsort's pointer must not be NULL even then. */
	if (p->count > 1)
		qsort(p->entries, p->count, sizeof(*p->entries), entry_cmp);
	/* Element numbers changed: both indexes are rebuilt. */
	err = idxmap__new(&by_inode);
	if (!err)
		err = idxmap__new(&path_only);
	if (!err)
		err = idxmap__reserve(by_inode, p->count);
	if (err)
		goto err;
	idxmap__free(p->by_inode);
	idxmap__free(p->path_only);
	idxmap__free(p->by_path);
	p->by_inode = by_inode;
	p->path_only = path_only;
	p->by_path = NULL; /* built again when asked */
	for (size_t i = 0; i < p->count; i++) {
		err = index_entry(p, (uint32_t)i);
		if (err)
			return err;
	}
	return 0;
err:
	idxmap__free(by_inode);
	idxmap__free(path_only);
	return err;
}

bool profile__has_loss(const struct profile *p)
{
	return p->hdr.lost_events > 0 || p->hdr.daemon_restarted > 0;
}

bool profile__has_warnings(const struct profile *p)
{
	return p->hdr.lost_events || p->hdr.dedup_full || p->hdr.truncated_paths ||
	       p->hdr.daemon_restarted;
}
