// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip diff: two profiles, two zips, or one of each, compared by path (diff.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "diff.h"
#include "pathutil.h"
#include "profile.h"
#include "profile_io.h"
#include "prune_policy.h"
#include "util.h"
#include "zipcdir.h"

/* The kinds that mean the workload used a file that was there (slz_vocab.h). */
#define USE_KINDS                                                                                  \
	(SLZ_KIND_OPEN | SLZ_KIND_MMAP | SLZ_KIND_EXEC | SLZ_KIND_INTERP | SLZ_KIND_STAT |         \
	 SLZ_KIND_ACCESS | SLZ_KIND_READLINK)

/* One path of one side: a zip entry (is_entry) or the union of a profile's entries there. */
struct dent {
	char *path;
	uint32_t kinds;
	uint64_t size;
	bool provides; /* needs, and provides, this path (diff.h) */
};

struct dset {
	struct dent *v;
	size_t n, cap;
};

struct diff_side {
	char *name;
	struct profile *profile; /* or: */
	struct dset zip;	 /* a zip's entries, names without a trailing '/' */
	char *zip_root;		 /* the zip comment's tree_path_as, NULL when none */
	bool is_zip;
};

bool diff__kinds_need(uint32_t kinds)
{
	return (kinds & USE_KINDS) && !(kinds & SLZ_KIND_CREATE);
}

static void dset_release(struct dset *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].path);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* Add (a copy of path, or path itself when owned); 0 or -ENOMEM. */
static int dset_add(struct dset *d, const char *path, size_t len, uint32_t kinds, uint64_t size,
		    bool provides)
{
	struct dent *e;
	int err = slz_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));

	if (err)
		return err;
	e = &d->v[d->n];
	e->path = strndup(path, len);
	if (!e->path)
		return -ENOMEM;
	e->kinds = kinds;
	e->size = size;
	e->provides = provides;
	d->n++;
	return 0;
}

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->path, ((const struct dent *)b)->path);
}

/* Sorted by path, each path once: a profile's entries of one path (an inode and a path-only
 * one, two hard links' spellings) join their kinds. */
static void dset_settle(struct dset *d)
{
	size_t out = 0;

	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), dent_cmp);
	for (size_t i = 0; i < d->n; i++) {
		if (out && !strcmp(d->v[out - 1].path, d->v[i].path)) {
			struct dent *k = &d->v[out - 1];

			k->kinds |= d->v[i].kinds;
			k->size = k->size > d->v[i].size ? k->size : d->v[i].size;
			k->provides = diff__kinds_need(k->kinds) || (k->provides && !k->kinds);
			free(d->v[i].path);
			continue;
		}
		d->v[out++] = d->v[i];
	}
	d->n = out;
}

/* The entry at path exactly, or NULL (d settled). */
static const struct dent *dset_find(const struct dset *d, const char *path)
{
	struct dent key = {.path = (char *)path};

	return d->n ? bsearch(&key, d->v, d->n, sizeof(*d->v), dent_cmp) : NULL;
}

/*
 * Whether d has path (provided: only entries that provide count): exactly, or as a directory
 * with such an entry below it. Those follow the first entry >= "path/" in byte order.
 */
static bool dset_has(const struct dset *d, const char *path, bool provided)
{
	const struct dent *e = dset_find(d, path);
	size_t len = strlen(path), lo = 0, hi = d->n;

	if (e && (!provided || e->provides))
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *v = d->v[mid].path;
		int c = strncmp(v, path, len);

		/* v < path + "/" (path itself, "path-x" and "path.x" sort before it). */
		if (c < 0 || (c == 0 && (unsigned char)v[len] < '/'))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo;
	     i < d->n && !strncmp(d->v[i].path, path, len) && d->v[i].path[len] == '/'; i++) {
		if (!provided || d->v[i].provides)
			return true;
	}
	return false;
}

static bool looks_like_zip(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false; /* profile__read explains it */
	n = read(fd, m, sizeof(m));
	close(fd);
	return n == 4 && m[0] == 'P' && m[1] == 'K' &&
	       ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

/* A zip's entries and the root its comment records (prune_policy__adopt reads it). */
static int read_zip(struct diff_side *s)
{
	struct prune_policy pol;
	char *comment = NULL;
	bool adopted = false;
	zip_int64_t n;
	zip_t *za;
	int zerr, err;

	za = zip_open(s->name, ZIP_RDONLY, &zerr);
	if (!za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		err = slz_fail(EBADMSG, "cannot read the zip %s: %s", s->name,
			       zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return err;
	}
	n = zip_get_num_entries(za, 0);
	err = 0;
	for (zip_int64_t i = 0; !err && i < n; i++) {
		zip_stat_t st;
		size_t len;

		if (zip_stat_index(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) ||
		    !(st.valid & ZIP_STAT_NAME)) {
			err = slz_fail(EBADMSG, "cannot read entry %lld of the zip %s: %s",
				       (long long)i, s->name, zip_strerror(za));
			break;
		}
		len = strlen(st.name);
		while (len && st.name[len - 1] == '/')
			len--;
		if (len)
			err = dset_add(&s->zip, st.name, len, 0,
				       (st.valid & ZIP_STAT_SIZE) ? st.size : 0, true);
	}
	zip_discard(za);
	if (err)
		return err;
	dset_settle(&s->zip);
	/* Where the tree was recorded, when prune was told (--tree-path-as). */
	err = zipcdir__comment(s->name, &comment);
	if (!err)
		err = prune_policy__init(&pol);
	else
		return err;
	if (!err) {
		err = prune_policy__adopt(&pol, comment, &adopted);
		if (!err && adopted && pol.recorded_at && !(s->zip_root = strdup(pol.recorded_at)))
			err = -ENOMEM;
		prune_policy__release(&pol);
	}
	free(comment);
	return err;
}

int diff_side__open(const char *path, struct diff_side **out)
{
	struct diff_side *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s || !(s->name = strdup(path))) {
		free(s);
		return -ENOMEM;
	}
	s->is_zip = looks_like_zip(path);
	err = s->is_zip ? read_zip(s) : profile__read(path, &s->profile);
	if (err) {
		diff_side__free(s);
		return err;
	}
	*out = s;
	return 0;
}

void diff_side__free(struct diff_side *s)
{
	if (!s)
		return;
	profile__free(s->profile);
	dset_release(&s->zip);
	free(s->zip_root);
	free(s->name);
	free(s);
}

bool diff_side__is_zip(const struct diff_side *s)
{
	return s->is_zip;
}

/*
 * A profile's entries as paths of the comparison: absolute, or (root set) relative to root,
 * the way prune names a zip's entries; those outside root are counted in *outside.
 */
static int profile_set(const struct profile *p, const char *root, struct dset *d, size_t *outside)
{
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);
		const char *path = e->path;
		char *clean = NULL;
		int err;

		if (root) {
			/* A truncated or unreachable path names no place in the tree. */
			const char *rest = e->flags & (SLZ_EVF_TRUNCATED | SLZ_EVF_UNREACHABLE)
						   ? NULL
						   : path__below(path, root);

			if (!rest) {
				(*outside)++;
				continue;
			}
			clean = strdup(rest);
			if (!clean)
				return -ENOMEM;
			path__clean(clean);
			path = clean;
			while (*path == '/')
				path++;
			/* The root itself is every zip's. */
			if (!*path || !strcmp(path, ".")) {
				free(clean);
				continue;
			}
		}
		err = dset_add(d, path, strlen(path), e->kinds, e->size,
			       diff__kinds_need(e->kinds));
		free(clean);
		if (err)
			return err;
	}
	dset_settle(d);
	return 0;
}

static int item_add(struct diff_item **v, size_t *n, size_t *cap, const struct dent *a,
		    const struct dent *b)
{
	struct diff_item *it;
	int err = slz_grow((void **)v, cap, *n + 1, sizeof(**v));

	if (err)
		return err;
	it = &(*v)[*n];
	memset(it, 0, sizeof(*it));
	it->path = strdup(a ? a->path : b->path);
	if (!it->path)
		return -ENOMEM;
	if (a) {
		it->a_kinds = a->kinds;
		it->a_size = a->size;
	}
	if (b) {
		it->b_kinds = b->kinds;
		it->b_size = b->size;
	}
	(*n)++;
	return 0;
}

/* Where a profile's paths meet a zip's names: the first root that is known. */
static int pick_root(const struct diff_side *a, const struct diff_side *b,
		     const struct diff_opts *o, const char **root)
{
	const struct diff_side *prof = a->is_zip ? b : a, *zip = a->is_zip ? a : b;

	*root = NULL;
	if (a->is_zip == b->is_zip)
		return 0; /* two profiles meet by absolute path, two zips by name */
	if (o && o->root)
		*root = o->root;
	else if (profile__header_const(prof->profile)->tree_root)
		*root = profile__header_const(prof->profile)->tree_root;
	else
		*root = zip->zip_root;
	if (!*root)
		return slz_fail(EINVAL,
				"cannot compare the profile %s with the zip %s: neither says where "
				"the tree was when recorded; give --tree-path-as DIR (the tree's "
				"absolute path at recording)",
				prof->name, zip->name);
	if ((*root)[0] != '/')
		return slz_fail(EINVAL, "--tree-path-as %s is not an absolute path", *root);
	return 0;
}

int diff__run(const struct diff_side *a, const struct diff_side *b, const struct diff_opts *o,
	      struct diff_result *r)
{
	struct dset pa = {0}, pb = {0};
	const struct dset *da, *db;
	size_t cap_added = 0, cap_removed = 0, cap_changed = 0;
	const char *root;
	int err;

	memset(r, 0, sizeof(*r));
	err = pick_root(a, b, o, &root);
	if (err)
		return err;
	r->root = root;
	/* Two profiles compare by absolute path: no root needed. */
	if (!a->is_zip)
		err = profile_set(a->profile, b->is_zip ? root : NULL, &pa, &r->outside);
	if (!err && !b->is_zip)
		err = profile_set(b->profile, a->is_zip ? root : NULL, &pb, &r->outside);
	da = a->is_zip ? &a->zip : &pa;
	db = b->is_zip ? &b->zip : &pb;
	for (size_t i = 0; !err && i < db->n; i++) {
		const struct dent *e = &db->v[i], *in_a = dset_find(da, e->path);
		bool present = in_a || dset_has(da, e->path, false);
		/* What makes CI fail: B needs it, A does not provide it. */
		bool need = e->provides && !dset_has(da, e->path, true);
		bool differ = in_a && a->is_zip == b->is_zip &&
			      (a->is_zip ? in_a->size != e->size : in_a->kinds != e->kinds);

		if (!present || (need && !in_a)) {
			err = item_add(&r->added, &r->nadded, &cap_added, NULL, e);
			if (!err) {
				r->added[r->nadded - 1].needed = need;
				r->added_bytes += e->size;
			}
		} else if (need || differ) {
			/* Listed in A, changed: a failed lookup or a file its run created there. */
			err = item_add(&r->changed, &r->nchanged, &cap_changed, in_a, e);
			if (!err)
				r->changed[r->nchanged - 1].needed = need;
		}
		r->needed += need;
	}
	for (size_t i = 0; !err && i < da->n; i++) {
		const struct dent *e = &da->v[i];

		if (dset_has(db, e->path, false))
			continue;
		err = item_add(&r->removed, &r->nremoved, &cap_removed, e, NULL);
		r->removed_bytes += e->size;
	}
	dset_release(&pa);
	dset_release(&pb);
	if (err) {
		diff_result__release(r);
		return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory") : err;
	}
	return 0;
}

static void items_free(struct diff_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

void diff_result__release(struct diff_result *r)
{
	if (!r)
		return;
	items_free(r->added, r->nadded);
	items_free(r->removed, r->nremoved);
	items_free(r->changed, r->nchanged);
	memset(r, 0, sizeof(*r));
}
