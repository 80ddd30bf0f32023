// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "sam.h"
#include "util.h"

#define FUNCTION_TYPE "AWS::Serverless::Function"

struct sam_fn {
	struct sam_function pub;
	char **layers; /* pub.layers points here */
};

struct sam {
	struct sam_fn *fns;
	size_t n, cap;
	/* Every string the functions point to, freed with the sam. */
	char **strs;
	size_t nstrs, strs_cap;
};

/* The walk over one loaded document. */
struct walk {
	yaml_document_t *doc;
	struct sam *s;
	const char *name;
	bool oom; /* a copy failed: the walk ends in -ENOMEM, never with a value silently NULL */
};

static char *keep_str(struct walk *w, char *str)
{
	struct sam *s = w->s;

	if (!str || slz_grow((void **)&s->strs, &s->strs_cap, s->nstrs + 1, sizeof(*s->strs))) {
		free(str);
		w->oom = true;
		return NULL;
	}
	s->strs[s->nstrs++] = str;
	return str;
}

static yaml_node_t *node(const struct walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

static bool is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	return is_scalar(n) && n->data.scalar.length == strlen(s) &&
	       !memcmp(n->data.scalar.value, s, n->data.scalar.length);
}

/* The value of key in mapping m, or NULL (m not a mapping, or no such key). */
static yaml_node_t *map_get(const struct walk *w, const yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		if (scalar_is(node(w, p->key), key))
			return node(w, p->value);
	}
	return NULL;
}

/* A tag of CloudFormation's short form ("!Ref"), else NULL (YAML's own tags, none). */
static const char *cfn_tag(const yaml_node_t *n)
{
	const char *t = (const char *)n->tag;

	return t && t[0] == '!' ? t : NULL;
}

/*
 * A plain string value: a scalar without a CloudFormation tag, copied; NULL when n is not one
 * (*computed then says whether it was a tagged value, an intrinsic function).
 */
static char *plain(struct walk *w, const yaml_node_t *n, bool *computed)
{
	*computed = false;
	if (!n)
		return NULL;
	if (!is_scalar(n) || cfn_tag(n)) {
		*computed = true;
		return NULL;
	}
	return keep_str(w, strndup((const char *)n->data.scalar.value, n->data.scalar.length));
}

/* A value as written, for lists shown to the user: "!Ref Name", "!GetAtt A.Arn", "arn:...". */
static char *as_text(struct walk *w, const yaml_node_t *n)
{
	const char *tag = cfn_tag(n);
	char *s = NULL;

	if (is_scalar(n)) {
		if (asprintf(&s, "%s%s%.*s", tag ? tag : "", tag ? " " : "",
			     (int)n->data.scalar.length, n->data.scalar.value) < 0)
			s = NULL;
	} else if (asprintf(&s, "%s%s%s", tag ? tag : "", tag ? " " : "",
			    n && n->type == YAML_SEQUENCE_NODE ? "[...]" : "{...}") < 0) {
		s = NULL;
	}
	return keep_str(w, s);
}

/* Property key of a function, else of Globals.Function (primitives: the function's wins). */
static yaml_node_t *prop(const struct walk *w, const yaml_node_t *props, const yaml_node_t *glob,
			 const char *key)
{
	yaml_node_t *v = map_get(w, props, key);

	return v ? v : map_get(w, glob, key);
}

static size_t seq_len(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
		       : 0;
}

/*
 * Layers: SAM's lists are additive, Globals' entries first, then the function's own (the
 * order Lambda stacks them in).
 */
static int add_layers(struct walk *w, struct sam_fn *f, const yaml_node_t *glob_layers,
		      const yaml_node_t *own_layers)
{
	const yaml_node_t *lists[] = {glob_layers, own_layers};
	size_t n = seq_len(glob_layers) + seq_len(own_layers), k = 0;

	f->layers = calloc(n ? n : 1, sizeof(*f->layers));
	if (!f->layers)
		return -ENOMEM;
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		for (size_t i = 0; i < seq_len(lists[l]); i++) {
			f->layers[k] = as_text(w, node(w, lists[l]->data.sequence.items.start[i]));
			if (!f->layers[k++])
				return -ENOMEM; /* as_text's copy failed */
		}
	}
	f->pub.layers = (const char *const *)f->layers;
	f->pub.nlayers = n;
	return 0;
}

/* What slimzip cannot prune, said once per function; NULL when its code is a local tree. */
static const char *skip_reason(const struct walk *w, const yaml_node_t *props,
			       const yaml_node_t *glob, const yaml_node_t *code, bool computed)
{
	if (scalar_is(prop(w, props, glob, "PackageType"), "Image"))
		return "a container image (PackageType: Image): nothing to zip";
	if (map_get(w, props, "InlineCode"))
		return "inline code (InlineCode): nothing to zip";
	if (code && code->type == YAML_MAPPING_NODE)
		return "its CodeUri is an S3 location (Bucket/Key): give the local tree";
	if (computed)
		return "its CodeUri is computed (an intrinsic function): give the local tree";
	if (!code)
		return "no CodeUri: give the local tree";
	return NULL;
}

static int add_function(struct walk *w, const yaml_node_t *key, const yaml_node_t *res,
			const yaml_node_t *glob)
{
	const yaml_node_t *props = map_get(w, res, "Properties"), *code, *arch;
	struct sam_fn *f;
	bool computed, ignored;

	if (slz_grow((void **)&w->s->fns, &w->s->cap, w->s->n + 1, sizeof(*w->s->fns)))
		return -ENOMEM;
	f = &w->s->fns[w->s->n++];
	memset(f, 0, sizeof(*f));
	f->pub.line = (unsigned int)key->start_mark.line + 1;
	f->pub.logical_id = plain(w, key, &ignored);
	if (!f->pub.logical_id)
		f->pub.logical_id = as_text(w, key); /* a tagged key: shown as written */
	code = prop(w, props, glob, "CodeUri");
	f->pub.code_uri = plain(w, code, &computed);
	f->pub.skip_reason = skip_reason(w, props, glob, code, computed);
	f->pub.handler = plain(w, prop(w, props, glob, "Handler"), &ignored);
	f->pub.runtime = plain(w, prop(w, props, glob, "Runtime"), &ignored);
	arch = prop(w, props, glob, "Architectures");
	if (arch && arch->type == YAML_SEQUENCE_NODE &&
	    arch->data.sequence.items.top > arch->data.sequence.items.start)
		f->pub.architecture =
			plain(w, node(w, arch->data.sequence.items.start[0]), &ignored);
	if (!f->pub.architecture)
		f->pub.architecture = "x86_64"; /* Lambda's default */
	return add_layers(w, f, map_get(w, glob, "Layers"), map_get(w, props, "Layers"));
}

static int walk_template(struct walk *w)
{
	yaml_node_t *root = yaml_document_get_root_node(w->doc), *resources, *glob;

	resources = map_get(w, root, "Resources");
	if (!resources || resources->type != YAML_MAPPING_NODE)
		return slz_fail(EINVAL,
				"%s:%zu: no Resources mapping: this is not a SAM or CloudFormation "
				"template; give the template.yaml that sam build reads",
				w->name, root ? root->start_mark.line + 1 : 1);
	glob = map_get(w, map_get(w, root, "Globals"), "Function");
	for (yaml_node_pair_t *p = resources->data.mapping.pairs.start;
	     p < resources->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node(w, p->key), *res = node(w, p->value);
		int err;

		if (!is_scalar(key) || !scalar_is(map_get(w, res, "Type"), FUNCTION_TYPE))
			continue;
		err = add_function(w, key, res, glob);
		if (!err && w->oom)
			err = -ENOMEM;
		if (err)
			return err == -ENOMEM
				       ? slz_fail(ENOMEM, "out of memory reading %s", w->name)
				       : err;
	}
	return 0;
}

int sam__parse_string(const char *text, size_t len, const char *name, struct sam **out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w = {.doc = &doc, .name = name};
	int err;

	*out = NULL;
	w.s = calloc(1, sizeof(*w.s));
	if (!w.s || !yaml_parser_initialize(&parser)) {
		free(w.s);
		return slz_fail(ENOMEM, "out of memory reading %s", name);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err = slz_fail(EINVAL, "%s:%zu: %s%s%s: fix the YAML (sam validate checks it)",
			       name, parser.problem_mark.line + 1,
			       parser.problem ? parser.problem : "not valid YAML",
			       parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		sam__free(w.s);
		return err;
	}
	err = walk_template(&w);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (err) {
		sam__free(w.s);
		return err;
	}
	*out = w.s;
	return 0;
}

int sam__parse_file(const char *path, struct sam **out)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t len = 0;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return slz_fail(errno, "cannot open the template %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return slz_fail(EINVAL, "the template %s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > SAM_MAX_BYTES) {
		close(fd);
		return slz_fail(EFBIG, "the template %s is over %u MiB: not a SAM template", path,
				SAM_MAX_BYTES >> 20);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return slz_fail(ENOMEM, "out of memory reading %s", path);
	}
	while (len < (size_t)st.st_size &&
	       (got = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)got;
	err = len == (size_t)st.st_size ? 0 : slz_fail(EIO, "cannot read the template %s", path);
	close(fd);
	if (!err)
		err = sam__parse_string(buf, len, path, out);
	free(buf);
	return err;
}

void sam__free(struct sam *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->fns[i].layers);
	for (size_t i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->fns);
	free(s->strs);
	free(s);
}

size_t sam__count(const struct sam *s)
{
	return s ? s->n : 0;
}

const struct sam_function *sam__function(const struct sam *s, size_t i)
{
	return s && i < s->n ? &s->fns[i].pub : NULL;
}

const struct sam_function *sam__find(const struct sam *s, const char *logical_id)
{
	for (size_t i = 0; i < sam__count(s); i++) {
		if (!strcmp(s->fns[i].pub.logical_id, logical_id))
			return &s->fns[i].pub;
	}
	return NULL;
}

int sam__tree_for(const struct sam_function *f, const char *template_dir, char **out)
{
	struct stat st;
	char *p = NULL;

	*out = NULL;
	if (asprintf(&p, "%s/.aws-sam/build/%s", template_dir, f->logical_id) < 0)
		return -ENOMEM;
	if (!stat(p, &st) && S_ISDIR(st.st_mode)) {
		*out = p;
		return 0;
	}
	free(p);
	if (f->skip_reason || !f->code_uri)
		return -ENOENT;
	if (f->code_uri[0] == '/')
		p = strdup(f->code_uri);
	else if (asprintf(&p, "%s/%s", template_dir, f->code_uri) < 0)
		p = NULL;
	*out = p;
	return p ? 0 : -ENOMEM;
}
