// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The keys of each section: one table each, one checker per kind of value. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"
#include "pathutil.h"
#include "util.h"

enum vtype {
	V_ABS,	    /* an absolute path, cleaned */
	V_ABS_RAW,  /* an absolute path, as written (tree-path-as, as prune's option keeps it) */
	V_PATH,	    /* a path; relative ones from the file's directory */
	V_GROUP,    /* a group name */
	V_UINT,	    /* a whole number in [min, max] */
	V_BOOL,	    /* yes or no */
	V_GLOB,	    /* a keep/drop pattern (tree/globs.h) */
	V_MATCH,    /* a pattern on one directory name */
	V_TEMPLATE, /* a target name template */
	V_SECTION,  /* the NAME of another section */
	V_RULES,    /* none, or rule names switched off */
	V_MODES,
	V_MTIME,
	V_TEXT, /* anything (a command) */
	V_RUNTIME,
};

struct key {
	const char *name;
	enum vtype type;
	bool repeat;	    /* the values accumulate */
	bool manifest_only; /* batch's, meaningless to the daemon */
	uint32_t min, max;  /* V_UINT */
	const char *unit;   /* V_UINT: what the number counts */
};

static const struct key daemon_keys[DK_COUNT] = {
	[DK_STATE_DIR] = {"state-dir", V_ABS},
	[DK_RUNTIME_DIR] = {"runtime-dir", V_ABS},
	[DK_SOCKET] = {"socket", V_ABS},
	[DK_GROUP] = {"group", V_GROUP},
	[DK_LINGER] = {"linger", V_UINT, .max = CONF_MAX_LINGER, .unit = "seconds"},
	[DK_MAX_TARGETS] = {"max-targets", V_UINT, .min = 1, .max = CONF_MAX_TARGETS,
			    .unit = "targets"},
	[DK_ALL] = {"all", V_BOOL},
};

static const struct key watch_keys[WK_COUNT] = {
	[WK_PARENT] = {"parent", V_ABS},
	[WK_MATCH] = {"match", V_MATCH},
	[WK_NAME] = {"name", V_TEMPLATE},
	[WK_FUNCTION] = {"function", V_SECTION},
	[WK_LINGER] = {"linger", V_UINT, .max = CONF_MAX_LINGER, .unit = "seconds"},
};

static const struct key function_keys[FK_COUNT] = {
	[FK_TREE] = {"tree", V_PATH},
	[FK_OUTPUT] = {"output", V_PATH},
	[FK_TREE_PATH_AS] = {"tree-path-as", V_ABS_RAW},
	[FK_KEEP] = {"keep", V_GLOB, .repeat = true},
	[FK_DROP] = {"drop", V_GLOB, .repeat = true},
	[FK_RULES] = {"rules", V_RULES},
	[FK_MODES] = {"modes", V_MODES},
	[FK_MTIME] = {"mtime", V_MTIME},
	[FK_LEVEL] = {"level", V_UINT, .max = 9, .unit = "(the deflate level)"},
	[FK_KEEP_CREATED] = {"keep-created", V_BOOL},
	[FK_STRICT_HOST] = {"strict-host", V_BOOL},
	[FK_COMMAND] = {"command", V_TEXT, .repeat = true, .manifest_only = true},
	[FK_RUNTIME] = {"runtime", V_RUNTIME},
	[FK_LAYERS] = {"layers", V_TEXT, .repeat = true, .manifest_only = true},
};

struct value {
	const char *s; /* owned by the conf */
	uint32_t u;
	bool b;
};

static void section_label(const struct parser *p, char *buf, size_t len)
{
	if (p->sect == SECT_DAEMON)
		snprintf(buf, len, "[daemon]");
	else
		snprintf(buf, len, "[%s %s]", p->sect == SECT_WATCH ? "watch" : "function",
			 p->sect_name);
}

static void key_list(const struct key *keys, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 keys[i].name);
}

static int store_string(struct parser *p, const char *s, size_t len, struct value *v)
{
	v->s = conf__strndup(p->c, s, len);
	return v->s ? 0 : (p->err = -ENOMEM);
}

static int check_path(struct parser *p, const struct key *k, const char *value, struct value *v)
{
	char *s;

	if (k->type != V_PATH && value[0] != '/')
		return conf__error(p, p->line,
				   "%s = '%s' is not an absolute path; write it from the root, "
				   "starting with '/'",
				   k->name, value);
	if (strlen(value) >= PATH_MAX)
		return conf__error(p, p->line, "%s is longer than PATH_MAX; shorten it", k->name);
	if (k->type == V_ABS_RAW)
		return store_string(p, value, strlen(value), v);
	if (value[0] != '/' && p->base_dir) {
		if (asprintf(&s, "%s/%s", p->base_dir, value) < 0)
			return p->err = -ENOMEM;
	} else {
		s = strdup(value);
		if (!s)
			return p->err = -ENOMEM;
	}
	path__clean(s);
	if (strvec__push(&p->c->strings, s)) {
		free(s);
		return p->err = -ENOMEM;
	}
	v->s = s;
	return 0;
}

static int check_uint(struct parser *p, const struct key *k, const char *value, struct value *v)
{
	unsigned long long n = 0;
	const char *c = value;

	for (; *c >= '0' && *c <= '9' && n <= UINT32_MAX; c++)
		n = n * 10 + (unsigned long long)(*c - '0');
	if (*c || n < k->min || n > k->max)
		return conf__error(p, p->line,
				   "%s = '%s' is not a whole number from %u to %u %s; write one "
				   "in that range",
				   k->name, value, k->min, k->max, k->unit);
	v->u = (uint32_t)n;
	return 0;
}

/*
 * rules = the closure rules to apply (python, node), the others switched off; none for no
 * rule. v->u is the switched-off set as the equivalent --no-rule-NAME options make it, so a
 * section prunes exactly as `slimzip prune` with those options.
 */
static int check_rules(struct parser *p, const struct key *k, const char *value, struct value *v)
{
	char names[256];
	const char *s = value;
	uint32_t on = 0;

	v->u = 0;
	if (!strcmp(value, "none")) {
		v->u = RULES_ALL_OFF;
		return 0;
	}
	for (;;) {
		const char *end = strchr(s, ','), *b = s, *e;
		char one[64];
		int pos;

		if (!end)
			end = s + strlen(s);
		while (b < end && isspace((unsigned char)*b))
			b++;
		for (e = end; e > b && isspace((unsigned char)e[-1]); e--)
			;
		if (e == b || (size_t)(e - b) >= sizeof(one)) {
			pos = -ENOENT;
		} else {
			memcpy(one, b, (size_t)(e - b));
			one[e - b] = '\0';
			pos = rules__find(one);
		}
		if (pos < 0) {
			size_t used = 0;

			for (size_t i = 0; i < rules__count() && used < sizeof(names); i++)
				used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
							 i ? ", " : "", rules__name(i));
			return conf__error(p, p->line,
					   "rules = '%s': '%.*s' is not a rule; list the rules to "
					   "apply, comma-separated (%s), or write none for no rule",
					   value, (int)(e - b), b, names);
		}
		on |= 1u << pos;
		if (!*end) {
			v->u = (uint32_t)((1ull << rules__count()) - 1) & ~on;
			return 0;
		}
		s = end + 1;
	}
}

static int check_value(struct parser *p, const struct key *k, const char *value, struct value *v)
{
	struct zipwrite_opts zo;
	size_t len = strlen(value);
	int err;

	switch (k->type) {
	case V_ABS:
	case V_ABS_RAW:
	case V_PATH:
		return check_path(p, k, value, v);
	case V_UINT:
		return check_uint(p, k, value, v);
	case V_BOOL:
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return conf__error(p, p->line,
					   "%s = '%s' is not yes or no; write one of them", k->name,
					   value);
		v->b = !strcmp(value, "yes");
		return 0;
	case V_GROUP:
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)value[i]) && !strchr("._-", value[i]))
				len = 0;
		if (!len || value[0] == '-' || len > 255)
			return conf__error(
				p, p->line,
				"group = '%s' is not a group name; write the name of the "
				"group allowed on the socket (letters, digits, ._-)",
				value);
		break;
	case V_GLOB:
	case V_MATCH:
		if (k->type == V_MATCH && strchr(value, '/'))
			return conf__error(
				p, p->line,
				"match = '%s' holds a '/'; it matches the name of a new "
				"cgroup directly under parent, so give a pattern for one name",
				value);
		err = globs__match(value, "x", false);
		if (err < 0 && err != -ENOMEM)
			return conf__error(p, p->line, "%s: %s; fix the pattern", k->name,
					   slz_errmsg());
		if (err == -ENOMEM)
			return p->err = -ENOMEM;
		break;
	case V_TEMPLATE:
		if (conf__check_template(value))
			return conf__error(p, p->line, "name = '%s': %s", value, slz_errmsg());
		break;
	case V_SECTION:
		if (!conf__valid_section_name(value, len))
			return conf__error(
				p, p->line,
				"function = '%s' is not a section name; write the NAME of a "
				"[function NAME] section",
				value);
		break;
	case V_RULES:
		return check_rules(p, k, value, v);
	case V_MODES:
		zipwrite__default_opts(&zo);
		if (zipwrite__parse_modes(value, &zo))
			return conf__error(p, p->line,
					   "modes = '%s' is not lambda or keep; write one of them",
					   value);
		break;
	case V_MTIME:
		zipwrite__default_opts(&zo);
		if (zipwrite__parse_mtime(value, &zo))
			return conf__error(
				p, p->line,
				"mtime = '%s' is not keep, fixed or a number of seconds since "
				"1970; write one of them",
				value);
		break;
	case V_RUNTIME:
		for (size_t i = 0; i < len; i++)
			if (!islower((unsigned char)value[i]) &&
			    !isdigit((unsigned char)value[i]) && value[i] != '.')
				len = 0;
		if (!len || len > 64)
			return conf__error(
				p, p->line,
				"runtime = '%s' is not a runtime identifier; write one like "
				"python3.12 or nodejs20.x",
				value);
		break;
	case V_TEXT:
		break;
	}
	return store_string(p, value, strlen(value), v);
}

static int set_daemon(struct parser *p, int key, const struct value *v)
{
	struct conf_daemon *d = &p->c->daemon;

	switch (key) {
	case DK_STATE_DIR:
		d->state_dir = v->s;
		break;
	case DK_RUNTIME_DIR:
		d->runtime_dir = v->s;
		break;
	case DK_SOCKET:
		d->socket = v->s;
		break;
	case DK_GROUP:
		d->group = v->s;
		break;
	case DK_LINGER:
		d->linger = v->u;
		break;
	case DK_MAX_TARGETS:
		d->max_targets = v->u;
		break;
	case DK_ALL:
		d->all = v->b;
		break;
	}
	return 0;
}

static int set_watch(struct parser *p, int key, const struct value *v)
{
	struct watch_entry *w = p->cur;

	switch (key) {
	case WK_PARENT:
		w->pub.parent = v->s;
		break;
	case WK_MATCH:
		w->pub.match = v->s;
		break;
	case WK_NAME:
		w->pub.name_template = v->s;
		break;
	case WK_FUNCTION:
		w->function_name = v->s;
		break;
	case WK_LINGER:
		w->pub.linger = v->u;
		break;
	}
	return 0;
}

static int set_function(struct parser *p, int key, const struct value *v)
{
	struct fn_entry *f = p->cur;
	struct strvec *list = NULL;

	switch (key) {
	case FK_TREE:
		f->pub.tree = v->s;
		break;
	case FK_OUTPUT:
		f->pub.output = v->s;
		break;
	case FK_TREE_PATH_AS:
		f->pub.tree_path_as = v->s;
		break;
	case FK_KEEP:
		list = &f->keep;
		break;
	case FK_DROP:
		list = &f->drop;
		break;
	case FK_COMMAND:
		list = &f->commands;
		break;
	case FK_LAYERS:
		list = &f->layers;
		break;
	case FK_RULES:
		f->pub.rules_off = v->u;
		f->pub.has_rules = true;
		break;
	case FK_MODES:
		f->pub.modes = v->s;
		f->pub.has_modes = true;
		break;
	case FK_MTIME:
		f->pub.mtime = v->s;
		f->pub.has_mtime = true;
		break;
	case FK_LEVEL:
		f->pub.level = (int)v->u;
		f->pub.has_level = true;
		break;
	case FK_KEEP_CREATED:
		f->pub.keep_created = v->b;
		f->pub.has_keep_created = true;
		break;
	case FK_STRICT_HOST:
		f->pub.strict_host = v->b;
		f->pub.has_strict_host = true;
		break;
	case FK_RUNTIME:
		f->pub.runtime = v->s;
		break;
	}
	if (list && strvec__push(list, (char *)v->s))
		return p->err = -ENOMEM;
	return 0;
}

int conf_key__set(struct parser *p, const char *name, const char *value)
{
	const struct key *keys;
	struct value v = {0};
	char label[CONF_SECTION_NAME_MAX + 16], known[256];
	size_t n;
	int k;

	switch (p->sect) {
	case SECT_DAEMON:
		keys = daemon_keys;
		n = DK_COUNT;
		break;
	case SECT_WATCH:
		keys = watch_keys;
		n = WK_COUNT;
		break;
	case SECT_FUNCTION:
		keys = function_keys;
		n = FK_COUNT;
		break;
	default:
		return 0;
	}
	section_label(p, label, sizeof(label));
	for (k = 0; k < (int)n; k++)
		if (!strcmp(keys[k].name, name))
			break;
	if (k == (int)n || (keys[k].manifest_only && p->kind == CONF_DAEMON)) {
		if (k < (int)n)
			return conf__error(p, p->line,
					   "%s is for batch manifests; a daemon's targets run what "
					   "starts in their cgroups, so remove it",
					   name);
		key_list(keys, n, known, sizeof(known));
		return conf__error(p, p->line, "unknown key '%s' in %s; its keys are %s", name,
				   label, known);
	}
	if (p->seen[k] && !keys[k].repeat)
		return conf__error(p, p->line,
				   "%s is given twice in %s (first at line %u); keep one (only "
				   "keep, drop and command repeat)",
				   name, label, p->seen[k]);
	if (!value[0])
		return conf__error(p, p->line, "%s has no value; write %s = VALUE or remove it",
				   name, name);
	if (!p->seen[k])
		p->seen[k] = p->line;
	if (check_value(p, &keys[k], value, &v))
		return p->err;
	switch (p->sect) {
	case SECT_DAEMON:
		return set_daemon(p, k, &v);
	case SECT_WATCH:
		return set_watch(p, k, &v);
	default:
		return set_function(p, k, &v);
	}
}
