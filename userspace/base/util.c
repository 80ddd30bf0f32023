// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

static __thread char errmsg[512];

int slz_fail(int err, const char *fmt, ...)
{
	char msg[sizeof(errmsg)];
	va_list ap;

	/* Format aside first: callers may pass slz_errmsg() itself to add context to it. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(errmsg, msg, sizeof(errmsg));
	return err > 0 ? -err : err;
}

const char *slz_errmsg(void)
{
	return errmsg;
}

void slz_errclear(void)
{
	errmsg[0] = '\0';
}

int slz_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *nbuf;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	nbuf = realloc(*buf, ncap * elem);
	if (!nbuf)
		return -ENOMEM;
	*buf = nbuf;
	*cap = ncap;
	return 0;
}

struct atomic_file {
	char *dest;
	char *temp;
	FILE *stream;
};

/* The temp file must live in dest's directory so rename() is atomic (same filesystem). */
static char *temp_name_for(const char *dest)
{
	char *copy = strdup(dest), *dir, *out = NULL;
	const char *base;

	if (!copy)
		return NULL;
	base = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
	dir = dirname(copy);
	if (asprintf(&out, "%s/.%s.tmp-XXXXXX", dir, base) < 0)
		out = NULL;
	free(copy);
	return out;
}

int atomic_file__open(const char *dest, struct atomic_file **out)
{
	struct atomic_file *af;
	int fd, err;

	af = calloc(1, sizeof(*af));
	if (!af)
		return -ENOMEM;
	af->dest = strdup(dest);
	af->temp = temp_name_for(dest);
	if (!af->dest || !af->temp) {
		err = -ENOMEM;
		goto err;
	}
	fd = mkostemp(af->temp, O_CLOEXEC);
	if (fd < 0) {
		err = slz_fail(errno,
			       "cannot create a file beside %s: %s (choose a writable location)",
			       dest, strerror(errno));
		free(af->temp);
		af->temp = NULL;
		goto err;
	}
	/* mkostemp creates 0600; outputs are ordinary files the user will share. */
	fchmod(fd, 0644 & ~umask(umask(0)));
	af->stream = fdopen(fd, "w");
	if (!af->stream) {
		err = -errno;
		close(fd);
		goto err;
	}
	*out = af;
	return 0;
err:
	atomic_file__abort(af);
	return err;
}

FILE *atomic_file__stream(struct atomic_file *af)
{
	return af->stream;
}

const char *atomic_file__temp_path(const struct atomic_file *af)
{
	return af->temp;
}

static void fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int atomic_file__commit(struct atomic_file *af)
{
	int err = 0;

	if (fflush(af->stream) || ferror(af->stream) || fsync(fileno(af->stream))) {
		err = slz_fail(errno ? errno : EIO, "cannot write %s: %s", af->dest,
			       strerror(errno ? errno : EIO));
		goto out;
	}
	if (fclose(af->stream)) {
		af->stream = NULL;
		err = slz_fail(errno, "cannot write %s: %s", af->dest, strerror(errno));
		goto out;
	}
	af->stream = NULL;
	if (rename(af->temp, af->dest)) {
		err = slz_fail(errno, "cannot rename %s to %s: %s", af->temp, af->dest,
			       strerror(errno));
		goto out;
	}
	/* The rename itself is durable only once the directory is. */
	fsync_dir_of(af->dest);
	free(af->temp);
	af->temp = NULL;
out:
	atomic_file__abort(af);
	return err;
}

void atomic_file__abort(struct atomic_file *af)
{
	if (!af)
		return;
	if (af->stream)
		fclose(af->stream);
	if (af->temp)
		unlink(af->temp);
	free(af->temp);
	free(af->dest);
	free(af);
}

int atomic_file__check_writable(const char *dest)
{
	struct atomic_file *af = NULL;
	struct stat st;
	int err;

	if (!stat(dest, &st) && S_ISDIR(st.st_mode))
		return slz_fail(EISDIR, "output %s is a directory (give a file name)", dest);
	err = atomic_file__open(dest, &af);
	atomic_file__abort(af);
	return err;
}

uint64_t slz_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return slz_hash_u64(h);
}

/* splitmix64 finalizer: spreads FNV's weak low bits before they index a table. */
uint64_t slz_hash_u64(uint64_t v)
{
	v ^= v >> 30;
	v *= 0xbf58476d1ce4e5b9ULL;
	v ^= v >> 27;
	v *= 0x94d049bb133111ebULL;
	v ^= v >> 31;
	return v;
}

uint64_t slz_dev_to_user(uint64_t kdev)
{
	return makedev(kdev >> 20, kdev & 0xfffff);
}

static bool shell_bare(const char *arg)
{
	if (!*arg)
		return false;
	for (const char *c = arg; *c; c++) {
		/* ASCII only, whatever the locale says about other bytes. */
		bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			     (*c >= '0' && *c <= '9');

		if (!alnum && !strchr("_./=:,+@%-", *c))
			return false;
	}
	return true;
}

char *slz_shell_join(char *const *argv)
{
	size_t len = 1;
	char *s, *o;

	/* Worst case: every byte is a quote (4 bytes each), plus 2 quotes and a space. */
	for (size_t i = 0; argv[i]; i++)
		len += 4 * strlen(argv[i]) + 3;
	s = o = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			*o++ = ' ';
		if (shell_bare(argv[i])) {
			o = stpcpy(o, argv[i]);
			continue;
		}
		*o++ = '\'';
		for (const char *c = argv[i]; *c; c++) {
			if (*c == '\'')
				o = stpcpy(o, "'\\''");
			else
				*o++ = *c;
		}
		*o++ = '\'';
	}
	*o = '\0';
	return s;
}
