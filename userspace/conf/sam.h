/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An AWS SAM template (template.yaml) read for batch: the AWS::Serverless::Function resources
 * with what slimzip needs of each (where its code is, its runtime, handler, layers and
 * architecture), Globals.Function filling in what a function leaves out. Parsed with libyaml's
 * document loader; CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...) are kept as
 * text ("!Ref SharedDeps") where a value is a plain string, never an error.
 *
 * A function slimzip cannot prune (a container image, inline code, code in S3, a CodeUri
 * computed by an intrinsic function) is listed with skip_reason set, so batch can name it
 * instead of losing it. A template that is not YAML, has no Resources mapping, or whose
 * Resources is not a mapping fails with "FILE:LINE: what is wrong; what to do".
 */
#ifndef SLIMZIP_SAM_H
#define SLIMZIP_SAM_H

#include <stddef.h>

/* Templates are small; a bigger one is not a template (and libyaml's DOM costs ~10x). */
#define SAM_MAX_BYTES (16u << 20)

struct sam_function {
	const char *logical_id;	   /* the resource's key under Resources */
	const char *code_uri;	   /* a local path, relative to the template's directory; or NULL */
	const char *handler;	   /* NULL when not given */
	const char *runtime;	   /* "python3.12", NULL when not given */
	const char *architecture;  /* the first of Architectures, "x86_64" by default */
	const char *const *layers; /* as written; tagged values as "!Ref Name" */
	size_t nlayers;
	const char *skip_reason; /* why batch cannot prune it, or NULL */
	unsigned int line;	 /* of its key in the template, 1-based */
};

struct sam;

/* name is what messages call the text (its file name). 0, -EINVAL (explained), -ENOMEM. */
int sam__parse_string(const char *text, size_t len, const char *name, struct sam **out);
/* The same for a file; a file over SAM_MAX_BYTES is refused (-EFBIG). */
int sam__parse_file(const char *path, struct sam **out);
void sam__free(struct sam *s); /* NULL-safe */

/* Functions in the template's order. */
size_t sam__count(const struct sam *s);
const struct sam_function *sam__function(const struct sam *s, size_t i);
const struct sam_function *sam__find(const struct sam *s, const char *logical_id);

/*
 * The tree to prune for f, as `sam build` leaves it: template_dir/.aws-sam/build/<LogicalId>
 * when that directory exists, else template_dir/CodeUri. *out is malloc'd. 0, -ENOENT when f
 * has no local code (f->skip_reason says why), -ENOMEM.
 */
int sam__tree_for(const struct sam_function *f, const char *template_dir, char **out);

#endif
