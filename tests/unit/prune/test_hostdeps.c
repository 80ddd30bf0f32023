// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host dependencies: the path rules as a table, then whole profiles over real temp files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostdeps.h"
#include "slz_vocab.h"
#include "testfs.h"
#include "util.h"

#define OPEN  SLZ_KIND_OPEN
#define MMAP  SLZ_KIND_MMAP
#define EXEC  SLZ_KIND_EXEC
#define INTRP SLZ_KIND_INTERP
#define STAT  SLZ_KIND_STAT

static void test_class_table(void **state)
{
	static const struct {
		const char *path;
		uint32_t kinds;
		enum hostdep_class want;
	} rows[] = {
		/* The interpreter, glibc and its company, wherever they live. */
		{"/lib64/ld-linux-x86-64.so.2", INTRP, HOSTDEP_EXPECTED},
		{"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", OPEN | MMAP, HOSTDEP_EXPECTED},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", OPEN | MMAP, HOSTDEP_EXPECTED},
		{"/usr/lib/x86_64-linux-gnu/libm.so.6", MMAP, HOSTDEP_EXPECTED},
		{"/lib/x86_64-linux-gnu/libpthread.so.0", MMAP, HOSTDEP_EXPECTED},
		{"/usr/lib/x86_64-linux-gnu/libnss_files.so.2", OPEN | MMAP, HOSTDEP_EXPECTED},
		{"/usr/lib/x86_64-linux-gnu/libgcc_s.so.1", MMAP, HOSTDEP_EXPECTED},
		{"/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so", MMAP, HOSTDEP_EXPECTED},
		/* Not glibc, only named alike: the ELF closure decides. */
		{"/usr/lib/x86_64-linux-gnu/libmagic.so.1", MMAP, HOSTDEP_LIBRARY},
		{"/usr/lib/x86_64-linux-gnu/libnss3.so", MMAP, HOSTDEP_LIBRARY},
		{"/usr/lib/x86_64-linux-gnu/libyaml-0.so.2.0.9", OPEN | MMAP, HOSTDEP_LIBRARY},
		{"/opt/vendor/libfoo.so", OPEN, HOSTDEP_LIBRARY},
		{"/usr/lib/locale/C.utf8/LC_CTYPE", OPEN | MMAP, HOSTDEP_LIBRARY},
		/* The runtime and its standard library. */
		{"/usr/bin/python3.11", EXEC, HOSTDEP_EXPECTED},
		{"/usr/local/bin/node", EXEC, HOSTDEP_EXPECTED},
		{"/usr/bin/env", EXEC, HOSTDEP_OTHER},
		{"/usr/lib/python3.11/json/__init__.py", STAT, HOSTDEP_EXPECTED},
		{"/usr/lib/python3.11", OPEN | STAT, HOSTDEP_EXPECTED},
		{"/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so",
		 OPEN | MMAP, HOSTDEP_EXPECTED},
		{"/var/lang/lib/python3.12/os.py", OPEN, HOSTDEP_EXPECTED},
		{"/usr/lib64/python3.13t/os.py", OPEN, HOSTDEP_EXPECTED},
		{"/usr/lib/python311.zip", STAT, HOSTDEP_EXPECTED},
		{"/usr/lib/python3.11-config/x.py", OPEN, HOSTDEP_OTHER},
		{"/home/u/python3.11/x.py", OPEN, HOSTDEP_OTHER},
		/* Package directories: below the standard library's own too. */
		{"/usr/lib/python3/dist-packages/certifi/core.py", OPEN, HOSTDEP_PACKAGE},
		{"/usr/local/lib/python3.11/site-packages/jmespath/__init__.py", STAT,
		 HOSTDEP_PACKAGE},
		{"/usr/lib/python3/dist-packages/yaml/_yaml.cpython-311-x86_64-linux-gnu.so", MMAP,
		 HOSTDEP_PACKAGE},
		{"/usr/lib/python3/dist-packages", OPEN | STAT, HOSTDEP_OTHER},
		{"/usr/lib/python3/dist-packages/distutils-precedence.pth", OPEN, HOSTDEP_OTHER},
		{"/srv/app/node_modules/lodash/lodash.js", OPEN, HOSTDEP_PACKAGE},
		{"/srv/app/node_modules/.package-lock.json", OPEN, HOSTDEP_OTHER},
		{"/usr/share/nodejs/acorn/dist/acorn.js", OPEN, HOSTDEP_PACKAGE},
		{"/usr/lib/nodejs/semver/index.js", OPEN, HOSTDEP_PACKAGE},
		{"/usr/lib/x86_64-linux-gnu/nodejs/ws/index.js", OPEN, HOSTDEP_PACKAGE},
		{"/usr/include/nodejs/node.h", OPEN, HOSTDEP_OTHER},
		/* The rest. */
		{"/etc/ld.so.cache", OPEN, HOSTDEP_OTHER},
		{"/etc/ssl/certs/ca-certificates.crt", OPEN | STAT, HOSTDEP_OTHER},
		{"/proc/self/maps", OPEN, HOSTDEP_OTHER},
		{"/dev/urandom", OPEN, HOSTDEP_OTHER},
		{"/tmp", STAT, HOSTDEP_OTHER},
		{"/usr/lib/x86_64-linux-gnu/libfoo.so.1", STAT, HOSTDEP_OTHER}, /* not used */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		enum hostdep_class got = hostdeps__class_of(rows[i].path, rows[i].kinds);

		if (got != rows[i].want)
			fail_msg("%s: class %d, want %d", rows[i].path, got, rows[i].want);
	}
}

static void test_package_table(void **state)
{
	static const struct {
		const char *path;
		enum hostdep_kind kind;
		const char *name, *dir; /* NULL: no package */
	} rows[] = {
		{"/usr/lib/python3/dist-packages/certifi/core.py", HOSTDEP_PYTHON, "certifi",
		 "/usr/lib/python3/dist-packages"},
		{"/usr/lib/python3/dist-packages/certifi", HOSTDEP_PYTHON, "certifi",
		 "/usr/lib/python3/dist-packages"},
		{"/usr/lib/python3/dist-packages/six.py", HOSTDEP_PYTHON, "six",
		 "/usr/lib/python3/dist-packages"},
		{"/usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc", HOSTDEP_PYTHON,
		 "six", "/usr/lib/python3/dist-packages"},
		{"/v/lib/python3.11/site-packages/_cffi_backend.cpython-311-x86_64-linux-gnu.so",
		 HOSTDEP_PYTHON, "_cffi_backend", "/v/lib/python3.11/site-packages"},
		{"/v/lib/python3.11/site-packages/jmespath-1.0.1.dist-info/METADATA",
		 HOSTDEP_PYTHON, "jmespath", "/v/lib/python3.11/site-packages"},
		{"/usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info/PKG-INFO",
		 HOSTDEP_PYTHON, "certifi", "/usr/lib/python3/dist-packages"},
		{"/usr/lib/python3/dist-packages/cryptography.egg-info", HOSTDEP_PYTHON,
		 "cryptography", "/usr/lib/python3/dist-packages"},
		{"/s/site-packages/foo-1.0-py3.11.egg/foo/__init__.py", HOSTDEP_PYTHON, "foo",
		 "/s/site-packages"},
		{"/usr/lib/python3/dist-packages//yaml//nodes.py", HOSTDEP_PYTHON, "yaml",
		 "/usr/lib/python3/dist-packages"},
		{"/app/node_modules/lodash/fp/map.js", HOSTDEP_NODE, "lodash", "/app/node_modules"},
		{"/app/node_modules/@aws-sdk/client-s3/dist/index.js", HOSTDEP_NODE,
		 "@aws-sdk/client-s3", "/app/node_modules"},
		/* The outermost package directory: a package's own dependencies travel with it. */
		{"/app/node_modules/a/node_modules/b/index.js", HOSTDEP_NODE, "a",
		 "/app/node_modules"},
		{"/usr/share/nodejs/acorn/package.json", HOSTDEP_NODE, "acorn",
		 "/usr/share/nodejs"},
		{"/app/node_modules/left-pad.js", HOSTDEP_NODE, "left-pad", "/app/node_modules"},
		/* Not packages. */
		{"/usr/lib/python3/dist-packages", 0, NULL, NULL},
		{"/usr/lib/python3/dist-packages/", 0, NULL, NULL},
		{"/usr/lib/python3/dist-packages/easy-install.pth", 0, NULL, NULL},
		{"/usr/lib/python3/dist-packages/__pycache__", 0, NULL, NULL},
		{"/app/node_modules/.bin/tsc", 0, NULL, NULL},
		{"/app/node_modules/@scope", 0, NULL, NULL},
		{"/usr/lib/python3.11/os.py", 0, NULL, NULL},
		{"/etc/hosts", 0, NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		enum hostdep_kind kind = 99;
		char *name = NULL, *dir = NULL;
		int r = hostdeps__package_of(rows[i].path, &kind, &name, &dir);

		if (!rows[i].name) {
			if (r != 0 || name || dir)
				fail_msg("%s: a package (%s in %s), want none", rows[i].path,
					 name ? name : "?", dir ? dir : "?");
			continue;
		}
		if (r != 1)
			fail_msg("%s: no package, want %s", rows[i].path, rows[i].name);
		assert_string_equal(name, rows[i].name);
		assert_string_equal(dir, rows[i].dir);
		assert_int_equal(kind, rows[i].kind);
		free(name);
		free(dir);
	}
}

/*
 * A host under a temp root R: R/usr/lib/python3.11/lib-dynload/_x.so needs libdep.so.1,
 * which needs libdeep.so.1; R/usr/bin/tool (a host program) needs libtool.so.0; libstray.so.2
 * is mapped and needed by none of them; a dist-packages with a package, its metadata, a .pth
 * hook and the hook's private module; a mapped data file. The tree is R/tree.
 */
struct fx {
	char root[PATH_MAX];
	char tree[PATH_MAX + 8];
	struct tree *t;
	struct profile *p;
	struct hostdeps *h;
	bool have_cc;
};

static void add(struct fx *f, const char *rel, uint32_t kinds, uint64_t size, uint32_t mode)
{
	struct profile_entry e = {.kinds = kinds,
				  .count = 1,
				  .flags = SLZ_EVF_PATH_ONLY,
				  .size = size,
				  .mode = mode,
				  .syscall_nr = -1};
	char path[PATH_MAX * 2];

	/* An absolute rel is the host's own path; else below the temp root. */
	if (rel[0] == '/')
		snprintf(path, sizeof(path), "%s", rel);
	else
		snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	e.path = path;
	assert_int_equal(profile__add(f->p, &e), 0);
}

static int class_of(struct fx *f, const char *rel)
{
	char path[PATH_MAX * 2];

	if (rel[0] == '/')
		return hostdeps__entry_class(f->h, rel);
	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	return hostdeps__entry_class(f->h, path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *r;

	testfs__mkdtemp(f->root, sizeof(f->root), "hostdeps");
	r = f->root;
	snprintf(f->tree, sizeof(f->tree), "%s/tree", r);
	testfs__write(r, "tree/handler.py", "import pkg\n");
	testfs__write(r, "usr/lib/python3/dist-packages/pkg/__init__.py", "X = 1\n");
	testfs__write(r, "usr/lib/python3/dist-packages/pkg-1.0.dist-info/METADATA", "Name: pkg\n");
	testfs__write(r, "usr/lib/python3/dist-packages/hook.pth",
		      "import os; __import__('_hook').go()\n");
	testfs__write(r, "usr/lib/python3/dist-packages/_hook.py", "def go(): pass\n");
	testfs__write(r, "usr/lib/locale/archive", "not an object, mapped\n");
	f->have_cc = !system("command -v cc >/dev/null 2>&1");
	if (f->have_cc) {
		testfs__mkdirs(r, "usr/lib/python3.11/lib-dynload");
		testfs__mkdirs(r, "usr/bin");
		testfs__run("cd %s/usr/lib && printf 'int f(void){return 1;}\\n' > s.c && "
			    "cc -shared -fPIC -Wl,-soname,libdeep.so.1 -o libdeep.so.1.0 s.c && "
			    "ln -s libdeep.so.1.0 libdeep.so.1 && "
			    "cc -shared -fPIC -Wl,-soname,libdep.so.1 -o libdep.so.1.2.3 s.c "
			    "-Wl,--no-as-needed -L. -l:libdeep.so.1 && ln -s libdep.so.1.2.3 "
			    "libdep.so.1 && "
			    "cc -shared -fPIC -o python3.11/lib-dynload/_x.cpython-311.so s.c "
			    "-Wl,--no-as-needed -L. -l:libdep.so.1 && "
			    "cc -shared -fPIC -Wl,-soname,libtool.so.0 -o libtool.so.0 s.c && "
			    "cc -shared -fPIC -Wl,-soname,libstray.so.2 -o libstray.so.2.0 s.c && "
			    "printf 'int main(void){return 0;}\\n' > m.c && "
			    "cc -o ../bin/tool m.c -Wl,--no-as-needed -L. -l:libtool.so.0 && rm "
			    "s.c m.c",
			    r);
	}
	assert_int_equal(tree__open(f->tree, NULL, &f->t), 0);
	assert_int_equal(profile__new(&f->p), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hostdeps__free(f->h);
	profile__free(f->p);
	tree__free(f->t);
	testfs__rmtree(f->root);
	free(f);
	return 0;
}

static void classify(struct fx *f, bool inodes)
{
	assert_int_equal(hostdeps__new(f->t, &f->h), 0);
	assert_int_equal(hostdeps__add_profile(f->h, f->p, inodes), 0);
	assert_int_equal(hostdeps__classify(f->h), 0);
}

static void test_python_packages_and_site_hooks(void **state)
{
	struct fx *f = *state;
	const struct hostdep_package *pk;
	struct hostdeps_counts c;
	char dp[PATH_MAX * 2], *what = NULL;

	snprintf(dp, sizeof(dp), "%s/usr/lib/python3/dist-packages", f->root);
	add(f, "tree/handler.py", OPEN, 11, S_IFREG | 0644);
	add(f, "usr/lib/python3/dist-packages", OPEN | STAT, 0, S_IFDIR | 0755);
	add(f, "usr/lib/python3/dist-packages/hook.pth", OPEN, 36, S_IFREG | 0644);
	add(f, "usr/lib/python3/dist-packages/_hook.py", OPEN, 15, S_IFREG | 0644);
	add(f, "usr/lib/python3/dist-packages/pkg", OPEN | STAT, 0, S_IFDIR | 0755);
	add(f, "usr/lib/python3/dist-packages/pkg/__init__.py", OPEN, 6, S_IFREG | 0644);
	add(f, "usr/lib/python3/dist-packages/pkg-1.0.dist-info/METADATA", OPEN, 10,
	    S_IFREG | 0644);
	/* Failed lookups only: nothing was used. */
	add(f, "usr/lib/python3/dist-packages/absent.py", SLZ_KIND_MISSING, 0, 0);
	add(f, "/etc/hosts", OPEN, 100, S_IFREG | 0644);
	classify(f, false);

	assert_int_equal(class_of(f, "tree/handler.py"), -ENOENT); /* the tree's own */
	assert_int_equal(class_of(f, "usr/lib/python3/dist-packages/absent.py"), -ENOENT);
	assert_int_equal(class_of(f, "usr/lib/python3/dist-packages/pkg/__init__.py"),
			 HOSTDEP_PACKAGE);
	/* site's hook and its private module: the host's configuration, not the code's. */
	assert_int_equal(class_of(f, "usr/lib/python3/dist-packages/hook.pth"), HOSTDEP_OTHER);
	assert_int_equal(class_of(f, "usr/lib/python3/dist-packages/_hook.py"), HOSTDEP_OTHER);
	assert_int_equal(class_of(f, "/etc/hosts"), HOSTDEP_OTHER);

	/* pkg/ and pkg-1.0.dist-info are one package; the directory itself is not counted. */
	assert_int_equal(hostdeps__count(f->h), 1);
	pk = hostdeps__package(f->h, 0);
	assert_string_equal(pk->name, "pkg");
	assert_int_equal(pk->kind, HOSTDEP_PYTHON);
	assert_string_equal(pk->dir, dp);
	assert_int_equal(pk->files, 2);
	assert_int_equal(pk->bytes, 16);
	assert_true(strstr(pk->first_path, "/dist-packages/pkg") != NULL);
	assert_null(hostdeps__package(f->h, 1));
	assert_int_equal(hostdeps__ndirs(f->h), 1);
	assert_string_equal(hostdeps__dir(f->h, 0), dp);

	hostdeps__counts(f->h, &c);
	assert_int_equal(c.outside, 7);
	assert_int_equal(c.host, 3);
	assert_int_equal(c.other, 4);
	assert_int_equal(c.expected, 0);

	assert_int_equal(hostdeps__describe(f->h, 8, &what), 0);
	assert_non_null(strstr(what, "1 host package that Lambda lacks: pkg (from "));
	assert_non_null(strstr(what, dp));
	free(what);
	assert_int_equal(hostdeps__refuse(f->h), -ENOPKG);
	assert_non_null(strstr(slz_errmsg(), "--no-strict-host"));
	assert_non_null(strstr(slz_errmsg(), "pkg"));
}

static void test_shared_objects_by_needed(void **state)
{
	struct fx *f = *state;
	struct hostdeps_counts c;

	if (!f->have_cc)
		skip();
	add(f, "usr/lib/python3.11/lib-dynload/_x.cpython-311.so", OPEN | MMAP, 1, S_IFREG | 0755);
	/* The kernel names a mapped library by its file, not by the link ld.so opened. */
	add(f, "usr/lib/libdep.so.1.2.3", OPEN | MMAP, 1, S_IFREG | 0755);
	add(f, "usr/lib/libdeep.so.1.0", OPEN | MMAP, 1, S_IFREG | 0755);
	add(f, "usr/bin/tool", EXEC, 1, S_IFREG | 0755);
	add(f, "usr/lib/libtool.so.0", OPEN | MMAP, 1, S_IFREG | 0755);
	add(f, "usr/lib/libstray.so.2.0", OPEN | MMAP, 4, S_IFREG | 0755);
	add(f, "usr/lib/locale/archive", OPEN | MMAP, 1, S_IFREG | 0644);
	/* Gone from the host since, but named like a library: still one. */
	add(f, "usr/lib/libgone.so.3", OPEN | MMAP, 1, S_IFREG | 0755);
	classify(f, false);

	assert_int_equal(class_of(f, "usr/lib/python3.11/lib-dynload/_x.cpython-311.so"),
			 HOSTDEP_EXPECTED);
	/* Reached from the standard library, two levels deep: Lambda's runtime ships them. */
	assert_int_equal(class_of(f, "usr/lib/libdep.so.1.2.3"), HOSTDEP_EXPECTED);
	assert_int_equal(class_of(f, "usr/lib/libdeep.so.1.0"), HOSTDEP_EXPECTED);
	/* A host program and what only it needs: the host's tools. */
	assert_int_equal(class_of(f, "usr/bin/tool"), HOSTDEP_OTHER);
	assert_int_equal(class_of(f, "usr/lib/libtool.so.0"), HOSTDEP_OTHER);
	assert_int_equal(class_of(f, "usr/lib/locale/archive"), HOSTDEP_OTHER);
	assert_int_equal(class_of(f, "usr/lib/libstray.so.2.0"), HOSTDEP_PACKAGE);
	assert_int_equal(class_of(f, "usr/lib/libgone.so.3"), HOSTDEP_PACKAGE);

	/* Named by soname (else file name), sorted; not hidden: no package directory. */
	assert_int_equal(hostdeps__count(f->h), 2);
	assert_string_equal(hostdeps__package(f->h, 0)->name, "libgone.so.3");
	assert_string_equal(hostdeps__package(f->h, 1)->name, "libstray.so.2");
	assert_int_equal(hostdeps__package(f->h, 1)->kind, HOSTDEP_SHARED);
	assert_int_equal(hostdeps__package(f->h, 1)->bytes, 4);
	assert_non_null(strstr(hostdeps__package(f->h, 1)->dir, "/usr/lib"));
	assert_int_equal(hostdeps__ndirs(f->h), 0);
	hostdeps__counts(f->h, &c);
	assert_int_equal(c.expected, 3);
	assert_int_equal(c.other, 3);
	assert_int_equal(c.host, 2);
}

/* A file of the tree named by its inode (as this boot's recorder reports it) is the tree's. */
static void test_inode_of_a_tree_file(void **state)
{
	struct fx *f = *state;
	struct profile_entry e = {.kinds = OPEN, .count = 1, .syscall_nr = -1};
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/handler.py", f->tree);
	assert_int_equal(stat(path, &st), 0);
	/* Seen through another mount of the same filesystem: a path outside, the tree's inode. */
	e.path = "/mnt/elsewhere/site-packages/handler.py";
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	assert_int_equal(profile__add(f->p, &e), 0);
	classify(f, true);
	assert_int_equal(hostdeps__count(f->h), 0);
	assert_int_equal(hostdeps__entry_class(f->h, e.path), -ENOENT);
	hostdeps__free(f->h);
	/* From another boot, inodes mean nothing: judged by its path. */
	classify(f, false);
	assert_int_equal(hostdeps__count(f->h), 1);
	assert_string_equal(hostdeps__package(f->h, 0)->name, "handler");
}

static void test_empty_and_null(void **state)
{
	struct fx *f = *state;
	struct hostdeps_counts c;
	char *what = (char *)"x";

	classify(f, true);
	assert_int_equal(hostdeps__count(f->h), 0);
	assert_int_equal(hostdeps__refuse(f->h), 0);
	assert_int_equal(hostdeps__describe(f->h, 8, &what), 0);
	assert_null(what);
	hostdeps__counts(NULL, &c);
	assert_int_equal(c.outside, 0);
	assert_int_equal(hostdeps__count(NULL), 0);
	assert_int_equal(hostdeps__ndirs(NULL), 0);
	assert_int_equal(hostdeps__refuse(NULL), 0);
	hostdeps__free(NULL);
}

/* hostdeps__tree_package over a table: kind, name, container and own directory per path. */
struct tree_row {
	const char *path;
	enum hostdep_kind kind;
	const char *name, *container, *root; /* container, root: "" for none */
};

static void check_tree_rows(const struct tree *t, const struct tree_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct tree_package tp;

		assert_int_equal(hostdeps__tree_package(t, rows[i].path, &tp), 0);
		if (tp.kind != rows[i].kind)
			fail_msg("%s: kind %s, want %s", rows[i].path, hostdeps__kind_name(tp.kind),
				 hostdeps__kind_name(rows[i].kind));
		assert_true(tp.name >= rows[i].path &&
			    tp.name + tp.name_len <= rows[i].path + strlen(rows[i].path));
		if (tp.name_len != strlen(rows[i].name) ||
		    memcmp(tp.name, rows[i].name, tp.name_len))
			fail_msg("%s: name '%.*s', want '%s'", rows[i].path, (int)tp.name_len,
				 tp.name, rows[i].name);
		if (tp.container_len != strlen(rows[i].container) ||
		    memcmp(rows[i].path, rows[i].container, tp.container_len))
			fail_msg("%s: container '%.*s', want '%s'", rows[i].path,
				 (int)tp.container_len, rows[i].path, rows[i].container);
		if (tp.root_len != strlen(rows[i].root) ||
		    memcmp(rows[i].path, rows[i].root, tp.root_len))
			fail_msg("%s: root '%.*s', want '%s'", rows[i].path, (int)tp.root_len,
				 rows[i].path, rows[i].root);
	}
}

static void test_tree_package_table(void **state)
{
	static const struct tree_row rows[] = {
		/* Below a package directory: the host rules, and the package's own directory. */
		{"python/lib/python3.11/site-packages/yaml/nodes.py", HOSTDEP_PYTHON, "yaml",
		 "python/lib/python3.11/site-packages", "python/lib/python3.11/site-packages/yaml"},
		{"python/lib/python3.11/site-packages/six.py", HOSTDEP_PYTHON, "six",
		 "python/lib/python3.11/site-packages", ""},
		{"python/lib/python3.11/site-packages/PyYAML-6.0.dist-info/RECORD", HOSTDEP_PYTHON,
		 "PyYAML", "python/lib/python3.11/site-packages",
		 "python/lib/python3.11/site-packages/PyYAML-6.0.dist-info"},
		{"node_modules/lodash/fp/map.js", HOSTDEP_NODE, "lodash", "node_modules",
		 "node_modules/lodash"},
		{"node_modules/@aws-sdk/client-s3/dist/index.js", HOSTDEP_NODE,
		 "@aws-sdk/client-s3", "node_modules", "node_modules/@aws-sdk/client-s3"},
		/* Nested node_modules travel with the package that holds them. */
		{"node_modules/a/node_modules/@s/b/index.js", HOSTDEP_NODE, "a", "node_modules",
		 "node_modules/a"},
		{"node_modules/left-pad.js", HOSTDEP_NODE, "left-pad", "node_modules", ""},
		{"nodejs/node_modules/chalk/index.js", HOSTDEP_NODE, "chalk", "nodejs/node_modules",
		 "nodejs/node_modules/chalk"},
		/* The tree's top: modules, their bytecode and metadata by the module's name. */
		{"six.py", HOSTDEP_PYTHON, "six", "", ""},
		{"__pycache__/six.cpython-311.pyc", HOSTDEP_PYTHON, "six", "", ""},
		{"six-1.16.0.dist-info/RECORD", HOSTDEP_PYTHON, "six", "", "six-1.16.0.dist-info"},
		{"PyYAML-6.0.egg-info/top_level.txt", HOSTDEP_PYTHON, "PyYAML", "",
		 "PyYAML-6.0.egg-info"},
		{"_yaml.cpython-311-x86_64-linux-gnu.so", HOSTDEP_PYTHON, "_yaml", "", ""},
		{"handler.py", HOSTDEP_PYTHON, "handler", "", ""},
		/* lib/ is one package; other top directories and files are their own. */
		{"lib/libyaml-0.so.2", HOSTDEP_LIB, "lib", "", "lib"},
		{"lib64/x/y.so", HOSTDEP_LIB, "lib64", "", "lib64"},
		{"templates/index.html", HOSTDEP_TOP_DIR, "templates", "", "templates"},
		{"node_modules/.bin/tsc", HOSTDEP_TOP_DIR, "node_modules", "", "node_modules"},
		{"__pycache__/a/b.pyc", HOSTDEP_TOP_DIR, "__pycache__", "", "__pycache__"},
		{"package.json", HOSTDEP_TOP_FILE, "package.json", "", ""},
		{"libfoo.so", HOSTDEP_TOP_FILE, "libfoo.so", "", ""},
		{"lib", HOSTDEP_TOP_FILE, "lib", "", ""},
		/* Without a tree, a top directory is not known to be a Python package. */
		{"yaml/nodes.py", HOSTDEP_TOP_DIR, "yaml", "", "yaml"},
	};
	struct tree_package tp;

	check_tree_rows(NULL, rows, ARRAY_SIZE(rows));
	assert_int_equal(hostdeps__tree_package(NULL, "", &tp), -EINVAL);
	assert_int_equal(hostdeps__tree_package(NULL, "/etc/hosts", &tp), -EINVAL);
}

/* With the tree: a top directory holding __init__.py is a Python package, even lib/. */
static void test_tree_package_in_a_tree(void **state)
{
	static const struct tree_row rows[] = {
		{"yaml/nodes.py", HOSTDEP_PYTHON, "yaml", "", "yaml"},
		{"yaml/__pycache__/nodes.cpython-311.pyc", HOSTDEP_PYTHON, "yaml", "", "yaml"},
		{"lib/util.py", HOSTDEP_PYTHON, "lib", "", "lib"},
		{"data/x.txt", HOSTDEP_TOP_DIR, "data", "", "data"},
	};
	char dir[PATH_MAX];
	struct tree *t;

	testfs__mkdtemp(dir, sizeof(dir), "tpkg");
	testfs__mkdir(dir, "yaml");
	testfs__write(dir, "yaml/__init__.py", "");
	testfs__write(dir, "yaml/nodes.py", "");
	testfs__mkdir(dir, "lib");
	testfs__write(dir, "lib/__init__.py", "");
	testfs__mkdir(dir, "data");
	testfs__write(dir, "data/x.txt", "x");
	assert_int_equal(tree__open(dir, NULL, &t), 0);
	check_tree_rows(t, rows, ARRAY_SIZE(rows));
	tree__free(t);
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_table),
		cmocka_unit_test(test_package_table),
		cmocka_unit_test(test_tree_package_table),
		cmocka_unit_test(test_tree_package_in_a_tree),
		cmocka_unit_test_setup_teardown(test_python_packages_and_site_hooks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_objects_by_needed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inode_of_a_tree_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_null, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
