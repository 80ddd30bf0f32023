// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* layer__choose: which units a shared layer gets, under min-users, closures and the limits. */
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

#include "layer_choice.h"
#include "testfs.h"
#include "tree_fixture.h"
#include "util.h"

#define NFN 6

/* What each function keeps, in one of three trees: a, b (requests at another version), n. */
static const char *const kept[NFN][4] = {
	{"a", "yaml/__init__.py", "requests/__init__.py", NULL},
	{"a", "requests/__init__.py", NULL},
	{"a", "yaml/__init__.py", "app.py", NULL},
	{"b", "requests/__init__.py", NULL},
	/* chalk is the same in both; what it requires is not: chalk cannot be shared. */
	{"n", "node_modules/chalk/index.js", "node_modules/ansi-styles/index.js", NULL},
	{"n2", "node_modules/chalk/index.js", "node_modules/ansi-styles/index.js", NULL},
};

struct fx {
	char dir[PATH_MAX];
	struct tree *t[NFN];
	struct keepset *k[NFN];
	struct units *u[NFN];
	struct layer_fn_in in[NFN];
	struct layer_choice c;
};

static void tree_files(const char *root, const char *name, const char *requests, const char *ansi)
{
	char d[PATH_MAX + 8];

	testfs__mkdir(root, name);
	snprintf(d, sizeof(d), "%s/%s", root, name);
	testfs__write(d, "yaml/__init__.py", "Y = 1\n");
	testfs__write(d, "requests/__init__.py", requests);
	testfs__write(d, "app.py", "import yaml\n");
	testfs__write(d, "node_modules/chalk/package.json",
		      "{\"dependencies\":{\"ansi-styles\":\"4\"}}");
	testfs__write(d, "node_modules/chalk/index.js", "require('ansi-styles')");
	testfs__write(d, "node_modules/ansi-styles/index.js", ansi);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char d[PATH_MAX + 8];

	testfs__mkdtemp(f->dir, sizeof(f->dir), "choice");
	tree_files(f->dir, "a", "R = 1\n", "A");
	tree_files(f->dir, "b", "R = 2\n", "A");
	tree_files(f->dir, "n", "R = 1\n", "ansi 4.3");
	tree_files(f->dir, "n2", "R = 1\n", "ansi 4.2");
	for (size_t i = 0; i < NFN; i++) {
		snprintf(d, sizeof(d), "%s/%s", f->dir, kept[i][0]);
		assert_int_equal(tree__open(d, NULL, &f->t[i]), 0);
		assert_int_equal(keepset__new(f->t[i], &f->k[i]), 0);
		for (size_t j = 1; j < 4 && kept[i][j]; j++)
			assert_int_equal(keepset__add(f->k[i],
						      tree_fixture__idx(f->t[i], kept[i][j]),
						      KEEP_OPENED, 0, NULL),
					 0);
		assert_int_equal(keepset__complete_dirs(f->k[i]), 0);
		assert_int_equal(units__group(f->k[i], &f->u[i]), 0);
		f->in[i] = (struct layer_fn_in){.name = kept[i][1], .units = f->u[i], .bytes = 100};
	}
	f->in[4].runtime = "nodejs20.x";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	layer_choice__release(&f->c);
	for (size_t i = 0; i < NFN; i++) {
		units__free(f->u[i]);
		keepset__free(f->k[i]);
		tree__free(f->t[i]);
	}
	testfs__rmtree(f->dir);
	free(f);
	return 0;
}

static const struct layer_choice_opts defaults = {
	.min_users = 2, .max_unzipped = LAYER_MAX_UNZIPPED, .max_layers = LAYER_MAX_LAYERS};

static bool has(const struct layer_def *L, const char *key, size_t from)
{
	for (size_t i = 0; i < L->n; i++)
		if (!strcmp(L->units[i].unit->key, key) && L->units[i].from == from)
			return true;
	return false;
}

static void test_shared(void **state)
{
	struct fx *f = *state;
	const struct layer_def *L;

	assert_int_equal(layer__choose(f->in, NFN, &defaults, &f->c), 0);
	/* Only python: chalk's closure is not shared, so Node gets no layer at all. */
	assert_int_equal(f->c.nlayers, 1);
	L = &f->c.layers[0];
	assert_string_equal(L->name, "python");
	assert_int_equal(L->n, 2);
	/* yaml by 0 and 2; requests of tree a by 0 and 1, not b's other version. */
	assert_true(has(L, "py-package:yaml", 0));
	assert_true(has(L, "py-package:requests", 0));
	assert_int_equal(L->units[1].nusers, 2);
	assert_int_equal(L->users, 3);
	assert_int_equal(L->bytes, strlen("Y = 1\n") + strlen("R = 1\n"));
	assert_int_equal(f->c.fns[0].state, LAYER_FN_IN);
	assert_int_equal(f->c.fns[0].moved_units, 2);
	assert_int_equal(f->c.fns[0].layer, 0);
	assert_int_equal(f->c.fns[2].moved_units, 1); /* app.py stays */
	assert_int_equal(f->c.fns[3].state, LAYER_FN_UNUSED);
	assert_int_equal(f->c.fns[3].layer, -1);
	/* Runtime from the key, or from what the function keeps. */
	assert_int_equal(f->c.fns[4].runtime, LAYER_NODEJS);
	assert_int_equal(f->c.fns[5].runtime, LAYER_NODEJS);
	assert_int_equal(f->c.fns[4].state, LAYER_FN_UNUSED);
	assert_int_equal(f->c.ndropped, 1);
	assert_string_equal(f->c.dropped[0].unit->key, "node:node_modules/chalk");
	assert_int_equal(f->c.dropped[0].reason, LAYER_DROP_CLOSURE);
	assert_int_equal(f->c.dropped[0].kept_by, 2);
}

/* Too big with the layer: left out, and what then has one user leaves the layer. */
static void test_too_big(void **state)
{
	struct fx *f = *state;
	struct layer_choice_opts o = defaults;

	f->in[2].bytes = 1000;
	o.max_unzipped = 500;
	assert_int_equal(layer__choose(f->in, NFN, &o, &f->c), 0);
	assert_int_equal(f->c.fns[2].state, LAYER_FN_TOO_BIG);
	assert_int_equal(f->c.fns[2].with_layer, 1000 - 6 + 12);
	assert_int_equal(f->c.fns[2].moved_units, 0);
	assert_int_equal(f->c.nlayers, 1);
	assert_int_equal(f->c.layers[0].n, 1);
	assert_true(has(&f->c.layers[0], "py-package:requests", 0));
	assert_false(f->c.fns[0].moved[0] && f->c.fns[0].moved[1]);
	assert_int_equal(f->c.ndropped, 2);
	assert_string_equal(f->c.dropped[0].unit->key, "py-package:yaml");
	assert_int_equal(f->c.dropped[0].reason, LAYER_DROP_LIMITS);
	assert_string_equal(layer_fn_state__name(f->c.fns[2].state), "too-big");
}

/* Five layers of its own: no room for ours. */
static void test_too_many_layers(void **state)
{
	struct fx *f = *state;

	f->in[1].own_layers = 5;
	assert_int_equal(layer__choose(f->in, NFN, &defaults, &f->c), 0);
	assert_int_equal(f->c.fns[1].state, LAYER_FN_TOO_MANY);
	assert_int_equal(f->c.layers[0].n, 1);
	assert_true(has(&f->c.layers[0], "py-package:yaml", 0));
	layer_choice__release(&f->c);

	/* min-users 3: yaml and requests have two each, nothing is shared. */
	f->in[1].own_layers = 0;
	assert_int_equal(layer__choose(f->in, NFN,
				       &(struct layer_choice_opts){3, LAYER_MAX_UNZIPPED, 5},
				       &f->c),
			 0);
	assert_int_equal(f->c.nlayers, 0);
	assert_int_equal(f->c.fns[0].state, LAYER_FN_UNUSED);
	layer_choice__release(&f->c);
	assert_int_equal(layer__choose(f->in, NFN,
				       &(struct layer_choice_opts){0, LAYER_MAX_UNZIPPED, 5},
				       &f->c),
			 -EINVAL);
	layer_choice__release(NULL);
}

/* A function's entry point stays with it: requests of function 1 is its script here. */
static void test_stays(void **state)
{
	struct fx *f = *state;
	bool stays[1] = {true};

	assert_int_equal(units__count(f->u[1]), 1);
	f->in[1].stays = stays;
	assert_int_equal(layer__choose(f->in, NFN, &defaults, &f->c), 0);
	assert_int_equal(f->c.layers[0].n, 1);
	assert_true(has(&f->c.layers[0], "py-package:yaml", 0));
	assert_int_equal(f->c.fns[1].state, LAYER_FN_UNUSED);
	assert_false(f->c.fns[1].moved[0]);
	/* Not offered, so not dropped either: one function keeps it to share. */
	assert_int_equal(f->c.ndropped, 1);
	assert_string_equal(f->c.dropped[0].unit->key, "node:node_modules/chalk");
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(layer_runtime__parse("python3.12"), LAYER_PYTHON);
	assert_int_equal(layer_runtime__parse("nodejs20.x"), LAYER_NODEJS);
	assert_int_equal(layer_runtime__parse("java21"), LAYER_NONE);
	assert_int_equal(layer_runtime__parse(NULL), LAYER_NONE);
	assert_string_equal(layer_runtime__name(LAYER_NODEJS), "nodejs");
	assert_string_equal(layer_drop_reason__name(LAYER_DROP_CLOSURE), "closure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stays, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
