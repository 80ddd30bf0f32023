// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

static char *text_escape(const char *s, size_t len, bool space)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	assert_int_equal(escape__text(f, s, len, space), 0);
	fclose(f);
	return buf;
}

static void test_text_escapes_line_breaking_bytes(void **state)
{
	char *out = text_escape("a\nb\\c\td\re\x01\x7f", 11, false);

	assert_string_equal(out, "a\\nb\\\\c\\td\\re\\x01\\x7f");
	free(out);
	out = text_escape("has space", 9, true);
	assert_string_equal(out, "has\\x20space");
	free(out);
	out = text_escape("has space", 9, false);
	assert_string_equal(out, "has space");
	free(out);
}

static void test_text_round_trip_every_byte(void **state)
{
	char raw[255];
	char *esc;
	long n;

	for (int i = 0; i < 255; i++)
		raw[i] = (char)(i + 1); /* every byte but NUL */
	esc = text_escape(raw, sizeof(raw), true);
	assert_null(strchr(esc, '\n'));
	assert_null(strchr(esc, ' '));
	n = escape__text_decode(esc);
	assert_int_equal(n, sizeof(raw));
	assert_memory_equal(esc, raw, sizeof(raw));
	free(esc);
}

static char *term_escape_bs(const char *s, size_t len, bool backslash)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	assert_int_equal(escape__term(f, s, len, backslash), 0);
	fclose(f);
	return buf;
}

static char *term_escape(const char *s, size_t len)
{
	return term_escape_bs(s, len, true);
}

/* Nothing a terminal obeys gets through, and valid UTF-8 text stays readable. */
static void test_term_escapes_what_a_terminal_obeys(void **state)
{
	/* ESC ] 0 ; title BEL, a CSI, a newline, a backslash, DEL */
	char *out = term_escape("a\x1b]0;t\x07"
				"b\x1b[2Jc\nd\\e\x7f",
				18);

	assert_string_equal(out, "a\\x1b]0;t\\x07b\\x1b[2Jc\\nd\\\\e\\x7f");
	free(out);
	/* Invalid UTF-8 (a Latin-1 byte, a cut sequence, an overlong '/'), and C1 CSI (U+009B). */
	out = term_escape("caf\xe9 x\xe2\x82 \xc0\xaf \xc2\x9bm", 15);
	assert_string_equal(out, "caf\\xe9 x\\xe2\\x82 \\xc0\\xaf \\xc2\\x9bm");
	free(out);
	/* Valid UTF-8 passes: é, €, an emoji, a no-break space (U+00A0, past the C1 range). */
	out = term_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc2\xa0", 11);
	assert_string_equal(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc2\xa0");
	free(out);
	/* Messages keep the backslashes they quote; the rest is escaped alike. */
	out = term_escape_bs("holds \\u0000\x1b", 13, false);
	assert_string_equal(out, "holds \\u0000\\x1b");
	free(out);
	/* Every byte alone: only printable ASCII is left as it is. */
	for (int c = 1; c < 256; c++) {
		char in = (char)c;

		out = term_escape(&in, 1);
		if (c >= 0x20 && c < 0x7f && c != '\\')
			assert_int_equal(strlen(out), 1);
		else
			assert_true(out[0] == '\\' && strlen(out) >= 2);
		free(out);
	}
}

static void test_is_utf8(void **state)
{
	assert_true(escape__is_utf8("plain/ascii.py", 14));
	assert_true(escape__is_utf8("caf\xc3\xa9", 5));
	assert_false(escape__is_utf8("caf\xe9", 4));
	assert_false(escape__is_utf8("\xed\xa0\x80", 3)); /* a UTF-16 surrogate */
	assert_true(escape__is_utf8("", 0));
}

static void test_text_decode_rejects_bad_escapes(void **state)
{
	char a[] = "bad\\q", b[] = "short\\x4", c[] = "trail\\";

	assert_int_equal(escape__text_decode(a), -EINVAL);
	assert_int_equal(escape__text_decode(b), -EINVAL);
	assert_int_equal(escape__text_decode(c), -EINVAL);
}

static char *json_escape(const char *s, size_t len)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	assert_int_equal(escape__json(f, s, len), 0);
	fclose(f);
	return buf;
}

static void test_json_escape_and_decode(void **state)
{
	const char raw[] = "q\"b\\n\nt\tc\x01 \xc3\xa9 \xf0\x9f\x98\x80 bad\xff\xc3";
	char *esc = json_escape(raw, sizeof(raw) - 1), *out;
	const char *p = esc;
	size_t len;

	assert_string_equal(esc, "\"q\\\"b\\\\n\\nt\\tc\\u0001 \xc3\xa9 \xf0\x9f\x98\x80 "
				 "bad\\udcff\\udcc3\"");
	assert_int_equal(escape__json_decode(&p, &out, &len), 0);
	assert_int_equal(len, sizeof(raw) - 1);
	assert_memory_equal(out, raw, len);
	assert_int_equal(*p, '\0');
	free(out);
	free(esc);
}

static void test_json_decode_standard_escapes(void **state)
{
	const char *in = "\"\\u00e9\\ud83d\\ude00\\/x\"rest";
	char *out;
	size_t len;

	assert_int_equal(escape__json_decode(&in, &out, &len), 0);
	assert_string_equal(out, "\xc3\xa9\xf0\x9f\x98\x80/x");
	assert_string_equal(in, "rest");
	free(out);
}

static void test_json_decode_rejects_malformed(void **state)
{
	const char *cases[] = {"noquote", "\"unterminated", "\"\\x41\"", "\"\\ud83d alone\"",
			       "\"\\u12\""};
	char *out;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i];

		assert_int_equal(escape__json_decode(&p, &out, &len), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes_line_breaking_bytes),
		cmocka_unit_test(test_text_round_trip_every_byte),
		cmocka_unit_test(test_text_decode_rejects_bad_escapes),
		cmocka_unit_test(test_term_escapes_what_a_terminal_obeys),
		cmocka_unit_test(test_is_utf8),
		cmocka_unit_test(test_json_escape_and_decode),
		cmocka_unit_test(test_json_decode_standard_escapes),
		cmocka_unit_test(test_json_decode_rejects_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
