// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "mountinfo.h"

/* A systemd "hybrid" host: v1 controllers plus the unified hierarchy on a sub-mount. */
static const char hybrid[] =
	"25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"31 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
	"cgroup2 rw,nsdelegate\n"
	"33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup "
	"rw,xattr,name=systemd\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:13 - cgroup cgroup rw,memory\n";

/* A pure v2 host, with an optional field-free line and an escaped mount point before it. */
static const char pure_v2[] = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			      "40 22 8:1 /srv/my\\040data /mnt/with\\040space\\011tab rw - ext4 "
			      "/dev/sda1 rw\n"
			      "26 22 0:24 / /sys/fs/cgroup rw,nosuid shared:4 master:1 - cgroup2 "
			      "cgroup2 rw,nsdelegate,memory_recursiveprot\n";

static FILE *stream(const char *s)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");

	assert_non_null(f);
	return f;
}

static void test_hybrid_finds_unified(void **state)
{
	struct mount_info m;
	FILE *f = stream(hybrid);

	assert_int_equal(mountinfo__find_fstype(f, "cgroup2", &m), 0);
	assert_string_equal(m.mount_point, "/sys/fs/cgroup/unified");
	assert_string_equal(m.root, "/");
	assert_int_equal(m.id, 32);
	assert_int_equal(m.parent_id, 31);
	assert_int_equal(m.major, 0);
	assert_int_equal(m.minor, 29);
	assert_string_equal(m.super_opts, "rw,nsdelegate");
	mountinfo__clear(&m);
	fclose(f);
}

static void test_pure_v2(void **state)
{
	struct mount_info m;
	FILE *f = stream(pure_v2);

	assert_int_equal(mountinfo__find_fstype(f, "cgroup2", &m), 0);
	assert_string_equal(m.mount_point, "/sys/fs/cgroup");
	assert_string_equal(m.fstype, "cgroup2");
	assert_string_equal(m.source, "cgroup2");
	assert_string_equal(m.mount_opts, "rw,nosuid");
	mountinfo__clear(&m);
	fclose(f);
}

static void test_escapes(void **state)
{
	struct mount_info m;

	assert_int_equal(
		mountinfo__parse_line("40 22 8:1 /srv/my\\040data /mnt/with\\040space\\011tab"
				      " rw - ext4 /dev/sd\\134a rw\n",
				      &m),
		0);
	assert_string_equal(m.root, "/srv/my data");
	assert_string_equal(m.mount_point, "/mnt/with space\ttab");
	assert_string_equal(m.source, "/dev/sd\\a");
	mountinfo__clear(&m);
}

static void test_no_cgroup2(void **state)
{
	struct mount_info m;
	FILE *f = stream("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");

	assert_int_equal(mountinfo__find_fstype(f, "cgroup2", &m), -ENOENT);
	fclose(f);
}

static void test_bad_lines(void **state)
{
	struct mount_info m;
	const char *bad[] = {"", "22 1 8:1 / /", "x 1 8:1 / / rw - ext4 s rw",
			     "22 1 8:1 / / rw shared:1 ext4 s rw", "22 1 81 / / rw - ext4 s rw"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mountinfo__parse_line(bad[i], &m), -EINVAL);
	/* A bad line is skipped by the finder. */
	FILE *f = stream("garbage\n26 22 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");

	assert_int_equal(mountinfo__find_fstype(f, "cgroup2", &m), 0);
	assert_string_equal(m.mount_point, "/sys/fs/cgroup");
	mountinfo__clear(&m);
	fclose(f);
}

static void test_cgroup_self_dir(void **state)
{
	char *dir = NULL;

	assert_int_equal(cgroup__self_dir("/sys/fs/cgroup/unified", "/",
					  "1:cpu:/\n0::/user.slice/session-1.scope\n", &dir),
			 0);
	assert_string_equal(dir, "/sys/fs/cgroup/unified/user.slice/session-1.scope");
	free(dir);
	assert_int_equal(cgroup__self_dir("/sys/fs/cgroup", "/", "0::/\n", &dir), 0);
	assert_string_equal(dir, "/sys/fs/cgroup");
	free(dir);
	/* mounted from a sub-tree (container): the path is relative to that root */
	assert_int_equal(
		cgroup__self_dir("/sys/fs/cgroup", "/docker/abc", "0::/docker/abc/app\n", &dir), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/app");
	free(dir);
	/* v1-only /proc/self/cgroup: fall back to the mount point */
	assert_int_equal(cgroup__self_dir("/sys/fs/cgroup", "/", "4:memory:/x\n", &dir), 0);
	assert_string_equal(dir, "/sys/fs/cgroup");
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid_finds_unified),
		cmocka_unit_test(test_pure_v2),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_no_cgroup2),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_cgroup_self_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
