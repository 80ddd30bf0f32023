// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "zipcdir.h"

/* A central directory this large would mean millions of entries: refuse rather than swap. */
#define CDIR_MAX     (1ULL << 30)
/* The end record (22 bytes) may be followed by a comment of up to 65,535 bytes. */
#define EOCD_SIZE    22
#define EOCD_SPAN    (EOCD_SIZE + 0xffff)
#define CDIR_REC     46 /* fixed part of a central directory record */
#define LOCAL_HDR    30 /* fixed part of a local header */
#define ZIP64_EXTRA  0x0001
#define NO_32BIT_VAL 0xffffffffU

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

/* All len bytes at off, read (pread) or written (pwrite). 0 or -errno, -EIO at end of file. */
static int rw_at(int fd, void *buf, size_t len, uint64_t off, bool write)
{
	size_t done = 0;

	while (done < len) {
		char *p = (char *)buf + done;
		off_t at = (off_t)(off + done);
		ssize_t n = write ? pwrite(fd, p, len - done, at) : pread(fd, p, len - done, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return rw_at(fd, buf, len, off, false);
}

static int write_at(int fd, const void *buf, size_t len, uint64_t off)
{
	return rw_at(fd, (void *)buf, len, off, true);
}

int zipcdir__read(int fd, uint64_t file_size, const char *path, struct zipcdir *cd)
{
	unsigned char *tail, z64[56], loc[20];
	uint64_t tlen = file_size < EOCD_SPAN ? file_size : EOCD_SPAN, eocd, count, len, off;
	long i;
	int err;

	memset(cd, 0, sizeof(*cd));
	tail = malloc(tlen ? tlen : 1);
	if (!tail)
		return -ENOMEM;
	err = read_at(fd, tail, tlen, file_size - tlen);
	if (err)
		goto bad;
	for (i = (long)tlen - EOCD_SIZE; i >= 0; i--)
		if (!memcmp(tail + i, "PK\5\6", 4))
			break;
	if (i < 0)
		goto bad;
	count = get16(tail + i + 10);
	len = get32(tail + i + 12);
	off = get32(tail + i + 16);
	eocd = file_size - tlen + (uint64_t)i;
	/* The archive comment (slimzip records its options there): within the file, or damage. */
	cd->comment_len = get16(tail + i + 20);
	if ((uint64_t)i + EOCD_SIZE + cd->comment_len > tlen)
		goto bad;
	cd->comment = malloc((size_t)cd->comment_len + 1);
	if (!cd->comment) {
		free(tail);
		return -ENOMEM;
	}
	memcpy(cd->comment, tail + i + EOCD_SIZE, cd->comment_len);
	cd->comment[cd->comment_len] = '\0';
	/* Any field at its maximum means the true value is in the zip64 end record. */
	if (count == 0xffff || len == NO_32BIT_VAL || off == NO_32BIT_VAL) {
		if (eocd < sizeof(loc) || read_at(fd, loc, sizeof(loc), eocd - sizeof(loc)) ||
		    memcmp(loc, "PK\6\7", 4))
			goto bad;
		if (read_at(fd, z64, sizeof(z64), get64(loc + 8)) || memcmp(z64, "PK\6\6", 4))
			goto bad;
		count = get64(z64 + 32);
		len = get64(z64 + 40);
		off = get64(z64 + 48);
	}
	if (len > CDIR_MAX || len > file_size || off > file_size - len)
		goto bad;
	cd->data = malloc(len ? len : 1);
	if (!cd->data) {
		free(tail);
		return -ENOMEM;
	}
	err = read_at(fd, cd->data, len, off);
	if (err)
		goto bad;
	cd->len = len;
	cd->offset = off;
	cd->count = count;
	free(tail);
	return 0;
bad:
	free(tail);
	return slz_fail(EINVAL, "%s: the central directory is damaged or not where it should be",
			path);
}

void zipcdir__release(struct zipcdir *cd)
{
	free(cd->data);
	cd->data = NULL;
	free(cd->comment);
	cd->comment = NULL;
}

int zipcdir__read_path(const char *path, struct zipcdir *cd)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return slz_fail(errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st))
		err = slz_fail(errno, "cannot stat %s: %s", path, strerror(errno));
	else
		err = zipcdir__read(fd, (uint64_t)st.st_size, path, cd);
	close(fd);
	return err;
}

int zipcdir__comment(const char *path, char **out)
{
	struct zipcdir cd = {0};
	int err;

	*out = NULL;
	err = zipcdir__read_path(path, &cd);
	if (!err) {
		*out = cd.comment;
		cd.comment = NULL;
	}
	zipcdir__release(&cd);
	return err;
}

/* A local header offset of 0xffffffff lives in the record's zip64 extra field (APPNOTE 4.5.3),
 * after the sizes that are 0xffffffff too. */
static int zip64_offset(const struct zipcdir_rec *rec, uint64_t *off)
{
	const unsigned char *p = rec->raw, *extra = p + CDIR_REC + rec->name_len;
	uint16_t xlen = rec->extra_len;

	while (xlen >= 4) {
		uint16_t id = get16(extra), size = get16(extra + 2);
		uint16_t skip = 0;

		if (size > xlen - 4)
			return -EINVAL;
		if (id == ZIP64_EXTRA) {
			skip += get32(p + 24) == NO_32BIT_VAL ? 8 : 0; /* uncompressed size */
			skip += get32(p + 20) == NO_32BIT_VAL ? 8 : 0; /* compressed size */
			if (size < skip + 8)
				return -EINVAL;
			*off = get64(extra + 4 + skip);
			return 0;
		}
		extra += 4 + size;
		xlen -= 4 + size;
	}
	return -EINVAL;
}

bool zipcdir__ut_mtime(const struct zipcdir_rec *rec, int64_t *mtime)
{
	const unsigned char *extra = rec->raw + CDIR_REC + rec->name_len;
	uint16_t xlen = rec->extra_len;

	/* zipcdir__next() checked that name and extra area lie inside the directory. */
	while (xlen >= 4) {
		uint16_t id = get16(extra), size = get16(extra + 2);

		if (size > xlen - 4)
			return false;
		if (id == ZIPCDIR_EF_UT) {
			if (size < ZIPCDIR_UT_LEN || !(extra[4] & 1))
				return false;
			*mtime = (int64_t)get32(extra + 5);
			return true;
		}
		extra += 4 + size;
		xlen -= 4 + size;
	}
	return false;
}

int zipcdir__next(const struct zipcdir *cd, uint64_t *pos, uint64_t index, struct zipcdir_rec *rec)
{
	uint64_t left = *pos <= cd->len ? cd->len - *pos : 0;
	unsigned char *p = cd->data + (*pos <= cd->len ? *pos : 0);
	uint16_t nlen, xlen, clen;

	if (left < CDIR_REC || memcmp(p, "PK\1\2", 4))
		goto bad;
	nlen = get16(p + 28);
	xlen = get16(p + 30);
	clen = get16(p + 32);
	if (left < (uint64_t)CDIR_REC + nlen + xlen + clen)
		goto bad;
	rec->raw = p;
	rec->name = (const char *)p + CDIR_REC;
	rec->name_len = nlen;
	rec->host = p[5];
	rec->attr = get32(p + 38);
	rec->dos_time = get16(p + 12);
	rec->dos_date = get16(p + 14);
	rec->extra_len = xlen;
	*pos += (uint64_t)CDIR_REC + nlen + xlen + clen;
	return 0;
bad:
	return slz_fail(EINVAL, "the central directory is damaged at entry %llu",
			(unsigned long long)index);
}

int zipcdir__local_offset(const struct zipcdir_rec *rec, uint64_t *off)
{
	*off = get32(rec->raw + 42);
	return *off == NO_32BIT_VAL ? zip64_offset(rec, off) : 0;
}

int zipcdir__set_dos_time(int fd, const char *path, struct zipcdir_rec *rec, uint16_t dos_time,
			  uint16_t dos_date)
{
	unsigned char local[LOCAL_HDR];
	uint64_t off;
	int err = zipcdir__local_offset(rec, &off);

	if (!err)
		err = read_at(fd, local, sizeof(local), off);
	/* The local header repeats the record's name length: a cheap check that it is the one. */
	if (err || memcmp(local, "PK\3\4", 4) || get16(local + 26) != rec->name_len)
		return slz_fail(EIO, "%s: no local header where entry %.*s says", path,
				(int)rec->name_len, rec->name);
	/* The time and date sit at 10 in a local header, at 12 in a central record. */
	put16(local + 10, dos_time);
	put16(local + 12, dos_date);
	err = write_at(fd, local + 10, 4, off + 10);
	if (err)
		return slz_fail(-err, "cannot write %s: %s", path, strerror(-err));
	put16(rec->raw + 12, dos_time);
	put16(rec->raw + 14, dos_date);
	rec->dos_time = dos_time;
	rec->dos_date = dos_date;
	return 0;
}

int zipcdir__write_back(int fd, const char *path, const struct zipcdir *cd)
{
	int err = write_at(fd, cd->data, cd->len, cd->offset);

	return err ? slz_fail(-err, "cannot write %s: %s", path, strerror(-err)) : 0;
}
