// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Not a test: the light-skeleton spike of issue 13 (record's start-up). Loads the recorder's
 * slz_sys_exit and slz_exec (what `record -- CMD` loads here) one of three ways, optionally
 * attaches and detaches them, and exits:
 *   skel     the regular skeleton: libbpf open + load (vmlinux BTF parsed, CO-RE in userspace);
 *   lskel    a light skeleton made by tests/bench/gen_lskel for those two programs: one
 *            BPF_PROG_TYPE_SYSCALL loader program creates the maps and loads the programs, the
 *            kernel applies the CO-RE relocations (attr.core_relos) with its own BTF;
 *   lskel-all  bpftool gen skeleton -L's light skeleton (it cannot select programs: all 19).
 * Usage: bench_lskel skel|lskel|lskel-all [attach] [-v] [-i]; -i prints each loaded program's
 * verified_insns and xlated/jited sizes (skel, and lskel with attach); prints the load's wall ms to
 * stderr; -v (lskel only) prints the map and program fds, and on failure the verifier log (log
 * level 1, which makes the load several times slower: never time with -v). Sizes as a one-shot
 * record: ring 4 MiB, stats 2 slots. Run as root.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "record.skel.h"
#include "rec2.lskel.h"
#include "record_all.lskel.h"

#define RING_BYTES (4u << 20)
#define LOG_SIZE   (8u << 20)

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

static int run_skel(bool attach)
{
	struct record_bpf *skel = record_bpf__open();
	struct bpf_program *prog;
	int err;

	if (!skel)
		return -errno;
	skel->rodata->record_missing = false;
	skel->rodata->wakeup_bytes = RING_BYTES / 8;
	bpf_map__set_max_entries(skel->maps.events, RING_BYTES);
	bpf_map__set_max_entries(skel->maps.stats, 2);
	bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(
		prog, prog == skel->progs.slz_sys_exit || prog == skel->progs.slz_exec);
	err = record_bpf__load(skel);
	if (!err) {
		prog_info("skel", bpf_program__fd(skel->progs.slz_sys_exit));
		prog_info("skel", bpf_program__fd(skel->progs.slz_exec));
	}
	if (!err && attach) {
		skel->links.slz_sys_exit = bpf_program__attach(skel->progs.slz_sys_exit);
		skel->links.slz_exec = bpf_program__attach(skel->progs.slz_exec);
		if (!skel->links.slz_sys_exit || !skel->links.slz_exec)
			err = -errno;
	}
	record_bpf__destroy(skel); /* detaches */
	return err;
}

/* The gen_lskel blob: the context is the loader's, then one descriptor per map and program. */
struct rec2_ctx {
	struct bpf_loader_ctx ctx;
	struct bpf_map_desc maps[rec2_NR_MAPS];
	struct bpf_prog_desc progs[rec2_NR_PROGS];
};

static int map_index(const char *name)
{
	for (int i = 0; i < rec2_NR_MAPS; i++)
		if (!strcmp(rec2_map_names[i], name) ||
		    (strchr(rec2_map_names[i], '.') &&
		     !strcmp(strchr(rec2_map_names[i], '.'), name)))
			return i;
	return -1;
}

static void print_log(const char *log)
{
	size_t n = strlen(log);

	if (n)
		fprintf(stderr, "%s\n", log + (n > 8000 ? n - 8000 : 0));
}

static int run_lskel(bool attach, bool verbose)
{
	struct rec2_ctx c;
	struct bpf_load_and_run_opts opts = {0};
	static unsigned char init[rec2_NR_MAPS][4096];
	char *log = NULL;
	int err, links[rec2_NR_PROGS], nlinks = 0, rodata = map_index(".rodata");

	memset(&c, 0, sizeof(c));
	c.ctx.sz = sizeof(c);
	if (verbose) {
		log = calloc(1, LOG_SIZE);
		c.ctx.log_level = 1;
		c.ctx.log_size = LOG_SIZE;
		c.ctx.log_buf = (__u64)(long)log;
	}
	for (int i = 0; i < rec2_NR_MAPS; i++) {
		if (!rec2_map_value_size[i])
			continue;
		memcpy(init[i], rec2_map_init[i], rec2_map_value_size[i]);
		c.maps[i].initial_value = (__u64)(long)init[i];
	}
	/* .rodata set at runtime: the layout is the object's (see record.skel.h's rodata). */
	if (rodata < 0)
		return -ENOENT;
	{
		struct record_bpf__rodata *ro = (void *)init[rodata];

		ro->record_missing = false;
		ro->wakeup_bytes = RING_BYTES / 8;
	}
	c.maps[map_index("events")].max_entries = RING_BYTES;
	c.maps[map_index("stats")].max_entries = 2;
	opts.ctx = &c.ctx;
	opts.data = rec2_data;
	opts.data_sz = sizeof(rec2_data);
	opts.insns = rec2_insns;
	opts.insns_sz = sizeof(rec2_insns);
	err = bpf_load_and_run(&opts);
	if (err) {
		fprintf(stderr, "bench_lskel: %s: %s\n", opts.errstr, strerror(-err));
		if (log)
			print_log(log);
	}
	if (!err && verbose)
		for (int i = 0; i < rec2_NR_MAPS; i++)
			fprintf(stderr, "map %-16s fd %d\n", rec2_map_names[i], c.maps[i].map_fd);
	/*
	 * The loader fills one descriptor per LOADED program, in the object's order: progs[0] is
	 * slz_sys_exit, progs[1] slz_exec (not their index among all 19).
	 */
	for (int i = 0, n = 0; !err && attach && i < rec2_NR_PROGS; i++) {
		if (!rec2_prog_loaded[i])
			continue;
		if (verbose)
			fprintf(stderr, "prog %-16s fd %d\n", rec2_prog_names[i],
				c.progs[n].prog_fd);
		prog_info("lskel", c.progs[n].prog_fd);
		/* both programs are tp_btf: a raw tracepoint open of the program attaches it */
		links[nlinks] = bpf_raw_tracepoint_open(NULL, c.progs[n++].prog_fd);
		if (links[nlinks] < 0)
			err = -errno;
		else
			nlinks++;
	}
	for (int i = 0; i < nlinks; i++)
		close(links[i]);
	for (int i = 0; i < rec2_NR_PROGS; i++)
		if (c.progs[i].prog_fd > 0)
			close(c.progs[i].prog_fd);
	for (int i = 0; i < rec2_NR_MAPS; i++)
		if (c.maps[i].map_fd > 0)
			close(c.maps[i].map_fd);
	free(log);
	return err;
}

static int run_lskel_all(bool attach)
{
	struct record_all_lskel *skel = record_all_lskel__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->record_missing = false;
	skel->rodata->wakeup_bytes = RING_BYTES / 8;
	skel->maps.events.max_entries = RING_BYTES;
	skel->maps.stats.max_entries = 2;
	err = record_all_lskel__load(skel);
	if (!err && attach) {
		if (record_all_lskel__slz_sys_exit__attach(skel) < 0 ||
		    record_all_lskel__slz_exec__attach(skel) < 0)
			err = -errno;
	}
	record_all_lskel__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	bool attach = false, verbose = false;
	double t0, t1;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_lskel skel|lskel|lskel-all [attach] [-v] [-i]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		attach |= !strcmp(argv[i], "attach");
		verbose |= !strcmp(argv[i], "-v");
		show_info |= !strcmp(argv[i], "-i");
	}
	if (getenv("LIBBPF_DEBUG")) /* skel: libbpf's debug log, its CO-RE relocations */
		libbpf_set_print(print_all);
	t0 = now_ms();
	if (!strcmp(argv[1], "skel"))
		err = run_skel(attach);
	else if (!strcmp(argv[1], "lskel"))
		err = run_lskel(attach, verbose);
	else if (!strcmp(argv[1], "lskel-all"))
		err = run_lskel_all(attach);
	else
		err = -EINVAL;
	t1 = now_ms();
	if (err) {
		fprintf(stderr, "bench_lskel %s: failed: %s\n", argv[1], strerror(-err));
		return 1;
	}
	fprintf(stderr, "%s%s: %.2f ms\n", argv[1], attach ? " attach" : "", t1 - t0);
	return 0;
}
