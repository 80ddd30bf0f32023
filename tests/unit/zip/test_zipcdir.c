// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "testfs.h"
#include "util.h"
#include "zipcdir.h"
#include "ziptest.h"

static int setup(void **state)
{
	return ziptest__setup(state, "zipcdir");
}

/* Three entries by libzip, with an archive comment after the end record to search past. */
static void make_zip(const char *path)
{
	static const char *const names[] = {"a.txt", "dir/", "dir/b"};
	int zerr;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);

	assert_non_null(za);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		zip_source_t *s = zip_source_buffer(za, "data", 4, 0);

		assert_true(zip_file_add(za, names[i], s, 0) >= 0);
		assert_int_equal(
			zip_file_set_external_attributes(za, i, 0, ZIP_OPSYS_UNIX,
							 (zip_uint32_t)(S_IFREG | 0644) << 16),
			0);
	}
	assert_int_equal(zip_set_archive_comment(za, "a comment", 9), 0);
	assert_int_equal(zip_close(za), 0);
}

static int open_zip(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*size = (uint64_t)st.st_size;
	return fd;
}

static void test_reads_records(void **state)
{
	struct ziptest_fx *f = *state;
	static const char *const names[] = {"a.txt", "dir/", "dir/b"};
	struct zipcdir cd;
	struct zipcdir_rec r;
	uint64_t size, pos = 0;
	int fd;

	make_zip(f->out);
	fd = open_zip(f->out, &size);
	assert_int_equal(zipcdir__read(fd, size, f->out, &cd), 0);
	assert_int_equal(cd.count, 3);
	for (uint64_t i = 0; i < 3; i++) {
		assert_int_equal(zipcdir__next(&cd, &pos, i, &r), 0);
		assert_int_equal(r.name_len, strlen(names[i]));
		assert_memory_equal(r.name, names[i], r.name_len);
		assert_int_equal(r.host, ZIP_OPSYS_UNIX);
		assert_int_equal(r.attr >> 16, S_IFREG | 0644);
	}
	assert_int_equal(pos, cd.len);
	/* Past the last record: damaged, named by its index. */
	assert_int_equal(zipcdir__next(&cd, &pos, 3, &r), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "entry 3"));
	zipcdir__release(&cd);
	close(fd);
}

/* Both copies of the time change: libzip's consistency check compares them. */
static void test_set_dos_time(void **state)
{
	struct ziptest_fx *f = *state;
	struct zipcdir cd;
	struct zipcdir_rec r;
	uint64_t size, pos = 0;
	unsigned char *raw;
	zip_t *za;
	size_t len;
	int fd, zerr;

	make_zip(f->out);
	fd = open_zip(f->out, &size);
	assert_int_equal(zipcdir__read(fd, size, f->out, &cd), 0);
	assert_int_equal(zipcdir__next(&cd, &pos, 0, &r), 0);
	assert_int_equal(zipcdir__next(&cd, &pos, 1, &r), 0);
	assert_int_equal(zipcdir__set_dos_time(fd, f->out, &r, 0x1234, 0x5621), 0);
	assert_int_equal(zipcdir__write_back(fd, f->out, &cd), 0);
	zipcdir__release(&cd);
	close(fd);

	za = zip_open(f->out, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!za)
		fail_msg("libzip refuses the zip: error %d", zerr);
	zip_close(za);
	fd = open_zip(f->out, &size);
	assert_int_equal(zipcdir__read(fd, size, f->out, &cd), 0);
	pos = 0;
	assert_int_equal(zipcdir__next(&cd, &pos, 0, &r), 0);
	assert_int_not_equal(r.dos_time, 0x1234);
	assert_int_equal(zipcdir__next(&cd, &pos, 1, &r), 0);
	assert_int_equal(r.dos_time, 0x1234);
	assert_int_equal(r.dos_date, 0x5621);
	zipcdir__release(&cd);
	close(fd);
	raw = (unsigned char *)testfs__read(f->out, &len);
	/* The second local header follows the first (30 + 5 name + 4 data bytes). */
	assert_memory_equal(raw + 39, "PK\3\4", 4);
	assert_memory_equal(raw + 39 + 10, "\x34\x12\x21\x56", 4);
	free(raw);
}

/* An entry past 4 GiB keeps its local header offset in the zip64 extra field. */
static void test_zip64_local_offset(void **state)
{
	struct ziptest_fx *f = *state;
	unsigned char file[64] = {0}, rec[46 + 1 + 12] = {0}, check[4];
	struct zipcdir cd = {.data = rec, .len = sizeof(rec), .count = 1};
	struct zipcdir_rec r;
	uint64_t pos = 0;
	int fd;

	/* A local header for entry "x" at offset 20 of the file. */
	memcpy(file + 20, "PK\3\4", 4);
	file[20 + 26] = 1;
	testfs__write_bytes(f->dir, "out.zip", file, sizeof(file));
	memcpy(rec, "PK\1\2", 4);
	rec[28] = 1;				 /* name length */
	rec[30] = 12;				 /* extra length */
	memset(rec + 42, 0xff, 4);		 /* offset: see the zip64 field */
	memcpy(rec + 46, "x", 1);		 /* name */
	memcpy(rec + 47, "\x01\x00\x08\x00", 4); /* zip64 field, 8 bytes: the offset */
	rec[51] = 20;
	assert_int_equal(zipcdir__next(&cd, &pos, 0, &r), 0);
	fd = open(f->out, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(zipcdir__set_dos_time(fd, f->out, &r, 0xbeef, 0xcafe), 0);
	assert_int_equal(pread(fd, check, 4, 30), 4);
	assert_memory_equal(check, "\xef\xbe\xfe\xca", 4);
	assert_int_equal(rec[12] | rec[13] << 8, 0xbeef); /* and in the record */
	/* Without the zip64 field there is no offset to go to. */
	rec[30] = 0;
	cd.len = 47;
	pos = 0;
	assert_int_equal(zipcdir__next(&cd, &pos, 0, &r), 0);
	assert_int_equal(zipcdir__set_dos_time(fd, f->out, &r, 1, 1), -EIO);
	assert_non_null(strstr(slz_errmsg(), "entry x"));
	close(fd);
}

static void test_damaged(void **state)
{
	struct ziptest_fx *f = *state;
	struct zipcdir cd;
	uint64_t size;
	int fd;

	make_zip(f->out);
	fd = open_zip(f->out, &size);
	/* No end record in a file cut short of it. */
	assert_int_equal(zipcdir__read(fd, size - 40, f->out, &cd), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), f->out));
	zipcdir__release(&cd);
	assert_int_equal(zipcdir__read(fd, 10, f->out, &cd), -EINVAL);
	zipcdir__release(&cd);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_records, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_set_dos_time, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_zip64_local_offset, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, ziptest__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
