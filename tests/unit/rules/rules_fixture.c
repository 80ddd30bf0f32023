// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"
#include "testfs.h"
#include "tree_fixture.h"
#include "rules_fixture.h"

struct fx *rules_fixture__new(const char *tag)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	testfs__mkdtemp(f->root, sizeof(f->root), tag);
	return f;
}

void rules_fixture__free(struct fx *f)
{
	tree_fixture__close(f->root, f->t, f->k);
	free(f);
}

int rules_fixture__teardown(void **state)
{
	rules_fixture__free(*state);
	return 0;
}

void file(struct fx *f, const char *rel, const char *content)
{
	testfs__write(f->root, rel, content);
}

void open_tree(struct fx *f)
{
	assert_int_equal(tree__open(f->root, NULL, &f->t), 0);
	assert_int_equal(keepset__new(f->t, &f->k), 0);
}

void keep(struct fx *f, const char *rel)
{
	int64_t idx = tree__find_path(f->t, rel);

	if (idx < 0)
		fail_msg("fixture has no %s", rel);
	assert_int_equal(keepset__add(f->k, (uint32_t)idx, KEEP_OPENED, 1, "test"), 0);
}

int rule_pos(const char *name)
{
	int i = rules__find(name);

	if (i < 0)
		fail_msg("no rule called %s", name);
	return i;
}

uint64_t added(const struct fx *f, const char *rule)
{
	return f->st.added[rule_pos(rule)];
}

int apply(struct fx *f, bool python, bool node, bool elf)
{
	struct rules_opts o = {0};

	if (!python)
		o.off |= 1u << rule_pos("python");
	if (!node)
		o.off |= 1u << rule_pos("node");
	if (!elf)
		o.off |= 1u << rule_pos("elf");
	return rules__apply(f->k, &o, &f->st);
}

void assert_added(struct fx *f, uint32_t reason, const char *const *want)
{
	size_t n = tree__count(f->t), nwant = 0, bad = 0;

	for (const char *const *w = want; *w; w++, nwant++) {
		int64_t idx = tree__find_path(f->t, *w);

		if (idx < 0 || !(keepset__reasons(f->k, (uint32_t)idx) & reason)) {
			print_error("expected %s to be added\n", *w);
			bad++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct tree_entry e;
		bool listed = false;

		assert_int_equal(tree__get(f->t, (uint32_t)i, &e), 0);
		if (!(keepset__reasons(f->k, (uint32_t)i) & reason))
			continue;
		for (const char *const *w = want; *w; w++)
			listed |= !strcmp(*w, e.path);
		if (!listed) {
			print_error("unexpected addition %s\n", e.path);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}
