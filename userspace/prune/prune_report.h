/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What prune decided, for people (summary numbers) and for tools (--report JSON, whitelist). */
#ifndef SLIMZIP_PRUNE_REPORT_H
#define SLIMZIP_PRUNE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "profile.h"
#include "zipwrite.h"

/* AWS Lambda's limits: 50 MiB zipped for a direct upload, 250 MiB unzipped. */
#define LAMBDA_ZIPPED_LIMIT   (50ULL * 1024 * 1024)
#define LAMBDA_UNZIPPED_LIMIT (250ULL * 1024 * 1024)

/* The --report JSON's schema version (docs/REPORT.md): its "slimzip_report" member. */
#define PRUNE_REPORT_SCHEMA 2

/* Bytes of one package (hostdeps__tree_package, the one definition verify groups by too). */
struct package_bytes {
	char *name; /* its label: prune_report__package_name */
	enum hostdep_kind kind;
	uint64_t kept_bytes, dropped_bytes;
	uint64_t kept_files, dropped_files;
};

/* Group regular files by package. Sorted by name; free with prune_report__free_packages. */
int prune_report__packages(const struct prune_plan *pl, struct package_bytes **out, size_t *n);
void prune_report__free_packages(struct package_bytes *pk, size_t n);
/*
 * The label of the package a tree-relative path of t belongs to (hostdeps__tree_package),
 * malloc'd: its package directory, '/', its name when it lies in one
 * ("node_modules/lodash", "python/lib/python3.11/site-packages/yaml"), else its name ("numpy",
 * "lib", "handler" for handler.py, "README.md"). *kind (when not NULL) gets its kind. NULL when
 * out of memory or relpath is no tree path.
 */
char *prune_report__package_name(const struct tree *t, const char *relpath,
				 enum hostdep_kind *kind);
/* Why a tree entry that is not in the zip is left out: "not-used", "drop", ... (docs/REPORT.md) */
const char *prune_report__dropped_why(const struct prune_plan *pl, uint32_t idx);

/* What ran, for the report: all optional (NULL / 0 leave the member out or null). */
struct prune_report_run {
	const char *version;
	const char *const *argv; /* the command's arguments as given */
	size_t argc;
	const struct prune_policy *pol; /* the resolved policy */
};

/*
 * --report FILE.json (docs/REPORT.md): totals, packages, bytes by reason, every kept entry
 * with its reasons, first toucher, size, and every file or link left out with why. zs: what
 * the writer wrote (NULL for --dry-run); p: the profile planned from (NULL for none); run:
 * what ran (NULL for unknown).
 */
int prune_report__write_json(const struct prune_plan *pl, const struct zipwrite_stats *zs,
			     const struct profile *p, const struct prune_report_run *run,
			     const char *path);
/*
 * --whitelist-out FILE: kept tree-relative paths, one per line, literally (zip -@ input), so a
 * kept path holding a newline cannot be listed: -EINVAL naming it and path. The writer checks
 * first; prune calls the check alone before it writes anything else.
 */
int prune_report__check_whitelist(const struct prune_plan *pl, const char *path);
int prune_report__write_whitelist(const struct prune_plan *pl, const char *path);

#endif
