// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ELF closure rule on hostile files. The input becomes bin/prog of a temp tree, and also
 * lib/libx.so.1 (reached through the links lib/libx.so and lib/libdso.so.2) and
 * lib64/ld-linux-x86-64.so.2, so its DT_NEEDED, RPATH/RUNPATH, PT_INTERP and SONAME lookups find
 * candidates that are as hostile as itself; a copy lies beside the tree too, where an absolute
 * RPATH may point. Oracle: the rules finish (no crash, no bad read under ASan/UBSan, no endless
 * rounds), and the tree and what lies beside it are as they were.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"

static int put(const char *top, const char *rel, const uint8_t *data, size_t size)
{
	char p[512];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return -1;
	n = write(fd, data, size);
	close(fd);
	return n == (ssize_t)size ? 0 : -1;
}

static int mkdirs(const char *top, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	return mkdir(p, 0755);
}

static int link_at(const char *top, const char *rel, const char *target)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	return symlink(target, p);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Names in top other than "tree" and "outside": there must be none. */
static int strangers(const char *top)
{
	DIR *d = opendir(top);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		     strcmp(de->d_name, "tree") && strcmp(de->d_name, "outside");
	if (d)
		closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char top[] = "/dev/shm/slz-fuzz-elf.XXXXXX", root[64];
	struct tree *t = NULL, *again = NULL;
	struct keepset *k = NULL;
	struct rules_stats st = {0};
	struct rules_opts ro = {.off = RULES_ALL_OFF & ~(1u << rules__find("elf"))};
	int64_t prog;
	int err;

	if (size > (1u << 20) || !mkdtemp(top))
		return 0;
	snprintf(root, sizeof(root), "%s/tree", top);
	if (mkdirs(top, "tree") || mkdirs(top, "tree/bin") || mkdirs(top, "tree/lib") ||
	    mkdirs(top, "tree/lib64") || mkdirs(top, "outside") || mkdirs(top, "outside/lib") ||
	    put(top, "tree/bin/prog", data, size) || put(top, "tree/lib/libx.so.1", data, size) ||
	    put(top, "tree/lib64/ld-linux-x86-64.so.2", data, size) ||
	    put(top, "outside/lib/libx.so.1", data, size) ||
	    link_at(top, "tree/lib/libx.so", "libx.so.1") ||
	    link_at(top, "tree/lib/libdso.so.2", "libx.so.1"))
		goto out;
	if (tree__open(root, NULL, &t) || keepset__new(t, &k))
		goto out;
	prog = tree__find_path(t, "bin/prog");
	if (prog < 0 || keepset__add(k, (uint32_t)prog, KEEP_OPENED, 1, "prog"))
		goto out;
	err = rules__apply(k, &ro, &st);
	/* Every round that goes on adds an entry: not settling is a bug, whatever the input. */
	if (err == -ELOOP)
		abort();
	/* Rules only read: the tree and its neighbourhood are as they were. */
	if (strangers(top) || tree__open(root, NULL, &again) ||
	    tree__count(again) != tree__count(t))
		abort();
out:
	keepset__free(k);
	tree__free(t);
	tree__free(again);
	nftw(top, rm_entry, 16, FTW_PHYS | FTW_DEPTH);
	return 0;
}
