// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Crash safety: every live target's profile so far is kept in STATE/journal/STEM.journal
 * (written atomically and fsync'd, profile__write), at its start and then once a second while
 * events come in. A daemon that is killed leaves its journals behind; the next one finishes
 * each as incomplete: STATE/profiles/STEM.profile with daemon-restarted counted in its
 * header, which prune refuses like lost events. Loss is never silent: what the killed daemon
 * took in after its last journal write is missing, and the header says that something may be.
 */
#include <dirent.h>
#include <errno.h>
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

int daemon_journal__write(struct daemon *d, struct daemon_target *dt)
{
	struct profile *p = NULL;
	char *path = NULL;
	int err;

	if (dt->t->state != TARGET_LIVE)
		return 0;
	err = journal_path(d, dt, &path);
	if (!err)
		err = daemon_target__profile(d, dt, &p);
	if (!err)
		err = profile__write(p, path, PROFILE_FMT_TEXT);
	if (err)
		daemon__log(d, DAEMON_LOG_ERR, "target %s: cannot write its journal %s: %s",
			    dt->t->name, path ? path : "", slz_errmsg());
	profile__free(p);
	free(path);
	return err;
}

void daemon_journal__sync(struct daemon *d)
{
	for (struct daemon_target *dt = d->targets; dt; dt = dt->next)
		daemon_journal__write(d, dt);
}

void daemon_journal__drop(struct daemon *d, struct daemon_target *dt)
{
	char *path = NULL;

	if (!journal_path(d, dt, &path))
		unlink(path);
	free(path);
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
		err = profile__read(jpath, &p);
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
