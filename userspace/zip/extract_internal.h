/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to the extractor: what extract.c learns of each entry (names, links and sizes, all
 * checked before anything is written) and what extract_files.c needs to write the files' data.
 */
#ifndef SLIMZIP_EXTRACT_INTERNAL_H
#define SLIMZIP_EXTRACT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <zip.h>

enum ekind { E_FILE, E_DIR, E_LINK };

struct ent {
	const char *name;   /* from libzip, NUL-terminated; checked against the raw bytes */
	char *target;	    /* symlinks */
	uint64_t size;	    /* as the central directory declares it */
	uint64_t comp_size; /* likewise: the bytes of its data in the zip */
	uint32_t crc;	    /* likewise */
	int32_t method;	    /* ZIP_CM_* */
	int64_t mtime;
	uint32_t mode; /* permission bits */
	enum ekind kind;
	uint16_t depth;
};

/*
 * One component of name at a time below dest_fd, never through a symlink, creating missing
 * directories: the descriptor of name's directory (dest_fd itself for a top-level name, else
 * to close) with *last set to the final component, or -errno.
 */
int extract__open_parent(int dest_fd, const char *name, const char **last);

/*
 * Write every E_FILE entry of ents (n of them, za's entries in order) below dest_fd, whose
 * directories exist or are made on the way, on up to threads threads (0: one per online CPU);
 * with replace, a file or symlink already there is unlinked first (extract_opts.replace).
 * Each file is held to its declared size and CRC-32 and is never larger than declared; a
 * damaged entry's file is not left behind. zip_size (the archive's bytes) bounds what an
 * entry may claim to hold compressed. 0, or the failure of the first failing entry in
 * entry order, explained in slz_errmsg() on the calling thread.
 */
int extract_files__write(zip_t *za, uint64_t zip_size, int dest_fd, bool replace,
			 const struct ent *ents, uint64_t n, int threads);

#endif
