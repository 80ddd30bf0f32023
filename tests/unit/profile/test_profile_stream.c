// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How the profile reader takes its bytes: a read error or exhausted memory is no end of file,
 * a log (the daemon's journal) may end in a torn line and nothing else may, and lines read the
 * same across the reader's chunks as from one buffer. The formats themselves are
 * test_profile_io.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slz_vocab.h"
#include "profile.h"
#include "profile_io.h"
#include "profile_test.h"
#include "util.h"

/* A stream that never ends its line: getline grows its buffer until memory runs out. */
static ssize_t endless_read(void *cookie, char *buf, size_t size)
{
	size_t *sent = cookie;
	static const char head[] = MAGIC "open 8:1 5 1 100644 0 - 1 x /";

	if (*sent < sizeof(head) - 1) {
		size_t n = sizeof(head) - 1 - *sent < size ? sizeof(head) - 1 - *sent : size;

		memcpy(buf, head + *sent, n);
		*sent += n;
		return (ssize_t)n;
	}
	memset(buf, 'a', size);
	return (ssize_t)size;
}

static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	(void)size;
	errno = EIO;
	return -1;
}

static void test_out_of_memory_is_no_end_of_file(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator dies instead of returning NULL under an address space limit. */
	skip();
#else
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		cookie_io_functions_t io = {.read = endless_read};
		struct rlimit rl = {256 << 20, 256 << 20};
		struct profile *p = NULL;
		size_t sent = 0;
		FILE *f = fopencookie(&sent, "r", io);
		int err;

		/* 256 MiB of address space: the line outgrows it long before the stream ends. */
		if (!f || setrlimit(RLIMIT_AS, &rl))
			_exit(2);
		err = profile__read_stream(f, "big.profile", &p);
		_exit(err == -ENOMEM && !p &&
				      strstr(slz_errmsg(), "out of memory reading big.profile")
			      ? 0
			      : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

static void test_read_error_is_no_end_of_file(void **state)
{
	cookie_io_functions_t io = {.read = failing_read};
	struct profile *p = NULL;
	FILE *f = fopencookie(NULL, "r", io);

	assert_non_null(f);
	assert_int_equal(profile__read_stream(f, "bad.profile", &p), -EIO);
	assert_null(p);
	assert_non_null(strstr(slz_errmsg(), "cannot read bad.profile"));
	fclose(f);
}

/* A log as the daemon's journal builds it: the header, then one line per profile__add. */
static char *build_log(size_t *len)
{
	struct profile *p = NULL;
	char *buf = NULL, *line = NULL;
	size_t llen = 0;
	FILE *f = open_memstream(&buf, len);
	struct profile_entry a = {.path = "/srv/a b",
				  .dev = makedev(8, 1),
				  .ino = 7,
				  .kinds = SLZ_KIND_OPEN,
				  .mode = 0100644,
				  .first_pid = 3,
				  .first_comm = "cat"};
	struct profile_entry a_exec = a, path_only = {.path = "/srv/missing",
						      .kinds = SLZ_KIND_MISSING,
						      .flags = SLZ_EVF_PATH_ONLY,
						      .err = ENOENT};

	a_exec.kinds = SLZ_KIND_EXEC;
	assert_non_null(f);
	assert_int_equal(profile__new(&p), 0);
	assert_int_equal(profile__set_str(p, &profile__header(p)->target, "/ci/job1"), 0);
	assert_int_equal(profile__write_log_header(p, f), 0);
	/* The same file twice (two kinds, two events): the reader merges as profile__add does. */
	for (const struct profile_entry *e = &a; e; e = e == &a	       ? &a_exec
							: e == &a_exec ? &path_only
								       : NULL) {
		assert_int_equal(profile__entry_line(e, &line, &llen), 0);
		assert_true(llen > 0 && line[llen - 1] == '\n');
		assert_null(memchr(line, '\n', llen - 1));
		fwrite(line, 1, llen, f);
		free(line);
	}
	assert_int_equal(fclose(f), 0);
	profile__free(p);
	return buf;
}

static int read_log(const char *buf, size_t len, struct profile **p, bool *torn)
{
	FILE *f = fmemopen((void *)buf, len, "r");
	int err;

	assert_non_null(f);
	err = profile__read_log_stream(f, "t.journal", p, torn);
	fclose(f);
	return err;
}

static void test_log_reads_back_merged(void **state)
{
	struct profile *p = NULL;
	const struct profile_entry *e;
	size_t len;
	char *buf = build_log(&len);
	bool torn = true;

	(void)state;
	assert_null(strstr(buf, "# files:"));
	assert_int_equal(read_log(buf, len, &p, &torn), 0);
	assert_false(torn);
	assert_string_equal(profile__header(p)->target, "/ci/job1");
	assert_int_equal(profile__count(p), 2);
	e = profile__find_path(p, "/srv/a b");
	assert_non_null(e);
	assert_int_equal(e->kinds, SLZ_KIND_OPEN | SLZ_KIND_EXEC);
	assert_int_equal(e->ino, 7);
	assert_string_equal(e->first_comm, "cat");
	e = profile__find_path(p, "/srv/missing");
	assert_non_null(e);
	assert_true(e->flags & SLZ_EVF_PATH_ONLY);
	assert_int_equal(e->err, ENOENT);
	profile__free(p);
	free(buf);
}

static void test_log_torn_last_line_is_dropped(void **state)
{
	struct profile *p = NULL;
	size_t len;
	char *buf = build_log(&len);
	bool torn = false;

	(void)state;
	/* Cut in the middle of the last line: the two whole lines before it stay. */
	assert_int_equal(read_log(buf, len - 5, &p, &torn), 0);
	assert_true(torn);
	assert_int_equal(profile__count(p), 1);
	assert_non_null(profile__find_path(p, "/srv/a b"));
	assert_null(profile__find_path(p, "/srv/missing"));
	profile__free(p);
	/* Cut right after a newline: nothing torn, the whole lines read. */
	{
		const char *nl = memrchr(buf, '\n', len - 1);

		assert_int_equal(read_log(buf, (size_t)(nl - buf) + 1, &p, &torn), 0);
		assert_false(torn);
		assert_int_equal(profile__count(p), 1);
		profile__free(p);
		p = NULL;
	}
	/* The plain reader still refuses a cut profile: only a log may end mid-line. */
	{
		FILE *f = fmemopen(buf, len - 5, "r");

		assert_int_equal(profile__read_stream(f, "t.profile", &p), -EBADMSG);
		assert_non_null(strstr(slz_errmsg(), "truncated"));
		fclose(f);
	}
	/* A line broken in two that is not the last is no tear: refused. */
	buf[strlen(MAGIC) + 2] = '\n';
	assert_int_not_equal(read_log(buf, len, &p, &torn), 0);
	assert_null(p);
	free(buf);
}

/*
 * The reader takes a file in 256 KiB chunks: lines across every chunk boundary (paths of 1 to
 * 250 bytes shift the boundaries through the lines; some end in CRLF), a line longer than a
 * chunk, and damage far from the start (a NUL byte, a last line without its newline, a torn
 * log line) read as they did from one buffer.
 */
static char *big_text(size_t n, size_t *len, bool crlf)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	fprintf(f, MAGIC "# files: %zu\n", n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "open 8:1 %zu %zu 100644 %zu - 1 comm%zu /d/%0*zu%s\n", i + 1, i % 7 + 1,
			i * 3, i % 5, (int)(i * 37 % 250) + 1, i, crlf && i % 3 ? "\r" : "");
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_big_entries(const struct profile *p, size_t n)
{
	char path[300];

	assert_int_equal(profile__count(p), n);
	for (size_t i = 0; i < n; i++) {
		const struct profile_entry *e = profile__find_inode(p, makedev(8, 1), i + 1);

		snprintf(path, sizeof(path), "/d/%0*zu", (int)(i * 37 % 250) + 1, i);
		assert_non_null(e);
		assert_string_equal(e->path, path);
		assert_int_equal(e->size, i * 3);
		assert_int_equal(e->count, i % 7 + 1);
		snprintf(path, sizeof(path), "comm%zu", i % 5);
		assert_string_equal(e->first_comm, path);
	}
}

static void test_lines_across_read_chunks(void **state)
{
	const size_t n = 12000;
	size_t len, jlen;
	struct profile *p = NULL, *q = NULL;
	char *buf = big_text(n, &len, true), *jbuf = NULL, *line, *nl;
	FILE *f;

	assert_true(len > 4 * (256u << 10));
	assert_int_equal(read_buf(buf, len, &p), 0);
	assert_big_entries(p, n);
	/* The JSON form, twice the bytes, the same entries. */
	f = open_memstream(&jbuf, &jlen);
	assert_non_null(f);
	assert_int_equal(profile__write_stream(p, f, PROFILE_FMT_JSON), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(read_buf(jbuf, jlen, &q), 0);
	assert_big_entries(q, n);
	profile__free(q);
	profile__free(p);
	free(jbuf);
	/* A NUL byte in a line past the first chunks: refused with that line's number. */
	line = buf;
	for (int i = 0; i < 9002; i++)
		line = strchr(line, '\n') + 1;
	line[40] = '\0';
	assert_int_equal(read_buf(buf, len, &p), -EBADMSG);
	assert_null(p);
	if (!strstr(slz_errmsg(), "input.profile:9003: line contains a NUL byte"))
		fail_msg("message '%s'", slz_errmsg());
	free(buf);
	/* The last line without its newline, far from the start. */
	buf = big_text(n, &len, false);
	assert_int_equal(read_buf(buf, len - 1, &p), -EBADMSG);
	if (!strstr(slz_errmsg(), "the last line has no newline"))
		fail_msg("message '%s'", slz_errmsg());
	/* The same, as a log (the header's count left out): torn, the whole lines kept. */
	nl = strstr(buf, "# files: ");
	memcpy(nl, "# filez", 7);
	{
		bool torn = false;
		FILE *lf = fmemopen(buf, len - 1, "r");

		assert_non_null(lf);
		assert_int_equal(profile__read_log_stream(lf, "t.journal", &p, &torn), 0);
		fclose(lf);
		assert_true(torn);
		assert_big_entries(p, n - 1);
		profile__free(p);
	}
	free(buf);
}

static void test_line_longer_than_a_read_chunk(void **state)
{
	const size_t plen = 300000;
	char *text = malloc(plen + 200), *path = malloc(plen + 1);
	struct profile *p = NULL;
	int used;

	assert_non_null(text);
	assert_non_null(path);
	path[0] = '/';
	for (size_t i = 1; i < plen; i++)
		path[i] = (char)('a' + i % 26);
	path[plen] = '\0';
	used = snprintf(text, plen + 200,
			MAGIC "# files: 2\nopen 8:1 1 1 100644 0 - 1 x %s\n"
			      "open 8:1 2 1 100644 0 - 1 x /after\n",
			path);
	assert_true(used > (int)plen);
	assert_int_equal(read_buf(text, (size_t)used, &p), 0);
	assert_int_equal(profile__count(p), 2);
	assert_string_equal(profile__find_inode(p, makedev(8, 1), 1)->path, path);
	assert_string_equal(profile__find_inode(p, makedev(8, 1), 2)->path, "/after");
	profile__free(p);
	free(text);
	free(path);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_memory_is_no_end_of_file),
		cmocka_unit_test(test_read_error_is_no_end_of_file),
		cmocka_unit_test(test_log_reads_back_merged),
		cmocka_unit_test(test_log_torn_last_line_is_dropped),
		cmocka_unit_test(test_lines_across_read_chunks),
		cmocka_unit_test(test_line_longer_than_a_read_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
