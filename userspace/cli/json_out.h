/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A command's --json FILE: one JSON object through base/json.h, written whole or not at all. */
#ifndef SLIMZIP_CLI_JSON_OUT_H
#define SLIMZIP_CLI_JSON_OUT_H

#include "json.h"

/* Writes the object into w; returns json_writer__error(w) or another -errno. */
typedef int (*json_out_fn)(struct json_writer *w, const void *ctx);

/*
 * Write fill's object to path through atomic_file ("-": stdout, copied once complete). 0, or
 * -errno explained (naming path); nothing is left at path on failure.
 */
int json_out__write(const char *path, json_out_fn fill, const void *ctx);

#endif
