// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The commands beside a SAM template, joined to the template's functions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"
#include "sam.h"
#include "util.h"

/* "A, B, C" of the template's prunable functions, for the message naming a wrong section. */
static void prunable_names(const struct sam *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sam__count(s) && used < len; i++) {
		const struct sam_function *f = sam__function(s, i);

		if (!f->skip_reason)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 f->logical_id);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

int conf__apply_sam(struct conf *c, const struct sam *s, const char *template_dir)
{
	char names[512];

	for (size_t i = 0; i < c->n_functions; i++) {
		struct fn_entry *fe = c->functions[i];
		const struct sam_function *f = sam__find(s, fe->pub.name);
		char *tree = NULL;
		int err;

		if (!f) {
			prunable_names(s, names, sizeof(names));
			return slz_fail(
				EINVAL,
				"%s:%u: [function %s] is no AWS::Serverless::Function of "
				"the template; name a section by a function's logical id (%s)",
				c->file, fe->pub.line, fe->pub.name, names);
		}
		if (!fe->pub.runtime && f->runtime &&
		    !(fe->pub.runtime = conf__strndup(c, f->runtime, strlen(f->runtime))))
			return -ENOMEM;
		/* The entry point batch --layer keeps in the function's own zip. */
		if (f->handler &&
		    !(fe->pub.handler = conf__strndup(c, f->handler, strlen(f->handler))))
			return -ENOMEM;
		/* The template's Layers count against Lambda's limit unless the section says. */
		for (size_t l = 0, given = fe->layers.n; !given && l < f->nlayers; l++) {
			char *ly = conf__strndup(c, f->layers[l], strlen(f->layers[l]));

			if (!ly || strvec__push(&fe->layers, ly))
				return -ENOMEM;
		}
		fe->pub.layers = (const char *const *)fe->layers.v;
		fe->pub.n_layers = fe->layers.n;
		if (fe->pub.tree)
			continue;
		err = sam__tree_for(f, template_dir, &tree);
		if (err == -ENOENT)
			return slz_fail(EINVAL,
					"%s:%u: [function %s]: the template's function is %s (or "
					"add tree = the directory to prune)",
					c->file, fe->pub.line, fe->pub.name,
					f->skip_reason ? f->skip_reason : "without local code");
		if (err)
			return err;
		fe->pub.tree = conf__strndup(c, tree, strlen(tree));
		free(tree);
		if (!fe->pub.tree)
			return -ENOMEM;
	}
	return 0;
}
