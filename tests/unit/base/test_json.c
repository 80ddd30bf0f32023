// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A writer on a memory stream; done() closes it and returns what was written. */
struct sink {
	char *buf;
	size_t size;
	FILE *f;
	struct json_writer *w;
};

static struct json_writer *open_sink(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->f = open_memstream(&s->buf, &s->size);
	assert_non_null(s->f);
	assert_int_equal(json_writer__new(s->f, &s->w), 0);
	return s->w;
}

static char *done(struct sink *s)
{
	json_writer__free(s->w);
	fclose(s->f);
	return s->buf;
}

static void test_nesting_places_commas_and_colons(void **state)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);
	char *out;

	assert_int_equal(json_writer__begin_object(w), 0);
	json_writer__key(w, "a");
	json_writer__int(w, 1);
	json_writer__key(w, "b");
	json_writer__begin_array(w);
	json_writer__bool(w, true);
	json_writer__bool(w, false);
	json_writer__null(w);
	json_writer__string(w, "x");
	json_writer__begin_array(w);
	json_writer__end_array(w);
	json_writer__end_array(w);
	json_writer__key(w, "c");
	json_writer__begin_object(w);
	json_writer__end_object(w);
	json_writer__key(w, "d");
	json_writer__string(w, NULL);
	assert_int_equal(json_writer__end_object(w), 0);
	assert_int_equal(json_writer__error(w), 0);
	out = done(&s);
	assert_string_equal(out,
			    "{\"a\":1,\"b\":[true,false,null,\"x\",[]],\"c\":{},\"d\":null}\n");
	free(out);
}

static void test_top_level_values_are_lines(void **state)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);
	char *out;

	json_writer__begin_object(w);
	json_writer__key(w, "n");
	json_writer__uint(w, UINT64_MAX);
	json_writer__end_object(w);
	json_writer__int(w, INT64_MIN);
	json_writer__string(w, "s");
	json_writer__begin_array(w);
	json_writer__int(w, -1);
	json_writer__end_array(w);
	assert_int_equal(json_writer__error(w), 0);
	out = done(&s);
	assert_string_equal(out,
			    "{\"n\":18446744073709551615}\n-9223372036854775808\n\"s\"\n[-1]\n");
	free(out);
}

static void test_fields_are_key_and_value(void **state)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);
	char *out;

	json_writer__begin_object(w);
	assert_int_equal(json_writer__string_field(w, "s", "v"), 0);
	assert_int_equal(json_writer__string_field(w, "n", NULL), 0);
	assert_int_equal(json_writer__int_field(w, "i", -3), 0);
	assert_int_equal(json_writer__uint_field(w, "u", 4), 0);
	json_writer__end_object(w);
	/* a field outside an object is a misuse like a bare key */
	assert_int_equal(json_writer__uint_field(w, "top", 1), -EINVAL);
	out = done(&s);
	assert_string_equal(out, "{\"s\":\"v\",\"n\":null,\"i\":-3,\"u\":4}\n");
	free(out);
}

static char *string_of(const char *in, size_t len)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);

	assert_int_equal(json_writer__string_len(w, in, len), 0);
	return done(&s);
}

static void test_strings_escape_controls_and_raw_bytes(void **state)
{
	char *out;

	out = string_of("q\"b\\n\nt\tc\x01\x1f"
			"d\x7f",
			13);
	assert_string_equal(out, "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001fd\\u007f\"\n");
	free(out);
	/* a NUL inside the given length is a character too */
	out = string_of("a\0b", 3);
	assert_string_equal(out, "\"a\\u0000b\"\n");
	free(out);
	/* valid UTF-8 passes through; each byte of an invalid sequence becomes \udcHH */
	out = string_of("\xc3\xa9|\xff|\xc3|\xe2\x82\xac|\xc0\xaf|\xed\xa0\x80", 17);
	assert_string_equal(out, "\"\xc3\xa9|\\udcff|\\udcc3|\xe2\x82\xac|\\udcc0\\udcaf|"
				 "\\udced\\udca0\\udc80\"\n");
	free(out);
	/* a sequence cut by the end of the string */
	out = string_of("x\xe2\x82", 3);
	assert_string_equal(out, "\"x\\udce2\\udc82\"\n");
	free(out);
}

static void test_keys_are_escaped(void **state)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);
	char *out;

	json_writer__begin_object(w);
	json_writer__key(w, "a\"\n");
	json_writer__int(w, 0);
	json_writer__end_object(w);
	out = done(&s);
	assert_string_equal(out, "{\"a\\\"\\n\":0}\n");
	free(out);
}

/* Each misuse fails, the error sticks, and nothing more is written. */
static void test_array_lines_put_each_element_on_its_line(void **state)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);
	char *out;

	json_writer__begin_object(w);
	json_writer__key(w, "kept");
	json_writer__begin_array_lines(w);
	json_writer__begin_object(w);
	json_writer__int_field(w, "a", 1);
	json_writer__end_object(w);
	json_writer__begin_object(w);
	json_writer__key(w, "b");
	json_writer__begin_array(w); /* a plain array inside stays on the line */
	json_writer__int(w, 2);
	json_writer__int(w, 3);
	json_writer__end_array(w);
	json_writer__end_object(w);
	json_writer__end_array(w);
	json_writer__key(w, "none");
	json_writer__begin_array_lines(w);
	json_writer__end_array(w);
	assert_int_equal(json_writer__end_object(w), 0);
	out = done(&s);
	assert_string_equal(out, "{\"kept\":[\n{\"a\":1},\n{\"b\":[2,3]}\n],\"none\":[\n]}\n");
	free(out);
}

static void expect_misuse(int (*misuse)(struct json_writer *w), int want, const char *written)
{
	struct sink s;
	struct json_writer *w = open_sink(&s);
	char *out;

	assert_int_equal(misuse(w), want);
	assert_int_equal(json_writer__error(w), want);
	assert_int_equal(json_writer__int(w, 5), want);
	assert_int_equal(json_writer__end_object(w), want);
	out = done(&s);
	assert_string_equal(out, written);
	free(out);
}

static int value_without_key(struct json_writer *w)
{
	json_writer__begin_object(w);
	return json_writer__int(w, 1);
}

static int key_in_array(struct json_writer *w)
{
	json_writer__begin_array(w);
	return json_writer__key(w, "k");
}

static int key_at_top(struct json_writer *w)
{
	return json_writer__key(w, "k");
}

static int two_keys(struct json_writer *w)
{
	json_writer__begin_object(w);
	json_writer__key(w, "a");
	return json_writer__key(w, "b");
}

static int wrong_end(struct json_writer *w)
{
	json_writer__begin_array(w);
	return json_writer__end_object(w);
}

static int end_before_value(struct json_writer *w)
{
	json_writer__begin_object(w);
	json_writer__key(w, "a");
	return json_writer__end_object(w);
}

static int end_at_top(struct json_writer *w)
{
	return json_writer__end_array(w);
}

static int too_deep(struct json_writer *w)
{
	int err = 0;

	for (int i = 0; i <= JSON_MAX_DEPTH && !err; i++)
		err = json_writer__begin_array(w);
	return err;
}

static void test_misuse_is_an_error_that_sticks(void **state)
{
	char deep[JSON_MAX_DEPTH + 1];

	expect_misuse(value_without_key, -EINVAL, "{");
	expect_misuse(key_in_array, -EINVAL, "[");
	expect_misuse(key_at_top, -EINVAL, "");
	expect_misuse(two_keys, -EINVAL, "{\"a\":");
	expect_misuse(wrong_end, -EINVAL, "[");
	expect_misuse(end_before_value, -EINVAL, "{\"a\":");
	expect_misuse(end_at_top, -EINVAL, "");
	memset(deep, '[', JSON_MAX_DEPTH);
	deep[JSON_MAX_DEPTH] = '\0';
	expect_misuse(too_deep, -E2BIG, deep);
}

static void test_stream_failure_is_eio(void **state)
{
	FILE *f = fopen("/dev/null", "r"); /* every write fails */
	struct json_writer *w;

	assert_non_null(f);
	assert_int_equal(json_writer__new(f, &w), 0);
	assert_int_equal(json_writer__string(w, "lost"), -EIO);
	assert_int_equal(json_writer__error(w), -EIO);
	assert_int_equal(json_writer__null(w), -EIO);
	json_writer__free(w);
	json_writer__free(NULL);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_places_commas_and_colons),
		cmocka_unit_test(test_top_level_values_are_lines),
		cmocka_unit_test(test_fields_are_key_and_value),
		cmocka_unit_test(test_strings_escape_controls_and_raw_bytes),
		cmocka_unit_test(test_keys_are_escaped),
		cmocka_unit_test(test_array_lines_put_each_element_on_its_line),
		cmocka_unit_test(test_misuse_is_an_error_that_sticks),
		cmocka_unit_test(test_stream_failure_is_eio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
