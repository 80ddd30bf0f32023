/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Strict argument parsing: a value is all digits in range, or it is rejected by name. */
#ifndef SLIMZIP_ARGS_H
#define SLIMZIP_ARGS_H

#include <stdint.h>

/* Parse an unsigned decimal in [min, max]. -EINVAL (with slz_errmsg naming opt and value). */
int args__u64(const char *opt, const char *value, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a duration: "30", "30s", "5m", "2h" into seconds (> 0). */
int args__duration(const char *opt, const char *value, uint64_t *seconds);
/* Pick one of a NULL-terminated list of words; returns its index or -EINVAL. */
int args__choice(const char *opt, const char *value, const char *const *choices);

#endif
