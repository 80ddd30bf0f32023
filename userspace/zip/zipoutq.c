// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The write-behind queue of zipoutq.h: one thread, a FIFO of writes, a fixed set of buffers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "zipoutq.h"

struct outq_write {
	unsigned char *buf;
	size_t len;
	uint64_t off;
};

struct zipoutq {
	int fd;
	size_t buf_size;
	unsigned nbufs;
	uint64_t writeback_every, unsynced;
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any change: a write queued or done, a buffer free, stop */
	/* Writes [head, head + queued) of the ring fifo (nbufs long: one per buffer at most). */
	struct outq_write *fifo;
	unsigned head, queued;
	/* The free buffers: nfree of them in free_bufs. */
	unsigned char **free_bufs;
	unsigned nfree;
	unsigned char *mem; /* all the buffers, in one allocation */
	int err;	    /* the first failure, a positive errno; 0 */
};

static int pwrite_all(int fd, const unsigned char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static void *outq_thread(void *arg)
{
	struct zipoutq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct outq_write wr;
		int err = 0;

		while (!q->queued && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->queued)
			break;
		wr = q->fifo[q->head];
		/* After a failure nothing more is written: the zip is abandoned anyway. */
		if (!q->err) {
			pthread_mutex_unlock(&q->mu);
			err = pwrite_all(q->fd, wr.buf, wr.len, wr.off);
			if (!err && q->writeback_every) {
				q->unsynced += wr.len;
				if (q->unsynced >= q->writeback_every) {
					q->unsynced = 0;
					/* Only a hint: the commit's fsync makes the zip durable. */
					(void)sync_file_range(q->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
				}
			}
			pthread_mutex_lock(&q->mu);
			if (err && !q->err)
				q->err = err;
		}
		q->head = (q->head + 1) % q->nbufs;
		q->queued--;
		q->free_bufs[q->nfree++] = wr.buf;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int zipoutq__new(int fd, size_t buf_size, unsigned nbufs, uint64_t writeback_every,
		 struct zipoutq **out)
{
	struct zipoutq *q;
	int err;

	*out = NULL;
	if (!buf_size || !nbufs)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->fd = fd;
	q->buf_size = buf_size;
	q->nbufs = nbufs;
	q->writeback_every = writeback_every;
	q->fifo = calloc(nbufs, sizeof(*q->fifo));
	q->free_bufs = calloc(nbufs, sizeof(*q->free_bufs));
	q->mem = malloc(buf_size * nbufs);
	if (!q->fifo || !q->free_bufs || !q->mem) {
		free(q->fifo);
		free(q->free_bufs);
		free(q->mem);
		free(q);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nbufs; i++)
		q->free_bufs[q->nfree++] = q->mem + (size_t)i * buf_size;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	err = pthread_create(&q->thread, NULL, outq_thread, q);
	if (err) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q->fifo);
		free(q->free_bufs);
		free(q->mem);
		free(q);
		return -err;
	}
	q->started = true;
	*out = q;
	return 0;
}

unsigned char *zipoutq__buf(struct zipoutq *q)
{
	unsigned char *buf;

	pthread_mutex_lock(&q->mu);
	while (!q->nfree)
		pthread_cond_wait(&q->cv, &q->mu);
	buf = q->free_bufs[--q->nfree];
	pthread_mutex_unlock(&q->mu);
	return buf;
}

int zipoutq__submit(struct zipoutq *q, unsigned char *buf, size_t len, uint64_t off)
{
	int err;

	pthread_mutex_lock(&q->mu);
	/* Room is certain: a buffer out of the free set has its slot in the fifo. */
	q->fifo[(q->head + q->queued) % q->nbufs] = (struct outq_write){buf, len, off};
	q->queued++;
	err = q->err;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return err;
}

int zipoutq__drain(struct zipoutq *q)
{
	int err;

	pthread_mutex_lock(&q->mu);
	while (q->queued)
		pthread_cond_wait(&q->cv, &q->mu);
	err = q->err;
	pthread_mutex_unlock(&q->mu);
	return err;
}

void zipoutq__free(struct zipoutq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (q->started)
		pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->fifo);
	free(q->free_bufs);
	free(q->mem);
	free(q);
}
