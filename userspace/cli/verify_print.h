/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* verify's text output: the rounds, the missing files grouped by package, the mode warnings. */
#ifndef SLIMZIP_CLI_VERIFY_PRINT_H
#define SLIMZIP_CLI_VERIFY_PRINT_H

#include "verify.h"
#include "verify_report.h"

/* At most this many files are listed per package, unless -v: --report FILE has them all. */
#define VERIFY_PRINT_PER_PACKAGE 5

/* What verify's callbacks see (verify_opts.on_round_ctx). */
struct verify_print {
	const struct verify_opts *o;
	struct verify_log *log; /* --report or --keep-out: every round copied; NULL for none */
	int log_err;		/* the first failure to copy a round (-ENOMEM) */
	bool report;		/* --report given: the cap's hint names it */
};

/* verify_opts.on_round: the round's line, its missing files by package, --fix's line. */
void verify_print__round(const struct verify_round *r, void *ctx);
/* verify_opts.on_diagnosis: which run the command's output below comes from. */
void verify_print__diagnosis(const struct verify_round *r, void *ctx);
/* verify_opts.on_modes: one warning per class of entries Lambda's user could not use. */
void verify_print__modes(const struct zipcheck_result *zc, void *ctx);

#endif
