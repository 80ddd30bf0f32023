// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libdeflate both ways. The files the pool deflates: what Info-ZIP, Python's zipfile and libzip
 * make of them, the stored fallback for files deflate does not shrink, and bytes that do not
 * depend on how many threads deflated them. The extractor inflating them on several threads:
 * a damaged deflate stream is one error naming the entry, the first in entry order, and
 * leaves no file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "extract.h"
#include "keepset.h"
#include "testfs.h"
#include "tree.h"
#include "util.h"
#include "zipdeflate.h"
#include "zipwrite.h"
#include "ziptest.h"

static int setup(void **state)
{
	return ziptest__setup(state, "zipdeflate");
}

/* Bytes no deflate can shrink, the same on every run (xorshift, not /dev/urandom). */
static unsigned char *noise(size_t len, uint64_t seed)
{
	unsigned char *b = malloc(len ? len : 1);
	uint64_t x = seed | 1;

	assert_non_null(b);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 32);
	}
	return b;
}

static unsigned char *text(size_t len)
{
	static const char line[] = "def handler(event, context):\n    return {'ok': True}\n";
	unsigned char *b = malloc(len ? len : 1);

	assert_non_null(b);
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)line[i % (sizeof(line) - 1)];
	return b;
}

static const struct {
	const char *rel;
	size_t len;
	bool random;
	int method; /* what the entry must be */
} files[] = {
	{"empty", 0, false, ZIP_CM_STORE},
	{"one", 1, false, ZIP_CM_STORE},	  /* deflate makes 1 byte 3 */
	{"tiny.bin", 100, true, ZIP_CM_STORE},	  /* deflate adds its block header */
	{"tiny.txt", 100, false, ZIP_CM_DEFLATE}, /* repeats: shrinks even at 100 bytes */
	{"random.bin", 300000, true, ZIP_CM_STORE},
	{"d/compressible.py", 1 << 20, false, ZIP_CM_DEFLATE},
	{"d/e/random2.bin", 70000, true, ZIP_CM_STORE},
};

static void mixed_tree(const char *root)
{
	testfs__mkdirs(root, "d/e");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		unsigned char *b =
			files[i].random ? noise(files[i].len, i + 1) : text(files[i].len);

		testfs__write_bytes(root, files[i].rel, b, files[i].len);
		free(b);
	}
}

/* Many small files, so that two workers both get some. */
static void many_files_tree(const char *root)
{
	mixed_tree(root);
	for (int i = 0; i < 200; i++) {
		char rel[64];
		size_t len = 1000 + (size_t)i * 97;
		unsigned char *b = i % 3 ? text(len) : noise(len, (uint64_t)i + 100);

		snprintf(rel, sizeof(rel), "many/f%03d", i);
		if (i % 3 == 1) /* different bytes per file, still compressible */
			memcpy(b, rel, strlen(rel));
		testfs__write_bytes(root, rel, b, len);
		free(b);
	}
}

static void write_zip(const char *root, const char *out, int threads, int level)
{
	struct tree *t = NULL;
	struct keepset *k = NULL;
	struct zipwrite_opts o;

	zipwrite__default_opts(&o);
	o.threads = threads;
	o.level = level;
	o.mtime_mode = ZIPWRITE_MTIME_FIXED;
	assert_int_equal(tree__open(root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	for (uint32_t i = 1; i < tree__count(t); i++)
		assert_int_equal(keepset__add(k, i, KEEP_GLOB, 0, NULL), 0);
	if (zipwrite__write(k, out, &o, NULL))
		fail_msg("zipwrite__write: %s", slz_errmsg());
	keepset__free(k);
	tree__free(t);
}

/* Each file of mixed_tree() came out of the extractor byte for byte. */
static void check_extracted(const struct ziptest_fx *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char p[512];
		size_t len;
		char *got, *want;

		testfs__path(p, sizeof(p), f->dest, files[i].rel);
		got = testfs__read(p, &len);
		testfs__path(p, sizeof(p), f->root, files[i].rel);
		want = testfs__read(p, NULL);
		assert_int_equal(len, files[i].len);
		if (len && memcmp(got, want, len))
			fail_msg("%s extracted with other bytes", files[i].rel);
		free(got);
		free(want);
	}
}

/*
 * Info-ZIP (unzip -t), Python's zipfile and libzip (our extractor, which checks sizes and
 * CRCs) all read every entry; each file comes back byte for byte; files deflate does not
 * shrink are stored, the others deflated and smaller.
 */
static void test_three_readers(void **state)
{
	struct ziptest_fx *f = *state;
	zip_t *za;
	int zerr;

	mixed_tree(f->root);
	write_zip(f->root, f->out, 2, 6);
	testfs__run("unzip -tq '%s' >/dev/null", f->out);
	testfs__run("python3 -m zipfile -t '%s' >/dev/null", f->out);
	testfs__run("python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
		    "assert z.testzip() is None' '%s'",
		    f->out);
	for (int threads = 1; threads <= 2; threads++) {
		EXTRACT_OPTS(eo, .threads = threads);

		assert_int_equal(extract__zip(f->out, f->dest, &eo), 0);
		check_extracted(f);
		assert_int_equal(extract__remove(f->dest), 0);
	}
	za = zip_open(f->out, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	assert_non_null(za);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char p[512], *got, *want;
		zip_file_t *zf;
		zip_stat_t zs;

		assert_int_equal(zip_stat(za, files[i].rel, 0, &zs), 0);
		if (zs.comp_method != files[i].method)
			fail_msg("%s: method %d, not %d", files[i].rel, zs.comp_method,
				 files[i].method);
		if (files[i].method == ZIP_CM_STORE)
			assert_int_equal(zs.comp_size, zs.size);
		else
			assert_true(zs.comp_size < zs.size);
		/* libzip's own reading (zlib inflating, its CRC check at the end) agrees. */
		zf = zip_fopen(za, files[i].rel, 0);
		assert_non_null(zf);
		testfs__path(p, sizeof(p), f->root, files[i].rel);
		want = testfs__read(p, NULL);
		got = malloc(files[i].len + 1);
		assert_int_equal(zip_fread(zf, got, files[i].len + 1), (zip_int64_t)files[i].len);
		assert_int_equal(zip_fclose(zf), 0);
		assert_memory_equal(got, want, files[i].len);
		free(got);
		free(want);
	}
	zip_close(za);
}

/* Every file is deflated on its own: one worker or two, the zip is the same, byte for byte. */
static void test_threads_same_bytes(void **state)
{
	struct ziptest_fx *f = *state;
	char *a, *b;
	size_t la, lb;

	many_files_tree(f->root);
	for (int level = 1; level <= 9; level += 4) {
		write_zip(f->root, f->out, 1, level);
		write_zip(f->root, f->out2, 2, level);
		a = testfs__read(f->out, &la);
		b = testfs__read(f->out2, &lb);
		assert_int_equal(la, lb);
		if (memcmp(a, b, la))
			fail_msg("level %d: the zip of 2 workers differs from that of 1", level);
		free(a);
		free(b);
	}
	/* And 1 differs from 9: the level reaches libdeflate. */
	write_zip(f->root, f->out, 1, 1);
	write_zip(f->root, f->out2, 1, 9);
	a = testfs__read(f->out, &la);
	b = testfs__read(f->out2, &lb);
	assert_true(la != lb || memcmp(a, b, la));
	free(a);
	free(b);
}

static uint32_t le(const unsigned char *p, int bytes)
{
	uint32_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Overwrite len bytes at offset off of entry name's data (past its local header) with byte,
 * leaving sizes and CRC as declared: the deflate stream itself is damaged.
 */
static void damage_data(const char *path, const char *name, size_t off, unsigned char byte,
			size_t len)
{
	size_t zlen, nl = strlen(name);
	unsigned char *z = (unsigned char *)testfs__read(path, &zlen);
	bool found = false;
	FILE *fp;

	for (size_t i = 0; i + 46 + nl <= zlen && !found; i++) {
		unsigned char *c = z + i, *l;

		if (memcmp(c, "PK\1\2", 4) || le(c + 28, 2) != nl || memcmp(c + 46, name, nl))
			continue;
		l = z + le(c + 42, 4);
		assert_memory_equal(l, "PK\3\4", 4);
		assert_true(off + len <= le(c + 20, 4)); /* within its compressed size */
		memset(l + 30 + le(l + 26, 2) + le(l + 28, 2) + off, byte, len);
		found = true;
	}
	assert_true(found);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(z, 1, zlen, fp), zlen);
	fclose(fp);
	free(z);
}

static bool exists_in(const char *dir, const char *rel)
{
	char p[512];

	testfs__path(p, sizeof(p), dir, rel);
	return access(p, F_OK) == 0;
}

/*
 * A deflate stream whose first block has the reserved type (BFINAL 1, BTYPE 11): one error,
 * on one line, naming the entry and saying what is wrong; its file is not there. Damage in
 * the middle of the stream is caught too (as a damaged stream, a wrong size or a wrong CRC).
 */
static void test_corrupt_deflate_stream(void **state)
{
	struct ziptest_fx *f = *state;

	mixed_tree(f->root);
	for (int threads = 1; threads <= 2; threads++) {
		EXTRACT_OPTS(eo, .threads = threads);

		write_zip(f->root, f->out, 2, 6);
		damage_data(f->out, "d/compressible.py", 0, 0x07, 1);
		assert_int_equal(extract__zip(f->out, f->dest, &eo), -EINVAL);
		assert_string_equal(slz_errmsg(),
				    "entry d/compressible.py is corrupt: its deflate stream is "
				    "damaged");
		assert_false(exists_in(f->dest, "d/compressible.py"));
		assert_int_equal(extract__remove(f->dest), 0);

		write_zip(f->root, f->out, 2, 6);
		damage_data(f->out, "d/compressible.py", 500, 0xa5, 40);
		assert_int_equal(extract__zip(f->out, f->dest, &eo), -EINVAL);
		assert_non_null(strstr(slz_errmsg(), "entry d/compressible.py "));
		assert_null(strchr(slz_errmsg(), '\n'));
		assert_false(exists_in(f->dest, "d/compressible.py"));
		assert_int_equal(extract__remove(f->dest), 0);
	}
}

/*
 * Two damaged entries, two threads: the one reported is the first in entry order, every
 * time, whichever thread found its failure first.
 */
static void test_first_failure_in_entry_order(void **state)
{
	struct ziptest_fx *f = *state;
	EXTRACT_OPTS(eo, .threads = 2);

	many_files_tree(f->root);
	write_zip(f->root, f->out, 2, 6);
	damage_data(f->out, "many/f001", 0, 0x07, 1);
	damage_data(f->out, "many/f199", 0, 0x07, 1);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(extract__zip(f->out, f->dest, &eo), -EINVAL);
		assert_string_equal(slz_errmsg(),
				    "entry many/f001 is corrupt: its deflate stream is damaged");
		assert_false(exists_in(f->dest, "many/f001"));
		assert_int_equal(extract__remove(f->dest), 0);
	}
}

/*
 * Two archives into one directory, as verify --layer does: the second's files take the place
 * of the first's with replace (on two threads, each thread unlinking before it creates), and
 * clash without it.
 */
static void test_replace_on_threads(void **state)
{
	struct ziptest_fx *f = *state;
	EXTRACT_OPTS(keep, .threads = 2);
	EXTRACT_OPTS(repl, .threads = 2, .replace = true);
	char p[512], *got;

	many_files_tree(f->root);
	write_zip(f->root, f->out, 2, 6);
	testfs__write(f->root, "many/f001", "the second layer's\n");
	testfs__write(f->root, "random.bin", "also replaced\n");
	write_zip(f->root, f->out2, 2, 6);
	assert_int_equal(extract__zip(f->out, f->dest, &keep), 0);
	assert_int_equal(extract__zip(f->out2, f->dest, &keep), -EEXIST);
	assert_int_equal(extract__remove(f->dest), 0);

	assert_int_equal(extract__zip(f->out, f->dest, &keep), 0);
	assert_int_equal(extract__zip(f->out2, f->dest, &repl), 0);
	testfs__path(p, sizeof(p), f->dest, "many/f001");
	got = testfs__read(p, NULL);
	assert_string_equal(got, "the second layer's\n");
	free(got);
	testfs__path(p, sizeof(p), f->dest, "random.bin");
	got = testfs__read(p, NULL);
	assert_string_equal(got, "also replaced\n");
	free(got);
}

/* The compressor itself: levels 1-9 only; a raw deflate stream that inflates back; stored. */
static void test_zipdeflate_buffer(void **state)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	struct zipdeflate *z = NULL;
	struct zipdeflate_out out;
	unsigned char *in, *back;
	size_t len = 200000, got = 0;

	(void)state;
	assert_int_equal(zipdeflate__new(0, &z), -EINVAL);
	assert_int_equal(zipdeflate__new(10, &z), -EINVAL);
	assert_null(z);
	assert_int_equal(zipdeflate__new(6, &z), 0);

	in = text(len);
	assert_int_equal(zipdeflate__buffer(z, in, len, &out), 0);
	assert_false(out.stored);
	assert_true(out.len < len / 10);
	back = malloc(len);
	assert_int_equal(libdeflate_deflate_decompress(d, out.data, out.len, back, len, &got),
			 LIBDEFLATE_SUCCESS);
	assert_int_equal(got, len);
	assert_int_equal(out.crc, (uint32_t)libdeflate_crc32(0, back, len));
	in = text(len);
	assert_memory_equal(back, in, len);
	free(in);
	free(out.data);

	in = noise(len, 7);
	assert_int_equal(zipdeflate__buffer(z, in, len, &out), 0);
	assert_true(out.stored);
	assert_ptr_equal(out.data, in); /* the file itself, not a copy */
	assert_int_equal(out.len, len);
	free(out.data);

	free(back);
	libdeflate_free_decompressor(d);
	zipdeflate__free(z);
	zipdeflate__free(NULL);
}

/*
 * Large files (1 MiB and more) are sampled at start, middle and end: noise everywhere is
 * stored without the whole deflate, yet a file that shrinks where any sample falls is
 * deflated whole, and smaller than stored; below 1 MiB nothing is sampled.
 */
static void test_incompressible_samples(void **state)
{
	const size_t len = 3u << 20, sample = 64u << 10;
	const size_t where[] = {0, len / 2 - sample / 2, len - sample};
	struct zipdeflate *z = NULL;
	struct zipdeflate_out out;
	unsigned char *in, *t;

	(void)state;
	assert_int_equal(zipdeflate__new(6, &z), 0);
	in = noise(len, 11);
	assert_int_equal(zipdeflate__buffer(z, in, len, &out), 0);
	assert_true(out.stored);
	assert_int_equal(out.len, len);
	assert_int_equal(out.crc, (uint32_t)libdeflate_crc32(0, out.data, len));
	free(out.data);

	/* Text where exactly one sample lands, noise elsewhere: deflated. */
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		in = noise(len, 11);
		t = text(sample);
		memcpy(in + where[i], t, sample);
		free(t);
		assert_int_equal(zipdeflate__buffer(z, in, len, &out), 0);
		assert_false(out.stored);
		assert_true(out.len < len);
		free(out.data);
	}

	/* Half text between the samples: stored, the price of not deflating noise. */
	in = noise(len, 11);
	t = text(len / 4);
	memcpy(in + len / 8, t, len / 4);
	free(t);
	assert_int_equal(zipdeflate__buffer(z, in, len, &out), 0);
	assert_true(out.stored);
	free(out.data);
	zipdeflate__free(z);
}

/*
 * The level mapping (zipdeflate.c's table, measured by scripts/bench-levels): zip level N is
 * the lowest libdeflate level that was no larger than zlib's N on every corpus, and what a
 * level-N compressor writes is exactly that libdeflate level's stream.
 */
static void test_level_mapping(void **state)
{
	size_t len = 300000;
	struct zipdeflate *bad = NULL;

	(void)state;
	assert_int_equal(zipdeflate__new(0, &bad), -EINVAL);
	assert_int_equal(zipdeflate__new(10, &bad), -EINVAL);
	/* zipdeflate.h's mapping: zip level N is libdeflate's N, byte for byte. */
	for (int n = 1; n <= 9; n++) {
		struct libdeflate_compressor *c;
		struct zipdeflate *z = NULL;
		struct zipdeflate_out out;
		unsigned char *in = text(len), *ref = malloc(len);
		size_t rn;

		/* Some noise between the lines, so the levels' streams differ. */
		for (size_t i = 0; i < len; i += 997)
			in[i] = (unsigned char)(i * 31);
		c = libdeflate_alloc_compressor(n);
		assert_non_null(c);
		assert_non_null(ref);
		rn = libdeflate_deflate_compress(c, in, len, ref, len);
		assert_true(rn > 0);
		assert_int_equal(zipdeflate__new(n, &z), 0);
		assert_int_equal(zipdeflate__buffer(z, in, len, &out), 0);
		assert_false(out.stored);
		assert_int_equal(out.len, rn);
		assert_memory_equal(out.data, ref, rn);
		free(out.data);
		free(ref);
		libdeflate_free_compressor(c);
		zipdeflate__free(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_readers, setup, ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_threads_same_bytes, setup, ziptest__teardown),
		cmocka_unit_test(test_zipdeflate_buffer),
		cmocka_unit_test(test_level_mapping),
		cmocka_unit_test(test_incompressible_samples),
		cmocka_unit_test_setup_teardown(test_corrupt_deflate_stream, setup,
						ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_first_failure_in_entry_order, setup,
						ziptest__teardown),
		cmocka_unit_test_setup_teardown(test_replace_on_threads, setup, ziptest__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
