/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The static half of verify: can Lambda's unprivileged user use every entry of a zip? Lambda
 * extracts the zip as it is and runs the function as a user that owns nothing of it, so that
 * user gets the "others" bits of each entry's mode: a regular file needs o+r, a file with any
 * x bit o+x too (a 0744 script is meant to run), a directory o+r and o+x. A proof run as root
 * cannot see this (root reads a 0600 file); the central directory tells it without running
 * anything. Symlinks are skipped (their mode is not checked on use); an entry without a Unix
 * mode (made on another system) gets 0644 or 0755 when extracted, as verify's extractor gives
 * it, and passes.
 */
#ifndef SLIMZIP_ZIPCHECK_H
#define SLIMZIP_ZIPCHECK_H

#include <stdint.h>

/* What Lambda's user could not do with an entry; one entry may fall in two classes. */
enum zipcheck_class {
	ZIPCHECK_UNREADABLE,   /* a regular file without o+r */
	ZIPCHECK_UNEXECUTABLE, /* a regular file with some x bit but without o+x */
	ZIPCHECK_CLOSED_DIR,   /* a directory without o+r or o+x */
	ZIPCHECK_CLASSES,
};

#define ZIPCHECK_NAMES 5 /* entries named per class, in the zip's order */

struct zipcheck_entry {
	char *name;    /* as stored (a directory's ends in '/'), NUL-terminated */
	uint32_t mode; /* its permission bits */
};

struct zipcheck_result {
	uint64_t entries; /* central directory records */
	uint64_t closed;  /* entries in at least one class */
	uint64_t count[ZIPCHECK_CLASSES];
	struct zipcheck_entry first[ZIPCHECK_CLASSES][ZIPCHECK_NAMES]; /* min(count, NAMES) set */
};

/*
 * The classes (a mask of 1 << enum zipcheck_class) of an entry with this Unix mode (S_IFMT
 * bits included); 0 when Lambda's user can use it, or it is a symlink or has no type.
 */
unsigned int zipcheck__classes(uint32_t mode);

/*
 * Check every entry of the zip at path through its central directory. 0, or -errno of
 * opening or reading it, -EINVAL for a damaged directory, -ENOMEM; explained naming path.
 * zipcheck_result__release() frees it either way.
 */
int zipcheck__run(const char *path, struct zipcheck_result *res);
void zipcheck_result__release(struct zipcheck_result *res); /* NULL-safe, idempotent */

#endif
