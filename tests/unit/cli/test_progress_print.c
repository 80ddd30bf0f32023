// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The progress line: its text, its throttle (a fake clock) and its clearing (a memstream). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "progress_print.h"

struct fake {
	uint64_t now;
	char *buf;
	size_t len;
	FILE *out;
	struct cli_progress *p;
};

static uint64_t fake_clock(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->now = 1000;
	f->out = open_memstream(&f->buf, &f->len);
	assert_non_null(f->out);
	f->p = cli_progress__new(f->out, 40, fake_clock, f);
	assert_non_null(f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	cli_progress__free(f->p);
	fclose(f->out);
	free(f->buf);
	free(f);
	return 0;
}

/* What was written so far, and forget it. */
static char *take(struct fake *f)
{
	char *s;

	fflush(f->out);
	s = strndup(f->buf, f->len);
	assert_non_null(s);
	rewind(f->out);
	f->len = 0;
	if (f->buf)
		f->buf[0] = '\0';
	return s;
}

static void zipping(struct fake *f, uint64_t done, uint64_t bytes)
{
	slz_progress__update(cli_progress__hook(f->p),
			     &(struct slz_progress_state){.phase = "zipping",
							  .unit = "files",
							  .done = done,
							  .total = 392,
							  .bytes_done = bytes,
							  .bytes_total = 183 << 20});
}

static void test_format(void **state)
{
	char b[128];

	(void)state;
	assert_string_equal(
		cli_progress__format(&(struct slz_progress_state){.phase = "walking tree",
								  .unit = "files",
								  .done = 12345},
				     b, sizeof(b)),
		"walking tree: 12,345 files");
	assert_string_equal(
		cli_progress__format(&(struct slz_progress_state){.phase = "zipping",
								  .unit = "files",
								  .done = 210,
								  .total = 392,
								  .bytes_done = 81 << 20,
								  .bytes_total = 183 << 20},
				     b, sizeof(b)),
		"zipping: 210/392 files, 81.0 MiB/183 MiB");
	assert_string_equal(cli_progress__format(
				    &(struct slz_progress_state){
					    .phase = "verify round", .done = 2, .total = 5},
				    b, sizeof(b)),
			    "verify round 2/5");
	assert_string_equal(
		cli_progress__format(&(struct slz_progress_state){.phase = "batch",
								  .unit = "functions recorded",
								  .done = 3,
								  .total = 6},
				     b, sizeof(b)),
		"batch: 3/6 functions recorded");
	/* Too small a buffer truncates, never overruns. */
	assert_string_equal(cli_progress__format(&(struct slz_progress_state){.phase = "zipping",
									      .unit = "files",
									      .done = 1,
									      .total = 2},
						 b, 8),
			    "zipping");
}

static void test_throttle(void **state)
{
	struct fake *f = *state;
	char *s;

	/* The first update draws at once. */
	zipping(f, 1, 0);
	s = take(f);
	assert_string_equal(s, "\rzipping: 1/392 files, 0 B/183 MiB\033[K");
	free(s);
	/* Within the interval: nothing, however many files. */
	for (int i = 2; i < 100; i++) {
		f->now += 1;
		zipping(f, (uint64_t)i, (uint64_t)i << 20);
	}
	s = take(f);
	assert_string_equal(s, "");
	free(s);
	/* The interval passed: the latest state. */
	f->now = 1000 + CLI_PROGRESS_INTERVAL_MS;
	zipping(f, 100, 100 << 20);
	s = take(f);
	assert_string_equal(s, "\rzipping: 100/392 files, 100 MiB/183 MiB\033[K");
	free(s);
	/* The last step draws even within the interval, the same line only once. */
	f->now += 1;
	zipping(f, 392, 183 << 20);
	zipping(f, 392, 183 << 20);
	s = take(f);
	assert_string_equal(s, "\rzipping: 392/392 files, 183 MiB/183 MiB\033[K");
	free(s);
}

static void test_phase_and_width(void **state)
{
	struct fake *f = *state;
	char *s;

	slz_progress__update(
		cli_progress__hook(f->p),
		&(struct slz_progress_state){.phase = "walking tree", .unit = "files", .done = 10});
	free(take(f));
	/* A new phase draws at once, inside the interval; the line is cut to the width (40). */
	slz_progress__update(cli_progress__hook(f->p),
			     &(struct slz_progress_state){.phase = "zipping with a long phase name",
							  .unit = "files",
							  .done = 1,
							  .total = 2,
							  .bytes_total = 10});
	s = take(f);
	assert_string_equal(s, "\rzipping with a long phase name: 1/2 file\033[K");
	free(s);
}

static void test_clear(void **state)
{
	struct fake *f = *state;
	char *s;

	/* Nothing drawn: clearing writes nothing (a redirected stderr stays byte-identical). */
	cli_progress__clear(f->p);
	slz_progress__pause(cli_progress__hook(f->p));
	s = take(f);
	assert_string_equal(s, "");
	free(s);
	zipping(f, 1, 0);
	free(take(f));
	/* The pause of a workload about to write, and a message, erase the line once. */
	slz_progress__pause(cli_progress__hook(f->p));
	cli_progress__clear(f->p);
	s = take(f);
	assert_string_equal(s, "\r\033[K");
	free(s);
	/* After a clear the next update draws again, even within the interval. */
	zipping(f, 2, 0);
	s = take(f);
	assert_string_equal(s, "\rzipping: 2/392 files, 0 B/183 MiB\033[K");
	free(s);
	/* cli_error erases the line cli.progress drew before its message (on stderr). */
	cli.progress = f->p;
	cli_error("a message");
	s = take(f);
	assert_string_equal(s, "\r\033[K");
	free(s);
	cli.progress = NULL;
}

static void test_null_safe(void **state)
{
	(void)state;
	assert_null(cli_progress__hook(NULL));
	slz_progress__update(NULL, &(struct slz_progress_state){.phase = "zipping"});
	slz_progress__pause(NULL);
	cli_progress__clear(NULL);
	cli_progress__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phase_and_width, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test(test_null_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
