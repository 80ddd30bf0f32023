// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Crash safety: while a target is live, every entry its events add to its profile is appended
 * to STATE/journal/STEM.journal before the ring buffer's consumer moves past the event (the
 * recorder's entry callback, recorder__on_entry), so a daemon that is killed loses nothing it
 * had consumed. The journal is an append-only log in the text profile's own syntax
 * (profile_io.h: profile__write_log_header, profile__entry_line): the profile's header,
 * written atomically when the target starts, then one line per new entry, each line one
 * write(2) on an O_APPEND fd. Once a write(2) returns, the bytes are the kernel's: a killed
 * daemon keeps them. A power loss keeps only what was fsync'd: the loop fdatasyncs the
 * journals that grew once a second, so a power loss costs at most the last second.
 *
 * What is not journaled: the kernel's access counts and loss counters, which change with
 * every access. The next daemon finishes a journal it finds as an incomplete profile
 * (STATE/profiles/STEM.profile with daemon-restarted counted in its header, which prune
 * refuses like lost events), reading it with profile__read_log_stream: a last line the killed
 * daemon was cut off in the middle of is dropped, not a failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon_internal.h"
#include "daemon_paths.h"
#include "profile_io.h"
#include "util.h"

#define JOURNAL_EXT ".journal"

static int journal_path(struct daemon *d, const struct daemon_target *dt, char **out)
{
	char stem[DAEMON_STEM_MAX];

	daemon_path__stem(dt->t->name, dt->t->epoch, stem);
	return daemon_path__file(d->state_dir, DAEMON_FILE_JOURNAL, stem, out);
}

/* The journal's header: the profile's own, as it stands when the epoch begins. */
static int write_header(const struct daemon_target *dt, const char *path)
{
	struct atomic_file *af = NULL;
	struct profile *p = NULL;
	int err = profile__new(&p);

	if (!err)
		err = daemon_target__fill_header(p, dt);
	if (!err)
		err = atomic_file__open(path, &af);
	if (!err) {
		err = profile__write_log_header(p, atomic_file__stream(af));
		if (err)
			atomic_file__abort(af);
		else
			err = atomic_file__commit(af);
	}
	profile__free(p);
	return err;
}

int daemon_journal__open(struct daemon *d, struct daemon_target *dt)
{
	char *path = NULL;
	int err;

	daemon_journal__close(d, dt);
	err = journal_path(d, dt, &path);
	if (!err)
		err = write_header(dt, path);
	if (!err) {
		/* Appends only: each line lands after the last, whatever another write did. */
		dt->journal_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (dt->journal_fd < 0)
			err = slz_fail(errno, "cannot open %s: %s", path, strerror(errno));
	}
	if (!err) {
		struct stat st;

		dt->journal_len = fstat(dt->journal_fd, &st) ? 0 : st.st_size;
		if (dt->t->slot < ARRAY_SIZE(d->by_slot))
			d->by_slot[dt->t->slot] = dt;
	} else {
		daemon__log(d, DAEMON_LOG_ERR,
			    "target %s: cannot write its journal %s: %s (a killed daemon would "
			    "lose what it recorded)",
			    dt->t->name, path ? path : "", slz_errmsg());
	}
	free(path);
	return err;
}

/* A journal that cannot take a line is given up: cut back to its last whole line, closed. */
static void give_up(struct daemon *d, struct daemon_target *dt, int err)
{
	if (ftruncate(dt->journal_fd, dt->journal_len))
		err = errno; /* a cut line at its end is dropped by the recovery anyway */
	daemon__log(d, DAEMON_LOG_ERR,
		    "target %s: its journal takes no more lines (%s): a killed daemon would lose "
		    "what it records from now on",
		    dt->t->name, strerror(err));
	close(dt->journal_fd);
	dt->journal_fd = -1;
}

void daemon_journal__on_entry(struct recorder *r, uint32_t slot, const struct profile_entry *e,
			      void *ctx)
{
	struct daemon *d = ctx;
	struct daemon_target *dt = slot < ARRAY_SIZE(d->by_slot) ? d->by_slot[slot] : NULL;
	char *line = NULL;
	size_t len = 0, off = 0;

	(void)r;
	if (!dt || dt->journal_fd < 0)
		return;
	if (profile__entry_line(e, &line, &len)) {
		give_up(d, dt, ENOMEM);
		return;
	}
	/* One write(2) a line; a regular file takes it whole unless the disk is full. */
	while (off < len) {
		ssize_t n = write(dt->journal_fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			give_up(d, dt, n < 0 ? errno : ENOSPC);
			free(line);
			return;
		}
		off += (size_t)n;
	}
	dt->journal_len += (off_t)len;
	dt->journal_unsynced = true;
	free(line);
}

void daemon_journal__sync(struct daemon *d)
{
	for (struct daemon_target *dt = d->targets; dt; dt = dt->next) {
		if (dt->journal_fd < 0 || !dt->journal_unsynced)
			continue;
		dt->journal_unsynced = false;
		if (fdatasync(dt->journal_fd))
			daemon__log(d, DAEMON_LOG_WARN, "target %s: fdatasync of its journal: %s",
				    dt->t->name, strerror(errno));
	}
}

void daemon_journal__close(struct daemon *d, struct daemon_target *dt)
{
	if (dt->journal_fd >= 0)
		close(dt->journal_fd);
	dt->journal_fd = -1;
	dt->journal_len = 0;
	dt->journal_unsynced = false;
	if (d && dt->t->slot < ARRAY_SIZE(d->by_slot) && d->by_slot[dt->t->slot] == dt)
		d->by_slot[dt->t->slot] = NULL;
}

void daemon_journal__drop(struct daemon *d, struct daemon_target *dt)
{
	char *path = NULL;

	daemon_journal__close(d, dt);
	if (!journal_path(d, dt, &path))
		unlink(path);
	free(path);
}

/* The log a killed daemon left: a torn last line is dropped (and said). */
static int read_journal(struct daemon *d, const char *path, struct profile **out)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	bool torn = false;
	int err;

	if (!f)
		return slz_fail(errno, "cannot open %s: %s", path, strerror(errno));
	err = profile__read_log_stream(f, path, out, &torn);
	/* Its last line was written when the daemon last took something in: its end. */
	if (!err && !fstat(fileno(f), &st))
		profile__header(*out)->end_unix_ms =
			(int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	fclose(f);
	if (!err && torn)
		daemon__log(d, DAEMON_LOG_INFO,
			    "journal %s: its last line was cut when the daemon was killed; dropped",
			    path);
	return err;
}

/* One journal a killed daemon left: its profile, marked incomplete, in STATE/profiles. */
static int recover_one(struct daemon *d, const char *dir, const char *file)
{
	size_t stem_len = strlen(file) - strlen(JOURNAL_EXT);
	char *jpath = NULL, *ppath = NULL, stem[DAEMON_STEM_MAX];
	struct profile *p = NULL;
	int err;

	if (stem_len >= sizeof(stem))
		return 0;
	memcpy(stem, file, stem_len);
	stem[stem_len] = '\0';
	if (asprintf(&jpath, "%s/%s", dir, file) < 0)
		return slz_fail(ENOMEM, "out of memory");
	err = daemon_path__file(d->state_dir, DAEMON_FILE_PROFILE, stem, &ppath);
	if (!err)
		err = read_journal(d, jpath, &p);
	if (!err) {
		profile__header(p)->daemon_restarted++;
		err = profile__write(p, ppath, PROFILE_FMT_TEXT);
	}
	if (!err) {
		unlink(jpath);
		d->recovered_total++;
		daemon__log(
			d, DAEMON_LOG_WARN,
			"target %s: the daemon recording it was killed; its journal is %s, "
			"marked incomplete (daemon-restarted): prune refuses it without --force",
			stem, ppath);
	} else {
		daemon__log(d, DAEMON_LOG_ERR, "journal %s: %s (left where it is)", jpath,
			    slz_errmsg());
	}
	profile__free(p);
	free(jpath);
	free(ppath);
	return err;
}

int daemon_journal__recover(struct daemon *d)
{
	char *dir = NULL;
	struct dirent *de;
	DIR *dh;

	if (asprintf(&dir, "%s/journal", d->state_dir) < 0)
		return slz_fail(ENOMEM, "out of memory");
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = slz_fail(errno, "cannot make %s: %s", dir, strerror(errno));

		free(dir);
		return err;
	}
	dh = opendir(dir);
	if (!dh) {
		int err = slz_fail(errno, "cannot read %s: %s", dir, strerror(errno));

		free(dir);
		return err;
	}
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name), e = strlen(JOURNAL_EXT);

		/* Only NAME.journal files: temps of a killed write (".NAME.tmp-...") are not. */
		if (de->d_name[0] == '.' || n <= e || strcmp(de->d_name + n - e, JOURNAL_EXT))
			continue;
		recover_one(d, dir, de->d_name);
	}
	closedir(dh);
	free(dir);
	return 0;
}
