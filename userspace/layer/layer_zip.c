// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "idxvec.h"
#include "lambda_layout.h"
#include "layer_zip.h"
#include "util.h"

#define STAGE_PREFIX ".slimzip-layer"
#define COPY_CHUNK   (256u << 10)

char *layer__path(enum unit_kind k, const char *path)
{
	switch (k) {
	case UNIT_PY_PACKAGE:
	case UNIT_PY_MODULE:
		return lambda_layout__layer_path(LAMBDA_PYTHON, path);
	case UNIT_NODE_PACKAGE:
		return lambda_layout__layer_path(LAMBDA_NODE, path);
	default:
		return lambda_layout__layer_path(LAMBDA_OPT, path); /* lib/NAME for /opt/lib */
	}
}

struct stage {
	int fd;			/* the staging directory */
	const char *dir;	/* its path, for messages */
	char **dirs;		/* directories made, staging-relative; their times are set last */
	struct timespec *times; /* per dir: the mtime the zip gets */
	size_t ndirs, cap, tcap;
	char *buf;
};

static int remember_dir(struct stage *s, const char *rel, struct timespec mtime)
{
	for (size_t i = 0; i < s->ndirs; i++)
		if (!strcmp(s->dirs[i], rel)) {
			s->times[i] = mtime;
			return 0;
		}
	if (slz_grow((void **)&s->dirs, &s->cap, s->ndirs + 1, sizeof(*s->dirs)) ||
	    slz_grow((void **)&s->times, &s->tcap, s->ndirs + 1, sizeof(*s->times)) ||
	    !(s->dirs[s->ndirs] = strdup(rel)))
		return -ENOMEM;
	s->times[s->ndirs++] = mtime;
	return 0;
}

static bool known_dir(const struct stage *s, const char *rel)
{
	for (size_t i = 0; i < s->ndirs; i++)
		if (!strcmp(s->dirs[i], rel))
			return true;
	return false;
}

/* mkdir -p of rel's parents (or of rel itself when whole), each remembered with the fixed time. */
static int make_dirs(struct stage *s, const char *rel, bool whole)
{
	struct timespec fixed = {.tv_sec = ZIPWRITE_FIXED_MTIME};
	char *p = strdup(rel);
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (char *c = p;; c++) {
		bool end = !*c;

		if (*c != '/' && !end)
			continue;
		if (end && !whole)
			break;
		*c = '\0';
		if (mkdirat(s->fd, p, 0755) && errno != EEXIST) {
			err = slz_fail(errno, "cannot make %s/%s for the layer: %s", s->dir, p,
				       strerror(errno));
			break;
		}
		if (!known_dir(s, p) && (err = remember_dir(s, p, fixed)))
			break;
		if (end)
			break;
		*c = '/';
	}
	free(p);
	return err;
}

static int copy_file(struct stage *s, int src_root, const struct tree_entry *e, const char *root,
		     const char *rel)
{
	struct timespec ts[2] = {{.tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec},
				 {.tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec}};
	int in = tree__open_beneath(src_root, e->path, e->dev, e->ino), out = -1, err = 0;
	ssize_t got;

	if (in < 0)
		return slz_fail(-in, "cannot read %s/%s for the layer: %s", root, e->path,
				strerror(-in));
	out = openat(s->fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		err = slz_fail(errno, "cannot write %s/%s: %s", s->dir, rel, strerror(errno));
		goto out;
	}
	while ((got = read(in, s->buf, COPY_CHUNK)) > 0) {
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(out, s->buf + off, (size_t)(got - off));

			if (w < 0) {
				err = slz_fail(errno, "cannot write %s/%s: %s", s->dir, rel,
					       strerror(errno));
				goto out;
			}
			off += w;
		}
	}
	if (got < 0)
		err = slz_fail(errno, "cannot read %s/%s: %s", root, e->path, strerror(errno));
	else if (fchmod(out, e->mode & 0777) || futimens(out, ts))
		err = slz_fail(errno, "cannot set the mode of %s/%s: %s", s->dir, rel,
			       strerror(errno));
out:
	close(in);
	if (out >= 0)
		close(out);
	return err;
}

static int stage_unit(struct stage *s, const struct layer_unit *lu)
{
	const struct tree *t = keepset__tree(units__keep(lu->set));
	int root = open(tree__root(t), O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (root < 0)
		return slz_fail(errno, "cannot open the tree %s: %s", tree__root(t),
				strerror(errno));
	for (size_t k = 0; !err && k < lu->unit->nentries; k++) {
		struct tree_entry e;
		char *rel;

		if ((err = tree__get(t, lu->unit->entries[k], &e)))
			break;
		rel = layer__path(lu->unit->kind, e.path);
		if (!rel) {
			err = -ENOMEM;
			break;
		}
		err = make_dirs(s, rel, false);
		if (!err && S_ISDIR(e.mode)) {
			err = make_dirs(s, rel, true);
			if (!err)
				err = remember_dir(s, rel,
						   (struct timespec){e.mtime_sec, e.mtime_nsec});
			if (!err && fchmodat(s->fd, rel, e.mode & 0777, 0))
				err = slz_fail(errno, "cannot set the mode of %s/%s: %s", s->dir,
					       rel, strerror(errno));
		} else if (!err && S_ISLNK(e.mode)) {
			struct timespec ts[2] = {{e.mtime_sec, e.mtime_nsec},
						 {e.mtime_sec, e.mtime_nsec}};

			if (symlinkat(e.link_target ? e.link_target : "", s->fd, rel) ||
			    utimensat(s->fd, rel, ts, AT_SYMLINK_NOFOLLOW))
				err = slz_fail(errno, "cannot make the link %s/%s: %s", s->dir, rel,
					       strerror(errno));
		} else if (!err && S_ISREG(e.mode)) {
			err = copy_file(s, root, &e, tree__root(t), rel);
		}
		free(rel);
	}
	close(root);
	return err;
}

/* Every directory's time last: what was made in it changed it meanwhile. */
static int set_dir_times(struct stage *s)
{
	for (size_t i = 0; i < s->ndirs; i++) {
		struct timespec ts[2] = {s->times[i], s->times[i]};

		if (utimensat(s->fd, s->dirs[i], ts, AT_SYMLINK_NOFOLLOW))
			return slz_fail(errno, "cannot set the time of %s/%s: %s", s->dir,
					s->dirs[i], strerror(errno));
	}
	return 0;
}

int layer__write_zip(const struct layer_def *L, const char *out, const struct zipwrite_opts *opts,
		     struct zipwrite_stats *st)
{
	struct stage s = {.fd = -1};
	char *copy = strdup(out), *parent, *dir = NULL;
	struct tree *t = NULL;
	struct keepset *k = NULL;
	int lock = -1, err;

	if (!copy)
		return slz_fail(ENOMEM, "out of memory");
	parent = dirname(copy);
	/* What killed batches left here: this one's comes next. */
	owned__sweep_dirs(parent, STAGE_PREFIX, extract__remove);
	err = owned__mkdtemp(parent, STAGE_PREFIX, &dir, &lock);
	if (err)
		goto out;
	s.dir = dir;
	s.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s.buf = malloc(COPY_CHUNK);
	if (s.fd < 0 || !s.buf) {
		err = s.fd < 0 ? slz_fail(errno, "cannot open %s: %s", dir, strerror(errno))
			       : slz_fail(ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; !err && i < L->n; i++)
		err = stage_unit(&s, &L->units[i]);
	if (!err)
		err = set_dir_times(&s);
	if (!err)
		err = tree__open(dir, NULL, &t);
	if (!err)
		err = keepset__new(t, &k);
	for (uint32_t i = 1; !err && i < tree__count(t); i++)
		err = keepset__add(k, i, KEEP_GLOB, 0, NULL);
	if (!err)
		err = zipwrite__write(k, out, opts, st);
out:
	keepset__free(k);
	tree__free(t);
	if (s.fd >= 0)
		close(s.fd);
	if (dir)
		extract__remove(dir);
	if (lock >= 0)
		close(lock);
	for (size_t i = 0; i < s.ndirs; i++)
		free(s.dirs[i]);
	free(s.dirs);
	free(s.times);
	free(s.buf);
	free(dir);
	free(copy);
	return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory writing the layer") : err;
}
