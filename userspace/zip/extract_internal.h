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
	uint64_t local_off; /* likewise: where its local header starts in the zip */
	uint16_t name_len;  /* strlen(name): the local header repeats it */
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
 * The directory of the last entry reached, kept open: entries of one directory come together
 * in a zip, so each costs one openat (its own), not one per component of its name. Right for
 * as long as no directory on the way is replaced, which an extraction never does: directories
 * are made first and symlinks last, and entries below a symlink entry are refused up front.
 */
struct dircache {
	char *dir; /* its name below dest_fd, len bytes */
	size_t len, cap;
	int fd; /* -1: none */
};

#define DIRCACHE_INIT                                                                              \
	{                                                                                          \
		.fd = -1                                                                           \
	}

/*
 * The descriptor of the directory of name (name_len bytes; a trailing '/' is a directory's
 * own) below dest_fd, reached as extract__open_parent() does when it is not the cached one,
 * with *last set as that does: dest_fd itself, c->fd, or a descriptor to close when it could
 * not be remembered (the caller closes what is neither), or -errno.
 */
int dircache__parent(struct dircache *c, int dest_fd, const char *name, size_t name_len,
		     const char **last);
void dircache__release(struct dircache *c);

/*
 * Write every E_FILE entry of ents (n of them, za's entries in order) below dest_fd, whose
 * directories exist or are made on the way, on up to threads threads (0: one per online CPU);
 * stored and deflated entries up to 64 MiB are read with pread() from zip_fd (the same zip,
 * opened apart from libzip: no lock between the threads) at the data offset their local header
 * gives, which must repeat the entry's name and method;
 * with replace, a file or symlink already there is unlinked first (extract_opts.replace).
 * Each file is held to its declared size and CRC-32 and is never larger than declared; a
 * damaged entry's file is not left behind. zip_size (the archive's bytes) bounds what an
 * entry may claim to hold compressed. 0, or the failure of the first failing entry in
 * entry order, explained in slz_errmsg() on the calling thread.
 */
int extract_files__write(zip_t *za, int zip_fd, uint64_t zip_size, int dest_fd, bool replace,
			 const struct ent *ents, uint64_t n, int threads);

#endif
