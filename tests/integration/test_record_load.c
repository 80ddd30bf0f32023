// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder's start-up (issue 13): what the verifier explores of the programs `record`
 * loads, and the first target's dedup map installed during the load rather than after it
 * (each install in the map of maps waits for an RCU grace period). Real BPF, real cgroups,
 * real processes. Needs root and BTF: skipped otherwise, failed when SLIMZIP_REQUIRE_BPF=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cgroup.h"
#include "launch.h"
#include "profile.h"
#include "recorder.h"
#include "record.skel.h"
#include "itest.h"
#include "testfs.h"

/*
 * Instructions the verifier processes (log level 4's "processed N insns") in the programs
 * `record -- CMD` loads. With the handlers inlined slz_sys_exit and slz_exec were 15,256 and
 * 9,192 (2026-12-01, this kernel); as global functions, verified once each, 5,541 and 3,510.
 * 2026-12-02, the light load (seen0_direct, fd_direct) was 7,281 + 3,789 (slz_exec); since
 * the sys_exit hook records exec at execve's return, the path walk (walk_current) and the
 * dedup step (seen_new_global) are global functions too and every syscall shares one walk of
 * the target lookup (on_sys_exit reads the number again), it is 4,153 + 34 (slz_exec_note;
 * slz_exec, now the per-syscall hook's alone, 1,911). What `record` loads is bounded as a
 * whole too, so that slz_exec's second verification of the global functions does not come
 * back. The bounds leave room for a compiler's or kernel's drift, not for the inlined form.
 */
#define SYS_EXIT_MAX_INSNS  5000
#define EXEC_NOTE_MAX_INSNS 100
#define RECORD_MAX_INSNS    (SYS_EXIT_MAX_INSNS + EXEC_NOTE_MAX_INSNS)
#define EXEC_MAX_INSNS	    2300

static struct itest_group g;

static long processed_insns(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? strtol(p + strlen("processed "), NULL, 10) : -1;
}

struct load_insns {
	long sys_exit, exec_note, exec;
};

/*
 * Load slz_sys_exit with slz_exec_note (the sys_exit hook's pair, what `record -- CMD` loads)
 * and slz_exec (the per-syscall hook's) with these .rodata choices; the verifier's insns of
 * each (the verifier checks each program on its own, global functions included).
 */
static void load_counting(bool seen0_direct, bool fd_direct, struct load_insns *n)
{
	static char logs[3][64 * 1024];
	struct record_bpf *skel;
	struct bpf_program *prog, *progs[3];

	skel = record_bpf__open();
	assert_non_null(skel);
	progs[0] = skel->progs.slz_sys_exit;
	progs[1] = skel->progs.slz_exec_note;
	progs[2] = skel->progs.slz_exec;
	bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(
		prog, prog == progs[0] || prog == progs[1] || prog == progs[2]);
	skel->rodata->seen0_direct = seen0_direct;
	skel->rodata->fd_direct = fd_direct;
	for (int i = 0; i < 3; i++) {
		logs[i][0] = '\0';
		bpf_program__set_log_buf(progs[i], logs[i], sizeof(logs[i]));
		bpf_program__set_log_level(progs[i], 4);
	}
	assert_int_equal(record_bpf__load(skel), 0);
	n->sys_exit = processed_insns(logs[0]);
	n->exec_note = processed_insns(logs[1]);
	n->exec = processed_insns(logs[2]);
	record_bpf__destroy(skel);
}

/*
 * Every variant the recorder loads stays within the bounds: the regular load (seen through
 * the map of maps) and the light one (seen0 direct), each with the fd table read the kernel
 * allows (the helper call always, the direct load from 6.17 on).
 */
static void test_verifier_work_bounded(void **state)
{
	struct load_insns n;

	itest__require_bpf(&g);
	for (int v = 0; v < 4; v++) {
		bool seen0_direct = v & 1, fd_direct = v & 2;

		if (fd_direct && !recorder__kernel_casts_to_void())
			continue;
		load_counting(seen0_direct, fd_direct, &n);
		print_message("# verifier (seen0_direct %d, fd_direct %d): slz_sys_exit %ld insns, "
			      "slz_exec_note %ld insns, slz_exec %ld insns\n",
			      seen0_direct, fd_direct, n.sys_exit, n.exec_note, n.exec);
		assert_in_range(n.sys_exit, 1, SYS_EXIT_MAX_INSNS);
		assert_in_range(n.exec_note, 1, EXEC_NOTE_MAX_INSNS);
		assert_in_range(n.sys_exit + n.exec_note, 2, RECORD_MAX_INSNS);
		assert_in_range(n.exec, 1, EXEC_MAX_INSNS);
	}
}

/*
 * recorder__open leaves a dedup map in slot 0 before any target exists; the first target
 * (slot 0) records into that very map, a second target gets a map of its own, and a target
 * that replaces the first in slot 0 gets a new one.
 */
static void test_first_map_installed_at_open(void **state)
{
	struct recorder_config cfg = {.one_shot = true};
	uint32_t id_open, id0, id1, id_again, slot, slot1;
	char *cgdir = NULL, *cgdir1 = NULL;
	struct launch_opts lo = {0};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	int cgfd = -1, cgfd1 = -1, pidfd = -1, status = -1;
	uint64_t cgid, cgid1;
	pid_t pid;

	itest__require_bpf(&g);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(recorder__dedup_map_id(r, 0, &id_open), 0);
	assert_int_not_equal(id_open, 0);
	assert_int_equal(recorder__dedup_map_id(r, 1, &id1), 0);
	assert_int_equal(id1, 0);

	assert_int_equal(cgroup__create(g.cg_parent, &cgdir, &cgfd), 0);
	assert_int_equal(cgroup__id(cgdir, &cgid), 0);
	assert_int_equal(recorder__add_target(r, cgid, &slot), 0);
	assert_int_equal(slot, 0);
	assert_int_equal(recorder__dedup_map_id(r, 0, &id0), 0);
	assert_int_equal(id0, id_open);

	assert_int_equal(cgroup__create(g.cg_parent, &cgdir1, &cgfd1), 0);
	assert_int_equal(cgroup__id(cgdir1, &cgid1), 0);
	assert_int_equal(recorder__add_target(r, cgid1, &slot1), 0);
	assert_int_equal(slot1, 1);
	assert_int_equal(recorder__dedup_map_id(r, 1, &id1), 0);
	assert_int_not_equal(id1, 0);
	assert_int_not_equal(id1, id0);

	lo.argv = (char *[]){"/bin/true", NULL};
	lo.cgroup_fd = cgfd;
	assert_int_equal(launch__start(&lo, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &status), 0);
	assert_int_equal(status, 0);
	close(pidfd);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, slot, &p), 0);
	assert_non_null(itest__entry_of(p, "/usr/bin", "true"));
	profile__free(p);

	assert_int_equal(recorder__remove_target(r, slot), 0);
	assert_int_equal(recorder__add_target(r, cgid, &slot), 0);
	assert_int_equal(slot, 0);
	assert_int_equal(recorder__dedup_map_id(r, 0, &id_again), 0);
	assert_int_not_equal(id_again, 0);
	assert_int_not_equal(id_again, id_open);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	assert_int_equal(recorder__remove_target(r, slot1), 0);
	recorder__free(r);
	assert_int_equal(cgroup__destroy(cgdir), 0);
	assert_int_equal(cgroup__destroy(cgdir1), 0);
	close(cgfd);
	close(cgfd1);
	free(cgdir);
	free(cgdir1);
}

/*
 * A one-shot recorder on the sys_exit hook (record, run, verify) loads through the light
 * loader and records (the first test's exec of /bin/true, the other suites' behaviour); one
 * that serves many targets, or discovers them, keeps the regular skeleton.
 */
static void test_light_loader_for_one_shot(void **state)
{
	struct recorder_config shot = {.one_shot = true}, many = {.hook = RECORDER_HOOK_SYS_EXIT},
			       found = {.one_shot = true, .discover = true};
	struct recorder *r = NULL;

	itest__require_bpf(&g);
	assert_int_equal(recorder__open(&shot, &r), 0);
	assert_true(recorder__light(r));
	assert_int_equal(recorder__hook(r), RECORDER_HOOK_SYS_EXIT);
	recorder__free(r);
	assert_int_equal(recorder__open(&many, &r), 0);
	assert_false(recorder__light(r));
	recorder__free(r);
	assert_int_equal(recorder__open(&found, &r), 0);
	assert_false(recorder__light(r));
	recorder__free(r);
}

static int group_setup(void **state)
{
	return itest__group_setup(&g, "load");
}

static int group_teardown(void **state)
{
	itest__group_teardown(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verifier_work_bounded),
		cmocka_unit_test(test_first_map_installed_at_open),
		cmocka_unit_test(test_light_loader_for_one_shot),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
