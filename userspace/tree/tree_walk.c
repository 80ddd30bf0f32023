// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The walk behind tree__open (tree_internal.h), filling the entry array tree.c indexes.
 *
 * The walk is breadth first over the growing entry array: a directory is opened by its relative
 * path from the root fd (tree__open_dir_beneath: no symlink followed on the way, and checked
 * against the (dev, ino) lstat saw), so at most two descriptors are open at any time whatever
 * the depth. Nothing is ever followed.
 *
 * A regular file (d_type DT_REG) is listed first and stat-ed after the listing, by one thread
 * per CPU (at most WALK_THREADS), each taking whole directories, which it opens again (checked
 * against the (dev, ino) the walk saw) to fstatat its files by name: the lstat of every file is
 * most of a large tree's walk, and this way both cores share it. Everything the index holds
 * still comes from that lstat, never from the listing's d_ino (which differs from st_ino on
 * overlayfs and under a file mounted over another). Every other type, and DT_UNKNOWN (file
 * systems that do not fill d_type), is lstat-ed at once, as the walk needs to know directories
 * and read links.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"
#include "tree_internal.h"
#include "util.h"

/* Most threads the deferred stats use (the calling thread is one of them). */
#define WALK_THREADS	       4
/* Below this many deferred files, threads cost more than they save. */
#define WALK_THREADS_MIN_FILES 4096

/* Append a [+ '/' + b] + NUL to the arena; offsets stay valid across growth, pointers do not. */
static int arena_put(struct tree *t, const char *a, size_t alen, const char *b, size_t blen,
		     uint32_t *off)
{
	size_t need = alen + (alen && b ? 1 : 0) + blen + 1;
	size_t at = t->arena_len;
	bool inside = t->arena && a >= t->arena && a < t->arena + t->arena_len;
	size_t a_off = inside ? (size_t)(a - t->arena) : 0;
	int err;

	if (at + need > UINT32_MAX)
		return slz_fail(EFBIG,
				"tree paths exceed 4 GiB of text; the index cannot hold them");
	err = slz_grow((void **)&t->arena, &t->arena_cap, at + need, 1);
	if (err)
		return err;
	/* a may point into the arena itself (a directory's path): re-derive it after realloc. */
	if (inside)
		a = t->arena + a_off;
	memmove(t->arena + at, a, alen);
	if (alen && b)
		t->arena[at + alen++] = '/';
	if (blen)
		memcpy(t->arena + at + alen, b, blen);
	t->arena[at + alen + blen] = '\0';
	t->arena_len = at + need;
	*off = (uint32_t)at;
	return 0;
}

static int dev_index(struct tree *t, uint64_t dev, uint16_t *out)
{
	int err;

	for (size_t i = t->ndevs; i-- > 0;) {
		if (t->devs[i] == dev) {
			*out = (uint16_t)i;
			return 0;
		}
	}
	if (t->ndevs > UINT16_MAX)
		return slz_fail(EFBIG, "tree spans more than %u file systems", UINT16_MAX + 1);
	err = slz_grow((void **)&t->devs, &t->devs_cap, t->ndevs + 1, sizeof(*t->devs));
	if (err)
		return err;
	t->devs[t->ndevs] = dev;
	*out = (uint16_t)t->ndevs++;
	return 0;
}

static bool is_special(uint32_t mode)
{
	return S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) || S_ISBLK(mode);
}

/* The fields an entry takes from its lstat (the listing and the deferred stats alike). */
static void node_set_stat(struct node *n, const struct stat *st, uint32_t flags)
{
	n->ino = st->st_ino;
	n->size = st->st_size;
	n->mtime_sec = st->st_mtim.tv_sec;
	n->mtime_nsec = st->st_mtim.tv_nsec;
	n->mode = st->st_mode;
	n->nlink = st->st_nlink;
	n->flags = flags | (is_special(st->st_mode) ? TREE_F_SPECIAL : 0);
}

static int add_node(struct tree *t, uint32_t parent, const struct stat *st, uint32_t path_off,
		    uint32_t link_off, uint32_t flags)
{
	struct node *n;
	int err;

	if (t->count >= UINT32_MAX - 1)
		return slz_fail(EFBIG, "tree has more than %u entries", UINT32_MAX - 1);
	err = slz_grow((void **)&t->nodes, &t->cap, t->count + 1, sizeof(*t->nodes));
	if (err)
		return err;
	n = &t->nodes[t->count];
	memset(n, 0, sizeof(*n));
	err = dev_index(t, st->st_dev, &n->dev_idx);
	if (err)
		return err;
	node_set_stat(n, st, flags);
	n->parent = parent;
	n->path_off = path_off;
	n->link_off = link_off;
	t->count++;
	return 0;
}

/* Read a symlink's text into the arena; NO_LINK (and the entry flagged) when it cannot be read. */
static int read_link(struct tree *t, int dirfd, const char *name, const struct stat *st,
		     uint32_t *off, uint32_t *flags)
{
	/* st_size is the text length on most file systems but 0 on some (procfs): grow on demand.
	 */
	size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
	char *buf = NULL;
	ssize_t len;
	int err = 0;

	*off = NO_LINK;
	for (;;) {
		char *nbuf = realloc(buf, cap);

		if (!nbuf) {
			err = -ENOMEM;
			goto out;
		}
		buf = nbuf;
		len = readlinkat(dirfd, name, buf, cap);
		if (len < 0) {
			*flags |= TREE_F_UNREADABLE;
			goto out;
		}
		if ((size_t)len < cap)
			break;
		cap *= 2;
	}
	if (len == 0) {
		*flags |= TREE_F_UNREADABLE;
		goto out;
	}
	err = arena_put(t, buf, (size_t)len, NULL, 0, off);
out:
	free(buf);
	return err;
}

/*
 * May we read this regular file? Asked only when the mode bits leave some doubt, so a normal
 * tree costs no extra syscall; the kernel's answer covers root and capabilities alike. Never
 * through a symlink swapped in since the lstat (it could name any file of the system): a link
 * is asked about itself, and the read that follows (tree__open_beneath) refuses it.
 */
static bool file_readable(int dirfd, const char *name, const struct stat *st)
{
	if ((st->st_mode & 0444) == 0444)
		return true;
	return faccessat(dirfd, name, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == 0;
}

static int walk_dir(struct tree *t, int rootfd, uint32_t idx)
{
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	size_t dlen = strlen(node_path(t, idx));
	uint32_t first = (uint32_t)t->count;
	bool pending = false;
	int fd, err = 0;

	fd = tree__open_dir_beneath(rootfd, node_path(t, idx), false);
	if (fd < 0) {
		if (fd == -ENOMEM)
			return -ENOMEM;
		t->nodes[idx].flags |= TREE_F_UNREADABLE;
		return 0;
	}
	/* A directory swapped (for a symlink, say) between lstat and open is not the one we saw. */
	if (fstat(fd, &st) || st.st_ino != t->nodes[idx].ino ||
	    st.st_dev != t->devs[t->nodes[idx].dev_idx]) {
		close(fd);
		t->nodes[idx].flags |= TREE_F_UNREADABLE;
		return 0;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		uint32_t path_off, link_off = NO_LINK, flags = 0;
		size_t nlen;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			/* A listing cut short is reported on the directory, not fatal. */
			if (errno)
				t->nodes[idx].flags |= TREE_F_UNREADABLE;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_REG && !t->lstat_inline) {
			/* lstat-ed after the listing (stat_pending): only the type is known. */
			nlen = strlen(de->d_name);
			err = arena_put(t, node_path(t, idx), dlen, de->d_name, nlen, &path_off);
			if (err)
				goto out;
			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFREG;
			st.st_dev = t->devs[t->nodes[idx].dev_idx];
			err = add_node(t, idx, &st, path_off, NO_LINK, NODE_PENDING);
			if (err)
				goto out;
			pending = true;
			t->npending++;
			continue;
		}
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				continue; /* removed while we walked */
			/* Listed but not stat-able (e.g. a directory with r but no x): keep the
			 * name. */
			memset(&st, 0, sizeof(st));
			st.st_mode = de->d_type != DT_UNKNOWN ? DTTOIF(de->d_type) : S_IFREG;
			flags |= TREE_F_UNREADABLE;
		}
		if (S_ISLNK(st.st_mode) && !(flags & TREE_F_UNREADABLE)) {
			err = read_link(t, fd, de->d_name, &st, &link_off, &flags);
			if (err)
				goto out;
		} else if (S_ISREG(st.st_mode) && !(flags & TREE_F_UNREADABLE) &&
			   !file_readable(fd, de->d_name, &st)) {
			flags |= TREE_F_UNREADABLE;
		}
		nlen = strlen(de->d_name);
		err = arena_put(t, node_path(t, idx), dlen, de->d_name, nlen, &path_off);
		if (err)
			goto out;
		err = add_node(t, idx, &st, path_off, link_off, flags);
		if (err)
			goto out;
	}
	if (pending) {
		err = slz_grow((void **)&t->pend, &t->pend_cap, t->npend + 1, sizeof(*t->pend));
		if (err)
			goto out;
		t->pend[t->npend++] = (struct pending_dir){idx, first, (uint32_t)t->count};
	}
out:
	closedir(dir);
	return err;
}

/* The deferred lstats, shared by the threads that do them. */
struct stat_job {
	struct tree *t;
	int rootfd;
	atomic_size_t next;   /* the next t->pend to take */
	pthread_mutex_t lock; /* t->devs, for a file on another device than its directory */
	atomic_int err;
	/* The first failure's explanation: slz_fail's message is its own thread's. */
	char *msg;
};

/* A pending node filled from its lstat (or the zeroes of one that failed), as add_node does. */
static int fill_pending(struct stat_job *j, struct node *n, const struct stat *st, uint16_t dir_dev,
			uint64_t dir_devno, uint32_t flags)
{
	struct tree *t = j->t;
	uint16_t dev_idx = dir_dev;
	int err = 0;

	/* t->devs may move under another thread's dev_index: compare with the copy taken. */
	if ((uint64_t)st->st_dev != dir_devno) {
		pthread_mutex_lock(&j->lock);
		err = dev_index(t, st->st_dev, &dev_idx);
		pthread_mutex_unlock(&j->lock);
		if (err)
			return err;
	}
	n->dev_idx = dev_idx;
	node_set_stat(n, st, flags);
	return 0;
}

/*
 * lstat the pending files of one directory, opened again by its path (and checked to be the
 * directory the walk listed). A name that is no longer a regular file is indexed as what it is
 * now, flagged unreadable when it is a directory or link (neither listed nor read: the walk has
 * moved on); one that is gone leaves the index, as during the listing.
 */
static int stat_dir(struct stat_job *j, const struct pending_dir *pd)
{
	struct tree *t = j->t;
	const struct node *dn = &t->nodes[pd->dir];
	const char *dpath = t->arena + dn->path_off;
	size_t skip = *dpath ? strlen(dpath) + 1 : 0;
	struct stat st;
	uint64_t ddev;
	int fd, err = 0;

	/* Read under the lock: another thread may be growing (moving) t->devs. */
	pthread_mutex_lock(&j->lock);
	ddev = t->devs[dn->dev_idx];
	pthread_mutex_unlock(&j->lock);
	fd = tree__open_dir_beneath(j->rootfd, dpath, false);
	if (fd >= 0 && (fstat(fd, &st) || st.st_ino != dn->ino || (uint64_t)st.st_dev != ddev)) {
		close(fd);
		fd = -ESTALE;
	}
	if (fd == -ENOMEM)
		return -ENOMEM;
	for (uint32_t i = pd->first; i < pd->end && !err; i++) {
		struct node *n = &t->nodes[i];
		uint32_t flags = 0;

		if (!(n->flags & NODE_PENDING))
			continue;
		if (fd < 0 ||
		    fstatat(fd, t->arena + n->path_off + skip, &st, AT_SYMLINK_NOFOLLOW)) {
			if (fd >= 0 && errno == ENOENT) {
				n->flags = NODE_GONE;
				continue;
			}
			/* Listed but not stat-able (a directory with r but no x), or the directory
			 * itself replaced since: keep the name, as the walk always did. */
			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFREG;
			flags |= TREE_F_UNREADABLE;
		} else if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) {
			flags |= TREE_F_UNREADABLE;
		} else if (S_ISREG(st.st_mode) &&
			   !file_readable(fd, t->arena + n->path_off + skip, &st)) {
			flags |= TREE_F_UNREADABLE;
		}
		err = fill_pending(j, n, &st, dn->dev_idx, ddev, flags);
	}
	if (fd >= 0)
		close(fd);
	return err;
}

static void *stat_worker(void *arg)
{
	struct stat_job *j = arg;
	size_t i;

	while (!atomic_load(&j->err) && (i = atomic_fetch_add(&j->next, 1)) < j->t->npend) {
		int err;

		/* What msg takes must be this failure's words, never an older one of the thread. */
		slz_errclear();
		err = stat_dir(j, &j->t->pend[i]);

		if (err) {
			int none = 0;

			/* The first to fail writes msg; the caller reads it after the joins. */
			if (atomic_compare_exchange_strong(&j->err, &none, err) && *slz_errmsg())
				j->msg = strdup(slz_errmsg());
		}
	}
	return NULL;
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
	const struct tree *t = ctx;

	return strcmp(node_path(t, *(const uint32_t *)a), node_path(t, *(const uint32_t *)b));
}

/*
 * The files the listing deferred, lstat-ed by up to WALK_THREADS threads, while this one sorts
 * the entries by path (the paths are final once listed; only the stat fields are still coming)
 * before it takes its share; then the nodes are put in that order and gone ones dropped. The
 * root is "" and sorts first; paths are unique so the order is total.
 */
static int stat_and_sort(struct tree *t, int rootfd)
{
	struct stat_job j = {.t = t, .rootfd = rootfd};
	pthread_t th[WALK_THREADS - 1];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = 0, want = cpus > 1 ? (size_t)cpus : 1, kept = 0;
	uint32_t *order, *where;
	struct node *sorted;
	int err;

	order = malloc((t->count ? t->count : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < t->count; i++)
		order[i] = (uint32_t)i;
	if (want > WALK_THREADS)
		want = WALK_THREADS;
	if (t->npending < WALK_THREADS_MIN_FILES || t->npend < 2)
		want = 1;
	pthread_mutex_init(&j.lock, NULL);
	atomic_init(&j.next, 0);
	atomic_init(&j.err, 0);
	/* A thread that cannot start leaves its share to the others and to this one. */
	while (nth + 1 < want && !pthread_create(&th[nth], NULL, stat_worker, &j))
		nth++;
	/* With helpers the sort overlaps their stats; alone, the stats come first either way. */
	qsort_r(order, t->count, sizeof(*order), cmp_order, t);
	stat_worker(&j);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.lock);
	err = atomic_load(&j.err);
	/* On the caller's thread, where tree__open's caller will look for it. */
	if (err && j.msg)
		slz_fail(-err, "%s", j.msg);
	free(j.msg);
	free(t->pend);
	t->pend = NULL;
	t->npend = t->pend_cap = 0;
	if (err) {
		free(order);
		return err;
	}
	/*
	 * The sorted array, without the gone: where[] is each old index's new one, so a parent
	 * (a directory, never gone) is renumbered by lookup instead of by its path.
	 */
	where = malloc((t->count ? t->count : 1) * sizeof(*where));
	sorted = malloc((t->count ? t->count : 1) * sizeof(*sorted));
	if (!where || !sorted) {
		free(where);
		free(sorted);
		free(order);
		return -ENOMEM;
	}
	for (size_t k = 0; k < t->count; k++)
		where[order[k]] =
			t->nodes[order[k]].flags & NODE_GONE ? UINT32_MAX : (uint32_t)kept++;
	for (size_t k = 0; k < t->count; k++) {
		const struct node *n = &t->nodes[order[k]];

		if (where[order[k]] == UINT32_MAX)
			continue;
		sorted[where[order[k]]] = *n;
		sorted[where[order[k]]].parent = where[n->parent];
	}
	free(order);
	free(where);
	free(t->nodes);
	t->nodes = sorted;
	t->count = t->cap = kept;
	return 0;
}

int tree_walk__run(struct tree *t, int rootfd, const struct stat *root_st,
		   const struct slz_progress *progress)
{
	uint32_t off;
	int err;

	err = arena_put(t, "", 0, NULL, 0, &off);
	if (err)
		return err;
	err = add_node(t, 0, root_st, off, NO_LINK, 0);
	if (err)
		return err;
	/* The array grows while we iterate it: that is the breadth-first queue. */
	for (size_t i = 0; i < t->count; i++) {
		if (!S_ISDIR(t->nodes[i].mode) || (t->nodes[i].flags & TREE_F_UNREADABLE))
			continue;
		err = walk_dir(t, rootfd, i);
		if (err)
			return err;
		slz_progress__update(progress, &(struct slz_progress_state){.phase = "walking tree",
									    .unit = "files",
									    .done = t->count});
	}
	err = stat_and_sort(t, rootfd);
	if (err)
		return err;
	return 0;
}
