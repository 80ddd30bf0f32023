/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Extract a zip into a directory for `slimzip verify`, refusing anything that could write
 * outside it (zip-slip): absolute names, ".." components, NUL bytes, symlinks leaving the
 * destination, and entries reached through a symlink. Modes, symlinks and mtimes are restored
 * the way zipwrite stored them (DOS times read as UTC).
 */
#ifndef SLIMZIP_EXTRACT_H
#define SLIMZIP_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an extraction may write unless told otherwise: AWS Lambda's unzipped limit, 250 MiB. */
#define EXTRACT_DEFAULT_MAX_BYTES 262144000ULL

/*
 * Options of extract__zip, versioned by size like tree_opts: set sz to sizeof(struct
 * extract_opts) (EXTRACT_OPTS does); fields an older caller's struct lacks are taken as zero.
 */
struct extract_opts {
	size_t sz;
	/*
	 * The most the entries may hold together (what they declare, link targets included):
	 * a zip declaring more is refused before anything is written, and no entry may hold more
	 * than it declares, so no more is ever written. 0: EXTRACT_DEFAULT_MAX_BYTES.
	 */
	uint64_t max_bytes;
	/*
	 * An entry whose file or symlink already exists in dest_dir replaces it (unlinked first,
	 * never followed), as Lambda extracts several layers into /opt in order, later ones
	 * overwriting. Directories merge; a directory in the way of a file stays an error.
	 */
	bool replace;
	/*
	 * Threads writing the files' data, each inflating with its own libdeflate decompressor
	 * (0: one per online CPU, at most 16). What is written does not depend on it, nor which
	 * failure is reported: the first in entry order.
	 */
	int threads;
};

#define EXTRACT_OPTS(name, ...)                                                                    \
	struct extract_opts name = {.sz = sizeof(struct extract_opts), __VA_ARGS__}

/*
 * Extract every entry of zip_path below dest_dir, which is created when missing; an entry that
 * already exists there (other than a directory) is an error, unless o->replace. Permission bits are
 * restored without setuid/setgid/sticky. 0 or -errno: -EINVAL for an unsafe name or a damaged entry
 * (its bytes are not as many as it declares, or their CRC-32 is not the one it declares: the file
 * is removed again), -EXDEV for a symlink leaving dest_dir (resolved through the archive's
 * other symlinks, as the kernel will once they exist), -ELOOP for a chain of more than 40
 * symlinks, -EEXIST for a clash, -EFBIG when the entries declare more than o->max_bytes;
 * slz_errmsg() names the entry. Everything is checked that can be before anything is written;
 * what only the data can tell is found while it is written, and then dest_dir holds a part
 * of the archive: the caller removes it (extract__remove()). Names are judged by zipname.h,
 * mtimes read from the "UT" extra field (UTC) or, without one, from the raw DOS fields as UTC
 * (dostime.h) whatever TZ says; nothing process-wide is touched. o may be NULL.
 */
int extract__zip(const char *zip_path, const char *dest_dir, const struct extract_opts *o);

/*
 * Remove dir and everything in it, as extract__zip() left it: at any depth (names longer than
 * PATH_MAX included), whatever modes the archive gave, never following a symlink. 0 (also when
 * dir does not exist) or -errno, explained naming dir.
 */
int extract__remove(const char *dir);

#endif
