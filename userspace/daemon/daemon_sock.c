// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket: AF_UNIX stream, 0600 root's (0660 with the config's group), each client
 * checked by SO_PEERCRED when it connects, non-blocking both ways. Requests come through a
 * framer per client; replies queue until the client takes them, so a slow or vanished client
 * never blocks the loop, and one gone mid-request leaves only its framer to free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "daemon_internal.h"
#include "util.h"

#define READ_CHUNK 65536

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return slz_fail(ENAMETOOLONG,
				"socket path %s is longer than the %zu bytes AF_UNIX takes; set "
				"a shorter socket = in [daemon]",
				path, sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Whether a daemon answers at path: then it is not ours to take over. */
static bool socket_served(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool served;

	if (fd < 0)
		return false;
	served = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return served;
}

int daemon_sock__apply_group(struct daemon *d)
{
	const char *path = d->socket_path;

	if (chown(path, 0, d->has_group ? d->group : 0) || chmod(path, d->has_group ? 0660 : 0600))
		return slz_fail(errno, "cannot set the owner and mode of socket %s: %s", path,
				strerror(errno));
	return 0;
}

int daemon_sock__listen(struct daemon *d)
{
	struct sockaddr_un sa, tmp;
	char *tmp_path = NULL;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->listen_src};
	int fd = -1, err;

	err = sock_addr(d->socket_path, &sa);
	if (err)
		return err;
	if (socket_served(&sa))
		return slz_fail(EADDRINUSE, "another daemon serves %s; stop it first",
				d->socket_path);
	/*
	 * Bound beside the final name, given its owner and mode, then renamed over it: the
	 * socket is never reachable with the mode the umask left, and a stale one of a killed
	 * daemon is replaced in one step.
	 */
	if (asprintf(&tmp_path, "%s.tmp-%d", d->socket_path, (int)getpid()) < 0)
		return slz_fail(ENOMEM, "out of memory");
	err = sock_addr(tmp_path, &tmp);
	if (err)
		goto err;
	unlink(tmp_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&tmp, sizeof(tmp))) {
		err = slz_fail(errno, "cannot make socket %s: %s", d->socket_path, strerror(errno));
		goto err;
	}
	free(d->socket_path);
	d->socket_path = tmp_path;
	err = daemon_sock__apply_group(d);
	d->socket_path = strdup(sa.sun_path);
	if (!d->socket_path)
		err = slz_fail(ENOMEM, "out of memory");
	if (err)
		goto err_unlink;
	if (listen(fd, 64) || rename(tmp_path, sa.sun_path)) {
		err = slz_fail(errno, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		goto err_unlink;
	}
	free(tmp_path);
	d->listen_fd = fd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
		return slz_fail(errno, "epoll: %s", strerror(errno));
	return 0;
err_unlink:
	unlink(tmp_path);
err:
	if (fd >= 0)
		close(fd);
	free(tmp_path);
	return err;
}

static void client_free(struct daemon *d, struct daemon_client *c)
{
	for (struct daemon_client **pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd); /* leaves epoll with it */
	proto_framer__free(c->framer);
	free(c->out);
	free(c);
}

void daemon_sock__close(struct daemon *d)
{
	while (d->clients)
		client_free(d, d->clients);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		if (d->socket_path)
			unlink(d->socket_path);
	}
}

/* Root, or the config's group among the client's groups (its primary one included). */
static bool peer_allowed(struct daemon *d, int fd, const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->uid == 0)
		return true;
	if (!d->has_group)
		return false;
	if (cred->gid == d->group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == d->group)
			return true;
	return false;
}

static void client_update_events(struct daemon *d, struct daemon_client *c)
{
	bool want = c->out_off < c->out_len;
	/*
	 * Not read while its reply waits for a zip: what it sends meanwhile stays in the socket's
	 * buffer, so a client that keeps sending fills that (and blocks), not the daemon's memory.
	 */
	bool read = !c->closing && !c->eof && !c->wait_job;
	struct epoll_event ev = {.events = (read ? EPOLLIN : 0) | (want ? EPOLLOUT : 0),
				 .data.ptr = c};

	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = want;
}

/* Write what is queued; false when the client is gone (and freed). */
static bool client_flush(struct daemon *d, struct daemon_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_free(d, c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_free(d, c);
			return false;
		}
	}
	if (c->want_out != (c->out_off < c->out_len) || c->closing)
		client_update_events(d, c);
	return true;
}

/* Queue a reply (taken: buf is freed). */
static void client_queue(struct daemon *d, struct daemon_client *c, char *buf, size_t len)
{
	size_t need = c->out_len + len;
	char *grown;

	if (need > DAEMON_CLIENT_OUT_MAX) {
		daemon__log(d, DAEMON_LOG_WARN, "a client (uid %u) reads no replies; dropped",
			    (unsigned int)c->uid);
		free(buf);
		c->closing = true;
		c->out_len = c->out_off = 0;
		return;
	}
	grown = realloc(c->out, need);
	if (!grown) {
		free(buf);
		c->closing = true;
		return;
	}
	memcpy(grown + c->out_len, buf, len);
	c->out = grown;
	c->out_len = need;
	free(buf);
}

static void queue_error(struct daemon *d, struct daemon_client *c, enum proto_error e,
			const char *msg, const struct proto_refusal *why)
{
	char *buf;
	size_t len;

	if (!proto_reply__error(e, msg, why, &buf, &len))
		client_queue(d, c, buf, len);
}

void daemon_sock__accept(struct daemon *d)
{
	for (;;) {
		struct daemon_client *c;
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct epoll_event ev = {.events = EPOLLIN};
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return; /* EAGAIN, or a client gone before we took it */
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    proto_framer__new(PROTO_MESSAGE_MAX, &c->framer)) {
			if (c)
				proto_framer__free(c->framer);
			free(c);
			close(fd);
			continue;
		}
		c->kind = SRC_CLIENT;
		c->fd = fd;
		c->uid = cred.uid;
		c->root = cred.uid == 0;
		c->next = d->clients;
		d->clients = c;
		ev.data.ptr = c;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			client_free(d, c);
			continue;
		}
		if (!peer_allowed(d, fd, &cred)) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "uid %u may not use this daemon: only root%s may", cred.uid,
				 d->has_group ? " and the configured group" : "");
			daemon__log(d, DAEMON_LOG_WARN, "refused a client (pid %d): %s",
				    (int)cred.pid, msg);
			queue_error(d, c, PROTO_ERR_PERMISSION_DENIED, msg, NULL);
			c->closing = true;
			client_flush(d, c);
		}
	}
}

/* Answer every whole request the framer holds. */
static void client_requests(struct daemon *d, struct daemon_client *c)
{
	const char *msg;
	size_t len;
	int ret;

	/* A client waiting for a zip is read again once its reply is queued. */
	while (!c->closing && !c->wait_job &&
	       (ret = proto_framer__next(c->framer, &msg, &len)) == 1) {
		struct proto_request req;
		struct proto_refusal why;
		char *buf = NULL;
		size_t blen = 0;

		slz_errclear();
		if (proto_request__parse(msg, len, &req, &why)) {
			queue_error(d, c, why.error, slz_errmsg(), &why);
			continue;
		}
		daemon_methods__handle(d, c, &req, &buf, &blen);
		if (buf && !req.oneway)
			client_queue(d, c, buf, blen);
		else
			free(buf);
		proto_request__release(&req);
	}
	if (c->wait_job)
		client_update_events(d, c);
}

void daemon_sock__client_event(struct daemon *d, struct daemon_client *c, uint32_t events)
{
	char buf[READ_CHUNK];

	if ((events & EPOLLOUT) && !client_flush(d, c))
		return;
	if (c->eof || (c->wait_job && !c->closing)) {
		/*
		 * Not read now (client_update_events): only a hangup comes, the peer gone
		 * altogether, the reply it waited for with it.
		 */
		if (events & (EPOLLHUP | EPOLLERR)) {
			c->closing = true;
			client_flush(d, c);
		}
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	for (;;) {
		ssize_t n;

		if (c->wait_job)
			break; /* a request of this read waits for a zip: read on after its reply */
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* Gone (maybe mid-request): what it sent whole is answered, then it goes.
			 */
			client_requests(d, c);
			/*
			 * Shut for writing only (socat, a script's printf | ...), it still reads:
			 * its reply that waits for a zip is sent, then it goes.
			 */
			if (c->wait_job && !(events & (EPOLLHUP | EPOLLERR))) {
				c->eof = true;
				client_update_events(d, c);
			} else {
				c->closing = true;
			}
			break;
		}
		if (proto_framer__feed(c->framer, buf, (size_t)n) == -EMSGSIZE) {
			queue_error(
				d, c, PROTO_ERR_INVALID_REQUEST,
				"a message is longer than 65536 bytes; the connection is closed",
				NULL);
			c->closing = true;
			break;
		}
		client_requests(d, c);
		if (c->closing)
			break;
	}
	client_flush(d, c);
}

void daemon_sock__answer_job(struct daemon *d, uint64_t job, const struct daemon_outcome *o)
{
	struct daemon_client *c = d->clients, *next;

	for (; c; c = next) {
		char *buf = NULL;
		size_t len = 0;

		next = c->next; /* the flush may free c, never another client */
		if (c->wait_job != job)
			continue;
		c->wait_job = 0;
		if (!daemon_methods__outcome_reply(c->wait_method, o, &buf, &len))
			client_queue(d, c, buf, len);
		client_requests(d, c);
		if (c->eof && !c->wait_job)
			c->closing = true;
		if (!c->wait_job && !c->closing)
			client_update_events(d, c); /* read again */
		client_flush(d, c);
	}
}
