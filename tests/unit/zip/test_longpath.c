// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trees deeper than PATH_MAX: the walk indexes them, so the writer must zip them, the extractor
 * extract them and its remover remove them, and a message about one must still say its cause.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "extract.h"
#include "keepset.h"
#include "testfs.h"
#include "tree.h"
#include "util.h"
#include "zipwrite.h"

#define COMP 200 /* bytes of one directory name */

struct fx {
	char dir[PATH_MAX];
	char root[PATH_MAX + 16];
	char out[PATH_MAX + 16];
	char dest[PATH_MAX + 16];
	char comp[COMP + 1];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	testfs__mkdtemp(f->dir, sizeof(f->dir), "longpath");
	testfs__mkdir(f->dir, "tree");
	snprintf(f->root, sizeof(f->root), "%s/tree", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.zip", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/dest", f->dir);
	memset(f->comp, 'd', COMP);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX + 16];

	/* The chains are deeper than rm -r can name: the remover under test cuts them first. */
	snprintf(p, sizeof(p), "%s/tree", f->dir);
	extract__remove(p);
	extract__remove(f->dest);
	testfs__rmtree(f->dir);
	free(f);
	return 0;
}

/* depth directories of COMP bytes below dir/top, then leaf holding content: its fd chain. */
static char *deep_file(struct fx *f, const char *top, int depth, const char *leaf,
		       const char *content, size_t size)
{
	size_t len = strlen(top) + (size_t)depth * (COMP + 1) + strlen(leaf) + 2;
	char *rel = malloc(len), *w = rel;
	int fd, next;

	assert_non_null(rel);
	w += sprintf(w, "%s/", top);
	testfs__mkdirs(f->root, top);
	fd = open(f->root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	next = openat(fd, top, O_RDONLY | O_DIRECTORY);
	close(fd);
	fd = next;
	for (int i = 0; i < depth; i++) {
		assert_int_equal(mkdirat(fd, f->comp, 0755), 0);
		next = openat(fd, f->comp, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		w += sprintf(w, "%s/", f->comp);
	}
	strcpy(w, leaf);
	next = openat(fd, leaf, O_CREAT | O_WRONLY, 0644);
	assert_true(next >= 0);
	for (size_t done = 0; done < size;) {
		size_t n = strlen(content) < size - done ? strlen(content) : size - done;

		assert_int_equal(write(next, content, n), (ssize_t)n);
		done += n;
	}
	close(next);
	close(fd);
	return rel;
}

/* Read rel (any length) below root, one component at a time, into a malloc'd string. */
static char *read_deep(const char *root, const char *rel)
{
	char *copy = strdup(rel), *save = NULL, *buf = calloc(1, 1 << 20);
	int fd = open(root, O_RDONLY | O_DIRECTORY), next;
	ssize_t n;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		next = openat(fd, c, O_RDONLY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	n = read(fd, buf, (1 << 20) - 1);
	assert_true(n >= 0);
	close(fd);
	free(copy);
	return buf;
}

static int write_all(struct fx *f, int level, struct tree **t)
{
	struct keepset *k = NULL;
	struct zipwrite_opts o;
	int err;

	zipwrite__default_opts(&o);
	o.level = level;
	assert_int_equal(tree__open(f->root, NULL, t), 0);
	assert_int_equal(keepset__new(*t, &k), 0);
	for (uint32_t i = 1; i < tree__count(*t); i++)
		assert_int_equal(keepset__add(k, i, KEEP_GLOB, 0, NULL), 0);
	err = zipwrite__write(k, f->out, &o, NULL);
	keepset__free(k);
	return err;
}

/*
 * Files below PATH_MAX and beyond it: a small one (deflated ahead by the pool), a large one
 * (streamed), and stored ones; what extracts is what was there, and nothing is left after the
 * remover.
 */
static void test_zip_and_extract_beyond_path_max(void **state)
{
	struct fx *f = *state;
	char *small = deep_file(f, "a", 25, "small.txt", "small\n", 6);
	char *big = deep_file(f, "b", 30, "big.bin", "0123456789abcdef", 3 << 20);
	struct tree *t = NULL;
	char *got;

	assert_true(strlen(small) > PATH_MAX && strlen(big) > PATH_MAX);
	for (int level = 0; level <= 6; level += 6) {
		assert_int_equal(write_all(f, level, &t), 0);
		tree__free(t);
		assert_int_equal(extract__zip(f->out, f->dest, NULL), 0);
		got = read_deep(f->dest, small);
		assert_string_equal(got, "small\n");
		free(got);
		got = read_deep(f->dest, big);
		assert_int_equal(strncmp(got, "0123456789abcdef0123", 20), 0);
		free(got);
		assert_int_equal(extract__remove(f->dest), 0);
		assert_int_equal(access(f->dest, F_OK), -1);
		unlink(f->out);
	}
	free(small);
	free(big);
}

/* Directory modes that refuse writes and listing do not stop the remover. */
static void test_remove_whatever_the_modes(void **state)
{
	struct fx *f = *state;
	char *rel = deep_file(f, "m", 3, "x", "x", 1);
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/m/%s", f->root, f->comp);
	assert_int_equal(chmod(p, 0), 0);
	snprintf(p, sizeof(p), "%s/m", f->root);
	assert_int_equal(chmod(p, 0555), 0);
	assert_int_equal(symlink("/etc", (snprintf(p, sizeof(p), "%s/etclink", f->root), p)), 0);
	assert_int_equal(extract__remove(f->root), 0);
	assert_int_equal(access(f->root, F_OK), -1);
	assert_int_equal(access("/etc/hostname", F_OK), 0); /* the link was not followed */
	assert_int_equal(extract__remove(f->root), 0);	    /* gone already: fine */
	free(rel);
}

/*
 * A message about a long path keeps its cause and advice: the buffer holds two PATH_MAX paths,
 * and a longer message loses its middle, marked, never its end.
 */
static void test_messages_keep_their_end(void **state)
{
	struct fx *f = *state;
	char *mid = deep_file(f, "mid", 22, "x", "x", 1);   /* ~4.4 KB */
	char *huge = deep_file(f, "huge", 60, "y", "y", 1); /* ~12 KB */
	char link[PATH_MAX * 2];
	struct tree *t = NULL;
	const char *m;

	free(huge);
	/* A link leading out, next to the file: the refusal names the link whole. */
	*strrchr(mid, '/') = '\0';
	snprintf(link, sizeof(link), "%s/out", mid);
	{
		int fd = open(f->root, O_RDONLY | O_DIRECTORY), next;
		char *copy = strdup(mid), *save = NULL;

		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			next = openat(fd, c, O_RDONLY | O_DIRECTORY);
			close(fd);
			fd = next;
		}
		assert_int_equal(symlinkat("/etc/passwd", fd, "out"), 0);
		close(fd);
		free(copy);
	}
	assert_int_equal(write_all(f, 6, &t), -EXDEV);
	tree__free(t);
	m = slz_errmsg();
	assert_non_null(strstr(m, link));
	assert_non_null(strstr(m, "replace it by a copy of its target"));
	free(mid);

	/* One far longer than the buffer: head, "...", and the end with the advice. */
	slz_fail(EINVAL, "cannot read %s/%s: it is too deep (drop it)", f->root,
		 (char[16384]){[0 ... 16382] = 'z'});
	m = slz_errmsg();
	assert_non_null(strstr(m, "..."));
	assert_int_equal(strncmp(m, "cannot read ", 12), 0);
	assert_string_equal(m + strlen(m) - strlen(": it is too deep (drop it)"),
			    ": it is too deep (drop it)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zip_and_extract_beyond_path_max, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_whatever_the_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_keep_their_end, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
