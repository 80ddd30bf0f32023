// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel events into profile entries, fed by hand: no root, no BPF. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "events.h"

static char path[EVENT_PATH_BUF];

/* An event as the kernel sends it: the header plus path_len bytes of path. */
static struct slz_event *event(const char *p, size_t *size)
{
	static struct slz_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.path_len = (uint32_t)strlen(p);
	memcpy(ev.path, p, ev.path_len);
	*size = SLZ_EVENT_HDR_SIZE + ev.path_len;
	return &ev;
}

static void test_inode_event_becomes_entry(void **state)
{
	size_t size;
	struct slz_event *ev = event("/usr/lib/libc.so.6", &size);
	struct profile_entry e;

	ev->dev = (8ULL << 20) | 3; /* kernel encoding of 8:3 */
	ev->ino = 4242;
	ev->size = 1926232;
	ev->kind = SLZ_KIND_MMAP;
	ev->flags = SLZ_EVF_UNREACHABLE;
	ev->mode = 0100755;
	ev->pid = 77;
	ev->tid = 78;
	ev->syscall_nr = SYS_mmap;
	memcpy(ev->comm, "python3", 8);
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_string_equal(e.path, "/usr/lib/libc.so.6");
	assert_ptr_equal(e.path, path);
	assert_int_equal(e.dev, makedev(8, 3));
	assert_int_equal(e.ino, 4242);
	assert_int_equal(e.size, 1926232);
	assert_int_equal(e.kinds, SLZ_KIND_MMAP);
	assert_int_equal(e.flags, SLZ_EVF_UNREACHABLE);
	assert_int_equal(e.mode, 0100755);
	assert_int_equal(e.first_pid, 77);
	assert_int_equal(e.syscall_nr, SYS_mmap);
	assert_int_equal(e.err, 0);
	assert_int_equal(e.count, 0);
	assert_string_equal(e.first_comm, "python3");
}

static void test_large_device_numbers(void **state)
{
	size_t size;
	struct slz_event *ev = event("/x", &size);
	struct profile_entry e;

	ev->dev = (259ULL << 20) | 0xabcde; /* minor beyond 8 bits */
	ev->ino = 1;
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_int_equal(major(e.dev), 259);
	assert_int_equal(minor(e.dev), 0xabcde);
}

static void test_path_keyed_event_is_path_only(void **state)
{
	size_t size;
	struct slz_event *ev = event("/var/task/missing.py", &size);
	struct event_identity id;
	struct profile_entry e;

	ev->dev = SLZ_DEV_PATH_HASH;
	ev->ino = 0x1234567890abcdefULL; /* the path's hash, not an inode */
	ev->kind = SLZ_KIND_MISSING;
	ev->flags = SLZ_EVF_USER_SUFFIX;
	ev->err = ENOENT;
	ev->syscall_nr = SYS_openat;
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_int_equal(e.dev, 0);
	assert_int_equal(e.ino, 0);
	assert_int_equal(e.flags, SLZ_EVF_PATH_ONLY | SLZ_EVF_USER_SUFFIX);
	assert_int_equal(e.kinds, SLZ_KIND_MISSING);
	assert_int_equal(e.err, ENOENT);
	assert_int_equal(e.syscall_nr, SYS_openat);
	event__identity(ev, &id);
	assert_true(id.by_path);
	assert_int_equal(id.path_hash, 0x1234567890abcdefULL);
}

static void test_exec_event_without_syscall(void **state)
{
	size_t size;
	struct slz_event *ev = event("/lib64/ld-linux-x86-64.so.2", &size);
	struct profile_entry e;

	ev->dev = 1ULL << 20;
	ev->ino = 9;
	ev->kind = SLZ_KIND_INTERP;
	ev->syscall_nr = -1;
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_int_equal(e.syscall_nr, -1);
	assert_int_equal(e.kinds, SLZ_KIND_INTERP);
}

static void expect_path(const char *in, const char *want)
{
	size_t size;
	struct slz_event *ev = event(in, &size);
	struct profile_entry e;

	ev->dev = SLZ_DEV_PATH_HASH;
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_string_equal(e.path, want);
}

static void test_absolute_paths_are_normalised(void **state)
{
	expect_path("/a//b/./c/", "/a/b/c");
	expect_path("/task/./../x", "/task/../x"); /* ".." may follow a symlink: kept */
	expect_path("/./", "/");
	expect_path("//", "/");
	expect_path("/.hidden/..x", "/.hidden/..x");
	expect_path("rel/./x", "rel/./x"); /* not absolute: as the kernel gave it */
}

static void test_comm_without_nul_is_terminated(void **state)
{
	size_t size;
	struct slz_event *ev = event("/c", &size);
	struct profile_entry e;

	memset(ev->comm, 'c', sizeof(ev->comm));
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_int_equal(strlen(e.first_comm), PROFILE_COMM_LEN - 1);
}

static void test_path_bounded_by_record(void **state)
{
	size_t size;
	struct slz_event *ev = event("/abcdef", &size);
	struct profile_entry e;

	/* path_len says more than the record holds: only the bytes received count */
	ev->path_len = 1000;
	assert_int_equal(event__entry(ev, SLZ_EVENT_HDR_SIZE + 3, path, &e), 0);
	assert_string_equal(e.path, "/ab");
	/* a NUL inside the path ends it */
	ev->path_len = 7;
	ev->path[4] = '\0';
	assert_int_equal(event__entry(ev, size, path, &e), 0);
	assert_string_equal(e.path, "/abc");
	/* the longest path the kernel can send fits the buffer */
	ev->path_len = SLZ_EVENT_PATH_CAP;
	memset(ev->path, 'p', SLZ_EVENT_PATH_CAP);
	assert_int_equal(event__entry(ev, sizeof(*ev), path, &e), 0);
	assert_int_equal(strlen(e.path), SLZ_EVENT_PATH_CAP);
}

static void test_records_without_a_path_are_refused(void **state)
{
	size_t size;
	struct slz_event *ev = event("", &size);
	struct profile_entry e;

	assert_int_equal(event__entry(ev, size, path, &e), -EINVAL);
	ev = event("/p", &size);
	assert_int_equal(event__entry(ev, SLZ_EVENT_HDR_SIZE - 1, path, &e), -EINVAL);
	assert_int_equal(event__entry(ev, SLZ_EVENT_HDR_SIZE, path, &e), -EINVAL);
}

static void test_route_names_slot_and_generation(void **state)
{
	size_t size;
	struct slz_event *ev = event("/r", &size);
	uint32_t slot, gen;

	ev->target = 5;
	ev->gen = 17;
	assert_int_equal(event__route(ev, size, &slot, &gen), 0);
	assert_int_equal(slot, 5);
	assert_int_equal(gen, 17);
	ev->target = SLZ_MAX_TARGETS;
	assert_int_equal(event__route(ev, size, &slot, &gen), -EINVAL);
	ev->target = 0;
	assert_int_equal(event__route(ev, SLZ_EVENT_HDR_SIZE - 1, &slot, &gen), -EINVAL);
	/* A born or ended record is no file event: never an entry of the slot's profile. */
	ev->kind = SLZ_REC_BORN;
	assert_int_equal(event__route(ev, size, &slot, &gen), -EINVAL);
	assert_int_equal(event__entry(ev, size, path, &(struct profile_entry){0}), -EINVAL);
}

static void test_key_identity(void **state)
{
	struct slz_seen_key by_inode = {.dev = (254ULL << 20) | 1, .ino = 332835};
	struct slz_seen_key by_path = {.dev = SLZ_DEV_PATH_HASH, .ino = 99};
	struct event_identity id;

	event__key_identity(&by_inode, &id);
	assert_false(id.by_path);
	assert_int_equal(id.dev, makedev(254, 1));
	assert_int_equal(id.ino, 332835);
	event__key_identity(&by_path, &id);
	assert_true(id.by_path);
	assert_int_equal(id.path_hash, 99);
	assert_int_equal(id.dev, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inode_event_becomes_entry),
		cmocka_unit_test(test_large_device_numbers),
		cmocka_unit_test(test_path_keyed_event_is_path_only),
		cmocka_unit_test(test_exec_event_without_syscall),
		cmocka_unit_test(test_absolute_paths_are_normalised),
		cmocka_unit_test(test_comm_without_nul_is_terminated),
		cmocka_unit_test(test_path_bounded_by_record),
		cmocka_unit_test(test_records_without_a_path_are_refused),
		cmocka_unit_test(test_route_names_slot_and_generation),
		cmocka_unit_test(test_key_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
