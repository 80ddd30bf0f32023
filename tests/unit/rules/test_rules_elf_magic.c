// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ELF rule's magic read side by side (rules_elf_magic.c) decides as the one-by-one read
 * does: the same closure, the same damaged objects counted, whether the tree has few kept
 * files (read as the scan meets them) or many (read on every CPU before the scan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_fixture.h"
#include "testfs.h"

static bool have_cc;

/*
 * bin/prog (RUNPATH $ORIGIN/../lib) needs lib/liba.so; beside them n kept text files, a text
 * file named like a library, a damaged and a truncated object.
 */
static struct fx *build(int n)
{
	struct fx *f = rules_fixture__new("rules-elf-magic");
	static const char junk[] = "\x7f"
				   "ELF\x02\x01\x01garbage garbage garbage garbage garbage garbage "
				   "garbage garbage garbage garbage";
	char rel[64];

	testfs__mkdirs(f->root, "lib");
	testfs__mkdirs(f->root, "bin");
	testfs__run(
		"cd %s && printf 'int a(void){return 1;}\\n' > a.c && "
		"printf 'int a(void); int main(void){return a();}\\n' > prog.c && "
		"cc -shared -fPIC -Wl,-soname,liba.so -o lib/liba.so a.c && "
		"cc -o bin/prog prog.c -Llib -la -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' && "
		"head -c 300 lib/liba.so > lib/trunc.so && rm a.c prog.c",
		f->root);
	testfs__write_bytes(f->root, "lib/garbage.so", junk, sizeof(junk) - 1);
	file(f, "lib/fake.so", "not an object at all, only text that is long enough to be one\n");
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "data/f%04d.txt", i);
		file(f, rel,
		     "a kept data file, long enough to be read for its magic by the rule\n");
	}
	open_tree(f);
	keep(f, "bin/prog");
	keep(f, "lib/garbage.so");
	keep(f, "lib/fake.so");
	keep(f, "lib/trunc.so");
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "data/f%04d.txt", i);
		keep(f, rel);
	}
	return f;
}

/* The closure with n kept text files; returns the unreadable files counted. */
static uint64_t check(int n)
{
	static const char *const want[] = {"lib/liba.so", NULL};
	struct fx *f = build(n);
	uint64_t unreadable;

	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), want);
	assert_int_equal(added(f, "elf"), 1);
	assert_int_equal(keepset__count(f->k), (uint64_t)n + 5);
	unreadable = f->st.unreadable;
	rules_fixture__free(f);
	return unreadable;
}

static void test_few_and_many_files_alike(void **state)
{
	uint64_t few, many;

	if (!have_cc)
		skip();
	few = check(10);
	many = check(2000);
	/* The damaged objects at most, never the text files; the same either way. */
	assert_true(few <= 2);
	assert_int_equal(many, few);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_few_and_many_files_alike),
	};

	have_cc = !system("command -v cc >/dev/null 2>&1");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
