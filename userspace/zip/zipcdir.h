/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A zip's central directory as APPNOTE.TXT lays it out: found through the end record (and the
 * zip64 one when the end record says so), read in one piece, walked record by record. libzip
 * hides NUL bytes in names and converts DOS times in the local zone; the extractor reads the
 * raw names and times here instead, and the writer reads back the directory it has just
 * written to put the UTC DOS times into it (see zipwrite.c, fix_dos_times()).
 */
#ifndef SLIMZIP_ZIPCDIR_H
#define SLIMZIP_ZIPCDIR_H

#include <stdbool.h>
#include <stdint.h>

struct zipcdir {
	unsigned char *data; /* every record, as stored */
	uint64_t len;
	uint64_t offset; /* of the first record in the file */
	uint64_t count;	 /* records, as the end record says */
	char *comment;	 /* the archive comment, NUL-terminated (it may hold NULs too) */
	uint16_t comment_len;
};

/* One central directory record (APPNOTE 4.3.12), pointing into zipcdir.data. */
struct zipcdir_rec {
	unsigned char *raw;
	const char *name; /* name_len bytes as stored: not NUL-terminated, may hold NULs */
	uint16_t name_len;
	uint8_t host; /* the system that made the entry: 3 (ZIP_OPSYS_UNIX) has a mode in attr */
	uint32_t attr;
	uint16_t dos_time, dos_date;
	uint16_t extra_len;
};

/*
 * Read the central directory of the zip open as fd, file_size bytes long. 0, or -EINVAL when
 * no (consistent) end record leads to it, -ENOMEM, -errno of a read; explained naming path.
 * zipcdir__release() frees it either way.
 */
int zipcdir__read(int fd, uint64_t file_size, const char *path, struct zipcdir *cd);
/* The same for the zip at path, opened and sized here (cannot open/stat: -errno, explained). */
int zipcdir__read_path(const char *path, struct zipcdir *cd);
void zipcdir__release(struct zipcdir *cd);
/*
 * The archive comment of the zip at path into *out (malloc'd, NUL-terminated; "" for none).
 * 0 or -errno as zipcdir__read, explained naming path.
 */
int zipcdir__comment(const char *path, char **out);

/*
 * The record at *pos (0 for the first), the index-th of the directory; *pos moves past it.
 * 0, or -EINVAL when it is damaged, explained naming index.
 */
int zipcdir__next(const struct zipcdir *cd, uint64_t *pos, uint64_t index, struct zipcdir_rec *rec);

/*
 * Info-ZIP's extended timestamp extra field ("UT", 0x5455): a flags byte (bit 0: the mtime
 * follows), then 32-bit little-endian Unix times. A central record holds at most the mtime.
 */
#define ZIPCDIR_EF_UT  0x5455
#define ZIPCDIR_UT_LEN 5 /* flags + mtime: what slimzip (dostime__ut_field) and Info-ZIP write */

/*
 * The UTC mtime of rec's "UT" field into *mtime (read unsigned: 1970 to 2106): true when rec
 * has one with the mtime bit set, false when it has none or a damaged extra area.
 */
bool zipcdir__ut_mtime(const struct zipcdir_rec *rec, int64_t *mtime);

/*
 * Where rec's local header starts in the file (APPNOTE 4.3.12 offset 42, or its zip64 extra
 * field when that says 0xffffffff): 0, or -EINVAL when the zip64 field is missing or damaged.
 */
int zipcdir__local_offset(const struct zipcdir_rec *rec, uint64_t *off);
/* The fixed part of a local header (APPNOTE 4.3.7): name and extra field lengths at 26, 28. */
#define ZIPCDIR_LOCAL_HDR 30

/*
 * Give rec's entry this DOS time and date: in its local header in the file, and in its record
 * in cd->data, which zipcdir__write_back() then puts back into the file. 0 or -errno; -EIO when
 * no local header is at rec's offset. Explained naming path.
 */
int zipcdir__set_dos_time(int fd, const char *path, struct zipcdir_rec *rec, uint16_t dos_time,
			  uint16_t dos_date);
int zipcdir__write_back(int fd, const char *path, const struct zipcdir *cd);

#endif
