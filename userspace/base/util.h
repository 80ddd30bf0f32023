/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small shared helpers. Library code never prints: it returns 0 or -errno and leaves a one-line
 * human explanation in a thread-local buffer that the CLI layer shows.
 */
#ifndef SLIMZIP_UTIL_H
#define SLIMZIP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Record why the last library call failed; returns -err so callers can `return slz_fail(...)`.
 * The message may quote slz_errmsg() itself. It holds two whole PATH_MAX paths and the words
 * around them; a longer one (tree paths can be longer) loses its middle, marked "...", never
 * its end, where the cause and what to do are said.
 */
int slz_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* slz_fail() with a va_list, for functions that explain in their own words. */
int slz_vfail(int err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The explanation of the last failure on this thread, "" when none was recorded. */
const char *slz_errmsg(void);
void slz_errclear(void);

/* Grow *buf (element size elem) so that it holds at least need elements. 0 or -ENOMEM. */
int slz_grow(void **buf, size_t *cap, size_t need, size_t elem);

/*
 * Leftovers of a killed slimzip. A temp file or directory (or a cgroup) is named
 * "<prefix><pid>-<suffix>" (suffix: ASCII letters and digits) by the process that made it,
 * which holds an flock on it for as long as it uses it. A later run takes one for a leftover
 * only when its name has that form, that pid is gone, nobody holds the lock and the same user
 * owns it: a pid says nothing across pid namespaces (a writer in a container sharing the
 * directory has a pid of its own), a lock does. Nothing else is ever touched.
 */
/* The pid in name when it reads "<prefix><pid>-<suffix>"; 0 when it does not. */
pid_t owned__pid(const char *name, const char *prefix);
/* Take the owner's lock on fd (any open fd of the object) without waiting. 0 or -errno. */
int owned__lock(int fd);
/*
 * fn removes one leftover: dirfd/name is it, fd an O_RDONLY fd of it holding the lock, st its
 * fstat. Returns 0 when it removed it.
 */
typedef int (*owned_remove_fn)(int dirfd, const char *name, int fd, const struct stat *st,
			       void *ctx);
/*
 * Call fn on every leftover in dir named with prefix that is a regular file or a directory
 * (never a symlink, never a device). Returns how many fn removed, or -errno when dir cannot be
 * read. Leaves the thread's error message as it was: a sweep is housekeeping, not the work.
 */
int owned__sweep(const char *dir, const char *prefix, owned_remove_fn fn, void *ctx);
/*
 * owned__sweep() for leftovers that are directories, each removed by remove(its path, dir/name):
 * what the recorder's stale cgroups and verify's stale extraction directories share.
 */
int owned__sweep_dirs(const char *dir, const char *prefix, int (*remove)(const char *path));
/*
 * Make the directory "<parent>/<prefix><our pid>-XXXXXX" (mode 0700) and lock it: *path
 * (malloc'd) and *lock_fd, to keep open while the directory is in use.
 */
int owned__mkdtemp(const char *parent, const char *prefix, char **path, int *lock_fd);

/*
 * Atomic output: create a temp file beside dest, hand out a FILE*, and on commit fsync and
 * rename over dest. Abort (or a failed commit) unlinks the temp file: no partial output ever.
 * The temp is ".<dest's name>.tmp-<pid>-XXXXXX", locked while open (see owned__sweep): opening
 * one first removes the leftovers of killed writers of the same dest.
 *
 * dest "-" is stdout: the output is written to a nameless temp file in $TMPDIR (or /tmp) and
 * copied to stdout at commit, so a writer may still seek (the zip writer reads its central
 * directory back) and a failure before commit puts nothing on stdout. Only a failure while
 * copying (a closed pipe, a full disk behind a redirect) leaves stdout cut short; commit then
 * fails with the reason. A dest that exists and is neither a regular file nor a directory
 * (/dev/null, /dev/stdout, a FIFO) is written the same way and opened only at commit: a rename
 * would replace the device node itself. A FIFO is the exception to "only at commit": open
 * waits for its reader, as a shell's `> fifo` does, before the work rather than after it,
 * and holds it until commit; check_writable does not open it (a waiting reader would get an
 * end of stream at once), it only checks the permission.
 */
#define ATOMIC_FILE_STDOUT "-"
struct atomic_file;
int atomic_file__open(const char *dest, struct atomic_file **out);
FILE *atomic_file__stream(struct atomic_file *af);
const char *atomic_file__temp_path(const struct atomic_file *af);
int atomic_file__commit(struct atomic_file *af);
void atomic_file__abort(struct atomic_file *af); /* NULL-safe */
/* Check, before any expensive work, that dest's directory accepts a new file ("-": the temp
 * directory accepts one). 0 or -errno. */
int atomic_file__check_writable(const char *dest);

/* 64-bit FNV-1a; stable across runs and machines. */
uint64_t slz_hash_bytes(const void *data, size_t len, uint64_t seed);

/* The wall clock in milliseconds since 1970 (profile headers' start and end times). */
int64_t slz_unix_ms(void);
/* CLOCK_MONOTONIC in milliseconds (deadlines, lingers, intervals). */
uint64_t slz_mono_ms(void);
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
