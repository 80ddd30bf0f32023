/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the recorder's integration tests share: the group's fixture (rec_helper's path, a temp
 * directory, the cgroup the tests make theirs below, why they cannot run), the cgroups a test
 * made (destroyed at teardown when a failed test left them), rec_helper workloads started in a
 * cgroup, draining the ring, files made, entries found, the BPF links of this process. Every
 * helper fails the running cmocka test on error.
 */
#ifndef SLIMZIP_ITEST_H
#define SLIMZIP_ITEST_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"
#include "recorder.h"

#define ITEST_MADE_MAX 32

/*
 * A cmocka group's fixture, filled by itest__group_setup and released by
 * itest__group_teardown: one per test file, and nothing of it lives in itest.c.
 */
struct itest_group {
	char helper[PATH_MAX]; /* rec_helper, beside the test executable */
	char tmp[PATH_MAX];    /* the group's temp directory, as its realpath */
	char *cg_parent;       /* this process's own cgroup: the tests' cgroups are made below it */
	const char *why_unusable; /* why the tests cannot run; NULL when they can */
	/* Every cgroup a test made and has not removed yet: a failed test leaves none behind. */
	char *made[ITEST_MADE_MAX];
};

/*
 * Fill g: helper, a temp directory $TMPDIR/slz-TAG-XXXXXX, and cg_parent when this process
 * is root, the kernel supports the recorder and cgroup v2 is mounted (else why_unusable
 * says which is missing). -1 when /proc/self/exe cannot be read (the group cannot start).
 */
int itest__group_setup(struct itest_group *g, const char *tag);
/* Destroy the cgroups left in made (last first: children before parents), remove tmp. */
void itest__group_teardown(struct itest_group *g);

/*
 * Return when why_unusable is NULL; otherwise skip the running test, or fail it when
 * SLIMZIP_REQUIRE_BPF=1 (CI), so a test that cannot run is not lost.
 */
void itest__require(const char *why_unusable);
/* itest__require for g's tests. */
void itest__require_bpf(const struct itest_group *g);
/* out = the directory of the test executable + "/" + name (rec_helper, a test DSO). */
int itest__beside_exe(char *out, size_t len, const char *name);

/* Note dir in g->made (at most ITEST_MADE_MAX at once), and forget it again. */
void itest__remember(struct itest_group *g, char *dir);
void itest__forget(struct itest_group *g, const char *dir);
/* A new "slimzip-PID-N" cgroup below g->cg_parent (cgroup__create), remembered; *fd is its fd. */
char *itest__new_cgroup(struct itest_group *g, int *fd);
/* Destroy a cgroup of itest__new_cgroup (it must succeed), forget it, close fd, free dir. */
void itest__drop_cgroup(struct itest_group *g, char *dir, int fd);

/* A cgroup a test made, and the rec_helper workloads it started in it. */
struct itest_cg {
	struct itest_group *g;
	char *dir;
	int fd;
	uint64_t id;
	pid_t pids[4];
	int pidfds[4];
	int nrun;
};

/* A "slimzip-PID-N" cgroup below g->cg_parent (owned, as recorder__record's are). */
void itest__cg_create(struct itest_group *g, struct itest_cg *c);
/* A child cgroup NAME of parent, made by mkdir as a job runner would. */
void itest__cg_mkdir(struct itest_group *g, struct itest_cg *c, const char *parent,
		     const char *name);
/* rec_helper ARGS... (at most 7) started inside c; at most 4 per cgroup until it is removed. */
void itest__run_in(struct itest_cg *c, char *const *args);
/* rec_helper many OP PREFIX N GO: OP on tmp/PREFIX0.. once tmp/GO exists. */
void itest__run_many(struct itest_cg *c, const char *op, const char *prefix, int n, const char *go);
/* The same on tmp/PREFIX<FIRST> .. tmp/PREFIX<FIRST+N-1>. */
void itest__run_many_from(struct itest_cg *c, const char *op, const char *prefix, int first, int n,
			  const char *go);
/* rec_helper open tmp/NAME. */
void itest__run_open(struct itest_cg *c, const char *name);
/* Wait for every workload started in c so far; each must succeed. */
void itest__finish(struct itest_cg *c);
/* Finish its workloads and remove it (an empty cgroup: rmdir, as its owner would). */
void itest__cg_remove(struct itest_cg *c);

/* Consume until the ring is empty; a consume error fails the test. */
void itest__drain(struct recorder *r);
/* dir/PREFIX0 .. dir/PREFIX(n-1), each holding "x". */
void itest__make_files(const char *dir, const char *prefix, int n);
/* p's entry for dir/name, or NULL. */
const struct profile_entry *itest__entry_of(const struct profile *p, const char *dir,
					    const char *name);
/* How many entries of p are files dir/PREFIX*. */
size_t itest__count_prefixed(const struct profile *p, const char *dir, const char *prefix);
/* p holds dir/PREFIX0 .. dir/PREFIX<n-1>, each with kinds, and no other dir/PREFIX entry. */
void itest__expect_set(const struct profile *p, const char *dir, const char *prefix, int n,
		       uint32_t kinds);

/*
 * How many bpf_link fds of this process run program prog (its name, as BTF cuts it: 15),
 * read from the kernel (/proc/self/fd, each link's fdinfo prog_id): other slimzips' links on
 * the host are not counted.
 */
int itest__links_of(const char *prog);

#endif
