// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which kept files lack the ELF magic, read on one thread per CPU before the ELF rule's scan.
 * The scan reads four bytes of every kept file to learn that most are not objects at all; one
 * after another that is an open, an fstat and a read per file on one core while the others
 * wait for the zip writer. Reading them here, side by side, leaves the scan only the objects.
 * A verdict is only ever "no magic": what the scan would have concluded from the same bytes
 * (elfinfo__read_fd() returns 0 for them without counting anything); a file that cannot be
 * opened, or has the magic, is left to the scan as before, which counts and reads it.
 */
#include <elf.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules_elf_magic.h"

/* Fewer candidates than this are not worth a thread. */
#define MAGIC_MIN_PARALLEL 256
#define MAGIC_BATCH	   64
#define MAGIC_MAX_THREADS  8

struct magic_pool {
	struct rules_ctx *c;
	uint8_t *not_elf;
	uint32_t min_size;
	pthread_mutex_t mu;
	uint32_t next;
};

static bool candidate(const struct magic_pool *p, uint32_t idx)
{
	struct tree_entry e;

	if (p->not_elf[idx] || !keepset__has(p->c->k, idx))
		return false;
	e = rules_ctx__entry(p->c, idx);
	return S_ISREG(e.mode) && e.size >= p->min_size;
}

static void probe_one(struct magic_pool *p, uint32_t idx)
{
	unsigned char m[SELFMAG];
	ssize_t n;
	int fd = rules_ctx__open(p->c, idx);

	if (fd < 0)
		return;
	n = pread(fd, m, sizeof(m), 0);
	close(fd);
	/* A read error is not "no magic": the scan reads it again and decides. */
	if (n >= 0 && (n != (ssize_t)sizeof(m) || memcmp(m, ELFMAG, SELFMAG)))
		p->not_elf[idx] = 1; /* each entry's byte is one thread's alone */
}

static void *magic_worker(void *arg)
{
	struct magic_pool *p = arg;

	for (;;) {
		uint32_t from, to;

		pthread_mutex_lock(&p->mu);
		from = p->next;
		to = p->c->n - from < MAGIC_BATCH ? p->c->n : from + MAGIC_BATCH;
		p->next = to;
		pthread_mutex_unlock(&p->mu);
		if (from >= to)
			break;
		for (uint32_t i = from; i < to; i++)
			if (candidate(p, i))
				probe_one(p, i);
	}
	return NULL;
}

void rules_elf__prefetch_magic(struct rules_ctx *c, uint8_t *not_elf, uint32_t min_size)
{
	struct magic_pool p = {.c = c, .not_elf = not_elf, .min_size = min_size};
	pthread_t tids[MAGIC_MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = cpus < 1 ? 1 : cpus > MAGIC_MAX_THREADS ? MAGIC_MAX_THREADS : (int)cpus;
	int started = 0;
	uint32_t cands = 0;

	for (uint32_t i = 0; i < c->n && cands < MAGIC_MIN_PARALLEL; i++)
		cands += candidate(&p, i);
	/* Few files: the scan reads them as it goes, as before. */
	if (cands < MAGIC_MIN_PARALLEL || nthreads < 2)
		return;
	/* Default attributes: cannot fail on Linux. */
	pthread_mutex_init(&p.mu, NULL);
	for (; started < nthreads - 1; started++)
		if (pthread_create(&tids[started], NULL, magic_worker, &p))
			break; /* fewer threads: the same verdicts, later */
	magic_worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.mu);
}
