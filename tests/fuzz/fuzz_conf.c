// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The config / manifest parser (conf__parse_string): a daemon reads its config as root, and a
 * manifest comes with whatever repository batch is run in. Input: the file's text, parsed as
 * both kinds. Oracle: a refusal is -EINVAL (or -ENOMEM) with "FILE:LINE: " in front and the
 * line within the file; an accepted conf holds what the checks promise (absolute daemon paths,
 * a parent and a valid template per watch, its function defined, a tree per function), fills a
 * policy that describes, and parsing the same text again gives the same conf.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

static void check_refusal(int err, const char *text)
{
	const char *m = slz_errmsg();
	unsigned long line, lines = 1;
	char *end;

	if (err == -ENOMEM)
		return;
	if (err != -EINVAL || strncmp(m, "f.conf:", 7))
		abort();
	line = strtoul(m + 7, &end, 10);
	for (const char *s = text; *s; s++)
		lines += *s == '\n';
	if (end == m + 7 || strncmp(end, ": ", 2) || line < 1 || line > lines)
		abort();
}

static void check_conf(const struct conf *c, enum conf_kind kind)
{
	const struct conf_daemon *d = conf__daemon(c);

	if (d->state_dir[0] != '/' || d->runtime_dir[0] != '/' || d->socket[0] != '/' ||
	    d->max_targets < 1 || d->max_targets > CONF_MAX_TARGETS || d->linger > CONF_MAX_LINGER)
		abort();
	if (kind == CONF_MANIFEST && conf__watch_count(c))
		abort();
	for (size_t i = 0; i < conf__watch_count(c); i++) {
		const struct conf_watch *w = conf__watch(c, i);

		if (!w->parent || w->parent[0] != '/' || !w->match || strchr(w->match, '/') ||
		    conf__check_template(w->name_template))
			abort();
		if (w->function && conf__find_function(c, w->function->name) != w->function)
			abort();
	}
	for (size_t i = 0; i < conf__function_count(c); i++) {
		const struct conf_function *f = conf__function(c, i);
		struct prune_policy p;
		char *s = NULL;

		if (!f->tree || conf__find_function(c, f->name) != f ||
		    (kind == CONF_MANIFEST && !f->n_commands) ||
		    (kind == CONF_DAEMON && f->n_commands))
			abort();
		if (prune_policy__init(&p))
			abort();
		if (conf_function__policy(f, &p) || prune_policy__describe(&p, "0", &s))
			abort();
		free(s);
		prune_policy__release(&p);
	}
}

static void same(const struct conf *a, const struct conf *b)
{
	if (conf__watch_count(a) != conf__watch_count(b) ||
	    conf__function_count(a) != conf__function_count(b))
		abort();
	for (size_t i = 0; i < conf__function_count(a); i++) {
		const struct conf_function *x = conf__function(a, i), *y = conf__function(b, i);

		if (strcmp(x->name, y->name) || strcmp(x->tree, y->tree) ||
		    x->n_keep != y->n_keep || x->n_drop != y->n_drop ||
		    x->rules_off != y->rules_off)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum conf_kind kinds[] = {CONF_DAEMON, CONF_MANIFEST};
	char *text;

	if (size > 16384)
		return 0;
	text = strndup((const char *)data, size);
	if (!text)
		abort();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct conf *c = NULL, *again = NULL;
		int err = conf__parse_string(text, "f.conf", "/base", kinds[k], &c);

		if (err) {
			if (c)
				abort();
			check_refusal(err, text);
			continue;
		}
		check_conf(c, kinds[k]);
		if (conf__parse_string(text, "f.conf", "/base", kinds[k], &again))
			abort();
		same(c, again);
		conf__free(again);
		conf__free(c);
	}
	free(text);
	return 0;
}
