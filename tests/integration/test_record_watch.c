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
#include <fcntl.h>
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

static char helper[PATH_MAX], tmp[PATH_MAX];
static char *cg_parent; /* this process's own cgroup: the tests' cgroups are made below it */
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

/* A cgroup a test made, and the workloads it started in it. */
struct cg {
	char *dir;
	int fd;
	uint64_t id;
	pid_t pids[4];
	int pidfds[4];
	int nrun;
};

/* Every cgroup a test made and has not removed yet: a failed test leaves none behind. */
static char *made[32];

static void remember(char *dir)
{
	size_t i;

	for (i = 0; i < sizeof(made) / sizeof(made[0]) && made[i]; i++)
		;
	assert_true(i < sizeof(made) / sizeof(made[0]));
	made[i] = dir;
}

static void forget(const char *dir)
{
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		if (made[i] == dir)
			made[i] = NULL;
	}
}

/* A "slimzip-PID-N" cgroup below this process's own (owned, as recorder__record's are). */
static void cg_create(struct cg *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(cgroup__create(cg_parent, &c->dir, &c->fd), 0);
	remember(c->dir);
	assert_int_equal(cgroup__id(c->dir, &c->id), 0);
}

/* A child cgroup NAME of parent, made by mkdir as a job runner would. */
static void cg_mkdir(struct cg *c, const char *parent, const char *name)
{
	memset(c, 0, sizeof(*c));
	assert_true(asprintf(&c->dir, "%s/%s", parent, name) > 0);
	if (mkdir(c->dir, 0755))
		fail_msg("mkdir %s: %s", c->dir, strerror(errno));
	remember(c->dir);
	c->fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(c->fd >= 0);
	assert_int_equal(cgroup__id(c->dir, &c->id), 0);
}

/* rec_helper ARGS... started inside c. */
static void run_in(struct cg *c, char *const *args)
{
	char *argv[8] = {helper};
	struct launch_opts lo = {.argv = argv, .cgroup_fd = c->fd};
	int status;

	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	assert_true(c->nrun < 4);
	assert_int_equal(launch__start(&lo, &c->pids[c->nrun], &c->pidfds[c->nrun], &status), 0);
	c->nrun++;
}

static void run_many(struct cg *c, const char *op, const char *prefix, int n, const char *go)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", n);
	run_in(c, (char *[]){"many", tmp, (char *)op, (char *)prefix, num, (char *)go, NULL});
}

static void run_open(struct cg *c, const char *name)
{
	run_in(c, (char *[]){"open", tmp, (char *)name, NULL});
}

/* Wait for every workload started in c so far; each must succeed. */
static void finish(struct cg *c)
{
	for (int i = 0; i < c->nrun; i++) {
		int status = -1;

		if (c->pidfds[i] <= 0)
			continue;
		assert_int_equal(launch__wait(c->pidfds[i], &status), 0);
		assert_int_equal(status, 0);
		close(c->pidfds[i]);
		c->pidfds[i] = -1;
	}
}

/* Finish its workloads and remove it (an empty cgroup: rmdir, as its owner would). */
static void cg_remove(struct cg *c)
{
	finish(c);
	assert_int_equal(cgroup__destroy(c->dir), 0);
	forget(c->dir);
	close(c->fd);
	free(c->dir);
	c->dir = NULL;
}

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
	struct cg parent, kid[3];
	char tail[PATH_MAX];
	uint64_t refused = 1;

	require_bpf();
	make_files("wb-", NB);
	make_files("wc-", NC);
	open_discovering(&cfg, &log, &r);
	cg_create(&parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 7), 0);
	assert_int_equal(recorder__add_watch(r, parent.dir, 8), -EEXIST);
	assert_int_equal(recorder__add_watch(r, cg_parent, 7), -EEXIST);
	for (int i = 0; i < 3; i++)
		cg_mkdir(&kid[i], parent.dir, names[i]);
	run_many(&kid[0], "open", "wa-", NA, "go-w3");
	run_many(&kid[1], "stat", "wb-", NB, "go-w3");
	run_many(&kid[2], "access", "wc-", NC, "go-w3");
	testfs__write(tmp, "go-w3", "");
	for (int i = 0; i < 3; i++)
		cg_remove(&kid[i]);
	drain(r);

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

		expect_set(pa, "wa-", NA, CREATED);
		expect_set(pb, "wb-", NB, SLZ_KIND_STAT);
		expect_set(pc, "wc-", NC, SLZ_KIND_ACCESS);
		assert_int_equal(count_prefixed(pa, "wb-") + count_prefixed(pa, "wc-"), 0);
		assert_int_equal(count_prefixed(pb, "wa-") + count_prefixed(pb, "wc-"), 0);
		assert_int_equal(count_prefixed(pc, "wa-") + count_prefixed(pc, "wb-"), 0);
		assert_int_equal(profile__header_const(pa)->lost_events, 0);
	}
	assert_int_equal(recorder__stale_events(r), 0);
	assert_int_equal(recorder__refused(r, 7, &refused), 0);
	assert_int_equal(refused, 0);
	assert_int_equal(recorder__remove_watch(r, 7), 0);
	assert_int_equal(recorder__remove_watch(r, 7), -ENOENT);
	assert_int_equal(recorder__refused(r, 7, &refused), -ENOENT);
	cg_remove(&parent);
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
	struct cg parent, a, b, sub;
	uint32_t slots[2];

	require_bpf();
	testfs__write(tmp, "mv-a.txt", "a");
	testfs__write(tmp, "mv-b.txt", "b");
	testfs__write(tmp, "sub.txt", "s");
	open_discovering(&cfg, &log, &r);
	cg_create(&parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 1), 0);
	cg_mkdir(&a, parent.dir, "a");
	cg_mkdir(&b, parent.dir, "b");
	cg_mkdir(&sub, a.dir, "sub");
	run_in(&a, (char *[]){"move", tmp, "mv-a.txt", b.dir, "mv-b.txt", NULL});
	finish(&a);
	run_open(&sub, "sub.txt");
	finish(&sub);
	drain(r);

	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, a.id) >= 0);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, b.id) >= 0);
	assert_int_equal(logged_of(&log, RECORDER_CGROUP_BORN, sub.id), -1);
	assert_int_equal(recorder__find_target(r, sub.id, &slots[0]), -ENOENT);
	assert_int_equal(recorder__find_target(r, a.id, &slots[0]), 0);
	assert_int_equal(recorder__find_target(r, b.id, &slots[1]), 0);
	assert_int_equal(recorder__profiles(r, slots, 2, p), 0);
	assert_non_null(entry_of(p[0], "mv-a.txt"));
	assert_non_null(entry_of(p[0], "sub.txt"));
	assert_null(entry_of(p[0], "mv-b.txt"));
	assert_non_null(entry_of(p[1], "mv-b.txt"));
	assert_null(entry_of(p[1], "mv-a.txt"));
	assert_null(entry_of(p[1], "sub.txt"));
	profile__free(p[0]);
	profile__free(p[1]);
	cg_remove(&sub);
	cg_remove(&a);
	cg_remove(&b);
	drain(r);
	assert_true(logged_of(&log, RECORDER_CGROUP_ENDED, a.id) >= 0);
	assert_true(logged_of(&log, RECORDER_CGROUP_ENDED, b.id) >= 0);
	cg_remove(&parent);
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
	struct cg parent, kid[4];
	uint64_t refused = 0;
	uint32_t slot;
	int b;

	require_bpf();
	testfs__write(tmp, "cap.txt", "c");
	open_discovering(&cfg, &log, &r);
	cg_create(&parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 3), 0);
	cg_mkdir(&kid[0], parent.dir, "c0");
	cg_mkdir(&kid[1], parent.dir, "c1");
	cg_mkdir(&kid[2], parent.dir, "c2");
	drain(r);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, kid[0].id) >= 0);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, kid[1].id) >= 0);
	assert_int_equal(logged_of(&log, RECORDER_CGROUP_BORN, kid[2].id), -1);
	assert_int_equal(recorder__refused(r, 3, &refused), 0);
	assert_int_equal(refused, 1);
	assert_int_equal(recorder__add_target(r, parent.id, &slot), -ENOSPC);

	/* A slot given back is prepared again: the next child is a target, and records. */
	b = logged_of(&log, RECORDER_CGROUP_BORN, kid[0].id);
	assert_int_equal(recorder__remove_target(r, log.v[b].slot), 0);
	cg_mkdir(&kid[3], parent.dir, "c3");
	run_open(&kid[3], "cap.txt");
	finish(&kid[3]);
	cg_remove(&kid[3]);
	drain(r);
	b = logged_of(&log, RECORDER_CGROUP_ENDED, kid[3].id);
	assert_true(b >= 0);
	assert_non_null(entry_of(log.v[b].p, "cap.txt"));
	assert_int_equal(recorder__refused(r, 3, &refused), 0);
	assert_int_equal(refused, 1);
	for (int i = 0; i < 3; i++)
		cg_remove(&kid[i]);
	cg_remove(&parent);
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
	struct cg x, y, z;
	uint32_t slots[2];
	uint64_t refused = 1;
	int b;

	require_bpf();
	testfs__write(tmp, "all-x.txt", "x");
	testfs__write(tmp, "all-y.txt", "y");
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
		remember(v1dir);
	}
	cg_create(&x);
	cg_create(&y);
	run_open(&x, "all-x.txt");
	run_open(&y, "all-y.txt");
	finish(&x);
	finish(&y);
	drain(r);
	b = logged_of(&log, RECORDER_CGROUP_BORN, x.id);
	assert_true(b >= 0);
	assert_int_equal(log.v[b].watch, RECORDER_WATCH_ALL);
	assert_true(logged_of(&log, RECORDER_CGROUP_BORN, y.id) >= 0);
	for (size_t i = 0; v1 && i < log.n; i++)
		assert_string_not_equal(log.v[i].name, v1name);
	assert_int_equal(recorder__find_target(r, x.id, &slots[0]), 0);
	assert_int_equal(recorder__find_target(r, y.id, &slots[1]), 0);
	assert_int_equal(recorder__profiles(r, slots, 2, p), 0);
	assert_non_null(entry_of(p[0], "all-x.txt"));
	assert_null(entry_of(p[0], "all-y.txt"));
	assert_non_null(entry_of(p[1], "all-y.txt"));
	assert_null(entry_of(p[1], "all-x.txt"));
	profile__free(p[0]);
	profile__free(p[1]);
	assert_int_equal(recorder__refused(r, RECORDER_WATCH_ALL, &refused), 0);
	assert_int_equal(refused, 0);

	assert_int_equal(recorder__set_all(r, false), 0);
	cg_create(&z);
	drain(r);
	assert_int_equal(logged_of(&log, RECORDER_CGROUP_BORN, z.id), -1);
	if (v1dir) {
		assert_int_equal(rmdir(v1dir), 0);
		forget(v1dir);
	}
	cg_remove(&x);
	cg_remove(&y);
	cg_remove(&z);
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
	struct cg parent, k1, k2, deep;

	require_bpf();
	cg_create(&parent);
	cg_mkdir(&k2, parent.dir, "k2");
	cg_mkdir(&k1, parent.dir, "k1");
	cg_mkdir(&deep, k1.dir, "deep");
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
	cg_remove(&deep);
	cg_remove(&k1);
	cg_remove(&k2);
	cg_remove(&parent);
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
	struct cg parent, kid;
	size_t nb, n = 0, left = 0;

	require_bpf();
	/* Maps held before (a failed test's recorder) are not this recorder's. */
	nb = own_map_ids(before, sizeof(before) / sizeof(before[0]));
	open_discovering(&cfg, &log, &r);
	cg_create(&parent);
	assert_int_equal(recorder__add_watch(r, parent.dir, 2), 0);
	cg_mkdir(&kid, parent.dir, "k");
	drain(r);
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
	cg_remove(&kid);
	cg_remove(&parent);
	log_free(&log);
}

static int group_setup(void **state)
{
	char self[PATH_MAX], *mnt = NULL, *root = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -1;
	self[n] = '\0';
	snprintf(helper, sizeof(helper), "%s/rec_helper", dirname(self));
	testfs__mkdtemp(tmp, sizeof(tmp), "watch");
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
	/* Deepest first: a failed test may leave children in the cgroups it made. */
	for (size_t i = sizeof(made) / sizeof(made[0]); i-- > 0;) {
		if (made[i])
			cgroup__destroy(made[i]);
	}
	testfs__rmtree(tmp);
	free(cg_parent);
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
