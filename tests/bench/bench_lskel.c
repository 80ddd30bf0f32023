// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Not a test: the light-skeleton spike of issue 13 (record's start-up). Loads the recorder's
 * programs one of these ways, optionally attaches and detaches them, and exits:
 *   skel       the regular skeleton: libbpf open + load of slz_sys_exit and slz_exec_note (what
 *              `record -- CMD` loads here): vmlinux BTF read and parsed, CO-RE in userspace;
 *   skel-ps    the same with the per-syscall hook's 14 tracepoint programs + slz_exec;
 *   lskel      a gen_loader blob (tests/bench/gen_lskel) of slz_sys_exit + slz_exec_note: one
 *              BPF_PROG_TYPE_SYSCALL loader program creates the maps and loads the programs, the
 *              kernel applies the CO-RE relocations (attr.core_relos) with its own BTF;
 *   lskel5     the same blob plus slz_fork, slz_cgroup_mkdir, slz_cgroup_rmdir (one blob that
 *              serves every sys_exit configuration, loading what it does not attach);
 *   lskel-ps   a blob of the per-syscall set (14 tracepoint programs + slz_exec);
 *   gen        lskel's programs from a blob generated at run time from the skeleton's object
 *              (bpf_object__gen_loader after the program selection and sizes: run_gen);
 *   lskel-all  bpftool gen skeleton -L's light skeleton (it cannot select programs: all 19).
 * Usage: bench_lskel MODE [attach] [-v|-vv] [-i]. Prints the load's wall ms to stderr; -i prints
 * each loaded program's verified_insns, xlated/jited sizes and a hash of its xlated code
 * (skel modes, and lskel modes with attach); -v (lskel modes) prints the map and program fds
 * and, on failure, the verifier log (log level 1, several times slower: never time with -v);
 * -vv: log level 2, the whole log to stdout (the kernel prints its CO-RE candidate cache, the
 * 31-slot vmlinux_cand_cache, at each relocation).
 * Sizes as a one-shot record: ring 4 MiB, stats 2 slots. SLZ_RECORD_MISSING=1 sets the
 * .rodata flag record_missing (the programs then differ, in both loaders alike); SLZ_FD_HELPER=1
 * clears fd_direct (fd_file's helper path, a kernel before 6.17's). Run as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "record.skel.h"
#include "rec2.lskel.h"
#include "rec5.lskel.h"
#include "recps.lskel.h"
#include "record_all.lskel.h"

#define RING_BYTES (4u << 20)
#define LOG_SIZE   (8u << 20)

static bool record_missing;
/* .rodata's fd_direct as the recorder sets it on 6.17 on; SLZ_FD_HELPER=1: the helper path. */
static bool fd_direct;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int print_all(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static bool show_info;

/* -i: what the kernel made of a program, to compare the two loaders' results. */
static void prog_info(const char *how, int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	if (!show_info)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "%s: no info: %s\n", how, strerror(errno));
		return;
	}
	{
		/* FNV-1a of the xlated instructions, map references (ids differ per run) masked */
		__u32 n = info.xlated_prog_len;
		struct bpf_insn *insns = calloc(1, n ? n : 1);
		__u64 h = 1469598103934665603ull;

		memset(&info, 0, sizeof(info));
		info.xlated_prog_len = n;
		info.xlated_prog_insns = (__u64)(long)insns;
		len = sizeof(info);
		if (insns && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			for (__u32 i = 0; i < n / sizeof(*insns); i++) {
				if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
				    insns[i].src_reg && i + 1 < n / sizeof(*insns)) {
					insns[i].imm = 0;
					insns[i + 1].imm = 0;
				}
			}
			for (__u32 i = 0; i < n; i++)
				h = (h ^ ((unsigned char *)insns)[i]) * 1099511628211ull;
		}
		free(insns);
		fprintf(stderr,
			"%-6s %-16s verified_insns %u xlated %u B jited %u B xlated-hash %016llx\n",
			how, info.name, info.verified_insns, n, info.jited_prog_len,
			(unsigned long long)h);
	}
}

static int run_skel(bool attach, bool per_syscall)
{
	/*
	 * SLZ_BTF_CUSTOM=FILE: CO-RE against FILE (bpftool gen min_core_btf's output, 2 KB) instead
	 * of vmlinux. It fails for our object: bpf_core_type_id_kernel() then gives FILE's type
	 * ids, and bpf_rdonly_cast() wants the kernel's ("type ID argument must be of a struct").
	 */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = getenv("SLZ_BTF_CUSTOM"));
	struct record_bpf *skel = record_bpf__open_opts(&oo);
	struct bpf_program *prog;
	int err;

	if (!skel)
		return -errno;
	skel->rodata->record_missing = record_missing;
	skel->rodata->fd_direct = fd_direct;
	skel->rodata->wakeup_bytes = RING_BYTES / 8;
	bpf_map__set_max_entries(skel->maps.events, RING_BYTES);
	bpf_map__set_max_entries(skel->maps.stats, 2);
	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		/* each hook with its exec program, as recorder_load.c's select_task_progs */
		bool load = per_syscall ? prog == skel->progs.slz_exec ||
						  !strncmp(sec, "tracepoint/", 11)
					: prog == skel->progs.slz_exec_note ||
						  prog == skel->progs.slz_sys_exit;

		bpf_program__set_autoload(prog, load);
	}
	err = record_bpf__load(skel);
	bpf_object__for_each_program(prog, skel->obj)
	{
		struct bpf_link *l;

		if (err || !bpf_program__autoload(prog))
			continue;
		prog_info("skel", bpf_program__fd(prog));
		if (!attach)
			continue;
		l = bpf_program__attach(prog);
		if (!l)
			err = -errno;
		bpf_link__destroy(l); /* detaches */
	}
	record_bpf__destroy(skel);
	return err;
}

/* A gen_lskel blob, and what the loader needs to know of the object's maps and programs. */
struct blob {
	int nmaps, nprogs;
	const char *const *map_names, *const *prog_names, *const *prog_secs;
	const int *loaded;
	const unsigned int *value_size;
	const unsigned char *const *init;
	const unsigned char *data, *insns;
	unsigned int data_sz, insns_sz;
};

#define BLOB(p)                                                                                    \
	{                                                                                          \
		p##_NR_MAPS, p##_NR_PROGS, p##_map_names, p##_prog_names, p##_prog_secs,           \
			p##_prog_loaded, p##_map_value_size, p##_map_init, p##_data, p##_insns,    \
			sizeof(p##_data), sizeof(p##_insns)                                        \
	}

static const struct blob blob_rec2 = BLOB(rec2), blob_rec5 = BLOB(rec5), blob_recps = BLOB(recps);

static int map_index(const struct blob *b, const char *name)
{
	for (int i = 0; i < b->nmaps; i++) {
		const char *dot = strchr(b->map_names[i], '.');

		if (!strcmp(b->map_names[i], name) || (dot && !strcmp(dot, name)))
			return i;
	}
	return -1;
}

static void print_log(const char *log)
{
	size_t n = strlen(log);

	if (n)
		fprintf(stderr, "%s\n", log + (n > 8000 ? n - 8000 : 0));
}

/*
 * A "tracepoint/CAT/NAME" program: lskel has no attach for it (bpftool's says "auto-attach not
 * supported"), so: the tracepoint's id from tracefs, perf_event_open on CPU 0 (any CPU: a
 * tracepoint perf event with a BPF program runs the program for every task), a BPF link.
 */
static int attach_tracepoint(const char *sec, int prog_fd)
{
	struct perf_event_attr pa;
	char path[256], buf[32] = {0};
	int fd, pfd, link;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", sec + 11);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = strtoull(buf, NULL, 10);
	pfd = (int)syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	link = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (link < 0)
		link = -errno;
	close(pfd); /* the link holds the perf event */
	return link;
}

static int run_lskel(const struct blob *b, bool attach, int verbose)
{
	size_t sz = sizeof(struct bpf_loader_ctx) + b->nmaps * sizeof(struct bpf_map_desc) +
		    b->nprogs * sizeof(struct bpf_prog_desc);
	struct bpf_loader_ctx *ctx = calloc(1, sz);
	struct bpf_map_desc *maps = (void *)(ctx + 1);
	struct bpf_prog_desc *progs = (void *)(maps + b->nmaps);
	struct bpf_load_and_run_opts opts = {0};
	static unsigned char init[64][4096];
	char *log = NULL;
	int err = 0, rodata = map_index(b, ".rodata");

	if (!ctx || b->nmaps > 64 || rodata < 0)
		return -EINVAL;
	ctx->sz = (__u32)sz;
	if (verbose) {
		log = calloc(1, LOG_SIZE);
		ctx->log_level = verbose;
		ctx->log_size = LOG_SIZE;
		ctx->log_buf = (__u64)(long)log;
	}
	/* Data maps (.rodata, .bss): the loader copies their initial values from here. */
	for (int i = 0; i < b->nmaps; i++) {
		if (!b->value_size[i] || b->value_size[i] > sizeof(init[i]))
			continue;
		memcpy(init[i], b->init[i], b->value_size[i]);
		maps[i].initial_value = (__u64)(long)init[i];
	}
	/* .rodata set at runtime: the layout is the object's (record.skel.h's). */
	{
		struct record_bpf__rodata *ro = (void *)init[rodata];

		ro->record_missing = record_missing;
		ro->fd_direct = fd_direct;
		ro->wakeup_bytes = RING_BYTES / 8;
	}
	/* max_entries set at runtime: the loader takes a non-zero one over the object's. */
	maps[map_index(b, "events")].max_entries = RING_BYTES;
	maps[map_index(b, "stats")].max_entries = 2;
	opts.ctx = ctx;
	opts.data = b->data;
	opts.data_sz = b->data_sz;
	opts.insns = b->insns;
	opts.insns_sz = b->insns_sz;
	err = bpf_load_and_run(&opts);
	if (err) {
		fprintf(stderr, "bench_lskel: %s: %s\n", opts.errstr, strerror(-err));
		if (log)
			print_log(log);
	} else if (log && verbose > 1) {
		/* level 2 prints the kernel's CO-RE candidate cache at each relocation */
		fwrite(log, 1, strlen(log), stdout);
	}
	if (!err && verbose)
		for (int i = 0; i < b->nmaps; i++) {
			struct bpf_map_info mi;
			__u32 len = sizeof(mi);

			memset(&mi, 0, sizeof(mi));
			bpf_obj_get_info_by_fd(maps[i].map_fd, &mi, &len);
			fprintf(stderr, "map %-16s fd %2d type %2u max_entries %u\n",
				b->map_names[i], maps[i].map_fd, mi.type, mi.max_entries);
		}
	/*
	 * The loader fills one descriptor per LOADED program, in the object's order (progs[0] is
	 * the first loaded program, not the object's first).
	 */
	for (int i = 0, n = 0; !err && i < b->nprogs; i++) {
		int fd, link;

		if (!b->loaded[i])
			continue;
		fd = progs[n++].prog_fd;
		if (verbose)
			fprintf(stderr, "prog %-16s fd %d\n", b->prog_names[i], fd);
		prog_info("lskel", fd);
		if (!attach)
			continue;
		/* tp_btf: a raw tracepoint open of the program attaches it */
		link = !strncmp(b->prog_secs[i], "tracepoint/", 11)
			       ? attach_tracepoint(b->prog_secs[i], fd)
			       : bpf_raw_tracepoint_open(NULL, fd);
		if (link < 0)
			err = link == -1 ? -errno : link;
		else
			close(link); /* detaches */
	}
	for (int i = 0; i < b->nprogs; i++)
		if (progs[i].prog_fd > 0)
			close(progs[i].prog_fd);
	for (int i = 0; i < b->nmaps; i++)
		if (maps[i].map_fd > 0)
			close(maps[i].map_fd);
	free(log);
	free(ctx);
	return err;
}

/*
 * gen: the loader design (b) of issue 13's start-up, generated at run time. The skeleton's
 * embedded object is opened, its programs selected and sizes set as record would, and libbpf's
 * gen_loader emits the blob instead of loading (no bpf() call, no vmlinux read); then the blob
 * runs as lskel's. GEN_ONLY=1 stops after the generation (to time it alone); SLZ_GEN_PROG=NAME
 * loads that program alone (-vv prints only the last program's log).
 */
static int run_gen(bool attach, int verbose)
{
	LIBBPF_OPTS(gen_loader_opts, gen);
	static const char *map_names[64], *prog_names[64], *prog_secs[64];
	static int loaded[64];
	static unsigned int value_size[64];
	static const unsigned char *init[64];
	struct record_bpf *skel = record_bpf__open();
	const char *only = getenv("SLZ_GEN_PROG"); /* that one program alone (its -vv log) */
	struct blob b = {0};
	struct bpf_program *prog;
	struct bpf_map *map;
	double t0 = now_ms();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->record_missing = record_missing;
	skel->rodata->fd_direct = fd_direct;
	skel->rodata->wakeup_bytes = RING_BYTES / 8;
	/* as the product's light loader: slot 0's first map referenced directly */
	skel->rodata->seen0_direct = getenv("SLZ_SEEN0_INDIRECT") == NULL;
	bpf_map__set_max_entries(skel->maps.events, RING_BYTES);
	bpf_map__set_max_entries(skel->maps.stats, 2);
	bpf_object__for_each_program(prog, skel->obj)
	{
		bpf_program__set_autoload(prog, only ? !strcmp(bpf_program__name(prog), only)
						     : prog == skel->progs.slz_exec_note ||
								prog == skel->progs.slz_sys_exit);
		prog_names[b.nprogs] = bpf_program__name(prog);
		prog_secs[b.nprogs] = bpf_program__section_name(prog);
		loaded[b.nprogs++] = bpf_program__autoload(prog);
	}
	err = bpf_object__gen_loader(skel->obj, &gen);
	if (!err)
		err = bpf_object__load(skel->obj);
	if (err)
		goto out;
	bpf_object__for_each_map(map, skel->obj)
	{
		size_t sz = 0;

		map_names[b.nmaps] = bpf_map__name(map);
		init[b.nmaps] = (const unsigned char *)bpf_map__initial_value(map, &sz);
		value_size[b.nmaps] = init[b.nmaps] ? (unsigned)sz : 0u;
		b.nmaps++;
	}
	fprintf(stderr, "gen: %.2f ms, data %u B, insns %u B\n", now_ms() - t0, gen.data_sz,
		gen.insns_sz);
	if (getenv("GEN_ONLY"))
		goto out;
	b.map_names = map_names;
	b.prog_names = prog_names;
	b.prog_secs = prog_secs;
	b.loaded = loaded;
	b.value_size = value_size;
	b.init = init;
	b.data = (const unsigned char *)gen.data;
	b.data_sz = gen.data_sz;
	b.insns = (const unsigned char *)gen.insns;
	b.insns_sz = gen.insns_sz;
	err = run_lskel(&b, attach, verbose);
out:
	record_bpf__destroy(skel);
	return err;
}

static int run_lskel_all(bool attach)
{
	struct record_all_lskel *skel = record_all_lskel__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->record_missing = record_missing;
	skel->rodata->fd_direct = fd_direct;
	skel->rodata->wakeup_bytes = RING_BYTES / 8;
	skel->maps.events.max_entries = RING_BYTES;
	skel->maps.stats.max_entries = 2;
	err = record_all_lskel__load(skel);
	if (!err && attach) {
		if (record_all_lskel__slz_sys_exit__attach(skel) < 0 ||
		    record_all_lskel__slz_exec_note__attach(skel) < 0)
			err = -errno;
	}
	record_all_lskel__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	bool attach = false;
	int verbose = 0;
	const char *m = argc > 1 ? argv[1] : "";
	double t0, t1;
	int err;

	if (argc < 2) {
		fprintf(stderr,
			"usage: bench_lskel skel|skel-ps|lskel|gen|lskel5|lskel-ps|lskel-all "
			"[attach] [-v|-vv] [-i]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		attach |= !strcmp(argv[i], "attach");
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "-vv"))
			verbose = (int)strlen(argv[i]) - 1;
		show_info |= !strcmp(argv[i], "-i");
	}
	record_missing = getenv("SLZ_RECORD_MISSING") != NULL;
	fd_direct = getenv("SLZ_FD_HELPER") == NULL;
	if (getenv("LIBBPF_DEBUG")) /* skel: libbpf's debug log, its CO-RE relocations */
		libbpf_set_print(print_all);
	t0 = now_ms();
	if (!strcmp(m, "skel") || !strcmp(m, "skel-ps"))
		err = run_skel(attach, !strcmp(m, "skel-ps"));
	else if (!strcmp(m, "lskel"))
		err = run_lskel(&blob_rec2, attach, verbose);
	else if (!strcmp(m, "gen"))
		err = run_gen(attach, verbose);
	else if (!strcmp(m, "lskel5"))
		err = run_lskel(&blob_rec5, attach, verbose);
	else if (!strcmp(m, "lskel-ps"))
		err = run_lskel(&blob_recps, attach, verbose);
	else if (!strcmp(m, "lskel-all"))
		err = run_lskel_all(attach);
	else
		err = -EINVAL;
	t1 = now_ms();
	if (err) {
		fprintf(stderr, "bench_lskel %s: failed: %s\n", m, strerror(-err));
		return 1;
	}
	fprintf(stderr, "%s%s: %.2f ms\n", m, attach ? " attach" : "", t1 - t0);
	return 0;
}
