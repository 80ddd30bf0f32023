// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a parsed conf is used for: a function's prune policy, a watch's name match. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

static const char *const placeholders[] = {"name", "watch", "id", "parent"};

int conf__check_template(const char *tpl)
{
	if (!tpl[0])
		return slz_fail(EINVAL, "the name template is empty; write one like {name}");
	for (const char *s = tpl; *s; s++) {
		const char *close;
		size_t i;

		if (*s == '}')
			return slz_fail(EINVAL, "a '}' without its '{'; placeholders are {name}, "
						"{watch}, {id} and {parent}");
		if (*s != '{')
			continue;
		close = strchr(s, '}');
		if (!close)
			return slz_fail(EINVAL, "a '{' without its '}'; placeholders are {name}, "
						"{watch}, {id} and {parent}");
		for (i = 0; i < ARRAY_SIZE(placeholders); i++)
			if (strlen(placeholders[i]) == (size_t)(close - s - 1) &&
			    !memcmp(placeholders[i], s + 1, (size_t)(close - s - 1)))
				break;
		if (i == ARRAY_SIZE(placeholders))
			return slz_fail(EINVAL,
					"unknown placeholder {%.*s}; placeholders are {name}, "
					"{watch}, {id} and {parent}",
					(int)(close - s - 1), s + 1);
		s = close;
	}
	return 0;
}

bool conf_watch__matches(const struct conf_watch *w, const char *dirname)
{
	/* A name has no '/', so the pattern (checked by the parse) meets one component. */
	return dirname[0] && !strchr(dirname, '/') && globs__match(w->match, dirname, true) == 1;
}

int conf_function__policy(const struct conf_function *fn, struct prune_policy *p)
{
	int err = 0;

	for (size_t i = 0; i < fn->n_keep && !err; i++)
		err = globs__add(p->globs, GLOB_KEEP, fn->keep[i]);
	for (size_t i = 0; i < fn->n_drop && !err; i++)
		err = globs__add(p->globs, GLOB_DROP, fn->drop[i]);
	if (err)
		return err;
	if (fn->n_keep)
		p->given |= PRUNE_GIVEN_KEEP;
	if (fn->n_drop)
		p->given |= PRUNE_GIVEN_DROP;
	if (fn->has_rules) {
		p->rules.off = fn->rules_off;
		p->given |= PRUNE_GIVEN_RULES;
	}
	/* The parse took these values already: they cannot fail here. */
	if (fn->has_modes) {
		err = zipwrite__parse_modes(fn->modes, &p->zip);
		p->given |= PRUNE_GIVEN_MODES;
	}
	if (!err && fn->has_mtime) {
		err = zipwrite__parse_mtime(fn->mtime, &p->zip);
		p->given |= PRUNE_GIVEN_MTIME;
	}
	if (err)
		return err;
	if (fn->has_level) {
		p->zip.level = fn->level;
		p->given |= PRUNE_GIVEN_LEVEL;
	}
	if (fn->has_keep_created) {
		p->keep_created = fn->keep_created;
		p->given |= PRUNE_GIVEN_KEEP_CREATED;
	}
	/* Like the options, over the default policy_cli__init takes from $CI. */
	if (fn->has_strict_host)
		p->strict_host = fn->strict_host;
	if (fn->tree_path_as) {
		/* The policy outlives the conf it came from (a reload frees the old one). */
		char *copy = strdup(fn->tree_path_as);

		if (!copy)
			return slz_fail(ENOMEM, "out of memory");
		free(p->owned);
		p->owned = copy;
		p->recorded_at = copy;
		p->given |= PRUNE_GIVEN_TREE_PATH_AS;
	}
	return 0;
}
