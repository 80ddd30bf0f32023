// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Targets the kernel finds, through the library: a watched parent whose new children become
 * targets at cgroup_mkdir, the all switch, their born and ended records in the event ring,
 * the capacity, attribution to the nearest target ancestor of a task as it moves, v1
 * hierarchies left alone, and no map left once the recorder is freed. Real BPF, real cgroups,
 * real processes (rec_helper). Needs root and BTF: skipped otherwise, failed instead when
 * SLIMZIP_REQUIRE_BPF=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "launch.h"
#include "mountinfo.h"
#include "profile.h"
#include "recorder.h"
#include "itest.h"
#include "testfs.h"

/* The group's fixture: rec_helper, the temp dir, the cgroup the tests' cgroups are made in. */
static struct itest_group g;

/* What the callback saw, in the order it saw it. */
struct logged {
	enum recorder_cgroup_kind kind;
	uint32_t slot, watch, level;
	uint64_t id, parent;
	char name[256], path[1024];
	size_t entries;	   /* born: entries the target's profile held at that moment */
	struct profile *p; /* ended: the target's profile, taken in the callback */
};

struct log {
	struct logged v[256];
	size_t n;
	bool full;
};

/* Born: note the target's (empty) profile. Ended: take its profile, then remove it. */
static int on_cgroup(struct recorder *r, const struct recorder_cgroup_event *ev, void *ctx)
{
	struct log *log = ctx;
	struct logged *l;
	struct profile *p = NULL;
	int err;

	err = recorder__profile(r, ev->slot, &p);
	if (err)
		return err;
	if (ev->kind == RECORDER_CGROUP_ENDED)
		recorder__remove_target(r, ev->slot);
	if (log->n == sizeof(log->v) / sizeof(log->v[0])) {
		log->full = true; /* cgroups of the whole host under the all switch */
		profile__free(p);
		return 0;
	}
	l = &log->v[log->n++];
	*l = (struct logged){.kind = ev->kind,
			     .slot = ev->slot,
			     .watch = ev->watch_id,
			     .level = ev->level,
			     .id = ev->cgroup_id,
			     .parent = ev->parent_id};
	snprintf(l->name, sizeof(l->name), "%s", ev->name);
	snprintf(l->path, sizeof(l->path), "%s", ev->path);
	if (ev->kind == RECORDER_CGROUP_BORN) {
		l->entries = profile__count(p);
		profile__free(p);
	} else {
		l->p = p;
	}
	return 0;
}

static void log_free(struct log *log)
{
	for (size_t i = 0; i < log->n; i++)
		profile__free(log->v[i].p);
	log->n = 0;
}

/* The index of the record of kind for cgroup id, or -1. */
static int logged_of(const struct log *log, enum recorder_cgroup_kind kind, uint64_t id)
{
	for (size_t i = 0; i < log->n; i++) {
		if (log->v[i].kind == kind && log->v[i].id == id)
			return (int)i;
	}
	return -1;
}

#define CREATED (SLZ_KIND_OPEN | SLZ_KIND_CREATE)

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

static void open_discovering(const struct recorder_config *cfg, struct log *log,
			     struct recorder **r)
{
	assert_int_equal(recorder__open(cfg, r), 0);
	recorder__on_cgroup(*r, on_cgroup, log);
}

/*
 * Three children made after the watch, each running a different workload at once, then
 * removed; everything is read in one pass afterwards, so born, events and ended records are
 * all in the ring together. A born record that came after its target's events would leave
 * them stale; an ended one before its target's last event would find the profile short.
 */
static void test_watch_three_children(void **state)
{
	enum { NA = 120, NB = 80, NC = 60 };
	static const char *names[3] = {"job-a", "job-b", "job-c"};
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20, .discover = true};
	struct recorder *r = NULL;
	struct log log = {0};
	struct itest_cg parent, kid[3];
	char tail[PATH_MAX];
	uint64_t refused = 1;

	itest__require_bpf(&g);
	itest__make_files(g.tmp, "wb-", NB);
	itest__make_files(g.tmp, "wc-", NC);
	open_discovering(&cfg, &log, &r);
	itest__cg_create(&g, &parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 7), 0);
	assert_int_equal(recorder__add_watch(r, parent.dir, 8), -EEXIST);
	assert_int_equal(recorder__add_watch(r, g.cg_parent, 7), -EEXIST);
	for (int i = 0; i < 3; i++)
		itest__cg_mkdir(&g, &kid[i], parent.dir, names[i]);
	itest__run_many(&kid[0], "open", "wa-", NA, "go-w3");
	itest__run_many(&kid[1], "stat", "wb-", NB, "go-w3");
	itest__run_many(&kid[2], "access", "wc-", NC, "go-w3");
	testfs__write(g.tmp, "go-w3", "");
	for (int i = 0; i < 3; i++)
		itest__cg_remove(&kid[i]);
	itest__drain(r);

	assert_false(log.full);
	for (int i = 0; i < 3; i++) {
		int b = logged_of(&log, RECORDER_CGROUP_BORN, kid[i].id);
		int e = logged_of(&log, RECORDER_CGROUP_ENDED, kid[i].id);

		assert_true(b >= 0);
		assert_true(e > b);
		assert_int_equal(log.v[b].watch, 7);
		assert_string_equal(log.v[b].name, names[i]);
		assert_int_equal(log.v[b].parent, parent.id);
		assert_int_equal(log.v[b].entries, 0);
		snprintf(tail, sizeof(tail), "/%s/%s", basename(parent.dir), names[i]);
		assert_true(ends_with(log.v[b].path, tail));
		assert_int_equal(log.v[e].slot, log.v[b].slot);
	}
	{
		struct profile *pa = log.v[logged_of(&log, RECORDER_CGROUP_ENDED, kid[0].id)].p;
		struct profile *pb = log.v[logged_of(&log, RECORDER_CGROUP_ENDED, kid[1].id)].p;
		struct profile *pc = log.v[logged_of(&log, RECORDER_CGROUP_ENDED, kid[2].id)].p;

		itest__expect_set(pa, g.tmp, "wa-", NA, CREATED);
		itest__expect_set(pb, g.tmp, "wb-", NB, SLZ_KIND_STAT);
		itest__expect_set(pc, g.tmp, "wc-", NC, SLZ_KIND_ACCESS);
		assert_int_equal(itest__count_prefixed(pa, g.tmp, "wb-") +
					 itest__count_prefixed(pa, g.tmp, "wc-"),
				 0);
		assert_int_equal(itest__count_prefixed(pb, g.tmp, "wa-") +
					 itest__count_prefixed(pb, g.tmp, "wc-"),
				 0);
		assert_int_equal(itest__count_prefixed(pc, g.tmp, "wa-") +
					 itest__count_prefixed(pc, g.tmp, "wb-"),
				 0);
		assert_int_equal(profile__header_const(pa)->lost_events, 0);
	}
	assert_int_equal(recorder__stale_events(r), 0);
	assert_int_equal(recorder__refused(r, 7, &refused), 0);
	assert_int_equal(refused, 0);
	assert_int_equal(recorder__remove_watch(r, 7), 0);
	assert_int_equal(recorder__remove_watch(r, 7), -ENOENT);
	assert_int_equal(recorder__refused(r, 7, &refused), -ENOENT);
	itest__cg_remove(&parent);
	recorder__free(r);
	log_free(&log);
}

/*
 * A process that moves from target A to target B is attributed by where it is at each access;
 * a cgroup below A that no watch names (A/sub) is attributed to A, its nearest target.
 */
static void test_attribution_follows_the_task(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20, .discover = true};
	struct profile *p[2] = {0};
	struct recorder *r = NULL;
	struct log log = {0};
	struct itest_cg parent, a, b, sub;
	uint32_t slots[2];

	itest__require_bpf(&g);
	testfs__write(g.tmp, "mv-a.txt", "a");
	testfs__write(g.tmp, "mv-b.txt", "b");
	testfs__write(g.tmp, "sub.txt", "s");
	open_discovering(&cfg, &log, &r);
	itest__cg_create(&g, &parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 1), 0);
	itest__cg_mkdir(&g, &a, parent.dir, "a");
	itest__cg_mkdir(&g, &b, parent.dir, "b");
	itest__cg_mkdir(&g, &sub, a.dir, "sub");
	itest__run_in(&a, (char *[]){"move", g.tmp, "mv-a.txt", b.dir, "mv-b.txt", NULL});
	itest__finish(&a);
	itest__run_open(&sub, "sub.txt");
	itest__finish(&sub);
	itest__drain(r);

	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, a.id) >= 0);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, b.id) >= 0);
	assert_int_equal(logged_of(&log, RECORDER_CGROUP_BORN, sub.id), -1);
	assert_int_equal(recorder__find_target(r, sub.id, &slots[0]), -ENOENT);
	assert_int_equal(recorder__find_target(r, a.id, &slots[0]), 0);
	assert_int_equal(recorder__find_target(r, b.id, &slots[1]), 0);
	assert_int_equal(recorder__profiles(r, slots, 2, p), 0);
	assert_non_null(itest__entry_of(p[0], g.tmp, "mv-a.txt"));
	assert_non_null(itest__entry_of(p[0], g.tmp, "sub.txt"));
	assert_null(itest__entry_of(p[0], g.tmp, "mv-b.txt"));
	assert_non_null(itest__entry_of(p[1], g.tmp, "mv-b.txt"));
	assert_null(itest__entry_of(p[1], g.tmp, "mv-a.txt"));
	assert_null(itest__entry_of(p[1], g.tmp, "sub.txt"));
	profile__free(p[0]);
	profile__free(p[1]);
	itest__cg_remove(&sub);
	itest__cg_remove(&a);
	itest__cg_remove(&b);
	itest__drain(r);
	assert_true(logged_of(&log, RECORDER_CGROUP_ENDED, a.id) >= 0);
	assert_true(logged_of(&log, RECORDER_CGROUP_ENDED, b.id) >= 0);
	itest__cg_remove(&parent);
	recorder__free(r);
	log_free(&log);
}

/* Two targets at most: the third child is refused and counted, a freed slot serves again. */
static void test_capacity_refusals_are_counted(void **state)
{
	struct recorder_config cfg = {
		.ringbuf_bytes = 16 << 20, .discover = true, .max_targets = 2};
	struct recorder *r = NULL;
	struct log log = {0};
	struct itest_cg parent, kid[4];
	uint64_t refused = 0;
	uint32_t slot;
	int b;

	itest__require_bpf(&g);
	testfs__write(g.tmp, "cap.txt", "c");
	open_discovering(&cfg, &log, &r);
	itest__cg_create(&g, &parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 3), 0);
	itest__cg_mkdir(&g, &kid[0], parent.dir, "c0");
	itest__cg_mkdir(&g, &kid[1], parent.dir, "c1");
	itest__cg_mkdir(&g, &kid[2], parent.dir, "c2");
	itest__drain(r);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, kid[0].id) >= 0);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, kid[1].id) >= 0);
	assert_int_equal(logged_of(&log, RECORDER_CGROUP_BORN, kid[2].id), -1);
	assert_int_equal(recorder__refused(r, 3, &refused), 0);
	assert_int_equal(refused, 1);
	assert_int_equal(recorder__add_target(r, parent.id, &slot), -ENOSPC);

	/* A slot given back is prepared again: the next child is a target, and records. */
	b = logged_of(&log, RECORDER_CGROUP_BORN, kid[0].id);
	assert_int_equal(recorder__remove_target(r, log.v[b].slot), 0);
	itest__cg_mkdir(&g, &kid[3], parent.dir, "c3");
	itest__run_open(&kid[3], "cap.txt");
	itest__finish(&kid[3]);
	itest__cg_remove(&kid[3]);
	itest__drain(r);
	b = logged_of(&log, RECORDER_CGROUP_ENDED, kid[3].id);
	assert_true(b >= 0);
	assert_non_null(itest__entry_of(log.v[b].p, g.tmp, "cap.txt"));
	assert_int_equal(recorder__refused(r, 3, &refused), 0);
	assert_int_equal(refused, 1);
	for (int i = 0; i < 3; i++)
		itest__cg_remove(&kid[i]);
	itest__cg_remove(&parent);
	recorder__free(r);
	log_free(&log);
}

/* A v1 hierarchy's mount point (this host is hybrid), or NULL. */
static char *v1_mount(void)
{
	struct mount_info m = {0};
	char *dir = NULL;

	if (!mountinfo__find_self("cgroup", &m))
		dir = strdup(m.mount_point);
	mountinfo__clear(&m);
	return dir;
}

/*
 * The all switch: two unrelated cgroups become targets of their own, each with its own
 * files; a mkdir in a v1 hierarchy produces nothing; switched off, new cgroups are not taken.
 */
static void test_all_attributes_per_cgroup(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 16 << 20, .discover = true};
	char *v1 = NULL, v1name[64], *v1dir = NULL;
	struct profile *p[2] = {0};
	struct recorder *r = NULL;
	struct log log = {0};
	struct itest_cg x, y, z;
	uint32_t slots[2];
	uint64_t refused = 1;
	int b;

	itest__require_bpf(&g);
	testfs__write(g.tmp, "all-x.txt", "x");
	testfs__write(g.tmp, "all-y.txt", "y");
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(recorder__set_all(r, true), -EINVAL); /* no callback yet */
	recorder__on_cgroup(r, on_cgroup, &log);
	assert_int_equal(recorder__set_all(r, true), 0);
	v1 = v1_mount();
	if (v1) {
		snprintf(v1name, sizeof(v1name), "slz-itest-v1-%d", (int)getpid());
		assert_true(asprintf(&v1dir, "%s/%s", v1, v1name) > 0);
		if (mkdir(v1dir, 0755))
			fail_msg("mkdir %s: %s", v1dir, strerror(errno));
		itest__remember(&g, v1dir);
	}
	itest__cg_create(&g, &x);
	itest__cg_create(&g, &y);
	itest__run_open(&x, "all-x.txt");
	itest__run_open(&y, "all-y.txt");
	itest__finish(&x);
	itest__finish(&y);
	itest__drain(r);
	b = logged_of(&log, RECORDER_CGROUP_BORN, x.id);
	assert_true(b >= 0);
	assert_int_equal(log.v[b].watch, RECORDER_WATCH_ALL);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, y.id) >= 0);
	for (size_t i = 0; v1 && i < log.n; i++)
		assert_string_not_equal(log.v[i].name, v1name);
	assert_int_equal(recorder__find_target(r, x.id, &slots[0]), 0);
	assert_int_equal(recorder__find_target(r, y.id, &slots[1]), 0);
	assert_int_equal(recorder__profiles(r, slots, 2, p), 0);
	assert_non_null(itest__entry_of(p[0], g.tmp, "all-x.txt"));
	assert_null(itest__entry_of(p[0], g.tmp, "all-y.txt"));
	assert_non_null(itest__entry_of(p[1], g.tmp, "all-y.txt"));
	assert_null(itest__entry_of(p[1], g.tmp, "all-x.txt"));
	profile__free(p[0]);
	profile__free(p[1]);
	assert_int_equal(recorder__refused(r, RECORDER_WATCH_ALL, &refused), 0);
	assert_int_equal(refused, 0);

	assert_int_equal(recorder__set_all(r, false), 0);
	itest__cg_create(&g, &z);
	itest__drain(r);
	assert_int_equal(logged_of(&log, RECORDER_CGROUP_BORN, z.id), -1);
	if (v1dir) {
		assert_int_equal(rmdir(v1dir), 0);
		itest__forget(&g, v1dir);
	}
	itest__cg_remove(&x);
	itest__cg_remove(&y);
	itest__cg_remove(&z);
	recorder__free(r);
	log_free(&log);
	free(v1dir);
	free(v1);
}

/* Without discover nothing can be watched; the children of a parent are listed with ids. */
static void test_refusals_and_listing(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 1 << 20};
	struct cgroup_list l = {0};
	struct recorder *r = NULL;
	struct log log = {0};
	struct itest_cg parent, k1, k2, deep;

	itest__require_bpf(&g);
	itest__cg_create(&g, &parent);
	itest__cg_mkdir(&g, &k2, parent.dir, "k2");
	itest__cg_mkdir(&g, &k1, parent.dir, "k1");
	itest__cg_mkdir(&g, &deep, k1.dir, "deep");
	assert_int_equal(cgroup__children(parent.dir, false, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "k1");
	assert_int_equal(l.v[0].id, k1.id);
	assert_string_equal(l.v[1].dir, k2.dir);
	assert_int_equal(l.v[1].id, k2.id);
	cgroup_list__free(&l);
	assert_int_equal(cgroup__children(parent.dir, true, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[2].id, deep.id);
	assert_string_equal(l.v[2].name, "deep");
	cgroup_list__free(&l);
	assert_int_equal(cgroup__children("/nonexistent-cgroup", false, &l), -ENOENT);
	assert_int_equal(l.n, 0);
	cgroup_list__free(NULL);

	assert_int_equal(recorder__open(&cfg, &r), 0);
	recorder__on_cgroup(r, on_cgroup, &log);
	assert_int_equal(recorder__add_watch(r, parent.dir, 1), -EINVAL);
	assert_int_equal(recorder__set_all(r, true), -EINVAL);
	recorder__free(r);
	cfg.discover = true;
	assert_int_equal(recorder__open(&cfg, &r), 0);
	assert_int_equal(recorder__add_watch(r, parent.dir, 1), -EINVAL); /* no callback */
	recorder__on_cgroup(r, on_cgroup, &log);
	assert_int_equal(recorder__add_watch(r, parent.dir, RECORDER_WATCH_ALL), -EINVAL);
	assert_int_equal(recorder__add_watch(r, "/no-such-cgroup-here", 1), -ENOENT);
	recorder__free(r);
	itest__cg_remove(&deep);
	itest__cg_remove(&k1);
	itest__cg_remove(&k2);
	itest__cg_remove(&parent);
}

/* The ids of the BPF maps this process holds an fd of (/proc/self/fdinfo's map_id). */
static size_t own_map_ids(uint32_t *ids, size_t cap)
{
	DIR *d = opendir("/proc/self/fdinfo");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char p[64], line[256];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/fdinfo/%s", de->d_name);
		f = fopen(p, "r");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned int id;

			if (sscanf(line, "map_id: %u", &id) == 1 && n < cap)
				ids[n++] = id;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

/* How many of ids `bpftool map list` still shows. */
static size_t still_listed(const uint32_t *ids, size_t n)
{
	FILE *f = popen("PATH=$PATH:/usr/sbin:/sbin bpftool map list -j 2>/dev/null", "r");
	char *out = NULL, *s;
	size_t len = 0, left = 0;

	assert_non_null(f);
	assert_true(getdelim(&out, &len, '\0', f) > 0);
	assert_int_equal(pclose(f), 0);
	for (s = out; (s = strstr(s, "\"id\":")); s += 5) {
		unsigned long id = strtoul(s + 5, NULL, 10);

		for (size_t i = 0; i < n; i++)
			left += ids[i] == id;
	}
	free(out);
	return left;
}

/* Prepared slots, born targets and watches hold maps: none is left once the recorder is freed. */
static void test_no_map_left(void **state)
{
	struct recorder_config cfg = {.ringbuf_bytes = 1 << 20, .discover = true, .prepared = 8};
	struct recorder *r = NULL;
	struct log log = {0};
	static uint32_t before[4096], ids[4096];
	struct itest_cg parent, kid;
	size_t nb, n = 0, left = 0;

	itest__require_bpf(&g);
	/* Maps held before (a failed test's recorder) are not this recorder's. */
	nb = own_map_ids(before, sizeof(before) / sizeof(before[0]));
	open_discovering(&cfg, &log, &r);
	itest__cg_create(&g, &parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 2), 0);
	itest__cg_mkdir(&g, &kid, parent.dir, "k");
	itest__drain(r);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, kid.id) >= 0);
	{
		size_t all = own_map_ids(ids, sizeof(ids) / sizeof(ids[0]));

		for (size_t i = 0; i < all; i++) {
			bool old = false;

			for (size_t j = 0; j < nb; j++)
				old |= before[j] == ids[i];
			if (!old)
				ids[n++] = ids[i];
		}
	}
	assert_true(n > 8); /* the program's maps and the prepared slots' */
	assert_int_equal(still_listed(ids, n), n);
	recorder__free(r);
	/* The kernel frees maps behind programs and outer maps after a grace period. */
	for (int i = 0; i < 100 && (left = still_listed(ids, n)); i++)
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	assert_int_equal(left, 0);
	itest__cg_remove(&kid);
	itest__cg_remove(&parent);
	log_free(&log);
}

static int group_setup(void **state)
{
	return itest__group_setup(&g, "watch");
}

static int group_teardown(void **state)
{
	itest__group_teardown(&g);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_three_children),
		cmocka_unit_test(test_attribution_follows_the_task),
		cmocka_unit_test(test_capacity_refusals_are_counted),
		cmocka_unit_test(test_all_attributes_per_cgroup),
		cmocka_unit_test(test_refusals_and_listing),
		cmocka_unit_test(test_no_map_left),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
