// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Zips off the loop. A prune (tree walk, plan, zip write) takes seconds on a big tree; run in
 * the epoll loop it would keep the ring buffer unread and every client waiting. So the loop
 * only queues a job (the profile taken, a prune_policy it filled from the [function] section
 * while that section was surely alive, the tree and the output path as copies: SIGHUP may
 * free the config meanwhile), and one worker thread the daemon owns runs the jobs in order.
 * Results come back to the loop through an eventfd in its epoll set, where they are applied:
 * the target's zip or refusal, the counters, the log, and the replies of the clients whose
 * Finish or Checkpoint waited for them.
 *
 * The worker touches nothing but its job and the queue: no daemon state, no recorder. What
 * it calls is thread-safe (slz_fail's message is thread-local, the zip writer runs its own
 * pool, no library keeps process-global state). It runs with every signal blocked, so that
 * the daemon's signals stay the signalfd's.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "config.h"
#include "daemon_internal.h"
#include "daemon_paths.h"
#include "profile.h"
#include "prune_policy.h"
#include "prune_write.h"
#include "tree.h"
#include "util.h"
#include "zipwrite.h"

struct prune_job {
	uint64_t id;
	uint64_t serial; /* the target's (daemon_target.serial): it may be gone when it lands */
	char *name, *function;
	struct profile *p;
	struct prune_policy pol;
	bool pol_init;
	char *tree, *out;
	unsigned int delay_ms;
	/* The outcome, the worker's until it is on the done list. */
	int err;
	char *refusal; /* why no zip was written */
	/* For the replies that wait for it. */
	struct daemon_outcome outcome;
	char *profile_path;
	struct prune_job *next;
};

struct daemon_pruner {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct prune_job *todo, **todo_tail; /* oldest first */
	struct prune_job *done;		     /* newest first */
	bool stop;
	int efd;
	uint64_t next_id;
	size_t pending; /* queued, running or done but not applied: the loop's count */
	unsigned int delay_ms;
};

static void job_free(struct prune_job *j)
{
	if (!j)
		return;
	free(j->name);
	free(j->function);
	profile__free(j->p);
	if (j->pol_init)
		prune_policy__release(&j->pol);
	free(j->tree);
	free(j->out);
	free(j->refusal);
	free(j->profile_path);
	free(j);
}

/* The prune `slimzip prune` with the function's options would do; 0, or the refusal. */
static int run_job(struct prune_job *j)
{
	struct prune_plan pl = {0};
	struct zipwrite_stats zs = {0};
	struct tree *t = NULL;
	int err;

	if (j->delay_ms) {
		struct timespec ts = {j->delay_ms / 1000, (long)(j->delay_ms % 1000) * 1000000};

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	err = prune_policy__open_tree(&j->pol, j->tree, &t);
	if (!err)
		err = prune__plan_checked(t, &j->pol, (const struct profile *const *)&j->p, 1, NULL,
					  &pl);
	if (!err)
		err = prune__write_zip(&pl, &j->pol, SLIMZIP_VERSION, j->out, &zs);
	prune_plan__release(&pl);
	tree__free(t);
	return err;
}

static void *worker(void *arg)
{
	struct daemon_pruner *pr = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&pr->mu);
	for (;;) {
		struct prune_job *j;

		while (!pr->todo && !pr->stop)
			pthread_cond_wait(&pr->cv, &pr->mu);
		if (pr->stop)
			break; /* the loop drained the queue before (SIGTERM), or gives it up */
		j = pr->todo;
		pr->todo = j->next;
		if (!pr->todo)
			pr->todo_tail = &pr->todo;
		pthread_mutex_unlock(&pr->mu);

		slz_errclear();
		j->err = run_job(j);
		if (j->err)
			j->refusal = strdup(*slz_errmsg() ? slz_errmsg() : strerror(-j->err));

		pthread_mutex_lock(&pr->mu);
		j->next = pr->done;
		pr->done = j;
		/* The counter cannot overflow: the loop reads it down to 0 each time. */
		if (write(pr->efd, &one, sizeof(one)) < 0)
			(void)0; /* EAGAIN only at 2^64-1 pending wakeups */
	}
	pthread_mutex_unlock(&pr->mu);
	return NULL;
}

int daemon_prune__start(struct daemon *d)
{
	struct daemon_pruner *pr = calloc(1, sizeof(*pr));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->prune_src};
	sigset_t all, old;
	int err;

	if (!pr)
		return slz_fail(ENOMEM, "out of memory");
	pthread_mutex_init(&pr->mu, NULL);
	pthread_cond_init(&pr->cv, NULL);
	pr->todo_tail = &pr->todo;
	pr->next_id = 1;
	pr->delay_ms = d->opts.prune_delay_ms;
	d->pruner = pr;
	pr->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pr->efd < 0)
		return slz_fail(errno, "eventfd: %s", strerror(errno));
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, pr->efd, &ev))
		return slz_fail(errno, "epoll: %s", strerror(errno));
	/* The thread inherits the mask: with all blocked, no signal is ever delivered to it. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&pr->thread, NULL, worker, pr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return slz_fail(err, "cannot start the prune worker: %s", strerror(err));
	pr->started = true;
	return 0;
}

void daemon_prune__free(struct daemon *d)
{
	struct daemon_pruner *pr = d->pruner;

	if (!pr)
		return;
	if (pr->started) {
		pthread_mutex_lock(&pr->mu);
		pr->stop = true;
		pthread_cond_signal(&pr->cv);
		pthread_mutex_unlock(&pr->mu);
		pthread_join(pr->thread, NULL);
	}
	/* Jobs not run (the loop failed before it drained them) are dropped: their profiles are. */
	for (struct prune_job *j = pr->todo, *next; j; j = next) {
		next = j->next;
		job_free(j);
	}
	for (struct prune_job *j = pr->done, *next; j; j = next) {
		next = j->next;
		job_free(j);
	}
	if (pr->efd >= 0)
		close(pr->efd);
	pthread_cond_destroy(&pr->cv);
	pthread_mutex_destroy(&pr->mu);
	free(pr);
	d->pruner = NULL;
}

size_t daemon_prune__pending(const struct daemon *d)
{
	return d->pruner ? d->pruner->pending : 0;
}

/* Make the directory of path (one level: STATE/zips), for the default outputs. */
static void make_parent(const char *path)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;

	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	free(dir);
}

/* Everything the worker needs, taken now: after this the config may go. */
static int job_fill(struct daemon *d, struct daemon_target *dt, const char *stem,
		    struct prune_job *j)
{
	int err = prune_policy__init(&j->pol);

	if (err)
		return err;
	j->pol_init = true;
	err = zipwrite__opts_from_env(&j->pol.zip);
	if (!err)
		err = conf_function__policy(dt->fn, &j->pol);
	if (err)
		return err;
	if (dt->fn->output) {
		err = daemon_path__output(dt->fn->output, stem, &j->out);
	} else {
		err = daemon_path__file(d->state_dir, DAEMON_FILE_ZIP, stem, &j->out);
		if (!err)
			make_parent(j->out);
	}
	if (err)
		return err;
	j->name = strdup(dt->t->name);
	j->function = strdup(dt->fn->name);
	j->tree = strdup(dt->fn->tree);
	j->profile_path = strdup(dt->profile);
	if (!j->name || !j->function || !j->tree || !j->profile_path)
		return slz_fail(ENOMEM, "out of memory");
	return 0;
}

int daemon_prune__submit(struct daemon *d, struct daemon_target *dt, struct profile **p,
			 const char *stem)
{
	struct daemon_pruner *pr = d->pruner;
	const struct profile_header *h = profile__header_const(*p);
	struct prune_job *j = calloc(1, sizeof(*j));
	int err;

	if (!j)
		return slz_fail(ENOMEM, "out of memory");
	err = job_fill(d, dt, stem, j);
	if (err) {
		job_free(j);
		return err;
	}
	j->p = *p;
	*p = NULL;
	j->serial = dt->serial;
	j->delay_ms = pr->delay_ms;
	j->outcome = (struct daemon_outcome){
		.epoch = dt->t->epoch,
		.lost_events = h->lost_events,
		.dedup_full = h->dedup_full,
		.truncated_paths = h->truncated_paths,
	};
	pthread_mutex_lock(&pr->mu);
	j->id = pr->next_id++;
	*pr->todo_tail = j;
	pr->todo_tail = &j->next;
	pthread_cond_signal(&pr->cv);
	pthread_mutex_unlock(&pr->mu);
	pr->pending++;
	dt->prune_job = j->id;
	dt->npruning++;
	registry__set_pruning(d->reg, dt->t, true);
	return 0;
}

static struct daemon_target *find_serial(struct daemon *d, uint64_t serial)
{
	for (struct daemon_target *dt = d->targets; dt; dt = dt->next)
		if (dt->serial == serial)
			return dt;
	return NULL;
}

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

/* One result in the loop: the target's, the counters, the log, the waiting replies. */
static void land(struct daemon *d, struct prune_job *j)
{
	struct daemon_target *dt = find_serial(d, j->serial);

	if (j->err) {
		d->refused_total++;
		daemon__log(d, DAEMON_LOG_WARN, "target %s: no zip for [function %s]: %s", j->name,
			    j->function, j->refusal ? j->refusal : "out of memory");
	} else {
		d->zips_total++;
		daemon__log(d, DAEMON_LOG_INFO, "target %s: zip %s written ([function %s])",
			    j->name, j->out, j->function);
	}
	if (dt) {
		/* A later epoch's job, still to come, has the last word. */
		if (j->id == dt->prune_job) {
			set_str(&dt->zip, j->err ? NULL : j->out);
			set_str(&dt->refusal,
				j->err ? (j->refusal ? j->refusal : "out of memory") : NULL);
		}
		if (dt->npruning && !--dt->npruning)
			registry__set_pruning(d->reg, dt->t, false);
	}
	j->outcome.t = dt ? dt->t : NULL;
	j->outcome.function = j->function;
	j->outcome.profile = j->profile_path;
	j->outcome.zip = j->err ? NULL : j->out;
	j->outcome.refusal = j->err ? (j->refusal ? j->refusal : "out of memory") : NULL;
	daemon_sock__answer_job(d, j->id, &j->outcome);
}

void daemon_prune__landed(struct daemon *d)
{
	struct daemon_pruner *pr = d->pruner;
	struct prune_job *done, *fifo = NULL;
	uint64_t n;

	if (read(pr->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		daemon__log(d, DAEMON_LOG_ERR, "prune worker's eventfd: %s", strerror(errno));
	pthread_mutex_lock(&pr->mu);
	done = pr->done;
	pr->done = NULL;
	pthread_mutex_unlock(&pr->mu);
	/* The list is newest first: apply them in the order they were run. */
	while (done) {
		struct prune_job *next = done->next;

		done->next = fifo;
		fifo = done;
		done = next;
	}
	while (fifo) {
		struct prune_job *next = fifo->next;

		land(d, fifo);
		job_free(fifo);
		pr->pending--;
		fifo = next;
	}
	daemon__notify_status(d);
}
