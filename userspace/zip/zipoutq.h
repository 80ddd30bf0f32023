/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Positioned writes of one file on a thread of their own, in the order they were submitted.
 *
 * The zip writer's output source (zipsource.c) fills fixed-size buffers and hands each one
 * here instead of pwrite()-ing it itself: the kernel's copy into the page cache then runs on
 * the other core while libzip goes on. At the end of a large prune the deflaters are done and
 * the writer alone was left copying (a third of its time in copy_folio_from_iter_atomic, the
 * 1M-file tree of scripts/bench-zip --scale: BENCHMARKS.md, issue 13, seventh session).
 *
 * Writes land in submission order (one thread, FIFO), so a later write of the same bytes (a
 * local header patched after its data) wins as it would have written synchronously. The
 * first failure sticks: every call after it returns it, and nothing more is written.
 */
#ifndef SLIMZIP_ZIPOUTQ_H
#define SLIMZIP_ZIPOUTQ_H

#include <stddef.h>
#include <stdint.h>

struct zipoutq;

/*
 * A queue of nbufs buffers of buf_size bytes writing into fd (which must outlive it). Each
 * time writeback_every bytes have been written since the last time, the thread starts the
 * kernel's writeback of the file (sync_file_range, not waited for); 0: never. 0 or -errno.
 */
int zipoutq__new(int fd, size_t buf_size, unsigned nbufs, uint64_t writeback_every,
		 struct zipoutq **out);

/* A free buffer of buf_size bytes to fill, waiting for the thread to finish one if needed. */
unsigned char *zipoutq__buf(struct zipoutq *q);

/*
 * Write len bytes of buf (from zipoutq__buf, given back with this call) at offset off.
 * 0, or the first failure (a positive errno) of any write so far.
 */
int zipoutq__submit(struct zipoutq *q, unsigned char *buf, size_t len, uint64_t off);

/* Wait until everything submitted is written: 0, or the first failure (a positive errno). */
int zipoutq__drain(struct zipoutq *q);

/* Drain, stop the thread, free the buffers. NULL is fine. */
void zipoutq__free(struct zipoutq *q);

#endif /* SLIMZIP_ZIPOUTQ_H */
