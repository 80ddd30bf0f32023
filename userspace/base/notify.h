/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The service manager's readiness protocol (systemd's sd_notify(3)): one datagram of
 * "KEY=VALUE\n..." lines to the AF_UNIX socket $NOTIFY_SOCKET names, a path or, with a leading
 * '@', an abstract name. Written here rather than linked from libsystemd: the protocol is
 * systemd's documented, stable interface (sd_notify(3) invites reimplementing it), and
 * libsystemd brought seven shared libraries (libgcrypt, libcap, liblz4...) to every slimzip
 * start, 1.5 ms of CPU per command measured (BENCHMARKS.md), for one sendto() in the daemon.
 */
#ifndef SLIMZIP_NOTIFY_H
#define SLIMZIP_NOTIFY_H

/*
 * Send state ("READY=1", "STATUS=...") to $NOTIFY_SOCKET. 0 when sent or when the variable is
 * unset or empty (not under a service manager: nothing to tell); -EAFNOSUPPORT for an address
 * that is neither a path nor '@name' (e.g. systemd's vsock: form), -ENAMETOOLONG for one that
 * does not fit, else the socket's -errno. Never prints.
 */
int notify__send(const char *state);

#endif
