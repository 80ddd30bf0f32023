// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"
#include "testfs.h"

void itest__drain(struct recorder *r)
{
	int n;

	while ((n = recorder__consume(r)) > 0)
		;
	assert_int_equal(n, 0);
}

void itest__make_files(const char *dir, const char *prefix, int n)
{
	char name[64];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		testfs__write(dir, name, "x");
	}
}

const struct profile_entry *itest__entry_of(const struct profile *p, const char *dir,
					    const char *name)
{
	char path[PATH_MAX];

	testfs__path(path, sizeof(path), dir, name);
	return profile__find_path(p, path);
}

size_t itest__count_prefixed(const struct profile *p, const char *dir, const char *prefix)
{
	char head[PATH_MAX];
	size_t n = 0;

	testfs__path(head, sizeof(head), dir, prefix);
	for (size_t i = 0; i < profile__count(p); i++)
		n += !strncmp(profile__entry(p, i)->path, head, strlen(head));
	return n;
}
