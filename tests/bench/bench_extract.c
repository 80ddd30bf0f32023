// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * verify's extraction alone: bench_extract ZIP DEST [THREADS] extracts ZIP into DEST (which
 * must not exist) with extract__zip(), as verify does (every safety check, libdeflate on
 * THREADS threads, default one per CPU), and exits 0, or prints the error and exits 1.
 * scripts/bench-zip times it against Info-ZIP's unzip; DEST is the caller's to remove.
 */
#include <stdio.h>
#include <stdlib.h>

#include "extract.h"
#include "util.h"

int main(int argc, char **argv)
{
	EXTRACT_OPTS(o, .max_bytes = UINT64_MAX);
	char *end;
	int err;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_extract ZIP DEST [THREADS]\n");
		return 2;
	}
	if (argc == 4) {
		long t = strtol(argv[3], &end, 10);

		if (*end || t < 0 || t > 16) {
			fprintf(stderr, "bench_extract: THREADS must be 0-16, not '%s'\n", argv[3]);
			return 2;
		}
		o.threads = (int)t;
	}
	err = extract__zip(argv[1], argv[2], &o);
	if (err) {
		fprintf(stderr, "bench_extract: %s\n", slz_errmsg());
		return 1;
	}
	return 0;
}
