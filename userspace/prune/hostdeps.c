// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host dependencies: profile entries outside the tree, by what Lambda has (hostdeps.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elfinfo.h"
#include "hashmap.h"
#include "hostdeps.h"
#include "hostdeps_paths.h"
#include "resolve.h"
#include "slz_vocab.h"
#include "util.h"

struct hd_entry {
	char *path;
	uint32_t kinds; /* successful ones: SLZ_KIND_MISSING masked off */
	uint32_t mode;
	uint64_t size;
	uint8_t lex; /* hostdeps__class_of() */
	uint8_t cls; /* the verdict */
	bool decided;
	bool elf; /* info holds what elfinfo read */
	struct elfinfo info;
};

/* Strings in an array, found through an idxmap by their hash. */
struct strset {
	char **s;
	size_t n, cap;
	struct idxmap *map;
};

struct hd_package {
	struct hostdep_package pub;
	char *name, *dir, *first_path; /* what pub points at */
};

struct hostdeps {
	const struct tree *t;
	struct hd_entry *e;
	size_t n, cap;
	struct idxmap *by_path;
	struct hd_package *pk;
	size_t npk, pkcap;
	struct strset dirs;
	struct hostdeps_counts counts;
};

/* --- string sets ----------------------------------------------------------------------- */

static bool strset_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct strset *s = ctx;

	return !strcmp(s->s[idx], key);
}

static bool strset_has(const struct strset *s, const char *key)
{
	return s->map && idxmap__find(s->map, slz_hash_bytes(key, strlen(key), 0), strset_eq, key,
				      (void *)s) >= 0;
}

/* 1 when added, 0 when it was there, -ENOMEM. */
static int strset_add(struct strset *s, const char *key)
{
	int err;

	if (!s->map && (err = idxmap__new(&s->map)))
		return err;
	if (strset_has(s, key))
		return 0;
	if (slz_grow((void **)&s->s, &s->cap, s->n + 1, sizeof(*s->s)))
		return -ENOMEM;
	s->s[s->n] = strdup(key);
	if (!s->s[s->n])
		return -ENOMEM;
	err = idxmap__insert(s->map, slz_hash_bytes(key, strlen(key), 0), (uint32_t)s->n);
	if (err) {
		free(s->s[s->n]);
		return err;
	}
	s->n++;
	return 1;
}

static void strset_release(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->s[i]);
	free(s->s);
	idxmap__free(s->map);
	memset(s, 0, sizeof(*s));
}

/* --- collecting ------------------------------------------------------------------------- */

int hostdeps__new(const struct tree *t, struct hostdeps **out)
{
	struct hostdeps *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h || idxmap__new(&h->by_path)) {
		free(h);
		return -ENOMEM;
	}
	h->t = t;
	*out = h;
	return 0;
}

void hostdeps__free(struct hostdeps *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->e[i].path);
		elfinfo__release(&h->e[i].info);
	}
	free(h->e);
	idxmap__free(h->by_path);
	for (size_t i = 0; i < h->npk; i++) {
		free(h->pk[i].name);
		free(h->pk[i].dir);
		free(h->pk[i].first_path);
	}
	free(h->pk);
	strset_release(&h->dirs);
	free(h);
}

static bool entry_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct hostdeps *h = ctx;

	return !strcmp(h->e[idx].path, key);
}

static int64_t find_entry(const struct hostdeps *h, const char *path)
{
	return idxmap__find(h->by_path, slz_hash_bytes(path, strlen(path), 0), entry_eq, path,
			    (void *)h);
}

/* Is the profile entry outside the tree? 1 yes, 0 no (or unusable), -ENOMEM. */
static int outside(const struct hostdeps *h, const struct profile_entry *e, bool inodes)
{
	char *rel = NULL;
	int err;

	if (!e->path || e->path[0] != '/' || (e->flags & (SLZ_EVF_TRUNCATED | SLZ_EVF_UNREACHABLE)))
		return 0;
	if (inodes && e->dev && e->ino && !(e->flags & SLZ_EVF_PATH_ONLY) &&
	    tree__find_inode(h->t, e->dev, e->ino) >= 0)
		return 0;
	err = resolve__relative(h->t, e->path, NULL, &rel);
	free(rel);
	if (err == -EXDEV)
		return 1;
	return err == -ENOMEM ? -ENOMEM : 0;
}

int hostdeps__add_profile(struct hostdeps *h, const struct profile *p, bool match_inodes)
{
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *pe = profile__entry(p, i);
		uint32_t kinds = pe->kinds & SLZ_KIND_ALL & ~SLZ_KIND_MISSING;
		struct hd_entry *e;
		int64_t at;
		int r;

		if (!kinds)
			continue; /* failed lookups only: nothing was used */
		r = outside(h, pe, match_inodes);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		at = find_entry(h, pe->path);
		if (at >= 0) {
			h->e[at].kinds |= kinds;
			if (!h->e[at].mode)
				h->e[at].mode = pe->mode;
			continue;
		}
		if (slz_grow((void **)&h->e, &h->cap, h->n + 1, sizeof(*h->e)))
			return -ENOMEM;
		e = &h->e[h->n];
		memset(e, 0, sizeof(*e));
		e->path = strdup(pe->path);
		if (!e->path)
			return -ENOMEM;
		if (idxmap__insert(h->by_path, slz_hash_bytes(e->path, strlen(e->path), 0),
				   (uint32_t)h->n)) {
			free(e->path);
			return -ENOMEM;
		}
		e->kinds = kinds;
		e->mode = pe->mode;
		e->size = pe->size;
		h->n++;
	}
	return 0;
}

/* --- classifying ------------------------------------------------------------------------ */

/*
 * Read the ELF header and dynamic section of an entry that may be an object. A file that cannot
 * be read keeps elf false; -ENOMEM is the only failure. Sets *shared: a shared object, by its
 * header, or by its name when it cannot be read.
 */
static int read_elf(struct hd_entry *e, bool *shared)
{
	bool named = hostpath__so_name(hostpath__base_name(e->path));
	int r;

	*shared = false;
	if (!named && !(e->kinds & (SLZ_KIND_MMAP | SLZ_KIND_EXEC | SLZ_KIND_INTERP)))
		return 0;
	if (e->mode && !S_ISREG(e->mode))
		return 0;
	r = elfinfo__read_path(e->path, ELFINFO_DYNAMIC, &e->info);
	if (r == -ENOMEM)
		return r;
	e->elf = r == 1;
	/* Gone or unreadable now (r < 0) but named like one; readable and not ELF: not one. */
	*shared = e->elf || (r < 0 && named);
	return 0;
}

/* Add the DT_NEEDED names of e to set; 1 when any was new. */
static int add_needed(struct strset *set, const struct hd_entry *e)
{
	int any = 0;

	for (size_t i = 0; e->elf && i < e->info.nneeded; i++) {
		int r = strset_add(set, e->info.needed[i]);

		if (r < 0)
			return r;
		any |= r;
	}
	return any;
}

/*
 * Undecided shared objects that some library in set needs become cls, and what they need
 * joins set, until nothing changes: ld.so's closure, by name (a soname, or the file name).
 */
static int close_over(struct hostdeps *h, struct strset *set, uint8_t cls)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < h->n; i++) {
			struct hd_entry *e = &h->e[i];
			int r;

			if (e->decided)
				continue;
			if (!(e->info.soname && strset_has(set, e->info.soname)) &&
			    !strset_has(set, hostpath__base_name(e->path)))
				continue;
			e->cls = cls;
			e->decided = true;
			changed = true;
			r = add_needed(set, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Add dir/NAME to set for the top-level module name at s (an identifier), if any. */
static int add_module(struct strset *set, const char *dir, size_t dlen, const char *s)
{
	size_t l = 0;
	char *key;
	int r;

	while (ident_char(s[l]))
		l++;
	if (!l || s[0] != '_')
		return 0;
	if (asprintf(&key, "%.*s/%.*s", (int)dlen, dir, (int)l, s) < 0)
		return -ENOMEM;
	r = strset_add(set, key);
	free(key);
	return r < 0 ? r : 0;
}

/* The most of a .pth file read: site's hooks are one line or two. */
#define PTH_MAX 65536

/*
 * The private modules a .pth file imports at startup (site runs its lines that start with
 * "import"): setuptools' distutils-precedence.pth imports _distutils_hack on every run of a
 * Python without -S, virtualenv's _virtualenv.pth its _virtualenv. Those are the host's site
 * machinery, not the workload's code. Only names with a leading underscore count (a hook may
 * import a public package, certifi, that the workload imports too: it stays a dependency), and
 * only in the .pth file's own directory (dir/NAME into set).
 */
static int pth_imports(struct strset *set, const struct hd_entry *e, size_t dlen)
{
	FILE *f = fopen(e->path, "re");
	char *buf;
	size_t n;
	int err = 0;

	if (!f)
		return 0;
	buf = malloc(PTH_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, PTH_MAX, f);
	buf[n] = '\0';
	fclose(f);
	for (char *line = buf, *next; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "import ", 7) && strncmp(line, "import\t", 7))
			continue;
		for (char *p = line; *p && !err; p++) {
			if (!strncmp(p, "__import__(", 11) && (p[11] == '\'' || p[11] == '"'))
				err = add_module(set, e->path, dlen, p + 12);
			else if (!strncmp(p, "import", 6) && (p == line || !ident_char(p[-1])) &&
				 (p[6] == ' ' || p[6] == '\t'))
				err = add_module(set, e->path, dlen, p + 7 + strspn(p + 7, " \t"));
		}
	}
	free(buf);
	return err;
}

/* The private modules of site's hooks become other: see pth_imports(). */
static int site_hooks(struct hostdeps *h)
{
	struct strset hooks = {0};
	int err = 0;

	for (size_t i = 0; i < h->n && !err; i++) {
		const struct hd_entry *e = &h->e[i];
		enum hostdep_kind kind;
		size_t end;

		if (e->lex != HOSTDEP_OTHER || !(e->kinds & SLZ_KIND_OPEN) ||
		    !hostpath__has_suffix(e->path, strlen(e->path), ".pth"))
			continue;
		end = hostpath__container_end(e->path, &kind);
		if (end && kind == HOSTDEP_PYTHON && !strchr(e->path + end + 1, '/'))
			err = pth_imports(&hooks, e, end);
	}
	for (size_t i = 0; i < h->n && !err && hooks.n; i++) {
		struct hd_entry *e = &h->e[i];
		enum hostdep_kind kind;
		const char *name;
		size_t dl, nl;
		char *key;

		if (e->cls != HOSTDEP_PACKAGE || !hostpath__locate(e->path, &kind, &dl, &name, &nl))
			continue;
		if (asprintf(&key, "%.*s/%.*s", (int)dl, e->path, (int)nl, name) < 0) {
			err = -ENOMEM;
			break;
		}
		if (strset_has(&hooks, key))
			e->cls = HOSTDEP_OTHER;
		free(key);
	}
	strset_release(&hooks);
	return err;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hd_entry *)a)->path, ((const struct hd_entry *)b)->path);
}

static int pk_cmp(const void *a, const void *b)
{
	const struct hd_package *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->dir, y->dir);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Find or add the package (kind, dir, name) and count e in it. */
static int count_in_package(struct hostdeps *h, const struct hd_entry *e, enum hostdep_kind kind,
			    const char *dir, size_t dlen, const char *name, size_t nlen)
{
	struct hd_package *p = NULL;

	for (size_t i = 0; i < h->npk && !p; i++) {
		struct hd_package *q = &h->pk[i];

		if (q->pub.kind == kind && strlen(q->name) == nlen &&
		    !memcmp(q->name, name, nlen) && strlen(q->dir) == dlen &&
		    !memcmp(q->dir, dir, dlen))
			p = q;
	}
	if (!p) {
		if (slz_grow((void **)&h->pk, &h->pkcap, h->npk + 1, sizeof(*h->pk)))
			return -ENOMEM;
		p = &h->pk[h->npk];
		memset(p, 0, sizeof(*p));
		p->name = strndup(name, nlen);
		p->dir = strndup(dir, dlen);
		p->first_path = strdup(e->path);
		h->npk++;
		if (!p->name || !p->dir || !p->first_path)
			return -ENOMEM;
		p->pub.kind = kind;
		if (kind != HOSTDEP_SHARED) {
			char *d = strndup(dir, dlen);
			int r = d ? strset_add(&h->dirs, d) : -ENOMEM;

			free(d);
			if (r < 0)
				return r;
		}
	}
	if (!e->mode || !S_ISDIR(e->mode)) {
		p->pub.files++;
		p->pub.bytes += e->size;
	}
	return 0;
}

static int group(struct hostdeps *h)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct hd_entry *e = &h->e[i];
		enum hostdep_kind kind;
		const char *name, *slash;
		size_t dl, nl;
		int err;

		if (e->cls != HOSTDEP_PACKAGE)
			continue;
		if (e->lex == HOSTDEP_PACKAGE &&
		    hostpath__locate(e->path, &kind, &dl, &name, &nl)) {
			err = count_in_package(h, e, kind, e->path, dl, name, nl);
		} else {
			name = e->info.soname ? e->info.soname : hostpath__base_name(e->path);
			slash = strrchr(e->path, '/');
			err = count_in_package(h, e, HOSTDEP_SHARED, e->path,
					       slash > e->path ? (size_t)(slash - e->path) : 1,
					       name, strlen(name));
		}
		if (err)
			return err;
	}
	for (size_t i = 0; i < h->npk; i++) {
		h->pk[i].pub.name = h->pk[i].name;
		h->pk[i].pub.dir = h->pk[i].dir;
		h->pk[i].pub.first_path = h->pk[i].first_path;
	}
	if (h->npk > 1)
		qsort(h->pk, h->npk, sizeof(*h->pk), pk_cmp);
	if (h->dirs.n > 1)
		qsort(h->dirs.s, h->dirs.n, sizeof(*h->dirs.s), str_cmp);
	return 0;
}

int hostdeps__classify(struct hostdeps *h)
{
	struct strset needed = {0}, by_programs = {0};
	int err = 0;

	/* Profile order is path order for one profile; several merged: sort for the output. */
	if (h->n > 1) {
		qsort(h->e, h->n, sizeof(*h->e), path_cmp);
		idxmap__free(h->by_path);
		h->by_path = NULL;
		err = idxmap__new(&h->by_path);
		for (size_t i = 0; !err && i < h->n; i++)
			err = idxmap__insert(h->by_path,
					     slz_hash_bytes(h->e[i].path, strlen(h->e[i].path), 0),
					     (uint32_t)i);
	}
	for (size_t i = 0; !err && i < h->n; i++) {
		struct hd_entry *e = &h->e[i];
		bool shared = false;

		e->lex = (uint8_t)hostdeps__class_of(e->path, e->kinds);
		e->cls = e->lex;
		e->decided = e->lex != HOSTDEP_LIBRARY;
		/* Only objects matter: the runtime's, candidate libraries, programs run. */
		if (e->lex == HOSTDEP_PACKAGE ||
		    (e->lex == HOSTDEP_OTHER && !(e->kinds & SLZ_KIND_EXEC)))
			continue;
		err = read_elf(e, &shared);
		if (!err && e->lex == HOSTDEP_LIBRARY && !shared) {
			e->cls = HOSTDEP_OTHER; /* mapped data: a locale archive, a cache */
			e->decided = true;
		}
		if (!err && e->lex == HOSTDEP_EXPECTED)
			err = add_needed(&needed, e) < 0 ? -ENOMEM : 0;
		/* Programs of the host the workload ran (sh, env): what they link is theirs. */
		if (!err && e->lex == HOSTDEP_OTHER && (e->kinds & SLZ_KIND_EXEC))
			err = add_needed(&by_programs, e) < 0 ? -ENOMEM : 0;
	}
	if (!err)
		err = close_over(h, &needed, HOSTDEP_EXPECTED);
	if (!err)
		err = close_over(h, &by_programs, HOSTDEP_OTHER);
	for (size_t i = 0; !err && i < h->n; i++) {
		if (!h->e[i].decided) {
			h->e[i].cls = HOSTDEP_PACKAGE; /* a shared object nothing expected needs */
			h->e[i].decided = true;
		}
	}
	if (!err)
		err = site_hooks(h);
	for (size_t i = 0; !err && i < h->n; i++) {
		const struct hd_entry *e = &h->e[i];

		h->counts.outside++;
		h->counts.expected += e->cls == HOSTDEP_EXPECTED;
		h->counts.host += e->cls == HOSTDEP_PACKAGE;
		h->counts.other += e->cls == HOSTDEP_OTHER;
	}
	if (!err)
		err = group(h);
	strset_release(&needed);
	strset_release(&by_programs);
	return err ? slz_fail(ENOMEM, "out of memory classifying files outside the tree") : 0;
}

/* --- answers ---------------------------------------------------------------------------- */

size_t hostdeps__count(const struct hostdeps *h)
{
	return h ? h->npk : 0;
}

const struct hostdep_package *hostdeps__package(const struct hostdeps *h, size_t i)
{
	return h && i < h->npk ? &h->pk[i].pub : NULL;
}

void hostdeps__counts(const struct hostdeps *h, struct hostdeps_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (h)
		*out = h->counts;
}

int hostdeps__entry_class(const struct hostdeps *h, const char *path)
{
	int64_t at = h ? find_entry(h, path) : -ENOENT;

	return at < 0 ? -ENOENT : h->e[at].cls;
}

size_t hostdeps__ndirs(const struct hostdeps *h)
{
	return h ? h->dirs.n : 0;
}

const char *hostdeps__dir(const struct hostdeps *h, size_t i)
{
	return h && i < h->dirs.n ? h->dirs.s[i] : NULL;
}

const char *hostdeps__kind_name(enum hostdep_kind k)
{
	switch (k) {
	case HOSTDEP_PYTHON:
		return "python";
	case HOSTDEP_NODE:
		return "node";
	case HOSTDEP_LIB:
		return "lib";
	case HOSTDEP_TOP_DIR:
		return "dir";
	case HOSTDEP_TOP_FILE:
		return "file";
	default:
		return "shared-object";
	}
}

/* At most this many directories after the names: a long list says nothing more. */
#define DESCRIBE_DIRS 3

int hostdeps__describe(const struct hostdeps *h, size_t max_names, char **out)
{
	struct strset dirs = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err = 0;

	*out = NULL;
	if (!hostdeps__count(h))
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "%zu host package%s that Lambda lacks: ", h->npk, h->npk == 1 ? "" : "s");
	for (size_t i = 0; i < h->npk; i++) {
		if (i < max_names)
			fprintf(f, "%s%s", i ? ", " : "", h->pk[i].name);
		if (strset_add(&dirs, h->pk[i].dir) < 0)
			err = -ENOMEM;
	}
	fputs(h->npk > max_names ? ", ... (from " : " (from ", f);
	for (size_t i = 0; i < dirs.n && i < DESCRIBE_DIRS; i++)
		fprintf(f, "%s%s", i ? ", " : "", dirs.s[i]);
	fprintf(f, "%s)", dirs.n > DESCRIBE_DIRS ? ", ..." : "");
	strset_release(&dirs);
	if (fclose(f) || err) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

int hostdeps__refuse(const struct hostdeps *h)
{
	char *what = NULL;
	int err;

	if (!hostdeps__count(h))
		return 0;
	err = hostdeps__describe(h, 8, &what);
	if (err)
		return slz_fail(ENOMEM, "out of memory");
	err = slz_fail(ENOPKG,
		       "--strict-host: the workload used %s; ship %s in the tree or a layer, or "
		       "pass --no-strict-host to write the zip anyway (no zip was written)",
		       what, h->npk == 1 ? "it" : "them");
	free(what);
	return err;
}
