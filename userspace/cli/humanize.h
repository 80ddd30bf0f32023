/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Human-readable numbers for summaries. */
#ifndef SLIMZIP_HUMANIZE_H
#define SLIMZIP_HUMANIZE_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "1.5 KiB", "12.3 MiB", "2.00 GiB". */
const char *humanize_bytes(uint64_t bytes, char *buf, size_t len);
/* "1,234,567". */
const char *humanize_count(uint64_t n, char *buf, size_t len);

#endif
