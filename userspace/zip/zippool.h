/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to zipwrite: worker threads that deflate small files ahead of the zip writer.
 * A worker reads the whole file and deflates it with libdeflate (zipdeflate.h: one compressor
 * per thread); the writer later hands libzip the finished raw deflate bytes (or the file
 * itself, stored, when deflate does not shrink it) with method, sizes and CRC, and libzip
 * copies them without recompressing. Every file is deflated on its own, so the bytes do not
 * depend on the number of threads, nor on the order they were deflated in. Jobs are taken in
 * the order they were added until the pool is sealed, and then the ones left largest first, so
 * the last to finish are small and no core idles at the end waiting for one large file (the
 * writer, which consumes them in the zip's order, does a job no worker took yet itself); the
 * bytes held in memory (a running job's input, a finished one's output) are bounded, so memory
 * does not grow with the tree: when the largest left does not fit, a worker takes the smallest.
 */
#ifndef SLIMZIP_ZIPPOOL_H
#define SLIMZIP_ZIPPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cancel.h"
#include "rules.h"
#include "tree.h"

struct zippool;
struct zippool_job; /* one file, owned by its pool */

/* What a job failed at; the writer thread turns it into the slz_errmsg() message. */
enum zippool_fail {
	ZIPPOOL_FAIL_NONE,
	ZIPPOOL_FAIL_OPEN,
	ZIPPOOL_FAIL_READ,
	ZIPPOOL_FAIL_CHANGED, /* other size than the walk saw, or rewritten while it was read */
	ZIPPOOL_FAIL_CANCEL,  /* the pool's cancel token was requested */
	ZIPPOOL_FAIL_MEMORY,  /* no memory for the file, its stream or a compressor */
};

struct zippool_result {
	int err; /* errno of the failure, 0 when none */
	enum zippool_fail fail;
	/* The entry's data, valid until zippool__release(): deflated, or the file when stored. */
	const unsigned char *data;
	size_t len;
	uint64_t size; /* of the file */
	uint32_t crc;
	bool stored;
};

/* Whether a file of this size is deflated ahead: larger ones stream so memory stays bounded. */
bool zippool__takes(uint64_t size);

/*
 * A pool for files read relative to root_fd, which must stay open until zippool__free();
 * level is the deflate level (1..9). Once cancel (NULL: never) is requested, workers take no
 * new job and a job being read fails with ZIPPOOL_FAIL_CANCEL. No thread runs yet. 0 or
 * -ENOMEM.
 */
int zippool__new(int root_fd, int level, const struct slz_cancel *cancel, struct zippool **out);

/*
 * The next job: the file e (copied; its path, relative to root_fd, is borrowed until
 * zippool__free()) as the tree walk saw it. Workers may already run. NULL when out of memory
 * or sealed.
 */
struct zippool_job *zippool__add(struct zippool *p, const struct tree_entry *e);

/* Every job is added: workers that find none left end (until then they wait for more). */
void zippool__seal(struct zippool *p);

/*
 * The job's entry is not in the zip after all: a pending job is never read, a finished one's
 * data is dropped, a running one's when it ends. Never zippool__wait() on it afterwards.
 */
void zippool__discard(struct zippool *p, struct zippool_job *job);

/* How many first bytes of its file a job keeps for zippool__head(): all a rule asks for. */
#define ZIPPOOL_HEAD RULES_HEAD_MAX

/*
 * Up to len (<= ZIPPOOL_HEAD) first bytes of the job's file as the job read it, for the rules
 * that decide by them (is it an ELF object, a timestamp-based .pyc) without opening the file a
 * second time: their count, or -ENOENT when the job could not read it (the caller reads it
 * itself, for its own account of the failure) or was discarded before it ran, and when the
 * budget has no room for reading it now. A job no thread took yet is read on the caller's
 * thread and left for a worker to deflate (first, before new files); one running elsewhere is
 * waited for until it has read the file, not until it has deflated it. Only the thread that
 * waits for the jobs (the writer's) may call this.
 */
ssize_t zippool__head(struct zippool *p, struct zippool_job *job, void *buf, size_t len);

/* Jobs finished (or discarded before they ran): for tests and the overlap's accounting. */
size_t zippool__done(struct zippool *p);

/*
 * Start up to threads workers (0 = one per online CPU, capped at 16). Fewer threads, or
 * none, when they cannot be created: zippool__wait() then compresses on the caller's thread.
 */
void zippool__start(struct zippool *p, int threads);

/*
 * Wait until job is compressed, doing it on the calling thread when no worker took it yet
 * (so the writer never deadlocks on the budget). 0, or -errno with res->fail saying what
 * failed; res is filled either way.
 */
int zippool__wait(struct zippool *p, struct zippool_job *job, struct zippool_result *res);

/* The writer copied the job's data: drop it so the workers may go on. */
void zippool__release(struct zippool *p, struct zippool_job *job);

/* Join the workers and drop every job's data left; idempotent and NULL-safe. */
void zippool__stop(struct zippool *p);

/* zippool__stop(), then free everything; NULL-safe. */
void zippool__free(struct zippool *p);

#endif
