// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* zipcheck: the entry modes of zips built here with libzip, as Lambda's unprivileged user sees
 * them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "util.h"
#include "zipcheck.h"
#include "testfs.h"

static char tmp[PATH_MAX];

struct ent {
	const char *name;
	uint32_t mode; /* S_IFMT included; 0: made on DOS, no Unix mode */
};

/* A zip at tmp/name holding ents in order (files hold a line, symlinks a target). */
static void make_zip(const char *name, const struct ent *ents, size_t n, char *path)
{
	zip_t *za;
	int zerr;

	testfs__path(path, PATH_MAX, tmp, name);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(za);
	for (size_t i = 0; i < n; i++) {
		const struct ent *e = &ents[i];
		bool dir = S_ISDIR(e->mode) || e->name[strlen(e->name) - 1] == '/';
		zip_int64_t idx;

		if (dir) {
			idx = zip_dir_add(za, e->name, ZIP_FL_ENC_RAW);
		} else {
			zip_source_t *src = zip_source_buffer(za, "x\n", 2, 0);

			assert_non_null(src);
			idx = zip_file_add(za, e->name, src, ZIP_FL_ENC_RAW);
		}
		assert_true(idx >= 0);
		if (e->mode)
			assert_int_equal(zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0,
									  ZIP_OPSYS_UNIX,
									  e->mode << 16),
					 0);
		else
			assert_int_equal(zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0,
									  ZIP_OPSYS_DOS, 0),
					 0);
	}
	assert_int_equal(zip_close(za), 0);
}

static void test_classes(void **state)
{
	const unsigned int unread = 1u << ZIPCHECK_UNREADABLE, unexec = 1u << ZIPCHECK_UNEXECUTABLE,
			   closed = 1u << ZIPCHECK_CLOSED_DIR;

	assert_int_equal(zipcheck__classes(S_IFREG | 0644), 0);
	assert_int_equal(zipcheck__classes(S_IFREG | 0755), 0);
	/* Lambda's user is "others": what the owner may do does not matter. */
	assert_int_equal(zipcheck__classes(S_IFREG | 0004), 0);
	assert_int_equal(zipcheck__classes(S_IFREG | 0600), unread);
	assert_int_equal(zipcheck__classes(S_IFREG | 0640), unread);
	assert_int_equal(zipcheck__classes(S_IFREG | 0744), unexec);
	assert_int_equal(zipcheck__classes(S_IFREG | 0754), unexec);
	assert_int_equal(zipcheck__classes(S_IFREG | 0700), unread | unexec);
	assert_int_equal(zipcheck__classes(S_IFREG | 0711), unread);
	assert_int_equal(zipcheck__classes(S_IFDIR | 0755), 0);
	assert_int_equal(zipcheck__classes(S_IFDIR | 0705), 0);
	assert_int_equal(zipcheck__classes(S_IFDIR | 0700), closed);
	assert_int_equal(zipcheck__classes(S_IFDIR | 0751), closed); /* enter, not list */
	assert_int_equal(zipcheck__classes(S_IFDIR | 0744), closed); /* list, not enter */
	/* Links are not checked; an entry without a type is extracted 0644/0755. */
	assert_int_equal(zipcheck__classes(S_IFLNK | 0700), 0);
	assert_int_equal(zipcheck__classes(0600), 0);
}

static void test_lambda_modes_pass(void **state)
{
	const struct ent ents[] = {
		{"lib/", S_IFDIR | 0755},
		{"lib/util.py", S_IFREG | 0644},
		{"run.sh", S_IFREG | 0755},
		{"link", S_IFLNK | 0777},
		{"dos.txt", 0},
		{"dosdir/", 0},
		{"tight-link", S_IFLNK | 0700},
	};
	struct zipcheck_result res;
	char path[PATH_MAX];

	make_zip("ok.zip", ents, ARRAY_SIZE(ents), path);
	assert_int_equal(zipcheck__run(path, &res), 0);
	assert_int_equal(res.entries, ARRAY_SIZE(ents));
	assert_int_equal(res.closed, 0);
	for (int c = 0; c < ZIPCHECK_CLASSES; c++) {
		assert_int_equal(res.count[c], 0);
		assert_null(res.first[c][0].name);
	}
	zipcheck_result__release(&res);
}

/* Each class counted, the first names kept in the zip's order with their modes. */
static void test_closed_entries_named(void **state)
{
	const struct ent ents[] = {
		{"a.py", S_IFREG | 0600},
		{"b.py", S_IFREG | 0644},
		{"run.sh", S_IFREG | 0744},
		{"tool", S_IFREG | 0700},
		{"private/", S_IFDIR | 0700},
		{"open/", S_IFDIR | 0755},
		{"f1", S_IFREG | 0640},
		{"f2", S_IFREG | 0640},
		{"f3", S_IFREG | 0640},
		{"f4", S_IFREG | 0640},
		{"f5", S_IFREG | 0640},
		{"link", S_IFLNK | 0700},
		/* A name ending in '/' is a directory whatever its type bits say. */
		{"odd/", S_IFREG | 0700},
	};
	struct zipcheck_result res;
	char path[PATH_MAX];

	make_zip("closed.zip", ents, ARRAY_SIZE(ents), path);
	assert_int_equal(zipcheck__run(path, &res), 0);
	assert_int_equal(res.entries, ARRAY_SIZE(ents));
	/* a.py, run.sh, tool, private/, f1..f5, odd/: tool is in two classes, counted once. */
	assert_int_equal(res.closed, 10);
	assert_int_equal(res.count[ZIPCHECK_UNREADABLE], 7);
	assert_string_equal(res.first[ZIPCHECK_UNREADABLE][0].name, "a.py");
	assert_int_equal(res.first[ZIPCHECK_UNREADABLE][0].mode, 0600);
	assert_string_equal(res.first[ZIPCHECK_UNREADABLE][1].name, "tool");
	assert_string_equal(res.first[ZIPCHECK_UNREADABLE][2].name, "f1");
	assert_string_equal(res.first[ZIPCHECK_UNREADABLE][4].name, "f3");
	assert_int_equal(res.first[ZIPCHECK_UNREADABLE][4].mode, 0640);
	assert_int_equal(res.count[ZIPCHECK_UNEXECUTABLE], 2);
	assert_string_equal(res.first[ZIPCHECK_UNEXECUTABLE][0].name, "run.sh");
	assert_int_equal(res.first[ZIPCHECK_UNEXECUTABLE][0].mode, 0744);
	assert_string_equal(res.first[ZIPCHECK_UNEXECUTABLE][1].name, "tool");
	assert_null(res.first[ZIPCHECK_UNEXECUTABLE][2].name);
	assert_int_equal(res.count[ZIPCHECK_CLOSED_DIR], 2);
	assert_string_equal(res.first[ZIPCHECK_CLOSED_DIR][0].name, "private/");
	assert_int_equal(res.first[ZIPCHECK_CLOSED_DIR][0].mode, 0700);
	assert_string_equal(res.first[ZIPCHECK_CLOSED_DIR][1].name, "odd/");
	zipcheck_result__release(&res);
	zipcheck_result__release(&res);
	zipcheck_result__release(NULL);
}

/* What cannot be read is an error naming the zip. */
static void test_unreadable_zip(void **state)
{
	struct zipcheck_result res;
	char path[PATH_MAX];

	testfs__path(path, sizeof(path), tmp, "none.zip");
	slz_errclear();
	assert_int_equal(zipcheck__run(path, &res), -ENOENT);
	assert_non_null(strstr(slz_errmsg(), path));
	zipcheck_result__release(&res);

	testfs__write(tmp, "junk.zip", "this is not a zip file at all, no end record in it\n");
	testfs__path(path, sizeof(path), tmp, "junk.zip");
	slz_errclear();
	assert_int_equal(zipcheck__run(path, &res), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), path));
	zipcheck_result__release(&res);
}

/* A central directory record cut short: refused, naming the zip and the entry. */
static void test_damaged_directory(void **state)
{
	const struct ent ents[] = {{"a.py", S_IFREG | 0644}, {"b.py", S_IFREG | 0644}};
	struct zipcheck_result res;
	char path[PATH_MAX];
	unsigned char *data;
	size_t len;
	FILE *f;

	make_zip("damaged.zip", ents, ARRAY_SIZE(ents), path);
	data = (unsigned char *)testfs__read(path, &len);
	/* The second record's signature: the first is found, the second is not a record. */
	for (size_t i = len; i-- > 4;) {
		if (!memcmp(data + i, "PK\1\2", 4)) {
			data[i + 1] = 'X';
			break;
		}
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(data);
	slz_errclear();
	assert_int_equal(zipcheck__run(path, &res), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), path));
	assert_non_null(strstr(slz_errmsg(), "entry 1"));
	zipcheck_result__release(&res);
}

static int group_setup(void **state)
{
	testfs__mkdtemp(tmp, sizeof(tmp), "zipcheck");
	return 0;
}

static int group_teardown(void **state)
{
	testfs__rmtree(tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_lambda_modes_pass),
		cmocka_unit_test(test_closed_entries_named),
		cmocka_unit_test(test_unreadable_zip),
		cmocka_unit_test(test_damaged_directory),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
