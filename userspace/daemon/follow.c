// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Register, Finish, Remove of one cgroup for its client (follow.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "follow.h"
#include "profile_io.h"
#include "util.h"

struct daemon_follow {
	char *socket;
	char *name;
	char *profile; /* the Finish reply's */
	bool done;     /* finished: the daemon's now */
};

/* The errno of a reply's error: the inverse of proto_error__from_errno. */
static int errno_of(const char *error)
{
	static const struct {
		enum proto_error e;
		int err;
	} map[] = {
		{PROTO_ERR_TOO_MANY_TARGETS, ENOSPC},  {PROTO_ERR_TARGET_EXISTS, EEXIST},
		{PROTO_ERR_NO_SUCH_TARGET, ENOENT},    {PROTO_ERR_NO_SUCH_CGROUP, ENOENT},
		{PROTO_ERR_PERMISSION_DENIED, EACCES}, {PROTO_ERR_INVALID_PARAMETER, EINVAL},
		{PROTO_ERR_INVALID_REQUEST, EINVAL},   {PROTO_ERR_METHOD_NOT_FOUND, EINVAL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (!strcmp(error, proto_error__name(map[i].e)))
			return map[i].err;
	}
	return EIO;
}

/* One request, one reply; an error reply is -errno with the daemon's message. */
static int call(const char *socket, const struct proto_request *req, struct proto_answer *a)
{
	struct daemon_conn *c = NULL;
	int err = daemon_conn__open(socket, &c);

	memset(a, 0, sizeof(*a));
	if (!err)
		err = daemon_conn__call(c, req, a);
	daemon_conn__free(c);
	if (err || !a->error)
		return err;
	err = slz_fail(errno_of(a->error), "the daemon refused %s: %s (%s)",
		       proto_method__name(req->method), a->message ? a->message : "no reason given",
		       a->error);
	proto_answer__release(a);
	return err;
}

int daemon__ping(const char *socket)
{
	struct proto_request req = {.method = PROTO_PING};
	struct proto_answer a;
	int err = call(socket, &req, &a);

	proto_answer__release(&a);
	return err;
}

int daemon_follow__start(const char *socket, const char *cgroup, const char *name,
			 struct daemon_follow **out)
{
	struct proto_request req = {
		.method = PROTO_REGISTER, .name = (char *)name, .cgroup = (char *)cgroup};
	struct daemon_follow *f;
	struct json_object *t = NULL;
	struct proto_answer a;
	const char *got;
	int err;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->socket = strdup(socket))) {
		free(f);
		return slz_fail(ENOMEM, "out of memory");
	}
	err = call(socket, &req, &a);
	if (err) {
		daemon_follow__free(f);
		return err;
	}
	json_object_object_get_ex(a.parameters, "target", &t);
	got = proto_answer__string(t, "name");
	f->name = got ? strdup(got) : NULL;
	proto_answer__release(&a);
	if (!f->name) {
		/* Followed under a name we cannot tell: nobody could finish or remove it. */
		daemon_follow__free(f);
		return slz_fail(EPROTO, "the daemon's Register reply names no target");
	}
	*out = f;
	return 0;
}

const char *daemon_follow__name(const struct daemon_follow *f)
{
	return f->name;
}

int daemon_follow__finish(struct daemon_follow *f, struct profile **out, const char **path_out)
{
	struct proto_request req = {.method = PROTO_FINISH, .name = f->name};
	struct proto_answer a;
	const char *path;
	int err;

	*out = NULL;
	err = call(f->socket, &req, &a);
	/* Asked to finish: whatever the answer, removing it after would be wrong. */
	f->done = true;
	if (err)
		return err;
	path = proto_answer__string(a.parameters, "profile");
	f->profile = path ? strdup(path) : NULL;
	proto_answer__release(&a);
	if (!f->profile)
		return slz_fail(path ? ENOMEM : EPROTO, "the daemon wrote no profile for target %s",
				f->name);
	err = profile__read(f->profile, out);
	if (err)
		return slz_fail(-err, "cannot read the daemon's profile %s of target %s: %s",
				f->profile, f->name, slz_errmsg());
	if (path_out)
		*path_out = f->profile;
	return 0;
}

void daemon_follow__free(struct daemon_follow *f)
{
	if (!f)
		return;
	if (f->name && !f->done) {
		struct proto_request req = {.method = PROTO_REMOVE, .name = f->name};
		struct proto_answer a;

		/* A target that will never finish: the daemon forgets it, writes nothing. */
		call(f->socket, &req, &a);
		proto_answer__release(&a);
	}
	free(f->socket);
	free(f->name);
	free(f->profile);
	free(f);
}
