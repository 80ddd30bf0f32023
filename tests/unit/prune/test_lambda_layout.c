// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lambda's layout (prune/lambda_layout.h), the one mapping layer zips and verify --layer
 * share: which /opt areas serve a tree path, its path there, and the files a Handler names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_layout.h"

static void check_areas(const char *rel, size_t n, enum lambda_area a0, enum lambda_area a1)
{
	enum lambda_area got[2];

	assert_int_equal(lambda_layout__areas(rel, got), n);
	assert_int_equal(got[0], a0);
	if (n > 1)
		assert_int_equal(got[1], a1);
}

static void areas(void **state)
{
	(void)state;
	check_areas("node_modules/left-pad/index.js", 1, LAMBDA_NODE, 0);
	check_areas("node_modules", 1, LAMBDA_NODE, 0);
	/* Only by whole components: node_modulesx is a Python module's name. */
	check_areas("node_modulesx/a.py", 1, LAMBDA_PYTHON, 0);
	check_areas("lib/libyaml.so.0", 2, LAMBDA_OPT, LAMBDA_PYTHON);
	check_areas("lib", 2, LAMBDA_OPT, LAMBDA_PYTHON);
	check_areas("bin/tool", 2, LAMBDA_OPT, LAMBDA_PYTHON);
	check_areas("library/x.py", 1, LAMBDA_PYTHON, 0);
	check_areas("yaml/__init__.py", 1, LAMBDA_PYTHON, 0);
}

static void inner(void **state)
{
	(void)state;
	assert_string_equal(lambda_layout__inner(LAMBDA_NODE, "node_modules/a/b.js"), "a/b.js");
	assert_string_equal(lambda_layout__inner(LAMBDA_NODE, "node_modules"), ".");
	assert_string_equal(lambda_layout__inner(LAMBDA_PYTHON, "lib/a.py"), "lib/a.py");
	assert_string_equal(lambda_layout__inner(LAMBDA_OPT, "lib/x.so"), "lib/x.so");
}

static void layer_path(enum lambda_area a, const char *rel, const char *want)
{
	char *got = lambda_layout__layer_path(a, rel);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void layer_paths(void **state)
{
	(void)state;
	layer_path(LAMBDA_PYTHON, "yaml/__init__.py", "python/yaml/__init__.py");
	/* A Python package named lib goes to python/, as its unit says, not /opt/lib. */
	layer_path(LAMBDA_PYTHON, "lib/a.py", "python/lib/a.py");
	layer_path(LAMBDA_NODE, "node_modules/a/index.js", "nodejs/node_modules/a/index.js");
	layer_path(LAMBDA_NODE, "src/a.js", NULL);
	layer_path(LAMBDA_NODE, "node_modules", NULL);
	layer_path(LAMBDA_OPT, "lib/libyaml.so.0", "lib/libyaml.so.0");
}

static void handler(const char *h, const char *runtime, int n, const char *w0, const char *w1,
		    const char *w2)
{
	char *got[LAMBDA_HANDLER_FILES];
	const char *want[] = {w0, w1, w2};

	assert_int_equal(lambda_layout__handler_files(h, runtime, got), n);
	for (int i = 0; i < n; i++) {
		assert_string_equal(got[i], want[i]);
		free(got[i]);
	}
}

static void handlers(void **state)
{
	(void)state;
	handler("app.lambda_handler", "python3.12", 1, "app.py", NULL, NULL);
	handler("pkg.mod.handler", "python3.12", 1, "pkg/mod.py", NULL, NULL);
	handler("src/app.handler", "python3.11", 1, "src/app.py", NULL, NULL);
	handler("src/app.handler", "nodejs20.x", 3, "src/app.js", "src/app.mjs", "src/app.cjs");
	/* Node keeps the module's dots: app.v2.handler is app.v2.js. */
	handler("app.v2.handler", "nodejs18.x", 3, "app.v2.js", "app.v2.mjs", "app.v2.cjs");
	handler("app.handler", NULL, 3, "app.py", "app.js", "app.mjs");
	handler("nodot", "python3.12", 0, NULL, NULL, NULL);
	handler(".handler", "python3.12", 0, NULL, NULL, NULL);
	handler("app.", "python3.12", 0, NULL, NULL, NULL);
	handler(NULL, "python3.12", 0, NULL, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(areas),
		cmocka_unit_test(inner),
		cmocka_unit_test(layer_paths),
		cmocka_unit_test(handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
