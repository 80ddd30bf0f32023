// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How the extractor finds an entry's data (extract_files.c reads it with pread() at the offset
 * the local header gives, not through libzip): zips built byte by byte here with what other
 * writers put in them (data descriptors, local extra fields longer than the central ones and
 * longer than the bytes read with the header, a zip64-sized extra area), zips with a local
 * header that does not match the central directory, and zips Info-ZIP wrote, read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "testfs.h"
#include "util.h"
#include "ziptest.h"

struct fixture {
	char dir[64];
	char zip[128];
	char dest[128];
};

/* One entry of a zip built by hand: what the local header and the central record say. */
struct hent {
	const char *name;
	const char *local_name; /* NULL: name */
	const void *data;
	size_t len;
	bool deflate;
	bool descriptor;    /* flag bit 3: zeros in the local header, a data descriptor after */
	size_t local_extra; /* bytes of a private extra field (id 0xcafe) in the local header */
	int local_method;   /* -1: the central one */
};

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put_bytes(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put16(struct buf *b, unsigned v)
{
	unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};

	put_bytes(b, x, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* A zip of the entries (regular files, mode 0644, made on Unix) at path. */
static void write_zip(const char *path, const struct hent *es, size_t n)
{
	struct buf z = {0}, cd = {0};
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	uint32_t *offs = calloc(n, sizeof(*offs));
	FILE *f;

	assert_non_null(c);
	for (size_t i = 0; i < n; i++) {
		const struct hent *e = &es[i];
		const char *lname = e->local_name ? e->local_name : e->name;
		uint32_t crc = (uint32_t)libdeflate_crc32(0, e->data, e->len);
		size_t cap = libdeflate_deflate_compress_bound(c, e->len), clen = e->len;
		unsigned char *comp = malloc(cap ? cap : 1);
		unsigned method = e->deflate ? 8 : 0;
		unsigned flags = e->descriptor ? 8 : 0;

		if (e->deflate) {
			clen = libdeflate_deflate_compress(c, e->data, e->len, comp, cap);
			assert_true(clen > 0);
		} else {
			memcpy(comp, e->data, e->len);
		}
		offs[i] = (uint32_t)z.len;
		put32(&z, 0x04034b50);
		put16(&z, 20);
		put16(&z, flags);
		put16(&z, e->local_method >= 0 ? (unsigned)e->local_method : method);
		put16(&z, 0);	   /* time */
		put16(&z, 0x5821); /* 2024-01-01 */
		put32(&z, e->descriptor ? 0 : crc);
		put32(&z, e->descriptor ? 0 : (uint32_t)clen);
		put32(&z, e->descriptor ? 0 : (uint32_t)e->len);
		put16(&z, (unsigned)strlen(lname));
		put16(&z, (unsigned)(e->local_extra ? e->local_extra + 4 : 0));
		put_bytes(&z, lname, strlen(lname));
		if (e->local_extra) {
			put16(&z, 0xcafe);
			put16(&z, (unsigned)e->local_extra);
			for (size_t k = 0; k < e->local_extra; k++)
				put_bytes(&z, "x", 1);
		}
		put_bytes(&z, comp, clen);
		if (e->descriptor) {
			put32(&z, 0x08074b50);
			put32(&z, crc);
			put32(&z, (uint32_t)clen);
			put32(&z, (uint32_t)e->len);
		}
		put32(&cd, 0x02014b50);
		put16(&cd, 0x031e); /* made by Unix */
		put16(&cd, 20);
		put16(&cd, flags);
		put16(&cd, method);
		put16(&cd, 0);
		put16(&cd, 0x5821);
		put32(&cd, crc);
		put32(&cd, (uint32_t)clen);
		put32(&cd, (uint32_t)e->len);
		put16(&cd, (unsigned)strlen(e->name));
		put16(&cd, 0); /* extra */
		put16(&cd, 0); /* comment */
		put16(&cd, 0); /* disk */
		put16(&cd, 0); /* internal attributes */
		put32(&cd, (uint32_t)(0100644) << 16);
		put32(&cd, offs[i]);
		put_bytes(&cd, e->name, strlen(e->name));
		free(comp);
	}
	{
		uint32_t cd_off = (uint32_t)z.len;

		put_bytes(&z, cd.p, cd.len);
		put32(&z, 0x06054b50);
		put16(&z, 0);
		put16(&z, 0);
		put16(&z, (unsigned)n);
		put16(&z, (unsigned)n);
		put32(&z, (uint32_t)cd.len);
		put32(&z, cd_off);
		put16(&z, 0);
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(z.p, 1, z.len, f), z.len);
	assert_int_equal(fclose(f), 0);
	libdeflate_free_compressor(c);
	free(offs);
	free(z.p);
	free(cd.p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "xread");
	snprintf(f->zip, sizeof(f->zip), "%s/in.zip", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/dest", f->dir);
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

static void assert_file(const char *dest, const char *rel, const void *data, size_t len)
{
	char p[512];
	size_t got = 0;
	char *b;

	snprintf(p, sizeof(p), "%s/%s", dest, rel);
	b = testfs__read(p, &got);
	assert_non_null(b);
	assert_int_equal(got, len);
	assert_memory_equal(b, data, len);
	free(b);
}

static bool exists(const char *dest, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dest, rel);
	return lstat(p, &st) == 0;
}

/* Text that deflates, in a few kinds of sizes. */
static char *text(size_t len, unsigned seed)
{
	char *t = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		t[i] = (char)('a' + (i * 7 + i / 13 + seed) % 26);
	return t;
}

static void test_descriptors_and_extra_fields(void **state)
{
	struct fixture *f = *state;
	char *a = text(5000, 1), *b = text(70000, 2), *c = text(300, 3), *d = text(1, 4);
	const struct hent es[] = {
		{.name = "a.txt",
		 .data = a,
		 .len = 5000,
		 .deflate = true,
		 .descriptor = true,
		 .local_method = -1},
		{.name = "dir/b.txt",
		 .data = b,
		 .len = 70000,
		 .deflate = true,
		 .local_extra = 600,
		 .local_method = -1},
		{.name = "dir/c.txt",
		 .data = c,
		 .len = 300,
		 .descriptor = true,
		 .local_extra = 20,
		 .local_method = -1},
		{.name = "dir/sub/d.txt",
		 .data = d,
		 .len = 1,
		 .local_extra = 124,
		 .local_method = -1},
		{.name = "e.txt", .data = "", .len = 0, .descriptor = true, .local_method = -1},
	};

	for (int threads = 1; threads <= 2; threads++) {
		EXTRACT_OPTS(o, .threads = threads);

		write_zip(f->zip, es, sizeof(es) / sizeof(es[0]));
		assert_int_equal(extract__zip(f->zip, f->dest, &o), 0);
		assert_file(f->dest, "a.txt", a, 5000);
		assert_file(f->dest, "dir/b.txt", b, 70000);
		assert_file(f->dest, "dir/c.txt", c, 300);
		assert_file(f->dest, "dir/sub/d.txt", d, 1);
		assert_file(f->dest, "e.txt", "", 0);
		assert_int_equal(extract__remove(f->dest), 0);
	}
	free(a);
	free(b);
	free(c);
	free(d);
}

/*
 * The middle entry of a zip of three files is damaged as dmg says: refused before anything is
 * written (libzip's consistency check at open compares every local header with its central
 * record; extract_files.c checks name, method and bounds again when it reads the data).
 */
static void expect_refused(struct fixture *f, struct hent dmg)
{
	char *t = text(4000, 5);
	struct hent es[] = {
		{.name = "ok1.txt", .data = t, .len = 4000, .deflate = true, .local_method = -1},
		dmg,
		{.name = "ok2.txt", .data = t, .len = 4000, .local_method = -1},
	};

	write_zip(f->zip, es, 3);
	for (int threads = 1; threads <= 2; threads++) {
		EXTRACT_OPTS(o, .threads = threads);

		assert_int_equal(extract__zip(f->zip, f->dest, &o), -EINVAL);
		if (!strstr(slz_errmsg(), f->zip))
			fail_msg("%s", slz_errmsg());
		assert_false(exists(f->dest, ""));
	}
	free(t);
}

static void test_local_name_must_match(void **state)
{
	expect_refused(*state, (struct hent){.name = "bad.txt",
					     .local_name = "bax.txt",
					     .data = "hello",
					     .len = 5,
					     .local_method = -1});
}

static void test_local_method_must_match(void **state)
{
	/* Stored bytes that a deflate header would have read as a deflate stream. */
	expect_refused(
		*state,
		(struct hent){.name = "bad.txt", .data = "hello", .len = 5, .local_method = 8});
}

/* A local extra field claiming more bytes than are left: the data would end past the zip. */
static void test_data_past_the_end(void **state)
{
	struct fixture *f = *state;
	struct hent e = {.name = "last.txt", .data = "0123456789", .len = 10, .local_method = -1};
	unsigned char *z;
	size_t len = 0;
	FILE *out;

	write_zip(f->zip, &e, 1);
	z = (unsigned char *)testfs__read(f->zip, &len);
	assert_non_null(z);
	/* The local extra length (offset 28 of the only local header), far beyond the file. */
	z[28] = 0xff;
	z[29] = 0xff;
	out = fopen(f->zip, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(z, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	free(z);
	assert_int_equal(extract__zip(f->zip, f->dest, NULL), -EINVAL);
	if (!strstr(slz_errmsg(), f->zip))
		fail_msg("%s", slz_errmsg());
	assert_false(exists(f->dest, ""));
}

/*
 * Zips Info-ZIP wrote (its UT and ux local extra fields, longer than the central ones), read
 * back. Its data-descriptor zips (-fd, or streamed to a pipe) libzip 1.7's consistency check
 * at open calls inconsistent: refused whole, before anything is written (as before the pread
 * reader; the hand-built descriptors above pass).
 */
static void test_infozip_zips(void **state)
{
	struct fixture *f = *state;
	const char *modes[] = {"zip -q -r -X", "zip -q -r", "zip -q -r -y -6"};
	char tree[128], big[80000];

	if (!ziptest__have("zip"))
		skip();
	snprintf(tree, sizeof(tree), "%s/tree", f->dir);
	testfs__mkdir(f->dir, "tree");
	testfs__mkdirs(tree, "pkg/sub");
	testfs__write(tree, "top.txt", "top\n");
	testfs__write(tree, "pkg/__init__.py", "import os\n");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('A' + (i * 31 + i / 97) % 23);
	testfs__write_bytes(tree, "pkg/sub/big.bin", big, sizeof(big));
	testfs__write_bytes(tree, "pkg/sub/empty", "", 0);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		EXTRACT_OPTS(o, .threads = 2);

		unlink(f->zip);
		testfs__run("cd '%s' && %s '%s' .", tree, modes[m], f->zip);
		assert_int_equal(extract__zip(f->zip, f->dest, &o), 0);
		assert_file(f->dest, "top.txt", "top\n", 4);
		assert_file(f->dest, "pkg/__init__.py", "import os\n", 10);
		assert_file(f->dest, "pkg/sub/big.bin", big, sizeof(big));
		assert_file(f->dest, "pkg/sub/empty", "", 0);
		assert_int_equal(extract__remove(f->dest), 0);
	}
	/* Streamed through a pipe: Info-ZIP cannot seek back, so every entry has a descriptor. */
	unlink(f->zip);
	testfs__run("cd '%s' && zip -q - pkg/sub/big.bin top.txt | cat > '%s'", tree, f->zip);
	assert_int_equal(extract__zip(f->zip, f->dest, NULL), -EINVAL);
	assert_false(exists(f->dest, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_descriptors_and_extra_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_name_must_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_method_must_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_past_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_infozip_zips, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
