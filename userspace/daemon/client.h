/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The client side of the control socket, for ctl and record --daemon: connect, send one
 * request, read its reply through a framer. Blocking, with a deadline: a daemon that does not
 * answer must not hang a CI job.
 */
#ifndef SLIMZIP_CLIENT_H
#define SLIMZIP_CLIENT_H

#include "conf.h"
#include "proto.h"

#define CLIENT_DEFAULT_SOCKET "/run/slimzip/" CONF_SOCKET_NAME
#define CLIENT_TIMEOUT_MS     (120 * 1000) /* Finish prunes: that may take a while */

struct daemon_conn;

/*
 * Connect to the daemon at path. -ENOENT / -ECONNREFUSED (no daemon there), -EACCES (the
 * socket's mode keeps us out), explained naming the socket.
 */
int daemon_conn__open(const char *path, struct daemon_conn **out);
void daemon_conn__free(struct daemon_conn *c); /* NULL-safe */
/*
 * Send req and read its reply into *a (release it). 0 when a reply came (an error reply
 * too: a->error says), -errno when none did (-EPIPE: the daemon closed the connection,
 * -ETIMEDOUT), explained.
 */
int daemon_conn__call(struct daemon_conn *c, const struct proto_request *req,
		      struct proto_answer *a);

#endif
