// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc text as record --pid reads it: a stat line and a cgroup.procs list. Oracles: a parsed
 * stat gives pids >= 0 and its comm (between the first " (" and the last ')') re-serialises
 * to the same line head; every pid cgroup.procs gives is > 0, and as many as its digit runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proctree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *again = NULL;
	struct pid_list l = {0};
	pid_t pid, ppid;
	size_t runs = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!proctree__parse_stat(text, &pid, &ppid)) {
		const char *close = strrchr(text, ')');
		const char *open = strchr(text, '(');

		if (pid < 0 || ppid < 0 || !close || !open || close < open)
			abort();
		/* "PID (COMM) S PPID": the same numbers come back from the same shape. */
		if (asprintf(&again, "%d (%.*s) %c %d", (int)pid, (int)(close - open - 1), open + 1,
			     close[2], (int)ppid) < 0)
			abort();
		pid_t p2, pp2;

		if (proctree__parse_stat(again, &p2, &pp2) || p2 != pid || pp2 != ppid)
			abort();
		free(again);
	}
	if (!proctree__parse_procs(text, &l)) {
		for (const char *p = text; *p; p++)
			runs += (*p >= '0' && *p <= '9') && (p == text || p[-1] == '\n');
		if (l.n != runs)
			abort();
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i] <= 0)
				abort();
		}
	}
	pid_list__free(&l);
	free(text);
	return 0;
}
