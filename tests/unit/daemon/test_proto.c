// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control protocol's messages: requests in and out, replies out and in, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "util.h"

static int parse(const char *msg, struct proto_request *req, struct proto_refusal *why)
{
	return proto_request__parse(msg, strlen(msg), req, why);
}

static void refused(const char *msg, enum proto_error e, const char *field, const char *part)
{
	struct proto_request req;
	struct proto_refusal why;
	int err = parse(msg, &req, &why);

	if (!err)
		fail_msg("accepted: %s", msg);
	assert_true(err < 0);
	assert_int_equal(why.error, e);
	assert_string_equal(why.field, field);
	if (!strstr(slz_errmsg(), part))
		fail_msg("message '%s' lacks '%s'", slz_errmsg(), part);
	assert_null(req.name);
	assert_null(req.cgroup);
	assert_null(req.output);
}

static void test_parse(void **state)
{
	struct proto_request req;
	struct proto_refusal why;

	assert_int_equal(parse("{\"method\":\"io.slimzip.Add\",\"parameters\":{\"name\":\"ci-1\","
			       "\"cgroup\":\"/ci/job1\"}}",
			       &req, &why),
			 0);
	assert_int_equal(req.method, PROTO_ADD);
	assert_string_equal(req.name, "ci-1");
	assert_string_equal(req.cgroup, "/ci/job1");
	assert_null(req.output);
	assert_false(req.oneway);
	proto_request__release(&req);

	/* Whitespace around, members in any order, oneway, no parameters where none are due. */
	assert_int_equal(
		parse(" { \"oneway\" : true, \"method\" : \"io.slimzip.Ping\" }\n", &req, &why), 0);
	assert_int_equal(req.method, PROTO_PING);
	assert_true(req.oneway);
	proto_request__release(&req);
	assert_int_equal(parse("{\"method\":\"io.slimzip.Status\",\"parameters\":{}}", &req, &why),
			 0);
	assert_null(req.name);
	proto_request__release(&req);
	assert_int_equal(parse("{\"method\":\"io.slimzip.Snapshot\",\"parameters\":{\"name\":\"a\","
			       "\"output\":\"/tmp/a \\u00e9.profile\"}}",
			       &req, &why),
			 0);
	assert_string_equal(req.output, "/tmp/a \xc3\xa9.profile");
	proto_request__release(&req);
	proto_request__release(NULL);
}

static void test_refusals(void **state)
{
	char big[PROTO_MESSAGE_MAX + 64], name[300];

	refused("", PROTO_ERR_INVALID_REQUEST, "", "not JSON");
	refused("{\"method\":", PROTO_ERR_INVALID_REQUEST, "", "not JSON: it ends too early");
	refused("[1,2]", PROTO_ERR_INVALID_REQUEST, "", "not one JSON object");
	refused("{\"method\":\"io.slimzip.Ping\"} {}", PROTO_ERR_INVALID_REQUEST, "", "not JSON");
	refused("{'method':'io.slimzip.Ping'}", PROTO_ERR_INVALID_REQUEST, "", "not JSON");
	refused("{\"method\":\"io.slimzip.Ping\",\"x\":\"\xff\"}", PROTO_ERR_INVALID_REQUEST, "",
		"not JSON");
	refused("{}", PROTO_ERR_INVALID_REQUEST, "method", "no 'method'");
	refused("{\"method\":5}", PROTO_ERR_INVALID_REQUEST, "method", "'method' must be a string");
	refused("{\"method\":\"io.slimzip.Ping\",\"more\":true}", PROTO_ERR_INVALID_REQUEST, "more",
		"unknown member 'more'");
	refused("{\"method\":\"io.slimzip.Ping\",\"oneway\":1}", PROTO_ERR_INVALID_REQUEST,
		"oneway", "'oneway' must be true or false");
	refused("{\"method\":\"io.slimzip.Ping\",\"parameters\":[]}", PROTO_ERR_INVALID_REQUEST,
		"parameters", "'parameters' must be an object");
	refused("{\"method\":\"io.slimzip.Explode\"}", PROTO_ERR_METHOD_NOT_FOUND, "",
		"unknown method 'io.slimzip.Explode'");
	refused("{\"method\":\"io.slimzip.Add\",\"parameters\":{\"name\":\"a\"}}",
		PROTO_ERR_INVALID_PARAMETER, "cgroup",
		"io.slimzip.Add needs the parameter 'cgroup'");
	refused("{\"method\":\"io.slimzip.Add\",\"parameters\":{\"name\":\"a\",\"cgroup\":\"/a\","
		"\"colour\":\"red\"}}",
		PROTO_ERR_INVALID_PARAMETER, "colour",
		"io.slimzip.Add takes no parameter 'colour'");
	/* A parameter of another method is unknown here. */
	refused("{\"method\":\"io.slimzip.Ping\",\"parameters\":{\"name\":\"a\"}}",
		PROTO_ERR_INVALID_PARAMETER, "name", "io.slimzip.Ping takes no parameter 'name'");
	refused("{\"method\":\"io.slimzip.Remove\",\"parameters\":{\"name\":7}}",
		PROTO_ERR_INVALID_PARAMETER, "name",
		"parameter 'name' of io.slimzip.Remove must be "
		"a string");
	refused("{\"method\":\"io.slimzip.Remove\",\"parameters\":{\"name\":null}}",
		PROTO_ERR_INVALID_PARAMETER, "name", "must be a string");
	refused("{\"method\":\"io.slimzip.Remove\",\"parameters\":{\"name\":\"a/b\"}}",
		PROTO_ERR_INVALID_PARAMETER, "name", "'a/b' is not 1 to 255 letters");
	refused("{\"method\":\"io.slimzip.Remove\",\"parameters\":{\"name\":\"..\"}}",
		PROTO_ERR_INVALID_PARAMETER, "name", "is not 1 to 255");
	refused("{\"method\":\"io.slimzip.Remove\",\"parameters\":{\"name\":\"a\\u0000b\"}}",
		PROTO_ERR_INVALID_PARAMETER, "name", "holds a NUL character");
	refused("{\"method\":\"io.slimzip.Add\",\"parameters\":{\"name\":\"a\",\"cgroup\":\"ci\"}}",
		PROTO_ERR_INVALID_PARAMETER, "cgroup", "'ci' is not an absolute path");
	refused("{\"method\":\"io.slimzip.Snapshot\",\"parameters\":{\"name\":\"a\","
		"\"output\":\"x.profile\"}}",
		PROTO_ERR_INVALID_PARAMETER, "output", "not an absolute path");
	/* Deep nesting is refused before anything is built of it. */
	refused("{\"method\":\"io.slimzip.Ping\",\"parameters\":{\"name\":[[[[[[[[]]]]]]]]}}",
		PROTO_ERR_INVALID_REQUEST, "", "not JSON");

	/* Limits: a name of 255 bytes passes, 256 does not; a message over 64 KiB never. */
	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(big, sizeof(big),
		 "{\"method\":\"io.slimzip.Finish\",\"parameters\":{\"name\":\"%s\"}}", name);
	refused(big, PROTO_ERR_INVALID_PARAMETER, "name", "256 bytes, over the 255");
	name[255] = '\0';
	snprintf(big, sizeof(big),
		 "{\"method\":\"io.slimzip.Finish\",\"parameters\":{\"name\":\"%s\"}}", name);
	{
		struct proto_request req;
		struct proto_refusal why;

		assert_int_equal(parse(big, &req, &why), 0);
		assert_int_equal(strlen(req.name), 255);
		proto_request__release(&req);
	}
	{
		size_t n = (size_t)snprintf(big, sizeof(big),
					    "{\"method\":\"io.slimzip.Ping\",\"x\":\"");

		memset(big + n, 'x', PROTO_MESSAGE_MAX);
		big[PROTO_MESSAGE_MAX + 1] = '\0';
		refused(big, PROTO_ERR_INVALID_REQUEST, "", "over the 65536");
	}
	{
		char path[PROTO_PATH_MAX + 2];

		path[0] = '/';
		memset(path + 1, 'p', PROTO_PATH_MAX);
		path[PROTO_PATH_MAX + 1] = '\0';
		snprintf(big, sizeof(big),
			 "{\"method\":\"io.slimzip.Register\",\"parameters\":{\"cgroup\":\"%s\"}}",
			 path);
		refused(big, PROTO_ERR_INVALID_PARAMETER, "cgroup", "4096 bytes, over the 4095");
	}
	/* A NUL inside what should be one message. */
	{
		struct proto_request req;
		struct proto_refusal why;

		assert_int_equal(proto_request__parse("{}\0{}", 5, &req, &why), -EINVAL);
		assert_int_equal(why.error, PROTO_ERR_INVALID_REQUEST);
	}
}

/* What a client formats, the daemon parses back to the same request. */
static void test_request_round_trip(void **state)
{
	const struct proto_request reqs[] = {
		{.method = PROTO_ADD, .name = "ci-1", .cgroup = "/ci/job \"1\"\\"},
		{.method = PROTO_REMOVE, .name = "a"},
		{.method = PROTO_LIST},
		{.method = PROTO_STATUS},
		{.method = PROTO_STATUS, .name = "a"},
		{.method = PROTO_SNAPSHOT, .name = "a", .output = "/tmp/\xc3\xa9\n.profile"},
		{.method = PROTO_FINISH, .name = "a"},
		{.method = PROTO_CHECKPOINT, .name = "a"},
		{.method = PROTO_REGISTER, .cgroup = "/x"},
		{.method = PROTO_REGISTER, .name = "r", .cgroup = "/x"},
		{.method = PROTO_PING, .oneway = true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		struct proto_request back;
		struct proto_refusal why;
		char *buf = NULL;
		size_t len = 0;

		assert_int_equal(proto_request__format(&reqs[i], &buf, &len), 0);
		assert_int_equal(buf[len - 1], '\0');
		assert_int_equal(strlen(buf), len - 1);
		if (proto_request__parse(buf, len - 1, &back, &why))
			fail_msg("%s: %s", buf, slz_errmsg());
		assert_int_equal(back.method, reqs[i].method);
		assert_int_equal(back.oneway, reqs[i].oneway);
		if (reqs[i].name)
			assert_string_equal(back.name, reqs[i].name);
		else
			assert_null(back.name);
		if (reqs[i].cgroup)
			assert_string_equal(back.cgroup, reqs[i].cgroup);
		else
			assert_null(back.cgroup);
		if (reqs[i].output)
			assert_string_equal(back.output, reqs[i].output);
		else
			assert_null(back.output);
		proto_request__release(&back);
		free(buf);
	}
	assert_string_equal(proto_method__name(PROTO_CHECKPOINT), "io.slimzip.Checkpoint");
}

static void test_reply_round_trip(void **state)
{
	const struct target_info t = {.name = "ci-1",
				      .slot = 3,
				      .cgroup_id = 1ull << 40,
				      .cgroup = "/ci/job1",
				      .epoch = 2,
				      .state = TARGET_FINISHING,
				      .source = TARGET_WATCH,
				      .watch = "ci",
				      .linger_ns = 30,
				      .created_ns = 5,
				      .populated_ns = 6,
				      .populated = true};
	struct proto_reply *r;
	struct json_writer *w;
	struct proto_answer a;
	struct json_object *targets, *o, *v;
	char *buf;
	size_t len;

	assert_int_equal(proto_reply__begin(&r, &w), 0);
	json_writer__key(w, "targets");
	json_writer__begin_array(w);
	assert_int_equal(proto__write_target(w, &t), 0);
	json_writer__end_array(w);
	assert_int_equal(proto_reply__end(r, &buf, &len), 0);
	assert_int_equal(buf[len - 1], '\0');
	assert_int_equal(strlen(buf), len - 1);
	assert_string_equal(buf, "{\"parameters\":{\"targets\":[{\"name\":\"ci-1\","
				 "\"cgroup\":\"/ci/job1\",\"cgroupId\":1099511627776,\"slot\":3,"
				 "\"epoch\":2,\"state\":\"finishing\",\"source\":\"watch\","
				 "\"watch\":\"ci\",\"lingerNs\":30,\"createdNs\":5,"
				 "\"populatedNs\":6,\"populated\":true}]}}");
	assert_int_equal(proto_answer__parse(buf, len - 1, &a), 0);
	assert_null(a.error);
	assert_true(json_object_object_get_ex(a.parameters, "targets", &targets));
	o = json_object_array_get_idx(targets, 0);
	assert_true(json_object_object_get_ex(o, "cgroupId", &v));
	assert_int_equal(json_object_get_uint64(v), 1ull << 40);
	/* The getters clients read members with: a member of another type is none. */
	assert_string_equal(proto_answer__string(o, "name"), "ci-1");
	assert_null(proto_answer__string(o, "slot"));
	assert_null(proto_answer__string(NULL, "name"));
	assert_int_equal(proto_answer__u64(o, "cgroupId"), 1ull << 40);
	assert_int_equal(proto_answer__u64(o, "nope"), 0);
	assert_null(proto_answer__object(o, "name"));
	assert_null(proto_answer__object(a.parameters, "targets")); /* an array */
	proto_answer__release(&a);
	free(buf);

	/* A reply given up costs nothing. */
	assert_int_equal(proto_reply__begin(&r, &w), 0);
	proto_reply__free(r);
	proto_reply__free(NULL);
}

static void test_error_replies(void **state)
{
	struct proto_request req;
	struct proto_refusal why;
	struct proto_answer a;
	struct json_object *v;
	char *buf;
	size_t len;

	assert_int_equal(
		parse("{\"method\":\"io.slimzip.Remove\",\"parameters\":{\"name\":1}}", &req, &why),
		-EINVAL);
	assert_int_equal(proto_reply__error(why.error, slz_errmsg(), &why, &buf, &len), 0);
	assert_string_equal(buf, "{\"error\":\"org.varlink.service.InvalidParameter\","
				 "\"parameters\":{\"message\":\"parameter 'name' of "
				 "io.slimzip.Remove must be a string\",\"parameter\":\"name\"}}");
	assert_int_equal(proto_answer__parse(buf, len - 1, &a), 0);
	assert_string_equal(a.error, "org.varlink.service.InvalidParameter");
	assert_string_equal(a.message, "parameter 'name' of io.slimzip.Remove must be a string");
	assert_true(json_object_object_get_ex(a.parameters, "parameter", &v));
	assert_string_equal(json_object_get_string(v), "name");
	proto_answer__release(&a);
	free(buf);

	assert_int_equal(parse("{\"method\":\"io.slimzip.Nope\"}", &req, &why), -EINVAL);
	assert_int_equal(proto_reply__error(why.error, slz_errmsg(), &why, &buf, &len), 0);
	assert_string_equal(buf, "{\"error\":\"org.varlink.service.MethodNotFound\","
				 "\"parameters\":{\"message\":\"unknown method 'io.slimzip.Nope'\","
				 "\"method\":\"io.slimzip.Nope\"}}");
	free(buf);

	/* A daemon's own errors, from the errno its parts return. */
	assert_int_equal(proto_error__from_errno(-ENOENT), PROTO_ERR_NO_SUCH_TARGET);
	assert_int_equal(proto_error__from_errno(-EEXIST), PROTO_ERR_TARGET_EXISTS);
	assert_int_equal(proto_error__from_errno(-ENOSPC), PROTO_ERR_TOO_MANY_TARGETS);
	assert_int_equal(proto_error__from_errno(-EIO), PROTO_ERR_FAILED);
	assert_int_equal(
		proto_reply__error(PROTO_ERR_NO_SUCH_TARGET, "no target named x", NULL, &buf, &len),
		0);
	assert_string_equal(buf, "{\"error\":\"io.slimzip.NoSuchTarget\","
				 "\"parameters\":{\"message\":\"no target named x\"}}");
	assert_int_equal(proto_answer__parse(buf, len - 1, &a), 0);
	assert_string_equal(a.error, "io.slimzip.NoSuchTarget");
	assert_string_equal(a.message, "no target named x");
	proto_answer__release(&a);
	free(buf);

	/* Not a reply. */
	assert_int_equal(proto_answer__parse("{\"error\":1}", 11, &a), -EINVAL);
	assert_int_equal(proto_answer__parse("nope", 4, &a), -EINVAL);
	/* A reply without parameters has an empty object for them. */
	assert_int_equal(proto_answer__parse("{}", 2, &a), 0);
	assert_non_null(a.parameters);
	assert_int_equal(json_object_object_length(a.parameters), 0);
	proto_answer__release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_error_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
