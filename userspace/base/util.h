/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small shared helpers. Library code never prints: it returns 0 or -errno and leaves a one-line
 * human explanation in a thread-local buffer that the CLI layer shows.
 */
#ifndef SLIMZIP_UTIL_H
#define SLIMZIP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Record why the last library call failed; returns -err so callers can `return slz_fail(...)`. */
int slz_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The explanation of the last failure on this thread, "" when none was recorded. */
const char *slz_errmsg(void);
void slz_errclear(void);

/* Grow *buf (element size elem) so that it holds at least need elements. 0 or -ENOMEM. */
int slz_grow(void **buf, size_t *cap, size_t need, size_t elem);

/*
 * Atomic output: create a temp file beside dest, hand out a FILE*, and on commit fsync and
 * rename over dest. Abort (or a failed commit) unlinks the temp file: no partial output ever.
 */
struct atomic_file;
int atomic_file__open(const char *dest, struct atomic_file **out);
FILE *atomic_file__stream(struct atomic_file *af);
const char *atomic_file__temp_path(const struct atomic_file *af);
int atomic_file__commit(struct atomic_file *af);
void atomic_file__abort(struct atomic_file *af); /* NULL-safe */
/* Check, before any expensive work, that dest's directory accepts a new file. 0 or -errno. */
int atomic_file__check_writable(const char *dest);

/* 64-bit FNV-1a; stable across runs and machines. */
uint64_t slz_hash_bytes(const void *data, size_t len, uint64_t seed);
uint64_t slz_hash_u64(uint64_t v);

/*
 * A command line as a POSIX shell would read it back: arguments separated by spaces, each made
 * only of [A-Za-z0-9_./=:,+@%-] left bare, any other in single quotes (' as '\'', the empty
 * argument as ''). Returns a malloc'd string, or NULL when out of memory.
 */
char *slz_shell_join(char *const *argv);

/* Kernel dev_t encoding (major << 20 | minor) to the st_dev userspace sees. */
uint64_t slz_dev_to_user(uint64_t kdev);

#endif
