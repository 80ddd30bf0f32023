/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cancel token: the caller owns one, hands it to a long operation (the zip writer takes it
 * in its options) and sets it from anywhere, a signal handler or another thread, to make that
 * operation stop with -ECANCELED. A NULL token means "not cancellable". One token per
 * operation: two writers with their own tokens never stop each other.
 *
 * In base/ because cancelling is no one layer's business: the recorder's session and prune's
 * batches will take the same token. The struct is public so that a token can live in static
 * storage or on the stack (making one can neither fail nor allocate, and a signal handler can
 * reach a static one); touch it only through the functions below.
 */
#ifndef SLIMZIP_CANCEL_H
#define SLIMZIP_CANCEL_H

#include <stdatomic.h>
#include <stdbool.h>

/* A signal handler may only touch lock-free atomics (C11 7.14.1.1). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a cancel token needs a lock-free atomic int");

struct slz_cancel {
	atomic_int requested;
};

#define SLZ_CANCEL_INIT                                                                            \
	{                                                                                          \
		0                                                                                  \
	}

/* Async-signal-safe and thread-safe: make the operation holding c stop. NULL-safe. */
static inline void slz_cancel__request(struct slz_cancel *c)
{
	if (c)
		atomic_store(&c->requested, 1);
}

/* Whether c was requested; false for NULL (not cancellable). */
static inline bool slz_cancel__requested(const struct slz_cancel *c)
{
	return c && atomic_load(&c->requested);
}

#endif
