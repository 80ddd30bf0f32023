// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

enum {
	OPT_NO_RULES = POLICY_OPT_BASE,
	OPT_NO_RULE, /* + the rule's position */
};

#define NO_RULE_PREFIX "no-rule-"

struct option *policy_cli__options(const struct option *own)
{
	size_t nown = 0, names = 0, nrules = rules__count(), n;
	struct option *opts;
	char *text;

	while (own[nown].name)
		nown++;
	for (size_t i = 0; i < nrules; i++)
		names += sizeof(NO_RULE_PREFIX) + strlen(rules__name(i));
	n = nown + nrules + 2;
	/* The option names live right behind the table, so one free() releases both. */
	opts = calloc(1, n * sizeof(*opts) + names);
	if (!opts)
		return NULL;
	memcpy(opts, own, nown * sizeof(*opts));
	text = (char *)(opts + n);
	n = nown;
	for (size_t i = 0; i < nrules; i++) {
		opts[n++] = (struct option){text, no_argument, NULL, OPT_NO_RULE + (int)i};
		text += sprintf(text, NO_RULE_PREFIX "%s", rules__name(i)) + 1;
	}
	opts[n++] = (struct option){"no-rules", no_argument, NULL, OPT_NO_RULES};
	return opts;
}

int policy_cli__parse(struct rules_opts *rules, int c, const char *arg)
{
	if (c == OPT_NO_RULES) {
		rules->off = RULES_ALL_OFF;
		return 0;
	}
	if (c >= OPT_NO_RULE && c < OPT_NO_RULE + (int)rules__count()) {
		rules->off |= 1u << (c - OPT_NO_RULE);
		return 0;
	}
	return 1;
}

void policy_cli__usage(FILE *f, int col)
{
	fputs(" ", f);
	for (size_t i = 0; i < rules__count(); i++)
		fprintf(f, " --" NO_RULE_PREFIX "%s,", rules__name(i));
	fprintf(f, " --no-rules\n%*sswitch closure rules off (all on by default)\n", col, "");
}
