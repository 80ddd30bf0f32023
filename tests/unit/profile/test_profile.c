// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "slz_vocab.h"
#include "profile.h"
#include "profile_io.h"
#include "util.h"

static struct profile_entry entry(const char *path, uint64_t dev, uint64_t ino, uint32_t kinds)
{
	struct profile_entry e = {.path = (char *)path,
				  .dev = dev,
				  .ino = ino,
				  .kinds = kinds,
				  .count = 1,
				  .syscall_nr = -1};

	if (!ino)
		e.flags = SLZ_EVF_PATH_ONLY;
	return e;
}

static void test_add_merges_by_inode_then_path(void **state)
{
	struct profile *p;
	struct profile_entry e;

	assert_int_equal(profile__new(&p), 0);
	e = entry("/a/x.py", makedev(8, 1), 100, SLZ_KIND_STAT);
	e.first_pid = 7;
	strcpy(e.first_comm, "python3");
	assert_int_equal(profile__add(p, &e), 0);
	/* Same inode through a hard link: one file, kinds and counts merge, first toucher stays. */
	e = entry("/a/hardlink.py", makedev(8, 1), 100, SLZ_KIND_OPEN);
	e.first_pid = 9;
	e.count = 41;
	assert_int_equal(profile__add(p, &e), 0);
	/* Path-only accesses merge by path and never with inode entries. */
	e = entry("/a/x.py", 0, 0, SLZ_KIND_ACCESS);
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("/a/x.py", 0, 0, SLZ_KIND_READLINK);
	assert_int_equal(profile__add(p, &e), 0);

	assert_int_equal(profile__count(p), 2);
	const struct profile_entry *got = profile__find_inode(p, makedev(8, 1), 100);
	assert_non_null(got);
	assert_string_equal(got->path, "/a/x.py");
	assert_int_equal(got->kinds, SLZ_KIND_STAT | SLZ_KIND_OPEN);
	assert_int_equal(got->count, 42);
	assert_int_equal(got->first_pid, 7);
	assert_string_equal(got->first_comm, "python3");
	assert_null(profile__find_inode(p, makedev(8, 2), 100));
	assert_int_equal(profile__add_count(p, makedev(8, 1), 100, NULL, 8), 0);
	assert_int_equal(got->count, 50);
	assert_int_equal(profile__add_count(p, 0, 0, "/a/x.py", 3), 0);
	assert_int_equal(profile__add_count(p, 0, 0, "/nope", 3), -ENOENT);
	profile__free(p);
}

static void test_truncated_path_replaced_by_complete_one(void **state)
{
	struct profile *p;
	struct profile_entry e;

	assert_int_equal(profile__new(&p), 0);
	e = entry("deep/tail/file", makedev(0, 5), 9, SLZ_KIND_OPEN);
	e.flags |= SLZ_EVF_TRUNCATED;
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("/full/deep/tail/file", makedev(0, 5), 9, SLZ_KIND_STAT);
	assert_int_equal(profile__add(p, &e), 0);
	assert_int_equal(profile__count(p), 1);
	assert_string_equal(profile__entry(p, 0)->path, "/full/deep/tail/file");
	assert_false(profile__entry(p, 0)->flags & SLZ_EVF_TRUNCATED);
	assert_non_null(profile__find_path(p, "/full/deep/tail/file"));
	profile__free(p);
}

/* Entries of one file (8:1, 7) by two paths, as a stat through a link and an open see them. */
static void add_stat_and_open(struct profile *p, bool stat_first)
{
	struct profile_entry st =
		entry("/outside/link/pkg/mod.py", makedev(8, 1), 7, SLZ_KIND_STAT);
	struct profile_entry op = entry("/task/pkg/mod.py", makedev(8, 1), 7, SLZ_KIND_OPEN);

	st.flags = SLZ_EVF_USER_SUFFIX;
	st.first_pid = 11;
	op.first_pid = 12;
	assert_int_equal(profile__add(p, stat_first ? &st : &op), 0);
	assert_int_equal(profile__add(p, stat_first ? &op : &st), 0);
}

static void assert_kernel_path_kept(const struct profile *p, uint32_t first_pid)
{
	const struct profile_entry *e;

	assert_int_equal(profile__count(p), 1);
	e = profile__find_inode(p, makedev(8, 1), 7);
	assert_non_null(e);
	assert_string_equal(e->path, "/task/pkg/mod.py");
	/* The flags describe the path kept: it is the kernel's walk, not the caller's string. */
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->kinds, SLZ_KIND_STAT | SLZ_KIND_OPEN);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->first_pid, first_pid); /* the first toucher still */
	assert_ptr_equal(profile__find_path(p, "/task/pkg/mod.py"), e);
	assert_null(profile__find_path(p, "/outside/link/pkg/mod.py"));
}

static void test_kernel_path_beats_user_spelling_in_either_order(void **state)
{
	struct profile *p, *a, *b, *m;
	struct profile_entry e;

	assert_int_equal(profile__new(&p), 0);
	add_stat_and_open(p, true);
	assert_kernel_path_kept(p, 11);
	profile__free(p);
	assert_int_equal(profile__new(&p), 0);
	add_stat_and_open(p, false);
	assert_kernel_path_kept(p, 12);
	profile__free(p);

	/* Merging profiles: the same, whichever profile comes first. */
	assert_int_equal(profile__new(&a), 0);
	assert_int_equal(profile__new(&b), 0);
	e = entry("/outside/link/pkg/mod.py", makedev(8, 1), 7, SLZ_KIND_STAT);
	e.flags = SLZ_EVF_USER_SUFFIX;
	e.first_pid = 11;
	assert_int_equal(profile__add(a, &e), 0);
	e = entry("/task/pkg/mod.py", makedev(8, 1), 7, SLZ_KIND_OPEN);
	e.first_pid = 12;
	assert_int_equal(profile__add(b, &e), 0);
	for (int order = 0; order < 2; order++) {
		assert_int_equal(profile__new(&m), 0);
		assert_int_equal(profile__merge(m, order ? b : a), 0);
		assert_int_equal(profile__merge(m, order ? a : b), 0);
		assert_kernel_path_kept(m, order ? 12 : 11);
		profile__free(m);
	}
	profile__free(a);
	profile__free(b);
}

static void test_path_ranks(void **state)
{
	struct profile *p;
	struct profile_entry e;

	/* Unreachable, then the caller's spelling, then a truncated one: the spelling wins. */
	assert_int_equal(profile__new(&p), 0);
	e = entry("/detached/x", 1, 9, SLZ_KIND_OPEN);
	e.flags = SLZ_EVF_UNREACHABLE;
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("/task/./x", 1, 9, SLZ_KIND_STAT);
	e.flags = SLZ_EVF_USER_SUFFIX;
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("ask/x", 1, 9, SLZ_KIND_MMAP);
	e.flags = SLZ_EVF_TRUNCATED;
	assert_int_equal(profile__add(p, &e), 0);
	assert_string_equal(profile__entry(p, 0)->path, "/task/./x");
	assert_int_equal(profile__entry(p, 0)->flags, SLZ_EVF_USER_SUFFIX);
	/* Two kernel paths of one inode (hard links): the first seen stays. */
	e = entry("/task/x", 1, 9, SLZ_KIND_OPEN);
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("/task/hardlink", 1, 9, SLZ_KIND_OPEN);
	assert_int_equal(profile__add(p, &e), 0);
	assert_string_equal(profile__entry(p, 0)->path, "/task/x");
	assert_int_equal(profile__entry(p, 0)->flags, 0);
	assert_int_equal(profile__count(p), 1);
	profile__free(p);
}

static void test_empty_profile_sorts(void **state)
{
	struct profile *p;

	/* No entries, no array: qsort must not see its NULL (UBSan stops the ASan build). */
	assert_int_equal(profile__new(&p), 0);
	assert_int_equal(profile__sort(p), 0);
	assert_int_equal(profile__count(p), 0);
	profile__free(p);
}

static const char *const hostile[] = {
	"/t/plain.txt",
	"/t/with space and  two",
	"/t/new\nline",
	"/t/back\\slash\\n",
	"/t/tab\tcr\r",
	"/t/ctl\x01\x1f\x7f",
	"/t/utf8-\xc3\xa9\xe2\x82\xac",
	"/t/not-utf8-\xff\xfe\xc3",
	"/t/quote\"brace{}[]:,",
	"/t/# not a header",
};

static struct profile *hostile_profile(void)
{
	struct profile *p;
	struct profile_header *h;
	char name[300];

	assert_int_equal(profile__new(&p), 0);
	h = profile__header(p);
	assert_int_equal(profile__set_str(p, &h->command, "python3 -c 'print(1)'\nsecond"), 0);
	assert_int_equal(profile__set_str(p, &h->kernel, "6.18.44"), 0);
	assert_int_equal(profile__set_str(p, &h->boot_id, "b00t"), 0);
	assert_int_equal(profile__set_str(p, &h->target_kind, "command"), 0);
	h->start_unix_ms = 1795000000123;
	h->end_unix_ms = 1795000009456;
	h->exit_status = 3;
	h->lost_events = 5;
	h->dedup_full = 6;
	h->truncated_paths = 7;
	h->daemon_restarted = 8;
	h->refused_targets = 9;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct profile_entry e =
			entry(hostile[i], makedev(259, 3), 1000 + i, (uint32_t)(1u << (i % 8)));

		e.count = i * 10;
		e.first_pid = (uint32_t)(100 + i);
		snprintf(e.first_comm, sizeof(e.first_comm), "c m\n%zu", i);
		e.mode = i % 3 ? 0100644 : 040755;
		e.size = i * 4099;
		e.syscall_nr = i % 2 ? SYS_openat : -1;
		assert_int_equal(profile__add(p, &e), 0);
	}
	/* A 255-byte name and a path-only missing lookup with an errno. */
	memset(name, 'n', sizeof(name));
	memcpy(name, "/t/", 3);
	name[3 + 255] = '\0';
	struct profile_entry e = entry(name, makedev(8, 1), 77, SLZ_KIND_OPEN);
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("/t/missing.py", 0, 0, SLZ_KIND_MISSING);
	e.err = ENOENT;
	e.syscall_nr = SYS_newfstatat;
	e.flags |= SLZ_EVF_USER_SUFFIX;
	assert_int_equal(profile__add(p, &e), 0);
	return p;
}

static void assert_profiles_equal(const struct profile *a, const struct profile *b)
{
	const struct profile_header *ha = profile__header_const(a), *hb = profile__header_const(b);

	assert_string_equal(ha->command, hb->command);
	assert_string_equal(ha->kernel, hb->kernel);
	assert_string_equal(ha->boot_id, hb->boot_id);
	assert_null(hb->hostname);
	assert_int_equal(ha->start_unix_ms, hb->start_unix_ms);
	assert_int_equal(ha->end_unix_ms, hb->end_unix_ms);
	assert_int_equal(ha->exit_status, hb->exit_status);
	assert_int_equal(ha->lost_events, hb->lost_events);
	assert_int_equal(ha->dedup_full, hb->dedup_full);
	assert_int_equal(ha->truncated_paths, hb->truncated_paths);
	assert_int_equal(ha->daemon_restarted, hb->daemon_restarted);
	assert_int_equal(ha->refused_targets, hb->refused_targets);
	assert_int_equal(profile__count(a), profile__count(b));
	for (size_t i = 0; i < profile__count(a); i++) {
		const struct profile_entry *x = profile__entry(a, i);
		const struct profile_entry *y = x->ino ? profile__find_inode(b, x->dev, x->ino)
						       : profile__find_path(b, x->path);

		assert_non_null(y);
		assert_string_equal(x->path, y->path);
		assert_int_equal(x->kinds, y->kinds);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->first_pid, y->first_pid);
		assert_string_equal(x->first_comm, y->first_comm);
		assert_int_equal(x->err, y->err);
		assert_int_equal(x->syscall_nr, y->syscall_nr);
		assert_int_equal(x->mode, y->mode);
		assert_int_equal(x->size, y->size);
	}
}

static void round_trip(enum profile_format fmt)
{
	struct profile *p = hostile_profile(), *q = NULL;
	char *buf = NULL, *buf2 = NULL;
	size_t sz = 0, sz2 = 0;
	FILE *f = open_memstream(&buf, &sz);

	assert_int_equal(profile__write_stream(p, f, fmt), 0);
	fclose(f);
	/* One line per entry plus the header, whatever the names contain. */
	size_t lines = 0;
	for (size_t i = 0; i < sz; i++)
		lines += buf[i] == '\n';
	if (fmt == PROFILE_FMT_JSON)
		assert_int_equal(lines, 1 + profile__count(p));
	f = fmemopen(buf, sz, "r");
	assert_int_equal(profile__read_stream(f, "mem", &q), 0);
	fclose(f);
	assert_profiles_equal(p, q);
	/* Writing what was read gives the same bytes: the format is canonical. */
	f = open_memstream(&buf2, &sz2);
	assert_int_equal(profile__write_stream(q, f, fmt), 0);
	fclose(f);
	assert_int_equal(sz, sz2);
	assert_memory_equal(buf, buf2, sz);
	free(buf);
	free(buf2);
	profile__free(p);
	profile__free(q);
}

static void test_text_round_trip_hostile_names(void **state)
{
	round_trip(PROFILE_FMT_TEXT);
}

static void test_json_round_trip_hostile_names(void **state)
{
	round_trip(PROFILE_FMT_JSON);
}

static int read_string(const char *text, struct profile **out)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err = profile__read_stream(f, "input.profile", out);

	fclose(f);
	return err;
}

static void test_reader_rejects_garbage_with_line_numbers(void **state)
{
	struct profile *p = NULL;

	assert_int_equal(read_string("hello\n", &p), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "input.profile:1"));
	assert_int_equal(read_string("# slimzip profile v9\n", &p), -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "version 9"));
	assert_int_equal(read_string("# slimzip profile v1\nopen 8:1 5 1 100644 0 - 1 x\n", &p),
			 -EBADMSG);
	assert_non_null(strstr(slz_errmsg(), "input.profile:2"));
	assert_int_equal(
		read_string("# slimzip profile v1\nteleport 8:1 5 1 100644 0 - 1 x /p\n", &p),
		-EBADMSG);
	assert_int_equal(read_string("# slimzip profile v1\nopen 8:1 5x 1 100644 0 - 1 x /p\n", &p),
			 -EBADMSG);
	assert_int_equal(
		read_string("# slimzip profile v1\nopen 8:1 5 1 100644 0 - 1 x /bad\\q\n", &p),
		-EBADMSG);
	assert_int_equal(read_string("# slimzip profile v1\nopen 8:1 5 1 9x 0 - 1 x /p\n", &p),
			 -EBADMSG);
	assert_int_equal(read_string("{\"slimzip_profile\":1}\n{\"kinds\":[\"open\"]}\n", &p),
			 -EBADMSG);
	assert_int_equal(read_string("", &p), -EBADMSG);
	assert_null(p);
}

static void test_merge_is_a_set_union(void **state)
{
	struct profile *a, *b;
	struct profile_entry e;

	assert_int_equal(profile__new(&a), 0);
	assert_int_equal(profile__new(&b), 0);
	profile__set_str(a, &profile__header(a)->boot_id, "one");
	profile__set_str(b, &profile__header(b)->boot_id, "two");
	e = entry("/x", 1, 1, SLZ_KIND_OPEN);
	profile__add(a, &e);
	e = entry("/x", 1, 1, SLZ_KIND_MMAP);
	profile__add(b, &e);
	e = entry("/y", 1, 2, SLZ_KIND_OPEN);
	profile__add(b, &e);
	profile__header(b)->lost_events = 2;
	assert_int_equal(profile__merge(a, b), 0);
	assert_int_equal(profile__count(a), 2);
	assert_int_equal(profile__find_inode(a, 1, 1)->kinds, SLZ_KIND_OPEN | SLZ_KIND_MMAP);
	assert_true(profile__has_loss(a));
	assert_int_equal(profile__header(a)->merged_from, 2);
	/* dev/ino from two boots cannot both be trusted. */
	assert_string_equal(profile__header(a)->boot_id, "mixed");
	/* A profile a killed daemon left is loss too, and the count adds up in a merge. */
	profile__header(b)->lost_events = 0;
	assert_false(profile__has_loss(b));
	profile__header(b)->daemon_restarted = 1;
	assert_true(profile__has_loss(b));
	assert_true(profile__has_warnings(b));
	profile__header(b)->lost_events = 2;
	profile__header(a)->daemon_restarted = 0;
	assert_int_equal(profile__merge(a, b), 0);
	assert_int_equal(profile__header(a)->daemon_restarted, 1);
	profile__header(b)->daemon_restarted = 0;
	/* Merging again changes nothing but counts: union is idempotent on membership. */
	assert_int_equal(profile__merge(a, b), 0);
	assert_int_equal(profile__count(a), 2);
	profile__free(a);
	profile__free(b);
}

static void test_sort_orders_by_path_bytes(void **state)
{
	struct profile *p;
	const char *paths[] = {"/b", "/a/z", "/a", "/\xc3\xa9", "/B"};

	assert_int_equal(profile__new(&p), 0);
	for (size_t i = 0; i < 5; i++) {
		struct profile_entry e = entry(paths[i], 1, 10 + i, SLZ_KIND_OPEN);

		assert_int_equal(profile__add(p, &e), 0);
	}
	assert_int_equal(profile__sort(p), 0);
	assert_string_equal(profile__entry(p, 0)->path, "/B");
	assert_string_equal(profile__entry(p, 1)->path, "/a");
	assert_string_equal(profile__entry(p, 2)->path, "/a/z");
	assert_string_equal(profile__entry(p, 3)->path, "/b");
	assert_string_equal(profile__entry(p, 4)->path, "/\xc3\xa9");
	/* Indexes were rebuilt. */
	assert_string_equal(profile__find_inode(p, 1, 13)->path, "/\xc3\xa9");
	assert_string_equal(profile__find_path(p, "/a/z")->path, "/a/z");
	profile__free(p);
}

static void test_kinds_names(void **state)
{
	char buf[128];
	uint32_t k;

	assert_int_equal(profile__kinds_str(SLZ_KIND_OPEN | SLZ_KIND_MISSING, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "open,missing");
	assert_int_equal(profile__kinds_parse("exec,interp,stat", &k), 0);
	assert_int_equal(k, SLZ_KIND_EXEC | SLZ_KIND_INTERP | SLZ_KIND_STAT);
	assert_int_equal(profile__kinds_parse("open,bogus", &k), -EINVAL);
	/* How an open opened its file: names of their own, written after the older kinds. */
	assert_int_equal(profile__kinds_str(SLZ_KIND_TRUNC | SLZ_KIND_OPEN | SLZ_KIND_WRITE |
						    SLZ_KIND_CREATE,
					    buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "open,write,create,truncate");
	assert_int_equal(profile__kinds_parse("truncate,open,create,write", &k), 0);
	assert_int_equal(k, SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_CREATE | SLZ_KIND_TRUNC);
	assert_int_equal(profile__kinds_parse("open,written", &k), -EINVAL);
}

/*
 * Exact bytes of both formats for a profile naming every kind and every flag: the formats are
 * a contract with other tools, so a change of the writers must not move a single byte.
 */
static struct profile *golden_profile(void)
{
	struct profile *p;
	struct profile_header *h;
	struct profile_entry a = {.path = "/t/a b",
				  .dev = makedev(8, 1),
				  .ino = 5,
				  .kinds = SLZ_KIND_OPEN | SLZ_KIND_MMAP,
				  .count = 3,
				  .mode = 0100644,
				  .size = 10,
				  .first_pid = 42,
				  .first_comm = "py",
				  .flags = SLZ_EVF_TRUNCATED | SLZ_EVF_UNREACHABLE,
				  .syscall_nr = SYS_openat};
	struct profile_entry b = {.path = "/t/\x01\xff\"\\\xc3\xa9\x7f",
				  .kinds = SLZ_KIND_ALL,
				  .first_pid = 7,
				  .first_comm = "c\tm",
				  .flags = SLZ_EVF_PATH_ONLY | SLZ_EVF_USER_SUFFIX,
				  .err = ENOENT,
				  .syscall_nr = SYS_newfstatat};
	struct profile_entry c = {.path = "/t/z",
				  .dev = makedev(259, 3),
				  .ino = 9,
				  .kinds = SLZ_KIND_EXEC | SLZ_KIND_INTERP,
				  .count = 1,
				  .mode = 040755,
				  .first_pid = 1,
				  .syscall_nr = -1};

	assert_int_equal(profile__new(&p), 0);
	h = profile__header(p);
	assert_int_equal(profile__set_str(p, &h->slimzip_version, "0.1.0"), 0);
	assert_int_equal(profile__set_str(p, &h->kernel, "6.18.44"), 0);
	assert_int_equal(profile__set_str(p, &h->boot_id, "b00t"), 0);
	assert_int_equal(profile__set_str(p, &h->target_kind, "command"), 0);
	assert_int_equal(profile__set_str(p, &h->target, "/sys/fs/cgroup/x"), 0);
	assert_int_equal(profile__set_str(p, &h->command, "sh -c 'a\tb'"), 0);
	h->start_unix_ms = 1795000000123;
	h->end_unix_ms = 1795000009456;
	h->exit_status = -1;
	h->lost_events = 1;
	h->dedup_full = 2;
	h->truncated_paths = 3;
	h->merged_from = 1;
	assert_int_equal(profile__add(p, &a), 0);
	assert_int_equal(profile__add(p, &b), 0);
	assert_int_equal(profile__add(p, &c), 0);
	return p;
}

static void assert_written_as(enum profile_format fmt, const char *want)
{
	struct profile *p = golden_profile();
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	assert_int_equal(profile__write_stream(p, f, fmt), 0);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
	profile__free(p);
}

static void test_json_exact_bytes(void **state)
{
	assert_written_as(
		PROFILE_FMT_JSON,
		"{\"slimzip_profile\":1,\"slimzip_version\":\"0.1.0\",\"kernel\":\"6.18.44\","
		"\"hostname\":null,\"boot_id\":\"b00t\",\"target_kind\":\"command\","
		"\"target\":\"/sys/fs/cgroup/x\",\"command\":\"sh -c 'a\\tb'\","
		"\"start\":\"2026-11-18T11:06:40.123Z\",\"end\":\"2026-11-18T11:06:49.456Z\","
		"\"exit_status\":-1,\"lost_events\":1,\"dedup_full\":2,\"truncated_paths\":3,"
		"\"daemon_restarted\":0,\"refused_targets\":0,\"merged_from\":1,"
		"\"tree_root\":null,\"files\":3}\n"
		"{\"kinds\":[\"open\",\"mmap\",\"exec\",\"interp\",\"stat\",\"access\","
		"\"readlink\","
		"\"missing\",\"write\",\"create\",\"truncate\"],\"dev\":\"0:0\",\"ino\":0,"
		"\"count\":0,\"mode\":0,\"size\":0,"
		"\"flags\":\"path-only,user-suffix,errno=2,via=newfstatat\",\"pid\":7,"
		"\"comm\":\"c\\tm\",\"path\":\"/t/\\u0001\\udcff\\\"\\\\\xc3\xa9\\u007f\"}\n"
		"{\"kinds\":[\"open\",\"mmap\"],\"dev\":\"8:1\",\"ino\":5,\"count\":3,\"mode\":"
		"33188,"
		"\"size\":10,\"flags\":\"truncated,unreachable,via=openat\",\"pid\":42,"
		"\"comm\":\"py\",\"path\":\"/t/a b\"}\n"
		"{\"kinds\":[\"exec\",\"interp\"],\"dev\":\"259:3\",\"ino\":9,\"count\":1,"
		"\"mode\":16877,\"size\":0,\"flags\":\"-\",\"pid\":1,\"comm\":\"\",\"path\":\"/t/"
		"z\"}\n");
}

static void test_text_exact_bytes(void **state)
{
	assert_written_as(
		PROFILE_FMT_TEXT,
		"# slimzip profile v1\n"
		"# slimzip-version: 0.1.0\n"
		"# kernel: 6.18.44\n"
		"# hostname: -\n"
		"# boot-id: b00t\n"
		"# target-kind: command\n"
		"# target: /sys/fs/cgroup/x\n"
		"# command: sh -c 'a\\tb'\n"
		"# start: 2026-11-18T11:06:40.123Z\n"
		"# end: 2026-11-18T11:06:49.456Z\n"
		"# exit-status: -1\n"
		"# lost-events: 1\n"
		"# dedup-full: 2\n"
		"# truncated-paths: 3\n"
		"# daemon-restarted: 0\n"
		"# refused-targets: 0\n"
		"# merged-from: 1\n"
		"# tree-root: -\n"
		"# files: 3\n"
		"# columns: kinds dev ino count mode size flags pid comm path\n"
		"open,mmap,exec,interp,stat,access,readlink,missing,write,create,truncate 0:0 0 0 "
		"0 0 "
		"path-only,user-suffix,errno=2,via=newfstatat 7 c\\tm "
		"/t/\\x01\xff\"\\\\\xc3\xa9\\x7f\n"
		"open,mmap 8:1 5 3 100644 10 truncated,unreachable,via=openat 42 py /t/a b\n"
		"exec,interp 259:3 9 1 40755 0 - 1 - /t/z\n");
}

/* Every kind and flag is read back by its name, whatever bit it has. */
static void test_names_read_back(void **state)
{
	const char *text = "# slimzip profile v1\n"
			   "readlink,missing,access 0:0 0 1 0 0 unreachable,user-suffix,truncated "
			   "1 - /p\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	const struct profile_entry *e;
	struct profile *p = NULL;

	assert_int_equal(profile__read_stream(f, "mem", &p), 0);
	fclose(f);
	e = profile__find_path(p, "/p");
	assert_non_null(e);
	assert_int_equal(e->kinds, SLZ_KIND_READLINK | SLZ_KIND_MISSING | SLZ_KIND_ACCESS);
	assert_int_equal(e->flags, SLZ_EVF_UNREACHABLE | SLZ_EVF_USER_SUFFIX | SLZ_EVF_TRUNCATED |
					   SLZ_EVF_PATH_ONLY);
	profile__free(p);
}

static void test_write_file_is_atomic(void **state)
{
	struct profile *p = hostile_profile(), *q;
	char dir[] = "/tmp/slz-prof-XXXXXX", path[300];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.profile", dir);
	assert_int_equal(profile__write(p, path, PROFILE_FMT_TEXT), 0);
	assert_int_equal(profile__read(path, &q), 0);
	assert_profiles_equal(p, q);
	profile__free(q);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* nothing but the profile was ever left behind */
	assert_true(profile__write(p, "/nonexistent-dir/out.profile", PROFILE_FMT_TEXT) < 0);
	assert_true(profile__read("/nonexistent-dir/out.profile", &q) < 0);
	assert_non_null(strstr(slz_errmsg(), "/nonexistent-dir/out.profile"));
	profile__free(p);
}

/* Staged entries added at once merge exactly as profile__add merges them, in their order. */
static void test_stage_commit_merges_like_add(void **state)
{
	static const struct {
		const char *path;
		uint64_t ino;
		uint32_t kind, flags;
	} in[] = {
		{"/t/a", 5, SLZ_KIND_STAT, SLZ_EVF_TRUNCATED},
		{"/t/b", 6, SLZ_KIND_OPEN, 0},
		{"/t/a-link", 5, SLZ_KIND_OPEN, 0}, /* the same inode by a better path */
		{"/t/c", 0, SLZ_KIND_ACCESS, 0},
		{"/t/c", 0, SLZ_KIND_READLINK, 0},
		{"/t/b", 7, SLZ_KIND_MMAP, 0}, /* another inode at b's path */
	};
	struct profile *added, *staged;
	size_t failed = 99;

	(void)state;
	assert_int_equal(profile__new(&added), 0);
	assert_int_equal(profile__new(&staged), 0);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct profile_entry e = entry(in[i].path, makedev(8, 1), in[i].ino, in[i].kind);
		struct profile_entry *st = profile__stage(staged);

		e.flags |= in[i].flags;
		e.count = i + 1;
		assert_int_equal(profile__add(added, &e), 0);
		assert_non_null(st);
		*st = e;
	}
	/* Staged entries sit where an added one would go. */
	struct profile_entry x = entry("/t/x", 0, 0, SLZ_KIND_STAT);
	assert_int_equal(profile__add(staged, &x), -EBUSY);
	assert_int_equal(profile__commit(staged, false, &failed), 0);
	assert_int_equal(profile__count(staged), 4);
	assert_int_equal(profile__count(added), 4);
	for (size_t i = 0; i < 4; i++) {
		const struct profile_entry *a = profile__entry(added, i);
		const struct profile_entry *b = profile__entry(staged, i);

		assert_string_equal(a->path, b->path);
		assert_int_equal(a->ino, b->ino);
		assert_int_equal(a->kinds, b->kinds);
		assert_int_equal(a->flags, b->flags);
		assert_int_equal(a->count, b->count);
	}
	assert_string_equal(profile__find_inode(staged, makedev(8, 1), 5)->path, "/t/a-link");
	assert_int_equal(profile__find_path(staged, "/t/c")->kinds,
			 SLZ_KIND_ACCESS | SLZ_KIND_READLINK);
	/* Committed: adds work again; an entry without a path is named by its place. */
	assert_int_equal(profile__add(staged, &x), 0);
	struct profile_entry *st = profile__stage(staged);
	assert_non_null(st);
	*st = entry("/t/y", 0, 0, SLZ_KIND_STAT);
	assert_non_null(profile__stage(staged));     /* left without a path */
	assert_int_equal(profile__count(staged), 5); /* staged ones are not entries yet */
	assert_int_equal(profile__commit(staged, false, &failed), -EINVAL);
	assert_int_equal(failed, 1);
	assert_int_equal(profile__count(staged), 6);
	profile__free(added);
	profile__free(staged);
}

/*
 * The path index is built on the first find_path: it then follows adds and better paths, and a
 * sort drops it to be built again in the new order.
 */
static void test_find_path_index_built_when_asked(void **state)
{
	struct profile *p;
	struct profile_entry e;

	(void)state;
	assert_int_equal(profile__new(&p), 0);
	e = entry("/z/one", makedev(8, 1), 1, SLZ_KIND_OPEN);
	assert_int_equal(profile__add(p, &e), 0);
	e = entry("/a/two", 0, 0, SLZ_KIND_ACCESS);
	assert_int_equal(profile__add(p, &e), 0);
	assert_null(profile__find_path(p, "/nope"));
	assert_int_equal(profile__find_path(p, "/z/one")->ino, 1);
	e = entry("/m/three", makedev(8, 1), 3, SLZ_KIND_OPEN);
	e.flags = SLZ_EVF_TRUNCATED;
	assert_int_equal(profile__add(p, &e), 0);
	assert_int_equal(profile__find_path(p, "/m/three")->ino, 3);
	e = entry("/m/better", makedev(8, 1), 3, SLZ_KIND_STAT);
	assert_int_equal(profile__add(p, &e), 0);
	assert_null(profile__find_path(p, "/m/three"));
	assert_int_equal(profile__find_path(p, "/m/better")->ino, 3);
	assert_int_equal(profile__sort(p), 0);
	assert_string_equal(profile__entry(p, 0)->path, "/a/two");
	assert_ptr_equal(profile__find_path(p, "/a/two"), profile__entry(p, 0));
	assert_ptr_equal(profile__find_path(p, "/z/one"), profile__entry(p, 2));
	assert_ptr_equal(profile__find_inode(p, makedev(8, 1), 3), profile__entry(p, 1));
	assert_int_equal(profile__add_count(p, 0, 0, "/a/two", 5), 0);
	assert_int_equal(profile__entry(p, 0)->count, 6);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merges_by_inode_then_path),
		cmocka_unit_test(test_truncated_path_replaced_by_complete_one),
		cmocka_unit_test(test_kernel_path_beats_user_spelling_in_either_order),
		cmocka_unit_test(test_path_ranks),
		cmocka_unit_test(test_empty_profile_sorts),
		cmocka_unit_test(test_text_round_trip_hostile_names),
		cmocka_unit_test(test_json_round_trip_hostile_names),
		cmocka_unit_test(test_reader_rejects_garbage_with_line_numbers),
		cmocka_unit_test(test_merge_is_a_set_union),
		cmocka_unit_test(test_sort_orders_by_path_bytes),
		cmocka_unit_test(test_kinds_names),
		cmocka_unit_test(test_json_exact_bytes),
		cmocka_unit_test(test_text_exact_bytes),
		cmocka_unit_test(test_names_read_back),
		cmocka_unit_test(test_write_file_is_atomic),
		cmocka_unit_test(test_stage_commit_merges_like_add),
		cmocka_unit_test(test_find_path_index_built_when_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
