// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "layer_choice.h"
#include "util.h"

/* One distinct unit: the same key and hash for the same runtime's layer. */
struct ident {
	const struct unit *unit; /* the first holder's */
	enum layer_runtime rt;
	size_t first;	/* the first function that keeps it */
	size_t kept_by; /* functions that keep it, whatever happens later */
	bool in;
	size_t users;
};

struct state {
	const struct layer_fn_in *fns;
	size_t n;
	const struct layer_choice_opts *o;
	struct ident *ids;
	size_t nids, cap;
	struct idxmap *map;
	size_t **id_of; /* per function, per unit: its ident */
	bool **uses;	/* per function, per unit: the layer would serve it */
	struct layer_fn_out *out;
};

enum layer_runtime layer_runtime__parse(const char *runtime)
{
	if (runtime && !strncmp(runtime, "python", 6))
		return LAYER_PYTHON;
	if (runtime && !strncmp(runtime, "nodejs", 6))
		return LAYER_NODEJS;
	return LAYER_NONE;
}

const char *layer_runtime__name(enum layer_runtime rt)
{
	return rt == LAYER_PYTHON ? "python" : rt == LAYER_NODEJS ? "nodejs" : "none";
}

const char *layer_fn_state__name(enum layer_fn_state s)
{
	static const char *const names[] = {
		[LAYER_FN_IN] = "in",		[LAYER_FN_UNUSED] = "unused",
		[LAYER_FN_TOO_BIG] = "too-big", [LAYER_FN_TOO_MANY] = "too-many-layers",
		[LAYER_FN_NO_PART] = "failed",
	};

	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *layer_drop_reason__name(enum layer_drop_reason r)
{
	return r == LAYER_DROP_CLOSURE ? "closure" : "limits";
}

/* A function's runtime: its key's, else what its units are (Node wins: node_modules says). */
static enum layer_runtime runtime_of(const struct layer_fn_in *f)
{
	enum layer_runtime rt = layer_runtime__parse(f->runtime);
	bool py = false;

	if (rt != LAYER_NONE || f->runtime)
		return rt;
	for (size_t i = 0; i < units__count(f->units); i++) {
		enum unit_kind k = units__get(f->units, i)->kind;

		if (k == UNIT_NODE_PACKAGE)
			return LAYER_NODEJS;
		py |= k == UNIT_PY_PACKAGE || k == UNIT_PY_MODULE;
	}
	return py ? LAYER_PYTHON : LAYER_NONE;
}

/* Whether a unit can go to the layer of runtime rt at all. */
static bool fits_runtime(const struct unit *u, enum layer_runtime rt)
{
	switch (u->kind) {
	case UNIT_PY_PACKAGE:
	case UNIT_PY_MODULE:
		return rt == LAYER_PYTHON;
	case UNIT_NODE_PACKAGE:
		return rt == LAYER_NODEJS;
	default:
		return rt != LAYER_NONE;
	}
}

static uint64_t ident_hash(const struct unit *u, enum layer_runtime rt)
{
	uint64_t h = slz_hash_bytes(u->key, strlen(u->key), (uint64_t)rt + 1);

	return slz_hash_bytes(u->hash, strlen(u->hash), h);
}

struct probe {
	const struct unit *u;
	enum layer_runtime rt;
};

static bool ident_eq(uint32_t idx, const void *key, void *ctx)
{
	const struct state *s = ctx;
	const struct probe *p = key;
	const struct ident *id = &s->ids[idx];

	return id->rt == p->rt && !strcmp(id->unit->key, p->u->key) &&
	       !strcmp(id->unit->hash, p->u->hash);
}

static int identify(struct state *s)
{
	for (size_t f = 0; f < s->n; f++) {
		const struct units *us = s->fns[f].units;
		size_t nu = units__count(us);

		s->id_of[f] = calloc(nu ? nu : 1, sizeof(size_t));
		s->uses[f] = calloc(nu ? nu : 1, sizeof(bool));
		s->out[f].moved = calloc(nu ? nu : 1, sizeof(bool));
		if (!s->id_of[f] || !s->uses[f] || !s->out[f].moved)
			return -ENOMEM;
		for (size_t j = 0; j < nu; j++) {
			struct probe p = {units__get(us, j), s->out[f].runtime};
			uint64_t h = ident_hash(p.u, p.rt);
			int64_t i = idxmap__find(s->map, h, ident_eq, &p, s);

			if (i < 0) {
				if (slz_grow((void **)&s->ids, &s->cap, s->nids + 1,
					     sizeof(*s->ids)) ||
				    idxmap__insert(s->map, h, (uint32_t)s->nids))
					return -ENOMEM;
				s->ids[s->nids] =
					(struct ident){.unit = p.u, .rt = p.rt, .first = f};
				i = (int64_t)s->nids++;
			}
			s->id_of[f][j] = (size_t)i;
			/* Keys are unique within one function; its entry point is not on offer. */
			if (!(s->fns[f].stays && s->fns[f].stays[j]))
				s->ids[i].kept_by++;
		}
	}
	return 0;
}

static bool takes_part(const struct state *s, size_t f)
{
	enum layer_fn_state st = s->out[f].state;

	return st == LAYER_FN_IN || st == LAYER_FN_UNUSED;
}

/* Function f could take its unit j from a layer. */
static bool movable(const struct state *s, size_t f, size_t j)
{
	return takes_part(s, f) && !(s->fns[f].stays && s->fns[f].stays[j]);
}

/*
 * With the functions still taking part: which units the layer serves to whom. A unit is in
 * when min_users functions keep it; a function is served a unit only with its closure; a
 * unit served to fewer than min_users is out. To a fixpoint: everything only ever goes out.
 */
static void settle(struct state *s)
{
	bool changed;

	for (size_t i = 0; i < s->nids; i++) {
		s->ids[i].users = 0;
		for (size_t f = 0; f < s->n; f++)
			for (size_t j = 0; takes_part(s, f) && j < units__count(s->fns[f].units);
			     j++)
				s->ids[i].users += s->id_of[f][j] == i;
		s->ids[i].in = s->ids[i].users >= s->o->min_users &&
			       fits_runtime(s->ids[i].unit, s->ids[i].rt);
	}
	do {
		changed = false;
		for (size_t f = 0; f < s->n; f++) {
			const struct units *us = s->fns[f].units;

			for (size_t j = 0; j < units__count(us); j++)
				s->uses[f][j] = movable(s, f, j) && s->ids[s->id_of[f][j]].in;
		}
		/* A unit whose required package is not served is not served either. */
		for (bool again = true; again;) {
			again = false;
			for (size_t f = 0; f < s->n; f++) {
				const struct units *us = s->fns[f].units;

				for (size_t j = 0; j < units__count(us); j++) {
					const struct unit *u = units__get(us, j);

					for (size_t d = 0; s->uses[f][j] && d < u->ndeps; d++)
						if (!s->uses[f][u->deps[d]]) {
							s->uses[f][j] = false;
							again = true;
						}
				}
			}
		}
		for (size_t i = 0; i < s->nids; i++) {
			size_t users = 0;

			if (!s->ids[i].in)
				continue;
			for (size_t f = 0; f < s->n; f++)
				for (size_t j = 0; j < units__count(s->fns[f].units); j++)
					users += s->uses[f][j] && s->id_of[f][j] == i;
			s->ids[i].users = users;
			if (users < s->o->min_users) {
				s->ids[i].in = false;
				changed = true;
			}
		}
	} while (changed);
}

static uint64_t layer_bytes(const struct state *s, enum layer_runtime rt)
{
	uint64_t b = 0;

	for (size_t i = 0; i < s->nids; i++)
		if (s->ids[i].in && s->ids[i].rt == rt)
			b += s->ids[i].unit->bytes;
	return b;
}

/* The first function the layer would push over max_unzipped, or n when none. */
static size_t first_too_big(struct state *s)
{
	for (size_t f = 0; f < s->n; f++) {
		const struct units *us = s->fns[f].units;
		uint64_t moved = 0, total;
		bool any = false;

		if (!takes_part(s, f))
			continue;
		for (size_t j = 0; j < units__count(us); j++)
			if (s->uses[f][j]) {
				moved += units__get(us, j)->bytes;
				any = true;
			}
		if (!any)
			continue;
		total = s->fns[f].bytes - moved + layer_bytes(s, s->out[f].runtime);
		if (total > s->o->max_unzipped) {
			s->out[f].with_layer = total;
			return f;
		}
	}
	return s->n;
}

/* Whether a function that keeps ident i was left out of the layer by a limit. */
static bool left_out_holder(const struct state *s, size_t i)
{
	for (size_t f = 0; f < s->n; f++) {
		enum layer_fn_state st = s->out[f].state;

		if (st != LAYER_FN_TOO_BIG && st != LAYER_FN_TOO_MANY)
			continue;
		for (size_t j = 0; j < units__count(s->fns[f].units); j++)
			if (s->id_of[f][j] == i)
				return true;
	}
	return false;
}

static int build(struct state *s, struct layer_choice *c)
{
	for (int rt = 0; rt < LAYER_RUNTIMES; rt++) {
		struct layer_def *L;
		size_t k = 0;

		for (size_t i = 0; i < s->nids; i++)
			k += s->ids[i].in && s->ids[i].rt == (enum layer_runtime)rt;
		if (!k)
			continue;
		L = &c->layers[c->nlayers];
		*L = (struct layer_def){.runtime = rt, .name = layer_runtime__name(rt)};
		L->units = calloc(k, sizeof(*L->units));
		if (!L->units)
			return -ENOMEM;
		c->nlayers++;
		for (size_t i = 0; i < s->nids; i++) {
			struct layer_unit *lu;

			if (!s->ids[i].in || s->ids[i].rt != (enum layer_runtime)rt)
				continue;
			lu = &L->units[L->n++];
			lu->users = calloc(s->n, sizeof(size_t));
			if (!lu->users)
				return -ENOMEM;
			for (size_t f = 0; f < s->n; f++)
				for (size_t j = 0; j < units__count(s->fns[f].units); j++) {
					if (!s->uses[f][j] || s->id_of[f][j] != i)
						continue;
					if (!lu->nusers) {
						lu->unit = units__get(s->fns[f].units, j);
						lu->set = s->fns[f].units;
						lu->from = f;
					}
					lu->users[lu->nusers++] = f;
				}
			L->files += lu->unit->files;
			L->bytes += lu->unit->bytes;
		}
	}
	for (size_t f = 0; f < s->n; f++) {
		struct layer_fn_out *o = &s->out[f];
		const struct units *us = s->fns[f].units;

		for (size_t j = 0; j < units__count(us); j++) {
			const struct unit *u = units__get(us, j);

			o->moved[j] = s->uses[f][j];
			if (!o->moved[j])
				continue;
			o->moved_units++;
			o->moved_files += u->files;
			o->moved_bytes += u->bytes;
		}
		if (o->state == LAYER_FN_UNUSED && o->moved_units)
			o->state = LAYER_FN_IN;
		for (size_t l = 0; o->state == LAYER_FN_IN && l < c->nlayers; l++)
			if (c->layers[l].runtime == o->runtime) {
				o->layer = (int)l;
				c->layers[l].users++;
			}
	}
	c->dropped = calloc(s->nids ? s->nids : 1, sizeof(*c->dropped));
	if (!c->dropped)
		return -ENOMEM;
	for (size_t i = 0; i < s->nids; i++) {
		const struct ident *id = &s->ids[i];

		if (id->in || id->kept_by < s->o->min_users || !fits_runtime(id->unit, id->rt))
			continue;
		c->dropped[c->ndropped++] = (struct layer_dropped){
			.unit = id->unit,
			.runtime = id->rt,
			.kept_by = id->kept_by,
			.reason = left_out_holder(s, i) ? LAYER_DROP_LIMITS : LAYER_DROP_CLOSURE,
		};
	}
	return 0;
}

int layer__choose(const struct layer_fn_in *fns, size_t n, const struct layer_choice_opts *o,
		  struct layer_choice *c)
{
	struct state s = {.fns = fns, .n = n, .o = o};
	int err = 0;

	memset(c, 0, sizeof(*c));
	if (!o->min_users || !o->max_layers)
		return slz_fail(EINVAL, "a layer needs at least one user and room for one layer");
	s.id_of = calloc(n ? n : 1, sizeof(*s.id_of));
	s.uses = calloc(n ? n : 1, sizeof(*s.uses));
	c->fns = s.out = calloc(n ? n : 1, sizeof(*s.out));
	c->nfns = n;
	c->layers = calloc(LAYER_RUNTIMES, sizeof(*c->layers));
	if (!s.id_of || !s.uses || !s.out || !c->layers || idxmap__new(&s.map)) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t f = 0; f < n; f++) {
		s.out[f].layer = -1;
		s.out[f].runtime = fns[f].units ? runtime_of(&fns[f]) : LAYER_NONE;
		if (!fns[f].units)
			s.out[f].state = LAYER_FN_NO_PART;
		else if (fns[f].own_layers + 1 > o->max_layers)
			s.out[f].state = LAYER_FN_TOO_MANY;
		else
			s.out[f].state = LAYER_FN_UNUSED;
	}
	err = identify(&s);
	if (err)
		goto out;
	settle(&s);
	for (;;) {
		size_t f = first_too_big(&s);

		if (f == n)
			break;
		s.out[f].state = LAYER_FN_TOO_BIG;
		settle(&s);
	}
	err = build(&s, c);
out:
	for (size_t f = 0; f < n; f++) {
		if (s.id_of)
			free(s.id_of[f]);
		if (s.uses)
			free(s.uses[f]);
	}
	free(s.id_of);
	free(s.uses);
	free(s.ids);
	idxmap__free(s.map);
	return err == -ENOMEM ? slz_fail(ENOMEM, "out of memory choosing the layer") : err;
}

void layer_choice__release(struct layer_choice *c)
{
	if (!c)
		return;
	for (size_t l = 0; c->layers && l < c->nlayers; l++) {
		for (size_t i = 0; i < c->layers[l].n; i++)
			free(c->layers[l].units[i].users);
		free(c->layers[l].units);
	}
	for (size_t f = 0; c->fns && f < c->nfns; f++)
		free(c->fns[f].moved);
	free(c->layers);
	free(c->fns);
	free(c->dropped);
	memset(c, 0, sizeof(*c));
}
