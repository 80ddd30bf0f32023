// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

/* Two whole paths and the words around them, so that a message names what it is about. */
#define ERRMSG_MAX (2 * PATH_MAX + 1024)

static __thread char errmsg[ERRMSG_MAX];

/* A message too long for errmsg: its head, "...", and its tail, which says what to do. */
static void elide_into_errmsg(const char *msg, size_t len)
{
	size_t head = ERRMSG_MAX / 4, tail = ERRMSG_MAX - head - 4;

	memcpy(errmsg, msg, head);
	memcpy(errmsg + head, "...", 3);
	memcpy(errmsg + head + 3, msg + len - tail, tail);
	errmsg[ERRMSG_MAX - 1] = '\0';
}

int slz_vfail(int err, const char *fmt, va_list ap)
{
	char msg[ERRMSG_MAX], *full = NULL;
	va_list again;
	int n;

	/* Format aside first: callers may pass slz_errmsg() itself to add context to it. */
	va_copy(again, ap);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(msg) && vasprintf(&full, fmt, again) == n) {
		elide_into_errmsg(full, (size_t)n);
	} else {
		/* Out of memory for the long form: the cut one, marked as cut. */
		if (n >= 0 && (size_t)n >= sizeof(msg))
			memcpy(msg + sizeof(msg) - 4, "...", 4);
		memcpy(errmsg, msg, sizeof(errmsg));
	}
	va_end(again);
	free(full);
	return err > 0 ? -err : err;
}

int slz_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = slz_vfail(err, fmt, ap);
	va_end(ap);
	return err;
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

static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

pid_t owned__pid(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p = name + len;
	long pid = 0;

	if (strncmp(name, prefix, len) || *p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > INT_MAX)
			return 0;
	}
	if (*p++ != '-' || !*p)
		return 0;
	for (; *p; p++) {
		if (!ascii_alnum(*p))
			return 0;
	}
	return (pid_t)pid;
}

int owned__lock(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB) ? -errno : 0;
}

/* Gone means gone here: EPERM is a live process of another user. */
static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) && errno == ESRCH;
}

int owned__sweep(const char *dir, const char *prefix, owned_remove_fn fn, void *ctx)
{
	char saved[sizeof(errmsg)];
	struct dirent *de;
	int dfd, n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	memcpy(saved, errmsg, sizeof(saved));
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		struct stat st, now;
		pid_t pid = owned__pid(de->d_name, prefix);
		int fd;

		if (pid <= 0 || !pid_gone(pid))
			continue;
		/* Opening a device or a fifo can have effects of its own: look before opening. */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) || st.st_uid != geteuid())
			continue;
		fd = openat(dfd, de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Still the entry looked at, and no live owner (in any pid namespace) holds it. */
		if (!fstat(fd, &now) && now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
		    !owned__lock(fd) && !fn(dfd, de->d_name, fd, &now, ctx))
			n++;
		close(fd);
	}
	closedir(d);
	memcpy(errmsg, saved, sizeof(errmsg));
	return n;
}

struct sweep_dirs {
	const char *dir;
	int (*remove)(const char *path);
};

static int remove_dir_leftover(int dirfd, const char *name, int fd, const struct stat *st,
			       void *ctx)
{
	const struct sweep_dirs *sd = ctx;
	char *p = NULL;
	int err;

	if (!S_ISDIR(st->st_mode))
		return -ENOTDIR;
	if (asprintf(&p, "%s/%s", sd->dir, name) < 0)
		return -ENOMEM;
	err = sd->remove(p);
	free(p);
	return err;
}

int owned__sweep_dirs(const char *dir, const char *prefix, int (*remove)(const char *path))
{
	struct sweep_dirs sd = {.dir = dir, .remove = remove};

	return owned__sweep(dir, prefix, remove_dir_leftover, &sd);
}

int owned__mkdtemp(const char *parent, const char *prefix, char **path, int *lock_fd)
{
	char *d = NULL;
	int fd, err;

	if (asprintf(&d, "%s/%s%d-XXXXXX", parent, prefix, (int)getpid()) < 0)
		return -ENOMEM;
	if (!mkdtemp(d)) {
		err = slz_fail(errno, "cannot create a temp directory %s: %s", d, strerror(errno));
		free(d);
		return err;
	}
	fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || owned__lock(fd)) {
		err = slz_fail(errno, "cannot lock the temp directory %s: %s", d, strerror(errno));
		if (fd >= 0)
			close(fd);
		rmdir(d);
		free(d);
		return err;
	}
	*path = d;
	*lock_fd = fd;
	return 0;
}

struct atomic_file {
	char *dest;
	char *temp;
	FILE *stream;
	/*
	 * "-" or an existing file that is not a regular one (/dev/null, a FIFO, a terminal):
	 * written to a nameless temp and copied there at commit. Renaming over such a file would
	 * replace the device node itself.
	 */
	bool copy_out;
	/*
	 * A FIFO dest, opened for writing by atomic_file__open (-1 otherwise): the process waits
	 * for a reader there, before the output's work, as a shell's `> fifo` waits at the
	 * redirection, instead of after all of it at commit (where no reader meant waiting
	 * forever with the work done). The reader sees a writer at once and the bytes at commit;
	 * an abort closes it having written nothing, an empty stream as from a failed command.
	 */
	int fifo_fd;
};

/*
 * A temp name longer than NAME_MAX cannot be made: the dest's name is cut to fit ("." +
 * name + ".tmp-" + a pid of up to 10 digits + "-XXXXXX"), the same way for every writer of
 * that dest, so that the sweep still finds its leftovers.
 */
#define TEMP_BASE_MAX (NAME_MAX - 1 - 5 - 10 - 7)

static int remove_stale_temp(int dirfd, const char *name, int fd, const struct stat *st, void *ctx)
{
	return S_ISREG(st->st_mode) ? unlinkat(dirfd, name, 0) : -1;
}

/*
 * The temp file must live in dest's directory so rename() is atomic (same filesystem); its
 * name holds our pid (owned__pid) so that a later writer can tell a leftover from live work.
 */
static char *temp_name_for(const char *dest)
{
	char *copy = strdup(dest), *dir, *prefix = NULL, *out = NULL;
	const char *base;

	if (!copy)
		return NULL;
	base = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
	dir = dirname(copy);
	if (asprintf(&prefix, ".%.*s.tmp-", (int)TEMP_BASE_MAX, base) < 0) {
		free(copy);
		return NULL;
	}
	/* Temps of this dest left by writers that were killed (SIGKILL, a crash, a power cut). */
	owned__sweep(dir, prefix, remove_stale_temp, NULL);
	if (asprintf(&out, "%s/%s%d-XXXXXX", dir, prefix, (int)getpid()) < 0)
		out = NULL;
	free(prefix);
	free(copy);
	return out;
}

static bool is_stdout(const char *dest)
{
	return !strcmp(dest, ATOMIC_FILE_STDOUT);
}

/* Whether path's directory is below /proc, where a name is a descriptor (/proc/PID/fd/N). */
static bool dir_in_proc(const char *path)
{
	char *copy = strdup(path), *dir;
	bool in = false;

	if (!copy)
		return false;
	dir = realpath(dirname(copy), NULL);
	in = dir && !strncmp(dir, "/proc/", 6);
	free(dir);
	free(copy);
	return in;
}

/*
 * Whether dest reaches a descriptor's file through procfs: /dev/stdout (a link to
 * /proc/self/fd/1), /dev/fd/N, /proc/self/fd/N, or a link to one of them. Its file is the
 * descriptor's, a regular one too (stdout redirected to a file): renaming over dest would
 * replace the link itself (as root, the system's /dev/stdout) and leave that file empty.
 */
static bool via_proc_fd(const char *dest)
{
	char *p = strdup(dest);
	bool via = false;

	/* A few hops: the links that lead there are short chains. */
	for (int hop = 0; p && hop < 8 && !via; hop++) {
		char text[PATH_MAX], *next = NULL, *copy;
		struct stat st;
		ssize_t n;

		via = dir_in_proc(p);
		if (via || lstat(p, &st) || !S_ISLNK(st.st_mode))
			break;
		n = readlink(p, text, sizeof(text) - 1);
		if (n < 0)
			break;
		text[n] = '\0';
		via = !strncmp(text, "/proc/", 6);
		copy = strdup(p);
		if (text[0] == '/')
			next = strdup(text);
		else if (copy && asprintf(&next, "%s/%s", dirname(copy), text) < 0)
			next = NULL;
		free(copy);
		free(p);
		p = next;
	}
	free(p);
	return via;
}

/*
 * A regular file, a directory or nothing yet at dest: renamed over; anything else, or a
 * descriptor's file reached through procfs: copied to.
 */
static bool is_special(const char *dest)
{
	struct stat st;

	if (via_proc_fd(dest))
		return true;
	return !stat(dest, &st) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

/* "-" and special files: a temp file with no name, so nothing is left behind even by a SIGKILL. */
static int open_nameless_temp(struct atomic_file *af)
{
	const char *dir = getenv("TMPDIR");
	char *name = NULL;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	/* A file system without O_TMPFILE: a named temp, unlinked at once. */
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		if (asprintf(&name, "%s/.slimzip-stdout-XXXXXX", dir) < 0)
			return -ENOMEM;
		fd = mkostemp(name, O_CLOEXEC);
		if (fd >= 0)
			unlink(name);
		free(name);
	}
	if (fd < 0)
		return slz_fail(errno,
				"cannot create a temp file in %s for %s: %s (set TMPDIR to a "
				"writable directory)",
				dir, is_stdout(af->dest) ? "stdout" : af->dest, strerror(errno));
	af->stream = fdopen(fd, "w");
	if (!af->stream) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Copy the finished temp to stdout (after whatever stdio holds for it already), to the FIFO
 * opened with the output, or to the special file dest names, opened only now: a reader sees
 * no byte before the commit.
 */
static int copy_out(struct atomic_file *af)
{
	bool to_stdout = is_stdout(af->dest);
	int fd = fileno(af->stream), out = STDOUT_FILENO;
	char buf[65536];
	ssize_t n;

	if (fflush(af->stream) || ferror(af->stream) || lseek(fd, 0, SEEK_SET) < 0 ||
	    (to_stdout && fflush(stdout)))
		goto fail;
	if (af->fifo_fd >= 0) {
		out = af->fifo_fd;
		af->fifo_fd = -1;
	} else if (!to_stdout) {
		/*
		 * O_APPEND: through /proc/self/fd a regular file opens anew at offset 0; the
		 * descriptor's own position (a `>>` redirection) is its end.
		 */
		out = open(af->dest, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
		if (out < 0)
			goto fail;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto fail;
			off += w;
		}
	}
	if (!to_stdout && close(out)) {
		out = STDOUT_FILENO;
		goto fail;
	}
	return 0;
fail:
	if (out != STDOUT_FILENO)
		close(out);
	return slz_fail(errno ? errno : EIO, "cannot write to %s: %s",
			to_stdout ? "stdout" : af->dest, strerror(errno ? errno : EIO));
}

/*
 * A FIFO dest: wait for its reader now (see struct atomic_file's fifo_fd). A signal ends the
 * wait (the CLI's handlers do not restart system calls): interrupted, nothing written.
 */
static int open_fifo(struct atomic_file *af)
{
	af->fifo_fd = open(af->dest, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (af->fifo_fd < 0)
		return slz_fail(errno, "cannot open the FIFO %s for writing: %s", af->dest,
				strerror(errno));
	return 0;
}

static bool is_fifo(const char *dest)
{
	struct stat st;

	return !is_stdout(dest) && !stat(dest, &st) && S_ISFIFO(st.st_mode);
}

/*
 * atomic_file__open; connect says whether a FIFO dest is opened (waited on) too. A check does
 * not: opening and closing a FIFO hands a reader waiting in open() an end of stream at once.
 */
static int open_output(const char *dest, bool connect, struct atomic_file **out)
{
	struct atomic_file *af;
	int fd, err;

	af = calloc(1, sizeof(*af));
	if (!af)
		return -ENOMEM;
	af->fifo_fd = -1;
	if (is_stdout(dest) || is_special(dest)) {
		af->dest = strdup(dest);
		af->copy_out = true;
		err = af->dest ? open_nameless_temp(af) : -ENOMEM;
		/* After the temp: a failure to make it must not reach the reader. */
		if (!err && connect && is_fifo(dest))
			err = open_fifo(af);
		if (err)
			goto err;
		*out = af;
		return 0;
	}
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
	/* Held until the temp is renamed or removed: a later sweep must not take it for a leftover.
	 */
	owned__lock(fd);
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

int atomic_file__open(const char *dest, struct atomic_file **out)
{
	return open_output(dest, true, out);
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

	if (af->copy_out) {
		err = copy_out(af);
		goto out;
	}
	if (fflush(af->stream) || ferror(af->stream) || fsync(fileno(af->stream))) {
		err = slz_fail(errno ? errno : EIO, "cannot write %s: %s", af->dest,
			       strerror(errno ? errno : EIO));
		goto out;
	}
	/* Renamed while still open, so the owner's lock covers the temp name until it is gone. */
	if (rename(af->temp, af->dest)) {
		err = slz_fail(errno, "cannot rename %s to %s: %s", af->temp, af->dest,
			       strerror(errno));
		goto out;
	}
	free(af->temp);
	af->temp = NULL;
	/*
	 * The data is on disk (fsync above), so a failing close cannot lose any of it; dest is
	 * complete and in place.
	 */
	fclose(af->stream);
	af->stream = NULL;
	/* The rename itself is durable only once the directory is. */
	fsync_dir_of(af->dest);
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
	if (af->fifo_fd >= 0)
		close(af->fifo_fd);
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

	if (!is_stdout(dest) && !stat(dest, &st) && S_ISDIR(st.st_mode))
		return slz_fail(EISDIR, "output %s is a directory (give a file name)", dest);
	if (is_fifo(dest) && faccessat(AT_FDCWD, dest, W_OK, AT_EACCESS))
		return slz_fail(errno, "cannot write to the FIFO %s: %s", dest, strerror(errno));
	err = open_output(dest, false, &af);
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

int64_t slz_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t slz_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
