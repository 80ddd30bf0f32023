// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading a tree file without ever leaving the tree, whatever was swapped in since the walk. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "tree.h"

/* What a file is opened with: O_NONBLOCK keeps a fifo swapped in from blocking the open. */
#define FILE_FLAGS (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)
#define DIR_FLAGS  (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY)

/*
 * Without openat2 (before 5.6, or under a seccomp filter): walk the path one component at a
 * time, each opened with O_NOFOLLOW relative to the one before, so no link is ever followed
 * and no "." or ".." is accepted (tree paths have none); the last one with last_flags, the
 * others as directories. fd or -errno.
 */
static int open_by_components(int root_fd, const char *relpath, int last_flags)
{
	char name[NAME_MAX + 1];
	const char *p = relpath;
	int dirfd = root_fd, fd = -EINVAL;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		int flags = slash ? DIR_FLAGS : last_flags;

		if (!len || len > NAME_MAX ||
		    (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.')))) {
			fd = -EINVAL;
			if (dirfd != root_fd)
				close(dirfd);
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		fd = openat(dirfd, name, flags);
		if (fd < 0)
			fd = -errno;
		if (dirfd != root_fd)
			close(dirfd);
		if (fd < 0 || !slash)
			break;
		dirfd = fd;
		p = slash + 1;
	}
	return fd;
}

/*
 * fd is what was opened for (dev, ino): still that regular file? fd or -ESTALE; *st is its
 * fstat. O_NONBLOCK only kept a swapped-in fifo from blocking the open; with clear, it is taken
 * off again (both openers set no other flag F_SETFL changes: O_APPEND, O_ASYNC, O_DIRECT,
 * O_NOATIME, so 0 clears just it, without asking F_GETFL first).
 */
static int checked(int fd, uint64_t dev, uint64_t ino, bool clear, struct stat *st)
{
	if (fd < 0)
		return fd;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_ino != ino || st->st_dev != dev) {
		close(fd);
		return -ESTALE;
	}
	if (clear)
		fcntl(fd, F_SETFL, 0);
	return fd;
}

int tree__open_beneath_walk(int root_fd, const char *relpath, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return checked(open_by_components(root_fd, relpath, FILE_FLAGS), dev, ino, true, &st);
}

/*
 * relpath beneath root_fd with flags, no symlink followed on the way: openat2, else (see
 * open_by_components) one component at a time. fd or -errno.
 */
static int open_beneath(int root_fd, const char *relpath, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root_fd, relpath, &how, sizeof(how));

	/*
	 * ENAMETOOLONG: the kernel takes a path of PATH_MAX bytes or more in no single call, while
	 * the walk indexes any depth; one component at a time, every call stays short.
	 */
	if (fd < 0 &&
	    (errno == ENOSYS || errno == EPERM || errno == E2BIG || errno == ENAMETOOLONG))
		return open_by_components(root_fd, relpath, flags);
	return fd < 0 ? -errno : fd;
}

int tree__open_beneath(int root_fd, const char *relpath, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return checked(open_beneath(root_fd, relpath, FILE_FLAGS), dev, ino, true, &st);
}

int tree__open_beneath_nonblock(int root_fd, const char *relpath, uint64_t dev, uint64_t ino,
				struct stat *st)
{
	return checked(open_beneath(root_fd, relpath, FILE_FLAGS), dev, ino, false, st);
}

int tree__open_dir_beneath(int root_fd, const char *relpath, bool walk)
{
	int fd;

	if (!*relpath) {
		fd = openat(root_fd, ".", DIR_FLAGS);
		return fd < 0 ? -errno : fd;
	}
	return walk ? open_by_components(root_fd, relpath, DIR_FLAGS)
		    : open_beneath(root_fd, relpath, DIR_FLAGS);
}
