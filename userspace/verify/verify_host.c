// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* verify --isolate: hide the host's package directories, name the packages found missing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostdeps.h"
#include "pathutil.h"
#include "slz_vocab.h"
#include "util.h"
#include "verify_host.h"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool holds(const char *dir, const char *path)
{
	return path && path__below(path, dir) != NULL;
}

int hidden_dirs__prepare(const struct verify_opts *o, const char *tree_root, const char *extracted,
			 struct hidden_dirs *out)
{
	char cwd[PATH_MAX];
	bool have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	char **all = NULL;
	size_t n = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!o->nhide_dirs)
		return 0;
	all = calloc(o->nhide_dirs, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < o->nhide_dirs; i++) {
		char *real = realpath(o->hide_dirs[i], NULL);
		struct stat st;

		if (!real) {
			if (errno == ENOMEM) {
				err = -ENOMEM;
				break;
			}
			continue; /* not on this host: nothing to hide */
		}
		if (stat(real, &st) || !S_ISDIR(st.st_mode) || !strcmp(real, "/") ||
		    holds(real, tree_root) || holds(real, extracted) ||
		    (have_cwd && holds(real, cwd)) || holds(tree_root, real)) {
			free(real);
			continue;
		}
		all[n++] = real;
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), str_cmp);
	/* Sorted, a directory comes before what lies below it: keep the outer one only. */
	out->dirs = all;
	for (size_t i = 0; i < n; i++) {
		bool inner = false;

		for (size_t k = 0; k < out->n && !inner; k++)
			inner = holds(all[k], all[i]);
		if (inner) {
			free(all[i]);
			continue;
		}
		all[out->n++] = all[i];
	}
	if (err || !out->n)
		hidden_dirs__release(out);
	return err;
}

void hidden_dirs__release(struct hidden_dirs *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->dirs[i]);
	free(h->dirs);
	memset(h, 0, sizeof(*h));
}

int hidden_dirs__mount(const struct hidden_dirs *h)
{
	for (size_t i = 0; h && i < h->n; i++) {
		/* Empty, read-only, nothing to execute: the directory as Lambda has it (none). */
		if (mount("slimzip-isolate", h->dirs[i], "tmpfs",
			  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0755"))
			return -errno;
	}
	return 0;
}

/* The hidden directory path lies below (not the directory itself), or NULL. */
static const char *hidden_above(const struct hidden_dirs *h, const char *path)
{
	for (size_t i = 0; path && path[0] == '/' && i < h->n; i++) {
		const char *rest = path__below(path, h->dirs[i]);

		if (rest && rest[strspn(rest, "/")])
			return h->dirs[i];
	}
	return NULL;
}

/*
 * The package below hidden directory dir that path belongs to: its name and where it lies
 * (malloc'd), and *pkgdir_len, the length of the package directory in path (dist-packages
 * when dir is one or holds one, else dir itself). 0, or -ENOMEM.
 */
static int package_below(const char *dir, const char *path, char **name, char **where,
			 size_t *pkgdir_len)
{
	enum hostdep_kind kind;
	char *pname = NULL, *pdir = NULL;
	const char *after, *first;
	size_t flen;
	int r = hostdeps__package_of(path, &kind, &pname, &pdir);

	if (r < 0)
		return r;
	if (r == 1 && holds(dir, pdir) && !strncmp(path, pdir, strlen(pdir))) {
		*pkgdir_len = strlen(pdir);
	} else {
		free(pname);
		pname = NULL;
		*pkgdir_len = strlen(dir);
		while (*pkgdir_len > 1 && dir[*pkgdir_len - 1] == '/')
			(*pkgdir_len)--;
	}
	free(pdir);
	after = path + *pkgdir_len;
	first = after + strspn(after, "/");
	flen = strcspn(first, "/");
	*name = pname ? pname : strndup(first, flen);
	*where = strndup(path, (size_t)(first + flen - path));
	if (!*name || !*where) {
		free(*name);
		free(*where);
		*name = *where = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Add package name (found at where) once: a package is named by its first file seen. */
static int host_add_owned(struct host_missing_list *l, char *name, char *where, bool diag)
{
	struct verify_host_missing *v;

	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->items[i].package, name)) {
			free(name);
			free(where);
			return 0;
		}
	}
	if (slz_grow((void **)&l->items, &l->cap, l->n + 1, sizeof(*l->items))) {
		free(name);
		free(where);
		return -ENOMEM;
	}
	v = &l->items[l->n++];
	v->package = name;
	v->path = where;
	v->from_diagnosis = diag;
	return 0;
}

static int host_add_named(struct host_missing_list *l, const char *name, const char *where,
			  bool diag)
{
	char *n = strdup(name), *w = strdup(where);

	if (!n || !w) {
		free(n);
		free(w);
		return -ENOMEM;
	}
	return host_add_owned(l, n, w, diag);
}

static int host_add(struct host_missing_list *l, const char *dir, const char *path, bool diag)
{
	char *name = NULL, *where = NULL;
	size_t plen;
	int err = package_below(dir, path, &name, &where, &plen);

	return err ? err : host_add_owned(l, name, where, diag);
}

int host_missing__from_lookups(struct host_missing_list *l, const struct hidden_dirs *h,
			       const struct profile *proof)
{
	for (size_t i = 0; h->n && i < profile__count(proof); i++) {
		const struct profile_entry *e = profile__entry(proof, i);
		const char *dir;
		struct stat st;
		int err;

		if (!(e->kinds & SLZ_KIND_MISSING) || !(dir = hidden_above(h, e->path)))
			continue;
		/* Looked up in vain below the hidden directory: missing if the host has it. */
		if (lstat(e->path, &st))
			continue;
		err = host_add(l, dir, e->path, false);
		if (err)
			return err;
	}
	return 0;
}

/* dir/name + suffix into buf, when it fits and exists. */
static bool exists_as(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
	struct stat st;

	return (size_t)snprintf(buf, len, "%s/%s%s", dir, name, suffix) < len && !lstat(buf, &st);
}

/* dir is a hidden directory or lies below one. */
static bool hidden_covers(const struct hidden_dirs *h, const char *dir)
{
	for (size_t i = 0; dir && i < h->n; i++) {
		if (path__below(dir, h->dirs[i]))
			return true;
	}
	return false;
}

int host_missing__from_diagnosis(struct host_missing_list *l, const struct hidden_dirs *h,
				 const struct profile *diag, const struct tree *t)
{
	struct hostdeps *hd = NULL;
	int err;

	if (!h->n)
		return 0;
	/*
	 * The packages prune warned about, named the same way: one classification (site's own
	 * .pth hooks and their private modules are the host's, not the function's).
	 */
	err = hostdeps__new(t, &hd);
	if (!err)
		err = hostdeps__add_profile(hd, diag, true);
	if (!err)
		err = hostdeps__classify(hd);
	for (size_t i = 0; !err && i < hostdeps__count(hd); i++) {
		const struct hostdep_package *p = hostdeps__package(hd, i);

		char where[PATH_MAX];

		if (p->kind == HOSTDEP_SHARED || !hidden_covers(h, p->dir))
			continue;
		/*
		 * Where the host has it: its directory (certifi/), its module (six.py), else
		 * the first file of it the run used.
		 */
		if (!exists_as(where, sizeof(where), p->dir, p->name, "") &&
		    !exists_as(where, sizeof(where), p->dir, p->name, ".py"))
			snprintf(where, sizeof(where), "%s", p->first_path);
		err = host_add_named(l, p->name, where, true);
	}
	hostdeps__free(hd);
	return err;
}

void host_missing__clear(struct host_missing_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].package);
		free(l->items[i].path);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* A host file below a hidden directory: its first component there, and the path from it. */
struct host_file {
	const struct profile_entry *e;
	char *first;	 /* "hostonly" */
	const char *rel; /* "hostonly/__init__.py", inside e->path */
};

struct candidate {
	size_t first; /* index into the distinct first components */
	char *dir;    /* tree directory holding an entry of that name ("" for the root) */
};

struct copies {
	struct host_file *files;
	size_t nfiles, fcap;
	char **firsts;
	size_t nfirsts, ficap;
	struct candidate *cand;
	size_t ncand, ccap;
};

static void copies_release(struct copies *c)
{
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i].first);
	free(c->files);
	free(c->firsts); /* the files' strings */
	for (size_t i = 0; i < c->ncand; i++)
		free(c->cand[i].dir);
	free(c->cand);
}

static int collect_files(struct copies *c, const struct hidden_dirs *h, const struct profile *p)
{
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);
		char *name = NULL, *where = NULL;
		const char *dir, *rel;
		struct host_file *f;
		size_t plen;
		bool known = false;
		int err;

		if (!(e->kinds & ~SLZ_KIND_MISSING) || !(dir = hidden_above(h, e->path)))
			continue;
		err = package_below(dir, e->path, &name, &where, &plen);
		free(name);
		free(where);
		if (err)
			return err;
		rel = e->path + plen + strspn(e->path + plen, "/");
		if (slz_grow((void **)&c->files, &c->fcap, c->nfiles + 1, sizeof(*c->files)))
			return -ENOMEM;
		f = &c->files[c->nfiles];
		f->e = e;
		f->rel = rel;
		f->first = strndup(rel, strcspn(rel, "/"));
		if (!f->first)
			return -ENOMEM;
		c->nfiles++;
		for (size_t j = 0; j < c->nfirsts && !known; j++)
			known = !strcmp(c->firsts[j], f->first);
		if (known)
			continue;
		if (slz_grow((void **)&c->firsts, &c->ficap, c->nfirsts + 1, sizeof(*c->firsts)))
			return -ENOMEM;
		c->firsts[c->nfirsts++] = f->first;
	}
	return 0;
}

/* Every tree directory that holds an entry named like one of the first components. */
static int find_candidates(struct copies *c, const struct tree *t)
{
	struct tree_entry te;

	for (size_t i = 1; i < tree__count(t); i++) {
		const char *slash, *base;

		if (tree__get(t, (uint32_t)i, &te))
			continue;
		slash = strrchr(te.path, '/');
		base = slash ? slash + 1 : te.path;
		for (size_t j = 0; j < c->nfirsts; j++) {
			struct candidate *cd;

			if (strcmp(base, c->firsts[j]))
				continue;
			if (slz_grow((void **)&c->cand, &c->ccap, c->ncand + 1, sizeof(*c->cand)))
				return -ENOMEM;
			cd = &c->cand[c->ncand];
			cd->first = j;
			cd->dir = strndup(te.path, slash ? (size_t)(slash - te.path) : 0);
			if (!cd->dir)
				return -ENOMEM;
			c->ncand++;
		}
	}
	return 0;
}

int host_missing__tree_copies(const struct hidden_dirs *h, const struct profile *diag,
			      const struct tree *t, const bool *in_zip, tree_copy_fn add, void *ctx)
{
	struct copies c = {0};
	int err = h->n ? collect_files(&c, h, diag) : 0;

	if (!err && c.nfiles)
		err = find_candidates(&c, t);
	for (size_t i = 0; !err && i < c.nfiles; i++) {
		for (size_t k = 0; !err && k < c.ncand; k++) {
			const struct candidate *cd = &c.cand[k];
			struct tree_entry te;
			char *rel;
			int64_t idx;

			if (strcmp(c.firsts[cd->first], c.files[i].first))
				continue;
			if (asprintf(&rel, "%s%s%s", cd->dir, *cd->dir ? "/" : "", c.files[i].rel) <
			    0) {
				err = -ENOMEM;
				break;
			}
			idx = tree__find_path(t, rel);
			free(rel);
			if (idx <= 0 || in_zip[idx] || tree__get(t, (uint32_t)idx, &te) ||
			    S_ISDIR(te.mode))
				continue;
			err = add((uint32_t)idx, c.files[i].e, ctx);
		}
	}
	copies_release(&c);
	return err;
}
