// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Targets the daemon finds itself: the config's [watch] rules and all = yes, on the
 * recorder's discovery (recorder__add_watch, recorder__set_all, recorder__on_cgroup).
 *
 * The kernel takes every child of a watched parent, with one watch id per parent; the rules
 * are ours: a born cgroup is matched against its parent's rules in config order, the first
 * that matches names it, and one that none matches is released at once (or, under all = yes,
 * followed as an all target). Cgroups that exist before a watch is set are found by a scan
 * after it; one made in between is both listed and born, which -EEXIST sorts out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "daemon_internal.h"
#include "util.h"

/* The config's all = yes names its targets like this (made unique by the registry). */
#define ALL_NAME_TEMPLATE "{name}"

static struct daemon_watch *watch_by_id(struct daemon *d, uint32_t id)
{
	for (size_t i = 0; i < d->nwatches; i++)
		if (d->watches[i].id == id)
			return &d->watches[i];
	return NULL;
}

static struct daemon_watch *watch_by_parent(struct daemon *d, const char *parent)
{
	for (size_t i = 0; i < d->nwatches; i++)
		if (!strcmp(d->watches[i].parent, parent))
			return &d->watches[i];
	return NULL;
}

/* The first rule on parent whose glob takes name, in config order; NULL when none. */
static const struct conf_watch *rule_for(const struct conf *c, const char *parent, const char *name)
{
	for (size_t i = 0; i < conf__watch_count(c); i++) {
		const struct conf_watch *w = conf__watch(c, i);

		if (!strcmp(w->parent, parent) && conf_watch__matches(w, name))
			return w;
	}
	return NULL;
}

/* The name of the directory above cgroup's ("" at the top), into parent. */
static void parent_name(const char *cgroup, char *parent, size_t size)
{
	const char *slash = strrchr(cgroup, '/'), *p = slash;

	parent[0] = '\0';
	if (!slash || slash == cgroup)
		return;
	while (p > cgroup && p[-1] != '/')
		p--;
	snprintf(parent, size, "%.*s", (int)(slash - p), p);
}

/*
 * A new target of rule w, or (w NULL) of all = yes. slot: the kernel's for a born cgroup,
 * UINT32_MAX for one a scan found. -EEXIST from a scan is quiet: the cgroup is followed
 * already, or its born record is on its way.
 */
static int target_found(struct daemon *d, const struct conf_watch *w, uint32_t slot,
			uint64_t cgroup_id, const char *cgroup)
{
	const char *slash = strrchr(cgroup, '/'), *base = slash ? slash + 1 : cgroup;
	const char *what = w ? w->name : "all";
	char parent[256], name[TARGET_NAME_MAX + 1];
	struct name_vars v = {.name = base, .watch = what, .id = cgroup_id, .parent = parent};
	int err;

	parent_name(cgroup, parent, sizeof(parent));
	err = registry__name_for(d->reg, w ? w->name_template : ALL_NAME_TEMPLATE, &v, name);
	if (err) {
		if (slot != UINT32_MAX)
			recorder__remove_target(d->rec, slot);
	} else {
		const struct target_spec spec = {
			.name = name,
			.slot = slot,
			.cgroup_id = cgroup_id,
			.cgroup = cgroup,
			.source = w ? TARGET_WATCH : TARGET_ALL,
			.watch = w ? w->name : NULL,
			.linger_ns = (uint64_t)(w ? w->linger : conf__daemon(d->conf)->linger) *
				     1000000000u,
		};

		err = daemon_target__add(d, &spec, w ? w->function : NULL, NULL);
	}
	if (err && !(err == -EEXIST && slot == UINT32_MAX))
		daemon__log(d, DAEMON_LOG_WARN, "[%s%s%s] cgroup %s: %s", w ? "watch " : "", what,
			    w ? "" : " = yes", cgroup, slz_errmsg());
	return err;
}

int daemon__target_born(struct daemon *d, const struct conf_watch *w, uint32_t slot,
			uint64_t cgroup_id, const char *cgroup)
{
	return target_found(d, w, slot, cgroup_id, cgroup);
}

int daemon__target_ended(struct daemon *d, uint64_t cgroup_id)
{
	const struct target_info *t = registry__find_cgroup(d->reg, cgroup_id);
	struct daemon_target *dt = t ? daemon_target__find(d, t) : NULL;

	/* Finishing reads the ring, which the caller (recorder__consume) is reading now. */
	if (dt && t->state == TARGET_LIVE)
		dt->ended = true;
	return 0;
}

static void born(struct daemon *d, const struct recorder_cgroup_event *ev)
{
	const struct daemon_watch *dw =
		ev->watch_id == RECORDER_WATCH_ALL ? NULL : watch_by_id(d, ev->watch_id);
	const struct conf_watch *w = dw ? rule_for(d->conf, dw->parent, ev->name) : NULL;

	/* A path cut short names no directory: no linger, no status worth the slot. */
	if (ev->path_truncated) {
		d->truncated_cgroups++;
		daemon__log(d, DAEMON_LOG_WARN,
			    "cgroup %s...: its path is too long to follow (over 1023 bytes); "
			    "not a target",
			    ev->path);
		recorder__remove_target(d->rec, ev->slot);
		return;
	}
	if (w || conf__daemon(d->conf)->all)
		target_found(d, w, ev->slot, ev->cgroup_id, ev->path);
	else
		/* No rule wants it: what it recorded meanwhile is counted stale. */
		recorder__remove_target(d->rec, ev->slot);
}

/* recorder__on_cgroup's callback: inside recorder__consume, in ring order. */
static int on_cgroup(struct recorder *r, const struct recorder_cgroup_event *ev, void *ctx)
{
	struct daemon *d = ctx;

	(void)r;
	if (ev->kind == RECORDER_CGROUP_BORN)
		born(d, ev);
	else
		daemon__target_ended(d, ev->cgroup_id);
	/* A refusal is the cgroup's, never a reason to stop reading the others' events. */
	return 0;
}

/* Stop watching dw's parent (its live targets run on to their end); its refusals are kept. */
static void watch_drop(struct daemon *d, struct daemon_watch *dw)
{
	uint64_t n = 0;

	if (!recorder__refused(d->rec, dw->id, &n))
		d->refused_gone += n;
	recorder__remove_watch(d->rec, dw->id);
	daemon__log(d, DAEMON_LOG_INFO, "no longer watching %s", dw->parent);
	free(dw->parent);
	*dw = d->watches[--d->nwatches];
}

static int watch_add(struct daemon *d, const char *parent, uint64_t id)
{
	struct daemon_watch *v;
	int err;

	v = realloc(d->watches, (d->nwatches + 1) * sizeof(*v));
	if (!v)
		return slz_fail(ENOMEM, "out of memory");
	d->watches = v;
	v = &d->watches[d->nwatches];
	*v = (struct daemon_watch){.parent = strdup(parent), .cgroup_id = id, .id = d->next_watch};
	if (!v->parent)
		return slz_fail(ENOMEM, "out of memory");
	err = recorder__add_watch(d->rec, parent, v->id);
	if (err) {
		free(v->parent);
		return err;
	}
	d->next_watch++;
	d->nwatches++;
	daemon__log(d, DAEMON_LOG_INFO, "watching %s (watch id %" PRIu32 ")", parent, v->id);
	return 0;
}

/* The id of a parent cgroup now (a parent removed and made again is a new cgroup). */
static int parent_id(const char *parent, uint64_t *id)
{
	char *dir = NULL;
	int err = cgroup__resolve(parent, &dir);

	if (!err)
		err = cgroup__id(dir, id);
	free(dir);
	return err;
}

/* Make the recorder's watches the config's parents: one each, whatever the rule count. */
static int sync_watches(struct daemon *d)
{
	const struct conf *c = d->conf;
	int first = 0;

	for (size_t i = 0; i < d->nwatches; i++)
		d->watches[i].keep = false;
	for (size_t i = 0; i < conf__watch_count(c); i++) {
		const struct conf_watch *w = conf__watch(c, i);
		struct daemon_watch *dw = watch_by_parent(d, w->parent);
		uint64_t id = 0;
		int err = parent_id(w->parent, &id);

		if (dw && !err && dw->cgroup_id == id) {
			dw->keep = true;
			continue;
		}
		if (dw)
			watch_drop(d, dw);
		if (!err)
			err = watch_add(d, w->parent, id);
		if (!err) {
			d->watches[d->nwatches - 1].keep = true;
			continue;
		}
		daemon__log(d, DAEMON_LOG_ERR, "[watch %s] parent = %s: %s", w->name, w->parent,
			    slz_errmsg());
		if (!first)
			first = err;
	}
	for (size_t i = d->nwatches; i-- > 0;)
		if (!d->watches[i].keep)
			watch_drop(d, &d->watches[i]);
	return first;
}

/* The cgroups below dir that exist now: each a target when a rule (or all) takes it. */
static void scan(struct daemon *d, const char *dir, const struct daemon_watch *dw)
{
	struct cgroup_list l;
	int err = cgroup__children(dir, !dw, &l);

	if (err) {
		daemon__log(d, DAEMON_LOG_ERR, "cannot list the cgroups below %s: %s", dir,
			    slz_errmsg());
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct cgroup_entry *e = &l.v[i];
		const struct conf_watch *w = dw ? rule_for(d->conf, dw->parent, e->name) : NULL;
		char *path = NULL;

		if ((dw && !w) || registry__find_cgroup(d->reg, e->id))
			continue;
		if (daemon__cgroup_path(e->dir, &path))
			continue;
		target_found(d, w, UINT32_MAX, e->id, path);
		free(path);
	}
	cgroup_list__free(&l);
}

int daemon_watch__apply(struct daemon *d)
{
	bool all = conf__daemon(d->conf)->all;
	int err;

	recorder__on_cgroup(d->rec, on_cgroup, d);
	err = sync_watches(d);
	if (recorder__set_all(d->rec, all) && !err)
		err = -EINVAL;
	/* Watches first, then the scan: a cgroup made in between is listed, or born, or both. */
	for (size_t i = 0; i < d->nwatches; i++) {
		char *dir = NULL;

		if (!cgroup__resolve(d->watches[i].parent, &dir))
			scan(d, dir, &d->watches[i]);
		free(dir);
	}
	if (all) {
		char *mnt = NULL, *root = NULL;

		if (!cgroup__v2_mount(&mnt, &root))
			scan(d, mnt, NULL);
		free(mnt);
		free(root);
	}
	return err;
}

uint64_t daemon__refused_targets(struct daemon *d)
{
	struct daemon_watch_counts wc;

	daemon_watch__counts(d, &wc);
	return registry__refused(d->reg) + wc.watch_refused + wc.all_refused;
}

void daemon_watch__write_parents(struct daemon *d, struct json_writer *w)
{
	json_writer__begin_array(w);
	for (size_t i = 0; i < d->nwatches; i++) {
		uint64_t n = 0;

		recorder__refused(d->rec, d->watches[i].id, &n);
		json_writer__begin_object(w);
		json_writer__string_field(w, "parent", d->watches[i].parent);
		json_writer__uint_field(w, "refused", n);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

void daemon_watch__counts(struct daemon *d, struct daemon_watch_counts *out)
{
	*out = (struct daemon_watch_counts){.watch_refused = d->refused_gone};
	for (size_t i = 0; i < d->nwatches; i++) {
		uint64_t n = 0;

		if (!recorder__refused(d->rec, d->watches[i].id, &n))
			out->watch_refused += n;
	}
	recorder__refused(d->rec, RECORDER_WATCH_ALL, &out->all_refused);
	out->ended_lost = recorder__ended_lost(d->rec);
	out->truncated = d->truncated_cgroups;
}

void daemon_watch__check_loss(struct daemon *d)
{
	for (size_t i = 0; i < d->nwatches; i++) {
		struct daemon_watch *dw = &d->watches[i];
		uint64_t n = 0;

		if (recorder__refused(d->rec, dw->id, &n) || n <= dw->refused_logged)
			continue;
		daemon__log(d, DAEMON_LOG_WARN,
			    "%" PRIu64 " new cgroups below %s were refused (%" PRIu64
			    " in all): no free target slot (max-targets), or more of them at "
			    "once than the recorder had prepared",
			    n - dw->refused_logged, dw->parent, n);
		dw->refused_logged = n;
	}
	{
		struct daemon_watch_counts c;

		daemon_watch__counts(d, &c);
		if (c.all_refused > d->all_refused_logged)
			daemon__log(d, DAEMON_LOG_WARN,
				    "all = yes: %" PRIu64 " new cgroups were refused (%" PRIu64
				    " in all): no free target slot (max-targets)",
				    c.all_refused - d->all_refused_logged, c.all_refused);
		if (c.ended_lost > d->ended_lost_logged)
			daemon__log(d, DAEMON_LOG_WARN,
				    "%" PRIu64 " end markers of removed cgroups were lost to a "
				    "full ring: those targets end after their linger instead",
				    c.ended_lost - d->ended_lost_logged);
		d->all_refused_logged = c.all_refused;
		d->ended_lost_logged = c.ended_lost;
	}
}

void daemon_watch__free(struct daemon *d)
{
	for (size_t i = 0; i < d->nwatches; i++)
		free(d->watches[i].parent);
	free(d->watches);
	d->watches = NULL;
	d->nwatches = 0;
}
