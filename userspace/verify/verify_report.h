/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What verify found, kept for people and tools: the missing files grouped by package (the
 * text output prints the groups), the log of every round (verify --report FILE, JSON), and the
 * files --fix added as a keep list (verify --fix --keep-out FILE, read back by prune
 * --keep-from). Nothing here prints; the files are written through atomic_file ("-": stdout).
 */
#ifndef SLIMZIP_VERIFY_REPORT_H
#define SLIMZIP_VERIFY_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "verify.h"

/* The missing files of one package (hostdeps__tree_package: kind, container and name). */
struct verify_group {
	enum hostdep_kind kind;
	char *name; /* "yaml", "@scope/name", "lib" */
	/*
	 * own_dir: a directory of the package's own ("yaml", "node_modules/@s/n"; one named like
	 * the package is preferred to "PyYAML-6.0.dist-info"); else the directory its files lie
	 * in ("" for the tree's top, "python/lib/python3.11/site-packages"): a module with its
	 * bytecode, a top-level file.
	 */
	char *where;
	bool own_dir;
	size_t *files; /* indices into the missing array, in path order */
	size_t nfiles;
};

/*
 * Group m[0..n) by package, sorted by name (then kind, then where): *out (NULL when n is 0)
 * and *ngroups. 0 or -ENOMEM.
 */
int verify_groups__make(const struct verify_missing *m, size_t n, struct verify_group **out,
			size_t *ngroups);
void verify_groups__free(struct verify_group *g, size_t n); /* NULL-safe */

/* Every round of one verify, copied as on_round sees it. */
struct verify_log;

int verify_log__new(struct verify_log **out);
void verify_log__free(struct verify_log *l); /* NULL-safe */
/* Copy round r (its missing files and host packages included). 0 or -ENOMEM. */
int verify_log__add_round(struct verify_log *l, const struct verify_round *r);
/* The files --fix added, over all rounds. */
size_t verify_log__nadded(const struct verify_log *l);

/* How verify ran and ended, for the report's header and verdict. */
struct verify_report_run {
	const char *version;
	const struct verify_opts *opts; /* zip, tree, command and options */
	/* The options the zip was pruned (and --fix rewrites it) with: prune_policy__describe. */
	const char *policy;
	const struct verify_result *res;
	int err;	     /* what verify__run returned (0, or -errno) */
	const char *verdict; /* "verified", "missing", "host-missing", "modes", "lost-events",
				"command-failed", "interrupted", "error" */
	int exit_code;	     /* slimzip's */
	const char *message; /* the last line it printed (NULL when verified) */
};

/*
 * verify --report FILE: one JSON object (what ran, each round with its missing files, their
 * packages and the groups, --fix's additions, the verdict), through atomic_file. 0, or -errno
 * explained (naming path).
 */
int verify_log__write_report(const struct verify_log *l, const struct verify_report_run *run,
			     const char *path);
/*
 * verify --fix --keep-out FILE: the files --fix added, one globs__literal line each (the
 * format --keep-from reads), after '#' lines naming zip; through atomic_file. 0, or -errno
 * explained.
 */
int verify_log__write_keep(const struct verify_log *l, const char *zip, const char *path);

#endif
