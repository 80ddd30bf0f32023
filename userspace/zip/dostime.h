/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * DOS timestamps, the 2-second time and date fields of zip headers, read as UTC. Computed with
 * calendar arithmetic only: no TZ, no libc time conversion (glibc's gmtime_r() and timegm()
 * follow the leap seconds of a "right/" zone in TZ), no locks, no process state.
 */
#ifndef SLIMZIP_DOSTIME_H
#define SLIMZIP_DOSTIME_H

#include <stdint.h>

/* 1980-01-01 00:00:00 UTC: the earliest time a DOS timestamp can hold. */
#define DOSTIME_MIN 315532800LL
/* 2107-12-31 23:59:58 UTC: the last one. */
#define DOSTIME_MAX 4354819198LL

/* The DOS time and date of a Unix time: clamped into DOSTIME_MIN..DOSTIME_MAX, odd seconds
 * rounded down. */
void dostime__from_unix(int64_t t, uint16_t *dos_time, uint16_t *dos_date);

/*
 * The Unix time of a DOS time and date. Out-of-range fields (month 0 or 13, hour 25, ...) carry
 * over the way timegm() normalizes them, so a foreign zip's odd fields still give a time.
 */
int64_t dostime__to_unix(uint16_t dos_time, uint16_t dos_date);

#endif
