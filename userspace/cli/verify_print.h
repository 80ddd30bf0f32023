/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* verify's text output: the rounds, the missing files grouped by package, the mode warnings. */
#ifndef SLIMZIP_CLI_VERIFY_PRINT_H
#define SLIMZIP_CLI_VERIFY_PRINT_H

#include "verify.h"
#include "verify_report.h"

/* At most this many files are listed per package, unless -v: --report FILE has them all. */
#define VERIFY_PRINT_PER_PACKAGE 5

/* One round's numbers as its lines print them, kept for verify --json. */
struct verify_json_round {
	unsigned int round;
	int cmd_status, diag_status;
	size_t nmissing, nhost_missing;
	uint64_t lost_events, entries_before, entries_after, added;
};

/* The last round's missing files of one package ("missing N files of package NAME"). */
struct verify_json_package {
	char *name, *where;
	enum hostdep_kind kind;
	bool own_dir;
	size_t nfiles;
};

/* What verify --json keeps of the rounds (verify_json.c); all zero when not asked for. */
struct verify_json {
	bool on;
	int err; /* the first failure to keep a round (-ENOMEM) */
	struct verify_json_round *rounds;
	size_t nrounds;
	struct verify_json_package *packages; /* of the last round */
	size_t npackages;
	char **host_missing; /* the last round's host packages: name, path, name, path... */
	size_t nhost_missing;
};

/* What verify's callbacks see (verify_opts.on_round_ctx). */
struct verify_print {
	const struct verify_opts *o;
	struct verify_log *log; /* --report or --keep-out: every round copied; NULL for none */
	int log_err;		/* the first failure to copy a round (-ENOMEM) */
	bool report;		/* --report given: the cap's hint names it */
	struct verify_json json;
};

/* How verify ended, for --json: the verdict verify_report.h names, exit code, last line. */
struct verify_json_end {
	const struct verify_result *res;
	const char *verdict;
	int exit_code;
	const char *message; /* NULL when verified */
};

/* verify_opts.on_round: the round's line, its missing files by package, --fix's line. */
void verify_print__round(const struct verify_round *r, void *ctx);
/* verify_opts.on_diagnosis: which run the command's output below comes from. */
void verify_print__diagnosis(const struct verify_round *r, void *ctx);
/* verify_opts.on_modes: one warning per class of entries Lambda's user could not use. */
void verify_print__modes(const struct zipcheck_result *zc, void *ctx);

/* verify_print__round's part for --json: keep r's numbers and its packages. */
void verify_json__add_round(struct verify_json *j, const struct verify_round *r);
/*
 * verify --json FILE: one object: the verdict and exit code, the zip (path, entries, bytes on
 * disk), each round's numbers, the last round's missing files by package and host packages,
 * what --fix added. 0, or -errno explained.
 */
int verify_json__write(const struct verify_json *j, const struct verify_opts *o,
		       const struct verify_json_end *end, const char *path);
void verify_json__release(struct verify_json *j);

#endif
