// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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
#include <unistd.h>

#include <bpf/bpf.h>

#include "cgroup.h"
#include "itest.h"
#include "launch.h"
#include "testfs.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int itest__beside_exe(char *out, size_t len, const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -1;
	self[n] = '\0';
	if ((size_t)snprintf(out, len, "%s/%s", dirname(self), name) >= len)
		return -1;
	return 0;
}

int itest__group_setup(struct itest_group *g, const char *tag)
{
	char *mnt = NULL, *root = NULL;

	memset(g, 0, sizeof(*g));
	if (itest__beside_exe(g->helper, sizeof(g->helper), "rec_helper"))
		return -1;
	testfs__mkdtemp(g->tmp, sizeof(g->tmp), tag);
	if (geteuid() != 0)
		g->why_unusable = "not root";
	else if (recorder__check_support())
		g->why_unusable = "no BPF support";
	else if (cgroup__v2_mount(&mnt, &root) ||
		 cgroup__self_dir(mnt, root, testfs__slurp("/proc/self/cgroup"), &g->cg_parent))
		g->why_unusable = "no cgroup v2";
	free(mnt);
	free(root);
	return 0;
}

void itest__group_teardown(struct itest_group *g)
{
	/* Last first: a failed test may leave children in the cgroups it made before them. */
	for (size_t i = ARRAY_LEN(g->made); i-- > 0;) {
		if (g->made[i])
			cgroup__destroy(g->made[i]); /* kills what a failed test left running */
	}
	if (g->tmp[0])
		testfs__rmtree(g->tmp);
	free(g->cg_parent);
	g->cg_parent = NULL;
}

void itest__require(const char *why_unusable)
{
	const char *req = getenv("SLIMZIP_REQUIRE_BPF");

	if (!why_unusable)
		return;
	if (req && !strcmp(req, "1"))
		fail_msg("BPF test cannot run: %s (SLIMZIP_REQUIRE_BPF=1)", why_unusable);
	skip();
}

void itest__require_bpf(const struct itest_group *g)
{
	itest__require(g->cg_parent ? NULL : g->why_unusable ? g->why_unusable : "no setup");
}

void itest__remember(struct itest_group *g, char *dir)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(g->made) && g->made[i]; i++)
		;
	assert_true(i < ARRAY_LEN(g->made));
	g->made[i] = dir;
}

void itest__forget(struct itest_group *g, const char *dir)
{
	for (size_t i = 0; i < ARRAY_LEN(g->made); i++) {
		if (g->made[i] == dir)
			g->made[i] = NULL;
	}
}

char *itest__new_cgroup(struct itest_group *g, int *fd)
{
	char *dir = NULL;

	assert_int_equal(cgroup__create(g->cg_parent, &dir, fd), 0);
	itest__remember(g, dir);
	return dir;
}

void itest__drop_cgroup(struct itest_group *g, char *dir, int fd)
{
	assert_int_equal(cgroup__destroy(dir), 0);
	itest__forget(g, dir);
	close(fd);
	free(dir);
}

void itest__cg_create(struct itest_group *g, struct itest_cg *c)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	c->dir = itest__new_cgroup(g, &c->fd);
	assert_int_equal(cgroup__id(c->dir, &c->id), 0);
}

void itest__cg_mkdir(struct itest_group *g, struct itest_cg *c, const char *parent,
		     const char *name)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	assert_true(asprintf(&c->dir, "%s/%s", parent, name) > 0);
	if (mkdir(c->dir, 0755))
		fail_msg("mkdir %s: %s", c->dir, strerror(errno));
	itest__remember(g, c->dir);
	c->fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(c->fd >= 0);
	assert_int_equal(cgroup__id(c->dir, &c->id), 0);
}

void itest__run_in(struct itest_cg *c, char *const *args)
{
	char *argv[9] = {c->g->helper};
	struct launch_opts lo = {.argv = argv, .cgroup_fd = c->fd};
	int status;
	int i;

	for (i = 0; args[i]; i++) {
		assert_true(i + 2 < (int)ARRAY_LEN(argv));
		argv[i + 1] = args[i];
	}
	assert_true(c->nrun < (int)ARRAY_LEN(c->pids));
	assert_int_equal(launch__start(&lo, &c->pids[c->nrun], &c->pidfds[c->nrun], &status), 0);
	c->nrun++;
}

void itest__run_many(struct itest_cg *c, const char *op, const char *prefix, int n, const char *go)
{
	itest__run_many_from(c, op, prefix, 0, n, go);
}

void itest__run_many_from(struct itest_cg *c, const char *op, const char *prefix, int first, int n,
			  const char *go)
{
	char num[16], from[16];

	snprintf(num, sizeof(num), "%d", n);
	snprintf(from, sizeof(from), "%d", first);
	itest__run_in(c, (char *[]){"many", c->g->tmp, (char *)op, (char *)prefix, num, (char *)go,
				    from, NULL});
}

void itest__run_open(struct itest_cg *c, const char *name)
{
	itest__run_in(c, (char *[]){"open", c->g->tmp, (char *)name, NULL});
}

void itest__finish(struct itest_cg *c)
{
	for (int i = 0; i < c->nrun; i++) {
		int status = -1;

		if (c->pidfds[i] < 0)
			continue; /* waited for already */
		assert_int_equal(launch__wait(c->pidfds[i], &status), 0);
		assert_int_equal(status, 0);
		close(c->pidfds[i]);
		c->pidfds[i] = -1;
	}
}

void itest__cg_remove(struct itest_cg *c)
{
	itest__finish(c);
	assert_int_equal(cgroup__destroy(c->dir), 0);
	itest__forget(c->g, c->dir);
	close(c->fd);
	free(c->dir);
	c->dir = NULL;
}

void itest__drain(struct recorder *r)
{
	int n;

	while ((n = recorder__consume(r)) > 0)
		;
	assert_int_equal(n, 0);
}

void itest__make_files(const char *dir, const char *prefix, int n)
{
	char name[64];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		testfs__write(dir, name, "x");
	}
}

const struct profile_entry *itest__entry_of(const struct profile *p, const char *dir,
					    const char *name)
{
	char path[PATH_MAX];

	testfs__path(path, sizeof(path), dir, name);
	return profile__find_path(p, path);
}

size_t itest__count_prefixed(const struct profile *p, const char *dir, const char *prefix)
{
	char head[PATH_MAX];
	size_t n = 0;

	testfs__path(head, sizeof(head), dir, prefix);
	for (size_t i = 0; i < profile__count(p); i++)
		n += !strncmp(profile__entry(p, i)->path, head, strlen(head));
	return n;
}

void itest__expect_set(const struct profile *p, const char *dir, const char *prefix, int n,
		       uint32_t kinds)
{
	char name[64];

	for (int i = 0; i < n; i++) {
		const struct profile_entry *e;

		snprintf(name, sizeof(name), "%s%d", prefix, i);
		e = itest__entry_of(p, dir, name);
		if (!e || e->kinds != kinds)
			fail_msg("%s: %s", name, e ? "wrong kind" : "not in the profile");
	}
	assert_int_equal(itest__count_prefixed(p, dir, prefix), n);
}

/* The name of the program a link fd of ours runs, from its fdinfo's prog_id. */
static int link_prog_name(int fd, char *name, size_t size)
{
	char path[64], line[256];
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);
	unsigned int id = 0;
	int pfd, err;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "prog_id: %u", &id);
	fclose(f);
	if (!id)
		return -ENOENT;
	pfd = bpf_prog_get_fd_by_id(id);
	if (pfd < 0)
		return pfd;
	err = bpf_obj_get_info_by_fd(pfd, &info, &len);
	close(pfd);
	if (err)
		return err;
	snprintf(name, size, "%s", info.name);
	return 0;
}

int itest__links_of(const char *prog)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[PATH_MAX], target[64], name[32];
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:bpf_link"))
			continue;
		if (!link_prog_name(atoi(e->d_name), name, sizeof(name)) && !strcmp(name, prog))
			n++;
	}
	closedir(d);
	return n;
}
