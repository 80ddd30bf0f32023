// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Zip extraction (verify's extractor). Oracles: whatever the archive holds and whether or not
 * extraction succeeds, nothing appears beside the destination directory (zip-slip), no symlink
 * inside it resolves to a place outside it, the files in it hold no more than the cap, and the
 * extractor's own remover leaves nothing of it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"

/* Small enough to keep a run fast; inputs declaring more must be refused. */
#define CAP (4u << 20)

static char dest_real[PATH_MAX];
static uint64_t extracted_bytes;

static int check_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char real[PATH_MAX];
	size_t n = strlen(dest_real);

	if (type == FTW_SL && realpath(path, real) &&
	    (strncmp(real, dest_real, n) || (real[n] != '/' && real[n] != '\0')))
		abort(); /* a link that leads out of the extraction */
	if (type == FTW_F)
		extracted_bytes += (uint64_t)st->st_size;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP || type == FTW_D || type == FTW_DNR)
		chmod(path, 0700), rmdir(path);
	else
		unlink(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char top[] = "/dev/shm/slz-fuzz-extract.XXXXXX";
	char zip[PATH_MAX], dest[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	if (!mkdtemp(top))
		return 0;
	snprintf(zip, sizeof(zip), "%s/in.zip", top);
	snprintf(dest, sizeof(dest), "%s/dest", top);
	fd = open(zip, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	extract__zip(zip, dest,
		     &(struct extract_opts){.sz = sizeof(struct extract_opts), .max_bytes = CAP});

	/* Beside dest there is only the input. */
	d = opendir(top);
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "in.zip") && strcmp(de->d_name, "dest"))
			abort();
	}
	if (d)
		closedir(d);
	extracted_bytes = 0;
	if (realpath(dest, dest_real))
		nftw(dest, check_entry, 16, FTW_PHYS);
	if (extracted_bytes > CAP)
		abort(); /* more than the cap reached the disk */
	/* The remover verify uses takes it all, whatever modes and depth the archive made. */
	if (extract__remove(dest) || !access(dest, F_OK))
		abort();
out:
	nftw(top, rm_entry, 16, FTW_PHYS | FTW_DEPTH);
	return 0;
}
