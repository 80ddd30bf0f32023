// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What other tools make of slimzip's zips: Info-ZIP's unzip in another time zone, Python's
 * zipfile, and the raw "UT" extra field both of them read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keepset.h"
#include "testfs.h"
#include "tree.h"
#include "tz.h"
#include "util.h"
#include "zipwrite.h"

struct fixture {
	char dir[256];
	char root[320];
	char out[320];
	char dest[320];
};

/* Times a zone can get wrong: a skipped hour, a doubled one, an odd second, a winter one. */
static const struct {
	const char *rel;
	time_t mtime;
} times[] = {{"gap.py", TZ_NY_GAP},
	     {"twice.txt", TZ_NY_TWICE},
	     {"d/odd.txt", 1700000001},
	     {"d", 1600000000},
	     {"winter.txt", 1611111111}};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "zipcompat");
	snprintf(f->root, sizeof(f->root), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/dest", f->dir);
	testfs__mkdir(f->dir, "tree");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testfs__rmtree(f->dir);
	free(f);
	return 0;
}

static void set_mtime(const char *root, const char *rel, time_t t)
{
	struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
	char p[512];

	testfs__path(p, sizeof(p), root, rel);
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void timed_tree(const char *root)
{
	testfs__write(root, "gap.py", "print('gap')\n");
	testfs__write(root, "twice.txt", "twice\n");
	testfs__write(root, "d/odd.txt", "odd\n");
	testfs__write(root, "winter.txt", "winter\n");
	for (size_t i = 0; i < ARRAY_SIZE(times); i++)
		set_mtime(root, times[i].rel, times[i].mtime);
}

static void write_all(const char *root, const char *out, const struct zipwrite_opts *o)
{
	struct tree *t = NULL;
	struct keepset *k = NULL;

	assert_int_equal(tree__open(root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	for (uint32_t i = 1; i < tree__count(t); i++)
		assert_int_equal(keepset__add(k, i, KEEP_GLOB, 0, NULL), 0);
	assert_int_equal(zipwrite__write(k, out, o, NULL), 0);
	keepset__free(k);
	tree__free(t);
}

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/*
 * Info-ZIP's unzip reads DOS times as the extracting machine's local time: without the "UT"
 * field, every mtime comes out 4 or 5 hours off in New York. With it, each one is exact.
 */
static void test_unzip_other_zone_true_mtimes(void **state)
{
	struct fixture *f = *state;

	if (!have("unzip"))
		skip();
	timed_tree(f->root);
	write_all(f->root, f->out, NULL);
	testfs__run("TZ=America/New_York unzip -q '%s' -d '%s'", f->out, f->dest);
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		struct stat sb;
		char p[512];

		testfs__path(p, sizeof(p), f->dest, times[i].rel);
		assert_int_equal(lstat(p, &sb), 0);
		if (sb.st_mtime != times[i].mtime)
			fail_msg("%s unzipped in New York: mtime %lld, not %lld", times[i].rel,
				 (long long)sb.st_mtime, (long long)times[i].mtime);
	}
}

/* Python's zipfile (what pip, boto3 and AWS tooling use) reads the archive and every entry. */
static void test_python_zipfile_reads(void **state)
{
	struct fixture *f = *state;

	if (!have("python3"))
		skip();
	timed_tree(f->root);
	write_all(f->root, f->out, NULL);
	testfs__run("python3 -c '"
		    "import sys, zipfile\n"
		    "z = zipfile.ZipFile(sys.argv[1])\n"
		    "assert z.testzip() is None\n"
		    "names = sorted(z.namelist())\n"
		    "assert names == [\"d/\", \"d/odd.txt\", \"gap.py\", \"twice.txt\", "
		    "\"winter.txt\"], names\n"
		    "assert z.read(\"d/odd.txt\") == b\"odd\\n\"\n"
		    "i = z.getinfo(\"gap.py\")\n"
		    "assert i.extra == b\"UT\\x05\\x00\\x01\" + (%lld).to_bytes(4, \"little\"), "
		    "i.extra\n"
		    "' '%s'",
		    (long long)TZ_NY_GAP, f->out);
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The 9 bytes Info-ZIP writes, in the local header and in the central record alike. */
static void assert_ut(const unsigned char *extra, uint16_t len, uint32_t mtime, const char *where)
{
	if (len != 9 || memcmp(extra, "UT\5\0\1", 5) || get32(extra + 5) != mtime)
		fail_msg("%s: extra field of %u bytes, not UT 5 1 %u", where, len, mtime);
}

static void test_raw_ut_fields(void **state)
{
	struct fixture *f = *state;
	struct zipwrite_opts o;
	unsigned char *z;
	size_t len, locals = 0, centrals = 0;

	timed_tree(f->root);
	/* A fixed time goes into the UT field too: the zip still says nothing of the tree. */
	zipwrite__default_opts(&o);
	assert_int_equal(zipwrite__parse_mtime("1234567890", &o), 0);
	write_all(f->root, f->out, &o);
	z = (unsigned char *)testfs__read(f->out, &len);
	for (size_t i = 0; i + 46 <= len; i++) {
		if (!memcmp(z + i, "PK\3\4", 4)) {
			uint16_t nl = get16(z + i + 26), xl = get16(z + i + 28);

			assert_true(i + 30 + nl + xl <= len);
			assert_ut(z + i + 30 + nl, xl, 1234567890, "local header");
			locals++;
		} else if (!memcmp(z + i, "PK\1\2", 4)) {
			uint16_t nl = get16(z + i + 28), xl = get16(z + i + 30);

			assert_true(i + 46 + nl + xl <= len);
			assert_ut(z + i + 46 + nl, xl, 1234567890, "central record");
			centrals++;
		}
	}
	assert_int_equal(locals, 5);
	assert_int_equal(centrals, 5);
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unzip_other_zone_true_mtimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_python_zipfile_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_ut_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
