// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keepset.h"
#include "rules.h"
#include "tree.h"
#include "testfs.h"
#include "rules_fixture.h"

static struct fx *g; /* built once: compiling is the slow part */
static bool have_cc;

static void patch_machine(struct fx *f, const char *rel, uint16_t machine)
{
	char path[512];
	unsigned char le[2] = {machine & 0xff, machine >> 8};
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 18, SEEK_SET), 0); /* e_machine, little endian on x86/arm */
	assert_int_equal(fwrite(le, 1, 2, fp), 2);
	fclose(fp);
}

/*
 * fuzz/cut-N.so: liba.so cut at N bytes; fuzz/flip-N.so: liba.so with bytes of its headers and
 * tables overwritten (a fixed seed, so a failure reproduces). Rules must read them or skip them.
 */
static void fuzz_copies(struct fx *f, const char *rel)
{
	char path[PATH_MAX * 2], name[64];
	unsigned seed = 4;
	size_t len = 0;
	char *buf;

	testfs__path(path, sizeof(path), f->root, rel);
	buf = testfs__read(path, &len);
	assert_true(len > 1024);
	for (size_t cut = 0; cut < len; cut += len / 48 + 1) {
		snprintf(name, sizeof(name), "fuzz/cut-%zu.so", cut);
		testfs__write_bytes(f->root, name, buf, cut);
	}
	for (int n = 0; n < 64; n++) {
		char *copy = malloc(len);

		memcpy(copy, buf, len);
		for (int i = 0; i < 16; i++) {
			/* Mostly the ELF header and the first tables, where offsets live. */
			size_t at = (size_t)rand_r(&seed) % (i < 8 ? 64 : len);

			copy[at] = (char)rand_r(&seed);
		}
		snprintf(name, sizeof(name), "fuzz/flip-%d.so", n);
		testfs__write_bytes(f->root, name, copy, len);
		free(copy);
	}
	free(buf);
}

/*
 * bin/prog (RUNPATH $ORIGIN/../lib) -> lib/liba.so -> libb.so.1 -> libb.so.1.0.0, with
 * libb.so -> libb.so.1; variants of prog for each search rule; garbage beside them.
 */
static void build_elf_tree(struct fx *f)
{
	char srcdir[PATH_MAX];
	const char *r = f->root;
	static const char junk[] = "\x7f"
				   "ELF\x02\x01\x01garbage garbage garbage garbage garbage garbage "
				   "garbage garbage garbage garbage";

	testfs__mkdtemp(srcdir, sizeof(srcdir), "rules-elf-src");
	testfs__run("cd %s && printf 'int b(void){return 1;}\\n' > b.c && "
		    "printf 'int b(void); int a(void){return b();}\\n' > a.c && "
		    "printf 'int a(void); int main(void){return a();}\\n' > prog.c && "
		    "printf 'int main(void){return 0;}\\n' > plain.c && "
		    "printf 'int u(void){return 2;}\\n' > u.c",
		    srcdir);
	testfs__mkdirs(f->root, "lib");
	testfs__mkdirs(f->root, "bin");
	testfs__mkdirs(f->root, "opt");
	testfs__mkdirs(f->root, "wrong");
	testfs__run(
		"cd %s && cc -shared -fPIC -Wl,-soname,libb.so.1 -o %s/lib/libb.so.1.0.0 b.c && "
		"ln -s libb.so.1.0.0 %s/lib/libb.so.1 && ln -s libb.so.1 %s/lib/libb.so && "
		"cc -shared -fPIC -Wl,-soname,liba.so -o %s/lib/liba.so a.c -L%s/lib -lb && "
		"cc -shared -fPIC -Wl,-soname,libunused.so -o %s/lib/libunused.so u.c",
		srcdir, r, r, r, r, r, r);
	testfs__run(
		"cd %s && L='-L%s/lib -Wl,-rpath-link,%s/lib -la' && "
		"cc -o %s/bin/prog prog.c $L -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' && "
		"cc -o %s/bin/prog_wrong prog.c $L "
		"-Wl,--enable-new-dtags,-rpath,'${ORIGIN}/../wrong:$ORIGIN/../lib' && "
		"cc -o %s/bin/prog_rpath prog.c $L -Wl,--disable-new-dtags,-rpath,%s/lib && "
		"cc -o %s/opt/prog_default prog.c $L && "
		"cc -o %s/bin/prog_interp prog.c $L -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' "
		"-Wl,--dynamic-linker=/lib64/ld-test.so.2 && "
		"cc -o %s/bin/plain plain.c",
		srcdir, r, r, r, r, r, r, r, r, r);
	/* libv.so only in vendor/: reached through /var/task (recorded_at) or a directory link. */
	testfs__mkdirs(f->root, "vendor");
	testfs__run("cd %s && printf 'int v(void){return 3;}\\n' > v.c && "
		    "printf 'int v(void); int main(void){return v();}\\n' > pv.c && "
		    "cc -shared -fPIC -o %s/vendor/libv.so v.c && ln -s vendor %s/linkdir && "
		    "cc -o %s/bin/prog_as pv.c -L%s/vendor -lv -Wl,-rpath,/var/task/vendor && "
		    "cc -o %s/bin/prog_dirlink pv.c -L%s/vendor -lv "
		    "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../linkdir'",
		    srcdir, r, r, r, r, r, r);
	testfs__run("cp %s/lib/liba.so %s/wrong/liba.so && head -c 300 %s/lib/liba.so > "
		    "%s/lib/trunc.so && "
		    "rm -rf %s",
		    r, r, r, r, srcdir);
	patch_machine(f, "wrong/liba.so", 183 /* EM_AARCH64 */);
	fuzz_copies(f, "lib/liba.so");
	testfs__write_bytes(f->root, "lib/garbage.so", junk, sizeof(junk) - 1);
	testfs__write_bytes(f->root, "lib/empty.so", "", 0);
	file(f, "lib64/ld-test.so.2", "a loader, as far as the rule cares");
	/* Only the index: setup gives each test its own keepset. */
	assert_int_equal(tree__open(f->root, NULL, &f->t), 0);
}

static int group_setup(void **state)
{
	have_cc = !system("command -v cc >/dev/null 2>&1");
	g = rules_fixture__new("rules-elf");
	if (have_cc)
		build_elf_tree(g);
	return 0;
}

static int group_teardown(void **state)
{
	rules_fixture__free(g);
	return 0;
}

/* A fresh keepset per test over the shared tree: rules only ever add to it. */
static int setup(void **state)
{
	if (!have_cc)
		skip();
	keepset__free(g->k);
	g->k = NULL;
	memset(&g->st, 0, sizeof(g->st));
	assert_int_equal(keepset__new(g->t, &g->k), 0);
	*state = g;
	return 0;
}

static const char *const prog_closure[] = {
	"lib/liba.so", "lib/libb.so.1", "lib/libb.so.1.0.0", "lib/libb.so", NULL,
};

static void test_program_keeps_needed_chain_and_soname_links(void **state)
{
	struct fx *f = *state;

	keep(f, "bin/prog");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), prog_closure);
	assert_int_equal(added(f, "elf"), 4);
	/* libc.so.6 comes from the runtime, not from the tree (liba, libb may not need it). */
	assert_true(f->st.unresolved[rule_pos("elf")] >= 1);
	assert_int_equal(added(f, "python") + added(f, "node"), 0);
	assert_false(keepset__has(f->k, tree__find_path(f->t, "lib/libunused.so")));
}

static void test_wrong_machine_candidate_is_skipped(void **state)
{
	struct fx *f = *state;

	/* RUNPATH ${ORIGIN}/../wrong first: its liba.so is an aarch64 object, ld.so passes it. */
	keep(f, "bin/prog_wrong");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), prog_closure);
}

static void test_absolute_rpath_inside_tree(void **state)
{
	struct fx *f = *state;

	keep(f, "bin/prog_rpath");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), prog_closure);
}

static void test_default_lib_dirs_of_the_tree(void **state)
{
	struct fx *f = *state;

	keep(f, "opt/prog_default");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), prog_closure);
}

static void test_interpreter_in_tree_is_kept(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"lib/liba.so", "lib/libb.so.1",	     "lib/libb.so.1.0.0",
		"lib/libb.so", "lib64/ld-test.so.2", NULL,
	};

	keep(f, "bin/prog_interp");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), want);
}

static void test_kept_symlink_keeps_chain_and_target(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {"lib/libb.so.1", "lib/libb.so.1.0.0", NULL};

	keep(f, "lib/libb.so");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), want);
}

static void test_garbage_objects_are_skipped(void **state)
{
	struct fx *f = *state;
	static const char *const none[] = {NULL};

	keep(f, "lib/garbage.so");
	keep(f, "lib/empty.so");
	keep(f, "lib/trunc.so");
	keep(f, "wrong/liba.so");
	keep(f, "lib64/ld-test.so.2");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), none);
}

static void test_fuzzed_copies_do_not_crash(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < tree__count(f->t); i++) {
		struct tree_entry e;

		tree__get(f->t, (uint32_t)i, &e);
		if (!strncmp(e.path, "fuzz/", 5))
			keepset__add(f->k, (uint32_t)i, KEEP_OPENED, 0, NULL);
	}
	/* What survives of a copy may still find libb in lib/: only never crashing is the test. */
	assert_int_equal(apply(f, false, false, true), 0);
	assert_false(keepset__has(f->k, tree__find_path(f->t, "lib/libunused.so")));
}

static void test_library_outside_tree_is_ignored(void **state)
{
	struct fx *f = *state;
	static const char *const none[] = {NULL};

	keep(f, "bin/plain");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), none);
	assert_int_equal(f->st.unresolved[rule_pos("elf")], 1);
}

static void test_absolute_rpath_under_recorded_root(void **state)
{
	struct fx *f = *state;
	TREE_OPTS(o, .recorded_at = "/var/task/");
	struct tree *shared = f->t, *at = NULL;
	static const char *const none[] = {NULL};
	static const char *const want[] = {"vendor/libv.so", NULL};

	keep(f, "bin/prog_as");
	/* Recorded where it is, /var/task/vendor is read from the tree root: there is no var/. */
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), none);
	/* The same files, recorded at /var/task. */
	assert_int_equal(tree__open(f->root, &o, &at), 0);
	keepset__free(f->k);
	f->t = at;
	assert_int_equal(keepset__new(at, &f->k), 0);
	keep(f, "bin/prog_as");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), want);
	keepset__free(f->k);
	f->k = NULL;
	f->t = shared;
	tree__free(at);
}

static void test_directory_link_on_the_way_is_kept(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {"linkdir", "vendor/libv.so", NULL};

	keep(f, "bin/prog_dirlink");
	assert_int_equal(apply(f, false, false, true), 0);
	assert_added(f, rules__reason_named("elf"), want);
}

/* A head source (rules_opts.head) as prune's deflaters are: what it says, and what it asked. */
struct heads {
	const struct tree *t;
	const char *not_elf; /* the entry it claims is no ELF object */
	size_t asked, on_keep;
};

static ssize_t head_of(void *arg, uint32_t idx, void *buf, size_t len)
{
	struct heads *h = arg;
	struct tree_entry e;

	h->asked++;
	assert_int_equal(tree__get(h->t, idx, &e), 0);
	if (!strcmp(e.path, h->not_elf)) {
		memset(buf, 'x', len);
		return (ssize_t)len;
	}
	return -ENOENT; /* the rule reads the others itself */
}

static void count_keep(void *arg, uint32_t idx)
{
	(void)idx;
	((struct heads *)arg)->on_keep++;
}

/*
 * The rule asks the head source before it opens a file and trusts it: libb.so.1.0.0 said to be
 * no ELF object is no candidate for liba.so's DT_NEEDED libb.so.1, though it is one; files the
 * source does not have are read as always (bin/prog needs liba.so). on_keep hears of each
 * addition.
 */
static void test_head_source_decides_before_open(void **state)
{
	struct fx *f = *state;
	static const char *const only_liba[] = {"lib/liba.so", NULL};
	struct heads h = {.t = f->t, .not_elf = "lib/libb.so.1.0.0"};
	struct rules_opts o = {.off = 1u << rule_pos("python") | 1u << rule_pos("node"),
			       .head = head_of,
			       .head_arg = &h,
			       .on_keep = count_keep,
			       .on_keep_arg = &h};

	keep(f, "bin/prog");
	assert_int_equal(rules__apply(f->k, &o, &f->st), 0);
	assert_added(f, rules__reason_named("elf"), only_liba);
	assert_true(h.asked >= 3); /* bin/prog, lib/liba.so, lib/libb.so.1.0.0 */
	assert_int_equal(h.on_keep, 1);
}

static void test_rule_off_adds_nothing(void **state)
{
	struct fx *f = *state;
	static const char *const none[] = {NULL};

	keep(f, "bin/prog");
	assert_int_equal(apply(f, true, true, false), 0);
	assert_added(f, rules__reason_named("elf"), none);
	assert_int_equal(keepset__count(f->k), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_program_keeps_needed_chain_and_soname_links, setup),
		cmocka_unit_test_setup(test_wrong_machine_candidate_is_skipped, setup),
		cmocka_unit_test_setup(test_absolute_rpath_inside_tree, setup),
		cmocka_unit_test_setup(test_default_lib_dirs_of_the_tree, setup),
		cmocka_unit_test_setup(test_interpreter_in_tree_is_kept, setup),
		cmocka_unit_test_setup(test_kept_symlink_keeps_chain_and_target, setup),
		cmocka_unit_test_setup(test_garbage_objects_are_skipped, setup),
		cmocka_unit_test_setup(test_fuzzed_copies_do_not_crash, setup),
		cmocka_unit_test_setup(test_library_outside_tree_is_ignored, setup),
		cmocka_unit_test_setup(test_absolute_rpath_under_recorded_root, setup),
		cmocka_unit_test_setup(test_directory_link_on_the_way_is_kept, setup),
		cmocka_unit_test_setup(test_head_source_decides_before_open, setup),
		cmocka_unit_test_setup(test_rule_off_adds_nothing, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
