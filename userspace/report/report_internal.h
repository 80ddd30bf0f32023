/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The model report_model.c fills and report_html.c draws. */
#ifndef SLIMZIP_REPORT_INTERNAL_H
#define SLIMZIP_REPORT_INTERNAL_H

#include <stdbool.h>

#include "report.h"

enum report_state {
	REPORT_KEPT = 0,    /* in the zip, or used by the profile */
	REPORT_DROPPED = 1, /* left out, or not used */
};

struct report_file {
	char *path;
	uint64_t bytes;
	enum report_state state;
	char *why; /* "opened, rule-python", "not-used" */
};

struct report_package {
	char *name, *kind;
	uint64_t kept_files, kept_bytes, dropped_files, dropped_bytes;
};

/* verify: the missing files of one package in one round. */
struct report_group {
	uint64_t round;
	char *package, *kind, *where;
	char **files;
	size_t nfiles;
};

struct report_model {
	bool has_prune, has_verify, has_profile;
	char *tree;	   /* the tree's path, when known */
	char *title;	   /* what the page shows at its top */
	int64_t zip_bytes; /* -1: no zip (a profile, a --dry-run) */
	struct report_file *files;
	size_t nfiles, files_cap;
	struct report_package *pk;
	size_t npk, pk_cap;
	struct report_group *groups;
	size_t ngroups, groups_cap;
	char *verdict; /* verify's */
};

/* Sum the files into packages by prune_report__package_name (profiles have no package list). */
int report_model__packages_from_files(struct report_model *m, const struct tree *t);

#endif
