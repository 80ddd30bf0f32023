// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder attaches the programs every task runs (its syscall hook's, sched_process_exec)
 * only while it has something to follow: a target, a watch or set_all (issue 10, "Cost"), and
 * both hooks, tp_btf/sys_exit and the per-syscall tracepoints, record the same (issue 13).
 * What the kernel holds is read, not the recorder's word for it: the bpf_link fds of this
 * process (/proc/self/fd, their fdinfo's prog_id) and the name of the program each links.
 * Other slimzips on the host have links of their own; only ours are counted.
 * Needs root and BTF: skipped otherwise, failed instead when SLIMZIP_REQUIRE_BPF=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "launch.h"
#include "profile.h"
#include "recorder.h"
#include "itest.h"
#include "testfs.h"

/* The group's fixture: rec_helper, the temp dir, the cgroup the tests' cgroups are made in. */
static struct itest_group g;
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The per-syscall hook's programs, named after their tracepoints (record.bpf.c). */
static const char *const per_syscall_progs[] = {
	"slz_open",	 "slz_creat",	   "slz_openat",     "slz_openat2",    "slz_mmap",
	"slz_newstat",	 "slz_newlstat",   "slz_newfstatat", "slz_statx",      "slz_access",
	"slz_faccessat", "slz_faccessat2", "slz_readlink",   "slz_readlinkat",
};

/* Links of ours to any per-task program. */
static int task_links(void)
{
	int n = itest__links_of("slz_sys_exit") + itest__links_of("slz_exec") +
		itest__links_of("slz_exec_note");

	for (size_t i = 0; i < ARRAY_LEN(per_syscall_progs); i++)
		n += itest__links_of(per_syscall_progs[i]);
	return n;
}

/*
 * The per-task programs: all of the recorder's hook and exec attached, or none, never a
 * program of the other hook, and the recorder says the same.
 */
static void expect_attached(struct recorder *r, bool on)
{
	bool per = recorder__hook(r) == RECORDER_HOOK_PER_SYSCALL;

	assert_true(per || recorder__hook(r) == RECORDER_HOOK_SYS_EXIT);
	assert_int_equal(recorder__attached(r), on);
	/* A detach closes its links in the background (recorder.c): they go within seconds. */
	for (int i = 0; !on && i < 100 && task_links(); i++)
		usleep(50000);
	assert_int_equal(itest__links_of("slz_sys_exit"), on && !per);
	for (size_t i = 0; i < ARRAY_LEN(per_syscall_progs); i++) {
		if (itest__links_of(per_syscall_progs[i]) != (on && per))
			fail_msg("%s: %d links, expected %d", per_syscall_progs[i],
				 itest__links_of(per_syscall_progs[i]), on && per);
	}
	/* The exec program of the hook: slz_sys_exit records exec with slz_exec_note's help. */
	assert_int_equal(itest__links_of("slz_exec"), on && per);
	assert_int_equal(itest__links_of("slz_exec_note"), on && !per);
	assert_int_equal(recorder__attached(r), on);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rec_helper many stat PREFIX N GO, in the cgroup of cgfd, to its end. */
static void run_stats(int cgfd, const char *prefix, int n)
{
	struct itest_cg c = {.g = &g, .fd = cgfd};

	itest__run_many(&c, "stat", prefix, n, "go");
	itest__finish(&c);
}

/*
 * Nothing attached with no target; the first target attaches before add_target returns (a
 * command started right after is recorded whole); the last one removed detaches.
 */
static void target_attaches(enum recorder_hook hook)
{
	enum { N = 40 };
	struct recorder_config cfg = {.ringbuf_bytes = 4 << 20, .hook = hook};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	uint32_t slot, slot2;
	uint64_t id, id2;
	char *a, *b;
	int afd, bfd;

	itest__make_files(g.tmp, "at-", N);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	expect_attached(r, false);

	a = itest__new_cgroup(&g, &afd);
	assert_int_equal(cgroup__id(a, &id), 0);
	assert_int_equal(recorder__add_target(r, id, &slot), 0);
	expect_attached(r, true);
	/* Started at once: nothing of its first accesses may be missed. */
	run_stats(afd, "at-", N);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, slot, &p), 0);
	itest__expect_set(p, g.tmp, "at-", N, SLZ_KIND_STAT);
	/* The exec of the helper came through the exec program. */
	assert_non_null(profile__find_path(p, g.helper));
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);

	/* Two targets, one removed: still attached for the other. */
	b = itest__new_cgroup(&g, &bfd);
	assert_int_equal(cgroup__id(b, &id2), 0);
	assert_int_equal(recorder__add_target(r, id2, &slot2), 0);
	expect_attached(r, true);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	expect_attached(r, true);
	assert_int_equal(recorder__remove_target(r, slot2), 0);
	expect_attached(r, false);

	/* Detached means unrecorded: a target added again records again from its start. */
	assert_int_equal(recorder__add_target(r, id, &slot), 0);
	expect_attached(r, true);
	run_stats(afd, "at-", 3);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, slot, &p), 0);
	assert_int_equal(itest__count_prefixed(p, g.tmp, "at-"), 3);
	profile__free(p);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	expect_attached(r, false);

	itest__drop_cgroup(&g, a, afd);
	itest__drop_cgroup(&g, b, bfd);
	recorder__free(r);
}

static void test_target_attaches(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 4 << 20};
	struct recorder *r = NULL;

	itest__require_bpf(&g);
	/* The default is the per-syscall hook where tracefs offers it, as here. */
	assert_int_equal(recorder__open(&cfg, &r), 0);
	if (recorder__hook(r) != RECORDER_HOOK_PER_SYSCALL)
		fail_msg("default hook %s, expected per-syscall (is tracefs mounted at "
			 "/sys/kernel/tracing?)",
			 recorder_hook__name(recorder__hook(r)));
	recorder__free(r);
	/*
	 * A one-shot recorder (record, run, verify) takes sys_exit unless its config says; the
	 * library reads no environment (the CLI turns RECORDER_HOOK_ENV into the config's hook).
	 */
	cfg.one_shot = true;
	setenv(RECORDER_HOOK_ENV, "per-syscall", 1);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	unsetenv(RECORDER_HOOK_ENV);
	assert_int_equal(recorder__hook(r), RECORDER_HOOK_SYS_EXIT);
	recorder__free(r);
	cfg.hook = RECORDER_HOOK_PER_SYSCALL;
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(recorder__hook(r), RECORDER_HOOK_PER_SYSCALL);
	recorder__free(r);
	target_attaches(RECORDER_HOOK_PER_SYSCALL);
	target_attaches(RECORDER_HOOK_SYS_EXIT);
}

/* One line per entry of p, sorted, without what differs between runs (pids, /proc, counts). */
static char **profile_lines(const struct profile *p, size_t *n)
{
	char **v = calloc(profile__count(p) + 1, sizeof(*v));
	size_t k = 0;

	assert_non_null(v);
	for (size_t i = 0; i < profile__count(p); i++) {
		const struct profile_entry *e = profile__entry(p, i);

		if (!strncmp(e->path, "/proc/", 6))
			continue;
		assert_true(asprintf(&v[k++], "%s kinds=%#x flags=%#x nr=%d err=%d id=%llu:%llu %s",
				     e->path, e->kinds, e->flags, e->syscall_nr, e->err,
				     (unsigned long long)e->dev, (unsigned long long)e->ino,
				     e->first_comm) > 0);
	}
	qsort(v, k, sizeof(*v), cmp_str);
	*n = k;
	return v;
}

/* rec_helper syscalls under hook, with missing lookups recorded: its profile. */
static struct profile *record_syscalls(enum recorder_hook hook)
{
	struct recorder_config cfg = {
		.ringbuf_bytes = 4 << 20, .record_missing = true, .hook = hook};
	char *argv[] = {g.helper, "syscalls", g.tmp, NULL};
	struct launch_opts lo = {.argv = argv};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	int pidfd, status = -1;
	uint32_t slot;
	uint64_t id;
	pid_t pid;
	char *cg;

	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(recorder__hook(r), hook);
	cg = itest__new_cgroup(&g, &lo.cgroup_fd);
	assert_int_equal(cgroup__id(cg, &id), 0);
	assert_int_equal(recorder__add_target(r, id, &slot), 0);
	assert_int_equal(launch__start(&lo, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &status), 0);
	assert_int_equal(status, 0);
	close(pidfd);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, slot, &p), 0);
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	itest__drop_cgroup(&g, cg, lo.cgroup_fd);
	recorder__free(r);
	return p;
}

/* The kinds of every entry of path. */
static uint32_t kinds_at(const struct profile *p, const char *path)
{
	uint32_t kinds = 0;

	for (size_t i = 0; i < profile__count(p); i++)
		if (!strcmp(profile__entry(p, i)->path, path))
			kinds |= profile__entry(p, i)->kinds;
	return kinds;
}

static void expect_kind(const struct profile *p, const char *name, uint32_t kinds)
{
	const struct profile_entry *e = itest__entry_of(p, g.tmp, name);

	if (!e || e->kinds != kinds)
		fail_msg("%s: kinds %#x, expected %#x", name, e ? e->kinds : 0, kinds);
}

/*
 * Every file syscall the recorder hooks, made directly, and the same misses, under each hook:
 * each file is there with its kinds, and the two profiles are the same entry for entry.
 */
/*
 * A static i386 program that only exits 0 (int 0x80, exit): an exec whose new image is 32-bit
 * returns as the ia32 execve, not as 59. Written when this kernel runs it (IA32 emulation);
 * true then.
 */
static bool write_i386(const char *dir, const char *name)
{
	static const unsigned char elf[] = {
		0x7f, 'E',  'L',  'F',	1,    1,    1,	  0,	0,    0, 0,    0,    0,
		0,    0,    0,				     /* ELF32, LSB */
		2,    0,    3,	  0,	1,    0,    0,	  0, /* ET_EXEC, EM_386, version */
		0x54, 0x80, 0x04, 0x08, /* entry 0x08048054, after the headers */
		0x34, 0,    0,	  0,	0,    0,    0,	  0, /* phoff 52, no sections */
		0,    0,    0,	  0,	0x34, 0,    0x20, 0,	1,    0, 0,    0,    0,
		0,    0,    0,	  1,	0,    0,    0,	  0,	0,    0, 0, /* PT_LOAD from offset 0
									     */
		0,    0x80, 0x04, 0x08, 0,    0x80, 0x04, 0x08, 0x60, 0, 0,    0,    0x60,
		0,    0,    0,	  5,	0,    0,    0,	  0,	0x10, 0, 0, /* r-x, align 4096 */
		0xb8, 1,    0,	  0,	0,    0xbb, 0,	  0,	0,    0, 0xcd, 0x80, /* exit(0) */
	};
	char path[PATH_MAX];
	int status = -1;

	testfs__write_bytes(dir, name, elf, sizeof(elf));
	testfs__path(path, sizeof(path), dir, name);
	assert_int_equal(chmod(path, 0755), 0);
	if (!fork()) {
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	wait(&status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	unlink(path);
	return false;
}

static void test_hooks_record_alike(void **state)
{
	static const char *const stats[] = {"sc-stat", "sc-lstat", "sc-fstatat", "sc-statx"};
	static const char *const accesses[] = {"sc-access", "sc-faccessat", "sc-faccessat2"};
	static const char *const missing[] = {
		"no-open",     "no-openat",	"no-openat2",	 "no-stat",	 "no-lstat",
		"no-fstatat",  "no-statx",	"no-access",	 "no-faccessat", "no-faccessat2",
		"no-readlink", "no-readlinkat", "sc-open/below",
	};
	char script[PATH_MAX], i386_path[PATH_MAX];
	struct profile *a, *b;
	char **la, **lb;
	size_t na, nb;
	bool i386;

	itest__require_bpf(&g);
	for (size_t i = 0; i < ARRAY_LEN(stats); i++)
		testfs__write(g.tmp, stats[i], "s");
	for (size_t i = 0; i < ARRAY_LEN(accesses); i++)
		testfs__write(g.tmp, accesses[i], "a");
	testfs__write(g.tmp, "sc-open", "o");
	testfs__write(g.tmp, "sc-creat", "old");
	testfs__write(g.tmp, "sc-openat", "o");
	testfs__write(g.tmp, "sc-openat2", "o");
	testfs__write(g.tmp, "sc-mmap", "m");
	testfs__symlink(g.tmp, "sc-readlink", "x");
	testfs__symlink(g.tmp, "sc-readlinkat", "x");
	testfs__mkdir(g.tmp, "sc-dir");
	testfs__write(g.tmp, "sc-dir/in-openat", "i");
	testfs__write(g.tmp, "sc-dir/in-fstatat", "i");
	testfs__write(g.tmp, "sc-dir/in-faccessat2", "i");
	testfs__write(g.tmp, "sc-script.sh", "#!/bin/sh\nexit 0\n");
	testfs__path(script, sizeof(script), g.tmp, "sc-script.sh");
	assert_int_equal(chmod(script, 0755), 0);
	i386 = write_i386(g.tmp, "sc-i386");
	testfs__path(i386_path, sizeof(i386_path), g.tmp, "sc-i386");

	a = record_syscalls(RECORDER_HOOK_PER_SYSCALL);
	b = record_syscalls(RECORDER_HOOK_SYS_EXIT);
	expect_kind(a, "sc-open", SLZ_KIND_OPEN);
	expect_kind(a, "sc-creat", SLZ_KIND_OPEN | SLZ_KIND_WRITE | SLZ_KIND_TRUNC);
	expect_kind(a, "sc-openat", SLZ_KIND_OPEN | SLZ_KIND_WRITE);
	expect_kind(a, "sc-openat2", SLZ_KIND_OPEN);
	expect_kind(a, "sc-mmap", SLZ_KIND_OPEN | SLZ_KIND_MMAP);
	for (size_t i = 0; i < ARRAY_LEN(stats); i++)
		expect_kind(a, stats[i], SLZ_KIND_STAT);
	for (size_t i = 0; i < ARRAY_LEN(accesses); i++)
		expect_kind(a, accesses[i], SLZ_KIND_ACCESS);
	expect_kind(a, "sc-readlink", SLZ_KIND_READLINK);
	expect_kind(a, "sc-readlinkat", SLZ_KIND_READLINK);
	expect_kind(a, "sc-dir", SLZ_KIND_OPEN);
	expect_kind(a, "sc-dir/in-openat", SLZ_KIND_OPEN);
	expect_kind(a, "sc-dir/in-fstatat", SLZ_KIND_STAT);
	expect_kind(a, "sc-dir/in-faccessat2", SLZ_KIND_ACCESS);
	for (size_t i = 0; i < ARRAY_LEN(missing); i++)
		expect_kind(a, missing[i], SLZ_KIND_MISSING);
	assert_non_null(profile__find_path(a, g.helper)); /* the exec program, under both */
	/* exec: the script itself (and sh's open of it), the binaries, their ELF interpreter */
	for (int h = 0; h < 2; h++) {
		const struct profile *p = h ? b : a;
		static const char *const bins[] = {"/bin/sh", "/bin/true",
						   "/lib64/ld-linux-x86-64.so.2"};
		char real[PATH_MAX];

		/* The exec's entry is by path, sh's open by inode: two entries of one path here. */
		if (kinds_at(p, script) != (SLZ_KIND_EXEC | SLZ_KIND_OPEN))
			fail_msg("hook %d: %s kinds %#x", h, script, kinds_at(p, script));
		for (int i = 0; i < 3; i++) {
			assert_non_null(realpath(bins[i], real));
			if (!(kinds_at(p, real) & (i < 2 ? SLZ_KIND_EXEC : SLZ_KIND_INTERP)))
				fail_msg("hook %d: %s kinds %#x", h, real, kinds_at(p, real));
		}
		assert_null(itest__entry_of(p, g.tmp, "no-exec")); /* exec is no hooked lookup */
		if (i386 && kinds_at(p, i386_path) != SLZ_KIND_EXEC)
			fail_msg("hook %d: %s kinds %#x", h, i386_path, kinds_at(p, i386_path));
	}

	la = profile_lines(a, &na);
	lb = profile_lines(b, &nb);
	for (size_t i = 0; i < na || i < nb; i++) {
		if (i >= na || i >= nb || strcmp(la[i], lb[i]))
			fail_msg("per-syscall and sys_exit differ at entry %zu:\n  %s\n  %s", i,
				 i < na ? la[i] : "(none)", i < nb ? lb[i] : "(none)");
	}
	for (size_t i = 0; i < na; i++)
		free(la[i]);
	for (size_t i = 0; i < nb; i++)
		free(lb[i]);
	free(la);
	free(lb);
	profile__free(a);
	profile__free(b);
}

/* A born cgroup nobody asked for (set_all sees every host's mkdir): not ours, removed. */
static int drop_born(struct recorder *r, const struct recorder_cgroup_event *ev, void *ctx)
{
	(void)ctx;
	if (ev->kind == RECORDER_CGROUP_BORN)
		recorder__remove_target(r, ev->slot);
	return 0;
}

/*
 * Under discover the cgroup programs are attached from the start, the per-task ones only
 * while a watch or set_all is on; the slots prepared for the kernel alone do not count.
 */
/*
 * detach_linger_ms (the daemon's): the last target gone, the links stay for the linger, a new
 * target in it reuses them, and the first consume after it detaches.
 */
static void test_linger_keeps_links(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 4 << 20, .detach_linger_ms = 400};
	struct recorder *r = NULL;
	uint32_t slot;
	uint64_t id;
	int fd;

	(void)state;
	itest__require_bpf(&g);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	expect_attached(r, false);
	assert_int_equal(cgroup__id(itest__new_cgroup(&g, &fd), &id), 0);
	close(fd);
	assert_int_equal(recorder__add_target(r, id, &slot), 0);
	expect_attached(r, true);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	assert_int_equal(recorder__consume(r) >= 0, 1);
	expect_attached(r, true); /* within the linger */
	assert_int_equal(recorder__add_target(r, id, &slot), 0);
	expect_attached(r, true);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	usleep(500 * 1000);
	assert_int_equal(recorder__consume(r) >= 0, 1);
	expect_attached(r, false);
	recorder__free(r);
}

static void test_watch_attaches(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 4 << 20, .discover = true, .prepared = 4};
	struct recorder *r = NULL;
	char *parent;
	int pfd;

	itest__require_bpf(&g);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	recorder__on_cgroup(r, drop_born, NULL);
	assert_int_equal(itest__links_of("slz_cgroup_mkdi"), 1);
	assert_int_equal(itest__links_of("slz_cgroup_rmdi"), 1);
	expect_attached(r, false);

	parent = itest__new_cgroup(&g, &pfd);
	assert_int_equal(recorder__add_watch(r, parent, 1), 0);
	expect_attached(r, true);
	assert_int_equal(recorder__remove_watch(r, 1), 0);
	/* Its prepared slots are still queued: no reason to stay attached. */
	expect_attached(r, false);

	assert_int_equal(recorder__set_all(r, true), 0);
	expect_attached(r, true);
	assert_int_equal(recorder__set_all(r, false), 0);
	itest__drain(r); /* cgroups born meanwhile elsewhere on the host: dropped */
	expect_attached(r, false);
	assert_int_equal(itest__links_of("slz_cgroup_mkdi"), 1);

	itest__drop_cgroup(&g, parent, pfd);
	recorder__free(r);
	assert_int_equal(itest__links_of("slz_cgroup_mkdi"), 0);
}

/* Without discover there is nothing of the cgroup programs either. */
static void test_no_discover_no_cgroup_links(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 4 << 20};
	struct recorder *r = NULL;

	itest__require_bpf(&g);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(itest__links_of("slz_cgroup_mkdi"), 0);
	assert_int_equal(itest__links_of("slz_cgroup_rmdi"), 0);
	expect_attached(r, false);
	recorder__free(r);
}

static int group_setup(void **state)
{
	if (itest__group_setup(&g, "attach"))
		return -1;
	testfs__write(g.tmp, "go", "");
	return 0;
}

static int group_teardown(void **state)
{
	itest__group_teardown(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_attaches),
		cmocka_unit_test(test_hooks_record_alike),
		cmocka_unit_test(test_watch_attaches),
		cmocka_unit_test(test_linger_keeps_links),
		cmocka_unit_test(test_no_discover_no_cgroup_links),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
