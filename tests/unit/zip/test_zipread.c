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

/* rel as the walk would see it now. */
static struct tree_entry walked(struct fixture *f, const char *rel)
{
	char p[512];
	struct stat st;

	testfs__path(p, sizeof(p), f->dir, rel);
	assert_int_equal(stat(p, &st), 0);
	return (struct tree_entry){.path = rel,
				   .dev = st.st_dev,
				   .ino = st.st_ino,
				   .size = (uint64_t)st.st_size,
				   .mtime_sec = st.st_mtim.tv_sec,
				   .mtime_nsec = (uint32_t)st.st_mtim.tv_nsec,
				   .mode = st.st_mode};
}

static int open_as_walked(struct fixture *f, struct zipread *r, const char *rel)
{
	struct tree_entry e = walked(f, rel);

	return zipread__open(r, f->root_fd, &e);
}

/* Give rel new bytes of the same length and another mtime, through its own inode. */
static void rewrite_same_size(struct fixture *f, const char *rel, const char *bytes)
{
	struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	char p[512];
	int fd;

	testfs__path(p, sizeof(p), f->dir, rel);
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, strlen(bytes), 0), (ssize_t)strlen(bytes));
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

static void test_reads_exactly_size(void **state)
{
	struct fixture *f = *state;
	struct zipread r;
	char buf[4];

	testfs__write(f->dir, "f", "hello");
	assert_int_equal(open_as_walked(f, &r, "f"), 0);
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

	struct tree_entry e;
	char p[512];

	testfs__write(f->dir, "f", "hello world");
	testfs__path(p, sizeof(p), f->dir, "f");
	e = walked(f, "f");
	/* Other than the walk saw by the open: refused before reading. */
	e.size = 5;
	assert_int_equal(zipread__open(&r, f->root_fd, &e), -ESTALE);
	zipread__close(&r);
	/* Growing while it is read. */
	e.size = 11;
	assert_int_equal(zipread__open(&r, f->root_fd, &e), 0);
	assert_int_equal(truncate(p, 20), 0);
	assert_int_equal(zipread__next(&r, buf, 8), 8);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), -EAGAIN);
	zipread__close(&r);
	/* Shrinking while it is read: the end comes early. */
	e = walked(f, "f");
	assert_int_equal(zipread__open(&r, f->root_fd, &e), 0);
	assert_int_equal(truncate(p, 11), 0);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 11);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), -EAGAIN);
	zipread__close(&r);
}

/*
 * The same size, other bytes: after the last byte is read the file is checked again, and a
 * moved mtime or ctime means what was read may mix two versions.
 */
static void test_same_size_rewrite_while_read(void **state)
{
	struct fixture *f = *state;
	struct zipread r;
	char buf[4];

	testfs__write(f->dir, "f", "old-bytes");
	assert_int_equal(open_as_walked(f, &r, "f"), 0);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 4);
	rewrite_same_size(f, "f", "NEW-BYTES");
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 4);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), -EAGAIN);
	zipread__close(&r);
	/* An empty file is checked at its first (and last) read. */
	testfs__write(f->dir, "e", "");
	assert_int_equal(open_as_walked(f, &r, "e"), 0);
	assert_int_equal(zipread__next(&r, buf, sizeof(buf)), 0);
	zipread__close(&r);
}

/* Rewritten between the walk and the open: the zip would hold new bytes under the old mtime. */
static void test_same_size_rewrite_since_walk(void **state)
{
	struct fixture *f = *state;
	struct tree_entry e;
	struct zipread r;

	testfs__write(f->dir, "f", "old-bytes");
	e = walked(f, "f");
	rewrite_same_size(f, "f", "NEW-BYTES");
	assert_int_equal(zipread__open(&r, f->root_fd, &e), -ESTALE);
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
	assert_int_equal(
		zipread__open(&r, f->root_fd,
			      &(struct tree_entry){.path = "f",
						   .dev = st.st_dev,
						   .ino = st.st_ino,
						   .size = 3,
						   .mtime_sec = st.st_mtim.tv_sec,
						   .mtime_nsec = (uint32_t)st.st_mtim.tv_nsec}),
		-ESTALE);
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
		cmocka_unit_test_setup_teardown(test_same_size_rewrite_while_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_size_rewrite_since_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_file, setup, teardown),
		cmocka_unit_test(test_stat_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
