// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* layer__write_zip: Lambda's layout, the same bytes on every run, no staging left behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "layer_zip.h"
#include "testfs.h"
#include "tree_fixture.h"
#include "util.h"

static const char *const used[] = {"yaml/__init__.py", "yaml/__pycache__/__init__.cpython-311.pyc",
				   "lib/libx.so.1", "lib/libx.so", "node_modules/ms/index.js"};

static void names(const char *zip, char *buf, size_t len)
{
	int zerr = 0;
	zip_t *za = zip_open(zip, ZIP_RDONLY, &zerr);
	size_t used_len = 0;

	assert_non_null(za);
	buf[0] = '\0';
	for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++)
		used_len += (size_t)snprintf(buf + used_len, len - used_len, "%s ",
					     zip_get_name(za, (zip_uint64_t)i, 0));
	zip_close(za);
}

static void test_layout_and_bytes(void **state)
{
	char dir[PATH_MAX], tree[PATH_MAX + 8], out[PATH_MAX + 16], list[1024];
	struct tree *t[2] = {0};
	struct keepset *k[2] = {0};
	struct units *u[2] = {0};
	struct layer_fn_in in[2];
	struct layer_choice c = {0};
	struct zipwrite_opts zo;
	struct zipwrite_stats st = {0};
	char *first, *second;
	size_t n1, n2;
	DIR *d;
	struct dirent *de;

	(void)state;
	testfs__mkdtemp(dir, sizeof(dir), "layerzip");
	testfs__mkdir(dir, "t");
	testfs__mkdir(dir, "out");
	snprintf(tree, sizeof(tree), "%s/t", dir);
	testfs__write(tree, "yaml/__init__.py", "Y = 1\n");
	testfs__write(tree, "yaml/__pycache__/__init__.cpython-311.pyc", "pyc");
	testfs__write(tree, "lib/libx.so.1", "so");
	testfs__symlink(tree, "lib/libx.so", "libx.so.1");
	testfs__write(tree, "node_modules/ms/index.js", "ms");
	for (size_t f = 0; f < 2; f++) {
		assert_int_equal(tree__open(tree, NULL, &t[f]), 0);
		assert_int_equal(keepset__new(t[f], &k[f]), 0);
		for (size_t i = 0; i < ARRAY_SIZE(used); i++)
			assert_int_equal(keepset__add(k[f], tree_fixture__idx(t[f], used[i]),
						      KEEP_OPENED, 0, NULL),
					 0);
		assert_int_equal(keepset__complete_dirs(k[f]), 0);
		assert_int_equal(units__group(k[f], &u[f]), 0);
		in[f] = (struct layer_fn_in){.name = "f", .runtime = "python3.12", .units = u[f]};
	}
	assert_int_equal(
		layer__choose(in, 2, &(struct layer_choice_opts){2, LAYER_MAX_UNZIPPED, 5}, &c), 0);
	assert_int_equal(c.nlayers, 1);
	zipwrite__default_opts(&zo);
	zo.comment = "{\"slimzip-layer\":\"python\"}";
	snprintf(out, sizeof(out), "%s/out/python.zip", dir);
	assert_int_equal(layer__write_zip(&c.layers[0], out, &zo, &st), 0);
	first = testfs__read(out, &n1);
	names(out, list, sizeof(list));
	/* Python under python/, the object and its link under lib/; a node package of a python
	 * function has no place in the python layer. */
	assert_string_equal(list, "lib/ lib/libx.so lib/libx.so.1 python/ python/yaml/ "
				  "python/yaml/__init__.py python/yaml/__pycache__/ "
				  "python/yaml/__pycache__/__init__.cpython-311.pyc ");
	assert_int_equal(st.files, 3);
	assert_int_equal(st.symlinks, 1);
	sleep(1); /* a staging directory made later must not change a byte */
	assert_int_equal(layer__write_zip(&c.layers[0], out, &zo, NULL), 0);
	second = testfs__read(out, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(first, second, n1);
	/* Nothing but the zip is left beside it. */
	snprintf(out, sizeof(out), "%s/out", dir);
	d = opendir(out);
	assert_non_null(d);
	while ((de = readdir(d)))
		assert_true(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    !strcmp(de->d_name, "python.zip"));
	closedir(d);
	free(first);
	first = layer__path(UNIT_NODE_PACKAGE, "node_modules/ms");
	assert_string_equal(first, "nodejs/node_modules/ms");

	free(first);
	free(second);
	layer_choice__release(&c);
	for (size_t f = 0; f < 2; f++) {
		units__free(u[f]);
		keepset__free(k[f]);
		tree__free(t[f]);
	}
	testfs__rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
