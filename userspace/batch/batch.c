// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "batch_internal.h"
#include "cgroup.h"
#include "client.h"
#include "follow.h"
#include "hostdeps.h"
#include "launch.h"
#include "profile_io.h"
#include "prune_write.h"
#include "recorder.h"
#include "util.h"

/* epoll tags of the two fds that are not a command's pidfd (those carry their job index). */
#define TAG_RING   UINT64_MAX
#define TAG_SIGNAL (UINT64_MAX - 1)

struct job {
	size_t fn;	 /* index of its function */
	const char *cmd; /* the manifest's text */
	char *cgdir;
	int cgfd, pidfd;
	uint32_t slot;		      /* a private recorder's target */
	struct daemon_follow *follow; /* the daemon's target */
	bool running;
};

struct run {
	const struct batch_opts *o;
	struct batch_result *res;
	struct recorder *r;	   /* private; NULL when a daemon records */
	const char *socket;	   /* the daemon's, when it records */
	struct profile **profiles; /* per function, merged */
	struct job *jobs;
	size_t njobs;
	int epfd;
	char *parent; /* the cgroup the commands' cgroups are made in */
	unsigned int running;
	size_t finished; /* commands ended, for the progress line */
	bool stopping;
	struct batch_plan *plans; /* per function, between its plan and its zip */
};

const char *batch_stage__name(enum batch_stage s)
{
	static const char *const names[] = {
		[BATCH_OK] = "ok",	     [BATCH_RECORD] = "recording",
		[BATCH_PLAN] = "pruning",    [BATCH_OUTPUT] = "writing",
		[BATCH_STOPPED] = "stopped", [BATCH_VERIFY] = "verifying",
	};

	return s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* The first failure of a function is the one it is reported with. */
static void fail_fn(struct run *x, size_t fn, enum batch_stage stage, int err, int cmd_status,
		    const char *cmd)
{
	struct batch_function_result *f = &x->res->functions[fn];

	if (f->stage != BATCH_OK)
		return;
	f->stage = stage;
	f->err = err;
	f->cmd_status = cmd_status;
	f->failed_command = cmd;
	f->message = err ? strdup(slz_errmsg()) : NULL;
	x->res->failed++;
}

/* In the child, before exec: the manifest's paths are relative to its directory. */
static int enter_base_dir(void *ctx)
{
	return chdir(ctx) ? -errno : 0;
}

/*
 * The job's cgroup a target, before anything runs in it: the private recorder's, or the
 * daemon's (Register), named after the batch, its function and the job, so ctl list tells
 * them apart. A daemon's refusal (capacity) fails this function only.
 */
static int follow(struct run *x, struct job *j, size_t i, uint64_t cgid)
{
	char name[256];
	int err;

	if (x->r)
		return recorder__add_target(x->r, cgid, &j->slot);
	snprintf(name, sizeof(name), "batch%d-%s-%zu", (int)getpid(), x->res->functions[j->fn].name,
		 i);
	err = daemon_follow__start(x->socket, j->cgdir, target_name__valid(name) ? name : NULL,
				   &j->follow);
	if (err)
		return slz_fail(-err, "the daemon at %s does not follow the command: %s", x->socket,
				slz_errmsg());
	return 0;
}

/* Given up before its command ran to its end: nothing is written. */
static void unfollow(struct run *x, struct job *j)
{
	if (x->r)
		recorder__remove_target(x->r, j->slot);
	daemon_follow__free(j->follow);
	j->follow = NULL;
}

/* The ended command's profile: what its cgroup left is gone, its events are in. */
static int job_profile(struct run *x, struct job *j, struct profile **p)
{
	int err;

	if (x->r) {
		/* What it left running dies with the cgroup; their last events are in the ring. */
		err = cgroup__destroy(j->cgdir);
		if (!err)
			err = recorder__consume(x->r) < 0 ? -EIO : 0;
		if (!err)
			err = recorder__profile(x->r, j->slot, p);
		recorder__remove_target(x->r, j->slot);
		return err;
	}
	/* The daemon reads the last events at Finish: the cgroup must be empty by then. */
	cgroup__kill(j->cgdir);
	cgroup__wait_empty(j->cgdir, 5000);
	err = daemon_follow__finish(j->follow, p, NULL);
	daemon_follow__free(j->follow);
	j->follow = NULL;
	cgroup__destroy(j->cgdir);
	return err;
}

static int start_job(struct run *x, size_t i)
{
	struct job *j = &x->jobs[i];
	char *argv[] = {"/bin/sh", "-c", (char *)j->cmd, NULL};
	struct launch_opts lo = {
		.argv = argv,
		.child_setup = enter_base_dir,
		.child_ctx = (void *)x->o->base_dir,
	};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
	uint64_t cgid;
	pid_t pid;
	int status = 0, err; /* a command that never started has no status of its own */

	err = cgroup__create(x->parent, &j->cgdir, &j->cgfd);
	if (!err)
		err = cgroup__id(j->cgdir, &cgid);
	if (!err)
		err = follow(x, j, i, cgid);
	if (err)
		goto fail;
	lo.cgroup_fd = j->cgfd;
	status = 1;
	err = launch__start(&lo, &pid, &j->pidfd, &status);
	if (err) {
		unfollow(x, j);
		goto fail;
	}
	if (epoll_ctl(x->epfd, EPOLL_CTL_ADD, j->pidfd, &ev)) {
		err = slz_fail(errno, "epoll: %s", strerror(errno));
		kill(pid, SIGKILL);
		launch__wait(j->pidfd, &status);
		unfollow(x, j);
		goto fail;
	}
	j->running = true;
	x->running++;
	x->res->functions[j->fn].commands++;
	return 0;
fail:
	fail_fn(x, j->fn, BATCH_RECORD, err, status, j->cmd);
	if (j->cgdir)
		cgroup__destroy(j->cgdir);
	return 0;
}

/* The command ended: its cgroup goes (leftovers killed), its profile joins its function's. */
static int finish_job(struct run *x, struct job *j)
{
	struct profile *p = NULL;
	int status = 0, err;

	launch__wait(j->pidfd, &status);
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, j->pidfd, NULL);
	close(j->pidfd);
	j->pidfd = -1;
	j->running = false;
	x->running--;
	err = job_profile(x, j, &p);
	close(j->cgfd);
	j->cgfd = -1;
	if (!err)
		err = profile__merge(x->profiles[j->fn], p);
	profile__free(p);
	x->finished++;
	slz_progress__pause(x->o->progress);
	if (x->o->on_command)
		x->o->on_command(x->res->functions[j->fn].name, j->cmd, status, x->o->ctx);
	slz_progress__update(x->o->progress, &(struct slz_progress_state){
						     .phase = "batch",
						     .unit = "commands recorded",
						     .done = x->finished,
						     .total = x->njobs,
					     });
	if (err)
		fail_fn(x, j->fn, BATCH_RECORD, err, 0, j->cmd);
	else if (status)
		fail_fn(x, j->fn, BATCH_RECORD, 0, status, j->cmd);
	return err == -ENOMEM ? err : 0;
}

static void on_signal(struct run *x)
{
	struct signalfd_siginfo si;

	while (read(x->o->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (!x->res->signal)
			x->res->signal = (int)si.ssi_signo;
		x->stopping = true;
		for (size_t i = 0; i < x->njobs; i++) {
			if (x->jobs[i].running)
				cgroup__signal(x->jobs[i].cgdir, (int)si.ssi_signo);
		}
	}
}

static int record_all(struct run *x)
{
	size_t next = 0;

	for (;;) {
		struct epoll_event ev[16];
		int n;

		while (!x->stopping && x->running < x->o->jobs && next < x->njobs) {
			/* A function that failed already runs nothing more: its zip is not made. */
			if (x->res->functions[x->jobs[next].fn].stage == BATCH_OK)
				start_job(x, next);
			next++;
		}
		if (!x->running && (x->stopping || next == x->njobs))
			return 0;
		n = epoll_wait(x->epfd, ev, ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR)
			return slz_fail(errno, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			int err = 0;

			if (ev[i].data.u64 == TAG_RING)
				err = recorder__consume(x->r) < 0 ? -EIO : 0;
			else if (ev[i].data.u64 == TAG_SIGNAL)
				on_signal(x);
			else
				err = finish_job(x, &x->jobs[ev[i].data.u64]);
			if (err == -ENOMEM)
				return slz_fail(ENOMEM, "out of memory recording the batch");
		}
	}
}

/* OUTDIR/SUB/NAME.EXT, SUB made when missing. */
static int out_path(const struct run *x, const char *sub, const char *name, const char *ext,
		    char **out)
{
	char *dir = NULL;
	int err = 0;

	if (asprintf(&dir, "%s/%s", x->o->outdir, sub) < 0)
		return -ENOMEM;
	if ((mkdir(x->o->outdir, 0755) && errno != EEXIST) || (mkdir(dir, 0755) && errno != EEXIST))
		err = slz_fail(errno, "cannot create %s: %s", dir, strerror(errno));
	else if (asprintf(out, "%s/%s.%s", dir, name, ext) < 0)
		err = -ENOMEM;
	free(dir);
	return err;
}

static int zip_path(const struct run *x, const struct conf_function *fn, char **out)
{
	if (fn->output)
		return (*out = strdup(fn->output)) ? 0 : -ENOMEM;
	return out_path(x, "functions", fn->name, "zip", out);
}

/*
 * OUTDIR/profiles/NAME.profile: the function's merged profile, what `slimzip diff` checks a
 * whitelist against and `slimzip merge` takes (its tree-root names the [function]'s tree).
 */
static int write_profile(struct run *x, size_t i)
{
	const struct conf_function *fn = conf__function(x->o->manifest, i);
	char *path = NULL;
	int err;

	err = out_path(x, "profiles", fn->name, "profile", &path);
	if (!err)
		err = profile__write(x->profiles[i], path, PROFILE_FMT_TEXT);
	if (!err)
		x->res->functions[i].profile = path;
	else
		free(path);
	return err;
}

void batch__fail(struct batch_result *res, size_t fn, enum batch_stage stage, int err)
{
	struct run x = {.res = res};

	fail_fn(&x, fn, stage, err, 0, NULL);
}

/*
 * One function's plan, as `slimzip prune --profile MERGED` with the section's options makes
 * it; kept in x->plans[i] until its zip is written (after --layer took out what a layer holds).
 */
static void plan_fn(struct run *x, size_t i)
{
	const struct conf_function *fn = conf__function(x->o->manifest, i);
	struct batch_function_result *f = &x->res->functions[i];
	const struct profile *p = x->profiles[i];
	struct batch_plan *bp = &x->plans[i];
	int err;

	f->profile_entries = profile__count(p);
	f->lost_events = profile__header_const(p)->lost_events;
	err = write_profile(x, i);
	if (err) {
		fail_fn(x, i, BATCH_OUTPUT, err, 0, NULL);
		return;
	}
	err = prune_policy__init(&bp->pol);
	bp->pol_ready = !err;
	/* Batch is CI use: host packages are refused unless the section says strict-host = no. */
	bp->pol.strict_host = true;
	if (!err)
		err = conf_function__policy(fn, &bp->pol);
	if (!err)
		err = prune_policy__open_tree(&bp->pol, fn->tree, &bp->t);
	if (!err)
		err = prune__plan_checked(bp->t, &bp->pol, &p, 1, NULL, &bp->pl);
	f->host_packages = bp->pl.host && hostdeps__count(bp->pl.host);
	if (err) {
		fail_fn(x, i, BATCH_PLAN, err, 0, NULL);
		return;
	}
	f->before_files = bp->pl.before_files;
	f->before_bytes = bp->pl.before_bytes;
	bp->planned = true;
}

/* Its zip, from its plan. */
static void write_fn(struct run *x, size_t i)
{
	const struct conf_function *fn = conf__function(x->o->manifest, i);
	struct batch_function_result *f = &x->res->functions[i];
	struct batch_plan *bp = &x->plans[i];
	struct zipwrite_stats zs = {0};
	char *zip = NULL;
	int err;

	f->after_files = bp->pl.after_files;
	f->after_bytes = bp->pl.after_bytes;
	err = zip_path(x, fn, &zip);
	if (err) {
		fail_fn(x, i, BATCH_OUTPUT, err, 0, NULL);
		goto out;
	}
	err = prune__write_zip(&bp->pl, &bp->pol, x->o->version, zip, &zs);
	if (err) {
		/* A file of the tree that changed or vanished is the input's fault, not the zip's.
		 */
		fail_fn(x, i, zs.failed_writing ? BATCH_OUTPUT : BATCH_PLAN, err, 0, NULL);
		goto out;
	}
	f->zip = zip;
	f->zip_bytes = zs.zip_size;
	zip = NULL;
out:
	free(zip);
}

static void release_plan(struct batch_plan *bp)
{
	units__free(bp->units);
	prune_plan__release(&bp->pl);
	tree__free(bp->t);
	if (bp->pol_ready)
		prune_policy__release(&bp->pol);
	memset(bp, 0, sizeof(*bp));
}

/*
 * Every planned function's zip, after --layer (when asked) chose the layers from all the
 * plans and took out of each what its layer holds; then the totals and manifest.json.
 */
static int prune_all(struct run *x)
{
	struct batch_result *res = x->res;
	struct layer_choice c = {0};
	int err = 0;

	if (x->o->layer)
		err = batch__layers(x->o, res, x->plans, &c);
	/* The plans stay until manifest.json is written: the choice names their units. */
	for (size_t i = 0; !err && i < res->n; i++) {
		slz_progress__update(x->o->progress, &(struct slz_progress_state){
							     .phase = "batch zipping",
							     .unit = "functions",
							     .done = i,
							     .total = res->n,
						     });
		if (res->functions[i].stage == BATCH_OK && x->plans[i].planned)
			write_fn(x, i);
	}
	slz_progress__pause(x->o->progress); /* --verify's runs write next */
	for (size_t i = 0; !err && i < res->n; i++) {
		if (res->functions[i].stage != BATCH_OK)
			continue;
		res->total_before_bytes += res->functions[i].before_bytes;
		res->total_zip_bytes += res->functions[i].zip_bytes;
	}
	for (size_t l = 0; !err && l < res->nlayers; l++)
		res->total_layer_zip_bytes += res->layers[l].zip_bytes;
	if (!err && x->o->verify)
		err = batch__verify(x->o, res, x->plans, &c);
	if (!err && x->o->layer)
		err = batch__write_manifest(x->o, res, &c);
	layer_choice__release(&c);
	return err;
}

/*
 * The daemon's loaded program when one answers (the socket given, else the default one), or
 * a private one: --no-daemon, or nobody at the default socket. A socket given by name must
 * answer.
 */
static int choose_recorder(struct run *x)
{
	const char *sock = x->o->socket ? x->o->socket : CLIENT_DEFAULT_SOCKET;
	int err;

	if (!x->o->no_daemon) {
		err = daemon__ping(sock);
		if (!err) {
			x->socket = sock;
			x->res->daemon = true;
			return 0;
		}
		if (x->o->socket || (err != -ENOENT && err != -ECONNREFUSED)) {
			x->res->daemon = true; /* it is the daemon that failed */
			return err;
		}
	}
	return recorder__open(&(struct recorder_config){.hook = x->o->hook}, &x->r);
}

static int prepare(struct run *x)
{
	const struct conf *m = x->o->manifest;
	size_t nfn = conf__function_count(m), k = 0;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_RING};
	int err;

	x->res->functions = calloc(nfn ? nfn : 1, sizeof(*x->res->functions));
	x->profiles = calloc(nfn ? nfn : 1, sizeof(*x->profiles));
	x->plans = calloc(nfn ? nfn : 1, sizeof(*x->plans));
	if (!x->res->functions || !x->profiles || !x->plans)
		return -ENOMEM;
	x->res->n = nfn;
	for (size_t i = 0; i < nfn; i++) {
		const struct conf_function *fn = conf__function(m, i);
		struct profile_header *h;

		x->res->functions[i].name = fn->name;
		x->njobs += fn->n_commands;
		if (profile__new(&x->profiles[i]))
			return -ENOMEM;
		h = profile__header(x->profiles[i]);
		err = profile__set_host(x->profiles[i], x->o->version);
		if (!err)
			err = profile__set_str(x->profiles[i], &h->target_kind, "command");
		if (!err)
			err = profile__set_str(x->profiles[i], &h->command, fn->commands[0]);
		if (!err)
			err = profile__set_tree_root(x->profiles[i], fn->tree, fn->tree_path_as);
		if (err)
			return err;
		h->start_unix_ms = slz_unix_ms();
		h->merged_from = 0;
	}
	x->jobs = calloc(x->njobs ? x->njobs : 1, sizeof(*x->jobs));
	if (!x->jobs)
		return -ENOMEM;
	for (size_t i = 0; i < nfn; i++) {
		const struct conf_function *fn = conf__function(m, i);

		for (size_t c = 0; c < fn->n_commands; c++, k++)
			x->jobs[k] = (struct job){
				.fn = i, .cmd = fn->commands[c], .cgfd = -1, .pidfd = -1};
	}
	err = cgroup__own_dir(&x->parent);
	if (err)
		return err;
	/* What killed slimzips left here (their commands included): ours come next. */
	cgroup__remove_stale(x->parent);
	err = choose_recorder(x);
	if (err)
		return err;
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (x->epfd < 0 ||
	    (x->r && epoll_ctl(x->epfd, EPOLL_CTL_ADD, recorder__epoll_fd(x->r), &ev)))
		return slz_fail(errno, "epoll: %s", strerror(errno));
	ev.data.u64 = TAG_SIGNAL;
	if (x->o->signal_fd > 0 && epoll_ctl(x->epfd, EPOLL_CTL_ADD, x->o->signal_fd, &ev))
		return slz_fail(errno, "epoll: %s", strerror(errno));
	return 0;
}

int batch__run(const struct batch_opts *o, struct batch_result *res)
{
	struct run x = {.o = o, .res = res, .epfd = -1};
	int err;

	memset(res, 0, sizeof(*res));
	if (!o->jobs)
		return slz_fail(EINVAL, "batch needs at least one job at a time");
	err = prepare(&x);
	if (!err)
		err = record_all(&x);
	for (size_t i = 0; !err && i < res->n; i++) {
		profile__header(x.profiles[i])->end_unix_ms = slz_unix_ms();
		if (x.stopping)
			fail_fn(&x, i, BATCH_STOPPED, 0, 0, NULL);
		else if (res->functions[i].stage == BATCH_OK)
			plan_fn(&x, i);
	}
	if (!err && !x.stopping)
		err = prune_all(&x);
	for (size_t i = 0; x.plans && i < res->n; i++)
		release_plan(&x.plans[i]);
	for (size_t i = 0; i < x.njobs; i++) {
		struct job *j = &x.jobs[i];

		/* Only after a failure of the loop itself: do not leave commands behind. */
		if (j->running) {
			cgroup__destroy(j->cgdir);
			launch__wait(j->pidfd, &(int){0});
		}
		daemon_follow__free(j->follow);
		if (j->pidfd >= 0)
			close(j->pidfd);
		if (j->cgfd >= 0)
			close(j->cgfd);
		free(j->cgdir);
	}
	for (size_t i = 0; x.profiles && i < res->n; i++)
		profile__free(x.profiles[i]);
	if (x.epfd >= 0)
		close(x.epfd);
	recorder__free(x.r);
	free(x.profiles);
	free(x.plans);
	free(x.jobs);
	free(x.parent);
	if (err == -ENOMEM)
		return slz_fail(ENOMEM, "out of memory running the batch");
	return err;
}

void batch_result__release(struct batch_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n; i++) {
		free(res->functions[i].message);
		free(res->functions[i].zip);
		free(res->functions[i].profile);
		free(res->functions[i].verify_first_missing);
	}
	for (size_t l = 0; l < res->nlayers; l++)
		free(res->layers[l].zip);
	for (size_t i = 0; i < res->ndropped; i++)
		free(res->dropped[i]);
	free(res->layers);
	free(res->dropped);
	free(res->manifest_json);
	free(res->functions);
	memset(res, 0, sizeof(*res));
}
