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

#include "testfs.h"
#include "zipread.h"

struct fixture {
	char dir[256];
	int root_fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "zipread");
	f->root_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = f;
	return f->root_fd < 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->root_fd);
	testfs__rmtree(f->dir);
	free(f);
	return 0;
}

/* Open rel as the walk would have seen it now. */
static int open_as_walked(struct fixture *f, struct zipread *r, const char *rel, uint64_t size)
{
	char p[512];
	struct stat st;

	testfs__path(p, sizeof(p), f->dir, rel);
	assert_int_equal(stat(p, &st), 0);
	return zipread__open(r, f->root_fd, rel, st.st_dev, st.st_ino, size);
}

static void test_reads_exactly_size(void **state)
{
	struct fixture *f = *state;
	struct zipread r;
	char buf[4];

	testfs__write(f->dir, "f", "hello");
	assert_int_equal(open_as_walked(f, &r, "f", 5), 0);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 4);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 1);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 0);
	zipread__close(&r);
	zipread__close(&r); /* idempotent */
	assert_int_equal(r.fd, -1);
}

static void test_size_changed(void **state)
{
	struct fixture *f = *state;
	struct zipread r;
	char buf[16];

	testfs__write(f->dir, "f", "hello world");
	/* Longer than the walk saw. */
	assert_int_equal(open_as_walked(f, &r, "f", 5), 0);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), -EAGAIN);
	zipread__close(&r);
	/* Shorter: the end comes early. */
	assert_int_equal(open_as_walked(f, &r, "f", 20), 0);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 11);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), -EAGAIN);
	zipread__close(&r);
}

static void test_swapped_file(void **state)
{
	struct fixture *f = *state;
	struct zipread r;
	char p[512], q[512];
	struct stat st;

	testfs__write(f->dir, "f", "one");
	testfs__path(p, sizeof(p), f->dir, "f");
	assert_int_equal(stat(p, &st), 0);
	testfs__write(f->dir, "g", "two");
	testfs__path(q, sizeof(q), f->dir, "g");
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(zipread__open(&r, f->root_fd, "f", st.st_dev, st.st_ino, 3), -ESTALE);
	zipread__close(&r);
}

static void test_stat_answer(void **state)
{
	zip_stat_t st;
	zip_error_t ze;

	zip_error_init(&ze);
	assert_int_equal(zipread__stat(&st, sizeof(st), &ze, 1234), sizeof(st));
	assert_int_equal(st.valid, ZIP_STAT_SIZE);
	assert_int_equal(st.size, 1234);
	/* Too small a buffer is libzip's error, not a crash. */
	assert_int_equal(zipread__stat(&st, 3, &ze, 1), -1);
	assert_int_equal(zip_error_code_zip(&ze), ZIP_ER_INVAL);
	zip_error_fini(&ze);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_exactly_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_file, setup, teardown),
		cmocka_unit_test(test_stat_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
