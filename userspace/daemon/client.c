// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket's client: one request, one reply, a deadline (client.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "client.h"
#include "util.h"

struct daemon_conn {
	int fd;
	struct proto_framer *framer;
};

int daemon_conn__open(const char *path, struct daemon_conn **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct daemon_conn *c;
	int err;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return slz_fail(ENAMETOOLONG, "socket path %s is too long for AF_UNIX", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		return slz_fail(ENOMEM, "out of memory");
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = slz_fail(errno, "socket: %s", strerror(errno));
		goto err;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		if (err == ENOENT || err == ECONNREFUSED)
			err = slz_fail(err,
				       "no daemon answers at %s (%s); start one with 'slimzip "
				       "daemon' or give its --socket",
				       path, strerror(err));
		else if (err == EACCES || err == EPERM)
			err = slz_fail(EACCES,
				       "may not connect to %s: the daemon takes root only, or "
				       "its configured group ([daemon] group =)",
				       path);
		else
			err = slz_fail(err, "cannot connect to %s: %s", path, strerror(err));
		goto err;
	}
	err = proto_framer__new(PROTO_MESSAGE_MAX * 64, &c->framer);
	if (err)
		goto err;
	*out = c;
	return 0;
err:
	daemon_conn__free(c);
	return err;
}

void daemon_conn__free(struct daemon_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	proto_framer__free(c->framer);
	free(c);
}

int daemon_conn__call(struct daemon_conn *c, const struct proto_request *req,
		      struct proto_answer *a)
{
	int64_t deadline = (int64_t)slz_mono_ms() + CLIENT_TIMEOUT_MS;
	char *buf = NULL, chunk[65536];
	const char *msg;
	size_t len, off = 0;
	int err, ret;

	memset(a, 0, sizeof(*a));
	err = proto_request__format(req, &buf, &len);
	if (err)
		return err;
	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * A daemon that refuses a client answers at once and closes: its reply is
		 * waiting to be read even though our request can no longer be sent.
		 */
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (n < 0) {
			err = slz_fail(errno, "cannot send to the daemon: %s", strerror(errno));
			free(buf);
			return err;
		}
		off += (size_t)n;
	}
	free(buf);
	while ((ret = proto_framer__next(c->framer, &msg, &len)) == 0) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int64_t left = deadline - (int64_t)slz_mono_ms();
		ssize_t n;

		if (left <= 0)
			return slz_fail(ETIMEDOUT, "the daemon did not answer %s within %d s",
					proto_method__name(req->method), CLIENT_TIMEOUT_MS / 1000);
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return slz_fail(errno, "poll: %s", strerror(errno));
		}
		if (!p.revents)
			continue;
		n = recv(c->fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return slz_fail(errno, "cannot read the daemon's reply: %s",
					strerror(errno));
		if (n == 0)
			return slz_fail(EPIPE, "the daemon closed the connection without a reply");
		err = proto_framer__feed(c->framer, chunk, (size_t)n);
		if (err)
			return slz_fail(EPROTO, "the daemon's reply is too long");
	}
	if (ret < 0)
		return slz_fail(EPROTO, "the daemon's reply is too long");
	return proto_answer__parse(msg, len, a);
}
