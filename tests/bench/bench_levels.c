// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The level mapping's measurement (issue 13): bench_levels ROOT < LIST reads the files LIST
 * names (one path relative to ROOT a line, as prune's --whitelist-out writes them) and deflates
 * each, whole, with zlib at levels 1-9 (raw deflate, windowBits -15, zlib's default memLevel 8:
 * what Info-ZIP's zip -N and Python's zipfile write) and with libdeflate at levels 1-12. Every
 * total counts a file as a zip does: its deflate stream, or the file itself when deflate does
 * not make it smaller (the stored fallback, zipdeflate.c's and Info-ZIP's). It prints one line
 * per library and level: "zlib|libdeflate LEVEL BYTES CPU_SECONDS", the CPU of this one thread.
 * scripts/bench-levels runs it on several corpora and derives zipdeflate.c's table.
 */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define ZLIB_LEVELS 9
#define LD_LEVELS   12
/* Files by size, each class totalled on its own too: below 16 KiB, below 1 MiB, the rest. */
#define CLASSES	    3

static int size_class(size_t len)
{
	return len < (16U << 10) ? 0 : len < (1U << 20) ? 1 : 2;
}

static const char *const class_name[CLASSES] = {"<16K", "<1M", ">=1M"};

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *read_whole(int root, const char *rel, size_t *len)
{
	struct stat st;
	unsigned char *b;
	size_t got = 0;
	int fd = openat(root, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (b && got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return b;
}

/* zlib's raw deflate of in at level, into out (room: cap). Its length, or 0: no room. */
static size_t zlib_deflate(int level, const unsigned char *in, size_t len, unsigned char *out,
			   size_t cap)
{
	z_stream s = {0};
	size_t n = 0;

	if (deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	s.next_in = (unsigned char *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	if (deflate(&s, Z_FINISH) == Z_STREAM_END)
		n = s.total_out;
	deflateEnd(&s);
	return n;
}

int main(int argc, char **argv)
{
	struct libdeflate_compressor *ld[LD_LEVELS + 1] = {0};
	uint64_t zbytes[CLASSES][ZLIB_LEVELS + 1] = {{0}}, lbytes[CLASSES][LD_LEVELS + 1] = {{0}};
	double zcpu[CLASSES][ZLIB_LEVELS + 1] = {{0}}, lcpu[CLASSES][LD_LEVELS + 1] = {{0}};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int root, max_ld = LD_LEVELS;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_levels ROOT [MAX_LIBDEFLATE_LEVEL] < LIST\n");
		return 2;
	}
	if (argc == 3)
		max_ld = atoi(argv[2]);
	if (max_ld < 1 || max_ld > LD_LEVELS) {
		fprintf(stderr, "bench_levels: MAX_LIBDEFLATE_LEVEL must be 1-%d\n", LD_LEVELS);
		return 2;
	}
	root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "bench_levels: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int l = 1; l <= max_ld; l++)
		if (!(ld[l] = libdeflate_alloc_compressor(l)))
			return 1;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		unsigned char *in, *out;
		size_t len = 0;
		int c;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (!*line || !(in = read_whole(root, line, &len)))
			continue;
		out = malloc(len + 1);
		if (!out)
			return 1;
		c = size_class(len);
		for (int l = 1; l <= ZLIB_LEVELS; l++) {
			double t = thread_cpu();
			size_t d = len > 1 ? zlib_deflate(l, in, len, out, len - 1) : 0;

			zcpu[c][l] += thread_cpu() - t;
			zbytes[c][l] += d ? d : len;
		}
		for (int l = 1; l <= max_ld; l++) {
			double t = thread_cpu();
			size_t d =
				len > 1 ? libdeflate_deflate_compress(ld[l], in, len, out, len - 1)
					: 0;

			lcpu[c][l] += thread_cpu() - t;
			lbytes[c][l] += d ? d : len;
		}
		free(out);
		free(in);
	}
	/* The totals, then each size class: "zlib|libdeflate LEVEL BYTES CPU [CLASS]". */
	for (int c = -1; c < CLASSES; c++) {
		for (int l = 1; l <= ZLIB_LEVELS; l++) {
			uint64_t b = 0;
			double t = 0;

			for (int k = 0; k < CLASSES; k++)
				if (c < 0 || c == k) {
					b += zbytes[k][l];
					t += zcpu[k][l];
				}
			printf("zlib %d %llu %.3f%s%s\n", l, (unsigned long long)b, t,
			       c < 0 ? "" : " ", c < 0 ? "" : class_name[c]);
		}
		for (int l = 1; l <= max_ld; l++) {
			uint64_t b = 0;
			double t = 0;

			for (int k = 0; k < CLASSES; k++)
				if (c < 0 || c == k) {
					b += lbytes[k][l];
					t += lcpu[k][l];
				}
			printf("libdeflate %d %llu %.3f%s%s\n", l, (unsigned long long)b, t,
			       c < 0 ? "" : " ", c < 0 ? "" : class_name[c]);
		}
	}
	for (int l = 1; l <= max_ld; l++)
		libdeflate_free_compressor(ld[l]);
	free(line);
	close(root);
	return 0;
}
