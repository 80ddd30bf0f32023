// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Glob patterns over tree-relative paths. A pattern is compiled into its components; "**"
 * components are matched like '*' over components (the classic two-pointer algorithm, which
 * only needs to remember the latest star), other components with a byte matcher that treats
 * UTF-8 sequences as single characters for '?' and "[...]".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "globs.h"
#include "util.h"

enum comp_type {
	COMP_LITERAL,  /* no special characters: strcmp */
	COMP_WILD,     /* '*', '?', '[', '\' inside one component */
	COMP_STARSTAR, /* "**": any number of whole components */
};

struct glob {
	char *text;  /* as given, for messages and globs__pattern() */
	char *buf;   /* the components, NUL-separated */
	char **comp; /* pointers into buf */
	uint8_t *type;
	size_t ncomp;
	bool dir_only;
	enum glob_action action;
	uint64_t hits;
};

struct globs {
	struct glob *v;
	size_t n, cap;
};

/* One character: a whole UTF-8 sequence when valid, else one byte (so any bytes still match). */
static size_t char_len(const unsigned char *s, const unsigned char *end, uint32_t *cp)
{
	size_t need, i;
	uint32_t c;

	if (s[0] < 0x80 || end - s < 2) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4;
		c = s[0] & 0x07;
	} else {
		*cp = s[0];
		return 1;
	}
	if ((size_t)(end - s) < need) {
		*cp = s[0];
		return 1;
	}
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = s[0];
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return need;
}

static const struct {
	const char *name;
	int (*fn)(int);
} char_classes[] = {
	{"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
	{"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
	{"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
};

/* A pattern character inside brackets: escapes resolved. Advances *p. */
static uint32_t class_char(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t c;

	if (*s == '\\' && s[1])
		s++;
	s += char_len(s, s + strlen((const char *)s), &c);
	*p = (const char *)s;
	return c;
}

/*
 * Parse "[...]" starting at p (on the '['), test character c against it. *after is set past the
 * ']'. 0, or -EINVAL when the set is unclosed or names an unknown class.
 */
static int class_match(const char *p, uint32_t c, bool *matched, const char **after, char *why,
		       size_t whylen)
{
	bool negate = false, hit = false, first = true;

	p++;
	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	for (;;) {
		uint32_t lo, hi;

		if (!*p) {
			snprintf(why, whylen, "unclosed '['");
			return -EINVAL;
		}
		if (*p == ']' && !first)
			break;
		first = false;
		if (p[0] == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");
			size_t i, len;

			if (!end) {
				snprintf(why, whylen, "unclosed '[:'");
				return -EINVAL;
			}
			len = end - (p + 2);
			for (i = 0; i < ARRAY_SIZE(char_classes); i++) {
				if (strlen(char_classes[i].name) == len &&
				    !strncmp(char_classes[i].name, p + 2, len))
					break;
			}
			if (i == ARRAY_SIZE(char_classes)) {
				snprintf(why, whylen, "unknown class '[:%.*s:]'", (int)len, p + 2);
				return -EINVAL;
			}
			/* Classes are ASCII-only, so the C locale's answer is the same everywhere.
			 */
			if (c < 0x80 && char_classes[i].fn((int)c))
				hit = true;
			p = end + 2;
			continue;
		}
		if (*p == '\\' && !p[1]) {
			snprintf(why, whylen, "trailing '\\'");
			return -EINVAL;
		}
		lo = hi = class_char(&p);
		if (p[0] == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && !p[1]) {
				snprintf(why, whylen, "trailing '\\'");
				return -EINVAL;
			}
			hi = class_char(&p);
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	*after = p + 1;
	*matched = hit != negate;
	return 0;
}

/* Check one component's syntax; why gets the reason on -EINVAL. */
static int comp_validate(const char *p, char *why, size_t whylen)
{
	while (*p) {
		if (*p == '\\') {
			if (!p[1]) {
				snprintf(why, whylen, "trailing '\\'");
				return -EINVAL;
			}
			p += 2;
		} else if (*p == '[') {
			const char *after;
			bool m;
			int err = class_match(p, 0, &m, &after, why, whylen);

			if (err)
				return err;
			p = after;
		} else {
			p++;
		}
	}
	return 0;
}

/* Match a validated component against name[0, len). */
static bool comp_match(const char *p, const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name, *end = s + len;
	const unsigned char *star_s = NULL;
	const char *star_p = NULL;
	uint32_t c;

	while (s < end) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			s += char_len(s, end, &c);
			p++;
			continue;
		}
		if (*p == '[') {
			const char *after;
			bool m;
			size_t n = char_len(s, end, &c);
			char why[8];

			if (!class_match(p, c, &m, &after, why, sizeof(why)) && m) {
				s += n;
				p = after;
				continue;
			}
		} else {
			const char *lit = *p == '\\' ? p + 1 : p;

			if (*lit && (unsigned char)*lit == *s) {
				s++;
				p = lit + 1;
				continue;
			}
		}
		if (!star_p)
			return false;
		/* Let the latest '*' swallow one more character and retry from there. */
		star_s += char_len(star_s, end, &c);
		s = star_s;
		p = star_p;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool has_magic(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

static void glob_release(struct glob *g)
{
	free(g->text);
	free(g->buf);
	free(g->comp);
	free(g->type);
	memset(g, 0, sizeof(*g));
}

static int glob_compile(const char *pattern, enum glob_action action, struct glob *g)
{
	const char *p = pattern;
	char why[96] = "";
	bool anchored = false;
	size_t len, ncomp = 0, cap;
	char *save = NULL, *c;
	int err = -EINVAL;

	memset(g, 0, sizeof(*g));
	g->action = action;
	if (*p == '!') {
		snprintf(why, sizeof(why),
			 "leading '!' (negation) is not supported: use --drop, "
			 "or '\\!' for a literal '!'");
		goto invalid;
	}
	if (*p == '/') {
		anchored = true;
		while (*p == '/')
			p++;
	} else if (p[0] == '.' && p[1] == '/') {
		anchored = true;
		for (p++; *p == '/'; p++)
			;
	}
	len = strlen(p);
	/* A trailing '/' means "directories only" unless it is escaped (which names nothing). */
	while (len && p[len - 1] == '/') {
		g->dir_only = true;
		len--;
	}
	if (!len) {
		snprintf(why, sizeof(why), "empty pattern");
		goto invalid;
	}
	g->text = strdup(pattern);
	g->buf = strndup(p, len);
	cap = 2 + len / 2 + 1; /* components are at least one byte plus '/'; +1 for "**" */
	g->comp = calloc(cap, sizeof(*g->comp));
	g->type = calloc(cap, sizeof(*g->type));
	if (!g->text || !g->buf || !g->comp || !g->type) {
		err = -ENOMEM;
		goto out;
	}
	/* gitignore: a '/' anywhere but at the end anchors; otherwise any depth. */
	if (strchr(g->buf, '/'))
		anchored = true;
	if (!anchored) {
		g->comp[ncomp] = "**";
		g->type[ncomp++] = COMP_STARSTAR;
	}
	for (c = strtok_r(g->buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !strcmp(c, "..")) {
			snprintf(why, sizeof(why), "component '%s' never appears in tree paths", c);
			goto invalid;
		}
		err = comp_validate(c, why, sizeof(why));
		if (err)
			goto invalid;
		g->comp[ncomp] = c;
		g->type[ncomp++] = !strcmp(c, "**") ? COMP_STARSTAR
				   : has_magic(c)   ? COMP_WILD
						    : COMP_LITERAL;
	}
	/* A trailing "**" means what is inside dir, not dir itself: a '*' plus inheritance. */
	if (ncomp > 1 && g->type[ncomp - 1] == COMP_STARSTAR) {
		g->comp[ncomp - 1] = "*";
		g->type[ncomp - 1] = COMP_WILD;
	}
	g->ncomp = ncomp;
	return 0;
invalid:
	err = slz_fail(EINVAL, "invalid pattern '%s': %s", pattern, why);
out:
	glob_release(g);
	return err;
}

static bool comp_eq(const struct glob *g, size_t i, const char *s, size_t len)
{
	if (g->type[i] == COMP_LITERAL)
		return strlen(g->comp[i]) == len && !memcmp(g->comp[i], s, len);
	return comp_match(g->comp[i], s, len);
}

/* The pattern against exactly this path (no ancestor rule). */
static bool glob_match_exact(const struct glob *g, const char *path, bool is_dir)
{
	const char *s = path, *star_s = NULL;
	size_t pi = 0, star_pi = 0;
	bool star = false;

	if (g->dir_only && !is_dir)
		return false;
	if (!*path)
		return false; /* the root has no name to match */
	for (;;) {
		const char *e;

		if (!*s)
			break;
		e = strchrnul(s, '/');
		if (pi < g->ncomp && g->type[pi] == COMP_STARSTAR) {
			star = true;
			star_pi = ++pi;
			star_s = s;
			continue;
		}
		if (pi < g->ncomp && comp_eq(g, pi, s, e - s)) {
			pi++;
			s = *e ? e + 1 : e;
			continue;
		}
		if (!star)
			return false;
		/* A "**" ending the pattern swallows whatever is left. */
		if (star_pi == g->ncomp)
			return true;
		/* The latest "**" takes one more component. */
		e = strchrnul(star_s, '/');
		star_s = *e ? e + 1 : e;
		s = star_s;
		pi = star_pi;
		if (!*s)
			return false;
	}
	while (pi < g->ncomp && g->type[pi] == COMP_STARSTAR)
		pi++;
	return pi == g->ncomp;
}

int globs__match(const char *pattern, const char *relpath, bool is_dir)
{
	struct glob g;
	char *copy;
	int ret = 0;

	ret = glob_compile(pattern, GLOB_KEEP, &g);
	if (ret)
		return ret;
	copy = strdup(relpath);
	if (!copy) {
		glob_release(&g);
		return -ENOMEM;
	}
	/* Ancestors first: "a", "a/b", ... each a directory; then the path itself. */
	ret = 0;
	for (char *slash = strchr(copy, '/'); slash && !ret; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ret = glob_match_exact(&g, copy, true);
		*slash = '/';
	}
	if (!ret)
		ret = glob_match_exact(&g, copy, is_dir);
	free(copy);
	glob_release(&g);
	return ret;
}

int globs__new(struct globs **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void globs__free(struct globs *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		glob_release(&g->v[i]);
	free(g->v);
	free(g);
}

int globs__add(struct globs *g, enum glob_action action, const char *pattern)
{
	int err;

	if (action != GLOB_KEEP && action != GLOB_DROP)
		return slz_fail(EINVAL, "unknown glob action %d", (int)action);
	err = slz_grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v));
	if (err)
		return err;
	err = glob_compile(pattern, action, &g->v[g->n]);
	if (err)
		return err;
	g->n++;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int globs__literal(const char *relpath, char **out)
{
	size_t len = relpath ? strlen(relpath) : 0;
	char *o, *w;

	*out = NULL;
	if (!len)
		return -EINVAL;
	o = malloc(2 * len + 2);
	if (!o)
		return -ENOMEM;
	w = o;
	*w++ = '/';
	for (const char *c = relpath; *c; c++) {
		if (*c == '\n' || *c == '\r') {
			*w++ = '?';
			continue;
		}
		if (strchr("*?[\\", *c) || is_blank(*c))
			*w++ = '\\';
		*w++ = *c;
	}
	*w = '\0';
	*out = o;
	return 0;
}

int globs__add_file(struct globs *g, enum glob_action action, const char *path)
{
	char *line = NULL, *s;
	size_t cap = 0, lineno = 0, len;
	ssize_t n;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return slz_fail(errno, "cannot read pattern file '%s': %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		len = n;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		line[len] = '\0';
		for (s = line; is_blank(*s); s++)
			;
		len -= s - line;
		/* Trailing blanks go unless escaped: "a\ " is a name ending in a space. */
		while (len && is_blank(s[len - 1]) && !(len >= 2 && s[len - 2] == '\\'))
			len--;
		s[len] = '\0';
		if (!*s || *s == '#')
			continue;
		if (strlen(s) != len) {
			err = slz_fail(EINVAL, "%s:%zu: pattern contains a NUL byte", path, lineno);
			goto out;
		}
		err = globs__add(g, action, s);
		if (err) {
			/* slz_fail() formats aside: it may quote its own last message. */
			err = slz_fail(err, "%s:%zu: %s", path, lineno, slz_errmsg());
			goto out;
		}
	}
	if (ferror(f))
		err = slz_fail(EIO, "cannot read pattern file '%s'", path);
out:
	free(line);
	fclose(f);
	return err;
}

size_t globs__count(const struct globs *g)
{
	return g->n;
}

const char *globs__pattern(const struct globs *g, size_t i)
{
	return i < g->n ? g->v[i].text : NULL;
}

enum glob_action globs__action(const struct globs *g, size_t i)
{
	return i < g->n ? g->v[i].action : GLOB_KEEP;
}

uint64_t globs__hits(const struct globs *g, size_t i)
{
	return i < g->n ? g->v[i].hits : 0;
}

/*
 * Walk the tree once in index order; a parent comes before its children, so "matched" is
 * inherited from the parent's flag. Calls fn for every matched entry.
 */
static int apply(struct globs *g, struct keepset *k, enum glob_action action, uint64_t *count)
{
	const struct tree *t = keepset__tree(k);
	size_t n = tree__count(t), npat = 0;
	struct tree_entry e;
	uint8_t *hit = NULL;
	uint64_t done = 0;
	int err = 0;

	for (size_t j = 0; j < g->n; j++) {
		if (g->v[j].action == action) {
			g->v[j].hits = 0;
			npat++;
		}
	}
	if (!npat || n < 2)
		goto out;
	hit = calloc(n, 1);
	if (!hit) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		bool dir;

		err = tree__get(t, i, &e);
		if (err)
			goto out;
		dir = S_ISDIR(e.mode);
		hit[i] = e.parent != 0 && hit[e.parent];
		/* Every pattern is tried even below a match, so hit counts stay honest. */
		for (size_t j = 0; j < g->n; j++) {
			struct glob *gl = &g->v[j];

			if (gl->action == action && glob_match_exact(gl, e.path, dir)) {
				gl->hits++;
				hit[i] = 1;
			}
		}
		if (!hit[i])
			continue;
		if (action == GLOB_KEEP) {
			err = keepset__add(k, i, KEEP_GLOB, 0, NULL);
			if (err)
				goto out;
			done++;
		} else if (keepset__remove(k, i)) {
			done++;
		}
	}
out:
	free(hit);
	if (count)
		*count = done;
	return err;
}

int globs__apply_keep(struct globs *g, struct keepset *k, uint64_t *matched)
{
	return apply(g, k, GLOB_KEEP, matched);
}

int globs__apply_drop(struct globs *g, struct keepset *k, uint64_t *removed)
{
	return apply(g, k, GLOB_DROP, removed);
}
