// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A target's way through the daemon: into the registry and the recorder, then out as a
 * profile in the state directory and, when a [function] maps it, a zip pruned as
 * `slimzip prune` would (the same policy, the same refusals: loss writes no zip).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "config.h"
#include "daemon_internal.h"
#include "daemon_paths.h"
#include "profile_io.h"
#include "util.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int daemon__cgroup_path(const char *dir, char **out)
{
	char *mnt = NULL, *root = NULL;
	size_t n;
	int err = cgroup__v2_mount(&mnt, &root);

	*out = NULL;
	if (err)
		return err;
	n = strlen(mnt);
	if (strncmp(dir, mnt, n) || (dir[n] && dir[n] != '/')) {
		err = slz_fail(EINVAL, "'%s' is not below the cgroup v2 mount %s", dir, mnt);
		goto out;
	}
	/* A mount of a sub-hierarchy (a container's) names its paths from its own root. */
	if (asprintf(out, "%s%s", strcmp(root, "/") ? root : "", dir[n] ? dir + n : "/") < 0) {
		*out = NULL;
		err = slz_fail(ENOMEM, "out of memory");
	}
out:
	free(mnt);
	free(root);
	return err;
}

struct daemon_target *daemon_target__find(struct daemon *d, const struct target_info *t)
{
	for (struct daemon_target *dt = d->targets; dt; dt = dt->next)
		if (dt->t == t)
			return dt;
	return NULL;
}

void daemon_target__free(struct daemon_target *dt)
{
	if (!dt)
		return;
	daemon_journal__close(NULL, dt);
	free(dt->dir);
	free(dt->profile);
	free(dt->zip);
	free(dt->refusal);
	free(dt);
}

/* Unlink dt from the list and from the registry. */
static void forget(struct daemon *d, struct daemon_target *dt)
{
	for (struct daemon_target **pp = &d->targets; *pp; pp = &(*pp)->next) {
		if (*pp == dt) {
			*pp = dt->next;
			break;
		}
	}
	if (dt->t->state == TARGET_FINISHED && d->nfinished)
		d->nfinished--;
	registry__remove(d->reg, dt->t);
	daemon_target__free(dt);
}

/* Keep the most recent DAEMON_FINISHED_KEEP finished targets; the list is newest first. */
static void trim_finished(struct daemon *d)
{
	struct daemon_target *dt, *last = NULL;
	size_t seen = 0;

	while (d->nfinished > DAEMON_FINISHED_KEEP) {
		seen = 0;
		last = NULL;
		/* One whose zip is being written stays until it lands (its reply may wait). */
		for (dt = d->targets; dt; dt = dt->next)
			if (dt->t->state == TARGET_FINISHED && ++seen && !dt->npruning)
				last = dt;
		if (!last)
			break;
		forget(d, last);
	}
}

/*
 * A cgroup all = yes follows that a rule or a client names: the named target takes over, and
 * the all target is finished (its profile written: nothing it recorded is dropped). True when
 * there was one.
 */
static bool take_over_all(struct daemon *d, const struct target_spec *spec)
{
	const struct target_info *old = registry__find_cgroup(d->reg, spec->cgroup_id);
	struct daemon_target *dt;

	if (spec->source == TARGET_ALL || !old || old->source != TARGET_ALL ||
	    old->state != TARGET_LIVE || !(dt = daemon_target__find(d, old)))
		return false;
	daemon__log(d, DAEMON_LOG_INFO, "target %s: cgroup %s is target %s's now", old->name,
		    old->cgroup, spec->name);
	daemon_target__finish(d, dt);
	/* Its profile is written; the cgroup's entry must go for the new target to take it. */
	old = registry__find_cgroup(d->reg, spec->cgroup_id);
	if (old && old->state == TARGET_FINISHED && (dt = daemon_target__find(d, old)))
		forget(d, dt);
	return true;
}

int daemon_target__add(struct daemon *d, const struct target_spec *spec,
		       const struct conf_function *fn, struct daemon_target **out)
{
	struct target_spec s = *spec;
	const struct target_info *old, *t;
	struct daemon_target *dt;
	uint32_t slot;
	int err;

	if (d->stopping) {
		err = slz_fail(ESHUTDOWN, "the daemon is stopping (SIGTERM): target %s not added",
			       spec->name);
		goto refused;
	}
	take_over_all(d, spec);
	/*
	 * A finished target only keeps its name (and cgroup) for status: a new one may take it,
	 * once its zip is written. Until then its entry is where the zip's result lands (status,
	 * list), and a new target of its name would write the same output: refused, not dropped.
	 */
	for (int i = 0; i < 2; i++) {
		struct daemon_target *odt;

		old = i ? registry__find_cgroup(d->reg, spec->cgroup_id)
			: registry__find(d->reg, spec->name);
		if (!old || old->state != TARGET_FINISHED)
			continue;
		odt = daemon_target__find(d, old);
		if (odt && odt->npruning) {
			err = slz_fail(
				EEXIST,
				"target %s is finished but its zip is still being written; "
				"try again once it is (ctl finish %s waits for it), or choose "
				"another name",
				old->name, old->name);
			goto refused;
		}
		if (odt)
			forget(d, odt);
	}
	/* The registry's own checks first, so that the kernel is not touched for a refusal. */
	if ((old = registry__find(d->reg, spec->name))) {
		err = slz_fail(EEXIST,
			       "a target named %s exists already (cgroup %s); choose another "
			       "name or remove it first",
			       spec->name, old->cgroup);
		goto refused;
	}
	if ((old = registry__find_cgroup(d->reg, spec->cgroup_id))) {
		err = slz_fail(EEXIST, "cgroup %s is followed already, as target %s", spec->cgroup,
			       old->name);
		goto refused;
	}
	dt = calloc(1, sizeof(*dt));
	if (!dt) {
		err = slz_fail(ENOMEM, "out of memory");
		goto refused;
	}
	slot = spec->slot;
	/*
	 * Full: the registry refuses it, counts it and names max-targets; the recorder would
	 * only say it has no slot.
	 */
	if (slot == UINT32_MAX && registry__active(d->reg) >= conf__daemon(d->conf)->max_targets) {
		free(dt);
		err = registry__add(d->reg, &s, &t);
		return err ? err : slz_fail(ENOSPC, "target %s refused: no free slot", spec->name);
	}
	err = slot == UINT32_MAX ? recorder__add_target(d->rec, spec->cgroup_id, &slot) : 0;
	if (err == -EEXIST && spec->source == TARGET_EXPLICIT && conf__daemon(d->conf)->all) {
		/*
		 * Born under all = yes and not read yet (record --daemon registers the cgroup it
		 * has just made): read it, hand it over, try again.
		 */
		recorder__consume(d->rec);
		daemon_target__finish_ended(d);
		if (take_over_all(d, spec))
			err = recorder__add_target(d->rec, spec->cgroup_id, &slot);
	}
	if (err) {
		free(dt);
		if (err == -ENOSPC)
			return slz_fail(ENOSPC, "the recorder has no free slot for target %s",
					spec->name);
		return slz_fail(-err, "cannot follow cgroup %s: %s", spec->cgroup,
				*slz_errmsg() ? slz_errmsg() : strerror(-err));
	}
	s.slot = slot;
	s.now_ns = mono_ns();
	err = registry__add(d->reg, &s, &t);
	if (err) {
		recorder__remove_target(d->rec, slot);
		free(dt);
		return err;
	}
	dt->t = t;
	dt->fn = fn;
	dt->journal_fd = -1;
	dt->serial = ++d->next_serial;
	if (cgroup__resolve(t->cgroup, &dt->dir))
		dt->dir = NULL; /* no linger then: it ends when it is removed or finished */
	dt->start_ms = slz_unix_ms();
	dt->next = d->targets;
	d->targets = dt;
	if (out)
		*out = dt;
	/*
	 * Before any of its events is consumed (a born target's follow its born record in the
	 * ring): from now on each entry is in the journal before the ring moves on.
	 */
	daemon_journal__open(d, dt);
	daemon__log(d, DAEMON_LOG_INFO, "target %s: following %s (slot %" PRIu32 ")", t->name,
		    t->cgroup, slot);
	daemon__notify_status(d);
	return 0;
refused:
	/* A slot the kernel took for a born cgroup nobody follows goes back. */
	if (spec->slot != UINT32_MAX)
		recorder__remove_target(d->rec, spec->slot);
	return err;
}

void daemon_target__finish_ended(struct daemon *d)
{
	for (;;) {
		struct daemon_target *dt = d->targets;

		while (dt && !(dt->ended && dt->t->state == TARGET_LIVE))
			dt = dt->next;
		if (!dt)
			return;
		dt->ended = false;
		daemon_target__finish(d, dt);
	}
}

/* Whether the cgroup at dir holds processes (cgroup.events "populated 1"). */
static int read_populated(const char *dir, bool *populated)
{
	char path[4200], buf[512];
	FILE *f;
	int err = -ENODATA;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "populated ", 10)) {
			*populated = buf[10] == '1';
			err = 0;
		}
	}
	fclose(f);
	return err;
}

void daemon_target__expire(struct daemon *d)
{
	uint64_t now = mono_ns();
	const struct target_info *t;
	size_t pos = 0;

	for (struct daemon_target *dt = d->targets; dt; dt = dt->next) {
		bool populated;

		if (dt->t->state != TARGET_LIVE || !dt->t->linger_ns)
			continue;
		/* A cgroup gone without an end marker is as unpopulated as can be. */
		if (!dt->dir || read_populated(dt->dir, &populated))
			populated = false;
		registry__set_populated(d->reg, dt->t, populated, now);
	}
	while ((t = registry__next_expired(d->reg, now, &pos))) {
		struct daemon_target *dt = daemon_target__find(d, t);

		if (!dt)
			continue;
		daemon__log(d, DAEMON_LOG_INFO, "target %s: unpopulated for its linger; finishing",
			    t->name);
		daemon_target__finish(d, dt);
		/* Finishing may trim the list the registry walks: start over. */
		pos = 0;
	}
}

int daemon_target__remove(struct daemon *d, struct daemon_target *dt)
{
	if (dt->t->state != TARGET_FINISHED) {
		recorder__remove_target(d->rec, dt->t->slot);
		daemon_journal__drop(d, dt);
	}
	daemon__log(d, DAEMON_LOG_INFO, "target %s: removed, nothing written", dt->t->name);
	forget(d, dt);
	daemon__notify_status(d);
	return 0;
}

int daemon_target__fill_header(struct profile *p, const struct daemon_target *dt)
{
	struct profile_header *h = profile__header(p);
	int err = profile__set_host(p, SLIMZIP_VERSION);

	if (!err)
		err = profile__set_str(p, &h->target_kind, "cgroup");
	if (!err)
		err = profile__set_str(p, &h->target, dt->t->cgroup);
	h->start_unix_ms = dt->start_ms;
	h->end_unix_ms = slz_unix_ms();
	h->exit_status = -1;
	if (err)
		return slz_fail(ENOMEM, "out of memory");
	/* A target its [function] prunes was recorded over that tree: merge compares it. */
	if (dt->fn && profile__set_tree_root(p, dt->fn->tree, dt->fn->tree_path_as))
		return slz_fail(ENOMEM, "out of memory");
	return 0;
}

int daemon_target__profile(struct daemon *d, struct daemon_target *dt, struct profile **out)
{
	struct profile *p = NULL;
	int err;

	*out = NULL;
	err = recorder__consume(d->rec);
	if (err < 0)
		return err;
	err = recorder__profile(d->rec, dt->t->slot, &p);
	if (err)
		return slz_fail(-err, "cannot read the profile of target %s: %s", dt->t->name,
				*slz_errmsg() ? slz_errmsg() : strerror(-err));
	err = daemon_target__fill_header(p, dt);
	/* The daemon's refusals so far: work beside this target that went unrecorded. */
	profile__header(p)->refused_targets = daemon__refused_targets(d);
	if (!err)
		err = profile__sort(p);
	if (err) {
		profile__free(p);
		return err;
	}
	*out = p;
	return 0;
}

static int write_profile(const struct profile *p, const char *path)
{
	int err = profile__write(p, path, PROFILE_FMT_TEXT);

	return err ? slz_fail(-err, "cannot write profile %s: %s", path, slz_errmsg()) : 0;
}

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

/*
 * Write the epoch's profile: the end of a finish or a checkpoint. When a [function] maps the
 * target, its prune is queued for the worker (daemon_prune.c), taking *p; its zip or refusal
 * reaches dt when it lands. A prune that cannot even be queued is refused now (dt->refusal),
 * not an error.
 */
static int write_results(struct daemon *d, struct daemon_target *dt, struct profile **pp)
{
	const struct profile *p = *pp;
	const struct profile_header *h = profile__header_const(p);
	char stem[DAEMON_STEM_MAX], *path = NULL;
	int err;

	daemon_path__stem(dt->t->name, dt->t->epoch, stem);
	err = daemon_path__file(d->state_dir, DAEMON_FILE_PROFILE, stem, &path);
	if (!err)
		err = write_profile(p, path);
	if (err) {
		free(path);
		return err;
	}
	set_str(&dt->profile, path);
	dt->lost_events = h->lost_events;
	dt->dedup_full = h->dedup_full;
	dt->truncated_paths = h->truncated_paths;
	set_str(&dt->zip, NULL);
	set_str(&dt->refusal, NULL);
	daemon__log(d, DAEMON_LOG_INFO,
		    "target %s: %zu files in %s (lost events %" PRIu64 ", truncated paths %" PRIu64
		    ", dedup full %" PRIu64 ")",
		    dt->t->name, profile__count(p), path, h->lost_events, h->truncated_paths,
		    h->dedup_full);
	free(path);
	if (!dt->fn)
		return 0;
	slz_errclear();
	err = daemon_prune__submit(d, dt, pp, stem);
	if (err) {
		set_str(&dt->refusal, *slz_errmsg() ? slz_errmsg() : strerror(-err));
		d->refused_total++;
		daemon__log(d, DAEMON_LOG_WARN, "target %s: no zip for [function %s]: %s",
			    dt->t->name, dt->fn->name, dt->refusal ? dt->refusal : "out of memory");
	}
	return 0;
}

int daemon_target__finish(struct daemon *d, struct daemon_target *dt)
{
	struct profile *p = NULL;
	int err, e;

	if (dt->t->state != TARGET_LIVE)
		return slz_fail(EINVAL, "target %s is %s already", dt->t->name,
				target_state__name(dt->t->state));
	registry__set_state(d->reg, dt->t, TARGET_FINISHING);
	err = daemon_target__profile(d, dt, &p);
	if (!err)
		err = write_results(d, dt, &p);
	profile__free(p);
	/* The profile is written: its journal has done its job (kept when it could not be). */
	if (!err)
		daemon_journal__drop(d, dt);
	else
		daemon_journal__close(d, dt);
	/* Whatever became of the profile, the slot is free: a stuck target would hold it. */
	e = recorder__remove_target(d->rec, dt->t->slot);
	if (e && !err)
		err = slz_fail(-e, "cannot release the slot of target %s", dt->t->name);
	registry__set_state(d->reg, dt->t, TARGET_FINISHED);
	d->nfinished++;
	d->finished_total++;
	if (err)
		daemon__log(d, DAEMON_LOG_ERR, "target %s: %s", dt->t->name, slz_errmsg());
	trim_finished(d);
	daemon__notify_status(d);
	return err;
}

int daemon_target__checkpoint(struct daemon *d, struct daemon_target *dt)
{
	struct profile *p = NULL;
	int err;

	if (dt->t->state != TARGET_LIVE)
		return slz_fail(EINVAL, "target %s is %s: only a live one takes a checkpoint",
				dt->t->name, target_state__name(dt->t->state));
	err = daemon_target__profile(d, dt, &p);
	if (!err)
		err = write_results(d, dt, &p);
	profile__free(p);
	if (err)
		return err;
	daemon_journal__drop(d, dt);
	err = registry__checkpoint(d->reg, dt->t, NULL);
	if (!err)
		err = recorder__reset_target(d->rec, dt->t->slot);
	if (err)
		return slz_fail(-err, "cannot start a new epoch of target %s", dt->t->name);
	dt->start_ms = slz_unix_ms();
	daemon_journal__open(d, dt);
	daemon__log(d, DAEMON_LOG_INFO, "target %s: epoch %" PRIu32 " begins", dt->t->name,
		    dt->t->epoch);
	return 0;
}

int daemon_target__snapshot(struct daemon *d, struct daemon_target *dt, const char *path)
{
	struct profile *p = NULL;
	int err;

	if (dt->t->state != TARGET_LIVE)
		return slz_fail(EINVAL, "target %s is %s: its profile is %s", dt->t->name,
				target_state__name(dt->t->state),
				dt->profile ? dt->profile : "not written");
	err = daemon_target__profile(d, dt, &p);
	if (!err)
		err = write_profile(p, path);
	profile__free(p);
	return err;
}
