// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Removing what extract__zip() made, at any depth. nftw() and rm -r take paths, which stop at
 * PATH_MAX while an archive's names run to 65,535 bytes; and one descriptor per level would stop
 * at the descriptor limit. So one directory is open at a time: each level lists its
 * subdirectories once, goes down into them by name, and comes back up through "..", checked
 * against the directory it left, so a directory moved meanwhile is not followed elsewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "util.h"

struct level {
	char **subs; /* subdirectories still to remove */
	size_t nsubs, cap, next;
	dev_t dev;
	ino_t ino;
};

static void level_free(struct level *l)
{
	for (size_t i = 0; i < l->nsubs; i++)
		free(l->subs[i]);
	free(l->subs);
}

/* Unlink everything in fd but directories, which go to l->subs. 0 or -errno. */
static int level_scan(int fd, struct level *l)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, err = 0;

	memset(l, 0, sizeof(*l));
	/* Ours to remove, whatever mode the archive gave it (0555 would refuse the unlinks). */
	if (fstat(fd, &st) || fchmod(fd, 0700))
		return -errno;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	dfd = dup(fd);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while (!err) {
		bool dir;

		errno = 0;
		de = readdir(d);
		if (!de) {
			err = -errno;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			dir = !fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
			      S_ISDIR(st.st_mode);
		if (!dir) {
			if (unlinkat(fd, de->d_name, 0) && errno != ENOENT)
				err = -errno;
			continue;
		}
		err = slz_grow((void **)&l->subs, &l->cap, l->nsubs + 1, sizeof(*l->subs));
		if (!err && !(l->subs[l->nsubs++] = strdup(de->d_name)))
			err = -ENOMEM;
	}
	closedir(d);
	return err;
}

/* Open subdirectory name of fd, which the archive may have left without any permission. */
static int open_sub(int fd, const char *name)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int sub = openat(fd, name, flags);

	if (sub < 0 && errno == EACCES && !fchmodat(fd, name, 0700, AT_SYMLINK_NOFOLLOW))
		sub = openat(fd, name, flags);
	return sub < 0 ? -errno : sub;
}

int extract__remove(const char *dir)
{
	struct level *lv = NULL;
	size_t depth = 0, cap = 0;
	struct stat st;
	int fd, up, err;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : slz_fail(errno, "cannot remove %s: %s", dir, strerror(errno));
	err = slz_grow((void **)&lv, &cap, 1, sizeof(*lv));
	if (!err)
		err = level_scan(fd, &lv[depth++]);
	while (!err) {
		struct level *l = &lv[depth - 1];

		if (l->next < l->nsubs) {
			int sub = open_sub(fd, l->subs[l->next]);

			if (sub < 0) {
				err = sub;
				break;
			}
			close(fd);
			fd = sub;
			err = slz_grow((void **)&lv, &cap, depth + 1, sizeof(*lv));
			if (!err)
				err = level_scan(fd, &lv[depth++]);
			continue;
		}
		if (depth == 1)
			break;
		/* Empty now: back to the parent, the very one we came from, to remove it. */
		up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &st) || st.st_dev != lv[depth - 2].dev ||
		    st.st_ino != lv[depth - 2].ino) {
			err = up < 0 ? -errno : -ESTALE;
			if (up >= 0)
				close(up);
			break;
		}
		close(fd);
		fd = up;
		level_free(l);
		depth--;
		l = &lv[depth - 1];
		if (unlinkat(fd, l->subs[l->next++], AT_REMOVEDIR) && errno != ENOENT)
			err = -errno;
	}
	close(fd);
	while (depth)
		level_free(&lv[--depth]);
	free(lv);
	if (!err && rmdir(dir) && errno != ENOENT)
		err = -errno;
	if (err && err != -ENOMEM)
		return slz_fail(err, "cannot remove %s: %s (remove it by hand)", dir,
				strerror(-err));
	return err;
}
