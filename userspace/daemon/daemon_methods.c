// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control methods (docs/PROTOCOL.md): one function per request, each writing its reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "daemon_internal.h"
#include "json.h"
#include "util.h"

/* The reply to a failure err, explained by slz_errmsg (the refusal's error from the errno). */
static int reply_error(int err, char **buf, size_t *len)
{
	const char *msg = *slz_errmsg() ? slz_errmsg() : strerror(-err);

	return proto_reply__error(proto_error__from_errno(err), msg, NULL, buf, len);
}

static int no_such_target(const char *name, char **buf, size_t *len)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "no target named %s (ctl list shows them)", name);
	return proto_reply__error(PROTO_ERR_NO_SUCH_TARGET, msg, NULL, buf, len);
}

static struct daemon_target *find(struct daemon *d, const char *name)
{
	const struct target_info *t = registry__find(d->reg, name);

	return t ? daemon_target__find(d, t) : NULL;
}

static void write_loss_of(struct json_writer *w, uint64_t lost, uint64_t dedup, uint64_t trunc)
{
	json_writer__key(w, "loss");
	json_writer__begin_object(w);
	json_writer__uint_field(w, "lostEvents", lost);
	json_writer__uint_field(w, "dedupFull", dedup);
	json_writer__uint_field(w, "truncatedPaths", trunc);
	json_writer__end_object(w);
}

static void write_loss(struct json_writer *w, const struct daemon_target *dt)
{
	write_loss_of(w, dt->lost_events, dt->dedup_full, dt->truncated_paths);
}

/* A target's results so far: profile, zip, refusal (the members that are set). */
static void write_results(struct json_writer *w, const struct daemon_target *dt)
{
	if (dt->profile)
		json_writer__string_field(w, "profile", dt->profile);
	if (dt->zip)
		json_writer__string_field(w, "zip", dt->zip);
	if (dt->refusal)
		json_writer__string_field(w, "zipRefused", dt->refusal);
	if (dt->fn)
		json_writer__string_field(w, "function", dt->fn->name);
}

/* Add and Register: the cgroup must exist; its v2 path and id name the target. */
static int add(struct daemon *d, const struct proto_request *req, char **buf, size_t *len)
{
	char *dir = NULL, *path = NULL, name[TARGET_NAME_MAX + 1];
	struct daemon_target *dt = NULL;
	struct proto_reply *r;
	struct json_writer *w;
	uint64_t id;
	int err;

	err = cgroup__resolve(req->cgroup, &dir);
	if (err) {
		err = proto_reply__error(PROTO_ERR_NO_SUCH_CGROUP,
					 *slz_errmsg() ? slz_errmsg() : "no such cgroup", NULL, buf,
					 len);
		free(dir);
		return err;
	}
	err = daemon__cgroup_path(dir, &path);
	if (!err)
		err = cgroup__id(dir, &id);
	if (!err && req->name) {
		snprintf(name, sizeof(name), "%s", req->name);
	} else if (!err) {
		/* Register without a name: the directory's own, made safe as watches' are. */
		const char *base = strrchr(path, '/') + 1;
		const struct name_vars v = {.name = base, .watch = "", .id = id, .parent = ""};

		err = registry__name_for(d->reg, "{name}", &v, name);
	}
	if (!err) {
		const struct target_spec spec = {
			.name = name,
			.slot = UINT32_MAX,
			.cgroup_id = id,
			.cgroup = path,
			.source = TARGET_EXPLICIT,
		};

		/* An explicit target is pruned by the [function] of its own name, if any. */
		err = daemon_target__add(d, &spec, conf__find_function(d->conf, name), &dt);
	}
	free(dir);
	free(path);
	if (err)
		return reply_error(err, buf, len);
	err = proto_reply__begin(&r, &w);
	if (err)
		return err;
	json_writer__key(w, "target");
	proto__write_target(w, dt->t);
	return proto_reply__end(r, buf, len);
}

static int list(struct daemon *d, char **buf, size_t *len)
{
	struct proto_reply *r;
	struct json_writer *w;
	int err = proto_reply__begin(&r, &w);

	if (err)
		return err;
	json_writer__key(w, "targets");
	json_writer__begin_array(w);
	for (size_t i = 0; i < registry__count(d->reg); i++)
		proto__write_target(w, registry__at(d->reg, i));
	json_writer__end_array(w);
	return proto_reply__end(r, buf, len);
}

static int status(struct daemon *d, const struct proto_request *req, char **buf, size_t *len)
{
	struct daemon_target *dt = NULL;
	struct proto_reply *r;
	struct json_writer *w;
	int err;

	if (req->name && !(dt = find(d, req->name)))
		return no_such_target(req->name, buf, len);
	if (dt && dt->t->state == TARGET_LIVE) {
		/* The counters of the live epoch, read now. */
		struct profile *p = NULL;
		const struct profile_header *h;

		if (daemon_target__profile(d, dt, &p))
			return reply_error(-EIO, buf, len);
		h = profile__header_const(p);
		dt->lost_events = h->lost_events;
		dt->dedup_full = h->dedup_full;
		dt->truncated_paths = h->truncated_paths;
		profile__free(p);
	}
	err = proto_reply__begin(&r, &w);
	if (err)
		return err;
	if (dt) {
		json_writer__key(w, "target");
		proto__write_target(w, dt->t);
		write_loss(w, dt);
		write_results(w, dt);
		return proto_reply__end(r, buf, len);
	}
	json_writer__uint_field(w, "targets", registry__active(d->reg));
	json_writer__uint_field(w, "finished", d->finished_total);
	json_writer__uint_field(w, "capacity", conf__daemon(d->conf)->max_targets);
	json_writer__uint_field(w, "refusedForCapacity", registry__refused(d->reg));
	json_writer__uint_field(w, "watches", conf__watch_count(d->conf));
	{
		struct daemon_watch_counts wc;

		/* What discovery refused or lost: never silent (docs/PROTOCOL.md). */
		daemon_watch__counts(d, &wc);
		json_writer__uint_field(w, "watchedParents", d->nwatches);
		json_writer__uint_field(w, "watchRefused", wc.watch_refused);
		json_writer__key(w, "watched");
		daemon_watch__write_parents(d, w);
		json_writer__uint_field(w, "allRefused", wc.all_refused);
		json_writer__uint_field(w, "endedLost", wc.ended_lost);
		json_writer__uint_field(w, "pathTooLong", wc.truncated);
		json_writer__key(w, "all");
		json_writer__bool(w, conf__daemon(d->conf)->all);
	}
	json_writer__uint_field(w, "zips", d->zips_total);
	json_writer__uint_field(w, "zipsRefused", d->refused_total);
	json_writer__uint_field(w, "pruning", daemon_prune__pending(d));
	json_writer__uint_field(w, "recovered", d->recovered_total);
	json_writer__uint_field(w, "staleEvents", recorder__stale_events(d->rec));
	/* Whether every task of the host pays for the syscall program now (recorder.h). */
	json_writer__key(w, "attached");
	json_writer__bool(w, recorder__attached(d->rec));
	json_writer__string_field(w, "stateDir", d->state_dir);
	json_writer__string_field(w, "socket", d->socket_path);
	json_writer__key(w, "config");
	if (d->conf_path)
		json_writer__string(w, d->conf_path);
	else
		json_writer__null(w);
	/* A SIGHUP that kept the old config says so until one is taken. */
	json_writer__key(w, "configError");
	if (d->conf_error)
		json_writer__string(w, d->conf_error);
	else
		json_writer__null(w);
	return proto_reply__end(r, buf, len);
}

int daemon_methods__outcome_reply(enum proto_method method, const struct daemon_outcome *o,
				  char **buf, size_t *len)
{
	struct proto_reply *r;
	struct json_writer *w;
	int err;

	if (!o->t)
		return proto_reply__error(PROTO_ERR_NO_SUCH_TARGET,
					  "the target was removed before its zip was written", NULL,
					  buf, len);
	err = proto_reply__begin(&r, &w);
	if (err)
		return err;
	if (method == PROTO_CHECKPOINT) {
		/* The epoch that began when this one's profile was taken. */
		json_writer__uint_field(w, "epoch", o->epoch + 1);
	} else {
		json_writer__key(w, "target");
		proto__write_target(w, o->t);
	}
	if (o->profile)
		json_writer__string_field(w, "profile", o->profile);
	if (o->zip)
		json_writer__string_field(w, "zip", o->zip);
	if (o->refusal)
		json_writer__string_field(w, "zipRefused", o->refusal);
	if (o->function && method != PROTO_CHECKPOINT)
		json_writer__string_field(w, "function", o->function);
	write_loss_of(w, o->lost_events, o->dedup_full, o->truncated_paths);
	return proto_reply__end(r, buf, len);
}

/*
 * A Finish or Checkpoint that queued a prune: its reply waits for the zip (the client is not
 * read meanwhile: replies keep their order). True when it waits.
 */
static bool wait_for_zip(struct daemon_client *c, const struct proto_request *req,
			 const struct daemon_target *dt, uint64_t job_before)
{
	if (req->oneway || dt->prune_job == job_before || !dt->npruning)
		return false;
	c->wait_job = dt->prune_job;
	c->wait_method = req->method;
	return true;
}

/* Finish, Checkpoint, Snapshot, Remove: a named target and what became of it. */
static int on_target(struct daemon *d, struct daemon_client *c, const struct proto_request *req,
		     char **buf, size_t *len)
{
	struct daemon_target *dt = find(d, req->name);
	struct proto_reply *r;
	struct json_writer *w;
	uint64_t job_before;
	int err;

	/* The daemon writes as root: only root may say where (checked before anything else). */
	if (req->method == PROTO_SNAPSHOT && !c->root)
		return proto_reply__error(PROTO_ERR_PERMISSION_DENIED,
					  "only root may name the file a snapshot is written to; "
					  "SIGUSR1 writes every target's to the state directory",
					  NULL, buf, len);
	if (!dt)
		return no_such_target(req->name, buf, len);
	job_before = dt->prune_job;
	switch (req->method) {
	case PROTO_REMOVE:
		daemon_target__remove(d, dt);
		dt = NULL;
		break;
	case PROTO_FINISH:
		err = daemon_target__finish(d, dt);
		if (err)
			return reply_error(err, buf, len);
		if (wait_for_zip(c, req, dt, job_before))
			return 0;
		break;
	case PROTO_CHECKPOINT:
		err = daemon_target__checkpoint(d, dt);
		if (err)
			return reply_error(err, buf, len);
		if (wait_for_zip(c, req, dt, job_before))
			return 0;
		break;
	case PROTO_SNAPSHOT:
		err = daemon_target__snapshot(d, dt, req->output);
		if (err)
			return reply_error(err, buf, len);
		break;
	default:
		return proto_reply__error(PROTO_ERR_FAILED, "not a target method", NULL, buf, len);
	}
	err = proto_reply__begin(&r, &w);
	if (err)
		return err;
	if (req->method == PROTO_SNAPSHOT) {
		json_writer__string_field(w, "profile", req->output);
	} else if (req->method == PROTO_CHECKPOINT) {
		json_writer__uint_field(w, "epoch", dt->t->epoch);
		json_writer__string_field(w, "profile", dt->profile);
		if (dt->zip)
			json_writer__string_field(w, "zip", dt->zip);
		if (dt->refusal)
			json_writer__string_field(w, "zipRefused", dt->refusal);
		write_loss(w, dt);
	} else if (dt) {
		json_writer__key(w, "target");
		proto__write_target(w, dt->t);
		write_results(w, dt);
		write_loss(w, dt);
	}
	return proto_reply__end(r, buf, len);
}

int daemon_methods__handle(struct daemon *d, struct daemon_client *c,
			   const struct proto_request *req, char **buf, size_t *len)
{
	struct proto_reply *r;
	struct json_writer *w;
	int err;

	*buf = NULL;
	*len = 0;
	slz_errclear();
	switch (req->method) {
	case PROTO_PING:
		err = proto_reply__begin(&r, &w);
		return err ? err : proto_reply__end(r, buf, len);
	case PROTO_ADD:
	case PROTO_REGISTER:
		return add(d, req, buf, len);
	case PROTO_LIST:
		return list(d, buf, len);
	case PROTO_STATUS:
		return status(d, req, buf, len);
	case PROTO_REMOVE:
	case PROTO_FINISH:
	case PROTO_CHECKPOINT:
	case PROTO_SNAPSHOT:
		return on_target(d, c, req, buf, len);
	case PROTO_METHOD_COUNT:
		break;
	}
	return proto_reply__error(PROTO_ERR_FAILED, "unknown method", NULL, buf, len);
}
