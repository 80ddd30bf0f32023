// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What other tools and AWS Lambda make of slimzip's zips: Info-ZIP's unzip in another time
 * zone, Python's zipfile, the raw "UT" extra field both of them read, and the modes Lambda's
 * unprivileged user needs whatever umask the tree was checked out with.
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
#include <zip.h>
#include <errno.h>

#include "keepset.h"
#include "testfs.h"
#include "tree.h"
#include "tz.h"
#include "util.h"
#include "zipcdir.h"
#include "zipwrite.h"
#include "ziptest.h"

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
	return ziptest__setup(state, "zipcompat");
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

/*
 * Info-ZIP's unzip reads DOS times as the extracting machine's local time: without the "UT"
 * field, every mtime comes out 4 or 5 hours off in New York. With it, each one is exact.
 */
static void test_unzip_other_zone_true_mtimes(void **state)
{
	struct ziptest_fx *f = *state;

	if (!ziptest__have("unzip"))
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
	struct ziptest_fx *f = *state;

	if (!ziptest__have("python3"))
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
	struct ziptest_fx *f = *state;
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

/*
 * The same sources checked out as git would under umask (files 0666, executables and
 * directories 0777, less the umask), one private 0600 file, every mtime the same.
 */
static void checkout(const char *root, mode_t umask_bits)
{
	static const char *const rels[] = {"d", "d/lib.py", "run.sh", "secret.txt", "main.py"};
	char p[512];

	assert_int_equal(mkdir(root, 0755), 0);
	testfs__mkdir(root, "d");
	testfs__write(root, "d/lib.py", "x = 1\n");
	testfs__write(root, "main.py", "import d.lib\n");
	testfs__write(root, "run.sh", "#!/bin/sh\n");
	testfs__write(root, "secret.txt", "key\n");
	testfs__path(p, sizeof(p), root, "d");
	assert_int_equal(chmod(p, 0777 & ~umask_bits), 0);
	testfs__path(p, sizeof(p), root, "d/lib.py");
	assert_int_equal(chmod(p, 0666 & ~umask_bits), 0);
	testfs__path(p, sizeof(p), root, "main.py");
	assert_int_equal(chmod(p, 0666 & ~umask_bits), 0);
	testfs__path(p, sizeof(p), root, "run.sh");
	assert_int_equal(chmod(p, 0777 & ~umask_bits), 0);
	testfs__path(p, sizeof(p), root, "secret.txt");
	assert_int_equal(chmod(p, 0600), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rels); i++)
		set_mtime(root, rels[i], 1700000000);
}

static uint32_t zip_mode(const char *zip, const char *name)
{
	zip_uint32_t attr = 0;
	zip_uint8_t opsys;
	zip_int64_t i;
	zip_t *za;
	int zerr;

	za = zip_open(zip, ZIP_RDONLY, &zerr);
	assert_non_null(za);
	i = zip_name_locate(za, name, 0);
	assert_true(i >= 0);
	assert_int_equal(zip_file_get_external_attributes(za, (zip_uint64_t)i, 0, &opsys, &attr),
			 0);
	zip_close(za);
	return attr >> 16 & 07777;
}

static void write_stats(const char *root, const char *out, const struct zipwrite_opts *o,
			struct zipwrite_stats *st, char *first, size_t first_len)
{
	struct tree *t = NULL;
	struct keepset *k = NULL;
	struct tree_entry e;

	assert_int_equal(tree__open(root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	for (uint32_t i = 1; i < tree__count(t); i++)
		assert_int_equal(keepset__add(k, i, KEEP_GLOB, 0, NULL), 0);
	assert_int_equal(zipwrite__write(k, out, o, st), 0);
	first[0] = '\0';
	if (st->modes_closed_first) {
		assert_int_equal(tree__get(t, st->modes_closed_first, &e), 0);
		snprintf(first, first_len, "%s", e.path);
	}
	keepset__free(k);
	tree__free(t);
}

/* Two umasks, one zip: Lambda's modes by default, so asset hashes do not churn. */
static void test_umasks_same_bytes(void **state)
{
	struct ziptest_fx *f = *state;
	char a[400], b[400], za[400], zb[400], first[256];
	struct zipwrite_stats st;
	char *ba, *bb;
	size_t la, lb;

	snprintf(a, sizeof(a), "%s/u022", f->dir);
	snprintf(b, sizeof(b), "%s/u002", f->dir);
	snprintf(za, sizeof(za), "%s/u022.zip", f->dir);
	snprintf(zb, sizeof(zb), "%s/u002.zip", f->dir);
	checkout(a, 022);
	checkout(b, 002);
	write_stats(a, za, NULL, &st, first, sizeof(first));
	assert_int_equal(st.modes_closed, 0);
	write_stats(b, zb, NULL, &st, first, sizeof(first));
	assert_int_equal(st.modes_closed, 0);
	ba = testfs__read(za, &la);
	bb = testfs__read(zb, &lb);
	assert_int_equal(la, lb);
	if (memcmp(ba, bb, la))
		fail_msg("the checkouts under umask 022 and 002 gave different zips");
	free(ba);
	free(bb);
	assert_int_equal(zip_mode(za, "secret.txt"), 0644);
	assert_int_equal(zip_mode(za, "main.py"), 0644);
	assert_int_equal(zip_mode(zb, "d/lib.py"), 0644);
	assert_int_equal(zip_mode(zb, "run.sh"), 0755);
	assert_int_equal(zip_mode(zb, "d/"), 0755);
}

/* --modes keep: the tree's bits, and the entries Lambda's user could not read are counted. */
static void test_modes_keep(void **state)
{
	struct ziptest_fx *f = *state;
	char a[400], first[256];
	struct zipwrite_opts o;
	struct zipwrite_stats st;

	snprintf(a, sizeof(a), "%s/u002", f->dir);
	checkout(a, 002);
	zipwrite__default_opts(&o);
	assert_int_equal(zipwrite__parse_modes("keep", &o), 0);
	write_stats(a, f->out, &o, &st, first, sizeof(first));
	assert_int_equal(zip_mode(f->out, "secret.txt"), 0600);
	assert_int_equal(zip_mode(f->out, "main.py"), 0664);
	assert_int_equal(zip_mode(f->out, "run.sh"), 0775);
	assert_int_equal(st.modes_closed, 1);
	assert_string_equal(first, "secret.txt");

	/* A directory and an executable shut to others count as well; the first by name. */
	snprintf(first, sizeof(first), "%s/d", a);
	assert_int_equal(chmod(first, 0750), 0);
	snprintf(first, sizeof(first), "%s/run.sh", a);
	assert_int_equal(chmod(first, 0754), 0);
	write_stats(a, f->out, &o, &st, first, sizeof(first));
	assert_int_equal(st.modes_closed, 3);
	assert_string_equal(first, "d");

	assert_int_equal(zipwrite__parse_modes("lamda", &o), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "'lamda' is not lambda or keep"));
}

/* The archive comment (how the zip was pruned): written, read back, kept deterministic. */
static void test_archive_comment(void **state)
{
	struct ziptest_fx *f = *state;
	const char *line = "{\"slimzip\":\"0.1.0\",\"mtime\":\"fixed\"}";
	struct zipwrite_opts o;
	struct tree *t = NULL;
	struct keepset *k = NULL;
	const char *got;
	char *c = NULL;
	int zerr, len;
	zip_t *za;

	timed_tree(f->root);
	zipwrite__default_opts(&o);
	o.comment = line;
	write_all(f->root, f->out, &o);
	assert_int_equal(zipcdir__comment(f->out, &c), 0);
	assert_string_equal(c, line);
	free(c);
	za = zip_open(f->out, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	assert_non_null(za);
	got = zip_get_archive_comment(za, &len, ZIP_FL_ENC_RAW);
	assert_non_null(got);
	assert_int_equal(len, strlen(line));
	assert_memory_equal(got, line, len);
	zip_close(za);

	/* A zip without entries holds it too; one written without a comment has none. */
	assert_int_equal(tree__open(f->root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	assert_int_equal(zipwrite__write(k, f->out, &o, NULL), 0);
	assert_int_equal(zipcdir__comment(f->out, &c), 0);
	assert_string_equal(c, line);
	free(c);
	keepset__free(k);
	tree__free(t);
	write_all(f->root, f->out, NULL);
	assert_int_equal(zipcdir__comment(f->out, &c), 0);
	assert_string_equal(c, "");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unzip_other_zone_true_mtimes, setup,
						ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_python_zipfile_reads, setup,
						ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_raw_ut_fields, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_umasks_same_bytes, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_modes_keep, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_archive_comment, setup, ziptest__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
