// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's life cycle and loop: config, directories, the recorder, the socket, then one
 * epoll loop over the ring buffer, the signalfd, the clients and the prune worker's results.
 * SIGTERM/SIGINT finish every target, wait for the zips still being written, and return; SIGHUP
 * re-reads the config (a bad one is refused whole: the old stays and Status says why); SIGUSR1
 * snapshots every live target into the state directory.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "daemon_internal.h"
#include "daemon_paths.h"
#include "util.h"

/*
 * The kernel side sends events without waking us (a wakeup per event is a cross-CPU wakeup
 * each): the loop drains the ring at least this often, as recorder__record does.
 */
#define POLL_INTERVAL_MS 50

void daemon__signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

void daemon__log(struct daemon *d, enum daemon_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!d->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->opts.log(d->opts.ctx, level, msg);
}

static void notify(struct daemon *d, const char *state)
{
	if (d->opts.notify)
		d->opts.notify(d->opts.ctx, state);
}

void daemon__notify_status(struct daemon *d)
{
	char s[160];

	snprintf(s, sizeof(s), "STATUS=%" PRIu32 " targets live, %" PRIu64 " finished",
		 registry__active(d->reg), d->finished_total);
	notify(d, s);
}

/* What the parser cannot know: the group exists, every watch's parent is a cgroup. */
static int conf_check_host(const struct conf *c, const char *path, bool *has_group, gid_t *gid)
{
	const struct conf_daemon *cd = conf__daemon(c);

	*has_group = false;
	if (cd->group) {
		struct group *g = getgrnam(cd->group);

		if (!g)
			return slz_fail(EINVAL,
					"%s: [daemon] group = %s: no such group; create it or fix "
					"the name",
					path ? path : "(defaults)", cd->group);
		*has_group = true;
		*gid = g->gr_gid;
	}
	for (size_t i = 0; i < conf__watch_count(c); i++) {
		const struct conf_watch *w = conf__watch(c, i);
		char *dir = NULL;
		int err = cgroup__resolve(w->parent, &dir);

		free(dir);
		/* A config problem (exit 2), whatever errno the lookup said. */
		if (err)
			return slz_fail(EINVAL, "%s:%u: [watch %s] parent = %s: %s", path, w->line,
					w->name, w->parent, slz_errmsg());
	}
	return 0;
}

static int load_conf(const char *path, struct conf **out)
{
	return path ? conf__parse_file(path, CONF_DAEMON, out)
		    : conf__parse_string("", "(defaults)", NULL, CONF_DAEMON, out);
}

static int make_dirs(struct daemon *d)
{
	char *sub = NULL;
	int err = 0;

	if (mkdir(d->state_dir, 0755) && errno != EEXIST)
		return slz_fail(errno, "cannot make state directory %s: %s", d->state_dir,
				strerror(errno));
	if (asprintf(&sub, "%s/profiles", d->state_dir) < 0)
		return slz_fail(ENOMEM, "out of memory");
	if (mkdir(sub, 0755) && errno != EEXIST)
		err = slz_fail(errno, "cannot make %s: %s", sub, strerror(errno));
	free(sub);
	if (!err && mkdir(d->runtime_dir, 0755) && errno != EEXIST)
		err = slz_fail(errno, "cannot make runtime directory %s: %s", d->runtime_dir,
			       strerror(errno));
	return err;
}

/* The effective directories and socket: options beat the config. */
static int take_dirs(struct daemon *d)
{
	const struct conf_daemon *cd = conf__daemon(d->conf);
	const char *runtime = d->opts.runtime_dir ? d->opts.runtime_dir : cd->runtime_dir;
	char *dflt = NULL;

	d->state_dir = strdup(d->opts.state_dir ? d->opts.state_dir : cd->state_dir);
	d->runtime_dir = strdup(runtime);
	if (asprintf(&dflt, "%s/%s", cd->runtime_dir, CONF_SOCKET_NAME) < 0)
		dflt = NULL;
	/* The socket moves with --runtime-dir unless the config names it itself. */
	if (dflt && !strcmp(cd->socket, dflt) && d->opts.runtime_dir) {
		if (asprintf(&d->socket_path, "%s/%s", runtime, CONF_SOCKET_NAME) < 0)
			d->socket_path = NULL;
	} else {
		d->socket_path = strdup(cd->socket);
	}
	free(dflt);
	if (!d->state_dir || !d->runtime_dir || !d->socket_path)
		return slz_fail(ENOMEM, "out of memory");
	if (d->state_dir[0] != '/' || d->runtime_dir[0] != '/')
		return slz_fail(EINVAL, "--state-dir and --runtime-dir must be absolute paths");
	return 0;
}

int daemon__new(const struct daemon_opts *opts, struct daemon **out)
{
	/* A stream of one-at-a-time jobs must not pay an attach and a detach each. */
	struct recorder_config rc = {.hook = opts->hook,
				     .detach_linger_ms = DAEMON_DETACH_LINGER_MS};
	struct epoll_event ev = {.events = EPOLLIN};
	struct daemon *d;
	int err;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return slz_fail(ENOMEM, "out of memory");
	d->opts = *opts;
	d->epfd = d->listen_fd = -1;
	d->ring_src = SRC_RING;
	d->signal_src = SRC_SIGNAL;
	d->listen_src = SRC_LISTEN;
	d->prune_src = SRC_PRUNE;
	if (opts->config && !(d->conf_path = realpath(opts->config, NULL))) {
		err = slz_fail(errno, "cannot read config %s: %s", opts->config, strerror(errno));
		goto err;
	}
	err = load_conf(d->conf_path, &d->conf);
	if (!err)
		err = conf_check_host(d->conf, d->conf_path, &d->has_group, &d->group);
	if (!err)
		err = take_dirs(d);
	if (!err)
		err = registry__new(conf__daemon(d->conf)->max_targets, &d->reg);
	if (!err)
		err = make_dirs(d);
	/* Before anything new is journaled: what a killed daemon left is finished first. */
	if (!err)
		err = daemon_journal__recover(d);
	if (err)
		goto err;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		err = slz_fail(errno, "epoll: %s", strerror(errno));
		goto err;
	}
	/* Discovery always: watches may come with a SIGHUP, and every target's end with it. */
	rc.discover = true;
	rc.max_targets = conf__daemon(d->conf)->max_targets;
	err = recorder__open(&rc, &d->rec);
	if (err)
		goto err;
	recorder__on_entry(d->rec, daemon_journal__on_entry, d);
	ev.data.ptr = &d->ring_src;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, recorder__epoll_fd(d->rec), &ev)) {
		err = slz_fail(errno, "epoll: %s", strerror(errno));
		goto err;
	}
	ev.data.ptr = &d->signal_src;
	if (opts->signal_fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, opts->signal_fd, &ev)) {
		err = slz_fail(errno, "epoll: %s", strerror(errno));
		goto err;
	}
	err = daemon_prune__start(d);
	if (err)
		goto err;
	err = daemon_sock__listen(d);
	if (err)
		goto err;
	err = daemon_watch__apply(d);
	if (err)
		goto err;
	daemon__log(d, DAEMON_LOG_INFO, "listening on %s, state in %s (config %s)", d->socket_path,
		    d->state_dir, d->conf_path ? d->conf_path : "defaults");
	notify(d, "READY=1\nSTATUS=0 targets live, 0 finished");
	*out = d;
	return 0;
err:
	daemon__free(d);
	return err;
}

/* Point every target's [function] into the new config (or at nothing, when it is gone). */
static void retarget_functions(struct daemon *d, const struct conf *c)
{
	for (struct daemon_target *dt = d->targets; dt; dt = dt->next) {
		const char *fname = NULL;

		if (dt->t->source == TARGET_WATCH) {
			for (size_t i = 0; i < conf__watch_count(c); i++)
				if (!strcmp(conf__watch(c, i)->name, dt->t->watch) &&
				    conf__watch(c, i)->function)
					fname = conf__watch(c, i)->function->name;
		} else {
			fname = dt->t->name;
		}
		dt->fn = fname ? conf__find_function(c, fname) : NULL;
	}
}

static void reload(struct daemon *d)
{
	struct conf *c = NULL;
	bool has_group;
	gid_t gid = 0;
	int err;

	if (!d->conf_path) {
		daemon__log(d, DAEMON_LOG_INFO, "SIGHUP: no config file to re-read (--config)");
		return;
	}
	notify(d, "RELOADING=1");
	err = load_conf(d->conf_path, &c);
	if (!err)
		err = conf_check_host(c, d->conf_path, &has_group, &gid);
	if (err) {
		free(d->conf_error);
		d->conf_error = strdup(slz_errmsg());
		daemon__log(d, DAEMON_LOG_ERR, "SIGHUP: config not taken, the old one stays: %s",
			    slz_errmsg());
		conf__free(c);
		notify(d, "READY=1");
		return;
	}
	free(d->conf_error);
	d->conf_error = NULL;
	retarget_functions(d, c);
	conf__free(d->conf);
	d->conf = c;
	registry__set_capacity(d->reg, conf__daemon(c)->max_targets);
	d->has_group = has_group;
	d->group = gid;
	if (daemon_sock__apply_group(d))
		daemon__log(d, DAEMON_LOG_ERR, "SIGHUP: %s", slz_errmsg());
	/* Failures are logged per watch; the rest of the config is taken. */
	daemon_watch__apply(d);
	daemon__log(d, DAEMON_LOG_INFO, "SIGHUP: config %s taken", d->conf_path);
	notify(d, "READY=1");
	daemon__notify_status(d);
}

static void snapshot_all(struct daemon *d)
{
	for (struct daemon_target *dt = d->targets; dt; dt = dt->next) {
		char stem[DAEMON_STEM_MAX], *path = NULL;

		if (dt->t->state != TARGET_LIVE)
			continue;
		daemon_path__stem(dt->t->name, dt->t->epoch, stem);
		if (daemon_path__file(d->state_dir, DAEMON_FILE_SNAPSHOT, stem, &path) ||
		    daemon_target__snapshot(d, dt, path))
			daemon__log(d, DAEMON_LOG_ERR, "SIGUSR1: target %s: %s", dt->t->name,
				    slz_errmsg());
		else
			daemon__log(d, DAEMON_LOG_INFO, "SIGUSR1: target %s: snapshot %s",
				    dt->t->name, path);
		free(path);
	}
}

static void on_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->opts.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->stop = true;
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			snapshot_all(d);
			break;
		}
	}
}

/* Finish every live target, oldest first (the list is newest first: collect, then walk). */
static void finish_all(struct daemon *d)
{
	for (;;) {
		struct daemon_target *oldest = NULL;

		for (struct daemon_target *dt = d->targets; dt; dt = dt->next)
			if (dt->t->state == TARGET_LIVE)
				oldest = dt;
		if (!oldest)
			break;
		daemon_target__finish(d, oldest);
	}
}

int daemon__run(struct daemon *d)
{
	struct epoll_event evs[32];
	uint64_t next_expire = slz_mono_ms() + 1000;
	int n_events;

	/* After SIGTERM the loop goes on (clients, results) until the last zip has landed. */
	while (!d->stopping || daemon_prune__pending(d)) {
		int n = epoll_wait(d->epfd, evs, ARRAY_SIZE(evs), POLL_INTERVAL_MS);

		if (n < 0 && errno != EINTR)
			return slz_fail(errno, "epoll: %s", strerror(errno));
		/* Every turn: events are not signalled one by one. */
		n_events = recorder__consume(d->rec);
		if (n_events < 0)
			daemon__log(d, DAEMON_LOG_ERR, "reading events: %s", slz_errmsg());
		daemon_target__finish_ended(d);
		for (int i = 0; i < n; i++) {
			enum daemon_source *src = evs[i].data.ptr;

			if (*src == SRC_SIGNAL)
				on_signals(d);
			else if (*src == SRC_LISTEN)
				daemon_sock__accept(d);
			else if (*src == SRC_PRUNE)
				daemon_prune__landed(d);
			else if (*src == SRC_CLIENT)
				daemon_sock__client_event(d, (struct daemon_client *)src,
							  evs[i].events);
			/*
			 * A client's handler frees only that client, and epoll reports each fd
			 * once per wait: no later event of this batch points at freed memory.
			 */
		}
		if (slz_mono_ms() >= next_expire) {
			daemon_target__expire(d);
			daemon_watch__check_loss(d);
			daemon_journal__sync(d);
			next_expire = slz_mono_ms() + 1000;
		}
		if (d->stop && !d->stopping) {
			notify(d, "STOPPING=1");
			daemon__log(d, DAEMON_LOG_INFO, "stopping: finishing %" PRIu32 " targets",
				    registry__active(d->reg));
			/* Nothing new from here on: what finish_all queues is the last work. */
			d->stopping = true;
			finish_all(d);
			if (daemon_prune__pending(d))
				daemon__log(d, DAEMON_LOG_INFO,
					    "stopping: waiting for %zu zips to be written",
					    daemon_prune__pending(d));
		}
	}
	return 0;
}

void daemon__free(struct daemon *d)
{
	if (!d)
		return;
	/* The worker first: it may be writing a zip (the loop failed, or never ran). */
	daemon_prune__free(d);
	if (d->epfd >= 0)
		daemon_sock__close(d);
	while (d->targets) {
		struct daemon_target *dt = d->targets;

		d->targets = dt->next;
		daemon_target__free(dt);
	}
	recorder__free(d->rec);
	daemon_watch__free(d);
	registry__free(d->reg);
	conf__free(d->conf);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->conf_path);
	free(d->conf_error);
	free(d->state_dir);
	free(d->runtime_dir);
	free(d->socket_path);
	free(d);
}
