// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "elfinfo.h"
#include "hashmap.h"
#include "idxvec.h"
#include "pathutil.h"
#include "units.h"
#include "util.h"

/* Metadata and package.json files bigger than this are not what they claim to be. */
#define META_MAX   (1u << 20)
#define HASH_CHUNK (64u << 10)

struct unit_priv {
	struct unit pub;
	char *name, *key;
	struct idxvec entries;
	size_t *deps;
	size_t ndeps;
	bool pinned; /* a shared object that must stay beside what its $ORIGIN finds */
};

struct units {
	const struct keepset *keep;
	const struct tree *t;
	int root_fd;
	struct unit_priv *v;
	size_t n, cap;
	struct idxmap *by_key;
	int64_t *owner; /* per tree entry: unit index, -1 */
	char **pydirs;	/* top-level directories with kept Python code below */
	size_t npydirs, pycap;
	struct idxvec meta; /* kept metadata entries (*.dist-info/ *.egg-info), in tree order */
};

static const char *const kind_names[UNIT_KINDS] = {
	[UNIT_PY_PACKAGE] = "py-package",
	[UNIT_PY_MODULE] = "py-module",
	[UNIT_NODE_PACKAGE] = "node",
	[UNIT_SHARED_OBJECT] = "shared-object",
};

const char *unit_kind__name(enum unit_kind k)
{
	return k < UNIT_KINDS ? kind_names[k] : "?";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_meta_dir(const char *name)
{
	return ends_with(name, ".dist-info") || ends_with(name, ".egg-info");
}

/* lib/NAME where NAME has ".so" at its end or before a version: "libx.so", "libx.so.1.2". */
static bool is_lib_so(const char *path)
{
	const char *b, *so;

	if (strncmp(path, "lib/", 4) || strchr(path + 4, '/'))
		return false;
	b = path + 4;
	so = strstr(b, ".so");
	return so && so > b && (!so[3] || so[3] == '.');
}

static bool key_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct units *u = ctx;

	return !strcmp(u->v[idx].key, key);
}

static int64_t find_key(const struct units *u, const char *key)
{
	return idxmap__find(u->by_key, slz_hash_bytes(key, strlen(key), 0), key_eq, key, (void *)u);
}

/* The unit called key, made (with kind and name) when it is new. Index or -ENOMEM. */
static int64_t unit_for(struct units *u, enum unit_kind kind, const char *root, const char *name)
{
	char *key = NULL;
	int64_t i;

	if (asprintf(&key, "%s:%s", kind_names[kind], root) < 0)
		return -ENOMEM;
	i = find_key(u, key);
	if (i >= 0) {
		free(key);
		return i;
	}
	if (slz_grow((void **)&u->v, &u->cap, u->n + 1, sizeof(*u->v)) ||
	    idxmap__insert(u->by_key, slz_hash_bytes(key, strlen(key), 0), (uint32_t)u->n)) {
		free(key);
		return -ENOMEM;
	}
	memset(&u->v[u->n], 0, sizeof(u->v[u->n]));
	u->v[u->n].pub.kind = kind;
	u->v[u->n].key = key;
	u->v[u->n].name = strdup(name);
	/* Counted either way: the set frees its key and name. */
	u->n++;
	return u->v[u->n - 1].name ? (int64_t)(u->n - 1) : -ENOMEM;
}

static int join(struct units *u, int64_t unit, uint32_t idx)
{
	if (unit < 0)
		return (int)unit;
	u->owner[idx] = unit;
	return idxvec__push(&u->v[unit].entries, idx);
}

static bool is_pydir(const struct units *u, const char *top, size_t len)
{
	for (size_t i = 0; i < u->npydirs; i++)
		if (strlen(u->pydirs[i]) == len && !memcmp(u->pydirs[i], top, len))
			return true;
	return false;
}

/* Top-level directories with kept Python code below them are packages (namespaces too). */
static int find_pydirs(struct units *u)
{
	struct tree_entry e;

	for (size_t i = 1; i < tree__count(u->t); i++) {
		const char *slash;

		if (!keepset__has(u->keep, (uint32_t)i) || tree__get(u->t, (uint32_t)i, &e) ||
		    !S_ISREG(e.mode) || !(slash = strchr(e.path, '/')))
			continue;
		if (!ends_with(e.path, ".py") && !ends_with(e.path, ".pyc") &&
		    !strstr(strrchr(e.path, '/'), ".so"))
			continue;
		if (is_pydir(u, e.path, (size_t)(slash - e.path)))
			continue;
		if (slz_grow((void **)&u->pydirs, &u->pycap, u->npydirs + 1, sizeof(char *)) ||
		    !(u->pydirs[u->npydirs] = strndup(e.path, (size_t)(slash - e.path))))
			return -ENOMEM;
		u->npydirs++;
	}
	return 0;
}

/* x.py, x.cpython-311-x86_64-linux-gnu.so, __pycache__/x.cpython-311.pyc: "x". */
static char *module_name(const char *base)
{
	const char *dot = strchr(base, '.');

	return strndup(base, dot ? (size_t)(dot - base) : strlen(base));
}

/* A kept top-level module called name: x.py or x.*.so. */
static bool module_kept(const struct units *u, const char *name)
{
	struct tree_entry e;
	size_t n = strlen(name);

	for (size_t i = 1; i < tree__count(u->t); i++) {
		if (!keepset__has(u->keep, (uint32_t)i) || tree__get(u->t, (uint32_t)i, &e) ||
		    strchr(e.path, '/') || !S_ISREG(e.mode) || strncmp(e.path, name, n) ||
		    e.path[n] != '.')
			continue;
		if (!strcmp(e.path + n, ".py") || ends_with(e.path, ".so"))
			return true;
	}
	return false;
}

/* Where entry e goes: a unit made or found, -1 for none, or -ENOMEM. */
static int64_t classify(struct units *u, uint32_t idx, const struct tree_entry *e)
{
	const char *p = e->path, *slash = strchr(p, '/');
	char *a = NULL, *b = NULL;
	int64_t r = -1;

	if (!strncmp(p, "node_modules/", 13)) {
		const char *rest = p + 13, *s1 = strchr(rest, '/');

		if (rest[0] == '.' || !rest[0])
			return -1;
		if (rest[0] == '@') {
			const char *s2;

			if (!s1)
				return -1; /* the scope's directory stays */
			s2 = strchr(s1 + 1, '/');
			a = strndup(p, s2 ? (size_t)(s2 - p) : strlen(p));
		} else {
			a = strndup(p, s1 ? (size_t)(s1 - p) : strlen(p));
		}
		r = a ? unit_for(u, UNIT_NODE_PACKAGE, a, a + 13) : -ENOMEM;
		goto out;
	}
	if (is_lib_so(p)) {
		int64_t to;
		struct tree_entry te;

		if (S_ISREG(e->mode))
			return unit_for(u, UNIT_SHARED_OBJECT, p, p + 4);
		/* A link joins the object it leads to, when that one is a kept lib/ object. */
		if (!S_ISLNK(e->mode) || (to = tree__resolve(u->t, p, true)) < 0 ||
		    !keepset__has(u->keep, (uint32_t)to) || tree__get(u->t, (uint32_t)to, &te) ||
		    !S_ISREG(te.mode) || !is_lib_so(te.path))
			return -1;
		return unit_for(u, UNIT_SHARED_OBJECT, te.path, te.path + 4);
	}
	if (!slash) {
		if (S_ISDIR(e->mode)) {
			if (is_meta_dir(p)) {
				return idxvec__push(&u->meta, idx) ? -ENOMEM : -1;
			}
			if (!strcmp(p, "__pycache__") || !strcmp(p, "node_modules") ||
			    !strcmp(p, "lib") || !strcmp(p, "bin") || !is_pydir(u, p, strlen(p)))
				return -1;
			return unit_for(u, UNIT_PY_PACKAGE, p, p);
		}
		if (S_ISREG(e->mode) && (ends_with(p, ".py") || ends_with(p, ".so"))) {
			a = module_name(p);
			r = a ? unit_for(u, UNIT_PY_MODULE, a, a) : -ENOMEM;
		}
		goto out;
	}
	a = strndup(p, (size_t)(slash - p));
	if (!a)
		return -ENOMEM;
	if (!strcmp(a, "__pycache__")) {
		/* __pycache__/x.TAG.pyc goes with module x, when x is kept. */
		if (S_ISREG(e->mode) && !strchr(slash + 1, '/') && ends_with(p, ".pyc")) {
			b = module_name(slash + 1);
			if (!b)
				r = -ENOMEM;
			else if (module_kept(u, b))
				r = unit_for(u, UNIT_PY_MODULE, b, b);
		}
	} else if (is_meta_dir(a)) {
		r = idxvec__push(&u->meta, idx) ? -ENOMEM : -1;
	} else if (strcmp(a, "lib") && strcmp(a, "bin") && is_pydir(u, a, strlen(a))) {
		r = unit_for(u, UNIT_PY_PACKAGE, a, a);
	}
out:
	free(a);
	free(b);
	return r;
}

/* A tree file's text (at most META_MAX bytes), or NULL when it is not there or unreadable. */
static char *read_text(const struct units *u, const char *relpath)
{
	int64_t i = tree__find_path(u->t, relpath);
	struct tree_entry e;
	char *buf = NULL;
	ssize_t got;
	size_t len = 0;
	int fd;

	if (i < 0 || tree__get(u->t, (uint32_t)i, &e) || !S_ISREG(e.mode) || e.size > META_MAX)
		return NULL;
	fd = tree__open_beneath(u->root_fd, e.path, e.dev, e.ino);
	if (fd < 0)
		return NULL;
	buf = malloc(e.size + 1);
	while (buf && len < e.size && (got = read(fd, buf + len, e.size - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void normalize(char *s)
{
	for (; *s; s++)
		*s = (*s == '-' || *s == '.') ? '_' : (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
}

/* The Python unit a metadata directory belongs to: by RECORD, top_level.txt, or its name. */
static int64_t meta_owner(const struct units *u, const char *dir)
{
	static const char *const lists[] = {"top_level.txt", "RECORD"};
	char path[4096], dist[256], name[256];

	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		char *text, *line, *save = NULL;
		int64_t found = -1;

		snprintf(path, sizeof(path), "%s/%s", dir, lists[l]);
		text = read_text(u, path);
		for (line = text ? strtok_r(text, "\r\n", &save) : NULL; line && found < 0;
		     line = strtok_r(NULL, "\r\n", &save)) {
			size_t n = strcspn(line, "/,");
			char key[300];

			if (!n || n >= 256 || line[0] == '.')
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)n, line);
			if (ends_with(name, ".py"))
				name[strlen(name) - 3] = '\0';
			snprintf(key, sizeof(key), "py-package:%s", name);
			found = find_key(u, key);
			if (found < 0) {
				snprintf(key, sizeof(key), "py-module:%s", name);
				found = find_key(u, key);
			}
		}
		free(text);
		if (found >= 0)
			return found;
	}
	snprintf(dist, sizeof(dist), "%.*s", (int)strcspn(dir, "-"), dir);
	if (is_meta_dir(dist))
		*strrchr(dist, '.') = '\0';
	normalize(dist);
	for (size_t i = 0; i < u->n; i++) {
		if (u->v[i].pub.kind != UNIT_PY_PACKAGE && u->v[i].pub.kind != UNIT_PY_MODULE)
			continue;
		snprintf(name, sizeof(name), "%s", u->v[i].name);
		normalize(name);
		if (!strcmp(name, dist))
			return (int64_t)i;
	}
	return -1;
}

static int attach_meta(struct units *u)
{
	struct tree_entry e;
	char top[256];
	int64_t owner = -1;
	int err;

	top[0] = '\0';
	for (size_t k = 0; k < u->meta.n; k++) {
		uint32_t idx = u->meta.v[k];
		size_t n;

		if (tree__get(u->t, idx, &e))
			continue;
		n = strcspn(e.path, "/");
		if (n >= sizeof(top))
			continue;
		/* Entries come in tree order: a directory before its files. */
		if (strncmp(top, e.path, n) || top[n]) {
			snprintf(top, sizeof(top), "%.*s", (int)n, e.path);
			owner = meta_owner(u, top);
		}
		if (owner >= 0 && (err = join(u, owner, idx)))
			return err;
	}
	return 0;
}

/* Does needed resolve in the tree directory dir (tree-relative), as ld.so would look? */
static bool found_in(const struct units *u, const char *dir, const char *needed)
{
	char *path = NULL;
	bool found;

	if (asprintf(&path, "%s/%s", dir, needed) < 0)
		return false;
	path__clean(path);
	found = tree__resolve(u->t, path[0] == '/' ? path + 1 : path, true) >= 0;
	free(path);
	return found;
}

/* One search list: whether an entry pointing into the tree finds one of the object's needs. */
static bool list_pins(const struct units *u, const char *list, const struct elfinfo *ei)
{
	char *copy = list ? strdup(list) : NULL, *item, *save = NULL;
	bool pinned = false;

	for (item = copy ? strtok_r(copy, ":", &save) : NULL; item && !pinned;
	     item = strtok_r(NULL, ":", &save)) {
		char dir[4096];
		const char *o = strstr(item, "$ORIGIN"), *ob = strstr(item, "${ORIGIN}"), *below;

		if (o || ob) {
			const char *rest = o ? o + 7 : ob + 9;

			snprintf(dir, sizeof(dir), "lib%s", rest);
		} else if ((below = path__below(item, tree__recorded_at(u->t))) ||
			   (below = path__below(item, tree__root(u->t)))) {
			snprintf(dir, sizeof(dir), "%s", below[0] ? below : ".");
		} else {
			continue;
		}
		for (size_t n = 0; n < ei->nneeded && !pinned; n++)
			pinned = found_in(u, dir, ei->needed[n]);
	}
	free(copy);
	return pinned;
}

/* Shared objects whose needs resolve through the tree stay where they are. */
static void pin_objects(struct units *u)
{
	struct tree_entry e;

	for (size_t i = 0; i < u->n; i++) {
		struct unit_priv *p = &u->v[i];
		struct elfinfo ei = {0};
		int64_t idx;
		int fd;

		if (p->pub.kind != UNIT_SHARED_OBJECT)
			continue;
		idx = tree__find_path(u->t, strchr(p->key, ':') + 1);
		if (idx < 0 || tree__get(u->t, (uint32_t)idx, &e))
			continue;
		fd = tree__open_beneath(u->root_fd, e.path, e.dev, e.ino);
		if (fd < 0)
			continue;
		if (elfinfo__read_fd(fd, ELFINFO_DYNAMIC, &ei) == 1)
			p->pinned = list_pins(u, ei.rpath, &ei) || list_pins(u, ei.runpath, &ei);
		elfinfo__release(&ei);
		close(fd);
	}
}

/*
 * Pinned objects leave the list, and their links with them: their entries stay in the
 * function. The list is compacted and the key index rebuilt, so every unit left moves.
 */
static int drop_pinned(struct units *u)
{
	size_t k = 0;

	for (size_t i = 0; i < u->n; i++) {
		struct unit_priv *p = &u->v[i];

		for (size_t j = 0; j < p->entries.n; j++)
			u->owner[p->entries.v[j]] = p->pinned ? -1 : (int64_t)k;
		if (p->pinned) {
			free(p->name);
			free(p->key);
			idxvec__release(&p->entries);
			continue;
		}
		u->v[k++] = *p;
	}
	u->n = k;
	idxmap__free(u->by_key);
	u->by_key = NULL;
	if (idxmap__new(&u->by_key))
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++)
		if (idxmap__insert(u->by_key, slz_hash_bytes(u->v[i].key, strlen(u->v[i].key), 0),
				   (uint32_t)i))
			return -ENOMEM;
	return 0;
}

static int add_dep(struct unit_priv *p, size_t d)
{
	size_t cap = p->ndeps;

	for (size_t i = 0; i < p->ndeps; i++)
		if (p->deps[i] == d)
			return 0;
	if (slz_grow((void **)&p->deps, &cap, p->ndeps + 1, sizeof(*p->deps)))
		return -ENOMEM;
	p->deps[p->ndeps++] = d;
	return 0;
}

/*
 * The packages one package.json (of the package at pkgdir, tree-relative) requires that are
 * units of this plan at the top of node_modules; one of its own nested node_modules wins, as
 * in node's resolution, and is part of the package already.
 */
static int deps_of(struct units *u, size_t self, const char *pkgdir)
{
	static const char *const fields[] = {"dependencies", "optionalDependencies",
					     "peerDependencies"};
	char path[4096], *text;
	json_object *root;
	int err = 0;

	snprintf(path, sizeof(path), "%s/package.json", pkgdir);
	text = read_text(u, path);
	root = text ? json_tokener_parse(text) : NULL;
	free(text);
	for (size_t f = 0; root && !err && f < ARRAY_SIZE(fields); f++) {
		json_object *deps;

		if (!json_object_object_get_ex(root, fields[f], &deps) ||
		    !json_object_is_type(deps, json_type_object))
			continue;
		json_object_object_foreach(deps, name, val)
		{
			char key[4096];
			int64_t d;

			(void)val;
			snprintf(path, sizeof(path), "%s/node_modules/%s", pkgdir, name);
			if (tree__find_path(u->t, path) >= 0)
				continue;
			snprintf(key, sizeof(key), "node:node_modules/%s", name);
			d = find_key(u, key);
			if (d >= 0 && (size_t)d != self && !u->v[d].pinned)
				err = add_dep(&u->v[self], (size_t)d);
		}
	}
	json_object_put(root);
	return err;
}

static int node_deps(struct units *u)
{
	struct tree_entry e;
	int err = 0;

	for (size_t i = 0; !err && i < u->n; i++) {
		struct unit_priv *p = &u->v[i];

		if (p->pub.kind != UNIT_NODE_PACKAGE)
			continue;
		err = deps_of(u, i, strchr(p->key, ':') + 1);
		/* Nested packages' own needs of the top level count for the whole unit. */
		for (size_t k = 0; !err && k < p->entries.n; k++) {
			char dir[4096], *last;

			if (tree__get(u->t, p->entries.v[k], &e) || !S_ISREG(e.mode) ||
			    !ends_with(e.path, "/package.json"))
				continue;
			snprintf(dir, sizeof(dir), "%s", e.path);
			*strrchr(dir, '/') = '\0';
			last = strrchr(dir, '/');
			if (!strcmp(dir, strchr(p->key, ':') + 1) || !last)
				continue;
			*last = '\0';
			if (ends_with(dir, "/node_modules") ||
			    (strrchr(dir, '/') && strrchr(dir, '/')[1] == '@')) {
				*last = '/';
				err = deps_of(u, i, dir);
			}
		}
	}
	return err;
}

static void hash_bytes(uint64_t h[2], const void *data, size_t len)
{
	h[0] = slz_hash_bytes(data, len, h[0]);
	h[1] = slz_hash_bytes(data, len, h[1] ^ 0x9e3779b97f4a7c15ULL);
}

static int hash_unit(struct units *u, struct unit_priv *p)
{
	uint64_t h[2] = {0x736c696d7a697031ULL, 0x756e69746861736ULL};
	struct tree_entry e;
	char *buf = malloc(HASH_CHUNK);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t k = 0; !err && k < p->entries.n; k++) {
		char type;
		int fd;

		if ((err = tree__get(u->t, p->entries.v[k], &e)))
			break;
		type = S_ISREG(e.mode) ? 'f' : S_ISDIR(e.mode) ? 'd' : S_ISLNK(e.mode) ? 'l' : 'o';
		hash_bytes(h, e.path, strlen(e.path) + 1);
		hash_bytes(h, &type, 1);
		if (S_ISLNK(e.mode) && e.link_target)
			hash_bytes(h, e.link_target, strlen(e.link_target));
		if (!S_ISREG(e.mode))
			continue;
		p->pub.files++;
		p->pub.bytes += e.size;
		fd = tree__open_beneath(u->root_fd, e.path, e.dev, e.ino);
		if (fd < 0) {
			err = slz_fail(-fd, "cannot read %s/%s to compare it across functions: %s",
				       tree__root(u->t), e.path, strerror(-fd));
			break;
		}
		for (ssize_t got; (got = read(fd, buf, HASH_CHUNK)) != 0;) {
			if (got < 0) {
				err = slz_fail(errno, "cannot read %s/%s: %s", tree__root(u->t),
					       e.path, strerror(errno));
				break;
			}
			hash_bytes(h, buf, (size_t)got);
		}
		close(fd);
	}
	free(buf);
	snprintf(p->pub.hash, sizeof(p->pub.hash), "%016llx%016llx", (unsigned long long)h[0],
		 (unsigned long long)h[1]);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int units__group(const struct keepset *keep, struct units **out)
{
	struct units *u = calloc(1, sizeof(*u));
	struct tree_entry e;
	size_t n;
	int err = 0;

	*out = NULL;
	if (!u)
		return slz_fail(ENOMEM, "out of memory grouping units");
	u->keep = keep;
	u->t = keepset__tree(keep);
	n = tree__count(u->t);
	u->root_fd = open(tree__root(u->t), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	u->owner = malloc((n ? n : 1) * sizeof(*u->owner));
	if (u->root_fd < 0) {
		err = slz_fail(errno, "cannot open the tree %s: %s", tree__root(u->t),
			       strerror(errno));
		goto err;
	}
	if (!u->owner || idxmap__new(&u->by_key) || find_pydirs(u)) {
		err = -ENOMEM;
		goto err;
	}
	for (size_t i = 0; i < n; i++)
		u->owner[i] = -1;
	for (size_t i = 1; i < n && !err; i++) {
		int64_t r;

		if (!keepset__has(keep, (uint32_t)i) || tree__get(u->t, (uint32_t)i, &e))
			continue;
		r = classify(u, (uint32_t)i, &e);
		if (r == -ENOMEM)
			err = -ENOMEM;
		else if (r >= 0)
			err = join(u, r, (uint32_t)i);
	}
	if (!err)
		err = attach_meta(u);
	if (err)
		goto err;
	pin_objects(u);
	err = drop_pinned(u);
	if (err)
		goto err;
	err = node_deps(u);
	for (size_t i = 0; !err && i < u->n; i++) {
		struct unit_priv *p = &u->v[i];

		if (p->entries.n)
			qsort(p->entries.v, p->entries.n, sizeof(uint32_t), cmp_u32);
		err = hash_unit(u, p);
	}
	if (err)
		goto err;
	for (size_t i = 0; i < u->n; i++) {
		struct unit_priv *p = &u->v[i];

		p->pub.name = p->name;
		p->pub.key = p->key;
		p->pub.entries = p->entries.v;
		p->pub.nentries = p->entries.n;
		p->pub.deps = p->deps;
		p->pub.ndeps = p->ndeps;
	}
	*out = u;
	return 0;
err:
	units__free(u);
	return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory grouping units") : err;
}

void units__free(struct units *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].name);
		free(u->v[i].key);
		free(u->v[i].deps);
		idxvec__release(&u->v[i].entries);
	}
	for (size_t i = 0; i < u->npydirs; i++)
		free(u->pydirs[i]);
	free(u->pydirs);
	idxvec__release(&u->meta);
	idxmap__free(u->by_key);
	free(u->owner);
	free(u->v);
	if (u->root_fd >= 0)
		close(u->root_fd);
	free(u);
}

size_t units__count(const struct units *u)
{
	return u ? u->n : 0;
}

const struct unit *units__get(const struct units *u, size_t i)
{
	return u && i < u->n ? &u->v[i].pub : NULL;
}

int64_t units__owner(const struct units *u, uint32_t idx)
{
	return u && idx < tree__count(u->t) ? u->owner[idx] : -1;
}

const struct keepset *units__keep(const struct units *u)
{
	return u->keep;
}
