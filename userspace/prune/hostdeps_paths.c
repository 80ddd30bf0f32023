// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host dependencies: the path rules alone (hostdeps__class_of, hostdeps__package_of), and the
 * same package names inside a tree (hostdeps__tree_package).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostdeps.h"
#include "hostdeps_paths.h"
#include "slz_vocab.h"
#include "util.h"

static bool comp_is(const char *c, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(c, name, len);
}

bool hostpath__has_suffix(const char *c, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len >= sl && !memcmp(c + len - sl, suffix, sl);
}

const char *hostpath__base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * "x.so", "libfoo.so.1.2", "_yaml.cpython-311-x86_64-linux-gnu.so": a shared object's name
 * (not ld.so.cache).
 */
bool hostpath__so_name(const char *base)
{
	for (const char *p = base; (p = strstr(p, ".so")); p += 3)
		if (p[3] == '\0' || (p[3] == '.' && p[4] >= '0' && p[4] <= '9'))
			return true;
	return false;
}

/*
 * Where the package directory of path ends (the offset just after its last component), or 0
 * when path lies below none; *kind says which sort. The outermost one counts: a package's own
 * node_modules/ travels with it, and hiding the outer directory hides it too.
 */
size_t hostpath__container_end(const char *path, enum hostdep_kind *kind)
{
	const char *prev = NULL, *prev2 = NULL;
	size_t prevlen = 0, prev2len = 0;

	for (const char *c = path; *c;) {
		const char *end;
		size_t len;

		while (*c == '/')
			c++;
		end = strchrnul(c, '/');
		len = (size_t)(end - c);
		if (!len)
			break;
		if (comp_is(c, len, "site-packages") || comp_is(c, len, "dist-packages")) {
			*kind = HOSTDEP_PYTHON;
			return (size_t)(end - path);
		}
		/*
		 * Debian's node finds packages in /usr/share/nodejs, /usr/lib/nodejs and
		 * /usr/lib/<triplet>/nodejs (and the same below /usr/local).
		 */
		if (comp_is(c, len, "node_modules") ||
		    (comp_is(c, len, "nodejs") && prev &&
		     (comp_is(prev, prevlen, "lib") || comp_is(prev, prevlen, "share") ||
		      (prev2 && comp_is(prev2, prev2len, "lib"))))) {
			*kind = HOSTDEP_NODE;
			return (size_t)(end - path);
		}
		prev2 = prev;
		prev2len = prevlen;
		prev = c;
		prevlen = len;
		c = end;
	}
	return 0;
}

/*
 * The package name of what lies below a package directory: rest is the part after it
 * ("/certifi/core.py"). 0 with *name, *len set; -ENOENT when it names no package.
 */
static int python_name(const char *rest, const char **name, size_t *len)
{
	const char *c = rest + strspn(rest, "/"), *end = strchrnul(c, '/');
	size_t l = (size_t)(end - c);
	bool file = !*end || !end[strspn(end, "/")];

	if (!l || c[0] == '.')
		return -ENOENT;
	/* __pycache__/x.cpython-311.pyc is module x's bytecode. */
	if (comp_is(c, l, "__pycache__")) {
		c = end + strspn(end, "/");
		if (!*c || strchr(c, '/') || c[0] == '.')
			return -ENOENT;
		l = strcspn(c, ".");
	} else if (hostpath__has_suffix(c, l, ".dist-info") ||
		   hostpath__has_suffix(c, l, ".egg-info") || hostpath__has_suffix(c, l, ".egg")) {
		/* x-1.0.dist-info, x.egg-info, x-1.0-py3.11.egg: the name ends at the version. */
		size_t sl = hostpath__has_suffix(c, l, ".egg")	      ? 4
			    : hostpath__has_suffix(c, l, ".egg-info") ? 9
								      : 10;
		const char *dash;

		l = l > sl ? l - sl : 0;
		dash = l ? memchr(c, '-', l) : NULL;
		if (dash)
			l = (size_t)(dash - c);
	} else if (file) {
		/* x.py, x.pyc, x.cpython-311-x86_64-linux-gnu.so -> x */
		const char *dot = memchr(c, '.', l);

		/* site's own configuration, read at startup: not a package the code imports. */
		if (hostpath__has_suffix(c, l, ".pth") || hostpath__has_suffix(c, l, ".egg-link"))
			return -ENOENT;
		if (dot)
			l = (size_t)(dot - c);
	}
	if (!l)
		return -ENOENT;
	*name = c;
	*len = l;
	return 0;
}

static int node_name(const char *rest, const char **name, size_t *len)
{
	const char *c = rest + strspn(rest, "/"), *end = strchrnul(c, '/');
	size_t l = (size_t)(end - c);
	bool file = !*end || !end[strspn(end, "/")];

	/* .bin/, .package-lock.json: npm's own bookkeeping. */
	if (!l || c[0] == '.')
		return -ENOENT;
	if (c[0] == '@') {
		const char *n = end + strspn(end, "/");
		size_t nl = strcspn(n, "/");

		if (!*end || !nl)
			return -ENOENT;
		l = (size_t)(n + nl - c);
	} else if (file) {
		/* A file directly in the directory (foo.js, foo.json, foo.node): module foo. */
		const char *dot = memchr(c, '.', l);

		if (dot && dot > c)
			l = (size_t)(dot - c);
	}
	*name = c;
	*len = l;
	return 0;
}

/* The package of a path, without allocating: 1 with the pieces set, 0 when it has none. */
int hostpath__locate(const char *path, enum hostdep_kind *kind, size_t *dir_len, const char **name,
		     size_t *name_len)
{
	size_t end = hostpath__container_end(path, kind);

	if (!end)
		return 0;
	*dir_len = end;
	if ((*kind == HOSTDEP_PYTHON ? python_name : node_name)(path + end, name, name_len))
		return 0;
	return 1;
}

int hostdeps__package_of(const char *path, enum hostdep_kind *kind, char **name, char **dir)
{
	const char *n;
	size_t dl, nl;

	*name = *dir = NULL;
	if (!hostpath__locate(path, kind, &dl, &n, &nl))
		return 0;
	*name = strndup(n, nl);
	*dir = strndup(path, dl);
	if (!*name || !*dir) {
		free(*name);
		free(*dir);
		*name = *dir = NULL;
		return -ENOMEM;
	}
	return 1;
}

/* The C library and what comes with it in every Linux image, Lambda's included. */
static bool glibc_family(const char *path, const char *base)
{
	static const char *const so[] = {
		"libc.so",   "libm.so",	    "libmvec.so",	    "libpthread.so",
		"libdl.so",  "librt.so",    "libresolv.so",	    "libutil.so",
		"libanl.so", "libgcc_s.so", "libBrokenLocale.so",   "libthread_db.so",
		"libnsl.so", "libcrypt.so", "libc_malloc_debug.so",
	};

	if (!strncmp(base, "libnss_", 7) || !strncmp(base, "ld-linux", 8))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(so); i++) {
		size_t l = strlen(so[i]);

		if (!strncmp(base, so[i], l) && (base[l] == '\0' || base[l] == '.'))
			return true;
	}
	/* iconv's modules (gconv/UTF-16.so): glibc loads them itself. */
	return hostpath__so_name(base) && strstr(path, "/gconv/") != NULL;
}

static bool runtime_program(const char *base)
{
	return !strncmp(base, "python3", 7) || !strcmp(base, "python") || !strncmp(base, "node", 4);
}

/* pythonX.Y (python3.11, python3.13t) or pythonXY.zip, the standard library's own. */
static bool stdlib_comp(const char *c, size_t len)
{
	size_t i = 6;

	if (len < 7 || memcmp(c, "python", 6) || c[6] < '0' || c[6] > '9')
		return false;
	while (i < len && c[i] >= '0' && c[i] <= '9')
		i++;
	if (i + 4 == len && !memcmp(c + i, ".zip", 4))
		return true;
	if (i >= len || c[i] != '.' || i + 1 >= len || c[i + 1] < '0' || c[i + 1] > '9')
		return false;
	for (i++; i < len && c[i] >= '0' && c[i] <= '9'; i++)
		;
	/* An ABI letter or two (d, t), nothing else: python3.11-config is a program. */
	return len - i <= 2 && strspn(c + i, "dt") >= len - i;
}

/* A .../libDIR/pythonX.Y/ directory (lib, lib64), or the directory itself. */
static bool in_stdlib(const char *path)
{
	const char *prev = NULL;
	size_t prevlen = 0;

	for (const char *c = path; *c;) {
		const char *end;
		size_t len;

		while (*c == '/')
			c++;
		end = strchrnul(c, '/');
		len = (size_t)(end - c);
		if (!len)
			break;
		if (prev && prevlen >= 3 && !memcmp(prev, "lib", 3) && stdlib_comp(c, len))
			return true;
		prev = c;
		prevlen = len;
		c = end;
	}
	return false;
}

enum hostdep_class hostdeps__class_of(const char *path, uint32_t kinds)
{
	const char *base = hostpath__base_name(path), *n;
	enum hostdep_kind kind;
	size_t dl, nl;

	if (kinds & SLZ_KIND_INTERP)
		return HOSTDEP_EXPECTED;
	/* site-packages below lib/python3.11/ is not the standard library: checked first. */
	if (hostpath__locate(path, &kind, &dl, &n, &nl))
		return HOSTDEP_PACKAGE;
	if (hostpath__container_end(path, &kind))
		return HOSTDEP_OTHER; /* the directory itself, a .pth file, npm's bookkeeping */
	if (glibc_family(path, base) || in_stdlib(path))
		return HOSTDEP_EXPECTED;
	if (kinds & SLZ_KIND_EXEC)
		return runtime_program(base) ? HOSTDEP_EXPECTED : HOSTDEP_OTHER;
	/* Mapped, or opened under a shared object's name: the ELF header decides. */
	if ((kinds & SLZ_KIND_MMAP) || (hostpath__so_name(base) && (kinds & SLZ_KIND_OPEN)))
		return HOSTDEP_LIBRARY;
	return HOSTDEP_OTHER;
}

/* Where the path component holding s ends: its own directory when a '/' follows, else 0. */
static size_t own_dir_end(const char *path, const char *s)
{
	const char *end = strchrnul(s, '/');

	return *end == '/' ? (size_t)(end - path) : 0;
}

/* x.py, x.pyc, x.pyi, or an extension module x.cpython-311-x86_64-linux-gnu.so / x.abi3.so. */
static bool python_module_file(const char *c, size_t len)
{
	const char *dot = memchr(c, '.', len);

	if (!dot || dot == c)
		return false;
	if (hostpath__has_suffix(c, len, ".py") || hostpath__has_suffix(c, len, ".pyc") ||
	    hostpath__has_suffix(c, len, ".pyi"))
		return true;
	/* A plain x.so at the top may be anything: only Python's own naming says module. */
	return hostpath__so_name(c) &&
	       (strstr(c, ".cpython-") || strstr(c, ".abi3.") || strstr(c, ".pypy"));
}

/* t has DIR/__init__.py for the top-level directory c (len bytes). */
static bool tree_python_dir(const struct tree *t, const char *c, size_t len)
{
	char probe[NAME_MAX + sizeof("/__init__.py")];

	if (!t || len > NAME_MAX)
		return false;
	snprintf(probe, sizeof(probe), "%.*s/__init__.py", (int)len, c);
	return tree__find_path(t, probe) >= 0;
}

int hostdeps__tree_package(const struct tree *t, const char *relpath, struct tree_package *out)
{
	const char *c = relpath, *end, *n;
	enum hostdep_kind kind;
	size_t len, dl, nl;
	bool dir;

	memset(out, 0, sizeof(*out));
	if (!relpath || !*relpath || *relpath == '/')
		return -EINVAL;
	/* A package directory anywhere in the path: its package, as a host path's is named. */
	if (hostpath__locate(relpath, &kind, &dl, &n, &nl)) {
		*out = (struct tree_package){
			.kind = kind,
			.name = n,
			.name_len = nl,
			.container_len = dl,
			.root_len = own_dir_end(relpath, n + nl),
		};
		return 0;
	}
	end = strchrnul(c, '/');
	len = (size_t)(end - c);
	dir = *end == '/' && end[1];
	out->name = c;
	out->name_len = len;
	if (dir &&
	    (comp_is(c, len, "__pycache__") || hostpath__has_suffix(c, len, ".dist-info") ||
	     hostpath__has_suffix(c, len, ".egg-info") || hostpath__has_suffix(c, len, ".egg"))) {
		/* Bytecode of a top-level module, or a distribution's metadata. */
		if (python_name(relpath, &n, &nl))
			goto top_dir;
		out->kind = HOSTDEP_PYTHON;
		out->name = n;
		out->name_len = nl;
		out->root_len = own_dir_end(relpath, n + nl);
		return 0;
	}
	if (dir && tree_python_dir(t, c, len)) {
		out->kind = HOSTDEP_PYTHON;
		out->root_len = len;
		return 0;
	}
	if (dir && (comp_is(c, len, "lib") || comp_is(c, len, "lib64"))) {
		out->kind = HOSTDEP_LIB;
		out->root_len = len;
		return 0;
	}
	if (!dir && python_module_file(c, len)) {
		out->kind = HOSTDEP_PYTHON;
		out->name_len = (size_t)((const char *)memchr(c, '.', len) - c);
		return 0;
	}
	if (!dir) {
		out->kind = HOSTDEP_TOP_FILE;
		return 0;
	}
top_dir:
	out->kind = HOSTDEP_TOP_DIR;
	out->name = c;
	out->name_len = len;
	out->root_len = len;
	return 0;
}
