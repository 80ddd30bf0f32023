/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The control protocol (docs/PROTOCOL.md): varlink's wire format on an AF_UNIX stream. Each
 * message is one JSON object followed by a NUL byte:
 *   request  {"method":"io.slimzip.Add","parameters":{"name":"ci-1","cgroup":"/ci/job1"}}
 *   reply    {"parameters":{...}}
 *   error    {"error":"io.slimzip.NoSuchTarget","parameters":{"message":"..."}}
 * Requests are parsed with json-c into a plain struct (strings copied, sizes bounded);
 * replies are written with the project's one JSON writer (base/json.h). Both directions are
 * here, so ctl and the daemon speak the same protocol and the tests can round-trip it.
 */
#ifndef SLIMZIP_PROTO_H
#define SLIMZIP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "registry.h"

#define PROTO_INTERFACE	  "io.slimzip"
#define PROTO_MESSAGE_MAX (64u << 10) /* bytes of one message, its NUL not counted */
#define PROTO_PATH_MAX	  4095	      /* bytes of a cgroup or output path */

enum proto_method {
	PROTO_ADD,	  /* name, cgroup: follow an existing cgroup */
	PROTO_REMOVE,	  /* name: stop following, write nothing */
	PROTO_LIST,	  /* every target */
	PROTO_STATUS,	  /* name (optional): one target, or the daemon's counters */
	PROTO_SNAPSHOT,	  /* name, output: the profile so far, to output */
	PROTO_FINISH,	  /* name: end the target, write its profile (and zip) */
	PROTO_CHECKPOINT, /* name: a new epoch (the profile so far is written) */
	PROTO_REGISTER,	  /* cgroup, name (optional): record --daemon's cgroup, before CMD */
	PROTO_PING,
	PROTO_METHOD_COUNT,
};

/* The errors a reply may carry, with their wire names. */
enum proto_error {
	PROTO_ERR_INVALID_REQUEST,  /* io.slimzip.InvalidRequest: not JSON, too large, not an object
				     */
	PROTO_ERR_METHOD_NOT_FOUND, /* org.varlink.service.MethodNotFound */
	PROTO_ERR_INVALID_PARAMETER, /* org.varlink.service.InvalidParameter */
	PROTO_ERR_PERMISSION_DENIED, /* org.varlink.service.PermissionDenied */
	PROTO_ERR_NO_SUCH_TARGET,    /* io.slimzip.NoSuchTarget */
	PROTO_ERR_TARGET_EXISTS,     /* io.slimzip.TargetExists */
	PROTO_ERR_TOO_MANY_TARGETS,  /* io.slimzip.TooManyTargets */
	PROTO_ERR_NO_SUCH_CGROUP,    /* io.slimzip.NoSuchCgroup */
	PROTO_ERR_FAILED,	     /* io.slimzip.Failed: the daemon could not do it (message) */
	PROTO_ERROR_COUNT,
};

struct proto_request {
	enum proto_method method;
	bool oneway; /* the client wants no reply */
	/* NULL when not given; each checked as the method wants it, copied (free: release). */
	char *name;   /* a target name (registry.h's alphabet) */
	char *cgroup; /* an absolute cgroup path */
	char *output; /* an absolute file path */
};

/* Why a request was refused: the reply to send (error, and the parameter at fault or NULL). */
struct proto_refusal {
	enum proto_error error;
	char field[64];	 /* the parameter or member at fault ("" for none; cut) */
	char method[64]; /* PROTO_ERR_METHOD_NOT_FOUND: the method asked for (cut) */
};

/*
 * Parse one message (len bytes, no NUL among them; the framer's output). 0, or -EINVAL /
 * -E2BIG / -ENOMEM with slz_errmsg saying what is wrong, naming the field, and *why set to
 * the error reply to send. Unknown members and parameters, wrong types, missing required
 * parameters, names over TARGET_NAME_MAX, paths over PROTO_PATH_MAX or not absolute, and
 * strings holding NUL are refused. On failure req holds nothing to release.
 */
int proto_request__parse(const char *msg, size_t len, struct proto_request *req,
			 struct proto_refusal *why);
void proto_request__release(struct proto_request *req); /* NULL-safe */
/* A request as a client sends it, NUL included: *buf (malloc'd) of *len bytes. */
int proto_request__format(const struct proto_request *req, char **buf, size_t *len);

const char *proto_method__name(enum proto_method m); /* "io.slimzip.Add" */
const char *proto_error__name(enum proto_error e);
/* The error for a registry/daemon errno: -ENOENT NoSuchTarget, -EEXIST TargetExists, ... */
enum proto_error proto_error__from_errno(int err);

/*
 * A reply: begin gives a writer inside {"parameters":{ ... for the caller's members; end
 * closes it and hands out the message, NUL included (*buf malloc'd, *len bytes). The writer
 * is freed by end (or by proto_reply__free, for a reply given up).
 */
struct proto_reply;
int proto_reply__begin(struct proto_reply **out, struct json_writer **w);
int proto_reply__end(struct proto_reply *r, char **buf, size_t *len);
void proto_reply__free(struct proto_reply *r); /* NULL-safe */
/* An error reply: {"error":NAME,"parameters":{"message":...[,"parameter"|"method":...]}}. */
int proto_reply__error(enum proto_error e, const char *message, const struct proto_refusal *why,
		       char **buf, size_t *len);
/* One target as List and Status describe it (an object), for a reply's writer. */
int proto__write_target(struct json_writer *w, const struct target_info *t);

/*
 * A reply as a client reads it: error (NULL on success) and its message, and the parameters
 * object (json-c's, to read with its getters). -EINVAL when it is not a reply.
 */
struct json_object;
struct proto_answer {
	char *error;
	char *message;
	struct json_object *parameters; /* never NULL after a parse */
};
int proto_answer__parse(const char *msg, size_t len, struct proto_answer *a);
void proto_answer__release(struct proto_answer *a); /* NULL-safe */
/*
 * Members of a reply's parameters (or of an object in them), the getters every client reads
 * them with: a string member or NULL, a number member or 0, an object member or NULL (also
 * when o is NULL or the member has another type).
 */
const char *proto_answer__string(struct json_object *o, const char *key);
uint64_t proto_answer__u64(struct json_object *o, const char *key);
struct json_object *proto_answer__object(struct json_object *o, const char *key);

/*
 * The incremental framer: bytes as they arrive from a socket in, whole messages out. A
 * client may send half a message or several at once.
 */
struct proto_framer;
/* max: the longest message (PROTO_MESSAGE_MAX for requests). */
int proto_framer__new(size_t max, struct proto_framer **out);
void proto_framer__free(struct proto_framer *f); /* NULL-safe */
/*
 * Take len bytes. -EMSGSIZE when a message grows past max: the stream cannot be resynced,
 * so the connection gets an error reply and is closed; the framer stays failed.
 */
int proto_framer__feed(struct proto_framer *f, const void *buf, size_t len);
/*
 * The next whole message: 1 and *msg (len bytes, NUL-terminated, valid until the next feed
 * or next), 0 when none is complete yet, -EMSGSIZE once failed.
 */
int proto_framer__next(struct proto_framer *f, const char **msg, size_t *len);
/* Bytes of a message begun and not complete (a client gone mid-request leaves these). */
size_t proto_framer__pending(const struct proto_framer *f);

#endif
