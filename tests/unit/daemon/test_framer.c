// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The framer: whole NUL-terminated messages out of bytes however they arrive. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"

/* Three messages, the middle one empty, as one stream. */
static const char stream[] = "{\"method\":\"io.slimzip.Ping\"}\0\0{\"a\":\"b\"}";
#define STREAM_LEN sizeof(stream) /* the final NUL is the third message's */
static const char *const want[] = {"{\"method\":\"io.slimzip.Ping\"}", "", "{\"a\":\"b\"}"};

/* Drain f, checking each message against want from *got on. */
static void drain(struct proto_framer *f, size_t *got)
{
	const char *msg;
	size_t len;
	int ret;

	while ((ret = proto_framer__next(f, &msg, &len)) == 1) {
		assert_true(*got < ARRAY_SIZE(want));
		assert_int_equal(len, strlen(want[*got]));
		assert_memory_equal(msg, want[*got], len);
		assert_int_equal(msg[len], '\0');
		(*got)++;
	}
	assert_int_equal(ret, 0);
}

/* Split at every offset (and every pair of offsets): the same three messages, in order. */
static void test_every_split(void **state)
{
	for (size_t i = 0; i <= STREAM_LEN; i++) {
		for (size_t j = i; j <= STREAM_LEN; j++) {
			struct proto_framer *f;
			size_t got = 0;

			assert_int_equal(proto_framer__new(PROTO_MESSAGE_MAX, &f), 0);
			assert_int_equal(proto_framer__feed(f, stream, i), 0);
			drain(f, &got);
			assert_int_equal(proto_framer__feed(f, stream + i, j - i), 0);
			drain(f, &got);
			assert_int_equal(proto_framer__feed(f, stream + j, STREAM_LEN - j), 0);
			drain(f, &got);
			assert_int_equal(got, 3);
			assert_int_equal(proto_framer__pending(f), 0);
			proto_framer__free(f);
		}
	}
}

/* One byte at a time: what is begun shows as pending until its NUL. */
static void test_bytewise(void **state)
{
	struct proto_framer *f;
	size_t got = 0;

	assert_int_equal(proto_framer__new(PROTO_MESSAGE_MAX, &f), 0);
	for (size_t i = 0; i < STREAM_LEN; i++) {
		assert_int_equal(proto_framer__feed(f, stream + i, 1), 0);
		drain(f, &got);
	}
	assert_int_equal(got, 3);
	/* Half a message, then the client is gone: it is pending, and costs only its bytes. */
	assert_int_equal(proto_framer__feed(f, "{\"meth", 6), 0);
	assert_int_equal(proto_framer__pending(f), 6);
	drain(f, &got);
	proto_framer__free(f);
	proto_framer__free(NULL);
}

static void test_limit(void **state)
{
	struct proto_framer *f;
	char buf[40];
	const char *msg;
	size_t len;

	/* Exactly max bytes pass, whole or in pieces. */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(proto_framer__new(16, &f), 0);
	buf[16] = '\0';
	assert_int_equal(proto_framer__feed(f, buf, 17), 0);
	assert_int_equal(proto_framer__next(f, &msg, &len), 1);
	assert_int_equal(len, 16);
	assert_int_equal(proto_framer__feed(f, buf, 10), 0);
	assert_int_equal(proto_framer__feed(f, buf, 6), 0);
	/* One more byte without a NUL: over the limit, and failed for good. */
	assert_int_equal(proto_framer__feed(f, buf, 1), -EMSGSIZE);
	assert_non_null(strstr(slz_errmsg(), "longer than 16 bytes"));
	assert_int_equal(proto_framer__next(f, &msg, &len), -EMSGSIZE);
	assert_int_equal(proto_framer__feed(f, "", 1), -EMSGSIZE);
	proto_framer__free(f);

	/* A whole message over the limit in one read fails too, even with its NUL. */
	assert_int_equal(proto_framer__new(16, &f), 0);
	buf[16] = 'x';
	buf[17] = '\0';
	assert_int_equal(proto_framer__feed(f, buf, 18), -EMSGSIZE);
	proto_framer__free(f);

	/* Two messages under the limit in one read, longer than it together: fine. */
	assert_int_equal(proto_framer__new(16, &f), 0);
	memset(buf, 'y', sizeof(buf));
	buf[10] = '\0';
	buf[21] = '\0';
	assert_int_equal(proto_framer__feed(f, buf, 22), 0);
	assert_int_equal(proto_framer__next(f, &msg, &len), 1);
	assert_int_equal(len, 10);
	assert_int_equal(proto_framer__next(f, &msg, &len), 1);
	assert_int_equal(len, 10);
	assert_int_equal(proto_framer__next(f, &msg, &len), 0);
	proto_framer__free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
