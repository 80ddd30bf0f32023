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
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "launch.h"
#include "profile.h"
#include "recorder.h"
#include "itest.h"
#include "testfs.h"

/* The group's fixture: rec_helper, the temp dir, the cgroup targets are created below. */
static struct itest_group g;

/* One target: a fresh cgroup (and the workloads started in it), its slot in the recorder. */
struct target {
	struct itest_cg cg;
	uint32_t slot;
};

static void follow(struct recorder *r, struct target *t)
{
	memset(t, 0, sizeof(*t));
	itest__cg_create(&g, &t->cg);
	assert_int_equal(recorder__add_target(r, t->cg.id, &t->slot), 0);
}

/* rec_helper's "many open" creates the files it opens. */
#define CREATED (SLZ_KIND_OPEN | SLZ_KIND_CREATE)

/* Three cgroups, three workloads of different kinds at once, one recorder. */
static void test_three_targets_at_once(void **state)
{
	enum { NA = 300, NB = 200, NC = 150 };
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20};
	struct profile *p[3] = {0};
	struct recorder *r = NULL;
	struct target t[3];
	uint32_t slots[3];

	itest__require_bpf(&g);
	itest__make_files(g.tmp, "tb-", NB);
	itest__make_files(g.tmp, "tc-", NC);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	for (int i = 0; i < 3; i++)
		follow(r, &t[i]);
	assert_int_not_equal(t[0].slot, t[1].slot);
	assert_int_not_equal(t[1].slot, t[2].slot);
	assert_int_not_equal(t[0].slot, t[2].slot);
	itest__run_many(&t[0].cg, "open", "ta-", NA, "go3");
	itest__run_many(&t[1].cg, "stat", "tb-", NB, "go3");
	itest__run_many(&t[2].cg, "access", "tc-", NC, "go3");
	testfs__write(g.tmp, "go3", "");
	for (int i = 0; i < 3; i++) {
		itest__finish(&t[i].cg);
		slots[i] = t[i].slot;
	}
	itest__drain(r);
	assert_int_equal(recorder__profiles(r, slots, 3, p), 0);
	itest__expect_set(p[0], g.tmp, "ta-", NA, CREATED);
	itest__expect_set(p[1], g.tmp, "tb-", NB, SLZ_KIND_STAT);
	itest__expect_set(p[2], g.tmp, "tc-", NC, SLZ_KIND_ACCESS);
	assert_true(itest__entry_of(p[2], g.tmp, "tc-0")->flags & SLZ_EVF_PATH_ONLY);
	assert_int_equal(itest__count_prefixed(p[0], g.tmp, "tb-") +
				 itest__count_prefixed(p[0], g.tmp, "tc-"),
			 0);
	assert_int_equal(itest__count_prefixed(p[1], g.tmp, "ta-") +
				 itest__count_prefixed(p[1], g.tmp, "tc-"),
			 0);
	assert_int_equal(itest__count_prefixed(p[2], g.tmp, "ta-") +
				 itest__count_prefixed(p[2], g.tmp, "tb-"),
			 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(profile__header_const(p[i])->lost_events, 0);
		assert_int_equal(profile__header_const(p[i])->dedup_full, 0);
		profile__free(p[i]);
		itest__cg_remove(&t[i].cg);
	}
	assert_int_equal(recorder__stale_events(r), 0);
	recorder__free(r);
}

static bool pid_of(const struct target *t, uint32_t pid)
{
	for (int i = 0; i < t->cg.nrun; i++) {
		if ((uint32_t)t->cg.pids[i] == pid)
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

	itest__require_bpf(&g);
	testfs__write(g.tmp, "go-now", "");
	testfs__write(g.tmp, "shared.txt", "s");
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &x);
	xslot = x.slot;
	itest__run_many(&x.cg, "open", "tx-", NX, "go-now");
	itest__finish(&x.cg);
	itest__run_open(&x.cg, "shared.txt");
	itest__finish(&x.cg);
	itest__run_open(&x.cg, "shared.txt"); /* a dedup hit: now in CPU 0's hot cache */
	itest__finish(&x.cg);
	assert_int_equal(recorder__remove_target(r, xslot), 0);
	assert_int_equal(recorder__remove_target(r, xslot), -ENOENT);
	follow(r, &y);
	assert_int_equal(y.slot, xslot);
	itest__run_open(&y.cg, "shared.txt");
	itest__finish(&y.cg);
	itest__run_open(&y.cg, "shared.txt");
	itest__finish(&y.cg);
	itest__run_many(&y.cg, "open", "ty-", NY, "go-now");
	itest__finish(&y.cg);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);

	itest__drain(r);
	assert_true(recorder__stale_events(r) >= NX);
	assert_int_equal(recorder__profile(r, y.slot, &p), 0);
	itest__expect_set(p, g.tmp, "ty-", NY, CREATED);
	assert_int_equal(itest__count_prefixed(p, g.tmp, "tx-"), 0);
	e = itest__entry_of(p, g.tmp, "shared.txt");
	assert_non_null(e);
	assert_int_equal(e->kinds, SLZ_KIND_OPEN);
	assert_int_equal(e->count, 2); /* Y's two opens; X's are not counted for Y */
	for (size_t i = 0; i < profile__count(p); i++)
		assert_false(pid_of(&x, profile__entry(p, i)->first_pid));
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);
	itest__cg_remove(&x.cg);
	itest__cg_remove(&y.cg);
	recorder__free(r);
}

/* Let rec_helper's "steps" run step i, and wait until it has. */
static void run_step(int i)
{
	char name[32], p[PATH_MAX];

	snprintf(name, sizeof(name), "step%d", i);
	testfs__write(g.tmp, name, "");
	snprintf(p, sizeof(p), "%s/done%d", g.tmp, i);
	for (int t = 0; t < 20000 && access(p, F_OK); t++)
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	assert_int_equal(access(p, F_OK), 0);
}

/*
 * One process keeps running while its cgroup's target is removed and added again: its opens
 * while no target holds the cgroup are nobody's, and after the re-add the file it had opened
 * is new for the new generation, which counts only its own two opens. The process runs on
 * CPU 0, the test on another CPU where there is one, so nothing of the test's own syscalls
 * replaces CPU 0's cached answer for the process's cgroup, nor its file's hot key, between
 * the steps: the programs must see on their own that the answer is out of date.
 */
static void test_target_readded_under_a_running_task(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20};
	const struct profile_entry *e;
	struct recorder *r = NULL;
	struct profile *p = NULL;
	cpu_set_t all, one;
	struct target t;

	itest__require_bpf(&g);
	testfs__write(g.tmp, "steady.txt", "s");
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &t);
	itest__run_in(&t.cg, (char *[]){"steps", g.tmp, "steady.txt", "7", NULL});
	if (CPU_COUNT(&all) > 1) {
		for (int c = 1; c < CPU_SETSIZE; c++) {
			if (CPU_ISSET(c, &all)) {
				CPU_ZERO(&one);
				CPU_SET(c, &one);
				break;
			}
		}
		assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	}
	run_step(1);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	e = itest__entry_of(p, g.tmp, "steady.txt");
	assert_non_null(e);
	assert_int_equal(e->count, 2);
	profile__free(p);

	/* Three rounds: a cache that outlived its target shows in one of them even on a busy host.
	 */
	for (int round = 0; round < 3; round++) {
		assert_int_equal(recorder__remove_target(r, t.slot), 0);
		run_step(2 + 2 * round); /* no target: recorded nowhere */
		assert_int_equal(recorder__add_target(r, t.cg.id, &t.slot), 0);
		run_step(3 + 2 * round);
		itest__drain(r);
		assert_int_equal(recorder__profile(r, t.slot, &p), 0);
		e = itest__entry_of(p, g.tmp, "steady.txt");
		assert_non_null(e);
		assert_int_equal(e->kinds, SLZ_KIND_OPEN);
		assert_int_equal(e->count, 2); /* this step's opens only */
		assert_int_equal(profile__header_const(p)->lost_events, 0);
		profile__free(p);
	}
	itest__finish(&t.cg);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	itest__cg_remove(&t.cg);
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

	itest__require_bpf(&g);
	testfs__write(g.tmp, "known.txt", "k");
	testfs__write(g.tmp, "other.txt", "o");
	testfs__write(g.tmp, "inflight.txt", "i");
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &t);
	itest__run_open(&t.cg, "known.txt");
	itest__run_open(&t.cg, "other.txt");
	itest__finish(&t.cg);
	itest__drain(r);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	assert_non_null(itest__entry_of(p, g.tmp, "known.txt"));
	assert_non_null(itest__entry_of(p, g.tmp, "other.txt"));
	profile__free(p);

	itest__run_open(&t.cg, "inflight.txt"); /* still in the ring at the reset */
	itest__finish(&t.cg);
	stale = recorder__stale_events(r);
	assert_int_equal(recorder__reset_target(r, t.slot), 0);
	itest__run_open(&t.cg, "known.txt");
	itest__finish(&t.cg);
	itest__drain(r);
	assert_true(recorder__stale_events(r) > stale);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	e = itest__entry_of(p, g.tmp, "known.txt");
	assert_non_null(e);
	assert_int_equal(e->kinds, SLZ_KIND_OPEN);
	assert_int_equal(e->count, 1);
	assert_null(itest__entry_of(p, g.tmp, "other.txt"));
	assert_null(itest__entry_of(p, g.tmp, "inflight.txt"));
	profile__free(p);
	assert_int_equal(recorder__remove_target(r, t.slot), 0);
	assert_int_equal(recorder__reset_target(r, t.slot), -ENOENT);
	assert_int_equal(recorder__profile(r, t.slot, &p), -ENOENT);
	itest__cg_remove(&t.cg);
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

	itest__require_bpf(&g);
	testfs__write(g.tmp, "go-now", "");
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &noisy);
	follow(r, &quiet);
	itest__run_many(&noisy.cg, "open", "tn-", NOISY, "go-now");
	itest__finish(&noisy.cg);
	itest__run_many(&quiet.cg, "open", "tq-", QUIET, "go-now");
	itest__finish(&quiet.cg);
	itest__drain(r);
	slots[0] = noisy.slot;
	slots[1] = quiet.slot;
	assert_int_equal(recorder__profiles(r, slots, 2, p), 0);
	/* a full map still lets every new file through as an event: nothing is lost */
	itest__expect_set(p[0], g.tmp, "tn-", NOISY, CREATED);
	assert_true(profile__header_const(p[0])->dedup_full > 0);
	itest__expect_set(p[1], g.tmp, "tq-", QUIET, CREATED);
	assert_int_equal(profile__header_const(p[1])->dedup_full, 0);
	assert_int_equal(profile__header_const(p[1])->lost_events, 0);
	profile__free(p[0]);
	profile__free(p[1]);
	itest__cg_remove(&noisy.cg);
	itest__cg_remove(&quiet.cg);
	recorder__free(r);
}

/* Wait for t's workloads while consuming the ring, as a recording does; t can run more after. */
static void finish_consuming(struct recorder *r, struct target *t)
{
	for (int i = 0; i < t->cg.nrun; i++) {
		struct pollfd pfd = {.fd = t->cg.pidfds[i], .events = POLLIN};

		while (t->cg.pidfds[i] >= 0 && poll(&pfd, 1, 0) == 0)
			assert_true(recorder__poll(r, 5) >= 0);
	}
	itest__finish(&t->cg);
	t->cg.nrun = 0;
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
 * cfg's first size is GROW_FIRST; the files are tmp/PREFIX0.., made by the first pass. Under the
 * light loader (light) slot 0's first map is seen0, which the programs use directly: the
 * first growth moves slot 0 into seen (seen0_moved), and everything after it must reach the
 * moved map.
 */
enum { GROW_N = 7000, GROW_FIRST = 4096, GROW_ROUNDS = 3, GROW_BATCH = 1000 };

static void grow_and_keep(const struct recorder_config *cfg, bool light, const char *prefix)
{
	struct recorder *r = NULL;
	struct profile *p = NULL;
	struct tally ta = {0};
	uint32_t first_id, id;
	struct target t;
	char name[64];

	itest__require_bpf(&g);
	testfs__write(g.tmp, "go-grow", "");
	ta.len = (size_t)snprintf(ta.prefix, sizeof(ta.prefix), "%s/%s", g.tmp, prefix);
	assert_int_equal(recorder__open(cfg, &r), 0);
	assert_int_equal(recorder__light(r), light);
	follow(r, &t);
	if (light)
		assert_int_equal(t.slot, 0); /* the one slot seen0 serves */
	assert_int_equal(recorder__dedup_capacity(r, t.slot), GROW_FIRST);
	assert_int_equal(recorder__dedup_map_id(r, t.slot, &first_id), 0);
	assert_int_not_equal(first_id, 0);
	recorder__on_entry(r, tally_entry, &ta);
	for (int round = 0; round < GROW_ROUNDS; round++) {
		ta.n = 0;
		/*
		 * In batches of fewer events than the ring holds, each consumed as it runs: a
		 * consumer that falls a ring behind (another recorder's test on the other core)
		 * loses events, and says so (lost_events), which is not what this test is about.
		 */
		for (int first = 0; first < GROW_N; first += GROW_BATCH) {
			itest__run_many_from(&t.cg, "open", prefix, first, GROW_BATCH, "go-grow");
			finish_consuming(r, &t);
		}
		itest__drain(r);
		/* creating opens, then opens of existing files (another kind), then nothing new */
		if (ta.n != (round < 2 ? GROW_N : 0))
			fail_msg("round %d: %d events for %d files", round, ta.n, GROW_N);
		if (!round) {
			/* grown in the first pass: slot 0 left seen0 (light) long before its end */
			assert_int_equal(recorder__dedup_map_id(r, t.slot, &id), 0);
			assert_int_not_equal(id, 0);
			assert_int_not_equal(id, first_id);
		}
	}
	/* 4096 -> 16384 at 1,576 events (plus the ring's 2,520: the first size), 64K at 13,864 */
	assert_int_equal(recorder__dedup_capacity(r, t.slot), 65536);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	itest__expect_set(p, g.tmp, prefix, GROW_N, CREATED);
	for (int i = 0; i < GROW_N; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		if (itest__entry_of(p, g.tmp, name)->count != GROW_ROUNDS)
			fail_msg("%s: count %llu, not %d", name,
				 (unsigned long long)itest__entry_of(p, g.tmp, name)->count,
				 GROW_ROUNDS);
	}
	assert_int_equal(profile__header_const(p)->dedup_full, 0);
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);
	itest__cg_remove(&t.cg);
	recorder__free(r);
}

/* 256 KiB hold 2,520 events at most: the first size is above 1.5 rings of them */
#define GROW_RING (256u << 10)

/* A recorder of many targets: the regular skeleton, every slot's map in seen from the start. */
static void test_dedup_map_grows_and_keeps_everything(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = GROW_RING, .initial_files = GROW_FIRST};

	grow_and_keep(&cfg, false, "tg-");
}

/*
 * A one-shot recorder as record sets it up (recorder__record: one target, no task tags), on
 * the sys_exit hook: the light loader, slot 0 in seen0 until its first growth. If the
 * programs kept using seen0 after the move, seen0 (4,096 entries) would fill (dedup_full),
 * the counts added there would miss the profile (read from the moved map), and the keys
 * seen0 had no room for would be events again in the third pass.
 */
static void test_dedup_map_grows_out_of_seen0_one_shot(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = GROW_RING,
				      .initial_files = GROW_FIRST,
				      .one_shot = true,
				      .hook = RECORDER_HOOK_SYS_EXIT,
				      .max_targets = 1,
				      .no_task_tags = true};

	grow_and_keep(&cfg, true, "tl-");
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

	itest__require_bpf(&g);
	testfs__write(g.tmp, "go-full", "");
	ta.len = (size_t)snprintf(ta.prefix, sizeof(ta.prefix), "%s/tf-", g.tmp);
	assert_int_equal(recorder__open(&cfg, &r), 0);
	follow(r, &t);
	recorder__on_entry(r, tally_entry, &ta);
	itest__run_many(&t.cg, "open", "tf-", N, "go-full");
	itest__finish(&t.cg);
	t.cg.nrun = 0;
	itest__drain(r);
	assert_int_equal(ta.n, N);
	assert_true(recorder__dedup_capacity(r, t.slot) > 64);
	assert_int_equal(recorder__profile(r, t.slot, &p), 0);
	itest__expect_set(p, g.tmp, "tf-", N, CREATED);
	assert_true(profile__header_const(p)->dedup_full > 0);
	assert_int_equal(profile__header_const(p)->lost_events, 0);
	profile__free(p);
	/* Twice more: plain opens (a kind the grown map has room for), then nothing new. */
	for (int round = 0; round < 2; round++) {
		ta.n = 0;
		itest__run_many(&t.cg, "open", "tf-", N, "go-full");
		itest__finish(&t.cg);
		t.cg.nrun = 0;
		itest__drain(r);
		if (ta.n != (round ? 0 : N))
			fail_msg("pass %d: %d events for %d files", round, ta.n, N);
	}
	itest__cg_remove(&t.cg);
	recorder__free(r);
}

static int group_setup(void **state)
{
	return itest__group_setup(&g, "targets");
}

static int group_teardown(void **state)
{
	itest__group_teardown(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_targets_at_once),
		cmocka_unit_test(test_slot_reused_with_events_in_flight),
		cmocka_unit_test(test_target_readded_under_a_running_task),
		cmocka_unit_test(test_reset_starts_a_new_epoch),
		cmocka_unit_test(test_noisy_target_fills_only_its_own_map),
		cmocka_unit_test(test_dedup_map_grows_and_keeps_everything),
		cmocka_unit_test(test_dedup_map_grows_out_of_seen0_one_shot),
		cmocka_unit_test(test_dedup_map_full_before_growth_is_counted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
