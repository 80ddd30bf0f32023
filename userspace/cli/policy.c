// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "policy.h"
#include "util.h"

/* The help names the default the writer uses: one constant (zipwrite.h) to change. */
#define POLICY_STR_(x) #x
#define POLICY_STR(x)  POLICY_STR_(x)

enum {
	OPT_KEEP = POLICY_OPT_BASE,
	OPT_DROP,
	OPT_KEEP_FROM,
	OPT_DRY_RUN,
	OPT_LEVEL,
	OPT_MTIME,
	OPT_MODES,
	OPT_FORCE,
	OPT_TREE_PATH_AS,
	OPT_KEEP_CREATED,
	OPT_STRICT_HOST,
	OPT_NO_STRICT_HOST,
	OPT_NO_RULES,
	OPT_NO_RULE, /* + the rule's position in the rules table */
};

#define NO_RULE_PREFIX "no-rule-"

static const struct policy_option {
	struct option opt;
	unsigned int cmds; /* enum policy_cmd bits */
	const char *arg;   /* the value's name in the help, NULL for none */
	const char *help;  /* lines after the first start at the description column */
} table[] = {
	{{"keep", required_argument, NULL, OPT_KEEP},
	 POLICY_PRUNE,
	 "GLOB",
	 "also keep matching paths (repeatable; gitignore-style globs)"},
	{{"drop", required_argument, NULL, OPT_DROP},
	 POLICY_PRUNE | POLICY_VERIFY,
	 "GLOB",
	 "never keep matching paths (repeatable; beats every rule)"},
	{{"keep-from", required_argument, NULL, OPT_KEEP_FROM},
	 POLICY_PRUNE,
	 "FILE",
	 "keep patterns from FILE, one per line, # comments"},
	{{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	 POLICY_PRUNE,
	 NULL,
	 "write nothing; list what would be kept (+) and dropped (-)"},
	{{"level", required_argument, NULL, OPT_LEVEL},
	 POLICY_PRUNE | POLICY_VERIFY,
	 "0-9",
	 "deflate level N as in zip -N; 0 stores (default " POLICY_STR(ZIPWRITE_DEFAULT_LEVEL) ")"},
	{{"mtime", required_argument, NULL, OPT_MTIME},
	 POLICY_PRUNE | POLICY_VERIFY,
	 "keep|fixed|EPOCH",
	 "entry times: the files' own (default; SOURCE_DATE_EPOCH\n"
	 "switches to it), 1980-01-01, or EPOCH seconds"},
	{{"modes", required_argument, NULL, OPT_MODES},
	 POLICY_PRUNE | POLICY_VERIFY,
	 "lambda|keep",
	 "entry modes: what Lambda needs (default: files 0644,\n"
	 "executables and directories 0755), or the tree's own"},
	{{"force", no_argument, NULL, OPT_FORCE},
	 POLICY_PRUNE,
	 NULL,
	 "prune even though the profile recorded lost events"},
	{{"tree-path-as", required_argument, NULL, OPT_TREE_PATH_AS},
	 POLICY_PRUNE | POLICY_VERIFY,
	 "PATH",
	 "the tree was recorded at PATH (e.g. /var/task)"},
	{{"keep-created", no_argument, NULL, OPT_KEEP_CREATED},
	 POLICY_PRUNE | POLICY_VERIFY,
	 NULL,
	 "keep files the recorded run created (logs, caches; left\n"
	 "out by default, except bytecode of a kept source)"},
	{{"strict-host", no_argument, NULL, OPT_STRICT_HOST},
	 POLICY_PRUNE,
	 NULL,
	 "refuse (exit 10) when the workload used host packages\n"
	 "Lambda lacks (default when CI is set, as in CI jobs)"},
	{{"no-strict-host", no_argument, NULL, OPT_NO_STRICT_HOST},
	 POLICY_PRUNE,
	 NULL,
	 "only warn about host packages, even in CI"},
};

/*
 * CI jobs want a zip that will fail on Lambda refused, not warned about in a log nobody reads:
 * GitHub Actions, GitLab CI and most others set CI=true. "false" and "0" say it is not one.
 */
static bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}

int policy_cli__init(struct prune_policy *p)
{
	int err = prune_policy__init(p);

	if (err)
		return err;
	p->strict_host = in_ci();
	return zipwrite__opts_from_env(&p->zip);
}

struct option *policy_cli__options(enum policy_cmd cmd, const struct option *own)
{
	size_t nown = 0, names = 0, nrules = rules__count(), n;
	struct option *opts;
	char *text;

	while (own[nown].name)
		nown++;
	for (size_t i = 0; i < nrules; i++)
		names += sizeof(NO_RULE_PREFIX) + strlen(rules__name(i));
	n = nown + ARRAY_SIZE(table) + nrules + 2;
	/* The rule options' names live right behind the table, so one free() releases both. */
	opts = calloc(1, n * sizeof(*opts) + names);
	if (!opts)
		return NULL;
	memcpy(opts, own, nown * sizeof(*opts));
	text = (char *)(opts + n);
	n = nown;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (table[i].cmds & cmd)
			opts[n++] = table[i].opt;
	}
	for (size_t i = 0; i < nrules; i++) {
		opts[n++] = (struct option){text, no_argument, NULL, OPT_NO_RULE + (int)i};
		text += sprintf(text, NO_RULE_PREFIX "%s", rules__name(i)) + 1;
	}
	opts[n] = (struct option){"no-rules", no_argument, NULL, OPT_NO_RULES};
	return opts;
}

int policy_cli__parse(struct prune_policy *p, int c, const char *arg)
{
	uint64_t v = 0;
	int err;

	switch (c) {
	case OPT_KEEP:
	case OPT_DROP:
		p->given |= c == OPT_KEEP ? PRUNE_GIVEN_KEEP : PRUNE_GIVEN_DROP;
		err = globs__add(p->globs, c == OPT_KEEP ? GLOB_KEEP : GLOB_DROP, arg);
		return err ? slz_fail(err, "--%s: %s", c == OPT_KEEP ? "keep" : "drop",
				      slz_errmsg())
			   : 0;
	case OPT_KEEP_FROM:
		p->given |= PRUNE_GIVEN_KEEP;
		err = globs__add_file(p->globs, GLOB_KEEP, arg);
		return err ? slz_fail(err, "--keep-from: %s", slz_errmsg()) : 0;
	case OPT_DRY_RUN:
		p->dry_run = true;
		return 0;
	case OPT_LEVEL:
		p->given |= PRUNE_GIVEN_LEVEL;
		err = args__u64("--level", arg, 0, 9, &v);
		p->zip.level = (int)v;
		return err;
	case OPT_MTIME:
		p->given |= PRUNE_GIVEN_MTIME;
		return zipwrite__parse_mtime(arg, &p->zip);
	case OPT_MODES:
		p->given |= PRUNE_GIVEN_MODES;
		return zipwrite__parse_modes(arg, &p->zip);
	case OPT_FORCE:
		p->force = true;
		return 0;
	case OPT_TREE_PATH_AS:
		if (arg[0] != '/')
			return slz_fail(EINVAL, "--tree-path-as: '%s' is not an absolute path",
					arg);
		p->recorded_at = arg;
		p->given |= PRUNE_GIVEN_TREE_PATH_AS;
		return 0;
	case OPT_KEEP_CREATED:
		p->keep_created = true;
		p->given |= PRUNE_GIVEN_KEEP_CREATED;
		return 0;
	case OPT_STRICT_HOST:
	case OPT_NO_STRICT_HOST:
		p->strict_host = c == OPT_STRICT_HOST;
		return 0;
	case OPT_NO_RULES:
		p->given |= PRUNE_GIVEN_RULES;
		p->rules.off = RULES_ALL_OFF;
		return 0;
	default:
		if (c >= OPT_NO_RULE && c < OPT_NO_RULE + (int)rules__count()) {
			p->given |= PRUNE_GIVEN_RULES;
			p->rules.off |= 1u << (c - OPT_NO_RULE);
			return 0;
		}
		return 1;
	}
}

bool policy_cli__repeatable(int c)
{
	return c == OPT_KEEP || c == OPT_DROP || c == OPT_KEEP_FROM;
}

void policy_cli__usage(FILE *f, enum policy_cmd cmd, int col)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const char *h = table[i].help;
		int w;

		if (!(table[i].cmds & cmd))
			continue;
		w = fprintf(f, "  --%s%s%s", table[i].opt.name, table[i].arg ? " " : "",
			    table[i].arg ? table[i].arg : "");
		/* A name too long for the column keeps two spaces before its description. */
		fprintf(f, "%*s", w < col ? col - w : 2, "");
		for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, col, "");
		fprintf(f, "%s\n", h);
	}
	fputs(" ", f);
	for (size_t i = 0; i < rules__count(); i++)
		fprintf(f, " --" NO_RULE_PREFIX "%s,", rules__name(i));
	fprintf(f, " --no-rules\n%*sswitch closure rules off (all on by default)\n", col, "");
}
