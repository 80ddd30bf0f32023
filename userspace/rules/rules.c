// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rules dispatcher: the table of rules, and the rounds that run them over one context until
 * the keepset stops growing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolve.h"
#include "rules.h"
#include "rules_entries.h"
#include "util.h"

/* In this order in every round; a rule's position is its index in the stats and rules_opts. */
static const struct rule *const rules[] = {
	&rule_python,
	&rule_node,
	&rule_elf,
};

_Static_assert(ARRAY_SIZE(rules) <= RULES_MAX, "raise RULES_MAX for the new rule");
_Static_assert(RULES_MAX <= 8, "rules_ctx.done and .mark hold one bit per rule");

size_t rules__count(void)
{
	return ARRAY_SIZE(rules);
}

const char *rules__name(size_t i)
{
	return i < ARRAY_SIZE(rules) ? rules[i]->name : NULL;
}

uint32_t rules__reason_named(const char *name)
{
	int i = rules__find(name);

	return i < 0 ? 0 : KEEP_RULE(i);
}

int rules__find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		if (!strcmp(rules[i]->name, name))
			return (int)i;
	}
	return -ENOENT;
}

void rules_stats__add(struct rules_stats *dst, const struct rules_stats *src)
{
	for (size_t i = 0; i < RULES_MAX; i++) {
		dst->added[i] += src->added[i];
		dst->unresolved[i] = src->unresolved[i];
	}
	dst->unreadable = src->unreadable;
	dst->bad_lines = src->bad_lines;
	dst->rounds += src->rounds;
}

static bool is_on(const struct rules_opts *o, size_t i)
{
	return !(o->off & (1u << i));
}

int rules__apply(struct keepset *k, const struct rules_opts *o, struct rules_stats *st)
{
	struct rules_stats local;
	struct rules_ctx c = {.rootfd = -1};
	bool any = false;
	int err = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		any |= is_on(o, i);
	if (!any)
		return o->symlinks ? resolve__symlink_closure(k, NULL) : 0;
	c.k = k;
	c.t = keepset__tree(k);
	c.st = st;
	c.o = o;
	c.n = (uint32_t)tree__count(c.t);
	c.root = tree__root(c.t);
	c.rootfd = open(c.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0) {
		err = slz_fail(errno, "cannot open the tree %s for the closure rules: %s", c.root,
			       strerror(errno));
		goto out;
	}
	c.done = calloc(c.n ? c.n : 1, 1);
	c.mark = calloc(c.n ? c.n : 1, 1);
	if (!c.done || !c.mark) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		uint64_t gen = keepset__generation(k);

		if (st->rounds >= RULES_MAX_ROUNDS) {
			err = slz_fail(ELOOP,
				       "closure rules still adding files after %d rounds (a bug in "
				       "slimzip: please report it with the tree layout)",
				       RULES_MAX_ROUNDS);
			goto out;
		}
		st->rounds++;
		for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
			if (!is_on(o, i))
				continue;
			c.cur = (unsigned int)i;
			c.reason = KEEP_RULE(i);
			err = rules[i]->run(&c);
			if (err < 0)
				goto out;
		}
		if (o->symlinks && (err = resolve__symlink_closure(k, NULL)) < 0)
			goto out;
		err = 0;
		if (keepset__generation(k) == gen)
			break;
	}
out:
	if (err == -ENOMEM)
		err = slz_fail(ENOMEM, "out of memory while applying the closure rules");
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		if (c.state[i] && rules[i]->release)
			rules[i]->release(c.state[i]);
	}
	free(c.first_child);
	free(c.next_sibling);
	free(c.done);
	free(c.mark);
	if (c.rootfd >= 0)
		close(c.rootfd);
	return err;
}
