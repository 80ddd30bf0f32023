// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_layout.h"

static const char node_modules[] = "node_modules";

/* rel is top (a directory name) or lies below it. */
static bool at_or_below(const char *rel, const char *top)
{
	size_t n = strlen(top);

	return !strncmp(rel, top, n) && (rel[n] == '\0' || rel[n] == '/');
}

size_t lambda_layout__areas(const char *rel, enum lambda_area out[2])
{
	if (at_or_below(rel, node_modules)) {
		out[0] = LAMBDA_NODE;
		return 1;
	}
	if (at_or_below(rel, "lib") || at_or_below(rel, "bin")) {
		out[0] = LAMBDA_OPT;
		out[1] = LAMBDA_PYTHON;
		return 2;
	}
	out[0] = LAMBDA_PYTHON;
	return 1;
}

const char *lambda_layout__inner(enum lambda_area a, const char *rel)
{
	if (a != LAMBDA_NODE || !at_or_below(rel, node_modules))
		return rel;
	rel += sizeof(node_modules) - 1;
	return *rel ? rel + 1 : ".";
}

char *lambda_layout__layer_path(enum lambda_area a, const char *rel)
{
	char *out = NULL;

	switch (a) {
	case LAMBDA_PYTHON:
		return asprintf(&out, LAMBDA_PYTHON_DIR "/%s", rel) < 0 ? NULL : out;
	case LAMBDA_NODE:
		if (!at_or_below(rel, node_modules) || !rel[sizeof(node_modules) - 1])
			return NULL;
		return asprintf(&out, LAMBDA_NODE_DIR "/%s", lambda_layout__inner(a, rel)) < 0
			       ? NULL
			       : out;
	default:
		return strdup(rel);
	}
}

static int add(char *out[LAMBDA_HANDLER_FILES], int *n, const char *module, size_t len,
	       const char *ext, bool dots_are_dirs)
{
	char *p = NULL;

	if (*n >= LAMBDA_HANDLER_FILES || asprintf(&p, "%.*s%s", (int)len, module, ext) < 0)
		return -ENOMEM;
	for (size_t i = 0; dots_are_dirs && i < len; i++)
		if (p[i] == '.')
			p[i] = '/';
	out[(*n)++] = p;
	return 0;
}

int lambda_layout__handler_files(const char *handler, const char *runtime,
				 char *out[LAMBDA_HANDLER_FILES])
{
	const char *dot = handler ? strrchr(handler, '.') : NULL;
	bool py = !runtime || !strncmp(runtime, "python", 6);
	bool node = !runtime || !strncmp(runtime, "nodejs", 6);
	size_t len;
	int n = 0, err = 0;

	/* "module.function": a module before the last dot, a function after it. */
	if (!dot || dot == handler || !dot[1] || handler[0] == '/')
		return 0;
	len = (size_t)(dot - handler);
	/* Python imports the module: its dots are packages, as a '/' would be. */
	if (py && !node)
		err = add(out, &n, handler, len, ".py", true);
	else if (node && !py) {
		static const char *const exts[] = {".js", ".mjs", ".cjs"};

		for (size_t i = 0; !err && i < 3; i++)
			err = add(out, &n, handler, len, exts[i], false);
	} else {
		err = add(out, &n, handler, len, ".py", true);
		if (!err)
			err = add(out, &n, handler, len, ".js", false);
		if (!err)
			err = add(out, &n, handler, len, ".mjs", false);
	}
	if (err) {
		while (n)
			free(out[--n]);
		return -ENOMEM;
	}
	return n;
}
