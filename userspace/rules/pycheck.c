// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pycheck.h"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !memcmp(s + ls - lx, suffix, lx);
}

/* The 16-byte header of PEP 552: magic, flags, then the source's mtime and size or its hash. */
#define PYC_HEADER 16
_Static_assert(PYC_HEADER <= RULES_HEAD_MAX, "rules_head_fn gives the whole header");

/* A .pyc whose flags word (bytes 4..7, PEP 552) is 0 validates against its source's mtime. */
static bool timestamp_based(const unsigned char *hdr, ssize_t n)
{
	return n == PYC_HEADER && !hdr[4] && !hdr[5] && !hdr[6] && !hdr[7];
}

bool pycheck__is_timestamp_based(int root_fd, const char *path, uint64_t dev, uint64_t ino)
{
	unsigned char hdr[PYC_HEADER];
	ssize_t n;
	int fd;

	fd = tree__open_beneath(root_fd, path, dev, ino);
	if (fd < 0)
		return false;
	n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	return timestamp_based(hdr, n);
}

bool pycheck__source_path(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t dirlen;
	static const char cache[] = "__pycache__";

	if (!base)
		return false;
	dirlen = (size_t)(base - path);
	if (dirlen < sizeof(cache) - 1 ||
	    strncmp(base - (sizeof(cache) - 1), cache, sizeof(cache) - 1))
		return false;
	dirlen -= sizeof(cache) - 1; /* keeps the '/' before __pycache__, if any */
	if (dirlen && path[dirlen - 1] != '/')
		return false;
	base++;
	dot = strchr(base, '.');
	if (!dot || dot == base)
		return false;
	return snprintf(buf, len, "%.*s%.*s.py", (int)dirlen, path, (int)(dot - base), base) <
	       (int)len;
}

int pycheck__count(const struct keepset *k, int root_fd, rules_head_fn *head, void *head_arg,
		   bool mtimes_kept, uint64_t *pyc_timestamp, uint64_t *py_odd_mtime)
{
	const struct tree *t = keepset__tree(k);
	size_t n = tree__count(t);
	struct tree_entry e, src;
	unsigned char *counted = NULL, hdr[PYC_HEADER];
	char buf[4096];
	ssize_t hn;
	int64_t si;
	int err = 0;

	*pyc_timestamp = 0;
	*py_odd_mtime = 0;
	/* Index 0 is the root, which is never zipped. */
	for (uint32_t i = 1; i < n; i++) {
		if (!keepset__has(k, i) || tree__get(t, i, &e))
			continue;
		if (!S_ISREG(e.mode) || !has_suffix(e.path, ".pyc"))
			continue;
		if (head && (hn = head(head_arg, i, hdr, sizeof(hdr))) >= 0) {
			if (!timestamp_based(hdr, hn))
				continue;
		} else if (!pycheck__is_timestamp_based(root_fd, e.path, e.dev, e.ino)) {
			continue;
		}
		if (!mtimes_kept) {
			(*pyc_timestamp)++;
			continue;
		}
		if (!pycheck__source_path(e.path, buf, sizeof(buf)))
			continue;
		si = tree__find_path(t, buf);
		if (si < 0 || !keepset__has(k, (uint32_t)si) || tree__get(t, (uint32_t)si, &src))
			continue;
		if (!S_ISREG(src.mode) || !(src.mtime_sec & 1))
			continue;
		/* Several pycs (tags, opt levels) may share one source: count the source once. */
		if (!counted) {
			counted = calloc(n / 8 + 1, 1);
			if (!counted) {
				err = -ENOMEM;
				goto out;
			}
		}
		if (counted[si / 8] & (1u << (si % 8)))
			continue;
		counted[si / 8] |= (unsigned char)(1u << (si % 8));
		(*py_odd_mtime)++;
	}
out:
	free(counted);
	return err;
}
