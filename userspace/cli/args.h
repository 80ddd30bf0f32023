/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Strict argument parsing: a value is all digits in range, or it is rejected by name. */
#ifndef SLIMZIP_ARGS_H
#define SLIMZIP_ARGS_H

#include <getopt.h>
#include <stdint.h>

/* Parse an unsigned decimal in [min, max]. -EINVAL (with slz_errmsg naming opt and value). */
int args__u64(const char *opt, const char *value, uint64_t min, uint64_t max, uint64_t *out);
/*
 * The environment variable name as args__u64 would parse it: 0 with *out untouched when it is
 * unset or empty, else args__u64's result (the message names the variable).
 */
int args__env_u64(const char *name, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a duration: "30", "30s", "5m", "2h" into seconds (> 0). */
int args__duration(const char *opt, const char *value, uint64_t *seconds);
/* Pick one of a NULL-terminated list of words; returns its index or -EINVAL. */
int args__choice(const char *opt, const char *value, const char *const *choices);

/*
 * After getopt_long() (with opterr = 0) returned '?': explain in one line what was wrong with
 * argv[optind - 1] (unknown option, with the closest known one suggested; missing or unexpected
 * value) and return -EINVAL. The message names the option and ends with a --help hint for cmd.
 */
int args__bad_option(const char *cmd, char *const *argv, int optind, int optopt,
		     const struct option *opts);

#endif
