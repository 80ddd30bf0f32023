// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's input: the framer and the request parser, which take whatever a
 * client sends. Input: a byte stream. Oracles: fed in two pieces (split where the first byte
 * says), the framer yields exactly the stream's NUL-terminated pieces, and the tail as
 * pending; each message parses into a request that formats and parses back the same, with
 * every string within its limits, or is refused with an error reply that reads back as that
 * error. The stream's first line, as a cgroup name through a watch template, always makes a
 * valid target name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "registry.h"
#include "util.h"

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_message(const char *msg, size_t len)
{
	struct proto_request req, back;
	struct proto_refusal why;
	struct proto_answer ans;
	char *buf = NULL;
	size_t blen = 0;
	int err = proto_request__parse(msg, len, &req, &why);

	if (err) {
		if (err != -EINVAL && err != -E2BIG && err != -ENOMEM)
			abort();
		if (proto_reply__error(why.error, slz_errmsg(), &why, &buf, &blen) ||
		    proto_answer__parse(buf, blen - 1, &ans) ||
		    strcmp(ans.error, proto_error__name(why.error)))
			abort();
		proto_answer__release(&ans);
		free(buf);
		return;
	}
	if ((req.name && !target_name__valid(req.name)) ||
	    (req.cgroup && (req.cgroup[0] != '/' || strlen(req.cgroup) > PROTO_PATH_MAX)) ||
	    (req.output && (req.output[0] != '/' || strlen(req.output) > PROTO_PATH_MAX)))
		abort();
	if (proto_request__format(&req, &buf, &blen) ||
	    proto_request__parse(buf, blen - 1, &back, &why))
		abort();
	if (back.method != req.method || back.oneway != req.oneway ||
	    !same_str(back.name, req.name) || !same_str(back.cgroup, req.cgroup) ||
	    !same_str(back.output, req.output))
		abort();
	proto_request__release(&back);
	proto_request__release(&req);
	free(buf);
}

static void check_name(const uint8_t *data, size_t size)
{
	struct registry *r;
	const uint8_t *nl = memchr(data, '\n', size);
	char *dir = strndup((const char *)data, nl ? (size_t)(nl - data) : size);
	char out[TARGET_NAME_MAX + 1];
	struct name_vars v = {.name = dir, .watch = "w", .id = size, .parent = dir};

	if (!dir || registry__new(4, &r))
		abort();
	for (int i = 0; i < 3; i++) {
		const struct target_spec spec = {
			.name = out, .cgroup_id = (uint64_t)i + 1, .cgroup = "/x"};

		/* The same name three times: the collision rule makes three distinct ones. */
		if (registry__name_for(r, "{name}{parent}", &v, out) || !target_name__valid(out) ||
		    registry__add(r, &spec, NULL))
			abort();
	}
	registry__free(r);
	free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_framer *f;
	const char *msg;
	size_t split = size ? data[0] % (size + 1) : 0, pos = 0, len;
	int ret;

	if (size > 4 * PROTO_MESSAGE_MAX)
		return 0;
	check_name(data, size);
	if (proto_framer__new(PROTO_MESSAGE_MAX, &f))
		abort();
	if (proto_framer__feed(f, data, split) || proto_framer__feed(f, data + split, size - split))
		goto out; /* a piece over the limit: the connection would close */
	while ((ret = proto_framer__next(f, &msg, &len)) == 1) {
		const uint8_t *nul = memchr(data + pos, '\0', size - pos);

		if (!nul || (size_t)(nul - data) - pos != len || memcmp(msg, data + pos, len))
			abort();
		pos += len + 1;
		check_message(msg, len);
	}
	if (ret || memchr(data + pos, '\0', size - pos) || proto_framer__pending(f) != size - pos)
		abort();
out:
	proto_framer__free(f);
	return 0;
}
