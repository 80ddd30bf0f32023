// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "policy.h"

/* Not in any command's own table: main.c's options, also taken after the subcommand. */
static const struct option globals[] = {
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
};

int cli_getopt__init(struct cli_getopt *g, const char *cmd, const char *shortopts,
		     const struct option *opts, const int *repeatable)
{
	size_t n = 0, lead = strspn(shortopts, "+-:");

	memset(g, 0, sizeof(*g));
	g->cmd = cmd;
	g->repeatable = repeatable;
	while (opts[n].name)
		n++;
	if (n + 2 > CLI_GETOPT_MAX || strlen(shortopts) + 3 > sizeof(g->shortopts))
		return -E2BIG;
	memcpy(g->all, opts, n * sizeof(*opts));
	memcpy(g->all + n, globals, sizeof(globals));
	/* "qv" behind the leading flags, which getopt reads only at the start. */
	memcpy(g->shortopts, shortopts, lead);
	memcpy(g->shortopts + lead, "qv", 2);
	strcpy(g->shortopts + lead + 2, shortopts + lead);
	optind = 1;
	opterr = 0;
	return 0;
}

/* The long name of the option getopt returned as c, NULL for a short one only. */
static const struct option *option_of(const struct cli_getopt *g, int c)
{
	for (const struct option *o = g->all; o->name; o++)
		if (o->val == c && !o->flag)
			return o;
	return NULL;
}

static bool takes_value(const struct cli_getopt *g, int c, const struct option *o)
{
	const char *s;

	if (o)
		return o->has_arg == required_argument;
	s = c > 0 && c < 256 && c != ':' ? strchr(g->shortopts, c) : NULL;
	return s && s[1] == ':';
}

static bool repeatable(const struct cli_getopt *g, int c)
{
	for (const int *r = g->repeatable; r && *r; r++)
		if (*r == c)
			return true;
	return policy_cli__repeatable(c);
}

int cli_getopt__next(struct cli_getopt *g, int argc, char **argv)
{
	const struct option *o;
	int c;

	for (;;) {
		c = getopt_long(argc, argv, g->shortopts, g->all, NULL);
		if (c == 'q') {
			cli.quiet = true;
			continue;
		}
		if (c == 'v') {
			cli.verbose++;
			continue;
		}
		break;
	}
	if (c == -1 || c == '?' || c == ':' || c == 1)
		return c;
	o = option_of(g, c);
	if (!takes_value(g, c, o) || repeatable(g, c))
		return c;
	for (int i = 0; i < g->nseen; i++) {
		bool has_short = c > 0 && c < 256 && strchr(g->shortopts, c);

		if (g->seen[i] != c)
			continue;
		if (o && has_short)
			cli_error("%s: option --%s (-%c) given twice: it takes one value (give it "
				  "once)",
				  g->cmd, o->name, c);
		else if (o)
			cli_error("%s: option --%s given twice: it takes one value (give it once)",
				  g->cmd, o->name);
		else
			cli_error("%s: option -%c given twice: it takes one value (give it once)",
				  g->cmd, c);
		return CLI_GETOPT_TWICE;
	}
	if (g->nseen < CLI_GETOPT_MAX)
		g->seen[g->nseen++] = c;
	return c;
}
