// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record --pid and --wait-children through the library: a process followed through its
 * private cgroup, a process followed as a tree (task tags) in a cgroup it shares with this
 * test, where a sibling's file must stay out and the files of children forked before and after
 * the attach, a grandchild and an exec'd program must be in, and a command's background
 * children waited for or killed. Real BPF, real processes, real cgroups. Needs root and BTF:
 * skipped otherwise, failed instead when SLIMZIP_REQUIRE_BPF=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "launch.h"
#include "proctree.h"
#include "profile.h"
#include "recorder.h"
#include "itest.h"
#include "testfs.h"

/* The group's fixture: the temp dir, the cgroup the tests' cgroups are made in. */
static struct itest_group g;

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}, NULL);
}

/* Wait (up to 20 s) until this process holds a link of prog: a recorder thread attached. */
static void wait_link(const char *prog)
{
	for (int i = 0; i < 2000; i++) {
		if (itest__links_of(prog))
			return;
		sleep_ms(10);
	}
	fail_msg("no %s link after 20 s", prog);
}

/*
 * sh -c SCRIPT, in cgroup cgfd (-1: ours); SCRIPT sees $T (the temp dir) and waits for $T/GO
 * with `go`.
 */
static void start_sh(const char *script, int cgfd, pid_t *pid, int *pidfd)
{
	char *body = NULL;
	int status;

	assert_true(asprintf(&body, "T=%s; go() { while [ ! -e $T/GO ]; do sleep 0.02; done; }; %s",
			     g.tmp, script) > 0);
	char *argv[] = {"/bin/sh", "-c", body, NULL};
	struct launch_opts lo = {.argv = argv, .cgroup_fd = cgfd};

	assert_int_equal(launch__start(&lo, pid, pidfd, &status), 0);
	free(body);
}

static void wait_ok(int pidfd)
{
	int status = -1;

	assert_int_equal(launch__wait(pidfd, &status), 0);
	assert_int_equal(status, 0);
	close(pidfd);
}

static bool has(const struct profile *p, const char *name)
{
	return itest__entry_of(p, g.tmp, name) != NULL;
}

static void reset_files(void)
{
	char go[PATH_MAX];

	snprintf(go, sizeof(go), "%s/GO", g.tmp);
	unlink(go);
	for (int i = 0; i < 8; i++) {
		static const char *const names[] = {"existing", "after",   "grandchild", "exec",
						    "sibling",	"private", "priv-child", "bg"};

		testfs__write(g.tmp, names[i], "x\n");
	}
}

/* The parts of a process-tree target, driven one by one: exact attribution. */
static void test_tree_follows_children_not_siblings(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 8 << 20, .one_shot = true};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	pid_t pid, sib;
	int pidfd, sibfd;
	uint32_t slot;

	itest__require_bpf(&g);
	reset_files();
	/* A child forked before the attach (found by the walk), then children forked after it. */
	start_sh("(go; cat $T/existing >/dev/null) & go; cat $T/after >/dev/null; "
		 "sh -c 'cat $0/grandchild >/dev/null' $T; wait; exec cat $T/exec",
		 -1, &pid, &pidfd);
	start_sh("go; cat $T/sibling >/dev/null", -1, &sib, &sibfd);
	sleep_ms(100); /* the background child exists */
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(recorder__add_task_target(r, &slot), 0);
	assert_int_equal(recorder__tag_tree(r, slot, pid), 0);
	testfs__write(g.tmp, "GO", "");
	wait_ok(pidfd);
	wait_ok(sibfd);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, slot, &p), 0);
	assert_true(has(p, "existing"));
	assert_true(has(p, "after"));
	assert_true(has(p, "grandchild"));
	assert_true(has(p, "exec")); /* the tag survived exec */
	assert_false(has(p, "sibling"));
	profile__free(p);
	recorder__free(r);
}

struct rec_thread {
	struct record_opts o;
	struct profile *p;
	int status, err;
	pthread_t t;
};

static void *rec_fn(void *arg)
{
	struct rec_thread *rt = arg;

	rt->err = recorder__record(&rt->o, &rt->p, &rt->status);
	return NULL;
}

/* A process alone in its cgroup: --pid follows the cgroup, and stops when the process exits. */
static void test_pid_in_private_cgroup(void **state)
{
	struct rec_thread rt = {0};
	struct proctree_choice c;
	const struct profile_header *h;
	char *cgdir = NULL;
	int cgfd, pidfd;
	pid_t pid;

	itest__require_bpf(&g);
	reset_files();
	cgdir = itest__new_cgroup(&g, &cgfd);
	start_sh("go; cat $T/private >/dev/null; sh -c 'cat $0/priv-child >/dev/null' $T", cgfd,
		 &pid, &pidfd);
	assert_int_equal(proctree__choose(pid, &c), 0);
	assert_false(c.tree);
	assert_int_equal(c.others, 0);
	assert_string_equal(c.cgroup, cgdir);
	rt.o.pid = pid;
	rt.o.cgroup_path = c.cgroup;
	assert_int_equal(pthread_create(&rt.t, NULL, rec_fn, &rt), 0);
	wait_link("slz_exec_note"); /* record --pid: the sys_exit hook's */
	testfs__write(g.tmp, "GO", "");
	wait_ok(pidfd);
	/* record returns by itself once the process has exited */
	assert_int_equal(pthread_join(rt.t, NULL), 0);
	assert_int_equal(rt.err, 0);
	h = profile__header_const(rt.p);
	assert_string_equal(h->target_kind, "cgroup");
	assert_string_equal(h->target, cgdir);
	assert_true(has(rt.p, "private"));
	assert_true(has(rt.p, "priv-child"));
	profile__free(rt.p);
	proctree_choice__release(&c);
	itest__drop_cgroup(&g, cgdir, cgfd);
}

/* A process in a cgroup it shares (with this test): --pid follows its tree, not the cgroup. */
static void test_pid_in_shared_cgroup(void **state)
{
	struct rec_thread rt = {0};
	struct proctree_choice c;
	const struct profile_header *h;
	pid_t pid, sib;
	int pidfd, sibfd;

	itest__require_bpf(&g);
	reset_files();
	start_sh("go; cat $T/after >/dev/null; sh -c 'cat $0/grandchild >/dev/null' $T", -1, &pid,
		 &pidfd);
	start_sh("go; cat $T/sibling >/dev/null", -1, &sib, &sibfd);
	assert_int_equal(proctree__choose(pid, &c), 0);
	assert_true(c.tree);
	assert_true(c.others >= 2); /* this test and the sibling, at least */
	proctree_choice__release(&c);
	rt.o.pid = pid;
	assert_int_equal(pthread_create(&rt.t, NULL, rec_fn, &rt), 0);
	wait_link("slz_fork");
	sleep_ms(200); /* the fork program is attached before the root is tagged: let it be */
	testfs__write(g.tmp, "GO", "");
	wait_ok(pidfd);
	wait_ok(sibfd);
	assert_int_equal(pthread_join(rt.t, NULL), 0);
	assert_int_equal(rt.err, 0);
	h = profile__header_const(rt.p);
	assert_string_equal(h->target_kind, "process");
	assert_true(has(rt.p, "after"));
	assert_true(has(rt.p, "grandchild"));
	assert_false(has(rt.p, "sibling"));
	profile__free(rt.p);
}

static void test_pid_not_running(void **state)
{
	struct record_opts o = {.pid = INT32_MAX - 1};
	struct profile *p = NULL;
	struct proctree_choice c;
	int status;

	itest__require_bpf(&g);
	assert_int_equal(recorder__record(&o, &p, &status), -ESRCH);
	assert_null(p);
	assert_int_equal(proctree__choose(INT32_MAX - 1, &c), -ESRCH);
}

/*
 * CMD exits at once, leaving `sleep 1 && cat bg > marker` in the background. By default the
 * background child is killed with the cgroup when CMD exits: bg is not in the profile and the
 * marker never appears. With wait_children, bg is in the profile and the marker is written.
 */
static void run_bg(bool wait, bool *in_profile, bool *marker)
{
	char *script = NULL, mpath[PATH_MAX];
	struct profile *p = NULL;
	int status = -1;

	snprintf(mpath, sizeof(mpath), "%s/marker", g.tmp);
	unlink(mpath);
	assert_true(asprintf(&script, "sleep 1 && cat %s/bg > %s &", g.tmp, mpath) > 0);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct record_opts o = {.argv = argv, .wait_children = wait};

	assert_int_equal(recorder__record(&o, &p, &status), 0);
	assert_int_equal(status, 0);
	*in_profile = has(p, "bg");
	sleep_ms(wait ? 0 : 2000); /* a background child left alive would have written by then */
	*marker = access(mpath, F_OK) == 0;
	profile__free(p);
	free(script);
}

static void test_background_children(void **state)
{
	bool in_profile, marker;

	itest__require_bpf(&g);
	reset_files();
	run_bg(false, &in_profile, &marker);
	assert_false(in_profile);
	assert_false(marker);
	run_bg(true, &in_profile, &marker);
	assert_true(in_profile);
	assert_true(marker);
}

static void test_wait_timeout_kills_the_rest(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "sleep 60 &", NULL};
	bool timed_out = false;
	struct record_opts o = {.argv = argv,
				.wait_children = true,
				.wait_timeout_s = 1,
				.wait_timed_out = &timed_out};
	struct profile *p = NULL;
	struct timespec a, b;
	int status = -1;

	itest__require_bpf(&g);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(recorder__record(&o, &p, &status), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(timed_out);
	assert_true(b.tv_sec - a.tv_sec < 30);
	profile__free(p);
}

static int group_setup(void **state)
{
	return itest__group_setup(&g, "recpid");
}

static int group_teardown(void **state)
{
	itest__group_teardown(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_follows_children_not_siblings),
		cmocka_unit_test(test_pid_in_private_cgroup),
		cmocka_unit_test(test_pid_in_shared_cgroup),
		cmocka_unit_test(test_pid_not_running),
		cmocka_unit_test(test_background_children),
		cmocka_unit_test(test_wait_timeout_kills_the_rest),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
