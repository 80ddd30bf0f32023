// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"

#include "prune_policy.h"
#include "zipahead.h"
#include "util.h"

int prune_policy__init(struct prune_policy *p)
{
	memset(p, 0, sizeof(*p));
	zipwrite__default_opts(&p->zip);
	if (globs__new(&p->globs))
		return slz_fail(ENOMEM, "out of memory");
	return 0;
}

void prune_policy__release(struct prune_policy *p)
{
	if (!p)
		return;
	globs__free(p->globs);
	p->globs = NULL;
	free(p->owned);
	p->owned = NULL;
	prune_policy__set_host_dirs(p, NULL, 0);
	zipahead__free(p->zip.ahead);
	p->zip.ahead = NULL;
}

int prune_policy__set_host_dirs(struct prune_policy *p, const char *const *dirs, size_t n)
{
	char **copy = n ? calloc(n, sizeof(*copy)) : NULL;

	if (n && !copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(dirs[i]);
		if (!copy[i]) {
			while (i--)
				free(copy[i]);
			free(copy);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < p->nhost_dirs; i++)
		free(p->host_dirs[i]);
	free(p->host_dirs);
	p->host_dirs = copy;
	p->nhost_dirs = n;
	return 0;
}

int prune_policy__open_tree(const struct prune_policy *p, const char *dir, struct tree **out)
{
	/* The policy's one progress hook is its zip options': the walk reports there too. */
	TREE_OPTS(o, .recorded_at = p->recorded_at, .progress = p->zip.meter);

	return tree__open(dir, &o, out);
}

/* A zip comment's length is a 16-bit field. */
#define COMMENT_MAX 65535
#define COMMENT_TAG "{\"slimzip\":"

static int describe_globs(struct json_writer *w, const struct globs *g, enum glob_action a)
{
	json_writer__begin_array(w);
	for (size_t i = 0; i < globs__count(g); i++)
		if (globs__action(g, i) == a)
			json_writer__string(w, globs__pattern(g, i));
	return json_writer__end_array(w);
}

/* Only when there are any: a zip without host packages keeps the comment it had. */
static void describe_host_dirs(struct json_writer *w, const struct prune_policy *p)
{
	if (!p->nhost_dirs)
		return;
	json_writer__key(w, "host_dirs");
	json_writer__begin_array(w);
	for (size_t i = 0; i < p->nhost_dirs; i++)
		json_writer__string(w, p->host_dirs[i]);
	json_writer__end_array(w);
}

int prune_policy__write_json(const struct prune_policy *p, const char *version,
			     struct json_writer *w)
{
	json_writer__string_field(w, "slimzip", version);
	json_writer__string_field(w, "modes", zipwrite__modes_name(p->zip.modes));
	json_writer__key(w, "mtime");
	if (p->zip.mtime_mode == ZIPWRITE_MTIME_EPOCH)
		json_writer__int(w, p->zip.epoch);
	else
		json_writer__string(w,
				    p->zip.mtime_mode == ZIPWRITE_MTIME_FIXED ? "fixed" : "keep");
	json_writer__int_field(w, "level", p->zip.level);
	json_writer__key(w, "keep");
	describe_globs(w, p->globs, GLOB_KEEP);
	json_writer__key(w, "drop");
	describe_globs(w, p->globs, GLOB_DROP);
	json_writer__key(w, "rules_off");
	json_writer__begin_array(w);
	for (size_t i = 0; i < rules__count(); i++)
		if (p->rules.off & (1u << i))
			json_writer__string(w, rules__name(i));
	json_writer__end_array(w);
	json_writer__string_field(w, "tree_path_as", p->recorded_at);
	json_writer__key(w, "keep_created");
	json_writer__bool(w, p->keep_created);
	describe_host_dirs(w, p);
	return json_writer__error(w);
}

int prune_policy__describe(const struct prune_policy *p, const char *version, char **out)
{
	struct json_writer *w = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	*out = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return slz_fail(ENOMEM, "out of memory");
	err = json_writer__new(f, &w);
	if (!err) {
		json_writer__begin_object(w);
		prune_policy__write_json(p, version, w);
		err = json_writer__end_object(w);
	}
	json_writer__free(w);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		return slz_fail(-err, "cannot describe the policy: %s", strerror(-err));
	}
	/* One line: the writer ends a document with a newline, which a comment does not need. */
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > COMMENT_MAX) {
		free(buf);
		return slz_fail(E2BIG,
				"the options (%zu bytes as JSON) do not fit in the zip comment "
				"(%d bytes): use fewer or shorter --keep/--drop patterns",
				len, COMMENT_MAX);
	}
	*out = buf;
	return 0;
}

/* One value of the comment: a string, an integer, null, or an array of strings. */
struct jval {
	enum { JV_STR, JV_INT, JV_NULL, JV_ARRAY, JV_BOOL } type;
	char *str;
	int64_t num;
	char **items;
	size_t n;
};

static void jval_release(struct jval *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static int parse_string(const char **s, char **out)
{
	size_t len;
	int err = escape__json_decode(s, out, &len);

	/* A NUL inside would cut a pattern or a path short: not something we wrote. */
	if (!err && strlen(*out) != len) {
		free(*out);
		*out = NULL;
		err = -EINVAL;
	}
	return err;
}

static int parse_value(const char **s, struct jval *v)
{
	const char *c = skip_ws(*s);
	int err = 0;

	memset(v, 0, sizeof(*v));
	if (*c == '"') {
		v->type = JV_STR;
		err = parse_string(&c, &v->str);
	} else if (*c == '-' || (*c >= '0' && *c <= '9')) {
		char *end;

		errno = 0;
		v->type = JV_INT;
		v->num = strtoll(c, &end, 10);
		err = errno || end == c ? -EINVAL : 0;
		c = end;
	} else if (!strncmp(c, "null", 4)) {
		v->type = JV_NULL;
		c += 4;
	} else if (!strncmp(c, "true", 4) || !strncmp(c, "false", 5)) {
		v->type = JV_BOOL;
		v->num = *c == 't';
		c += v->num ? 4 : 5;
	} else if (*c == '[') {
		size_t cap = 0;

		v->type = JV_ARRAY;
		c = skip_ws(c + 1);
		while (!err && *c != ']') {
			if (v->n && *c != ',')
				err = -EINVAL;
			c += v->n && !err;
			c = skip_ws(c);
			if (!err)
				err = slz_grow((void **)&v->items, &cap, v->n + 1,
					       sizeof(*v->items));
			if (!err && *c != '"')
				err = -EINVAL;
			if (!err)
				err = parse_string(&c, &v->items[v->n]);
			if (!err)
				v->n++;
			c = skip_ws(c);
		}
		if (!err)
			c++;
	} else {
		err = -EINVAL;
	}
	*s = c;
	if (err)
		jval_release(v);
	return err;
}

static int bad_member(const char *key)
{
	return slz_fail(EINVAL, "\"%s\" holds a value slimzip does not write there", key);
}

/*
 * What verify --isolate hides: no option replaces it (--isolate-dir adds to it, --no-isolate
 * turns hiding off), so it is always taken. Absolute paths only.
 */
static int adopt_host_dirs(struct prune_policy *p, const char *key, const struct jval *v)
{
	if (v->type != JV_ARRAY)
		return bad_member(key);
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i][0] != '/')
			return bad_member(key);
	return prune_policy__set_host_dirs(p, (const char *const *)v->items, v->n);
}

/* Take one member into p unless the command line gave that option. */
static int adopt_member(struct prune_policy *p, const char *key, const struct jval *v)
{
	char num[32];
	int pos, err = 0;

	if (!strcmp(key, "modes")) {
		if (v->type != JV_STR)
			return bad_member(key);
		if (!(p->given & PRUNE_GIVEN_MODES))
			err = zipwrite__parse_modes(v->str, &p->zip);
	} else if (!strcmp(key, "mtime")) {
		if (v->type != JV_STR && v->type != JV_INT)
			return bad_member(key);
		snprintf(num, sizeof(num), "%lld", (long long)v->num);
		if (!(p->given & PRUNE_GIVEN_MTIME))
			err = zipwrite__parse_mtime(v->type == JV_STR ? v->str : num, &p->zip);
	} else if (!strcmp(key, "level")) {
		if (v->type != JV_INT || v->num < 0 || v->num > 9)
			return bad_member(key);
		if (!(p->given & PRUNE_GIVEN_LEVEL))
			p->zip.level = (int)v->num;
	} else if (!strcmp(key, "keep") || !strcmp(key, "drop")) {
		bool keep = key[0] == 'k';

		if (v->type != JV_ARRAY)
			return bad_member(key);
		if (p->given & (keep ? PRUNE_GIVEN_KEEP : PRUNE_GIVEN_DROP))
			return 0;
		for (size_t i = 0; !err && i < v->n; i++)
			err = globs__add(p->globs, keep ? GLOB_KEEP : GLOB_DROP, v->items[i]);
	} else if (!strcmp(key, "rules_off")) {
		uint32_t off = 0;

		if (v->type != JV_ARRAY)
			return bad_member(key);
		for (size_t i = 0; i < v->n; i++) {
			pos = rules__find(v->items[i]);
			if (pos < 0)
				return slz_fail(EBADMSG,
						"it was pruned with the rule '%s' off, which this "
						"slimzip does not have",
						v->items[i]);
			off |= 1u << pos;
		}
		if (!(p->given & PRUNE_GIVEN_RULES))
			p->rules.off = off;
	} else if (!strcmp(key, "host_dirs")) {
		return adopt_host_dirs(p, key, v);
	} else if (!strcmp(key, "tree_path_as")) {
		if (v->type == JV_NULL || (p->given & PRUNE_GIVEN_TREE_PATH_AS))
			return 0;
		if (v->type != JV_STR || v->str[0] != '/')
			return bad_member(key);
		free(p->owned);
		p->owned = strdup(v->str);
		if (!p->owned)
			return -ENOMEM;
		p->recorded_at = p->owned;
	} else if (!strcmp(key, "keep_created")) {
		if (v->type != JV_BOOL)
			return bad_member(key);
		if (!(p->given & PRUNE_GIVEN_KEEP_CREATED))
			p->keep_created = v->num;
	}
	/* "slimzip" (the version) and keys of later versions change nothing here. */
	return err;
}

int prune_policy__adopt(struct prune_policy *p, const char *comment, bool *adopted)
{
	const char *c = comment;
	bool msg = false;
	struct jval v;
	int err = 0;

	*adopted = false;
	if (!c || strncmp(c, COMMENT_TAG, strlen(COMMENT_TAG)))
		return 0;
	c = skip_ws(c + 1);
	while (!err && *c != '}') {
		char *key = NULL;

		if (*adopted && *c != ',') {
			err = -EINVAL;
			break;
		}
		c += *adopted;
		c = skip_ws(c);
		err = parse_string(&c, &key);
		c = skip_ws(c);
		/* Step over a separator only when it is there: never past the final NUL. */
		if (!err && *c != ':')
			err = -EINVAL;
		c += !err;
		if (!err)
			err = parse_value(&c, &v);
		if (!err) {
			err = adopt_member(p, key, &v);
			msg = err != 0; /* explained by adopt_member() */
			jval_release(&v);
		}
		free(key);
		*adopted = true;
		c = skip_ws(c);
	}
	if (!err && *skip_ws(c + 1))
		err = -EINVAL;
	if (err == -ENOMEM)
		return slz_fail(ENOMEM, "out of memory");
	if (err && !msg)
		slz_fail(EINVAL, "not the JSON slimzip writes, at byte %zu", (size_t)(c - comment));
	if (err)
		return slz_fail(
			EBADMSG,
			"its comment, where slimzip records how it was pruned, is damaged (%s)",
			slz_errmsg());
	*adopted = true;
	return 0;
}
