// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recorder's targets through the library, driven the way a daemon following many cgroups
 * would: several targets recorded at once by one recorder, a target removed and its slot given
 * to a new cgroup while the old one's events are still in the ring, a reset, and a noisy
 * target filling its own dedup map. Real BPF, real cgroups, real processes (rec_helper); the
 * assertions are exact attribution: each profile holds its own files and none of the others'.
 * Needs root and BTF: skipped otherwise, failed instead when SLIMZIP_REQUIRE_BPF=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "launch.h"
#include "profile.h"
#include "recorder.h"
#include "itest.h"
#include "testfs.h"

static char helper[PATH_MAX], tmp[PATH_MAX];
static char *cg_parent; /* this process's own cgroup: targets are created below it */
static const char *why_unusable = "";

static void require_bpf(void)
{
	const char *req = getenv("SLIMZIP_REQUIRE_BPF");

	if (cg_parent)
		return;
	if (req && !strcmp(req, "1"))
		fail_msg("BPF test cannot run: %s (SLIMZIP_REQUIRE_BPF=1)", why_unusable);
	skip();
}

/* One target: a fresh cgroup, its slot in the recorder, and the workloads started in it. */
struct target {
	char *cgdir;
	int cgfd;
	uint64_t cgid;
	uint32_t slot;
	pid_t pids[4];
	int pidfds[4];
	int nrun;
};

/* Every cgroup a test made and has not removed yet: a failed test leaves none behind. */
static char *made[16];

static void forget_made(const char *cgdir)
{
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		if (made[i] == cgdir)
			made[i] = NULL;
	}
}

static void follow(struct recorder *r, struct target *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	assert_int_equal(cgroup__create(cg_parent, &t->cgdir, &t->cgfd), 0);
	for (i = 0; i < sizeof(made) / sizeof(made[0]) && made[i]; i++)
		;
	assert_true(i < sizeof(made) / sizeof(made[0]));
	made[i] = t->cgdir;
	assert_int_equal(cgroup__id(t->cgdir, &t->cgid), 0);
	assert_int_equal(recorder__add_target(r, t->cgid, &t->slot), 0);
}

/* rec_helper ARGS... started inside t's cgroup. */
static void run_in(struct target *t, char *const *args)
{
	char *argv[8] = {helper};
	struct launch_opts lo = {.argv = argv, .cgroup_fd = t->cgfd};
	int status;

	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	assert_true(t->nrun < 4);
	assert_int_equal(launch__start(&lo, &t->pids[t->nrun], &t->pidfds[t->nrun], &status), 0);
	t->nrun++;
}

/* rec_helper many OP PREFIX N GO: OP on tmp/PREFIX0.. once tmp/GO exists. */
static void run_many(struct target *t, const char *op, const char *prefix, int n, const char *go)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", n);
	run_in(t, (char *[]){"many", tmp, (char *)op, (char *)prefix, num, (char *)go, NULL});
}

static void run_open(struct target *t, const char *name)
{
	run_in(t, (char *[]){"open", tmp, (char *)name, NULL});
}

/* Wait for every workload started in t so far; each must succeed. */
static void finish(struct target *t)
{
	for (int i = 0; i < t->nrun; i++) {
		int status = -1;

		if (t->pidfds[i] < 0)
			continue;
		assert_int_equal(launch__wait(t->pidfds[i], &status), 0);
		assert_int_equal(status, 0);
		close(t->pidfds[i]);
		t->pidfds[i] = -1;
	}
}

static void unfollow(struct target *t)
{
	finish(t);
	assert_int_equal(cgroup__destroy(t->cgdir), 0);
	forget_made(t->cgdir);
	close(t->cgfd);
	free(t->cgdir);
}

/* The shared helpers (itest.h), on this test's temp directory. */
static void drain(struct recorder *r)
{
	itest__drain(r);
}

static void make_files(const char *prefix, int n)
{
	itest__make_files(tmp, prefix, n);
}

static const struct profile_entry *entry_of(const struct profile *p, const char *name)
{
	return itest__entry_of(p, tmp, name);
}

static size_t count_prefixed(const struct profile *p, const char *prefix)
{
	return itest__count_prefixed(p, tmp, prefix);
}

/* rec_helper's "many open" creates the files it opens. */
#define CREATED (SLZ_KIND_OPEN | SLZ_KIND_CREATE)

/* p holds tmp/PREFIX0 .. tmp/PREFIX<n-1>, each with kind, and no other tmp/PREFIX entry. */
static void expect_set(const struct profile *p, const char *prefix, int n, uint32_t kind)
{
	char name[64];

	for (int i = 0; i < n; i++) {
		const struct profile_entry *e;

		snprintf(name, sizeof(name), "%s%d", prefix, i);
		e = entry_of(p, name);
		if (!e || e->kinds != kind)
			fail_msg("%s: %s", name, e ? "wrong kind" : "not in the profile");
	}
	assert_int_equal(count_prefixed(p, prefix), n);
}

/* Three cgroups, three workloads of different kinds at once, one recorder. */
static void test_three_targets_at_once(void **state)
{
	enum { NA = 300, NB = 200, NC = 150 };
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20};
	struct profile *p[3] = {0};
	struct recorder *r = NULL;
	struct target t[3];
	uint32_t slots[3];

	require_bpf();
	make_files("tb-", NB);
	make_files("tc-", NC);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	for (int i = 0; i < 3; i++)
		follow(r, &t[i]);
	assert_int_not_equal(t[0].slot, t[1].slot);
	assert_int_not_equal(t[1].slot, t[2].slot);
	assert_int_not_equal(t[0].slot, t[2].slot);
	run_many(&t[0], "open", "ta-", NA, "go3");
	run_many(&t[1], "stat", "tb-", NB, "go3");
	run_many(&t[2], "access", "tc-", NC, "go3");
	testfs__write(tmp, "go3", "");
	for (int i = 0; i < 3; i++) {
		finish(&t[i]);
		slots[i] = t[i].slot;
	}
	drain(r);
	assert_int_equal(recorder__profiles(r, slots, 3, p), 0);
	expect_set(p[0], "ta-", NA, CREATED);
	expect_set(p[1], "tb-", NB, SLZ_KIND_STAT);
	expect_set(p[2], "tc-", NC, SLZ_KIND_ACCESS);
	assert_true(entry_of(p[2], "tc-0")->flags & SLZ_EVF_PATH_ONLY);
	assert_int_equal(count_prefixed(p[0], "tb-") + count_prefixed(p[0], "tc-"), 0);
	assert_int_equal(count_prefixed(p[1], "ta-") + count_prefixed(p[1], "tc-"), 0);
	assert_int_equal(count_prefixed(p[2], "ta-") + count_prefixed(p[2], "tb-"), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(profile__header_const(p[i])->lost_events, 0);
		assert_int_equal(profile__header_const(p[i])->dedup_full, 0);
		profile__free(p[i]);
		unfollow(&t[i]);
	}
	assert_int_equal(recorder__stale_events(r), 0);
	recorder__free(r);
}

static bool pid_of(const struct target *t, uint32_t pid)
{
	for (int i = 0; i < t->nrun; i++) {
		if ((uint32_t)t->pids[i] == pid)
			return true;
	}
	return false;
}

/*
 * X's events are all still in the ring when X is removed and its slot goes to Y: none of them
 * may reach Y's profile, and a file X had seen (also in this CPU's hot cache: everything runs
 * on one CPU) is new for Y.
 */
static void test_slot_reused_with_events_in_flight(void **state)
{
	enum { NX = 3000, NY = 50 };
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20};
	const struct profile_entry *e;
	struct recorder *r = NULL;
	struct profile *p = NULL;
	cpu_set_t all, one;
	struct target x, y;
	uint32_t xslot;

	require_bpf();
	testfs__write(tmp, "go-now", "");
	testfs__write(tmp, "shared.txt", "s");
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &x);
	xslot = x.slot;
	run_many(&x, "open", "tx-", NX, "go-now");
	finish(&x);
	run_open(&x, "shared.txt");
	finish(&x);
	run_open(&x, "shared.txt"); /* a dedup hit: now in CPU 0's hot cache */
	finish(&x);
	assert_int_equal(recorder__remove_target(r, xslot), 0);
	assert_int_equal(recorder__remove_target(r, xslot), -ENOENT);
	follow(r, &y);
	assert_int_equal(y.slot, xslot);
	run_open(&y, "shared.txt");
	finish(&y);
	run_open(&y, "shared.txt");
	finish(&y);
	run_many(&y, "open", "ty-", NY, "go-now");
	finish(&y);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);

	drain(r);
	assert_true(recorder__stale_events(r) >= NX);
	assert_int_equal(recorder__profile(r, y.slot, &p), 0);
	expect_set(p, "ty-", NY, CREATED);
	assert_int_equal(count_prefixed(p, "tx-"), 0);
	e = entry_of(p, "shared.txt");
	assert_non_null(e);
	assert_int_equal(e->kinds, SLZ_KIND_OPEN);
	assert_int_equal(e->count, 2); /* Y's two opens; X's are not counted for Y */
	for (size_t i = 0; i < profile__count(p); i++)
		assert_false(pid_of(&x, profile__entry(p, i)->first_pid));
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);
	unfollow(&x);
	unfollow(&y);
	recorder__free(r);
}

/* A reset keeps the slot and cgroup; known files are events again, the old epoch is gone. */
static void test_reset_starts_a_new_epoch(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20};
	const struct profile_entry *e;
	struct recorder *r = NULL;
	struct profile *p = NULL;
	struct target t;
	uint64_t stale;

	require_bpf();
	testfs__write(tmp, "known.txt", "k");
	testfs__write(tmp, "other.txt", "o");
	testfs__write(tmp, "inflight.txt", "i");
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &t);
	run_open(&t, "known.txt");
	run_open(&t, "other.txt");
	finish(&t);
	drain(r);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	assert_non_null(entry_of(p, "known.txt"));
	assert_non_null(entry_of(p, "other.txt"));
	profile__free(p);

	run_open(&t, "inflight.txt"); /* still in the ring at the reset */
	finish(&t);
	stale = recorder__stale_events(r);
	assert_int_equal(recorder__reset_target(r, t.slot), 0);
	run_open(&t, "known.txt");
	finish(&t);
	drain(r);
	assert_true(recorder__stale_events(r) > stale);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	e = entry_of(p, "known.txt");
	assert_non_null(e);
	assert_int_equal(e->kinds, SLZ_KIND_OPEN);
	assert_int_equal(e->count, 1);
	assert_null(entry_of(p, "other.txt"));
	assert_null(entry_of(p, "inflight.txt"));
	profile__free(p);
	assert_int_equal(recorder__remove_target(r, t.slot), 0);
	assert_int_equal(recorder__reset_target(r, t.slot), -ENOENT);
	assert_int_equal(recorder__profile(r, t.slot, &p), -ENOENT);
	unfollow(&t);
	recorder__free(r);
}

/* A small per-target capacity: the noisy target fills its own map, the quiet one records on. */
static void test_noisy_target_fills_only_its_own_map(void **state)
{
	enum { NOISY = 500, QUIET = 30 };
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20, .max_files = 64};
	struct recorder *r = NULL;
	struct profile *p[2] = {0};
	struct target noisy, quiet;
	uint32_t slots[2];

	require_bpf();
	testfs__write(tmp, "go-now", "");
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &noisy);
	follow(r, &quiet);
	run_many(&noisy, "open", "tn-", NOISY, "go-now");
	finish(&noisy);
	run_many(&quiet, "open", "tq-", QUIET, "go-now");
	finish(&quiet);
	drain(r);
	slots[0] = noisy.slot;
	slots[1] = quiet.slot;
	assert_int_equal(recorder__profiles(r, slots, 2, p), 0);
	/* a full map still lets every new file through as an event: nothing is lost */
	expect_set(p[0], "tn-", NOISY, CREATED);
	assert_true(profile__header_const(p[0])->dedup_full > 0);
	expect_set(p[1], "tq-", QUIET, CREATED);
	assert_int_equal(profile__header_const(p[1])->dedup_full, 0);
	assert_int_equal(profile__header_const(p[1])->lost_events, 0);
	profile__free(p[0]);
	profile__free(p[1]);
	unfollow(&noisy);
	unfollow(&quiet);
	recorder__free(r);
}

/* Wait for t's workloads while consuming the ring, as a recording does; t can run more after. */
static void finish_consuming(struct recorder *r, struct target *t)
{
	for (int i = 0; i < t->nrun; i++) {
		struct pollfd pfd = {.fd = t->pidfds[i], .events = POLLIN};

		while (t->pidfds[i] >= 0 && poll(&pfd, 1, 0) == 0)
			assert_true(recorder__poll(r, 5) >= 0);
	}
	finish(t);
	t->nrun = 0;
}

/* Events consumed for files under a path prefix. */
struct tally {
	char prefix[PATH_MAX];
	size_t len;
	int n;
};

static void tally_entry(struct recorder *r, uint32_t slot, const struct profile_entry *e, void *ctx)
{
	struct tally *ta = ctx;

	(void)r;
	(void)slot;
	if (!strncmp(e->path, ta->prefix, ta->len))
		ta->n++;
}

/*
 * A dedup map far too small for the target grows while it records (concurrently, as the ring
 * is consumed): nothing lost, nothing counted as a full map, each (file, kind) an event once,
 * the files' counts exact across the swaps, and a third pass over the same files no event.
 */
static void test_dedup_map_grows_and_keeps_everything(void **state)
{
	enum { N = 7000, FIRST = 4096, ROUNDS = 3 };
	/* 256 KiB hold 2,520 events at most: the first size is above 1.5 rings of them */
	struct recorder_config cfg = {.ringbuf_bytes = 256 << 10, .initial_files = FIRST};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	struct tally ta = {0};
	struct target t;
	char name[64];

	require_bpf();
	testfs__write(tmp, "go-grow", "");
	ta.len = (size_t)snprintf(ta.prefix, sizeof(ta.prefix), "%s/tg-", tmp);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &t);
	assert_int_equal(recorder__dedup_capacity(r, t.slot), FIRST);
	recorder__on_entry(r, tally_entry, &ta);
	for (int round = 0; round < ROUNDS; round++) {
		ta.n = 0;
		run_many(&t, "open", "tg-", N, "go-grow");
		finish_consuming(r, &t);
		drain(r);
		/* creating opens, then opens of existing files (another kind), then nothing new */
		if (ta.n != (round < 2 ? N : 0))
			fail_msg("round %d: %d events for %d files", round, ta.n, N);
	}
	/* 4096 -> 16384 at 1,576 events (plus the ring's 2,520: the first size), 64K at 13,864 */
	assert_int_equal(recorder__dedup_capacity(r, t.slot), 65536);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	expect_set(p, "tg-", N, CREATED);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "tg-%d", i);
		if (entry_of(p, name)->count != ROUNDS)
			fail_msg("%s: count %llu, not %d", name,
				 (unsigned long long)entry_of(p, name)->count, ROUNDS);
	}
	assert_int_equal(profile__header_const(p)->dedup_full, 0);
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);
	unfollow(&t);
	recorder__free(r);
}

/*
 * A first size below what the ring holds, and nobody consuming while the target runs: the map
 * fills before it can grow. Every file still comes as an event, and the profile says its
 * counts are incomplete; after the growth the next pass is deduplicated again.
 */
static void test_dedup_map_full_before_growth_is_counted(void **state)
{
	enum { N = 600 };
	struct recorder_config cfg = {.ringbuf_bytes = 1 << 20, .initial_files = 64};
	struct recorder *r = NULL;
	struct profile *p = NULL;
	struct tally ta = {0};
	struct target t;

	require_bpf();
	testfs__write(tmp, "go-full", "");
	ta.len = (size_t)snprintf(ta.prefix, sizeof(ta.prefix), "%s/tf-", tmp);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &t);
	recorder__on_entry(r, tally_entry, &ta);
	run_many(&t, "open", "tf-", N, "go-full");
	finish(&t);
	t.nrun = 0;
	drain(r);
	assert_int_equal(ta.n, N);
	assert_true(recorder__dedup_capacity(r, t.slot) > 64);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	expect_set(p, "tf-", N, CREATED);
	assert_true(profile__header_const(p)->dedup_full > 0);
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);
	/* Twice more: plain opens (a kind the grown map has room for), then nothing new. */
	for (int round = 0; round < 2; round++) {
		ta.n = 0;
		run_many(&t, "open", "tf-", N, "go-full");
		finish(&t);
		t.nrun = 0;
		drain(r);
		if (ta.n != (round ? 0 : N))
			fail_msg("pass %d: %d events for %d files", round, ta.n, N);
	}
	unfollow(&t);
	recorder__free(r);
}

static int group_setup(void **state)
{
	char self[PATH_MAX], *mnt = NULL, *root = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -1;
	self[n] = '\0';
	snprintf(helper, sizeof(helper), "%s/rec_helper", dirname(self));
	testfs__mkdtemp(tmp, sizeof(tmp), "targets");
	if (geteuid() != 0)
		why_unusable = "not root";
	else if (recorder__check_support())
		why_unusable = "no BPF support";
	else if (cgroup__v2_mount(&mnt, &root) ||
		 cgroup__self_dir(mnt, root, testfs__slurp("/proc/self/cgroup"), &cg_parent))
		why_unusable = "no cgroup v2";
	free(mnt);
	free(root);
	return 0;
}

static int group_teardown(void **state)
{
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		if (made[i])
			cgroup__destroy(made[i]); /* kills what a failed test left running */
	}
	testfs__rmtree(tmp);
	free(cg_parent);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_targets_at_once),
		cmocka_unit_test(test_slot_reused_with_events_in_flight),
		cmocka_unit_test(test_reset_starts_a_new_epoch),
		cmocka_unit_test(test_noisy_target_fills_only_its_own_map),
		cmocka_unit_test(test_dedup_map_grows_and_keeps_everything),
		cmocka_unit_test(test_dedup_map_full_before_growth_is_counted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
