// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control protocol's messages: requests parsed with json-c, replies written with ours. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"
#include "util.h"

/*
 * Requests are flat (an object of strings inside an object): json-c refuses anything nested
 * deeper before it builds it. Replies (List) nest a little more.
 */
#define REQUEST_DEPTH_MAX 3
#define REPLY_DEPTH_MAX	  16

enum param {
	P_NAME,
	P_CGROUP,
	P_OUTPUT,
	P_COUNT,
};

enum need {
	NO = 0, /* not a parameter of this method */
	OPT,
	REQ,
};

static const char *const param_names[P_COUNT] = {"name", "cgroup", "output"};

static const struct method {
	const char *name;
	enum need params[P_COUNT];
} methods[PROTO_METHOD_COUNT] = {
	[PROTO_ADD] = {PROTO_INTERFACE ".Add", {[P_NAME] = REQ, [P_CGROUP] = REQ}},
	[PROTO_REMOVE] = {PROTO_INTERFACE ".Remove", {[P_NAME] = REQ}},
	[PROTO_LIST] = {PROTO_INTERFACE ".List"},
	[PROTO_STATUS] = {PROTO_INTERFACE ".Status", {[P_NAME] = OPT}},
	[PROTO_SNAPSHOT] = {PROTO_INTERFACE ".Snapshot", {[P_NAME] = REQ, [P_OUTPUT] = REQ}},
	[PROTO_FINISH] = {PROTO_INTERFACE ".Finish", {[P_NAME] = REQ}},
	[PROTO_CHECKPOINT] = {PROTO_INTERFACE ".Checkpoint", {[P_NAME] = REQ}},
	[PROTO_REGISTER] = {PROTO_INTERFACE ".Register", {[P_NAME] = OPT, [P_CGROUP] = REQ}},
	[PROTO_PING] = {PROTO_INTERFACE ".Ping"},
};

static const char *const error_names[PROTO_ERROR_COUNT] = {
	[PROTO_ERR_INVALID_REQUEST] = PROTO_INTERFACE ".InvalidRequest",
	[PROTO_ERR_METHOD_NOT_FOUND] = "org.varlink.service.MethodNotFound",
	[PROTO_ERR_INVALID_PARAMETER] = "org.varlink.service.InvalidParameter",
	[PROTO_ERR_PERMISSION_DENIED] = "org.varlink.service.PermissionDenied",
	[PROTO_ERR_NO_SUCH_TARGET] = PROTO_INTERFACE ".NoSuchTarget",
	[PROTO_ERR_TARGET_EXISTS] = PROTO_INTERFACE ".TargetExists",
	[PROTO_ERR_TOO_MANY_TARGETS] = PROTO_INTERFACE ".TooManyTargets",
	[PROTO_ERR_NO_SUCH_CGROUP] = PROTO_INTERFACE ".NoSuchCgroup",
	[PROTO_ERR_FAILED] = PROTO_INTERFACE ".Failed",
};

const char *proto_method__name(enum proto_method m)
{
	return m < PROTO_METHOD_COUNT ? methods[m].name : NULL;
}

const char *proto_error__name(enum proto_error e)
{
	return e < PROTO_ERROR_COUNT ? error_names[e] : error_names[PROTO_ERR_FAILED];
}

enum proto_error proto_error__from_errno(int err)
{
	switch (err) {
	case -ENOENT:
		return PROTO_ERR_NO_SUCH_TARGET;
	case -EEXIST:
		return PROTO_ERR_TARGET_EXISTS;
	case -ENOSPC:
		return PROTO_ERR_TOO_MANY_TARGETS;
	case -EPERM:
	case -EACCES:
		return PROTO_ERR_PERMISSION_DENIED;
	case -EINVAL:
		return PROTO_ERR_INVALID_PARAMETER;
	default:
		return PROTO_ERR_FAILED;
	}
}

/* A refusal: the reply to send and slz_errmsg's line. field may be the client's own text. */
static int refuse(struct proto_refusal *why, enum proto_error e, const char *field, int err,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int refuse(struct proto_refusal *why, enum proto_error e, const char *field, int err,
		  const char *fmt, ...)
{
	va_list ap;

	why->error = e;
	snprintf(why->field, sizeof(why->field), "%s", field ? field : "");
	va_start(ap, fmt);
	err = slz_vfail(err, fmt, ap);
	va_end(ap);
	return err;
}

static int take_string(struct json_object *v, enum param p, enum proto_method m, char **out,
		       struct proto_refusal *why)
{
	const char *pn = param_names[p], *s;
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return refuse(why, PROTO_ERR_INVALID_PARAMETER, pn, EINVAL,
			      "parameter '%s' of %s must be a string", pn, methods[m].name);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len))
		return refuse(why, PROTO_ERR_INVALID_PARAMETER, pn, EINVAL,
			      "parameter '%s' holds a NUL character", pn);
	if (p == P_NAME) {
		if (len > TARGET_NAME_MAX)
			return refuse(why, PROTO_ERR_INVALID_PARAMETER, pn, EINVAL,
				      "parameter 'name' is %zu bytes, over the %d a target name "
				      "may have",
				      len, TARGET_NAME_MAX);
		if (!target_name__valid(s))
			return refuse(why, PROTO_ERR_INVALID_PARAMETER, pn, EINVAL,
				      "parameter 'name': '%s' is not 1 to %d letters, digits or "
				      "._+- (nor . or ..)",
				      s, TARGET_NAME_MAX);
	} else {
		if (len > PROTO_PATH_MAX)
			return refuse(why, PROTO_ERR_INVALID_PARAMETER, pn, EINVAL,
				      "parameter '%s' is %zu bytes, over the %d a path may have",
				      pn, len, PROTO_PATH_MAX);
		if (s[0] != '/')
			return refuse(why, PROTO_ERR_INVALID_PARAMETER, pn, EINVAL,
				      "parameter '%s': '%s' is not an absolute path", pn, s);
	}
	*out = strdup(s);
	return *out ? 0 : refuse(why, PROTO_ERR_FAILED, NULL, ENOMEM, "out of memory");
}

static int take_parameters(struct json_object *params, struct proto_request *req,
			   struct proto_refusal *why)
{
	enum proto_method m = req->method;

	if (params) {
		if (!json_object_is_type(params, json_type_object))
			return refuse(why, PROTO_ERR_INVALID_REQUEST, "parameters", EINVAL,
				      "'parameters' must be an object");
		json_object_object_foreach(params, key, v)
		{
			char **slot[P_COUNT] = {&req->name, &req->cgroup, &req->output};
			int p, err;

			for (p = 0; p < P_COUNT; p++)
				if (!strcmp(key, param_names[p]))
					break;
			if (p == P_COUNT || methods[m].params[p] == NO)
				return refuse(why, PROTO_ERR_INVALID_PARAMETER, key, EINVAL,
					      "%s takes no parameter '%.64s'", methods[m].name,
					      key);
			err = take_string(v, (enum param)p, m, slot[p], why);
			if (err)
				return err;
		}
	}
	for (int p = 0; p < P_COUNT; p++) {
		const char *given[P_COUNT] = {req->name, req->cgroup, req->output};

		if (methods[m].params[p] == REQ && !given[p])
			return refuse(why, PROTO_ERR_INVALID_PARAMETER, param_names[p], EINVAL,
				      "%s needs the parameter '%s'", methods[m].name,
				      param_names[p]);
	}
	return 0;
}

static int parse_object(const char *msg, size_t len, int depth, struct json_object **out,
			struct proto_refusal *why)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	*out = NULL;
	if (len > PROTO_MESSAGE_MAX)
		return refuse(why, PROTO_ERR_INVALID_REQUEST, NULL, E2BIG,
			      "message of %zu bytes, over the %u a message may have", len,
			      PROTO_MESSAGE_MAX);
	if (memchr(msg, '\0', len))
		return refuse(why, PROTO_ERR_INVALID_REQUEST, NULL, EINVAL,
			      "message holds a NUL byte before its end");
	tok = json_tokener_new_ex(depth);
	if (!tok)
		return refuse(why, PROTO_ERR_FAILED, NULL, ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, msg, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj || jerr != json_tokener_success) {
		json_object_put(obj);
		return refuse(why, PROTO_ERR_INVALID_REQUEST, NULL, EINVAL,
			      "message is not JSON: %s",
			      jerr == json_tokener_continue ? "it ends too early"
							    : json_tokener_error_desc(jerr));
	}
	while (end < len && strchr(" \t\r\n", msg[end]))
		end++;
	if (end < len || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return refuse(why, PROTO_ERR_INVALID_REQUEST, NULL, EINVAL,
			      "message is not one JSON object");
	}
	*out = obj;
	return 0;
}

int proto_request__parse(const char *msg, size_t len, struct proto_request *req,
			 struct proto_refusal *why)
{
	struct json_object *obj, *params = NULL;
	const char *method = NULL;
	int err;

	memset(req, 0, sizeof(*req));
	memset(why, 0, sizeof(*why));
	err = parse_object(msg, len, REQUEST_DEPTH_MAX, &obj, why);
	if (err)
		return err;
	json_object_object_foreach(obj, key, v)
	{
		if (!strcmp(key, "method")) {
			if (!json_object_is_type(v, json_type_string)) {
				err = refuse(why, PROTO_ERR_INVALID_REQUEST, key, EINVAL,
					     "'method' must be a string");
				goto out;
			}
			method = json_object_get_string(v);
		} else if (!strcmp(key, "parameters")) {
			params = v;
		} else if (!strcmp(key, "oneway")) {
			if (!json_object_is_type(v, json_type_boolean)) {
				err = refuse(why, PROTO_ERR_INVALID_REQUEST, key, EINVAL,
					     "'oneway' must be true or false");
				goto out;
			}
			req->oneway = json_object_get_boolean(v);
		} else {
			/* varlink's "more" and "upgrade" too: no method here streams or upgrades.
			 */
			err = refuse(why, PROTO_ERR_INVALID_REQUEST, key, EINVAL,
				     "unknown member '%.64s' in the request", key);
			goto out;
		}
	}
	if (!method) {
		err = refuse(why, PROTO_ERR_INVALID_REQUEST, "method", EINVAL,
			     "the request has no 'method'");
		goto out;
	}
	for (req->method = 0; req->method < PROTO_METHOD_COUNT; req->method++)
		if (!strcmp(method, methods[req->method].name))
			break;
	if (req->method == PROTO_METHOD_COUNT) {
		snprintf(why->method, sizeof(why->method), "%s", method);
		err = refuse(why, PROTO_ERR_METHOD_NOT_FOUND, NULL, EINVAL,
			     "unknown method '%.64s'", method);
		goto out;
	}
	err = take_parameters(params, req, why);
out:
	json_object_put(obj);
	if (err)
		proto_request__release(req);
	return err;
}

void proto_request__release(struct proto_request *req)
{
	if (!req)
		return;
	free(req->name);
	free(req->cgroup);
	free(req->output);
	req->name = req->cgroup = req->output = NULL;
}

struct proto_reply {
	FILE *f;
	char *buf;
	size_t len;
	struct json_writer *w;
};

void proto_reply__free(struct proto_reply *r)
{
	if (!r)
		return;
	json_writer__free(r->w);
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r);
}

static int reply_open(struct proto_reply **out)
{
	struct proto_reply *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return slz_fail(ENOMEM, "out of memory");
	r->f = open_memstream(&r->buf, &r->len);
	if (!r->f || json_writer__new(r->f, &r->w)) {
		proto_reply__free(r);
		return slz_fail(ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

/* Close the stream and hand out its text with its NUL in place of the writer's newline. */
static int reply_close(struct proto_reply *r, char **buf, size_t *len)
{
	int err = json_writer__error(r->w);

	if (fclose(r->f) && !err)
		err = -ENOMEM;
	r->f = NULL;
	if (!err && (!r->len || r->buf[r->len - 1] != '\n'))
		err = -EIO;
	if (err) {
		proto_reply__free(r);
		return slz_fail(-err, "cannot write the reply");
	}
	r->buf[r->len - 1] = '\0';
	*buf = r->buf;
	*len = r->len;
	r->buf = NULL;
	proto_reply__free(r);
	return 0;
}

int proto_reply__begin(struct proto_reply **out, struct json_writer **w)
{
	int err = reply_open(out);

	if (err)
		return err;
	json_writer__begin_object((*out)->w);
	json_writer__key((*out)->w, "parameters");
	json_writer__begin_object((*out)->w);
	*w = (*out)->w;
	return 0;
}

int proto_reply__end(struct proto_reply *r, char **buf, size_t *len)
{
	json_writer__end_object(r->w);
	json_writer__end_object(r->w);
	return reply_close(r, buf, len);
}

int proto_reply__error(enum proto_error e, const char *message, const struct proto_refusal *why,
		       char **buf, size_t *len)
{
	struct proto_reply *r;
	struct json_writer *w;
	int err = reply_open(&r);

	if (err)
		return err;
	w = r->w;
	json_writer__begin_object(w);
	json_writer__string_field(w, "error", proto_error__name(e));
	json_writer__key(w, "parameters");
	json_writer__begin_object(w);
	json_writer__string_field(w, "message", message ? message : "");
	if (why && e == PROTO_ERR_METHOD_NOT_FOUND)
		json_writer__string_field(w, "method", why->method);
	else if (why && why->field[0])
		json_writer__string_field(w, "parameter", why->field);
	json_writer__end_object(w);
	json_writer__end_object(w);
	return reply_close(r, buf, len);
}

int proto__write_target(struct json_writer *w, const struct target_info *t)
{
	json_writer__begin_object(w);
	json_writer__string_field(w, "name", t->name);
	json_writer__string_field(w, "cgroup", t->cgroup);
	json_writer__uint_field(w, "cgroupId", t->cgroup_id);
	json_writer__uint_field(w, "slot", t->slot);
	json_writer__uint_field(w, "epoch", t->epoch);
	/* A finished target whose zip is being written off the loop: "pruning" until it lands. */
	json_writer__string_field(w, "state",
				  t->state == TARGET_FINISHED && t->pruning
					  ? "pruning"
					  : target_state__name(t->state));
	json_writer__string_field(w, "source", target_source__name(t->source));
	if (t->watch)
		json_writer__string_field(w, "watch", t->watch);
	json_writer__uint_field(w, "lingerNs", t->linger_ns);
	json_writer__uint_field(w, "createdNs", t->created_ns);
	json_writer__uint_field(w, "populatedNs", t->populated_ns);
	json_writer__key(w, "populated");
	json_writer__bool(w, t->populated);
	return json_writer__end_object(w);
}

int proto_request__format(const struct proto_request *req, char **buf, size_t *len)
{
	const char *given[P_COUNT] = {req->name, req->cgroup, req->output};
	struct proto_reply *r;
	struct json_writer *w;
	int err;

	if (req->method >= PROTO_METHOD_COUNT)
		return slz_fail(EINVAL, "unknown method %d", (int)req->method);
	err = reply_open(&r);
	if (err)
		return err;
	w = r->w;
	json_writer__begin_object(w);
	json_writer__string_field(w, "method", methods[req->method].name);
	json_writer__key(w, "parameters");
	json_writer__begin_object(w);
	for (int p = 0; p < P_COUNT; p++)
		if (given[p])
			json_writer__string_field(w, param_names[p], given[p]);
	json_writer__end_object(w);
	if (req->oneway) {
		json_writer__key(w, "oneway");
		json_writer__bool(w, true);
	}
	json_writer__end_object(w);
	return reply_close(r, buf, len);
}

int proto_answer__parse(const char *msg, size_t len, struct proto_answer *a)
{
	struct proto_refusal why;
	struct json_object *obj, *v;
	int err;

	memset(a, 0, sizeof(*a));
	err = parse_object(msg, len, REPLY_DEPTH_MAX, &obj, &why);
	if (err)
		return slz_fail(-err, "the daemon's reply is not valid: %s", slz_errmsg());
	if (json_object_object_get_ex(obj, "error", &v)) {
		if (!json_object_is_type(v, json_type_string))
			goto bad;
		a->error = strdup(json_object_get_string(v));
		if (!a->error)
			goto nomem;
	}
	if (json_object_object_get_ex(obj, "parameters", &v)) {
		if (!json_object_is_type(v, json_type_object))
			goto bad;
		a->parameters = json_object_get(v);
	} else {
		a->parameters = json_object_new_object();
		if (!a->parameters)
			goto nomem;
	}
	if (a->error && json_object_object_get_ex(a->parameters, "message", &v) &&
	    json_object_is_type(v, json_type_string)) {
		a->message = strdup(json_object_get_string(v));
		if (!a->message)
			goto nomem;
	}
	json_object_put(obj);
	return 0;
bad:
	json_object_put(obj);
	proto_answer__release(a);
	return slz_fail(EINVAL, "the daemon's reply is not a varlink reply");
nomem:
	json_object_put(obj);
	proto_answer__release(a);
	return slz_fail(ENOMEM, "out of memory");
}

void proto_answer__release(struct proto_answer *a)
{
	if (!a)
		return;
	free(a->error);
	free(a->message);
	json_object_put(a->parameters);
	memset(a, 0, sizeof(*a));
}

const char *proto_answer__string(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

uint64_t proto_answer__u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_uint64(v) : 0;
}

struct json_object *proto_answer__object(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
			       json_object_is_type(v, json_type_object)
		       ? v
		       : NULL;
}
