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

/*
 * Info-ZIP's extended timestamp ("UT" extra field, APPNOTE 4.5) for an entry of mtime t: flags
 * 1 (mtime only), then t as a 32-bit little-endian Unix time, clamped to 1970..2038 (signed,
 * as every reader takes it): the same 5 data bytes in the local header and the central record,
 * as Info-ZIP's zip writes them. DOS times carry no zone, so unzip reads them as local time;
 * this field is UTC, and unzip and slimzip's extractor prefer it.
 */
#define DOSTIME_UT_LEN 5
void dostime__ut_field(int64_t t, unsigned char ut[DOSTIME_UT_LEN]);

#endif
