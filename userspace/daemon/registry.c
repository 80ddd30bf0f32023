// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "pathutil.h"
#include "record.h"
#include "registry.h"
#include "util.h"

/* max-targets is checked against the recorder's slots where the config cannot see them. */
_Static_assert(CONF_MAX_TARGETS <= SLZ_MAX_TARGETS, "max-targets beyond the recorder's slots");

struct entry {
	struct target_info info; /* first: a target_info pointer is its entry's */
	char *name, *cgroup, *watch;
};

struct registry {
	struct entry **v; /* in the order added */
	size_t n, cap;
	uint32_t capacity, active;
	uint64_t refused;
};

int registry__new(uint32_t capacity, struct registry **out)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (!r)
		return slz_fail(ENOMEM, "out of memory");
	r->capacity = capacity;
	*out = r;
	return 0;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	free(e->cgroup);
	free(e->watch);
	free(e);
}

void registry__free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		entry_free(r->v[i]);
	free(r->v);
	free(r);
}

void registry__set_capacity(struct registry *r, uint32_t capacity)
{
	r->capacity = capacity;
}

/*
 * '@' is not in the alphabet: it separates a name from its epoch in the files of the state
 * directory (NAME@2.profile, NAME@snapshot.profile), so no name can be read two ways.
 */
static bool name_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("._+-", c));
}

bool target_name__valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > TARGET_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(name[i]))
			return false;
	return true;
}

const struct target_info *registry__find(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i]->name, name))
			return &r->v[i]->info;
	return NULL;
}

const struct target_info *registry__find_cgroup(const struct registry *r, uint64_t cgroup_id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->info.cgroup_id == cgroup_id)
			return &r->v[i]->info;
	return NULL;
}

int registry__add(struct registry *r, const struct target_spec *spec,
		  const struct target_info **out)
{
	const struct target_info *other;
	struct entry *e;

	if (!target_name__valid(spec->name))
		return slz_fail(EINVAL,
				"target name '%s' is not 1 to %d letters, digits or ._+- (nor . or "
				"..); choose another",
				spec->name, TARGET_NAME_MAX);
	if (!spec->cgroup || spec->cgroup[0] != '/')
		return slz_fail(EINVAL, "target %s: cgroup '%s' is not an absolute cgroup path",
				spec->name, spec->cgroup ? spec->cgroup : "");
	other = registry__find(r, spec->name);
	if (other)
		return slz_fail(EEXIST,
				"a target named %s exists already (cgroup %s); choose "
				"another name or remove it first",
				spec->name, other->cgroup);
	other = registry__find_cgroup(r, spec->cgroup_id);
	if (other)
		return slz_fail(EEXIST, "cgroup %s is followed already, as target %s", spec->cgroup,
				other->name);
	if (r->active >= r->capacity) {
		r->refused++;
		return slz_fail(ENOSPC,
				"target %s refused: %" PRIu32 " targets are live, the most "
				"max-targets allows; finish one or raise max-targets",
				spec->name, r->active);
	}
	e = calloc(1, sizeof(*e));
	if (!e || slz_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v)))
		goto nomem;
	e->name = strdup(spec->name);
	e->cgroup = strdup(spec->cgroup);
	e->watch = spec->watch ? strdup(spec->watch) : NULL;
	if (!e->name || !e->cgroup || (spec->watch && !e->watch))
		goto nomem;
	path__clean(e->cgroup);
	e->info = (struct target_info){
		.name = e->name,
		.slot = spec->slot,
		.cgroup_id = spec->cgroup_id,
		.cgroup = e->cgroup,
		.state = TARGET_LIVE,
		.source = spec->source,
		.watch = e->watch,
		.linger_ns = spec->linger_ns,
		.created_ns = spec->now_ns,
		.populated_ns = spec->now_ns,
	};
	r->v[r->n++] = e;
	r->active++;
	if (out)
		*out = &e->info;
	return 0;
nomem:
	if (e)
		entry_free(e);
	return slz_fail(ENOMEM, "out of memory");
}

static ssize_t index_of(const struct registry *r, const struct target_info *t)
{
	for (size_t i = 0; i < r->n; i++)
		if (&r->v[i]->info == t)
			return (ssize_t)i;
	return -1;
}

int registry__remove(struct registry *r, const struct target_info *t)
{
	ssize_t i = index_of(r, t);

	if (i < 0)
		return slz_fail(ENOENT, "no such target");
	if (t->state != TARGET_FINISHED)
		r->active--;
	entry_free(r->v[i]);
	memmove(r->v + i, r->v + i + 1, (r->n - (size_t)i - 1) * sizeof(*r->v));
	r->n--;
	return 0;
}

const struct target_info *registry__attribute(const struct registry *r, const char *path)
{
	const struct target_info *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct target_info *t = &r->v[i]->info;
		size_t len = strlen(t->cgroup);

		if (t->state == TARGET_FINISHED || !path__below(path, t->cgroup))
			continue;
		if (!best || len > best_len) {
			best = t;
			best_len = len;
		}
	}
	return best;
}

size_t registry__count(const struct registry *r)
{
	return r->n;
}

const struct target_info *registry__at(const struct registry *r, size_t i)
{
	return i < r->n ? &r->v[i]->info : NULL;
}

uint32_t registry__active(const struct registry *r)
{
	return r->active;
}

uint64_t registry__refused(const struct registry *r)
{
	return r->refused;
}

/* The caller's pointer, writable: every target_info of r lives in an entry r owns. */
static struct target_info *mut(const struct target_info *t)
{
	return (struct target_info *)t;
}

int registry__set_state(struct registry *r, const struct target_info *t, enum target_state state)
{
	if (state <= t->state)
		return slz_fail(EINVAL, "target %s is %s; it cannot become %s", t->name,
				target_state__name(t->state), target_state__name(state));
	if (state == TARGET_FINISHED)
		r->active--;
	mut(t)->state = state;
	return 0;
}

int registry__checkpoint(struct registry *r, const struct target_info *t, uint32_t *epoch)
{
	if (t->state != TARGET_LIVE)
		return slz_fail(EINVAL, "target %s is %s; only a live target takes a checkpoint",
				t->name, target_state__name(t->state));
	mut(t)->epoch++;
	if (epoch)
		*epoch = t->epoch;
	return 0;
}

void registry__set_populated(struct registry *r, const struct target_info *t, bool populated,
			     uint64_t now_ns)
{
	/* Going empty, it was populated until now; going populated, it is populated now. */
	if (populated || t->populated)
		mut(t)->populated_ns = now_ns;
	mut(t)->populated = populated;
}

void registry__set_pruning(struct registry *r, const struct target_info *t, bool pruning)
{
	(void)r;
	mut(t)->pruning = pruning;
}

const struct target_info *registry__next_expired(const struct registry *r, uint64_t now_ns,
						 size_t *pos)
{
	while (*pos < r->n) {
		const struct target_info *t = &r->v[(*pos)++]->info;

		if (t->state == TARGET_LIVE && t->linger_ns && !t->populated &&
		    now_ns >= t->populated_ns && now_ns - t->populated_ns >= t->linger_ns)
			return t;
	}
	return NULL;
}

const char *target_state__name(enum target_state s)
{
	switch (s) {
	case TARGET_LIVE:
		return "live";
	case TARGET_FINISHING:
		return "finishing";
	case TARGET_FINISHED:
		return "finished";
	}
	return "?";
}

const char *target_source__name(enum target_source s)
{
	switch (s) {
	case TARGET_EXPLICIT:
		return "explicit";
	case TARGET_WATCH:
		return "watch";
	case TARGET_ALL:
		return "all";
	}
	return "?";
}

/* Append s made safe (bytes outside the name alphabet as _XX) to out[*len], cut at max. */
static void append_safe(char *out, size_t *len, size_t max, const char *s)
{
	for (; *s && *len < max; s++) {
		if (name_char(*s)) {
			out[(*len)++] = *s;
		} else {
			if (*len + 3 > max)
				break; /* never half an escape */
			*len += (size_t)snprintf(out + *len, 4, "_%02X", (unsigned char)*s);
		}
	}
	out[*len] = '\0';
}

int registry__name_for(const struct registry *r, const char *tpl, const struct name_vars *vars,
		       char *out)
{
	char base[TARGET_NAME_MAX + 1], id[24];
	size_t len = 0;
	int err = conf__check_template(tpl);

	if (err)
		return err;
	snprintf(id, sizeof(id), "%" PRIu64, vars->id);
	for (const char *s = tpl; *s;) {
		if (*s == '{') {
			const char *close = strchr(s, '}'), *v;
			size_t n = (size_t)(close - s - 1);

			v = n == 4 && !memcmp(s + 1, "name", 4)	   ? vars->name
			    : n == 5 && !memcmp(s + 1, "watch", 5) ? vars->watch
			    : n == 2 && !memcmp(s + 1, "id", 2)	   ? id
								   : vars->parent;
			append_safe(base, &len, TARGET_NAME_MAX, v ? v : "");
			s = close + 1;
		} else {
			char one[2] = {*s, '\0'};

			append_safe(base, &len, TARGET_NAME_MAX, one);
			s++;
		}
	}
	base[len] = '\0';
	if (!len)
		snprintf(base, sizeof(base), "_");
	else if (!strcmp(base, "."))
		snprintf(base, sizeof(base), "_2E");
	else if (!strcmp(base, ".."))
		snprintf(base, sizeof(base), "_2E_2E");
	if (!registry__find(r, base)) {
		memcpy(out, base, strlen(base) + 1);
		return 0;
	}
	/* Every target but one could hold a suffixed name: n + 2 tries find a free one. */
	for (size_t k = 2; k < r->n + 3; k++) {
		char suffix[24];
		int slen = snprintf(suffix, sizeof(suffix), "-%zu", k);
		size_t keep = strlen(base);

		if (keep + (size_t)slen > TARGET_NAME_MAX)
			keep = TARGET_NAME_MAX - (size_t)slen;
		snprintf(out, TARGET_NAME_MAX + 1, "%.*s%s", (int)keep, base, suffix);
		if (!registry__find(r, out))
			return 0;
	}
	return slz_fail(EEXIST, "no free name for target '%s'", base);
}
