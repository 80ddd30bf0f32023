// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "dostime.h"
#include "pycheck.h"
#include "util.h"
#include "zipahead.h"
#include "zipcdir.h"
#include "zippool.h"
#include "zipname.h"
#include "zipsource.h"
#include "zipwrite.h"

enum item_kind { ITEM_FILE, ITEM_DIR, ITEM_LINK };

struct item {
	const char *name; /* entry name: tree path, plus '/' for directories */
	uint32_t idx;
	enum item_kind kind;
	uint16_t dos_time, dos_date; /* in UTC, set when the entry is added */
	struct zippool_job *job;     /* deflated ahead by a worker, or NULL */
};

/* libzip asks between entries too, so a cancel is seen even while only headers are written. */
static int cancel_cb(zip_t *za, void *ud)
{
	return slz_cancel__requested(ud);
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->name, ((const struct item *)b)->name);
}

/* Kept, zippable entries with their names; sorted by name so the zip does not depend on walks. */
static int collect(const struct keepset *k, struct item **out, size_t *nout, char **arena_out,
		   struct zipwrite_stats *st)
{
	const struct tree *t = keepset__tree(k);
	size_t n = tree__count(t), cap = 0, cnt = 0, acap = 0, alen = 0;
	struct item *items = NULL;
	char *arena = NULL;
	struct tree_entry e;
	int err = 0;

	for (uint32_t i = 1; i < n; i++) {
		enum item_kind kind;
		size_t plen;

		if (!keepset__has(k, i))
			continue;
		err = tree__get(t, i, &e);
		if (err)
			goto err;
		if (S_ISREG(e.mode))
			kind = ITEM_FILE;
		else if (S_ISDIR(e.mode))
			kind = ITEM_DIR;
		else if (S_ISLNK(e.mode))
			kind = ITEM_LINK;
		else {
			st->skipped++;
			continue;
		}
		/* The name's length is a 16-bit field; libzip would only say "invalid argument". */
		if (strlen(e.path) + (kind == ITEM_DIR) > UINT16_MAX) {
			err = slz_fail(ENAMETOOLONG,
				       "%s is kept, but its path of %zu bytes is longer than a zip "
				       "entry name can be (65,535 bytes): drop it or make the tree "
				       "shallower",
				       e.path, strlen(e.path) + (kind == ITEM_DIR));
			goto err;
		}
		if (kind == ITEM_FILE && (e.flags & TREE_F_UNREADABLE)) {
			err = slz_fail(EACCES,
				       "%s is kept but could not be read: fix its permissions or "
				       "drop it",
				       e.path);
			goto err;
		}
		if (kind == ITEM_LINK) {
			if (!e.link_target) {
				err = slz_fail(EIO, "symlink %s has no target recorded", e.path);
				goto err;
			}
			err = zipname__check_link(e.path, e.link_target);
			if (err) {
				err = slz_fail(err,
					       "symlink %s -> %s points outside the tree and would "
					       "dangle in the deployment: drop it or replace it by "
					       "a copy of its target",
					       e.path, e.link_target);
				goto err;
			}
		}
		err = slz_grow((void **)&items, &cap, cnt + 1, sizeof(*items));
		if (err)
			goto err;
		items[cnt].idx = i;
		items[cnt].kind = kind;
		items[cnt].job = NULL;
		items[cnt].name = e.path; /* tree-owned; directories get an arena copy below */
		if (kind == ITEM_DIR) {
			plen = strlen(e.path);
			err = slz_grow((void **)&arena, &acap, alen + plen + 2, 1);
			if (err)
				goto err;
			/* an offset for now: the arena may still move */
			items[cnt].name = (const char *)(uintptr_t)alen;
			memcpy(arena + alen, e.path, plen);
			arena[alen + plen] = '/';
			arena[alen + plen + 1] = '\0';
			alen += plen + 2;
		}
		cnt++;
	}
	for (size_t i = 0; i < cnt; i++)
		if (items[i].kind == ITEM_DIR)
			items[i].name = arena + (uintptr_t)items[i].name;
	if (cnt)
		qsort(items, cnt, sizeof(*items), item_cmp);
	*out = items;
	*nout = cnt;
	*arena_out = arena;
	return 0;
err:
	free(items);
	free(arena);
	return err < 0 ? err : -err;
}

/*
 * A time that libzip, rendering it with localtime_r() as it writes the headers, turns into
 * these DOS fields: what zip_file_set_dostime() gets from mktime() with tm_isdst -1 (libzip's
 * _zip_d2u_time), found without mktime(). With TZ unset, glibc's mktime() stats /etc/localtime
 * on every call, and a tree's mtimes are many distinct times (113k in a 1M-file prune: one
 * newfstatat each); localtime_r() reads the zone once. The fields as UTC less the zone's offset
 * there is the answer wherever that offset holds on both sides; only a time near a change of
 * offset, checked by rendering it back, takes mktime(). Any time that renders to the fields
 * gives the same bytes, and fix_dos_times() puts right the times a zone skips either way. Kept
 * for the last distinct time: the entries of a zip mostly share one (SOURCE_DATE_EPOCH).
 */
static time_t local_time(struct writer *w, uint16_t dos_time, uint16_t dos_date)
{
	uint32_t key = (uint32_t)dos_date << 16 | dos_time;
	struct tm tm = {
		.tm_year = ((dos_date >> 9) & 127) + 1980 - 1900,
		.tm_mon = ((dos_date >> 5) & 15) - 1,
		.tm_mday = dos_date & 31,
		.tm_hour = (dos_time >> 11) & 31,
		.tm_min = (dos_time >> 5) & 63,
		.tm_sec = (dos_time << 1) & 62,
		.tm_isdst = -1,
	};
	struct tm lt;
	time_t utc, t;

	if (key && key == w->dos_last)
		return w->dos_last_local;
	w->dos_last = key;
	utc = (time_t)dostime__to_unix(dos_time, dos_date);
	if (localtime_r(&utc, &lt)) {
		t = utc - lt.tm_gmtoff;
		if (localtime_r(&t, &lt) && lt.tm_year == tm.tm_year && lt.tm_mon == tm.tm_mon &&
		    lt.tm_mday == tm.tm_mday && lt.tm_hour == tm.tm_hour &&
		    lt.tm_min == tm.tm_min && lt.tm_sec == tm.tm_sec) {
			w->dos_last_local = t;
			return t;
		}
	}
	w->dos_last_local = mktime(&tm);
	return w->dos_last_local;
}

/* Add one entry; the archive owns src from here on, even on failure. */
static int add_item(zip_t *za, struct writer *w, struct item *it, const struct zipwrite_opts *opts,
		    struct zipwrite_stats *st)
{
	struct tree_entry e;
	zip_source_t *src = NULL;
	zip_int64_t zi;
	zip_uint32_t attr, perm;
	bool closed = false;
	int64_t mtime;
	unsigned char ut[DOSTIME_UT_LEN];
	zip_int32_t method = ZIP_CM_STORE;
	zip_uint32_t level = 0;
	int err;

	err = tree__get(w->tree, it->idx, &e);
	if (err)
		return err;

	switch (it->kind) {
	case ITEM_FILE:
		/* Entries are added one after another: this one gets the next index. */
		src = zipsource__file(za, (zip_uint64_t)zip_get_num_entries(za, 0), w, &e, it->job);
		if (!src)
			return -ENOMEM;
		perm = zipwrite__entry_mode(opts, e.mode, &closed);
		attr = (zip_uint32_t)(S_IFREG | perm) << 16;
		/* Empty files are stored, like Info-ZIP does: deflate would add 2 bytes. */
		if (opts->level > 0 && e.size > 0) {
			method = ZIP_CM_DEFLATE;
			level = (zip_uint32_t)opts->level;
		}
		st->files++;
		st->bytes_in += e.size;
		break;
	case ITEM_DIR:
		src = zip_source_buffer(za, NULL, 0, 0);
		/* 0x10: the MS-DOS directory bit, which Windows tools look at. */
		perm = zipwrite__entry_mode(opts, e.mode, &closed);
		attr = ((zip_uint32_t)(S_IFDIR | perm) << 16) | 0x10;
		st->dirs++;
		break;
	case ITEM_LINK:
		src = zip_source_buffer(za, e.link_target, strlen(e.link_target), 0);
		attr = (zip_uint32_t)(S_IFLNK | 0777) << 16;
		st->symlinks++;
		st->bytes_in += strlen(e.link_target);
		break;
	}
	if (!src)
		return -ENOMEM;
	/* Entries are added in name order: the first one named is the same on every run. */
	if (closed && !st->modes_closed++)
		st->modes_closed_first = it->idx;
	zi = zip_file_add(za, it->name, src, ZIP_FL_ENC_GUESS);
	if (zi < 0) {
		zip_source_free(src);
		return slz_fail(EINVAL, "cannot add %s to the zip: %s", it->name, zip_strerror(za));
	}
	switch (opts->mtime_mode) {
	case ZIPWRITE_MTIME_KEEP:
		mtime = e.mtime_sec;
		break;
	case ZIPWRITE_MTIME_FIXED:
		mtime = ZIPWRITE_FIXED_MTIME;
		break;
	default:
		mtime = opts->epoch;
		break;
	}
	dostime__from_unix(mtime, &it->dos_time, &it->dos_date);
	dostime__ut_field(mtime, ut);
	/* libzip renders it in the local zone; fix_dos_times() mends what comes out wrong. */
	if (zip_file_set_external_attributes(za, (zip_uint64_t)zi, 0, ZIP_OPSYS_UNIX, attr) ||
	    zip_file_set_mtime(za, (zip_uint64_t)zi, local_time(w, it->dos_time, it->dos_date),
			       0) ||
	    zip_file_extra_field_set(za, (zip_uint64_t)zi, ZIPCDIR_EF_UT, ZIP_EXTRA_FIELD_NEW, ut,
				     sizeof(ut), ZIP_FL_LOCAL | ZIP_FL_CENTRAL) < 0 ||
	    /* precompressed: the method comes from the source, so libzip copies the data
	       (zipsource.c's STAT sets a stored job's entry to store) */
	    (!it->job && zip_set_file_compression(za, (zip_uint64_t)zi, method, level)))
		return slz_fail(EINVAL, "cannot set the attributes of %s: %s", it->name,
				zip_strerror(za));
	st->entries++;
	return 0;
}

/* What a zip without entries is: just the end-of-central-directory record and its comment. */
static int write_empty_zip(struct writer *w, const char *comment)
{
	unsigned char eocd[22] = {'P', 'K', 5, 6};
	size_t clen = comment ? strlen(comment) : 0;

	eocd[20] = (unsigned char)clen;
	eocd[21] = (unsigned char)(clen >> 8);
	if (fwrite(eocd, 1, sizeof(eocd), w->out) != sizeof(eocd) ||
	    fwrite(comment ? comment : "", 1, clen, w->out) != clen)
		return -(errno ? errno : EIO);
	w->size = sizeof(eocd) + clen;
	return 0;
}

static int close_failure(zip_t *za, struct writer *w, const char *out_path)
{
	zip_error_t *ze = zip_get_error(za);
	int sys = zip_error_code_system(ze);

	if (w->file_err)
		return w->file_err; /* explained by the file source, naming the file */
	if (slz_cancel__requested(w->cancel) || zip_error_code_zip(ze) == ZIP_ER_CANCELLED)
		return slz_fail(ECANCELED, ZIP_CANCELLED_MSG);
	if (zip_error_system_type(ze) == ZIP_ET_SYS && sys)
		return slz_fail(sys, "cannot write %s: %s (nothing was written)", out_path,
				strerror(sys));
	return slz_fail(EIO, "cannot write %s: %s (nothing was written)", out_path,
			zip_error_strerror(ze));
}

/*
 * libzip 1.7 renders each entry's time into DOS fields with localtime_r() as it writes the
 * headers, and zip_file_set_dostime() only puts the fields through mktime() first. In the
 * local zone that round trip gives our UTC fields back for every time the zone has, but a time
 * that it skips (02:30 on a spring-forward night in New York) comes back an hour off. So read
 * the central directory back and put the UTC fields into each record that differs and into its
 * local header: exact in every zone, TZ untouched, and when nothing differs (always, in UTC)
 * the cost is one read of the directory.
 */
static int fix_dos_times(struct writer *w, const struct item *items, size_t n, const char *out_path)
{
	int fd = fileno(w->out);
	struct zipcdir cd;
	uint64_t pos = 0;
	bool changed = false;
	int err;

	err = zipcdir__read(fd, w->size, out_path, &cd);
	if (!err && cd.count != n)
		err = slz_fail(EIO, "%s: libzip wrote %llu entries instead of %zu", out_path,
			       (unsigned long long)cd.count, n);
	for (size_t i = 0; !err && i < n; i++) {
		struct zipcdir_rec r;

		err = zipcdir__next(&cd, &pos, i, &r);
		if (err)
			break;
		/* Records follow the order of zip_file_add(): checked, not trusted. */
		if (r.name_len != strlen(items[i].name) ||
		    memcmp(r.name, items[i].name, r.name_len)) {
			err = slz_fail(EIO, "%s: entry %zu is %.*s, not %s", out_path, i,
				       (int)r.name_len, r.name, items[i].name);
			break;
		}
		if (r.dos_time == items[i].dos_time && r.dos_date == items[i].dos_date)
			continue;
		err = zipcdir__set_dos_time(fd, out_path, &r, items[i].dos_time, items[i].dos_date);
		changed = true;
	}
	if (!err && changed)
		err = zipcdir__write_back(fd, out_path, &cd);
	zipcdir__release(&cd);
	return err;
}

/*
 * Files worth deflating ahead, in entry order; no pool when storing or when there are none.
 * With a zipahead the pool is its own (*owned false): the files it already has keep their
 * jobs, what it has that the zip does not hold is dropped, the rest is added behind.
 */
static int plan_pool(struct writer *w, const struct keepset *k, struct item *items, size_t n,
		     const struct zipwrite_opts *opts, struct zippool **out, bool *owned)
{
	struct zippool *p = opts->ahead ? zipahead__pool(opts->ahead, w->tree, opts->level) : NULL;
	struct tree_entry e;
	size_t cnt = 0;
	int err;

	*out = NULL;
	*owned = !p;
	if (opts->level == 0)
		return 0;
	if (p) {
		zipahead__settle(opts->ahead, k);
	} else {
		for (size_t i = 0; i < n; i++)
			if (items[i].kind == ITEM_FILE && !tree__get(w->tree, items[i].idx, &e) &&
			    zippool__takes(e.size))
				cnt++;
		if (!cnt)
			return 0;
		err = zippool__new(w->root_fd, opts->level, w->cancel, &p);
		if (err)
			return err;
	}
	*out = p;
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind != ITEM_FILE || tree__get(w->tree, items[i].idx, &e) ||
		    !zippool__takes(e.size))
			continue;
		items[i].job = *owned ? NULL : zipahead__job(opts->ahead, items[i].idx);
		if (!items[i].job)
			items[i].job = zippool__add(p, &e);
		if (!items[i].job)
			return -ENOMEM;
	}
	zippool__seal(p);
	return 0;
}

int zipwrite__write(const struct keepset *k, const char *out_path, const struct zipwrite_opts *opts,
		    struct zipwrite_stats *stats)
{
	struct zipwrite_opts defaults;
	struct zipwrite_stats st = {0};
	struct writer w = {.root_fd = -1};
	struct zippool *pool = NULL;
	bool own_pool = true;
	struct item *items = NULL;
	char *arena = NULL;
	zip_source_t *out_src = NULL;
	zip_error_t zerr;
	zip_t *za = NULL;
	size_t n = 0;
	bool out_err = false; /* the failure is the zip's own, not the tree's */
	int err;

	zip_error_init(&w.error);
	zip_error_init(&zerr);
	if (!opts) {
		zipwrite__default_opts(&defaults);
		opts = &defaults;
	}
	if (opts->level < 0 || opts->level > 9) {
		err = slz_fail(EINVAL, "compression level %d is out of range (0-9)", opts->level);
		goto out;
	}
	if (opts->threads < 0) {
		err = slz_fail(EINVAL, "thread count %d is negative", opts->threads);
		goto out;
	}
	if (opts->mtime_mode != ZIPWRITE_MTIME_KEEP && opts->mtime_mode != ZIPWRITE_MTIME_FIXED &&
	    opts->mtime_mode != ZIPWRITE_MTIME_EPOCH) {
		err = slz_fail(EINVAL, "unknown mtime mode %d", (int)opts->mtime_mode);
		goto out;
	}
	if (opts->comment && strlen(opts->comment) > UINT16_MAX) {
		err = slz_fail(E2BIG, "the zip comment is longer than 65,535 bytes");
		goto out;
	}
	if (!zipwrite__modes_name(opts->modes)) {
		err = slz_fail(EINVAL, "unknown modes setting %d", (int)opts->modes);
		goto out;
	}
	w.tree = keepset__tree(k);
	w.progress = opts->progress;
	w.progress_ctx = opts->progress_ctx;
	w.meter = opts->meter;
	w.cancel = opts->cancel;
	w.root_fd = open(tree__root(w.tree), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.root_fd < 0) {
		err = slz_fail(errno, "cannot open the tree %s: %s", tree__root(w.tree),
			       strerror(errno));
		goto out;
	}

	err = collect(k, &items, &n, &arena, &st);
	if (err)
		goto out;
	/* Only warning counts: running out of memory there is not worth failing the zip. */
	(void)pycheck__count(k, w.root_fd,
			     zipahead__pool(opts->ahead, w.tree, opts->level) ? zipahead__head
									      : NULL,
			     opts->ahead, opts->mtime_mode == ZIPWRITE_MTIME_KEEP,
			     &st.pyc_timestamp, &st.py_odd_mtime);
	for (size_t i = 0; i < n; i++)
		if (items[i].kind == ITEM_FILE) {
			struct tree_entry e;

			if (!tree__get(w.tree, items[i].idx, &e)) {
				w.progress_total += e.size + PROGRESS_ENTRY_WEIGHT;
				w.files_total++;
				w.bytes_total += e.size;
			}
		}
	err = plan_pool(&w, k, items, n, opts, &pool, &own_pool);
	if (err)
		goto out;

	/*
	 * A FIFO destination's open waits for its reader, and a cancel that came during the plan
	 * has already been handled: asked first, so an interrupted prune does not wait there.
	 * A later signal ends that wait with EINTR, which is the cancel too, not an output error.
	 */
	err = slz_cancel__requested(w.cancel) ? -ECANCELED : atomic_file__open(out_path, &w.af);
	if (err == -ECANCELED || (err == -EINTR && slz_cancel__requested(w.cancel))) {
		err = slz_fail(ECANCELED, ZIP_CANCELLED_MSG);
		goto out;
	}
	if (err) {
		out_err = true;
		goto out;
	}
	w.out = atomic_file__stream(w.af);
	w.out_fd = fileno(w.out);
	w.writeback = atomic_file__temp_path(w.af) != NULL;

	out_src = zip_source_function_create(zipsource__out_cb, &w, &zerr);
	if (!out_src) {
		err = slz_fail(ENOMEM, "cannot set up the zip writer: %s",
			       zip_error_strerror(&zerr));
		goto out;
	}
	za = zip_open_from_source(out_src, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (!za) {
		err = slz_fail(EIO, "cannot start the zip %s: %s", out_path,
			       zip_error_strerror(&zerr));
		out_err = true;
		goto out;
	}
	out_src = NULL; /* the archive owns it */
	if (opts->comment &&
	    zip_set_archive_comment(za, opts->comment, (zip_uint16_t)strlen(opts->comment))) {
		err = slz_fail(EINVAL, "cannot set the zip comment: %s", zip_strerror(za));
		goto out;
	}
	if (w.cancel &&
	    zip_register_cancel_callback_with_state(za, cancel_cb, NULL, (void *)w.cancel)) {
		err = slz_fail(ENOMEM, "cannot set up the zip writer: %s", zip_strerror(za));
		goto out;
	}

	if (pool) {
		/* Compression overlaps with adding the entries from here on. */
		zippool__start(pool, opts->threads);
		w.pool = pool;
	}

	for (size_t i = 0; i < n; i++) {
		err = add_item(za, &w, &items[i], opts, &st);
		if (err)
			goto out;
	}

	if (zip_close(za) < 0) {
		err = close_failure(za, &w, out_path);
		/* Not a tree file's failure, nor a cancel: writing the zip itself failed. */
		out_err = !w.file_err && err != -ECANCELED;
		goto out;
	}
	za = NULL;
	zippool__stop(pool);

	if (slz_cancel__requested(w.cancel)) {
		err = slz_fail(ECANCELED, ZIP_CANCELLED_MSG);
		goto out;
	}
	/* libzip removes instead of writing an archive without entries. */
	if (w.removed || !w.size) {
		err = write_empty_zip(&w, opts->comment);
		if (err)
			err = slz_fail(-err, "cannot write %s: %s", out_path, strerror(-err));
	} else {
		err = fix_dos_times(&w, items, n, out_path);
	}
	if (!err) {
		err = atomic_file__commit(w.af);
		w.af = NULL;
	}
	if (err) {
		out_err = true;
		goto out;
	}
	st.zip_size = w.size;
	if (w.progress && w.progress_last < 1.0)
		w.progress(1.0, w.progress_ctx);
	if (stats)
		*stats = st;
out:
	if (stats && err)
		stats->failed_writing = out_err;
	/* Sources first (they release their jobs), then the workers. */
	if (za)
		zip_discard(za);
	if (own_pool)
		zippool__free(pool);
	else
		zippool__stop(pool); /* the zipahead's: freed with it */
	zip_source_free(out_src);
	atomic_file__abort(w.af);
	if (w.root_fd >= 0)
		close(w.root_fd);
	free(w.buf);
	zip_error_fini(&w.error);
	zip_error_fini(&zerr);
	free(items);
	free(arena);
	return err;
}
