// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* units__group: a plan's kept files as the units that move whole into a layer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testfs.h"
#include "tree_fixture.h"
#include "units.h"
#include "util.h"

static const char *const files[][2] = {
	{"app.py", "import yaml\n"},
	{"__pycache__/app.cpython-311.pyc", "pyc"},
	{"__pycache__/other.cpython-311.pyc", "pyc of a module that is not kept"},
	{"yaml/__init__.py", "X = 1\n"},
	{"yaml/__pycache__/__init__.cpython-311.pyc", "pyc"},
	{"PyYAML-6.0.egg-info/top_level.txt", "_yaml\nyaml\n"},
	{"PyYAML-6.0.egg-info/PKG-INFO", "Name: PyYAML\n"},
	{"requests/__init__.py", "R = 1\n"},
	{"requests-2.28.1.dist-info/RECORD", "requests/__init__.py,sha256=x,6\n"},
	{"certifi/core.py", "C = 1\n"}, /* a namespace-style package: no __init__.py */
	{"certifi-2022.9.dist-info/METADATA", "Name: certifi\n"},
	{"six.py", "S = 1\n"},
	{"data/table.txt", "data stays with the function\n"},
	{"node_modules/chalk/package.json",
	 "{\"dependencies\":{\"ansi-styles\":\"^4\",\"absent\":\"1\"}}"},
	{"node_modules/chalk/index.js", "require('ansi-styles')"},
	{"node_modules/ansi-styles/package.json", "{}"},
	{"node_modules/ansi-styles/index.js", "x"},
	{"node_modules/@s/p/package.json", "{\"dependencies\":{\"nested\":\"1\",\"chalk\":\"4\"}}"},
	{"node_modules/@s/p/index.js", "require('nested')"},
	{"node_modules/@s/p/node_modules/nested/package.json", "{\"dependencies\":{\"ms\":\"2\"}}"},
	{"node_modules/@s/p/node_modules/nested/index.js", "require('ms')"},
	{"node_modules/ms/package.json", "{}"},
	{"node_modules/ms/index.js", "ms"},
	{"lib/libplain.so.1", "not even ELF: moves"},
};

struct fx {
	char dir[PATH_MAX];
	struct tree *t;
	struct keepset *k;
	struct units *u;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "units");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		testfs__write(f->dir, files[i][0], files[i][1]);
	testfs__symlink(f->dir, "lib/libplain.so", "libplain.so.1");
	testfs__mkdirs(f->dir, "node_modules/.bin");
	testfs__symlink(f->dir, "node_modules/.bin/p", "../@s/p/index.js");
	/* libpinned finds libdep through $ORIGIN: moved to /opt/lib it would not load. */
	testfs__run("cd %s/lib && printf 'int d(void){return 1;}\\n' > d.c && "
		    "printf 'int d(void); int p(void){return d();}\\n' > p.c && "
		    "cc -shared -fPIC -Wl,-soname,libdep.so -o libdep.so d.c && "
		    "cc -shared -fPIC -o libpinned.so p.c -L. -ldep "
		    "-Wl,--enable-new-dtags,-rpath,'$ORIGIN' && rm d.c p.c",
		    f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	units__free(f->u);
	tree_fixture__close(f->dir, f->t, f->k);
	free(f);
	return 0;
}

/* Keep every entry but the ones named. */
static void keep_all(struct fx *f, const char *const *except, size_t n)
{
	assert_int_equal(tree__open(f->dir, NULL, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
	for (uint32_t i = 1; i < tree__count(f->t); i++) {
		struct tree_entry e;
		bool skip = false;

		assert_int_equal(tree__get(f->t, i, &e), 0);
		for (size_t x = 0; x < n; x++)
			skip |= !strcmp(e.path, except[x]);
		if (!skip)
			assert_int_equal(keepset__add(f->k, i, KEEP_OPENED, 0, NULL), 0);
	}
}

static const struct unit *find(const struct units *u, const char *key)
{
	for (size_t i = 0; i < units__count(u); i++)
		if (!strcmp(units__get(u, i)->key, key))
			return units__get(u, i);
	return NULL;
}

static size_t index_of(const struct units *u, const char *key)
{
	for (size_t i = 0; i < units__count(u); i++)
		if (!strcmp(units__get(u, i)->key, key))
			return i;
	fail_msg("no unit %s", key);
	return 0;
}

static const char *owner(const struct fx *f, const char *rel)
{
	int64_t o = units__owner(f->u, tree_fixture__idx(f->t, rel));

	return o < 0 ? "-" : units__get(f->u, (size_t)o)->key;
}

static void test_grouping(void **state)
{
	struct fx *f = *state;
	const char *except[] = {"__pycache__/other.cpython-311.pyc"};
	const struct unit *x;

	keep_all(f, except, ARRAY_SIZE(except));
	assert_int_equal(units__group(f->k, &f->u), 0);

	/* A package with its __pycache__ and its metadata found by top_level.txt. */
	assert_string_equal(owner(f, "yaml"), "py-package:yaml");
	assert_string_equal(owner(f, "yaml/__pycache__/__init__.cpython-311.pyc"),
			    "py-package:yaml");
	assert_string_equal(owner(f, "PyYAML-6.0.egg-info"), "py-package:yaml");
	assert_string_equal(owner(f, "PyYAML-6.0.egg-info/PKG-INFO"), "py-package:yaml");
	/* by RECORD, and by the distribution's name */
	assert_string_equal(owner(f, "requests-2.28.1.dist-info/RECORD"), "py-package:requests");
	assert_string_equal(owner(f, "certifi-2022.9.dist-info/METADATA"), "py-package:certifi");
	assert_string_equal(owner(f, "certifi/core.py"), "py-package:certifi");
	/* A top-level module with its bytecode. */
	assert_string_equal(owner(f, "app.py"), "py-module:app");
	assert_string_equal(owner(f, "__pycache__/app.cpython-311.pyc"), "py-module:app");
	assert_string_equal(owner(f, "six.py"), "py-module:six");
	/* What stays in the function. */
	assert_string_equal(owner(f, "data/table.txt"), "-");
	assert_string_equal(owner(f, "data"), "-");
	assert_string_equal(owner(f, "__pycache__"), "-");
	assert_string_equal(owner(f, "node_modules"), "-");
	assert_string_equal(owner(f, "node_modules/@s"), "-");
	assert_string_equal(owner(f, "node_modules/.bin/p"), "-");
	assert_string_equal(owner(f, "lib"), "-");

	/* Node packages, a scoped one whole with its nested node_modules. */
	assert_string_equal(owner(f, "node_modules/@s/p/node_modules/nested/index.js"),
			    "node:node_modules/@s/p");
	x = find(f->u, "node:node_modules/@s/p");
	assert_string_equal(x->name, "@s/p");
	/* It requires chalk itself and ms through its nested package; nested is its own. */
	assert_int_equal(x->ndeps, 2);
	assert_true((x->deps[0] == index_of(f->u, "node:node_modules/chalk") &&
		     x->deps[1] == index_of(f->u, "node:node_modules/ms")) ||
		    (x->deps[1] == index_of(f->u, "node:node_modules/chalk") &&
		     x->deps[0] == index_of(f->u, "node:node_modules/ms")));
	x = find(f->u, "node:node_modules/chalk");
	/* absent is not in the tree: only what is present counts. */
	assert_int_equal(x->ndeps, 1);
	assert_int_equal(x->deps[0], index_of(f->u, "node:node_modules/ansi-styles"));
	assert_int_equal(x->files, 2);

	/* Shared objects: a link joins what it leads to; one found through $ORIGIN stays. */
	assert_string_equal(owner(f, "lib/libplain.so"), "shared-object:lib/libplain.so.1");
	assert_string_equal(owner(f, "lib/libdep.so"), "shared-object:lib/libdep.so");
	assert_string_equal(owner(f, "lib/libpinned.so"), "-");
	assert_null(find(f->u, "shared-object:lib/libpinned.so"));
	x = find(f->u, "shared-object:lib/libplain.so.1");
	assert_int_equal(x->nentries, 2);
	assert_int_equal(x->files, 1);
	assert_int_equal(x->bytes, strlen("not even ELF: moves"));
	assert_string_equal(unit_kind__name(x->kind), "shared-object");
	assert_int_equal(strlen(x->hash), UNIT_HASH_LEN);
}

/* The hash is of what is kept: another set of kept files, or other bytes, is another unit. */
static void test_identity(void **state)
{
	struct fx *f = *state;
	char yaml[UNIT_HASH_LEN + 1], req[UNIT_HASH_LEN + 1];
	const char *fewer[] = {"yaml/__pycache__/__init__.cpython-311.pyc"};

	keep_all(f, NULL, 0);
	assert_int_equal(units__group(f->k, &f->u), 0);
	snprintf(yaml, sizeof(yaml), "%s", find(f->u, "py-package:yaml")->hash);
	snprintf(req, sizeof(req), "%s", find(f->u, "py-package:requests")->hash);
	units__free(f->u);
	f->u = NULL;
	/* The same tree grouped again: the same hashes. */
	assert_int_equal(units__group(f->k, &f->u), 0);
	assert_string_equal(find(f->u, "py-package:yaml")->hash, yaml);
	units__free(f->u);
	f->u = NULL;
	tree__free(f->t);
	keepset__free(f->k);
	f->t = NULL;
	f->k = NULL;

	keep_all(f, fewer, ARRAY_SIZE(fewer));
	assert_int_equal(units__group(f->k, &f->u), 0);
	assert_string_not_equal(find(f->u, "py-package:yaml")->hash, yaml);
	assert_string_equal(find(f->u, "py-package:requests")->hash, req);
	units__free(f->u);
	f->u = NULL;
	tree__free(f->t);
	keepset__free(f->k);
	f->t = NULL;
	f->k = NULL;

	/* Another version: same size, other bytes. */
	testfs__write(f->dir, "requests/__init__.py", "R = 2\n");
	keep_all(f, NULL, 0);
	assert_int_equal(units__group(f->k, &f->u), 0);
	assert_string_not_equal(find(f->u, "py-package:requests")->hash, req);
	units__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
