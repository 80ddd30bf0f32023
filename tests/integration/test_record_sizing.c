// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder's buffers sized to the work (issue 13): `slimzip record -- /bin/true` with the
 * default sizes stays small (peak RSS), the same defaults record 200,000 distinct files in a
 * tmpfs the test mounts without losing one, and a ring far too small for a burst counts its
 * loss, which makes prune refuse the profile. Real BPF, real cgroups, real processes.
 * Needs root and BTF: skipped otherwise, failed instead when SLIMZIP_REQUIRE_BPF=1.
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
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "launch.h"
#include "profile.h"
#include "profile_io.h"
#include "recorder.h"
#include "itest.h"
#include "testfs.h"

/* issue 13's targets for `record -- /bin/true` and for loss at scale */
#define TRUE_MAX_RSS_KIB (32 * 1024)
#define MANY_FILES	 200000

extern char **environ;

static const char *slimzip;
static struct itest_group g;
static char shm[PATH_MAX];
static bool mounted;

/* Run argv to its end; its exit code (128+N for a signal) and, if asked, its peak RSS. */
static int run(char *const argv[], long *maxrss_kib)
{
	struct rusage ru;
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(126);
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		assert_int_equal(errno, EINTR);
	if (maxrss_kib)
		*maxrss_kib = ru.ru_maxrss;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static struct profile *load(const char *p)
{
	struct profile *prof = NULL;

	if (profile__read(p, &prof))
		fail_msg("cannot read profile %s", p);
	return prof;
}

/*
 * The default ring and dedup map are sized for the common small run: the 64 MiB ring of old
 * (mapped twice into the recorder) alone put this at ~137 MiB.
 */
static void test_true_starts_small(void **state)
{
	char prof[PATH_MAX];
	long rss = 0;

	itest__require_bpf(&g);
#ifdef __SANITIZE_ADDRESS__
	/* The sanitizers' shadow memory is most of a sanitized slimzip's RSS: nothing to judge. */
	skip();
#endif
	testfs__path(prof, sizeof(prof), g.tmp, "true.profile");
	assert_int_equal(run((char *[]){(char *)slimzip, "-q", "record", "-o", prof, "--",
					"/bin/true", NULL},
			     &rss),
			 0);
	if (rss > TRUE_MAX_RSS_KIB)
		fail_msg("record -- /bin/true peaked at %ld KiB RSS (at most %d)", rss,
			 TRUE_MAX_RSS_KIB);
}

/* 200,000 distinct files created and opened as fast as one process can: nothing lost. */
static void test_many_files_default_sizes(void **state)
{
	char prof[PATH_MAX], go[PATH_MAX], num[16];
	const struct profile_header *h;
	struct profile *p;
	size_t n;

	itest__require_bpf(&g);
	testfs__path(prof, sizeof(prof), g.tmp, "many.profile");
	testfs__write(shm, "go", "");
	snprintf(num, sizeof(num), "%d", MANY_FILES);
	snprintf(go, sizeof(go), "go");
	assert_int_equal(run((char *[]){(char *)slimzip, "-q", "record", "-o", prof, "--", g.helper,
					"many", shm, "open", "f", num, go, NULL},
			     NULL),
			 0);
	p = load(prof);
	h = profile__header_const(p);
	n = itest__count_prefixed(p, shm, "f");
	print_message("# %zu entries, lost-events %llu, dedup-full %llu\n", n,
		      (unsigned long long)h->lost_events, (unsigned long long)h->dedup_full);
	assert_int_equal(h->lost_events, 0);
	assert_int_equal(h->dedup_full, 0);
	assert_int_equal(h->truncated_paths, 0);
	assert_int_equal(n, MANY_FILES);
	profile__free(p);
}

/*
 * A one-page ring and nobody reading it while 3,000 new files are opened: most events cannot
 * be sent. Each is counted, the profile says so, and prune refuses it (exit 3, no zip).
 */
static void test_small_ring_loss_counted(void **state)
{
	enum { BURST = 3000 };
	struct recorder_config cfg = {.ringbuf_bytes = 4096};
	char prof[PATH_MAX], zip[PATH_MAX], tree[PATH_MAX], num[16], *cgdir = NULL;
	struct launch_opts lo = {0};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	int cgfd = -1, pidfd = -1, status = -1, rc;
	uint64_t cgid;
	uint32_t slot;
	pid_t pid;

	itest__require_bpf(&g);
	testfs__write(shm, "go2", "");
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(cgroup__create(g.cg_parent, &cgdir, &cgfd), 0);
	assert_int_equal(cgroup__id(cgdir, &cgid), 0);
	assert_int_equal(recorder__add_target(r, cgid, &slot), 0);
	snprintf(num, sizeof(num), "%d", BURST);
	lo.argv = (char *[]){g.helper, "many", shm, "open", "b", num, "go2", NULL};
	lo.cgroup_fd = cgfd;
	assert_int_equal(launch__start(&lo, &pid, &pidfd, &status), 0);
	assert_int_equal(launch__wait(pidfd, &status), 0);
	assert_int_equal(status, 0);
	close(pidfd);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, slot, &p), 0);
	print_message("# lost-events %llu of %d\n",
		      (unsigned long long)profile__header_const(p)->lost_events, BURST);
	assert_true(profile__header_const(p)->lost_events > 0);
	assert_true(profile__has_loss(p));
	testfs__path(prof, sizeof(prof), g.tmp, "lossy.profile");
	assert_int_equal(profile__write(p, prof, PROFILE_FMT_TEXT), 0);
	profile__free(p);
	assert_int_equal(recorder__remove_target(r, slot), 0);
	recorder__free(r);
	assert_int_equal(cgroup__destroy(cgdir), 0);
	close(cgfd);
	free(cgdir);

	testfs__mkdir(g.tmp, "tree");
	testfs__write(g.tmp, "tree/kept.txt", "x");
	testfs__path(tree, sizeof(tree), g.tmp, "tree");
	testfs__path(zip, sizeof(zip), g.tmp, "lossy.zip");
	rc = run((char *[]){(char *)slimzip, "-q", "prune", "--tree", tree, "--profile", prof, "-o",
			    zip, NULL},
		 NULL);
	assert_int_equal(rc, 3); /* EXIT_LOSS */
	assert_int_equal(access(zip, F_OK), -1);
}

static int group_setup(void **state)
{
	if (itest__group_setup(&g, "sizing"))
		return -1;
	slimzip = getenv("SLIMZIP");
	testfs__path(shm, sizeof(shm), g.tmp, "shm");
	if (mkdir(shm, 0755))
		return -1;
	if (g.why_unusable)
		return 0;
	if (!slimzip)
		g.why_unusable = "SLIMZIP (the binary) is not set";
	else if (mount("tmpfs", shm, "tmpfs", 0, "size=64m,nr_inodes=400000,mode=0755"))
		g.why_unusable = "cannot mount a tmpfs";
	else
		mounted = true;
	return 0;
}

static int group_teardown(void **state)
{
	if (mounted)
		umount2(shm, MNT_DETACH);
	itest__group_teardown(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_true_starts_small),
		cmocka_unit_test(test_many_files_default_sizes),
		cmocka_unit_test(test_small_ring_loss_counted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
