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

/* Bytes of one package (a top-level directory, looking through node_modules, site-packages...). */
struct package_bytes {
	char *name;
	uint64_t kept_bytes, dropped_bytes;
	uint64_t kept_files, dropped_files;
};

/* Group regular files by package. Sorted by name; free with prune_report__free_packages. */
int prune_report__packages(const struct prune_plan *pl, struct package_bytes **out, size_t *n);
void prune_report__free_packages(struct package_bytes *pk, size_t n);
/* The package a tree-relative path belongs to (malloc'd): "numpy", "node_modules/lodash". */
char *prune_report__package_of(const char *relpath);

/*
 * --report FILE.json: totals, then every kept entry with its reasons, first toucher, size. zs:
 * what the writer wrote (NULL for --dry-run); p: the profile planned from (NULL for none).
 */
int prune_report__write_json(const struct prune_plan *pl, const struct zipwrite_stats *zs,
			     const struct profile *p, const char *path);
/*
 * --whitelist-out FILE: kept tree-relative paths, one per line, literally (zip -@ input), so a
 * kept path holding a newline cannot be listed: -EINVAL naming it and path. The writer checks
 * first; prune calls the check alone before it writes anything else.
 */
int prune_report__check_whitelist(const struct prune_plan *pl, const char *path);
int prune_report__write_whitelist(const struct prune_plan *pl, const char *path);

#endif
