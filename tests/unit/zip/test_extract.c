// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "extract.h"
#include "keepset.h"
#include "testfs.h"
#include "tree.h"
#include "tz.h"
#include "util.h"
#include "zipname.h"
#include "zipwrite.h"

struct fixture {
	char dir[64];
	char root[96];
	char out[128];
	char dest[128];
};

static void put(const char *root, const char *rel, const void *data, size_t len, mode_t mode)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void mkd(const char *root, const char *rel, mode_t mode)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void lnk(const char *root, const char *rel, const char *target)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/slz-extract-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/dest", f->dir);
	mkdir(f->root, 0755);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[320];

	/* a 0555 directory from the round trip must not stop the cleanup */
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* Compare one entry of the source tree with its extracted copy. */
static void same_entry(const char *a_root, const char *b_root, const char *rel)
{
	char a[512], b[512];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "%s/%s", a_root, rel);
	snprintf(b, sizeof(b), "%s/%s", b_root, rel);
	assert_int_equal(lstat(a, &sa), 0);
	if (lstat(b, &sb))
		fail_msg("%s was not extracted", rel);
	assert_int_equal(sa.st_mode & S_IFMT, sb.st_mode & S_IFMT);
	/* The exact second, from the "UT" field (DOS time alone would round odd seconds down). */
	assert_int_equal(sa.st_mtime, sb.st_mtime);
	if (S_ISLNK(sa.st_mode)) {
		char ta[256] = {0}, tb[256] = {0};

		assert_true(readlink(a, ta, sizeof(ta)) > 0);
		assert_true(readlink(b, tb, sizeof(tb)) > 0);
		assert_string_equal(ta, tb);
		return;
	}
	assert_int_equal(sa.st_mode & 0777, sb.st_mode & 0777);
	if (S_ISREG(sa.st_mode)) {
		char cmd[1100];

		assert_int_equal(sa.st_size, sb.st_size);
		snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
		assert_int_equal(system(cmd), 0);
	}
}

static void write_all(const char *root, const char *out)
{
	struct tree *t = NULL;
	struct keepset *k = NULL;
	struct zipwrite_opts o;

	assert_int_equal(tree__open(root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	for (uint32_t i = 1; i < tree__count(t); i++)
		assert_int_equal(keepset__add(k, i, KEEP_GLOB, 0, NULL), 0);
	/* The tree's own modes, so that extraction is seen to restore each one. */
	zipwrite__default_opts(&o);
	o.modes = ZIPWRITE_MODES_KEEP;
	assert_int_equal(zipwrite__write(k, out, &o, NULL), 0);
	keepset__free(k);
	tree__free(t);
}

static void set_mtime(const char *root, const char *rel, time_t t)
{
	struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	static const char *const rels[] = {"a.txt", "bin",	"empty",      "run.sh",
					   "sub",   "sub/deep", "sub/deep/x", "ro",
					   "ro/f",  "emptydir", "link",	      "sub/deep/up"};
	unsigned char bin[100000];
	char *saved;
	int err;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(rand() & 0xff);
	put(f->root, "a.txt", "text\n", 5, 0644);
	put(f->root, "bin", bin, sizeof(bin), 0640);
	put(f->root, "empty", "", 0, 0600);
	put(f->root, "run.sh", "#!/bin/sh\n", 10, 0755);
	mkd(f->root, "sub", 0750);
	mkd(f->root, "sub/deep", 0755);
	put(f->root, "sub/deep/x", "x", 1, 0644);
	mkd(f->root, "ro", 0755);
	put(f->root, "ro/f", "f", 1, 0444);
	mkd(f->root, "emptydir", 0700);
	lnk(f->root, "link", "a.txt");
	lnk(f->root, "sub/deep/up", "../../a.txt");
	set_mtime(f->root, "a.txt", 1600000001);
	set_mtime(f->root, "link", 1500000000);
	set_mtime(f->root, "sub/deep", 1400000000);
	set_mtime(f->root, "sub/deep/up", 1400000002);
	chmod(f->dir, 0755);
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/ro", f->root);
		chmod(p, 0555);
	}

	/* Written in one zone, extracted in another: times are UTC on both sides. */
	saved = tz_set("Europe/Berlin");
	write_all(f->root, f->out);
	tz_restore(saved);
	saved = tz_set("America/Los_Angeles");
	err = extract__zip(f->out, f->dest, NULL);
	tz_restore(saved);
	assert_int_equal(err, 0);

	/* Every entry as in the tree (type, mode, contents, mtime), nothing more at the top. */
	for (size_t i = 0; i < ARRAY_SIZE(rels); i++)
		same_entry(f->root, f->dest, rels[i]);
	assert_int_equal(count_entries(f->dest), 8);
}

/* Written and extracted in one zone after another: the same zip, the tree's own mtimes. */
static void test_any_tz(void **state)
{
	struct fixture *f = *state;
	static const char *const zones[] = {"UTC", "America/New_York", "Asia/Kolkata", "right/UTC"};
	static const struct {
		const char *rel;
		time_t mtime;
	} ents[] = {{"gap", TZ_NY_GAP},
		    {"twice", TZ_NY_TWICE},
		    {"d/f", 1700000000},
		    {"d", TZ_NY_GAP + 86400},
		    {"l", TZ_NY_TWICE + 2}};
	char *first = NULL;
	size_t first_len = 0;

	put(f->root, "gap", "g", 1, 0644);
	put(f->root, "twice", "t", 1, 0644);
	mkd(f->root, "d", 0755);
	put(f->root, "d/f", "f", 1, 0644);
	lnk(f->root, "l", "gap");
	for (size_t i = 0; i < ARRAY_SIZE(ents); i++)
		set_mtime(f->root, ents[i].rel, ents[i].mtime);
	for (size_t z = 0; z < ARRAY_SIZE(zones); z++) {
		char out[160], dest[160], p[512];
		char *saved = tz_set(zones[z]), *bytes;
		size_t len;
		int err;

		snprintf(out, sizeof(out), "%s/%zu.zip", f->dir, z);
		snprintf(dest, sizeof(dest), "%s/dest%zu", f->dir, z);
		write_all(f->root, out);
		err = extract__zip(out, dest, NULL);
		tz_restore(saved);
		assert_int_equal(err, 0);
		bytes = testfs__read(out, &len);
		if (!first) {
			first = bytes;
			first_len = len;
		} else {
			assert_int_equal(len, first_len);
			if (memcmp(bytes, first, len))
				fail_msg("the zip written in %s differs from UTC's", zones[z]);
			free(bytes);
		}
		for (size_t i = 0; i < ARRAY_SIZE(ents); i++) {
			struct stat sb;

			snprintf(p, sizeof(p), "%s/%s", dest, ents[i].rel);
			assert_int_equal(lstat(p, &sb), 0);
			if (sb.st_mtime != ents[i].mtime)
				fail_msg("%s extracted in %s: mtime %lld, not %lld", ents[i].rel,
					 zones[z], (long long)sb.st_mtime,
					 (long long)ents[i].mtime);
		}
	}
	free(first);
}

/* A zip built by hand with libzip, so it can hold what zipwrite never writes. */
struct bad_entry {
	const char *name;
	const char *data;
	uint32_t mode; /* 0: leave libzip's default attributes */
};

static void make_zip(const char *path, const struct bad_entry *ents, size_t n)
{
	int zerr;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);

	assert_non_null(za);
	for (size_t i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(za, ents[i].data, strlen(ents[i].data), 0);
		zip_int64_t zi = zip_file_add(za, ents[i].name, s, ZIP_FL_ENC_RAW);

		assert_true(zi >= 0);
		if (ents[i].mode)
			assert_int_equal(zip_file_set_external_attributes(za, (zip_uint64_t)zi, 0,
									  ZIP_OPSYS_UNIX,
									  ents[i].mode << 16),
					 0);
	}
	assert_int_equal(zip_close(za), 0);
}

static void expect_reject(struct fixture *f, const struct bad_entry *ents, size_t n, int err,
			  const char *named)
{
	make_zip(f->out, ents, n);
	assert_int_equal(extract__zip(f->out, f->dest, NULL), err);
	if (!strstr(slz_errmsg(), named))
		fail_msg("message \"%s\" does not name %s", slz_errmsg(), named);
	/* Everything is checked before anything is written. */
	assert_true(count_entries(f->dest) <= 0);
}

static void test_rejects_dotdot(void **state)
{
	const struct bad_entry e[] = {{"ok.txt", "fine", 0}, {"a/../../x", "evil", 0}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EINVAL, "a/../../x");
}

static void test_rejects_leading_dotdot(void **state)
{
	const struct bad_entry e[] = {{"../x", "evil", 0}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EINVAL, "../x");
}

static void test_rejects_absolute(void **state)
{
	const struct bad_entry e[] = {{"/tmp/abs", "evil", 0}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EINVAL, "/tmp/abs");
}

static void test_rejects_link_escape(void **state)
{
	const struct bad_entry e[] = {{"d/", "", S_IFDIR | 0755},
				      {"d/l", "../../etc", S_IFLNK | 0777}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "d/l");
}

static void test_rejects_link_absolute(void **state)
{
	const struct bad_entry e[] = {{"l", "/etc/passwd", S_IFLNK | 0777}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "l");
}

static void test_rejects_write_through_link(void **state)
{
	/* "l" stays inside, but "l/x" would land wherever l points. */
	const struct bad_entry e[] = {{"l", ".", S_IFLNK | 0777}, {"l/x", "x", 0}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "l/x");
}

/*
 * Each link passes the lexical check on its own, but d is a link to ".", so x climbs eight
 * levels while really staying at the root: extracted, x would be the host's /etc/hostname.
 */
static void test_rejects_link_chain_escape(void **state)
{
	const struct bad_entry e[] = {
		{"f", "file", 0},
		{"d", ".", S_IFLNK | 0777},
		{"x", "d/d/d/d/d/d/d/d/../../../../../../../../etc/hostname", S_IFLNK | 0777}};

	for (size_t i = 1; i < ARRAY_SIZE(e); i++)
		assert_int_equal(zipname__check_link(e[i].name, e[i].data), 0);
	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "symlink x -> ");
	assert_non_null(strstr(slz_errmsg(), "leaves the destination"));
	assert_non_null(strstr(slz_errmsg(), "symlink d -> ."));
}

/* A link below the root to a parent is fine by itself; going through it climbs out. */
static void test_rejects_link_through_parent_link(void **state)
{
	const struct bad_entry e[] = {{"sub/up", "..", S_IFLNK | 0777},
				      {"sub/x", "up/../../etc/hostname", S_IFLNK | 0777}};

	assert_int_equal(zipname__check_link(e[1].name, e[1].data), 0);
	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "symlink sub/x -> ");
}

static void test_rejects_link_up_at_top(void **state)
{
	const struct bad_entry e[] = {{"x", "up/etc/hostname", S_IFLNK | 0777},
				      {"up", "..", S_IFLNK | 0777}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "symlink x -> ");
	assert_non_null(strstr(slz_errmsg(), "leaves the destination"));
}

static void test_rejects_link_to_absolute_link(void **state)
{
	const struct bad_entry e[] = {{"a", "b/passwd", S_IFLNK | 0777},
				      {"b", "/etc", S_IFLNK | 0777}};

	expect_reject(*state, e, ARRAY_SIZE(e), -EXDEV, "symlink a -> b/passwd");
}

static void test_rejects_link_loop(void **state)
{
	const struct bad_entry e[] = {{"a", "b", S_IFLNK | 0777}, {"b", "a", S_IFLNK | 0777}};
	const struct bad_entry self[] = {{"s", "./s", S_IFLNK | 0777}};

	expect_reject(*state, e, ARRAY_SIZE(e), -ELOOP, "symlink a -> b");
	expect_reject(*state, self, ARRAY_SIZE(self), -ELOOP, "symlink s -> ./s");
}

/* path (below the destination) resolves to a regular file holding data, inside the tree. */
static void resolves_to(const struct fixture *f, const char *rel, const char *data)
{
	char p[512], real[4096], root[4096], buf[64] = {0};
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->dest, rel);
	if (!realpath(p, real))
		fail_msg("%s does not resolve", rel);
	assert_non_null(realpath(f->dest, root));
	assert_int_equal(strncmp(real, root, strlen(root)), 0);
	assert_int_equal(real[strlen(root)], '/');
	fp = fopen(p, "rb");
	assert_non_null(fp);
	assert_true(fread(buf, 1, sizeof(buf) - 1, fp) > 0);
	fclose(fp);
	assert_string_equal(buf, data);
}

static void test_accepts_link_chains(void **state)
{
	struct fixture *f = *state;
	const struct bad_entry e[] = {
		{"lib/libfoo.so", "libfoo.so.1", S_IFLNK | 0777},
		{"lib/libfoo.so.1", "libfoo.so.1.2.3", S_IFLNK | 0777},
		{"lib/libfoo.so.1.2.3", "elf", S_IFREG | 0755},
		{"node_modules/.bin/tool", "../pkg/bin/tool", S_IFLNK | 0777},
		{"node_modules/pkg/bin/tool", "js", S_IFREG | 0755},
		{"current", "v1", S_IFLNK | 0777},
		{"use", "current/file", S_IFLNK | 0777},
		{"v1/file", "v1", 0},
		/* Lexically this climbs out; through deep it ends at the root. */
		{"deep", "a/b/c", S_IFLNK | 0777},
		{"a/b/c/", "", S_IFDIR | 0755},
		{"top", "deep/../../../v1/file", S_IFLNK | 0777},
		/* Dangling, but inside. */
		{"lib/dangling", "../missing/x", S_IFLNK | 0777},
	};
	size_t links = 0;

	assert_int_equal(zipname__check_link("top", "deep/../../../v1/file"), -EXDEV);
	make_zip(f->out, e, ARRAY_SIZE(e));
	assert_int_equal(extract__zip(f->out, f->dest, NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(e); i++) {
		char p[512];
		struct stat sb;

		if (!S_ISLNK(e[i].mode))
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dest, e[i].name);
		assert_int_equal(lstat(p, &sb), 0);
		assert_true(S_ISLNK(sb.st_mode));
		links++;
	}
	assert_int_equal(links, 8);
	resolves_to(f, "lib/libfoo.so", "elf");
	resolves_to(f, "node_modules/.bin/tool", "js");
	resolves_to(f, "use", "v1");
	resolves_to(f, "top", "v1");
}

static void test_rejects_nul_in_name(void **state)
{
	struct fixture *f = *state;
	const struct bad_entry e[] = {{"evil.shQ.txt", "x", 0}};
	unsigned char buf[4096];
	FILE *fp;
	size_t len;

	make_zip(f->out, e, 1);
	/* Patch the Q into a NUL in both the local and the central header. */
	fp = fopen(f->out, "r+b");
	assert_non_null(fp);
	len = fread(buf, 1, sizeof(buf), fp);
	for (size_t i = 0; i + 12 <= len; i++)
		if (!memcmp(buf + i, "evil.shQ.txt", 12))
			buf[i + 7] = '\0';
	rewind(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "NUL"));
	assert_true(count_entries(f->dest) <= 0);
}

static void test_foreign_zip_defaults(void **state)
{
	struct fixture *f = *state;
	const struct bad_entry e[] = {{"dir/", "", 0}, {"dir/f", "data", 0}};
	char p[512];
	struct stat sb;

	/* No Unix modes (libzip's defaults): directories 0755, files 0644 (less the umask). */
	make_zip(f->out, e, ARRAY_SIZE(e));
	assert_int_equal(extract__zip(f->out, f->dest, NULL), 0);
	snprintf(p, sizeof(p), "%s/dir/f", f->dest);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, 4);
	/* Extracting again clashes instead of overwriting. */
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EEXIST);
	assert_non_null(strstr(slz_errmsg(), "dir/f"));
}

/* a.txt ("ok") and big.bin (size bytes of 'a'), stored or deflated. */
static void make_big_zip(const char *path, zip_int32_t method, size_t size)
{
	char *big = malloc(size);
	zip_source_t *src;
	zip_t *za;
	int zerr;

	assert_non_null(big);
	memset(big, 'a', size);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(za);
	src = zip_source_buffer(za, "ok", 2, 0);
	assert_true(zip_file_add(za, "a.txt", src, 0) >= 0);
	src = zip_source_buffer(za, big, size, 0);
	assert_true(zip_file_add(za, "big.bin", src, 0) == 1);
	assert_int_equal(zip_set_file_compression(za, 1, method, 0), 0);
	assert_int_equal(zip_close(za), 0);
	free(big);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * Make entry `name` declare another CRC (crc_xor) or size (size, when not 0), in its central
 * record and its local header alike, as a hostile zip would.
 */
static void patch_entry(const char *path, const char *name, uint32_t crc_xor, uint32_t size)
{
	size_t len, nl = strlen(name);
	unsigned char *z = (unsigned char *)testfs__read(path, &len);
	FILE *fp;

	for (size_t i = 0; i + 46 + nl <= len; i++) {
		unsigned char *c = z + i, *l;

		if (memcmp(c, "PK\1\2", 4) || (size_t)(c[28] | c[29] << 8) != nl ||
		    memcmp(c + 46, name, nl))
			continue;
		l = z + le32(c + 42);
		assert_memory_equal(l, "PK\3\4", 4);
		put32(c + 16, le32(c + 16) ^ crc_xor);
		put32(l + 14, le32(l + 14) ^ crc_xor);
		if (size) {
			put32(c + 24, size);
			put32(l + 22, size);
		}
		break;
	}
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(z, 1, len, fp), len);
	fclose(fp);
	free(z);
}

static bool exists_in(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/*
 * An entry holding more than it declares (a bomb in miniature: 1 MiB inflated from an entry
 * that says 10 bytes) is cut off at the first byte too many; one holding fewer fails at its
 * end. Either way the entry's file is removed.
 */
static void test_declared_size_enforced(void **state)
{
	struct fixture *f = *state;

	make_big_zip(f->out, ZIP_CM_DEFLATE, 1 << 20);
	patch_entry(f->out, "big.bin", 0, 10);
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "big.bin holds more than the 10 bytes it declares"));
	assert_false(exists_in(f->dest, "big.bin"));
	assert_int_equal(extract__remove(f->dest), 0);

	make_big_zip(f->out, ZIP_CM_DEFLATE, 1 << 20);
	patch_entry(f->out, "big.bin", 0, 2 << 20);
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "big.bin"));
	assert_false(exists_in(f->dest, "big.bin"));
}

/* A CRC that does not match the data is an error, stored or deflated, and the file goes. */
static void test_crc_mismatch_is_an_error(void **state)
{
	struct fixture *f = *state;
	const zip_int32_t methods[] = {ZIP_CM_STORE, ZIP_CM_DEFLATE};

	for (size_t m = 0; m < ARRAY_SIZE(methods); m++) {
		make_big_zip(f->out, methods[m], 300000);
		patch_entry(f->out, "big.bin", 1, 0);
		assert_int_equal(extract__zip(f->out, f->dest, NULL), -EINVAL);
		assert_non_null(strstr(slz_errmsg(), "big.bin is corrupt"));
		assert_false(exists_in(f->dest, "big.bin"));
		assert_int_equal(extract__remove(f->dest), 0);
	}
}

/* A symlink's target is held to its declared length and CRC as well. */
static void test_link_target_checked(void **state)
{
	struct fixture *f = *state;
	const struct bad_entry e[] = {{"a.txt", "x", S_IFREG | 0644},
				      {"ln", "a.txt", S_IFLNK | 0777}};

	make_zip(f->out, e, ARRAY_SIZE(e));
	patch_entry(f->out, "ln", 1, 0);
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EINVAL);
	assert_non_null(strstr(slz_errmsg(), "symlink entry ln has a damaged target"));
	make_zip(f->out, e, ARRAY_SIZE(e));
	patch_entry(f->out, "ln", 0, 3); /* "a.t": shorter than the data */
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EINVAL);
	assert_int_equal(count_entries(f->dest), -1); /* refused before anything was written */
}

/*
 * The entries together may declare at most the cap: more is refused before anything is
 * written. The default cap is Lambda's unzipped limit; a zip declaring 3 GiB in 2 KB is refused
 * at once.
 */
static void test_total_size_capped(void **state)
{
	struct fixture *f = *state;
	EXTRACT_OPTS(small, .max_bytes = 200000);
	EXTRACT_OPTS(enough, .max_bytes = 300002);

	make_big_zip(f->out, ZIP_CM_DEFLATE, 300000);
	assert_int_equal(extract__zip(f->out, f->dest, &small), -EFBIG);
	assert_non_null(
		strstr(slz_errmsg(), "would extract to 300002 bytes, more than the 200000"));
	assert_true(count_entries(f->dest) <= 0);
	assert_int_equal(extract__zip(f->out, f->dest, &enough), 0);
	assert_int_equal(extract__remove(f->dest), 0);

	make_big_zip(f->out, ZIP_CM_DEFLATE, 1000);
	patch_entry(f->out, "big.bin", 0, 3u << 30);
	assert_int_equal(extract__zip(f->out, f->dest, NULL), -EFBIG);
	assert_non_null(strstr(slz_errmsg(), "more than the 262144000 allowed"));
	assert_true(count_entries(f->dest) <= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_tz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_leading_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_write_through_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_chain_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_through_parent_link, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_up_at_top, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_to_absolute_link, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rejects_link_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepts_link_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_nul_in_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_zip_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_declared_size_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crc_mismatch_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_total_size_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_target_checked, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
