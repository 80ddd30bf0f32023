/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Temp-tree helpers shared by the unit tests. Every helper fails the running cmocka test on
 * error, so fixtures need no error paths. Paths are root + "/" + rel; rel may hold slashes.
 */
#ifndef SLZ_TESTFS_H
#define SLZ_TESTFS_H

#include <stddef.h>

/* A fresh directory $TMPDIR/slz-<tag>-XXXXXX (or under /tmp); out receives its realpath. */
void testfs__mkdtemp(char *out, size_t len, const char *tag);
/* out = root/rel; fails the test on truncation. */
void testfs__path(char *out, size_t len, const char *root, const char *rel);
/* Write content (a string) to root/rel, creating missing parent directories; the file is 0644. */
void testfs__write(const char *root, const char *rel, const char *content);
/* The same with len bytes of data, which may hold NULs. */
void testfs__write_bytes(const char *root, const char *rel, const void *data, size_t len);
/* mkdir root/rel: it must not exist yet, its parent must. */
void testfs__mkdir(const char *root, const char *rel);
/* mkdir -p root/rel. */
void testfs__mkdirs(const char *root, const char *rel);
/* root/rel becomes a symlink to target, taken as it is. */
void testfs__symlink(const char *root, const char *rel, const char *target);
/* rm -rf dir, first making directories a test left unreadable accessible again. */
void testfs__rmtree(const char *dir);
/* The whole file, NUL-terminated, to free(); *len (if len) gets its size without the NUL. */
char *testfs__read(const char *path, size_t *len);
/* A small file (procfs, cgroupfs: at most 4 KiB) read into a static buffer, NUL-terminated;
 * valid until the next call. Fails the test when it cannot be read. */
char *testfs__slurp(const char *path);
/* Run a shell command; a nonzero exit status fails the test. */
void testfs__run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Return when running as root; otherwise skip the running test, or fail it with
 * "<why> needs root" when SLIMZIP_REQUIRE_BPF=1 (CI), so a test that cannot run is not lost.
 */
void testfs__require_root(const char *why);
/*
 * check(arg) without the power to bypass file modes (unreadable entries need such a caller):
 * as root, in a child that became nobody (uid and gid 65534, no groups), which reports through
 * its exit status; otherwise here. check must return 0; any other value (99: the child could
 * not become nobody) fails the test, so each expectation can be its own value.
 */
void testfs__as_nobody(int (*check)(void *arg), void *arg);

#endif
