/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The deployment tree, walked once and indexed by relative path and by (dev, ino).
 * Symlinks are never followed during the walk; tree__resolve() follows them only while they
 * stay inside the tree.
 */
#ifndef SLIMZIP_TREE_H
#define SLIMZIP_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progress.h"

struct tree;

enum tree_entry_flags {
	TREE_F_UNREADABLE = 1u << 0,   /* could not be opened/listed: reported, not fatal */
	TREE_F_LINK_OUTSIDE = 1u << 1, /* symlink whose target leaves the tree (at tree__root()) */
	TREE_F_LINK_LOOP = 1u << 2,    /* symlink that loops or dangles inside the tree */
	TREE_F_SPECIAL = 1u << 3,      /* fifo, socket, device: never zipped */
};

/* A read-only view of one entry; strings stay valid until tree__free(). */
struct tree_entry {
	const char *path;	 /* relative to the root, no leading '/', "" for the root itself */
	const char *link_target; /* readlink() text for symlinks, else NULL */
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t mode; /* st_mode, type bits included */
	uint32_t nlink;
	uint32_t parent; /* index of the containing directory; the root is its own parent */
	uint32_t flags;	 /* TREE_F_* */
};

/*
 * Options of tree__open, versioned by size like libbpf's: set sz to sizeof(struct tree_opts)
 * (TREE_OPTS does), and fields a caller's older struct lacks are taken as zero.
 */
struct tree_opts {
	size_t sz;
	/*
	 * The absolute path the tree had when the workload ran (e.g. "/var/task"), when it is not
	 * the tree's own path: paths under it name tree entries, in profiles, link targets and
	 * files' contents alike. NULL or "": the tree's realpath.
	 */
	const char *recorded_at;
	/* Entries indexed so far, after each directory listed (phase "walking tree"); NULL. */
	const struct slz_progress *progress;
	/*
	 * lstat every entry as it is listed, on the calling thread, as the walk does for entries
	 * whose type the listing does not give (DT_UNKNOWN); by default regular files are lstat-ed
	 * after the listing, by one thread per CPU. The index is the same either way (tests).
	 */
	bool lstat_inline;
};

#define TREE_OPTS(name, ...) struct tree_opts name = {.sz = sizeof(struct tree_opts), __VA_ARGS__}

/* Walk and index root. o may be NULL. 0, or -errno (-EINVAL for a relative recorded_at). */
int tree__open(const char *root, const struct tree_opts *o, struct tree **out);
void tree__free(struct tree *t); /* NULL-safe */
/* realpath() of the root given to tree__open, no trailing '/'. */
const char *tree__root(const struct tree *t);
/*
 * Where the tree was recorded: tree_opts.recorded_at with "//", "." and trailing '/' cleaned
 * away, or tree__root() when none was given. Paths under either name the tree.
 */
const char *tree__recorded_at(const struct tree *t);
size_t tree__count(const struct tree *t);
/*
 * Index 0 is the root directory. Entries are sorted by path bytes (strcmp order), so a
 * directory always comes before its contents (parent < idx for every idx > 0) and iterating
 * indexes gives the zip order.
 */
int tree__get(const struct tree *t, uint32_t idx, struct tree_entry *out);
/* Exact relative path (no leading '/', no trailing '/'): index or -ENOENT. */
int64_t tree__find_path(const struct tree *t, const char *relpath);
/* First entry with this identity (hard links share one): index or -ENOENT. */
int64_t tree__find_inode(const struct tree *t, uint64_t dev, uint64_t ino);
/*
 * Resolve relpath component by component, following symlinks that stay inside the tree (and
 * the last component too when follow_last): an absolute link target under tree__root() or
 * tree__recorded_at() is inside. Index, -ENOENT, or -EXDEV when a link leaves the tree, -ELOOP
 * on a loop.
 * Like the kernel: ".." after a link goes to the physical parent, "." and "//" are skipped, a
 * trailing '/' follows a final link and demands a directory (-ENOTDIR otherwise, also for a
 * non-directory in the middle). ".." above the root is -EXDEV (never clamped), and a leading '/'
 * in relpath means the tree root. At most SLZ_LINK_HOPS_MAX links are followed, as the kernel
 * does.
 */
int64_t tree__resolve(const struct tree *t, const char *relpath, bool follow_last);

struct idxvec;

struct tree_resolve_opts {
	bool follow_last;
	/*
	 * Absolute link targets count as inside the tree under tree__root() only, not under
	 * tree__recorded_at(): for the tree as it is on this machine (its own flags, verify's runs
	 * on it).
	 */
	bool at_real_path;
	/* When not NULL, every symlink crossed is appended to it, in order. */
	struct idxvec *links;
};

/* tree__resolve() with options; o NULL is tree__resolve(t, relpath, false). */
int64_t tree__resolve_opts(const struct tree *t, const char *relpath,
			   const struct tree_resolve_opts *o);
/*
 * Hard links: the next entry (in index order, after idx) with the same (dev, ino) as idx, or
 * -ENOENT. Start from tree__find_inode() to visit every path of one inode.
 */
int64_t tree__next_link(const struct tree *t, uint32_t idx);
/*
 * Open relpath beneath root_fd for reading without following a symlink anywhere on the way (a
 * directory swapped for a link after the walk must not lead out of the tree) and check that it
 * is still the regular file the walk indexed. fd, -ESTALE when (dev, ino) or the type changed,
 * or -errno. Every reader of tree files goes through here.
 */
int tree__open_beneath(int root_fd, const char *relpath, uint64_t dev, uint64_t ino);
/*
 * The same, with the file's fstat in *st, and O_NONBLOCK left on: two syscalls fewer for a
 * reader that has the stat to check anyway and handles EAGAIN (no regular file of a local
 * file system gives it; one that does, a FUSE file say, needs fcntl(fd, F_SETFL, 0) and the
 * read again). The zip's readers, once per kept file.
 */
struct stat;
int tree__open_beneath_nonblock(int root_fd, const char *relpath, uint64_t dev, uint64_t ino,
				struct stat *st);
/*
 * The same without openat2, one O_NOFOLLOW component at a time: what tree__open_beneath()
 * falls back to on kernels before 5.6, under seccomp filters and for paths of PATH_MAX bytes or
 * more, which the walk indexes but no single open can take (and what tests call to check that
 * path on any kernel).
 */
int tree__open_beneath_walk(int root_fd, const char *relpath, uint64_t dev, uint64_t ino);
/*
 * Open the directory relpath ("" is root_fd's own) beneath root_fd for listing, following no
 * symlink anywhere on the way, as tree__open_beneath() does for files: the walk reopens
 * directories this way, so one swapped for a link since cannot lead it out of the tree. walk:
 * the component-at-a-time path tree__open_beneath_walk() takes (for tests). fd or -errno.
 */
int tree__open_dir_beneath(int root_fd, const char *relpath, bool walk);

/* Sum of sizes of regular files, and how many there are. */
void tree__totals(const struct tree *t, uint64_t *files, uint64_t *bytes);
/* Bytes of memory the index uses (for the benchmark). */
size_t tree__memory(const struct tree *t);

#endif
