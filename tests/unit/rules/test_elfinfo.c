// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfinfo.h"
#include "testfs.h"

static char root[PATH_MAX];
static bool have_cc;

/*
 * lib/libq.so.1.0 (soname libq.so.1, needs libm, runpath $ORIGIN/x:/opt/q, rpath unset),
 * bin/prog (needs libq.so.1 and libc, rpath /r1 twice as two entries joined by the linker),
 * obj/q.o (a relocatable object), text, junk (ELF magic, garbage), empty.
 */
static int group_setup(void **state)
{
	static const char junk[] = "\x7f"
				   "ELF\x02\x01\x01 garbage, no header";

	(void)state;
	testfs__mkdtemp(root, sizeof(root), "elfinfo");
	have_cc = !system("command -v cc >/dev/null 2>&1");
	testfs__write(root, "text", "#!/bin/sh\necho not an object\n");
	testfs__write_bytes(root, "junk", junk, sizeof(junk) - 1);
	testfs__write_bytes(root, "empty", "", 0);
	if (!have_cc)
		return 0;
	testfs__mkdirs(root, "lib");
	testfs__mkdirs(root, "bin");
	testfs__mkdirs(root, "obj");
	testfs__run(
		"cd %s && printf 'double q(double x);\\ndouble q(double x){return x*2;}\\n' > q.c "
		"&& printf 'double q(double);\\nint main(void){return (int)q(1);}\\n' > p.c && "
		"cc -shared -fPIC -Wl,-soname,libq.so.1 -Wl,--enable-new-dtags "
		"-Wl,-rpath,'$ORIGIN/x:/opt/q' -o lib/libq.so.1.0 q.c -lm -Wl,--no-as-needed "
		"-lm && ln -s libq.so.1.0 lib/libq.so.1 && "
		"cc -o bin/prog p.c -Llib -l:libq.so.1 -Wl,--disable-new-dtags -Wl,-rpath,/r1 "
		"-Wl,-rpath,/r2 && cc -c -o obj/q.o q.c && rm q.c p.c",
		root);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	testfs__rmtree(root);
	return 0;
}

static void path_of(char *out, const char *rel)
{
	testfs__path(out, PATH_MAX, root, rel);
}

static bool needs(const struct elfinfo *in, const char *name)
{
	for (size_t i = 0; i < in->nneeded; i++)
		if (!strcmp(in->needed[i], name))
			return true;
	return false;
}

static void test_shared_object(void **state)
{
	struct elfinfo in;
	char p[PATH_MAX];

	(void)state;
	if (!have_cc)
		skip();
	path_of(p, "lib/libq.so.1.0");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &in), 1);
	assert_int_equal(in.type, ET_DYN);
	assert_int_equal(in.id >> 16, sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32);
	assert_string_equal(in.soname, "libq.so.1");
	assert_string_equal(in.runpath, "$ORIGIN/x:/opt/q");
	assert_null(in.rpath);
	assert_null(in.interp); /* a library has no interpreter */
	assert_true(needs(&in, "libm.so.6"));
	elfinfo__release(&in);
	assert_null(in.soname);
	assert_int_equal(in.nneeded, 0);
}

static void test_program_through_a_symlink_and_fd(void **state)
{
	struct elfinfo in, lib;
	char p[PATH_MAX];
	int fd;

	(void)state;
	if (!have_cc)
		skip();
	path_of(p, "bin/prog");
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	/* Any file offset: the reader preads from 0. */
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	assert_int_equal(elfinfo__read_fd(fd, ELFINFO_DYNAMIC, &in), 1);
	close(fd);
	assert_non_null(in.interp);
	assert_true(strstr(in.interp, "ld-") != NULL);
	assert_true(needs(&in, "libq.so.1"));
	assert_true(needs(&in, "libc.so.6"));
	/* Two -rpath options: ld.so searches them as one list, in order. */
	assert_string_equal(in.rpath, "/r1:/r2");
	assert_null(in.runpath);
	assert_null(in.soname);
	/* The same object through its symlink: the soname the link is named after. */
	path_of(p, "lib/libq.so.1");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &lib), 1);
	assert_string_equal(lib.soname, "libq.so.1");
	assert_int_equal(lib.id, in.id);
	elfinfo__release(&lib);
	elfinfo__release(&in);
}

static void test_header_only_reads_no_strings(void **state)
{
	struct elfinfo in;
	char p[PATH_MAX];

	(void)state;
	if (!have_cc)
		skip();
	path_of(p, "lib/libq.so.1.0");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_HEADER, &in), 1);
	assert_int_equal(in.type, ET_DYN);
	assert_true(in.id != 0);
	assert_null(in.soname);
	assert_int_equal(in.nneeded, 0);
	elfinfo__release(&in);
}

static void test_relocatable_is_not_an_object_to_load(void **state)
{
	struct elfinfo in;
	char p[PATH_MAX];

	(void)state;
	if (!have_cc)
		skip();
	path_of(p, "obj/q.o");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &in), 0);
	/* Its type and machine are still told: the ELF rule caches them. */
	assert_int_equal(in.type, ET_REL);
	assert_true(in.id != 0);
	assert_int_equal(in.nneeded, 0);
	elfinfo__release(&in);
}

static void test_not_elf_damaged_and_missing(void **state)
{
	struct elfinfo in;
	char p[PATH_MAX];

	(void)state;
	path_of(p, "text");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &in), 0);
	path_of(p, "empty");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &in), 0);
	path_of(p, "junk");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &in), -EBADMSG);
	assert_null(in.soname);
	path_of(p, "nothing-here");
	assert_int_equal(elfinfo__read_path(p, ELFINFO_DYNAMIC, &in), -ENOENT);
	/* A directory opens but holds no magic. */
	assert_int_equal(elfinfo__read_path(root, ELFINFO_DYNAMIC, &in), 0);
	elfinfo__release(&in);
	elfinfo__release(NULL);
}

/* A damaged copy of a real object, cut at every length: read or refused, never trusted. */
static void test_cut_copies(void **state)
{
	char p[PATH_MAX], name[64];
	size_t len = 0;
	char *buf;

	(void)state;
	if (!have_cc)
		skip();
	path_of(p, "lib/libq.so.1.0");
	buf = testfs__read(p, &len);
	for (size_t cut = 0; cut < len; cut += len / 40 + 1) {
		struct elfinfo in;
		int r;

		snprintf(name, sizeof(name), "cut-%zu", cut);
		testfs__write_bytes(root, name, buf, cut);
		path_of(p, name);
		r = elfinfo__read_path(p, ELFINFO_DYNAMIC, &in);
		assert_true(r == 0 || r == 1 || r == -EBADMSG);
		if (r <= 0)
			assert_int_equal(in.nneeded, 0);
		elfinfo__release(&in);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_object),
		cmocka_unit_test(test_program_through_a_symlink_and_fd),
		cmocka_unit_test(test_header_only_reads_no_strings),
		cmocka_unit_test(test_relocatable_is_not_an_object_to_load),
		cmocka_unit_test(test_not_elf_damaged_and_missing),
		cmocka_unit_test(test_cut_copies),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
