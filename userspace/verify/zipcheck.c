// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "util.h"
#include "zipcdir.h"
#include "zipcheck.h"

unsigned int zipcheck__classes(uint32_t mode)
{
	unsigned int c = 0;

	if (S_ISDIR(mode)) {
		if ((mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH))
			c |= 1u << ZIPCHECK_CLOSED_DIR;
	} else if (S_ISREG(mode)) {
		if (!(mode & S_IROTH))
			c |= 1u << ZIPCHECK_UNREADABLE;
		if ((mode & 0111) && !(mode & S_IXOTH))
			c |= 1u << ZIPCHECK_UNEXECUTABLE;
	}
	return c;
}

void zipcheck_result__release(struct zipcheck_result *res)
{
	if (!res)
		return;
	for (int c = 0; c < ZIPCHECK_CLASSES; c++)
		for (int i = 0; i < ZIPCHECK_NAMES; i++)
			free(res->first[c][i].name);
	memset(res, 0, sizeof(*res));
}

/*
 * The mode an entry is extracted with: its Unix mode when it has one; a name ending in '/'
 * is a directory whatever the mode says (the extractor's rule too).
 */
static uint32_t entry_mode(const struct zipcdir_rec *r)
{
	uint32_t mode = r->host == ZIP_OPSYS_UNIX ? r->attr >> 16 : 0;
	bool dir_name = r->name_len && r->name[r->name_len - 1] == '/';

	if (!(mode & S_IFMT))
		return 0;
	if (dir_name && !S_ISDIR(mode))
		mode = (mode & 07777) | S_IFDIR;
	return mode;
}

static int note(struct zipcheck_result *res, const struct zipcdir_rec *r, uint32_t mode)
{
	unsigned int classes = zipcheck__classes(mode);

	if (!classes)
		return 0;
	res->closed++;
	for (int c = 0; c < ZIPCHECK_CLASSES; c++) {
		struct zipcheck_entry *e;

		if (!(classes & (1u << c)))
			continue;
		if (res->count[c]++ >= ZIPCHECK_NAMES)
			continue;
		e = &res->first[c][res->count[c] - 1];
		/* A name may hold NUL bytes (the extractor refuses it): shown up to the first. */
		e->name = strndup(r->name, r->name_len);
		if (!e->name)
			return -ENOMEM;
		e->mode = mode & 07777;
	}
	return 0;
}

int zipcheck__run(const char *path, struct zipcheck_result *res)
{
	struct zipcdir cd = {0};
	uint64_t pos = 0;
	int err;

	memset(res, 0, sizeof(*res));
	err = zipcdir__read_path(path, &cd);
	for (uint64_t i = 0; !err && i < cd.count; i++) {
		struct zipcdir_rec r;

		err = zipcdir__next(&cd, &pos, i, &r);
		if (err) {
			err = slz_fail(-err, "%s: %s", path, slz_errmsg());
			break;
		}
		res->entries++;
		err = note(res, &r, entry_mode(&r));
	}
	zipcdir__release(&cd);
	return err;
}
