// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "zippool.h"
#include "zipread.h"

/* Files up to this size are deflated ahead; zipwrite streams larger ones on its own thread. */
#define PRECOMPRESS_MAX	   (64ULL << 20)
/* Input bytes that may wait, compressed in memory, for their turn in the zip. */
#define PRECOMPRESS_BUDGET (96ULL << 20)
#define MAX_THREADS	   16

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE };

struct zippool_job {
	struct tree_entry e; /* what the walk saw: a file swapped or rewritten since is refused */
	enum job_state state;
	int err;		/* errno of the failure, 0 when none */
	enum zippool_fail fail; /* what failed, for the message the writer thread formats */
	zip_t *za;		/* the private archive, entry 0; NULL once released */
	zip_stat_t zs;
};

struct zippool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct zippool_job *jobs; /* in entry order: the order the writer consumes them */
	size_t cap, n, next;
	uint64_t inflight;
	bool stop;
	int root_fd;
	int level;
	const struct slz_cancel *cancel;
	pthread_t threads[MAX_THREADS];
	int nthreads;
};

/* Reads one file for a worker's private archive; failures are kept in the job. */
struct job_read {
	struct zippool_job *job;
	const struct slz_cancel *cancel;
	int root_fd;
	struct zipread in;
	zip_error_t error;
};

bool zippool__takes(uint64_t size)
{
	return size && size <= PRECOMPRESS_MAX;
}

static zip_int64_t job_read_fail(struct job_read *r, int zip_err, enum zippool_fail fail, int err)
{
	zip_error_set(&r->error, zip_err, err);
	if (!r->job->err) {
		r->job->err = err;
		r->job->fail = fail;
	}
	return -1;
}

static zip_int64_t job_src_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct job_read *r = ud;
	ssize_t n;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		n = zipread__open(&r->in, r->root_fd, &r->job->e);
		return n ? job_read_fail(r, ZIP_ER_OPEN, ZIPPOOL_FAIL_OPEN, (int)-n) : 0;
	case ZIP_SOURCE_READ:
		if (slz_cancel__requested(r->cancel))
			return job_read_fail(r, ZIP_ER_CANCELLED, ZIPPOOL_FAIL_CANCEL, ECANCELED);
		n = zipread__next(&r->in, data, len);
		if (n == -EAGAIN)
			return job_read_fail(r, ZIP_ER_INCONS, ZIPPOOL_FAIL_CHANGED, EAGAIN);
		if (n < 0)
			return job_read_fail(r, ZIP_ER_READ, ZIPPOOL_FAIL_READ, (int)-n);
		return n;
	case ZIP_SOURCE_CLOSE:
	case ZIP_SOURCE_FREE:
		zipread__close(&r->in);
		return 0;
	case ZIP_SOURCE_STAT:
		return zipread__stat(data, len, &r->error, r->job->e.size);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&r->error, data, len);
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_READABLE;
	default:
		zip_error_set(&r->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static void compress_job(struct zippool *p, struct zippool_job *job)
{
	struct job_read r = {.job = job, .cancel = p->cancel, .root_fd = p->root_fd, .in.fd = -1};
	zip_source_t *buf = NULL, *src = NULL;
	zip_t *tmp = NULL;
	zip_error_t ze;

	zip_error_init(&ze);
	zip_error_init(&r.error);
	buf = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (!buf)
		goto fail;
	/* Keep buf alive past zip_close() to reopen what was written into it. */
	zip_source_keep(buf);
	tmp = zip_open_from_source(buf, ZIP_TRUNCATE, &ze);
	if (!tmp)
		goto fail;
	src = zip_source_function(tmp, job_src_cb, &r);
	if (!src)
		goto fail;
	if (zip_file_add(tmp, "f", src, 0) < 0) {
		zip_source_free(src);
		goto fail;
	}
	if (zip_set_file_compression(tmp, 0, ZIP_CM_DEFLATE, (zip_uint32_t)p->level) ||
	    zip_close(tmp))
		goto fail;
	tmp = NULL;
	job->za = zip_open_from_source(buf, ZIP_RDONLY, &ze);
	if (!job->za)
		goto fail;
	buf = NULL; /* job->za owns the reference we kept */
	if (zip_stat_index(job->za, 0, 0, &job->zs))
		goto fail;
	goto out;
fail:
	if (!job->err) {
		job->err = ENOMEM;
		job->fail = ZIPPOOL_FAIL_LIBZIP;
	}
	if (job->za)
		zip_discard(job->za);
	job->za = NULL;
out:
	if (tmp)
		zip_discard(tmp);
	zip_source_free(buf);
	zip_error_fini(&r.error);
	zip_error_fini(&ze);
}

/* Compress a pending job on this thread: called, and returns, with p->mu held. */
static void run_job(struct zippool *p, struct zippool_job *job)
{
	job->state = JOB_RUNNING;
	p->inflight += job->e.size;
	pthread_mutex_unlock(&p->mu);
	compress_job(p, job);
	pthread_mutex_lock(&p->mu);
	job->state = JOB_DONE;
	pthread_cond_broadcast(&p->cv);
}

static void *pool_worker(void *arg)
{
	struct zippool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct zippool_job *job;

		/* An empty pipeline always takes one more job, however large. */
		while (!p->stop && !slz_cancel__requested(p->cancel) && p->next < p->n &&
		       p->inflight && p->inflight + p->jobs[p->next].e.size > PRECOMPRESS_BUDGET)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || slz_cancel__requested(p->cancel) || p->next >= p->n)
			break;
		job = &p->jobs[p->next++];
		if (job->state == JOB_PENDING) /* else the writer did it itself */
			run_job(p, job);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int zippool__new(size_t njobs, int root_fd, int level, const struct slz_cancel *cancel,
		 struct zippool **out)
{
	struct zippool *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->jobs = calloc(njobs, sizeof(*p->jobs));
	if (!p->jobs)
		goto err;
	/* Default attributes: neither call can fail on Linux. */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->cap = njobs;
	p->root_fd = root_fd;
	p->level = level;
	p->cancel = cancel;
	*out = p;
	return 0;
err:
	free(p);
	return -ENOMEM;
}

struct zippool_job *zippool__add(struct zippool *p, const struct tree_entry *e)
{
	struct zippool_job *job;

	if (p->n >= p->cap)
		return NULL;
	job = &p->jobs[p->n++];
	job->e = *e;
	return job;
}

void zippool__start(struct zippool *p, int threads)
{
	int nthreads = threads ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	/* Compression overlaps with adding the entries from here on. */
	for (; p->nthreads < nthreads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, pool_worker, p))
			break; /* fewer workers, or none: the writer compresses itself */
}

int zippool__wait(struct zippool *p, struct zippool_job *job, struct zippool_result *res)
{
	pthread_mutex_lock(&p->mu);
	if (job->state == JOB_PENDING)
		run_job(p, job);
	while (job->state != JOB_DONE)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	res->err = job->err;
	res->fail = job->fail;
	res->za = job->za;
	res->zs = job->zs;
	return -job->err;
}

void zippool__release(struct zippool *p, struct zippool_job *job)
{
	bool had;

	pthread_mutex_lock(&p->mu);
	had = job->state == JOB_DONE && job->za;
	if (had)
		p->inflight -= job->e.size;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (had) {
		zip_discard(job->za);
		job->za = NULL;
	}
}

void zippool__stop(struct zippool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->jobs[i].za) {
			zip_discard(p->jobs[i].za);
			p->jobs[i].za = NULL;
		}
}

void zippool__free(struct zippool *p)
{
	if (!p)
		return;
	zippool__stop(p);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->jobs);
	free(p);
}
