// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proctree: /proc text parsed (stat's ppid past a comm with spaces and parentheses,
 * cgroup.procs), a tree found among (pid, ppid) pairs, and the readers run on a fixture /proc
 * and fixture cgroup directories (no root needed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proctree.h"
#include "testfs.h"

static char tmp[PATH_MAX];

static void test_parse_stat(void **state)
{
	pid_t pid = 0, ppid = -1;

	assert_int_equal(proctree__parse_stat("123 (bash) S 45 123 123 34816 0", &pid, &ppid), 0);
	assert_int_equal(pid, 123);
	assert_int_equal(ppid, 45);
	/* comm may hold ") S 9 " itself: the last ')' ends it. */
	assert_int_equal(proctree__parse_stat("77 (a) S 9 (b)) R 5 77 77 0\n", &pid, &ppid), 0);
	assert_int_equal(pid, 77);
	assert_int_equal(ppid, 5);
	assert_int_equal(proctree__parse_stat("1 (init) S 0 1 1 0", &pid, &ppid), 0);
	assert_int_equal(ppid, 0);
	assert_int_equal(proctree__parse_stat("", &pid, &ppid), -EINVAL);
	assert_int_equal(proctree__parse_stat("12 bash S 3", &pid, &ppid), -EINVAL);
	assert_int_equal(proctree__parse_stat("12 (bash)", &pid, &ppid), -EINVAL);
	assert_int_equal(proctree__parse_stat("12 (bash) S x", &pid, &ppid), -EINVAL);
	assert_int_equal(proctree__parse_stat("x2 (bash) S 3", &pid, &ppid), -EINVAL);
	assert_int_equal(proctree__parse_stat("12 (bash) S 99999999999", &pid, &ppid), -EINVAL);
}

static void test_parse_procs(void **state)
{
	struct pid_list l = {0};

	assert_int_equal(proctree__parse_procs("12\n345\n\n6\n", &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0], 12);
	assert_int_equal(l.v[1], 345);
	assert_int_equal(l.v[2], 6);
	assert_true(pid_list__has(&l, 345));
	assert_false(pid_list__has(&l, 34));
	assert_int_equal(proctree__parse_procs("", &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(proctree__parse_procs("7\nabc\n", &l), -EINVAL);
	assert_int_equal(proctree__parse_procs("0\n", &l), -EINVAL);
	pid_list__free(&l);
	pid_list__free(&l);
	pid_list__free(NULL);
}

static void test_tree_of(void **state)
{
	/* 10 -> 11 -> 13, 10 -> 12; 20 -> 21 is another tree; 30's parent 99 is not listed. */
	const pid_t pids[] = {21, 13, 10, 12, 11, 20, 30};
	const pid_t ppids[] = {20, 11, 1, 10, 10, 1, 99};
	struct pid_list l = {0};

	assert_int_equal(proctree__tree_of(pids, ppids, 7, 10, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[0], 10);
	/* every parent before its children */
	for (size_t i = 1; i < l.n; i++) {
		size_t at = 0;

		for (size_t j = 0; j < 7; j++) {
			if (pids[j] == l.v[i])
				at = j;
		}
		for (size_t k = 0; k < l.n && l.v[k] != ppids[at]; k++)
			assert_true(k < i);
	}
	assert_true(pid_list__has(&l, 13));
	assert_false(pid_list__has(&l, 21));
	pid_list__free(&l);
	assert_int_equal(proctree__tree_of(pids, ppids, 7, 42, &l), -ESRCH);
	assert_int_equal(proctree__tree_of(pids, ppids, 7, 30, &l), 0);
	assert_int_equal(l.n, 1);
	pid_list__free(&l);
}

/* A fixture /proc: N/stat for each process, N/task/T for its threads, N/cgroup. */
static void fake_proc(const char *proc, pid_t pid, pid_t ppid, const char *comm)
{
	char rel[64], text[128];

	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	snprintf(text, sizeof(text), "%d (%s) S %d 1 1 0 -1\n", (int)pid, comm, (int)ppid);
	testfs__write(proc, rel, text);
}

static void test_descendants_and_threads(void **state)
{
	char proc[PATH_MAX];
	struct pid_list l = {0};

	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	testfs__mkdir(tmp, "proc");
	fake_proc(proc, 1, 0, "init");
	fake_proc(proc, 50, 1, "bash");
	fake_proc(proc, 51, 50, "my (odd) name");
	fake_proc(proc, 52, 51, "cat");
	fake_proc(proc, 60, 1, "other");
	testfs__write(proc, "self", "not a process");
	testfs__mkdirs(proc, "51/task/51");
	testfs__mkdirs(proc, "51/task/58");
	testfs__write(proc, "53/stat", "garbage"); /* unparsable: not a process of any tree */
	assert_int_equal(proctree__descendants(proc, 50, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0], 50);
	assert_true(pid_list__has(&l, 51));
	assert_true(pid_list__has(&l, 52));
	assert_false(pid_list__has(&l, 60));
	pid_list__free(&l);
	assert_int_equal(proctree__descendants(proc, 77, &l), -ESRCH);
	assert_int_equal(proctree__threads(proc, 51, &l), 0);
	assert_int_equal(l.n, 2);
	assert_true(pid_list__has(&l, 58));
	pid_list__free(&l);
	assert_int_equal(proctree__threads(proc, 77, &l), -ESRCH);
	assert_int_equal(proctree__cgroup_dir(proc, 77, &(char *){NULL}), -ESRCH);
	testfs__write(proc, "50/cgroup", "1:name=systemd:/\n");
	assert_int_equal(proctree__cgroup_dir(proc, 50, &(char *){NULL}), -EOPNOTSUPP);
}

/* cgroup.procs of a directory and of the directories below it. */
static void test_cgroup_procs(void **state)
{
	char cg[PATH_MAX];
	struct pid_list l = {0};

	snprintf(cg, sizeof(cg), "%s/cg", tmp);
	testfs__mkdirs(tmp, "cg/a/b");
	testfs__write(cg, "cgroup.procs", "10\n11\n");
	testfs__write(cg, "a/cgroup.procs", "");
	testfs__write(cg, "a/b/cgroup.procs", "12\n");
	testfs__mkdir(cg, "gone"); /* no cgroup.procs: removed meanwhile */
	assert_int_equal(proctree__cgroup_procs(cg, &l), 0);
	assert_int_equal(l.n, 3);
	assert_true(pid_list__has(&l, 12));
	pid_list__free(&l);
}

static int setup(void **state)
{
	testfs__mkdtemp(tmp, sizeof(tmp), "proctree");
	return 0;
}

static int teardown(void **state)
{
	testfs__rmtree(tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),   cmocka_unit_test(test_parse_procs),
		cmocka_unit_test(test_tree_of),	     cmocka_unit_test(test_descendants_and_threads),
		cmocka_unit_test(test_cgroup_procs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
