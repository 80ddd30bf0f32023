// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zipdeflate.h"
#include "zippool.h"
#include "zipread.h"

/* Files up to this size are deflated ahead; zipwrite streams larger ones on its own thread. */
#define PRECOMPRESS_MAX	   (64ULL << 20)
/*
 * Bytes held in memory ahead of the writer: a running job's input, a finished job's output
 * (deflated, or the file when stored). Counting finished jobs by what they hold, not by their
 * input, lets a pool filled before the writer starts (zipahead.h) hold some 2.5x more files.
 * 256 MiB holds the whole zip of any tree Lambda takes (250 MB unzipped), so the deflaters do
 * not stop for want of room while prune's rules still run: at 96 MiB they stood idle for ~2 s
 * of a 1M-file prune (BENCHMARKS.md, sixth session).
 */
#define PRECOMPRESS_BUDGET (256ULL << 20)
#define MAX_THREADS	   16
/* Jobs live in chunks that never move, so a job's address stays valid while the pool grows. */
#define CHUNK_SHIFT	   12
#define CHUNK_JOBS	   (1U << CHUNK_SHIFT)

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE };

/* Read in pieces of this size, so a cancel stops a large file midway. */
#define READ_CHUNK (1U << 20)

struct zippool_job {
	struct tree_entry e; /* what the walk saw: a file swapped or rewritten since is refused */
	enum job_state state;
	int err;		   /* errno of the failure, 0 when none */
	enum zippool_fail fail;	   /* what failed, for the message the writer thread formats */
	struct zipdeflate_out out; /* out.data NULL once released */
	uint64_t held;		   /* what it counts in the pool's inflight bytes */
	bool discard;		   /* its entry is not in the zip after all: free it when done */
	unsigned char *in;	   /* read by zippool__head(), not deflated yet (ready queue) */
	/* min(e.size, ZIPPOOL_HEAD) once the file was read whole (its size is never 0), else 0 */
	uint8_t head_len;
	unsigned char head[ZIPPOOL_HEAD];
	size_t seq; /* its place in the order added */
};

struct zippool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* In the order added, which is the writer's once sealed. */
	struct zippool_job **chunks;
	size_t nchunks, n, done;
	/*
	 * The order the workers take them: as added until the pool is sealed, then the ones
	 * left largest first (zippool__seal). order[next, end) is what no worker took yet; a
	 * worker takes order[next], or, sealed, when the budget has no room for it, the smallest,
	 * order[end - 1].
	 */
	struct zippool_job **order;
	size_t order_cap, next, end;
	/*
	 * Jobs zippool__head() read on the writer's thread, pending still: a worker deflates
	 * ready[ready_next, nready) before it takes anything from order (their bytes are held
	 * already), in the order they were read, which is the zip's: the writer follows.
	 */
	struct zippool_job **ready;
	size_t ready_next, nready;
	uint64_t inflight;
	bool stop;
	bool sealed; /* no job will be added: a worker that finds none left ends */
	int root_fd;
	int level;
	const struct slz_cancel *cancel;
	pthread_t threads[MAX_THREADS];
	int nthreads;
	/* The writer thread's own, made when it first does a job itself (zippool__wait). */
	struct zipdeflate *writer_z;
};

static struct zippool_job *job_at(const struct zippool *p, size_t i)
{
	return &p->chunks[i >> CHUNK_SHIFT][i & (CHUNK_JOBS - 1)];
}

bool zippool__takes(uint64_t size)
{
	return size && size <= PRECOMPRESS_MAX;
}

static void job_fail(struct zippool_job *job, enum zippool_fail fail, int err)
{
	job->err = err;
	job->fail = fail;
}

/* The whole file as the walk saw it, into a new buffer of e.size bytes; NULL on failure. */
static unsigned char *read_job(struct zippool *p, struct zippool_job *job)
{
	struct zipread in = {.fd = -1};
	unsigned char *buf;
	uint64_t done = 0;
	ssize_t n;

	buf = malloc(job->e.size);
	if (!buf) {
		job_fail(job, ZIPPOOL_FAIL_MEMORY, ENOMEM);
		return NULL;
	}
	n = zipread__open(&in, p->root_fd, &job->e);
	if (n) {
		job_fail(job, ZIPPOOL_FAIL_OPEN, (int)-n);
		goto err;
	}
	while (done < job->e.size) {
		uint64_t want = job->e.size - done;

		if (slz_cancel__requested(p->cancel)) {
			job_fail(job, ZIPPOOL_FAIL_CANCEL, ECANCELED);
			goto err;
		}
		n = zipread__next(&in, buf + done, want < READ_CHUNK ? want : READ_CHUNK);
		/* 0 before the end is a file that shrank: zipread says -EAGAIN for it. */
		if (n == -EAGAIN || n == 0) {
			job_fail(job, ZIPPOOL_FAIL_CHANGED, EAGAIN);
			goto err;
		}
		if (n < 0) {
			job_fail(job, ZIPPOOL_FAIL_READ, (int)-n);
			goto err;
		}
		done += (uint64_t)n;
	}
	zipread__close(&in);
	return buf;
err:
	zipread__close(&in);
	free(buf);
	return NULL;
}

/* The file's first bytes, for zippool__head(): published as soon as it is read. */
static void publish_head(struct zippool *p, struct zippool_job *job, const unsigned char *buf)
{
	pthread_mutex_lock(&p->mu);
	job->head_len = job->e.size < ZIPPOOL_HEAD ? (uint8_t)job->e.size : ZIPPOOL_HEAD;
	memcpy(job->head, buf, job->head_len);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void compress_job(struct zippool *p, struct zippool_job *job, struct zipdeflate *z)
{
	unsigned char *buf = job->in;

	job->in = NULL;
	if (!z) {
		free(buf); /* read ahead by zippool__head(): held no longer once the job is done */
		job_fail(job, ZIPPOOL_FAIL_MEMORY, ENOMEM);
		return;
	}
	if (!buf) {
		buf = read_job(p, job);
		if (!buf)
			return;
		publish_head(p, job, buf);
	}
	if (zipdeflate__buffer(z, buf, job->e.size, &job->out))
		job_fail(job, ZIPPOOL_FAIL_MEMORY, ENOMEM);
}

static void finish_job(struct zippool *p, struct zippool_job *job);

/* Compress a pending job on this thread: called, and returns, with p->mu held. */
static void run_job(struct zippool *p, struct zippool_job *job, struct zipdeflate *z)
{
	job->state = JOB_RUNNING;
	if (!job->in) { /* a ready job's input is counted since zippool__head() read it */
		job->held = job->e.size;
		p->inflight += job->held;
	}
	pthread_mutex_unlock(&p->mu);
	compress_job(p, job, z);
	pthread_mutex_lock(&p->mu);
	finish_job(p, job);
}

/* With p->mu held: the job's result (or failure) is in; what it holds now is its output. */
static void finish_job(struct zippool *p, struct zippool_job *job)
{
	job->state = JOB_DONE;
	p->done++;
	p->inflight -= job->held;
	if (job->discard) {
		free(job->out.data);
		job->out.data = NULL;
	}
	job->held = job->out.data ? job->out.len : 0;
	p->inflight += job->held;
	pthread_cond_broadcast(&p->cv);
}

/* Whether the budget has room for the job. An empty pipeline always takes one more, however
 * large. */
static bool fits(const struct zippool *p, const struct zippool_job *job)
{
	return !p->inflight || p->inflight + job->e.size <= PRECOMPRESS_BUDGET;
}

/*
 * With p->mu held: pass the ends of order[next, end) that need no worker any more (done, run by
 * the writer, or read ahead and waiting on the ready queue, whose bytes are held already), so
 * their sizes never hold the workers back from the budget.
 */
static void skip_taken(struct zippool *p)
{
	while (p->next < p->end &&
	       (p->order[p->next]->state != JOB_PENDING || p->order[p->next]->in))
		p->next++;
	while (p->next < p->end &&
	       (p->order[p->end - 1]->state != JOB_PENDING || p->order[p->end - 1]->in))
		p->end--;
}

static void *pool_worker(void *arg)
{
	struct zippool *p = arg;
	struct zipdeflate *z = NULL;

	/* Made once for every file this thread takes; without one it takes none (the writer
	 * then compresses those itself). */
	if (zipdeflate__new(p->level, &z))
		return NULL;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct zippool_job *job;

		for (;;) {
			skip_taken(p);
			if (p->stop || slz_cancel__requested(p->cancel) ||
			    p->ready_next < p->nready || (p->next >= p->end && p->sealed) ||
			    (p->next < p->end && (fits(p, p->order[p->next]) ||
						  (p->sealed && fits(p, p->order[p->end - 1])))))
				break;
			pthread_cond_wait(&p->cv, &p->mu);
		}
		if (p->stop || slz_cancel__requested(p->cancel))
			break;
		if (p->ready_next < p->nready)
			job = p->ready[p->ready_next++];
		else if (p->next >= p->end)
			break;
		else
			job = fits(p, p->order[p->next]) ? p->order[p->next++] : p->order[--p->end];
		if (job->state == JOB_PENDING) /* else the writer did it itself */
			run_job(p, job, z);
	}
	pthread_mutex_unlock(&p->mu);
	zipdeflate__free(z);
	return NULL;
}

int zippool__new(int root_fd, int level, const struct slz_cancel *cancel, struct zippool **out)
{
	struct zippool *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* Default attributes: neither call can fail on Linux. */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->root_fd = root_fd;
	p->level = level;
	p->cancel = cancel;
	*out = p;
	return 0;
}

struct zippool_job *zippool__add(struct zippool *p, const struct tree_entry *e)
{
	struct zippool_job *job = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->sealed)
		goto out;
	if (p->n == p->order_cap) {
		size_t cap = p->order_cap ? 2 * p->order_cap : CHUNK_JOBS;
		struct zippool_job **order = realloc(p->order, cap * sizeof(*order));
		struct zippool_job **ready;

		if (!order)
			goto out;
		p->order = order;
		/* Room for every job: each is read ahead by zippool__head() at most once. */
		ready = realloc(p->ready, cap * sizeof(*ready));
		if (!ready)
			goto out;
		p->ready = ready;
		p->order_cap = cap;
	}
	if (p->n == p->nchunks * CHUNK_JOBS) {
		struct zippool_job **chunks, *chunk;

		chunks = realloc(p->chunks, (p->nchunks + 1) * sizeof(*chunks));
		if (!chunks)
			goto out;
		p->chunks = chunks;
		chunk = calloc(CHUNK_JOBS, sizeof(*chunk));
		if (!chunk)
			goto out;
		p->chunks[p->nchunks++] = chunk;
	}
	job = job_at(p, p->n);
	job->e = *e;
	job->seq = p->n++;
	p->order[p->end++] = job;
	pthread_cond_broadcast(&p->cv);
out:
	pthread_mutex_unlock(&p->mu);
	return job;
}

/* Largest first; equal sizes in the order added, so the schedule is the same on every run. */
static int larger_first(const void *a, const void *b)
{
	const struct zippool_job *x = *(struct zippool_job *const *)a;
	const struct zippool_job *y = *(struct zippool_job *const *)b;

	if (x->e.size != y->e.size)
		return x->e.size > y->e.size ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void zippool__seal(struct zippool *p)
{
	pthread_mutex_lock(&p->mu);
	/*
	 * Every job is known: the ones left go largest first, so the last to finish are small
	 * ones and no core waits, idle, for one large file at the end (py-raster: its 31 MB and
	 * 24 MB libraries sit in the middle of the name order). The zip's order, and its bytes,
	 * are the writer's, not this one's.
	 */
	if (p->end > p->next) /* none at all (an empty zip): no array to sort, p->order NULL */
		qsort(p->order + p->next, p->end - p->next, sizeof(*p->order), larger_first);
	p->sealed = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void zippool__discard(struct zippool *p, struct zippool_job *job)
{
	pthread_mutex_lock(&p->mu);
	job->discard = true;
	if (job->state == JOB_PENDING) {
		/* Not deflated (maybe read, on the ready queue): a worker that reaches it passes
		 * by. */
		free(job->in);
		job->in = NULL;
		p->inflight -= job->held;
		job->held = 0;
		job->state = JOB_DONE;
		p->done++;
	} else if (job->state == JOB_DONE && job->out.data) {
		p->inflight -= job->held;
		job->held = 0;
		free(job->out.data);
		job->out.data = NULL;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

size_t zippool__done(struct zippool *p)
{
	size_t done;

	pthread_mutex_lock(&p->mu);
	done = p->done;
	pthread_mutex_unlock(&p->mu);
	return done;
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

/* With p->mu held: a job no worker took yet runs here, on the writer's thread. */
static void run_here(struct zippool *p, struct zippool_job *job)
{
	if (job->state != JOB_PENDING)
		return;
	/* Only the writer thread waits, so only it uses writer_z. */
	if (!p->writer_z)
		(void)zipdeflate__new(p->level, &p->writer_z); /* NULL: the job fails */
	run_job(p, job, p->writer_z);
}

/*
 * With p->mu held: read a job no thread took yet on this thread, to learn its first bytes,
 * and leave the bytes on the ready queue for a worker to deflate, so the rules that ask
 * (zipahead__head) cost the writer's thread the read a worker would have made, not the
 * deflate too, and the file is opened once. Running (RUNNING) while it reads: a worker that
 * takes it from order meanwhile passes it by, and finds it on the ready queue after.
 */
static void read_here(struct zippool *p, struct zippool_job *job)
{
	unsigned char *buf;

	job->state = JOB_RUNNING;
	job->held = job->e.size;
	p->inflight += job->held;
	pthread_mutex_unlock(&p->mu);
	buf = read_job(p, job);
	if (buf)
		publish_head(p, job, buf);
	pthread_mutex_lock(&p->mu);
	if (!buf) { /* done, failed: the writer reports it when it gets there */
		finish_job(p, job);
		return;
	}
	job->in = buf;
	job->state = JOB_PENDING;
	p->ready[p->nready++] = job;
	pthread_cond_broadcast(&p->cv);
}

ssize_t zippool__head(struct zippool *p, struct zippool_job *job, void *buf, size_t len)
{
	ssize_t n = -ENOENT;

	pthread_mutex_lock(&p->mu);
	/* Over the budget the caller reads the head itself: the pool's memory stays bounded. */
	if (job->state == JOB_PENDING && !job->in && fits(p, job))
		read_here(p, job);
	while (!job->head_len && job->state == JOB_RUNNING)
		pthread_cond_wait(&p->cv, &p->mu);
	if (job->head_len) {
		n = (ssize_t)(len < job->head_len ? len : job->head_len);
		memcpy(buf, job->head, (size_t)n);
	}
	pthread_mutex_unlock(&p->mu);
	return n;
}

int zippool__wait(struct zippool *p, struct zippool_job *job, struct zippool_result *res)
{
	pthread_mutex_lock(&p->mu);
	run_here(p, job);
	while (job->state != JOB_DONE)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	res->err = job->err;
	res->fail = job->fail;
	res->data = job->out.data;
	res->len = job->out.len;
	res->size = job->e.size;
	res->crc = job->out.crc;
	res->stored = job->out.stored;
	return -job->err;
}

void zippool__release(struct zippool *p, struct zippool_job *job)
{
	bool had;

	pthread_mutex_lock(&p->mu);
	had = job->state == JOB_DONE && job->out.data;
	if (had) {
		p->inflight -= job->held;
		job->held = 0;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (had) {
		free(job->out.data);
		job->out.data = NULL;
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
	for (size_t i = 0; i < p->n; i++) {
		free(job_at(p, i)->out.data);
		job_at(p, i)->out.data = NULL;
		free(job_at(p, i)->in);
		job_at(p, i)->in = NULL;
	}
	p->ready_next = p->nready = 0;
}

void zippool__free(struct zippool *p)
{
	if (!p)
		return;
	zippool__stop(p);
	zipdeflate__free(p->writer_z);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	for (size_t i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->order);
	free(p->ready);
	free(p);
}
