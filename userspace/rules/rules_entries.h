/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The table entry each rules_NAME.c defines, for rules.c's table (and nothing else: a rule
 * reaches the others only through the context). A new rule adds one line here.
 */
#ifndef SLIMZIP_RULES_ENTRIES_H
#define SLIMZIP_RULES_ENTRIES_H

#include "rules_ctx.h"

extern const struct rule rule_python;
extern const struct rule rule_node;
extern const struct rule rule_elf;

#endif
