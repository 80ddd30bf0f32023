// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "keepset.h"
#include "tree.h"
#include "tz.h"
#include "util.h"
#include "zipwrite.h"

struct fixture {
	char dir[64];  /* scratch: holds tree/ and the outputs */
	char root[96]; /* the tree */
	char out[128];
};

static void mkpath(const char *root, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

static void put(const char *root, const char *rel, const void *data, size_t len, mode_t mode)
{
	char p[512];
	FILE *f;

	mkpath(root, rel, p, sizeof(p));
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void put_str(const char *root, const char *rel, const char *s)
{
	put(root, rel, s, strlen(s), 0644);
}

static void mkd(const char *root, const char *rel)
{
	char p[512];

	mkpath(root, rel, p, sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
}

static void lnk(const char *root, const char *rel, const char *target)
{
	char p[512];

	mkpath(root, rel, p, sizeof(p));
	assert_int_equal(symlink(target, p), 0);
}

static void set_mtime(const char *root, const char *rel, time_t t)
{
	struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
	char p[512];

	mkpath(root, rel, p, sizeof(p));
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	/* tmpfs when there is one: the zip64 test creates 70,000 files. */
	strcpy(f->dir, access("/dev/shm", W_OK) ? "/tmp/slz-zipwrite-XXXXXX"
						: "/dev/shm/slz-zipwrite-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
	mkdir(f->root, 0755);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

/* The sample tree of the round trip: every kind of entry zipwrite handles. */
static void sample_tree(const char *root)
{
	unsigned char bin[70000];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)((i * 2654435761u) >> 13);
	put_str(root, "a.txt", "hello hello hello hello hello\n");
	put(root, "bin.dat", bin, sizeof(bin), 0644);
	put(root, "empty", "", 0, 0600);
	put(root, "run.sh", "#!/bin/sh\necho hi\n", 18, 0755);
	mkd(root, "sub");
	mkd(root, "sub/deep");
	put_str(root, "sub/deep/x.txt", "deep\n");
	mkd(root, "emptydir");
	mkd(root, "a-b");
	put_str(root, "a-b/y", "y\n");
	lnk(root, "link", "a.txt");
	lnk(root, "sub/up", "../a.txt");
	put_str(root, "notkept.txt", "drop me\n");
}

/* Keep everything except entries whose path is in `drop` (NULL-terminated). */
static void keep_all(const char *root, struct tree **t, struct keepset **k, const char **drop)
{
	struct tree_entry e;

	assert_int_equal(tree__open(root, NULL, t), 0);
	assert_int_equal(keepset__new(*t, k), 0);
	for (uint32_t i = 1; i < tree__count(*t); i++) {
		bool skip = false;

		assert_int_equal(tree__get(*t, i, &e), 0);
		for (const char **d = drop; d && *d; d++)
			skip |= !strcmp(*d, e.path);
		/* Directories come back through keepset__complete_dirs() or stay when empty. */
		if (!skip && (!S_ISDIR(e.mode) || !strcmp(e.path, "emptydir")))
			assert_int_equal(keepset__add(*k, i, KEEP_GLOB, 0, NULL), 0);
	}
	assert_int_equal(keepset__complete_dirs(*k), 0);
}

static int write_tree(const char *root, const char *out, const struct zipwrite_opts *o,
		      struct zipwrite_stats *st, const char **drop)
{
	struct tree *t = NULL;
	struct keepset *k = NULL;
	int err;

	keep_all(root, &t, &k, drop);
	err = zipwrite__write(k, out, o, st);
	keepset__free(k);
	tree__free(t);
	return err;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static unsigned char *entry_data(zip_t *za, zip_uint64_t i, size_t *len)
{
	zip_stat_t zs;
	zip_file_t *zf;
	unsigned char *buf;

	assert_int_equal(zip_stat_index(za, i, 0, &zs), 0);
	buf = malloc(zs.size + 1);
	zf = zip_fopen_index(za, i, 0);
	assert_non_null(zf);
	assert_int_equal(zip_fread(zf, buf, zs.size), (zip_int64_t)zs.size);
	zip_fclose(zf);
	*len = zs.size;
	return buf;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* DOS time and date of the central directory record named `name` in the raw zip bytes. */
static void raw_dos_time(const unsigned char *z, size_t len, const char *name, uint16_t *t,
			 uint16_t *d)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + 46 < len; i++) {
		if (memcmp(z + i, "PK\1\2", 4) || get16(z + i + 28) != nl ||
		    memcmp(z + i + 46, name, nl))
			continue;
		*t = get16(z + i + 12);
		*d = get16(z + i + 14);
		return;
	}
	fail_msg("no central directory record for %s", name);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	const char *drop[] = {"notkept.txt", NULL};
	static const char *const expect[] = {"a-b/",  "a-b/y",	   "a.txt",	     "bin.dat",
					     "empty", "emptydir/", "link",	     "run.sh",
					     "sub/",  "sub/deep/", "sub/deep/x.txt", "sub/up"};
	struct zipwrite_stats st;
	zip_t *za;
	int zerr;

	sample_tree(f->root);
	assert_int_equal(write_tree(f->root, f->out, NULL, &st, drop), 0);
	assert_int_equal(st.entries, ARRAY_SIZE(expect));
	assert_int_equal(st.files, 6);
	assert_int_equal(st.dirs, 4);
	assert_int_equal(st.symlinks, 2);
	assert_true(st.zip_size > 0);

	za = zip_open(f->out, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), ARRAY_SIZE(expect));
	for (zip_uint64_t i = 0; i < ARRAY_SIZE(expect); i++) {
		const char *name = zip_get_name(za, i, 0);
		zip_uint8_t opsys;
		zip_uint32_t attr;
		mode_t mode;
		char p[512];
		struct stat sb;
		size_t len;
		unsigned char *data;

		assert_string_equal(name, expect[i]);
		/* No uid/gid: only the "UT" mtime, the same 5 bytes in both headers. */
		for (int where = 0; where < 2; where++) {
			zip_flags_t fl = where ? ZIP_FL_LOCAL : ZIP_FL_CENTRAL;
			const zip_uint8_t *ut;
			zip_uint16_t ut_len;

			assert_int_equal(zip_file_extra_fields_count(za, i, fl), 1);
			ut = zip_file_extra_field_get_by_id(za, i, 0x5455, 0, &ut_len, fl);
			assert_non_null(ut);
			assert_int_equal(ut_len, 5);
			assert_int_equal(ut[0], 1);
			mkpath(f->root, name, p, sizeof(p));
			assert_int_equal(lstat(p, &sb), 0);
			assert_int_equal(ut[1] | ut[2] << 8 | ut[3] << 16 | (uint32_t)ut[4] << 24,
					 (uint32_t)sb.st_mtime);
		}
		assert_int_equal(zip_file_get_external_attributes(za, i, 0, &opsys, &attr), 0);
		assert_int_equal(opsys, ZIP_OPSYS_UNIX);
		mode = attr >> 16;
		mkpath(f->root, name, p, sizeof(p));
		assert_int_equal(lstat(p, &sb), 0);
		assert_int_equal(mode & S_IFMT, sb.st_mode & S_IFMT);
		/* Lambda's modes by default: the 0600 "empty" is 0644, run.sh stays 0755. */
		if (!S_ISLNK(mode))
			assert_int_equal(mode & 0777,
					 S_ISDIR(mode) || (sb.st_mode & 0111) ? 0755 : 0644);
		data = entry_data(za, i, &len);
		if (S_ISREG(mode)) {
			size_t flen;
			unsigned char *fdata = slurp(p, &flen);

			assert_int_equal(len, flen);
			assert_memory_equal(data, fdata, len);
			free(fdata);
		} else if (S_ISLNK(mode)) {
			char target[256];
			ssize_t tl = readlink(p, target, sizeof(target));

			assert_int_equal(len, (size_t)tl);
			assert_memory_equal(data, target, len);
		} else {
			assert_true(S_ISDIR(mode));
			assert_int_equal(len, 0);
			assert_true(attr & 0x10);
		}
		free(data);
	}
	zip_close(za);
}

/* Besides New York's gap and repeated hour: right/ zones count leap seconds, Lord Howe moves
 * its clocks by 30 minutes. */
static const char *const tz_zones[] = {"America/New_York", "Asia/Kolkata", "right/America/New_York",
				       "Australia/Lord_Howe"};

static void test_deterministic_any_tz(void **state)
{
	struct fixture *f = *state;
	char out2[160];
	unsigned char *a, *b;
	size_t la, lb;
	uint16_t t, d, et, ed;

	sample_tree(f->root);
	set_mtime(f->root, "a.txt", TZ_NY_GAP);
	set_mtime(f->root, "run.sh", TZ_NY_TWICE);
	snprintf(out2, sizeof(out2), "%s/out2.zip", f->dir);
	{
		char *saved = tz_set("UTC");

		assert_int_equal(write_tree(f->root, f->out, NULL, NULL, NULL), 0);
		tz_restore(saved);
	}
	a = slurp(f->out, &la);
	raw_dos_time(a, la, "a.txt", &t, &d);
	dostime__from_unix(TZ_NY_GAP, &et, &ed);
	assert_int_equal(t, et);
	assert_int_equal(d, ed);
	for (size_t i = 0; i < ARRAY_SIZE(tz_zones); i++) {
		char *saved = tz_set(tz_zones[i]);

		assert_int_equal(write_tree(f->root, out2, NULL, NULL, NULL), 0);
		assert_string_equal(getenv("TZ"), tz_zones[i]); /* left alone */
		tz_restore(saved);
		b = slurp(out2, &lb);
		assert_int_equal(la, lb);
		if (memcmp(a, b, la))
			fail_msg("the zip written in %s differs from the one written in UTC",
				 tz_zones[i]);
		free(b);
	}
	free(a);
}

static void test_mtime_modes(void **state)
{
	struct fixture *f = *state;
	struct zipwrite_opts o;
	unsigned char *z;
	size_t len;
	uint16_t t, d;

	put_str(f->root, "f.txt", "x");
	set_mtime(f->root, "f.txt", 1700000001); /* odd: DOS time rounds down */
	zipwrite__default_opts(&o);

	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), 0);
	z = slurp(f->out, &len);
	raw_dos_time(z, len, "f.txt", &t, &d);
	assert_int_equal(dostime__to_unix(t, d), 1700000000);
	free(z);

	o.mtime_mode = ZIPWRITE_MTIME_FIXED;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), 0);
	z = slurp(f->out, &len);
	raw_dos_time(z, len, "f.txt", &t, &d);
	assert_int_equal(d, (1 << 5) | 1); /* 1980-01-01 */
	assert_int_equal(t, 0);
	free(z);

	o.mtime_mode = ZIPWRITE_MTIME_EPOCH;
	o.epoch = 1234567890;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), 0);
	z = slurp(f->out, &len);
	raw_dos_time(z, len, "f.txt", &t, &d);
	assert_int_equal(dostime__to_unix(t, d), 1234567890);
	free(z);

	/* Before 1980 clamps to the first DOS time rather than wrapping. */
	o.epoch = 0;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), 0);
	z = slurp(f->out, &len);
	raw_dos_time(z, len, "f.txt", &t, &d);
	assert_int_equal(dostime__to_unix(t, d), ZIPWRITE_FIXED_MTIME);
	free(z);

	o.level = 10;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), -EINVAL);
}

static void pyc(const char *root, const char *rel, uint32_t flags)
{
	unsigned char h[20] = {0x6f, 0x0d, 0x0d, 0x0a};

	h[4] = (unsigned char)flags;
	put(root, rel, h, sizeof(h), 0644);
}

static void test_pyc_counts(void **state)
{
	struct fixture *f = *state;
	struct zipwrite_opts o;
	struct zipwrite_stats st;

	mkd(f->root, "pkg");
	mkd(f->root, "pkg/__pycache__");
	put_str(f->root, "pkg/mod.py", "x = 1\n");
	set_mtime(f->root, "pkg/mod.py", 1700000001);
	pyc(f->root, "pkg/__pycache__/mod.cpython-311.pyc", 0);
	pyc(f->root, "pkg/__pycache__/mod.cpython-311.opt-1.pyc", 0);
	put_str(f->root, "pkg/even.py", "y = 1\n");
	set_mtime(f->root, "pkg/even.py", 1700000002);
	pyc(f->root, "pkg/__pycache__/even.cpython-311.pyc", 0);
	put_str(f->root, "pkg/hashed.py", "z = 1\n");
	set_mtime(f->root, "pkg/hashed.py", 1700000003);
	pyc(f->root, "pkg/__pycache__/hashed.cpython-311.pyc", 1); /* checked-hash: immune */

	zipwrite__default_opts(&o);
	assert_int_equal(write_tree(f->root, f->out, &o, &st, NULL), 0);
	assert_int_equal(st.py_odd_mtime, 1);
	assert_int_equal(st.pyc_timestamp, 0);

	o.mtime_mode = ZIPWRITE_MTIME_FIXED;
	assert_int_equal(write_tree(f->root, f->out, &o, &st, NULL), 0);
	assert_int_equal(st.pyc_timestamp, 3);
	assert_int_equal(st.py_odd_mtime, 0);
}

/*
 * Entries around and past the writer's output buffer (zipsource.c: 64 KiB), stored and
 * deflated, noise and text: libzip seeks back to rewrite each local header after its data, in
 * the buffer or before it, and every byte must land where libzip meant it.
 */
static void test_buffer_boundaries(void **state)
{
	struct fixture *f = *state;
	static const size_t sizes[] = {1, 65535, 65536, 65537, 131075, 300000, 1048577};
	struct zipwrite_opts o;
	struct zipwrite_stats st;
	char rel[32];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *b = malloc(sizes[i]);

		assert_non_null(b);
		for (size_t j = 0; j < sizes[i]; j++)
			b[j] = (unsigned char)((j * 2654435761u) >> 13);
		snprintf(rel, sizeof(rel), "noise%zu", i);
		put(f->root, rel, b, sizes[i], 0644);
		for (size_t j = 0; j < sizes[i]; j++)
			b[j] = (unsigned char)"slimzip writes zips\n"[j % 20];
		snprintf(rel, sizeof(rel), "text%zu", i);
		put(f->root, rel, b, sizes[i], 0644);
		free(b);
	}
	for (int level = 0; level <= 6; level += 6) {
		zip_t *za;
		int zerr;

		zipwrite__default_opts(&o);
		o.level = level;
		unlink(f->out);
		assert_int_equal(write_tree(f->root, f->out, &o, &st, NULL), 0);
		assert_int_equal(st.files, 2 * ARRAY_SIZE(sizes));
		za = zip_open(f->out, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
		assert_non_null(za);
		for (zip_uint64_t i = 0; i < (zip_uint64_t)zip_get_num_entries(za, 0); i++) {
			char path[256];
			size_t zlen, flen;
			unsigned char *zd = entry_data(za, i, &zlen), *fd;

			mkpath(f->root, zip_get_name(za, i, 0), path, sizeof(path));
			fd = slurp(path, &flen);
			assert_int_equal(zlen, flen);
			assert_memory_equal(zd, fd, flen);
			free(zd);
			free(fd);
		}
		zip_close(za);
	}
}

static void test_zip64_many_entries(void **state)
{
	struct fixture *f = *state;
	struct zipwrite_opts o;
	struct zipwrite_stats st;
	unsigned char *z;
	size_t len;
	zip_t *za;
	int zerr;
	char rel[64];

	for (int d = 0; d < 70; d++) {
		snprintf(rel, sizeof(rel), "d%02d", d);
		mkd(f->root, rel);
		for (int i = 0; i < 1000; i++) {
			snprintf(rel, sizeof(rel), "d%02d/%d", d, i);
			put(f->root, rel, rel, 1, 0644);
		}
	}
	zipwrite__default_opts(&o);
	o.level = 0;
	assert_int_equal(write_tree(f->root, f->out, &o, &st, NULL), 0);
	assert_int_equal(st.entries, 70070);

	za = zip_open(f->out, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), 70070);
	zip_close(za);
	/* More than 65,535 entries: the classic record says 0xffff and a zip64 record follows. */
	z = slurp(f->out, &len);
	assert_memory_equal(z + len - 22, "PK\5\6", 4);
	assert_int_equal(get16(z + len - 22 + 10), 0xffff);
	assert_memory_equal(z + len - 42, "PK\6\7", 4);
	free(z);
}

static int count_leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".tmp-") != NULL;
	closedir(d);
	return n;
}

static void test_failure_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char p[512];
	int err;

	sample_tree(f->root);
	/* A non-empty directory in the way: the final rename fails after all the work. */
	assert_int_equal(mkdir(f->out, 0755), 0);
	mkpath(f->out, "keep", p, sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
	err = write_tree(f->root, f->out, NULL, NULL, NULL);
	assert_true(err < 0);
	assert_true(slz_errmsg()[0] != '\0');
	assert_int_equal(count_leftovers(f->dir), 0);
}

/* Eight 1 MiB files: a write long enough to be caught midway. */
static void big_tree(const char *root)
{
	char *big = malloc(1 << 20);
	char rel[32];

	assert_non_null(big);
	for (int i = 0; i < 8; i++) {
		memset(big, 'a' + i, 1 << 20);
		snprintf(rel, sizeof(rel), "big%d", i);
		put(root, rel, big, 1 << 20, 0644);
	}
	free(big);
}

static void cancel_midway(double fraction, void *ctx)
{
	struct slz_cancel *c = ctx;

	if (fraction > 0.2)
		slz_cancel__request(c); /* what the CLI's SIGINT handler does */
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct slz_cancel c = SLZ_CANCEL_INIT, fresh = SLZ_CANCEL_INIT;
	struct zipwrite_opts o;
	struct stat sb;

	big_tree(f->root);
	zipwrite__default_opts(&o);
	o.progress = cancel_midway;
	o.progress_ctx = &c;
	o.cancel = &c;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), -ECANCELED);
	assert_true(slz_cancel__requested(&c));
	assert_int_equal(stat(f->out, &sb), -1);
	assert_int_equal(count_leftovers(f->dir), 0);

	/* A token requested before the write starts stops it too. */
	o.progress = NULL;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), -ECANCELED);
	assert_int_equal(stat(f->out, &sb), -1);

	/*
	 * Nor does a FIFO destination without a reader wait for one (its open would block): the
	 * alarm ends the test if it does.
	 */
	char fifo[PATH_MAX];

	snprintf(fifo, sizeof(fifo), "%s/out.fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20);
	assert_int_equal(write_tree(f->root, fifo, &o, NULL, NULL), -ECANCELED);
	alarm(0);
	assert_int_equal(unlink(fifo), 0);

	/* The same write with a token nobody set goes through. */
	o.cancel = &fresh;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), 0);
	assert_int_equal(stat(f->out, &sb), 0);
}

/*
 * One write on its own thread that stops once it is past 20% and waits there until the test
 * lets it go on: so the test knows the write is midway when it cancels (or does not).
 */
struct midway_write {
	struct slz_cancel cancel;
	struct keepset *k;
	struct tree *t;
	char out[160];
	struct zipwrite_opts opts;
	sem_t reached, go_on;
	bool stopped;
	pthread_t thread;
	int err;
};

static void stop_midway(double fraction, void *ctx)
{
	struct midway_write *m = ctx;

	if (!m->stopped && fraction > 0.2) {
		m->stopped = true;
		sem_post(&m->reached);
		sem_wait(&m->go_on);
	}
}

static void *midway_thread(void *arg)
{
	struct midway_write *m = arg;

	m->err = zipwrite__write(m->k, m->out, &m->opts, NULL);
	if (!m->stopped) /* never reached 20%: do not leave the test waiting */
		sem_post(&m->reached);
	return NULL;
}

static void midway_start(struct midway_write *m, const char *root, const char *out, int level)
{
	memset(m, 0, sizeof(*m));
	keep_all(root, &m->t, &m->k, NULL);
	snprintf(m->out, sizeof(m->out), "%s", out);
	zipwrite__default_opts(&m->opts);
	m->opts.level = level;
	m->opts.cancel = &m->cancel;
	m->opts.progress = stop_midway;
	m->opts.progress_ctx = m;
	sem_init(&m->reached, 0, 0);
	sem_init(&m->go_on, 0, 0);
	assert_int_equal(pthread_create(&m->thread, NULL, midway_thread, m), 0);
	sem_wait(&m->reached);
	assert_true(m->stopped);
}

static int midway_finish(struct midway_write *m)
{
	sem_post(&m->go_on);
	pthread_join(m->thread, NULL);
	sem_destroy(&m->reached);
	sem_destroy(&m->go_on);
	keepset__free(m->k);
	tree__free(m->t);
	return m->err;
}

/* Cancelled from another thread mid-write, streaming (level 0) and through the pool. */
static void test_cancel_from_other_thread(void **state)
{
	struct fixture *f = *state;
	struct midway_write m;
	struct stat sb;

	big_tree(f->root);
	for (int level = 0; level <= 6; level += 6) {
		midway_start(&m, f->root, f->out, level);
		slz_cancel__request(&m.cancel);
		assert_int_equal(midway_finish(&m), -ECANCELED);
		assert_int_equal(stat(f->out, &sb), -1);
		assert_int_equal(count_leftovers(f->dir), 0);
	}
}

/* Two writes midway at once: cancelling one leaves the other to finish its zip. */
static void test_two_writers_own_tokens(void **state)
{
	struct fixture *f = *state;
	struct midway_write a, b;
	char out_b[160];
	struct stat sb;
	zip_t *za;
	int zerr;

	big_tree(f->root);
	snprintf(out_b, sizeof(out_b), "%s/b.zip", f->dir);
	midway_start(&a, f->root, f->out, 6);
	midway_start(&b, f->root, out_b, 6);
	slz_cancel__request(&a.cancel);
	assert_int_equal(midway_finish(&a), -ECANCELED);
	assert_false(slz_cancel__requested(&b.cancel));
	assert_int_equal(midway_finish(&b), 0);
	assert_int_equal(stat(f->out, &sb), -1);
	za = zip_open(out_b, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), 8);
	zip_close(za);
	assert_int_equal(count_leftovers(f->dir), 0);
}

static void test_link_outside_refused(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	put_str(f->root, "a.txt", "a");
	lnk(f->root, "esc", "../../etc/passwd");
	assert_int_equal(write_tree(f->root, f->out, NULL, NULL, NULL), -EXDEV);
	assert_non_null(strstr(slz_errmsg(), "esc"));
	assert_int_equal(stat(f->out, &sb), -1);
	assert_int_equal(count_leftovers(f->dir), 0);
}

/*
 * A directory swapped for a link after the walk: the writer must not read through it, neither
 * on the writer's own thread (a big file) nor in a compression worker (small files).
 */
static void test_swapped_directory_not_followed(void **state)
{
	struct fixture *f = *state;
	char from[512], to[512], outside[512];
	struct tree *t = NULL;
	struct keepset *k = NULL;
	struct zipwrite_opts o;
	struct stat sb;

	zipwrite__default_opts(&o);
	for (int threads = 1; threads <= 2; threads++) {
		mkd(f->root, "sub");
		put_str(f->root, "sub/secret", "harmless-file-abcdef\n");
		mkd(f->dir, "outside");
		put_str(f->dir, "outside/secret", "TOP-SECRET-ROOT-ONLY\n");
		keep_all(f->root, &t, &k, NULL);
		mkpath(f->root, "sub", from, sizeof(from));
		mkpath(f->root, "sub.orig", to, sizeof(to));
		mkpath(f->dir, "outside", outside, sizeof(outside));
		assert_int_equal(rename(from, to), 0);
		assert_int_equal(symlink(outside, from), 0);
		o.threads = threads;
		assert_true(zipwrite__write(k, f->out, &o, NULL) < 0);
		assert_non_null(strstr(slz_errmsg(), "sub/secret"));
		assert_int_equal(stat(f->out, &sb), -1);
		assert_int_equal(count_leftovers(f->dir), 0);
		keepset__free(k);
		tree__free(t);
		rm_rf(f->root);
		mkpath(f->dir, "outside", outside, sizeof(outside));
		rm_rf(outside);
		mkdir(f->root, 0755);
	}
}

/* Midway through the write, big3 gets new bytes of the same length and a new mtime. */
static void rewrite_midway(double fraction, void *ctx)
{
	struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	const char *path = ctx;
	int fd;

	if (fraction < 0.4 || !*path)
		return;
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "ZZZZ", 4, 1 << 19), 4);
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	((char *)ctx)[0] = '\0'; /* once */
}

/* A same-size rewrite while the file is read would give a silently mixed entry: refused. */
static void test_same_size_rewrite_refused(void **state)
{
	struct fixture *f = *state;
	char path[512];
	struct zipwrite_opts o;
	struct stat sb;

	big_tree(f->root);
	mkpath(f->root, "big3", path, sizeof(path));
	zipwrite__default_opts(&o);
	o.level = 0; /* streamed on the writer's thread, where the callback runs */
	o.progress = rewrite_midway;
	o.progress_ctx = path;
	assert_int_equal(write_tree(f->root, f->out, &o, NULL, NULL), -EAGAIN);
	assert_non_null(strstr(slz_errmsg(), "big3 changed while it was zipped"));
	assert_int_equal(stat(f->out, &sb), -1);
	assert_int_equal(count_leftovers(f->dir), 0);
}

static void test_empty_keepset(void **state)
{
	struct fixture *f = *state;
	struct tree *t = NULL;
	struct keepset *k = NULL;
	struct zipwrite_stats st;
	zip_t *za;
	int zerr;

	put_str(f->root, "a.txt", "a");
	assert_int_equal(tree__open(f->root, NULL, &t), 0);
	assert_int_equal(keepset__new(t, &k), 0);
	assert_int_equal(zipwrite__write(k, f->out, NULL, &st), 0);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.zip_size, 22);
	za = zip_open(f->out, ZIP_RDONLY, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), 0);
	zip_close(za);
	keepset__free(k);
	tree__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic_any_tz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtime_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pyc_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_other_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers_own_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_outside_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_size_rewrite_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_keepset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_directory_not_followed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zip64_many_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_boundaries, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
