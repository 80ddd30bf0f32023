/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internal to the ELF rule: the magic of the kept files, read side by side (rules_elf_magic.c). */
#ifndef SLIMZIP_RULES_ELF_MAGIC_H
#define SLIMZIP_RULES_ELF_MAGIC_H

#include <stdint.h>

#include "rules_ctx.h"

/*
 * Set not_elf[idx] (c->n bytes) for every kept regular file of at least min_size bytes whose
 * first bytes are not the ELF magic (or which is shorter than it), reading them on one thread
 * per online CPU; entries already set, unopenable files and objects stay as they are. With
 * few such files, or one CPU, it reads nothing: the caller's lazy reads then decide. Nothing
 * is counted or explained.
 */
void rules_elf__prefetch_magic(struct rules_ctx *c, uint8_t *not_elf, uint32_t min_size);

#endif
