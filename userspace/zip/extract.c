// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zip.h>

#include "dostime.h"
#include "extract.h"
#include "extract_internal.h"
#include "hashmap.h"
#include "pathutil.h"
#include "util.h"
#include "zipcdir.h"
#include "zipname.h"

#define LINK_TARGET_MAX 4096

int extract__open_parent(int dest_fd, const char *name, const char **last)
{
	int fd = dest_fd, nfd;
	const char *p = name, *slash;
	char comp[256];

	while ((slash = strchr(p, '/')) && slash[1]) {
		size_t clen = (size_t)(slash - p);

		if (clen >= sizeof(comp)) {
			nfd = -ENAMETOOLONG;
			goto err;
		}
		memcpy(comp, p, clen);
		comp[clen] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			if (mkdirat(fd, comp, 0755) && errno != EEXIST) {
				nfd = -errno;
				goto err;
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			nfd = -errno;
			goto err;
		}
		if (fd != dest_fd)
			close(fd);
		fd = nfd;
		p = slash + 1;
	}
	*last = p;
	return fd;
err:
	if (fd != dest_fd)
		close(fd);
	return nfd;
}

int dircache__parent(struct dircache *c, int dest_fd, const char *name, size_t name_len,
		     const char **last)
{
	size_t len = name_len && name[name_len - 1] == '/' ? name_len - 1 : name_len;
	const char *slash = memrchr(name, '/', len);
	size_t plen = slash ? (size_t)(slash - name) : 0;
	int dfd;

	if (!slash) {
		*last = name;
		return dest_fd;
	}
	if (c->fd >= 0 && c->len == plen && !memcmp(c->dir, name, plen)) {
		*last = slash + 1;
		return c->fd;
	}
	dfd = extract__open_parent(dest_fd, name, last);
	if (dfd < 0 || dfd == dest_fd)
		return dfd;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	/* No room to remember it: the caller closes it after this one use. */
	if (slz_grow((void **)&c->dir, &c->cap, plen, 1))
		return dfd;
	memcpy(c->dir, name, plen);
	c->len = plen;
	c->fd = dfd;
	return dfd;
}

void dircache__release(struct dircache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->dir);
	c->dir = NULL;
	c->len = c->cap = 0;
}

static int read_link_target(zip_t *za, zip_uint64_t zi, struct ent *e)
{
	zip_file_t *zf;
	zip_int64_t n;

	if (e->size == 0 || e->size >= LINK_TARGET_MAX)
		return slz_fail(EINVAL, "symlink entry %s has a %s target", e->name,
				e->size ? "too long" : "empty");
	/* One byte more than declared: a target longer than it says shows as damaged. */
	e->target = calloc(1, e->size + 2);
	if (!e->target)
		return -ENOMEM;
	zf = zip_fopen_index(za, zi, 0);
	if (!zf)
		return slz_fail(EINVAL, "cannot read entry %s: %s", e->name, zip_strerror(za));
	n = zip_fread(zf, e->target, e->size + 1);
	zip_fclose(zf);
	if (n != (zip_int64_t)e->size || memchr(e->target, '\0', e->size) ||
	    (uint32_t)libdeflate_crc32(0, e->target, e->size) != e->crc)
		return slz_fail(EINVAL, "symlink entry %s has a damaged target", e->name);
	e->target[e->size] = '\0';
	/* Where it leads depends on the archive's other links: see resolve_link(). */
	return 0;
}

/*
 * One entry from its central directory record, whose raw name and DOS fields we need: libzip
 * hides NUL bytes in names (it turns them into spaces) and converts times in the local zone.
 */
static int parse_entry(zip_t *za, zip_uint64_t zi, const struct zipcdir_rec *r, struct ent *e)
{
	uint32_t umode;
	const char *name;
	zip_stat_t zs;
	int err;

	err = zipname__check_name(r->name, r->name_len);
	if (err)
		return err;
	name = zip_get_name(za, zi, ZIP_FL_ENC_RAW);
	if (zip_stat_index(za, zi, ZIP_FL_ENC_RAW, &zs) || !name || strlen(name) != r->name_len ||
	    memcmp(name, r->name, r->name_len))
		return slz_fail(EINVAL, "entry %llu (%.*s) does not match libzip's view of it",
				(unsigned long long)zi, (int)r->name_len, r->name);
	if ((zs.valid & (ZIP_STAT_SIZE | ZIP_STAT_CRC)) != (ZIP_STAT_SIZE | ZIP_STAT_CRC))
		return slz_fail(EINVAL, "entry %s declares no size or CRC", name);
	if ((zs.valid & (ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD)) !=
	    (ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD))
		return slz_fail(EINVAL, "entry %s declares no compressed size or method", name);
	/* Its raw bytes are read as they are (extract_files.c): they must not be encrypted. */
	if ((zs.valid & ZIP_STAT_ENCRYPTION_METHOD) && zs.encryption_method != ZIP_EM_NONE)
		return slz_fail(EINVAL, "entry %s is encrypted: refusing it", name);
	e->name = name;
	e->size = zs.size;
	e->comp_size = zs.comp_size;
	e->method = zs.comp_method;
	e->crc = zs.crc;
	e->name_len = r->name_len;
	if (zipcdir__local_offset(r, &e->local_off))
		return slz_fail(EINVAL, "entry %s has a damaged zip64 extra field", name);
	/* The UT field's UTC time when there is one: the DOS fields say nothing of the zone. */
	if (!zipcdir__ut_mtime(r, &e->mtime))
		e->mtime = dostime__to_unix(r->dos_time, r->dos_date);
	for (const char *c = name; *c; c++)
		if (*c == '/' && c[1])
			e->depth++;

	umode = (r->host == ZIP_OPSYS_UNIX) ? r->attr >> 16 : 0;
	if (name[r->name_len - 1] == '/' || S_ISDIR(umode)) {
		e->kind = E_DIR;
		e->mode = (umode & S_IFMT) ? umode & 0777 : 0755;
	} else if (S_ISLNK(umode)) {
		e->kind = E_LINK;
		err = read_link_target(za, zi, e);
		if (err)
			return err;
	} else if (!(umode & S_IFMT) || S_ISREG(umode)) {
		e->kind = E_FILE;
		e->mode = (umode & S_IFMT) ? umode & 0777 : 0644;
	} else {
		return slz_fail(EINVAL, "entry %s is a device, fifo or socket: refusing it", name);
	}
	return 0;
}

/* The central directory, read apart from libzip; it must list as many entries as libzip saw. */
static int read_cdir(const char *path, uint64_t nent, struct zipcdir *cd)
{
	int err = zipcdir__read_path(path, cd);

	if (!err && cd->count != nent)
		err = slz_fail(EINVAL,
			       "%s: the central directory is damaged or not where it should be",
			       path);
	return err;
}

/* An entry below a symlink entry would be written wherever the link points: refuse it. */
static int check_not_through_link(zip_t *za, const struct ent *ents, const struct ent *e)
{
	size_t len = strlen(e->name);
	/* Names run to 65,535 bytes: far beyond PATH_MAX, so no fixed buffer. */
	char *buf = strdup(e->name);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i + 1 < len; i++) {
		zip_int64_t li;

		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		li = zip_name_locate(za, buf, ZIP_FL_ENC_RAW);
		buf[i] = '/';
		if (li >= 0 && ents[li].kind == E_LINK) {
			err = slz_fail(EXDEV, "entry %s lies below the symlink %.*s: refusing it",
				       e->name, (int)i, e->name);
			break;
		}
	}
	free(buf);
	return err;
}

/*
 * A directory's mode and mtime, set through its own descriptor: reached one component at a
 * time (names may be longer than PATH_MAX) and never through a symlink.
 */
static int set_dir_attrs(struct dircache *dc, int dest_fd, const struct ent *e)
{
	struct timespec ts[2] = {{.tv_sec = e->mtime}, {.tv_sec = e->mtime}};
	const char *base = NULL;
	char comp[256];
	int dfd, fd, err = 0;

	dfd = dircache__parent(dc, dest_fd, e->name, e->name_len, &base);
	if (dfd < 0)
		return slz_fail(-dfd, "cannot reach directory %s: %s", e->name, strerror(-dfd));
	snprintf(comp, sizeof(comp), "%.*s", (int)strcspn(base, "/"), base);
	fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, e->mode) || futimens(fd, ts))
		err = slz_fail(errno, "cannot set the mode or mtime of %s: %s", e->name,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	if (dfd != dest_fd && dfd != dc->fd)
		close(dfd);
	return err;
}

static int depth_cmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a, *y = *(const struct ent *const *)b;

	return (int)y->depth - (int)x->depth;
}

/*
 * The archive's symlinks by name, to resolve a link's target the way the kernel will once
 * everything is extracted. Judging a target lexically is not enough: a component may itself be
 * a link of the archive (d -> ., x -> d/d/../../etc/hostname), so a chain of links that each
 * look harmless can climb out of the destination.
 *
 * A path is hashed component by component (each hash seeds the next), so extending the
 * resolved path by one component costs that component only, not the whole path.
 */
struct level {
	size_t len;    /* of the resolved path at this depth */
	uint64_t hash; /* of the resolved path at this depth */
};

struct linkres {
	const struct ent *ents;
	struct idxmap *links;
	char *cur; /* the resolved path so far, components joined by '/', no leading '/' */
	size_t cur_cap;
	struct level *lv;
	size_t lv_cap;
	char *rest, *tmp; /* what is left to walk; tmp is scratch for replacing a component */
	size_t rest_cap, tmp_cap;
	uint64_t budget; /* components left to walk for the whole archive */
};

#define PATH_HASH_SEED	   0x736c7a6c696e6bULL
/*
 * One link may walk 41 targets of 4 KB; thousands of links sharing such a chain would keep us
 * busy for minutes. Real archives walk a few dozen components per link: cap the whole walk.
 */
#define LINK_WALK_BASE	   (1ULL << 24)
#define LINK_WALK_PER_LINK 256

struct path_key {
	const char *s;
	size_t len;
};

static bool link_name_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct linkres *lr = ctx;
	const struct path_key *k = key;
	const char *name = lr->ents[idx].name;

	return !strncmp(name, k->s, k->len) && name[k->len] == '\0';
}

static uint64_t path_hash(const char *path)
{
	uint64_t h = PATH_HASH_SEED;

	while (*path) {
		size_t clen = strcspn(path, "/");

		h = slz_hash_bytes(path, clen, h);
		path += clen;
		path += *path == '/';
	}
	return h;
}

static void linkres__free(struct linkres *lr)
{
	idxmap__free(lr->links);
	free(lr->cur);
	free(lr->lv);
	free(lr->rest);
	free(lr->tmp);
}

static int linkres__init(struct linkres *lr, const struct ent *ents, uint64_t n)
{
	int err;

	memset(lr, 0, sizeof(*lr));
	lr->ents = ents;
	lr->budget = LINK_WALK_BASE;
	err = idxmap__new(&lr->links);
	for (uint64_t i = 0; !err && i < n; i++) {
		if (ents[i].kind != E_LINK)
			continue;
		err = idxmap__insert(lr->links, path_hash(ents[i].name), (uint32_t)i);
		lr->budget += LINK_WALK_PER_LINK;
	}
	return err;
}

/* rest := head + "/" + rest[pos..] */
static int replace_walked(struct linkres *lr, const char *head, size_t *rest_len, size_t pos)
{
	size_t hlen = strlen(head), tail = *rest_len - pos, len = hlen + 1 + tail, cap;
	char *swap;
	int err;

	err = slz_grow((void **)&lr->tmp, &lr->tmp_cap, len + 1, 1);
	if (err)
		return err;
	memcpy(lr->tmp, head, hlen);
	lr->tmp[hlen] = '/';
	if (tail) /* rest is still NULL on the first call */
		memcpy(lr->tmp + hlen + 1, lr->rest + pos, tail);
	lr->tmp[len] = '\0';
	swap = lr->rest;
	lr->rest = lr->tmp;
	lr->tmp = swap;
	cap = lr->rest_cap;
	lr->rest_cap = lr->tmp_cap;
	lr->tmp_cap = cap;
	*rest_len = len;
	return 0;
}

static int climbs_out(const struct ent *e, const struct ent *via)
{
	if (!via)
		return slz_fail(EXDEV,
				"symlink %s -> %s leaves the destination: it climbs above the root",
				e->name, e->target);
	return slz_fail(EXDEV,
			"symlink %s -> %s leaves the destination: through the symlink %s -> %s "
			"it climbs above the root",
			e->name, e->target, via->name, via->target);
}

/*
 * 0 when symlink entry e, followed through every link of the archive its path meets, stays
 * below the root; -EXDEV when it climbs above it or reaches an absolute target, -ELOOP after
 * more than SLZ_LINK_HOPS_MAX links. A component naming nothing in the archive is fine: it
 * dangles inside. Entries below a link were refused before (check_not_through_link()), so the
 * directories of every link name are real ones.
 */
static int resolve_link(struct linkres *lr, const struct ent *e)
{
	const struct ent *via = NULL;
	size_t rest_len = 0, pos = 0, depth = 0;
	const char *slash = strrchr(e->name, '/');
	unsigned int expansions = 0;
	int err;

	if (e->target[0] == '/')
		return slz_fail(EXDEV,
				"symlink %s -> %s leaves the destination: its target is absolute",
				e->name, e->target);
	/* Start from the root and walk the link's own directory, then its target. */
	err = replace_walked(lr, e->target, &rest_len, 0);
	if (!err && slash) {
		char *dir = strndup(e->name, (size_t)(slash - e->name));

		err = dir ? replace_walked(lr, dir, &rest_len, 0) : -ENOMEM;
		free(dir);
	}
	if (!err)
		err = slz_grow((void **)&lr->lv, &lr->lv_cap, 1, sizeof(*lr->lv));
	if (err)
		return err;
	lr->lv[0].len = 0;
	lr->lv[0].hash = PATH_HASH_SEED;

	while (pos < rest_len) {
		const char *c = lr->rest + pos;
		size_t clen = strcspn(c, "/"), base = lr->lv[depth].len;
		size_t len = base + (depth ? 1 : 0) + clen;
		struct path_key key;
		uint64_t h;
		int64_t li;

		pos += clen + (c[clen] == '/');
		if (!lr->budget--)
			return slz_fail(ELOOP,
					"symlink %s -> %s: the archive's symlinks take too long to "
					"resolve (chains of long targets through each other); "
					"refusing the archive",
					e->name, e->target);
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			if (depth == 0)
				return climbs_out(e, via);
			depth--;
			continue;
		}
		err = slz_grow((void **)&lr->cur, &lr->cur_cap, len + 1, 1);
		if (err)
			return err;
		if (depth)
			lr->cur[base] = '/';
		memcpy(lr->cur + len - clen, c, clen);
		lr->cur[len] = '\0';
		h = slz_hash_bytes(c, clen, lr->lv[depth].hash);
		key.s = lr->cur;
		key.len = len;
		li = idxmap__find(lr->links, h, link_name_eq, &key, lr);
		if (li < 0) {
			err = slz_grow((void **)&lr->lv, &lr->lv_cap, depth + 2, sizeof(*lr->lv));
			if (err)
				return err;
			depth++;
			lr->lv[depth].len = len;
			lr->lv[depth].hash = h;
			continue;
		}
		/* A link of the archive: walk its target from its directory, i.e. from here. */
		via = &lr->ents[li];
		if (++expansions > SLZ_LINK_HOPS_MAX)
			return slz_fail(
				ELOOP,
				"symlink %s -> %s does not resolve inside the archive: more "
				"than %d symlinks in a chain (a loop?)",
				e->name, e->target, SLZ_LINK_HOPS_MAX);
		if (via->target[0] == '/')
			return slz_fail(EXDEV,
					"symlink %s -> %s leaves the destination: it leads to the "
					"symlink %s -> %s, whose target is absolute",
					e->name, e->target, via->name, via->target);
		err = replace_walked(lr, via->target, &rest_len, pos);
		if (err)
			return err;
		pos = 0;
	}
	return 0;
}

/* o's field, or 0 when o is NULL or older than the field (its sz ends before it). */
#define OPT(o, field)                                                                              \
	((o) && (o)->sz >= offsetof(struct extract_opts, field) + sizeof((o)->field) ? (o)->field  \
										     : 0)

/* What the entries declare, together: refused before anything is written when over max. */
static int check_total(const char *zip_path, const struct ent *ents, uint64_t n, uint64_t max)
{
	uint64_t total = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (ents[i].kind == E_DIR)
			continue;
		total = ents[i].size > UINT64_MAX - total ? UINT64_MAX : total + ents[i].size;
	}
	if (total <= max)
		return 0;
	return slz_fail(EFBIG,
			"%s would extract to %llu bytes, more than the %llu allowed: refusing it "
			"(a zip bomb, or the cap is too low)",
			zip_path, (unsigned long long)total, (unsigned long long)max);
}

int extract__zip(const char *zip_path, const char *dest_dir, const struct extract_opts *o)
{
	uint64_t max = OPT(o, max_bytes) ? OPT(o, max_bytes) : EXTRACT_DEFAULT_MAX_BYTES;
	struct dircache dc = DIRCACHE_INIT;
	struct linkres lr = {0};
	struct ent *ents = NULL, **dirs = NULL;
	struct zipcdir cd = {0};
	uint64_t pos = 0, n, ndirs = 0;
	bool any_link = false;
	struct stat zst;
	int zerr = 0, dest_fd = -1, zip_fd = -1, err = 0;
	zip_t *za;

	za = zip_open(zip_path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		err = slz_fail(zerr == ZIP_ER_NOENT ? ENOENT : EINVAL, "cannot open the zip %s: %s",
			       zip_path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return err;
	}
	n = (uint64_t)zip_get_num_entries(za, 0);
	/* The files' data is read from this descriptor (extract_files.c), not through libzip. */
	zip_fd = open(zip_path, O_RDONLY | O_CLOEXEC);
	if (zip_fd < 0 || fstat(zip_fd, &zst)) {
		err = slz_fail(errno, "cannot open the zip %s: %s", zip_path, strerror(errno));
		goto out;
	}
	err = read_cdir(zip_path, n, &cd);
	if (err)
		goto out;
	ents = calloc(n ? n : 1, sizeof(*ents));
	dirs = calloc(n ? n : 1, sizeof(*dirs));
	if (!ents || !dirs) {
		err = -ENOMEM;
		goto out;
	}
	/* Validate everything before writing anything: a bad zip leaves no partial tree. */
	for (uint64_t i = 0; i < n; i++) {
		struct zipcdir_rec r;

		err = zipcdir__next(&cd, &pos, i, &r);
		if (!err)
			err = parse_entry(za, i, &r, &ents[i]);
		if (err)
			goto out;
		any_link |= ents[i].kind == E_LINK;
	}
	err = check_total(zip_path, ents, n, max);
	if (err)
		goto out;
	for (uint64_t i = 0; any_link && i < n; i++) {
		err = check_not_through_link(za, ents, &ents[i]);
		if (err)
			goto out;
	}
	if (any_link) {
		err = linkres__init(&lr, ents, n);
		for (uint64_t i = 0; !err && i < n; i++)
			if (ents[i].kind == E_LINK)
				err = resolve_link(&lr, &ents[i]);
		if (err)
			goto out;
	}

	if (mkdir(dest_dir, 0755) && errno != EEXIST) {
		err = slz_fail(errno, "cannot create %s: %s", dest_dir, strerror(errno));
		goto out;
	}
	dest_fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dest_fd < 0) {
		err = slz_fail(errno, "cannot open %s: %s", dest_dir, strerror(errno));
		goto out;
	}

	/*
	 * Directories, then files (on several threads), symlinks last: no entry can then be
	 * written through a link the archive itself created.
	 */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			err = extract_files__write(za, zip_fd, (uint64_t)zst.st_size, dest_fd,
						   OPT(o, replace), ents, n, OPT(o, threads));
			if (err)
				goto out;
		}
		for (uint64_t i = 0; i < n; i++) {
			struct ent *e = &ents[i];
			const char *base = NULL;
			int dfd;

			if (e->kind != (pass == 0 ? E_DIR : E_LINK))
				continue;
			dfd = dircache__parent(&dc, dest_fd, e->name, e->name_len, &base);
			if (dfd < 0) {
				err = slz_fail(-dfd,
					       "cannot create the directories of %s: %s (is a "
					       "parent a file or a symlink?)",
					       e->name, strerror(-dfd));
				goto out;
			}
			/* What an earlier archive put here gives way (never a directory). */
			if (e->kind != E_DIR && OPT(o, replace) && unlinkat(dfd, base, 0) &&
			    errno != ENOENT)
				err = slz_fail(errno, "cannot replace %s: %s", e->name,
					       strerror(errno));
			if (err) {
				if (dfd != dest_fd && dfd != dc.fd)
					close(dfd);
				goto out;
			}
			switch (e->kind) {
			case E_DIR: {
				char comp[256];
				size_t blen = strcspn(base, "/");
				struct stat sb;

				snprintf(comp, sizeof(comp), "%.*s", (int)blen, base);
				if (mkdirat(dfd, comp, 0700) &&
				    (errno != EEXIST ||
				     fstatat(dfd, comp, &sb, AT_SYMLINK_NOFOLLOW) ||
				     !S_ISDIR(sb.st_mode)))
					err = slz_fail(errno ? errno : EEXIST,
						       "cannot create directory %s: %s", e->name,
						       strerror(errno ? errno : EEXIST));
				dirs[ndirs++] = e;
				break;
			}
			case E_FILE: /* extract_files__write()'s */
				break;
			case E_LINK: {
				struct timespec ts[2] = {{.tv_sec = e->mtime},
							 {.tv_sec = e->mtime}};

				if (symlinkat(e->target, dfd, base) ||
				    utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW))
					err = slz_fail(errno, "cannot create symlink %s: %s",
						       e->name, strerror(errno));
				break;
			}
			}
			if (dfd != dest_fd && dfd != dc.fd)
				close(dfd);
			if (err)
				goto out;
		}
	}

	/* Deepest first, after all children exist: a 0555 directory would refuse them. */
	qsort(dirs, ndirs, sizeof(*dirs), depth_cmp);
	for (uint64_t i = 0; i < ndirs; i++) {
		err = set_dir_attrs(&dc, dest_fd, dirs[i]);
		if (err)
			goto out;
	}
out:
	dircache__release(&dc);
	linkres__free(&lr);
	for (uint64_t i = 0; ents && i < n; i++)
		free(ents[i].target);
	free(ents);
	free(dirs);
	zipcdir__release(&cd);
	if (dest_fd >= 0)
		close(dest_fd);
	if (zip_fd >= 0)
		close(zip_fd);
	zip_discard(za);
	return err;
}
