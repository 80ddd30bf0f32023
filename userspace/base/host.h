/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Facts about the machine we run on, as the recorder and the pruner both need them. */
#ifndef SLIMZIP_HOST_H
#define SLIMZIP_HOST_H

#include <stddef.h>

/*
 * This boot's id (/proc/sys/kernel/random/boot_id, without the newline) into buf: dev/ino
 * recorded in another boot, or on another host, mean nothing here. 0, or -errno (-EIO when the
 * file is empty).
 */
int host__boot_id(char *buf, size_t len);

#endif
