// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mountinfo lines (proc(5)). Oracle: a parsed line has every string set, and the stream search
 * over the same bytes agrees with the line parser about the first line's fstype.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mount_info m = {0}, s = {0};
	char *line = malloc(size + 1);
	FILE *f;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (!mountinfo__parse_line(line, &m)) {
		if (!m.root || !m.mount_point || !m.fstype || !m.source || !m.mount_opts ||
		    !m.super_opts)
			abort();
		f = fmemopen(line, strlen(line), "r");
		if (f) {
			/* The first mount of this fstype is this line, or an earlier-parsed twin.
			 */
			if (!strchr(line, '\n') && mountinfo__find_fstype(f, m.fstype, &s))
				abort();
			fclose(f);
		}
	}
	mountinfo__clear(&m);
	mountinfo__clear(&s);
	free(line);
	return 0;
}
