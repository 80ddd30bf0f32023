// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Python: byte code and source travel together, a package is importable only with the
 * __init__.py of every level, and importlib.metadata / entry points need a distribution's whole
 * dist-info once any of its files is used. Which distribution owns a file is read once per run
 * from RECORD, installed-files.txt or top_level.txt.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pycheck.h"
#include "rules_entries.h"
#include "util.h"

/* Metadata larger than this is not metadata: such a file is skipped as unreadable. */
#define META_MAX (64u << 20)

struct owner {
	uint32_t entry;
	uint32_t dist;
	bool recursive; /* owns everything below entry too (a package directory, the dist-info) */
};

struct dist {
	uint32_t dir; /* the *.dist-info / *.egg-info entry */
	bool kept;    /* its whole directory has been kept already */
};

struct py_state {
	struct dist *dists;
	size_t ndists, dcap;
	struct owner *owners;
	size_t nowners, ocap;
	bool pth_done;
	/*
	 * Per __pycache__ directory, once a kept module asked: 1 + the offset in pyc_pool of its
	 * child count, followed by its children sorted by name (0: not sorted yet). A module's
	 * compilations are then a binary search away instead of a walk over the directory,
	 * which made the rule quadratic in a large package (10,000 modules: 10^8 names).
	 */
	uint32_t *pyc_at;
	uint32_t *pyc_pool;
	size_t npool, pcap;
};

/* The state of this rule; its mark on a directory: walked up for __init__.py already. */
static struct py_state *py_of(struct rules_ctx *c)
{
	return *rules_ctx__state(c);
}

static int add_owner(struct py_state *py, uint32_t entry, uint32_t dist, bool recursive)
{
	if (slz_grow((void **)&py->owners, &py->ocap, py->nowners + 1, sizeof(*py->owners)))
		return -ENOMEM;
	py->owners[py->nowners++] = (struct owner){entry, dist, recursive};
	return 0;
}

/*
 * One field of the csv module's default dialect, which is what RECORD uses: a quoted field may
 * hold commas, newlines and doubled quotes. The field is copied to out; *bad is set when it does
 * not fit, holds a NUL or never closes its quote, *eor at the end of a row.
 */
static void csv_field(const char *b, size_t len, size_t *pos, char *out, size_t cap, bool *eor,
		      bool *bad)
{
	size_t i = *pos, o = 0;
	bool quoted = false;

	*eor = false;
	if (i < len && b[i] == '"') {
		quoted = true;
		i++;
	}
	for (; i < len; i++) {
		char ch = b[i];

		if (quoted && ch == '"') {
			if (i + 1 < len && b[i + 1] == '"') {
				i++;
			} else {
				quoted = false;
				continue;
			}
		} else if (!quoted && ch == ',') {
			i++;
			goto done;
		} else if (!quoted && (ch == '\n' || ch == '\r')) {
			i += (ch == '\r' && i + 1 < len && b[i + 1] == '\n') ? 2 : 1;
			*eor = true;
			goto done;
		}
		if (ch == '\0' || o + 1 >= cap)
			*bad = true;
		else
			out[o++] = ch;
	}
	*eor = true;
	if (quoted)
		*bad = true;
done:
	out[o] = '\0';
	*pos = i;
}

/* rel is relative to base (or absolute); own what it names, if the tree has it. */
static int own_path(struct rules_ctx *c, uint32_t dist, const char *base, const char *rel)
{
	char path[RULES_PATH_MAX];
	const char *p = path;
	int64_t idx;

	if (rel[0] == '/')
		p = rules_ctx__map_abs(c, rel);
	else if (rules__join(path, sizeof(path), base, rel, strlen(rel)))
		return 0;
	/* The entry itself, not a link target: RECORD lists what the installer wrote. */
	idx = tree__resolve(c->t, p, false);
	if (idx == -ENOMEM)
		return -ENOMEM;
	if (idx <= 0)
		return 0;
	return add_owner(py_of(c), (uint32_t)idx, dist, false);
}

static int parse_record(struct rules_ctx *c, uint32_t dist, const char *site, const char *b,
			size_t len)
{
	char field[RULES_PATH_MAX], path[RULES_PATH_MAX];
	size_t pos = 0;

	while (pos < len) {
		bool eor = false, bad = false, first = true;
		int err;

		/* Only the first field is a path; hash and size are read and dropped. */
		while (!eor) {
			csv_field(b, len, &pos, first ? path : field, sizeof(path), &eor, &bad);
			first = false;
		}
		if (bad) {
			c->st->bad_lines++;
			continue;
		}
		if (!path[0])
			continue;
		err = own_path(c, dist, site, path);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Next line of b (NUL-terminated, so strcspn is safe), trailing blanks cut; NULL at the end. */
static const char *next_line(char *b, size_t len, size_t *pos, bool *bad)
{
	char *s, *e;
	size_t n;

	if (*pos >= len)
		return NULL;
	s = b + *pos;
	n = strcspn(s, "\n");
	*pos += n + 1;
	/* A NUL inside a line ends strcspn early: the rest of that line is garbage. */
	*bad = s + n < b + len && s[n] == '\0';
	if (*bad) {
		char *nl = memchr(s + n, '\n', len - (size_t)(s + n - b));

		*pos = nl ? (size_t)(nl - b) + 1 : len;
	}
	e = s + n;
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_installed_files(struct rules_ctx *c, uint32_t dist, const char *egg, char *b,
				 size_t len)
{
	size_t pos = 0;
	const char *line;
	bool bad;

	while ((line = next_line(b, len, &pos, &bad))) {
		int err;

		if (bad) {
			c->st->bad_lines++;
			continue;
		}
		if (!line[0])
			continue;
		err = own_path(c, dist, egg, line);
		if (err < 0)
			return err;
	}
	return 0;
}

/* top_level.txt names packages (directories) and modules (name.py, name.<abi>.so) in site. */
static int parse_top_level(struct rules_ctx *c, uint32_t dist, uint32_t site, char *b, size_t len)
{
	size_t pos = 0;
	const char *line;
	bool bad;

	while ((line = next_line(b, len, &pos, &bad))) {
		size_t nl = strlen(line);

		if (bad) {
			c->st->bad_lines++;
			continue;
		}
		if (!nl || strchr(line, '/') || !strcmp(line, ".") || !strcmp(line, ".."))
			continue;
		for (uint32_t ch = c->first_child[site]; ch != RULES_NONE;
		     ch = c->next_sibling[ch]) {
			struct tree_entry e = rules_ctx__entry(c, ch);
			const char *name = rules__basename(e.path);
			int err = 0;

			if (strncmp(name, line, nl) || rules__has_suffix(name, ".dist-info") ||
			    rules__has_suffix(name, ".egg-info"))
				continue;
			if (name[nl] == '\0')
				err = add_owner(py_of(c), ch, dist, S_ISDIR(e.mode));
			else if (name[nl] == '.')
				err = add_owner(py_of(c), ch, dist, false);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

/* Read dir/name when it is a regular file; 1 with the contents, 0 when absent or unreadable. */
static int read_meta(struct rules_ctx *c, const char *dir, const char *name, char **buf,
		     size_t *len)
{
	char path[RULES_PATH_MAX];
	int64_t idx;
	int err;

	if (rules__join(path, sizeof(path), dir, name, strlen(name)))
		return 0;
	idx = tree__find_path(c->t, path);
	if (idx < 0 || !S_ISREG(rules_ctx__entry(c, (uint32_t)idx).mode))
		return 0;
	err = rules_ctx__read(c, (uint32_t)idx, META_MAX, buf, len);
	if (err == -ENOMEM)
		return err;
	if (err < 0) {
		c->st->unreadable++;
		return 0;
	}
	return 1;
}

static int owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return x->dist < y->dist ? -1 : x->dist > y->dist;
}

static int build_dists(struct rules_ctx *c)
{
	struct py_state *py = py_of(c);
	char *buf = NULL;
	size_t len;
	int err;

	err = rules_ctx__children(c);
	if (err)
		return err;
	for (uint32_t i = 1; i < c->n; i++) {
		struct tree_entry e = rules_ctx__entry(c, i);
		bool dir = S_ISDIR(e.mode);
		const char *site;
		uint32_t d;

		if (!(dir && rules__has_suffix(e.path, ".dist-info")) &&
		    !((dir || S_ISREG(e.mode)) && rules__has_suffix(e.path, ".egg-info")))
			continue;
		d = (uint32_t)py->ndists;
		if (slz_grow((void **)&py->dists, &py->dcap, py->ndists + 1, sizeof(*py->dists)))
			return -ENOMEM;
		py->dists[py->ndists++] = (struct dist){.dir = i};
		/* Reading METADATA or entry_points.txt is using the distribution too. */
		err = add_owner(py, i, d, dir);
		if (err || !dir)
			goto next;
		site = rules_ctx__entry(c, e.parent).path;
		if ((err = read_meta(c, e.path, "RECORD", &buf, &len)) > 0) {
			err = parse_record(c, d, site, buf, len);
		} else if (!err &&
			   (err = read_meta(c, e.path, "installed-files.txt", &buf, &len)) > 0) {
			err = parse_installed_files(c, d, e.path, buf, len);
		} else if (!err && (err = read_meta(c, e.path, "top_level.txt", &buf, &len)) > 0) {
			err = parse_top_level(c, d, e.parent, buf, len);
		}
	next:
		free(buf);
		buf = NULL;
		if (err < 0)
			return err;
	}
	if (py->nowners > 1)
		qsort(py->owners, py->nowners, sizeof(*py->owners), owner_cmp);
	return 0;
}

/* Keep a distribution's metadata directory and everything in it. */
static int keep_dist(struct rules_ctx *c, struct dist *d)
{
	struct idxvec stack = {0};
	int err;

	if (d->kept)
		return 0;
	d->kept = true;
	err = idxvec__push(&stack, d->dir);
	while (!err && stack.n) {
		uint32_t i = stack.v[--stack.n];

		err = rules_ctx__keep_entry(c, i);
		if (err < 0)
			break;
		err = 0;
		for (uint32_t ch = c->first_child[i]; ch != RULES_NONE && !err;
		     ch = c->next_sibling[ch])
			err = idxvec__push(&stack, ch);
	}
	idxvec__release(&stack);
	return err;
}

/* The distributions owning idx, directly or through an owned directory above it. */
static int keep_owners(struct rules_ctx *c, uint32_t idx)
{
	struct py_state *py = py_of(c);
	uint32_t cur = idx;

	for (unsigned depth = 0;; depth++) {
		size_t lo = 0, hi = py->nowners;
		struct tree_entry e;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (py->owners[mid].entry < cur)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < py->nowners && py->owners[lo].entry == cur; lo++) {
			int err;

			if (depth && !py->owners[lo].recursive)
				continue;
			err = keep_dist(c, &py->dists[py->owners[lo].dist]);
			if (err < 0)
				return err;
		}
		e = rules_ctx__entry(c, cur);
		if (!cur || e.parent == cur || e.parent >= c->n)
			return 0;
		cur = e.parent;
	}
}

static int by_name(const void *a, const void *b, void *ctx)
{
	struct rules_ctx *c = ctx;

	return strcmp(rules__basename(rules_ctx__entry(c, *(const uint32_t *)a).path),
		      rules__basename(rules_ctx__entry(c, *(const uint32_t *)b).path));
}

/* The children of directory pc sorted by name, *n of them; NULL when out of memory. */
static const uint32_t *sorted_children(struct rules_ctx *c, uint32_t pc, size_t *n)
{
	struct py_state *py = py_of(c);
	size_t at, cnt = 0;

	if (!py->pyc_at && !(py->pyc_at = calloc(c->n, sizeof(*py->pyc_at))))
		return NULL;
	if (!py->pyc_at[pc]) {
		for (uint32_t ch = c->first_child[pc]; ch != RULES_NONE; ch = c->next_sibling[ch])
			cnt++;
		at = py->npool;
		if (at + cnt + 1 > UINT32_MAX ||
		    slz_grow((void **)&py->pyc_pool, &py->pcap, at + cnt + 1, sizeof(uint32_t)))
			return NULL;
		py->pyc_pool[at] = (uint32_t)cnt;
		cnt = 0;
		for (uint32_t ch = c->first_child[pc]; ch != RULES_NONE; ch = c->next_sibling[ch])
			py->pyc_pool[at + 1 + cnt++] = ch;
		qsort_r(py->pyc_pool + at + 1, cnt, sizeof(uint32_t), by_name, c);
		py->npool = at + cnt + 1;
		py->pyc_at[pc] = (uint32_t)at + 1;
	}
	at = py->pyc_at[pc] - 1;
	*n = py->pyc_pool[at];
	return py->pyc_pool + at + 1;
}

/* dir/__pycache__/<stem>.*.pyc: every cached compilation of the module. */
static int keep_pycs(struct rules_ctx *c, uint32_t dir, const char *stem, size_t stemlen)
{
	char path[RULES_PATH_MAX];
	const uint32_t *kids;
	size_t lo = 0, hi, n;
	int64_t pc;

	if (rules__join(path, sizeof(path), rules_ctx__entry(c, dir).path, "__pycache__",
			strlen("__pycache__")))
		return 0;
	pc = tree__find_path(c->t, path);
	if (pc < 0 || !S_ISDIR(rules_ctx__entry(c, (uint32_t)pc).mode))
		return 0;
	kids = sorted_children(c, (uint32_t)pc, &n);
	if (!kids)
		return -ENOMEM;
	/* The first name not below "<stem>.": names with that prefix follow it in a row. */
	for (hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = rules__basename(rules_ctx__entry(c, kids[mid]).path);
		int cmp = strncmp(name, stem, stemlen);

		if (cmp < 0 || (!cmp && (unsigned char)name[stemlen] < '.'))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n; lo++) {
		const char *name = rules__basename(rules_ctx__entry(c, kids[lo]).path);
		int err;

		if (strncmp(name, stem, stemlen) || name[stemlen] != '.')
			break;
		if (!rules__has_suffix(name, ".pyc"))
			continue;
		err = rules_ctx__keep_entry(c, kids[lo]);
		if (err < 0)
			return err;
	}
	return 0;
}

/* __init__.py of d and of each directory above it, up to the first one without. */
static int keep_inits(struct rules_ctx *c, uint32_t d)
{
	char path[RULES_PATH_MAX];

	while (d && d < c->n && !rules_ctx__mark(c, d)) {
		struct tree_entry de = rules_ctx__entry(c, d);
		int64_t ini;
		int err;

		if (rules__join(path, sizeof(path), de.path, "__init__.py", strlen("__init__.py")))
			return 0;
		ini = tree__find_path(c->t, path);
		if (ini < 0 || S_ISDIR(rules_ctx__entry(c, (uint32_t)ini).mode))
			return 0;
		err = rules_ctx__keep_entry(c, (uint32_t)ini);
		if (err < 0)
			return err;
		if (de.parent == d)
			return 0;
		d = de.parent;
	}
	return 0;
}

static int py_entry(struct rules_ctx *c, uint32_t idx)
{
	struct tree_entry e = rules_ctx__entry(c, idx), pe;
	const char *name = rules__basename(e.path);
	uint32_t pkg = e.parent;
	int err;

	if (!e.mode || S_ISDIR(e.mode) || e.parent >= c->n)
		return 0;
	pe = rules_ctx__entry(c, e.parent);
	if (rules__has_suffix(name, ".pyc") && !strcmp(rules__basename(pe.path), "__pycache__") &&
	    e.parent) {
		char src[RULES_PATH_MAX];
		int64_t s;

		pkg = pe.parent;
		if (pycheck__source_path(e.path, src, sizeof(src)) &&
		    (s = tree__find_path(c->t, src)) >= 0) {
			err = rules_ctx__keep_entry(c, (uint32_t)s);
			if (err < 0)
				return err;
		}
	} else if (rules__has_suffix(name, ".py") && strlen(name) > 3) {
		err = keep_pycs(c, e.parent, name, strlen(name) - 3);
		if (err < 0)
			return err;
	}
	err = keep_inits(c, pkg);
	if (err < 0)
		return err;
	return keep_owners(c, idx);
}

/*
 * site.py reads *.pth in a site directory at startup: path lines name directories (relative to
 * the .pth) to put on sys.path, "import" lines run code. The directories are kept as entries,
 * not their contents: what is used in them is in the profile.
 */
static int keep_pth(struct rules_ctx *c)
{
	for (uint32_t ch = c->first_child[0]; ch != RULES_NONE; ch = c->next_sibling[ch]) {
		struct tree_entry e = rules_ctx__entry(c, ch);
		char *buf = NULL;
		const char *line;
		size_t len, pos = 0;
		int64_t f;
		bool bad;
		int err;

		if (S_ISDIR(e.mode) || !rules__has_suffix(e.path, ".pth"))
			continue;
		err = rules_ctx__keep_entry(c, ch);
		if (err < 0)
			return err;
		f = tree__resolve(c->t, e.path, true);
		if (f < 0 || !S_ISREG(rules_ctx__entry(c, (uint32_t)f).mode))
			continue;
		err = rules_ctx__read(c, (uint32_t)f, META_MAX, &buf, &len);
		if (err == -ENOMEM)
			return err;
		if (err < 0) {
			c->st->unreadable++;
			continue;
		}
		while ((line = next_line(buf, len, &pos, &bad))) {
			const char *p = line;

			if (bad) {
				c->st->bad_lines++;
				continue;
			}
			if (!line[0] || line[0] == '#' || !strncmp(line, "import ", 7) ||
			    !strncmp(line, "import\t", 7))
				continue;
			if (line[0] == '/')
				p = rules_ctx__map_abs(c, line);
			err = rules_ctx__keep_path(c, p);
			if (err < 0)
				break;
		}
		free(buf);
		if (err < 0)
			return err;
	}
	return 0;
}

static int py_run(struct rules_ctx *c)
{
	void **state = rules_ctx__state(c);
	int err;

	if (!*state) {
		*state = calloc(1, sizeof(struct py_state));
		if (!*state)
			return -ENOMEM;
		err = build_dists(c);
		if (err)
			return err;
	}
	if (!py_of(c)->pth_done) {
		py_of(c)->pth_done = true;
		err = keep_pth(c);
		if (err)
			return err;
	}
	return rules_ctx__scan(c, py_entry);
}

static void py_release(void *state)
{
	struct py_state *py = state;

	free(py->dists);
	free(py->owners);
	free(py->pyc_at);
	free(py->pyc_pool);
	free(py);
}

const struct rule rule_python = {
	.name = "python",
	.run = py_run,
	.release = py_release,
};
