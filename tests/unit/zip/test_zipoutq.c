// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The zip writer's write-behind queue: every submitted buffer lands at its offset, a later
 * write of the same bytes wins (as a local header patched after its data must), a queue of
 * two buffers still takes any number of writes, and a failed write is returned by every call
 * after it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zipoutq.h"

#define PIECE 4096

static int temp_file(char *path)
{
	int fd;

	strcpy(path, "/tmp/slz-zipoutq.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

/* n pieces, piece i all bytes i, submitted last first; then two patches over earlier bytes. */
static void write_and_check(unsigned nbufs, uint64_t writeback_every)
{
	const unsigned n = 64;
	struct zipoutq *q = NULL;
	unsigned char *buf, *back;
	char path[64];
	int fd = temp_file(path);

	assert_int_equal(zipoutq__new(fd, PIECE, nbufs, writeback_every, &q), 0);
	for (unsigned k = 0; k < n; k++) {
		unsigned i = n - 1 - k;

		buf = zipoutq__buf(q);
		assert_non_null(buf);
		memset(buf, (int)i, PIECE);
		assert_int_equal(zipoutq__submit(q, buf, PIECE, (uint64_t)i * PIECE), 0);
	}
	buf = zipoutq__buf(q);
	memcpy(buf, "HEAD", 4);
	assert_int_equal(zipoutq__submit(q, buf, 4, 0), 0);
	buf = zipoutq__buf(q);
	memcpy(buf, "PATCH", 5);
	assert_int_equal(zipoutq__submit(q, buf, 5, 10 * PIECE + 7), 0);
	assert_int_equal(zipoutq__drain(q), 0);

	back = malloc((size_t)n * PIECE + 1);
	assert_int_equal(pread(fd, back, (size_t)n * PIECE + 1, 0), (ssize_t)n * PIECE);
	assert_memory_equal(back, "HEAD", 4);
	assert_memory_equal(back + 10 * PIECE + 7, "PATCH", 5);
	for (unsigned i = 0; i < n; i++)
		for (size_t b = 0; b < PIECE; b++) {
			size_t at = (size_t)i * PIECE + b;

			if (at < 4 || (at >= 10 * PIECE + 7 && at < 10 * PIECE + 12))
				continue;
			if (back[at] != (unsigned char)i)
				fail_msg("byte %zu is %u, not %u", at, back[at], i);
		}
	free(back);
	zipoutq__free(q);
	close(fd);
	unlink(path);
}

static void test_writes_land_in_order(void **state)
{
	(void)state;
	write_and_check(16, 0);
}

static void test_two_buffers_many_writes(void **state)
{
	(void)state;
	write_and_check(2, PIECE * 3); /* and a writeback hint every third piece */
}

static void test_failure_sticks(void **state)
{
	struct zipoutq *q = NULL;
	unsigned char *buf;
	char path[64];
	int wfd = temp_file(path), fd = open(path, O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(zipoutq__new(fd, PIECE, 2, 0, &q), 0);
	buf = zipoutq__buf(q);
	memset(buf, 'x', PIECE);
	(void)zipoutq__submit(q, buf, PIECE, 0); /* may not have failed yet */
	assert_int_equal(zipoutq__drain(q), EBADF);
	buf = zipoutq__buf(q);
	assert_int_equal(zipoutq__submit(q, buf, PIECE, PIECE), EBADF);
	assert_int_equal(zipoutq__drain(q), EBADF);
	zipoutq__free(q);
	/* Nothing was written after (nor by) the failure. */
	assert_int_equal(lseek(wfd, 0, SEEK_END), 0);
	close(fd);
	close(wfd);
	unlink(path);
}

static void test_bad_arguments(void **state)
{
	struct zipoutq *q = (struct zipoutq *)1;

	(void)state;
	assert_int_equal(zipoutq__new(1, 0, 4, 0, &q), -EINVAL);
	assert_null(q);
	assert_int_equal(zipoutq__new(1, PIECE, 0, 0, &q), -EINVAL);
	zipoutq__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_land_in_order),
		cmocka_unit_test(test_two_buffers_many_writes),
		cmocka_unit_test(test_failure_sticks),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
