// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "json_out.h"
#include "util.h"

int json_out__write(const char *path, json_out_fn fill, const void *ctx)
{
	struct atomic_file *af = NULL;
	struct json_writer *w = NULL;
	int err = atomic_file__open(path, &af);

	if (err)
		return err; /* explained: the file and why */
	err = json_writer__new(atomic_file__stream(af), &w);
	if (!err)
		err = fill(w, ctx);
	if (!err)
		err = json_writer__error(w);
	json_writer__free(w);
	if (err) {
		atomic_file__abort(af);
		return slz_fail(-err, "cannot write %s: %s", path, strerror(-err));
	}
	return atomic_file__commit(af);
}
