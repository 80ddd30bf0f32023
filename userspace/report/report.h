/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `slimzip report --html`: what a profile, a prune report or a verify report says, gathered
 * into one model (report_model) and written as one self-contained HTML page (report_html).
 * The inputs are read here, not printed: a prune report (docs/REPORT.md, "slimzip_report"),
 * a verify report ("command": "verify"), both parsed with json-c, and profiles (already
 * loaded by profiles__load). Library code: 0 or -errno with slz_fail's message.
 */
#ifndef SLIMZIP_REPORT_H
#define SLIMZIP_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "tree.h"

enum report_input {
	REPORT_INPUT_PROFILE = 0, /* text or JSON profile: profiles__load reads it */
	REPORT_INPUT_PRUNE = 1,	  /* prune --report */
	REPORT_INPUT_VERIFY = 2,  /* verify --report */
};

/*
 * What the file at path is, by its content: a JSON object with "slimzip_report" is a prune
 * report, one with "command": "verify" a verify report, anything else a profile (its own
 * reader judges it). 0 with *kind, or -errno explained (cannot read it).
 */
int report_input__detect(const char *path, enum report_input *kind);

struct report_model;

int report_model__new(struct report_model **out);
void report_model__free(struct report_model *m); /* NULL-safe */
/*
 * Add a prune report's or a verify report's JSON (len bytes of buf) to the model: its files,
 * packages and sizes, or its missing files by package. name: the input's name for messages.
 * 0, -EBADMSG (not the report it should be, or a member of the wrong type: explained),
 * -EEXIST (a second report of the same kind), -ENOMEM.
 */
int report_model__add_prune_json(struct report_model *m, const char *buf, size_t len,
				 const char *name);
int report_model__add_verify_json(struct report_model *m, const char *buf, size_t len,
				  const char *name);
/* Read the report at path (kind: what report_input__detect said) and add it as above. */
int report_model__add_report(struct report_model *m, const char *path, enum report_input kind);
/*
 * Add a profile's regular files (used). With t, only the entries that lie in the tree (as
 * prune resolves them: resolve__entry), named tree-relative, and the tree's other files as
 * not used; without, every file, named by its path. 0 or -ENOMEM.
 */
int report_model__add_profile(struct report_model *m, const struct profile *p,
			      const struct tree *t);
size_t report_model__nfiles(const struct report_model *m);

/*
 * The page: inline CSS and JS only, the model as JSON in a <script type="application/json">
 * block ('<', '>' and '&' written as \u003c, \u003e, \u0026, so no name can close it),
 * drawn by the inline script. To f, or to path through atomic_file ("-": stdout). 0 or -EIO.
 */
int report_html__write_stream(const struct report_model *m, FILE *f);
int report_html__write(const struct report_model *m, const char *path);

#endif
