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
#include <unistd.h>
#include <zlib.h>

#include "benchtime.h"

#define ZLIB_LEVELS  9
#define LD_LEVELS    12
#define MAX_LEVELS   LD_LEVELS
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Files by size, each class totalled on its own too: below 16 KiB, below 1 MiB, the rest. */
#define CLASSES	     3

static int size_class(size_t len)
{
	return len < (16U << 10) ? 0 : len < (1U << 20) ? 1 : 2;
}

static const char *const class_name[CLASSES] = {"<16K", "<1M", ">=1M"};

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

/*
 * One library at its levels 1..levels: deflate(c, level, in, len, out, cap) is the raw deflate
 * stream's length, or 0 when it does not fit in cap; the totals per size class and level.
 */
struct compressor {
	const char *name;
	int levels;
	size_t (*deflate)(const struct compressor *c, int level, const unsigned char *in,
			  size_t len, unsigned char *out, size_t cap);
	struct libdeflate_compressor *ld[MAX_LEVELS + 1]; /* libdeflate's, one per level */
	uint64_t bytes[CLASSES][MAX_LEVELS + 1];
	double cpu_ns[CLASSES][MAX_LEVELS + 1];
};

static size_t zlib_deflate(const struct compressor *c, int level, const unsigned char *in,
			   size_t len, unsigned char *out, size_t cap)
{
	z_stream s = {0};
	size_t n = 0;

	(void)c;
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

static size_t ld_deflate(const struct compressor *c, int level, const unsigned char *in, size_t len,
			 unsigned char *out, size_t cap)
{
	return libdeflate_deflate_compress(c->ld[level], in, len, out, cap);
}

/* Each library's levels on one file, counted as a zip holds it: deflated, or else stored. */
static void measure(struct compressor *comps, size_t ncomps, const unsigned char *in, size_t len,
		    unsigned char *out)
{
	int k = size_class(len);

	for (size_t i = 0; i < ncomps; i++) {
		struct compressor *c = &comps[i];

		for (int l = 1; l <= c->levels; l++) {
			double t = bench_thread_cpu_ns();
			size_t d = len > 1 ? c->deflate(c, l, in, len, out, len - 1) : 0;

			c->cpu_ns[k][l] += bench_thread_cpu_ns() - t;
			c->bytes[k][l] += d ? d : len;
		}
	}
}

/* The totals, then each size class: "zlib|libdeflate LEVEL BYTES CPU [CLASS]". */
static void print_totals(const struct compressor *comps, size_t ncomps)
{
	for (int k = -1; k < CLASSES; k++)
		for (size_t i = 0; i < ncomps; i++)
			for (int l = 1; l <= comps[i].levels; l++) {
				uint64_t b = 0;
				double t = 0;

				for (int j = 0; j < CLASSES; j++)
					if (k < 0 || k == j) {
						b += comps[i].bytes[j][l];
						t += comps[i].cpu_ns[j][l];
					}
				printf("%s %d %llu %.3f%s%s\n", comps[i].name, l,
				       (unsigned long long)b, t / 1e9, k < 0 ? "" : " ",
				       k < 0 ? "" : class_name[k]);
			}
}

int main(int argc, char **argv)
{
	static struct compressor comps[] = {
		{.name = "zlib", .levels = ZLIB_LEVELS, .deflate = zlib_deflate},
		{.name = "libdeflate", .levels = LD_LEVELS, .deflate = ld_deflate},
	};
	struct compressor *ld = &comps[1];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int root;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_levels ROOT [MAX_LIBDEFLATE_LEVEL] < LIST\n");
		return 2;
	}
	if (argc == 3)
		ld->levels = atoi(argv[2]);
	if (ld->levels < 1 || ld->levels > LD_LEVELS) {
		fprintf(stderr, "bench_levels: MAX_LIBDEFLATE_LEVEL must be 1-%d\n", LD_LEVELS);
		return 2;
	}
	root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "bench_levels: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int l = 1; l <= ld->levels; l++)
		if (!(ld->ld[l] = libdeflate_alloc_compressor(l)))
			return 1;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		unsigned char *in, *out;
		size_t len = 0;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (!*line || !(in = read_whole(root, line, &len)))
			continue;
		out = malloc(len + 1);
		if (!out)
			return 1;
		measure(comps, ARRAY_LEN(comps), in, len, out);
		free(out);
		free(in);
	}
	print_totals(comps, ARRAY_LEN(comps));
	for (int l = 1; l <= ld->levels; l++)
		libdeflate_free_compressor(ld->ld[l]);
	free(line);
	close(root);
	return 0;
}
