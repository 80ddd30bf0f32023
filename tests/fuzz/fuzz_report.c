// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * report --html's input: a prune or verify report's JSON, read with json-c. Input: any bytes,
 * read as a prune report and, into another model, as a verify report. Oracles: each read
 * succeeds or is refused with -EBADMSG (-ENOMEM allowed), explained; whatever was read, the
 * page holds exactly its own two "</script" and no "<!--", so no input ends the data block.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

static size_t count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		n += !memcmp(hay + i, needle, nl);
	return n;
}

static void check_page(const struct report_model *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || report_html__write_stream(m, f) || fclose(f))
		abort();
	if (count(buf, len, "</script") != 2 || count(buf, len, "<!--"))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int kind = 0; kind < 2; kind++) {
		struct report_model *m;
		int err;

		if (report_model__new(&m))
			abort();
		slz_errclear();
		err = kind ? report_model__add_verify_json(m, (const char *)data, size, "in")
			   : report_model__add_prune_json(m, (const char *)data, size, "in");
		if (err && err != -EBADMSG && err != -ENOMEM)
			abort();
		if (err == -EBADMSG && !strstr(slz_errmsg(), "in"))
			abort();
		check_page(m);
		report_model__free(m);
	}
	return 0;
}
