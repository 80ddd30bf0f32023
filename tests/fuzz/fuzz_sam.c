// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SAM template reader (sam__parse_string): batch reads template.yaml from whatever
 * repository it runs in. Input: the template's bytes (not NUL-terminated: libyaml takes a
 * length). Oracle: a refusal is -EINVAL (or -ENOMEM) with "t.yaml:LINE: " in front; an
 * accepted template lists functions each with a logical id, an architecture, its layers all
 * present, and either local code or a reason it has none; parsing the same bytes again gives
 * the same list.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sam.h"
#include "util.h"

static void check(const struct sam *s)
{
	for (size_t i = 0; i < sam__count(s); i++) {
		const struct sam_function *f = sam__function(s, i);

		if (!f->logical_id || !f->architecture || !f->line ||
		    (!f->code_uri && !f->skip_reason) || sam__find(s, f->logical_id) == NULL)
			abort();
		for (size_t k = 0; k < f->nlayers; k++)
			if (!f->layers[k])
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sam *s = NULL, *again = NULL;
	int err;

	if (size > 65536)
		return 0;
	err = sam__parse_string((const char *)data, size, "t.yaml", &s);
	if (err) {
		if (s || (err != -EINVAL && err != -ENOMEM) ||
		    (err == -EINVAL && strncmp(slz_errmsg(), "t.yaml:", 7)))
			abort();
		return 0;
	}
	check(s);
	if (sam__parse_string((const char *)data, size, "t.yaml", &again) ||
	    sam__count(again) != sam__count(s))
		abort();
	for (size_t i = 0; i < sam__count(s); i++) {
		const struct sam_function *a = sam__function(s, i), *b = sam__function(again, i);

		if (strcmp(a->logical_id, b->logical_id) || a->nlayers != b->nlayers ||
		    !a->code_uri != !b->code_uri ||
		    (a->code_uri && strcmp(a->code_uri, b->code_uri)))
			abort();
	}
	sam__free(again);
	sam__free(s);
	return 0;
}
