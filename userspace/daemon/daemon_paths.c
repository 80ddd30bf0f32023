// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The state directory's file names and the output template (daemon_paths.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_paths.h"
#include "util.h"

#define TARGET_VAR "{target}"

void daemon_path__stem(const char *name, uint32_t epoch, char *out)
{
	if (epoch)
		snprintf(out, DAEMON_STEM_MAX, "%.255s@%" PRIu32, name, epoch);
	else
		snprintf(out, DAEMON_STEM_MAX, "%.255s", name);
}

int daemon_path__file(const char *state_dir, enum daemon_file kind, const char *stem, char **out)
{
	const char *dir = kind == DAEMON_FILE_ZIP	? "zips"
			  : kind == DAEMON_FILE_JOURNAL ? "journal"
							: "profiles";
	const char *ext = kind == DAEMON_FILE_ZIP	 ? ".zip"
			  : kind == DAEMON_FILE_SNAPSHOT ? "@snapshot.profile"
			  : kind == DAEMON_FILE_JOURNAL	 ? ".journal"
							 : ".profile";
	/* The root as state dir would otherwise give "//profiles". */
	const char *sep = strcmp(state_dir, "/") ? "/" : "";

	if (asprintf(out, "%s%s%s/%s%s", state_dir, sep, dir, stem, ext) < 0) {
		*out = NULL;
		return slz_fail(ENOMEM, "out of memory");
	}
	return 0;
}

int daemon_path__output(const char *tpl, const char *stem, char **out)
{
	size_t n = 0, stem_len = strlen(stem), var_len = strlen(TARGET_VAR);
	const char *s;
	char *p;

	*out = NULL;
	for (s = tpl; *s;) {
		if (!strncmp(s, TARGET_VAR, var_len)) {
			n += stem_len;
			s += var_len;
		} else {
			n++;
			s++;
		}
	}
	if (n >= PATH_MAX)
		return slz_fail(ENAMETOOLONG, "output '%s' for target '%s' is longer than %d bytes",
				tpl, stem, PATH_MAX - 1);
	p = malloc(n + 1);
	if (!p)
		return slz_fail(ENOMEM, "out of memory");
	*out = p;
	for (s = tpl; *s;) {
		if (!strncmp(s, TARGET_VAR, var_len)) {
			memcpy(p, stem, stem_len);
			p += stem_len;
			s += var_len;
		} else {
			*p++ = *s++;
		}
	}
	*p = '\0';
	return 0;
}
